// SPDX-License-Identifier: GPL-2.0
/*
 * softirq_send: real TCP sends in softirq context on every online CPU, for rust_tcpprobe's tests.
 *
 * Most tcp_sendmsg_locked() calls come from a task, in process context, but not all of them:
 * ESP-in-TCP's tasklet and kTLS can call it from softirq context, on whatever task the softirq
 * interrupted. rust_tcpprobe's record mode must stay correct there (no sleeping, no reliance on
 * the current task, no lock taken in a way that deadlocks against a softirq), and this module
 * is how the tests make such sends: it connects one kernel TCP socket to 127.0.0.1:port, where
 * a receiver is already listening, and arms a pinned timer on every online CPU. Each timer
 * fires every jiffy, ticks times, and each tick makes sends non-blocking sends of size bytes
 * under bh_lock_sock(), as the softirq callers of tcp_sendmsg_locked() do.
 *
 * Read-only counters, exact: sent (sends tcp_sendmsg_locked() accepted), busy (sends skipped
 * because a task owned the socket), failed (sends it refused, e.g. with -EAGAIN) and pending
 * (CPUs whose timer has not done all its ticks yet: 0 once every send is counted).
 *
 * CPU hotplug is ignored: the timers are armed on the CPUs online at load time, and a CPU
 * going offline meanwhile only moves its timer elsewhere (or, at worst, leaves pending above
 * 0); unloading stays safe either way.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/in.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/tcp.h>
#include <linux/timer.h>
#include <linux/uio.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tcp.h>

#define MAX_SIZE 4096

static ushort port;
module_param(port, ushort, 0444);
MODULE_PARM_DESC(port, "the TCP port on 127.0.0.1 to send to (required)");

static unsigned int sends = 10;
module_param(sends, uint, 0444);
MODULE_PARM_DESC(sends, "sends per CPU per tick");

static unsigned int ticks = 10;
module_param(ticks, uint, 0444);
MODULE_PARM_DESC(ticks, "ticks (one a jiffy) per CPU");

static unsigned int size = 64;
module_param(size, uint, 0444);
MODULE_PARM_DESC(size, "bytes per send, 1 to 4096");

static atomic64_t sent = ATOMIC64_INIT(0);
static atomic64_t busy = ATOMIC64_INIT(0);
static atomic64_t failed = ATOMIC64_INIT(0);
static atomic64_t pending = ATOMIC64_INIT(0);

/*
 * Acquire pairs with the barrier before pending's decrement: once pending reads 0, the
 * counters read after it are final.
 */
static int get_counter(char *buffer, const struct kernel_param *kp)
{
	return sysfs_emit(buffer, "%lld\n", atomic64_read_acquire(kp->arg));
}

static const struct kernel_param_ops counter_ops = { .get = get_counter };

module_param_cb(sent, &counter_ops, &sent, 0444);
MODULE_PARM_DESC(sent, "sends tcp_sendmsg_locked() accepted");
module_param_cb(busy, &counter_ops, &busy, 0444);
MODULE_PARM_DESC(busy, "sends skipped because a task owned the socket");
module_param_cb(failed, &counter_ops, &failed, 0444);
MODULE_PARM_DESC(failed, "sends tcp_sendmsg_locked() returned an error for");
module_param_cb(pending, &counter_ops, &pending, 0444);
MODULE_PARM_DESC(pending, "CPUs whose timer has not done all its ticks (0: all done)");

struct cpu_sender {
	struct timer_list timer;
	unsigned int cpu;
	unsigned int done;
};

static struct cpu_sender *senders;
static struct socket *sock;
static bool stopping;
static char payload[MAX_SIZE];

static void send_one(struct sock *sk)
{
	struct kvec vec = { .iov_base = payload, .iov_len = size };
	/* MSG_NOSIGNAL: an -EPIPE must not signal the task this softirq interrupted. */
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	int ret = 0;
	bool owned;

	iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, &vec, 1, size);
	bh_lock_sock(sk);
	owned = sock_owned_by_user(sk);
	if (!owned)
		ret = tcp_sendmsg_locked(sk, &msg, size);
	bh_unlock_sock(sk);

	if (owned)
		atomic64_inc(&busy);
	else if (ret < 0)
		atomic64_inc(&failed);
	else
		atomic64_inc(&sent);
}

static void sender_tick(struct timer_list *timer)
{
	struct cpu_sender *s = container_of(timer, struct cpu_sender, timer);
	unsigned int i;

	for (i = 0; i < sends; i++)
		send_one(sock->sk);

	if (++s->done >= ticks) {
		/* Orders the counts above before pending's decrement. */
		smp_mb__before_atomic();
		atomic64_dec(&pending);
		return;
	}
	/* Never re-armed once unloading has begun (timer_delete_sync() comes next). */
	if (!READ_ONCE(stopping)) {
		s->timer.expires = jiffies + 1;
		add_timer_on(&s->timer, s->cpu);
	}
}

static void stop_senders(void)
{
	unsigned int i;

	WRITE_ONCE(stopping, true);
	for (i = 0; i < nr_cpu_ids; i++)
		timer_delete_sync(&senders[i].timer);
}

static int __init softirq_send_init(void)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	unsigned int i;
	int cpu, ret;

	if (!port) {
		pr_err("port=<the receiver's TCP port> is required\n");
		return -EINVAL;
	}
	if (!size || size > MAX_SIZE) {
		pr_err("size=%u is out of range 1..%d\n", size, MAX_SIZE);
		return -EINVAL;
	}
	memset(payload, 'x', sizeof(payload));

	senders = kcalloc(nr_cpu_ids, sizeof(*senders), GFP_KERNEL);
	if (!senders)
		return -ENOMEM;
	for (i = 0; i < nr_cpu_ids; i++) {
		senders[i].cpu = i;
		timer_setup(&senders[i].timer, sender_tick, TIMER_PINNED);
	}

	ret = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP, &sock);
	if (ret) {
		pr_err("sock_create_kern failed, returned %d\n", ret);
		goto err_free;
	}
	/* The sends happen in softirq: no sleeping allocation, no task's page frag. */
	sock->sk->sk_allocation = GFP_ATOMIC;
	sock->sk->sk_use_task_frag = false;
	tcp_sock_set_nodelay(sock->sk);

	/*
	 * Through a void pointer: kernel_connect() takes a struct sockaddr * in older kernels
	 * (6.12) and a struct sockaddr_unsized * in newer ones (7.2).
	 */
	ret = kernel_connect(sock, (void *)&addr, sizeof(addr), 0);
	if (ret) {
		pr_err("connect to 127.0.0.1:%u failed, returned %d\n", port, ret);
		goto err_release;
	}

	if (!ticks)
		return 0;
	cpus_read_lock();
	/* Set before arming: a timer may finish before the last one is armed. */
	atomic64_set(&pending, num_online_cpus());
	for_each_online_cpu(cpu) {
		senders[cpu].timer.expires = jiffies + 1;
		add_timer_on(&senders[cpu].timer, cpu);
	}
	cpus_read_unlock();
	return 0;

err_release:
	sock_release(sock);
err_free:
	kfree(senders);
	return ret;
}

static void __exit softirq_send_exit(void)
{
	stop_senders();
	kernel_sock_shutdown(sock, SHUT_RDWR);
	sock_release(sock);
	kfree(senders);
	pr_info("sent=%lld busy=%lld failed=%lld pending=%lld\n", atomic64_read(&sent),
		atomic64_read(&busy), atomic64_read(&failed), atomic64_read(&pending));
}

module_init(softirq_send_init);
module_exit(softirq_send_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("TCP sends from softirq context on every CPU, for rust_tcpprobe's tests");
