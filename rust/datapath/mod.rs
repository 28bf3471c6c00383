// SPDX-License-Identifier: GPL-2.0

//! The datapath of a namespace: netfilter hooks for IPv4 and IPv6.
//!
//! Stage 0 of `Documentation/design/datapath-plan.rst`: the hooks are
//! registered per namespace (POST_ROUTING for everything leaving, LOCAL_IN
//! for everything delivered here, FORWARD for routed packets) and removed
//! in `pre_exit`. A namespace is *active* for a family when its
//! `def_policy` is 0 or rust_ipsec has an SA or a policy there; in an
//! inactive one the hook returns at once, touching nothing, so Linux XFRM
//! works undisturbed beside the module. In an active namespace the hooks
//! count what they see (`/proc/net/rust_ipsec_stat`); ESP processing and
//! policy enforcement are the next stages and not done yet.

pub(crate) mod sa;
pub(crate) mod stats;

use crate::glue::netfilter::{HookHandler, HookPacket, HookPoint, HookSpec, Proto, Verdict};
use crate::ipsec_core::knobs::{Family, Knob};
use crate::netns::NetnsShared;

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

impl NetnsShared {
    /// Whether rust_ipsec handles `proto` packets in this namespace.
    fn active(&self, proto: Proto) -> bool {
        self.pfkey().is_configured() || self.knobs(family(proto)).get(Knob::DefPolicy) == 0
    }
}

impl HookHandler for NetnsShared {
    fn hook(&self, pkt: &HookPacket) -> Verdict {
        if !self.active(pkt.proto) {
            return Verdict::Accept;
        }
        self.stats().seen(pkt.proto, pkt.point, pkt.len);
        Verdict::Accept
    }
}
