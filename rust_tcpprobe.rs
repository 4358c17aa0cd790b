// SPDX-License-Identifier: GPL-2.0

//! A kprobe on `tcp_sendmsg_locked`: the Rust twin of C's `tcpprobe.c`, and more.
//!
//! As the C module: the `symbol` parameter names the function probed, each hit logs
//! `tcpprobe handler_pre executed, no_use_variable is <n>` and `tcpprobe handler_post executed,
//! ...` with the live value of the `no_use` parameter, loading logs `Planted kprobe at <addr>`
//! (or fails with `register_kprobe failed, returned <errno>`), unloading logs `kprobe at <addr>
//! unregistered`. C's `handler_fault` is gone: current kernels have no fault handler in
//! `struct kprobe`.
//!
//! Beyond it:
//! - `symbol` is a list of functions tried in order until one can be probed (default
//!   `tcp_sendmsg_locked,tcp_sendmsg`: the second where the first is inlined or renamed);
//!   `probed` shows the one in use.
//! - `log_every=N` logs one hit in N (0: none), so that the module can stay loaded on a busy
//!   machine; the default, 1, logs every hit as C's `tcpprobe.c` does.
//! - `hits` and `missed` count the probe's hits and missed hits, read-only in sysfs.
//! - Writing a new `symbol` moves the probe to that function, logged like a fresh load; if the
//!   new probe cannot be planted, the write fails with the error and the old probe stays.
//! - `records=1` records every TCP send (see `tcpprobe/records.rs` for the line format) into per-CPU
//!   rings of `bufsize` records each that `/proc/net/rust_tcpprobe` reads, in time order,
//!   through a second probe on the probed function (which must then be `tcp_sendmsg_locked` or
//!   `tcp_sendmsg`) that sees each call's entry and return: an fprobe where the kernel has
//!   them (`CONFIG_FPROBE`), else a return probe; `records_via` names it (`fprobe` or
//!   `kretprobe`). Sends are recorded from any context the function runs in: a send made in a
//!   softirq is recorded with pid 0 and `[softirq]`. `port` and `pid` (0: all; a pid never
//!   matches a send outside task context) filter the sends recorded; `drops` counts the records
//!   lost since the module was loaded (ring full, a call the probe could not follow, or in
//!   flight while the probe moved or stopped). All of them may be written at run time.
//! - `hits`, `missed` and `drops` only grow, across moves of the probe and `records` toggles.

use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use kernel::prelude::*;

// The library (lib/, and params.rs): what this module uses of it.
#[path = "lib/bindings.rs"]
mod bindings;
#[path = "lib/compat.rs"]
pub mod compat;
use compat::{fmt, module};
#[path = "lib/context.rs"]
pub mod context;
#[cfg(CONFIG_FPROBE)]
#[path = "lib/fprobe.rs"]
pub mod fprobe;
#[path = "lib/kprobe.rs"]
pub mod kprobe;
#[path = "lib/kretprobe.rs"]
pub mod kretprobe;
pub mod params;
#[path = "lib/printk.rs"]
pub mod printk;
#[path = "lib/procfs.rs"]
pub mod procfs;
#[path = "lib/regs.rs"]
pub mod regs;
// Its own code (tcpprobe/): TCP sockets, and the records.
#[path = "tcpprobe/records.rs"]
mod records;
#[path = "tcpprobe/tcp.rs"]
mod tcp;
#[path = "tcpprobe/bindings.rs"]
mod tcp_bindings;
use context::{Context, Current};
#[cfg(CONFIG_FPROBE)]
use fprobe::{Fprobe, FprobeHandler, FprobeRegs};
use kernel::sync::Arc;
use kprobe::{Kprobe, KprobeHandler, Probe};
use kretprobe::{Kretprobe, KretprobeHandler};
use params::{
    module_param, module_param_named, module_param_string, module_parm_desc, ParamLocked,
    ParamsLocked,
};
use printk::printk;
use procfs::ProcFile;
use records::{Calls, Record, Ring, RingWriter};
use regs::{AnyFunction, Regs, RegsLayout, ReturnRegs};

module! {
    type: RustTcpprobe,
    name: "rust_tcpprobe",
    authors: ["Rust kernel modules maintainers"],
    description: "kprobe on tcp_sendmsg_locked, logging each TCP send",
    license: "GPL",
}

const MAX_SYMBOL_LEN: usize = 64;
module_param_string!(symbol, symbol: [u8; MAX_SYMBOL_LEN] = "tcp_sendmsg_locked,tcp_sendmsg",
    0o644, on_set = rearm);
module_param_string!(probed, probed: [u8; MAX_SYMBOL_LEN], 0o444);
module_parm_desc!(
    probed,
    "the function of symbol's list that is probed (read-only)"
);

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
module_param!(missed: ullong, 0o444, on_get = total_missed);
module_parm_desc!(
    missed,
    "hits missed by the probe since load (kprobe nmissed, read-only)"
);

module_param!(records: bool = false, 0o644, on_set = set_records);
module_parm_desc!(
    records,
    "record every TCP send into /proc/net/rust_tcpprobe (default 0: the log lines only)"
);
module_param!(bufsize: uint = 4096, 0o644, on_set = check_bufsize);
module_parm_desc!(
    bufsize,
    "records each CPU's ring holds (1 to 1048576; default 4096), from the next records=1 on"
);
module_param!(port: ushort, 0o644);
module_parm_desc!(
    port,
    "record only sends with this source or destination port (default 0: all)"
);
module_param!(pid: int, 0o644);
module_parm_desc!(
    pid,
    "record only sends of this process, made in its context (default 0: all)"
);
module_param_string!(records_via, records_via: [u8; 16] = Via::DEFAULT.name(), 0o644,
    on_set = check_via);
module_parm_desc!(
    records_via,
    "the probe that makes the records: fprobe (the default where the kernel has CONFIG_FPROBE) or kretprobe; from the next records=1 or symbol change on"
);
module_param!(drops: ullong, 0o444, on_get = total_drops);
module_parm_desc!(
    drops,
    "records lost since load: ring full, a call the probe could not follow, in flight when the probe moved or stopped (read-only)"
);

/// The records' file, in `/proc/net`.
const RECORDS_FILE: &CStr = kernel::c_str!("rust_tcpprobe");
/// The most calls the return probe follows at once: 0, the kernel's default (twice the CPUs,
/// at least 10).
const MAXACTIVE: u16 = 0;
/// The largest `bufsize`: a 1048576-record ring takes about 130 MB per CPU.
const MAX_BUFSIZE: u32 = 1 << 20;

/// The probe's handlers. Like C's, they keep no state of their own: the pre-handler numbers
/// its hit with the add to `hits`, the post-handler its own with [`POSTS`].
struct Tcpprobe;

/// Post-handler calls since the module was loaded, for `log_every`.
static POSTS: AtomicU64 = AtomicU64::new(0);

/// Hits missed by the probes removed so far (moved to another function), for `missed`.
static MISSED_BEFORE: AtomicU64 = AtomicU64::new(0);

/// `missed` and `drops` as they were when `rmmod` began: sysfs shows them until it is gone.
static MISSED_AT_UNLOAD: AtomicU64 = AtomicU64::new(0);
static DROPS_AT_UNLOAD: AtomicU64 = AtomicU64::new(0);

/// Whether the hit that a handler counted as `n`, from 1, is logged: one hit in `log_every`,
/// the first one included, as C's `(n - 1) % every == 0`. Wraps around (after 2^64 hits, or
/// from a `hits` given at load) rather than overflow.
fn should_log(n: u64) -> bool {
    match log_every.get() {
        0 => false,
        every => n.wrapping_sub(1) % u64::from(every) == 0,
    }
}

/// The line of the pre-handler, as C's, formatted as C's is (`printk!`: `pr_info!` would run
/// `core::fmt` twice per line). Out of line and cold: the handlers stay small enough to be
/// inlined into `lib/kprobe.rs`'s trampolines, as a C handler is called directly.
#[cold]
fn log_pre() {
    printk!(
        KERN_INFO,
        "tcpprobe handler_pre executed, no_use_variable is %d\n",
        no_use_variable.get()
    );
}

/// The line of the post-handler, as C's (see [`log_pre`]).
#[cold]
fn log_post() {
    printk!(
        KERN_INFO,
        "tcpprobe handler_post executed, no_use_variable is %d\n",
        no_use_variable.get()
    );
}

#[vtable]
impl KprobeHandler for Tcpprobe {
    type Signature = AnyFunction;

    fn pre_handler(&self, _probe: &Probe, _regs: &Regs) {
        if should_log(hits.add(1)) {
            log_pre();
        }
    }

    fn post_handler(&self, _probe: &Probe, _regs: &Regs) {
        if should_log(POSTS.fetch_add(1, Relaxed).wrapping_add(1)) {
            log_post();
        }
    }

    fn unregistered(&self, nmissed: u64) {
        MISSED_BEFORE.fetch_add(nmissed, Relaxed);
    }
}

/// The handler of record mode's probe: one [`Record`] per send into the rings.
///
/// While the probe moves to another function (`symbol` written), the old and the new probes of
/// record mode are both registered for a moment, and one send may pass both (`tcp_sendmsg` calls
/// `tcp_sendmsg_locked`). So a send is recorded by the probe that is active when it returns,
/// if that probe followed it from its entry: the new probe follows only the calls that enter
/// once it is active, and the old one, once superseded, counts each call it still follows as
/// lost rather than record it, until it is unregistered (an RCU grace period later). No send
/// is recorded twice, and none is lost uncounted; a send that both probes follow in that
/// window (a call of one function made within the other's, or of the same function) is
/// recorded by the new probe and also counted in `drops` by the old one. (An old probe that
/// stopped following calls at the switch would lose, uncounted, the sends that entered the
/// new function before it was registered and the old one after the switch.)
struct Recorder {
    writer: RingWriter,
    calls: Calls,
}

impl Recorder {
    /// At a send's entry: the record of a send that the filters let through, or `None`.
    fn enter<L: RegsLayout>(&self, regs: &Regs<tcp::Sendmsg, L>) -> Option<Record> {
        if self.writer.is_pending() {
            return None;
        }
        // (A send outside task context is the interrupted task's `current`: the exit,
        // which knows the context, settles who sent, and filters on `pid` again.)
        let only_pid = pid.get();
        if only_pid != 0 && only_pid != tcp::current_tgid(Current::get()) {
            return None;
        }
        let args = regs.args()?;
        let src = args.sock.local();
        let dst = args.sock.remote();
        let only_port = port.get();
        if only_port != 0 && src.port() != only_port && dst.port() != only_port {
            return None;
        }
        self.calls.entered(context::cpu());
        Some(Record {
            start_ns: tcp::ktime_ns(),
            // Filled in at the return (`Record::attribute`).
            pid: 0,
            comm: [0; 16],
            src,
            dst,
            size: args.size,
            result: 0,
            snd_cwnd: args.sock.snd_cwnd(),
            srtt_us: args.sock.srtt_us(),
            snd_wnd: args.sock.snd_wnd(),
        })
    }

    /// At the return of a send that `enter` recorded, which returned `result`.
    fn exit(&self, record: &mut Record, result: isize) {
        let current = Current::get();
        let cpu = current.cpu();
        self.calls.returned(cpu);
        let context = current.context();
        record.attribute(current, context);
        // The pid filter again, now that who sent is known (and `pid` may have changed).
        let only_pid = pid.get();
        if only_pid != 0 && (context != Context::Task || record.pid != only_pid) {
            return;
        }
        if !self.writer.is_active() {
            self.writer.ring().count_lost(1);
            return;
        }
        record.result = result as i64;
        self.writer.push(cpu, record);
    }

    /// Once the probe is unregistered, having missed `nmissed` calls.
    fn unregistered(&self, nmissed: u64) {
        // The calls missed, and those in flight now: their returns will never be seen.
        let lost = nmissed.wrapping_add(self.calls.in_flight());
        self.writer.ring().count_lost(lost);
    }
}

#[cfg(CONFIG_FPROBE)]
#[vtable]
impl FprobeHandler for Recorder {
    type Signature = tcp::Sendmsg;
    type Data = Record;

    fn entry_handler(&self, regs: &Regs<tcp::Sendmsg, FprobeRegs>) -> Option<Record> {
        self.enter(regs)
    }

    fn exit_handler(&self, record: &mut Record, regs: &ReturnRegs<FprobeRegs>) {
        self.exit(record, regs.return_long());
    }

    fn unregistered(&self, nmissed: u64) {
        Recorder::unregistered(self, nmissed);
    }
}

impl KretprobeHandler for Recorder {
    type Signature = tcp::Sendmsg;
    type Data = Record;

    fn entry_handler(&self, regs: &Regs<tcp::Sendmsg>) -> Option<Record> {
        self.enter(regs)
    }

    fn return_handler(&self, record: &mut Record, regs: &ReturnRegs) {
        self.exit(record, regs.return_long());
    }

    fn unregistered(&self, nmissed: u64) {
        Recorder::unregistered(self, nmissed);
    }
}

/// The kinds of probe record mode can use, by their names in `records_via`.
#[derive(Clone, Copy)]
enum Via {
    /// An fprobe with entry and exit handlers (ftrace): where the kernel has fprobe.
    Fprobe,
    /// A return probe (kprobes).
    Kretprobe,
}

impl Via {
    /// The cheapest this kernel has.
    const DEFAULT: Via = if cfg!(CONFIG_FPROBE) {
        Via::Fprobe
    } else {
        Via::Kretprobe
    };

    const fn name(self) -> &'static str {
        match self {
            Via::Fprobe => "fprobe",
            Via::Kretprobe => "kretprobe",
        }
    }

    /// The kind named by `name` (a trailing newline, as `echo` writes, is ignored): `-EINVAL`
    /// for no kind, `-EOPNOTSUPP` for fprobe on a kernel without it.
    fn parse(name: &CStr) -> Result<Via> {
        let name = compat::cstr_to_bytes(name);
        let name = name.strip_suffix(b"\n").unwrap_or(name);
        match name {
            b"fprobe" if cfg!(CONFIG_FPROBE) => Ok(Via::Fprobe),
            b"fprobe" => Err(compat::eopnotsupp()),
            b"kretprobe" => Ok(Via::Kretprobe),
            _ => Err(EINVAL),
        }
    }
}

/// Record mode's probe.
enum RecordProbe {
    #[cfg(CONFIG_FPROBE)]
    Fprobe(Fprobe<Recorder>),
    Kretprobe(Kretprobe<Recorder>),
}

impl RecordProbe {
    fn recorder(&self) -> &Recorder {
        match self {
            #[cfg(CONFIG_FPROBE)]
            RecordProbe::Fprobe(probe) => probe.handler(),
            RecordProbe::Kretprobe(probe) => probe.handler(),
        }
    }

    /// The calls it missed so far.
    fn nmissed(&self) -> u64 {
        match self {
            #[cfg(CONFIG_FPROBE)]
            RecordProbe::Fprobe(probe) => probe.nmissed(),
            RecordProbe::Kretprobe(probe) => probe.nmissed(),
        }
    }
}

/// What is set up while the module is loaded.
struct Armed {
    probe: Kprobe<Tcpprobe>,
    /// The probe of record mode, while `records` is on.
    recorder: Option<RecordProbe>,
    ring: Arc<Ring>,
    /// `/proc/net/rust_tcpprobe`; before `ring`, which it reads, in drop order.
    _file: ProcFile<Ring>,
}

/// The module's probes, shared by `init`, `drop` and the `on_set` checks, under the
/// module's parameter lock.
enum State {
    /// Parameters are being parsed at load; `init` plants the probe.
    Loading,
    Armed(Armed),
    /// `drop` has run: the module is going away.
    Unloaded,
}

static PROBE: ParamLocked<State> = ParamLocked::new(State::Loading);

/// A function name of `symbol`'s list, with its NUL.
struct Name([u8; MAX_SYMBOL_LEN]);

impl Name {
    fn as_cstr(&self) -> &CStr {
        compat::cstr_until_nul(&self.0)
    }
}

/// The names of the list `functions` (comma-separated), in order.
fn names(functions: &CStr) -> impl Iterator<Item = Name> + '_ {
    compat::cstr_to_bytes(functions)
        .split(|&b| b == b',')
        .map(|name| {
            let mut buf = [0u8; MAX_SYMBOL_LEN];
            // `symbol` holds fewer than `MAX_SYMBOL_LEN` bytes, so each name fits with its NUL.
            let len = name.len().min(MAX_SYMBOL_LEN - 1);
            buf[..len].copy_from_slice(&name[..len]);
            Name(buf)
        })
}

/// Plants a probe on the first function of the list `functions` that can be probed, logging
/// as C's does; the function's name with it. On failure, the error of the last one.
fn plant(functions: &CStr) -> Result<(Kprobe<Tcpprobe>, Name)> {
    let mut error = ENOENT;
    let mut tried = names(functions).peekable();
    while let Some(name) = tried.next() {
        match Kprobe::new(name.as_cstr(), Tcpprobe) {
            Ok(probe) => {
                pr_info!("Planted kprobe at {}\n", probe.probe().addr());
                return Ok((probe, name));
            }
            Err(e) => {
                if let Some(next) = tried.peek() {
                    pr_info!(
                        "cannot probe {} ({}), trying {}\n",
                        Str(&name),
                        e.to_errno(),
                        Str(next)
                    );
                }
                error = e;
            }
        }
    }
    pr_err!("register_kprobe failed, returned {}\n", error.to_errno());
    Err(error)
}

/// A name, for printing.
struct Str<'a>(&'a Name);

impl fmt::Display for Str<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = compat::cstr_to_bytes(self.0.as_cstr());
        f.write_str(core::str::from_utf8(bytes).unwrap_or("?"))
    }
}

/// Logs the unregistration of a probe, which dropping it does.
fn remove(probe: Kprobe<Tcpprobe>) {
    let addr = probe.probe().addr();
    drop(probe);
    pr_info!("kprobe at {} unregistered\n", addr);
}

/// Plants record mode's probe, of the kind `via`, on `function`, writing into
/// `ring`, and makes it the probe whose records count (an older one's then count as lost).
fn plant_recorder(function: &CStr, ring: &Arc<Ring>, via: Via) -> Result<RecordProbe> {
    let recorder = Recorder {
        writer: ring.writer(),
        calls: Calls::new()?,
    };
    let probe = match via {
        #[cfg(CONFIG_FPROBE)]
        Via::Fprobe => Fprobe::new(function, recorder)
            .inspect_err(|e| pr_err!("register_fprobe failed, returned {}\n", e.to_errno()))
            .map(RecordProbe::Fprobe)?,
        #[cfg(not(CONFIG_FPROBE))]
        Via::Fprobe => return Err(compat::eopnotsupp()),
        Via::Kretprobe => Kretprobe::new(function, MAXACTIVE, recorder)
            .inspect_err(|e| pr_err!("register_kretprobe failed, returned {}\n", e.to_errno()))
            .map(RecordProbe::Kretprobe)?,
    };
    probe.recorder().writer.activate();
    Ok(probe)
}

/// `on_set` of `records_via`: a kind of probe this kernel has.
fn check_via(name: &CStr, _locked: &mut ParamsLocked) -> Result {
    Via::parse(name).map(|_| ())
}

/// The kind of probe `records_via` names (`check_via` let only those through).
fn via(locked: &ParamsLocked) -> Via {
    Via::parse(records_via.read(locked)).unwrap_or(Via::DEFAULT)
}

/// `on_set` of `symbol`: a new list moves the probe (and the probe of record mode) to
/// its first function that can be probed. The new probes are planted before the old ones are
/// removed, so that a failure leaves the old ones in place.
fn rearm(functions: &CStr, locked: &mut ParamsLocked) -> Result {
    let via = via(locked);
    let (probe, name) = match PROBE.get_mut(locked) {
        // At load, `init` plants the probe on the final value.
        State::Loading => return Ok(()),
        State::Unloaded => return Err(ENODEV),
        State::Armed(armed) => {
            let (probe, name) = plant(functions)?;
            let recorder = match &armed.recorder {
                None => None,
                Some(_) => match plant_recorder(name.as_cstr(), &armed.ring, via) {
                    Ok(recorder) => Some(recorder),
                    Err(e) => {
                        remove(probe);
                        return Err(e);
                    }
                },
            };
            drop(core::mem::replace(&mut armed.recorder, recorder));
            (core::mem::replace(&mut armed.probe, probe), name)
        }
    };
    remove(probe);
    probed.write(compat::cstr_to_bytes(name.as_cstr()), locked)
}

/// `on_set` of `records`: plants or removes the probe that makes the records, with
/// rings of `bufsize` records per CPU when it starts.
fn set_records(on: bool, locked: &mut ParamsLocked) -> Result {
    let function = probed_name(locked);
    let via = via(locked);
    let State::Armed(armed) = PROBE.get_mut(locked) else {
        // At load, `init` starts recording; once unloading, nothing does.
        return Ok(());
    };
    match (on, armed.recorder.is_some()) {
        (true, false) => {
            armed.ring.resize(bufsize.get() as usize)?;
            armed.recorder = Some(plant_recorder(function.as_cstr(), &armed.ring, via)?);
        }
        (false, true) => armed.recorder = None,
        _ => (),
    }
    Ok(())
}

/// `on_get` of `missed`: the hits that every probe planted since load missed.
fn total_missed(locked: &ParamsLocked) -> u64 {
    let now = match PROBE.get(locked) {
        State::Armed(armed) => armed.probe.probe().nmissed(),
        State::Loading => 0,
        State::Unloaded => return MISSED_AT_UNLOAD.load(Relaxed),
    };
    MISSED_BEFORE.load(Relaxed).wrapping_add(now)
}

/// `on_get` of `drops`: the records lost since load (the rings' count, which takes in those
/// of record probes removed so far, and the current one's misses).
fn total_drops(locked: &ParamsLocked) -> u64 {
    match PROBE.get(locked) {
        State::Armed(armed) => {
            let missed_now = armed
                .recorder
                .as_ref()
                .map_or(0, |recorder| recorder.nmissed());
            armed.ring.drops().wrapping_add(missed_now)
        }
        State::Loading => 0,
        State::Unloaded => DROPS_AT_UNLOAD.load(Relaxed),
    }
}

/// A copy of the name in `probed`.
fn probed_name(locked: &ParamsLocked) -> Name {
    let mut buf = [0u8; MAX_SYMBOL_LEN];
    let name = compat::cstr_to_bytes(probed.read(locked));
    buf[..name.len()].copy_from_slice(name);
    Name(buf)
}

/// `on_set` of `bufsize`: 1 to `MAX_BUFSIZE` records.
fn check_bufsize(size: u32, _locked: &mut ParamsLocked) -> Result {
    if (1..=MAX_BUFSIZE).contains(&size) {
        Ok(())
    } else {
        Err(EINVAL)
    }
}

struct RustTcpprobe;

impl kernel::Module for RustTcpprobe {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let ring = Ring::new()?;
        let file = ProcFile::new(RECORDS_FILE, ring.clone())?;
        let mut locked = params::lock();
        let (probe, name) = plant(symbol.read(&locked))?;
        let recorder = if records.get() {
            match ring
                .resize(bufsize.get() as usize)
                .and_then(|()| plant_recorder(name.as_cstr(), &ring, via(&locked)))
            {
                Ok(recorder) => Some(recorder),
                Err(e) => {
                    remove(probe);
                    return Err(e);
                }
            }
        } else {
            None
        };
        probed.write(compat::cstr_to_bytes(name.as_cstr()), &mut locked)?;
        *PROBE.get_mut(&mut locked) = State::Armed(Armed {
            probe,
            recorder,
            ring,
            _file: file,
        });
        Ok(RustTcpprobe)
    }
}

impl Drop for RustTcpprobe {
    fn drop(&mut self) {
        // Taken out under the parameter lock, then removed without it: removing the file
        // waits for its readers, which sysfs writers should not wait for.
        let mut locked = params::lock();
        MISSED_AT_UNLOAD.store(total_missed(&locked), Relaxed);
        DROPS_AT_UNLOAD.store(total_drops(&locked), Relaxed);
        let state = core::mem::replace(PROBE.get_mut(&mut locked), State::Unloaded);
        drop(locked);
        if let State::Armed(armed) = state {
            let Armed {
                probe,
                recorder,
                ring: _,
                _file,
            } = armed;
            drop(recorder);
            remove(probe);
        }
    }
}
