// SPDX-License-Identifier: GPL-2.0

//! `rust_tcpprobe`'s records: one per TCP send, in per-CPU rings that
//! `/proc/net/rust_tcpprobe` reads, one line per record.
//!
//! The probe's return handler adds a record ([`RingWriter::push`]) to the ring of the CPU it
//! runs on; a full ring drops it and counts the drop. A reader takes records out of every
//! CPU's ring and gives them in time order, each once; when there is none it sleeps until
//! some come (or fails with `EAGAIN` when opened with `O_NONBLOCK`). A record's line:
//!
//! ```text
//! <seconds>.<ns> <pid> <comm> <source addr:port> <destination addr:port> <size> <result>
//!     <call ns> <snd_cwnd> <srtt us> <snd_wnd>
//! ```
//!
//! (one line), e.g. `123.456789012 211 python3 127.0.0.1:40000 127.0.0.1:5001 64 64 5312 10 21
//! 65483`: when the call returned, on the monotonic clock (lines come in this order, across
//! CPUs: the first field never decreases; `ktime_get_mono_fast_ns()` may step back by a few ns
//! across CPUs, and a line is then given its predecessor's time); the sending process and its name (bytes outside
//! printable ASCII as `?`), or pid `0` and `[softirq]`, `[irq]` or `[nmi]` for a send made
//! outside any task's context; the socket's endpoints (IPv6 as `[addr]:port`), the bytes
//! asked, what the call returned (bytes queued, or a negative errno), how long the call took,
//! and the socket's congestion window (segments), smoothed RTT (µs) and peer window (bytes) at
//! the send's start. (As `biosnoop` and the other tools that report a call once it is over:
//! its end, and how long it took.)
//!
//! # Any context
//!
//! The writers are probe handlers, which may run in a task, a softirq, a hardirq or an NMI,
//! on a kernel with PREEMPT_RT or not: a push takes no lock, never sleeps and wakes no one
//! itself. Each CPU has its own ring, a bounded queue of slots with a sequence number each
//! (D. Vyukov's): a writer reserves a slot with one compare-and-exchange of the ring's tail,
//! writes the record and publishes it with a release store of the slot's sequence number. A
//! writer that interrupts another on the same CPU (a softirq's send during a task's, an NMI)
//! just takes the next slot; a reader takes slots in order and stops at the first one not
//! published yet. Readers that wait are woken through an `irq_work`, which the kernel runs
//! outside the handler (in a hardirq, or in a per-CPU thread on PREEMPT_RT).
//!
//! Time order across CPUs: a record's time is read after its slot is reserved. A reader reads
//! the clock, then looks at every ring; a record it does not see yet will be timed after that
//! reading, or sits in a slot already reserved, whose time (or an earlier one: the slot's
//! previous record's) the reader sees. It gives only the records timed at most at the least
//! of those, sorted; the others wait for the next read.
//!
//! The kernel's own lockless `ring_buffer` (`kernel/trace/ring_buffer.c`) would serve as the
//! transport too, but it sizes its rings in pages, not records, cannot tell a reader that a
//! writer has reserved an event it has not committed yet (which time order across CPUs needs:
//! `trace_pipe` does not promise it), and hands records out one call at a time under a
//! per-CPU raw spinlock; the rings here are a hundred lines with those three properties.

use core::cell::UnsafeCell;
use core::fmt::Write;
use core::ptr;
use core::sync::atomic::{
    fence, AtomicBool, AtomicU64, AtomicUsize,
    Ordering::{Acquire, Relaxed, Release, SeqCst},
};
use kernel::alloc::flags::GFP_NOWAIT;
use kernel::prelude::*;
use kernel::sync::{Arc, CondVar, CondVarTimeoutResult, Mutex};
use kernel::time::msecs_to_jiffies;
use kernel::types::Opaque;

use crate::bindings::{self, layout};
use crate::compat;
use crate::context::{self, Context, Current};
use crate::procfs::ProcRead;
use crate::tcp::{self, Endpoint};

/// One TCP send.
#[derive(Clone, Copy, Default)]
pub(crate) struct Record {
    /// When the call started, in ns on the monotonic clock.
    pub(crate) start_ns: u64,
    /// The sending process (`tgid`); 0 outside task context.
    pub(crate) pid: i32,
    /// The sending task's name, NUL-padded; the context's (`[softirq]`, ...) outside a task.
    pub(crate) comm: [u8; 16],
    pub(crate) src: Endpoint,
    pub(crate) dst: Endpoint,
    /// The bytes asked to be sent.
    pub(crate) size: usize,
    /// What the call returned: bytes queued, or a negative errno.
    pub(crate) result: i64,
    pub(crate) snd_cwnd: u32,
    pub(crate) srtt_us: u32,
    pub(crate) snd_wnd: u32,
}

/// A push wakes a waiting reader when its CPU's ring holds this many records (or half of it,
/// if smaller): a reader woken per record would cost each TCP send two context switches and a
/// `read` call.
const WAKE_BATCH: usize = 64;
/// ... and a waiting reader looks every this many ms anyway, so that a few records do not wait
/// for more.
const READER_POLL_MS: u32 = 100;
/// The longest line a record makes: two `[IPv6]:port` of 47 bytes, a 15-byte name, and the
/// widest numbers, with room to spare.
pub(crate) const MAX_LINE: usize = 320;

/// A line being written into a byte buffer; what does not fit is cut, never overflows. Numbers
/// and IPv4 endpoints are written by hand: a reader formats every record, on the CPUs that
/// send, and `core::fmt` or `snprintf` cost several times more per field.
struct Line<'a> {
    buf: &'a mut [u8; MAX_LINE],
    len: usize,
}

impl Line<'_> {
    fn bytes(&mut self, bytes: &[u8]) {
        let end = (self.len + bytes.len()).min(MAX_LINE);
        self.buf[self.len..end].copy_from_slice(&bytes[..end - self.len]);
        self.len = end;
    }

    /// `n` in decimal, at least `width` digits (zero-padded).
    fn dec(&mut self, mut n: u64, width: usize) {
        let mut digits = [b'0'; 20];
        let mut at = digits.len();
        while n > 0 || at == digits.len() {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
        }
        at = at.min(digits.len().saturating_sub(width));
        self.bytes(&digits[at..]);
    }

    fn signed(&mut self, n: i64) {
        if n < 0 {
            self.bytes(b"-");
        }
        self.dec(n.unsigned_abs(), 1);
    }

    fn endpoint(&mut self, endpoint: &Endpoint) {
        match endpoint.ipv4() {
            Some(addr) => {
                for (i, &byte) in addr.iter().enumerate() {
                    if i > 0 {
                        self.bytes(b".");
                    }
                    self.dec(byte.into(), 1);
                }
                self.bytes(b":");
                self.dec(endpoint.port().into(), 1);
            }
            // IPv6, through `%pISpc` (compressed, in brackets).
            None => {
                let _ = write!(self, "{endpoint}");
            }
        }
    }
}

impl Write for Line<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.bytes(s.as_bytes());
        Ok(())
    }
}

impl Record {
    /// Fills in who sent: the current task's process and name (`tcp::current_task()`) in
    /// task context, else pid 0 and the context's name. Call it where the probed function
    /// runs (a return handler does; see `context.rs` for handlers reached through a trap).
    pub(crate) fn attribute(&mut self, current: Current, context: Context) {
        let name: &[u8] = match context {
            Context::Task => {
                (self.pid, self.comm) = tcp::current_task(current);
                return;
            }
            Context::Softirq => b"[softirq]",
            Context::Hardirq => b"[irq]",
            Context::Nmi => b"[nmi]",
        };
        self.pid = 0;
        self.comm = [0; 16];
        self.comm[..name.len()].copy_from_slice(name);
    }

    /// Writes the record's line (see the module's documentation) into `buf`, for a call that
    /// returned at `end_ns`; its length.
    fn format(&self, end_ns: u64, buf: &mut [u8; MAX_LINE]) -> usize {
        let mut line = Line { buf, len: 0 };
        line.dec(end_ns / 1_000_000_000, 1);
        line.bytes(b".");
        line.dec(end_ns % 1_000_000_000, 9);
        line.bytes(b" ");
        line.signed(self.pid.into());
        line.bytes(b" ");
        let name = self.comm.iter().take_while(|&&c| c != 0);
        for &c in name {
            line.bytes(&[if c.is_ascii_graphic() { c } else { b'?' }]);
        }
        line.bytes(b" ");
        line.endpoint(&self.src);
        line.bytes(b" ");
        line.endpoint(&self.dst);
        line.bytes(b" ");
        line.dec(self.size as u64, 1);
        line.bytes(b" ");
        line.signed(self.result);
        for n in [
            end_ns.saturating_sub(self.start_ns),
            self.snd_cwnd.into(),
            self.srtt_us.into(),
            self.snd_wnd.into(),
        ] {
            line.bytes(b" ");
            line.dec(n, 1);
        }
        line.bytes(b"\n");
        line.len
    }
}

/// A slot of a CPU's ring.
///
/// # Invariants
///
/// With the ring's capacity `cap`, `seq` is `2 * pos` when the slot is free for the writer that
/// reserves position `pos` (`pos % cap` is the slot), and `2 * pos + 1` once that writer has
/// published its record there; the reader that takes it makes it `2 * (pos + cap)`, free for
/// the next lap. (Doubled, so that published and free differ even with one slot.) Only the writer that reserved `pos` (by moving the ring's tail from `pos`)
/// writes `record` until it publishes; only the reader that sees `pos + 1` reads it, before
/// it frees the slot.
struct Slot {
    seq: AtomicUsize,
    /// The record's time (ns, monotonic), written by its writer right after reserving the
    /// slot, before the record: a reader that finds the slot reserved but not published reads
    /// it (or the previous record's, earlier) as a bound below the record's time.
    time: AtomicU64,
    record: UnsafeCell<Record>,
}

// SAFETY: `record` is written and read by one side at a time, as `seq` hands it over with
// release and acquire (type invariants); the rest is atomics.
unsafe impl Sync for Slot {}

/// The ring of one CPU. Its own cache lines: CPUs write only their own.
///
/// # Invariants
///
/// `head <= tail <= head + slots.len()` (modulo `usize`): the positions from `head` to `tail`
/// are reserved, published or not, and not taken; `head` and `seen_tail` are written by
/// readers only, under the reader lock. Each slot keeps [`Slot`]'s invariants.
#[repr(align(64))]
struct CpuRing {
    /// The next position a writer reserves.
    tail: AtomicUsize,
    /// The next position the reader takes (written by readers only, under the reader lock).
    head: AtomicUsize,
    /// The tail as a reader last read it (readers only, under the reader lock).
    seen_tail: AtomicUsize,
    /// Records this ring had no room for.
    drops: AtomicU64,
    slots: KVVec<Slot>,
}

impl CpuRing {
    fn new(capacity: usize) -> Result<Self> {
        let mut slots = KVVec::with_capacity(capacity, GFP_KERNEL)?;
        for pos in 0..capacity {
            if pos % 4096 == 4095 {
                // A ring of a million records takes a while to fill.
                compat::cond_resched();
            }
            // INVARIANT: Slot `pos` is free for position `pos`.
            slots.push(
                Slot {
                    seq: AtomicUsize::new(pos.wrapping_mul(2)),
                    time: AtomicU64::new(0),
                    record: UnsafeCell::new(Record::default()),
                },
                GFP_KERNEL,
            )?;
        }
        Ok(Self {
            tail: AtomicUsize::new(0),
            head: AtomicUsize::new(0),
            seen_tail: AtomicUsize::new(0),
            drops: AtomicU64::new(0),
            slots,
        })
    }

    /// The slot of position `pos`; `None` only in a ring without room.
    fn slot(&self, pos: usize) -> Option<&Slot> {
        self.slots.get(pos.checked_rem(self.slots.len())?)
    }

    /// Adds a record; `false` if the ring was full (the drop is counted). Any context.
    fn push(&self, record: &Record) -> bool {
        let mut pos = self.tail.load(Relaxed);
        let slot = loop {
            let Some(slot) = self.slot(pos) else {
                self.drops.fetch_add(1, Relaxed);
                return false;
            };
            let seq = slot.seq.load(Acquire);
            match seq.wrapping_sub(pos.wrapping_mul(2)) as isize {
                0 => {
                    match self
                        .tail
                        .compare_exchange_weak(pos, pos.wrapping_add(1), SeqCst, Relaxed)
                    {
                        Ok(_) => break slot,
                        Err(now) => pos = now,
                    }
                }
                // The slot still holds the record of the previous lap: full.
                lap if lap < 0 => {
                    self.drops.fetch_add(1, Relaxed);
                    return false;
                }
                // Another writer took `pos` meanwhile.
                _ => pos = self.tail.load(Relaxed),
            }
        };
        // The time is read after the reservation is visible (x86's locked exchange is a full
        // barrier already), so that a reader that did not see the reservation has read the
        // clock before it.
        #[cfg(not(CONFIG_X86_64))]
        fence(SeqCst);
        slot.time.store(tcp::ktime_ns(), Relaxed);
        // SAFETY: This writer reserved `pos`: the slot's record is its own until published.
        unsafe { ptr::write(slot.record.get(), *record) };
        // INVARIANT: Published: the reader may take it.
        slot.seq.store(pos.wrapping_mul(2).wrapping_add(1), Release);
        true
    }

    /// Records reserved or waiting, not taken yet.
    fn queued(&self) -> usize {
        self.tail
            .load(Relaxed)
            .wrapping_sub(self.head.load(Relaxed))
    }
}

/// A record taken from a ring, with its time, waiting in the reader's hands.
#[derive(Clone, Copy, Default)]
struct Held {
    time: u64,
    record: Record,
}

/// The readers' side, under the reader lock.
struct Reader {
    /// Records taken from the rings and not given yet: `held[start..end]`, sorted by time.
    /// Its length is fixed (`MAX_HELD`): nothing is allocated while reading.
    held: KVVec<Held>,
    start: usize,
    end: usize,
    /// The time of the last record given: times given never go back (the clock may, by a
    /// few ns, across CPUs: `ktime_get_mono_fast_ns()`).
    last: u64,
    /// Lines taken by a read that could not give them (its buffer faulted): the next read
    /// gives them first.
    unread: KVec<u8>,
}

impl Reader {
    fn len(&self) -> usize {
        self.end - self.start
    }

    /// Adds a record at the end (unsorted); `false` if there is no room.
    fn add(&mut self, held: Held) -> bool {
        if self.end == self.held.len() && self.start > 0 {
            self.held.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        match self.held.get_mut(self.end) {
            Some(place) => {
                *place = held;
                self.end += 1;
                true
            }
            None => false,
        }
    }

    /// Adds a record in time order (among equal times, after the others); `false` if there is
    /// no room. Records come mostly in order: most go at the end, or a few places before.
    fn insert(&mut self, held: Held) -> bool {
        if !self.add(held) {
            return false;
        }
        let mut at = self.end - 1;
        while at > self.start && self.held[at - 1].time > self.held[at].time {
            self.held.swap(at - 1, at);
            at -= 1;
        }
        true
    }
}

/// The most records readers hold taken out of the rings: past that, records stay in the rings.
const MAX_HELD: usize = 4096;

/// Calls that a return probe followed, counted per CPU, to tell those whose return never
/// came (in flight when the probe was unregistered) from the others.
pub(crate) struct Calls {
    per_cpu: KVec<CallCount>,
}

#[repr(align(64))]
struct CallCount {
    entered: AtomicU64,
    returned: AtomicU64,
}

impl Calls {
    pub(crate) fn new() -> Result<Self> {
        let mut per_cpu = KVec::with_capacity(context::nr_cpu_ids(), GFP_KERNEL)?;
        for _ in 0..context::nr_cpu_ids() {
            per_cpu.push(
                CallCount {
                    entered: AtomicU64::new(0),
                    returned: AtomicU64::new(0),
                },
                GFP_KERNEL,
            )?;
        }
        Ok(Self { per_cpu })
    }

    /// Counts a call followed from its entry, on CPU `cpu` (`context::cpu()`). Any context.
    pub(crate) fn entered(&self, cpu: usize) {
        if let Some(count) = self.per_cpu.get(cpu) {
            count.entered.fetch_add(1, Relaxed);
        }
    }

    /// Counts a call's return, on CPU `cpu` (`context::cpu()`). Any context.
    pub(crate) fn returned(&self, cpu: usize) {
        if let Some(count) = self.per_cpu.get(cpu) {
            count.returned.fetch_add(1, Relaxed);
        }
    }

    /// Calls entered whose return has not been counted: once the probe is unregistered,
    /// those that never will be.
    pub(crate) fn in_flight(&self) -> u64 {
        let (entered, returned) = self.per_cpu.iter().fold((0u64, 0u64), |(e, r), count| {
            (
                e.wrapping_add(count.entered.load(Relaxed)),
                r.wrapping_add(count.returned.load(Relaxed)),
            )
        });
        entered.wrapping_sub(returned)
    }
}

/// The records of every CPU, shared by the probes (which add, through [`RingWriter`]s) and
/// the `/proc` file (which reads).
///
/// # Invariants
///
/// `rings` is replaced only with the reader lock held and no [`RingWriter`] alive (counted
/// by `writers`, under the same lock); `wake` is an `irq_work` whose callback is
/// [`Ring::wake_readers`], synced before the ring is freed.
#[pin_data(PinnedDrop)]
pub(crate) struct Ring {
    #[pin]
    reader: Mutex<Reader>,
    #[pin]
    readable: CondVar,
    #[pin]
    wake: Opaque<bindings::irq_work>,
    /// One ring per CPU id.
    rings: UnsafeCell<KVec<CpuRing>>,
    /// The [`RingWriter`]s alive (changed under the reader lock).
    writers: AtomicUsize,
    /// Readers asleep waiting for records: a push wakes them only if there are any.
    sleepers: AtomicUsize,
    /// Set when the file goes away: readers return.
    closing: AtomicBool,
    /// Records lost other than to a full ring: taken away by a resize, or counted in by the
    /// probe ([`Ring::count_lost`]).
    lost: AtomicU64,
    /// How many records make a batch (see [`Ring::batch`]), set with the rings.
    batch: AtomicUsize,
    /// The generation of the writer whose records count (see [`RingWriter::is_active`]).
    active: AtomicU64,
    /// The last generation handed out.
    generations: AtomicU64,
}

// SAFETY: `rings` is shared by reference, and replaced only when no writer uses it and the
// reader lock is held (type invariants); the rest is atomics, a lock, a condition variable
// and an `irq_work` meant to be queued from any CPU.
unsafe impl Send for Ring {}
// SAFETY: As above.
unsafe impl Sync for Ring {}

impl Ring {
    /// An empty ring, with no room yet ([`Ring::resize`] gives it some).
    pub(crate) fn new() -> Result<Arc<Self>> {
        let mut held = KVVec::with_capacity(MAX_HELD, GFP_KERNEL)?;
        for _ in 0..MAX_HELD {
            held.push(Held::default(), GFP_KERNEL)?;
        }
        Arc::pin_init(
            pin_init!(Self {
                reader <- kernel::new_mutex!(Reader {
                    held,
                    start: 0,
                    end: 0,
                    last: 0,
                    unread: KVec::new(),
                }),
                readable <- kernel::new_condvar!(),
                // INVARIANT: A zeroed `irq_work` with its callback: C's `IRQ_WORK_INIT()`.
                wake <- Opaque::ffi_init(|work: *mut bindings::irq_work| {
                    // SAFETY: `work` is valid for writes of a `struct irq_work`, whose
                    // callback is a function pointer at this offset.
                    unsafe {
                        ptr::write_bytes(work, 0, 1);
                        ptr::write(
                            work.cast::<u8>()
                                .add(layout(bindings::KMOD_IRQ_WORK_FUNC))
                                .cast::<Option<unsafe extern "C" fn(*mut bindings::irq_work)>>(),
                            Some(Self::wake_readers),
                        );
                    }
                }),
                rings: UnsafeCell::new(KVec::new()),
                writers: AtomicUsize::new(0),
                sleepers: AtomicUsize::new(0),
                closing: AtomicBool::new(false),
                lost: AtomicU64::new(0),
                batch: AtomicUsize::new(1),
                active: AtomicU64::new(0),
                generations: AtomicU64::new(0),
            }),
            GFP_KERNEL,
        )
    }

    /// The rings of every CPU.
    ///
    /// # Safety
    ///
    /// The caller holds the reader lock, or is a [`RingWriter`] of this ring, alive, for as
    /// long as it uses the result.
    unsafe fn rings(&self) -> &[CpuRing] {
        // SAFETY: Replaced only when no writer is alive and under the reader lock (type
        // invariants), which the caller's writer or lock rules out (safety requirement).
        unsafe { &*self.rings.get() }
    }

    /// Gives every CPU a ring of `capacity` records, unless they have that already. The
    /// records held are dropped (and counted as lost). Fails with `EBUSY` while a writer is
    /// alive. Sleeps: process context only.
    pub(crate) fn resize(&self, capacity: usize) -> Result {
        let mut reader = self.reader.lock();
        if self.writers.load(Relaxed) != 0 {
            return Err(EBUSY);
        }
        // SAFETY: The reader lock is held.
        let current = unsafe { self.rings() };
        if current.len() == context::nr_cpu_ids()
            && current.iter().all(|ring| ring.slots.len() == capacity)
        {
            return Ok(());
        }
        let mut rings = KVec::with_capacity(context::nr_cpu_ids(), GFP_KERNEL)?;
        for _ in 0..context::nr_cpu_ids() {
            rings.push(CpuRing::new(capacity)?, GFP_KERNEL)?;
        }
        // Records not read yet, and the drops of full rings, are kept as lost ones from now on.
        let lost = current
            .iter()
            .map(|ring| (ring.queued() as u64).wrapping_add(ring.drops.load(Relaxed)))
            .fold(reader.len() as u64, u64::wrapping_add);
        self.lost.fetch_add(lost, Relaxed);
        reader.start = 0;
        reader.end = 0;
        self.batch
            .store(WAKE_BATCH.min(capacity.div_ceil(2)).max(1), Relaxed);
        // SAFETY: No writer is alive and the reader lock is held (checked and taken above).
        let old = core::mem::replace(unsafe { &mut *self.rings.get() }, rings);
        drop(reader);
        // Freed outside the lock: `vfree` may sleep, and takes a while.
        drop(old);
        Ok(())
    }

    /// A writer, whose records count once it is made active ([`RingWriter::activate`]); none
    /// can be made while the rings are being resized. Sleeps: process context only.
    pub(crate) fn writer(self: &Arc<Self>) -> RingWriter {
        let _reader = self.reader.lock();
        self.writers.fetch_add(1, Relaxed);
        RingWriter {
            ring: self.clone(),
            generation: self.generations.fetch_add(1, Relaxed) + 1,
        }
    }

    /// Counts `n` records lost for a reason of the probe's own (in flight when it was
    /// unregistered, say).
    pub(crate) fn count_lost(&self, n: u64) {
        self.lost.fetch_add(n, Relaxed);
    }

    /// Records lost since the module was loaded: rings full, and those counted as lost.
    pub(crate) fn drops(&self) -> u64 {
        // Under the reader lock, so that a resize does not move drops while they are summed.
        let _reader = self.reader.lock();
        // SAFETY: The reader lock is held.
        unsafe { self.rings() }
            .iter()
            .map(|ring| ring.drops.load(Relaxed))
            .fold(self.lost.load(Relaxed), u64::wrapping_add)
    }

    /// How many records make a batch, which a push wakes a waiting reader for and a reader
    /// waits for: [`WAKE_BATCH`], or half a CPU's ring if that is less.
    fn batch(&self) -> usize {
        self.batch.load(Relaxed)
    }

    /// `irq_work` callback: wakes the readers. Runs in a hardirq, or in the CPU's `irq_work`
    /// thread on PREEMPT_RT, where `notify_all` may take the wait queue's lock.
    ///
    /// # Safety
    ///
    /// `work` is the `wake` field of a live `Ring`.
    unsafe extern "C" fn wake_readers(work: *mut bindings::irq_work) {
        // SAFETY: `work` is the `wake` field of a live `Ring` (safety requirement), which
        // syncs it before it is freed; `Opaque` is transparent.
        let ring = unsafe {
            &*work
                .cast::<u8>()
                .sub(core::mem::offset_of!(Ring, wake))
                .cast::<Ring>()
        };
        ring.readable.notify_all();
    }

    /// Takes the published records of every ring into `reader.held`, oldest first (of the
    /// records at the rings' heads, the one with the least time), as many as fit; returns the
    /// time up to which the held records are complete: no record timed at or before it is
    /// still to come. Under the reader lock.
    fn collect(&self, reader: &mut Reader) -> u64 {
        // The clock first, then the tails: a writer that reserves after a tail is read reads
        // the clock after it (pairs with the writer's reservation and, off x86, its fence).
        let now = tcp::ktime_ns();
        fence(SeqCst);
        // SAFETY: Under the reader lock (this function's contract).
        let rings = unsafe { self.rings() };
        for ring in rings {
            ring.seen_tail.store(ring.tail.load(Acquire), Relaxed);
        }
        while reader.len() < reader.held.len() {
            let mut oldest: Option<(&CpuRing, &Slot, u64)> = None;
            for ring in rings {
                let pos = ring.head.load(Relaxed);
                if pos == ring.seen_tail.load(Relaxed) {
                    continue;
                }
                let Some(slot) = ring.slot(pos) else { continue };
                if slot.seq.load(Acquire) != pos.wrapping_mul(2).wrapping_add(1) {
                    continue;
                }
                let time = slot.time.load(Relaxed);
                let older = match oldest {
                    Some((_, _, least)) => time < least,
                    None => true,
                };
                if older {
                    oldest = Some((ring, slot, time));
                }
            }
            let Some((ring, slot, time)) = oldest else {
                break;
            };
            // SAFETY: Published for the ring's head (seen with acquire above), and this reader,
            // under the reader lock, is the one that takes it: the writer is done with it.
            let record = unsafe { ptr::read(slot.record.get()) };
            // Room checked above.
            reader.insert(Held { time, record });
            let pos = ring.head.load(Relaxed);
            // INVARIANT: Taken: free for the position one lap on.
            slot.seq
                .store(pos.wrapping_add(ring.slots.len()).wrapping_mul(2), Release);
            ring.head.store(pos.wrapping_add(1), Relaxed);
        }
        // Slots reserved before the tails were read and not taken (not published yet, or no
        // room): their times, or earlier ones (a slot's previous record's), bound what is
        // complete. Those reserved since are timed after `now`.
        let mut complete = now;
        for ring in rings {
            let (mut pos, tail) = (ring.head.load(Relaxed), ring.seen_tail.load(Relaxed));
            while pos != tail {
                if let Some(slot) = ring.slot(pos) {
                    complete = complete.min(slot.time.load(Relaxed));
                }
                pos = pos.wrapping_add(1);
            }
        }
        complete
    }

    /// How many of the held records may be given: those complete (timed at most at
    /// `complete`), or all of them when the reader's hands are full (records left in the rings
    /// then wait, rather than every read).
    fn ready(reader: &Reader, complete: u64) -> usize {
        if reader.len() == reader.held.len() {
            return reader.len();
        }
        reader.held[reader.start..reader.end].partition_point(|held| held.time <= complete)
    }

    /// Keeps lines that a read took but could not give: they come first in the next read.
    fn put_back(&self, lines: KVec<u8>) {
        let mut reader = self.reader.lock();
        if reader.unread.is_empty() {
            reader.unread = lines;
            return;
        }
        // (Another reader's lines too: the older, these, first.)
        let mut unread = lines;
        if unread
            .extend_from_slice(&reader.unread, GFP_KERNEL)
            .is_err()
        {
            self.lost.fetch_add(count_lines(&reader.unread), Relaxed);
        }
        reader.unread = unread;
    }
}

/// The lines in `bytes`.
fn count_lines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

#[pinned_drop]
impl PinnedDrop for Ring {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: `wake` was initialised as an `irq_work` (type invariants); once synced, its
        // callback no longer runs, and no writer (which queues it) is alive: each holds an
        // `Arc` of this ring.
        unsafe { bindings::irq_work_sync(self.wake.get()) };
    }
}

/// The right to add records to a [`Ring`]: the rings stay as they are while one is alive.
///
/// A ring may have several writers (a probe being moved to another function has two for a
/// moment); records count only from the active one, the last one [activated]. The other keeps
/// following the calls it entered, and counts their records as lost instead.
///
/// [activated]: RingWriter::activate
pub(crate) struct RingWriter {
    ring: Arc<Ring>,
    generation: u64,
}

impl RingWriter {
    /// Makes this writer the one whose records count.
    pub(crate) fn activate(&self) {
        self.ring.active.store(self.generation, Relaxed);
    }

    /// Whether this writer's records count now.
    pub(crate) fn is_active(&self) -> bool {
        self.ring.active.load(Relaxed) == self.generation
    }

    /// Whether this writer is not active yet: it was made after the active one and has not
    /// been activated. (A superseded writer, older than the active one, is not pending.)
    pub(crate) fn is_pending(&self) -> bool {
        self.ring.active.load(Relaxed) < self.generation
    }

    /// The ring written to.
    pub(crate) fn ring(&self) -> &Arc<Ring> {
        &self.ring
    }

    /// Adds a record to the ring of CPU `cpu`, the caller's (`context::cpu()`); `false` if it
    /// was full (the drop is counted). Any context (task, softirq, hardirq, NMI), PREEMPT_RT
    /// or not: no lock, no sleep, no wake-up but through an `irq_work`. (Another CPU's ring
    /// works too, only slower: rings take writers from any CPU.)
    pub(crate) fn push(&self, cpu: usize, record: &Record) -> bool {
        // SAFETY: This writer is alive.
        let rings = unsafe { self.ring.rings() };
        let Some(ring) = rings.get(cpu).or(rings.first()) else {
            self.ring.lost.fetch_add(1, Relaxed);
            return false;
        };
        if !ring.push(record) {
            return false;
        }
        // Once per batch: when the ring holds a batch (a reader that missed it by a moment
        // polls within `READER_POLL_MS`).
        if self.ring.sleepers.load(Relaxed) > 0 && ring.queued() == self.ring.batch() {
            // SAFETY: `wake` is an initialised `irq_work` of a live ring (its invariants),
            // which may be queued from any context.
            unsafe { bindings::irq_work_queue(self.ring.wake.get()) };
        }
        true
    }
}

impl Drop for RingWriter {
    fn drop(&mut self) {
        let _reader = self.ring.reader.lock();
        self.ring.writers.fetch_sub(1, Relaxed);
    }
}

impl ProcRead for Ring {
    fn read(
        &self,
        copy: &mut dyn FnMut(&[u8]) -> Result,
        limit: usize,
        nonblock: bool,
    ) -> Result<usize> {
        let want = limit / MAX_LINE;
        if want == 0 {
            // Smaller than a line: a line is never split between reads.
            return Err(EINVAL);
        }
        let mut out = KVec::with_capacity(want * MAX_LINE, GFP_KERNEL)?;
        {
            let mut reader = self.reader.lock();
            if !reader.unread.is_empty() {
                // The lines a read could not give, whole ones, up to `limit`.
                let unread = &reader.unread;
                let n = unread[..unread.len().min(limit)]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |at| at + 1);
                out.extend_from_slice(&unread[..n], GFP_KERNEL)?;
                let mut rest = KVec::with_capacity(unread.len() - n, GFP_KERNEL)?;
                rest.extend_from_slice(&unread[n..], GFP_KERNEL)?;
                reader.unread = rest;
            } else {
                // Sleeps until a batch of records is there (a push wakes it) or, with some
                // records there, until the next poll.
                let mut polled = false;
                let ready = loop {
                    if self.closing.load(Relaxed) {
                        return Ok(0);
                    }
                    let complete = self.collect(&mut reader);
                    let ready = Self::ready(&reader, complete);
                    if ready > 0 && (nonblock || polled || ready >= self.batch()) {
                        break ready;
                    }
                    if nonblock {
                        return Err(EAGAIN);
                    }
                    // A push that completes a batch between the collect above and the sleep
                    // below finds no sleeper and wakes no one: the poll takes it up within
                    // `READER_POLL_MS` (no fence on the writers' fast path for that).
                    self.sleepers.fetch_add(1, Relaxed);
                    let woken = self
                        .readable
                        .wait_interruptible_timeout(&mut reader, msecs_to_jiffies(READER_POLL_MS));
                    self.sleepers.fetch_sub(1, Relaxed);
                    match woken {
                        CondVarTimeoutResult::Signal { .. } => return Err(ERESTARTSYS),
                        CondVarTimeoutResult::Timeout => polled = true,
                        CondVarTimeoutResult::Woken { .. } => (),
                    }
                };
                let mut line = [0u8; MAX_LINE];
                for _ in 0..ready.min(want) {
                    let held = &reader.held[reader.start];
                    let time = held.time.max(reader.last);
                    let len = held.record.format(time, &mut line);
                    reader.last = time;
                    reader.start += 1;
                    // Within capacity (`want` lines): no allocation.
                    if out.extend_from_slice(&line[..len], GFP_NOWAIT).is_err() {
                        self.lost.fetch_add(1, Relaxed);
                    }
                }
            }
        }
        // Lines that could not be given (a bad buffer) are not lost: the next read gets them.
        let len = out.len();
        if let Err(e) = copy(&out) {
            self.put_back(out);
            return Err(e);
        }
        Ok(len)
    }

    fn release_readers(&self) {
        self.closing.store(true, Relaxed);
        // Under the lock, so that a reader between its check and its sleep cannot miss it.
        drop(self.reader.lock());
        self.readable.notify_all();
    }
}
