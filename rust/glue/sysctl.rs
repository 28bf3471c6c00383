// SPDX-License-Identifier: GPL-2.0

//! Per-namespace sysctl tables of validated integers.
//!
//! C header: [include/linux/sysctl.h](srctree/include/linux/sysctl.h)
//!
//! A [`Table`] owns its integer values. Each entry reads and writes one
//! through `proc_dointvec` on a private copy, then asks a [`Validator`]
//! whether the parsed value may be stored. A refused write fails with
//! `EINVAL` and changes nothing.

use core::ptr::NonNull;
use core::sync::atomic::{AtomicI32, Ordering};

use kernel::bindings;
use kernel::ffi::{c_int, c_void};
use kernel::prelude::*;
use kernel::str::CStrExt;

use super::pernet::StateNet;

/// Decides which values an entry accepts. `index` is the entry's
/// position in the table it was registered with.
pub(crate) trait Validator: 'static {
    /// The value to store, or `None` to refuse the write with `EINVAL`.
    fn validate(index: usize, value: i64) -> Option<i32>;
}

/// A sysctl table registered in one namespace, owning the values its
/// entries read and write; dropping it unregisters it.
///
/// # Invariants
///
/// `header` is the live registration of `entries`, whose `data` pointers
/// point into `values` (a heap buffer that never reallocates).
pub(crate) struct Table {
    header: NonNull<bindings::ctl_table_header>,
    entries: KVec<bindings::ctl_table>,
    values: KVec<AtomicI32>,
}

// SAFETY: the header is only used by `Drop`; the values are atomics; the
// kernel synchronises its own accesses to the table.
unsafe impl Send for Table {}
// SAFETY: as above; `&self` methods only read atomics.
unsafe impl Sync for Table {}

impl Table {
    /// Registers one integer entry (mode 0644) per `(name, initial value)`
    /// under `path` in `net`. `V` validates writes; its `index` is the
    /// entry's position in `items`.
    pub(crate) fn register<V: Validator>(
        net: &StateNet,
        path: &'static CStr,
        items: impl Iterator<Item = (&'static CStr, i32)> + Clone,
    ) -> Result<Self> {
        let mut values = KVec::new();
        for (_, initial) in items.clone() {
            values.push(AtomicI32::new(initial), GFP_KERNEL)?;
        }
        // `values` is complete: its buffer no longer moves.
        let mut entries = KVec::with_capacity(values.len(), GFP_KERNEL)?;
        for (index, ((name, _), cell)) in items.zip(values.iter()).enumerate() {
            entries.push(
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
        }
        // SAFETY: `net` is live; `path` is NUL-terminated; `entries` is a
        // heap array of `entries.len()` initialised entries whose data
        // point into `values`; both stay at their addresses while `Self`
        // owns them, and `Drop` unregisters before they are freed.
        let header = unsafe {
            bindings::register_net_sysctl_sz(
                net.net().as_ptr(),
                path.as_char_ptr(),
                entries.as_ptr(),
                entries.len(),
            )
        };
        let header = NonNull::new(header).ok_or(ENOMEM)?;
        // INVARIANT: `header` registers `entries`, which point into `values`.
        Ok(Self {
            header,
            entries,
            values,
        })
    }

    /// The current value of entry `index`.
    pub(crate) fn get(&self, index: usize) -> Option<i32> {
        self.values.get(index).map(|v| v.load(Ordering::Relaxed))
    }
}

impl Drop for Table {
    fn drop(&mut self) {
        // SAFETY: by the type invariant `header` is live; after this the
        // kernel no longer touches `entries` or `values`, freed next.
        unsafe { bindings::unregister_net_sysctl_table(self.header.as_ptr()) };
        let _ = (&self.entries, &self.values);
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
    // SAFETY: `data` points into the table's `values`, alive while the
    // table is registered (type invariant of `Table`).
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
