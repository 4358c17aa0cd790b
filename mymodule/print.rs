// SPDX-License-Identifier: GPL-2.0

//! A function called from another file of the module.

use kernel::prelude::*;

/// Logs that it was called.
pub(crate) fn mymodule_sub() {
    pr_info!("mymodule_sub: called\n");
}
