# SPDX-License-Identifier: GPL-2.0
# rust_fcount: counts the calls of a function through an fprobe (or a kprobe): exact counts of
# getppid() calls made here, both kinds of probe, bad input refused with nothing left behind.

P=/sys/module/rust_fcount/parameters
via=$(default_via | sed 's/kretprobe/kprobe/')
# The syscall getppid() enters (its name is per architecture), and N calls of it.
getppid=$(awk '$3 ~ /^__(x64|arm64)_sys_getppid$/ { print $3; exit }' /proc/kallsyms)
[ -n "$getppid" ] || not_ok "fcount: /proc/kallsyms has getppid()'s syscall entry" \
	"no __x64_sys_getppid or __arm64_sys_getppid"
# Every kernel here has fprobe but 6.12 on arm64 (its fprobe needs DYNAMIC_FTRACE_WITH_REGS).
if [ "$(uname -m)" = x86_64 ] || [[ $(uname -r) != 6.12* ]]; then
	expect_eq "fcount: this kernel has fprobe" fprobe "$via"
fi
getppids() { python3 -c 'import os, sys
for _ in range(int(sys.argv[1])): os.getppid()' "$1"; }

klog_mark
run_cmd insmod rust_fcount.ko
expect_eq "fcount: insmod rust_fcount.ko succeeds" "0:" "$RC:$OUT"
if [ "$via" = fprobe ]; then
	expect_klog "fcount: it counts vfs_read through an fprobe by default" \
		"rust_fcount: counting calls of vfs_read through an fprobe"
else
	line=$(klog_since | grep '^rust_fcount: counting calls of vfs_read through a kprobe at ' || true)
	check "fcount: it counts vfs_read through a kprobe where the kernel has no fprobe" \
		test -n "$line"
fi
expect_eq "fcount: parameters in sysfs" "calls function missed via" "$(ls $P | tr '\n' ' ' | sed 's/ $//')"
expect_eq "fcount: function, via and missed read vfs_read, $via, 0" "vfs_read $via 0" \
	"$(cat $P/function $P/via $P/missed | tr '\n' ' ' | sed 's/ $//')"
before=$(cat $P/calls)
cat /proc/version >/dev/null
after=$(cat $P/calls)
check "fcount: a cat (a vfs_read or more) makes calls grow ($before, then $after)" test "$after" -gt "$before"
klog_mark
run_cmd rmmod rust_fcount
expect_eq "fcount: rmmod rust_fcount succeeds" "0:" "$RC:$OUT"
line=$(klog_since | grep -E '^rust_fcount: vfs_read: [0-9]+ calls$' || true)
check "fcount: ... and logs 'vfs_read: <n> calls'" test -n "$line"
expect_eq "fcount: ... and no probe is left" "" "$(live_probes)"

expect_eq "fcount: modinfo description" \
	"count the calls of a kernel function through an fprobe, a direct call or a kprobe" \
	"$(modinfo -F description rust_fcount.ko)"

# Exact counts: 5000 getppid() calls through each kind of probe this kernel has (direct calls:
# x86_64 with CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS, which exports register_ftrace_direct).
vias=(kprobe)
[ "$via" = kprobe ] || vias=(fprobe kprobe)
direct=no
if [ "$(uname -m)" = x86_64 ] && grep -qw register_ftrace_direct /proc/kallsyms; then
	direct=yes vias+=(direct)
fi
if [ "$(uname -m)" = x86_64 ]; then
	expect_eq "fcount: this x86_64 kernel has direct calls" yes "$direct"
fi
for v in "${vias[@]}"; do
	run_cmd insmod rust_fcount.ko function="$getppid" via=$v
	expect_eq "fcount: insmod function=$getppid via=$v succeeds" "0:" "$RC:$OUT"
	before=$(cat $P/calls)
	getppids 5000
	after=$(cat $P/calls)
	# (Other processes seldom call getppid(): a few more at most.)
	check "fcount: via=$v: 5000 getppid() calls counted ($((after - before)))" \
		test $((after - before)) -ge 5000 -a $((after - before)) -lt 5100
	expect_eq "fcount: via=$v: none missed" 0 "$(cat $P/missed)"
	rmmod rust_fcount
done
if [ "$direct" = yes ]; then
	# A direct call beside another ftrace user of the same function, the function tracer
	# (ftrace's caller then runs the tracer, then returns into the trampoline): 20 TCP sends,
	# each counted by the one and traced by the other.
	T=/sys/kernel/tracing
	klog_mark
	insmod rust_fcount.ko function=tcp_sendmsg_locked via=direct
	expect_klog "fcount: via=direct logs 'counting calls of tcp_sendmsg_locked through a direct call'" \
		"rust_fcount: counting calls of tcp_sendmsg_locked through a direct call"
	echo tcp_sendmsg_locked >$T/set_ftrace_filter
	echo function >$T/current_tracer
	echo >$T/trace
	before=$(cat $P/calls)
	tests/tcp-traffic --port 5109 --sends 20 >/dev/null
	after=$(cat $P/calls)
	traced=$(grep -c ' tcp_sendmsg_locked <-' $T/trace || true)
	echo nop >$T/current_tracer
	echo >$T/set_ftrace_filter
	what="20 sends counted ($((after - before))) and traced ($traced)"
	check "fcount: a direct call and the function tracer on tcp_sendmsg_locked: $what" \
		test $((after - before)) -ge 20 -a $((after - before)) -lt 40 -a "$traced" -ge 20 \
		-a "$traced" -lt 40
	before=$(cat $P/calls)
	tests/tcp-traffic --port 5109 --sends 10 >/dev/null
	after=$(cat $P/calls)
	check "fcount: ... and the direct call alone once the tracer is off ($((after - before)))" \
		test $((after - before)) -ge 10 -a $((after - before)) -lt 30
	rmmod rust_fcount
	expect_eq "fcount: ... and neither is left" "" "$(live_probes)"
	# ftrace refuses a direct call beside a user that may change the instruction pointer:
	# rust_tcpprobe's kprobe has a post-handler. Refused with EBUSY, nothing left, and the
	# kprobe counts on.
	insmod rust_tcpprobe.ko log_every=0
	run_cmd insmod rust_fcount.ko function=tcp_sendmsg_locked via=direct
	expect_eq "fcount: via=direct beside rust_tcpprobe's kprobe (post-handler) is refused with EBUSY" \
		"1:insmod: ERROR: could not insert module rust_fcount.ko: Device or resource busy" \
		"$RC:$OUT"
	before=$(cat /sys/module/rust_tcpprobe/parameters/hits)
	tests/tcp-traffic --port 5109 --sends 10 >/dev/null
	after=$(cat /sys/module/rust_tcpprobe/parameters/hits)
	check "fcount: ... and the kprobe counts on ($((after - before)) of 10 sends)" \
		test $((after - before)) -ge 10 -a $((after - before)) -lt 30
	klog_mark
	rmmod rust_tcpprobe
	expect_eq "fcount: ... and unloads cleanly: no probe left, no error logged" ":" \
		"$(live_probes):$(klog_since | grep -i 'failed\|left' || true)"
fi

# Bad input: clear errors, nothing left.
for v in "${vias[@]}"; do
	klog_mark
	run_cmd insmod rust_fcount.ko function=no_such_function via=$v
	expect_eq "fcount: via=$v function=no_such_function fails with ENOENT (kmod's words for it)" \
		"1:insmod: ERROR: could not insert module rust_fcount.ko: Unknown symbol in module" "$RC:$OUT"
	expect_klog "fcount: ... logging 'cannot probe no_such_function (-2)'" \
		"rust_fcount: cannot probe no_such_function (-2)"
	check_fails "fcount: ... and it is not loaded" module_loaded rust_fcount
done
if [ "$direct" = yes ]; then
	# A function of a module is refused: ftrace would keep the direct call past the module.
	# (A C module's: Rust modules have no ftrace sites. As MODULE:FUNCTION, which kallsyms
	# finds in that module only.)
	modfn=$(awk '$2 ~ /^\[.*\]$/ { gsub(/[][]/, "", $2); print $2 ":" $1; exit }' \
		/sys/kernel/tracing/available_filter_functions)
	if [ -n "$modfn" ]; then
		run_cmd insmod rust_fcount.ko function="$modfn" via=direct
		expect_eq "fcount: via=direct on a module's function ($modfn) is refused with EOPNOTSUPP, nothing left" \
			"1:insmod: ERROR: could not insert module rust_fcount.ko: Operation not supported:" \
			"$RC:$OUT:$(live_probes)"
	else
		# (A kernel with everything built in, the debug kernel: no module's function to try.
		# Debian's kernels, CI's normal ones, have modules.)
		ok "fcount: via=direct on a module's function # SKIP no module's function in available_filter_functions"
	fi
	# One function by its name, not ftrace's patterns or commands.
	for value in 'vfs_*' '!vfs_read' 'vfs_read:mod:ext4' ''; do
		run_cmd insmod rust_fcount.ko function="$value" via=direct
		expect_eq "fcount: via=direct function='$value' is refused with ENOENT, nothing left" \
			"1:insmod: ERROR: could not insert module rust_fcount.ko: Unknown symbol in module:" \
			"$RC:$OUT:$(live_probes)"
	done
fi
for value in bogus kretprobe; do
	run_cmd insmod rust_fcount.ko via=$value
	expect_eq "fcount: via=$value is refused" \
		"1:insmod: ERROR: could not insert module rust_fcount.ko: Invalid parameters" "$RC:$OUT"
done
if [ "$via" = kprobe ]; then
	run_cmd insmod rust_fcount.ko via=fprobe
	expect_eq "fcount: via=fprobe on a kernel without fprobe is refused with EOPNOTSUPP" \
		"1:insmod: ERROR: could not insert module rust_fcount.ko: Operation not supported" "$RC:$OUT"
fi
if [ "$direct" = no ]; then
	run_cmd insmod rust_fcount.ko via=direct
	expect_eq "fcount: via=direct on a kernel without direct calls is refused with EOPNOTSUPP" \
		"1:insmod: ERROR: could not insert module rust_fcount.ko: Operation not supported" "$RC:$OUT"
fi
check_fails "fcount: ... and none of them loaded it" module_loaded rust_fcount
expect_eq "fcount: ... nor left a probe" "" "$(live_probes)"
