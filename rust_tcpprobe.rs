// SPDX-License-Identifier: GPL-2.0

//! A kprobe on `tcp_sendmsg_locked`: the Rust twin of the seeds' `tcpprobe.c`, and more.
//!
//! As the C module: the `symbol` parameter names the function probed (default
//! `tcp_sendmsg_locked`), each hit logs `tcpprobe handler_pre executed, no_use_variable is <n>`
//! and `tcpprobe handler_post executed, ...` with the live value of the `no_use` parameter,
//! loading logs `Planted kprobe at <addr>` (or fails with `register_kprobe failed, returned
//! <errno>`), unloading logs `kprobe at <addr> unregistered`. The seed's `handler_fault` is
//! gone: current kernels have no fault handler in `struct kprobe`.
//!
//! Beyond it:
//! - `log_every=N` logs one hit in N (0: none), so that the module can stay loaded on a busy
//!   machine; the default, 1, logs every hit as the seed does.
//! - `hits` and `missed` count the probe's hits and missed hits, read-only in sysfs.
//! - Writing a new `symbol` moves the probe to that function, logged like a fresh load; if the
//!   new probe cannot be planted, the write fails with the error and the old probe stays.

use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use kernel::prelude::*;

mod compat;
use compat::module;
mod kprobe;
mod params;
use kprobe::{Kprobe, KprobeHandler, Probe};
use params::{
    module_param, module_param_named, module_param_string, module_parm_desc, ParamLocked,
    ParamsLocked,
};

module! {
    type: RustTcpprobe,
    name: "rust_tcpprobe",
    authors: ["Rust kernel modules maintainers"],
    description: "kprobe on tcp_sendmsg_locked, logging each TCP send",
    license: "GPL",
}

const MAX_SYMBOL_LEN: usize = 64;
module_param_string!(symbol, symbol: [u8; MAX_SYMBOL_LEN] = "tcp_sendmsg_locked", 0o644,
    on_set = rearm);

module_param_named!(no_use, no_use_variable: int = 0, 0o644);
module_parm_desc!(no_use, "this parameter is useless");

module_param!(log_every: uint = 1, 0o644);
module_parm_desc!(
    log_every,
    "log one hit in this many (0: never; default 1: every hit, as tcpprobe.c)"
);

module_param!(hits: ullong, 0o444);
module_parm_desc!(
    hits,
    "how many times the probe was hit (read-only; counts on from a value given at load, wrapping)"
);
module_param!(missed: ullong, 0o444);
module_parm_desc!(
    missed,
    "hits missed by the probe (kprobe nmissed, read-only)"
);

/// The probe's handlers.
///
/// They count for themselves which hits to log: `hits` may start anywhere (`insmod` can set
/// it, as in C) and wraps around at `u64::MAX`, so it cannot say which hit is the first.
struct Tcpprobe {
    /// Pre-handler calls since the probe was planted.
    pres: AtomicU64,
    /// Post-handler calls since the probe was planted.
    posts: AtomicU64,
}

/// Whether the hit that a handler counted as `n`, from 0, is logged: one hit in `log_every`,
/// the first one included. Wraps around (after 2^64 hits) rather than overflow.
fn should_log(n: u64) -> bool {
    match log_every.get() {
        0 => false,
        every => n % u64::from(every) == 0,
    }
}

impl KprobeHandler for Tcpprobe {
    fn pre_handler(&self, probe: &Probe) {
        hits.add(1);
        missed.set(probe.nmissed());
        if should_log(self.pres.fetch_add(1, Relaxed)) {
            pr_info!(
                "tcpprobe handler_pre executed, no_use_variable is {}\n",
                no_use_variable.get()
            );
        }
    }

    fn post_handler(&self, _probe: &Probe) {
        if should_log(self.posts.fetch_add(1, Relaxed)) {
            pr_info!(
                "tcpprobe handler_post executed, no_use_variable is {}\n",
                no_use_variable.get()
            );
        }
    }
}

/// The probe, shared by `init`, `drop` and `rearm`, under the module's parameter lock.
enum State {
    /// Parameters are being parsed at load; `init` plants the probe.
    Loading,
    Armed(Kprobe<Tcpprobe>),
    /// `drop` has run: the module is going away.
    Unloaded,
}

static PROBE: ParamLocked<State> = ParamLocked::new(State::Loading);

/// Plants a probe on `function`, logging as the seed does.
fn plant(function: &CStr) -> Result<Kprobe<Tcpprobe>> {
    let handler = Tcpprobe {
        pres: AtomicU64::new(0),
        posts: AtomicU64::new(0),
    };
    match Kprobe::register(function, handler) {
        Ok(probe) => {
            pr_info!("Planted kprobe at {}\n", probe.probe().addr());
            Ok(probe)
        }
        Err(e) => {
            pr_err!("register_kprobe failed, returned {}\n", e.to_errno());
            Err(e)
        }
    }
}

/// Logs the unregistration of a probe, which dropping it does.
fn remove(probe: Kprobe<Tcpprobe>) {
    let addr = probe.probe().addr();
    drop(probe);
    pr_info!("kprobe at {} unregistered\n", addr);
}

/// `on_set` of `symbol`: a new value moves the probe there. The new probe is planted before
/// the old one is removed, so that a failure leaves the old one in place.
fn rearm(function: &CStr, locked: &mut ParamsLocked) -> Result {
    match PROBE.get_mut(locked) {
        // At load, `init` plants the probe on the final value.
        State::Loading => Ok(()),
        State::Unloaded => Err(ENODEV),
        State::Armed(old) => {
            let new = plant(function)?;
            let old = core::mem::replace(old, new);
            remove(old);
            Ok(())
        }
    }
}

struct RustTcpprobe;

impl kernel::Module for RustTcpprobe {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let mut locked = params::lock();
        let probe = plant(symbol.read(&locked))?;
        *PROBE.get_mut(&mut locked) = State::Armed(probe);
        Ok(RustTcpprobe)
    }
}

impl Drop for RustTcpprobe {
    fn drop(&mut self) {
        let mut locked = params::lock();
        if let State::Armed(probe) = core::mem::replace(PROBE.get_mut(&mut locked), State::Unloaded)
        {
            missed.set(probe.probe().nmissed());
            remove(probe);
        }
    }
}
