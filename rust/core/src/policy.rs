// SPDX-License-Identifier: GPL-2.0

//! Per-packet policy decisions on top of [`super::spd`] records, with
//! KAME's request levels: what to do with an outbound packet, which SAs to
//! apply or ACQUIRE, and whether what inbound decapsulation did satisfies
//! the inbound policy.
//!
//! C source: NetBSD's `netipsec/ipsec.c` (`ipsec_get_reqlevel`,
//! `ipsec_in_reject`), `netipsec/key.c` (`key_checkrequest`) and Linux's
//! [net/xfrm/xfrm_policy.c](srctree/net/xfrm/xfrm_policy.c)
//! (`__xfrm_policy_check`, `xfrm_policy_ok`, `xfrm_state_ok`).
//!
//! Requests are in outbound application order: the first is applied first
//! (innermost), the last is outermost. The inbound history is in
//! decapsulation order: outermost first. The inbound check walks the
//! requests from the last and the history from the first, as Linux's
//! `__xfrm_policy_check` does: a request is satisfied by the next matching
//! history entry; unmatched transport-mode entries in between are skipped,
//! an unmatched tunnel-mode entry ends the search; after the requests no
//! tunnel-mode entry may be left.

use super::inet::{Addr, IpProto};
use super::ipsec::{IpsecLevel, IpsecMode, PolicyType};
use super::knobs::{DefPolicy, KnobValues, Level as KnobLevel};
use super::spd::{PolicyRecord, Request, MAX_REQUESTS};

/// A request's level once `default` is resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Use an SA if there is one, else go on without.
    Use,
    /// An SA is needed: none means drop (and ACQUIRE).
    Require,
    /// As [`Level::Require`], with an SA of the request's own reqid.
    Unique,
}

impl Level {
    /// Whether the request must be satisfied.
    pub const fn mandatory(self) -> bool {
        !matches!(self, Level::Use)
    }
}

/// The effective level of `rq`: `default` through the deflev knobs
/// (`esp_trans_deflev`, `esp_net_deflev`, `ah_trans_deflev`,
/// `ah_net_deflev`); an unknown level counts as require, as NetBSD's
/// `ipsec_get_reqlevel` does.
pub fn resolve_level(rq: &Request, knobs: &KnobValues) -> Level {
    match rq.level {
        IpsecLevel::DEFAULT => {
            let ah = rq.proto == IpProto::AH;
            let tunnel = rq.mode == IpsecMode::TUNNEL;
            match knobs.default_level(ah, tunnel) {
                KnobLevel::Use => Level::Use,
                KnobLevel::Require => Level::Require,
            }
        }
        IpsecLevel::USE => Level::Use,
        IpsecLevel::UNIQUE => Level::Unique,
        _ => Level::Require,
    }
}

/// A request with its effective level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resolved<'a> {
    /// The request as the policy has it.
    pub request: &'a Request,
    /// Its effective level.
    pub level: Level,
}

/// The requests of an IPsec policy, resolved, in order (borrowing the
/// policy).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bundle<'a> {
    items: [Option<Resolved<'a>>; MAX_REQUESTS],
}

impl<'a> Bundle<'a> {
    /// Resolves every request of `policy`.
    pub fn new(policy: &'a PolicyRecord, knobs: &KnobValues) -> Self {
        let mut items = [None; MAX_REQUESTS];
        for (slot, rq) in items.iter_mut().zip(policy.requests()) {
            *slot = Some(Resolved {
                request: rq,
                level: resolve_level(rq, knobs),
            });
        }
        Bundle { items }
    }

    /// The requests, in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Resolved<'a>> {
        // Filled from the front by `new`, so no gaps.
        self.items.iter().flatten()
    }

    /// Number of requests.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether there are no requests.
    pub fn is_empty(&self) -> bool {
        self.items.first().is_none_or(Option::is_none)
    }
}

/// Why a packet is dropped by policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiscardReason {
    /// No policy matched and `def_policy` is 0.
    NoPolicy,
    /// The matching policy says discard.
    Policy,
    /// The matching policy is unusable (an action other than discard,
    /// none or ipsec, or ipsec without requests).
    BadPolicy,
}

/// What to do with an outbound packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision<'a> {
    /// Drop it.
    Discard(DiscardReason),
    /// Send it in the clear.
    Bypass,
    /// Apply these requests (subject to [`plan_sas`]).
    Ipsec(Bundle<'a>),
}

/// The outbound decision for a packet whose SPD lookup found `policy`
/// (`None`: no match, `def_policy` decides).
pub fn decide<'a>(policy: Option<&'a PolicyRecord>, knobs: &KnobValues) -> Decision<'a> {
    let Some(p) = policy else {
        return match knobs.def_policy() {
            DefPolicy::Accept => Decision::Bypass,
            DefPolicy::Discard => Decision::Discard(DiscardReason::NoPolicy),
        };
    };
    match p.action {
        PolicyType::DISCARD => Decision::Discard(DiscardReason::Policy),
        PolicyType::NONE => Decision::Bypass,
        PolicyType::IPSEC => {
            let b = Bundle::new(p, knobs);
            if b.is_empty() {
                Decision::Discard(DiscardReason::BadPolicy)
            } else {
                Decision::Ipsec(b)
            }
        }
        _ => Decision::Discard(DiscardReason::BadPolicy),
    }
}

/// Which requests of a bundle get applied, given which have an SA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaPlan {
    /// Apply request `i` (its SA was found).
    pub apply: [bool; MAX_REQUESTS],
    /// Send an ACQUIRE for request `i` (no SA). As NetBSD's
    /// `key_checkrequest`, `use` requests without an SA are acquired too,
    /// though the packet goes on without them.
    pub acquire: [bool; MAX_REQUESTS],
    /// Drop the packet: a `require`/`unique` request has no SA.
    pub drop: bool,
}

impl SaPlan {
    /// Whether nothing gets applied (the packet leaves in the clear, if
    /// not dropped).
    pub fn applies_none(&self) -> bool {
        !self.apply.contains(&true)
    }
}

/// The SA step: `found[i]` says whether request `i` of `bundle` has an SA
/// (looked up by destination, protocol, mode, and reqid for `unique`).
/// A missing entry in `found` counts as no SA.
pub fn plan_sas(bundle: &Bundle<'_>, found: &[bool]) -> SaPlan {
    let mut plan = SaPlan {
        apply: [false; MAX_REQUESTS],
        acquire: [false; MAX_REQUESTS],
        drop: false,
    };
    for (i, r) in bundle.iter().enumerate() {
        let have = found.get(i).copied().unwrap_or(false);
        if let Some(a) = plan.apply.get_mut(i) {
            *a = have;
        }
        if !have {
            if let Some(q) = plan.acquire.get_mut(i) {
                *q = true;
            }
            plan.drop |= r.level.mandatory();
        }
    }
    plan
}

/// One transform inbound processing removed, recorded in order
/// (outermost first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Applied {
    /// `IPPROTO_ESP` or `IPPROTO_AH`.
    pub proto: IpProto,
    /// `IPSEC_MODE_TRANSPORT` or `IPSEC_MODE_TUNNEL`.
    pub mode: IpsecMode,
    /// The SA's reqid.
    pub reqid: u32,
    /// The SA's (source, destination).
    pub endpoints: (Addr, Addr),
}

/// Why an inbound packet violates policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Violation {
    /// Dropped by `def_policy` or a discard policy (or an unusable one).
    Discard(DiscardReason),
    /// Request `index` (mandatory) is not satisfied by the history.
    Missing {
        /// Index of the request in the policy.
        index: usize,
    },
    /// History entry `index` is a tunnel no request accounts for.
    UnexpectedTunnel {
        /// Index in the history.
        index: usize,
    },
}

/// Whether a request's tunnel endpoints match an SA's: destination equal,
/// source equal unless the request's is unspecified.
fn endpoints_match(rq: &Request, ep: &(Addr, Addr)) -> bool {
    let Some((s, d)) = rq.endpoints else {
        return false;
    };
    let unspecified = s.addr().octets().iter().all(|&b| b == 0);
    d.addr() == ep.1 && (unspecified || s.addr() == ep.0)
}

/// Whether history entry `h` satisfies request `r` (`xfrm_state_ok`):
/// same protocol and mode, the reqid for `unique` (0: any), the endpoints
/// for tunnel mode.
fn satisfies(r: &Resolved<'_>, h: &Applied) -> bool {
    let rq = r.request;
    rq.proto == h.proto
        && rq.mode == h.mode
        && (r.level != Level::Unique || rq.reqid == 0 || rq.reqid == h.reqid)
        && (rq.mode != IpsecMode::TUNNEL || endpoints_match(rq, &h.endpoints))
}

/// Finds request `r` in `history` from `start` (`xfrm_policy_ok`): the
/// index after the matching entry, or `None`.
fn find(r: &Resolved<'_>, history: &[Applied], start: usize) -> Option<usize> {
    for (i, h) in history.iter().enumerate().skip(start) {
        if satisfies(r, h) {
            return Some(i + 1);
        }
        if h.mode != IpsecMode::TRANSPORT {
            return None;
        }
    }
    None
}

/// The first tunnel-mode entry of `history` at or after `start`.
fn tunnel_left(history: &[Applied], start: usize) -> Option<usize> {
    history
        .iter()
        .enumerate()
        .skip(start)
        .find(|(_, h)| h.mode != IpsecMode::TRANSPORT)
        .map(|(i, _)| i)
}

/// The inbound check of a packet delivered locally or forwarded: `policy`
/// is the inbound (or fwd) policy its selector matched (`None`: no match,
/// `def_policy` decides), `history` what decapsulation removed, outermost
/// first (empty: the packet arrived in the clear).
///
/// `require` and `unique` requests must be satisfied in order (`unique`
/// by an SA of its reqid); `use` requests may be missing, and so may
/// IPComp at any level: RFC 3173 lets a sender skip compressing a packet
/// that would not shrink (KAME's `ipsec_in_reject` treats IPComp as
/// `use`; an uncompressed tunnel packet still counts, as IP-in-IP from
/// the SA's peer). Without an IPsec
/// policy, transport-mode history is fine but a tunnel is not (Linux's
/// `secpath_has_nontransport`).
pub fn inbound_ok(
    policy: Option<&PolicyRecord>,
    history: &[Applied],
    knobs: &KnobValues,
) -> Result<(), Violation> {
    let bundle = match decide(policy, knobs) {
        Decision::Discard(r) => return Err(Violation::Discard(r)),
        Decision::Bypass => {
            return match tunnel_left(history, 0) {
                Some(index) => Err(Violation::UnexpectedTunnel { index }),
                None => Ok(()),
            };
        }
        Decision::Ipsec(b) => b,
    };
    let mut k = 0;
    let count = bundle.len();
    for (rev, r) in bundle.iter().rev().enumerate() {
        match find(r, history, k) {
            Some(next) => k = next,
            None if r.level.mandatory() && r.request.proto != IpProto::COMP => {
                return Err(Violation::Missing {
                    index: count.saturating_sub(rev + 1),
                })
            }
            None => {}
        }
    }
    match tunnel_left(history, k) {
        Some(index) => Err(Violation::UnexpectedTunnel { index }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
