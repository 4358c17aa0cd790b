# SPDX-License-Identifier: GPL-2.0
# The Debian package (scripts/mkdeb), installed as a user installs it, on Debian's own kernel
# (tests/run builds it into .deb/ and runs this suite only there): `apt install ./<deb>`
# registers the modules with DKMS, which builds and installs them for the running kernel;
# `modprobe rust_tcpprobe` loads that build and its handler runs on real TCP sends; `apt
# remove` takes every module away again.
release=$(uname -r)
deb=$(find .deb -name 'rust-kmod-dkms_*_all.deb' 2>/dev/null | head -n 1)
if [ -z "$deb" ]; then
	not_ok "debian-package: tests/run built the package into .deb/"
	return 0
fi
dkms_dir=/lib/modules/$release/updates/dkms
# dkms_modules: the modules DKMS installed for the running kernel, by name.
dkms_modules() {
	find "$dkms_dir" -name 'rust_*.ko*' 2>/dev/null | sed -E 's|.*/||; s/\.(xz|zst|gz)$//' | sort |
		tr '\n' ' '
}

# The modules scripts/guest-setup installed from this run's build are set aside meanwhile,
# so that modprobe can only find DKMS's.
saved=$(mktemp -d)
find "/lib/modules/$release/updates" -mindepth 1 -maxdepth 1 ! -name dkms -exec mv -t "$saved" {} +
depmod -a "$release"

run_cmd apt-get install -y -q "./$deb"
expect_eq "debian-package: apt install ./${deb##*/} succeeds" 0 "$RC"
[ "$RC" = 0 ] || printf '%s\n' "$OUT" | tail -n 20 | sed 's/^/#   /'
expect_eq "debian-package: DKMS built and installed the seven modules for $release" \
	"rust_fcount.ko rust_getargs.ko rust_hello.ko rust_initfail.ko rust_mymodule.ko rust_printk.ko rust_tcpprobe.ko " \
	"$(dkms_modules)"
expect_eq "debian-package: dkms status says installed" "rust-kmod/1.0, $release, x86_64: installed" \
	"$(dkms status -m rust-kmod -k "$release" 2>&1 | sed 's/ (.*)$//')"

klog_mark
run_cmd modprobe rust_tcpprobe
expect_eq "debian-package: modprobe rust_tcpprobe succeeds" "0:" "$RC:$OUT"
expect_eq "debian-package: ... the module DKMS installed" "$dkms_dir/rust_tcpprobe.ko" \
	"$(modinfo -F filename rust_tcpprobe | sed -E 's/\.(xz|zst|gz)$//')"
traffic --sends 2
expect_eq "debian-package: ... its handler runs on TCP sends" yes \
	"$([ "$(count_lines "$(pre_line 5)")" -ge 2 ] && echo yes || klog_since | tail -n 5)"
rmmod rust_tcpprobe

run_cmd apt-get remove -y -q rust-kmod-dkms
expect_eq "debian-package: apt remove rust-kmod-dkms succeeds" 0 "$RC"
expect_eq "debian-package: ... and leaves no module behind" "" "$(dkms_modules)"
check_fails "debian-package: ... modinfo rust_tcpprobe finds none" modinfo rust_tcpprobe
expect_eq "debian-package: ... DKMS knows it no more" "" "$(dkms status -m rust-kmod 2>&1)"
check_fails "debian-package: ... and the Rust metadata its command installed is gone" \
	test -e "/usr/src/linux-headers-$release/rust/libkernel.rmeta"

mkdir -p "/lib/modules/$release/updates" # (gone with DKMS's last module)
mv "$saved"/* "/lib/modules/$release/updates/"
rmdir "$saved"
depmod -a "$release"
