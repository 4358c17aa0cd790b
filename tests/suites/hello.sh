# SPDX-License-Identifier: GPL-2.0
# rust_hello: load, greet, modinfo, lsmod, sysfs, double load, unload.

klog_mark
run_cmd insmod rust_hello.ko
expect_eq "hello: insmod rust_hello.ko succeeds" "0" "$RC"
expect_klog "hello: dmesg has 'rust_hello: Hello, world'" "rust_hello: Hello, world"
check "hello: lsmod lists rust_hello" module_loaded rust_hello
expect_eq "hello: /sys/module/rust_hello/initstate is live" "live" \
	"$(cat /sys/module/rust_hello/initstate 2>&1)"
expect_eq "hello: /sys/module/rust_hello/refcnt is 0" "0" \
	"$(cat /sys/module/rust_hello/refcnt 2>&1)"

expect_eq "hello: modinfo license" "GPL" "$(modinfo -F license rust_hello.ko)"
expect_eq "hello: modinfo author" "Rust kernel modules maintainers" \
	"$(modinfo -F author rust_hello.ko)"
expect_eq "hello: modinfo description" "Says hello on load and goodbye on unload" \
	"$(modinfo -F description rust_hello.ko)"
expect_eq "hello: modinfo name" "rust_hello" "$(modinfo -F name rust_hello.ko)"
vermagic=$(modinfo -F vermagic rust_hello.ko)
expect_eq "hello: modinfo vermagic matches the booted kernel" "$(uname -r)" "${vermagic%% *}"

run_cmd insmod rust_hello.ko
expect_eq "hello: loading it twice fails with kmod's 'File exists'" \
	"1:insmod: ERROR: could not insert module rust_hello.ko: File exists" "$RC:$OUT"

klog_mark
run_cmd rmmod rust_hello
expect_eq "hello: rmmod rust_hello succeeds" "0:" "$RC:$OUT"
expect_klog "hello: dmesg has 'rust_hello: Goodbye, world'" "rust_hello: Goodbye, world"
check_fails "hello: lsmod no longer lists rust_hello" module_loaded rust_hello
check_fails "hello: /sys/module/rust_hello is gone" test -e /sys/module/rust_hello
