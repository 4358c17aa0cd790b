# SPDX-License-Identifier: GPL-2.0
# Every parameter of every module at the extremes of its type: min, max, 0 and max-1 (for
# strings and arrays: full), at load and, where writable, through sysfs, each followed by real
# use: the values read back, TCP traffic through the probe, an unload. What each means:
# - a counter given at load (`hits`) counts on from there and wraps around at 2^64-1; `missed`
#   is the kprobe's own count, which replaces a value given at load from the first hit on;
# - `log_every` = 2^32-1 logs the first hit of every 2^32-1, so one hit here;
# - `reader_loops` above 10000000 is refused (init fails with EINVAL, saying why): the type's
#   maximum would keep insmod busy for hours;
# - `err` outside -4095..0 is not an errno: init fails with EINVAL, saying so.
# Over-full strings and arrays are refused (the matrix suite; charp's 1025 bytes here).

P=/sys/module/rust_getargs/parameters
T=/sys/module/rust_tcpprobe/parameters
KPROBES=/sys/kernel/debug/kprobes/list

# expect_insmod WHAT MODULE ARG...: insmod MODULE ARG... succeeds.
expect_insmod() {
	local what=$1
	shift
	run_cmd insmod "$@"
	expect_eq "$what" "0:" "$RC:$OUT"
}

# expect_sysfs DIR WHAT NAME=VALUE...: each parameter file reads VALUE.
expect_sysfs() {
	local dir=$1 what=$2 pair want=() got=()
	shift 2
	for pair in "$@"; do
		want+=("$pair")
		got+=("${pair%%=*}=$(cat "$dir/${pair%%=*}" 2>&1)")
	done
	expect_eq "$what" "${want[*]}" "${got[*]}"
}

repeat() { printf -- "$1%.0s" $(seq "$2"); }
# list VALUE N: VALUE N times, comma-separated.
list() { repeat "$1," "$2" | sed 's/,$//'; }

# rust_getargs: every scalar at once at each extreme, strings and arrays full.
#      name          min                   max                   0  max-1
extremes=(
	"intparam     -2147483648           2147483647            0  2147483646"
	"arg          -2147483648           2147483647            0  2147483646"
	"byteparam    0                     255                   0  254"
	"shortparam   -32768                32767                 0  32766"
	"ushortparam  0                     65535                 0  65534"
	"uintparam    0                     4294967295            0  4294967294"
	"longparam    -9223372036854775808  9223372036854775807   0  9223372036854775806"
	"ulongparam   0                     18446744073709551615  0  18446744073709551614"
	"ullongparam  0                     18446744073709551615  0  18446744073709551614"
	"hexparam     0                     0xffffffff            0  0xfffffffe"
	"hidden       -2147483648           2147483647            0  2147483646"
)
# The sysfs text of a value: hexint prints as the kernel's %#08x (0x and at least 6 digits).
shown() {
	case "$1" in
	hexparam) printf '0x%06x' "$2" ;;
	*) echo "$2" ;;
	esac
}
full_path=$(repeat p 127)
full_file=$(repeat f 1024)
for column in 1 2 3 4; do
	label=$(echo "min max 0 max-1" | cut -d' ' -f"$column")
	args=() want=()
	for row in "${extremes[@]}"; do
		read -r -a f <<<"$row"
		args+=("${f[0]}=${f[$column]}")
		# hidden has no sysfs file, arg's (intparam2) is 0600 and readable by root.
		[ "${f[0]}" = hidden ] || want+=("${f[0]}=$(shown "${f[0]}" "${f[$column]}")")
	done
	# Array elements (int) and bools at the same extreme.
	elem=$(echo "-2147483648 2147483647 0 2147483646" | cut -d' ' -f"$column")
	bool=n
	[ "$label" = max ] && bool=y
	args+=("array=$(list "$elem" 8)" "fish=$(list "$elem" 64)" "boolparam=$bool"
		"invboolparam=$bool" "filepath=$full_path" "file=$full_file" reader_loops=0)
	klog_mark
	expect_insmod "extremes: insmod rust_getargs with every parameter at its $label" \
		rust_getargs.ko "${args[@]}"
	expect_sysfs $P "extremes: rust_getargs at $label: sysfs shows every value" "${want[@]}" \
		"array=$(list "$elem" 8)" "fish=$(list "$elem" 64)" "boolparam=${bool^^}" \
		"invboolparam=${bool^^}" "filepath=$full_path" "file=$full_file"
	# (The 1024-byte charp is longer than a printk line: sysfs shows it whole.)
	expect_klog "extremes: rust_getargs at $label: init logs the full filepath" \
		"rust_getargs: => file2	= $full_path"
	klog_mark
	run_cmd rmmod rust_getargs
	expect_eq "extremes: rust_getargs at $label unloads, logging its values" "0:1" \
		"$RC:$OUT$(klog_since | grep -c '^rust_getargs: => array	= \[')"
done

# Through sysfs, each writable parameter at each extreme, read back; then an unload.
expect_insmod "extremes: insmod rust_getargs for the sysfs writes" rust_getargs.ko
writes=0 wrong=()
for row in "${extremes[@]}"; do
	read -r -a f <<<"$row"
	[ "${f[0]}" = hidden ] && continue
	for value in "${f[@]:1}"; do
		echo -n "$value" >"$P/${f[0]}" || wrong+=("${f[0]}=$value: write failed")
		[ "$(cat "$P/${f[0]}")" = "$(shown "${f[0]}" "$value")" ] ||
			wrong+=("${f[0]}=$value reads $(cat "$P/${f[0]}")")
		writes=$((writes + 1))
	done
done
for value in -2147483648 2147483647 0 2147483646; do
	for name in array fish; do
		n=8
		[ $name = fish ] && n=64
		echo -n "$(list $value $n)" >"$P/$name" || wrong+=("$name=$value×$n: write failed")
		[ "$(cat "$P/$name")" = "$(list $value $n)" ] || wrong+=("$name=$value×$n reads $(cat "$P/$name")")
		writes=$((writes + 1))
	done
done
echo -n "$full_path" >"$P/filepath" || wrong+=("filepath (127 bytes): write failed")
[ "$(cat "$P/filepath")" = "$full_path" ] || wrong+=("filepath (127 bytes) reads wrong")
expect_eq "extremes: $writes sysfs writes of every extreme read back as written" "" "${wrong[*]}"
run_cmd rmmod rust_getargs
expect_eq "extremes: rust_getargs unloads after them" "0:" "$RC:$OUT"
run_cmd insmod rust_getargs.ko "file=$(repeat f 1025)"
expect_eq "extremes: a charp of 1025 bytes is refused, nothing loaded" \
	"1:insmod: ERROR: could not insert module rust_getargs.ko: No space left on device:" \
	"$RC:$OUT:$(ls -d /sys/module/rust_getargs 2>/dev/null)"

# reader_loops: 0 loads; the type's max and max-1 are refused with a reason.
for value in 4294967295 4294967294 10000001; do
	klog_mark
	run_cmd insmod rust_getargs.ko reader_loops=$value
	expect_eq "extremes: reader_loops=$value is refused (EINVAL), nothing loaded" \
		"1:insmod: ERROR: could not insert module rust_getargs.ko: Invalid parameters:" \
		"$RC:$OUT:$(ls -d /sys/module/rust_getargs 2>/dev/null)"
	expect_klog "extremes: reader_loops=$value: dmesg says why" \
		"rust_getargs: reader_loops=$value is over the limit of 10000000"
done

# rust_initfail: err at the extremes of int, and at the ends of the errno range.
for value in -2147483648 2147483647 2147483646 -4096; do
	klog_mark
	run_cmd insmod rust_initfail.ko err=$value
	expect_eq "extremes: rust_initfail err=$value fails with EINVAL, nothing loaded" \
		"1:insmod: ERROR: could not insert module rust_initfail.ko: Invalid parameters:" \
		"$RC:$OUT:$(ls -d /sys/module/rust_initfail 2>/dev/null)"
	expect_klog "extremes: rust_initfail err=$value: dmesg says it is no errno" \
		"rust_initfail: err=$value is not a negative errno; failing with -EINVAL"
done
run_cmd insmod rust_initfail.ko err=-4095
expect_eq "extremes: rust_initfail err=-4095 fails with that errno" \
	"1:insmod: ERROR: could not insert module rust_initfail.ko: Unknown error 4095" "$RC:$OUT"
expect_insmod "extremes: rust_initfail err=0 loads" rust_initfail.ko err=0
check "extremes: ... and unloads" rmmod rust_initfail

# rust_tcpprobe: each parameter at its extremes at load, then TCP traffic and an unload.
pre() { count_lines "$(pre_line "$1")"; }
post() { count_lines "$(post_line "$1")"; }
for value in 18446744073709551615 18446744073709551614 0; do
	expect_insmod "extremes: insmod rust_tcpprobe hits=$value missed=$value" \
		rust_tcpprobe.ko hits=$value missed=$value
	klog_mark
	traffic --sends 3
	n=$(pre 0)
	want=$(python3 -c "print(($value + $n) % 2**64)")
	expect_sysfs $T "extremes: hits=$value counts on, wrapping, over $n hits; missed is the probe's" \
		"hits=$want" "missed=0"
	check "extremes: rust_tcpprobe hits=$value unloads" rmmod rust_tcpprobe
done
for value in -2147483648 2147483647 2147483646; do
	expect_insmod "extremes: insmod rust_tcpprobe no_use=$value" rust_tcpprobe.ko no_use=$value
	klog_mark
	traffic --sends 2
	[ "$(pre "$value")" -ge 2 ] && [ "$(post "$value")" -ge 2 ] && result=yes || result=no
	expect_eq "extremes: no_use=$value: every hit logs both lines with it" yes "$result"
	check "extremes: rust_tcpprobe no_use=$value unloads" rmmod rust_tcpprobe
done
for value in 4294967295 4294967294 0; do
	expect_insmod "extremes: insmod rust_tcpprobe log_every=$value" rust_tcpprobe.ko log_every=$value
	klog_mark
	traffic --sends 3
	want="1 1"
	[ "$value" = 0 ] && want="0 0"
	expect_eq "extremes: log_every=$value: hits log $want lines (the first hit only, or none)" \
		"$want" "$(pre 0) $(post 0)"
	expect_sysfs $T "extremes: log_every=$value reads back" "log_every=$value"
	check "extremes: rust_tcpprobe log_every=$value unloads" rmmod rust_tcpprobe
done
# Record mode's parameters at their extremes at load: a ring of 1 and of 1048576 records, and
# filters that no send matches.
for value in 1 1048576; do
	expect_insmod "extremes: insmod rust_tcpprobe records=1 bufsize=$value" \
		rust_tcpprobe.ko log_every=0 records=1 bufsize=$value
	traffic --sends 3
	kept=3
	[ "$value" = 1 ] && kept=1
	expect_eq "extremes: bufsize=$value: 3 sends keep $kept records and drop $((3 - kept))" \
		"$kept $((3 - kept))" "$(tests/read-records | grep -c . || true) $(cat $T/drops)"
	check "extremes: rust_tcpprobe bufsize=$value unloads" rmmod rust_tcpprobe
done
for filter in port=65535 port=1 pid=2147483647 pid=-2147483648; do
	expect_insmod "extremes: insmod rust_tcpprobe records=1 $filter" \
		rust_tcpprobe.ko log_every=0 records=1 $filter
	traffic --sends 2
	expect_eq "extremes: $filter: no send matches, none recorded" "" "$(tests/read-records)"
	expect_sysfs $T "extremes: $filter reads back" "$filter"
	check "extremes: rust_tcpprobe $filter unloads" rmmod rust_tcpprobe
done

run_cmd insmod rust_tcpprobe.ko "symbol=$(repeat s 63)"
expect_eq "extremes: a full symbol (63 bytes, no such function) is refused, nothing registered" \
	"1:insmod: ERROR: could not insert module rust_tcpprobe.ko: Unknown symbol in module::" \
	"$RC:$OUT:$(ls -d /sys/module/rust_tcpprobe 2>/dev/null):$(cat $KPROBES)"
# rust_fcount's function too, through each kind of probe this kernel has (64 bytes: matrix.sh).
vias=(kprobe $(default_via | grep -x fprobe))
if [ "$(uname -m)" = x86_64 ] && grep -qw register_ftrace_direct /proc/kallsyms; then
	vias+=(direct)
fi
for via in "${vias[@]}"; do
	klog_mark
	run_cmd insmod rust_fcount.ko "function=$(repeat s 63)" via=$via
	expect_eq "extremes: rust_fcount via=$via, a full function (63 bytes, no such function) is refused, nothing registered" \
		"1:insmod: ERROR: could not insert module rust_fcount.ko: Unknown symbol in module::" \
		"$RC:$OUT:$(ls -d /sys/module/rust_fcount 2>/dev/null):$(live_probes)"
	expect_klog "extremes: ... logging 'cannot probe <63 bytes> (-2)'" \
		"rust_fcount: cannot probe $(repeat s 63) (-2)"
done

# Through sysfs, with traffic after each write.
expect_insmod "extremes: insmod rust_tcpprobe for the sysfs writes" rust_tcpprobe.ko log_every=0
wrong=()
for value in -2147483648 2147483647 0 2147483646; do
	echo -n "$value" >$T/no_use || wrong+=("no_use=$value: write failed")
	traffic --sends 1
	[ "$(cat $T/no_use)" = "$value" ] || wrong+=("no_use=$value reads $(cat $T/no_use)")
done
for value in 4294967295 4294967294 1 0; do
	echo -n "$value" >$T/log_every || wrong+=("log_every=$value: write failed")
	traffic --sends 1
	[ "$(cat $T/log_every)" = "$value" ] || wrong+=("log_every=$value reads $(cat $T/log_every)")
done
klog_mark
if echo -n "$(repeat s 63)" >$T/symbol 2>/dev/null; then wrong+=("a full missing symbol was accepted"); fi
traffic --sends 1
[ "$(cat $T/symbol)" = tcp_sendmsg_locked,tcp_sendmsg ] || wrong+=("symbol reads $(cat $T/symbol)")
expect_eq "extremes: sysfs writes of no_use, log_every and a full symbol, each with traffic" "" \
	"${wrong[*]}"
expect_eq "extremes: the probe is still on tcp_sendmsg_locked" 1 \
	"$(grep -c ' tcp_sendmsg_locked+' $KPROBES)"
check "extremes: rust_tcpprobe unloads after them" rmmod rust_tcpprobe
expect_eq "extremes: no kprobe is left" "" "$(cat $KPROBES)"
