// SPDX-License-Identifier: GPL-2.0

//! Counts the calls of a kernel function: the probe library's smallest user, and a model for a
//! module of your own (it uses the library, `lib/` and `params.rs`, and nothing of
//! `rust_tcpprobe`).
//!
//! `insmod rust_fcount.ko function=<name>` counts the calls of the function (default
//! `vfs_read`) through an fprobe, entry handler only, on a kernel with fprobe
//! (`CONFIG_FPROBE`). `via=direct` counts through a direct call from the function's ftrace site
//! (x86_64 with `CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS`): the cheapest probe there is, but one
//! per function, which BPF's `fentry` programs use too. `via=kprobe` counts through a kprobe
//! (the default where the kernel has no fprobe). Loading logs `counting calls of <name>
//! through an fprobe` (or `a direct call`, or `a kprobe at <address>`); `calls` reads the calls
//! counted so far, `missed` those the probe missed; unloading logs `<name>: <n> calls`. A
//! function that cannot be probed fails the load, with the error the kernel gave: `cannot probe
//! <name> (<errno>)`.

use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use kernel::prelude::*;

// The library: what this module uses of it.
#[path = "lib/bindings.rs"]
mod bindings;
#[path = "lib/compat.rs"]
pub mod compat;
use compat::module;
#[path = "lib/context.rs"]
pub mod context;
#[cfg(kmod_direct_calls)]
#[path = "lib/direct.rs"]
pub mod direct;
#[cfg(CONFIG_FPROBE)]
#[path = "lib/fprobe.rs"]
pub mod fprobe;
#[path = "lib/kprobe.rs"]
pub mod kprobe;
pub mod params;
#[path = "lib/regs.rs"]
pub mod regs;

#[cfg(kmod_direct_calls)]
use direct::{direct_trampoline, Direct, DirectHandler, DirectRegs};
#[cfg(CONFIG_FPROBE)]
use fprobe::{Fprobe, FprobeHandler, FprobeRegs};
use kprobe::{Kprobe, KprobeHandler, Probe};
use params::{module_param, module_param_string, module_parm_desc};
use regs::{AnyFunction, Regs};

module! {
    type: RustFcount,
    name: "rust_fcount",
    authors: ["Rust kernel modules maintainers"],
    description:
        "count the calls of a kernel function through an fprobe, a direct call or a kprobe",
    license: "GPL",
}

module_param_string!(function, function: [u8; 64] = "vfs_read", 0o444);
module_parm_desc!(
    function,
    "the function whose calls are counted (default vfs_read)"
);
module_param_string!(via, via: [u8; 16] = Via::DEFAULT.name(), 0o444, on_set = check_via);
module_parm_desc!(
    via,
    "the probe that counts: fprobe (the default where the kernel has CONFIG_FPROBE), direct \
     or kprobe"
);
module_param!(missed: ullong, 0o444, on_get = probe_missed);
module_parm_desc!(missed, "calls the probe missed (read-only)");
module_param!(calls: ullong, 0o444, on_get = calls_counted);
module_parm_desc!(calls, "calls counted since load (read-only)");

/// The kinds of probe that can count, by their names in `via`.
#[derive(Clone, Copy)]
enum Via {
    Fprobe,
    Direct,
    Kprobe,
}

impl Via {
    /// The cheapest this kernel has.
    const DEFAULT: Via = if cfg!(CONFIG_FPROBE) {
        Via::Fprobe
    } else {
        Via::Kprobe
    };

    const fn name(self) -> &'static str {
        match self {
            Via::Fprobe => "fprobe",
            Via::Direct => "direct",
            Via::Kprobe => "kprobe",
        }
    }

    /// The kind named by `name`: `-EINVAL` for no kind, `-EOPNOTSUPP` for one this kernel
    /// does not have.
    fn parse(name: &CStr) -> Result<Via> {
        match compat::cstr_to_bytes(name) {
            b"fprobe" if cfg!(CONFIG_FPROBE) => Ok(Via::Fprobe),
            b"direct" if cfg!(kmod_direct_calls) => Ok(Via::Direct),
            b"fprobe" | b"direct" => Err(compat::eopnotsupp()),
            b"kprobe" => Ok(Via::Kprobe),
            _ => Err(EINVAL),
        }
    }
}

/// `on_set` of `via`.
fn check_via(name: &CStr, _locked: &mut params::ParamsLocked) -> Result {
    Via::parse(name).map(|_| ())
}

/// The handler: a count, as C's would be a `static atomic64_t`.
struct Counter;

/// The calls counted.
static CALLS: AtomicU64 = AtomicU64::new(0);

#[cfg(CONFIG_FPROBE)]
#[vtable]
impl FprobeHandler for Counter {
    type Signature = AnyFunction;
    type Data = ();

    fn entry_handler(&self, _regs: &Regs<AnyFunction, FprobeRegs>) -> Option<()> {
        CALLS.fetch_add(1, Relaxed);
        None
    }
}

#[cfg(kmod_direct_calls)]
impl DirectHandler for Counter {
    type Signature = AnyFunction;

    fn entry(&self, _regs: &Regs<AnyFunction, DirectRegs>) {
        CALLS.fetch_add(1, Relaxed);
    }
}

#[cfg(kmod_direct_calls)]
direct_trampoline!(COUNTER, Counter);

#[vtable]
impl KprobeHandler for Counter {
    type Signature = AnyFunction;

    fn pre_handler(&self, _probe: &Probe, _regs: &Regs) {
        CALLS.fetch_add(1, Relaxed);
    }
}

/// The probe that counts.
enum Counting {
    #[cfg(CONFIG_FPROBE)]
    Fprobe(Fprobe<Counter>),
    #[cfg(kmod_direct_calls)]
    Direct(Direct<Counter>),
    Kprobe(Kprobe<Counter>),
}

/// The probe, while the module is loaded (set once by `init`, read by `missed`).
static PROBE: params::ParamLocked<Option<Counting>> = params::ParamLocked::new(None);

/// `on_get` of `calls`.
fn calls_counted(_locked: &params::ParamsLocked) -> u64 {
    CALLS.load(Relaxed)
}

/// `on_get` of `missed`.
fn probe_missed(locked: &params::ParamsLocked) -> u64 {
    match PROBE.get(locked) {
        #[cfg(CONFIG_FPROBE)]
        Some(Counting::Fprobe(probe)) => probe.nmissed(),
        Some(Counting::Kprobe(probe)) => probe.probe().nmissed(),
        #[cfg(kmod_direct_calls)]
        Some(Counting::Direct(probe)) => probe.nmissed(),
        None => 0,
    }
}

/// A function's name, for printing.
fn name_of(name: &CStr) -> &str {
    core::str::from_utf8(compat::cstr_to_bytes(name)).unwrap_or("?")
}

struct RustFcount;

impl kernel::Module for RustFcount {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let mut locked = params::lock();
        let name = function.read(&locked);
        let shown = name_of(name);
        let probe = match Via::parse(via.read(&locked))? {
            #[cfg(CONFIG_FPROBE)]
            Via::Fprobe => Fprobe::new(name, Counter).map(|probe| {
                pr_info!("counting calls of {} through an fprobe\n", shown);
                Counting::Fprobe(probe)
            }),
            #[cfg(not(CONFIG_FPROBE))]
            Via::Fprobe => Err(compat::eopnotsupp()),
            #[cfg(kmod_direct_calls)]
            Via::Direct => Direct::new(name, &COUNTER, Counter).map(|probe| {
                pr_info!("counting calls of {} through a direct call\n", shown);
                Counting::Direct(probe)
            }),
            #[cfg(not(kmod_direct_calls))]
            Via::Direct => Err(compat::eopnotsupp()),
            Via::Kprobe => Kprobe::new(name, Counter).map(|probe| {
                pr_info!(
                    "counting calls of {} through a kprobe at {}\n",
                    shown,
                    probe.probe().addr()
                );
                Counting::Kprobe(probe)
            }),
        }
        .inspect_err(|e| pr_err!("cannot probe {} ({})\n", shown, e.to_errno()))?;
        *PROBE.get_mut(&mut locked) = Some(probe);
        Ok(RustFcount)
    }
}

impl Drop for RustFcount {
    fn drop(&mut self) {
        let probe = PROBE.get_mut(&mut params::lock()).take();
        // Unregistered, without the parameter lock: it waits for the handlers to end.
        drop(probe);
        let locked = params::lock();
        pr_info!(
            "{}: {} calls\n",
            name_of(function.read(&locked)),
            CALLS.load(Relaxed)
        );
    }
}
