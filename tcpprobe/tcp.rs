// SPDX-License-Identifier: GPL-2.0

//! TCP sends as a probe on `tcp_sendmsg_locked()` or `tcp_sendmsg()` sees them: the socket's
//! endpoints and state, the task that sends, and the clock.
//!
//! C headers: [`include/net/sock.h`](srctree/include/net/sock.h),
//! [`include/linux/tcp.h`](srctree/include/linux/tcp.h)
//!
//! The fields are read at the offsets this kernel tree gives (`enum kmod_layout` in
//! `bindings_helper.h`), each once, as C's `READ_ONCE` does: the socket may change under a
//! probe on another CPU (its softirq updates the congestion window, say), so a record is a
//! snapshot, not a consistent state.

use core::marker::PhantomData;
use core::ptr::{self, NonNull};
use kernel::prelude::*;

use crate::context::Current;
use crate::kprobe::write_printk_pointer;
use crate::regs::{Regs, RegsLayout, Signature};
use crate::tcp_bindings::{self as bindings, layout};

/// The signature of `tcp_sendmsg_locked(struct sock *sk, struct msghdr *msg, size_t size)`
/// and `tcp_sendmsg()`, which has the same.
pub(crate) struct Sendmsg;

/// The arguments of a TCP send.
pub(crate) struct SendmsgArgs<'a> {
    /// The socket sent on.
    pub(crate) sock: TcpSock<'a>,
    /// The bytes asked to be sent.
    pub(crate) size: usize,
}

// SAFETY: Both functions take a `struct sock *` of a TCP socket first, valid for the call (the
// caller holds a reference to it), and a `size_t` third.
unsafe impl Signature for Sendmsg {
    const SYMBOLS: &'static [&'static CStr] = &[
        kernel::c_str!("tcp_sendmsg_locked"),
        kernel::c_str!("tcp_sendmsg"),
    ];
    /// `None` if the socket pointer is NULL (no caller passes one; a probe then leaves the
    /// call alone rather than make a socket of it).
    type Args<'a> = Option<SendmsgArgs<'a>>;

    unsafe fn read<L: RegsLayout>(regs: &Regs<Self, L>) -> Option<SendmsgArgs<'_>> {
        let sk = NonNull::new(regs.arg(0)? as *mut u8)?;
        Some(SendmsgArgs {
            // INVARIANT: `sk` is the call's socket, not NULL, valid during the call (safety
            // requirement).
            sock: TcpSock {
                sk,
                _call: PhantomData,
            },
            size: regs.arg(2)?,
        })
    }
}

/// A TCP socket (`struct tcp_sock`, which starts with its `struct sock`), during a call that
/// holds it.
///
/// # Invariants
///
/// `sk` points to a TCP socket that stays valid for `'a`.
#[derive(Clone, Copy)]
pub(crate) struct TcpSock<'a> {
    sk: NonNull<u8>,
    _call: PhantomData<&'a ()>,
}

// The fields read below, with the sizes their reads assume.
const _: () = {
    assert!(layout(bindings::KMOD_SIZEOF_SND_CWND) == 4);
    assert!(layout(bindings::KMOD_SIZEOF_SRTT_US) == 4);
    assert!(layout(bindings::KMOD_SIZEOF_SND_WND) == 4);
    assert!(layout(bindings::KMOD_SIZEOF_TGID) == 4);
    assert!(layout(bindings::KMOD_SIZEOF_COMM) == 16);
};

impl TcpSock<'_> {
    /// Reads the `T` at `offset`, once.
    ///
    /// # Safety
    ///
    /// A field of type `T` is at `offset` in `struct tcp_sock`.
    unsafe fn field<T: Copy>(&self, offset: usize) -> T {
        // SAFETY: `sk` is valid (type invariant) and has such a field there (safety
        // requirement); it may be written concurrently, hence one volatile read.
        unsafe { ptr::read_volatile(self.sk.as_ptr().add(offset).cast::<T>()) }
    }

    /// The address family, `AF_INET` or `AF_INET6`.
    pub(crate) fn family(&self) -> u16 {
        // SAFETY: `skc_family` is an `unsigned short`.
        unsafe { self.field(layout(bindings::KMOD_SK_FAMILY)) }
    }

    /// The local (source) endpoint.
    pub(crate) fn local(&self) -> Endpoint {
        // SAFETY: `skc_num` is the local port, a host-order `__u16`.
        let port: u16 = unsafe { self.field(layout(bindings::KMOD_SK_NUM)) };
        self.endpoint(
            port,
            layout(bindings::KMOD_SK_RCV_SADDR),
            layout(bindings::KMOD_SK_V6_RCV_SADDR),
        )
    }

    /// The remote (destination) endpoint.
    pub(crate) fn remote(&self) -> Endpoint {
        // SAFETY: `skc_dport` is the remote port, a network-order `__be16`.
        let port: u16 = unsafe { self.field(layout(bindings::KMOD_SK_DPORT)) };
        self.endpoint(
            u16::from_be(port),
            layout(bindings::KMOD_SK_DADDR),
            layout(bindings::KMOD_SK_V6_DADDR),
        )
    }

    fn endpoint(&self, port: u16, v4: usize, v6: usize) -> Endpoint {
        let family = self.family();
        let mut addr = [0u8; 16];
        if family == bindings::KMOD_AF_INET6 as u16 && bindings::KMOD_HAS_IPV6 != 0 {
            // SAFETY: With IPv6, `skc_v6_*` are `struct in6_addr`s: 16 bytes.
            addr = unsafe { self.field(v6) };
        } else {
            // SAFETY: `skc_daddr` and `skc_rcv_saddr` are `__be32`s: 4 bytes.
            let v4: [u8; 4] = unsafe { self.field(v4) };
            addr[..4].copy_from_slice(&v4);
        }
        Endpoint { family, addr, port }
    }

    /// The congestion window, in segments (`snd_cwnd`).
    pub(crate) fn snd_cwnd(&self) -> u32 {
        // SAFETY: A `u32` (asserted above).
        unsafe { self.field(layout(bindings::KMOD_TP_SND_CWND)) }
    }

    /// The smoothed round-trip time, in microseconds (`srtt_us`, kept shifted left by 3).
    pub(crate) fn srtt_us(&self) -> u32 {
        // SAFETY: A `u32` (asserted above).
        let srtt: u32 = unsafe { self.field(layout(bindings::KMOD_TP_SRTT_US)) };
        srtt >> 3
    }

    /// The window the peer advertised, in bytes (`snd_wnd`).
    pub(crate) fn snd_wnd(&self) -> u32 {
        // SAFETY: A `u32` (asserted above).
        unsafe { self.field(layout(bindings::KMOD_TP_SND_WND)) }
    }
}

/// An address and port of an IPv4 or IPv6 socket. Displays as C's `%pISpc` does:
/// `127.0.0.1:5001`, `[::1]:5001` (through `core::fmt`, for writing into a buffer).
#[derive(Clone, Copy, Default)]
pub(crate) struct Endpoint {
    family: u16,
    /// An IPv4 address in its first 4 bytes, or an IPv6 address, in network order.
    addr: [u8; 16],
    port: u16,
}

impl Endpoint {
    /// The port, in host order.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// The address, if IPv4.
    pub(crate) fn ipv4(&self) -> Option<[u8; 4]> {
        if self.family == bindings::KMOD_AF_INET6 as u16 {
            return None;
        }
        Some([self.addr[0], self.addr[1], self.addr[2], self.addr[3]])
    }
}

/// Room for a `struct sockaddr_in6`, the larger of the two (uapi layouts).
#[repr(C, align(8))]
struct SockaddrStorage([u8; 28]);

impl core::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut sa = SockaddrStorage([0; 28]);
        // sin_family / sin6_family, then sin_port / sin6_port (network order), then the
        // address: at 4 in a `sockaddr_in`, at 8 (after `sin6_flowinfo`) in a `sockaddr_in6`.
        sa.0[0..2].copy_from_slice(&self.family.to_ne_bytes());
        sa.0[2..4].copy_from_slice(&self.port.to_be_bytes());
        if self.family == bindings::KMOD_AF_INET6 as u16 {
            sa.0[8..24].copy_from_slice(&self.addr);
        } else {
            sa.0[4..8].copy_from_slice(&self.addr[..4]);
        }
        // SAFETY: `%pISpc` takes a `struct sockaddr *` of the family it holds, which `sa` is.
        unsafe { write_printk_pointer(f, kernel::c_str!("%pISpc"), sa.0.as_ptr().cast()) }
    }
}

/// The process id (`tgid`, what user space calls the pid) of the task running the caller
/// (`current`, read by the caller).
pub(crate) fn current_tgid(current: Current) -> i32 {
    // SAFETY: `tgid` is a `pid_t` (asserted above) at this offset of the current task, which is
    // alive while it runs this; set before the task first ran.
    unsafe {
        ptr::read(
            current
                .as_ptr()
                .add(layout(bindings::KMOD_TASK_TGID))
                .cast::<i32>(),
        )
    }
}

/// The task running the caller (`current`, read by the caller): its process id
/// ([`current_tgid`]) and name (`comm`, NUL-padded).
pub(crate) fn current_task(current: Current) -> (i32, [u8; 16]) {
    let task = current.as_ptr();
    // SAFETY: `comm` is a `char[16]` (asserted above) at this offset of the current task, which
    // is alive while it runs this; `comm` may be rewritten meanwhile (`prctl(PR_SET_NAME)`), as
    // C's `get_task_comm()` allows: a torn name, never a fault.
    let comm = unsafe { task.add(layout(bindings::KMOD_TASK_COMM)) };
    let mut name = [0u8; 16];
    if layout(bindings::KMOD_TASK_COMM) % core::mem::align_of::<u64>() == 0 {
        // Two word loads (a volatile byte array is read a byte at a time).
        // SAFETY: As above; the name is 8-aligned in the (8-aligned) task here.
        let words = unsafe {
            [
                ptr::read_volatile(comm.cast::<u64>()),
                ptr::read_volatile(comm.cast::<u64>().add(1)),
            ]
        };
        name[..8].copy_from_slice(&words[0].to_ne_bytes());
        name[8..].copy_from_slice(&words[1].to_ne_bytes());
    } else {
        // SAFETY: As above.
        name = unsafe { ptr::read_volatile(comm.cast::<[u8; 16]>()) };
    }
    (current_tgid(current), name)
}

/// Nanoseconds since boot on the monotonic clock, callable from any context:
/// `ktime_get_mono_fast_ns()`.
pub(crate) fn ktime_ns() -> u64 {
    // SAFETY: Takes no arguments; safe in any context, NMI included.
    unsafe { bindings::ktime_get_mono_fast_ns() }
}
