// SPDX-License-Identifier: GPL-2.0

//! Where the running code is: in a task, a softirq, a hardirq or an NMI (C's `in_task()`,
//! `in_serving_softirq()`, `in_hardirq()`, `in_nmi()`), and on which CPU.
//!
//! C header: [`include/linux/preempt.h`](srctree/include/linux/preempt.h)
//!
//! The kernel keeps both in `preempt_count()`, an inline function that Rust cannot call: on
//! x86_64 a per-CPU variable (`__preempt_count`, or `pcpu_hot.preempt_count` before 6.15),
//! on arm64 a field of the task's `thread_info`. This file reads it as those do, with the
//! masks and offsets that `bindings_helper.h` takes from the kernel tree. On PREEMPT_RT,
//! softirqs are counted in the task (`softirq_disable_cnt`) instead, as C's
//! `softirq_count()` reads them there.
//!
//! A kprobe handler reached through x86_64's `int3` trap (a probe that is neither on an ftrace
//! site nor optimized into a jump) runs in the trap's NMI-like context, which the kernel
//! counts as an NMI: there [`Current::context`] says [`Context::Nmi`] whatever the probed code
//! ran in. arm64's `BRK` handler, optimized probes, return handlers and ftrace-based probes
//! see the probed code's context.

use core::ptr;

use crate::bindings::{self, layout};

/// The kinds of context code runs in, from the outermost.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Context {
    /// A task (process or kernel thread), with or without softirqs disabled.
    Task,
    /// A softirq being served (timers, networking's receive path, tasklets).
    Softirq,
    /// A hardware interrupt's handler.
    Hardirq,
    /// A non-maskable interrupt (or an NMI-like trap, see the module's documentation).
    Nmi,
}

/// The task running the caller (C's `current`; in interrupt context, the interrupted task),
/// read once for several of its fields.
///
/// # Invariants
///
/// `task` is the `struct task_struct` of the task that made this value, alive while it runs;
/// the value is `!Send` and lives no longer than the code that made it (it is not kept).
#[derive(Clone, Copy)]
pub struct Current {
    task: *const u8,
}

impl Current {
    /// The caller's task.
    #[inline(always)]
    pub fn get() -> Self {
        // INVARIANT: `current` is always a valid task, from the task itself.
        Self {
            task: current_task(),
        }
    }

    /// The task, as a pointer to its `struct task_struct`, to read its fields at the offsets
    /// of `bindings_helper.h` (valid while the caller runs).
    pub fn as_ptr(self) -> *const u8 {
        self.task
    }

    /// The CPU the caller runs on (C's `raw_smp_processor_id()`, through `task_cpu(current)`),
    /// less than `nr_cpu_ids`. Exact while the caller cannot migrate (preemption or interrupts
    /// disabled, as in a probe handler); otherwise a CPU it ran on a moment ago.
    pub fn cpu(self) -> usize {
        // SAFETY: `thread_info.cpu` is a `u32` (asserted below) of the task, alive while it
        // runs this (type invariants); the scheduler updates it, hence one volatile read (C's
        // `READ_ONCE` in `task_cpu()`).
        let cpu = unsafe {
            ptr::read_volatile(self.task.add(layout(bindings::KMOD_TASK_CPU)).cast::<u32>())
        };
        cpu as usize
    }

    /// The context the caller runs in.
    pub fn context(self) -> Context {
        let count = preempt_count(self);
        if count & layout(bindings::KMOD_PC_NMI_MASK) as u32 != 0 {
            Context::Nmi
        } else if count & layout(bindings::KMOD_PC_HARDIRQ_MASK) as u32 != 0 {
            Context::Hardirq
        } else if softirq_count(self, count) & layout(bindings::KMOD_PC_SOFTIRQ_OFFSET) as u32 != 0
        {
            Context::Softirq
        } else {
            Context::Task
        }
    }
}

// The fields read below, with the sizes their reads assume.
const _: () = {
    // (x86_64's preempt count operations are as wide as C's.)
    assert!(
        !(cfg!(CONFIG_X86_64) && cfg!(CONFIG_HAS_SEPARATE_PREEMPT_RESCHED_BITS))
            || layout(bindings::KMOD_SIZEOF_PREEMPT_COUNT) == 8
    );
    assert!(layout(bindings::KMOD_SIZEOF_TASK_CPU) == 4);
    // An `int`; on x86_64 since 7.3 an `unsigned long` whose low half (little-endian: its
    // first 4 bytes) holds the count, which C reads with the rest (`raw_cpu_read_8()`).
    assert!(
        layout(bindings::KMOD_SIZEOF_PREEMPT_COUNT) == 4
            || (cfg!(CONFIG_X86_64) && layout(bindings::KMOD_SIZEOF_PREEMPT_COUNT) == 8)
    );
    assert!(layout(bindings::KMOD_SIZEOF_SOFTIRQ_DISABLE_CNT) == 4);
};

/// The CPU the caller runs on: [`Current::cpu`].
pub fn cpu() -> usize {
    Current::get().cpu()
}

/// The number of CPU ids (C's `nr_cpu_ids`): every CPU number is below it.
#[cfg(not(CONFIG_FORCE_NR_CPUS))]
pub fn nr_cpu_ids() -> usize {
    // SAFETY: `nr_cpu_ids` is set at boot, before modules load, and not changed after.
    unsafe { ptr::read(&raw const bindings::nr_cpu_ids) as usize }
}

/// The number of CPU ids: `NR_CPUS`, which a kernel with `CONFIG_FORCE_NR_CPUS` makes
/// `nr_cpu_ids` (a constant there, not a variable).
#[cfg(CONFIG_FORCE_NR_CPUS)]
pub fn nr_cpu_ids() -> usize {
    layout(bindings::KMOD_NR_CPUS)
}

/// C's `current` on x86_64: the per-CPU `current_task` (from 6.15; before, `pcpu_hot`'s), one
/// load, as C's `this_cpu_read_stable()`, rather than a call of the kernel's Rust helper.
#[cfg(CONFIG_X86_64)]
#[inline(always)]
fn current_task() -> *const u8 {
    extern "C" {
        /// The per-CPU variable that holds the task, at `KMOD_PCPU_HOT_CURRENT_TASK`
        /// (`EXPORT_PER_CPU_SYMBOL`).
        #[cfg(not(kmod_x86_pcpu_hot))]
        #[link_name = "current_task"]
        static CURRENT_TASK_BASE: u8;
        /// The per-CPU variable that holds the task, at `KMOD_PCPU_HOT_CURRENT_TASK`
        /// (`EXPORT_PER_CPU_SYMBOL`).
        #[cfg(kmod_x86_pcpu_hot)]
        #[link_name = "pcpu_hot"]
        static CURRENT_TASK_BASE: u8;
    }
    let task: *const u8;
    // SAFETY: Reads this CPU's `current_task`, a pointer, in an exported per-CPU variable, as
    // C's `this_cpu_read_stable()` does (`%gs` holds the CPU's per-CPU base); it writes nothing.
    // It is the running task's on any CPU the caller may move to, so the value is stable.
    unsafe {
        core::arch::asm!(
            "movq %gs:{base}+{offset}, {out}",
            base = sym CURRENT_TASK_BASE,
            offset = const layout(bindings::KMOD_PCPU_HOT_CURRENT_TASK),
            out = out(reg) task,
            options(att_syntax, nostack, pure, readonly, preserves_flags),
        );
    }
    task
}

// The per-CPU variable that holds x86_64's preempt count, at `KMOD_PCPU_HOT_PREEMPT_COUNT`.
#[cfg(CONFIG_X86_64)]
extern "C" {
    /// `__preempt_count` (`EXPORT_PER_CPU_SYMBOL`).
    #[cfg(not(kmod_x86_pcpu_hot))]
    #[link_name = "__preempt_count"]
    static PREEMPT_COUNT_BASE: u8;
    /// `pcpu_hot` (`EXPORT_PER_CPU_SYMBOL`), whose `preempt_count` is the count (6.2 to 6.14).
    #[cfg(kmod_x86_pcpu_hot)]
    #[link_name = "pcpu_hot"]
    static PREEMPT_COUNT_BASE: u8;
}

/// `$op` (`inc`, `dec`) on this CPU's preempt count, at the width C's `__pc_op` uses (`q`, 8
/// bytes, with `CONFIG_HAS_SEPARATE_PREEMPT_RESCHED_BITS`, from 7.3; `l`, 4, before), then the
/// rest of the template and the operands given.
#[cfg(all(CONFIG_X86_64, CONFIG_PREEMPT_COUNT))]
macro_rules! preempt_count_op {
    ($op:literal $(, $more:literal)*
     $(, $operand:ident = $spec:ident($class:ident) $value:ident)*) => {
        if cfg!(CONFIG_HAS_SEPARATE_PREEMPT_RESCHED_BITS) {
            core::arch::asm!(
                concat!($op, "q %gs:{base}+{offset}"),
                $($more,)*
                base = sym PREEMPT_COUNT_BASE,
                offset = const layout(bindings::KMOD_PCPU_HOT_PREEMPT_COUNT),
                $($operand = $spec($class) $value,)*
                options(att_syntax, nostack),
            )
        } else {
            core::arch::asm!(
                concat!($op, "l %gs:{base}+{offset}"),
                $($more,)*
                base = sym PREEMPT_COUNT_BASE,
                offset = const layout(bindings::KMOD_PCPU_HOT_PREEMPT_COUNT),
                $($operand = $spec($class) $value,)*
                options(att_syntax, nostack),
            )
        }
    };
}

/// C's `preempt_disable_notrace()` on x86_64: one more in this CPU's preempt count (as wide
/// as the count: 8 bytes from 7.3), and a compiler barrier. Nothing without
/// `CONFIG_PREEMPT_COUNT` (a kernel that never preempts kernel code). Pair with
/// [`preempt_enable_notrace`], on the same CPU: nothing in between may sleep.
#[cfg(CONFIG_X86_64)]
#[inline(always)]
pub fn preempt_disable_notrace() {
    #[cfg(CONFIG_PREEMPT_COUNT)]
    // SAFETY: Adds one to this CPU's count in an exported per-CPU variable, as C's
    // `__preempt_count_add(1)` does, in one instruction (an interrupt sees it before or after);
    // no memory clobber is declared away, so the compiler keeps accesses on their side of it.
    unsafe {
        preempt_count_op!("inc")
    };
    #[cfg(not(CONFIG_PREEMPT_COUNT))]
    core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
}

/// C's `preempt_enable_notrace()` on x86_64: one less in this CPU's preempt count and, where the
/// kernel preempts (`CONFIG_PREEMPTION`), a reschedule if that made it 0 with one pending (the
/// count's `PREEMPT_NEED_RESCHED` bit is inverted: 0 means both): through the static call of
/// `PREEMPT_DYNAMIC`, as C; without it, `preempt_schedule_notrace` itself, where C calls its
/// register-saving thunk (the same, for a caller that assumes the C ABI's clobbers).
#[cfg(CONFIG_X86_64)]
#[inline(always)]
pub fn preempt_enable_notrace() {
    #[cfg(CONFIG_PREEMPT_COUNT)]
    {
        let zero: u8;
        // SAFETY: Takes one from this CPU's count, as C's `__preempt_count_dec_and_test()`
        // does, after a `preempt_disable_notrace()` on this CPU (the caller's pairing).
        unsafe { preempt_count_op!("dec", "sete {zero}", zero = out(reg_byte) zero) };
        #[cfg(CONFIG_PREEMPTION)]
        if zero != 0 {
            preempt_schedule_notrace();
        }
        #[cfg(not(CONFIG_PREEMPTION))]
        let _ = zero;
    }
    #[cfg(not(CONFIG_PREEMPT_COUNT))]
    core::sync::atomic::compiler_fence(core::sync::atomic::Ordering::SeqCst);
}

/// C's `__preempt_schedule_notrace()`: the reschedule a preempt count that reached 0 asks for.
#[cfg(all(CONFIG_X86_64, CONFIG_PREEMPTION))]
#[cold]
fn preempt_schedule_notrace() {
    extern "C" {
        /// With `PREEMPT_DYNAMIC`, the static call's trampoline
        /// (`EXPORT_STATIC_CALL_TRAMP`): a jump to the reschedule, or a return in the
        /// preemption models that do not preempt kernel code.
        #[cfg(CONFIG_PREEMPT_DYNAMIC)]
        #[link_name = "__SCT__preempt_schedule_notrace"]
        fn schedule();
        /// `preempt_schedule_notrace` (`EXPORT_SYMBOL_GPL`).
        #[cfg(not(CONFIG_PREEMPT_DYNAMIC))]
        #[link_name = "preempt_schedule_notrace"]
        fn schedule();
    }
    // SAFETY: Called as C calls it, with the count back at 0 on this CPU: it reschedules if
    // the task may be preempted, and returns.
    unsafe { schedule() };
}

/// C's `current` elsewhere: the kernel's Rust helper.
#[cfg(not(CONFIG_X86_64))]
#[inline(always)]
fn current_task() -> *const u8 {
    // SAFETY: Takes no arguments; any context.
    unsafe { kernel::bindings::get_current() }.cast::<u8>()
}

/// C's `preempt_count()` on x86_64, without its `PREEMPT_NEED_RESCHED` bit: the per-CPU
/// `__preempt_count` (an `int`; from 7.3 an `unsigned long` whose low 32 bits C reads too, its
/// `PREEMPT_NEED_RESCHED` bit 63 outside them), or from 6.2 to 6.14 `pcpu_hot.preempt_count`.
#[cfg(CONFIG_X86_64)]
fn preempt_count(_current: Current) -> u32 {
    let count: u32;
    // SAFETY: Reads this CPU's copy of the count in an exported per-CPU variable, as C's
    // `raw_cpu_read_4()` does (`%gs` holds the CPU's per-CPU base); a single load of a `u32`,
    // which writes nothing. Migrating after it is harmless: the count is then that of the CPU
    // it ran on, and code that can migrate runs in a task.
    unsafe {
        core::arch::asm!(
            "movl %gs:{base}+{offset}, {out:e}",
            base = sym PREEMPT_COUNT_BASE,
            offset = const layout(bindings::KMOD_PCPU_HOT_PREEMPT_COUNT),
            out = out(reg) count,
            options(att_syntax, nostack, readonly, preserves_flags),
        );
    }
    count & !(layout(bindings::KMOD_PC_NEED_RESCHED) as u32)
}

/// C's `preempt_count()` on arm64: `current_thread_info()->preempt.count`.
#[cfg(CONFIG_ARM64)]
fn preempt_count(current: Current) -> u32 {
    // SAFETY: `thread_info` is the first member of the current task (THREAD_INFO_IN_TASK),
    // whose `preempt.count` is a `u32` at this offset; the task and its interrupts change
    // it, hence one volatile read (C's `READ_ONCE`).
    unsafe {
        ptr::read_volatile(
            current
                .as_ptr()
                .add(layout(bindings::KMOD_TASK_PREEMPT_COUNT))
                .cast::<u32>(),
        )
    }
}

/// C's `softirq_count()` (unmasked), given `preempt_count()`: part of it, or on PREEMPT_RT
/// the task's own count.
fn softirq_count(current: Current, preempt_count: u32) -> u32 {
    #[cfg(CONFIG_PREEMPT_RT)]
    {
        let _ = preempt_count;
        // SAFETY: `softirq_disable_cnt` is an `int` of the current task, changed only by the
        // task itself: one volatile read, as C's plain one.
        unsafe {
            ptr::read_volatile(
                current
                    .as_ptr()
                    .add(layout(bindings::KMOD_TASK_SOFTIRQ_DISABLE_CNT))
                    .cast::<u32>(),
            )
        }
    }
    #[cfg(not(CONFIG_PREEMPT_RT))]
    {
        let _ = current;
        preempt_count
    }
}
