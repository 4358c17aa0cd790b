// SPDX-License-Identifier: GPL-2.0

//! Module parameters for Rust modules that behave exactly like C's.
//!
//! C header: [`include/linux/moduleparam.h`](srctree/include/linux/moduleparam.h)
//!
//! Upstream Rust offers integer parameters that are set once at load and never appear in
//! sysfs. This file gives a Rust module what `moduleparam.h` gives a C one, with declarations
//! as short as the C macros and in the same argument order:
//!
//! | C                                                  | Rust (this file)                                               |
//! |----------------------------------------------------|----------------------------------------------------------------|
//! | `module_param(intparam, int, 0)`                   | `module_param!(intparam: int = 0, 0)`                          |
//! | `module_param_named(no_use, no_use_variable, int, 0644)` | `module_param_named!(no_use, no_use_variable: int = 0, 0o644)` |
//! | `module_param(file, charp, 0)`                     | `module_param!(file: charp, 0)`                                |
//! | `module_param_string(symbol, symbol, 64, 0644)`    | `module_param_string!(symbol, symbol: [u8; 64] = "x", 0o644)`  |
//! | `module_param_array(array, int, &nr_arr, 0)`       | `module_param_array!(array: [int; 8], 0)`                      |
//! | `module_param_array_named(fish, fish_array, int, &nr_fish, 0644)` | `module_param_array_named!(fish, fish_array: [int; 64], 0o644)` |
//! | `MODULE_PARM_DESC(no_use, "this parameter is useless")` | `module_parm_desc!(no_use, "this parameter is useless")`  |
//!
//! The types are those of `moduleparam.h`, under their C names (see [`types`]): `byte` (`u8`),
//! `short` (`i16`), `ushort` (`u16`), `int` (`i32`), `uint` (`u32`), `long` (`c_long`, 64
//! bits here), `ulong` (`c_ulong`), `ullong` (`u64`), `hexint` (`u32`, shown as `0x%08x`),
//! `bool`, `invbool` and `charp`.
//!
//! # What a user sees
//!
//! Exactly what a C module shows: `insmod m.ko name=value` sets a parameter, a permission
//! other than 0 makes `/sys/module/<module>/parameters/<name>` with that mode, and `modinfo`
//! prints `parm: name:description (type)`. Parsing, error codes, error messages and the sysfs
//! text are the C code's own: every parameter here calls the kernel's `param_set_*` and
//! `param_get_*` functions. Like C's, a world-writable permission is refused at build time.
//!
//! One difference, on purpose: a write that fails changes nothing. C's arrays keep the
//! elements parsed before the bad one and reset the count (`fish=1,x` leaves `fish[0] == 1`);
//! here a string or an array is parsed into a scratch copy and published only when the whole
//! value parsed.
//!
//! # Reading safely while root writes
//!
//! - Scalars are stored in atomics: [`ScalarParam::get`] is a single relaxed load, which never
//!   sees a torn value, takes no lock and can be called from any context, including a kprobe
//!   handler with preemption disabled.
//! - Strings, `charp` and arrays can be rewritten through sysfs at any time, so they can only
//!   be read through a guard that holds the module's parameter lock (`kernel_param_lock`, a
//!   mutex: process context only), e.g. [`StringParam::lock`]. The guard borrows the value, so
//!   the borrow checker ensures that nothing outlives the lock.
//!
//! Parameters are only meaningful in a loadable module: this file is included by every module
//! here with `pub mod params;` in its crate root (with `pub mod compat;`, which it uses),
//! public as the library's API is: what a module leaves unused of it is not dead code.

use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::ops::Deref;
use kernel::bindings;
use kernel::error::code::EINVAL;
use kernel::ffi::{c_char, c_int, c_uint, c_void};
use kernel::prelude::*;

/// A `struct kernel_param` placed in the module's `__param` section, where the module loader
/// finds it. Only the kernel reads it.
#[repr(transparent)]
#[doc(hidden)]
pub struct KernelParam(bindings::kernel_param);

// SAFETY: The kernel only reads this struct, and serialises the calls it makes through it
// with the module's parameter lock. Rust code never accesses it.
unsafe impl Sync for KernelParam {}

impl KernelParam {
    #[doc(hidden)]
    pub const fn new(
        name: &'static str,
        module: *mut bindings::module,
        ops: *const bindings::kernel_param_ops,
        perm: u16,
        arg: *mut c_void,
    ) -> Self {
        let name = match CStr::from_bytes_with_nul(name.as_bytes()) {
            Ok(name) => name,
            Err(_) => panic!("a parameter name must end with its only NUL"),
        };
        Self(bindings::kernel_param {
            name: crate::compat::cstr_as_char_ptr(name),
            mod_: module,
            ops,
            perm: verify_perm(perm),
            level: -1,
            flags: 0,
            __bindgen_anon_1: bindings::kernel_param__bindgen_ty_1 { arg },
        })
    }
}

/// This module's `struct module`.
fn this_module() -> *mut bindings::module {
    &raw mut bindings::__this_module
}

/// Checks a sysfs permission as C's `VERIFY_OCTAL_PERMISSIONS` does, at build time.
#[doc(hidden)]
pub const fn verify_perm(perm: u16) -> u16 {
    assert!(
        perm <= 0o777,
        "module parameter permission is not an octal mode"
    );
    assert!(
        (perm >> 6) & 4 >= (perm >> 3) & 4 && (perm >> 3) & 4 >= perm & 4,
        "module parameter permission: user readable >= group readable >= other readable"
    );
    assert!(
        (perm >> 6) & 2 >= (perm >> 3) & 2,
        "module parameter permission: user writable >= group writable"
    );
    assert!(
        perm & 2 == 0,
        "module parameter permission must not be world-writable"
    );
    perm
}

/// The parameter object that `kp.arg` points to.
///
/// # Safety
///
/// `kp` points to a valid `kernel_param` made by one of this file's macros for a `P`, so that
/// its `arg` is the address of a `'static` `P`.
unsafe fn param_of<P>(kp: *const bindings::kernel_param) -> &'static P {
    // SAFETY: By the function's safety requirement, `arg` is the address of a `'static` `P`.
    unsafe { &*(*kp).__bindgen_anon_1.arg.cast::<P>() }
}

/// A scalar type of `moduleparam.h`: its value type, its atomic storage and its C parser and
/// formatter. Implemented by the marker types in [`types`].
///
/// # Safety
///
/// The C functions must match the Rust types: `c_set` writes exactly one `Self::Value` through
/// `kp->arg` and nothing else, `c_get` reads exactly one `Self::Value` through it, and
/// `c_ops()` is the `kernel_param_ops` of that same C type, whose `set` and `get` do the same.
/// [`ScalarParam`] hands them a `kp->arg` that points to a single `Self::Value`, and
/// [`ArrayParam`] an array of `Self::Value` with `elemsize` `size_of::<Self::Value>()`: a
/// mismatch (say `param_set_ullong` for a `u32`) writes past the end of the value.
pub unsafe trait Scalar: 'static {
    /// The C variable's type.
    type Value: Copy + 'static;
    /// The atomic type the value lives in.
    type Atomic: Sync + 'static;
    /// The zero value (C's default for a variable without initialiser).
    const ZERO: Self::Value;
    /// The `kernel_param_ops` flags of the C type (`KERNEL_PARAM_OPS_FL_NOARG` for `bool`).
    const FLAGS: c_uint;
    /// Loads the value (relaxed).
    fn load(atomic: &Self::Atomic) -> Self::Value;
    /// Stores a value (relaxed).
    fn store(atomic: &Self::Atomic, value: Self::Value);
    /// The C `param_set_<type>`.
    ///
    /// # Safety
    ///
    /// `val` is NULL or a NUL-terminated string, and `kp` points to a valid `kernel_param`
    /// whose `arg` points to a writable `Self::Value`.
    unsafe fn c_set(val: *const c_char, kp: *const bindings::kernel_param) -> c_int;
    /// The C `param_get_<type>`.
    ///
    /// # Safety
    ///
    /// `buffer` points to a writable page, and `kp` points to a valid `kernel_param` whose
    /// `arg` points to a `Self::Value`.
    unsafe fn c_get(buffer: *mut c_char, kp: *const bindings::kernel_param) -> c_int;
    /// The C `param_ops_<type>`, for the elements of arrays.
    fn c_ops() -> *const bindings::kernel_param_ops;
}

/// The parameter types of `moduleparam.h`, under their C names.
#[allow(non_camel_case_types)]
pub mod types {
    use super::Scalar;
    use core::sync::atomic::{
        AtomicBool, AtomicI16, AtomicI32, AtomicIsize, AtomicU16, AtomicU32, AtomicU64, AtomicU8,
        AtomicUsize, Ordering::Relaxed,
    };
    use kernel::bindings;
    use kernel::ffi::{c_char, c_int, c_long, c_uint, c_ulong};

    macro_rules! scalar_types {
        ($($(#[$doc:meta])* $name:ident: $value:ty, $atomic:ty, $zero:expr, $flags:expr,
           $set:ident, $get:ident, $ops:ident;)*) => {$(
            $(#[$doc])*
            pub struct $name;

            // SAFETY: Each line below pairs a Rust type with the C functions and ops of the
            // `moduleparam.h` type of the same size and representation.
            unsafe impl Scalar for $name {
                type Value = $value;
                type Atomic = $atomic;
                const ZERO: $value = $zero;
                const FLAGS: c_uint = $flags;

                fn load(atomic: &$atomic) -> $value {
                    atomic.load(Relaxed)
                }

                fn store(atomic: &$atomic, value: $value) {
                    atomic.store(value, Relaxed)
                }

                unsafe fn c_set(val: *const c_char, kp: *const bindings::kernel_param) -> c_int {
                    // SAFETY: The caller guarantees what the C function needs.
                    unsafe { bindings::$set(val, kp) }
                }

                unsafe fn c_get(buffer: *mut c_char, kp: *const bindings::kernel_param) -> c_int {
                    // SAFETY: The caller guarantees what the C function needs.
                    unsafe { bindings::$get(buffer, kp) }
                }

                fn c_ops() -> *const bindings::kernel_param_ops {
                    &raw const bindings::$ops
                }
            }
        )*};
    }

    scalar_types! {
        /// C `byte`: an `unsigned char`.
        byte: u8, AtomicU8, 0, 0, param_set_byte, param_get_byte, param_ops_byte;
        /// C `short`.
        short: i16, AtomicI16, 0, 0, param_set_short, param_get_short, param_ops_short;
        /// C `ushort`.
        ushort: u16, AtomicU16, 0, 0, param_set_ushort, param_get_ushort, param_ops_ushort;
        /// C `int`.
        int: i32, AtomicI32, 0, 0, param_set_int, param_get_int, param_ops_int;
        /// C `uint`.
        uint: u32, AtomicU32, 0, 0, param_set_uint, param_get_uint, param_ops_uint;
        /// C `long`.
        long: c_long, AtomicIsize, 0, 0, param_set_long, param_get_long, param_ops_long;
        /// C `ulong`.
        ulong: c_ulong, AtomicUsize, 0, 0, param_set_ulong, param_get_ulong, param_ops_ulong;
        /// C `ullong`.
        ullong: u64, AtomicU64, 0, 0, param_set_ullong, param_get_ullong, param_ops_ullong;
        /// C `hexint`: a `uint` that sysfs shows as `0x%08x`.
        hexint: u32, AtomicU32, 0, 0, param_set_hexint, param_get_hexint, param_ops_hexint;
        /// C `bool`: `y`/`n`, `Y`/`N`, `1`/`0`, or no value for true.
        bool: core::primitive::bool, AtomicBool, false, bindings::KERNEL_PARAM_OPS_FL_NOARG,
            param_set_bool, param_get_bool, param_ops_bool;
        /// C `invbool`: a `bool` whose variable holds the opposite of what the user wrote.
        invbool: core::primitive::bool, AtomicBool, false, 0,
            param_set_invbool, param_get_invbool, param_ops_invbool;
    }

    /// C `charp`: a string the kernel allocates; see [`super::CharpParam`].
    pub struct charp;
}

/// Proof that this module's parameter lock (`kernel_param_lock`) is held: from [`lock`], or
/// handed to an `on_set` check, which runs with the lock held by the kernel.
///
/// It gives access to what the lock protects without taking it again: [`StringParam::read`]
/// and [`ParamLocked::get_mut`]. Taking the lock again while holding it deadlocks.
///
/// # Invariants
///
/// While a `ParamsLocked` exists, the current thread holds this module's parameter lock. If
/// `owned`, this value took it (in [`lock`]) and releases it when dropped; otherwise the
/// kernel holds it for the duration of the call that made this value. It is `!Send`: a mutex
/// is released by the thread that took it.
#[must_use = "the parameter lock is released at once if the proof is not kept"]
pub struct ParamsLocked {
    /// Whether dropping this releases the lock (false when the kernel holds it for us).
    owned: bool,
    _not_send: PhantomData<*mut ()>,
}

/// Takes this module's parameter lock, which sysfs reads and writes of its parameters take
/// too. Sleeps: process context only.
#[must_use = "the parameter lock is released at once if the proof is not kept"]
pub fn lock() -> ParamsLocked {
    // SAFETY: `this_module()` is this module's `struct module`, valid while its code runs.
    unsafe { bindings::kernel_param_lock(this_module()) };
    // INVARIANT: The lock was just taken by this thread, and the value releases it.
    ParamsLocked {
        owned: true,
        _not_send: PhantomData,
    }
}

impl ParamsLocked {
    /// # Safety
    ///
    /// The caller holds this module's parameter lock for as long as the result lives.
    unsafe fn assume_held() -> Self {
        // INVARIANT: The caller holds the lock for the value's lifetime.
        Self {
            owned: false,
            _not_send: PhantomData,
        }
    }
}

impl Drop for ParamsLocked {
    fn drop(&mut self) {
        if self.owned {
            // SAFETY: An owned `ParamsLocked` exists only while this thread holds the lock.
            unsafe { bindings::kernel_param_unlock(this_module()) };
        }
    }
}

/// Module state that only code holding the parameter lock may touch, such as what an
/// `on_set` check acts on (a registered probe, say), shared with `init` and `drop`.
///
/// # Invariants
///
/// `value` is only accessed through [`ParamLocked::get_mut`], that is, by a thread that holds
/// the module's parameter lock and lends its [`ParamsLocked`] exclusively for the access.
pub struct ParamLocked<T> {
    value: UnsafeCell<T>,
}

// SAFETY: `value` is only reached through `get_mut`, which needs exclusive use of the proof
// that the parameter lock is held, so one thread at a time has it; `T: Send` lets that thread
// be any thread.
unsafe impl<T: Send> Sync for ParamLocked<T> {}

impl<T> ParamLocked<T> {
    /// A cell holding `value`.
    pub const fn new(value: T) -> Self {
        Self {
            value: UnsafeCell::new(value),
        }
    }

    /// The value, shared, for as long as the proof of the lock is lent (an `on_get` has it
    /// only shared).
    pub fn get<'a>(&'a self, _locked: &'a ParamsLocked) -> &'a T {
        // SAFETY: The lock is held and the proof is borrowed for `'a`: `get_mut`, which needs
        // it exclusively, cannot make a `&mut` meanwhile (there is one proof per holding of
        // the lock: a second `lock()` would deadlock).
        unsafe { &*self.value.get() }
    }

    /// The value, for as long as the proof of the lock is lent.
    pub fn get_mut<'a>(&'a self, _locked: &'a mut ParamsLocked) -> &'a mut T {
        // SAFETY: The lock is held and the proof is borrowed exclusively for `'a`, so no
        // other reference to `value` exists meanwhile (see the `Sync` impl).
        unsafe { &mut *self.value.get() }
    }
}

/// A value borrowed from a parameter while the module's parameter lock is held: sysfs writes
/// to the parameter wait until the guard is dropped.
#[must_use = "the parameter lock is released at once if the guard is not kept"]
pub struct ParamGuard<'a, T: ?Sized> {
    value: &'a T,
    _lock: ParamsLocked,
}

impl<T: ?Sized> Deref for ParamGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value
    }
}

/// A scalar parameter (`module_param`, `module_param_named`).
///
/// Declared with [`module_param!`] or [`module_param_named!`].
pub struct ScalarParam<T: Scalar> {
    value: T::Atomic,
    on_set: Option<fn(T::Value, &mut ParamsLocked) -> Result>,
    on_get: Option<fn(&ParamsLocked) -> T::Value>,
}

impl<T: Scalar> ScalarParam<T> {
    #[doc(hidden)]
    pub const fn from_atomic(
        value: T::Atomic,
        on_set: Option<fn(T::Value, &mut ParamsLocked) -> Result>,
        on_get: Option<fn(&ParamsLocked) -> T::Value>,
    ) -> Self {
        Self {
            value,
            on_set,
            on_get,
        }
    }

    /// The current value: the last one written at load time, through sysfs or by [`Self::set`].
    ///
    /// Lock-free and never torn: callable from any context, including atomic context.
    pub fn get(&self) -> T::Value {
        T::load(&self.value)
    }

    /// Sets the value, as a C module assigns to its variable; sysfs shows it from then on.
    pub fn set(&self, value: T::Value) {
        T::store(&self.value, value)
    }

    #[doc(hidden)]
    pub const fn as_arg(&'static self) -> *mut c_void {
        core::ptr::from_ref(self).cast_mut().cast()
    }

    /// The `kernel_param_ops.set` of scalars: C's parser fills a temporary, which is then
    /// published with one atomic store.
    ///
    /// # Safety
    ///
    /// Called by the kernel as `kernel_param_ops.set`, with `kp` a parameter made by
    /// [`module_param!`] (its `arg` is a `ScalarParam<T>`) and `val` NULL or a C string.
    #[doc(hidden)]
    pub unsafe extern "C" fn ops_set(
        val: *const c_char,
        kp: *const bindings::kernel_param,
    ) -> c_int {
        let mut parsed = T::ZERO;
        // SAFETY: `kp` is valid for reads (function safety requirement).
        let mut shadow = unsafe { *kp };
        shadow.__bindgen_anon_1.arg = (&raw mut parsed).cast();
        // SAFETY: `val` is as the kernel gave it; `shadow` is a valid `kernel_param` whose
        // `arg` points to a writable `T::Value`.
        let ret = unsafe { T::c_set(val, &shadow) };
        if ret != 0 {
            return ret;
        }
        // SAFETY: `kp` was made by `module_param!` for a `ScalarParam<T>`.
        let param = unsafe { param_of::<Self>(kp) };
        if let Some(on_set) = param.on_set {
            // SAFETY: The kernel holds the parameter lock while it sets a parameter (at load
            // in `parse_one`, through sysfs in `param_attr_store`).
            let mut locked = unsafe { ParamsLocked::assume_held() };
            if let Err(e) = on_set(parsed, &mut locked) {
                return e.to_errno();
            }
        }
        param.set(parsed);
        0
    }

    /// The `kernel_param_ops.get` of scalars: C's formatter prints a snapshot of the value.
    ///
    /// # Safety
    ///
    /// Called by the kernel as `kernel_param_ops.get`, with `buffer` a page and `kp` a
    /// parameter made by [`module_param!`].
    #[doc(hidden)]
    pub unsafe extern "C" fn ops_get(
        buffer: *mut c_char,
        kp: *const bindings::kernel_param,
    ) -> c_int {
        // SAFETY: `kp` was made by this type's declaration macro (function safety requirement).
        let param = unsafe { param_of::<Self>(kp) };
        let mut value = match param.on_get {
            Some(on_get) => {
                // SAFETY: The kernel holds the parameter lock while it shows a parameter
                // (`param_attr_show`).
                let locked = unsafe { ParamsLocked::assume_held() };
                on_get(&locked)
            }
            None => param.get(),
        };
        // SAFETY: `kp` is valid for reads (function safety requirement).
        let mut shadow = unsafe { *kp };
        shadow.__bindgen_anon_1.arg = (&raw mut value).cast();
        // SAFETY: `buffer` is a page (function safety requirement); `shadow.arg` points to a
        // `T::Value`.
        unsafe { T::c_get(buffer, &shadow) }
    }

    #[doc(hidden)]
    pub const OPS: bindings::kernel_param_ops = bindings::kernel_param_ops {
        flags: T::FLAGS,
        set: Some(Self::ops_set),
        get: Some(Self::ops_get),
        free: None,
    };
}

impl ScalarParam<types::ullong> {
    /// Adds `n` atomically and returns the new value: for counters shown read-only in sysfs.
    pub fn add(&self, n: u64) -> u64 {
        self.value
            .fetch_add(n, core::sync::atomic::Ordering::Relaxed)
            .wrapping_add(n)
    }
}

/// A string parameter copied into a fixed buffer of `N` bytes, NUL included
/// (`module_param_string`).
///
/// Declared with [`module_param_string!`]. A value of `N` bytes or more is refused with
/// `-ENOSPC` and the message `<name>: string doesn't fit in <N-1> chars.`, as in C.
pub struct StringParam<const N: usize> {
    value: UnsafeCell<[u8; N]>,
    scratch: UnsafeCell<[u8; N]>,
    on_set: Option<fn(&CStr, &mut ParamsLocked) -> Result>,
}

// SAFETY: `value` and `scratch` are only accessed with the module's parameter lock held: by
// the kernel's calls to `ops_set` and `ops_get` (`parse_one` and the sysfs handlers take the
// lock), and by `lock`, which takes it.
unsafe impl<const N: usize> Sync for StringParam<N> {}

impl<const N: usize> StringParam<N> {
    #[doc(hidden)]
    pub const fn new(
        default: &str,
        on_set: Option<fn(&CStr, &mut ParamsLocked) -> Result>,
    ) -> Self {
        let bytes = default.as_bytes();
        assert!(
            bytes.len() < N,
            "the default of a string parameter must fit in its buffer with the NUL"
        );
        let mut value = [0u8; N];
        let mut i = 0;
        while i < bytes.len() {
            assert!(
                bytes[i] != 0,
                "the default of a string parameter contains a NUL"
            );
            value[i] = bytes[i];
            i += 1;
        }
        Self {
            value: UnsafeCell::new(value),
            scratch: UnsafeCell::new([0; N]),
            on_set,
        }
    }

    /// Borrows the current value with the parameter lock held. Sleeps: process context only.
    pub fn lock(&self) -> ParamGuard<'_, CStr> {
        let lock = lock();
        // SAFETY: The lock is held until the guard, which holds the borrow, is dropped.
        let value = unsafe { &*self.value.get() };
        ParamGuard {
            value: Self::as_cstr(value),
            _lock: lock,
        }
    }

    /// The current value, while the caller holds the parameter lock.
    pub fn read<'a>(&'a self, _locked: &'a ParamsLocked) -> &'a CStr {
        // SAFETY: The lock is held for `'a`, so the value does not change meanwhile.
        Self::as_cstr(unsafe { &*self.value.get() })
    }

    /// Sets the value from code, as a C module copies into its buffer, while the caller holds
    /// the parameter lock: for a read-only (0444) string that the module reports in sysfs.
    /// `-ENOSPC` if `value` and its NUL do not fit.
    pub fn write(&self, value: &[u8], _locked: &mut ParamsLocked) -> Result {
        if value.len() >= N || value.contains(&0) {
            return Err(ENOSPC);
        }
        let mut buf = [0u8; N];
        buf[..value.len()].copy_from_slice(value);
        // SAFETY: The lock is held and its proof borrowed exclusively, so no `read` borrow of
        // the value is alive, and `ops_get` (which takes the lock) does not run meanwhile.
        unsafe { *self.value.get() = buf };
        Ok(())
    }

    /// The string up to its first NUL; `ops_set` and `new` ensure that there is one.
    fn as_cstr(buf: &[u8; N]) -> &CStr {
        crate::compat::cstr_until_nul(buf)
    }

    #[doc(hidden)]
    pub const fn as_arg(&'static self) -> *mut c_void {
        core::ptr::from_ref(self).cast_mut().cast()
    }

    /// `kparam_string` for C's string functions, over `buf`.
    fn kps(buf: *mut [u8; N]) -> bindings::kparam_string {
        bindings::kparam_string {
            maxlen: N as c_uint,
            string: buf.cast(),
        }
    }

    /// The `kernel_param_ops.set` of strings: `param_set_copystring` into the scratch buffer,
    /// then the `on_set` hook, then the copy into the value.
    ///
    /// # Safety
    ///
    /// Called by the kernel as `kernel_param_ops.set`, with the module's parameter lock held,
    /// `kp` a parameter made by [`module_param_string!`] and `val` NULL or a C string.
    #[doc(hidden)]
    pub unsafe extern "C" fn ops_set(
        val: *const c_char,
        kp: *const bindings::kernel_param,
    ) -> c_int {
        if val.is_null() {
            return EINVAL.to_errno();
        }
        // SAFETY: `kp` was made by `module_param_string!` (function safety requirement).
        let param = unsafe { param_of::<Self>(kp) };
        let kps = Self::kps(param.scratch.get());
        // SAFETY: `kp` is valid for reads (function safety requirement).
        let mut shadow = unsafe { *kp };
        shadow.__bindgen_anon_1.str_ = &kps;
        // SAFETY: `val` is a C string; `shadow.str_` describes the scratch buffer of `N`
        // bytes, which the parameter lock (held by the caller) gives us alone.
        let ret = unsafe { bindings::param_set_copystring(val, &shadow) };
        if ret != 0 {
            return ret;
        }
        // SAFETY: The parameter lock is held (see above), and nothing writes the scratch
        // buffer but this function.
        let scratch = unsafe { &*param.scratch.get() };
        if let Some(on_set) = param.on_set {
            // SAFETY: The kernel holds the parameter lock during this call.
            let mut locked = unsafe { ParamsLocked::assume_held() };
            // The hook may read this parameter's current value (with `read`): no reference to
            // it is taken before the hook has returned.
            if let Err(e) = on_set(Self::as_cstr(scratch), &mut locked) {
                return e.to_errno();
            }
        }
        // SAFETY: The parameter lock is held, and the hook's borrows of the value have ended.
        unsafe { *param.value.get() = *scratch };
        0
    }

    /// The `kernel_param_ops.get` of strings: `param_get_string` over the value.
    ///
    /// # Safety
    ///
    /// Called by the kernel as `kernel_param_ops.get`, with the parameter lock held,
    /// `buffer` a page and `kp` a parameter made by [`module_param_string!`].
    #[doc(hidden)]
    pub unsafe extern "C" fn ops_get(
        buffer: *mut c_char,
        kp: *const bindings::kernel_param,
    ) -> c_int {
        // SAFETY: `kp` was made by this type's declaration macro (function safety requirement).
        let param = unsafe { param_of::<Self>(kp) };
        let kps = Self::kps(param.value.get());
        // SAFETY: `kp` is valid for reads (function safety requirement).
        let mut shadow = unsafe { *kp };
        shadow.__bindgen_anon_1.str_ = &kps;
        // SAFETY: `buffer` is a page; `shadow.str_` describes the NUL-terminated value, which
        // the parameter lock keeps still.
        unsafe { bindings::param_get_string(buffer, &shadow) }
    }

    #[doc(hidden)]
    pub const OPS: bindings::kernel_param_ops = bindings::kernel_param_ops {
        flags: 0,
        set: Some(Self::ops_set),
        get: Some(Self::ops_get),
        free: None,
    };
}

/// A `charp` parameter: a string the kernel allocates (`module_param(name, charp, perm)`).
///
/// Declared with [`module_param!`]; NULL (`None`) until set, like a C `char *` without
/// initialiser. The kernel's own `param_ops_charp` does everything, freeing included.
pub struct CharpParam {
    ptr: UnsafeCell<*mut c_char>,
}

// SAFETY: `ptr` is only written by the kernel's `param_set_charp`, with the module's parameter
// lock held, and only read with it held (`lock`, `param_get_charp`).
unsafe impl Sync for CharpParam {}

impl CharpParam {
    #[doc(hidden)]
    pub const fn new() -> Self {
        Self {
            ptr: UnsafeCell::new(core::ptr::null_mut()),
        }
    }

    /// Borrows the current value with the parameter lock held. Sleeps: process context only.
    pub fn lock(&self) -> CharpGuard<'_> {
        let lock = lock();
        // SAFETY: The lock is held, so the pointer is stable until the guard is dropped.
        let ptr = unsafe { *self.ptr.get() };
        let value = if ptr.is_null() {
            None
        } else {
            // SAFETY: A non-NULL value is a C string set by `param_set_charp`; it is freed
            // only when replaced (under the lock) or at unload (after the module's exit).
            Some(unsafe { CStr::from_char_ptr(ptr) })
        };
        CharpGuard { value, _lock: lock }
    }

    #[doc(hidden)]
    pub const fn as_arg(&'static self) -> *mut c_void {
        self.ptr.get().cast()
    }
}

/// The value of a `charp` parameter, borrowed with the parameter lock held.
#[must_use = "the parameter lock is released at once if the guard is not kept"]
pub struct CharpGuard<'a> {
    value: Option<&'a CStr>,
    _lock: ParamsLocked,
}

impl CharpGuard<'_> {
    /// The string, or `None` if the parameter was never set (a NULL `char *` in C).
    pub fn get(&self) -> Option<&CStr> {
        self.value
    }
}

/// An array parameter of up to `N` elements with the count of those given
/// (`module_param_array`, `module_param_array_named`).
///
/// Declared with [`module_param_array!`] or [`module_param_array_named!`]. `fish=1,2,3` sets
/// the first three elements and the count to 3; a later `4,5` sets the first two and the
/// count to 2, the third keeps 3; more than `N` elements is refused with `-EINVAL`.
pub struct ArrayParam<T: Scalar, const N: usize> {
    value: UnsafeCell<[T::Value; N]>,
    count: UnsafeCell<c_uint>,
    scratch: UnsafeCell<[T::Value; N]>,
}

// SAFETY: All fields are only accessed with the module's parameter lock held: by the kernel's
// calls to `ops_set` and `ops_get`, and by `lock`, which takes it.
unsafe impl<T: Scalar, const N: usize> Sync for ArrayParam<T, N> {}

/// The elements of an array parameter, borrowed with the parameter lock held; derefs to the
/// elements given (as many as the count), as the sysfs file shows them.
#[must_use = "the parameter lock is released at once if the guard is not kept"]
pub struct ArrayGuard<'a, T: Scalar, const N: usize> {
    all: &'a [T::Value; N],
    count: usize,
    _lock: ParamsLocked,
}

impl<'a, T: Scalar, const N: usize> ArrayGuard<'a, T, N> {
    /// How many elements were given in the last successful write (0 if none yet).
    pub fn count(&self) -> usize {
        self.count
    }

    /// All `N` elements, given or not (what the C array variable holds).
    pub fn all(&self) -> &[T::Value; N] {
        self.all
    }
}

impl<T: Scalar, const N: usize> Deref for ArrayGuard<'_, T, N> {
    type Target = [T::Value];

    fn deref(&self) -> &[T::Value] {
        &self.all[..self.count]
    }
}

impl<T: Scalar, const N: usize> ArrayParam<T, N> {
    #[doc(hidden)]
    pub const fn new() -> Self {
        assert!(N > 0, "an array parameter needs at least one element");
        Self {
            value: UnsafeCell::new([T::ZERO; N]),
            count: UnsafeCell::new(0),
            scratch: UnsafeCell::new([T::ZERO; N]),
        }
    }

    /// Borrows the elements with the parameter lock held. Sleeps: process context only.
    pub fn lock(&self) -> ArrayGuard<'_, T, N> {
        let lock = lock();
        // SAFETY: The lock is held until the guard, which holds the borrows, is dropped.
        let (all, count) = unsafe { (&*self.value.get(), *self.count.get()) };
        ArrayGuard {
            all,
            count: count as usize,
            _lock: lock,
        }
    }

    #[doc(hidden)]
    pub const fn as_arg(&'static self) -> *mut c_void {
        core::ptr::from_ref(self).cast_mut().cast()
    }

    /// `kparam_array` for C's array functions, over `elems` and `num`.
    fn arr(elems: *mut [T::Value; N], num: *mut c_uint) -> bindings::kparam_array {
        bindings::kparam_array {
            max: N as c_uint,
            elemsize: core::mem::size_of::<T::Value>() as c_uint,
            num,
            ops: T::c_ops(),
            elem: elems.cast(),
        }
    }

    /// The `kernel_param_ops.set` of arrays: C's `param_array_ops.set` over a scratch copy of
    /// the elements, published with its count only if the whole list parsed.
    ///
    /// # Safety
    ///
    /// Called by the kernel as `kernel_param_ops.set`, with the module's parameter lock held,
    /// `kp` a parameter made by [`module_param_array!`] and `val` NULL or a C string.
    #[doc(hidden)]
    pub unsafe extern "C" fn ops_set(
        val: *const c_char,
        kp: *const bindings::kernel_param,
    ) -> c_int {
        if val.is_null() {
            return EINVAL.to_errno();
        }
        // SAFETY: `kp` was made by `module_param_array!` (function safety requirement).
        let param = unsafe { param_of::<Self>(kp) };
        // SAFETY: The parameter lock is held (function safety requirement).
        let (value, scratch) = unsafe { (&mut *param.value.get(), &mut *param.scratch.get()) };
        *scratch = *value;
        let mut num: c_uint = 0;
        let arr = Self::arr(scratch, &mut num);
        // SAFETY: `kp` is valid for reads (function safety requirement).
        let mut shadow = unsafe { *kp };
        shadow.__bindgen_anon_1.arr = &arr;
        // SAFETY: `param_array_ops` is a constant of the kernel's.
        let Some(set) = (unsafe { bindings::param_array_ops.set }) else {
            return EINVAL.to_errno();
        };
        // SAFETY: `val` is a C string, which `param_array` may modify as C callers allow
        // (it is the kernel's own copy); `shadow.arr` describes the scratch array and `num`.
        let ret = unsafe { set(val, &shadow) };
        if ret == 0 {
            *value = *scratch;
            // SAFETY: The parameter lock is held.
            unsafe { *param.count.get() = num };
        }
        ret
    }

    /// The `kernel_param_ops.get` of arrays: C's `param_array_ops.get` (`1,2,3`).
    ///
    /// # Safety
    ///
    /// Called by the kernel as `kernel_param_ops.get`, with the parameter lock held,
    /// `buffer` a page and `kp` a parameter made by [`module_param_array!`].
    #[doc(hidden)]
    pub unsafe extern "C" fn ops_get(
        buffer: *mut c_char,
        kp: *const bindings::kernel_param,
    ) -> c_int {
        // SAFETY: `kp` was made by this type's declaration macro (function safety requirement).
        let param = unsafe { param_of::<Self>(kp) };
        let arr = Self::arr(param.value.get(), param.count.get());
        // SAFETY: `kp` is valid for reads (function safety requirement).
        let mut shadow = unsafe { *kp };
        shadow.__bindgen_anon_1.arr = &arr;
        // SAFETY: `param_array_ops` is a constant of the kernel's.
        let Some(get) = (unsafe { bindings::param_array_ops.get }) else {
            return EINVAL.to_errno();
        };
        // SAFETY: `buffer` is a page; `shadow.arr` describes the elements and their count,
        // which the parameter lock keeps still.
        unsafe { get(buffer, &shadow) }
    }

    #[doc(hidden)]
    pub const OPS: bindings::kernel_param_ops = bindings::kernel_param_ops {
        flags: 0,
        set: Some(Self::ops_set),
        get: Some(Self::ops_get),
        free: None,
    };
}

/// Picks the default given to a declaration macro, or the type's zero.
#[doc(hidden)]
#[allow(unused_macros)]
macro_rules! __default {
    ($zero:expr) => {
        $zero
    };
    ($zero:expr, $default:expr) => {
        $default
    };
}
#[allow(unused_imports)]
pub(crate) use __default;

/// Places a `struct kernel_param` in `__param` and its `parmtype=` entry in `.modinfo`, as C's
/// `__module_param_call` and `__MODULE_PARM_TYPE` do.
#[doc(hidden)]
#[allow(unused_macros)]
macro_rules! __param_entry {
    ($name:ident, $ops:expr, $arg:expr, $perm:expr, $($type:tt)+) => {
        const _: () = {
            #[link_section = "__param"]
            #[used(compiler)]
            static PARAM: $crate::params::KernelParam = $crate::params::KernelParam::new(
                concat!(stringify!($name), "\0"),
                &raw mut ::kernel::bindings::__this_module,
                $ops,
                $perm,
                $arg,
            );

            $crate::compat::modinfo!(concat!("parmtype=", stringify!($name), ":", $($type)+));
        };
    };
}
#[allow(unused_imports)]
pub(crate) use __param_entry;

/// Declares a parameter named like its variable: C's `module_param(name, type, perm)`.
///
/// ```ignore
/// module_param!(intparam: int = 0, 0);     // static int intparam; module_param(intparam, int, 0);
/// module_param!(verbose: bool, 0o644);      // the default is the type's zero
/// module_param!(file: charp, 0);            // static char *file; module_param(file, charp, 0);
/// ```
#[allow(unused_macros)]
macro_rules! module_param {
    ($var:ident: $ty:ident $(= $default:expr)?, $perm:expr $(, on_set = $hook:expr)?
     $(, on_get = $get:expr)? $(,)?) => {
        $crate::params::module_param_named!(
            $var, $var: $ty $(= $default)?, $perm $(, on_set = $hook)? $(, on_get = $get)?
        );
    };
}
#[allow(unused_imports)]
pub(crate) use module_param;

/// Declares a parameter whose name differs from its variable's:
/// C's `module_param_named(name, variable, type, perm)`.
///
/// ```ignore
/// module_param_named!(no_use, no_use_variable: int = 0, 0o644);
/// pr_info!("no_use_variable is {}\n", no_use_variable.get());
/// ```
///
/// A scalar may take `on_set = f`, `fn f(new: T, locked: &mut ParamsLocked) -> Result`, run on
/// every new value (at load and through sysfs) before it is published, with the parameter lock
/// held: an error refuses the value and the old one stays, as for strings
/// ([`module_param_string!`]). It may also take `on_get = g`, `fn g(locked: &ParamsLocked) ->
/// T`, whose value sysfs shows instead of the stored one (a read-only counter computed when
/// read, as C's `module_param_cb` with a `get` of its own). `module_param!` takes both too.
#[allow(unused_macros)]
macro_rules! module_param_named {
    ($name:ident, $var:ident: charp, $perm:expr) => {
        #[allow(non_upper_case_globals)]
        pub(crate) static $var: $crate::params::CharpParam = $crate::params::CharpParam::new();
        $crate::params::__param_entry!(
            $name,
            &raw const ::kernel::bindings::param_ops_charp,
            $var.as_arg(),
            $perm,
            "charp"
        );
    };
    ($name:ident, $var:ident: $ty:ident $(= $default:expr)?, $perm:expr
     $(, on_set = $hook:expr)? $(, on_get = $get:expr)? $(,)?) => {
        #[allow(non_upper_case_globals)]
        pub(crate) static $var: $crate::params::ScalarParam<$crate::params::types::$ty> =
            $crate::params::ScalarParam::from_atomic(
                <<$crate::params::types::$ty as $crate::params::Scalar>::Atomic>::new(
                    $crate::params::__default!(
                        <$crate::params::types::$ty as $crate::params::Scalar>::ZERO
                        $(, $default)?
                    ),
                ),
                $crate::params::__default!(None $(, Some($hook))?),
                $crate::params::__default!(None $(, Some($get))?),
            );
        $crate::params::__param_entry!(
            $name,
            &$crate::params::ScalarParam::<$crate::params::types::$ty>::OPS,
            $var.as_arg(),
            $perm,
            stringify!($ty)
        );
    };
}
#[allow(unused_imports)]
pub(crate) use module_param_named;

/// Declares a string parameter copied into a buffer of `N` bytes, NUL included:
/// C's `module_param_string(name, string, len, perm)`.
///
/// `on_set = f` adds a check, `fn f(new: &CStr, locked: &mut ParamsLocked) -> Result`, run on
/// every new value before it is published, with the parameter lock held (`locked` is the
/// proof): an error refuses the value, the writer of the sysfs file or `insmod` gets it back,
/// and the old value stays.
///
/// ```ignore
/// module_param_string!(symbol, symbol: [u8; 64] = "tcp_sendmsg_locked", 0o644);
/// pr_info!("symbol is {}\n", symbol.lock().to_str()?);
/// ```
#[allow(unused_macros)]
macro_rules! module_param_string {
    ($name:ident, $var:ident: [u8; $len:expr] $(= $default:expr)?, $perm:expr
     $(, on_set = $hook:expr)? $(,)?) => {
        #[allow(non_upper_case_globals)]
        pub(crate) static $var: $crate::params::StringParam<{ $len }> =
            $crate::params::StringParam::new(
                $crate::params::__default!("" $(, $default)?),
                $crate::params::__default!(None $(, Some($hook))?),
            );
        $crate::params::__param_entry!(
            $name,
            &$crate::params::StringParam::<{ $len }>::OPS,
            $var.as_arg(),
            $perm,
            "string"
        );
    };
}
#[allow(unused_imports)]
pub(crate) use module_param_string;

/// Declares an array parameter named like its variable:
/// C's `module_param_array(name, type, &count, perm)`; the count is kept with the array.
///
/// ```ignore
/// module_param_array!(array: [int; 8], 0);
/// let array = array.lock();
/// pr_info!("{} given, first {:?}\n", array.count(), array.first());
/// ```
#[allow(unused_macros)]
macro_rules! module_param_array {
    ($var:ident: [$ty:ident; $len:expr], $perm:expr) => {
        $crate::params::module_param_array_named!($var, $var: [$ty; $len], $perm);
    };
}
#[allow(unused_imports)]
pub(crate) use module_param_array;

/// Declares an array parameter whose name differs from its variable's:
/// C's `module_param_array_named(name, array, type, &count, perm)`.
///
/// ```ignore
/// module_param_array_named!(fish, fish_array: [int; 64], 0o644);
/// ```
#[allow(unused_macros)]
macro_rules! module_param_array_named {
    ($name:ident, $var:ident: [$ty:ident; $len:expr], $perm:expr) => {
        #[allow(non_upper_case_globals)]
        pub(crate) static $var: $crate::params::ArrayParam<$crate::params::types::$ty, { $len }> =
            $crate::params::ArrayParam::new();
        $crate::params::__param_entry!(
            $name,
            &$crate::params::ArrayParam::<$crate::params::types::$ty, { $len }>::OPS,
            $var.as_arg(),
            $perm,
            "array of ",
            stringify!($ty)
        );
    };
}
#[allow(unused_imports)]
pub(crate) use module_param_array_named;

/// Describes a parameter for `modinfo`: C's `MODULE_PARM_DESC(name, description)`.
///
/// ```ignore
/// module_parm_desc!(no_use, "this parameter is useless");
/// ```
#[allow(unused_macros)]
macro_rules! module_parm_desc {
    ($name:ident, $desc:literal) => {
        $crate::compat::modinfo!(concat!("parm=", stringify!($name), ":", $desc));
    };
}
#[allow(unused_imports)]
pub(crate) use module_parm_desc;
