# SPDX-License-Identifier: GPL-2.0
# rust_tcpprobe's record mode in every context tcp_sendmsg_locked runs in: TCP sends made in
# softirq context on every CPU (tests/softirq-send's timers) while a reader reads, with those of
# senders on every CPU at once; who a softirq's send is recorded as, and the pid filter against
# it; counters that only grow across toggles and moves of the probe; no send recorded twice
# while the probe moves; a reader whose buffer faults loses nothing. On the debug and RT kernels
# the kernel-log scan after the suites (lockdep, DEBUG_ATOMIC_SLEEP, KASAN) is the rest.

P=/sys/module/rust_tcpprobe/parameters
F=/proc/net/rust_tcpprobe
CPUS=$(nproc)

# lines_for PORT FILE: the lines of FILE whose destination port is PORT.
lines_for() { awk -v p="127.0.0.1:$1" '$5 == p' "$2"; }

# wait_lines PORT FILE N: waits until FILE (written by a reader) holds N lines for PORT, 60 s
# at most; prints how many it holds then.
wait_lines() {
	local deadline=$((SECONDS + 60)) n
	while :; do
		n=$(lines_for "$1" "$2" | grep -c . || true)
		if [ "$n" -ge "$3" ] || [ "$SECONDS" -ge "$deadline" ]; then
			echo "$n"
			return
		fi
		sleep 0.2
	done
}

# in_time_order FILE: the first field (when the call returned) never decreases; prints the
# first line out of order, if any.
in_time_order() { awk 'NR > 1 && $1 < prev { print NR ": " $0; exit } { prev = $1 }' "$1"; }

# sized_sends PORT N: one connection to a receiver on 127.0.0.1:PORT making N sends of 1, 2,
# ..., N bytes: every send has a size of its own.
sized_sends() {
	python3 -c '
import socket, sys, threading
port, n = int(sys.argv[1]), int(sys.argv[2])
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
server.listen(1)
def receive():
    conn, _ = server.accept()
    while conn.recv(1 << 16):
        pass
threading.Thread(target=receive, daemon=True).start()
client = socket.create_connection(("127.0.0.1", port))
client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for size in range(1, n + 1):
    client.sendall(b"x" * size)
client.close()
' "$1" "$2"
}

run_cmd insmod rust_tcpprobe.ko log_every=0 records=1
expect_eq "contexts: insmod rust_tcpprobe.ko log_every=0 records=1 succeeds" "0:" "$RC:$OUT"

# Sends in softirq context on every CPU, while cat reads.
cat $F >/tmp/contexts.cat &
reader=$!
drops=$(cat $P/drops)
run_cmd tests/softirq-sends 5201 10 20
sent=$(sed -n 's/^sent=\([0-9]*\) busy=0 failed=\([0-9]*\)$/\1/p' <<<"$OUT")
failed=$(sed -n 's/^sent=[0-9]* busy=0 failed=\([0-9]*\)$/\1/p' <<<"$OUT")
expect_eq "contexts: 10 sends a tick for 20 ticks from a timer on each of the $CPUS CPUs (softirq) are made" \
	"0:$((10 * 20 * CPUS))" "$RC:$((${sent:-0} + ${failed:-0}))"
expect_eq "contexts: cat reads a line for each of the $sent sends made in softirq context" \
	"$sent" "$(wait_lines 5201 /tmp/contexts.cat "$sent")"
kill $reader
wait $reader 2>/dev/null || true
expect_eq "contexts: ... each with pid 0 and [softirq]" "0 [softirq]" \
	"$(lines_for 5201 /tmp/contexts.cat | awk '{ print $2, $3 }' | sort -u)"
expect_eq "contexts: ... sizes and results of 64 bytes" "64 64" \
	"$(lines_for 5201 /tmp/contexts.cat | awk '{ print $6, $7 }' | sort -u)"
expect_eq "contexts: ... from one socket" "1" \
	"$(lines_for 5201 /tmp/contexts.cat | awk '{ print $4 }' | sort -u | grep -c .)"
expect_eq "contexts: ... in time order" "" "$(in_time_order /tmp/contexts.cat)"
expect_eq "contexts: ... and nothing dropped" "$drops" "$(cat $P/drops)"

# The pid filter never matches a send made in softirq context, whatever task it interrupted:
# here a busy loop on every CPU, whose pid the filter names.
busy=()
for cpu in $(seq 0 $((CPUS - 1))); do
	taskset -c "$cpu" sh -c 'while :; do :; done' &
	busy+=($!)
done
echo "${busy[0]}" >$P/pid
run_cmd tests/softirq-sends 5202 5 20
kill "${busy[@]}"
wait "${busy[@]}" 2>/dev/null || true
echo 0 >$P/pid
expect_eq "contexts: pid=<a busy loop's>: softirq sends that interrupt it are not recorded" \
	"0:" "$RC:$(tests/read-records | awk '$5 == "127.0.0.1:5202"')"

# Senders on every CPU at once, and softirq sends beside them: every send arrives once, or is
# counted in drops (a return probe has a bounded number of calls it can follow at once), and the
# lines come in time order.
drops=$(cat $P/drops)
cat $F >/tmp/contexts.cat &
reader=$!
senders=()
for cpu in $(seq 0 $((CPUS - 1))); do
	taskset -c "$cpu" tests/tcp-traffic --port $((5210 + cpu)) --sends 300 >/dev/null &
	senders+=($!)
done
run_cmd tests/softirq-sends 5203 5 20
sent=$(sed -n 's/^sent=\([0-9]*\) .*/\1/p' <<<"$OUT")
wait "${senders[@]}"
total=$((300 * CPUS + ${sent:-0}))
# accounted: the lines of these sends read so far, plus the drops since they began.
accounted() {
	echo $(($(awk '$5 ~ /:52(03|1[0-9])$/' /tmp/contexts.cat | grep -c . || true) + $(cat $P/drops) - drops))
}
deadline=$((SECONDS + 60))
while [ "$(accounted)" -lt "$total" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
kill $reader
wait $reader 2>/dev/null || true
expect_eq "contexts: $CPUS senders of 300 sends, one per CPU, and $sent softirq sends: each recorded once or counted in drops" \
	"$total" "$(accounted)"
for cpu in $(seq 0 $((CPUS - 1))); do
	check "contexts: ... the sender on CPU $cpu has at most its 300 lines" \
		test "$(lines_for $((5210 + cpu)) /tmp/contexts.cat | grep -c .)" -le 300
done
echo "# contexts: $(($(cat $P/drops) - drops)) of the $total sends counted in drops"
expect_eq "contexts: ... all in time order across CPUs" "" "$(in_time_order /tmp/contexts.cat)"
expect_eq "contexts: ... the task senders' lines name python3, the others [softirq]" \
	"[softirq] python3" "$(awk '$5 ~ /:52(03|1[0-9])$/ { print $3 }' /tmp/contexts.cat | sort -u | tr '\n' ' ' | sed 's/ $//')"

# A reader whose buffer faults gets EFAULT, and the records stay for the next read.
traffic --port 5220 --sends 3
run_cmd python3 -c '
import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open("/proc/net/rust_tcpprobe", os.O_RDONLY | os.O_NONBLOCK)
n = libc.read(fd, ctypes.c_void_p(1), 4096)
print(n, errno.errorcode.get(ctypes.get_errno()))
'
expect_eq "contexts: read() into an unmapped buffer fails with EFAULT" "0:-1 EFAULT" "$RC:$OUT"
expect_eq "contexts: ... and the 3 records are read next time" "3" \
	"$(tests/read-records | awk '$5 == "127.0.0.1:5220"' | grep -c .)"

# Counters only grow: drops and missed across toggles of records and moves of the probe.
drops=$(cat $P/drops)
echo 0 >$P/records
echo 2 >$P/bufsize
echo 1 >$P/records
taskset -c 0 tests/tcp-traffic --port 5221 --sends 10 >/dev/null
full=$(cat $P/drops)
expect_eq "contexts: bufsize=2 per CPU: 10 sends from CPU 0 drop 8" "8" "$((full - drops))"
samples=$full
for step in "records=0" "records=1" "symbol=tcp_sendmsg" "records=0" "bufsize=4096" \
	"records=1" "symbol=tcp_sendmsg_locked,tcp_sendmsg"; do
	echo -n "${step#*=}" >"$P/${step%%=*}"
	traffic --port 5222 --sends 5
	samples="$samples $(cat $P/drops)"
done
expect_eq "contexts: drops never decreases across records toggles, a resize and moves of the probe" \
	"" "$(tr ' ' '\n' <<<"$samples" | awk 'NR > 1 && $1 < prev { print } { prev = $1 }')"
missed=$(cat $P/missed)
echo -n tcp_sendmsg >$P/symbol
echo -n tcp_sendmsg_locked,tcp_sendmsg >$P/symbol
check "contexts: missed does not go back when the probe moves" test "$(cat $P/missed)" -ge "$missed"
tests/read-records >/dev/null

# Moving the probe to and fro under sends, each of its own size: no send is recorded twice, and
# every send not recorded is counted in drops.
drops=$(cat $P/drops)
sized_sends 5230 400 &
sender=$!
moves=0
while kill -0 $sender 2>/dev/null && [ $moves -lt 40 ]; do
	echo -n tcp_sendmsg >$P/symbol
	echo -n tcp_sendmsg_locked,tcp_sendmsg >$P/symbol
	moves=$((moves + 2))
done
wait $sender
recorded=$(tests/read-records | awk '$5 == "127.0.0.1:5230" { print $6 }')
expect_eq "contexts: $moves moves of the probe under 400 sends: no size recorded twice" "" \
	"$(sort -n <<<"$recorded" | uniq -d | head -n 5)"
lost=$(($(cat $P/drops) - drops))
n=$(grep -c . <<<"$recorded" || true)
check "contexts: ... and the $n recorded plus the $lost counted in drops make 400 or more" \
	test $((n + lost)) -ge 400

run_cmd rmmod rust_tcpprobe
expect_eq "contexts: rmmod rust_tcpprobe succeeds" "0:" "$RC:$OUT"
expect_eq "contexts: ... and no kprobe or fprobe is left" "" "$(live_probes)"
