// SPDX-License-Identifier: GPL-2.0

//! What the handlers of every kind of probe (`kprobe.rs`, `kretprobe.rs`, `fprobe.rs`,
//! `direct.rs`) are given, the rules they run under, and what the probes share.
//!
//! - [`Regs`]: the registers of the CPU that hit a probe, saved as that kind of probe saves
//!   them ([`RegsLayout`]), from which handlers read the probed function's arguments: as raw
//!   register values on any function ([`Regs::arg`]), or typed ([`Regs::args`]) when the
//!   handler names the function's C signature ([`Signature`]), which registration checks
//!   against the probed symbol; and [`ReturnRegs`], its return value.
//! - [`into_registered`]: how each probe keeps the allocation that the kernel links.
//!
//! Argument registers are known on x86_64 and arm64 (`bindings_helper.h`).
//!
//! # Context
//!
//! Handlers run where the probed code runs, on whatever CPU and in whatever task hit it: in a
//! task, a softirq, a hardirq or an NMI, whichever calls the probed function (TCP sends, for
//! one, happen in softirqs too), and on x86_64 an `int3`-reached kprobe's in an NMI of its own
//! (`kprobe.rs`). In every case preemption is disabled, and a hit from within a handler runs
//! no handler (it may be counted in the probe's `nmissed`). Several CPUs run them at once,
//! hence `Sync`. So a handler:
//!
//! - must not sleep: no mutex (so no `params::lock()` nor any parameter guard), no
//!   `GFP_KERNEL` allocation, nothing that may schedule;
//! - must take no lock that code it may interrupt can hold: no `SpinLock` (a reader holding it
//!   with interrupts on is interrupted by a softirq's handler that spins on it forever), and on
//!   PREEMPT_RT a spinlock is a sleeping lock; only lock-free structures and atomics (a raw
//!   spinlock taken with interrupts off by every user would do, but not from an NMI, which an
//!   `int3`-reached handler is on x86_64);
//! - must wake no one itself (`CondVar::notify_*`, `wake_up()` take the wait queue's lock,
//!   a sleeping one on PREEMPT_RT): defer the wake-up through an `irq_work`;
//! - may log with `pr_*!` (printk defers its console work in NMIs), read scalar module
//!   parameters (`ScalarParam::get`, a relaxed load) and the clock (`ktime_get_mono_fast_ns`).
//!
//! With `CONFIG_DEBUG_ATOMIC_SLEEP` and lockdep, a sleeping call or an unsafe lock in a handler
//! is reported. Dropping a probe unregisters it and waits until no handler runs any more (an
//! RCU grace period): process context only; calls followed to their return that are still in
//! flight then return without calling the return handler.

use core::marker::PhantomData;
use core::ptr::{self, NonNull};
use kernel::prelude::*;
use kernel::types::Opaque;

use crate::bindings::{self, layout};
use crate::compat::{self, fmt};

/// The C signature of the functions a probe may be planted on, for typed access to their
/// arguments ([`Regs::args`]).
///
/// # Safety
///
/// Every function named in `SYMBOLS` (all functions if it is empty) has arguments that
/// [`Signature::read`] may read as it does from the registers at the function's entry: the
/// references it makes are valid for the duration of the call.
pub unsafe trait Signature: 'static {
    /// The functions with this signature. Empty: any function (then `Args` must be something
    /// that any registers give, as [`AnyFunction`]'s `()`).
    const SYMBOLS: &'static [&'static CStr];

    /// The arguments, as the handlers see them.
    type Args<'a>;

    /// Reads the arguments, from registers saved as any probe saves them (`L`).
    ///
    /// # Safety
    ///
    /// `regs` are the registers at the entry of one of `SYMBOLS`, during that call.
    unsafe fn read<L: RegsLayout>(regs: &Regs<Self, L>) -> Self::Args<'_>;
}

/// Any kernel function: handlers see its arguments as raw register values only.
pub struct AnyFunction;

// SAFETY: `read` reads nothing.
unsafe impl Signature for AnyFunction {
    const SYMBOLS: &'static [&'static CStr] = &[];
    type Args<'a> = ();

    unsafe fn read<L: RegsLayout>(_regs: &Regs<Self, L>) {}
}

/// Whether a probe whose handler has signature `S` may be planted on `symbol`: `-EINVAL` if
/// `S` names the functions it is for and `symbol` is not one of them.
pub fn check_signature<S: Signature + ?Sized>(symbol: &CStr) -> Result {
    let name = compat::cstr_to_bytes(symbol);
    if S::SYMBOLS.is_empty()
        || S::SYMBOLS
            .iter()
            .any(|known| compat::cstr_to_bytes(known) == name)
    {
        Ok(())
    } else {
        Err(EINVAL)
    }
}

/// How a kind of probe saves the registers it hands its handlers: where the argument and
/// return-value registers are in what it saves.
///
/// # Safety
///
/// `ARGS` and `RET` are the offsets, in a `Raw`, of the registers that hold a function's first
/// six integer or pointer arguments at its entry and its return value at its return, each a
/// `usize`, aligned.
pub unsafe trait RegsLayout: 'static {
    /// What the probe saves.
    type Raw;
    /// The offsets of the argument registers.
    const ARGS: [usize; 6];
    /// The offset of the return-value register.
    const RET: usize;
}

/// `struct pt_regs`: what kprobes save, and 6.12's fprobes.
pub struct PtRegs;

// SAFETY: The offsets are those of `struct pt_regs`'s argument and return registers, which
// clang computed for this tree (`enum kmod_layout`), each an `unsigned long`.
unsafe impl RegsLayout for PtRegs {
    type Raw = bindings::pt_regs;
    const ARGS: [usize; 6] = [
        layout(bindings::KMOD_REGS_ARG0),
        layout(bindings::KMOD_REGS_ARG1),
        layout(bindings::KMOD_REGS_ARG2),
        layout(bindings::KMOD_REGS_ARG3),
        layout(bindings::KMOD_REGS_ARG4),
        layout(bindings::KMOD_REGS_ARG5),
    ];
    const RET: usize = layout(bindings::KMOD_REGS_RET);
}

const _: () = assert!(layout(bindings::KMOD_SIZEOF_REG) == core::mem::size_of::<usize>());

/// The registers of the CPU that hit a probe, as its handlers see them: saved as the kind of
/// probe saves them (`L`: [`PtRegs`] for kprobes).
///
/// `S` is the probed function's signature, for [`Regs::args`]; a post-handler sees registers
/// after the probed instruction ran, and so gets them untyped (`Regs<AnyFunction>`).
#[repr(transparent)]
pub struct Regs<S: ?Sized = AnyFunction, L: RegsLayout = PtRegs>(
    Opaque<L::Raw>,
    PhantomData<L>,
    PhantomData<S>,
);

impl<S: Signature + ?Sized, L: RegsLayout> Regs<S, L> {
    /// # Safety
    ///
    /// `regs` points to valid registers, saved as `L` says, for `'a`; if `S` is not
    /// [`AnyFunction`], they are those at the entry of one of `S::SYMBOLS`, during that call.
    pub unsafe fn from_raw<'a>(regs: *mut L::Raw) -> &'a Self {
        // SAFETY: `Regs` is transparent over `L::Raw` (the `PhantomData` are ZSTs); validity
        // is the caller's.
        unsafe { &*regs.cast::<Self>() }
    }

    /// The register at `offset` in what the probe saved.
    fn reg(&self, offset: usize) -> usize {
        // SAFETY: `offset` is one of `L`'s offsets of a register, a `usize`, in an `L::Raw`,
        // which `self` is; the probe saved it before the handler ran.
        unsafe { ptr::read(self.0.get().cast::<u8>().add(offset).cast::<usize>()) }
    }

    /// The `n`th (from 0) integer or pointer argument of the probed function, as the raw value
    /// of its register (C's `regs_get_kernel_argument()`), or `None` past the sixth: the others
    /// are on the stack. Meaningful at the function's entry (a pre-handler, an entry handler),
    /// for arguments that are integers or pointers.
    pub fn arg(&self, n: usize) -> Option<usize> {
        L::ARGS.get(n).map(|&offset| self.reg(offset))
    }

    /// The probed function's arguments, typed by its signature `S`.
    pub fn args(&self) -> S::Args<'_> {
        // SAFETY: A `Regs<S, L>` is made (by the probes' trampolines) only from the registers
        // at the entry of a function that `check_signature::<S>` accepted, during that call.
        unsafe { S::read(self) }
    }
}

/// The registers at a probed function's return, for its return value.
#[repr(transparent)]
pub struct ReturnRegs<L: RegsLayout = PtRegs>(Regs<AnyFunction, L>);

impl<L: RegsLayout> ReturnRegs<L> {
    /// # Safety
    ///
    /// `regs` points to the registers, saved as `L` says, at the return of a function, valid
    /// for `'a`.
    pub unsafe fn from_raw<'a>(regs: *mut L::Raw) -> &'a Self {
        // SAFETY: `ReturnRegs` is transparent over `Regs`, itself over `L::Raw`; validity is
        // the caller's.
        unsafe { &*regs.cast::<Self>() }
    }

    /// The function's return value, as the raw value of its register (C's
    /// `regs_return_value()`).
    pub fn return_value(&self) -> usize {
        self.0.reg(L::RET)
    }

    /// The return value of a function that returns a `long`/`ssize_t`/`int` (a count, or a
    /// negative errno), sign-extended.
    pub fn return_long(&self) -> isize {
        self.return_value() as isize
    }
}

/// The allocation of a probe being registered, from its pinned box, for the value that owns the
/// probe to keep: kprobes or fprobe link into it, so it stays where it is (the pointee stays
/// pinned: no one may move it out) until the owner frees it in place
/// (`Pin::new_unchecked(KBox::from_raw(..))`), or leaves it to the kernel.
pub fn into_registered<T>(probe: Pin<KBox<T>>) -> NonNull<T> {
    // SAFETY: The pointee is not moved: the pointer keeps it where it is, pinned, as said.
    let raw = KBox::into_raw(unsafe { Pin::into_inner_unchecked(probe) });
    // SAFETY: `KBox::into_raw` returns no null pointer.
    unsafe { NonNull::new_unchecked(raw) }
}

/// What every probe does when the kernel failed to unregister it and may still use it: logs
/// `why`, and leaves the allocation (from [`into_registered`]) to the kernel, never freed nor
/// dropped, which kmemleak, scanning it still, is told not to report.
pub(crate) fn leave_to_kernel<T>(allocation: NonNull<T>, why: fmt::Arguments<'_>) {
    pr_err!("{}\n", why);
    #[cfg(CONFIG_DEBUG_KMEMLEAK)]
    // SAFETY: `allocation` is a live allocation of the slab allocator (`KBox`).
    unsafe {
        bindings::kmemleak_not_leak(allocation.as_ptr().cast())
    };
    #[cfg(not(CONFIG_DEBUG_KMEMLEAK))]
    let _ = allocation;
}
