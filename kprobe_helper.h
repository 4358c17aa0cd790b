/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What bindgen reads to make kprobe_bindings_generated.rs for kprobe.rs: struct kprobe,
 * register_kprobe() and unregister_kprobe(), as this kernel tree and config define them, and
 * kmemleak_not_leak() (a function only with CONFIG_DEBUG_KMEMLEAK).
 */
#include <linux/kmemleak.h>
#include <linux/kprobes.h>
