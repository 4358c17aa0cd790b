// SPDX-License-Identifier: GPL-2.0

//! Return probes: a handler at a function's entry and one at its return, per call.
//!
//! C header: [`include/linux/kprobes.h`](srctree/include/linux/kprobes.h)
//!
//! At each call of the probed function, kprobes takes a free instance (at most `maxactive`
//! calls are followed at once; a call that finds none is missed and counted), runs the entry
//! handler, and at the function's return the return handler, with what the entry handler kept
//! in the instance ([`KretprobeHandler::Data`]). The handlers' context is a kprobe's (see
//! [`super`]).

use core::marker::PhantomPinned;
use core::ptr::{self, NonNull};
use kernel::ffi::c_int;
use kernel::prelude::*;
use kernel::types::Opaque;

use super::{install, symbol_name, unregister_and_free};
use crate::bindings::{self, layout};
use crate::compat;
use crate::regs::{check_signature, Regs, ReturnRegs, Signature};

/// What a return probe does at the entry and the return of each call it follows.
pub(crate) trait KretprobeHandler: Send + Sync + Sized {
    /// The probed function's signature, for typed arguments; [`super::AnyFunction`] if any.
    type Signature: Signature;

    /// What the entry handler keeps for the return handler, in the call's instance (at most
    /// 4096 bytes, aligned to 8 at most). `Copy`, because kprobes may recycle an instance
    /// without calling the return handler (when the task exits meanwhile): nothing in it may
    /// need dropping.
    type Data: Copy + Send;

    /// Called at the function's entry, with its registers there, as a kprobe's pre-handler
    /// (see [`super`]'s "Context"). `None` leaves this call alone: no return handler runs for
    /// it.
    fn entry_handler(&self, regs: &Regs<Self::Signature>) -> Option<Self::Data>;

    /// Called when the call that `entry_handler` kept `data` for returns, with the registers
    /// at the return (for the return value), and the probe (for its counters). It runs in the
    /// function's own context (task, softirq, hardirq or NMI: a plain call from the return
    /// trampoline), with preemption disabled: the rules of [`super`]'s "Context" apply. `data` is the
    /// instance's, in place (no copy): the handler may complete it and move it on.
    fn return_handler(&self, probe: &Kretprobe<Self>, data: &mut Self::Data, regs: &ReturnRegs);

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

/// What kprobes points into while a [`Kretprobe`] is registered (see [`super::Kprobe`]).
#[repr(C)]
struct RawKretprobe<H: KretprobeHandler> {
    /// First, so that the `struct kretprobe *` (and its `struct kprobe *`, its first field)
    /// that kprobes has is the allocation's.
    probe: Opaque<bindings::kretprobe>,
    owner: *const Kretprobe<H>,
    symbol: KVec<u8>,
}

/// A return probe registered on a kernel function; dropping it unregisters it.
///
/// # Invariants
///
/// As [`super::Kprobe`]'s: `raw` comes from [`KBox::into_raw`] in [`Kretprobe::new`], is
/// owned by this value and registered with kprobes (through a pointer derived from it) until
/// `drop`; its `owner` is this pinned value.
pub(crate) struct Kretprobe<H: KretprobeHandler> {
    handler: H,
    raw: NonNull<RawKretprobe<H>>,
    _pin: PhantomPinned,
}

// SAFETY: As for `Kprobe`: unregistering from any task is fine, and the handler is `Send`.
unsafe impl<H: KretprobeHandler> Send for Kretprobe<H> {}

// SAFETY: Shared access only reads the probe's counters and address, and the `Sync` handler.
unsafe impl<H: KretprobeHandler> Sync for Kretprobe<H> {}

impl<H: KretprobeHandler> Kretprobe<H> {
    /// Plants a return probe on the kernel function `symbol`, in place: C's
    /// `register_kretprobe`, following at most `maxactive` calls at once (0: the kernel's
    /// default, which depends on the number of CPUs).
    ///
    /// Fails with `-EINVAL` if the handler's [`Signature`] does not list `symbol` or `Data`
    /// does not fit in an instance (4096 bytes), else as `register_kretprobe` does; then
    /// nothing stays registered or allocated. Sleeps: process context only.
    pub(crate) fn new<'a>(
        symbol: &'a CStr,
        maxactive: u16,
        handler: H,
    ) -> impl PinInit<Self, Error> + 'a
    where
        H: 'a,
    {
        let init = move |slot: *mut Self| -> Result {
            check_signature::<H::Signature>(symbol)?;
            let data_size = core::mem::size_of::<H::Data>();
            if data_size > layout(bindings::KMOD_KRETPROBE_MAX_DATA_SIZE)
                || core::mem::align_of::<H::Data>() > DATA_ALIGN
            {
                return Err(EINVAL);
            }
            let raw = KBox::into_raw(KBox::new(
                RawKretprobe {
                    probe: Opaque::new(bindings::kretprobe::default()),
                    owner: slot,
                    symbol: symbol_name(symbol)?,
                },
                GFP_KERNEL,
            )?);
            // SAFETY: `raw` is a valid allocation, made above.
            let rp = unsafe { Self::raw_kretprobe(raw) };
            // SAFETY: `rp` is valid and not yet shared; `symbol` is in the same allocation.
            unsafe {
                (*rp).kp.symbol_name = (*raw).symbol.as_ptr();
                (*rp).handler = Some(return_handler::<H>);
                (*rp).entry_handler = Some(entry_handler::<H>);
                (*rp).maxactive = c_int::from(maxactive);
                (*rp).data_size = data_size;
            }
            // INVARIANT: On success, registered through a pointer derived from `raw`, from
            // `KBox::into_raw`; `owner` is the pinned slot.
            // SAFETY: `slot` is valid for writes (`pin_init_from_closure`'s contract) and
            // pinned; `raw` comes from `KBox::into_raw`, its `owner` is `slot`, and `rp`,
            // derived from it, is what `register_kretprobe` registers.
            unsafe {
                ptr::write(&raw mut (*slot)._pin, PhantomPinned);
                install(
                    &raw mut (*slot).handler,
                    &raw mut (*slot).raw,
                    handler,
                    raw,
                    || bindings::register_kretprobe(rp),
                )
            }
        };
        // SAFETY: On `Ok`, the closure initialised every field of the slot; on `Err`, none.
        // It never moves the slot, whose address the probe keeps.
        unsafe { compat::pin_init_from_closure(init) }
    }

    /// The `struct kretprobe *` of `raw`, derived from the pointer to the whole allocation.
    ///
    /// # Safety
    ///
    /// `raw` points to a valid `RawKretprobe<H>`.
    unsafe fn raw_kretprobe(raw: *mut RawKretprobe<H>) -> *mut bindings::kretprobe {
        // SAFETY: By the function's safety requirement; no reference is made.
        unsafe { &raw mut (*raw).probe }.cast()
    }

    /// The handler, as the probe's handlers see it.
    pub(crate) fn handler(&self) -> &H {
        &self.handler
    }

    /// Calls not followed: those that found no free instance (`kretprobe.nmissed`) and the
    /// hits that the entry probe itself missed.
    pub(crate) fn nmissed(&self) -> u64 {
        // SAFETY: The allocation lives as long as `self` (type invariant).
        unsafe { Self::raw_nmissed(self.raw.as_ptr()) }
    }

    /// [`Self::nmissed`] of an allocation, registered or not.
    ///
    /// # Safety
    ///
    /// `raw` points to a valid `RawKretprobe<H>`.
    unsafe fn raw_nmissed(raw: *mut RawKretprobe<H>) -> u64 {
        // SAFETY: `raw` is valid (safety requirement). kprobes updates the `int` `nmissed` as a
        // plain counter, read once as C's `READ_ONCE` would; the probe's own is read likewise.
        let (rp_missed, kp_missed) = unsafe {
            let rp = Self::raw_kretprobe(raw);
            (
                ptr::read_volatile(&raw const (*rp).nmissed),
                ptr::read_volatile(&raw const (*rp).kp.nmissed),
            )
        };
        // C's `int` counts on past `INT_MAX` as an unsigned one would (two's complement): as
        // such, it wraps at 2^32 rather than turning negative.
        u64::from(rp_missed as u32).wrapping_add(kp_missed as u64)
    }
}

impl<H: KretprobeHandler> Drop for Kretprobe<H> {
    fn drop(&mut self) {
        let raw = self.raw.as_ptr();
        // SAFETY: `raw` comes from `KBox::into_raw` and starts with the registered
        // `struct kretprobe`, whose first field is its `struct kprobe` (type invariants).
        // `unregister_kretprobe` returns once no handler runs any more, and calls in flight
        // then return without calling ours; the allocation is valid until freed, after
        // `unregistered`.
        unsafe {
            unregister_and_free(
                raw,
                || bindings::unregister_kretprobe(Self::raw_kretprobe(raw)),
                || self.handler.unregistered(Self::raw_nmissed(raw)),
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
) -> Option<(&'a Kretprobe<H>, *mut H::Data)> {
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
    // SAFETY: `rp` is the `struct kretprobe` of a registered `Kretprobe<H>`, the first field of
    // its `RawKretprobe<H>`, whose `owner` is live while it is registered.
    let owner = unsafe { &*(*rp.cast::<RawKretprobe<H>>()).owner };
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
    let Some((kretprobe, data)) = (unsafe { instance::<H>(ri) }) else {
        return 1;
    };
    // (Instances are word-aligned: a misaligned one would be kprobes' change, and is left
    // alone rather than written to.)
    if (data as usize) % core::mem::align_of::<H::Data>() != 0 {
        return 1;
    }
    // SAFETY: The registers are those at the entry of an accepted function, during the call.
    let regs = unsafe { Regs::from_raw(regs) };
    match kretprobe.handler.entry_handler(regs) {
        Some(value) => {
            // SAFETY: `data` has room for one `H::Data` (`data_size`), aligned (`DATA_ALIGN`,
            // checked by `new`), and nothing else uses it during this call.
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
    let Some((kretprobe, data)) = (unsafe { instance::<H>(ri) }) else {
        return 0;
    };
    // SAFETY: The entry handler wrote an `H::Data` there, aligned (it returned 0 only after
    // that), and the instance is this call's alone until this handler returns.
    let data = unsafe { &mut *data };
    // SAFETY: `regs` are the registers at the return, valid for the call.
    let regs = unsafe { ReturnRegs::from_raw(regs) };
    kretprobe.handler.return_handler(kretprobe, data, regs);
    0
}
