# SPDX-License-Identifier: GPL-2.0
# rust_tcpprobe's record mode: one line per TCP send in /proc/net/rust_tcpprobe, with the right
# endpoints, pid, name and sizes; run-time filters; a full ring counts its drops and loses
# nothing else; blocking and non-blocking reads; the list of symbols; unloading under a reader.

P=/sys/module/rust_tcpprobe/parameters
F=/proc/net/rust_tcpprobe

# sends PORT N: a client making N 64-byte sends to a server on 127.0.0.1:PORT; sets SENDER to
# the client's pid.
sends() {
	tests/tcp-traffic --port "$1" --sends "$2" >/dev/null &
	SENDER=$!
	wait $SENDER
}

# records_of PORT [LINES]: the records read now (without waiting; they are gone then), or
# those of LINES, whose destination port is PORT.
records_of() {
	if [ $# -gt 1 ]; then
		awk -v p="127.0.0.1:$1" '$5 == p' <<<"$2"
	else
		tests/read-records | awk -v p="127.0.0.1:$1" '$5 == p'
	fi
}

run_cmd insmod rust_tcpprobe.ko log_every=0
expect_eq "records: insmod rust_tcpprobe.ko log_every=0 succeeds" "0:" "$RC:$OUT"
expect_eq "records: off by default, a ring of 4096, no filter, nothing dropped" \
	"N 4096 0 0 0" "$(cat $P/records $P/bufsize $P/port $P/pid $P/drops | tr '\n' ' ' | sed 's/ $//')"
expect_eq "records: symbol is the list tcp_sendmsg_locked,tcp_sendmsg" \
	"tcp_sendmsg_locked,tcp_sendmsg" "$(cat $P/symbol)"
expect_eq "records: probed reads tcp_sendmsg_locked, the first of the list" \
	"tcp_sendmsg_locked" "$(cat $P/probed)"
expect_eq "records: $F is the root-only file of the old tcp_probe's" "-r-------- root" \
	"$(stat -c '%A %U' $F)"
sends 5100 3
expect_eq "records: with records off, a send records nothing" "" "$(records_of 5100)"

echo 1 >$P/records
expect_eq "records: echo 1 > records turns them on" "Y" "$(cat $P/records)"
sends 5101 3
lines=$(records_of 5101)
expect_eq "records: 3 sends make 3 lines" "3" "$(grep -c . <<<"$lines")"
# <s.ns> <pid> <comm> <src> <dst> <size> <result> <ns> <cwnd> <srtt> <snd_wnd>
fields=$(awk '{ print $2, $3, $6, $7, ($4 ~ /^127\.0\.0\.1:[0-9]+$/), ($1 ~ /^[0-9]+\.[0-9]{9}$/),
	($8 > 0), ($9 > 0), ($11 > 0) }' <<<"$lines" | sort -u)
expect_eq "records: each has the sender's pid and name, 64 bytes asked and queued, its endpoints, times, cwnd and window" \
	"$SENDER python3 64 64 1 1 1 1 1" "$fields"
expect_eq "records: all 3 from one socket (one source port)" "1" \
	"$(awk '{ print $4 }' <<<"$lines" | sort -u | grep -c .)"
expect_eq "records: read, they are gone" "" "$(records_of 5101)"

# A blocking read waits for the next send.
cat $F >/tmp/records.cat &
reader=$!
sleep 1
check "records: cat waits while there is nothing to read" kill -0 $reader
sends 5102 2
sleep 1
kill $reader
wait $reader 2>/dev/null || true
expect_eq "records: ... and prints the 2 sends that come" "2" \
	"$(awk '$5 == "127.0.0.1:5102"' /tmp/records.cat | grep -c .)"

# Filters, written at run time, apply to the next send.
echo 5104 >$P/port
sends 5103 2
sends 5104 2
got=$(tests/read-records)
expect_eq "records: port=5104: a send to 5103 is not recorded" "" "$(records_of 5103 "$got")"
expect_eq "records: ... one to 5104 is" "2" "$(records_of 5104 "$got" | grep -c .)"
echo 0 >$P/port
echo 1 >$P/pid
sends 5105 2
expect_eq "records: pid=1: another process's sends are not recorded" "" "$(records_of 5105)"
echo 0 >$P/pid
sends 5106 1
expect_eq "records: pid=0 again: they are" "$SENDER" "$(records_of 5106 | awk '{ print $2 }')"

# IPv6.
python3 -c '
import socket
server = socket.socket(socket.AF_INET6)
server.bind(("::1", 5107))
server.listen(1)
client = socket.create_connection(("::1", 5107))
client.send(b"abc")
'
expect_eq "records: an IPv6 send shows [::1]:port, 3 bytes" "[::1]:5107 3 3" \
	"$(tests/read-records | awk '$5 == "[::1]:5107" { print $5, $6, $7 }')"

# A full ring: 10 sends from one CPU into rings of 4 per CPU keep the first 4 and count 6
# drops.
echo 0 >$P/records
echo 4 >$P/bufsize
echo 1 >$P/records
drops=$(cat $P/drops)
taskset -c 0 tests/tcp-traffic --port 5108 --sends 10 >/dev/null
kept=$(records_of 5108)
expect_eq "records: bufsize=4: 10 sends from CPU 0 keep 4 records" "4" "$(grep -c . <<<"$kept")"
expect_eq "records: ... the first 4, in order" "$(sort -n <<<"$kept")" "$kept"
expect_eq "records: ... and count 6 drops" "6" "$(($(cat $P/drops) - drops))"
sends 5109 1
expect_eq "records: once read, the ring takes records again" "1" "$(records_of 5109 | grep -c .)"

# Bad values are refused and change nothing.
for value in 0 1048577 -1 abc; do
	run_cmd bash -c "echo $value > $P/bufsize"
	expect_eq "records: bufsize=$value is refused" "1" "$RC"
done
expect_eq "records: ... bufsize keeps 4" "4" "$(cat $P/bufsize)"
for value in 65536 -1; do
	run_cmd bash -c "echo $value > $P/port"
	expect_eq "records: port=$value is refused" "1" "$RC"
done
run_cmd bash -c "echo 1 > $P/drops"
expect_eq "records: drops is read-only" "1" "$RC"
echo 0 >$P/records
echo -n tcp_recvmsg >$P/symbol
run_cmd bash -c "echo 1 > $P/records"
expect_eq "records: records=1 on tcp_recvmsg, not a TCP send, is refused" \
	"1:bash: line 1: echo: write error: Invalid argument" "$RC:$OUT"
expect_eq "records: ... and records stays off" "N" "$(cat $P/records)"
echo -n tcp_sendmsg_locked,tcp_sendmsg >$P/symbol
echo 1 >$P/records
run_cmd bash -c "echo -n tcp_recvmsg > $P/symbol"
expect_eq "records: while recording, moving the probe off TCP sends is refused" \
	"1:bash: line 1: echo: write error: Invalid argument" "$RC:$OUT"
expect_eq "records: ... and the probe stays" "tcp_sendmsg_locked" "$(cat $P/probed)"

# Unloading while a reader waits: the reader gets the end of the file.
cat $F >/dev/null &
reader=$!
sleep 1
run_cmd rmmod rust_tcpprobe
expect_eq "records: rmmod while cat waits on $F succeeds" "0:" "$RC:$OUT"
run_cmd timeout 10 tail --pid=$reader -f /dev/null
expect_eq "records: ... and cat ends" "0" "$RC"
check_fails "records: ... and the file is gone" test -e $F
expect_eq "records: ... and no kprobe or fprobe is left" "" "$(live_probes)"

# The list of symbols: the first that can be probed is.
klog_mark
run_cmd insmod rust_tcpprobe.ko log_every=0 records=1 symbol=no_such_function,tcp_sendmsg
expect_eq "records: insmod symbol=no_such_function,tcp_sendmsg records=1 succeeds" "0:" "$RC:$OUT"
expect_klog "records: ... logging 'cannot probe no_such_function (-2), trying tcp_sendmsg'" \
	"rust_tcpprobe: cannot probe no_such_function (-2), trying tcp_sendmsg"
expect_eq "records: ... probed reads tcp_sendmsg" "tcp_sendmsg" "$(cat $P/probed)"
sends 5110 2
expect_eq "records: ... and sends are recorded through tcp_sendmsg" "2" \
	"$(records_of 5110 | grep -c .)"
rmmod rust_tcpprobe
run_cmd insmod rust_tcpprobe.ko records=1 symbol=tcp_recvmsg
expect_eq "records: insmod records=1 symbol=tcp_recvmsg fails: not a TCP send" \
	"1:insmod: ERROR: could not insert module rust_tcpprobe.ko: Invalid parameters" "$RC:$OUT"
check_fails "records: ... and nothing stays" test -e $F
expect_eq "records: ... nor registered" "" "$(live_probes)"

# records_via: the probe that makes the records, fprobe where the kernel has it, else a return
# probe (a kretprobe is listed by kprobes with type r; an fprobe is not). Both record alike.
via=$(default_via)
# Every kernel here has fprobe but 6.12 on arm64 (its fprobe needs DYNAMIC_FTRACE_WITH_REGS).
if [ "$(uname -m)" = x86_64 ] || [[ $(uname -r) != 6.12* ]]; then
	expect_eq "records: this kernel has fprobe" fprobe "$via"
fi
return_probes() { live_kprobes | awk '$2 == "r" { sub(/\+.*/, "", $3); print $3 }'; }
run_cmd insmod rust_tcpprobe.ko log_every=0
expect_eq "records: insmod rust_tcpprobe.ko log_every=0 succeeds" "0:" "$RC:$OUT"
expect_eq "records: records_via is $via by default, this kernel's cheapest" "$via" \
	"$(cat $P/records_via)"
vias=(kretprobe)
[ "$via" = kretprobe ] || vias=(fprobe kretprobe)
port=5120
for v in "${vias[@]}"; do
	echo -n $v >$P/records_via
	echo 1 >$P/records
	if [ $v = kretprobe ]; then
		expected=tcp_sendmsg_locked what="a return probe on tcp_sendmsg_locked"
	else
		expected="" what="no return probe"
	fi
	expect_eq "records: records_via=$v: $what" "$expected" "$(return_probes)"
	sends $port 3
	lines=$(records_of $port)
	expect_eq "records: records_via=$v: 3 sends make 3 lines, with the sender's pid and name, 64 bytes asked and queued" \
		"3:$SENDER python3 64 64" "$(grep -c . <<<"$lines"):$(awk '{ print $2, $3, $6, $7 }' <<<"$lines" | sort -u)"
	echo 0 >$P/records
	expect_eq "records: records_via=$v: records=0 removes it" "" "$(return_probes)"
	port=$((port + 1))
done
# A new kind takes effect when record mode's probe is next planted: records=1, or a move.
echo -n kretprobe >$P/records_via
echo 1 >$P/records
if [ "$via" = fprobe ]; then
	echo -n fprobe >$P/records_via
	expect_eq "records: records_via=fprobe while a return probe records leaves it" \
		"tcp_sendmsg_locked" "$(return_probes)"
	echo -n tcp_sendmsg >$P/symbol
	expect_eq "records: ... until the probe moves (symbol=tcp_sendmsg): then an fprobe records" \
		"" "$(return_probes)"
	sends 5130 2
	expect_eq "records: ... and the sends are recorded" "2" "$(records_of 5130 | grep -c .)"
	echo -n tcp_sendmsg_locked,tcp_sendmsg >$P/symbol
else
	run_cmd bash -c "echo -n fprobe > $P/records_via"
	expect_eq "records: records_via=fprobe on a kernel without fprobe is refused" \
		"1:bash: line 1: echo: write error: Operation not supported" "$RC:$OUT"
fi
for value in bogus kprobe fprobe,kprobe; do
	old=$(cat $P/records_via)
	run_cmd bash -c "echo -n '$value' > $P/records_via"
	expect_eq "records: records_via='$value' is refused, and it stays $old" \
		"1:bash: line 1: echo: write error: Invalid argument:$old" "$RC:$OUT:$(cat $P/records_via)"
done
echo 0 >$P/records
run_cmd bash -c "echo kretprobe > $P/records_via"
expect_eq "records: echo kretprobe > records_via (with echo's newline) is taken" "0:" "$RC:$OUT"
rmmod rust_tcpprobe
run_cmd insmod rust_tcpprobe.ko log_every=0 records=1 records_via=kretprobe
expect_eq "records: insmod records=1 records_via=kretprobe succeeds" "0:" "$RC:$OUT"
expect_eq "records: ... and records through a return probe" "tcp_sendmsg_locked" "$(return_probes)"
rmmod rust_tcpprobe
run_cmd insmod rust_tcpprobe.ko records=1 records_via=bogus
expect_eq "records: insmod records_via=bogus fails" \
	"1:insmod: ERROR: could not insert module rust_tcpprobe.ko: Invalid parameters" "$RC:$OUT"
check_fails "records: ... and nothing stays" test -e $F
expect_eq "records: ... nor registered" "" "$(live_probes)"
