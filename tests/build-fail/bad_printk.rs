// SPDX-License-Identifier: GPL-2.0

//! Must not build: `printk!` lines whose arguments are not what their formats read, each a
//! build error of its own.

use kernel::prelude::*;

#[path = "lib/compat.rs"]
pub mod compat;
use compat::module;
#[path = "lib/printk.rs"]
pub mod printk;
use printk::printk;

module! {
    type: BadPrintk,
    name: "bad_printk",
    authors: ["Rust kernel modules maintainers"],
    description: "printk! lines that printk would misread",
    license: "GPL",
}

struct BadPrintk;

impl kernel::Module for BadPrintk {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // Fine: checked and built.
        printk!(KERN_INFO, "%d and %llu\n", 1i32, 2u64);
        // Each line marked "bad" fails, alone (tests/run builds the fixture once with each).
        // A u64 where %d reads an int.
        printk!(KERN_INFO, "%d calls\n", 12u64); // bad
        // An argument missing.
        printk!(KERN_INFO, "%d of %d\n", 1i32); // bad
        // An argument too many.
        printk!(KERN_INFO, "done\n", 1i32); // bad
        // A conversion that takes a pointer.
        printk!(KERN_INFO, "at %p\n", 0usize); // bad
        // A length this checker does not take (`short`), though the value would fit.
        printk!(KERN_INFO, "%hd\n", 1i32); // bad
        // A width taken from the arguments.
        printk!(KERN_INFO, "%*d\n", 4i32, 1i32); // bad
        Ok(BadPrintk)
    }
}
