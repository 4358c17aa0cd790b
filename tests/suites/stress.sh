# SPDX-License-Identifier: GPL-2.0
# Stress, meant for the debug kernel (tests/run --debug stress): rust_tcpprobe loaded and
# unloaded in a loop while TCP traffic flows without pause and another process rewrites every
# writable parameter with valid and invalid values (record mode on and off among them), a
# reader reads the records file, and (x86_64) rust_fcount plants and removes a direct call
# on tcp_sendmsg; then re-arming `symbol` under traffic.
# The kernel-log scan at the end of the run catches any splat or leak.
# STRESS_CYCLES (default 200; CI 100) and STRESS_REARMS (default 200) set the counts.

P=/sys/module/rust_tcpprobe/parameters
cycles=${STRESS_CYCLES:-200}
rearms=${STRESS_REARMS:-200}

# The writer: every writable parameter, valid and invalid values, in a loop until stopped.
writer() {
	local values=(no_use=7 no_use=-1 no_use=abc no_use=99999999999 log_every=0 log_every=1000
		log_every=-5 log_every= symbol=tcp_sendmsg_locked symbol=no_such_function symbol=%s%n
		"symbol=$(printf 'x%.0s' $(seq 80))" records=1 port=5001 pid=1 bufsize=8 bufsize=0
		records=0 port=0 pid=0 bufsize=4096 records_via=kretprobe records=1 records=0
		records_via=bogus records_via=fprobe records=1) writes=0 v
	while [ ! -e /tmp/stop-writer ]; do
		for v in "${values[@]}"; do
			# (The braces: with the module unloaded the redirection itself fails.)
			{ printf %s "${v#*=}" >"$P/${v%%=*}"; } 2>/dev/null
			writes=$((writes + 1))
		done
	done
	echo "$writes" >/tmp/writes
}

# The reader: reads the records file whenever it is there, blocking or cut short (a reader
# blocked in read() when rmmod comes gets the end of the file); looks again every 0.2 s when
# it is not there, rather than spin on fork and exec.
reader() {
	while [ ! -e /tmp/stop-writer ]; do
		if [ -e /proc/net/rust_tcpprobe ]; then
			timeout 1 cat /proc/net/rust_tcpprobe >/dev/null 2>&1 || true
		else
			sleep 0.2
		fi
	done
}

# Direct calls, where the kernel has them (x86_64): rust_fcount planted on tcp_sendmsg, which
# every send enters, and removed, in a loop meanwhile.
direct=no
if [ "$(uname -m)" = x86_64 ] && grep -qw register_ftrace_direct /proc/kallsyms; then
	direct=yes
fi
directs() {
	local n=0
	while [ ! -e /tmp/stop-writer ]; do
		if insmod rust_fcount.ko via=direct function=tcp_sendmsg 2>/dev/null; then
			n=$((n + 1))
			rmmod rust_fcount
		fi
	done
	echo "$n" >/tmp/directs
}

rm -f /tmp/stop-writer /tmp/directs
start_traffic 100000
writer &
writer_pid=$!
reader &
reader_pid=$!
directs_pid=
if [ "$direct" = yes ]; then
	directs &
	directs_pid=$!
fi
loaded=0 hits=0 missed_sum=0 failed_loads=0
for i in $(seq "$cycles"); do
	[ $((i % 50)) = 0 ] && echo "# stress: cycle $i of $cycles"
	if insmod rust_tcpprobe.ko log_every=1000 2>/dev/null; then
		loaded=$((loaded + 1))
		sleep 0.05
		hits=$((hits + $(cat $P/hits 2>/dev/null || echo 0)))
		missed_sum=$((missed_sum + $(cat $P/missed 2>/dev/null || echo 0)))
		rmmod rust_tcpprobe || break
	else
		failed_loads=$((failed_loads + 1))
	fi
done
touch /tmp/stop-writer
wait $writer_pid $reader_pid $directs_pid
check "stress: $cycles load/unload cycles done, $loaded loaded ($failed_loads refused a bad symbol written meanwhile)" \
	test "$((loaded + failed_loads))" = "$cycles"
check_fails "stress: ... and the module is unloaded" test -e /sys/module/rust_tcpprobe
check "stress: ... and the sender is still sending" kill -0 "$traffic_pid"
if [ "$direct" = yes ]; then
	check "stress: ... and a direct call on tcp_sendmsg was planted and removed meanwhile ($(cat /tmp/directs) times)" \
		test "$(cat /tmp/directs)" -gt 0
	check_fails "stress: ... and rust_fcount is unloaded" test -e /sys/module/rust_fcount
fi
run_cmd tests/tcp-traffic --sends 200 --seconds 120
expect_eq "stress: ... and a new connection sends 200 messages" "sends=200" "${OUT%% *}"
expect_eq "stress: ... and no kprobe or fprobe is left registered" "" "$(live_probes)"
echo "# stress: $cycles cycles ($loaded loaded), $(cat /tmp/writes) parameter writes, $hits probe hits, $missed_sum missed"

# A fresh load has every parameter at its default.
insmod rust_tcpprobe.ko
expect_eq "stress: a fresh load has the defaults" "symbol=tcp_sendmsg_locked,tcp_sendmsg no_use=0 log_every=1" \
	"symbol=$(cat $P/symbol) no_use=$(cat $P/no_use) log_every=$(cat $P/log_every)"

# Re-arming under traffic: symbol moves between two functions (and fails on a missing one).
echo 1000 >$P/log_every
moved=0 refused=0
for i in $(seq "$rearms"); do
	case $((i % 3)) in
	0) target=tcp_sendmsg_locked ;;
	1) target=tcp_recvmsg ;;
	2) target=no_such_function ;;
	esac
	if printf %s "$target" >$P/symbol 2>/dev/null; then
		moved=$((moved + 1))
	else
		refused=$((refused + 1))
	fi
done
expect_eq "stress: $rearms re-arms under traffic: every missing function refused" \
	"$(((rearms + 1) / 3))" "$refused"
expect_eq "stress: ... exactly one kprobe registered" "1" "$(grep -c . /sys/kernel/debug/kprobes/list)"
hits=$(cat $P/hits) missed=$(cat $P/missed)
rmmod rust_tcpprobe
stop_traffic
echo "# stress: $moved re-arms, $refused refused, $hits probe hits, $missed missed hits"
echo "# stress: the sender, all along: $(cat /tmp/traffic.out)"
expect_eq "stress: ... and after rmmod no kprobe or fprobe is left" "" "$(live_probes)"
