// SPDX-License-Identifier: GPL-2.0

//! One line at each log level, as C's `printk` levels go, from Rust.
//!
//! `dmesg -l err` shows only the `pr_err!` line, `dmesg -l warn` the `pr_warn!` one, and so on.
//! Rust's `pr_debug!` prints only in a kernel built with `CONFIG_RUST_DEBUG_ASSERTIONS` (C's
//! `pr_debug` needs `DEBUG` or dynamic debug). `pr_cont!` continues the previous line. First,
//! two lines formatted by `printk`'s own conversions, as C's are (`printk!`, `lib/printk.rs`).

use kernel::pr_cont;
use kernel::prelude::*;

#[path = "lib/compat.rs"]
pub mod compat;
use compat::module;
#[path = "lib/printk.rs"]
pub mod printk;
use printk::printk;

module! {
    type: RustPrintk,
    name: "rust_printk",
    authors: ["Rust kernel modules maintainers"],
    description: "A line at each printk level",
    license: "GPL",
}

struct RustPrintk;

impl kernel::Module for RustPrintk {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        printk!(
            KERN_INFO,
            "C's conversions: %s %d %u %x %lld %llu\n",
            kernel::c_str!("text"),
            -1i32,
            u32::MAX,
            255u32,
            i64::MIN,
            u64::MAX
        );
        printk!(
            KERN_INFO,
            "and: %zu %ld [%5d] [%-3u] [%03d] %%\n",
            usize::MAX,
            isize::MIN,
            42i32,
            7u32,
            5i32
        );
        pr_err!("an error (KERN_ERR)\n");
        pr_warn!("a warning (KERN_WARNING)\n");
        pr_notice!("a notice (KERN_NOTICE)\n");
        pr_info!("some information (KERN_INFO)\n");
        pr_debug!("a debug message (KERN_DEBUG)\n");
        pr_info!("one line");
        pr_cont!(", continued");
        pr_cont!(" with pr_cont\n");
        Ok(RustPrintk)
    }
}
