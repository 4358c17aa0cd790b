// SPDX-License-Identifier: GPL-2.0

//! Direct probes: a kernel function's ftrace call site calls a trampoline of the module
//! straight, which calls the handler; the cheapest entry probe there is, as BPF's `fentry`
//! trampolines are.
//!
//! C header: [`include/linux/ftrace.h`](srctree/include/linux/ftrace.h)
//!
//! ftrace patches the `call __fentry__` at the start of the function into a call of the
//! trampoline ([`register_ftrace_direct`], at the function's address as kprobes find it):
//! while it is the function's only ftrace user, no ftrace callback, no lookup of the probe by
//! address, no `pt_regs` (beside other users, ftrace's caller runs their callbacks, then
//! returns into the trampoline). The trampoline
//! ([`direct_trampoline!`]) saves the argument registers, loads the probe its static belongs
//! to and calls [`DirectHandler::entry`]; it is code, one per static, written by the macro for
//! a handler type, so one probe at a time uses it (another gets `-EBUSY`), and one direct
//! probe at a time may be on a function (ftrace's rule: `-EBUSY` too). Entry only: the handler
//! cannot see the return.
//!
//! Kernels: x86_64 with `CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS` (6.12 and 7.x, Debian's
//! stock kernels); this file is built for no other (`#[cfg(kmod_direct_calls)]`, which
//! `lib/compat.mk` derives). arm64's direct calls take another trampoline (the return address
//! in `x9`), not written here: there, use an [`crate::fprobe::Fprobe`]. Functions of the
//! kernel proper only: ftrace does not take a direct call off a module's function when the
//! module goes, so one in a module is refused (`-EOPNOTSUPP`).
//!
//! [`register_ftrace_direct`]: srctree/kernel/trace/ftrace.c
//!
//! # Context
//!
//! The rules of [`crate::regs`]'s "Context": the handler runs in whatever context calls the
//! function, with preemption disabled (the trampoline's Rust side disables it, as ftrace's
//! callbacks run), on several CPUs at once. A hit on a CPU where the probe's handler is
//! running already (the function called from within the handler, or from an interrupt or NMI
//! that came during it) runs no handler and is counted in [`Direct::nmissed`]: each probe
//! counts its running handlers per CPU, as BPF's trampolines count their programs'. Dropping
//! a [`Direct`] unregisters it, and ftrace waits for every task to leave the trampoline
//! (RCU-tasks grace periods, which can take seconds): process context only. A `Direct` must
//! be dropped before its module's exit ends (as every registration): one forgotten
//! (`mem::forget`) leaves ftrace calling the module's code after it is gone.
//!
//! The per-CPU count comes from `pcpu_alloc_noprof()` (C's `alloc_percpu()` is a macro):
//! memory allocation profiling (`CONFIG_MEM_ALLOC_PROFILING`) does not account it to the
//! module.
//!
//! # Mitigations
//!
//! The trampoline starts with `endbr64` (IBT) and returns through `__x86_return_thunk` where
//! the kernel has `CONFIG_MITIGATION_RETHUNK`, as objtool requires. It does not do C's
//! `CALL_DEPTH_ACCOUNT` (call depth tracking, a mitigation for some Intel Skylake-era CPUs,
//! when booted with `retbleed=stuff`): there, a hit may cost a return-stack refill. Aligned
//! to 16 bytes, its address has bit 0 clear, which 7.x's ftrace would take for "jump, not
//! call".

use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};
use kernel::error::to_result;
use kernel::ffi::{c_ulong, c_void};
use kernel::prelude::*;
use kernel::types::Opaque;

use crate::bindings::{self, layout};
use crate::compat;
use crate::context::{preempt_disable_notrace, preempt_enable_notrace};
use crate::regs::{check_signature, into_registered, leave_to_kernel, Regs, RegsLayout, Signature};

/// What a direct probe does at the entry of each call of the function.
///
/// # Examples
///
/// Counting the calls of a function:
///
/// ```ignore
/// struct Counter(AtomicU64);
///
/// impl DirectHandler for Counter {
///     type Signature = AnyFunction;
///
///     fn entry(&self, _regs: &Regs<AnyFunction, DirectRegs>) {
///         self.0.fetch_add(1, Relaxed);
///     }
/// }
///
/// direct_trampoline!(COUNTER, Counter);
///
/// let probe = Direct::new(c_str!("vfs_read"), &COUNTER, Counter(AtomicU64::new(0)))?;
/// pr_info!("{} calls\n", probe.handler().0.load(Relaxed));
/// ```
pub trait DirectHandler: Send + Sync + Sized + 'static {
    /// The probed function's signature, for typed arguments; `AnyFunction` if any.
    type Signature: Signature;

    /// Called at the function's entry, with its argument registers.
    fn entry(&self, regs: &Regs<Self::Signature, DirectRegs>);

    /// Called once the probe is unregistered, before the handler is dropped, with the hits that
    /// ran no handler over its life ([`Direct::nmissed`], final). Process context.
    fn unregistered(&self, _nmissed: u64) {}
}

/// The registers the trampoline saves: `rdi`, `rsi`, `rdx`, `rcx`, `r8`, `r9` (the arguments)
/// and `rax`, from its stack pointer up, in that order. A direct call sees only the entry,
/// where `rax` holds no return value: its `RET` is only there for [`RegsLayout`], and nothing
/// makes a `ReturnRegs<DirectRegs>`.
pub struct DirectRegs;

/// The trampoline's saved registers.
#[repr(C)]
pub struct RawDirectRegs([usize; 7]);

// SAFETY: The trampoline pushes `rax`, `r9`, `r8`, `rcx`, `rdx`, `rsi`, `rdi` and hands the
// stack pointer: `rdi` at 0, ..., `r9` at 40, `rax` at 48, each a `usize`.
unsafe impl RegsLayout for DirectRegs {
    type Raw = RawDirectRegs;
    const ARGS: [usize; 6] = [0, 8, 16, 24, 32, 40];
    const RET: usize = 48;
}

/// A trampoline and the probe it calls: a `static`, made by [`direct_trampoline!`].
///
/// # Invariants
///
/// `code` is the trampoline that [`direct_trampoline!`] wrote for this static: it saves the
/// argument registers, calls `entry::<H>` with them and `probe` (loaded once per call), and
/// restores them. `probe` is null, or points to the live `Inner<H>` of the [`Direct`] being
/// made or registered that holds `busy`, until no task runs the trampoline for it any more.
#[repr(C)]
pub struct Trampoline<H: DirectHandler> {
    /// First: the trampoline loads it from the static's address.
    probe: AtomicPtr<c_void>,
    busy: AtomicBool,
    code: unsafe extern "C" fn(),
    handler: PhantomData<H>,
}

impl<H: DirectHandler> Trampoline<H> {
    /// A trampoline's static, free: for [`direct_trampoline!`] only.
    ///
    /// # Safety
    ///
    /// `code` is the trampoline that [`direct_trampoline!`] writes for the static this value
    /// initialises, with `H`.
    #[doc(hidden)]
    pub const unsafe fn new(code: unsafe extern "C" fn()) -> Self {
        // INVARIANT: The caller's promise; no probe yet.
        Self {
            probe: AtomicPtr::new(ptr::null_mut()),
            busy: AtomicBool::new(false),
            code,
            handler: PhantomData,
        }
    }

    /// The trampoline's address, as ftrace takes it.
    fn address(&self) -> c_ulong {
        self.code as usize as c_ulong
    }
}

/// Writes a trampoline for direct probes whose handler is `$handler`, and the `static` `$name`
/// that [`Direct::new`] takes it by. See [`DirectHandler`]. (The crate root declares this file
/// as `mod direct`, as the macro names it.)
macro_rules! direct_trampoline {
    ($name:ident, $handler:ty) => {
        static $name: $crate::direct::Trampoline<$handler> = {
            extern "C" {
                #[link_name = concat!("__kmod_direct_", stringify!($name))]
                fn code();
            }
            // SAFETY: `code` is the trampoline below, written for `$handler`, whose probe
            // pointer is this static's first field.
            unsafe { $crate::direct::Trampoline::new(code) }
        };
        // The trampoline: called by the probed function's first instruction, `rsp` pointing
        // at the return address into it. Saves the registers that carry arguments (and
        // `rax`, which variadic functions read), calls `entry::<$handler>(regs, probe)`,
        // restores them and returns into the function.
        ::core::arch::global_asm!(
            ".pushsection .text, \"ax\", @progbits",
            ".p2align 4",
            concat!(".globl __kmod_direct_", stringify!($name)),
            concat!(".type __kmod_direct_", stringify!($name), ", @function"),
            concat!("__kmod_direct_", stringify!($name), ":"),
            "endbr64",
            "pushq %rbp",
            "movq %rsp, %rbp",
            "pushq %rax",
            "pushq %r9",
            "pushq %r8",
            "pushq %rcx",
            "pushq %rdx",
            "pushq %rsi",
            "pushq %rdi",
            "movq %rsp, %rdi",
            "movq {probe}(%rip), %rsi",
            "call {entry}",
            "popq %rdi",
            "popq %rsi",
            "popq %rdx",
            "popq %rcx",
            "popq %r8",
            "popq %r9",
            "popq %rax",
            "popq %rbp",
            $crate::direct::__return!(),
            "int3",
            concat!(
                ".size __kmod_direct_",
                stringify!($name),
                ", .-__kmod_direct_",
                stringify!($name)
            ),
            ".popsection",
            probe = sym $name,
            entry = sym $crate::direct::entry::<$handler>,
            options(att_syntax)
        );
    };
}
pub(crate) use direct_trampoline;

/// How the trampoline returns: through the return thunk where the kernel has one.
#[cfg(CONFIG_MITIGATION_RETHUNK)]
#[doc(hidden)]
macro_rules! __return {
    () => {
        "jmp __x86_return_thunk"
    };
}
#[cfg(not(CONFIG_MITIGATION_RETHUNK))]
#[doc(hidden)]
macro_rules! __return {
    () => {
        "ret"
    };
}
pub(crate) use __return;

/// A per-CPU `u32`, zeroed: C's `alloc_percpu(u32)`, freed when dropped.
///
/// # Invariants
///
/// `ptr` is a per-CPU pointer from `pcpu_alloc_noprof` of a `u32`, owned by this value.
struct PerCpuU32 {
    ptr: NonNull<c_void>,
}

impl PerCpuU32 {
    fn new() -> Result<Self> {
        // SAFETY: Process context (`Direct::new`); a `u32` per CPU, zeroed, `GFP_KERNEL`.
        let ptr = unsafe { bindings::pcpu_alloc_noprof(4, 4, false, kernel::bindings::GFP_KERNEL) };
        // INVARIANT: Allocated here, for this value.
        Ok(Self {
            ptr: NonNull::new(ptr).ok_or(ENOMEM)?,
        })
    }

    /// Adds one to this CPU's count and returns what it was (C's `this_cpu_inc_return() - 1`).
    /// The caller keeps to this CPU (preemption disabled) until [`PerCpuU32::dec`].
    #[inline(always)]
    fn inc(&self) -> u32 {
        let mut old: u32 = 1;
        // SAFETY: `%gs` holds this CPU's per-CPU base, which a per-CPU pointer is an offset
        // from, as C's `this_cpu_*()` take it on x86_64; the `u32` is alive (type invariant).
        // One instruction: an interrupt sees it before or after.
        unsafe {
            core::arch::asm!(
                "xaddl {old:e}, %gs:({ptr})",
                old = inout(reg) old,
                ptr = in(reg) self.ptr.as_ptr(),
                options(att_syntax, nostack),
            )
        };
        old
    }

    /// Takes one from this CPU's count (C's `this_cpu_dec()`), after [`PerCpuU32::inc`] on it.
    #[inline(always)]
    fn dec(&self) {
        // SAFETY: As in `inc`.
        unsafe {
            core::arch::asm!(
                "decl %gs:({ptr})",
                ptr = in(reg) self.ptr.as_ptr(),
                options(att_syntax, nostack),
            )
        };
    }
}

impl Drop for PerCpuU32 {
    fn drop(&mut self) {
        // SAFETY: `ptr` is this value's allocation (type invariant), no longer used.
        unsafe { bindings::free_percpu(self.ptr.as_ptr()) };
    }
}

/// What ftrace links: the `struct ftrace_ops` and, beside it, the handler the trampoline calls.
///
/// # Invariants
///
/// While `ops` is registered, its direct call is the trampoline whose static's `probe` points
/// here.
#[pin_data]
struct Inner<H: DirectHandler> {
    /// What the trampoline calls.
    handler: H,
    /// Per CPU, the handlers running (0 or 1, but for an instant).
    active: PerCpuU32,
    /// Hits that ran no handler, its handler running on their CPU already.
    missed: AtomicU64,
    /// What ftrace links, by its address.
    #[pin]
    ops: Opaque<bindings::ftrace_ops>,
}

/// A direct probe registered on a kernel function; dropping it unregisters it.
///
/// # Invariants
///
/// `inner` comes from [`KBox::into_raw`] of a pinned box in [`Direct::new`] and is owned by
/// this value; its `ops` is registered with `trampoline`'s code until `drop` unregisters it,
/// and `trampoline`'s `busy` is this value's, its `probe` `inner`.
///
/// # Examples
///
/// See [`DirectHandler`].
pub struct Direct<H: DirectHandler> {
    inner: NonNull<Inner<H>>,
    trampoline: &'static Trampoline<H>,
}

// SAFETY: A direct probe may be unregistered from any task, and the handler is `Send`.
unsafe impl<H: DirectHandler> Send for Direct<H> {}

// SAFETY: Shared access only reads the `Sync` handler and the atomic `missed`.
unsafe impl<H: DirectHandler> Sync for Direct<H> {}

/// The address of the function `symbol`, as kprobes find it: through a kprobe registered
/// disabled (never armed: no code is patched) and unregistered at once. ftrace's own filter
/// by name knows one name per address, and misses aliases (x86_64's `__x64_sys_*` entries of
/// the syscalls without arguments are aliases of `__do_sys_*`), which kprobes, looking names
/// up in kallsyms, find.
/// (So the functions kprobes refuse, `NOKPROBE_SYMBOL`, are refused here too: `-EINVAL`.)
fn address_of(symbol: &CStr) -> Result<c_ulong> {
    let mut kp = MaybeUninit::<bindings::kprobe>::zeroed();
    let kp = kp.as_mut_ptr();
    // SAFETY: `kp` is a valid `struct kprobe`, zeroed (C's `{}`), not shared.
    unsafe {
        (*kp).symbol_name = symbol.as_char_ptr();
        (*kp).flags = bindings::KPROBE_FLAG_DISABLED;
    }
    // SAFETY: `kp` is a valid `struct kprobe` with its name, which kprobes links while it is
    // registered: until the `unregister_kprobe` below; `symbol` outlives that.
    to_result(unsafe { bindings::register_kprobe(kp) })?;
    // SAFETY: Registered, `kp` holds the address kprobes found (never armed: disabled).
    let addr = unsafe { (*kp).addr } as c_ulong;
    // SAFETY: `kp` is registered; once this returns, kprobes no longer uses it.
    unsafe { bindings::unregister_kprobe(kp) };
    Ok(addr)
}

/// Whether `address` is in a module (`sprint_symbol` names its module after the symbol).
fn in_module(address: c_ulong) -> Result<bool> {
    let size = layout(bindings::KMOD_KSYM_SYMBOL_LEN);
    let mut buf = KVec::from_elem(0u8, size, GFP_KERNEL)?;
    // SAFETY: `buf` holds `KSYM_SYMBOL_LEN` bytes, what `sprint_symbol` may write with its NUL.
    let len = unsafe { bindings::sprint_symbol(buf.as_mut_ptr().cast(), address) };
    let len = usize::try_from(len).unwrap_or(0).min(size);
    Ok(buf[..len].contains(&b'['))
}

/// Waits until no task runs a trampoline that ftrace may have called for an `ftrace_ops` it
/// no longer has: what `ftrace_shutdown()` waits for (RCU-tasks, "rude" then normal; plain RCU
/// where a kernel that cannot preempt kernel code has no RCU-tasks). Process context.
fn wait_for_trampolines() {
    #[cfg(CONFIG_TASKS_RUDE_RCU)]
    // SAFETY: Process context, no lock held (`Direct::new`).
    unsafe {
        bindings::synchronize_rcu_tasks_rude()
    };
    #[cfg(CONFIG_TASKS_RCU)]
    // SAFETY: As above.
    unsafe {
        bindings::synchronize_rcu_tasks()
    };
    #[cfg(not(CONFIG_TASKS_RCU))]
    // SAFETY: As above.
    unsafe {
        bindings::synchronize_rcu()
    };
}

impl<H: DirectHandler> Direct<H> {
    /// Plants a direct probe on the kernel function `symbol`, its handler called through
    /// `trampoline` (C's `ftrace_set_filter_ip` and `register_ftrace_direct`). The handler may
    /// run as soon as it is registered, on any CPU.
    ///
    /// Fails with `-EINVAL` if the handler's [`Signature`] does not list `symbol`, or ftrace
    /// cannot trace the function; `-ENOENT` for a function kallsyms does not know;
    /// `-EOPNOTSUPP` for a function of a module; `-EBUSY` if the trampoline serves another
    /// probe, or the function has a direct call already, or an ftrace user that may change
    /// the instruction pointer (a kprobe with a post-handler, livepatch); and as
    /// `register_kprobe` (which finds the function's address) and `register_ftrace_direct` do.
    /// Then nothing stays registered or allocated (but when ftrace disabled itself meanwhile,
    /// `-ENODEV`: then the probe and the trampoline are left to it). Sleeps: process context
    /// only.
    pub fn new(symbol: &CStr, trampoline: &'static Trampoline<H>, handler: H) -> Result<Self> {
        check_signature::<H::Signature>(symbol)?;
        let address = address_of(symbol)?;
        if in_module(address)? {
            return Err(compat::eopnotsupp());
        }
        if trampoline
            .busy
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            return Err(EBUSY);
        }
        let active = match PerCpuU32::new() {
            Ok(active) => active,
            Err(e) => {
                trampoline.busy.store(false, Ordering::Release);
                return Err(e);
            }
        };
        let inner = KBox::pin_init(
            try_pin_init!(Inner::<H> {
                handler,
                active,
                missed: AtomicU64::new(0),
                ops <- compat::opaque_try_ffi_init(|ops: *mut bindings::ftrace_ops| {
                    // SAFETY: `ops` is valid for writes; a zeroed `ftrace_ops` is C's `{}`.
                    unsafe { ops.write_bytes(0, 1) };
                    Ok::<(), Error>(())
                }),
            }),
            GFP_KERNEL,
        );
        let inner = match inner {
            Ok(inner) => inner,
            Err(e) => {
                trampoline.busy.store(false, Ordering::Release);
                return Err(e);
            }
        };
        let ops = Opaque::get(&inner.ops);
        // INVARIANT: The trampoline's probe, set before any call site calls it (ftrace's
        // patching of the call sites orders this store before the calls).
        trampoline
            .probe
            .store(ptr::from_ref(&*inner).cast_mut().cast(), Ordering::Release);
        // SAFETY: `ops` is a zeroed `struct ftrace_ops` in a pinned allocation that outlives
        // its registration. (`-EINVAL`: no ftrace site at `address`.)
        let ret = to_result(unsafe { bindings::ftrace_set_filter_ip(ops, address, 0, 1) });
        let mut tried = false;
        let ret = ret.and_then(|()| {
            tried = true;
            // SAFETY: `ops` has the filter just set, and is not registered; the address is the
            // trampoline for `H`, which calls `inner`'s handler (`Trampoline`'s invariant).
            to_result(unsafe { bindings::register_ftrace_direct(ops, trampoline.address()) })
        });
        match ret {
            Ok(()) => {}
            // ftrace disabled itself meanwhile (it found a bug of its own), maybe with the
            // call sites patched: everything is left as it is, never freed, as `drop` does.
            Err(e) if e == ENODEV => {
                leave_to_kernel(
                    into_registered(inner),
                    format_args!("ftrace is disabled (ENODEV): the direct probe is left to it"),
                );
                return Err(e);
            }
            Err(e) => {
                // A refused registration may have been on ftrace's list for a moment (refused
                // for an ftrace user on the function that may change the instruction pointer,
                // once listed), calling the trampoline: wait for those calls, as
                // `ftrace_shutdown()` would, before the probe goes.
                if tried {
                    wait_for_trampolines();
                }
                // SAFETY: `ops` is not registered: its filter (if any) can be freed.
                unsafe { bindings::ftrace_free_filter(ops) };
                trampoline.probe.store(ptr::null_mut(), Ordering::Relaxed);
                trampoline.busy.store(false, Ordering::Release);
                return Err(e);
            }
        }
        // INVARIANT: From `KBox::into_raw` of the pinned box, registered with the trampoline's
        // code, whose `busy` this value took and whose `probe` is `inner`.
        Ok(Self {
            inner: into_registered(inner),
            trampoline,
        })
    }

    /// The handler, as the trampoline's calls see it.
    pub fn handler(&self) -> &H {
        // SAFETY: `inner` is live as long as `self` (type invariant).
        unsafe { &(*self.inner.as_ptr()).handler }
    }

    /// Hits that ran no handler, its handler running on their CPU already (see the module's
    /// "Context").
    pub fn nmissed(&self) -> u64 {
        // SAFETY: `inner` is live as long as `self` (type invariant).
        unsafe { (*self.inner.as_ptr()).missed.load(Ordering::Relaxed) }
    }
}

impl<H: DirectHandler> Drop for Direct<H> {
    fn drop(&mut self) {
        let inner = self.inner.as_ptr();
        // SAFETY: `inner` is live (type invariant); no reference to its `ops` is made.
        let ops = unsafe { Opaque::get(&(*inner).ops) };
        // SAFETY: `ops` is registered with the trampoline's code (type invariant).
        // `unregister_ftrace_direct` restores the call sites and waits until no task runs the
        // trampoline any more; `true`: it frees the filter too.
        let ret =
            unsafe { bindings::unregister_ftrace_direct(ops, self.trampoline.address(), true) };
        if ret < 0 {
            // ftrace failed (and disabled itself) and may keep calling the trampoline: the
            // probe and its allocation are left as they are (`H: 'static`: it borrows
            // nothing). The module must then stay, which nothing here can ensure: a module's
            // exit drops its probes.
            leave_to_kernel(
                self.inner,
                format_args!(
                    "unregister_ftrace_direct failed ({ret}): the probe is left, do not unload"
                ),
            );
            return;
        }
        self.trampoline
            .probe
            .store(ptr::null_mut(), Ordering::Relaxed);
        self.trampoline.busy.store(false, Ordering::Release);
        // SAFETY: `inner` is live, no longer registered: no task runs the trampoline for it.
        unsafe {
            let inner = &*inner;
            inner
                .handler
                .unregistered(inner.missed.load(Ordering::Relaxed));
        }
        // SAFETY: As above; from `KBox::into_raw` (type invariant), freed once, here.
        unsafe { drop(Pin::new_unchecked(KBox::from_raw(inner))) };
    }
}

/// What the trampoline of a `Trampoline<H>` calls: the handler, with preemption disabled,
/// unless it runs on this CPU already.
///
/// # Safety
///
/// Called by that trampoline only, at the entry of a function that `H::Signature` accepted,
/// with `regs` the argument registers it saved and `probe` its static's `probe`.
#[doc(hidden)]
pub unsafe extern "C" fn entry<H: DirectHandler>(regs: *mut RawDirectRegs, probe: *const c_void) {
    // (Null only if ftrace called a trampoline whose probe is gone: never, by `Trampoline`'s
    // invariant; one test, for margin.)
    if probe.is_null() {
        return;
    }
    // SAFETY: `probe` is the live `Inner<H>` of the `Direct<H>` the trampoline is for
    // (`Trampoline`'s invariant).
    let probe = unsafe { &*probe.cast::<Inner<H>>() };
    preempt_disable_notrace();
    if probe.active.inc() == 0 {
        // SAFETY: `regs` are the registers at the entry of a function `H::Signature` accepted,
        // saved by the trampoline, during the call.
        let regs = unsafe { Regs::<H::Signature, DirectRegs>::from_raw(regs) };
        probe.handler.entry(regs);
    } else {
        probe.missed.fetch_add(1, Ordering::Relaxed);
    }
    probe.active.dec();
    preempt_enable_notrace();
}
