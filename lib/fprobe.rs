// SPDX-License-Identifier: GPL-2.0

//! Fprobes for Rust modules: probes on kernel functions through ftrace, at their entry and, if
//! the handler asks for it, at their return, with data carried from one to the other per call.
//!
//! C header: [`include/linux/fprobe.h`](srctree/include/linux/fprobe.h)
//!
//! An fprobe hooks the call to `ftrace` that the compiler put at the start of a function (the
//! `__fentry__` site, patched at run time): no trap and none of kprobes' bookkeeping, which a
//! kprobe on the same site adds on top of ftrace's callback, and at the return ftrace's own
//! return hook instead of a kretprobe's. Only functions that ftrace can trace can be probed
//! (`/sys/kernel/tracing/available_filter_functions`); registration refuses others.
//!
//! Kernels: those with `CONFIG_FPROBE`, which this file is built for only: 7.x on x86_64 and
//! arm64, 6.12 on x86_64 only (its fprobe needs `DYNAMIC_FTRACE_WITH_REGS`). 6.12 hands the
//! handlers the whole `struct pt_regs` and follows returns with rethook; 7.x hands a
//! `struct ftrace_regs` (the argument registers) and follows returns on the function-graph
//! tracer's shadow stack, with at most 120 bytes of data per call. [`Regs`] reads the
//! arguments alike from both ([`FprobeRegs`]).
//!
//! # Context
//!
//! The rules of [`crate::regs`]'s "Context": handlers run in whatever context calls the
//! probed function (task, softirq, hardirq, NMI), with preemption disabled, on several CPUs at
//! once. A handler must not sleep, take a lock that the code it interrupts may hold, or wake
//! anyone; atomics, lock-free structures, `pr_*!` and the clock are fine. A hit from within a
//! handler (the probed function called by it, directly or not) runs no handler. Dropping an
//! [`Fprobe`] unregisters it and waits until no handler runs any more (7.x: an RCU grace
//! period; 6.12: RCU-tasks grace periods, which can take seconds): process context only;
//! calls still in flight then return without calling the exit handler.

use core::mem::{align_of, offset_of, size_of};
use core::ptr::{self, NonNull};
use kernel::error::to_result;
use kernel::ffi::{c_int, c_ulong, c_void};
use kernel::prelude::*;
use kernel::types::Opaque;

use crate::bindings::{self, layout};
use crate::compat;
use crate::regs::{check_signature, into_registered, leave_to_kernel, Regs, ReturnRegs, Signature};

/// `struct ftrace_regs`: what 7.x's fprobes save, the architecture's `__arch_ftrace_regs`.
#[cfg(kmod_fprobe_fregs)]
pub struct FtraceRegs;

/// The bytes of a `struct __arch_ftrace_regs`, words.
#[cfg(kmod_fprobe_fregs)]
#[repr(C)]
pub struct RawFtraceRegs([usize; layout(bindings::KMOD_SIZEOF_FREGS) / size_of::<usize>()]);

// SAFETY: The offsets are those of the argument and return registers in this tree's
// `struct __arch_ftrace_regs` (`enum kmod_layout`), each an `unsigned long`.
#[cfg(kmod_fprobe_fregs)]
unsafe impl crate::regs::RegsLayout for FtraceRegs {
    type Raw = RawFtraceRegs;
    const ARGS: [usize; 6] = [
        layout(bindings::KMOD_FREGS_ARG0),
        layout(bindings::KMOD_FREGS_ARG1),
        layout(bindings::KMOD_FREGS_ARG2),
        layout(bindings::KMOD_FREGS_ARG3),
        layout(bindings::KMOD_FREGS_ARG4),
        layout(bindings::KMOD_FREGS_ARG5),
    ];
    const RET: usize = layout(bindings::KMOD_FREGS_RET);
}

/// How this kernel's fprobes save the registers their handlers see.
#[cfg(kmod_fprobe_fregs)]
pub type FprobeRegs = FtraceRegs;
/// How this kernel's fprobes save the registers their handlers see.
#[cfg(not(kmod_fprobe_fregs))]
pub type FprobeRegs = crate::regs::PtRegs;

/// What fprobe's C handlers are given.
#[cfg(kmod_fprobe_fregs)]
type CRegs = bindings::ftrace_regs;
#[cfg(not(kmod_fprobe_fregs))]
type CRegs = bindings::pt_regs;

/// What an fprobe does at the entry, and optionally the return, of each call of the function.
///
/// # Examples
///
/// Counting the calls of a function, at their entry only:
///
/// ```ignore
/// ///
/// struct Counter(AtomicU64);
///
/// #[vtable]
/// impl FprobeHandler for Counter {
///     type Signature = AnyFunction;
///     type Data = ();
///
///     fn entry_handler(&self, _regs: &Regs<AnyFunction, FprobeRegs>) -> Option<()> {
///         self.0.fetch_add(1, Relaxed);
///         None
///     }
/// }
///
/// let probe = Fprobe::new(c_str!("vfs_read"), Counter(AtomicU64::new(0)))?;
/// pr_info!("{} calls\n", probe.handler().0.load(Relaxed));
/// ```
#[vtable]
pub trait FprobeHandler: Send + Sync + Sized + 'static {
    /// The probed function's signature, for typed arguments; `AnyFunction` if any.
    type Signature: Signature;

    /// What the entry handler keeps for the exit handler, per call (`()` if nothing, or if
    /// there is no exit handler): at most 112 bytes, aligned to 8 at most, checked at compile
    /// time, on every kernel line. `Copy`: a call whose return is not followed (the probe was
    /// unregistered meanwhile) drops nothing. On 7.x the per-call data of every fprobe with
    /// an exit handler on a function, 16 bytes each beside their data, shares 256 bytes of
    /// ftrace's return stack: the less each takes, the more fit.
    type Data: Copy + Send;

    /// Called at the function's entry, with the registers there. With an exit handler,
    /// `Some(data)` follows the call to its return, where `data` is handed to it, and `None`
    /// leaves this call alone; without one, what it returns is ignored.
    fn entry_handler(&self, regs: &Regs<Self::Signature, FprobeRegs>) -> Option<Self::Data>;

    /// Called when a call that the entry handler followed returns, with its data in place
    /// and the registers at the return (for the return value). Optional: without it, the
    /// probe sees entries only, and costs less.
    fn exit_handler(&self, _data: &mut Self::Data, _regs: &ReturnRegs<FprobeRegs>) {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// Called once the probe is unregistered, before the handler is dropped, with the calls
    /// it missed over its life ([`Fprobe::nmissed`], final). Process context.
    fn unregistered(&self, _nmissed: u64) {}
}

/// The alignment of the per-call data that fprobe keeps: it follows words.
const DATA_ALIGN: usize = 8;

/// The per-call data of an fprobe with an exit handler: the probe's cookie, then the data of
/// the handler. On 7.x, a return in flight when its probe was unregistered calls whichever
/// fprobe is registered at the same address by then (a probe of this module or of another,
/// or of C), with the data its entry wrote; so the exit trampoline checks that the data starts
/// with its own probe's cookie, a random number drawn for each probe.
#[repr(C)]
#[derive(Clone, Copy)]
struct CallData<D> {
    cookie: u64,
    data: D,
}

/// A cookie for a new probe: random, never 0 (what zeroed or small data would start with).
fn new_cookie() -> u64 {
    loop {
        // SAFETY: `get_random_u64` may be called from any context.
        let cookie = unsafe { bindings::get_random_u64() };
        if cookie != 0 {
            return cookie;
        }
    }
}

/// What fprobe links: the `struct fprobe` and, beside it, the handler its trampolines call.
///
/// # Invariants
///
/// While `fp` is registered, its handlers are `entry::<H>` and `exit::<H>` (or none), and its
/// `entry_data_size` is that of a `CallData<H::Data>`, whose `cookie` its entry handler sets
/// to `cookie`.
#[pin_data]
struct Inner<H: FprobeHandler> {
    handler: H,
    cookie: u64,
    #[pin]
    fp: Opaque<bindings::fprobe>,
}

impl<H: FprobeHandler> Inner<H> {
    /// Whether `H::Data` fits in what fprobe carries from an entry to its exit.
    const DATA_FITS: () = assert!(
        size_of::<CallData<H::Data>>() <= layout(bindings::KMOD_FPROBE_MAX_DATA_SIZE)
            && align_of::<H::Data>() <= DATA_ALIGN,
        "an fprobe's Data must fit in 112 bytes, aligned to 8 at most"
    );

    /// The `Inner<H>` of a `struct fprobe` handed to a trampoline.
    ///
    /// # Safety
    ///
    /// `fp` is the `fp` of a live `Inner<H>`, derived from a pointer to all of it.
    unsafe fn from_fprobe<'a>(fp: *mut bindings::fprobe) -> &'a Self {
        // SAFETY: `fp` points to the `fp` field of an `Inner<H>` (`Opaque` is transparent),
        // within an allocation that the pointer may reach all of; the `Inner<H>` is live, and
        // only its `Opaque` part changes meanwhile.
        unsafe { &*fp.cast::<u8>().sub(offset_of!(Self, fp)).cast::<Self>() }
    }
}

/// An fprobe registered on a kernel function; dropping it unregisters it.
///
/// # Invariants
///
/// `inner` comes from [`KBox::into_raw`] of a pinned box in [`Fprobe::new`] and is owned by
/// this value; its `fp` is registered with fprobe until `drop` unregisters it.
///
/// # Examples
///
/// See [`FprobeHandler`].
pub struct Fprobe<H: FprobeHandler> {
    inner: NonNull<Inner<H>>,
}

// SAFETY: An fprobe may be unregistered from any task, and the handler is `Send`.
unsafe impl<H: FprobeHandler> Send for Fprobe<H> {}

// SAFETY: Shared access only reads the probe's counter and the `Sync` handler.
unsafe impl<H: FprobeHandler> Sync for Fprobe<H> {}

impl<H: FprobeHandler> Fprobe<H> {
    /// Registers a probe on the kernel function `symbol`: C's `register_fprobe_syms`, with
    /// the entry handler, and the exit handler if `H` has one. The handlers may run as soon as
    /// it is registered, on any CPU.
    ///
    /// Fails with `-EINVAL` if the handler's [`Signature`] does not list `symbol`, and as
    /// `register_fprobe_syms` does (`-ENOENT` for a function unknown to ftrace, ...); then
    /// nothing stays registered or allocated. Sleeps: process context only.
    pub fn new(symbol: &CStr, handler: H) -> Result<Self> {
        #[allow(clippy::let_unit_value)]
        let () = Inner::<H>::DATA_FITS;
        check_signature::<H::Signature>(symbol)?;
        let cookie = new_cookie();
        let inner = KBox::pin_init(
            try_pin_init!(Inner::<H> {
                handler,
                cookie,
                fp <- compat::opaque_try_ffi_init(move |fp: *mut bindings::fprobe| {
                    let entry_data_size = if H::HAS_EXIT_HANDLER {
                        size_of::<CallData<H::Data>>()
                    } else {
                        0
                    };
                    // SAFETY: `fp` is valid for writes, and not shared yet.
                    unsafe {
                        fp.write(bindings::fprobe {
                            entry_handler: Some(entry::<H>),
                            exit_handler: if H::HAS_EXIT_HANDLER {
                                Some(exit::<H>)
                            } else {
                                None
                            },
                            entry_data_size,
                            ..Default::default()
                        })
                    };
                    let mut syms = [symbol.as_char_ptr()];
                    // INVARIANT: Registered with this file's trampolines for `H`, its data a
                    // `CallData<H::Data>`; `handler` and `cookie` are written before `fp`.
                    // SAFETY: `fp` is a valid `struct fprobe` in a pinned allocation, derived
                    // from the pointer to all of it; `syms` holds one C string, which fprobe
                    // reads (and may reorder in the array) while registering only.
                    to_result(unsafe { bindings::register_fprobe_syms(fp, syms.as_mut_ptr(), 1) })
                }),
            }),
            GFP_KERNEL,
        )?;
        // INVARIANT: From `KBox::into_raw` of the pinned box, registered.
        Ok(Self {
            inner: into_registered(inner),
        })
    }

    /// The handler, as the probe's handlers see it.
    pub fn handler(&self) -> &H {
        // SAFETY: `inner` is live as long as `self` (type invariant).
        unsafe { &(*self.inner.as_ptr()).handler }
    }

    /// Calls the probe missed (fprobe's `nmissed`): those it could not follow to their
    /// return for lack of room, and (6.12) hits from within a handler.
    pub fn nmissed(&self) -> u64 {
        // SAFETY: `inner` is live as long as `self` (type invariant).
        unsafe { raw_nmissed(Opaque::get(&(*self.inner.as_ptr()).fp)) }
    }
}

/// The `nmissed` of a `struct fprobe`.
///
/// # Safety
///
/// `fp` points to a valid `struct fprobe`.
unsafe fn raw_nmissed(fp: *mut bindings::fprobe) -> u64 {
    // SAFETY: `fp` is valid (safety requirement); fprobe updates `nmissed` as a plain
    // counter, so read it once, as C's `READ_ONCE` would.
    let nmissed: c_ulong = unsafe { ptr::read_volatile(&raw const (*fp).nmissed) };
    nmissed as u64
}

impl<H: FprobeHandler> Drop for Fprobe<H> {
    fn drop(&mut self) {
        let inner = self.inner.as_ptr();
        // SAFETY: `inner` is live (type invariant); no reference to its `fp` is made.
        let fp = unsafe { Opaque::get(&(*inner).fp) };
        // SAFETY: `fp` is registered (type invariant). `unregister_fprobe` returns once no
        // handler runs any more, and later returns of calls in flight see it unregistered.
        let ret = unsafe { bindings::unregister_fprobe(fp) };
        if ret < 0 {
            // fprobe keeps it registered (6.12, when ftrace cannot remove its callback): it is
            // disabled, which its callbacks check before calling a handler, and the handler and
            // the allocation are left to it, never dropped (`H: 'static`: it borrows nothing).
            // SAFETY: `fp` is valid; `flags` is a plain word that fprobe reads once per hit.
            unsafe {
                let flags = &raw mut (*fp).flags;
                ptr::write_volatile(
                    flags,
                    ptr::read_volatile(flags) | bindings::FPROBE_FL_DISABLED,
                );
            }
            leave_to_kernel(
                self.inner,
                format_args!("unregister_fprobe failed ({ret}): the probe is left registered"),
            );
            return;
        }
        // SAFETY: `inner` is live, no longer registered: no handler uses it any more.
        unsafe {
            (*inner).handler.unregistered(raw_nmissed(fp));
            drop(Pin::new_unchecked(KBox::from_raw(inner)));
        }
    }
}

/// The `fprobe.entry_handler` of an `Fprobe<H>`.
///
/// # Safety
///
/// Called by fprobe at the entry of a function that `H::Signature` accepted, with `fp` the
/// `struct fprobe` of a registered `Fprobe<H>`, `regs` the registers there, and `data` the
/// call's `entry_data_size` bytes (NULL if none), aligned to a word.
unsafe extern "C" fn entry<H: FprobeHandler>(
    fp: *mut bindings::fprobe,
    _entry_ip: c_ulong,
    _ret_ip: c_ulong,
    regs: *mut CRegs,
    data: *mut c_void,
) -> c_int {
    // SAFETY: By the function's safety requirements; the registers are `FprobeRegs`.
    let (inner, regs) = unsafe {
        (
            Inner::<H>::from_fprobe(fp),
            Regs::<H::Signature, FprobeRegs>::from_raw(regs.cast()),
        )
    };
    match inner.handler.entry_handler(regs) {
        Some(value) if H::HAS_EXIT_HANDLER && !data.is_null() => {
            // SAFETY: With an exit handler, `data` has room for a `CallData<H::Data>`
            // (`entry_data_size`), aligned (`DATA_FITS`), this call's alone.
            unsafe {
                data.cast::<CallData<H::Data>>().write(CallData {
                    cookie: inner.cookie,
                    data: value,
                })
            };
            0
        }
        // Not zero: no exit handler runs for this call.
        _ => 1,
    }
}

/// The `fprobe.exit_handler` of an `Fprobe<H>`.
///
/// # Safety
///
/// Called by fprobe at the return of a call whose entry handler returned 0, with `fp` the
/// `struct fprobe` of a registered `Fprobe<H>`, `regs` the registers at the return and `data`
/// what the entry handler wrote, if it was this probe's.
unsafe extern "C" fn exit<H: FprobeHandler>(
    fp: *mut bindings::fprobe,
    _entry_ip: c_ulong,
    _ret_ip: c_ulong,
    regs: *mut CRegs,
    data: *mut c_void,
) {
    // SAFETY: By the function's safety requirements.
    let inner = unsafe { Inner::<H>::from_fprobe(fp) };
    let call = data.cast::<CallData<H::Data>>();
    // SAFETY: `data` holds the `entry_data_size` bytes (at least a word) of the probe whose
    // entry followed the call: this one, or one registered at the same address before (7.x).
    // Its first word, read once as C would (another probe may have left it unwritten), is
    // this probe's cookie only if this probe's entry handler wrote it (but for a 2^-64 chance).
    if call.is_null() || unsafe { ptr::read_volatile(&raw const (*call).cookie) } != inner.cookie {
        return;
    }
    // SAFETY: This probe's entry handler wrote a `CallData<H::Data>` there (the cookie says
    // so), aligned, and the call's data is its own until this handler returns.
    let data = unsafe { &mut (*call).data };
    // SAFETY: `regs` are the registers at the return, valid during the call.
    let regs = unsafe { ReturnRegs::<FprobeRegs>::from_raw(regs.cast()) };
    inner.handler.exit_handler(data, regs);
}
