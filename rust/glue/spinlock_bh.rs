// SPDX-License-Identifier: GPL-2.0

//! A spinlock taken with bottom halves disabled (`spin_lock_bh`).
//!
//! C header: [include/linux/spinlock.h](srctree/include/linux/spinlock.h)
//!
//! Data the datapath (softirq) shares with process context (PF_KEY) must be
//! locked with softirqs off on the process side, or a softirq taking the
//! same lock on that CPU deadlocks (lockdep: `{IN-SOFTIRQ-W} ->
//! {SOFTIRQ-ON-W}`). `kernel::sync` has `SpinLock` (`spin_lock`) and
//! `SpinLockIrq` only; this is a [`Backend`] for `Lock` calling the `_bh`
//! variants through shims (they are macros/inlines in C).

use kernel::bindings;
use kernel::sync::lock::{Backend, Lock};

use super::bindings as glue_bindings;

/// A `Lock` whose critical sections run with bottom halves disabled.
pub(crate) type SpinLockBh<T> = Lock<T, SpinLockBhBackend>;

/// Creates a [`SpinLockBh`] initialiser with a new lock class.
macro_rules! new_spinlock_bh {
    ($inner:expr, $name:expr) => {
        $crate::glue::spinlock_bh::SpinLockBh::new($inner, $name, ::kernel::static_lock_class!())
    };
}
pub(crate) use new_spinlock_bh;

/// The `spin_lock_bh` backend.
pub(crate) struct SpinLockBhBackend;

// SAFETY: `lock` and `unlock` are `spin_lock_bh`/`spin_unlock_bh` on the
// same `spinlock_t`, which give mutual exclusion; `init` initialises it.
unsafe impl Backend for SpinLockBhBackend {
    type State = bindings::spinlock_t;
    type GuardState = ();

    unsafe fn init(
        ptr: *mut Self::State,
        name: *const kernel::ffi::c_char,
        key: *mut bindings::lock_class_key,
    ) {
        // SAFETY: the caller guarantees `ptr` is valid for writes and `name`
        // and `key` valid for reads indefinitely.
        unsafe { bindings::__spin_lock_init(ptr, name, key) }
    }

    unsafe fn lock(ptr: *mut Self::State) -> Self::GuardState {
        // SAFETY: the caller guarantees `ptr` is an initialised lock.
        unsafe { glue_bindings::rust_ipsec_spin_lock_bh(ptr) }
    }

    unsafe fn unlock(ptr: *mut Self::State, _guard_state: &Self::GuardState) {
        // SAFETY: the caller guarantees `ptr` is a lock it holds.
        unsafe { glue_bindings::rust_ipsec_spin_unlock_bh(ptr) }
    }

    unsafe fn try_lock(ptr: *mut Self::State) -> Option<Self::GuardState> {
        // SAFETY: the caller guarantees `ptr` is an initialised lock.
        (unsafe { glue_bindings::rust_ipsec_spin_trylock_bh(ptr) } != 0).then_some(())
    }

    unsafe fn assert_is_held(ptr: *mut Self::State) {
        // SAFETY: the caller guarantees `ptr` is an initialised lock.
        unsafe { bindings::spin_assert_is_held(ptr) }
    }
}

/// Bottom halves disabled on this CPU while the value lives
/// (`local_bh_disable`/`local_bh_enable`): for per-CPU data a softirq on
/// the same CPU also uses (the route cache, the AEAD scratch).
pub(crate) struct BhDisabled(());

impl BhDisabled {
    /// Disables bottom halves until the value is dropped.
    pub(crate) fn new() -> Self {
        // SAFETY: no preconditions; undone on drop, in the same context.
        unsafe { glue_bindings::rust_ipsec_local_bh_disable() };
        Self(())
    }
}

impl Drop for BhDisabled {
    fn drop(&mut self) {
        // SAFETY: paired with the disable in `new`.
        unsafe { glue_bindings::rust_ipsec_local_bh_enable() };
    }
}
