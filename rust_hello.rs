// SPDX-License-Identifier: GPL-2.0

//! The smallest Rust module: it greets on load and says goodbye on unload.
//!
//! The Rust twin of C's classic `hello.c`: `insmod rust_hello.ko` logs `Hello, world`,
//! `rmmod rust_hello` logs `Goodbye, world`, and `modinfo rust_hello.ko` shows its license,
//! authors and description.

use kernel::prelude::*;

#[path = "lib/compat.rs"]
pub mod compat;
use compat::module;

module! {
    type: RustHello,
    name: "rust_hello",
    authors: ["Rust kernel modules maintainers"],
    description: "Says hello on load and goodbye on unload",
    license: "GPL",
}

struct RustHello;

impl kernel::Module for RustHello {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("Hello, world\n");
        Ok(RustHello)
    }
}

impl Drop for RustHello {
    fn drop(&mut self) {
        pr_info!("Goodbye, world\n");
    }
}
