// SPDX-License-Identifier: GPL-2.0

//! Per-socket policies on the datapath (`Documentation/sockpolicy.rst`):
//! a socket's policy (the core's `sock_policy`: what the option says) is
//! kept in the socket's own policy slot (the glue's `sock_policy`: where),
//! and for the socket's packets it takes the SPD's place.
//!
//! - Outbound, the sending socket's policy is read from the packet
//!   (`skb->sk`; a connection request's listener).
//! - Inbound, the socket a packet delivered here goes to is looked up as
//!   TCP and UDP look it up, after decapsulation. That costs a lookup per
//!   packet, so it happens only in a namespace where a socket has been
//!   given a policy.

use core::sync::atomic::Ordering;

use kernel::prelude::*;

use super::env::DatapathEnv;
use super::Datapath;
use crate::glue::hooks::Packet;
use crate::glue::ratelimit::pr_info_ratelimited;
use crate::glue::sock_policy::{Flow, SlotDir, StoredPolicy, Template, MAX_TEMPLATES};
use crate::ipsec_core::inet::IpProto;
use crate::ipsec_core::ipsec::{IpsecDir, IpsecLevel, IpsecMode, PolicyType};
use crate::ipsec_core::ipview::PacketSelector;
use crate::ipsec_core::pfkey::sockaddr::SockAddr;
use crate::ipsec_core::sock_policy::{SockPolicy, IPV6_IPSEC_POLICY};
use crate::ipsec_core::spd::{PolicyRecord, Request, MAX_REQUESTS};

impl<E: DatapathEnv> Datapath<E> {
    /// Compiles the value of `setsockopt(optname)` on a socket of
    /// `sk_family` into what its slot keeps. A refused value gets its
    /// errno and a log line; nothing is stored then.
    pub(crate) fn compile_socket_policy(
        &self,
        optname: i32,
        sk_family: u16,
        data: &[u8],
    ) -> Result<(SlotDir, StoredPolicy)> {
        let policy = SockPolicy::parse(data, optname, sk_family).map_err(|e| {
            let name = if optname == IPV6_IPSEC_POLICY {
                "IPV6_IPSEC_POLICY"
            } else {
                "IP_IPSEC_POLICY"
            };
            pr_info_ratelimited!("{name} refused: {} (errno {})\n", e.reason, e.errno.0);
            Error::from_errno(e.errno.to_neg())
        })?;
        self.socket_policies.store(true, Ordering::Relaxed);
        Ok(to_stored(&policy))
    }

    /// The policy that replaces the SPD's for an outbound packet: its
    /// sending socket's, unless it has none or it is `entrust`.
    pub(crate) fn sender_policy(&self, pkt: &Packet) -> Option<PolicyRecord> {
        if !self.socket_policies.load(Ordering::Relaxed) {
            return None;
        }
        let stored = pkt.sender_policy(SlotDir::Out)?;
        from_stored(&stored, IpsecDir::OUTBOUND).enforced(stored.index)
    }

    /// The policy that replaces the SPD's for a packet delivered here as
    /// `sel` (what is left after decapsulation): that of the TCP or UDP
    /// socket it goes to, unless it has none or it is `entrust`.
    pub(crate) fn receiver_policy(
        &self,
        pkt: &Packet,
        sel: &PacketSelector,
    ) -> Option<PolicyRecord> {
        if !self.socket_policies.load(Ordering::Relaxed) {
            return None;
        }
        let flow = Flow {
            proto: sel.proto,
            src: sel.src,
            sport: sel.sport,
            dst: sel.dst,
            dport: sel.dport,
        };
        let stored = pkt.receiver_policy(&flow, SlotDir::In)?;
        from_stored(&stored, IpsecDir::INBOUND).enforced(stored.index)
    }
}

/// `p` as its slot keeps it: the policy type as the kind, its requests as
/// templates (`use` ones optional).
fn to_stored(p: &SockPolicy) -> (SlotDir, StoredPolicy) {
    let mut templates = [None; MAX_TEMPLATES];
    for (slot, rq) in templates.iter_mut().zip(p.requests()) {
        *slot = Some(Template {
            proto: u8::try_from(rq.proto.0).unwrap_or(0),
            tunnel: rq.mode == IpsecMode::TUNNEL,
            level: rq.level.0,
            optional: rq.level == IpsecLevel::USE,
            reqid: rq.reqid,
            endpoints: rq.endpoints.map(|(s, d)| (s.addr(), d.addr())),
        });
    }
    let dir = if p.dir == IpsecDir::INBOUND {
        SlotDir::In
    } else {
        SlotDir::Out
    };
    let stored = StoredPolicy {
        kind: u32::from(p.action.0),
        block: p.action == PolicyType::DISCARD,
        index: 0,
        templates,
    };
    (dir, stored)
}

/// What [`to_stored`] kept, back as the policy of direction `dir`.
fn from_stored(s: &StoredPolicy, dir: IpsecDir) -> SockPolicy {
    let mut requests = [None; MAX_REQUESTS];
    let kept = s.templates.iter().map_while(Option::as_ref);
    for (slot, t) in requests.iter_mut().zip(kept) {
        *slot = Some(Request {
            proto: IpProto(u16::from(t.proto)),
            mode: if t.tunnel {
                IpsecMode::TUNNEL
            } else {
                IpsecMode::TRANSPORT
            },
            level: IpsecLevel(t.level),
            reqid: t.reqid,
            endpoints: t
                .endpoints
                .map(|(src, dst)| (SockAddr::new(src, 0), SockAddr::new(dst, 0))),
        });
    }
    SockPolicy {
        dir,
        action: PolicyType(u16::try_from(s.kind).unwrap_or(u16::MAX)),
        requests,
    }
}
