// SPDX-License-Identifier: GPL-2.0

//! The module's exit.

use crate::MyModule;
use kernel::prelude::*;

impl Drop for MyModule {
    fn drop(&mut self) {
        pr_info!("exit\n");
    }
}
