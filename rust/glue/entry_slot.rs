// SPDX-License-Identifier: GPL-2.0

//! The entry points a registration hands C callbacks: a static slot that
//! holds a `&'static T` while the registration lasts, so that `extern "C"`
//! functions (which cannot be generic) reach the generic code registered.

use core::sync::atomic::{AtomicPtr, Ordering};

use kernel::prelude::*;

/// A slot for one registration's `&'static T`.
///
/// # Invariants
///
/// `ptr` is null or comes from a `&'static T`.
pub(crate) struct EntrySlot<T: 'static> {
    ptr: AtomicPtr<T>,
}

impl<T: 'static> EntrySlot<T> {
    /// An empty slot.
    pub(crate) const fn new() -> Self {
        // INVARIANT: null.
        Self {
            ptr: AtomicPtr::new(core::ptr::null_mut()),
        }
    }

    /// Fills the slot with `entry`; `EBUSY` when it is already full (one
    /// registration at a time).
    pub(crate) fn fill(&self, entry: &'static T) -> Result {
        // INVARIANT: from a `&'static T`.
        self.ptr
            .compare_exchange(
                core::ptr::null_mut(),
                core::ptr::from_ref(entry).cast_mut(),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .map(|_| ())
            .map_err(|_| EBUSY)
    }

    /// Empties the slot (after the registration ended).
    pub(crate) fn clear(&self) {
        self.ptr.store(core::ptr::null_mut(), Ordering::Release);
    }

    /// What the slot holds, if anything.
    pub(crate) fn get(&self) -> Option<&'static T> {
        let p = self.ptr.load(Ordering::Acquire);
        // SAFETY: null or from a `&'static T` (invariant).
        unsafe { p.cast_const().as_ref() }
    }
}
