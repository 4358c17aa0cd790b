// SPDX-License-Identifier: GPL-2.0

//! A read-only file in `/proc/net`, as C's `proc_create_data()` makes one.
//!
//! C header: [`include/linux/proc_fs.h`](srctree/include/linux/proc_fs.h)
//!
//! What readers get is a [`ProcRead`], shared (`Arc`) between the file and whoever produces
//! it. Dropping the [`ProcFile`] removes the file: it first asks the reader side to return
//! ([`ProcRead::release_readers`]), since `proc_remove()` waits for every read in progress.

use core::ptr::{self, NonNull};
use kernel::ffi::{c_char, c_uint, c_ulong, c_void};
use kernel::prelude::*;
use kernel::sync::Arc;

use crate::bindings::{self, layout};

/// The most a read returns at once.
const MAX_READ: usize = 32 * 1024;

/// What a `/proc` file gives its readers.
pub trait ProcRead: Send + Sync + 'static {
    /// Gives the next bytes of the file, at most `limit`, to `copy` (which copies them to the
    /// reader's buffer, or fails with `EFAULT`), and returns how many: 0 is the end of the
    /// file. If `copy` fails, the read fails with its error and should consume nothing, so
    /// that a later read gets the same bytes. May sleep until there is something to read,
    /// unless `nonblock` (`O_NONBLOCK`), when it fails with `EAGAIN` instead. Process context.
    fn read(
        &self,
        copy: &mut dyn FnMut(&[u8]) -> Result,
        limit: usize,
        nonblock: bool,
    ) -> Result<usize>;

    /// Makes every read in progress return, and later ones return at once: the file is going
    /// away, and `proc_remove()` waits for them.
    fn release_readers(&self);
}

/// A file in `/proc/net` (of the initial network namespace); dropping it removes it.
///
/// # Invariants
///
/// `entry` is the `proc_dir_entry` made by `proc_create_data()` in [`ProcFile::new`] with the
/// address of `data`'s value as its data and `Self::OPS` as its operations; it is removed in
/// `drop` before `data` is released.
pub struct ProcFile<T: ProcRead> {
    entry: NonNull<bindings::proc_dir_entry>,
    data: Arc<T>,
}

// SAFETY: The entry may be removed from any task; `T` is `Send + Sync`.
unsafe impl<T: ProcRead> Send for ProcFile<T> {}
// SAFETY: Shared access touches nothing.
unsafe impl<T: ProcRead> Sync for ProcFile<T> {}

impl<T: ProcRead> ProcFile<T> {
    const OPS: bindings::proc_ops = {
        // SAFETY: `proc_ops` is a C struct of function pointers and flags, all valid as zero
        // (`NULL`: the operation is not provided).
        let mut ops: bindings::proc_ops = unsafe { core::mem::zeroed() };
        ops.proc_read = Some(Self::read);
        ops
    };

    /// The operations, as a `'static` reference: the compiler checks that `OPS` is promoted
    /// to a static (as `miscdevice.rs` builds its vtable), which `proc_create_data` keeps.
    const fn ops() -> &'static bindings::proc_ops {
        &Self::OPS
    }

    /// Makes `/proc/net/<name>`, readable by root only (0400, as the old `tcp_probe`'s), whose
    /// reads go to `data`. Sleeps: process context only.
    ///
    /// `proc_create_data()` returns no error code: it fails for lack of memory, or when
    /// `/proc/net` has an entry of that name already (it then warns "already registered").
    /// The name is the module's own, and a module's file is removed before it can be loaded
    /// again, so the latter is another module's doing, not to be told apart without a lookup
    /// that procfs does not export: the error is `ENOMEM`.
    pub fn new(name: &CStr, data: Arc<T>) -> Result<Self> {
        // SAFETY: `init_net` lives as long as the kernel; `proc_net` is a pointer at this
        // offset of it, set at boot.
        let parent = unsafe {
            ptr::read(
                (&raw const bindings::init_net)
                    .cast::<u8>()
                    .add(layout(bindings::KMOD_NET_PROC_NET))
                    .cast::<*mut bindings::proc_dir_entry>(),
            )
        };
        // SAFETY: `name` is a C string, `parent` a directory, the operations are `'static`,
        // and `data` is kept alive by the returned value until the entry is removed.
        let entry = unsafe {
            bindings::proc_create_data(
                name.as_char_ptr(),
                0o400,
                parent,
                Self::ops(),
                core::ptr::from_ref::<T>(&data).cast_mut().cast::<c_void>(),
            )
        };
        // INVARIANT: Made above, with `data`'s value and `OPS`.
        Ok(Self {
            entry: NonNull::new(entry).ok_or(ENOMEM)?,
            data,
        })
    }

    /// `proc_ops.proc_read`: [`ProcRead::read`] into a kernel buffer, then to the user's.
    ///
    /// # Safety
    ///
    /// Called by procfs for a file of an entry made by [`ProcFile::new`], with `ubuf` a user
    /// buffer of `count` bytes.
    unsafe extern "C" fn read(
        file: *mut bindings::file,
        ubuf: *mut c_char,
        count: usize,
        _ppos: *mut bindings::loff_t,
    ) -> isize {
        let file = file.cast::<u8>();
        // SAFETY: `file` is the open file, whose `f_inode` and `f_flags` are at these offsets;
        // the inode's `i_private` is the data the entry was made with (C's `pde_data()`): a
        // `T` that the `ProcFile` keeps alive until the entry is removed, which waits for this
        // call (type invariants).
        let (data, flags) = unsafe {
            let inode = ptr::read(
                file.add(layout(bindings::KMOD_FILE_F_INODE))
                    .cast::<*const u8>(),
            );
            let data = ptr::read(
                inode
                    .add(layout(bindings::KMOD_INODE_I_PRIVATE))
                    .cast::<*const T>(),
            );
            (
                &*data,
                ptr::read(
                    file.add(layout(bindings::KMOD_FILE_F_FLAGS))
                        .cast::<c_uint>(),
                ),
            )
        };
        let nonblock = flags & (bindings::KMOD_O_NONBLOCK as c_uint) != 0;
        let limit = count.min(MAX_READ);
        let mut copy = |bytes: &[u8]| -> Result {
            if bytes.len() > limit {
                return Err(EINVAL);
            }
            // SAFETY: `ubuf` is a user buffer of `count` bytes, no fewer than `bytes.len()`;
            // `copy_to_user` checks it and may fault pages in (it sleeps: no lock is held).
            let left = unsafe {
                kernel::bindings::copy_to_user(
                    ubuf.cast(),
                    bytes.as_ptr().cast(),
                    bytes.len() as c_ulong,
                )
            };
            if left != 0 {
                return Err(EFAULT);
            }
            Ok(())
        };
        match data.read(&mut copy, limit, nonblock) {
            Ok(n) => n as isize,
            Err(e) => e.to_errno() as isize,
        }
    }
}

impl<T: ProcRead> Drop for ProcFile<T> {
    fn drop(&mut self) {
        self.data.release_readers();
        // SAFETY: `entry` was made by `proc_create_data` and not removed yet (type invariant).
        // `proc_remove` returns once no read runs any more, so `data` may be released after.
        unsafe { bindings::proc_remove(self.entry.as_ptr()) };
    }
}
