// SPDX-License-Identifier: GPL-2.0

//! A delayed work item on `system_wq` that can be re-armed and cancelled.
//!
//! C header: [include/linux/workqueue.h](srctree/include/linux/workqueue.h)
//!
//! `kernel::workqueue` cannot cancel a queued item, which a per-namespace
//! timer needs when its namespace goes away; this wraps a raw
//! `struct delayed_work` instead. The owner embeds a [`TimedWork`] (pinned)
//! and must call [`TimedWork::cancel_sync`] before it is freed.

use kernel::bindings;
use kernel::prelude::*;
use kernel::types::Opaque;

use super::bindings as glue;

/// A `struct delayed_work`.
///
/// # Invariants
///
/// `dw` was initialised with a callback by [`TimedWork::new`].
#[repr(transparent)]
#[pin_data]
pub(crate) struct TimedWork {
    #[pin]
    dw: Opaque<bindings::delayed_work>,
}

// SAFETY: the workqueue API synchronises every access to `dw`.
unsafe impl Sync for TimedWork {}
// SAFETY: as above.
unsafe impl Send for TimedWork {}

impl TimedWork {
    /// A work item running `func`, not queued.
    ///
    /// `func` receives the address of this `TimedWork` (cast to
    /// `work_struct`), from which the owner recovers itself with
    /// `container_of!`.
    pub(crate) fn new(
        func: unsafe extern "C" fn(*mut bindings::work_struct),
    ) -> impl PinInit<Self> {
        pin_init!(Self {
            dw <- Opaque::ffi_init(move |p: *mut bindings::delayed_work| {
                // SAFETY: `p` is valid for writes and pinned.
                unsafe { glue::rust_ipsec_delayed_work_init(p, Some(func)) }
            }),
        })
    }

    /// (Re-)arms the work to run in `secs` seconds.
    pub(crate) fn schedule_in(&self, secs: u64) {
        let ms = u32::try_from(secs.saturating_mul(1000)).unwrap_or(u32::MAX);
        let delay = kernel::time::msecs_to_jiffies(ms);
        // SAFETY: `dw` is initialised (type invariant) and pinned.
        unsafe { glue::rust_ipsec_delayed_work_schedule(self.dw.get(), delay) };
    }

    /// Cancels the work and waits until it is not running; it may be
    /// freed afterwards (a callback that re-arms itself is handled).
    pub(crate) fn cancel_sync(&self) {
        // SAFETY: `dw` is initialised (type invariant).
        unsafe { bindings::cancel_delayed_work_sync(self.dw.get()) };
    }

    /// The `TimedWork` a callback was called for.
    ///
    /// # Safety
    ///
    /// `work` must be the argument the workqueue passed to the callback of
    /// a live [`TimedWork`].
    pub(crate) unsafe fn from_work<'a>(work: *mut bindings::work_struct) -> &'a Self {
        // SAFETY: `work` is the first field of `delayed_work`, the only
        // field of this `repr(transparent)` type; the caller guarantees it
        // is live.
        unsafe { &*work.cast::<Self>() }
    }
}

/// Defines `unsafe extern "C" fn $callback` for the [`TimedWork`] in field
/// `$field` of `$owner`, calling `$owner::$method(&self)` when it runs.
/// The owner must be pinned and must cancel the work before it is freed.
macro_rules! timed_work_callback {
    ($callback:ident, $owner:ty, $field:ident, $method:ident) => {
        /// Workqueue callback of the `TimedWork` in `$owner.$field`.
        ///
        /// # Safety
        ///
        /// Called by the workqueue only, for that work item.
        unsafe extern "C" fn $callback(work: *mut kernel::bindings::work_struct) {
            // SAFETY: the workqueue passes the work item of a live owner
            // (owners cancel the work before they are freed).
            let work = unsafe { $crate::glue::timed_work::TimedWork::from_work(work) };
            // SAFETY: `work` is the `$field` field of a pinned `$owner`.
            let owner = unsafe {
                &*kernel::container_of!(core::ptr::from_ref(work).cast_mut(), $owner, $field)
            };
            owner.$method();
        }
    };
}
pub(crate) use timed_work_callback;
