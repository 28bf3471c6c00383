// SPDX-License-Identifier: GPL-2.0

//! The datapath of a namespace: netfilter hooks for IPv4 and IPv6.
//!
//! Stages 0 to 5 and part of 9 of `Documentation/design/datapath-plan.rst`. The
//! hooks are registered per namespace (POST_ROUTING for everything
//! leaving, LOCAL_IN for everything delivered here, FORWARD for routed
//! packets) and removed in `pre_exit`. A namespace is *active* for a
//! family when its `def_policy` is 0 or rust_ipsec has an SA or a policy
//! there; in an inactive one the hook returns at once, touching nothing,
//! so Linux XFRM works undisturbed beside the module.
//!
//! In an active namespace every packet is matched against the SPD
//! (`spd.rs`) and the KAME decision of the core's `policy` module is
//! enforced: discard and `def_policy` 0 drop, none passes, an IPsec policy
//! whose `require`/`unique` request has no SA drops; inbound, a cleartext
//! packet a policy requires protection for is dropped, and ESP for an
//! unknown SPI is dropped. ESP and AH in transport and tunnel mode (IPv4
//! and IPv6), alone or in bundles of several SAs, are applied and removed
//! here (`esp_transport.rs`, `esp_tunnel.rs`, `ah_transport.rs`,
//! `ah_tunnel.rs`; `tunnel.rs` holds what the tunnels share), and so is
//! IPComp (`ipcomp.rs`), alone or in bundles with them. IPv6 fragments for this host are reassembled first. Missing SAs
//! are acquired through the namespace (`env.rs`: PF_KEY sends the
//! SADB_ACQUIRE); per-SA counters feed the SADB's lifetimes, which PF_KEY
//! reads through `tables.rs`.

pub(crate) mod ah_transport;
pub(crate) mod ah_tunnel;
pub(crate) mod env;
pub(crate) mod esp_transport;
pub(crate) mod esp_tunnel;
mod head;
mod ipcomp;
mod mss;
mod natt;
mod rbtree_map;
pub(crate) mod sa;
mod sock_policy;
pub(crate) mod spd;
pub(crate) mod stats;
pub(crate) mod tables;
mod tunnel;

use crate::glue::hooks::{HookHandler, HookPoint, HookSpec, Packet, Proto, Reassembled, Verdict};
use crate::glue::ratelimit::net_ratelimit;
use crate::ipsec_core::acquire::AcquireRequest;
use crate::ipsec_core::ah::mutable::locate_ah;
use crate::ipsec_core::inet::{
    Addr, IpProto, NEXTHDR_AUTH, PROTO_COMP, PROTO_ESP, PROTO_IPIP, PROTO_IPV6, PROTO_UDP,
};
use crate::ipsec_core::ipsec::{IpsecDir, IpsecMode};
use crate::ipsec_core::ipview::{selector_from_head, PacketSelector, HEAD_MAX};
use crate::ipsec_core::knobs::{Family, Knob, KnobValues};
use crate::ipsec_core::natt::Carried;
use crate::ipsec_core::pfkey::SaType;
use crate::ipsec_core::policy::{
    decide, inbound_ok, plan_sas, Applied, Bundle, Decision, DiscardReason, Level, Violation,
};
use crate::ipsec_core::spd::{PolicyRecord, MAX_REQUESTS};
use crate::ipsec_core::usage::UsageEvent;
use core::sync::atomic::{AtomicBool, Ordering};
use env::DatapathEnv;
use kernel::prelude::*;
use kernel::sync::Arc;
use sa::{DpSa, Later};
use stats::{Counted, DropReason, Stats};
use tables::DpTables;

/// `NF_IP_PRI_NAT_SRC + 1`: after source NAT, so selectors see the final
/// addresses.
const PRI_POST_ROUTING: i32 = 101;
/// `NF_IP_PRI_SECURITY + 1`: after the filter tables.
const PRI_INPUT: i32 = 51;

/// The hooks every namespace gets.
pub(crate) const HOOKS: [HookSpec; 6] = [
    HookSpec {
        proto: Proto::Ipv4,
        point: HookPoint::PostRouting,
        priority: PRI_POST_ROUTING,
    },
    HookSpec {
        proto: Proto::Ipv4,
        point: HookPoint::LocalIn,
        priority: PRI_INPUT,
    },
    HookSpec {
        proto: Proto::Ipv4,
        point: HookPoint::Forward,
        priority: PRI_INPUT,
    },
    HookSpec {
        proto: Proto::Ipv6,
        point: HookPoint::PostRouting,
        priority: PRI_POST_ROUTING,
    },
    HookSpec {
        proto: Proto::Ipv6,
        point: HookPoint::LocalIn,
        priority: PRI_INPUT,
    },
    HookSpec {
        proto: Proto::Ipv6,
        point: HookPoint::Forward,
        priority: PRI_INPUT,
    },
];

/// The knob family of a hook family.
fn family(proto: Proto) -> Family {
    match proto {
        Proto::Ipv4 => Family::Inet,
        Proto::Ipv6 => Family::Inet6,
    }
}

/// Bytes of the headers a decision needs: IPv4/IPv6 with options or
/// extension headers, then the upper-layer ports or the ESP header.
const HEADER_BYTES: usize = HEAD_MAX;

/// One ESP or AH layer removed from an inbound packet.
struct Layer {
    /// What was applied, for the policy check.
    applied: Applied,
    /// What is left of the packet.
    sel: PacketSelector,
    /// What the packet meant for the SA's lifetime.
    event: UsageEvent,
    /// It was a tunnel: what is left is the inner packet.
    tunnel: bool,
}

/// What an inbound layer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LayerKind {
    /// ESP.
    Esp,
    /// ESP in UDP (NAT traversal).
    EspInUdp,
    /// AH.
    Ah,
    /// IPComp.
    Ipcomp,
    /// IP-in-IP from the peer of an IPComp tunnel SA: its packet sent
    /// uncompressed.
    IpcompPlain,
}

impl LayerKind {
    /// The counter of a layer removed.
    fn counted(self) -> Counted {
        match self {
            LayerKind::Esp | LayerKind::EspInUdp => Counted::Esp,
            LayerKind::Ah => Counted::Ah,
            LayerKind::Ipcomp => Counted::Ipcomp,
            LayerKind::IpcompPlain => Counted::IpcompPlain,
        }
    }
}

/// The SAs an outbound packet gets, in order (innermost first).
type Chain<'a> = [Option<&'a DpSa>; MAX_REQUESTS];

/// The datapath of one namespace: the hook handler, with the lookup
/// tables it shares with PF_KEY, its counters and its namespace.
pub(crate) struct Datapath<E: DatapathEnv> {
    tables: Arc<DpTables>,
    stats: Stats,
    env: E,
    /// A socket in this namespace has been given a policy
    /// (`sock_policy.rs`): inbound packets look up their socket.
    socket_policies: AtomicBool,
}

/// What the hook does with a packet, and why it drops it.
type Outcome = Result<Sent, DropReason>;

/// A packet the hook lets go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sent {
    /// Continue through the stack (transformed or not).
    Accept,
    /// Send as a local packet: the outer packet of a tunnel (IPv6 if
    /// true).
    Local(bool),
    /// Re-inject into the receive path: a decapsulated inner packet
    /// (IPv6 if true).
    Reinject(bool),
}

/// The packet, sent on as `sent` says.
fn deliver(pkt: Packet, sent: Sent) -> Verdict {
    match sent {
        Sent::Accept => Verdict::Accept(pkt),
        Sent::Local(v6) => Verdict::Stolen(pkt.send_local(v6)),
        Sent::Reinject(v6) => Verdict::Stolen(pkt.reinject(v6)),
    }
}

impl<E: DatapathEnv> Datapath<E> {
    /// The datapath of a namespace: its hooks handle packets with `tables`
    /// (which PF_KEY fills) and `env`.
    pub(crate) fn new(tables: Arc<DpTables>, env: E) -> Self {
        Self {
            tables,
            stats: Stats::default(),
            env,
            socket_policies: AtomicBool::new(false),
        }
    }

    /// The counters (`/proc/net/rust_ipsec_stat`).
    pub(crate) fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The lookup tables.
    pub(crate) fn tables(&self) -> &DpTables {
        &self.tables
    }

    /// The namespace around the datapath.
    pub(crate) fn env(&self) -> &E {
        &self.env
    }

    /// Whether rust_ipsec handles `proto` packets in this namespace: it
    /// has SAs or policies, a socket has a policy, or `def_policy` is 0.
    fn active(&self, proto: Proto) -> bool {
        self.tables.is_configured()
            || self.socket_policies.load(Ordering::Relaxed)
            || self.env.knob(family(proto), Knob::DefPolicy) == 0
    }

    /// An outbound packet: the SPD decides; ESP and AH are applied here.
    fn outbound(&self, mut pkt: Packet, sel: &PacketSelector, knobs: &KnobValues) -> Verdict {
        let socket = self.sender_policy(&pkt);
        let sas = match self.outbound_sas(sel, knobs, socket) {
            Ok(Some(sas)) => sas,
            Ok(None) => return Verdict::Accept(pkt),
            Err(why) => return self.finish(pkt, Err(why)),
        };
        let chain: Chain<'_> = sas.each_ref().map(Option::as_deref);
        if pkt.is_gso() {
            return self.output_segments(&chain, pkt, knobs);
        }
        let outcome = self.protect(&chain, &mut pkt, knobs);
        self.finish(pkt, outcome)
    }

    /// The SAs an outbound packet like `sel` gets, innermost first
    /// (`None`: it leaves in the clear), under its socket's policy if it
    /// has one (`socket`), else the SPD's.
    fn outbound_sas(
        &self,
        sel: &PacketSelector,
        knobs: &KnobValues,
        socket: Option<PolicyRecord>,
    ) -> Result<Option<[Option<Arc<DpSa>>; MAX_REQUESTS]>, DropReason> {
        let policy = socket.or_else(|| {
            self.tables
                .policies()
                .lock()
                .lookup(IpsecDir::OUTBOUND, sel)
        });
        let bundle = match decide(policy.as_ref(), knobs) {
            Decision::Bypass => return Ok(None),
            Decision::Discard(DiscardReason::NoPolicy) => return Err(DropReason::DefaultPolicy),
            Decision::Discard(_) => return Err(DropReason::PolicyDiscard),
            Decision::Ipsec(b) => b,
        };
        let mut sas: [Option<Arc<DpSa>>; MAX_REQUESTS] = Default::default();
        // Requests apply in order, innermost first: a transport request
        // after a tunnel one protects the outer packet, to the tunnel's end.
        let (mut src, mut dst) = (sel.src, sel.dst);
        for (i, r) in bundle.iter().enumerate() {
            let satype = match r.request.proto {
                IpProto::ESP => SaType::ESP,
                IpProto::AH => SaType::AH,
                IpProto::COMP => SaType::X_IPCOMP,
                _ => return Err(DropReason::Unsupported),
            };
            if let Some((s, d)) = r.request.endpoints {
                if r.request.mode == IpsecMode::TUNNEL {
                    (src, dst) = (s.addr(), d.addr());
                }
            }
            let reqid = (r.level == Level::Unique).then_some(r.request.reqid);
            if let Some(slot) = sas.get_mut(i) {
                *slot = self.tables.sas().lock().find_outbound(
                    satype,
                    &src,
                    &dst,
                    r.request.mode,
                    reqid,
                );
            }
        }
        let found = sas.each_ref().map(Option::is_some);
        let plan = plan_sas(&bundle, &found);
        if let Some(p) = policy.as_ref().filter(|_| plan.acquire.contains(&true)) {
            // As KAME and Linux, `use` requests without an SA are
            // acquired too, though their packets leave in the clear.
            self.acquire(&bundle, &plan.acquire, sel, p);
        }
        if plan.drop {
            return Err(DropReason::NoSa);
        }
        if plan.applies_none() {
            // Only `use` requests, none with an SA: in the clear.
            return Ok(None);
        }
        let mut chain: [Option<Arc<DpSa>>; MAX_REQUESTS] = Default::default();
        let applied = sas.into_iter().zip(plan.apply).filter(|(_, a)| *a);
        for (slot, (sa, _)) in chain.iter_mut().zip(applied) {
            *slot = Some(sa.ok_or(DropReason::NoSa)?);
        }
        Ok(Some(chain))
    }

    /// Applies the SAs of `chain` to `pkt` (not GSO) in order, innermost
    /// first: transport mode in place, tunnel mode around the packet so
    /// far. Without a tunnel the packet goes on; with one, the outer
    /// packet is sent to the last tunnel's end and the original stolen.
    fn protect(&self, chain: &Chain<'_>, pkt: &mut Packet, knobs: &KnobValues) -> Outcome {
        let mut outer_v6 = None;
        for (i, sa) in chain.iter().map_while(|s| *s).enumerate() {
            // What the SAs after this one add counts against the MTU.
            let later = Later(chain.get(i + 1..).unwrap_or(&[]));
            // Path MTU discovery only when a tunnel is the first transform:
            // later, the packet is no longer the sender's.
            let pmtu = i == 0;
            let (event, counted, v6) = apply(sa, pkt, knobs, later, pmtu)?;
            outer_v6 = v6.or(outer_v6);
            self.used(event);
            self.stats.protected(counted, true);
        }
        match outer_v6 {
            Some(v6) => Ok(Sent::Local(v6)),
            None => Ok(Sent::Accept),
        }
    }

    /// Tells PF_KEY when a packet reached an SA's byte or packet limit or
    /// started its use time: the expiry work then sends SADB_EXPIRE or
    /// arms the timer.
    fn used(&self, event: UsageEvent) {
        if event != UsageEvent::None {
            self.env.sa_used();
        }
    }

    /// Asks the key daemons for the SAs `bundle` requires and has not got
    /// (`missing`), for packets like `sel` matching the outbound `policy`.
    fn acquire(
        &self,
        bundle: &Bundle<'_>,
        missing: &[bool; MAX_REQUESTS],
        sel: &PacketSelector,
        policy: &PolicyRecord,
    ) {
        for (r, _) in bundle.iter().zip(missing).filter(|(_, m)| **m) {
            let rq = r.request;
            let Some(satype) = SaType::from_proto(rq.proto) else {
                continue;
            };
            let (src, dst) = match rq.endpoints {
                Some((s, d)) if rq.mode == IpsecMode::TUNNEL => (s.addr(), d.addr()),
                _ => (sel.src, sel.dst),
            };
            self.env.acquire(AcquireRequest {
                satype,
                src,
                dst,
                mode: rq.mode,
                reqid: if r.level == Level::Unique {
                    rq.reqid
                } else {
                    0
                },
                policy_id: policy.id,
                policy_priority: policy.priority,
            });
        }
    }

    /// A GSO packet: each segment is protected and sent on by itself.
    fn output_segments(&self, chain: &Chain<'_>, pkt: Packet, knobs: &KnobValues) -> Verdict {
        let sent = pkt.send_segments(|mut seg| match self.protect(chain, &mut seg, knobs) {
            Ok(sent) => deliver(seg, sent),
            Err(why) => {
                self.stats.dropped(why);
                Verdict::Drop(seg)
            }
        });
        match sent {
            Ok(stolen) => Verdict::Stolen(stolen),
            Err(pkt) => self.finish(pkt, Err(DropReason::NoMemory)),
        }
    }

    /// A packet delivered here (`dir` in) or routed through (`dir` fwd).
    /// ESP and AH for this host are removed, layer after layer while what
    /// is left is ESP or AH for this host (nested SAs, at most
    /// [`MAX_REQUESTS`]); then the policy of what it carried is checked
    /// against what was removed, outermost first. After a tunnel the inner packet's policy is the
    /// `in` one if it is for this host, else the `fwd` one (a gateway),
    /// and the inner packet is re-injected, marked as checked.
    fn inbound(
        &self,
        pkt: &mut Packet,
        sel: &PacketSelector,
        dir: IpsecDir,
        knobs: &KnobValues,
    ) -> Outcome {
        let none = Applied {
            proto: IpProto(0),
            mode: IpsecMode(0),
            reqid: 0,
            endpoints: (sel.src, sel.dst),
        };
        let mut history = [none; MAX_REQUESTS];
        let mut n = 0;
        let mut inner = *sel;
        let mut tunnelled = false;
        let arrived = pkt.len();
        while let Some(kind) = self.next_layer(pkt, &inner, dir, n)? {
            let slot = history.get_mut(n).ok_or(DropReason::Unsupported)?;
            let removed = usize::try_from(arrived.saturating_sub(pkt.len())).unwrap_or(0);
            let layer = match kind {
                LayerKind::Ipcomp | LayerKind::IpcompPlain => {
                    self.remove_ipcomp(pkt, kind, &inner)?
                }
                _ => self.remove_layer(pkt, kind, &inner, knobs, removed)?,
            };
            tunnelled |= layer.tunnel;
            inner = layer.sel;
            *slot = layer.applied;
            n += 1;
            self.used(layer.event);
            self.stats.protected(kind.counted(), false);
        }
        let dir = if tunnelled && !pkt.is_local(&inner.dst) {
            IpsecDir::FWD
        } else {
            dir
        };
        // A socket's own policy takes the SPD's place for its packets.
        let socket = (dir == IpsecDir::INBOUND)
            .then(|| self.receiver_policy(pkt, &inner))
            .flatten();
        let policy = socket.or_else(|| self.tables.policies().lock().lookup(dir, &inner));
        match inbound_ok(policy.as_ref(), history.get(..n).unwrap_or(&[]), knobs) {
            Ok(()) if tunnelled => Ok(Sent::Reinject(matches!(inner.dst, Addr::V6(_)))),
            Ok(()) => Ok(Sent::Accept),
            Err(Violation::Discard(DiscardReason::NoPolicy)) => Err(DropReason::DefaultPolicy),
            Err(_) => Err(DropReason::PolicyViolation),
        }
    }

    /// Which layer `pkt` (`sel` after the `n` layers removed so far) has
    /// to remove here next, if any: only on input, and a layer within only
    /// when it is for this host too (the protocol is checked first: it
    /// costs no route lookup). A NAT-T keepalive is consumed.
    fn next_layer(
        &self,
        pkt: &Packet,
        sel: &PacketSelector,
        dir: IpsecDir,
        n: usize,
    ) -> Result<Option<LayerKind>, DropReason> {
        if dir != IpsecDir::INBOUND {
            return Ok(None);
        }
        let kind = match sel.proto {
            PROTO_ESP => LayerKind::Esp,
            // NAT-T ESP is the outermost layer.
            PROTO_UDP if n == 0 && self.tables.is_encap_port(sel.dport) => {
                match natt::carried(pkt) {
                    Carried::Esp => LayerKind::EspInUdp,
                    Carried::Keepalive => return Err(DropReason::NattKeepalive),
                    Carried::Socket => return Ok(None),
                }
            }
            _ if carries_ah(pkt, sel) => LayerKind::Ah,
            PROTO_COMP => LayerKind::Ipcomp,
            PROTO_IPIP | PROTO_IPV6 if self.ipcomp_tunnel_of(sel).is_some() => {
                LayerKind::IpcompPlain
            }
            _ => return Ok(None),
        };
        Ok((n == 0 || pkt.is_local(&sel.dst)).then_some(kind))
    }

    /// Removes the outermost ESP or AH (`ah`) layer of `pkt` with the SA
    /// its SPI names (the layers around it, `removed` bytes, are gone); in
    /// tunnel mode `pkt` then holds the inner packet.
    fn remove_layer(
        &self,
        pkt: &mut Packet,
        kind: LayerKind,
        sel: &PacketSelector,
        knobs: &KnobValues,
        removed: usize,
    ) -> Result<Layer, DropReason> {
        let ah = kind == LayerKind::Ah;
        let satype = if ah { SaType::AH } else { SaType::ESP };
        let arrival = match kind {
            LayerKind::EspInUdp => Some(natt::decapsulate(pkt, sel)?),
            _ => None,
        };
        let find = |dst: &Addr, spi: u32| self.tables.sas().lock().find_inbound(satype, dst, spi);
        let (ip, sa) = if ah {
            ah_transport::lookup(pkt, find)?
        } else {
            esp_transport::lookup(pkt, find)?
        };
        if let Some(a) = &arrival {
            natt::check(&sa, a)?;
        }
        let layer = if sa.mode == IpsecMode::TUNNEL {
            let t = if ah {
                ah_tunnel::input(pkt, &ip, &sa, knobs)?
            } else {
                esp_tunnel::input(pkt, &ip, &sa)?
            };
            Layer {
                applied: t.applied,
                sel: t.sel,
                event: t.event,
                tunnel: true,
            }
        } else {
            let (applied, event) = if ah {
                ah_transport::input(pkt, &ip, &sa, knobs, removed)?
            } else {
                esp_transport::input(pkt, &ip, &sa, removed)?
            };
            if arrival.is_some() {
                // RFC 3948 section 3.1.2: a NAT rewrote the addresses the
                // TCP or UDP checksum covers; ESP authenticated the
                // packet, so the checksum is not verified (Linux's esp4
                // does the same).
                pkt.set_checksum_unnecessary();
            }
            Layer {
                applied,
                sel: selector_of(pkt)?,
                event,
                tunnel: false,
            }
        };
        // Authenticated: a NAT-T peer that moved may be followed.
        if let Some(m) = arrival.and_then(|a| natt::moved(&sa, &a)) {
            self.env.new_mapping(m);
        }
        Ok(layer)
    }

    /// The IPComp tunnel SA from `sel`'s source to its destination, if
    /// any: IP-in-IP between them is its uncompressed packet.
    fn ipcomp_tunnel_of(&self, sel: &PacketSelector) -> Option<Arc<DpSa>> {
        if !self.tables.has_ipcomp_tunnels() {
            return None;
        }
        self.tables.sas().lock().find_outbound(
            SaType::X_IPCOMP,
            &sel.src,
            &sel.dst,
            IpsecMode::TUNNEL,
            None,
        )
    }

    /// Removes an IPComp layer from `pkt` (`sel`): decompressed with the
    /// SA its CPI names, or IP-in-IP from an IPComp tunnel SA's peer.
    fn remove_ipcomp(
        &self,
        pkt: &mut Packet,
        kind: LayerKind,
        sel: &PacketSelector,
    ) -> Result<Layer, DropReason> {
        if kind == LayerKind::IpcompPlain {
            let sa = self.ipcomp_tunnel_of(sel).ok_or(DropReason::UnknownSpi)?;
            let t = ipcomp::plain_input(pkt, &sa)?;
            return Ok(tunnel_layer(t));
        }
        let find = |dst: &Addr, cpi: u32| {
            self.tables
                .sas()
                .lock()
                .find_inbound(SaType::X_IPCOMP, dst, cpi)
        };
        let (ip, h, sa) = ipcomp::lookup(pkt, find)?;
        if sa.mode == IpsecMode::TUNNEL {
            return Ok(tunnel_layer(ipcomp::tunnel_input(pkt, &ip, &h, &sa)?));
        }
        let (applied, event) = ipcomp::input(pkt, &ip, &h, &sa)?;
        Ok(Layer {
            applied,
            sel: selector_of(pkt)?,
            event,
            tunnel: false,
        })
    }

    fn decide_packet(&self, mut pkt: Packet) -> Verdict {
        let sel = match selector_of(&pkt) {
            Ok(sel) => sel,
            Err(why) => return self.finish(pkt, Err(why)),
        };
        let knobs = self.env.knobs(family(pkt.proto));
        let outcome = match pkt.point {
            HookPoint::PostRouting => return self.outbound(pkt, &sel, &knobs),
            HookPoint::LocalIn => self.inbound(&mut pkt, &sel, IpsecDir::INBOUND, &knobs),
            HookPoint::Forward => self.inbound(&mut pkt, &sel, IpsecDir::FWD, &knobs),
        };
        self.finish(pkt, outcome)
    }

    /// What becomes of `pkt` after `outcome`: sent on, or dropped (counted,
    /// and logged with `debug=1`).
    fn finish(&self, pkt: Packet, outcome: Outcome) -> Verdict {
        match outcome {
            Ok(sent) => deliver(pkt, sent),
            Err(why) => {
                self.stats.dropped(why);
                if self.env.knob(family(pkt.proto), Knob::Debug) != 0 {
                    log_drop(&pkt, why);
                }
                Verdict::Drop(pkt)
            }
        }
    }
}

impl<E: DatapathEnv> HookHandler for Datapath<E> {
    fn hook(&self, mut pkt: Packet) -> Verdict {
        if !self.active(pkt.proto) {
            return Verdict::Accept(pkt);
        }
        let ours = match pkt.point {
            // The outer packet our tunnel output sent.
            HookPoint::PostRouting => pkt.transformed(),
            // An inner packet our tunnel input checked and re-injected.
            HookPoint::LocalIn | HookPoint::Forward => pkt.take_marker(),
        };
        if ours {
            return Verdict::Accept(pkt);
        }
        let pkt = match reassemble(pkt) {
            Reassembled::Whole(pkt) | Reassembled::Unavailable(pkt) => pkt,
            Reassembled::Queued(stolen) => return Verdict::Stolen(stolen),
            Reassembled::Failed(pkt) => return self.finish(pkt, Err(DropReason::Malformed)),
        };
        self.stats.seen(pkt.proto, pkt.point, pkt.len());
        self.decide_packet(pkt)
    }
}

/// Applies the SA `sa` to `pkt` (see [`Datapath::protect`]); returns what
/// the packet meant for the SA's lifetime, what to count, and, for a
/// tunnel, whether the outer header is IPv6.
fn apply(
    sa: &DpSa,
    pkt: &mut Packet,
    knobs: &KnobValues,
    later: Later<'_>,
    pmtu: bool,
) -> Result<(UsageEvent, Counted, Option<bool>), DropReason> {
    let tunnel = sa.mode == IpsecMode::TUNNEL;
    if sa.is_ipcomp() {
        let sent = if tunnel {
            ipcomp::tunnel_output(sa, pkt, knobs, later, pmtu)?
        } else {
            ipcomp::output(sa, pkt, later)?
        };
        let counted = if sent.compressed {
            Counted::Ipcomp
        } else {
            Counted::IpcompPlain
        };
        return Ok((sent.event, counted, sent.outer_v6));
    }
    let counted = if sa.is_ah() {
        Counted::Ah
    } else {
        Counted::Esp
    };
    let (event, v6) = match (sa.is_ah(), tunnel) {
        (false, false) => (esp_transport::output(sa, pkt, later)?, None),
        (true, false) => (ah_transport::output(sa, pkt, knobs, later)?, None),
        (false, true) => {
            let (event, v6) = esp_tunnel::output(sa, pkt, knobs, later, pmtu)?;
            (event, Some(v6))
        }
        (true, true) => {
            let (event, v6) = ah_tunnel::output(sa, pkt, knobs, later, pmtu)?;
            (event, Some(v6))
        }
    };
    Ok((event, counted, v6))
}

/// The layer a tunnel's input removed.
fn tunnel_layer(t: tunnel::Inner) -> Layer {
    Layer {
        applied: t.applied,
        sel: t.sel,
        event: t.event,
        tunnel: true,
    }
}

/// The selector of `pkt` as it is now (its headers read in place).
fn selector_of(pkt: &Packet) -> Result<PacketSelector, DropReason> {
    pkt.with_network_head::<HEADER_BYTES, _>(selector_from_head)
        .map_err(|_| DropReason::Malformed)
}

/// Whether `pkt`, whose selector is `sel`, carries AH where this host
/// processes it: IPv4's protocol field names AH; an IPv6 packet's header
/// chain reaches AH through Hop-by-Hop, Routing and Destination Options
/// headers only (its selector names the protocol after AH). The IPv6
/// check reads only the next-header bytes of the chain and stops at the
/// first other header, so a packet without extension headers costs one
/// byte compare.
fn carries_ah(pkt: &Packet, sel: &PacketSelector) -> bool {
    match sel.dst {
        Addr::V4(_) => sel.proto == NEXTHDR_AUTH,
        Addr::V6(_) => pkt.with_network_head::<HEADER_BYTES, _>(locate_ah).is_ok(),
    }
}

/// IPv6 packets for this host are reassembled before anything else, so
/// that fragmented ESP can be decrypted and policies see whole packets
/// (IPv4 reassembles before LOCAL_IN by itself); other packets are left
/// [`Reassembled::Whole`].
fn reassemble(pkt: Packet) -> Reassembled {
    if pkt.proto != Proto::Ipv6 || pkt.point != HookPoint::LocalIn {
        return Reassembled::Whole(pkt);
    }
    pkt.reassemble_v6()
}

/// Log lines print addresses as the core's `core::fmt::Display` does.
impl kernel::fmt::Display for Addr {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        core::fmt::Display::fmt(self, f)
    }
}

/// With `debug=1`: one rate-limited line per dropped packet saying which
/// packet and why.
fn log_drop(pkt: &Packet, why: DropReason) {
    if !net_ratelimit() {
        return;
    }
    let point = match pkt.point {
        HookPoint::PostRouting => "out",
        HookPoint::LocalIn => "in",
        HookPoint::Forward => "fwd",
    };
    match selector_of(pkt) {
        Ok(s) => pr_info!(
            "drop {point} {} -> {} proto {} ports {}/{}: {} ({})\n",
            s.src,
            s.dst,
            s.proto,
            s.sport,
            s.dport,
            why.describe(),
            why.name()
        ),
        Err(_) => pr_info!("drop {point}: {} ({})\n", why.describe(), why.name()),
    }
}
