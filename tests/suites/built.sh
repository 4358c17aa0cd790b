# SPDX-License-Identifier: GPL-2.0
# Modules built elsewhere than against the kernel's own build folder: against a
# distribution-style headers tree (scripts/mkheaders) and by DKMS (dkms.conf). tests/run's
# headers rows build them on the host and name their folders in BUILT_DIRS ("label=folder"
# each); each module of each folder must be this kernel's and work.

[ -n "${BUILT_DIRS:-}" ] || not_ok "built: the host named the folders of the modules (BUILT_DIRS)"
for entry in ${BUILT_DIRS:-}; do
	label=${entry%%=*} dir=${entry#*=}
	found=$(cd "$dir" && find . -name '*.ko' | sed 's|.*/||' | sort | tr '\n' ' ')
	all="rust_fcount.ko rust_getargs.ko rust_hello.ko rust_initfail.ko rust_mymodule.ko rust_printk.ko rust_tcpprobe.ko "
	expect_eq "built ($label): the seven modules are there" "$all" "$found"
	[ "$found" = "$all" ] || continue
	ko() { find "$dir" -name "$1.ko" | head -n 1; }
	vermagic=$(modinfo -F vermagic "$(ko rust_hello)" 2>&1)
	expect_eq "built ($label): vermagic is the booted kernel's" "$(uname -r)" "${vermagic%% *}"

	klog_mark
	run_cmd insmod "$(ko rust_hello)"
	expect_eq "built ($label): rust_hello loads" "0:" "$RC:$OUT"
	run_cmd rmmod rust_hello
	expect_klog "built ($label): rust_hello says goodbye at unload" "rust_hello: Goodbye, world"
	expect_klog "built ($label): rust_hello says hello at load" "rust_hello: Hello, world"

	klog_mark
	run_cmd insmod "$(ko rust_tcpprobe)" no_use=3
	expect_eq "built ($label): rust_tcpprobe loads" "0:" "$RC:$OUT"
	traffic --sends 10
	run_cmd rmmod rust_tcpprobe
	expect_eq "built ($label): rust_tcpprobe unloads" "0:" "$RC:$OUT"
	expect_klog "built ($label): the probe fires on a TCP send" "$(pre_line 3)"

	# (rust_fcount: its fprobe code is there only if the build saw CONFIG_FPROBE.)
	klog_mark
	run_cmd insmod "$(ko rust_fcount)"
	expect_eq "built ($label): rust_fcount loads" "0:" "$RC:$OUT"
	run_cmd rmmod rust_fcount
	if [ "$(default_via)" = fprobe ]; then
		expect_klog "built ($label): ... counting through an fprobe" \
			"rust_fcount: counting calls of vfs_read through an fprobe"
	else
		line=$(klog_since | grep '^rust_fcount: counting calls of vfs_read through a kprobe at ' || true)
		check "built ($label): ... counting through a kprobe" test -n "$line"
	fi

	for m in rust_printk rust_getargs rust_mymodule; do
		run_cmd insmod "$(ko $m)"
		expect_eq "built ($label): $m loads" "0:" "$RC:$OUT"
		run_cmd rmmod "$m"
		expect_eq "built ($label): $m unloads" "0:" "$RC:$OUT"
	done
	run_cmd insmod "$(ko rust_initfail)"
	expect_eq "built ($label): rust_initfail fails its init with EPERM" \
		"1:insmod: ERROR: could not insert module $(ko rust_initfail): Operation not permitted" \
		"$RC:$OUT"
done
