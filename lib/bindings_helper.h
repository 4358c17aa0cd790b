/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What bindgen reads to make bindings_generated.rs, the library's C API (bindings.rs), as this
 * kernel tree and config define it:
 * - struct kprobe and struct kretprobe, their (un)registration, kmemleak_not_leak() (only with
 *   CONFIG_DEBUG_KMEMLEAK);
 * - struct fprobe, its (un)registration (with CONFIG_FPROBE) and FPROBE_FL_DISABLED;
 * - struct ftrace_ops, ftrace_set_filter_ip() and ftrace_free_filter(),
 *   (un)register_ftrace_direct() (direct.rs, with CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS), and
 *   KPROBE_FLAG_DISABLED (which it finds a function's address with), sprint_symbol(), the
 *   RCU-tasks waits, and per-CPU allocations (pcpu_alloc_noprof(), free_percpu());
 * - get_random_u64();
 * - procfs's proc_ops, proc_create_data(), proc_remove() and init_net;
 * - irq_work_queue() and irq_work_sync(), nr_cpu_ids;
 * - enum kmod_layout: the offsets and sizes of the fields read from structures that are opaque
 *   to Rust here (pt_regs, ftrace_regs, kretprobe_instance, task_struct, net, file). clang
 *   evaluates them for this tree, so the Rust side names no field that moves between kernel
 *   versions or that bindgen would reach through anonymous unions; and the masks of
 *   preempt_count() that tell the context code runs in (context.rs).
 */
#include <linux/fprobe.h>
#include <linux/fs.h>
#include <linux/ftrace.h>
#include <linux/irq_work.h>
#include <linux/kallsyms.h>
#include <linux/kmemleak.h>
#include <linux/kprobes.h>
#include <linux/preempt.h>
#include <linux/proc_fs.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/stddef.h>
#include <net/net_namespace.h>

#define KMOD_SIZEOF(type, field) sizeof(((type *)0)->field)

enum kmod_layout {
	/* The first six arguments of a function, at its entry, and its return value. */
#if defined(CONFIG_X86_64)
	KMOD_REGS_ARG0 = offsetof(struct pt_regs, di),
	KMOD_REGS_ARG1 = offsetof(struct pt_regs, si),
	KMOD_REGS_ARG2 = offsetof(struct pt_regs, dx),
	KMOD_REGS_ARG3 = offsetof(struct pt_regs, cx),
	KMOD_REGS_ARG4 = offsetof(struct pt_regs, r8),
	KMOD_REGS_ARG5 = offsetof(struct pt_regs, r9),
	KMOD_REGS_RET = offsetof(struct pt_regs, ax),
#elif defined(CONFIG_ARM64)
	KMOD_REGS_ARG0 = offsetof(struct pt_regs, regs[0]),
	KMOD_REGS_ARG1 = offsetof(struct pt_regs, regs[1]),
	KMOD_REGS_ARG2 = offsetof(struct pt_regs, regs[2]),
	KMOD_REGS_ARG3 = offsetof(struct pt_regs, regs[3]),
	KMOD_REGS_ARG4 = offsetof(struct pt_regs, regs[4]),
	KMOD_REGS_ARG5 = offsetof(struct pt_regs, regs[5]),
	KMOD_REGS_RET = offsetof(struct pt_regs, regs[0]),
#else
#error "kprobe.rs reads arguments on x86_64 and arm64 only"
#endif
	KMOD_SIZEOF_REG = sizeof(unsigned long),

	/*
	 * fprobe (fprobe.rs): 7.x hands its handlers struct ftrace_regs, whose layout is the
	 * architecture's struct __arch_ftrace_regs (x86_64: a struct pt_regs of which the argument
	 * registers are saved; arm64: x0-x8 first), and carries at most MAX_FPROBE_DATA_SIZE bytes
	 * from the entry to the exit. 6.12 hands struct pt_regs.
	 */
#if defined(CONFIG_FPROBE) && defined(KMOD_FPROBE_FREGS)
#if defined(CONFIG_X86_64)
	KMOD_FREGS_ARG0 = offsetof(struct __arch_ftrace_regs, regs.di),
	KMOD_FREGS_ARG1 = offsetof(struct __arch_ftrace_regs, regs.si),
	KMOD_FREGS_ARG2 = offsetof(struct __arch_ftrace_regs, regs.dx),
	KMOD_FREGS_ARG3 = offsetof(struct __arch_ftrace_regs, regs.cx),
	KMOD_FREGS_ARG4 = offsetof(struct __arch_ftrace_regs, regs.r8),
	KMOD_FREGS_ARG5 = offsetof(struct __arch_ftrace_regs, regs.r9),
	KMOD_FREGS_RET = offsetof(struct __arch_ftrace_regs, regs.ax),
#elif defined(CONFIG_ARM64)
	KMOD_FREGS_ARG0 = offsetof(struct __arch_ftrace_regs, regs[0]),
	KMOD_FREGS_ARG1 = offsetof(struct __arch_ftrace_regs, regs[1]),
	KMOD_FREGS_ARG2 = offsetof(struct __arch_ftrace_regs, regs[2]),
	KMOD_FREGS_ARG3 = offsetof(struct __arch_ftrace_regs, regs[3]),
	KMOD_FREGS_ARG4 = offsetof(struct __arch_ftrace_regs, regs[4]),
	KMOD_FREGS_ARG5 = offsetof(struct __arch_ftrace_regs, regs[5]),
	KMOD_FREGS_RET = offsetof(struct __arch_ftrace_regs, regs[0]),
#endif
	KMOD_SIZEOF_FREGS = sizeof(struct __arch_ftrace_regs),
	KMOD_FPROBE_MAX_DATA_SIZE = MAX_FPROBE_DATA_SIZE,
#else
	/* 7.x's limit on 6.12 too, so that a handler that builds on one line builds on all. */
	KMOD_FPROBE_MAX_DATA_SIZE = 15 * sizeof(long),
#endif

	/* get_kretprobe(): the kretprobe of an instance, through its rethook or holder. */
	KMOD_RI_DATA = offsetof(struct kretprobe_instance, data),
	KMOD_KRETPROBE_MAX_DATA_SIZE = KRETPROBE_MAX_DATA_SIZE,
#ifdef CONFIG_KRETPROBE_ON_RETHOOK
	KMOD_RI_OWNER = offsetof(struct kretprobe_instance, node.rethook),
	KMOD_OWNER_RP = offsetof(struct rethook, data),
#else
	KMOD_RI_OWNER = offsetof(struct kretprobe_instance, rph),
	KMOD_OWNER_RP = offsetof(struct kretprobe_holder, rp),
#endif

	/* The CPU a task runs on (context.rs). */
#ifndef CONFIG_SMP
#error "context.rs needs CONFIG_SMP (task_cpu(), per-CPU preempt_count)"
#endif
	KMOD_NR_CPUS = NR_CPUS,
	KMOD_TASK_CPU = offsetof(struct task_struct, thread_info.cpu),
	KMOD_SIZEOF_TASK_CPU = KMOD_SIZEOF(struct task_struct, thread_info.cpu),

	/*
	 * The context code runs in (context.rs): preempt_count()'s masks, and where it is read.
	 * x86_64 keeps it per CPU (__preempt_count; in pcpu_hot before 6.15), arm64 in the
	 * task's thread_info. x86_64's current task too (current_task; pcpu_hot before
	 * 6.15). PREEMPT_RT counts softirqs in the task (softirq_disable_cnt).
	 */
	KMOD_PC_NMI_MASK = NMI_MASK,
	KMOD_PC_HARDIRQ_MASK = HARDIRQ_MASK,
	KMOD_PC_SOFTIRQ_OFFSET = SOFTIRQ_OFFSET,
#if defined(CONFIG_X86_64)
	KMOD_PC_NEED_RESCHED = PREEMPT_NEED_RESCHED,
#else
	KMOD_PC_NEED_RESCHED = 0,
#endif
#if defined(CONFIG_X86_64) && defined(KMOD_X86_PCPU_HOT)
	KMOD_PCPU_HOT_PREEMPT_COUNT = offsetof(struct pcpu_hot, preempt_count),
	KMOD_SIZEOF_PREEMPT_COUNT = KMOD_SIZEOF(struct pcpu_hot, preempt_count),
	KMOD_PCPU_HOT_CURRENT_TASK = offsetof(struct pcpu_hot, current_task),
#elif defined(CONFIG_X86_64)
	KMOD_PCPU_HOT_PREEMPT_COUNT = 0,
	KMOD_SIZEOF_PREEMPT_COUNT = sizeof(__preempt_count),
	KMOD_PCPU_HOT_CURRENT_TASK = 0,
#endif
#if defined(CONFIG_ARM64)
	KMOD_TASK_PREEMPT_COUNT = offsetof(struct task_struct, thread_info.preempt.count),
	KMOD_SIZEOF_PREEMPT_COUNT = KMOD_SIZEOF(struct task_struct, thread_info.preempt.count),
#else
	KMOD_TASK_PREEMPT_COUNT = 0,
#endif
#if defined(CONFIG_PREEMPT_RT)
	KMOD_TASK_SOFTIRQ_DISABLE_CNT = offsetof(struct task_struct, softirq_disable_cnt),
	KMOD_SIZEOF_SOFTIRQ_DISABLE_CNT = KMOD_SIZEOF(struct task_struct, softirq_disable_cnt),
#else
	KMOD_TASK_SOFTIRQ_DISABLE_CNT = 0,
	KMOD_SIZEOF_SOFTIRQ_DISABLE_CNT = 4,
#endif

	/* Direct calls (direct.rs): sprint_symbol()'s buffer. */
	KMOD_KSYM_SYMBOL_LEN = KSYM_SYMBOL_LEN,

	/* irq_work: its callback, set in a zeroed irq_work as IRQ_WORK_INIT() does. */
	KMOD_IRQ_WORK_FUNC = offsetof(struct irq_work, func),

	/* procfs: /proc/net of the initial namespace, and a reader's file. */
	KMOD_NET_PROC_NET = offsetof(struct net, proc_net),
	KMOD_FILE_F_INODE = offsetof(struct file, f_inode),
	KMOD_FILE_F_FLAGS = offsetof(struct file, f_flags),
	KMOD_INODE_I_PRIVATE = offsetof(struct inode, i_private),
	KMOD_O_NONBLOCK = O_NONBLOCK,
};
