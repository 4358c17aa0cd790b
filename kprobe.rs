// SPDX-License-Identifier: GPL-2.0

//! Kprobes for Rust modules: probes on kernel functions, registered in place.
//!
//! C header: [`include/linux/kprobes.h`](srctree/include/linux/kprobes.h)
//!
//! - [`Kprobe`] plants a probe at the start of a kernel function, named by its symbol; what the
//!   probe does is a [`KprobeHandler`], whose post-handler is optional (`#[vtable]`: a handler
//!   that defines none makes a probe without one, as C's `post_handler = NULL`).
//! - [`Kretprobe`] (in [`kretprobe`]) is a return probe: a [`KretprobeHandler`] sees the call
//!   at its entry and at its return, with data carried from one to the other per call.
//! - Handlers read the probed function's arguments from its registers ([`Regs`], in
//!   [`crate::regs`]).
//!
//! Both are made with pin-init (`impl PinInit<Self, Error>`), so a probe can live inside a
//! module's own structure, in a `KBox` or an `Arc`; dropping it unregisters it, after which no
//! handler runs any more. The handler lives in place; the `struct kprobe` that kprobes links
//! into its tables is a small allocation of its own (see [`Kprobe`]'s `Drop` for why).
//!
//! The bindings come from bindgen, run by this project's `Kbuild` over `bindings_helper.h` with
//! the flags of the kernel tree the module is built against (`kernel::bindings` has no kprobe
//! API). Argument registers are known on x86_64 and arm64.
//!
//! Handlers run in whatever context the probed code runs in, with the rules of
//! [`crate::regs`]'s "Context". On x86_64 a kprobe that is neither on an ftrace site nor
//! optimized into a jump is reached through the `int3` trap, whose handler the kernel runs as
//! an NMI; arm64's `BRK` trap, optimized probes, return handlers and probes on ftrace sites run
//! in the probed code's context (`context.rs`). Another kprobe's hit on the same CPU meanwhile
//! is not handled but counted (`nmissed`).

use core::marker::PhantomPinned;
use core::ptr::{self, NonNull};
use kernel::ffi::{c_int, c_ulong, c_void};
use kernel::prelude::*;
use kernel::types::Opaque;

use crate::bindings;
use crate::compat::{self, fmt};
use crate::regs::{check_signature, Regs, Signature};

pub(crate) mod kretprobe;
pub(crate) use kretprobe::{Kretprobe, KretprobeHandler};

/// What a kprobe does when the probed function is hit (see [`crate::regs`]'s "Context").
#[vtable]
pub(crate) trait KprobeHandler: Send + Sync {
    /// The probed function's signature, for typed arguments; [`AnyFunction`] if any.
    type Signature: Signature;

    /// Called just before the probed instruction runs, with the registers at that point.
    fn pre_handler(&self, probe: &Probe, regs: &Regs<Self::Signature>);

    /// Called after the probed instruction ran. Optional: without it, the probe has no
    /// post-handler, and kprobes does not stop after the instruction.
    fn post_handler(&self, _probe: &Probe, _regs: &Regs) {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// Called once the probe is unregistered, before the handler is dropped, with the hits
    /// it missed over its life (`nmissed`, final): no handler runs any more. Process context.
    fn unregistered(&self, _nmissed: u64) {}
}

/// A `struct kprobe`, as handlers and owners see it.
#[repr(transparent)]
pub(crate) struct Probe(Opaque<bindings::kprobe>);

impl Probe {
    /// How many times the probe was hit while it could not run its handlers (for instance
    /// from within another probe's handler): `kprobe.nmissed`.
    pub(crate) fn nmissed(&self) -> u64 {
        // SAFETY: `self.0` is a valid `struct kprobe`; kprobes updates `nmissed` as a plain
        // counter, so read it once, as C's `READ_ONCE` would.
        let nmissed = unsafe { ptr::read_volatile(&raw const (*self.0.get()).nmissed) };
        nmissed as u64
    }

    /// The address of the probe point, for logging: it displays as C's `%p` does (hashed,
    /// never the raw address).
    pub(crate) fn addr(&self) -> HashedPtr {
        // SAFETY: `self.0` is a valid `struct kprobe`, whose `addr` is set by `register_kprobe`
        // and not changed afterwards.
        HashedPtr(unsafe { (*self.0.get()).addr }.cast())
    }
}

/// A pointer that displays as C's `%p`: hashed unless the kernel is booted with
/// `no_hash_pointers`, so that logs never reveal kernel addresses.
pub(crate) struct HashedPtr(*const c_void);

impl fmt::Display for HashedPtr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // SAFETY: `%p` takes any pointer, and prints it without following it.
        unsafe { write_printk_pointer(f, kernel::c_str!("%p"), self.0) }
    }
}

/// Writes to `f` what C's `snprintf(buf, 64, format, ptr)` prints: for `vsprintf`'s pointer
/// extensions (`%p`, `%pISpc`, ...), which Rust has no twin of. Output past 63 bytes is cut.
///
/// # Safety
///
/// `format`'s one conversion is a pointer one that may be given `ptr` (for most, a pointer to
/// a valid object of the type it prints).
pub(crate) unsafe fn write_printk_pointer(
    f: &mut fmt::Formatter<'_>,
    format: &CStr,
    ptr: *const c_void,
) -> fmt::Result {
    let mut buf = [0u8; 64];
    // SAFETY: `buf` is writable for its length; `format` is a C string whose one conversion
    // takes `ptr` (safety requirement).
    let len = unsafe {
        kernel::bindings::snprintf(buf.as_mut_ptr(), buf.len(), format.as_char_ptr(), ptr)
    };
    let len = usize::try_from(len).unwrap_or(0).min(buf.len() - 1);
    f.write_str(core::str::from_utf8(&buf[..len]).unwrap_or("?"))
}

/// A copy of `symbol`, with its NUL, for `kprobe.symbol_name` to point to.
fn symbol_name(symbol: &CStr) -> Result<KVec<u8>> {
    let symbol = compat::cstr_to_bytes_with_nul(symbol);
    let mut name = KVec::with_capacity(symbol.len(), GFP_KERNEL)?;
    name.extend_from_slice(symbol, GFP_KERNEL)?;
    Ok(name)
}

/// What kprobes points into while a [`Kprobe`] is registered: its own allocation, so that it
/// can outlive the `Kprobe` when kprobes cannot let it go (see `Drop`).
#[repr(C)]
struct RawKprobe<H: KprobeHandler> {
    /// First, so that the `struct kprobe *` handed to the handlers is the allocation's.
    probe: Probe,
    /// The `Kprobe` that owns this, whose handler the trampolines call.
    owner: *const Kprobe<H>,
    /// The function's name, which `kprobe.symbol_name` points to.
    symbol: KVec<u8>,
}

/// A kprobe registered on a kernel function; dropping it unregisters it.
///
/// # Invariants
///
/// `raw` comes from [`KBox::into_raw`] in [`Kprobe::new`] and is owned by this value. Its
/// `probe` is registered with kprobes until `drop` unregisters it, through a pointer derived
/// from `raw`, a pointer to the whole allocation (so the trampolines may reach all of it); its
/// `owner` is the address of this value, which is pinned: it stays there until dropped.
pub(crate) struct Kprobe<H: KprobeHandler> {
    handler: H,
    raw: NonNull<RawKprobe<H>>,
    _pin: PhantomPinned,
}

// SAFETY: A kprobe may be unregistered from any task, and the handler is `Send`.
unsafe impl<H: KprobeHandler> Send for Kprobe<H> {}

// SAFETY: Shared access only reads the probe (`nmissed`, `addr`) and the `Sync` handler.
unsafe impl<H: KprobeHandler> Sync for Kprobe<H> {}

impl<H: KprobeHandler> Kprobe<H> {
    /// Plants a probe at the start of the kernel function `symbol`, in place: C's
    /// `register_kprobe`. The handlers may run as soon as the initialiser has written the
    /// probe, on any CPU.
    ///
    /// Fails with `-EINVAL` if the handler's [`Signature`] does not list `symbol`, and as
    /// `register_kprobe` does (`-ENOENT` for an unknown function, `-EINVAL` for one kprobes
    /// refuses, ...); then nothing stays registered or allocated. Sleeps: process context only.
    pub(crate) fn new<'a>(symbol: &'a CStr, handler: H) -> impl PinInit<Self, Error> + 'a
    where
        H: 'a,
    {
        let init = move |slot: *mut Self| -> Result {
            check_signature::<H::Signature>(symbol)?;
            let raw = KBox::new(
                RawKprobe {
                    probe: Probe(Opaque::new(bindings::kprobe::default())),
                    owner: slot,
                    symbol: symbol_name(symbol)?,
                },
                GFP_KERNEL,
            )?;
            let raw = KBox::into_raw(raw);
            // SAFETY: `raw` is a valid allocation, made above.
            let probe = unsafe { Self::raw_probe(raw) };
            // SAFETY: `probe` is valid and not yet shared; `symbol` is in the same allocation.
            unsafe {
                (*probe).symbol_name = (*raw).symbol.as_ptr();
                (*probe).pre_handler = Some(pre_handler::<H>);
                (*probe).post_handler = if H::HAS_POST_HANDLER {
                    Some(post_handler::<H>)
                } else {
                    None
                };
            }
            // INVARIANT: On success, the probe is registered through a pointer derived from
            // `raw`, which comes from `KBox::into_raw`; `owner` is the pinned slot.
            // SAFETY: `slot` is valid for writes (`pin_init_from_closure`'s contract) and
            // pinned; `raw` comes from `KBox::into_raw`, its `owner` is `slot`, and `probe`,
            // derived from it, is what `register_kprobe` registers.
            unsafe {
                ptr::write(&raw mut (*slot)._pin, PhantomPinned);
                install(
                    &raw mut (*slot).handler,
                    &raw mut (*slot).raw,
                    handler,
                    raw,
                    || bindings::register_kprobe(probe),
                )
            }
        };
        // SAFETY: On `Ok`, the closure initialised every field of the slot; on `Err`, it left
        // none initialised. It never moves the slot, whose address the probe keeps.
        unsafe { compat::pin_init_from_closure(init) }
    }

    /// The `struct kprobe *` of `raw`, derived from the pointer to the whole allocation
    /// (which a reference to the `probe` field would not be).
    ///
    /// # Safety
    ///
    /// `raw` points to a valid `RawKprobe<H>`.
    unsafe fn raw_probe(raw: *mut RawKprobe<H>) -> *mut bindings::kprobe {
        // SAFETY: By the function's safety requirement, the place is valid; no reference is
        // made. `Probe` and `Opaque` are transparent over `struct kprobe`.
        unsafe { &raw mut (*raw).probe }.cast()
    }

    /// The probe, for its address and missed-hit count.
    pub(crate) fn probe(&self) -> &Probe {
        // SAFETY: The allocation lives as long as `self` (type invariant); `Probe` is an
        // `Opaque`, so kprobes may write to it meanwhile.
        unsafe { &(*self.raw.as_ptr()).probe }
    }
}

/// Installs a probe being initialised in place: writes `handler` and `raw` to their places in
/// the slot, the handler before the probe that calls it is registered, then registers the
/// probe with `register`. If that fails, kprobes kept nothing: both are dropped again, which
/// leaves the slot uninitialised, as a failed initialiser must. [`unregister_and_free`] is the
/// way back.
///
/// # Safety
///
/// `handler_place` and `raw_place` are the places of the handler and of the allocation's
/// pointer in a slot that is valid for writes and pinned; `raw` comes from `KBox::into_raw`,
/// its `owner` is that slot, and `register` registers the probe at its start through a
/// pointer derived from `raw`, returning 0 or a negative errno.
unsafe fn install<H, R>(
    handler_place: *mut H,
    raw_place: *mut NonNull<R>,
    handler: H,
    raw: *mut R,
    register: impl FnOnce() -> c_int,
) -> Result {
    // SAFETY: The places are valid for writes, and `raw`, from `KBox::into_raw`, is not null
    // (safety requirements).
    unsafe {
        ptr::write(handler_place, handler);
        ptr::write(raw_place, NonNull::new_unchecked(raw));
    }
    let ret = register();
    if ret < 0 {
        // SAFETY: kprobes did not keep the probe (its registration failed), so the handler,
        // written above, and the allocation, from `KBox::into_raw`, are ours to drop.
        unsafe {
            ptr::drop_in_place(handler_place);
            drop(KBox::from_raw(raw));
        }
        return Err(Error::from_errno(ret));
    }
    Ok(())
}

/// Unregisters the `struct kprobe` of an allocation `raw` of type `R` (at its start), then
/// frees the allocation, unless kprobes kept it.
///
/// `unregister` cannot report a failure, but it clears `addr` when it failed, which kprobes on
/// ftrace do when they cannot disarm the probe for lack of memory (the kernel then warns
/// "Failed to disarm kprobe-ftrace"). The probe then stays in kprobes' table, inert (no handler
/// is found for a probe without address, so the dangling `owner` is never followed), and
/// kprobes keeps pointing into its allocation: that allocation is left to kprobes rather than
/// freed under them. (Unregistering again would unbalance kprobes' count of armed probes.)
///
/// `unregistered` runs after `unregister`, while the allocation is still valid.
///
/// # Safety
///
/// `raw` comes from `KBox::into_raw` and starts with a `struct kprobe` registered through a
/// pointer derived from `raw`, which `unregister` unregisters; nothing else uses `raw` after.
unsafe fn unregister_and_free<R>(
    raw: *mut R,
    unregister: impl FnOnce(),
    unregistered: impl FnOnce(),
) {
    unregister();
    unregistered();
    let probe = raw.cast::<bindings::kprobe>();
    // SAFETY: `probe` is valid; kprobes no longer changes it (its mutex is released).
    if unsafe { (*probe).addr }.is_null() {
        pr_err!("unregister_kprobe failed: the inert probe is left to kprobes\n");
        // Left on purpose: not a leak for kmemleak to report (it still scans it).
        #[cfg(CONFIG_DEBUG_KMEMLEAK)]
        // SAFETY: `raw` is a live allocation of the slab allocator.
        unsafe {
            bindings::kmemleak_not_leak(raw.cast())
        };
        return;
    }
    // SAFETY: The allocation comes from `KBox::into_raw` (safety requirement) and kprobes no
    // longer uses it.
    drop(unsafe { KBox::from_raw(raw) });
}

impl<H: KprobeHandler> Drop for Kprobe<H> {
    fn drop(&mut self) {
        let raw = self.raw.as_ptr();
        // SAFETY: `raw` comes from `KBox::into_raw` and its probe, at its start, is registered
        // through a pointer derived from it (type invariants); `unregister_kprobe` returns once
        // no handler runs any more, so the handler may be dropped after this. The allocation
        // is valid until freed, after `unregistered`.
        unsafe {
            unregister_and_free(
                raw,
                || bindings::unregister_kprobe(Self::raw_probe(raw)),
                || {
                    let probe = &*Self::raw_probe(raw).cast::<Probe>();
                    self.handler.unregistered(probe.nmissed());
                },
            )
        };
    }
}

/// The `RawKprobe<H>` and `Kprobe<H>` of a probe that kprobes hands to a trampoline.
///
/// # Safety
///
/// `p` is the `struct kprobe` of a registered `Kprobe<H>`, handed by kprobes to a handler.
unsafe fn owner_of<'a, H: KprobeHandler>(p: *mut bindings::kprobe) -> (&'a Probe, &'a Kprobe<H>) {
    // SAFETY: `p` was derived from the pointer to a live `RawKprobe<H>` whose first field it
    // is (`#[repr(C)]`; `Probe` and `Opaque` are transparent), whose `owner` is the pinned
    // `Kprobe<H>`, live while the probe is registered, which it is while kprobes calls its
    // handlers (`Kprobe`'s invariants). Only `Opaque` parts of it may change meanwhile.
    unsafe {
        let raw = &*p.cast::<RawKprobe<H>>();
        (&raw.probe, &*raw.owner)
    }
}

/// The `kprobe.pre_handler` of a `Kprobe<H>`.
///
/// # Safety
///
/// Called by kprobes with `p` the `struct kprobe` of a registered `Kprobe<H>`, planted at the
/// entry of a function that `H::Signature` accepted, and `regs` the registers there.
unsafe extern "C" fn pre_handler<H: KprobeHandler>(
    p: *mut bindings::kprobe,
    regs: *mut bindings::pt_regs,
) -> c_int {
    // SAFETY: By the function's safety requirements.
    let ((probe, kprobe), regs) = unsafe { (owner_of::<H>(p), Regs::from_raw(regs)) };
    kprobe.handler.pre_handler(probe, regs);
    // Let kprobes single-step the probed instruction, as a C kprobe handler does.
    0
}

/// The `kprobe.post_handler` of a `Kprobe<H>`.
///
/// # Safety
///
/// Called by kprobes with `p` the `struct kprobe` of a registered `Kprobe<H>` and `regs`
/// valid registers.
unsafe extern "C" fn post_handler<H: KprobeHandler>(
    p: *mut bindings::kprobe,
    regs: *mut bindings::pt_regs,
    _flags: c_ulong,
) {
    // SAFETY: By the function's safety requirements; the registers are untyped.
    let ((probe, kprobe), regs) = unsafe { (owner_of::<H>(p), Regs::from_raw(regs)) };
    kprobe.handler.post_handler(probe, regs);
}
