// SPDX-License-Identifier: GPL-2.0

//! The route to a tunnel's far end: [`OuterRoute`], found through a
//! tunnel SA's [`RouteCache`] (`struct dst_cache`, as the kernel's IP
//! tunnels keep theirs).
//!
//! C header: [include/net/dst_cache.h](srctree/include/net/dst_cache.h)
//!
//! The cache is per CPU and drops a route the stack marked obsolete
//! (a routing change, a learnt path MTU), so a lookup after that finds the
//! new one. Packets with a mark are routed afresh: policy routing may
//! send them elsewhere.

use core::mem::ManuallyDrop;
use core::ptr::{self, NonNull};

use kernel::bindings;

use super::bindings as glue_bindings;

/// An allocated route cache, or none (no `CONFIG_DST_CACHE`, or no
/// memory): then every packet is routed afresh, which is slower only.
///
/// # Invariants
///
/// `ptr`, when set, is a cache from `rust_ipsec_route_cache_new`, not yet
/// freed.
pub(crate) struct RouteCache {
    ptr: Option<NonNull<glue_bindings::dst_cache>>,
}

// SAFETY: the cache is per CPU and its shims take BH-disabled sections
// around each use, so it may be used from any thread at once.
unsafe impl Send for RouteCache {}
// SAFETY: as above.
unsafe impl Sync for RouteCache {}

impl RouteCache {
    /// A new, empty cache (may sleep).
    pub(crate) fn new() -> Self {
        // SAFETY: no preconditions; the shim returns NULL on failure.
        let raw = unsafe { glue_bindings::rust_ipsec_route_cache_new() };
        // INVARIANT: just allocated, or none.
        Self {
            ptr: NonNull::new(raw),
        }
    }

    /// No cache (transport SAs).
    pub(crate) fn none() -> Self {
        Self { ptr: None }
    }

    /// The cache for the C shims (NULL: none).
    pub(crate) fn as_ptr(&self) -> *mut glue_bindings::dst_cache {
        self.ptr.map_or(ptr::null_mut(), NonNull::as_ptr)
    }
}

impl Drop for RouteCache {
    fn drop(&mut self) {
        if let Some(p) = self.ptr {
            // SAFETY: `p` is live (invariant) and not used after this; the
            // shim releases the routes it holds and frees it.
            unsafe { glue_bindings::rust_ipsec_route_cache_free(p.as_ptr()) };
        }
    }
}

/// A route to a tunnel's far end, with a reference held; released on drop
/// unless [`OuterRoute::into_raw`] hands it to a packet.
///
/// # Invariants
///
/// `dst` is a live route this value holds a reference to.
pub(crate) struct OuterRoute {
    dst: NonNull<bindings::dst_entry>,
}

impl OuterRoute {
    /// Takes over the reference `dst` holds (NULL or an ERR_PTR: `None`).
    ///
    /// # Safety
    ///
    /// `dst` is NULL, an ERR_PTR, or a live route with a reference the
    /// caller hands over.
    pub(crate) unsafe fn from_raw(dst: *mut bindings::dst_entry) -> Option<Self> {
        if kernel::error::from_err_ptr(dst).is_err() {
            return None;
        }
        // INVARIANT: a live route, its reference now ours (safety
        // requirement).
        NonNull::new(dst).map(|dst| Self { dst })
    }

    /// The route's MTU (the path MTU, once learnt).
    pub(crate) fn mtu(&self) -> u32 {
        // SAFETY: `dst` is live (invariant).
        unsafe { glue_bindings::rust_ipsec_dst_mtu(self.dst.as_ptr()) }
    }

    /// The route, its reference passing to the caller.
    pub(crate) fn into_raw(self) -> *mut bindings::dst_entry {
        ManuallyDrop::new(self).dst.as_ptr()
    }
}

impl Drop for OuterRoute {
    fn drop(&mut self) {
        // SAFETY: `dst` is live and the reference ours (invariant).
        unsafe { glue_bindings::rust_ipsec_dst_release(self.dst.as_ptr()) };
    }
}
