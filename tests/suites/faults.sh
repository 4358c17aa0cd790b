# SPDX-License-Identifier: GPL-2.0
# Fault injection (the debug kernel): every allocation of an operation fails in turn, through
# /proc/thread-self/fail-nth (tests/fail-nth): the insmod of each module, each write of a
# string, charp or array parameter and each re-arm of the probe. Each try either succeeds or
# fails with an errno, and leaves the old value and the old probe; after the suite, the run's
# kmemleak and report scans must find nothing.
#
# failslab is told not to spare GFP_KERNEL allocations (ignore-gfp-wait N), else none would
# fail, and to fail those of every slab cache but kmemleak's own; page allocations keep
# failing only where they may not sleep (a failed vmalloc prints a warning with a stack trace,
# which the report scan would take for a bug). verbose 0: an injected fault prints nothing.
# FAULTS_STRIDE=S FAULTS_LAST=L: try every Sth fault point, plus all of the last L (where a
# module's own init runs); the default, 1 and 0, tries every one.

FI=/sys/kernel/debug/failslab
if [ ! -w /proc/self/fail-nth ] || [ ! -d $FI ]; then
	not_ok "faults: this kernel has fault injection (/proc/self/fail-nth, failslab)"
	return 0
fi
# A fault in unregister_kprobe's disarming of a kprobe on ftrace is one the kernel cannot
# undo: it warns (once) and leaves the probe registered without its address, inert. lib/kprobe.rs
# then leaves the probe's memory to kprobes (see Kprobe's Drop) and says so.
EXPECTED_WARNINGS+=("Failed to disarm kprobe-ftrace at")
# fprobe (7.x) warns (once) when it cannot register its function-graph callback for lack of
# memory, and registration fails with ENOMEM, leaving nothing: record mode's sweep gets there.
# And 7.2's register_ftrace_graph, failing so, leaves its ops marked as registered: every later
# registration of fprobe's callback then warns (once) "function graph ops registered again"
# and fails with EBUSY, for the rest of the boot (a bug of the kernel's; later suites of this
# boot do not need an fprobe with an exit handler).
EXPECTED_WARNINGS+=(" at register_fprobe_ips+" "function graph ops registered again"
	" at register_ftrace_graph+")
# A failed allocation inside vmalloc (module loading) is reported with a stack trace.
EXPECTED_ALLOC_FAILURES=yes
echo N >$FI/ignore-gfp-wait
echo 0 >$FI/verbose
# Only the caches of the allocations under test: not kmemleak's own (kmemleak_object,
# kmemleak_scan_area), whose failures would blind the leak scan that judges this suite.
echo Y >$FI/cache-filter
for cache in /sys/kernel/slab/*/failslab; do
	case $cache in */kmemleak_*) ;; *) echo 1 >"$cache" ;; esac
done
fault_args=(--stride "${FAULTS_STRIDE:-1}" --last "${FAULTS_LAST:-0}")
P=/sys/module/rust_getargs/parameters
T=/sys/module/rust_tcpprobe/parameters

# sweep WHAT ARG...: tests/fail-nth ARG... holds its rules, and injected at least one fault.
sweep() {
	local what=$1
	shift
	run_cmd tests/fail-nth "${fault_args[@]}" "$@"
	local summary
	summary=$(grep '^fail-nth: ' <<<"$OUT")
	if [ "$RC" = 0 ] && [[ $summary =~ \ ([1-9][0-9]*)\ faults\ injected ]]; then
		ok "faults: $what: every try succeeded or failed cleanly"
		echo "#   $summary"
	else
		not_ok "faults: $what: every try succeeded or failed cleanly" "status $RC" "$OUT"
	fi
}

for module in rust_hello rust_printk mymodule/rust_mymodule; do
	sweep "insmod ${module#*/}" insmod "$module.ko"
done
sweep "insmod rust_initfail err=0" insmod rust_initfail.ko err=0
sweep "insmod rust_getargs with a string, charps and arrays" insmod rust_getargs.ko \
	filepath=/a/path file=/a/file charpparam=x array=1,2,3 fish=4,5
sweep "insmod rust_tcpprobe" insmod rust_tcpprobe.ko log_every=0
for via in $(default_via | grep -x fprobe) kprobe; do
	sweep "insmod rust_fcount via=$via" insmod rust_fcount.ko via=$via
done
expect_eq "faults: no kprobe or fprobe is left after the insmod sweeps" "" "$(live_probes)"

# (Old values that are not empty: --restore writes them back, and an empty write is no write.)
insmod rust_getargs.ko charpparam=old filepath=/old array=1 fish=2
insmod rust_tcpprobe.ko log_every=0
klog_mark
start_traffic 3600
sweep "write filepath" --restore write $P/filepath /a/new/path
sweep "write array" --restore write $P/array 1,2,3,4,5,6,7,8
sweep "write fish" --restore write $P/fish 9,8,7
sweep "write charpparam" --restore --or-null write $P/charpparam new
sweep "re-arm: write symbol tcp_recvmsg" --restore write $T/symbol tcp_recvmsg
expect_eq "faults: the probe is still on tcp_sendmsg_locked, once" 1 \
	"$(grep -c ' tcp_sendmsg_locked+' /sys/kernel/debug/kprobes/list)"
inert=$(klog_since | grep -c "rust_tcpprobe: unregister_kprobe failed: the inert probe is left to kprobes")
echo "# faults: $inert old probes could not be disarmed by the kernel and are left inert"
expect_eq "faults: ... and nowhere else (but $inert inert ones, without an address)" "" \
	"$(live_kprobes | grep -v ' tcp_sendmsg_locked+')"
hits=$(cat $T/hits)
sleep 1
[ "$(cat $T/hits)" -gt "$hits" ] && result=yes || result=no
expect_eq "faults: the probe still counts hits of the traffic" yes "$result"
# Record mode started under faults, through each kind of probe: its rings, its counters and
# the probe's registration (--restore turns it off again after each success). The functions
# ftrace calls back at, and how many callbacks each, must be as before.
traced() { cat /sys/kernel/tracing/enabled_functions 2>&1 | awk '{ print $1, $2 }'; }
traced_before=$(traced)
for via in $(default_via | grep -x fprobe) kretprobe; do
	echo -n $via >$T/records_via
	sweep "records=Y through records_via=$via" --restore write $T/records Y
	expect_eq "faults: ... and records stays off, no probe of record mode left" \
		"N::$traced_before" "$(cat $T/records):$(live_kprobes | awk '$2 == "r"'):$(traced)"
done
stop_traffic

# A charp whose write failed for lack of memory: this kernel's param_set_charp allocates the
# new string before it frees the old one, so the old value stays; older ones (6.12) free first
# and leave NULL, `(null)` in sysfs. Either way the module reads what sysfs shows.
value=$(cat $P/charpparam)
case $value in old | "(null)") result=yes ;; *) result=no ;; esac
expect_eq "faults: after the charp sweep, charpparam is the old value or (null)" yes "$result"
klog_mark
rmmod rust_getargs
expect_klog "faults: ... and the module reads it as sysfs shows it ($value)" \
	"rust_getargs: => charpparam${TAB:-	}= $value"
rmmod rust_tcpprobe
echo Y >$FI/ignore-gfp-wait
echo N >$FI/cache-filter
