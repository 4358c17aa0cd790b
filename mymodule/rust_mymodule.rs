// SPDX-License-Identifier: GPL-2.0

//! A module split over several files: the Rust twin of C's `mulfile.ko`.
//!
//! This crate root declares the module; `init.rs` has its init, `exit.rs` its exit and
//! `print.rs` the function that init calls. Rust builds them into one object, so kbuild sees a
//! single `rust_mymodule.o` (in C, `mymodule-objs := init.o exit.o print.o`).

#[path = "../lib/compat.rs"]
pub mod compat;
use compat::module;
mod exit;
mod init;
mod print;

module! {
    type: MyModule,
    name: "rust_mymodule",
    authors: ["Rust kernel modules maintainers"],
    description: "My Module: one module from several files",
    license: "GPL",
}

/// The module's state (none).
struct MyModule;
