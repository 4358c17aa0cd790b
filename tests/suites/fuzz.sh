# SPDX-License-Identifier: GPL-2.0
# The fuzzer (tests/fuzz-params): seeded random writes to every writable parameter of every
# module that has one, under TCP traffic through the probe; then both modules unload, load
# again with every default, and the probe counts new traffic.
# FUZZ_WRITES (default 2000) and FUZZ_SEED (default: a random one, printed) size and replay it.

T=/sys/module/rust_tcpprobe/parameters
insmod rust_getargs.ko
insmod rust_tcpprobe.ko log_every=0
start_traffic 3600
seed_args=()
[ -z "${FUZZ_SEED:-}" ] || seed_args=(--seed "$FUZZ_SEED")
run_cmd tests/fuzz-params "${seed_args[@]}" --writes "${FUZZ_WRITES:-2000}" rust_getargs rust_tcpprobe
seed=$(sed -n 's/^fuzz-params: seed \([0-9]*\),.*/\1/p' <<<"$OUT")
if [ "$RC" = 0 ]; then
	ok "fuzz: ${FUZZ_WRITES:-2000} random writes (seed $seed), every file still reads"
	grep -v '^#' <<<"$OUT" | sed 's/^/#   /'
else
	not_ok "fuzz: random writes (seed $seed; FUZZ_SEED=$seed replays them)" "status $RC" "$OUT"
fi
stop_traffic
check "fuzz: rust_getargs and rust_tcpprobe unload after it" rmmod rust_getargs rust_tcpprobe
# (But the inert ones that the faults suite, when it ran before, may have left: no address.)
expect_eq "fuzz: no kprobe or fprobe is left" "" \
	"$(live_probes)"
insmod rust_getargs.ko
insmod rust_tcpprobe.ko
expect_eq "fuzz: a fresh load has every default" \
	"0 (null) 0x0000ff tcp_sendmsg_locked,tcp_sendmsg tcp_sendmsg_locked 0 1 0 N 4096 0 0 0 $(default_via)" \
	"$(cat /sys/module/rust_getargs/parameters/{intparam,charpparam,hexparam} \
		$T/{symbol,probed,no_use,log_every,hits,records,bufsize,port,pid,drops,records_via} |
		tr '\n' ' ' | sed 's/ $//')"
echo 0 >$T/log_every
traffic --sends 10
[ "$(cat $T/hits)" -ge 10 ] && result=yes || result=no
expect_eq "fuzz: ... and its probe counts new traffic" yes "$result"
rmmod rust_getargs rust_tcpprobe
