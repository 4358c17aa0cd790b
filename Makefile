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

modules_install: default
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install

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
