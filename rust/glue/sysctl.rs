// SPDX-License-Identifier: GPL-2.0

//! Per-namespace sysctl tables of validated integers.
//!
//! C header: [include/linux/sysctl.h](srctree/include/linux/sysctl.h)
//!
//! Each entry reads and writes an [`AtomicI32`] through `proc_dointvec` on
//! a private copy, then asks a [`Validator`] whether the parsed value may
//! be stored. A refused write fails with `EINVAL` and changes nothing.

use core::marker::PhantomData;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicI32, Ordering};

use kernel::bindings;
use kernel::ffi::{c_int, c_void};
use kernel::prelude::*;
use kernel::str::CStrExt;

use super::pernet::Net;

/// Decides which values an entry accepts. `index` is the entry's
/// position in the table it was registered with.
pub(crate) trait Validator: 'static {
    /// The value to store, or `None` to refuse the write with `EINVAL`.
    fn validate(index: usize, value: i64) -> Option<i32>;
}

/// Builds sysctl entries for one table.
pub(crate) struct TableBuilder<V: Validator> {
    entries: KVec<bindings::ctl_table>,
    _validator: PhantomData<V>,
}

impl<V: Validator> TableBuilder<V> {
    /// An empty table.
    pub(crate) fn new() -> Self {
        Self {
            entries: KVec::new(),
            _validator: PhantomData,
        }
    }

    /// Adds the entry `name` (mode 0644) storing into `cell`.
    ///
    /// `cell` must stay at its address until the registered table is
    /// dropped; [`Table::register`] makes the caller promise that.
    pub(crate) fn push(&mut self, name: &'static CStr, cell: &AtomicI32) -> Result {
        let index = self.entries.len();
        self.entries.push(
            bindings::ctl_table {
                procname: name.as_char_ptr(),
                data: cell.as_ptr().cast::<c_void>(),
                maxlen: core::mem::size_of::<c_int>() as c_int,
                mode: 0o644,
                proc_handler: Some(validated_int_handler::<V>),
                // The handler finds the validator's index here.
                extra1: index as *mut c_void,
                ..Default::default()
            },
            GFP_KERNEL,
        )?;
        Ok(())
    }
}

/// A sysctl table registered in one namespace; dropping it unregisters it.
///
/// # Invariants
///
/// `header` is the live registration of `entries`.
pub(crate) struct Table {
    header: NonNull<bindings::ctl_table_header>,
    entries: KVec<bindings::ctl_table>,
}

// SAFETY: the header is only used by `Drop`; the kernel synchronises its
// own accesses to the table.
unsafe impl Send for Table {}
// SAFETY: `Table` has no methods taking `&self`.
unsafe impl Sync for Table {}

impl Table {
    /// Registers `builder`'s entries under `path` in `net`.
    ///
    /// # Safety
    ///
    /// Every cell passed to [`TableBuilder::push`] must stay valid and at
    /// its address until the returned [`Table`] is dropped.
    pub(crate) unsafe fn register<V: Validator>(
        net: Net,
        path: &'static CStr,
        builder: TableBuilder<V>,
    ) -> Result<Self> {
        let entries = builder.entries;
        // SAFETY: `net` is live; `path` is NUL-terminated; `entries` is a
        // heap array of `entries.len()` initialised entries that stays at
        // its address while `Self` owns it, and each entry's data is valid
        // by the caller's promise.
        let header = unsafe {
            bindings::register_net_sysctl_sz(
                net.as_ptr(),
                path.as_char_ptr(),
                entries.as_ptr(),
                entries.len(),
            )
        };
        let header = NonNull::new(header).ok_or(ENOMEM)?;
        // INVARIANT: `header` registers `entries`.
        Ok(Self { header, entries })
    }
}

impl Drop for Table {
    fn drop(&mut self) {
        // SAFETY: by the type invariant `header` is live; after this the
        // kernel no longer touches `entries`, which are freed next.
        unsafe { bindings::unregister_net_sysctl_table(self.header.as_ptr()) };
        let _ = &self.entries;
    }
}

/// `proc_handler` of every entry: parse with `proc_dointvec` into a local,
/// validate, then store.
///
/// # Safety
///
/// Called by the kernel only, for an entry built by [`TableBuilder::push`]
/// of a registered [`Table`], with the buffer arguments of a sysctl read or
/// write.
unsafe extern "C" fn validated_int_handler<V: Validator>(
    table: *const bindings::ctl_table,
    write: c_int,
    buffer: *mut c_void,
    lenp: *mut usize,
    ppos: *mut bindings::loff_t,
) -> c_int {
    // SAFETY: the kernel passes one of our registered entries.
    let entry = unsafe { &*table };
    // SAFETY: `data` is the `AtomicI32` given to `push`, valid while the
    // table is registered (the `register` contract).
    let cell = unsafe { AtomicI32::from_ptr(entry.data.cast::<i32>()) };
    let index = entry.extra1 as usize;
    let mut value: c_int = cell.load(Ordering::Relaxed);
    let mut local = *entry;
    local.data = (&raw mut value).cast::<c_void>();
    // SAFETY: `local` is an int entry whose data is `value`, alive for the
    // call; the other arguments come unchanged from the kernel.
    let ret = unsafe { bindings::proc_dointvec(&local, write, buffer, lenp, ppos) };
    if ret != 0 || write == 0 {
        return ret;
    }
    match V::validate(index, i64::from(value)) {
        Some(v) => {
            cell.store(v, Ordering::Relaxed);
            0
        }
        None => EINVAL.to_errno(),
    }
}
