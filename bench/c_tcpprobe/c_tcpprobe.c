// SPDX-License-Identifier: GPL-2.0
/*
 * c_tcpprobe: the benchmark's C reference for rust_tcpprobe.
 *
 * The same probe with the same handlers as rust_tcpprobe.rs, so that the two differ only in
 * language: each hit counts itself (hits), records the kprobe's missed count, and logs the
 * seed's lines for one hit in log_every (0: none).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

/*
 * The handlers' lines carry rust_tcpprobe's name, not this module's: the very lines
 * rust_tcpprobe logs, byte for byte, so that the benchmark compares the code that makes a
 * line, not the lengths of the modules' names (printk's formatting, its record and the serial
 * console cost about 17 instructions a byte: "rust_" against "c_" is 3 bytes a line, 2 lines
 * a hit, 105 instructions a hit).
 */
#define HANDLER_LINE(fmt) KERN_INFO "rust_tcpprobe: " fmt

#include <linux/atomic.h>
#include <linux/kprobes.h>
#include <linux/module.h>

static char symbol[64] = "tcp_sendmsg_locked";
module_param_string(symbol, symbol, sizeof(symbol), 0444);
MODULE_PARM_DESC(symbol, "the function probed");

static int no_use_variable;
module_param_named(no_use, no_use_variable, int, 0644);
MODULE_PARM_DESC(no_use, "this parameter is useless");

static unsigned int log_every = 1;
module_param(log_every, uint, 0644);
MODULE_PARM_DESC(log_every, "log one hit in this many (0: never)");

static atomic64_t hits = ATOMIC64_INIT(0);
static atomic64_t posts = ATOMIC64_INIT(0);
static unsigned long long missed;

static int get_hits(char *buffer, const struct kernel_param *kp)
{
	return sysfs_emit(buffer, "%lld\n", atomic64_read(&hits));
}

static const struct kernel_param_ops hits_ops = { .get = get_hits };
module_param_cb(hits, &hits_ops, NULL, 0444);
MODULE_PARM_DESC(hits, "how many times the probe was hit");

static bool should_log(u64 n)
{
	unsigned int every = READ_ONCE(log_every);

	return every && (n - 1) % every == 0;
}

static int handler_pre(struct kprobe *p, struct pt_regs *regs)
{
	u64 n = atomic64_inc_return(&hits);

	WRITE_ONCE(missed, p->nmissed);
	if (should_log(n))
		printk(HANDLER_LINE("tcpprobe handler_pre executed, no_use_variable is %d\n"),
		       READ_ONCE(no_use_variable));
	return 0;
}

static void handler_post(struct kprobe *p, struct pt_regs *regs, unsigned long flags)
{
	if (should_log(atomic64_inc_return(&posts)))
		printk(HANDLER_LINE("tcpprobe handler_post executed, no_use_variable is %d\n"),
		       READ_ONCE(no_use_variable));
}

static struct kprobe kp = {
	.symbol_name = symbol,
	.pre_handler = handler_pre,
	.post_handler = handler_post,
};

static int __init c_tcpprobe_init(void)
{
	int ret = register_kprobe(&kp);

	if (ret < 0) {
		pr_err("register_kprobe failed, returned %d\n", ret);
		return ret;
	}
	pr_info("Planted kprobe at %p\n", kp.addr);
	return 0;
}

static void __exit c_tcpprobe_exit(void)
{
	unregister_kprobe(&kp);
	pr_info("kprobe at %p unregistered\n", kp.addr);
}

module_init(c_tcpprobe_init);
module_exit(c_tcpprobe_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("C reference of rust_tcpprobe, for the benchmark");
