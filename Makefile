# SPDX-License-Identifier: GPL-2.0
#
# Out-of-tree Rust kernel modules: every target defers to the kernel's kbuild.
#
#   make                          build the modules against the running kernel
#   make KDIR=<tree>              build against any Rust-enabled kernel tree (ARCH=arm64 to
#                                 cross-build for an arm64 tree)
#   make modules_install          install them (INSTALL_MOD_PATH=<dir> for a staging root)
#   make clean                    remove everything the build made
#   make rustfmtcheck / rustfmt   check / apply the kernel's rustfmt settings
#   make clippy                   build with clippy, warnings as errors

KDIR ?= /lib/modules/$(shell uname -r)/build
# A clang-built kernel's modules must be built with LLVM=1, a GCC-built one's without: follow
# the tree's configuration, as DKMS does, unless LLVM is given.
LLVM ?= $(if $(shell grep -sx 'CONFIG_CC_IS_CLANG=y' $(KDIR)/.config),1)
export LLVM
RUSTFMT ?= rustfmt

default:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# Distribution headers (Debian's) ask kbuild to sign every module it installs
# (CONFIG_MODULE_SIG_ALL) with the kernel's own key, which they do not ship, and have no
# System.map, without which kbuild skips depmod. Without that key, install unsigned (under
# Secure Boot, sign with your own: see the README); without System.map, run depmod here.
SIG_KEY := $(shell sed -n 's/^CONFIG_MODULE_SIG_KEY="\(.*\)"$$/\1/p' $(KDIR)/.config 2>/dev/null)
NO_SIGN := $(if $(SIG_KEY),$(if $(wildcard $(KDIR)/$(SIG_KEY) $(SIG_KEY)),,CONFIG_MODULE_SIG_ALL=))
KRELEASE = $(shell cat $(KDIR)/include/config/kernel.release)

modules_install: default
	$(MAKE) -C $(KDIR) M=$(CURDIR) $(NO_SIGN) modules_install
	$(if $(wildcard $(KDIR)/System.map),,depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KRELEASE))

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean

clippy:
	$(MAKE) -C $(KDIR) M=$(CURDIR) CLIPPY=1 KRUSTFLAGS=-Dwarnings modules

# Every source but what bindgen generates.
RUST_SOURCES = $(filter-out %_generated.rs,$(wildcard $(CURDIR)/*.rs $(CURDIR)/*/*.rs))

rustfmt:
	$(RUSTFMT) --config-path $(CURDIR)/.rustfmt.toml $(RUST_SOURCES)

rustfmtcheck:
	$(RUSTFMT) --config-path $(CURDIR)/.rustfmt.toml --color never --check $(RUST_SOURCES)

.PHONY: default modules_install clean clippy rustfmt rustfmtcheck
