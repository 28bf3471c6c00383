// SPDX-License-Identifier: GPL-2.0

//! Per-network-namespace state through `pernet_operations`.
//!
//! C header: [include/net/net_namespace.h](srctree/include/net/net_namespace.h)
//!
//! The kernel reserves `size_of::<T>()` bytes per namespace (`net_generic`),
//! calls `init` when a namespace appears (and for every existing one at
//! registration) and `exit` when it goes away (and for every one at
//! unregistration). [`Registration`] places a `T` in that memory in `init`
//! and drops it in `exit`.

use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::ptr::NonNull;

use kernel::bindings;
use kernel::error::{from_result, to_result};
use kernel::ffi::{c_int, c_uint};
use kernel::prelude::*;
use kernel::types::Opaque;

use super::bindings as glue_bindings;

/// A network namespace, borrowed for the duration of a callback.
///
/// # Invariants
///
/// `ptr` points to a live `struct net` for as long as this value exists.
#[derive(Clone, Copy)]
pub(crate) struct Net {
    ptr: NonNull<bindings::net>,
}

impl Net {
    /// # Safety
    ///
    /// `ptr` must point to a `struct net` that stays alive while the
    /// returned value (or any copy) is used.
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::net) -> Option<Self> {
        // INVARIANT: the caller guarantees liveness.
        NonNull::new(ptr).map(|ptr| Self { ptr })
    }

    /// The raw pointer, for kernel calls.
    pub(crate) fn as_ptr(self) -> *mut bindings::net {
        self.ptr.as_ptr()
    }
}

/// Where the kernel stores the id it assigns to a pernet subsystem.
///
/// # Invariants
///
/// Written only by `register_pernet_subsys`, before any callback that
/// reads it runs; read-only afterwards.
#[repr(transparent)]
pub(crate) struct NetId(UnsafeCell<c_uint>);

// SAFETY: by the type invariant the id is written once, by the kernel,
// before it is read; reads afterwards do not race with writes.
unsafe impl Sync for NetId {}

impl NetId {
    /// An id not yet assigned.
    pub(crate) const fn new() -> Self {
        Self(UnsafeCell::new(0))
    }

    fn get(&self) -> c_uint {
        // SAFETY: by the type invariant no write races with this read.
        unsafe { *self.0.get() }
    }
}

/// A namespace whose pernet state is being created: what `init` gets.
/// Registrations made with it (hooks, sysctl tables) must be kept in the
/// state, which undoes them in `pre_exit` or when it drops, before the
/// namespace goes.
pub(crate) struct StateNet {
    net: Net,
}

impl StateNet {
    /// The namespace.
    pub(crate) fn net(&self) -> Net {
        self.net
    }
}

/// A namespace whose pernet state `T` is in place, so that
/// [`state`] finds it: what `publish` gets. Files that read the state
/// (procfs) are created with it, never before.
pub(crate) struct Published<T: PernetState> {
    net: Net,
    _state: PhantomData<T>,
}

impl<T: PernetState> Published<T> {
    /// The namespace.
    pub(crate) fn net(&self) -> Net {
        self.net
    }
}

/// State kept per network namespace.
pub(crate) trait PernetState: Sized + Send + Sync + 'static {
    /// The id storage of this state type: a `static` of its own.
    fn net_id() -> &'static NetId;

    /// Creates the state of `net`, when `net` is created or at
    /// registration. An error makes namespace creation (or module
    /// loading) fail.
    fn init(net: &StateNet) -> Result<Self>;

    /// Called once the state is in place: creates what readers find the
    /// state through (a `/proc/net` file). On error the state is torn
    /// down (`pre_exit`, then dropped) and `init` fails.
    fn publish(&self, _net: &Published<Self>) -> Result {
        Ok(())
    }

    /// Called before `exit`, when `net` goes away (or at unregistration):
    /// the kernel then waits for an RCU grace period before dropping the
    /// state, so what `pre_exit` unregisters (netfilter hooks, which run
    /// under RCU) no longer runs once the state is dropped.
    fn pre_exit(&self) {}
}

/// A registered pernet subsystem holding a `T` in every namespace.
///
/// # Invariants
///
/// `ops` is registered with the kernel for the lifetime of this value.
pub(crate) struct Registration<T: PernetState> {
    ops: KBox<Opaque<bindings::pernet_operations>>,
    _state: PhantomData<T>,
}

// SAFETY: `ops` is only handed to the kernel, which synchronises its own
// use of it; `Registration` itself exposes no access to it.
unsafe impl<T: PernetState> Sync for Registration<T> {}
// SAFETY: as above; dropping on another thread only calls the kernel.
unsafe impl<T: PernetState> Send for Registration<T> {}

/// Alignment `net_generic` memory is guaranteed to have (kmalloc's minimum
/// alignment on every architecture).
const NET_GENERIC_ALIGN: usize = 8;

impl<T: PernetState> Registration<T> {
    /// Registers the subsystem; runs `T::init` for every existing namespace.
    pub(crate) fn register() -> Result<Self> {
        const {
            assert!(core::mem::align_of::<T>() <= NET_GENERIC_ALIGN);
        }
        let ops = KBox::new(
            Opaque::new(bindings::pernet_operations {
                init: Some(init_net::<T>),
                pre_exit: Some(pre_exit_net::<T>),
                exit: Some(exit_net::<T>),
                id: T::net_id().0.get(),
                size: core::mem::size_of::<T>(),
                ..Default::default()
            }),
            GFP_KERNEL,
        )?;
        // SAFETY: `ops` is a valid, heap-allocated (hence address-stable)
        // `pernet_operations` that stays alive until `Drop` unregisters it.
        to_result(unsafe { bindings::register_pernet_subsys(ops.get()) })?;
        // INVARIANT: registered just above.
        Ok(Self {
            ops,
            _state: PhantomData,
        })
    }
}

impl<T: PernetState> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: by the type invariant `ops` is registered; this runs
        // `exit` for every namespace and then forgets `ops`.
        unsafe { bindings::unregister_pernet_subsys(self.ops.get()) };
    }
}

/// The `T` slot of `net`.
fn slot<T: PernetState>(net: Net) -> *mut T {
    // SAFETY: `net` is live (type invariant) and the id is assigned: the
    // kernel sets it before calling any callback of the subsystem.
    unsafe { glue_bindings::rust_ipsec_net_generic(net.as_ptr(), T::net_id().get()) }.cast::<T>()
}

/// The state of `net`.
///
/// # Safety
///
/// The subsystem of `T` must be registered and `net` must not have gone
/// through `exit` yet: true for anything running on behalf of `net` that
/// `T`'s drop unregisters first (sockets, sysctls, hooks of `net`), and for
/// sockets, which hold a reference on their namespace.
pub(crate) unsafe fn state<'a, T: PernetState>(net: Net) -> &'a T {
    // SAFETY: `init_net` wrote a `T` into the slot and, by the caller's
    // promise, `exit_net` has not dropped it.
    unsafe { &*slot::<T>(net) }
}

/// `pernet_operations::init`: creates and places the namespace's `T`.
///
/// # Safety
///
/// Called by the kernel only, with a live `net`, after the subsystem's id
/// was assigned.
unsafe extern "C" fn init_net<T: PernetState>(net: *mut bindings::net) -> c_int {
    from_result(|| {
        // SAFETY: the kernel passes a live namespace to `init`.
        let net = unsafe { Net::from_raw(net) }.ok_or(EINVAL)?;
        let state = T::init(&StateNet { net })?;
        let slot = slot::<T>(net);
        // SAFETY: the slot is `size_of::<T>()` zeroed bytes the kernel
        // reserved for us in `net`, aligned to `NET_GENERIC_ALIGN` (checked
        // against `T` in `register`), and holds no value yet.
        unsafe { slot.write(state) };
        // SAFETY: written just above; nothing drops it meanwhile.
        let state = unsafe { &*slot };
        let published = Published {
            net,
            _state: PhantomData,
        };
        if let Err(e) = state.publish(&published) {
            state.pre_exit();
            // As the kernel does between `pre_exit` and `exit`: what ran
            // under RCU (hooks) is done before the state goes.
            kernel::sync::rcu::synchronize_rcu();
            // SAFETY: the state is in the slot and nothing else uses it:
            // `init` fails, so `exit` will not run for it.
            unsafe { core::ptr::drop_in_place(slot) };
            return Err(e);
        }
        Ok(0)
    })
}

/// `pernet_operations::pre_exit`: lets the namespace's `T` unregister what
/// runs under RCU.
///
/// # Safety
///
/// Called by the kernel only, with a live `net` whose `init` succeeded.
unsafe extern "C" fn pre_exit_net<T: PernetState>(net: *mut bindings::net) {
    // SAFETY: the kernel passes a live namespace to `pre_exit`.
    let Some(net) = (unsafe { Net::from_raw(net) }) else {
        return;
    };
    // SAFETY: `pre_exit` runs only for namespaces whose `init` succeeded
    // and before their `exit`, so the slot holds a live `T`.
    unsafe { &*slot::<T>(net) }.pre_exit();
}

/// `pernet_operations::exit`: drops the namespace's `T`.
///
/// # Safety
///
/// Called by the kernel only, with a live `net` whose `init` succeeded.
unsafe extern "C" fn exit_net<T: PernetState>(net: *mut bindings::net) {
    // SAFETY: the kernel passes a live namespace to `exit`.
    let Some(net) = (unsafe { Net::from_raw(net) }) else {
        return;
    };
    // SAFETY: `exit` runs only for namespaces whose `init` succeeded, so
    // the slot holds the `T` written there; nothing uses it any more.
    unsafe { core::ptr::drop_in_place(slot::<T>(net)) };
}
