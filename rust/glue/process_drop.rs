// SPDX-License-Identifier: GPL-2.0

//! Values dropped in process context, wherever their owner lets go of
//! them.
//!
//! C headers: [include/linux/llist.h](srctree/include/linux/llist.h),
//! [include/linux/workqueue.h](srctree/include/linux/workqueue.h)
//!
//! A [`ProcessDrop<T>`] boxes a `T` whose drop must not run in softirq (a
//! crypto transform, a route cache: what a netfilter hook may hold the
//! last reference to). Dropping it drops nothing at once: the box goes on
//! one lock-free list of the module (`llist_add`, safe in any context) and
//! one work item on `system_dfl_wq` (unbound) drops every box on the list,
//! in process context. This is XFRM's state garbage collector
//! (`xfrm_state_gc_list`, `xfrm_state_gc_work` in `net/xfrm/xfrm_state.c`)
//! for any type. The list and the work item are C data
//! (`rust_ipsec_deferred_list`, `rust_ipsec_deferred_work` in `shims.c`,
//! statically initialised); their work function is
//! [`rust_ipsec_deferred_run`] here. The module holds a [`DeferredDrops`]
//! until every `ProcessDrop` is gone, and waits for the work then.

use core::mem::ManuallyDrop;
use core::ops::Deref;

use kernel::alloc::AllocError;
use kernel::bindings;
use kernel::prelude::*;
use kernel::types::Opaque;

use super::bindings as glue;

/// The start of a boxed value: the list node, and what drops the box.
#[repr(C)]
struct Link {
    /// The node on `rust_ipsec_deferred_list` once dropped.
    node: Opaque<bindings::llist_node>,
    /// Drops the box whose `Link` this is (the box's type is known here).
    drop_box: unsafe fn(*mut Link),
}

/// A value with its link first, so that a node's address is its box's.
#[repr(C)]
struct Boxed<T> {
    link: Link,
    value: T,
}

/// Drops the box `link` starts.
///
/// # Safety
///
/// `link` must come from `KBox::into_raw` of a `KBox<Boxed<T>>`, not used
/// after this.
unsafe fn drop_box<T>(link: *mut Link) {
    // SAFETY: `Link` is the first field of the `repr(C)` `Boxed<T>`, so
    // `link` is the box's address (the caller's guarantee); it is dropped
    // once.
    drop(unsafe { KBox::from_raw(link.cast::<Boxed<T>>()) });
}

/// A boxed `T` dropped in process context (by the module's work item),
/// whatever context drops the `ProcessDrop`. Dereferences to `T`.
///
/// # Invariants
///
/// `boxed` is dropped only in [`ProcessDrop::drop`], which hands it to
/// the work item; its `link.node` is not on the list until then.
pub(crate) struct ProcessDrop<T: Send + 'static> {
    boxed: ManuallyDrop<KBox<Boxed<T>>>,
}

// SAFETY: the link is used only by `drop` (which gives the box up) and by
// the work item after that; the value is `T`, sent to the work item.
unsafe impl<T: Send + 'static> Send for ProcessDrop<T> {}
// SAFETY: `&ProcessDrop<T>` gives only `&T`; the link is not reachable.
unsafe impl<T: Send + Sync + 'static> Sync for ProcessDrop<T> {}

impl<T: Send + 'static> ProcessDrop<T> {
    /// Boxes `value` (in this context, `value` is dropped if allocation
    /// fails).
    pub(crate) fn new(value: T, flags: kernel::alloc::Flags) -> Result<Self, AllocError> {
        let boxed = KBox::new(
            Boxed {
                link: Link {
                    node: Opaque::uninit(),
                    drop_box: drop_box::<T>,
                },
                value,
            },
            flags,
        )?;
        // INVARIANT: the node is not on the list.
        Ok(Self {
            boxed: ManuallyDrop::new(boxed),
        })
    }
}

impl<T: Send + 'static> Deref for ProcessDrop<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.boxed.value
    }
}

impl<T: Send + 'static> Drop for ProcessDrop<T> {
    fn drop(&mut self) {
        // SAFETY: `boxed` is not used after this (we are being dropped).
        let boxed = unsafe { ManuallyDrop::take(&mut self.boxed) };
        let raw = KBox::into_raw(boxed);
        // `link.node` is the first field of the first field of the
        // `repr(C)` `Boxed<T>`, and `Opaque` is `repr(transparent)`.
        let node = raw.cast::<bindings::llist_node>();
        // SAFETY: `node` is the box's list node, not on any list (type
        // invariant); the list now owns the box, and the work item drops
        // it through `link.drop_box` (the box's own type). `llist_add` is
        // safe in any context.
        unsafe { glue::rust_ipsec_deferred_add(node) };
        // SAFETY: the work item is statically initialised; queueing it is
        // safe in any context (a queued item stays queued once).
        unsafe { glue::rust_ipsec_deferred_kick() };
    }
}

/// The work function of `rust_ipsec_deferred_work`: drops every box on
/// the list, in process context.
///
/// # Safety
///
/// Called by the workqueue only (for `rust_ipsec_deferred_work`).
#[no_mangle]
unsafe extern "C" fn rust_ipsec_deferred_run(_work: *mut bindings::work_struct) {
    // SAFETY: takes the whole list; the nodes are ours from now on.
    let mut node = unsafe { glue::rust_ipsec_deferred_take() };
    while !node.is_null() {
        // SAFETY: every node on the list is the start of a box a
        // `ProcessDrop` gave up (see its `drop`), which nothing else
        // uses; read `next` before the box is freed.
        let next = unsafe { (*node).next };
        let link = node.cast::<Link>();
        // SAFETY: as above; `drop_box` is the function of the box's type.
        unsafe { ((*link).drop_box)(link) };
        node = next;
    }
}

/// Held by the module while any [`ProcessDrop`] may exist: dropping it
/// waits until the work item has dropped every box given to it (the work
/// function is the module's code).
pub(crate) struct DeferredDrops(());

impl DeferredDrops {
    /// The module's hold on the work item.
    pub(crate) fn acquire() -> Self {
        Self(())
    }
}

impl Drop for DeferredDrops {
    fn drop(&mut self) {
        // SAFETY: the work item is statically initialised; flushing waits
        // for its last queued run, and nothing queues after the module's
        // namespaces are gone.
        unsafe { glue::rust_ipsec_deferred_flush() };
    }
}
