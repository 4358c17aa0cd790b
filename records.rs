// SPDX-License-Identifier: GPL-2.0

//! `rust_tcpprobe`'s records: one per TCP send, in a ring that `/proc/net/rust_tcpprobe`
//! reads, one line per record.
//!
//! The probe's return handler adds a record ([`Ring::push`]); a full ring drops it and counts
//! the drop, as the old `tcp_probe` did without counting. A reader takes records out in order;
//! when there is none it sleeps until one comes (or fails with `EAGAIN` when opened with
//! `O_NONBLOCK`). A record's line:
//!
//! ```text
//! <seconds>.<ns> <pid> <comm> <source addr:port> <destination addr:port> <size> <result>
//!     <call ns> <snd_cwnd> <srtt us> <snd_wnd>
//! ```
//!
//! (one line), e.g. `123.456789012 211 python3 127.0.0.1:40000 127.0.0.1:5001 64 64 5312 10 21
//! 65483`: the send's start on the monotonic clock, the sending process and its name (bytes
//! outside printable ASCII as `?`), the socket's endpoints (IPv6 as `[addr]:port`), the bytes
//! asked, what the call returned (bytes queued, or a negative errno), how long the call took,
//! and the socket's congestion window (segments), smoothed RTT (µs) and peer window (bytes) at
//! the send's start.

use core::fmt::Write;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use kernel::prelude::*;
use kernel::sync::{Arc, CondVar, CondVarTimeoutResult, SpinLock};
use kernel::time::msecs_to_jiffies;

use crate::procfs::ProcRead;
use crate::tcp::Endpoint;

/// One TCP send.
#[derive(Clone, Copy, Default)]
pub(crate) struct Record {
    /// When the call started, in ns on the monotonic clock.
    pub(crate) start_ns: u64,
    /// The sending process (`tgid`).
    pub(crate) pid: i32,
    /// The sending task's name, NUL-padded.
    pub(crate) comm: [u8; 16],
    pub(crate) src: Endpoint,
    pub(crate) dst: Endpoint,
    /// The bytes asked to be sent.
    pub(crate) size: usize,
    /// What the call returned: bytes queued, or a negative errno.
    pub(crate) result: i64,
    /// How long the call took, in ns.
    pub(crate) call_ns: u64,
    pub(crate) snd_cwnd: u32,
    pub(crate) srtt_us: u32,
    pub(crate) snd_wnd: u32,
}

/// A push wakes a waiting reader once the ring holds this many records (or half of it, if
/// smaller): a reader woken per record would cost each TCP send two context switches and a
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
    /// Writes the record's line (see the module's documentation) into `buf`; its length.
    fn format(&self, buf: &mut [u8; MAX_LINE]) -> usize {
        let mut line = Line { buf, len: 0 };
        line.dec(self.start_ns / 1_000_000_000, 1);
        line.bytes(b".");
        line.dec(self.start_ns % 1_000_000_000, 9);
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
            self.call_ns,
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

/// The ring's contents, under its lock.
struct Slots {
    records: KVVec<Record>,
    /// Index of the oldest record.
    head: usize,
    /// Records held, at most `records.len()`.
    len: usize,
    /// Readers asleep waiting for records: a push wakes them only if there are any.
    sleepers: usize,
}

impl Slots {
    /// How many records make a batch, which a push wakes a waiting reader for and a reader
    /// waits for: [`WAKE_BATCH`], or half the ring if that is less.
    fn batch(&self) -> usize {
        WAKE_BATCH.min(self.records.len().div_ceil(2))
    }
}

/// The ring of records, shared by the probe (which adds) and the `/proc` file (which reads).
///
/// A spinlock guards it: the probe adds from its handler, which cannot sleep, and the reader
/// copies records out under it, formatting them only after releasing it.
#[pin_data]
pub(crate) struct Ring {
    #[pin]
    slots: SpinLock<Slots>,
    #[pin]
    readable: CondVar,
    /// Set when the file goes away: readers return.
    closing: AtomicBool,
    /// Records dropped because the ring was full.
    drops: AtomicU64,
}

impl Ring {
    /// An empty ring, with no room yet ([`Ring::resize`] gives it some).
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                slots <- kernel::new_spinlock!(Slots {
                    records: KVVec::new(),
                    head: 0,
                    len: 0,
                    sleepers: 0,
                }),
                readable <- kernel::new_condvar!(),
                closing: AtomicBool::new(false),
                drops: AtomicU64::new(0),
            }),
            GFP_KERNEL,
        )
    }

    /// Gives the ring room for `capacity` records, unless it has that already. The records it
    /// held are dropped (and counted as drops). Sleeps: process context only.
    pub(crate) fn resize(&self, capacity: usize) -> Result {
        if self.slots.lock().records.len() == capacity {
            return Ok(());
        }
        let mut records = KVVec::with_capacity(capacity, GFP_KERNEL)?;
        for _ in 0..capacity {
            records.push(Record::default(), GFP_KERNEL)?;
        }
        let old = {
            let mut slots = self.slots.lock();
            let dropped = slots.len as u64;
            self.drops.fetch_add(dropped, Relaxed);
            slots.head = 0;
            slots.len = 0;
            core::mem::replace(&mut slots.records, records)
        };
        // Freed outside the spinlock: `vfree` may sleep.
        drop(old);
        Ok(())
    }

    /// Adds a record; `false` if the ring was full and the record dropped (and counted).
    /// Callable from a probe handler.
    pub(crate) fn push(&self, record: &Record) -> bool {
        let mut slots = self.slots.lock();
        let capacity = slots.records.len();
        if slots.len == capacity {
            drop(slots);
            self.drops.fetch_add(1, Relaxed);
            return false;
        }
        let tail = (slots.head + slots.len) % capacity;
        slots.records[tail] = *record;
        slots.len += 1;
        let wake = slots.sleepers > 0 && slots.len >= slots.batch();
        drop(slots);
        if wake {
            self.readable.notify_all();
        }
        true
    }

    /// Records dropped because the ring was full, since the module was loaded.
    pub(crate) fn drops(&self) -> u64 {
        self.drops.load(Relaxed)
    }
}

impl ProcRead for Ring {
    fn read(&self, out: &mut KVec<u8>, limit: usize, nonblock: bool) -> Result {
        let want = limit / MAX_LINE;
        if want == 0 {
            // Smaller than a line: a line is never split between reads.
            return Err(EINVAL);
        }
        let mut taken = KVec::with_capacity(want, GFP_KERNEL)?;
        {
            let mut slots = self.slots.lock();
            // Sleeps until a batch of records is there (a push wakes it) or, with some records
            // there, until the next poll.
            let mut polled = false;
            while slots.len == 0 || (!polled && slots.len < slots.batch()) {
                if self.closing.load(Relaxed) {
                    return Ok(());
                }
                if nonblock {
                    if slots.len > 0 {
                        break;
                    }
                    return Err(EAGAIN);
                }
                slots.sleepers += 1;
                let woken = self
                    .readable
                    .wait_interruptible_timeout(&mut slots, msecs_to_jiffies(READER_POLL_MS));
                slots.sleepers -= 1;
                match woken {
                    CondVarTimeoutResult::Signal { .. } => return Err(ERESTARTSYS),
                    CondVarTimeoutResult::Timeout => polled = true,
                    CondVarTimeoutResult::Woken { .. } => (),
                }
            }
            while slots.len > 0 && taken.len() < want {
                let head = slots.head;
                // Within capacity: no allocation under the spinlock.
                taken.push(slots.records[head], GFP_ATOMIC)?;
                slots.head = (head + 1) % slots.records.len();
                slots.len -= 1;
            }
        }
        let mut line = [0u8; MAX_LINE];
        for record in taken.iter() {
            let len = record.format(&mut line);
            out.extend_from_slice(&line[..len], GFP_KERNEL)?;
        }
        Ok(())
    }

    fn release_readers(&self) {
        self.closing.store(true, Relaxed);
        // Under the lock, so that a reader between its check and its sleep cannot miss it.
        drop(self.slots.lock());
        self.readable.notify_all();
    }
}
