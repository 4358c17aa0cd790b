# SPDX-License-Identifier: GPL-2.0
# rust_tcpprobe: the seed's session with real TCP traffic, refused symbols, counters, the log
# bound, re-arming, and rmmod under traffic.

P=/sys/module/rust_tcpprobe/parameters
KPROBES=/sys/kernel/debug/kprobes/list

planted_addr() { klog_since | sed -n 's/^rust_tcpprobe: Planted kprobe at \([0-9a-f]*\)$/\1/p'; }

# expect_handler_lines WHAT VALUE SENDS: SENDS TCP sends log at least as many handler_pre and
# handler_post lines with no_use_variable VALUE.
expect_handler_lines() {
	klog_mark
	traffic --sends "$3"
	if [ "$(count_lines "$(pre_line "$2")")" -ge "$3" ] &&
		[ "$(count_lines "$(post_line "$2")")" -ge "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "$(klog_since)"
	fi
}

# insmod, then TCP traffic: both handler lines, with no_use's default 0.
klog_mark
run_cmd insmod rust_tcpprobe.ko
expect_eq "tcpprobe: insmod rust_tcpprobe.ko succeeds" "0:" "$RC:$OUT"
addr=$(planted_addr)
if [[ $addr =~ ^[0-9a-f]{16}$ ]]; then
	ok "tcpprobe: dmesg has 'Planted kprobe at $addr'"
else
	not_ok "tcpprobe: dmesg has 'Planted kprobe at <address>'" "$(klog_since)"
fi
real=$(awk '$3 == "tcp_sendmsg_locked" { print $1 }' /proc/kallsyms)
if [ -n "$real" ] && [ "${addr:0:8}" != ffffffff ] && [ "$addr" != "$real" ]; then
	ok "tcpprobe: the address is hashed as by %p, not the raw $real"
else
	not_ok "tcpprobe: the address is hashed as by %p" "printed $addr, kallsyms $real"
fi
expect_eq "tcpprobe: the kprobe is registered on tcp_sendmsg_locked" "1" \
	"$(grep -c ' tcp_sendmsg_locked+0x[0-9a-f]*' $KPROBES)"
expect_eq "tcpprobe: parameters in sysfs (the seed's no_use and symbol, plus the new ones)" \
	"bufsize drops hits log_every missed no_use pid port probed records records_via symbol" \
	"$(ls $P | tr '\n' ' ' | sed 's/ $//')"
expect_eq "tcpprobe: symbol reads tcp_sendmsg_locked,tcp_sendmsg" "tcp_sendmsg_locked,tcp_sendmsg" \
	"$(cat $P/symbol)"
expect_eq "tcpprobe: probed reads tcp_sendmsg_locked" "tcp_sendmsg_locked" "$(cat $P/probed)"
klog_mark
traffic --sends 3
pre=$(count_lines "$(pre_line 0)")
post=$(count_lines "$(post_line 0)")
if [ "$pre" -ge 3 ] && [ "$post" = "$pre" ]; then
	ok "tcpprobe: 3 TCP sends log $pre handler_pre and $post handler_post lines with 0"
else
	not_ok "tcpprobe: 3 TCP sends log both handler lines with 0" "pre $pre, post $post" \
		"$(klog_since)"
fi
hits=$(cat $P/hits)
expect_eq "tcpprobe: the hits counter matches the lines logged" "$pre" "$hits"
expect_eq "tcpprobe: no missed hits" "0" "$(cat $P/missed)"
run_cmd bash -c "echo 5 > $P/hits"
expect_eq "tcpprobe: hits is read-only in sysfs" \
	"1:bash: line 1: $P/hits: Permission denied" "$RC:$OUT"

# A sysfs write of no_use shows in the next hits, without reloading.
echo 100 >$P/no_use
expect_handler_lines "tcpprobe: after echo 100 > no_use, the handlers log 100" 100 2

klog_mark
run_cmd rmmod rust_tcpprobe
expect_eq "tcpprobe: rmmod succeeds" "0:" "$RC:$OUT"
expect_klog "tcpprobe: dmesg has 'kprobe at $addr unregistered'" \
	"rust_tcpprobe: kprobe at $addr unregistered"
expect_eq "tcpprobe: no kprobe is left registered" "" "$(cat $KPROBES)"

# Reload with no_use=9.
insmod rust_tcpprobe.ko no_use=9
expect_handler_lines "tcpprobe: loaded with no_use=9, the handlers log 9" 9 2

# modinfo: the seed's two parm lines.
parms=$(modinfo rust_tcpprobe.ko | grep '^parm:')
for line in "parm:           symbol:string" "parm:           no_use:this parameter is useless (int)"; do
	if grep -qxF -- "$line" <<<"$parms"; then
		ok "tcpprobe: modinfo has '$line'"
	else
		not_ok "tcpprobe: modinfo has '$line'" "$parms"
	fi
done

# The log bound: log_every=0 logs nothing, log_every=N one hit in N; the counter counts all.
echo 0 >$P/log_every
before=$(cat $P/hits)
klog_mark
traffic --sends 2000
after=$(cat $P/hits)
logged=$(klog_since | grep -c 'handler_\(pre\|post\) executed' || true)
if [ "$logged" = 0 ] && [ $((after - before)) -ge 2000 ]; then
	ok "tcpprobe: log_every=0: 2000 sends, $((after - before)) hits counted, nothing logged"
else
	not_ok "tcpprobe: log_every=0: 2000 sends, nothing logged" \
		"hits $before -> $after, $logged lines logged"
fi
echo 0 >$P/no_use
echo 1000 >$P/log_every
before=$(cat $P/hits)
klog_mark
traffic --sends 5000
after=$(cat $P/hits)
pre=$(count_lines "$(pre_line 0)")
post=$(count_lines "$(post_line 0)")
# Hits number `before + 1` to `after`; those with (n - 1) % 1000 == 0 are logged.
expected=$(((after - 1) / 1000 - (before - 1) / 1000))
if [ "$pre" = "$expected" ] && [ "$post" -ge $((expected - 1)) ] && [ "$post" -le $((expected + 1)) ]; then
	ok "tcpprobe: log_every=1000: $((after - before)) hits logged $pre pre and $post post lines"
else
	not_ok "tcpprobe: log_every=1000 bounds the log" \
		"hits $before -> $after: expected $expected pre lines, got $pre pre, $post post"
fi
echo 1 >$P/log_every

# Re-arming: a new symbol moves the probe there, logged like a fresh load.
old_addr=$(dmesg -t | sed -n 's/^rust_tcpprobe: Planted kprobe at \([0-9a-f]*\)$/\1/p' | tail -n 1)
klog_mark
run_cmd bash -c "echo -n tcp_recvmsg > $P/symbol"
expect_eq "tcpprobe: writing tcp_recvmsg to symbol succeeds" "0:" "$RC:$OUT"
new_addr=$(planted_addr)
expect_klog "tcpprobe: re-arming logs 'Planted kprobe at ...'" \
	"rust_tcpprobe: Planted kprobe at $new_addr"
expect_klog "tcpprobe: ... and 'kprobe at $old_addr unregistered'" \
	"rust_tcpprobe: kprobe at $old_addr unregistered"
expect_eq "tcpprobe: symbol reads tcp_recvmsg" "tcp_recvmsg" "$(cat $P/symbol)"
expect_eq "tcpprobe: the kprobe moved to tcp_recvmsg" "tcp_recvmsg" \
	"$(sed -n 's/.* \(tcp_[a-z_]*\)+0x.*/\1/p' $KPROBES)"
klog_mark
traffic --sends 3
if [ "$(count_lines "$(pre_line 0)")" -ge 1 ]; then
	ok "tcpprobe: received data hits the probe on tcp_recvmsg"
else
	not_ok "tcpprobe: received data hits the probe on tcp_recvmsg" "$(klog_since)"
fi

klog_mark
run_cmd bash -c "echo -n no_such_function > $P/symbol"
expect_eq "tcpprobe: re-arming to a missing function fails with the error" \
	"1:bash: line 1: echo: write error: No such file or directory" "$RC:$OUT"
expect_klog "tcpprobe: ... logging 'register_kprobe failed, returned -2'" \
	"rust_tcpprobe: register_kprobe failed, returned -2"
expect_eq "tcpprobe: ... symbol keeps tcp_recvmsg" "tcp_recvmsg" "$(cat $P/symbol)"
expect_eq "tcpprobe: ... and the probe stays on tcp_recvmsg" "tcp_recvmsg" \
	"$(sed -n 's/.* \(tcp_[a-z_]*\)+0x.*/\1/p' $KPROBES)"
echo -n tcp_sendmsg_locked >$P/symbol

# rmmod while traffic runs: no oops, no warning, the traffic goes on.
echo 100 >$P/log_every
tests/tcp-traffic --sends 100000000 --seconds 8 >/tmp/traffic.out 2>&1 &
sender=$!
sleep 3
klog_mark
run_cmd rmmod rust_tcpprobe
expect_eq "tcpprobe: rmmod while TCP traffic runs succeeds" "0:" "$RC:$OUT"
wait $sender
expect_eq "tcpprobe: ... the traffic carried on" "0" "$?"
check_fails "tcpprobe: ... and the kernel logged no oops or warning" \
	grep -E 'BUG|WARNING|Oops|Call Trace' <<<"$(klog_since)"
expect_eq "tcpprobe: ... and no kprobe is left registered" "" "$(cat $KPROBES)"

# Refused symbols: insmod fails with the error, dmesg says why, nothing stays.
# refused SYMBOL ERRNO INSMOD_MESSAGE
refused() {
	klog_mark
	run_cmd insmod rust_tcpprobe.ko symbol="$1"
	expect_eq "tcpprobe: insmod symbol=$1 fails: $3" \
		"1:insmod: ERROR: could not insert module rust_tcpprobe.ko: $3" "$RC:$OUT"
	expect_klog "tcpprobe: ... with 'register_kprobe failed, returned $2'" \
		"rust_tcpprobe: register_kprobe failed, returned $2"
	check_fails "tcpprobe: ... and nothing stays loaded" test -e /sys/module/rust_tcpprobe
	expect_eq "tcpprobe: ... nor registered" "" "$(cat $KPROBES)"
}
refused no_such_function -2 "Unknown symbol in module"
# notifier_call_chain is on the kprobe blacklist (NOKPROBE_SYMBOL).
refused notifier_call_chain -22 "Invalid parameters"
