// SPDX-License-Identifier: GPL-2.0

//! What differs between the kernels these modules build against, in one place.
//!
//! The same sources build against every kernel line the project supports (6.12 LTS to 7.x);
//! where the kernel crate's API differs between them, the modules go through this file, which
//! picks the kernel's own API with the cfgs that `compat.mk` derives from the tree:
//!
//! - `kmod_kernel_fmt` (6.18 on): `pr_info!` formats through `kernel::fmt`, whose `Display`
//!   is the kernel's own trait; before, through `core::fmt`. Use [`fmt`].
//! - `kmod_core_cstr` (6.19 on): `kernel::str::CStr` is `core::ffi::CStr`; before, it was the
//!   kernel's own type, with other method names. Use the `cstr_*` functions.
//! - `kmod_pin_init_crate` (6.15 on): pin-init is its own crate, `pin_init`; before, it was
//!   `kernel::init`. Use [`pin_init_from_closure`].
//! - `kmod_opaque_try_ffi_init` (6.13 on): `Opaque::try_ffi_init` exists. Use
//!   [`opaque_try_ffi_init`].
//! - `module!` takes `authors: [..]` on 7.x and `author:` on 6.12: [`module!`] takes the
//!   former on every kernel (and writes the `author=` entries of `.modinfo` itself).
//!
//! Every module's crate root includes it with `pub mod compat;` (public, as the library's
//! API is: what a module leaves unused of it is not dead code).

use kernel::ffi::c_char;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::types::Opaque;

/// The formatting traits that `pr_info!` and friends take.
#[cfg(not(kmod_kernel_fmt))]
pub use core::fmt;
/// The formatting traits that `pr_info!` and friends take.
#[cfg(kmod_kernel_fmt)]
pub use kernel::fmt;

/// Makes a pin-initialiser from a closure that initialises the slot it is given: the
/// kernel's `pin_init_from_closure`, wherever this kernel has it.
#[cfg(not(kmod_pin_init_crate))]
pub use kernel::init::pin_init_from_closure;
/// Makes a pin-initialiser from a closure that initialises the slot it is given: the
/// kernel's `pin_init_from_closure`, wherever this kernel has it.
#[cfg(kmod_pin_init_crate)]
pub use pin_init::pin_init_from_closure;

/// A pin-initialiser of an `Opaque<T>` from a closure given a pointer to its `T` (which it may
/// leave uninitialised, and must not read): `Opaque::try_ffi_init`, which 6.12 lacks.
#[cfg(kmod_opaque_try_ffi_init)]
pub fn opaque_try_ffi_init<T, E>(
    init_func: impl FnOnce(*mut T) -> Result<(), E>,
) -> impl PinInit<Opaque<T>, E> {
    Opaque::try_ffi_init(init_func)
}

/// See the other [`opaque_try_ffi_init`].
#[cfg(not(kmod_opaque_try_ffi_init))]
pub fn opaque_try_ffi_init<T, E>(
    init_func: impl FnOnce(*mut T) -> Result<(), E>,
) -> impl PinInit<Opaque<T>, E> {
    // SAFETY: An `Opaque<T>` may hold an uninitialised `T`, so the closure may leave it so, and
    // it only writes through the pointer: it neither moves the slot nor reads it.
    unsafe { pin_init_from_closure(move |slot: *mut Opaque<T>| init_func(Opaque::raw_get(slot))) }
}

/// The bytes of `s`, without its NUL.
pub fn cstr_to_bytes(s: &CStr) -> &[u8] {
    #[cfg(kmod_core_cstr)]
    return s.to_bytes();
    #[cfg(not(kmod_core_cstr))]
    return s.as_bytes();
}

/// The bytes of `s`, with its NUL.
pub fn cstr_to_bytes_with_nul(s: &CStr) -> &[u8] {
    #[cfg(kmod_core_cstr)]
    return s.to_bytes_with_nul();
    #[cfg(not(kmod_core_cstr))]
    return s.as_bytes_with_nul();
}

/// The string at the start of `buf`, up to its first NUL; empty if `buf` has none.
pub fn cstr_until_nul(buf: &[u8]) -> &CStr {
    let bytes = match buf.iter().position(|&b| b == 0) {
        Some(nul) => &buf[..=nul],
        None => b"\0",
    };
    CStr::from_bytes_with_nul(bytes).unwrap_or(kernel::c_str!(""))
}

/// `s` as a C string pointer, in a constant (a `static`'s initialiser).
pub const fn cstr_as_char_ptr(s: &'static CStr) -> *const c_char {
    #[cfg(kmod_core_cstr)]
    return kernel::str::as_char_ptr_in_const_context(s);
    #[cfg(not(kmod_core_cstr))]
    return s.as_char_ptr();
}

/// `-EOPNOTSUPP`, which the kernel crate does not name.
pub fn eopnotsupp() -> kernel::error::Error {
    kernel::error::Error::from_errno(-(kernel::bindings::EOPNOTSUPP as kernel::ffi::c_int))
}

/// A scheduling point in a long loop: C's `cond_resched()`. (`kernel::task::might_sleep` is
/// not on every line; this one is the same everywhere.) Process context only.
pub fn cond_resched() {
    // A preemptible kernel reschedules by itself, and declares no `__cond_resched`.
    #[cfg(any(not(CONFIG_PREEMPTION), CONFIG_PREEMPT_DYNAMIC))]
    // SAFETY: Called from process context (this function's contract), as C's `cond_resched()`
    // requires; it takes no arguments.
    unsafe {
        kernel::bindings::__cond_resched();
    }
}

/// Copies a `&str` into a byte array of exactly its length, for `.modinfo` entries.
#[doc(hidden)]
pub const fn modinfo_bytes<const N: usize>(s: &str) -> [u8; N] {
    let bytes = s.as_bytes();
    assert!(bytes.len() == N);
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = bytes[i];
        i += 1;
    }
    out
}

/// Adds an entry (`"key=value"`) to the module's `.modinfo`, which `modinfo` shows and the
/// module loader reads: what C's `MODULE_INFO(key, value)` does.
macro_rules! modinfo {
    ($entry:expr) => {
        const _: () = {
            const ENTRY: &str = concat!($entry, "\0");
            #[link_section = ".modinfo"]
            #[used(compiler)]
            static INFO: [u8; ENTRY.len()] = $crate::compat::modinfo_bytes(ENTRY);
        };
    };
}
pub(crate) use modinfo;

/// The kernel's `module!`, with the `authors: [..]` of 7.x on every kernel line.
///
/// ```ignore
/// module! {
///     type: RustHello,
///     name: "rust_hello",
///     authors: ["Rust kernel modules maintainers"],
///     description: "Says hello on load and goodbye on unload",
///     license: "GPL",
/// }
/// ```
macro_rules! module {
    (
        type: $type:ident,
        name: $name:tt,
        authors: [$($author:literal),+ $(,)?],
        $($rest:tt)*
    ) => {
        ::kernel::prelude::module! {
            type: $type,
            name: $name,
            $($rest)*
        }
        $($crate::compat::modinfo!(concat!("author=", $author));)+
    };
}
pub(crate) use module;
