# SPDX-License-Identifier: GPL-2.0
# The bad-input matrix: each row a module, a parameter, a bad value and what must happen, at
# insmod and through sysfs. A bad value gets a clear error, the old value stays, and nothing is
# loaded or registered that should not be. Where the kernel's own parsing accepts something odd
# (a NUL ends a sysfs write, whitespace separates insmod arguments) the row says what C does.

LONG128=$(printf 'x%.0s' $(seq 128))
LONG64=$(printf 'y%.0s' $(seq 64))
NINE=1,2,3,4,5,6,7,8,9
SIXTYFIVE=$(seq -s, 65)

# module|parameter|value|insmod's error (kmod's wording)
insmod_rows=(
	"rust_getargs|intparam|abc|Invalid parameters"
	"rust_getargs|intparam|1.5|Invalid parameters"
	"rust_getargs|intparam||Invalid parameters"
	"rust_getargs|intparam|2147483648|Numerical result out of range"
	"rust_getargs|shortparam|32768|Numerical result out of range"
	"rust_getargs|ushortparam|-1|Invalid parameters"
	"rust_getargs|uintparam|-1|Invalid parameters"
	"rust_getargs|uintparam|4294967296|Numerical result out of range"
	"rust_getargs|ulongparam|-1|Invalid parameters"
	"rust_getargs|longparam|9223372036854775808|Numerical result out of range"
	"rust_getargs|ullongparam|18446744073709551616|Numerical result out of range"
	"rust_getargs|byteparam|256|Numerical result out of range"
	"rust_getargs|hexparam|xyz|Invalid parameters"
	"rust_getargs|boolparam|maybe|Invalid parameters"
	"rust_getargs|invboolparam|2|Invalid parameters"
	"rust_getargs|intparam|é|Invalid parameters"
	"rust_getargs|filepath|$LONG128|No space left on device"
	"rust_getargs|array|$NINE|Invalid parameters"
	"rust_getargs|fish|$SIXTYFIVE|Invalid parameters"
	"rust_getargs|array|1,,2|Invalid parameters"
	"rust_getargs|array|x|Invalid parameters"
	"rust_tcpprobe|no_use|abc|Invalid parameters"
	"rust_tcpprobe|log_every|-1|Invalid parameters"
	"rust_tcpprobe|symbol|$LONG64|No space left on device"
	"rust_tcpprobe|symbol|no_such_function|Unknown symbol in module"
	"rust_tcpprobe|symbol||Unknown symbol in module"
	"rust_tcpprobe|records_via|bogus|Invalid parameters"
	"rust_tcpprobe|records_via|$LONG64|No space left on device"
	"rust_fcount|function|no_such_function|Unknown symbol in module"
	"rust_fcount|function|$LONG64|No space left on device"
	"rust_fcount|via|kretprobe|Invalid parameters"
)

# module|parameter|value (with \n, \xNN escapes)|write error
sysfs_rows=(
	"rust_getargs|intparam|abc|Invalid argument"
	"rust_getargs|intparam|\\n|Invalid argument"
	"rust_getargs|intparam|2147483648|Numerical result out of range"
	"rust_getargs|intparam|1\\n2|Invalid argument"
	"rust_getargs|intparam|\\xc3\\xa9|Invalid argument"
	"rust_getargs|ushortparam|-1|Invalid argument"
	"rust_getargs|uintparam|4294967296|Numerical result out of range"
	"rust_getargs|byteparam|256|Numerical result out of range"
	"rust_getargs|boolparam|maybe|Invalid argument"
	"rust_getargs|filepath|$LONG128|No space left on device"
	"rust_getargs|array|$NINE|Invalid argument"
	"rust_getargs|fish|$SIXTYFIVE|Invalid argument"
	"rust_getargs|fish|9,x|Invalid argument"
	"rust_getargs|reader_loops|5|Permission denied"
	"rust_tcpprobe|no_use|%s%n|Invalid argument"
	"rust_tcpprobe|log_every|-1|Invalid argument"
	"rust_tcpprobe|symbol|$LONG64|No space left on device"
	"rust_tcpprobe|symbol|no_such_function|No such file or directory"
	"rust_tcpprobe|symbol|%s%n%p|No such file or directory"
	"rust_tcpprobe|hits|5|Permission denied"
	"rust_tcpprobe|records_via|kprobe|Invalid argument"
	"rust_tcpprobe|records_via|$LONG64|No space left on device"
	"rust_fcount|via|kprobe|Permission denied"
	"rust_fcount|missed|5|Permission denied"
)

rows=0
for row in "${insmod_rows[@]}"; do
	IFS='|' read -r module param value error <<<"$row"
	run_cmd insmod "$module.ko" "$param=$value"
	shown=${value:0:24}
	if [ "$RC" = 1 ] && [ "$OUT" = "insmod: ERROR: could not insert module $module.ko: $error" ] &&
		[ ! -e "/sys/module/$module" ] && [ -z "$(live_probes)" ]; then
		ok "matrix: insmod $module $param='$shown': $error, nothing loaded"
	else
		not_ok "matrix: insmod $module $param='$shown': $error, nothing loaded" "status $RC: $OUT" \
			"loaded: $(ls -d /sys/module/$module 2>/dev/null)" "probes: $(live_probes)"
	fi
	rows=$((rows + 1))
done

insmod rust_getargs.ko
insmod rust_tcpprobe.ko log_every=0
insmod rust_fcount.ko
for row in "${sysfs_rows[@]}"; do
	IFS='|' read -r module param value error <<<"$row"
	file=/sys/module/$module/parameters/$param
	old=$(cat "$file")
	# One write() of the whole value, as the kernel must see it (a shell may split at \n).
	run_cmd python3 -c '
import codecs, os, sys
fd = os.open(sys.argv[2], os.O_WRONLY)
os.write(fd, codecs.escape_decode(sys.argv[1].encode())[0])' "$value" "$file"
	shown=${value:0:24}
	if [ "$RC" = 1 ] && [[ $OUT == *"$error"* ]] && [ "$(cat "$file")" = "$old" ]; then
		ok "matrix: sysfs $module $param='$shown': $error, old value kept"
	else
		not_ok "matrix: sysfs $module $param='$shown': $error, old value kept" "status $RC: $OUT" \
			"before: $old" "after:  $(cat "$file")"
	fi
	rows=$((rows + 1))
done
expect_eq "matrix: the probe is still the one planted at load" "1" \
	"$(grep -c ' tcp_sendmsg_locked+' /sys/kernel/debug/kprobes/list)"

# Where the kernel's parsing itself decides, a module behaves as a C one would:
# a NUL ends what sysfs hands to the parameter, so "1\0" "2" sets 1.
printf '1\0002' >/sys/module/rust_getargs/parameters/intparam
expect_eq "matrix: a sysfs write '1\\0002' sets 1, as for a C module" "1" \
	"$(cat /sys/module/rust_getargs/parameters/intparam)"
# Format characters in a string are stored and logged literally.
printf '%s' '%s%n%p' >/sys/module/rust_getargs/parameters/filepath
klog_mark
rmmod rust_getargs rust_tcpprobe rust_fcount
expect_klog "matrix: format characters are logged literally" "rust_getargs: => file2${TAB:-	}= %s%n%p"
echo "# matrix: $rows rows ran"
