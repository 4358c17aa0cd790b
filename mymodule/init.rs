// SPDX-License-Identifier: GPL-2.0

//! The module's init, which calls a function from another file.

use crate::print::mymodule_sub;
use crate::MyModule;
use kernel::prelude::*;

impl kernel::Module for MyModule {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        pr_info!("init\n");
        mymodule_sub();
        Ok(MyModule)
    }
}
