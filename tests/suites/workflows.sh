# SPDX-License-Identifier: GPL-2.0
# The seeds' workflows: a module over several files, several modules from one Kbuild, a
# failing init, modprobe with installed modules and options, printk levels.
# tests/run boots with rust_tcpprobe.no_use=5 on the kernel command line, for modprobe.

# A module across several files. (The kernel's taint lines aside: loading the first
# out-of-tree module taints it, and on a kernel that checks signatures, Debian's, so does
# loading the first unsigned one.)
klog_mark
run_cmd insmod mymodule/rust_mymodule.ko
expect_eq "workflows: insmod mymodule/rust_mymodule.ko succeeds" "0:" "$RC:$OUT"
expect_eq "workflows: init, then the function from print.rs" \
	"rust_mymodule: init|rust_mymodule: mymodule_sub: called" \
	"$(klog_since | grep '^rust_mymodule: ' | grep -v 'taints kernel\|tainting kernel' | tr '\n' '|' |
		sed 's/|$//')"

# Several modules from one Kbuild: all built, two removed by one rmmod.
for ko in rust_hello.ko rust_getargs.ko rust_tcpprobe.ko rust_fcount.ko rust_initfail.ko \
	rust_printk.ko mymodule/rust_mymodule.ko; do
	check "workflows: make built $ko" test -f "$ko"
done
insmod rust_hello.ko
klog_mark
run_cmd rmmod rust_hello rust_mymodule
expect_eq "workflows: rmmod rust_hello rust_mymodule removes both" "0:" "$RC:$OUT"
expect_klog "workflows: ... rust_hello says goodbye" "rust_hello: Goodbye, world"
expect_klog "workflows: ... rust_mymodule's exit.rs runs" "rust_mymodule: exit"
check_fails "workflows: ... neither is in lsmod" bash -c \
	"lsmod | grep -E '^(rust_hello|rust_mymodule) '"

# A failing init: kmod's message for the errno, the module's reason, nothing left behind.
# failing_init ERRNO STRERROR [PARAM]
failing_init() {
	klog_mark
	run_cmd insmod rust_initfail.ko ${3:+"$3"}
	expect_eq "workflows: init returning $1: insmod fails with '$2'" \
		"1:insmod: ERROR: could not insert module rust_initfail.ko: $2" "$RC:$OUT"
	expect_klog "workflows: ... dmesg says why" \
		"rust_initfail: init fails on purpose, returning $1"
	check_fails "workflows: ... lsmod shows nothing" module_loaded rust_initfail
	check_fails "workflows: ... /sys/module shows nothing" test -e /sys/module/rust_initfail
}
failing_init -1 "Operation not permitted"
failing_init -12 "Cannot allocate memory" err=-12
run_cmd insmod rust_initfail.ko err=0
expect_eq "workflows: with err=0 it loads" "0:" "$RC:$OUT"
rmmod rust_initfail

# modprobe: the modules are installed under /lib/modules/$(uname -r) and indexed.
# (Compressed as the kernel's own modules are, if they are: Debian's are .ko.xz.)
expect_eq "workflows: modinfo by name finds the installed module" \
	"/lib/modules/$(uname -r)/updates/rust_hello.ko" "$(modinfo -F filename rust_hello | sed -E 's/\.(xz|zst|gz)$//')"
klog_mark
run_cmd modprobe rust_hello
expect_eq "workflows: modprobe rust_hello succeeds" "0:" "$RC:$OUT"
expect_klog "workflows: ... and it says hello" "rust_hello: Hello, world"
run_cmd modprobe -r rust_hello
expect_eq "workflows: modprobe -r rust_hello succeeds" "0:" "$RC:$OUT"
check_fails "workflows: ... and it is gone" module_loaded rust_hello

run_cmd modprobe rust_tcpprobe
expect_eq "workflows: modprobe rust_tcpprobe succeeds" "0:" "$RC:$OUT"
expect_eq "workflows: ... with no_use=5 from the kernel command line" "5" \
	"$(cat /sys/module/rust_tcpprobe/parameters/no_use)"
klog_mark
tests/tcp-traffic --sends 1 >/dev/null
expect_klog "workflows: ... and the handlers log 5" \
	"rust_tcpprobe: tcpprobe handler_pre executed, no_use_variable is 5"
modprobe -r rust_tcpprobe
check_fails "workflows: modprobe -r rust_tcpprobe removes it" module_loaded rust_tcpprobe

echo "options rust_tcpprobe log_every=3" >/etc/modprobe.d/rust_tcpprobe.conf
modprobe rust_tcpprobe
expect_eq "workflows: options from /etc/modprobe.d/ are applied" "3" \
	"$(cat /sys/module/rust_tcpprobe/parameters/log_every)"
expect_eq "workflows: ... together with the kernel command line's" "5" \
	"$(cat /sys/module/rust_tcpprobe/parameters/no_use)"
modprobe -r rust_tcpprobe
rm /etc/modprobe.d/rust_tcpprobe.conf

# printk levels, and filtering them with dmesg -l.
klog_mark
insmod rust_printk.ko
expect_eq "workflows: dmesg -l err shows the pr_err! line" "rust_printk: an error (KERN_ERR)" \
	"$(dmesg -t -l err | grep '^rust_printk: ' | tail -n 1)"
expect_eq "workflows: dmesg -l warn shows the pr_warn! line" \
	"rust_printk: a warning (KERN_WARNING)" "$(dmesg -t -l warn | grep '^rust_printk: ' | tail -n 1)"
expect_eq "workflows: dmesg -l notice shows the pr_notice! line" \
	"rust_printk: a notice (KERN_NOTICE)" "$(dmesg -t -l notice | grep '^rust_printk: ' | tail -n 1)"
expect_eq "workflows: dmesg -l info shows pr_info! and the pr_cont! continuation as one line" \
	"rust_printk: some information (KERN_INFO)|rust_printk: one line, continued with pr_cont" \
	"$(dmesg -t -l info | grep '^rust_printk: ' | tail -n 2 | tr '\n' '|' | sed 's/|$//')"
expect_eq "workflows: printk! formats as C's printk, each kind of argument" \
	"rust_printk: C's conversions: text -1 4294967295 ff -9223372036854775808 18446744073709551615|rust_printk: and: 18446744073709551615 -9223372036854775808 [   42] [7  ] [005] %" \
	"$(dmesg -t -l info | grep -E '^rust_printk: (C.s conversions|and):' | tail -n 2 | tr '\n' '|' | sed 's/|$//')"
if [[ $(uname -r) == *-debug ]]; then
	expect_eq "workflows: pr_debug! prints on the debug kernel (Rust debug assertions)" \
		"rust_printk: a debug message (KERN_DEBUG)" "$(dmesg -t -l debug | grep '^rust_printk: ')"
else
	expect_eq "workflows: pr_debug! prints nothing without Rust debug assertions" "" \
		"$(dmesg -t -l debug | grep '^rust_printk: ')"
fi
rmmod rust_printk
