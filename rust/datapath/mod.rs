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
//! unknown SPI is dropped. ESP in transport and tunnel mode (IPv4 and
//! IPv6) is applied and removed here (`esp_transport.rs`,
//! `esp_tunnel.rs`); what is not implemented yet (bundles, AH, IPComp)
//! is dropped (counted as `DropUnsupported`), never passed in the clear. Missing SAs are
//! acquired through PF_KEY (`pfkey/acquire.rs`); per-SA counters feed the
//! SADB's lifetimes.

pub(crate) mod esp_transport;
pub(crate) mod esp_tunnel;
pub(crate) mod sa;
pub(crate) mod spd;
pub(crate) mod stats;

use crate::glue::netfilter::{HookHandler, HookPacket, HookPoint, HookSpec, Proto, Verdict};
use crate::glue::ratelimit::net_ratelimit;
use crate::ipsec_core::acquire::AcquireRequest;
use crate::ipsec_core::ipview::{selector_from_head, PacketSelector, HEAD_MAX};
use crate::ipsec_core::knobs::{Family, Knob, KnobValues};
use crate::ipsec_core::pfkey::consts::IpProto;
use crate::ipsec_core::pfkey::consts::{IpsecDir, IpsecMode};
use crate::ipsec_core::pfkey::sockaddr::Addr;
use crate::ipsec_core::pfkey::SaType;
use crate::ipsec_core::policy::{
    decide, inbound_ok, plan_sas, Applied, Bundle, Decision, DiscardReason, Level, Violation,
};
use crate::ipsec_core::spd::{PolicyRecord, MAX_REQUESTS};
use crate::ipsec_core::transport::TransportHead;
use crate::ipsec_core::usage::UsageEvent;
use crate::netns::NetnsShared;
use esp_transport::IPPROTO_ESP;
use kernel::prelude::*;
use kernel::sync::Arc;
use sa::DpSa;
use stats::Drop;

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

/// What the hook does with a packet, and why it drops it.
type Outcome = Result<Sent, Drop>;

/// A packet the hook lets go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sent {
    /// Continue through the stack (transformed or not).
    Accept,
    /// Already sent on by the hook (GSO segments).
    Stolen,
}

impl NetnsShared {
    /// Whether rust_ipsec handles `proto` packets in this namespace.
    fn active(&self, proto: Proto) -> bool {
        self.pfkey().is_configured() || self.knob(family(proto), Knob::DefPolicy) == 0
    }

    /// An outbound packet: the SPD decides; ESP is applied here.
    fn outbound(&self, pkt: &mut HookPacket, sel: &PacketSelector, knobs: &KnobValues) -> Outcome {
        let policy = self
            .pfkey()
            .dp_policies
            .lock()
            .lookup(IpsecDir::OUTBOUND.0, sel);
        let bundle = match decide(policy.as_ref(), knobs) {
            Decision::Bypass => return Ok(Sent::Accept),
            Decision::Discard(DiscardReason::NoPolicy) => return Err(Drop::DefaultPolicy),
            Decision::Discard(_) => return Err(Drop::PolicyDiscard),
            Decision::Ipsec(b) => b,
        };
        let mut sas: [Option<Arc<DpSa>>; MAX_REQUESTS] = Default::default();
        for (i, r) in bundle.iter().enumerate() {
            if r.request.proto != u16::from(IPPROTO_ESP) {
                // AH and IPComp have no datapath yet.
                return Err(Drop::Unsupported);
            }
            let dst = match r.request.endpoints {
                Some((_, d)) if r.request.mode == IpsecMode::TUNNEL.0 => d.addr(),
                _ => sel.dst,
            };
            let reqid = (r.level == Level::Unique).then_some(r.request.reqid);
            if let Some(slot) = sas.get_mut(i) {
                *slot = self
                    .pfkey()
                    .dp_sas
                    .lock()
                    .find_outbound(&dst, r.request.mode, reqid);
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
            return Err(Drop::NoSa);
        }
        if plan.applies_none() {
            // Only `use` requests, none with an SA: in the clear.
            return Ok(Sent::Accept);
        }
        let mut applied = sas
            .iter()
            .zip(plan.apply)
            .filter(|(_, a)| *a)
            .map(|(s, _)| s);
        match (applied.next(), applied.next()) {
            (Some(Some(sa)), None) => {
                if pkt.is_gso() {
                    return self.output_segments(sa, pkt, knobs);
                }
                self.protect(sa, pkt, knobs)
            }
            _ => Err(Drop::Unsupported),
        }
    }

    /// Applies `sa` to `pkt` (not GSO): transport mode in place (the
    /// packet goes on), tunnel mode sent as a new packet (stolen).
    fn protect(&self, sa: &DpSa, pkt: &mut HookPacket, knobs: &KnobValues) -> Outcome {
        let (event, sent) = if sa.mode == IpsecMode::TUNNEL.0 {
            (esp_tunnel::output(sa, pkt, knobs)?, Sent::Stolen)
        } else {
            (esp_transport::output(sa, pkt)?, Sent::Accept)
        };
        self.used(event);
        self.stats().esp(true);
        Ok(sent)
    }

    /// Tells PF_KEY when a packet reached an SA's byte or packet limit or
    /// started its use time: the expiry work then sends SADB_EXPIRE or
    /// arms the timer.
    fn used(&self, event: UsageEvent) {
        if event != UsageEvent::None {
            self.pfkey().expiry.schedule_in(0);
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
            let Some(satype) = SaType::from_proto(IpProto(rq.proto)) else {
                continue;
            };
            let (src, dst) = match rq.endpoints {
                Some((s, d)) if rq.mode == IpsecMode::TUNNEL.0 => (s.addr(), d.addr()),
                _ => (sel.src, sel.dst),
            };
            self.pfkey().request_acquire(AcquireRequest {
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
    fn output_segments(
        &self,
        sa: &DpSa,
        pkt: &mut HookPacket,
        knobs: &KnobValues,
    ) -> Result<Sent, Drop> {
        let refused = pkt
            .send_segments(|seg| match self.protect(sa, seg, knobs) {
                Ok(Sent::Accept) => Ok(Verdict::Accept),
                Ok(Sent::Stolen) => Ok(Verdict::Stolen),
                Err(why) => {
                    self.stats().dropped(why);
                    Err(why)
                }
            })
            .map_err(|()| Drop::NoMemory)?;
        let _ = refused;
        Ok(Sent::Stolen)
    }

    /// A packet delivered here (`dir` in) or routed through (`dir` fwd):
    /// ESP (transport, IPv4) is removed first, then the policy of what it
    /// carried is checked against what was applied.
    fn inbound(
        &self,
        pkt: &mut HookPacket,
        sel: &PacketSelector,
        dir: IpsecDir,
        knobs: &KnobValues,
    ) -> Outcome {
        let mut history: [Applied; 1] = [Applied {
            proto: 0,
            mode: 0,
            reqid: 0,
            endpoints: (sel.src, sel.dst),
        }];
        let mut applied = 0;
        let mut inner = *sel;
        if sel.proto == IPPROTO_ESP && dir == IpsecDir::INBOUND {
            let (ip, sa) = esp_transport::lookup(pkt, |dst, spi| {
                self.pfkey().dp_sas.lock().find_inbound(dst, spi)
            })?;
            if sa.mode == IpsecMode::TUNNEL.0 {
                return self.decapsulate(pkt, &ip, &sa, knobs);
            }
            let (done, event) = esp_transport::input(pkt, &ip, &sa)?;
            history[0] = done;
            self.used(event);
            applied = 1;
            self.stats().esp(false);
            let mut buf = [0u8; HEADER_BYTES];
            inner = selector_from_head(pkt.network_bytes(&mut buf)).map_err(|_| Drop::Malformed)?;
        }
        let policy = self.pfkey().dp_policies.lock().lookup(dir.0, &inner);
        match inbound_ok(policy.as_ref(), &history[..applied], knobs) {
            Ok(()) => Ok(Sent::Accept),
            Err(Violation::Discard(DiscardReason::NoPolicy)) => Err(Drop::DefaultPolicy),
            Err(_) => Err(Drop::PolicyViolation),
        }
    }

    /// Tunnel-mode ESP for this host: the inner packet must satisfy the
    /// `in` policy (inner destination here) or the `fwd` one (routed on);
    /// then it is re-injected, marked as checked, and the hook steals it.
    fn decapsulate(
        &self,
        pkt: &mut HookPacket,
        ip: &TransportHead,
        sa: &DpSa,
        knobs: &KnobValues,
    ) -> Outcome {
        let inner = esp_tunnel::input(pkt, ip, sa)?;
        self.used(inner.event);
        self.stats().esp(false);
        let dir = if pkt.is_local(&inner.sel.dst) {
            IpsecDir::INBOUND
        } else {
            IpsecDir::FWD
        };
        let policy = self.pfkey().dp_policies.lock().lookup(dir.0, &inner.sel);
        match inbound_ok(policy.as_ref(), &[inner.applied], knobs) {
            Ok(()) => {
                pkt.reinject(matches!(inner.sel.dst, Addr::V6(_)));
                Ok(Sent::Stolen)
            }
            Err(Violation::Discard(DiscardReason::NoPolicy)) => Err(Drop::DefaultPolicy),
            Err(_) => Err(Drop::PolicyViolation),
        }
    }

    fn decide_packet(&self, pkt: &mut HookPacket) -> Outcome {
        let mut buf = [0u8; HEADER_BYTES];
        let sel = selector_from_head(pkt.network_bytes(&mut buf)).map_err(|_| Drop::Malformed)?;
        let knobs = self.knobs(family(pkt.proto));
        match pkt.point {
            HookPoint::PostRouting => self.outbound(pkt, &sel, &knobs),
            HookPoint::LocalIn => self.inbound(pkt, &sel, IpsecDir::INBOUND, &knobs),
            HookPoint::Forward => self.inbound(pkt, &sel, IpsecDir::FWD, &knobs),
        }
    }
}

impl HookHandler for NetnsShared {
    fn hook(&self, pkt: &mut HookPacket) -> Verdict {
        if !self.active(pkt.proto) {
            return Verdict::Accept;
        }
        let ours = match pkt.point {
            // The outer packet our tunnel output sent.
            HookPoint::PostRouting => pkt.transformed(),
            // An inner packet our tunnel input checked and re-injected.
            HookPoint::LocalIn | HookPoint::Forward => pkt.take_marker(),
        };
        if ours {
            return Verdict::Accept;
        }
        self.stats().seen(pkt.proto, pkt.point, pkt.len);
        match self.decide_packet(pkt) {
            Ok(Sent::Accept) => Verdict::Accept,
            Ok(Sent::Stolen) => Verdict::Stolen,
            Err(why) => {
                self.stats().dropped(why);
                if self.knob(family(pkt.proto), Knob::Debug) != 0 {
                    log_drop(pkt, why);
                }
                Verdict::Drop
            }
        }
    }
}

/// Log lines print addresses as the core's `core::fmt::Display` does.
impl kernel::fmt::Display for Addr {
    fn fmt(&self, f: &mut kernel::fmt::Formatter<'_>) -> kernel::fmt::Result {
        core::fmt::Display::fmt(self, f)
    }
}

/// With `debug=1`: one rate-limited line per dropped packet saying which
/// packet and why.
fn log_drop(pkt: &mut HookPacket, why: Drop) {
    if !net_ratelimit() {
        return;
    }
    let point = match pkt.point {
        HookPoint::PostRouting => "out",
        HookPoint::LocalIn => "in",
        HookPoint::Forward => "fwd",
    };
    let mut buf = [0u8; HEADER_BYTES];
    match selector_from_head(pkt.network_bytes(&mut buf)) {
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
