// SPDX-License-Identifier: GPL-2.0

//! Kprobes for Rust modules: a safe owner of a registered probe.
//!
//! C header: [`include/linux/kprobes.h`](srctree/include/linux/kprobes.h)
//!
//! [`Kprobe::register`] plants a probe on a kernel function by name and returns the owner of
//! the registration; dropping it unregisters the probe (after which no handler runs any more).
//! What the probe does is a [`KprobeHandler`].
//!
//! The bindings come from bindgen, run by this project's `Kbuild` over `kprobe_helper.h` with
//! the flags of the kernel tree the module is built against, so `struct kprobe` here is always
//! that kernel's. (`kernel::bindings` has no kprobe API.)

use core::ptr::{self, NonNull};
use kernel::ffi::{c_int, c_ulong, c_void};
use kernel::prelude::*;
use kernel::types::Opaque;

use crate::compat::{self, fmt};

// Generated code: the allowances of the kernel's own `rust/bindings`, plus the lint groups
// the kernel's build enables beyond `clippy::all`.
#[allow(
    clippy::all,
    clippy::pedantic,
    clippy::nursery,
    clippy::restriction,
    dead_code,
    improper_ctypes,
    missing_docs,
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    unreachable_pub,
    unsafe_op_in_unsafe_fn
)]
mod bindings {
    use kernel::ffi;
    include!("kprobe_bindings_generated.rs");
}

/// What a kprobe does when the probed function is hit.
///
/// # Context
///
/// Both handlers run in the context of the probed instruction, on whatever CPU and in whatever
/// task hit it, with preemption disabled (and for some probes interrupts too). They must not
/// sleep: no mutex (so no `params::lock()` nor any parameter guard), no `GFP_KERNEL`
/// allocation, nothing that may schedule. Logging with `pr_*!`, atomics and scalar module
/// parameters (`ScalarParam::get`, a relaxed load) are fine. Several CPUs may run them at once,
/// hence `Sync`. With `CONFIG_DEBUG_ATOMIC_SLEEP`, a sleeping call in a handler is reported.
pub(crate) trait KprobeHandler: Send + Sync + 'static {
    /// Called just before the probed instruction is executed.
    fn pre_handler(&self, probe: &Probe);

    /// Called after the probed instruction is executed.
    fn post_handler(&self, probe: &Probe);
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
        let mut buf = [0u8; 32];
        // SAFETY: `buf` is writable for its length; the format is a C string whose one
        // conversion, `%p`, takes the pointer passed.
        let len = unsafe {
            kernel::bindings::snprintf(
                buf.as_mut_ptr(),
                buf.len(),
                kernel::c_str!("%p").as_char_ptr(),
                self.0,
            )
        };
        let len = usize::try_from(len).unwrap_or(0).min(buf.len() - 1);
        f.write_str(core::str::from_utf8(&buf[..len]).unwrap_or("?"))
    }
}

/// The allocation that kprobes points into while the probe is registered.
#[repr(C)]
struct Registration<H> {
    /// First, so that the `struct kprobe *` handed to the handlers is the registration's.
    probe: Probe,
    /// The function's name, which `kprobe.symbol_name` points to.
    symbol: KVec<u8>,
    handler: H,
}

/// A registered kprobe; dropping it unregisters it.
///
/// # Invariants
///
/// `registration` comes from [`KBox::into_raw`] in [`Kprobe::register`] and is owned by this
/// value: the allocation is neither moved nor freed before `drop`. Its `probe` is registered
/// with kprobes until `drop` unregisters it, and the `struct kprobe *` kprobes holds (and
/// hands to the handlers) was derived from `registration`, a pointer to the whole allocation,
/// so the handlers may reach all of it.
pub(crate) struct Kprobe<H: KprobeHandler> {
    registration: NonNull<Registration<H>>,
}

// SAFETY: A kprobe may be unregistered from any task, and the handler is `Send`.
unsafe impl<H: KprobeHandler> Send for Kprobe<H> {}

// SAFETY: Shared access only reads the probe (`nmissed`, `addr`) and the `Sync` handler.
unsafe impl<H: KprobeHandler> Sync for Kprobe<H> {}

impl<H: KprobeHandler> Kprobe<H> {
    /// Plants a probe at the start of the kernel function `symbol`: C's `register_kprobe`.
    ///
    /// On error (`-ENOENT` for an unknown function, `-EINVAL` for one kprobes refuses, ...)
    /// nothing stays registered or allocated. Sleeps: process context only.
    pub(crate) fn register(symbol: &CStr, handler: H) -> Result<Self> {
        let symbol = compat::cstr_to_bytes_with_nul(symbol);
        let mut name = KVec::with_capacity(symbol.len(), GFP_KERNEL)?;
        name.extend_from_slice(symbol, GFP_KERNEL)?;
        let kprobe = bindings::kprobe {
            symbol_name: name.as_ptr(),
            pre_handler: Some(pre_handler::<H>),
            post_handler: Some(post_handler::<H>),
            ..Default::default()
        };
        let registration = KBox::into_raw(KBox::new(
            Registration {
                probe: Probe(Opaque::new(kprobe)),
                symbol: name,
                handler,
            },
            GFP_KERNEL,
        )?);
        // SAFETY: `registration` is a valid allocation, of which this is the first field.
        let ret = unsafe { bindings::register_kprobe(Self::raw_probe(registration)) };
        if ret < 0 {
            // SAFETY: `registration` comes from `KBox::into_raw` above, and kprobes did not
            // keep it: `register_kprobe` failed.
            drop(unsafe { KBox::from_raw(registration) });
            return Err(Error::from_errno(ret));
        }
        // INVARIANT: The probe is registered, through a pointer derived from `registration`,
        // which comes from `KBox::into_raw` and is not null.
        Ok(Self {
            // SAFETY: `KBox::into_raw` never returns null.
            registration: unsafe { NonNull::new_unchecked(registration) },
        })
    }

    /// The `struct kprobe *` of `registration`, derived from the pointer to the whole
    /// allocation (which a reference to the `probe` field would not be).
    ///
    /// # Safety
    ///
    /// `registration` points to a valid `Registration<H>`.
    unsafe fn raw_probe(registration: *mut Registration<H>) -> *mut bindings::kprobe {
        // SAFETY: By the function's safety requirement, the place is valid; no reference is
        // made. `Probe` and `Opaque` are transparent over `struct kprobe`.
        unsafe { &raw mut (*registration).probe }.cast()
    }

    /// The probe, for its address and missed-hit count.
    pub(crate) fn probe(&self) -> &Probe {
        // SAFETY: The allocation lives as long as `self` (type invariant); `Probe` is an
        // `Opaque`, so kprobes may write to it meanwhile.
        unsafe { &(*self.registration.as_ptr()).probe }
    }
}

impl<H: KprobeHandler> Drop for Kprobe<H> {
    fn drop(&mut self) {
        let registration = self.registration.as_ptr();
        // SAFETY: `registration` is valid (type invariant).
        let probe = unsafe { Self::raw_probe(registration) };
        // SAFETY: The probe was registered by `register` through this pointer and not
        // unregistered since (type invariant). `unregister_kprobe` returns once no handler
        // runs any more.
        unsafe { bindings::unregister_kprobe(probe) };
        // `unregister_kprobe` cannot report a failure, but it clears `addr` when it failed,
        // which kprobes on ftrace do when they cannot disarm the probe for lack of memory (the
        // kernel then warns "Failed to disarm kprobe-ftrace"). The probe then stays in kprobes'
        // table, inert (no handler is found for a probe without address), and kprobes keeps
        // pointing into its allocation: leave that allocation to kprobes rather than free it
        // under them. (Unregistering again would unbalance kprobes' count of armed probes.)
        // SAFETY: `probe` is valid; kprobes no longer changes it (its mutex is released).
        if unsafe { (*probe).addr }.is_null() {
            pr_err!("unregister_kprobe failed: the inert probe is left to kprobes\n");
            // Left on purpose: not a leak for kmemleak to report (it still scans it).
            #[cfg(CONFIG_DEBUG_KMEMLEAK)]
            // SAFETY: `registration` is a live allocation of the slab allocator.
            unsafe {
                bindings::kmemleak_not_leak(registration.cast())
            };
            return;
        }
        // SAFETY: The allocation comes from `KBox::into_raw` (type invariant) and kprobes no
        // longer uses it.
        drop(unsafe { KBox::from_raw(registration) });
    }
}

/// The `kprobe.pre_handler` of a `Kprobe<H>`.
///
/// # Safety
///
/// Called by kprobes with `p` the `struct kprobe` of a registered `Kprobe<H>`.
unsafe extern "C" fn pre_handler<H: KprobeHandler>(
    p: *mut bindings::kprobe,
    _regs: *mut bindings::pt_regs,
) -> c_int {
    // SAFETY: `p` was derived from the pointer to a live `Registration<H>` whose first field
    // it is (`#[repr(C)]`; `Probe` and `Opaque` are transparent), and kprobes calls handlers
    // only while the probe is registered (`Kprobe`'s invariants).
    let registration = unsafe { &*p.cast::<Registration<H>>() };
    registration.handler.pre_handler(&registration.probe);
    // Let kprobes single-step the probed instruction, as the seed's handler does.
    0
}

/// The `kprobe.post_handler` of a `Kprobe<H>`.
///
/// # Safety
///
/// As for [`pre_handler`].
unsafe extern "C" fn post_handler<H: KprobeHandler>(
    p: *mut bindings::kprobe,
    _regs: *mut bindings::pt_regs,
    _flags: c_ulong,
) {
    // SAFETY: As in `pre_handler`.
    let registration = unsafe { &*p.cast::<Registration<H>>() };
    registration.handler.post_handler(&registration.probe);
}
