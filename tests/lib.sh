# SPDX-License-Identifier: GPL-2.0
# Helpers for the test suites, sourced inside the guest. Every check prints one TAP line,
# `ok N - what` or `not ok N - what` followed by `#` lines saying what was seen instead.

T_PASS=${T_PASS:-0}
T_FAIL=${T_FAIL:-0}

ok() {
	T_PASS=$((T_PASS + 1))
	echo "ok $((T_PASS + T_FAIL)) - $1"
}

# not_ok WHAT [DETAIL...]
not_ok() {
	T_FAIL=$((T_FAIL + 1))
	echo "not ok $((T_PASS + T_FAIL)) - $1"
	shift
	local line
	for line in "$@"; do
		printf '%s\n' "$line" | sed 's/^/#   /'
	done
}

# check WHAT CMD...: CMD exits 0.
check() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$what"; else not_ok "$what" "command: $*" "$out"; fi
}

# check_fails WHAT CMD...: CMD exits non-zero.
check_fails() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then not_ok "$what" "command succeeded: $*" "$out"; else ok "$what"; fi
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "expected: $2" "actual:   $3"
	fi
}

# run_cmd CMD...: run CMD, keep its stdout+stderr in $OUT and its exit status in $RC.
run_cmd() {
	RC=0
	OUT=$("$@" 2>&1) || RC=$?
}

# klog_mark: put a mark in the kernel log; klog_since prints what came after it, without
# timestamps (as `dmesg -t` shows it). A written mark, not a line count: a count goes wrong
# once the log buffer is full and drops its oldest lines. (scripts/guest-setup turns off the
# rate limit on /dev/kmsg writes, which would drop marks.)
KLOG_N=0
klog_mark() {
	KLOG_N=$((KLOG_N + 1))
	KLOG_MARK="tests: mark $KLOG_N of $$"
	echo "<7>$KLOG_MARK" >/dev/kmsg
}
klog_since() { dmesg -t | awk -v mark="$KLOG_MARK" 'seen { print } $0 == mark { seen = 1 }'; }

# expect_klog WHAT LINE: the kernel log since the mark has exactly this line.
expect_klog() {
	local log
	log=$(klog_since)
	if grep -qxF -- "$2" <<<"$log"; then
		ok "$1"
	else
		not_ok "$1" "no dmesg line: $2" "dmesg since the mark:" "$log"
	fi
}

# count_lines LINE: how many times the kernel log since the mark has exactly this line.
count_lines() { klog_since | grep -cxF -- "$1" || true; }

# traffic ARG...: real TCP traffic over loopback (tests/tcp-traffic), quietly.
traffic() { tests/tcp-traffic "$@" >/dev/null; }
# start_traffic SECONDS: a sender that runs without pause, in the background ($traffic_pid);
# its output goes to /tmp/traffic.out.
start_traffic() {
	tests/tcp-traffic --sends 1000000000 --seconds "$1" >/tmp/traffic.out 2>&1 &
	traffic_pid=$!
}
# stop_traffic: stop that sender.
stop_traffic() {
	kill -TERM "$traffic_pid"
	wait "$traffic_pid"
}

# The lines rust_tcpprobe's handlers log, with no_use_variable VALUE.
pre_line() { echo "rust_tcpprobe: tcpprobe handler_pre executed, no_use_variable is $1"; }
post_line() { echo "rust_tcpprobe: tcpprobe handler_post executed, no_use_variable is $1"; }

# live_kprobes: the registered kprobes, but the inert ones that kprobes keeps without an
# address when it could not disarm them (see lib/kprobe.rs's Drop; only fault injection does
# it).
live_kprobes() { grep -v '^0000000000000000 ' /sys/kernel/debug/kprobes/list || true; }

# default_via: the probe rust_tcpprobe records through by default: fprobe where the kernel has
# fprobe (CONFIG_FPROBE: register_fprobe_syms is in kallsyms), else kretprobe.
default_via() {
	if grep -qw register_fprobe_syms /proc/kallsyms; then echo fprobe; else echo kretprobe; fi
}

# live_probes: live_kprobes, and the functions that ftrace calls a callback at (fprobes, and
# kprobes on ftrace sites), as tracefs lists them (or why it cannot: never nothing).
live_probes() {
	live_kprobes
	cat /sys/kernel/tracing/enabled_functions 2>&1
}

# module_loaded NAME: lsmod lists it.
module_loaded() { lsmod | awk -v m="$1" '$1 == m { found = 1 } END { exit !found }'; }
