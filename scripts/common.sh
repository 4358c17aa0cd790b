# SPDX-License-Identifier: GPL-2.0
# Shared settings and helpers for the scripts in this directory; sourced, not run.
#
# Everything built here lives in a cache outside the repository:
#   RUST_KMOD_CACHE   the cache folder (default: ~/.cache/rust-kmod)
#   KLINE             the kernel line: 7.2 (default), 6.12 or 7.3 (see line_suites below)
#   KSUITES           the Debian suites to take the line from, in order (default: the line's)
#   KFLAVOUR          the kernel configuration: base (default), debug, or bench (scripts/bench)
#   KCC               the kernel's C compiler: clang (default, LLVM=1) or gcc (as distributions
#                     build theirs: GCC for C, rustc for Rust, modules built without LLVM=1)
#   KARCH             the kernel's architecture: x86_64 (default) or arm64 (cross-built with
#                     LLVM=1, run under qemu-system-aarch64)
#   KSTOCK            a flavour of Debian's own kernel for the line (amd64, cloud-amd64,
#                     rt-amd64; arm64, emulated, which sets KARCH=arm64): boot Debian's image
#                     of it, as shipped, instead of a kernel built here, with the modules built
#                     against its headers, made able to build Rust by scripts/debian-rust-headers
#                     (see STOCK_ROOT below)

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KLINE=${KLINE:-7.2}
KFLAVOUR=${KFLAVOUR:-base}
KCC=${KCC:-clang}
KARCH=${KARCH:-x86_64}
# (Debian's arm64 kernel is an arm64 row whatever KARCH says.)
[ "${KSTOCK:-}" != arm64 ] || KARCH=arm64
CACHE=${RUST_KMOD_CACHE:-$HOME/.cache/rust-kmod}
MIRROR=http://deb.debian.org/debian

# line_suites: the Debian suites that carry linux-source-$KLINE with a Rust toolchain able to
# build it, in order of preference. The root of a line is made from the first of them that
# still carries the package (scripts/mkroot checks): suites move on, and sid drops a line when
# a newer one arrives. "X-backports" means suite X with X-backports preferred.
line_suites() {
	case "$KLINE" in
	6.12) echo trixie ;;
	7.2) echo sid forky trixie-backports ;;
	7.3) echo trixie-backports sid forky ;;
	*)
		echo "error: unknown KLINE '$KLINE' (known: 6.12, 7.2, 7.3)" >&2
		return 2
		;;
	esac
}
SUITES=${KSUITES:-$(line_suites)} || exit 2
case "$KCC" in clang | gcc) ;; *)
	echo "error: unknown KCC '$KCC' (known: clang, gcc)" >&2
	exit 2
	;;
esac
case "$KARCH" in x86_64 | arm64) ;; *)
	echo "error: unknown KARCH '$KARCH' (known: x86_64, arm64)" >&2
	exit 2
	;;
esac

# The packages of the toolchain root: the kernel's Rust toolchain, the kernel's build
# dependencies, the kernel source, and the guest userland (kmod, util-linux, iproute2,
# python3 for the TCP tests, busybox) with the VM runner (virtme-ng, QEMU, and udev, which
# virtme-ng's own init needs to name the virtio-serial ports; vm-run's VM_INIT=virtme uses it;
# virtiofsd, which shares the guest's root and the repository with a kernel that has no 9p,
# as Debian's cloud-amd64).
ROOT_PACKAGES=(
	rustc rust-src rustfmt rust-clippy bindgen clang lld llvm libclang-dev gcc libc6-dev
	make bc flex bison libelf-dev libssl-dev dwarves cpio xz-utils dkms
	kmod util-linux iproute2 procps python3 busybox-static
	qemu-system-x86 qemu-system-arm virtme-ng udev virtiofsd
	"linux-source-$KLINE"
)

log() { printf '==> %s\n' "$*" >&2; }
# copy_sources DIR: the project's files (what git knows of, committed or not) into DIR, an
# absolute path, for a build or a test that must not touch the repository's own.
copy_sources() {
	mkdir -p "$1"
	(cd "$REPO" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$1")
}
# recipe NAME FILE: the lines of FILE from `# NAME-recipe-begin` to `# NAME-recipe-end`
# (indented or not), which the hash of what they make covers.
recipe() {
	local text
	text=$(sed -n "/^[[:space:]]*# $1-recipe-begin\$/,/^[[:space:]]*# $1-recipe-end\$/p" "$2")
	[ -n "$text" ] || echo "error: no $1 recipe in $2" >&2
	printf '%s\n' "$text"
}

# The programs the scripts call on the host itself (everything else runs inside the roots),
# as command:Debian package: mmdebstrap makes the roots; curl and xz read the archive's
# indexes; git and patch copy and change the sources in tests; pgrep finds QEMUs; python3
# drives the terminal test. (Debian's required packages, in every installation, give the
# rest: coreutils, tar, dpkg, mount, util-linux's unshare and flock.)
HOST_TOOLS=(mmdebstrap:mmdebstrap curl:curl xz:xz-utils git:git patch:patch pgrep:procps
	python3:python3)
# host_prereqs: install the packages of the missing ones (root, apt), or else name them.
host_prereqs() {
	local tool missing=()
	for tool in "${HOST_TOOLS[@]}"; do
		command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		die "this host lacks programs the scripts call: install ${missing[*]} (Debian's package names)"
	fi
	log "installing on the host what the scripts call there: ${missing[*]}"
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null; } ||
		die "could not install ${missing[*]} on the host (apt-get failed, above)"
}

# prune_superseded KEEP: delete the cache entries built from an older definition of KEEP's
# kind, that is, the siblings named exactly like it but for the definition's hash (and their
# headers trees): not those of other kinds that share the start of its name (a prepared
# tree, an arm64 guest root).
prune_superseded() {
	local keep=$1 prefix=${1%-*} stale
	for stale in "$prefix"-*; do
		[[ ${stale#"$prefix"-} =~ ^[0-9a-f]{12}$ ]] && [ "$stale" != "$keep" ] || continue
		log "removing the superseded $stale"
		rm -rf "$stale" "$stale.headers"
	done
}
die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# The root's folder is named after its line, suite and a hash of what defines it, so that a
# change of suite, package list or of the recipe makes a new root instead of reusing a stale
# one. The suite is the first of the line's whose root exists, else the first one (mkroot
# then checks that it still carries the line, and else falls back to the next).
root_key() {
	{
		echo "$1"
		printf '%s\n' "${ROOT_PACKAGES[@]}"
		recipe root "$REPO/scripts/mkroot"
	} | sha256sum | cut -c1-12
}
root_for() { echo "$CACHE/roots/$KLINE-$1-$(root_key "$1")"; }
SUITE=""
for suite in $SUITES; do
	if [ -f "$(root_for "$suite")/.complete" ]; then
		SUITE=$suite
		break
	fi
done
SUITE=${SUITE:-${SUITES%% *}}
ROOT=$(root_for "$SUITE")

# The guest's userland: the toolchain root itself on x86_64. An arm64 guest needs arm64
# programs: a root of the same suite made for arm64 (by scripts/mkroot, through the host's
# qemu-user), with only what the guest runs. The bench kernel's guest (KFLAVOUR=bench) runs
# bpftrace too: a root of its own, so that the toolchain root (and every kernel built in it)
# stays as it is.
GUEST_PACKAGES=(bash coreutils kmod util-linux iproute2 procps python3 busybox-static)
guest_kind=$KARCH-guest
if [ "$KFLAVOUR" = bench ]; then
	GUEST_PACKAGES+=(bpftrace)
	guest_kind=$KARCH-bench-guest
fi
guest_root_for() {
	if [ "$KARCH" = x86_64 ] && [ "$KFLAVOUR" != bench ]; then
		root_for "$1"
		return
	fi
	echo "$CACHE/roots/$KLINE-$1-$guest_kind-$(
		{
			echo "$1"
			printf '%s\n' "${GUEST_PACKAGES[@]}"
			recipe guest "$REPO/scripts/mkroot"
		} | sha256sum | cut -c1-12
	)"
}
GUEST_ROOT=$(guest_root_for "$SUITE")

# A stock kernel's root (KSTOCK): a Debian system of the line's suite as a user has it, with
# Debian's kernel image and modules of that flavour installed from the archive, made able to
# build Rust modules by scripts/debian-rust-headers (the command users run), and the guest's
# userland. The modules are built in it, against /lib/modules/<release>/build, and the VM
# boots its /usr/lib/modules/<release>/vmlinuz with it as the root; its .release file names
# the release (select_kernel reads it).
KSTOCK=${KSTOCK:-}
STOCK_PACKAGES=("${GUEST_PACKAGES[@]}" dkms)
STOCK_ROOT=""
if [ -n "$KSTOCK" ]; then
	case "$KSTOCK" in amd64 | cloud-amd64 | rt-amd64 | arm64) ;; *)
		echo "error: unknown KSTOCK '$KSTOCK' (known: amd64, cloud-amd64, rt-amd64, arm64)" >&2
		exit 2
		;;
	esac
	[ "$KARCH" = x86_64 ] || [ "$KSTOCK" = arm64 ] || {
		echo "error: KSTOCK=$KSTOCK is an x86_64 kernel, not KARCH=$KARCH" >&2
		exit 2
	}
	stock_root_for() {
		echo "$CACHE/roots/$KLINE-$1-stock-$KSTOCK-$(
			{
				echo "$1 $KSTOCK"
				printf '%s\n' "${STOCK_PACKAGES[@]}"
				recipe stock "$REPO/scripts/mkroot"
				cat "$REPO/scripts/debian-rust-headers"
			} | sha256sum | cut -c1-12
		)"
	}
	STOCK_ROOT=$(stock_root_for "$SUITE")
	GUEST_ROOT=$STOCK_ROOT
fi

# run_in_root [--bind FILE TARGET] CMD...: run CMD as root inside the toolchain root, in a
# private mount namespace (so nothing stays mounted afterwards), with /dev, /proc, /sys, the
# repository, the kernel cache and the guest's root visible at the same paths as on the host. --bind shows
# FILE at TARGET (a path in the root) for this command only.
run_in_root() {
	[ -f "$ROOT/.complete" ] || die "toolchain root $ROOT is missing: run scripts/mkroot"
	local bind_file="" bind_target=""
	if [ "${1:-}" = --bind ]; then
		bind_file=$2 bind_target=$3
		shift 3
	fi
	mkdir -p "$CACHE/kernels"
	unshare --mount --propagation private -- /bin/bash -euo pipefail -c '
		root=$1 repo=$2 kernels=$3 bind_file=$4 bind_target=$5 guest_root=$6
		shift 6
		mount --rbind /dev "$root/dev"
		mount -t proc proc "$root/proc"
		mount --rbind /sys "$root/sys"
		mount -t tmpfs tmpfs "$root/tmp"
		# After the tmpfs: the repository or the cache may well live under /tmp.
		mkdir -p "$root$repo" "$root$kernels"
		mount --bind "$repo" "$root$repo"
		mount --bind "$kernels" "$root$kernels"
		if [ "$guest_root" != "$root" ] && [ -d "$guest_root" ]; then
			# (With the repository'"'"'s path in it: the guest mounts it there.)
			mkdir -p "$root$guest_root" "$guest_root$repo"
			mount --bind "$guest_root" "$root$guest_root"
		fi
		[ -z "$bind_file" ] || mount --bind "$bind_file" "$root$bind_target"
		exec chroot "$root" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			LANG=C.UTF-8 "$@"
	' run_in_root "$ROOT" "$REPO" "$CACHE/kernels" "$bind_file" "$bind_target" "$GUEST_ROOT" "$@"
}

# The make variables that choose the kernel's compilers and architecture, for the kernel
# and for the modules built against it: a GCC-built kernel's modules are built without
# LLVM=1, as its users build them; arm64 is cross-built by clang (no cross GCC needed).
KMAKE=()
[ "$KCC" = clang ] && KMAKE+=(LLVM=1)
if [ "$KARCH" = arm64 ]; then
	[ "$KCC" = clang ] || [ -n "$KSTOCK" ] ||
		die "KARCH=arm64 is cross-built with clang (KCC=clang): there is no cross GCC here"
	KMAKE+=(ARCH=arm64)
fi
# Debian's kernels are built with GCC: their modules without LLVM=1.
[ -z "$KSTOCK" ] || KMAKE=()

# The kernel's build folder, named after its row (line, arch, compiler, flavour; "prepared"
# for a tree made only with modules_prepare, KTREE=prepared: enough to build modules, not to
# boot) and a hash of what defines it: the config fragments, the kernel source and toolchain
# versions, and the build recipe.
KTREE=${KTREE:-full}
kernel_dir() {
	local key tree=""
	[ "$KTREE" = full ] || tree=-$KTREE
	key=$(
		{
			echo "$KLINE $KARCH $KCC $KFLAVOUR $KTREE"
			cat "$REPO/kconfig/base.config" "$REPO/kconfig/$KARCH.config"
			[ "$KFLAVOUR" = base ] || cat "$REPO/kconfig/$KFLAVOUR.config"
			grep -E '^(linux-source-|rustc |rust-src |bindgen |clang |lld |llvm |gcc )' "$ROOT/.versions"
			recipe kernel "$REPO/scripts/mkkernel"
		} | sha256sum | cut -c1-12
	)
	echo "$CACHE/kernels/$KLINE-$KARCH-$KCC-$KFLAVOUR$tree-$key"
}

# kvm_works KDIR|IMAGE: whether the VM can use KVM. /dev/kvm can exist while nested KVM hangs:
# boot the kernel once with KVM up to the point where it panics for lack of an init; if that
# does not finish within seconds, KVM is not usable. The verdict is kept for this host boot.
kvm_works() {
	[ -w /dev/kvm ] || return 1
	local kimg=$1 verdict="$CACHE/kvm-verdict" boot
	[ ! -d "$kimg" ] || kimg=$kimg/arch/x86/boot/bzImage
	boot=$(cat /proc/sys/kernel/random/boot_id)
	if [ -f "$verdict" ] && [ "$(head -n 1 "$verdict")" = "$boot" ]; then
		[ "$(tail -n 1 "$verdict")" = yes ]
		return
	fi
	log "checking whether KVM works here (at most 20 s)"
	local answer=no
	if run_in_root timeout -s KILL 20 qemu-system-x86_64 -accel kvm -cpu host -m 256 \
		-nographic -no-reboot -kernel "$kimg" \
		-append "console=ttyS0 panic=-1 init=/nonexistent" 2>&1 |
		grep -q "Kernel panic"; then
		answer=yes
	fi
	printf '%s\n%s\n' "$boot" "$answer" >"$verdict"
	[ "$answer" = yes ]
}

# select_kernel: make sure the row's kernel exists and set KDIR (the tree modules are built
# against, as the build root sees it), KIMG (what QEMU boots: a build folder or an image),
# KRELEASE and BUILD_ROOT (the root modules are built in): a kernel built here (scripts/
# mkkernel), in the toolchain root; or Debian's own (KSTOCK), its headers in its root.
select_kernel() {
	if [ -n "$KSTOCK" ]; then
		"$REPO/scripts/mkroot" --guest
		KRELEASE=$(<"$STOCK_ROOT/.release")
		KDIR=/lib/modules/$KRELEASE/build
		KIMG=$STOCK_ROOT/usr/lib/modules/$KRELEASE/vmlinuz
		BUILD_ROOT=$STOCK_ROOT
	else
		KDIR=$("$REPO/scripts/mkkernel")
		[ "$GUEST_ROOT" = "$ROOT" ] || "$REPO/scripts/mkroot" --guest
		KIMG=$KDIR
		KRELEASE=$(cat "$KDIR/include/config/kernel.release")
		BUILD_ROOT=$ROOT
	fi
}
