// SPDX-License-Identifier: GPL-2.0

//! Return probes: a handler at a function's entry and one at its return, per call.
//!
//! C header: [`include/linux/kprobes.h`](srctree/include/linux/kprobes.h)
//!
//! At each call of the probed function, kprobes takes a free instance (at most `maxactive`
//! calls are followed at once; a call that finds none is missed and counted), runs the entry
//! handler, and at the function's return the return handler, with what the entry handler kept
//! in the instance ([`KretprobeHandler::Data`]). The handlers' context is a kprobe's (see
//! [`crate::regs`]).

use core::mem::{align_of, offset_of, size_of};
use core::ptr::{self, NonNull};
use kernel::error::to_result;
use kernel::ffi::c_int;
use kernel::prelude::*;
use kernel::types::Opaque;

use crate::bindings::{self, layout};
use crate::compat;
use crate::kprobe::{symbol_name, unregister_and_free};
use crate::regs::{check_signature, into_registered, Regs, ReturnRegs, Signature};

/// What a return probe does at the entry and the return of each call it follows.
pub trait KretprobeHandler: Send + Sync + Sized {
    /// The probed function's signature, for typed arguments; [`crate::regs::AnyFunction`] if
    /// any.
    type Signature: Signature;

    /// What the entry handler keeps for the return handler, in the call's instance (at most
    /// 4096 bytes, aligned to 8 at most, checked at compile time). `Copy`, because kprobes may recycle an instance
    /// without calling the return handler (when the task exits meanwhile): nothing in it may
    /// need dropping.
    type Data: Copy + Send;

    /// Called at the function's entry, with its registers there, as a kprobe's pre-handler
    /// (see [`crate::regs`]'s "Context"). `None` leaves this call alone: no return handler
    /// runs for it.
    fn entry_handler(&self, regs: &Regs<Self::Signature>) -> Option<Self::Data>;

    /// Called when the call that `entry_handler` kept `data` for returns, with the registers
    /// at the return (for the return value). It runs in the function's own context (task,
    /// softirq, hardirq or NMI: a plain call from the return trampoline), with preemption
    /// disabled: the rules of [`crate::regs`]'s "Context" apply. `data` is the instance's, in
    /// place (no copy): the handler may complete it and move it on.
    fn return_handler(&self, data: &mut Self::Data, regs: &ReturnRegs);

    /// Called once the probe is unregistered, before the handler is dropped, with the calls
    /// the probe missed over its life ([`Kretprobe::nmissed`], final): no handler runs any
    /// more, and the calls that were in flight return without calling [`Self::return_handler`].
    /// Process context.
    fn unregistered(&self, _nmissed: u64) {}
}

/// The alignment of an instance's data: it follows the instance's `struct rethook_node` (or
/// its older fields), words and pointers.
const DATA_ALIGN: usize = 8;
const _: () = assert!(layout(bindings::KMOD_RI_DATA) % DATA_ALIGN == 0);

/// What kprobes links: the `struct kretprobe` (whose first field is its `struct kprobe`), and
/// beside it the handler its trampolines call and the name its `kp.symbol_name` points to.
///
/// # Invariants
///
/// While `rp` is registered, its handlers are `entry_handler::<H>` and `return_handler::<H>`,
/// its `data_size` that of `H::Data`, and its `kp.symbol_name` points into `symbol`.
#[pin_data]
struct Inner<H: KretprobeHandler> {
    handler: H,
    symbol: KVec<u8>,
    #[pin]
    rp: Opaque<bindings::kretprobe>,
}

impl<H: KretprobeHandler> Inner<H> {
    /// Whether `H::Data` fits in an instance.
    const DATA_FITS: () = assert!(
        size_of::<H::Data>() <= layout(bindings::KMOD_KRETPROBE_MAX_DATA_SIZE)
            && align_of::<H::Data>() <= DATA_ALIGN,
        "a return probe's Data must fit in 4096 bytes, aligned to 8 at most"
    );

    /// The `Inner<H>` whose `rp` is `rp`.
    ///
    /// # Safety
    ///
    /// `rp` is the `rp` field of an `Inner<H>`, derived from a pointer to all of it.
    unsafe fn from_kretprobe(rp: *mut bindings::kretprobe) -> *mut Self {
        // SAFETY: `rp` is that field (`Opaque` is transparent), within the allocation of the
        // `Inner<H>`, which the pointer may reach all of.
        unsafe { rp.cast::<u8>().sub(offset_of!(Self, rp)).cast::<Self>() }
    }
}

/// A return probe registered on a kernel function; dropping it unregisters it.
///
/// As a [`crate::kprobe::Kprobe`], the handler lives beside the `struct kretprobe` in an
/// allocation of the probe's own, which this value owns.
///
/// # Invariants
///
/// `inner` comes from [`KBox::into_raw`] of a pinned box in [`Kretprobe::new`] and is owned by
/// this value; its `rp` is registered with kprobes until `drop` unregisters it.
///
/// # Examples
///
/// ```ignore
/// /// Logs how long `vfs_read` calls take.
/// struct Timer;
///
/// impl KretprobeHandler for Timer {
///     type Signature = AnyFunction;
///     type Data = u64;
///
///     fn entry_handler(&self, _regs: &Regs) -> Option<u64> {
///         Some(ktime_ns())
///     }
///
///     fn return_handler(&self, start: &mut u64, _regs: &ReturnRegs) {
///         pr_info!("{} ns\n", ktime_ns() - *start);
///     }
/// }
///
/// let probe = Kretprobe::new(c_str!("vfs_read"), 0, Timer)?;
/// ```
pub struct Kretprobe<H: KretprobeHandler> {
    inner: NonNull<Inner<H>>,
}

// SAFETY: As for `Kprobe`: unregistering from any task is fine, and the handler is `Send`.
unsafe impl<H: KretprobeHandler> Send for Kretprobe<H> {}

// SAFETY: Shared access only reads the probe's counters and the `Sync` handler.
unsafe impl<H: KretprobeHandler> Sync for Kretprobe<H> {}

impl<H: KretprobeHandler> Kretprobe<H> {
    /// Plants a return probe on the kernel function `symbol`: C's `register_kretprobe`,
    /// following at most `maxactive` calls at once (0: the kernel's default, which depends on
    /// the number of CPUs).
    ///
    /// Fails with `-EINVAL` if the handler's [`Signature`] does not list `symbol`, else as
    /// `register_kretprobe` does; then nothing stays registered or allocated. (That `Data`
    /// fits in an instance is checked at compile time.) Sleeps: process context only.
    pub fn new(symbol: &CStr, maxactive: u16, handler: H) -> Result<Self> {
        #[allow(clippy::let_unit_value)]
        let () = Inner::<H>::DATA_FITS;
        check_signature::<H::Signature>(symbol)?;
        let symbol = symbol_name(symbol)?;
        let inner = KBox::pin_init(
            try_pin_init!(Inner::<H> {
                handler,
                symbol,
                rp <- compat::opaque_try_ffi_init(move |rp: *mut bindings::kretprobe| {
                    // SAFETY: `rp` is the `rp` of the `Inner<H>` being initialised, whose
                    // `symbol` is written already (fields are written in order): a name, with
                    // its NUL, that lives as long as the probe.
                    let name = unsafe { (*Inner::<H>::from_kretprobe(rp)).symbol.as_ptr() };
                    // SAFETY: `rp` is valid for writes, and not shared yet.
                    unsafe {
                        rp.write(bindings::kretprobe {
                            handler: Some(return_handler::<H>),
                            entry_handler: Some(entry_handler::<H>),
                            maxactive: c_int::from(maxactive),
                            data_size: size_of::<H::Data>(),
                            ..Default::default()
                        });
                        (*rp).kp.symbol_name = name;
                    }
                    // INVARIANT: Registered with this file's trampolines for `H`, its data an
                    // `H::Data`, its name in `symbol`; `handler` is written before `rp`.
                    // SAFETY: `rp` is a valid `struct kretprobe` in a pinned allocation,
                    // derived from the pointer to all of it.
                    to_result(unsafe { bindings::register_kretprobe(rp) })
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

    /// Calls not followed: those that found no free instance (`kretprobe.nmissed`) and the
    /// hits that the entry probe itself missed.
    pub fn nmissed(&self) -> u64 {
        // SAFETY: `inner` is live as long as `self` (type invariant).
        unsafe { raw_nmissed((*self.inner.as_ptr()).rp.get()) }
    }
}

/// [`Kretprobe::nmissed`] of a `struct kretprobe`, registered or not.
///
/// # Safety
///
/// `rp` points to a valid `struct kretprobe`.
unsafe fn raw_nmissed(rp: *mut bindings::kretprobe) -> u64 {
    // SAFETY: `rp` is valid (safety requirement). kprobes updates the `int` `nmissed` as a
    // plain counter, read once as C's `READ_ONCE` would; the probe's own is read likewise.
    let (rp_missed, kp_missed) = unsafe {
        (
            ptr::read_volatile(&raw const (*rp).nmissed),
            ptr::read_volatile(&raw const (*rp).kp.nmissed),
        )
    };
    // C's `int` counts on past `INT_MAX` as an unsigned one would (two's complement): as
    // such, it wraps at 2^32 rather than turning negative.
    u64::from(rp_missed as u32).wrapping_add(kp_missed as u64)
}

impl<H: KretprobeHandler> Drop for Kretprobe<H> {
    fn drop(&mut self) {
        let inner = self.inner.as_ptr();
        // SAFETY: `inner` is live (type invariant); no reference to its `rp` is kept.
        let rp = unsafe { (*inner).rp.get() };
        // SAFETY: `inner` comes from `KBox::into_raw` of a pinned box and its `rp`, whose first
        // field is its `struct kprobe`, is registered (type invariants). `unregister_kretprobe`
        // returns once no handler runs any more, and calls in flight then return without
        // calling ours; the allocation is valid until freed, after `unregistered`.
        unsafe {
            unregister_and_free(
                inner,
                &raw mut (*rp).kp,
                || bindings::unregister_kretprobe(rp),
                || (*inner).handler.unregistered(raw_nmissed(rp)),
            )
        };
    }
}

/// The `Kretprobe<H>` of an instance, as C's `get_kretprobe()` finds it (through the
/// instance's rethook, or its holder on kernels without rethook), and the instance's data.
/// `None` once the probe is being unregistered (kernels without rethook clear the pointer).
///
/// # Safety
///
/// `ri` is an instance of a registered `Kretprobe<H>`, handed by kprobes to a handler.
unsafe fn instance<'a, H: KretprobeHandler>(
    ri: *mut bindings::kretprobe_instance,
) -> Option<(&'a Inner<H>, *mut H::Data)> {
    let ri = ri.cast::<u8>();
    // SAFETY: `ri` is a live instance (function safety requirement), whose owner pointer (a
    // `struct rethook *` or `struct kretprobe_holder *`, at this tree's offset) is valid, as is
    // the `struct kretprobe *` at this tree's offset in what it points to: a word each, read
    // once (C's `rcu_dereference`; the handler runs in an RCU read-side section).
    let rp = unsafe {
        let owner = ptr::read_volatile(ri.add(layout(bindings::KMOD_RI_OWNER)).cast::<*const u8>());
        ptr::read_volatile(
            owner
                .add(layout(bindings::KMOD_OWNER_RP))
                .cast::<*const u8>(),
        )
    };
    if rp.is_null() {
        return None;
    }
    // SAFETY: `rp` is the `struct kretprobe` of a registered `Kretprobe<H>`, the `rp` of its
    // `Inner<H>`, live while it is registered.
    let owner = unsafe { &*Inner::<H>::from_kretprobe(rp.cast_mut().cast()) };
    // SAFETY: The instance's data follows it, `data_size` (`size_of::<H::Data>()`) bytes.
    let data = unsafe { ri.add(layout(bindings::KMOD_RI_DATA)) }.cast::<H::Data>();
    Some((owner, data))
}

/// The `kretprobe.entry_handler` of a `Kretprobe<H>`.
///
/// # Safety
///
/// Called by kprobes at the entry of a function that `H::Signature` accepted, with `ri` an
/// instance of a registered `Kretprobe<H>` and `regs` the registers there.
unsafe extern "C" fn entry_handler<H: KretprobeHandler>(
    ri: *mut bindings::kretprobe_instance,
    regs: *mut bindings::pt_regs,
) -> c_int {
    // SAFETY: By the function's safety requirements.
    let Some((inner, data)) = (unsafe { instance::<H>(ri) }) else {
        return 1;
    };
    // (Instances are word-aligned: a misaligned one would be kprobes' change, and is left
    // alone rather than written to.)
    if (data as usize) % core::mem::align_of::<H::Data>() != 0 {
        return 1;
    }
    // SAFETY: The registers are those at the entry of an accepted function, during the call.
    let regs = unsafe { Regs::from_raw(regs) };
    match inner.handler.entry_handler(regs) {
        Some(value) => {
            // SAFETY: `data` has room for one `H::Data` (`data_size`), aligned (`DATA_ALIGN`,
            // checked at compile time), and nothing else uses it during this call.
            unsafe { ptr::write(data, value) };
            0
        }
        // Not zero: kprobes recycles the instance, and no return handler runs for it.
        None => 1,
    }
}

/// The `kretprobe.handler` of a `Kretprobe<H>`.
///
/// # Safety
///
/// Called by kprobes at the return of a call whose entry handler returned 0, with `ri` its
/// instance and `regs` the registers at the return.
unsafe extern "C" fn return_handler<H: KretprobeHandler>(
    ri: *mut bindings::kretprobe_instance,
    regs: *mut bindings::pt_regs,
) -> c_int {
    // SAFETY: By the function's safety requirements.
    let Some((inner, data)) = (unsafe { instance::<H>(ri) }) else {
        return 0;
    };
    // SAFETY: The entry handler wrote an `H::Data` there, aligned (it returned 0 only after
    // that), and the instance is this call's alone until this handler returns.
    let data = unsafe { &mut *data };
    // SAFETY: `regs` are the registers at the return, valid for the call.
    let regs = unsafe { ReturnRegs::from_raw(regs) };
    inner.handler.return_handler(data, regs);
    0
}
