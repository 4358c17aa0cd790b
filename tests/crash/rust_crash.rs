// SPDX-License-Identifier: GPL-2.0

//! A module that crashes the kernel at load, on purpose: the fixture with which
//! `tests/vm-run-checks` shows that `scripts/vm-run` ends a run whose guest crashed, at once and
//! with the kernel's report. Never load it anywhere else.

use kernel::prelude::*;

#[path = "lib/compat.rs"]
pub mod compat;
use compat::module;

module! {
    type: RustCrash,
    name: "rust_crash",
    authors: ["Rust kernel modules maintainers"],
    description: "Crashes the kernel at load, on purpose (a test fixture)",
    license: "GPL",
}

struct RustCrash;

impl kernel::Module for RustCrash {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        // A Rust panic in the kernel is a BUG(): an oops, which the test VM turns into a panic.
        panic!("crashing on purpose");
    }
}
