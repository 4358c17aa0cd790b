// SPDX-License-Identifier: GPL-2.0

//! A module whose init fails: what C shows with `return -1` from `module_init`.
//!
//! `insmod rust_initfail.ko` fails with kmod's message for the error (by default -1, `EPERM`:
//! `Operation not permitted`), the module says why in dmesg, and nothing is left loaded.
//! `err=-N` picks another error; `err=0` lets it load.

use kernel::prelude::*;

#[path = "lib/compat.rs"]
pub mod compat;
use compat::module;
pub mod params;
use params::{module_param, module_parm_desc};

module! {
    type: RustInitfail,
    name: "rust_initfail",
    authors: ["Rust kernel modules maintainers"],
    description: "A module whose init returns an error",
    license: "GPL",
}

module_param!(err: int = -1, 0o444);
module_parm_desc!(err, "what init returns: a negative errno, or 0 to load");

struct RustInitfail;

impl kernel::Module for RustInitfail {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        match err.get() {
            0 => {
                pr_info!("init succeeds (err=0)\n");
                Ok(RustInitfail)
            }
            errno if (-4095..0).contains(&errno) => {
                pr_err!("init fails on purpose, returning {errno}\n");
                Err(Error::from_errno(errno))
            }
            errno => {
                pr_err!("err={errno} is not a negative errno; failing with -EINVAL\n");
                Err(EINVAL)
            }
        }
    }
}
