// SPDX-License-Identifier: GPL-2.0

//! Module parameters of every kind, printed at load: what a C module's `getargs.c` declares.
//!
//! Same parameters as the C module (`intparam`, `file`, `arg` stored in `intparam2`, the
//! 128-byte string `filepath` stored in `file2`, the 8-int `array`), plus a `fish`
//! array, with sysfs permissions so that they can be read and written at run time, and one
//! parameter of each other `moduleparam.h` type. The lines logged at load are those of the C
//! module; Rust's `pr_info!` puts the module name in front of each, in place of the C
//! module's hand-written `getargs: `. At unload it logs the values again, so that what sysfs
//! writes changed can be seen from the module's side.

use kernel::pr_cont;
use kernel::prelude::*;

#[path = "lib/compat.rs"]
pub mod compat;
use compat::module;
pub mod params;
use params::{
    module_param, module_param_array, module_param_array_named, module_param_named,
    module_param_string, module_parm_desc,
};

module! {
    type: RustGetargs,
    name: "rust_getargs",
    authors: ["Rust kernel modules maintainers"],
    description: "getargs module: parameters of every kind",
    license: "GPL",
}

const BUF_SIZE: usize = 8;
const FILE_PATH_MAX: usize = 128;
const MAX_FISH: usize = 64;

// The parameters of C's `getargs.c`.
module_param!(intparam: int, 0o644);
module_parm_desc!(intparam, "an int");
module_param!(file: charp, 0o444);
module_parm_desc!(file, "a file name");
module_param_named!(arg, intparam2: int, 0o600);
module_parm_desc!(arg, "an int stored in intparam2");
module_param_string!(filepath, file2: [u8; FILE_PATH_MAX], 0o644);
module_parm_desc!(filepath, "a path of up to 127 bytes");
module_param_array!(array: [int; BUF_SIZE], 0o644);
module_parm_desc!(array, "up to 8 ints");
module_param_array_named!(fish, fish_array: [int; MAX_FISH], 0o644);
module_parm_desc!(fish, "up to 64 fish");

// One of each other type, and one without a sysfs file.
module_param!(byteparam: byte, 0o644);
module_param!(shortparam: short, 0o644);
module_param!(ushortparam: ushort, 0o644);
module_param!(uintparam: uint, 0o644);
module_param!(longparam: long, 0o644);
module_param!(ulongparam: ulong, 0o644);
module_param!(ullongparam: ullong, 0o644);
module_param!(hexparam: hexint = 0xff, 0o644);
module_param!(boolparam: bool, 0o644);
module_param!(invboolparam: invbool, 0o644);
module_param!(charpparam: charp, 0o644);
module_parm_desc!(charpparam, "a writable charp, (null) until set");
module_param!(hidden: int = 7, 0);
module_parm_desc!(hidden, "not in sysfs");

// A check that readers never see a value that was never written (see `reader_check`).
module_param!(reader_loops: uint, 0o444);
module_parm_desc!(
    reader_loops,
    "at load, read filepath and array this many times while they may be rewritten (at most 10000000)"
);

/// The most `reader_loops` allowed: a few seconds of reading. Beyond it, init would keep
/// `insmod` busy for hours (the type allows 2^32 - 1), so it refuses to load instead.
const MAX_READER_LOOPS: u32 = 10_000_000;

/// Logs `=> <label>\t= <value>` for a string parameter. Its bytes are whatever root wrote:
/// what is not UTF-8 is logged as `\xNN` escapes.
fn print_string(label: &str, value: &CStr) {
    if let Ok(text) = value.to_str() {
        pr_info!("=> {label}\t= {text}\n");
        return;
    }
    pr_info!("=> {label}\t= ");
    let mut rest = compat::cstr_to_bytes(value);
    while !rest.is_empty() {
        let (valid, invalid) = match core::str::from_utf8(rest) {
            Ok(text) => (text, 0),
            Err(e) => {
                let (valid, after) = rest.split_at(e.valid_up_to());
                // The bytes of the bad sequence; all the rest when it is cut short.
                let bad = e.error_len().unwrap_or(after.len());
                (core::str::from_utf8(valid).unwrap_or_default(), bad)
            }
        };
        pr_cont!("{valid}");
        rest = &rest[valid.len()..];
        for byte in &rest[..invalid] {
            pr_cont!("\\x{byte:02x}");
        }
        rest = &rest[invalid..];
    }
    pr_cont!("\n");
}

/// Logs every value, as the C module's init does.
fn print_args() {
    pr_info!("=> intparam\t= {}\n", intparam.get());
    pr_info!("=> intparam2\t= {}\n", intparam2.get());
    if let Some(name) = file.lock().get() {
        print_string("file", name);
    }
    print_string("file2", &file2.lock());
    match charpparam.lock().get() {
        Some(value) => print_string("charpparam", value),
        None => pr_info!("=> charpparam\t= (null)\n"),
    }

    let values = array.lock();
    pr_info!("=> array\t= [");
    for value in values.all() {
        pr_cont!(" {}", value);
    }
    pr_cont!("]\n");
    drop(values);

    let fish = fish_array.lock();
    pr_info!(
        "=> fish\t= {:?} (nr_fish = {}), fish_array[..4] = {:?}\n",
        &*fish,
        fish.count(),
        &fish.all()[..4]
    );
    drop(fish);

    pr_info!(
        "=> byte {} short {} ushort {} uint {} long {} ulong {} ullong {} hexint {:#x}\n",
        byteparam.get(),
        shortparam.get(),
        ushortparam.get(),
        uintparam.get(),
        longparam.get(),
        ulongparam.get(),
        ullongparam.get(),
        hexparam.get()
    );
    pr_info!(
        "=> bool {} invbool {} hidden {}\n",
        boolparam.get(),
        invboolparam.get(),
        hidden.get()
    );
}

/// Reads `filepath` and `array` `reader_loops` times, each under the parameter lock, while a
/// test rewrites them through sysfs with values of a known shape: a string of one repeated
/// character, an array whose given elements all equal their count (`3,3,3`, `5,5,5,5,5`).
/// A value of another shape was never written: it is counted as torn.
///
/// A signal (Ctrl-C on `insmod`) stops it, and init fails with `-EINTR`.
fn reader_check(loops: u32) -> Result {
    if loops > MAX_READER_LOOPS {
        pr_err!("reader_loops={loops} is over the limit of {MAX_READER_LOOPS}\n");
        return Err(EINVAL);
    }
    let (mut torn, mut changes) = (0u32, 0u32);
    let (mut last_len, mut last_count) = (usize::MAX, usize::MAX);
    for _ in 0..loops {
        let path = file2.lock();
        let bytes = compat::cstr_to_bytes(&path);
        if bytes.iter().any(|&b| b != bytes[0]) {
            torn += 1;
        }
        let len = bytes.len();
        drop(path);

        let values = array.lock();
        let count = values.count();
        if values.iter().any(|&v| usize::try_from(v) != Ok(count)) {
            torn += 1;
        }
        drop(values);

        if len != last_len || count != last_count {
            changes += 1;
            (last_len, last_count) = (len, count);
        }
        compat::cond_resched();
        if kernel::current!().signal_pending() {
            pr_err!("reader: interrupted by a signal\n");
            return Err(EINTR);
        }
    }
    pr_info!("reader: {loops} reads, {changes} changes seen, {torn} torn\n");
    Ok(())
}

struct RustGetargs;

impl kernel::Module for RustGetargs {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("init\n");
        print_args();
        if reader_loops.get() > 0 {
            reader_check(reader_loops.get())?;
        }
        Ok(RustGetargs)
    }
}

impl Drop for RustGetargs {
    fn drop(&mut self) {
        pr_info!("exit\n");
        print_args();
    }
}
