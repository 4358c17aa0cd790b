// SPDX-License-Identifier: GPL-2.0

//! Kprobes for Rust modules: probes on kernel functions, registered in place.
//!
//! C header: [`include/linux/kprobes.h`](srctree/include/linux/kprobes.h)
//!
//! - [`Kprobe`] plants a probe at the start of a kernel function, named by its symbol; what the
//!   probe does is a [`KprobeHandler`], whose post-handler is optional (`#[vtable]`: a handler
//!   that defines none makes a probe without one, as C's `post_handler = NULL`).
//! - `Kretprobe` (in `kretprobe.rs`) is a return probe: a `KretprobeHandler` sees the call
//!   at its entry and at its return, with data carried from one to the other per call.
//! - Handlers read the probed function's arguments from its registers ([`Regs`], in
//!   [`crate::regs`]).
//!
//! `new` registers a probe and returns the value that owns it; dropping that unregisters it,
//! after which no handler runs any more. The handler lives beside the `struct kprobe` in the
//! allocation that kprobes links (see [`unregister_and_free`] for why that allocation is the
//! probe's own, not the owner's).
//!
//! The bindings come from bindgen, run by `compat.mk` over `bindings_helper.h` with
//! the flags of the kernel tree the module is built against (`kernel::bindings` has no kprobe
//! API). Argument registers are known on x86_64 and arm64.
//!
//! Handlers run in whatever context the probed code runs in, with the rules of
//! [`crate::regs`]'s "Context". On x86_64 a kprobe that is neither on an ftrace site nor
//! optimized into a jump is reached through the `int3` trap, whose handler the kernel runs as
//! an NMI; arm64's `BRK` trap, optimized probes, return handlers and probes on ftrace sites run
//! in the probed code's context (`context.rs`). Another kprobe's hit on the same CPU meanwhile
//! is not handled but counted (`nmissed`).

use core::mem::offset_of;
use core::ptr::{self, NonNull};
use kernel::error::to_result;
use kernel::ffi::{c_int, c_ulong, c_void};
use kernel::prelude::*;
use kernel::types::Opaque;

use crate::bindings;
use crate::compat::{self, fmt};
use crate::regs::{check_signature, into_registered, leave_to_kernel, Regs, Signature};

/// What a kprobe does when the probed function is hit (see [`crate::regs`]'s "Context").
#[vtable]
pub trait KprobeHandler: Send + Sync {
    /// The probed function's signature, for typed arguments; [`crate::regs::AnyFunction`] if
    /// any.
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
pub struct Probe(Opaque<bindings::kprobe>);

impl Probe {
    /// How many times the probe was hit while it could not run its handlers (for instance
    /// from within another probe's handler): `kprobe.nmissed`.
    pub fn nmissed(&self) -> u64 {
        // SAFETY: `self.0` is a valid `struct kprobe`; kprobes updates `nmissed` as a plain
        // counter, so read it once, as C's `READ_ONCE` would.
        let nmissed = unsafe { ptr::read_volatile(&raw const (*self.0.get()).nmissed) };
        nmissed as u64
    }

    /// The address of the probe point, for logging: it displays as C's `%p` does (hashed,
    /// never the raw address).
    pub fn addr(&self) -> HashedPtr {
        // SAFETY: `self.0` is a valid `struct kprobe`, whose `addr` is set by `register_kprobe`
        // and changed afterwards only by a failed unregistration, after which no `Probe` of it
        // is reachable.
        HashedPtr(unsafe { (*self.0.get()).addr }.cast())
    }
}

/// A pointer that displays as C's `%p`: hashed unless the kernel is booted with
/// `no_hash_pointers`, so that logs never reveal kernel addresses.
pub struct HashedPtr(*const c_void);

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
pub(crate) fn symbol_name(symbol: &CStr) -> Result<KVec<u8>> {
    let symbol = compat::cstr_to_bytes_with_nul(symbol);
    let mut name = KVec::with_capacity(symbol.len(), GFP_KERNEL)?;
    name.extend_from_slice(symbol, GFP_KERNEL)?;
    Ok(name)
}

/// What kprobes links: the `struct kprobe`, and beside it the handler its trampolines call and
/// the name its `symbol_name` points to.
///
/// # Invariants
///
/// While `probe` is registered, its handlers are `pre_handler::<H>` and, if `H` has one,
/// `post_handler::<H>`, and its `symbol_name` points into `symbol`.
#[pin_data]
struct Inner<H: KprobeHandler> {
    handler: H,
    symbol: KVec<u8>,
    #[pin]
    probe: Opaque<bindings::kprobe>,
}

impl<H: KprobeHandler> Inner<H> {
    /// The `Inner<H>` whose `probe` is `probe`.
    ///
    /// # Safety
    ///
    /// `probe` is the `probe` field of an `Inner<H>`, derived from a pointer to all of it.
    unsafe fn from_probe(probe: *mut bindings::kprobe) -> *mut Self {
        // SAFETY: `probe` is that field (`Opaque` is transparent), within the allocation of
        // the `Inner<H>`, which the pointer may reach all of.
        unsafe {
            probe
                .cast::<u8>()
                .sub(offset_of!(Self, probe))
                .cast::<Self>()
        }
    }
}

/// A kprobe registered on a kernel function; dropping it unregisters it.
///
/// The handler lives beside the `struct kprobe` in an allocation of the probe's own, which
/// kprobes links into its tables: handlers on other CPUs reach it through that link, never
/// through this value, which only owns it.
///
/// # Invariants
///
/// `inner` comes from [`KBox::into_raw`] of a pinned box in [`Kprobe::new`] and is owned by
/// this value; its `probe` is registered with kprobes until `drop` unregisters it.
///
/// # Examples
///
/// ```ignore
/// struct Counter(AtomicU64);
///
/// #[vtable]
/// impl KprobeHandler for Counter {
///     type Signature = AnyFunction;
///
///     fn pre_handler(&self, _probe: &Probe, _regs: &Regs) {
///         self.0.fetch_add(1, Relaxed);
///     }
/// }
///
/// let probe = Kprobe::new(c_str!("vfs_read"), Counter(AtomicU64::new(0)))?;
/// pr_info!("planted at {}\n", probe.probe().addr());
/// ```
pub struct Kprobe<H: KprobeHandler> {
    inner: NonNull<Inner<H>>,
}

// SAFETY: A kprobe may be unregistered from any task, and the handler is `Send`.
unsafe impl<H: KprobeHandler> Send for Kprobe<H> {}

// SAFETY: Shared access only reads the probe (`nmissed`, `addr`) and the `Sync` handler.
unsafe impl<H: KprobeHandler> Sync for Kprobe<H> {}

impl<H: KprobeHandler> Kprobe<H> {
    /// Plants a probe at the start of the kernel function `symbol`: C's `register_kprobe`.
    /// The handlers may run as soon as it is planted, on any CPU.
    ///
    /// Fails with `-EINVAL` if the handler's [`Signature`] does not list `symbol`, and as
    /// `register_kprobe` does (`-ENOENT` for an unknown function, `-EINVAL` for one kprobes
    /// refuses, ...); then nothing stays registered or allocated. Sleeps: process context only.
    pub fn new(symbol: &CStr, handler: H) -> Result<Self> {
        check_signature::<H::Signature>(symbol)?;
        let symbol = symbol_name(symbol)?;
        let inner = KBox::pin_init(
            try_pin_init!(Inner::<H> {
                handler,
                symbol,
                probe <- compat::opaque_try_ffi_init(move |probe: *mut bindings::kprobe| {
                    // SAFETY: `probe` is the `probe` of the `Inner<H>` being initialised, whose
                    // `symbol` is written already (fields are written in order): a name,
                    // with its NUL, that lives as long as the probe.
                    let name = unsafe { (*Inner::<H>::from_probe(probe)).symbol.as_ptr() };
                    // SAFETY: `probe` is valid for writes, and not shared yet.
                    unsafe {
                        probe.write(bindings::kprobe {
                            symbol_name: name,
                            pre_handler: Some(pre_handler::<H>),
                            post_handler: if H::HAS_POST_HANDLER {
                                Some(post_handler::<H>)
                            } else {
                                None
                            },
                            ..Default::default()
                        })
                    };
                    // INVARIANT: Registered with this file's trampolines for `H`, its name in
                    // `symbol`; `handler` is written before `probe`.
                    // SAFETY: `probe` is a valid `struct kprobe` in a pinned allocation,
                    // derived from the pointer to all of it.
                    to_result(unsafe { bindings::register_kprobe(probe) })
                }),
            }),
            GFP_KERNEL,
        )?;
        // INVARIANT: From `KBox::into_raw` of the pinned box, registered.
        Ok(Self {
            inner: into_registered(inner),
        })
    }

    /// The probe, for its address and missed-hit count.
    pub fn probe(&self) -> &Probe {
        // SAFETY: `inner` is live as long as `self` (type invariant); `Probe` is transparent
        // over the `Opaque`, which kprobes may write to meanwhile.
        unsafe { &*(*self.inner.as_ptr()).probe.get().cast::<Probe>() }
    }

    /// The handler, as the probe's handlers see it.
    pub fn handler(&self) -> &H {
        // SAFETY: `inner` is live as long as `self` (type invariant).
        unsafe { &(*self.inner.as_ptr()).handler }
    }
}

/// Unregisters the `struct kprobe` `probe` of an allocation `inner`, then frees the
/// allocation, unless kprobes kept it.
///
/// `unregister` cannot report a failure, but it clears `addr` when it failed, which kprobes on
/// ftrace do when they cannot disarm the probe for lack of memory (the kernel then warns
/// "Failed to disarm kprobe-ftrace"). The probe then stays in kprobes' table, inert (no handler
/// is found for a probe without address), and kprobes keeps pointing into its allocation:
/// that allocation, handler included, is left to kprobes rather than freed under them.
/// (Unregistering again would unbalance kprobes' count of armed probes.)
///
/// `unregistered` runs after `unregister`, while the allocation is still valid.
///
/// # Safety
///
/// `inner` comes from `KBox::into_raw` of a pinned box and holds `probe`, registered, which
/// `unregister` unregisters; nothing else uses `inner` after.
pub(crate) unsafe fn unregister_and_free<R>(
    inner: *mut R,
    probe: *mut bindings::kprobe,
    unregister: impl FnOnce(),
    unregistered: impl FnOnce(),
) {
    unregister();
    unregistered();
    // SAFETY: `probe` is valid; kprobes no longer changes it (its mutex is released).
    if unsafe { (*probe).addr }.is_null() {
        if let Some(inner) = NonNull::new(inner) {
            leave_to_kernel(
                inner,
                format_args!("unregister_kprobe failed: the inert probe is left to kprobes"),
            );
        }
        return;
    }
    // SAFETY: The allocation comes from `KBox::into_raw` of a pinned box (safety requirement),
    // and kprobes no longer uses it.
    drop(unsafe { Pin::new_unchecked(KBox::from_raw(inner)) });
}

impl<H: KprobeHandler> Drop for Kprobe<H> {
    fn drop(&mut self) {
        let inner = self.inner.as_ptr();
        // SAFETY: `inner` is live (type invariant); no reference to its `probe` is kept.
        let probe = unsafe { (*inner).probe.get() };
        // SAFETY: `inner` comes from `KBox::into_raw` of a pinned box and its `probe` is
        // registered (type invariants); `unregister_kprobe` returns once no handler runs any
        // more, so the handler may be dropped after this.
        unsafe {
            unregister_and_free(
                inner,
                probe,
                || bindings::unregister_kprobe(probe),
                || {
                    (*inner)
                        .handler
                        .unregistered((*probe.cast::<Probe>()).nmissed())
                },
            )
        };
    }
}

/// The `Inner<H>` and the `Probe` of a `struct kprobe` that kprobes hands to a trampoline.
///
/// # Safety
///
/// `p` is the `struct kprobe` of a registered `Kprobe<H>`, handed by kprobes to a handler.
unsafe fn owner_of<'a, H: KprobeHandler>(p: *mut bindings::kprobe) -> (&'a Probe, &'a Inner<H>) {
    // SAFETY: `p` is the `probe` of a live `Inner<H>` (registered by `Kprobe::new`, through a
    // pointer derived from the whole allocation), live while it is registered, which it is
    // while kprobes calls its handlers. Only its `Opaque` part changes meanwhile.
    unsafe { (&*p.cast::<Probe>(), &*Inner::<H>::from_probe(p)) }
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
    let ((probe, inner), regs) = unsafe { (owner_of::<H>(p), Regs::from_raw(regs)) };
    inner.handler.pre_handler(probe, regs);
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
    let ((probe, inner), regs) = unsafe { (owner_of::<H>(p), Regs::from_raw(regs)) };
    inner.handler.post_handler(probe, regs);
}
