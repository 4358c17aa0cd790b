// SPDX-License-Identifier: GPL-2.0

//! Must not build: a world-writable parameter, which C's `VERIFY_OCTAL_PERMISSIONS` refuses.

use kernel::prelude::*;

#[path = "lib/compat.rs"]
pub mod compat;
use compat::module;
pub mod params;
use params::module_param;

module! {
    type: BadPerm,
    name: "bad_perm",
    authors: ["Rust kernel modules maintainers"],
    description: "A module parameter that anyone could write",
    license: "GPL",
}

module_param!(anyone: int, 0o666);

struct BadPerm;

impl kernel::Module for BadPerm {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("anyone = {}\n", anyone.get());
        Ok(BadPerm)
    }
}
