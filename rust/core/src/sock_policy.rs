// SPDX-License-Identifier: GPL-2.0

//! Per-socket policies, the second policy interface of ipsec(4):
//! `setsockopt(IPPROTO_IP, IP_IPSEC_POLICY)` and
//! `setsockopt(IPPROTO_IPV6, IPV6_IPSEC_POLICY)` take one `sadb_x_policy`
//! and its requests, as libipsec's `ipsec_set_policy(3)` encodes it, for
//! one direction of one socket. This file validates the option and says
//! what a socket's policy means for its packets; where the socket keeps it
//! is the kernel side's business (`Documentation/sockpolicy.rst`).
//!
//! C source: [net/key/af_key.c](srctree/net/key/af_key.c)
//! (`pfkey_compile_policy`); NetBSD's `ipsec_set_policy` and
//! `ipsec_getpolicybysock` (`sys/netipsec/ipsec.c`).
//!
//! A socket's policy, per direction, is one of:
//! - `discard`: its packets are dropped;
//! - `none` or `bypass`: its packets pass in the clear, whatever the SPD
//!   says (the IKE daemons' own sockets);
//! - `entrust`: the SPD decides, as without a policy (af_key has no
//!   `entrust` and treats it as bypass; KAME consults the SPD, as here);
//! - `ipsec` with 1 to [`MAX_REQUESTS`] requests: enforced in place of the
//!   SPD's policy, levels and all.

use super::inet::Addr;
use super::ipsec::{IpsecDir, IpsecMode, PolicyType};
use super::pfkey::ext::{Address, PolicyExt};
use super::pfkey::sockaddr::SockAddr;
use super::pfkey::{Errno, ParseError};
use super::spd::{PolicyRecord, Request, Selector, MAX_REQUESTS};

/// `IP_IPSEC_POLICY` (`<linux/in.h>`), the option at level `IPPROTO_IP`.
pub const IP_IPSEC_POLICY: i32 = 16;
/// `IPV6_IPSEC_POLICY` (`<linux/in6.h>`), the option at level
/// `IPPROTO_IPV6`.
pub const IPV6_IPSEC_POLICY: i32 = 34;

/// `AF_INET`.
const AF_INET: u16 = 2;
/// `AF_INET6`.
const AF_INET6: u16 = 10;

/// A validated per-socket policy for one direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SockPolicy {
    /// `IPSEC_DIR_INBOUND` or `IPSEC_DIR_OUTBOUND`.
    pub dir: IpsecDir,
    /// Discard, none, ipsec, entrust or bypass.
    pub action: PolicyType,
    /// The requests of an ipsec policy, filled from the front.
    pub requests: [Option<Request>; MAX_REQUESTS],
}

impl SockPolicy {
    /// The policy in `buf`, the value of option `optname` on a socket of
    /// address family `sk_family` (`AF_INET` or `AF_INET6`).
    ///
    /// - `EOPNOTSUPP`: the option is not the socket family's own
    ///   (`IP_IPSEC_POLICY` on an IPv6 socket), as af_key;
    /// - `EINVAL`: a buffer shorter than `sadb_x_policy` or than its
    ///   `sadb_x_policy_len`; a direction other than in or out; an unknown
    ///   type; requests on a type other than ipsec, none or more than
    ///   [`MAX_REQUESTS`] on ipsec; a bad request (protocol, mode, level,
    ///   tunnel without endpoints); transport-mode endpoints of another
    ///   family than the socket's.
    pub fn parse(buf: &[u8], optname: i32, sk_family: u16) -> Result<Self, ParseError> {
        match (optname, sk_family) {
            (IP_IPSEC_POLICY, AF_INET) | (IPV6_IPSEC_POLICY, AF_INET6) => {}
            _ => {
                return Err(ParseError::new(
                    Errno::EOPNOTSUPP,
                    "option of the other address family",
                ))
            }
        }
        let ext = PolicyExt::parse_socket_option(buf)?;
        let p = ext.policy;
        if !matches!(p.dir, IpsecDir::INBOUND | IpsecDir::OUTBOUND) {
            return Err(ParseError::inval("direction not in or out"));
        }
        let ipsec = match p.policy_type {
            PolicyType::IPSEC => true,
            PolicyType::DISCARD | PolicyType::NONE | PolicyType::ENTRUST | PolicyType::BYPASS => {
                false
            }
            _ => return Err(ParseError::inval("unknown policy type")),
        };
        let mut requests = [None; MAX_REQUESTS];
        let mut n = 0usize;
        for rq in ext.requests() {
            if !ipsec {
                return Err(ParseError::inval("requests on a policy other than ipsec"));
            }
            let rq = Request::from_ext(&rq).map_err(|e| ParseError::new(e, "bad request"))?;
            if !transport_family_ok(&rq, sk_family) {
                return Err(ParseError::inval(
                    "transport request endpoints of another family",
                ));
            }
            *requests
                .get_mut(n)
                .ok_or(ParseError::inval("too many requests"))? = Some(rq);
            n = n.saturating_add(1);
        }
        if ipsec && n == 0 {
            return Err(ParseError::inval("ipsec policy without requests"));
        }
        Ok(SockPolicy {
            dir: p.dir,
            action: p.policy_type,
            requests,
        })
    }

    /// The requests, in order.
    pub fn requests(&self) -> impl Iterator<Item = &Request> {
        self.requests.iter().map_while(Option::as_ref)
    }

    /// The policy the datapath enforces for the socket's packets in place
    /// of the SPD's, as an SPD record of id `id` (the id ACQUIREs carry);
    /// `None` for `entrust`: the SPD decides. `none` and `bypass` become a
    /// `none` record.
    pub fn enforced(&self, id: u32) -> Option<PolicyRecord> {
        let action = match self.action {
            PolicyType::ENTRUST => return None,
            PolicyType::BYPASS | PolicyType::NONE => PolicyType::NONE,
            other => other,
        };
        let mut rec = PolicyRecord::new(any_selector(), self.dir);
        rec.action = action;
        rec.id = id;
        rec.requests = self.requests;
        Some(rec)
    }
}

/// Whether a transport request's endpoints, if it has any, are of the
/// socket's family (a tunnel's may be of either: 4in6, 6in4).
fn transport_family_ok(rq: &Request, sk_family: u16) -> bool {
    match rq.endpoints {
        Some((s, _)) if rq.mode == IpsecMode::TRANSPORT => s.family() == sk_family,
        _ => true,
    }
}

/// A selector for any traffic: a socket's policy covers all of the
/// socket's packets.
fn any_selector() -> Selector {
    let any = Address {
        proto: super::inet::IpProto::IPSEC_ANY,
        prefixlen: 0,
        sockaddr: SockAddr::new(Addr::V4([0; 4]), 0),
    };
    Selector { src: any, dst: any }
}

#[cfg(test)]
mod tests;
