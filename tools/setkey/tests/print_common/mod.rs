// SPDX-License-Identifier: GPL-2.0

//! Message builders shared by the `print_*` tests: replies as rust_ipsec
//! (and af_key) lay them out, written with the core's `Writer`.

#![allow(dead_code)]

use ipsec_core::inet::{Addr, IpProto};
use ipsec_core::ipsec::{IpsecDir, IpsecLevel, IpsecMode, PolicyType};
use ipsec_core::pfkey::consts::{AuthAlg, EncAlg, MsgType, SaState, SaType};
use ipsec_core::pfkey::ext::{
    Address, AddressKind, IpsecRequest, Key, KeyKind, Lifetime, LifetimeKind, Policy, Sa, Sa2,
    SaReplay,
};
use ipsec_core::pfkey::sockaddr::SockAddr;
use ipsec_core::pfkey::{MsgHeader, Writer};
use setkey::print::{PrintOptions, TimeZone};

/// 2026-11-28 10:00:00 UTC, when the test SAs were added.
pub const ADDED: u64 = 1_795_860_000;
/// 100 s later: "now" for the tests.
pub const NOW: i64 = 1_795_860_100;
/// The pid in the replies.
pub const PID: u32 = 4242;

/// Options at [`NOW`], dates in UTC.
pub fn opts() -> PrintOptions {
    PrintOptions::at(NOW, TimeZone::Utc)
}

/// Builds a message: the header, then what `f` writes.
pub fn build(h: MsgHeader, f: impl FnOnce(&mut Writer<'_>)) -> Vec<u8> {
    let mut buf = vec![0u8; 8192];
    let mut w = Writer::new(&mut buf);
    w.header(&h).unwrap();
    f(&mut w);
    let n = w.finish().unwrap();
    buf.truncate(n);
    buf
}

pub fn v4(a: [u8; 4]) -> Addr {
    Addr::V4(a)
}

/// An IPv6 address from its eight groups.
pub fn v6(groups: [u16; 8]) -> Addr {
    let mut a = [0u8; 16];
    for (i, g) in groups.iter().enumerate() {
        a[2 * i..2 * i + 2].copy_from_slice(&g.to_be_bytes());
    }
    Addr::V6(a)
}

/// `n` bytes counting up from `first`.
pub fn key_bytes(first: u8, n: usize) -> Vec<u8> {
    (0..n).map(|i| first.wrapping_add(i as u8)).collect()
}

/// One SA as a DUMP/GET reply describes it.
#[derive(Clone)]
pub struct SaReply {
    pub msg_type: MsgType,
    pub satype: SaType,
    pub seq: u32,
    pub sa: Sa,
    pub mode: IpsecMode,
    pub reqid: u32,
    pub src: Addr,
    pub dst: Addr,
    pub enc_key: Vec<u8>,
    pub auth_key: Vec<u8>,
    pub hard: Lifetime,
    pub soft: Lifetime,
    pub current: Lifetime,
    pub replay_ext: Option<u32>,
}

impl SaReply {
    /// A mature ESP transport SA, 3des-cbc and hmac-sha1, added at
    /// [`ADDED`], never used.
    pub fn esp() -> Self {
        SaReply {
            msg_type: MsgType::DUMP,
            satype: SaType::ESP,
            seq: 1,
            sa: Sa {
                spi: 0x1000,
                replay: 32,
                state: SaState::MATURE,
                auth: AuthAlg::SHA1HMAC,
                encrypt: EncAlg::DES3CBC,
                flags: 0,
            },
            mode: IpsecMode::TRANSPORT,
            reqid: 0,
            src: v4([10, 0, 0, 1]),
            dst: v4([10, 0, 0, 2]),
            enc_key: key_bytes(0x01, 24),
            auth_key: key_bytes(0xa0, 20),
            hard: Lifetime::default(),
            soft: Lifetime::default(),
            current: Lifetime {
                allocations: 5,
                bytes: 1234,
                addtime: ADDED,
                usetime: 0,
            },
            replay_ext: None,
        }
    }

    /// The reply, in rust_ipsec's (af_key's) extension order.
    pub fn bytes(&self) -> Vec<u8> {
        self.bytes_with(|_| {})
    }

    /// The reply with `more` written after everything else.
    pub fn bytes_with(&self, more: impl FnOnce(&mut Writer<'_>)) -> Vec<u8> {
        let h = MsgHeader::new(self.msg_type, self.satype, self.seq, PID);
        build(h, |w| {
            w.sa(&self.sa).unwrap();
            w.lifetime(LifetimeKind::Hard, &self.hard).unwrap();
            w.lifetime(LifetimeKind::Soft, &self.soft).unwrap();
            w.lifetime(LifetimeKind::Current, &self.current).unwrap();
            w.address(AddressKind::Src, &Address::host(self.src, 0))
                .unwrap();
            w.address(AddressKind::Dst, &Address::host(self.dst, 0))
                .unwrap();
            if !self.auth_key.is_empty() {
                w.key(KeyKind::Auth, &Key::new(&self.auth_key).unwrap())
                    .unwrap();
            }
            if !self.enc_key.is_empty() {
                w.key(KeyKind::Encrypt, &Key::new(&self.enc_key).unwrap())
                    .unwrap();
            }
            w.x_sa2(&Sa2 {
                mode: self.mode,
                reqid: self.reqid,
                ..Sa2::default()
            })
            .unwrap();
            if let Some(replay) = self.replay_ext {
                w.x_sa_replay(&SaReplay { replay }).unwrap();
            }
            more(w);
        })
    }
}

/// One policy as an SPDDUMP/SPDGET reply describes it.
#[derive(Clone)]
pub struct PolicyReply {
    pub msg_type: MsgType,
    pub seq: u32,
    pub src: Address,
    pub dst: Address,
    pub policy: Policy,
    pub requests: Vec<IpsecRequest>,
    pub current: Lifetime,
    pub hard: Lifetime,
}

/// A selector address: `addr/prefixlen[port]` for `proto`.
pub fn sel(addr: Addr, prefixlen: u8, port: u16, proto: IpProto) -> Address {
    Address {
        proto,
        prefixlen,
        sockaddr: SockAddr::new(addr, port),
    }
}

/// A request without endpoints.
pub fn req(proto: IpProto, mode: IpsecMode, level: IpsecLevel, reqid: u32) -> IpsecRequest {
    IpsecRequest {
        proto,
        mode,
        level,
        reqid,
        ..IpsecRequest::default()
    }
}

/// A request with tunnel endpoints.
pub fn tunnel(src: Addr, dst: Addr, level: IpsecLevel, reqid: u32) -> IpsecRequest {
    IpsecRequest {
        endpoints: Some((SockAddr::new(src, 0), SockAddr::new(dst, 0))),
        ..req(IpProto::ESP, IpsecMode::TUNNEL, level, reqid)
    }
}

impl PolicyReply {
    /// `10.0.0.0/24[any] 10.0.1.0/24[any] 255`, `out ipsec` with no
    /// requests yet, spid 1, created at [`ADDED`].
    pub fn out_ipsec() -> Self {
        PolicyReply {
            msg_type: MsgType::X_SPDDUMP,
            seq: 0,
            src: sel(v4([10, 0, 0, 0]), 24, 0, IpProto::IPSEC_ANY),
            dst: sel(v4([10, 0, 1, 0]), 24, 0, IpProto::IPSEC_ANY),
            policy: Policy {
                policy_type: PolicyType::IPSEC,
                dir: IpsecDir::OUTBOUND,
                reserved: 0,
                id: 1,
                priority: 0,
            },
            requests: Vec::new(),
            current: Lifetime {
                addtime: ADDED,
                ..Lifetime::default()
            },
            hard: Lifetime::default(),
        }
    }

    /// The reply in af_key's order: addresses, lifetimes, policy.
    pub fn bytes(&self) -> Vec<u8> {
        self.bytes_with(|_| {})
    }

    /// The reply with `more` written after everything else.
    pub fn bytes_with(&self, more: impl FnOnce(&mut Writer<'_>)) -> Vec<u8> {
        let h = MsgHeader::new(self.msg_type, SaType::UNSPEC, self.seq, PID);
        build(h, |w| {
            w.address(AddressKind::Src, &self.src).unwrap();
            w.address(AddressKind::Dst, &self.dst).unwrap();
            w.lifetime(LifetimeKind::Hard, &self.hard).unwrap();
            w.lifetime(LifetimeKind::Soft, &Lifetime::default())
                .unwrap();
            w.lifetime(LifetimeKind::Current, &self.current).unwrap();
            w.x_policy(&self.policy).unwrap();
            for r in &self.requests {
                w.ipsecrequest(r).unwrap();
            }
            more(w);
        })
    }
}
