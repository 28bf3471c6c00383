// SPDX-License-Identifier: GPL-2.0

//! X_SPDADD, X_SPDUPDATE and X_SPDDELETE (ipsec-tools'
//! `setkeymsg_spdaddr`): X_POLICY with its requests, then the selector
//! addresses with the upper-layer protocol, prefix and port.
//!
//! On Linux ipsec-tools sends every `in` policy again as `fwd` (its
//! default "RFC mode"), turning `unique` into `require` without a reqid
//! so that forwarded traffic is not tied to one SA. ipsec-tools only
//! rewrites the first request (its own comment says the others should be
//! too); this rewrites every request.

use ipsec_core::ipsec::{IpsecDir, IpsecLevel};
use ipsec_core::pfkey::ext::{Address, AddressKind, IpsecRequest, Policy};
use ipsec_core::pfkey::sockaddr::SockAddr;
use ipsec_core::pfkey::{Errno, MsgHeader, MsgType, SaType};

use super::{encode, BuildOptions};
use crate::parse::{RequestSpec, Selector, SpdCommand};

fn selector(s: &Selector, upper: ipsec_core::inet::IpProto) -> Address {
    Address {
        proto: upper,
        prefixlen: s.prefixlen,
        sockaddr: SockAddr::new(s.addr, s.port),
    }
}

/// The wire request; `fwd_copy` turns `unique` into `require`.
fn request(rq: &RequestSpec, fwd_copy: bool) -> IpsecRequest {
    let (level, reqid) = if fwd_copy && rq.level == IpsecLevel::UNIQUE {
        (IpsecLevel::REQUIRE, 0)
    } else {
        (rq.level, rq.reqid)
    };
    IpsecRequest {
        proto: rq.proto,
        mode: rq.mode,
        level,
        reserved1: 0,
        reqid,
        reserved2: 0,
        endpoints: rq.endpoints,
    }
}

fn message(
    msg_type: MsgType,
    spd: &SpdCommand,
    dir: IpsecDir,
    seq: u32,
    pid: u32,
) -> Result<Vec<u8>, Errno> {
    let fwd_copy = dir != spd.policy.dir;
    encode(&MsgHeader::new(msg_type, SaType::UNSPEC, seq, pid), |w| {
        w.x_policy(&Policy {
            policy_type: spd.policy.action,
            dir,
            reserved: 0,
            id: 0,
            priority: spd.policy.priority,
        })?;
        for rq in &spd.policy.requests {
            w.ipsecrequest(&request(rq, fwd_copy))?;
        }
        w.address(AddressKind::Src, &selector(&spd.src, spd.upper))?;
        w.address(AddressKind::Dst, &selector(&spd.dst, spd.upper))
    })
}

/// The message for `spd`, and its `fwd` copy for an `in` policy when
/// `opts` asks for it (seq + 1).
pub(super) fn spd_messages(
    msg_type: MsgType,
    spd: &SpdCommand,
    seq: u32,
    pid: u32,
    opts: &BuildOptions,
) -> Result<Vec<Vec<u8>>, Errno> {
    let mut out = vec![message(msg_type, spd, spd.policy.dir, seq, pid)?];
    if opts.fwd_for_in && spd.policy.dir == IpsecDir::INBOUND {
        out.push(message(
            msg_type,
            spd,
            IpsecDir::FWD,
            seq.wrapping_add(1),
            pid,
        )?);
    }
    Ok(out)
}
