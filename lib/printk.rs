// SPDX-License-Identifier: GPL-2.0

//! [`printk!`]: a line formatted by `printk`'s own conversions (`%d`, `%llu`, `%s`, ...), as C's
//! `pr_info` formats it, its format checked against its arguments at compile time.
//!
//! `pr_info!` and friends format through `core::fmt`, which they hand to `printk` as one `%pA`.
//! `printk` formats each line twice, once to size its record and once to write it, so a
//! `pr_info!` line runs `core::fmt` twice: for `rust_tcpprobe`'s two lines per hit, 400
//! instructions more than C's, on a hit that costs 11,300 (`scripts/bench`). For a line on a hot path (a probe's handler logging every
//! hit), [`printk!`] passes the format and the values to `printk` as C does, and costs what C
//! costs. It prefixes the line with the module's name and `": "`, as `pr_info!` does (and C's
//! `pr_fmt` of `KBUILD_MODNAME ": "`).
//!
//! # Formats
//!
//! A conversion is `%`, flags (`-+ 0#`), a width and a precision in digits (not `*`), a length
//! (none, `l`, `ll`, `z`), and one of `d i u x X o s`; `%%` prints `%`. Each conversion takes
//! the next argument, whose Rust type must be the C type it reads:
//!
//! | conversion            | argument       |
//! |-----------------------|----------------|
//! | `%d` `%i`             | `i32`          |
//! | `%u` `%x` `%X` `%o`   | `u32`          |
//! | `%ld` `%zd`           | `isize`        |
//! | `%lu` `%lx` `%zu` ... | `usize`        |
//! | `%lld` `%lli`         | `i64`          |
//! | `%llu` `%llx` ...     | `u64`          |
//! | `%s`                  | `&CStr`        |
//!
//! Anything else (`%p` and its extensions, `%c`, `*`, a missing or extra argument, a type that
//! is not the conversion's) fails the build. That makes the `unsafe` call to `_printk` sound:
//! `printk` reads each argument as the type its conversion names, which is the one passed.
//!
//! # Examples
//!
//! ```ignore
//! use kernel::c_str;
//!
//! printk!(KERN_INFO, "%s: %llu calls, %d missed\n", c_str!("vfs_read"), 12u64, 0i32);
//! // dmesg: "rust_fcount: vfs_read: 12 calls, 0 missed"
//! ```
//!
//! These fail to build:
//!
//! ```ignore
//! printk!(KERN_INFO, "%d calls\n", 12u64); // %d takes an i32
//! printk!(KERN_INFO, "%d of %d\n", 1i32); // one argument missing
//! printk!(KERN_INFO, "at %p\n", ptr); // no pointer conversions
//! ```

use core::marker::PhantomData;
use kernel::ffi::{c_int, c_long, c_longlong, c_uint, c_ulong, c_ulonglong};
use kernel::str::CStr;

/// The C type a conversion reads, and a Rust value passes.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// `int`: `%d`, `%i`.
    Int,
    /// `unsigned int`: `%u`, `%x`, `%X`, `%o`.
    UInt,
    /// `long` (and `ssize_t`): `%ld`, `%zd`, ...
    Long,
    /// `unsigned long` (and `size_t`): `%lu`, `%zu`, `%lx`, ...
    ULong,
    /// `long long`: `%lld`, `%lli`.
    LongLong,
    /// `unsigned long long`: `%llu`, `%llx`, ...
    ULongLong,
    /// A NUL-terminated string: `%s`.
    Str,
}

/// A Rust value `printk` can print, and the C value it passes.
///
/// # Safety
///
/// `to_c` returns a value of the C type [`Self::KIND`] names (for [`Kind::Str`], a pointer to a
/// NUL-terminated string that lives as long as `self`'s borrow).
pub unsafe trait Arg: Copy {
    /// The C type the value passes as.
    const KIND: Kind;
    /// The type `printk`'s variadic call takes.
    type C;
    /// The value as passed.
    fn to_c(self) -> Self::C;
}

/// Implements [`Arg`] for Rust types that are their C type.
macro_rules! same_as_c {
    ($($rust:ty => $kind:ident),* $(,)?) => {
        $(
            // SAFETY: `to_c` returns the value as its own type, which is the C type `$kind`
            // names (`int` is `i32`, `long` is `isize` on the kernel's targets, ...).
            unsafe impl Arg for $rust {
                const KIND: Kind = Kind::$kind;
                type C = $rust;
                fn to_c(self) -> $rust {
                    self
                }
            }
        )*
    };
}

same_as_c!(
    i32 => Int,
    u32 => UInt,
    isize => Long,
    usize => ULong,
    i64 => LongLong,
    u64 => ULongLong,
);

// Each Rust type is as wide as the C type it passes for (the kernel's targets are LP64).
const _: () = {
    use core::mem::size_of;
    assert!(size_of::<i32>() == size_of::<c_int>() && size_of::<u32>() == size_of::<c_uint>());
    assert!(size_of::<isize>() == size_of::<c_long>());
    assert!(size_of::<usize>() == size_of::<c_ulong>());
    assert!(size_of::<i64>() == size_of::<c_longlong>());
    assert!(size_of::<u64>() == size_of::<c_ulonglong>());
};

// SAFETY: `to_c` returns the pointer to the string's first byte, whose NUL ends it, borrowed
// for as long as `self`.
unsafe impl Arg for &CStr {
    const KIND: Kind = Kind::Str;
    type C = *const u8;
    fn to_c(self) -> *const u8 {
        crate::compat::cstr_to_bytes_with_nul(self).as_ptr()
    }
}

/// The arguments of one line: a tuple of [`Arg`]s.
///
/// # Safety
///
/// [`Args::print`] passes each element to `_printk` as its `Arg::to_c`, in order, and nothing
/// else, and [`Args::KINDS`] lists their kinds in that order.
pub unsafe trait Args {
    /// The kinds of the arguments, in order.
    const KINDS: &'static [Kind];

    /// Calls `_printk(format, args...)`.
    ///
    /// # Safety
    ///
    /// `format` is a NUL-terminated `printk` format whose conversions read, in order, the C
    /// types [`Self::KINDS`] names (what [`line_ok`] checks).
    unsafe fn print(self, format: *const u8);
}

/// Implements [`Args`] for the tuples of up to six [`Arg`]s (type and value names).
macro_rules! args {
    ($($name:ident $value:ident),*) => {
        // SAFETY: `print` passes the elements in order, each as its `to_c`, and `KINDS` lists
        // their kinds in that order.
        unsafe impl<$($name: Arg),*> Args for ($($name,)*) {
            const KINDS: &'static [Kind] = &[$($name::KIND),*];

            unsafe fn print(self, format: *const u8) {
                let ($($value,)*) = self;
                // SAFETY: `format` is a NUL-terminated format whose conversions read the
                // types `KINDS` lists (the caller's promise), which `to_c` returns in order.
                unsafe {
                    kernel::bindings::_printk(format.cast(), $($value.to_c()),*)
                };
            }
        }
    };
}

args!();
args!(A a);
args!(A a, B b);
args!(A a, B b, C c);
args!(A a, B b, C c, D d);
args!(A a, B b, C c, D d, E e);
args!(A a, B b, C c, D d, E e, F f);

/// Whether `format`'s conversions read, in order, exactly the types in `kinds`, all of them
/// conversions this module allows (see the module's documentation). `format` is the bytes of
/// the format, without the NUL; it must have none.
pub const fn conversions_match(format: &[u8], kinds: &[Kind]) -> bool {
    let mut i = 0;
    let mut next = 0;
    while i < format.len() {
        if format[i] == 0 {
            return false;
        }
        if format[i] != b'%' {
            i += 1;
            continue;
        }
        i += 1;
        if i < format.len() && format[i] == b'%' {
            i += 1;
            continue;
        }
        // Flags, width, precision.
        while i < format.len() && matches!(format[i], b'-' | b'+' | b' ' | b'0' | b'#') {
            i += 1;
        }
        while i < format.len() && format[i].is_ascii_digit() {
            i += 1;
        }
        if i < format.len() && format[i] == b'.' {
            i += 1;
            while i < format.len() && format[i].is_ascii_digit() {
                i += 1;
            }
        }
        // Length: 0 none, 1 `l` or `z`, 2 `ll`.
        let mut length = 0;
        if i < format.len() && (format[i] == b'l' || format[i] == b'z') {
            length = 1;
            if format[i] == b'l' && i + 1 < format.len() && format[i + 1] == b'l' {
                length = 2;
                i += 1;
            }
            i += 1;
        }
        if i >= format.len() {
            return false;
        }
        let signed = matches!(format[i], b'd' | b'i');
        let kind = match (format[i], length) {
            (b's', 0) => Kind::Str,
            (b'd' | b'i' | b'u' | b'x' | b'X' | b'o', _) => match (signed, length) {
                (true, 0) => Kind::Int,
                (false, 0) => Kind::UInt,
                (true, 1) => Kind::Long,
                (false, 1) => Kind::ULong,
                (true, _) => Kind::LongLong,
                (false, _) => Kind::ULongLong,
            },
            _ => return false,
        };
        if next >= kinds.len() || !kind_eq(kinds[next], kind) {
            return false;
        }
        next += 1;
        i += 1;
    }
    next == kinds.len()
}

/// `a == b` in a `const fn`.
const fn kind_eq(a: Kind, b: Kind) -> bool {
    a as u8 == b as u8
}

/// The length of the format `printk!` builds: the level, the module's name, `": "`, `format`,
/// the NUL. `name` is the module's `__LOG_PREFIX` (its name with its NUL).
pub const fn line_len(level: &[u8], name: &[u8], format: &str) -> usize {
    level.len() + name.len() - 1 + 2 + format.len() + 1
}

/// The format `printk!` builds, of length `N` ([`line_len`]).
pub const fn line<const N: usize>(level: &[u8], name: &[u8], format: &str) -> [u8; N] {
    let mut out = [0u8; N];
    let mut o = 0;
    let mut i = 0;
    while i < level.len() {
        out[o] = level[i];
        o += 1;
        i += 1;
    }
    i = 0;
    while i + 1 < name.len() {
        out[o] = name[i];
        o += 1;
        i += 1;
    }
    out[o] = b':';
    out[o + 1] = b' ';
    o += 2;
    let format = format.as_bytes();
    i = 0;
    while i < format.len() {
        out[o] = format[i];
        o += 1;
        i += 1;
    }
    out
}

/// Whether `line` is a format [`print`] may hand to `printk` with arguments of `kinds`: it
/// ends with its only NUL, and its conversions read exactly those types.
pub const fn line_ok(line: &[u8], kinds: &[Kind]) -> bool {
    match line.split_last() {
        Some((0, body)) => conversions_match(body, kinds),
        _ => false,
    }
}

/// The compile-time check of a line `F` with arguments `A`.
struct Check<F, A>(PhantomData<(F, A)>);

impl<F: Format, A: Args> Check<F, A> {
    /// Evaluated, at compile time, for each line that is printed.
    const LINE_OK: () = assert!(
        line_ok(F::LINE, A::KINDS),
        "printk!: the format's conversions are not the arguments' types"
    );
}

/// Prints `args` by `F`'s line, its conversions checked against `args`' types at compile time;
/// see [`printk!`].
#[inline(always)]
pub fn print<F: Format, A: Args>(args: A) {
    #[allow(clippy::let_unit_value)]
    let () = Check::<F, A>::LINE_OK;
    // SAFETY: `F::LINE` ends with its only NUL, and its conversions read the types `A::KINDS`
    // lists (both checked above, at compile time).
    unsafe { args.print(F::LINE.as_ptr()) }
}

/// A line's format, for [`print`], which checks it: [`printk!`] makes one per line.
pub trait Format {
    /// The whole line's format: the level, the module's name, `": "`, the format given to
    /// [`printk!`], a NUL.
    const LINE: &'static [u8];
}

/// Prints a line as C's `printk(KERN_<LEVEL> KBUILD_MODNAME ": " format, args...)` does.
///
/// The level is one of `KERN_ERR`, `KERN_WARNING`, `KERN_NOTICE`, `KERN_INFO`; the format a
/// string literal whose conversions the module's documentation lists, checked at compile time
/// against the arguments' types. (The crate root declares this file as `mod printk`, as the
/// macro names it.)
///
/// # Examples
///
/// ```ignore
/// printk!(KERN_INFO, "tcpprobe handler_pre executed, no_use_variable is %d\n", 10i32);
/// // dmesg: "rust_tcpprobe: tcpprobe handler_pre executed, no_use_variable is 10"
/// ```
macro_rules! printk {
    (KERN_ERR, $($rest:tt)*) => { $crate::printk::printk!(@level b"\x013", $($rest)*) };
    (KERN_WARNING, $($rest:tt)*) => { $crate::printk::printk!(@level b"\x014", $($rest)*) };
    (KERN_NOTICE, $($rest:tt)*) => { $crate::printk::printk!(@level b"\x015", $($rest)*) };
    (KERN_INFO, $($rest:tt)*) => { $crate::printk::printk!(@level b"\x016", $($rest)*) };
    (@level $level:literal, $format:literal $(, $arg:expr)* $(,)?) => {{
        struct Line;
        impl $crate::printk::Format for Line {
            const LINE: &'static [u8] = &{
                const N: usize =
                    $crate::printk::line_len($level, $crate::__LOG_PREFIX, $format);
                $crate::printk::line::<N>($level, $crate::__LOG_PREFIX, $format)
            };
        }
        $crate::printk::print::<Line, _>(($($arg,)*))
    }};
}
pub(crate) use printk;
