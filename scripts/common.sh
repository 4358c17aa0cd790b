# SPDX-License-Identifier: GPL-2.0
# Shared settings and helpers for the scripts in this directory; sourced, not run.
#
# Everything built here lives in a cache outside the repository:
#   RUST_KMOD_CACHE   the cache folder (default: ~/.cache/rust-kmod)
#   KLINE             the kernel line to use: 7.2 (Debian sid, default) or 6.12 (Debian trixie)
#   KFLAVOUR          the kernel configuration: base (default) or debug

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KLINE=${KLINE:-7.2}
KFLAVOUR=${KFLAVOUR:-base}
CACHE=${RUST_KMOD_CACHE:-$HOME/.cache/rust-kmod}

case "$KLINE" in
7.2) SUITE=sid ;;
6.12) SUITE=trixie ;;
*)
	echo "error: unknown KLINE '$KLINE' (known: 7.2, 6.12)" >&2
	exit 2
	;;
esac

# The packages of the toolchain root: the kernel's Rust toolchain, the kernel's build
# dependencies, the kernel source, and the guest userland (kmod, util-linux, iproute2,
# python3 for the TCP tests, busybox) with the VM runner (virtme-ng, QEMU, and udev, which
# virtme-ng's own init needs to name the virtio-serial ports; vm-run's VM_INIT=virtme uses it).
ROOT_PACKAGES=(
	rustc rust-src rustfmt rust-clippy bindgen clang lld llvm libclang-dev
	make bc flex bison libelf-dev libssl-dev dwarves cpio xz-utils
	kmod util-linux iproute2 procps python3 busybox-static
	qemu-system-x86 virtme-ng udev
	"linux-source-$KLINE"
)

log() { printf '==> %s\n' "$*" >&2; }

# prune_superseded KEEP: delete the cache entries built from an older definition of KEEP's
# kind, that is, the siblings of KEEP named like it up to the definition's hash.
prune_superseded() {
	local keep=$1 stale
	for stale in "${keep%-*}-"*; do
		[ "$stale" = "$keep" ] || { log "removing the superseded $stale" && rm -rf "$stale"; }
	done
}
die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# The root's folder is named after a hash of what defines it, so that a change of suite,
# package list or of this recipe makes a new root instead of reusing a stale one.
root_key() {
	{
		echo "$SUITE"
		printf '%s\n' "${ROOT_PACKAGES[@]}"
		sed -n '/^# root-recipe-begin/,/^# root-recipe-end/p' "$REPO/scripts/mkroot"
	} | sha256sum | cut -c1-12
}
ROOT="$CACHE/roots/$KLINE-$(root_key)"

# run_in_root [--bind FILE TARGET] CMD...: run CMD as root inside the toolchain root, in a
# private mount namespace (so nothing stays mounted afterwards), with /dev, /proc, /sys, the
# repository and the kernel cache visible at the same paths as on the host. --bind shows
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
		root=$1 repo=$2 kernels=$3 bind_file=$4 bind_target=$5
		shift 5
		mount --rbind /dev "$root/dev"
		mount -t proc proc "$root/proc"
		mount --rbind /sys "$root/sys"
		mount -t tmpfs tmpfs "$root/tmp"
		# After the tmpfs: the repository or the cache may well live under /tmp.
		mkdir -p "$root$repo" "$root$kernels"
		mount --bind "$repo" "$root$repo"
		mount --bind "$kernels" "$root$kernels"
		[ -z "$bind_file" ] || mount --bind "$bind_file" "$root$bind_target"
		exec chroot "$root" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" \
			PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			LANG=C.UTF-8 "$@"
	' run_in_root "$ROOT" "$REPO" "$CACHE/kernels" "$bind_file" "$bind_target" "$@"
}

# The kernel's build folder, named after a hash of what defines it: the config fragments,
# the kernel source and toolchain versions, and the build recipe.
kernel_dir() {
	local key
	key=$(
		{
			echo "$KLINE $KFLAVOUR"
			cat "$REPO/kconfig/base.config"
			[ "$KFLAVOUR" = base ] || cat "$REPO/kconfig/$KFLAVOUR.config"
			grep -E '^(linux-source-|rustc |rust-src |bindgen |clang |lld |llvm )' "$ROOT/.versions"
			sed -n '/^# kernel-recipe-begin/,/^# kernel-recipe-end/p' "$REPO/scripts/mkkernel"
		} | sha256sum | cut -c1-12
	)
	echo "$CACHE/kernels/$KLINE-$KFLAVOUR-$key"
}

# kvm_works KDIR: whether the VM can use KVM. /dev/kvm can exist while nested KVM hangs: boot
# KDIR's kernel once with KVM up to the point where it panics for lack of an init; if that
# does not finish within seconds, KVM is not usable. The verdict is kept for this host boot.
kvm_works() {
	[ -w /dev/kvm ] || return 1
	local kdir=$1 verdict="$CACHE/kvm-verdict" boot
	boot=$(cat /proc/sys/kernel/random/boot_id)
	if [ -f "$verdict" ] && [ "$(head -n 1 "$verdict")" = "$boot" ]; then
		[ "$(tail -n 1 "$verdict")" = yes ]
		return
	fi
	log "checking whether KVM works here (at most 20 s)"
	local answer=no
	if run_in_root timeout -s KILL 20 qemu-system-x86_64 -accel kvm -cpu host -m 256 \
		-nographic -no-reboot -kernel "$kdir/arch/x86/boot/bzImage" \
		-append "console=ttyS0 panic=-1 init=/nonexistent" 2>&1 |
		grep -q "Kernel panic"; then
		answer=yes
	fi
	printf '%s\n%s\n' "$boot" "$answer" >"$verdict"
	[ "$answer" = yes ]
}
