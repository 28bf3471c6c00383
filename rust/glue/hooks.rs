// SPDX-License-Identifier: GPL-2.0

//! Netfilter hooks of one network namespace, and the packet a hook gets.
//!
//! C header: [include/linux/netfilter.h](srctree/include/linux/netfilter.h)
//!
//! A [`HookSet`] registers one `nf_hook_ops` per [`HookSpec`] in a
//! namespace, all calling [`HookHandler::hook`] of one handler, and
//! unregisters them in [`HookSet::unregister`] (the owner calls it from
//! `pre_exit`, so the RCU grace period the kernel then waits for ends every
//! running hook before the handler is dropped) or, at the latest, in
//! `Drop`.
//!
//! The handler owns the hook's [`Packet`] and says what became of it in
//! its [`Verdict`]: handed back to netfilter to continue
//! ([`Verdict::Accept`]) or to be dropped ([`Verdict::Drop`]), or given
//! away ([`Verdict::Stolen`], whose [`Stolen`] only the functions that
//! take a packet by value and give it away return).

use core::ffi::c_void;
use core::ops::{Deref, DerefMut};
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, Ordering};

use crate::ipsec_core::inet::Addr;
use kernel::bindings;
use kernel::ffi::c_uint;
use kernel::prelude::*;
use kernel::types::Opaque;

use super::bindings as glue_bindings;
use super::defrag;
use super::pernet::{Net, StateNet};
use super::route::{self, OuterRoute, RouteCache};
use super::skb::Skb;

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

/// Proof that a packet was given away (sent on, queued, freed): only
/// the functions of this module that take a [`Packet`] by value return
/// one, and the hook then returns `NF_STOLEN`.
pub(crate) struct Stolen(());

/// What a handler decides about its packet.
pub(crate) enum Verdict {
    /// Continue through the stack (`NF_ACCEPT`), with the packet handed
    /// back.
    Accept(Packet),
    /// Drop the packet (`NF_DROP`: netfilter frees it and the sender
    /// sees `EPERM`).
    Drop(Packet),
    /// The packet was given away (`NF_STOLEN`).
    Stolen(Stolen),
}

/// What reassembly made of an IPv6 packet.
pub(crate) enum Reassembled {
    /// The packet is whole: it was no fragment, or the last fragment
    /// completed it (the packet is now the whole packet).
    Whole(Packet),
    /// A fragment, queued until the rest arrives.
    Queued(Stolen),
    /// A fragment, but nf_defrag_ipv6 is not available: the packet is
    /// left as it is.
    Unavailable(Packet),
    /// A bad fragment (overlapping, oversized) or no memory: drop it.
    Failed(Packet),
}

/// A packet in a hook, owned by the handler: the skb ([`Skb`], which it
/// dereferences to) and where in the stack it is.
///
/// # Invariants
///
/// `state` is the state of the hook call the packet (or the packet it was
/// segmented from) came from, valid for the duration of that call.
pub(crate) struct Packet {
    /// The family of the hook.
    pub(crate) proto: Proto,
    /// The hook point.
    pub(crate) point: HookPoint,
    skb: Skb,
    state: *const glue_bindings::nf_hook_state,
}

impl Deref for Packet {
    type Target = Skb;

    fn deref(&self) -> &Skb {
        &self.skb
    }
}

impl DerefMut for Packet {
    fn deref_mut(&mut self) -> &mut Skb {
        &mut self.skb
    }
}

impl Packet {
    /// The hook's namespace.
    pub(super) fn net(&self) -> Net {
        // SAFETY: `state` is valid during the hook (invariant).
        let net = unsafe { (*self.state).net };
        // SAFETY: the namespace outlives the hook call.
        unsafe { Net::from_raw(net) }.expect("a hook always has a namespace")
    }

    /// Whether this packet is one our tunnel output produced (it passes
    /// our POST_ROUTING hook untouched).
    pub(crate) fn transformed(&self) -> bool {
        self.skb.transformed(self.proto == Proto::Ipv6)
    }

    /// Whether `addr` is an address of this host (in the hook's
    /// namespace).
    pub(crate) fn is_local(&self, addr: &Addr) -> bool {
        route::addr_is_local(self.net(), addr)
    }

    /// The route from `src` to `dst` (same family) in the hook's namespace,
    /// through `cache`; the packet keeps its own route until
    /// [`Skb::attach_route`] (an ICMP error about the inner packet needs
    /// it).
    pub(crate) fn route_outer(
        &self,
        cache: &RouteCache,
        src: &Addr,
        dst: &Addr,
    ) -> Result<OuterRoute> {
        OuterRoute::lookup(self.net(), cache, self.skb.mark(), src, dst)
    }

    /// Sends the packet (an `outer` IPv4 or IPv6 packet with the route
    /// [`Packet::route_outer`] found attached) as a local one.
    pub(crate) fn send_local(self, outer_v6: bool) -> Stolen {
        let net = self.net();
        route::local_out(net, self.skb, outer_v6);
        Stolen(())
    }

    /// Hands the packet (a decapsulated inner IPv4 or IPv6 packet, data at
    /// its header) back to the receive path, marked as checked.
    pub(crate) fn reinject(self, v6: bool) -> Stolen {
        route::reinject(self.skb, v6);
        Stolen(())
    }

    /// Reassembles an IPv6 fragment (LOCAL_IN) with nf_defrag_ipv6's
    /// queues; see [`Reassembled`].
    pub(crate) fn reassemble_v6(self) -> Reassembled {
        match defrag::gather(self.net(), &self.skb) {
            defrag::Gathered::Whole => Reassembled::Whole(self),
            defrag::Gathered::Queued => {
                // nf_defrag_ipv6 holds the fragment now.
                let _ = self.skb.into_raw();
                Reassembled::Queued(Stolen(()))
            }
            defrag::Gathered::Unavailable => Reassembled::Unavailable(self),
            defrag::Gathered::Failed => Reassembled::Failed(self),
        }
    }

    /// Splits a GSO packet into its segments in software, passes each to
    /// `each` and does what its verdict says: a segment accepted goes on
    /// with the hook's continuation (`okfn`), one dropped is freed. The
    /// original is then freed: the hook returns the [`Stolen`]. Gives the
    /// packet back when segmentation failed (for the caller to drop).
    pub(crate) fn send_segments(
        self,
        mut each: impl FnMut(Packet) -> Verdict,
    ) -> Result<Stolen, Packet> {
        let Some(segs) = self.skb.segment() else {
            return Err(self);
        };
        // SAFETY: `state` is valid during the hook (invariant).
        let state = unsafe { &*self.state };
        for seg in segs {
            // INVARIANT: a segment of the hook's packet, in the same call.
            let p = Packet {
                proto: self.proto,
                point: self.point,
                skb: seg,
                state: self.state,
            };
            match each(p) {
                Verdict::Accept(p) => {
                    if let Some(okfn) = state.okfn {
                        // SAFETY: `state` is the hook's; the segment is
                        // ours and passes to the continuation.
                        unsafe { okfn(state.net, state.sk, p.skb.into_raw()) };
                    }
                }
                Verdict::Stolen(_) => {}
                Verdict::Drop(p) => drop(p),
            }
        }
        self.skb.consume();
        Ok(Stolen(()))
    }
}

/// Code called for every packet at the registered hooks; runs in softirq
/// or in process context with BH enabled, always inside an RCU read-side
/// section, so it must not sleep.
pub(crate) trait HookHandler: Sync + 'static {
    /// What becomes of `pkt` (which the handler may rewrite).
    fn hook(&self, pkt: Packet) -> Verdict;
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
    /// hooks registered so far are unregistered again. `net` is the
    /// namespace whose pernet state is being built ([`StateNet`]), which
    /// keeps the set: the state's `pre_exit` unregisters it (or dropping
    /// the state does), so the namespace outlives the registration.
    pub(crate) fn register(
        net: &StateNet,
        handler: Pin<KBox<H>>,
        specs: &[HookSpec],
    ) -> Result<Self> {
        let net = net.net();
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
            // SAFETY: `net` is live (see above); `ops` is heap-allocated and
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
    // SAFETY: netfilter passes a valid state.
    let st = unsafe { &*state };
    let proto = if st.pf == bindings::NFPROTO_IPV6 as u8 {
        Proto::Ipv6
    } else {
        Proto::Ipv4
    };
    let point = match c_uint::from(st.hook) {
        bindings::nf_inet_hooks_NF_INET_LOCAL_IN => HookPoint::LocalIn,
        bindings::nf_inet_hooks_NF_INET_FORWARD => HookPoint::Forward,
        _ => HookPoint::PostRouting,
    };
    // SAFETY: the hook's packet, ours until we return: handed back with
    // NF_ACCEPT or NF_DROP, or given away (NF_STOLEN).
    let Some(owned) = (unsafe { Skb::from_raw(skb) }) else {
        return NF_ACCEPT;
    };
    // INVARIANT: `state` is this call's.
    let pkt = Packet {
        proto,
        point,
        skb: owned,
        state,
    };
    let (verdict, back) = match handler.hook(pkt) {
        Verdict::Accept(p) => (NF_ACCEPT, p),
        Verdict::Drop(p) => (NF_DROP, p),
        Verdict::Stolen(_) => return NF_STOLEN,
    };
    if back.skb.as_ptr() != skb {
        // Another packet (a segment) handed back in place of the hook's,
        // which was given away: netfilter must not touch `skb` again.
        drop(back);
        return NF_STOLEN;
    }
    // Netfilter continues with (or frees) the packet.
    let _ = back.skb.into_raw();
    verdict
}
