/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What bindgen reads to make rust_tcpprobe's own bindings (tcpprobe/bindings.rs), as this
 * kernel tree and config define them: ktime_get_mono_fast_ns(), and enum tcpprobe_layout, the
 * offsets and sizes of the fields of a TCP socket and of a task that a record holds (see
 * lib/bindings_helper.h for why offsets).
 */
#include <linux/sched.h>
#include <linux/stddef.h>
#include <linux/timekeeping.h>
#include <net/sock.h>
#include <net/tcp.h>

#define KMOD_SIZEOF(type, field) sizeof(((type *)0)->field)

enum tcpprobe_layout {
	/* A TCP socket's addresses, ports and the state tcp_probe recorded. */
	KMOD_SK_FAMILY = offsetof(struct sock, sk_family),
	KMOD_SK_DADDR = offsetof(struct sock, sk_daddr),
	KMOD_SK_RCV_SADDR = offsetof(struct sock, sk_rcv_saddr),
	KMOD_SK_DPORT = offsetof(struct sock, sk_dport),
	KMOD_SK_NUM = offsetof(struct sock, sk_num),
#if IS_ENABLED(CONFIG_IPV6)
	KMOD_HAS_IPV6 = 1,
	KMOD_SK_V6_DADDR = offsetof(struct sock, sk_v6_daddr),
	KMOD_SK_V6_RCV_SADDR = offsetof(struct sock, sk_v6_rcv_saddr),
#else
	KMOD_HAS_IPV6 = 0,
	KMOD_SK_V6_DADDR = 0,
	KMOD_SK_V6_RCV_SADDR = 0,
#endif
	KMOD_TP_SND_CWND = offsetof(struct tcp_sock, snd_cwnd),
	KMOD_TP_SRTT_US = offsetof(struct tcp_sock, srtt_us),
	KMOD_TP_SND_WND = offsetof(struct tcp_sock, snd_wnd),
	KMOD_SIZEOF_SND_CWND = KMOD_SIZEOF(struct tcp_sock, snd_cwnd),
	KMOD_SIZEOF_SRTT_US = KMOD_SIZEOF(struct tcp_sock, srtt_us),
	KMOD_SIZEOF_SND_WND = KMOD_SIZEOF(struct tcp_sock, snd_wnd),
	KMOD_AF_INET = AF_INET,
	KMOD_AF_INET6 = AF_INET6,

	/* The task that sends. */
	KMOD_TASK_TGID = offsetof(struct task_struct, tgid),
	KMOD_TASK_COMM = offsetof(struct task_struct, comm),
	KMOD_SIZEOF_TGID = KMOD_SIZEOF(struct task_struct, tgid),
	KMOD_SIZEOF_COMM = KMOD_SIZEOF(struct task_struct, comm),
};
