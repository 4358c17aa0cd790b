# SPDX-License-Identifier: GPL-2.0
# params.rs through rust_getargs: the seed's getargs session, modinfo, sysfs modes, reads and
# writes, privilege, bad input at insmod and through sysfs, and concurrent readers/writers.

P=/sys/module/rust_getargs/parameters
TAB=$'\t'

# getargs_load WHAT EXPECTED_LINES [PARAM...]: insmod with PARAMs; dmesg has every line.
getargs_load() {
	local what=$1 expected=$2 line missing=()
	shift 2
	klog_mark
	run_cmd insmod rust_getargs.ko "$@"
	expect_eq "params: $what: insmod succeeds" "0:" "$RC:$OUT"
	local log
	log=$(klog_since)
	while IFS= read -r line; do
		grep -qxF -- "$line" <<<"$log" || missing+=("$line")
	done <<<"$expected"
	if [ ${#missing[@]} = 0 ]; then
		ok "params: $what: the seed's dmesg lines"
	else
		not_ok "params: $what: the seed's dmesg lines" "missing:" "${missing[@]}" "dmesg:" "$log"
	fi
}

# The seed's session (getargs.c's lines, behind Rust's module-name prefix).
getargs_load "no parameters" "rust_getargs: init
rust_getargs: => intparam${TAB}= 0
rust_getargs: => intparam2${TAB}= 0
rust_getargs: => file2${TAB}= 
rust_getargs: => charpparam${TAB}= (null)
rust_getargs: => array${TAB}= [ 0 0 0 0 0 0 0 0]"
if klog_since | grep -q '=> file'$'\t''= '; then
	not_ok "params: no parameters: no 'file' line while file is NULL" "$(klog_since)"
else
	ok "params: no parameters: no 'file' line while file is NULL"
fi
rmmod rust_getargs

getargs_load "intparam, arg, file, filepath" "rust_getargs: init
rust_getargs: => intparam${TAB}= 123
rust_getargs: => intparam2${TAB}= 456
rust_getargs: => file${TAB}= $PWD/getargs.c
rust_getargs: => file2${TAB}= $PWD/getargs.ko
rust_getargs: => array${TAB}= [ 0 0 0 0 0 0 0 0]" \
	intparam=123 arg=456 file="$PWD/getargs.c" filepath="$PWD/getargs.ko"
rmmod rust_getargs

getargs_load "array" "rust_getargs: init
rust_getargs: => intparam${TAB}= 0
rust_getargs: => intparam2${TAB}= 0
rust_getargs: => file2${TAB}= 
rust_getargs: => array${TAB}= [ 12 23 34 45 56 0 0 0]" array=12,23,34,45,56
rmmod rust_getargs

# modinfo: every parameter, with its description and type, as kmod prints a C module's
# (`modinfo -F parm` prints `name: (type)` for one without description).
parms=$(modinfo -F parm rust_getargs.ko)
for line in "intparam:an int (int)" "file:a file name (charp)" \
	"arg:an int stored in intparam2 (int)" "filepath:a path of up to 127 bytes (string)" \
	"array:up to 8 ints (array of int)" "fish:up to 64 fish (array of int)" \
	"hidden:not in sysfs (int)" "byteparam: (byte)" "shortparam: (short)" \
	"ushortparam: (ushort)" "uintparam: (uint)" "longparam: (long)" "ulongparam: (ulong)" \
	"ullongparam: (ullong)" "hexparam: (hexint)" "boolparam: (bool)" \
	"invboolparam: (invbool)" \
	"charpparam:a writable charp, (null) until set (charp)"; do
	if grep -qxF -- "$line" <<<"$parms"; then
		ok "params: modinfo parm: $line"
	else
		not_ok "params: modinfo parm: $line" "modinfo -F parm:" "$parms"
	fi
done

# sysfs: the declared modes, no file for permission 0, values as C formats them.
insmod rust_getargs.ko intparam=-5 fish=1,2,3 hexparam=17 boolparam invboolparam=y \
	longparam=-9000000000 ullongparam=18446744073709551615 filepath=/tmp/x
modes=$(cd "$P" && stat -c '%a %n' -- * | sort -k2 | tr '\n' ' ')
expect_eq "params: sysfs files and modes" "600 arg 644 array 644 boolparam 644 byteparam \
644 charpparam 444 file 644 filepath 644 fish 644 hexparam 644 intparam 644 invboolparam 644 longparam \
444 reader_loops 644 shortparam 644 uintparam 644 ullongparam 644 ulongparam 644 ushortparam " "$modes"
check_fails "params: permission 0 gives no sysfs file" test -e "$P/hidden"
expect_eq "params: sysfs int" "-5" "$(cat $P/intparam)"
expect_eq "params: sysfs array of int" "1,2,3" "$(cat $P/fish)"
expect_eq "params: sysfs hexint" "0x000011" "$(cat $P/hexparam)"
expect_eq "params: sysfs bool given without value" "Y" "$(cat $P/boolparam)"
expect_eq "params: sysfs invbool shows what was written" "Y" "$(cat $P/invboolparam)"
expect_eq "params: sysfs long" "-9000000000" "$(cat $P/longparam)"
expect_eq "params: sysfs ullong" "18446744073709551615" "$(cat $P/ullongparam)"
expect_eq "params: sysfs string" "/tmp/x" "$(cat $P/filepath)"
expect_eq "params: sysfs charp never set" "(null)" "$(cat $P/file)"

# Writes as root change what the module reads next (it logs its values again at unload).
echo 77 >$P/intparam
echo 4,5 >$P/fish
echo -n /new/path >$P/filepath
echo n >$P/boolparam
expect_eq "params: sysfs write then read, int" "77" "$(cat $P/intparam)"
expect_eq "params: writing 4,5 to fish gives count 2 and reads 4,5" "4,5" "$(cat $P/fish)"
expect_eq "params: sysfs write then read, string" "/new/path" "$(cat $P/filepath)"
# C's string parameters keep what is written, newline included, and show it plus a newline.
echo /with/newline >$P/filepath
expect_eq "params: a string written with echo keeps its newline, as in C" \
	"$(printf '/with/newline\n\n.')" "$(cat $P/filepath; echo .)"
echo -n /new/path >$P/filepath
expect_eq "params: a writable charp reads (null) until set" "(null)" "$(cat $P/charpparam)"
echo -n "a charp" >$P/charpparam
expect_eq "params: sysfs write then read, charp" "a charp" "$(cat $P/charpparam)"
klog_mark
rmmod rust_getargs
expect_klog "params: the module reads the charp written through sysfs" \
	"rust_getargs: => charpparam${TAB}= a charp"
expect_klog "params: the module reads the int written through sysfs" \
	"rust_getargs: => intparam${TAB}= 77"
expect_klog "params: the module reads the string written through sysfs" \
	"rust_getargs: => file2${TAB}= /new/path"
expect_klog "params: the module reads fish as [4, 5] with fish_array[2] still 3" \
	"rust_getargs: => fish${TAB}= [4, 5] (nr_fish = 2), fish_array[..4] = [4, 5, 3, 0]"
expect_klog "params: the module reads the bool written through sysfs" \
	"rust_getargs: => bool false invbool false hidden 7"

# Privilege: an unprivileged user can neither write nor read a 0600 parameter.
insmod rust_getargs.ko arg=11
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
run_cmd nobody bash -c "echo 5 > $P/intparam"
expect_eq "params: an unprivileged write is denied" \
	"1:bash: line 1: $P/intparam: Permission denied" "$RC:$OUT"
expect_eq "params: ... and changes nothing" "0" "$(cat $P/intparam)"
run_cmd nobody cat $P/arg
expect_eq "params: an unprivileged read of a 0600 parameter is denied" \
	"1:cat: $P/arg: Permission denied" "$RC:$OUT"
expect_eq "params: root reads the 0600 parameter" "11" "$(cat $P/arg)"
# ... nor write any parameter of any module here, nor load or unload a module.
insmod rust_tcpprobe.ko
files=(/sys/module/rust_getargs/parameters/* /sys/module/rust_tcpprobe/parameters/*)
run_cmd nobody bash -c 'for f; do (printf 1 >"$f") 2>/dev/null && echo "written: $f"; done; true' - \
	"${files[@]}"
expect_eq "params: an unprivileged write to each of the ${#files[@]} parameter files is denied" "" "$OUT"
run_cmd nobody insmod rust_hello.ko
expect_eq "params: an unprivileged insmod is denied" \
	"1:insmod: ERROR: could not insert module rust_hello.ko: Operation not permitted" "$RC:$OUT"
check_fails "params: ... and loads nothing" module_loaded rust_hello
run_cmd nobody rmmod rust_tcpprobe
expect_eq "params: an unprivileged rmmod is denied" \
	"1:rmmod: ERROR: could not remove 'rust_tcpprobe': Operation not permitted
rmmod: ERROR: could not remove module rust_tcpprobe: Operation not permitted" "$RC:$OUT"
check "params: ... and the module stays loaded" module_loaded rust_tcpprobe
rmmod rust_tcpprobe

# Bad sysfs writes return the error and keep the old value.
# sysfs_write FILE VALUE EXPECTED_ERROR
sysfs_write() {
	local old
	old=$(cat "$P/$1")
	klog_mark
	run_cmd bash -c 'printf "%s" "$1" > "$2"' - "$2" "$P/$1"
	if [ "$RC" = 1 ] && [[ $OUT == *"printf: write error: $3" ]]; then
		ok "params: sysfs write '${2//$'\n'/\\n}' to $1 fails: $3"
	else
		not_ok "params: sysfs write '${2//$'\n'/\\n}' to $1 fails: $3" "status $RC: $OUT"
	fi
	expect_eq "params: ... and $1 keeps its value" "$old" "$(cat "$P/$1")"
}
echo 1,2,3 >$P/fish
sysfs_write intparam abc "Invalid argument"
# An empty value: what `echo > file` writes (a zero-length write never reaches the kernel).
sysfs_write intparam $'\n' "Invalid argument"
sysfs_write byteparam 256 "Numerical result out of range"
sysfs_write ushortparam -1 "Invalid argument"
sysfs_write boolparam maybe "Invalid argument"
sysfs_write filepath "$(printf 'y%.0s' $(seq 128))" "No space left on device"
expect_klog "params: ... with C's message" "filepath: string doesn't fit in 127 chars."
sysfs_write array 1,2,3,4,5,6,7,8,9 "Invalid argument"
expect_klog "params: ... with C's message" "array: can only take 8 arguments"
sysfs_write fish 9,x "Invalid argument"
printf '%s' '%s%n%p' >$P/filepath
expect_eq "params: format characters in a string are stored literally" '%s%n%p' "$(cat $P/filepath)"
klog_mark
rmmod rust_getargs
expect_klog "params: ... and logged literally" "rust_getargs: => file2${TAB}= %s%n%p"

# Bad input at insmod: kmod's error, the kernel's line naming the parameter, nothing loaded.
# bad_insmod PARAM=VALUE EXPECTED_INSMOD_ERROR EXPECTED_DMESG_LINE
bad_insmod() {
	klog_mark
	run_cmd insmod rust_getargs.ko "$1"
	expect_eq "params: insmod $1 fails: $2" \
		"1:insmod: ERROR: could not insert module rust_getargs.ko: $2" "$RC:$OUT"
	expect_klog "params: ... and dmesg names the parameter" "$3"
	check_fails "params: ... and nothing is loaded" test -e /sys/module/rust_getargs
}
bad_insmod intparam=abc "Invalid parameters" "rust_getargs: \`abc' invalid for parameter \`intparam'"
bad_insmod intparam= "Invalid parameters" "rust_getargs: \`' invalid for parameter \`intparam'"
bad_insmod byteparam=256 "Numerical result out of range" \
	"rust_getargs: \`256' invalid for parameter \`byteparam'"
bad_insmod byteparam=-1 "Invalid parameters" "rust_getargs: \`-1' invalid for parameter \`byteparam'"
bad_insmod boolparam=maybe "Invalid parameters" \
	"rust_getargs: \`maybe' invalid for parameter \`boolparam'"
bad_insmod "filepath=$(printf 'x%.0s' $(seq 128))" "No space left on device" \
	"filepath: string doesn't fit in 127 chars."
bad_insmod array=1,2,3,4,5,6,7,8,9 "Invalid parameters" "array: can only take 8 arguments"

# An unknown parameter: the kernel warns and ignores it, as for a C module.
klog_mark
run_cmd insmod rust_getargs.ko nosuch=1
expect_eq "params: insmod with an unknown parameter succeeds" "0:" "$RC:$OUT"
expect_klog "params: ... with the kernel's warning" "rust_getargs: unknown parameter 'nosuch' ignored"
rmmod rust_getargs

# Concurrency: the module reads filepath and array under the parameter lock in a loop while a
# writer rewrites both through sysfs; no read may see a value that was never written.
(
	short=aaaaaaaa long=$(printf 'b%.0s' $(seq 100))
	end=$((SECONDS + 60))
	while [ ! -e $P/array ] && [ $SECONDS -lt $end ]; do :; done
	i=0
	while [ -e $P/array ] && [ $SECONDS -lt $end ]; do
		# Builtins only, so that each write costs no fork.
		if ((i++ % 2)); then
			printf %s "$short" >$P/filepath
			printf 3,3,3 >$P/array
		else
			printf %s "$long" >$P/filepath
			printf 5,5,5,5,5 >$P/array
		fi
	done 2>/dev/null
	echo "$i" >/tmp/writes
) &
writer=$!
klog_mark
insmod rust_getargs.ko reader_loops=1000000
rmmod rust_getargs
wait $writer
line=$(klog_since | grep 'rust_getargs: reader: ')
if [[ $line =~ reader:\ 1000000\ reads,\ ([0-9]+)\ changes\ seen,\ 0\ torn$ ]] &&
	[ "${BASH_REMATCH[1]}" -gt 10 ]; then
	ok "params: 1000000 locked reads during $(cat /tmp/writes) sysfs writes: none torn"
else
	not_ok "params: 1000000 locked reads during sysfs writes: none torn" \
		"reader: $line" "writes: $(cat /tmp/writes)"
fi
