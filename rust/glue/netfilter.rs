// SPDX-License-Identifier: GPL-2.0

//! Netfilter hooks of one network namespace.
//!
//! C header: [include/linux/netfilter.h](srctree/include/linux/netfilter.h)
//!
//! A [`HookSet`] registers one `nf_hook_ops` per [`HookSpec`] in a
//! namespace, all calling [`HookHandler::hook`] of one handler, and
//! unregisters them in [`HookSet::unregister`] (the owner calls it from
//! `pre_exit`, so the RCU grace period the kernel then waits for ends every
//! running hook before the handler is dropped) or, at the latest, in
//! `Drop`.

use core::ffi::c_void;
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, Ordering};

use crate::ipsec_core::inet::Addr;
use kernel::bindings;
use kernel::ffi::c_uint;
use kernel::prelude::*;
use kernel::types::Opaque;

use super::bindings as glue_bindings;
use super::pernet::Net;
use super::route_cache::{OuterRoute, RouteCache};

/// `NF_ACCEPT`: let the packet continue.
const NF_ACCEPT: c_uint = 1;
/// `NF_DROP`: free the packet.
const NF_DROP: c_uint = 0;
/// `NF_STOLEN`: the hook took the packet.
const NF_STOLEN: c_uint = 2;

/// An address family of hooks (`NFPROTO_IPV4`, `NFPROTO_IPV6`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Proto {
    /// `NFPROTO_IPV4`.
    Ipv4,
    /// `NFPROTO_IPV6`.
    Ipv6,
}

impl Proto {
    fn nfproto(self) -> u8 {
        match self {
            Proto::Ipv4 => bindings::NFPROTO_IPV4 as u8,
            Proto::Ipv6 => bindings::NFPROTO_IPV6 as u8,
        }
    }
}

/// Where in the stack a hook runs (`enum nf_inet_hooks`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HookPoint {
    /// `NF_INET_LOCAL_IN`: packets for this host, IPv4 reassembled.
    LocalIn,
    /// `NF_INET_FORWARD`: packets routed through this host.
    Forward,
    /// `NF_INET_POST_ROUTING`: every packet leaving, local or forwarded.
    PostRouting,
}

impl HookPoint {
    fn hooknum(self) -> c_uint {
        match self {
            HookPoint::LocalIn => bindings::nf_inet_hooks_NF_INET_LOCAL_IN,
            HookPoint::Forward => bindings::nf_inet_hooks_NF_INET_FORWARD,
            HookPoint::PostRouting => bindings::nf_inet_hooks_NF_INET_POST_ROUTING,
        }
    }
}

/// One hook to register.
#[derive(Clone, Copy, Debug)]
pub(crate) struct HookSpec {
    /// The family.
    pub(crate) proto: Proto,
    /// The hook point.
    pub(crate) point: HookPoint,
    /// The priority (smaller runs first; `NF_IP_PRI_*`).
    pub(crate) priority: i32,
}

/// Draws the cookie that marks re-injected inner packets
/// ([`HookPacket::reinject`]); call once at module load, before any hook
/// is registered.
pub(crate) fn init_reinject_marker() {
    // SAFETY: no arguments; writes a static only the shims read.
    unsafe { glue_bindings::rust_ipsec_marker_init() };
}

/// What reassembly made of an IPv6 packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reassembled {
    /// The packet is whole: it was no fragment, or the last fragment
    /// completed it (the hook's packet is now the whole packet).
    Whole,
    /// A fragment, queued until the rest arrives: the hook must return
    /// [`Verdict::Stolen`] and not touch the packet again.
    Queued,
    /// A fragment, but nf_defrag_ipv6 is not available: the packet is
    /// left as it is.
    Unavailable,
    /// A bad fragment (overlapping, oversized) or no memory: drop it.
    Failed,
}

/// A packet in a hook: only what the handler may look at.
///
/// # Invariants
///
/// `skb` is the live packet the hook was called with, for the duration of
/// the call.
pub(crate) struct HookPacket {
    /// The family of the hook.
    pub(crate) proto: Proto,
    /// The hook point.
    pub(crate) point: HookPoint,
    /// `skb->len`: bytes from the network header on.
    pub(crate) len: u32,
    skb: *mut bindings::sk_buff,
    state: *const glue_bindings::nf_hook_state,
}

impl HookPacket {
    /// Whether this is a GSO packet (several segments in one).
    pub(crate) fn is_gso(&self) -> bool {
        // SAFETY: `skb` is live (invariant).
        unsafe { glue_bindings::rust_ipsec_skb_is_gso(self.skb) }
    }

    /// Makes the packet rewritable: checksum resolved, linear, private,
    /// with `head` bytes before and `tail` after the data.
    pub(crate) fn prepare(&mut self, head: u32, tail: u32) -> Result {
        // SAFETY: `skb` is live (invariant) and ours during the hook.
        let rc = unsafe { glue_bindings::rust_ipsec_skb_prepare(self.skb, head, tail) };
        kernel::error::to_result(rc)?;
        self.refresh_len();
        Ok(())
    }

    fn refresh_len(&mut self) {
        // SAFETY: `skb` is live (invariant).
        self.len = unsafe { (*self.skb).len };
    }

    /// The linear data from the network header on (all of the packet
    /// after [`HookPacket::prepare`]).
    pub(crate) fn data_mut(&mut self) -> &mut [u8] {
        let mut len = 0u32;
        // SAFETY: `skb` is live (invariant); the shim returns its data
        // pointer and head length.
        let ptr = unsafe { glue_bindings::rust_ipsec_skb_linear_data(self.skb, &mut len) };
        if ptr.is_null() {
            return &mut [];
        }
        // SAFETY: `ptr` is valid for `len` bytes of the skb's linear data,
        // which nothing else accesses while the hook holds the packet; the
        // borrow of `self` keeps the skb unchanged while the slice lives.
        unsafe { core::slice::from_raw_parts_mut(ptr, len as usize) }
    }

    /// Adds `n` bytes in front (room reserved by `prepare`); the network
    /// header moves to the new start.
    pub(crate) fn push_network(&mut self, n: u32) {
        // SAFETY: `skb` is live and prepared with the room (caller).
        unsafe { glue_bindings::rust_ipsec_skb_push_network(self.skb, n) };
        self.refresh_len();
    }

    /// Removes `n` bytes from the front; the network header moves to the
    /// new start and the transport header `ihl` bytes after it.
    pub(crate) fn pull_network(&mut self, n: u32, ihl: u32) -> Result {
        if n > self.len {
            return Err(EINVAL);
        }
        // SAFETY: `skb` is live and linear with at least `n` bytes.
        unsafe { glue_bindings::rust_ipsec_skb_pull_network(self.skb, n, ihl) };
        self.refresh_len();
        Ok(())
    }

    /// Adds `n` bytes at the end (room reserved by `prepare`).
    pub(crate) fn put(&mut self, n: u32) {
        // SAFETY: `skb` is live and prepared with the room (caller).
        unsafe { glue_bindings::rust_ipsec_skb_put(self.skb, n) };
        self.refresh_len();
    }

    /// Splits a GSO packet into its segments in software, passes each to
    /// `each` (which transforms it, or says why not) and sends the
    /// segments `each` accepted on with the hook's continuation (those it
    /// stole it sent itself); the hook must then return
    /// [`Verdict::Stolen`]. Returns how many segments `each` refused (they
    /// are freed), or `Err` when segmentation failed (the packet is left
    /// as it was, for the caller to drop).
    pub(crate) fn send_segments<E>(
        &mut self,
        mut each: impl FnMut(&mut HookPacket) -> Result<Verdict, E>,
    ) -> Result<u32, ()> {
        // SAFETY: `skb` is live (invariant); on success the shim returns a
        // list of new segments we own.
        let mut list = unsafe { glue_bindings::rust_ipsec_skb_gso_segment(self.skb) };
        if list.is_null() {
            return Err(());
        }
        let mut refused = 0;
        loop {
            // SAFETY: `list` is a list of segments we own.
            let seg = unsafe { glue_bindings::rust_ipsec_skb_list_pop(&mut list) };
            if seg.is_null() {
                break;
            }
            // SAFETY: `seg` is a live segment we own.
            let len = unsafe { (*seg).len };
            // INVARIANT: `seg` is live and ours until sent or freed below.
            let mut p = HookPacket {
                proto: self.proto,
                point: self.point,
                len,
                skb: seg,
                state: self.state,
            };
            match each(&mut p) {
                Ok(Verdict::Accept) => {
                    // SAFETY: `state` is the hook's state (valid during the
                    // hook); `seg` is ours and passes to the continuation.
                    unsafe { glue_bindings::rust_ipsec_nf_okfn(self.state, seg) };
                }
                // `each` sent it on itself.
                Ok(Verdict::Stolen) => {}
                Ok(Verdict::Drop) | Err(_) => {
                    refused += 1;
                    // SAFETY: `seg` is ours, off the list, not used again.
                    unsafe { glue_bindings::rust_ipsec_kfree_skb_list(seg) };
                }
            }
        }
        // SAFETY: the original is ours; the hook returns NF_STOLEN, so
        // nothing touches it again.
        unsafe { glue_bindings::rust_ipsec_consume_skb(self.skb) };
        Ok(refused)
    }

    /// Reassembles an IPv6 fragment (LOCAL_IN) with nf_defrag_ipv6's
    /// queues; see [`Reassembled`].
    pub(crate) fn reassemble_v6(&mut self) -> Reassembled {
        // SAFETY: `skb` is live and ours during the hook (invariant), an
        // IPv6 packet with its network header set; `state` is the hook's.
        let rc = unsafe { glue_bindings::rust_ipsec_defrag6(self.skb, self.state) };
        match rc {
            1 => {
                self.refresh_len();
                Reassembled::Whole
            }
            0 => Reassembled::Queued,
            rc if rc == EOPNOTSUPP.to_errno() => Reassembled::Unavailable,
            _ => Reassembled::Failed,
        }
    }

    /// Sends an ICMP "fragmentation needed" (IPv4) or ICMPv6 "packet too
    /// big" (`v6`) with `mtu` to the packet's source, about the packet.
    pub(crate) fn send_too_big(&self, v6: bool, mtu: u32) {
        // SAFETY: `skb` is live (invariant), data at its IP header, with
        // a route attached.
        unsafe { glue_bindings::rust_ipsec_icmp_too_big(self.skb, v6, mtu) };
    }

    /// Lets IP fragment the packet even with DF set (ESP may be
    /// fragmented, RFC 4303 section 3.3.5).
    pub(crate) fn allow_fragmentation(&mut self) {
        // SAFETY: `skb` is live (invariant).
        unsafe { glue_bindings::rust_ipsec_skb_ignore_df(self.skb) };
    }

    /// The MTU the packet leaves by (`out`: its route's) or of the device
    /// it arrived on; 0 if unknown.
    pub(crate) fn mtu(&self, out: bool) -> u32 {
        // SAFETY: `skb` is live (invariant).
        unsafe { glue_bindings::rust_ipsec_skb_mtu(self.skb, out) }
    }

    /// Whether our tunnel output produced this packet (it passes our
    /// POST_ROUTING hook untouched).
    pub(crate) fn transformed(&self) -> bool {
        // SAFETY: `skb` is live (invariant).
        unsafe { glue_bindings::rust_ipsec_skb_transformed(self.skb, self.proto == Proto::Ipv6) }
    }

    /// Whether this is an inner packet rust_ipsec decapsulated, checked
    /// and re-injected ([`HookPacket::reinject`]); clears the marker.
    pub(crate) fn take_marker(&mut self) -> bool {
        // SAFETY: `skb` is live (invariant) and ours during the hook.
        unsafe { glue_bindings::rust_ipsec_marker_take(self.skb) }
    }

    /// Whether `addr` is an address of this host (in the hook's
    /// namespace).
    pub(crate) fn is_local(&self, addr: &Addr) -> bool {
        let o = addr.octets();
        // SAFETY: `state` is the hook's state, valid during the hook;
        // `o` holds 4 (IPv4) or 16 (IPv6) readable bytes, as `v6` says.
        unsafe {
            glue_bindings::rust_ipsec_addr_is_local(
                self.state,
                matches!(addr, Addr::V6(_)),
                o.as_ptr(),
            )
        }
    }

    /// The route from `src` to `dst` (same family) in the hook's namespace,
    /// through `cache`; the packet keeps its own route until
    /// [`HookPacket::attach_route`].
    pub(crate) fn route_outer(
        &self,
        cache: &RouteCache,
        src: &Addr,
        dst: &Addr,
    ) -> Result<OuterRoute> {
        let v6 = match (src, dst) {
            (Addr::V4(_), Addr::V4(_)) => false,
            (Addr::V6(_), Addr::V6(_)) => true,
            _ => return Err(EINVAL),
        };
        // SAFETY: `skb` is live during the hook; `state` is the hook's;
        // `cache` is live or NULL; the addresses hold as many bytes as `v6`
        // says.
        let raw = unsafe {
            glue_bindings::rust_ipsec_route_outer(
                self.skb,
                self.state,
                cache.as_ptr(),
                v6,
                src.octets().as_ptr(),
                dst.octets().as_ptr(),
            )
        };
        // SAFETY: the shim returns an ERR_PTR or a route with a reference
        // for us.
        unsafe { OuterRoute::from_raw(raw.cast()) }.ok_or(EHOSTUNREACH)
    }

    /// Gives the packet `route` in place of its own; returns the route's
    /// hop limit.
    pub(crate) fn attach_route(&mut self, route: OuterRoute, v6: bool) -> u8 {
        // SAFETY: `skb` is live and ours during the hook; the route's
        // reference passes to the packet.
        let hops = unsafe {
            glue_bindings::rust_ipsec_route_attach(self.skb, route.into_raw().cast(), v6)
        };
        u8::try_from(hops).unwrap_or(u8::MAX)
    }

    /// Sends the packet (an `outer` IPv4 or IPv6 packet with the route
    /// [`HookPacket::route_outer`] attached) as a local one. The packet is
    /// gone: the hook must return [`Verdict::Stolen`] and not use `self`
    /// again.
    pub(crate) fn send_local(&mut self, outer_v6: bool) {
        // SAFETY: `skb` is ours (invariant); it passes to the stack, which
        // frees it on error; the caller returns NF_STOLEN.
        let _ = unsafe { glue_bindings::rust_ipsec_local_out(self.skb, self.state, outer_v6) };
    }

    /// Hands the packet (a decapsulated inner IPv4 or IPv6 packet, data at
    /// its header) back to the receive path, marked as checked. The packet
    /// is gone: the hook must return [`Verdict::Stolen`] and not use
    /// `self` again.
    pub(crate) fn reinject(&mut self, v6: bool) {
        // SAFETY: `skb` is ours (invariant); netif_rx takes it (and frees
        // it when the backlog is full); the caller returns NF_STOLEN.
        let _ = unsafe { glue_bindings::rust_ipsec_reinject(self.skb, v6) };
    }

    /// Cuts the packet to `len` bytes.
    pub(crate) fn trim(&mut self, len: u32) -> Result {
        // SAFETY: `skb` is live (invariant).
        let rc = unsafe { glue_bindings::rust_ipsec_skb_trim(self.skb, len) };
        kernel::error::to_result(rc)?;
        self.refresh_len();
        Ok(())
    }

    /// Up to `buf.len()` bytes from the network header on: in place when
    /// the packet has them in its linear part (the usual case), else
    /// copied into `buf` (a non-linear packet).
    pub(crate) fn network_bytes<'b>(&'b self, buf: &'b mut [u8]) -> &'b [u8] {
        let (mut len, mut total) = (0u32, 0u32);
        // SAFETY: `skb` is live (invariant); the shim only reads it.
        let ptr =
            unsafe { glue_bindings::rust_ipsec_skb_network_linear(self.skb, &mut len, &mut total) };
        let want = buf.len().min(usize::try_from(total).unwrap_or(0));
        if !ptr.is_null() && usize::try_from(len).is_ok_and(|l| l >= want) {
            // SAFETY: `ptr` points to the packet's linear bytes from the
            // network header on, `len` >= `want` of them. They stay put and
            // unchanged while the slice lives: it borrows `self`, and the
            // packet is rewritten only through `&mut self`.
            return unsafe { core::slice::from_raw_parts(ptr, want) };
        }
        let want = u32::try_from(buf.len()).unwrap_or(u32::MAX);
        // SAFETY: `skb` is live (invariant); `buf` is writable for `want`
        // bytes and the shim writes at most that many.
        let got = unsafe {
            glue_bindings::rust_ipsec_skb_network_bytes(self.skb, buf.as_mut_ptr().cast(), want)
        };
        let n = usize::try_from(got).unwrap_or(0);
        buf.get(..n).unwrap_or(&[])
    }
}

/// What a handler decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Continue through the stack.
    Accept,
    /// Free the packet.
    Drop,
    /// The handler consumed the packet ([`HookPacket::send_segments`]).
    Stolen,
}

/// Code called for every packet at the registered hooks; runs in softirq
/// or in process context with BH enabled, always inside an RCU read-side
/// section, so it must not sleep.
pub(crate) trait HookHandler: Sync + 'static {
    /// The verdict on `pkt` (which the handler may rewrite).
    fn hook(&self, pkt: &mut HookPacket) -> Verdict;
}

/// Registered hooks of one namespace.
///
/// # Invariants
///
/// While `registered` is true, every entry of `ops` is registered in `net`
/// with `priv` pointing to `handler`, and `net` is live. `handler` and
/// `ops` are heap-allocated and outlive the registration.
pub(crate) struct HookSet<H: HookHandler> {
    net: Net,
    ops: KVec<Pin<KBox<Opaque<glue_bindings::nf_hook_ops>>>>,
    registered: AtomicBool,
    handler: Pin<KBox<H>>,
}

// SAFETY: the handler is `Sync`; `ops` is only touched by the kernel (under
// its own locking) and by `unregister`, which the `registered` flag makes
// run once.
unsafe impl<H: HookHandler> Sync for HookSet<H> {}
// SAFETY: as above; nothing here is tied to a thread.
unsafe impl<H: HookHandler + Send> Send for HookSet<H> {}

impl<H: HookHandler> HookSet<H> {
    /// Registers `specs` in `net`, each calling `handler`. On failure the
    /// hooks registered so far are unregistered again.
    ///
    /// # Safety
    ///
    /// `net` must stay live until [`HookSet::unregister`] ran or the set is
    /// dropped (true for a set owned by the namespace's pernet state).
    pub(crate) unsafe fn register(
        net: Net,
        handler: Pin<KBox<H>>,
        specs: &[HookSpec],
    ) -> Result<Self> {
        let mut set = Self {
            net,
            ops: KVec::with_capacity(specs.len(), GFP_KERNEL)?,
            registered: AtomicBool::new(true),
            handler,
        };
        let priv_ptr = core::ptr::from_ref::<H>(&*set.handler)
            .cast_mut()
            .cast::<c_void>();
        for spec in specs {
            let ops = KBox::pin(
                Opaque::new(glue_bindings::nf_hook_ops {
                    hook: Some(hook_fn::<H>),
                    priv_: priv_ptr,
                    pf: spec.proto.nfproto(),
                    hooknum: spec.point.hooknum(),
                    priority: spec.priority,
                    ..Default::default()
                }),
                GFP_KERNEL,
            )?;
            // Kept (capacity reserved: no allocation) before registering,
            // so `unregister` and `Drop` always see every registered entry.
            set.ops.push(ops, GFP_KERNEL)?;
            let Some(ops) = set.ops.last() else {
                return Err(EINVAL);
            };
            // SAFETY: `net` is live (caller); `ops` is heap-allocated and
            // kept in `set.ops` until unregistered; `priv` points to the
            // boxed handler, which lives as long as `set`.
            let rc = unsafe { glue_bindings::nf_register_net_hook(net.as_ptr(), ops.get()) };
            if rc != 0 {
                // Not registered: forget it; `set` drops here and
                // unregisters the others.
                set.ops.pop();
                return Err(Error::from_errno(rc));
            }
        }
        Ok(set)
    }

    /// Unregisters every hook (idempotent). Hooks already running may
    /// still finish: the caller must wait for an RCU grace period before
    /// dropping what the handler uses (pernet `pre_exit` gets that).
    pub(crate) fn unregister(&self) {
        if !self.registered.swap(false, Ordering::AcqRel) {
            return;
        }
        for ops in &self.ops {
            // SAFETY: by the type invariant `ops` is registered in the live
            // `net`.
            unsafe { glue_bindings::nf_unregister_net_hook(self.net.as_ptr(), ops.get()) };
        }
    }

    /// The handler.
    pub(crate) fn handler(&self) -> &H {
        &self.handler
    }
}

impl<H: HookHandler> Drop for HookSet<H> {
    fn drop(&mut self) {
        if self.registered.load(Ordering::Acquire) {
            self.unregister();
            // Hooks that started before the unregistration may still read
            // the handler, which is freed next: wait for them.
            kernel::sync::rcu::synchronize_rcu();
        }
    }
}

/// The `nf_hookfn` of every hook: calls the handler `priv` points to.
///
/// # Safety
///
/// Called by netfilter only, for hooks registered by [`HookSet::register`],
/// with a valid `skb` and `state`.
unsafe extern "C" fn hook_fn<H: HookHandler>(
    priv_: *mut c_void,
    skb: *mut bindings::sk_buff,
    state: *const glue_bindings::nf_hook_state,
) -> c_uint {
    // SAFETY: `priv` is the handler of a registered `HookSet`, alive until
    // after the hooks are unregistered and a grace period passed.
    let handler = unsafe { &*priv_.cast::<H>() };
    // SAFETY: netfilter passes a valid state and skb.
    let (state, len) = unsafe { (&*state, (*skb).len) };
    let proto = if state.pf == bindings::NFPROTO_IPV6 as u8 {
        Proto::Ipv6
    } else {
        Proto::Ipv4
    };
    let point = match c_uint::from(state.hook) {
        bindings::nf_inet_hooks_NF_INET_LOCAL_IN => HookPoint::LocalIn,
        bindings::nf_inet_hooks_NF_INET_FORWARD => HookPoint::Forward,
        _ => HookPoint::PostRouting,
    };
    // INVARIANT: `skb` is the hook's packet, live during the call.
    let mut pkt = HookPacket {
        proto,
        point,
        len,
        skb,
        state: core::ptr::from_ref(state),
    };
    match handler.hook(&mut pkt) {
        Verdict::Accept => NF_ACCEPT,
        Verdict::Drop => NF_DROP,
        Verdict::Stolen => NF_STOLEN,
    }
}
