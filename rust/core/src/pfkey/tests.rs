// SPDX-License-Identifier: GPL-2.0

//! Whole-message tests: every message and extension type round trip, a
//! setkey message byte for byte, every rejection, and parse/encode
//! properties over random and mutated input.

use super::super::inet::{Addr, AF_INET, AF_INET6};
use super::consts::*;
use super::ext::*;
use super::sockaddr::SockAddr;
use super::*;
use crate::inet::IpProto;
use crate::ipsec::{IpsecDir, IpsecLevel, IpsecMode, PolicyType};

pub(super) const V4_SRC: Addr = Addr::V4([10, 0, 0, 1]);
pub(super) const V4_DST: Addr = Addr::V4([10, 0, 0, 2]);

pub(super) fn v6(last: u8) -> Addr {
    let mut a = [0u8; 16];
    a[0] = 0x20;
    a[1] = 0x01;
    a[2] = 0x0d;
    a[3] = 0xb8;
    a[15] = last;
    Addr::V6(a)
}

pub(super) fn hdr(t: MsgType, satype: SaType) -> MsgHeader {
    MsgHeader::new(t, satype, 7, 4242)
}

/// Builds a message with `f` and returns its bytes.
pub(super) fn build(h: MsgHeader, f: impl FnOnce(&mut Writer<'_>) -> Result<(), Errno>) -> Vec<u8> {
    let mut buf = vec![0xa5u8; 4096];
    let mut w = Writer::new(&mut buf);
    w.header(&h).unwrap();
    f(&mut w).unwrap();
    let n = w.finish().unwrap();
    buf.truncate(n);
    buf
}

/// Parses, re-encodes and checks the bytes come back unchanged.
pub(super) fn roundtrip(bytes: &[u8]) -> Message<'_> {
    let m = parse(bytes).unwrap_or_else(|e| panic!("{e}"));
    let mut out = vec![0x5au8; bytes.len() + 64];
    let n = m.reencode(&mut out).unwrap();
    assert_eq!(&out[..n], bytes);
    m
}

const KEY_3DES: [u8; 24] = [
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
    0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
];
const KEY_SHA1: [u8; 20] = [
    0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30,
    0x31, 0x32, 0x33, 0x34,
];

fn esp_sa() -> Sa {
    Sa {
        spi: 0x1000,
        replay: 0,
        state: SaState::LARVAL,
        auth: AuthAlg::SHA1HMAC,
        encrypt: EncAlg::DES3CBC,
        flags: sa_flags::KAME_CYCSEQ,
    }
}

/// The SADB_ADD setkey sends for
/// `add 10.0.0.1 10.0.0.2 esp 0x1000 -m transport -E 3des-cbc 0x0102..18
/// -A hmac-sha1 0x2122..34;` (pid 0x1234), in setkey's extension order
/// (`setkeymsg_add`: keys, SA, SA2, addresses). setkey does not initialise
/// `sadb_x_sa2`'s reserved fields and sequence; the stack garbage here
/// (0xaa, 0xbbbb, 0xdeadbeef) must be accepted and carried.
#[cfg(target_endian = "little")]
#[rustfmt::skip]
const SETKEY_ADD: [u8; 160] = [
    // sadb_msg: version 2, type 3 (ADD), errno 0, satype 3 (ESP),
    // len 20 units (160 bytes), reserved 0, seq 0, pid 0x1234.
    0x02, 0x03, 0x00, 0x03, 0x14, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x34, 0x12, 0x00, 0x00,
    // KEY_ENCRYPT: len 4 units, type 9, bits 192, reserved 0, 24-byte key.
    0x04, 0x00, 0x09, 0x00, 0xc0, 0x00, 0x00, 0x00,
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
    0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
    0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
    // KEY_AUTH: len 4 units, type 8, bits 160, reserved 0, 20-byte key,
    // 4 bytes of zero padding.
    0x04, 0x00, 0x08, 0x00, 0xa0, 0x00, 0x00, 0x00,
    0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30,
    0x31, 0x32, 0x33, 0x34, 0x00, 0x00, 0x00, 0x00,
    // SA: len 2, type 1, spi 0x00001000 (network order), replay 0,
    // state 0 (LARVAL, as setkey sends), auth 3 (SHA1HMAC),
    // encrypt 3 (3DESCBC), flags 0x40 (KAME CYCSEQ, setkey's default).
    0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x10, 0x00,
    0x00, 0x00, 0x03, 0x03, 0x40, 0x00, 0x00, 0x00,
    // X_SA2: len 2, type 19, mode 1 (transport), reserved1 0xaa,
    // reserved2 0xbbbb, sequence 0xdeadbeef (uninitialised), reqid 0.
    0x02, 0x00, 0x13, 0x00, 0x01, 0xaa, 0xbb, 0xbb,
    0xef, 0xbe, 0xad, 0xde, 0x00, 0x00, 0x00, 0x00,
    // ADDRESS_SRC: len 3, type 5, proto 255 (any), prefixlen 32,
    // reserved 0; sockaddr_in: family 2, port 0, 10.0.0.1, sin_zero.
    0x03, 0x00, 0x05, 0x00, 0xff, 0x20, 0x00, 0x00,
    0x02, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x01,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    // ADDRESS_DST: the same with type 6 and 10.0.0.2.
    0x03, 0x00, 0x06, 0x00, 0xff, 0x20, 0x00, 0x00,
    0x02, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x02,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

fn setkey_add_built() -> Vec<u8> {
    let h = MsgHeader::new(MsgType::ADD, SaType::ESP, 0, 0x1234);
    build(h, |w| {
        w.key(KeyKind::Encrypt, &Key::new(&KEY_3DES).unwrap())?;
        w.key(KeyKind::Auth, &Key::new(&KEY_SHA1).unwrap())?;
        w.sa(&esp_sa())?;
        w.x_sa2(&Sa2 {
            mode: IpsecMode::TRANSPORT,
            reserved1: 0xaa,
            reserved2: 0xbbbb,
            sequence: 0xdead_beef,
            reqid: 0,
        })?;
        w.address(AddressKind::Src, &Address::host(V4_SRC, 0))?;
        w.address(AddressKind::Dst, &Address::host(V4_DST, 0))
    })
}

#[cfg(target_endian = "little")]
#[test]
fn setkey_add_byte_exact() {
    assert_eq!(setkey_add_built(), SETKEY_ADD);
    let m = roundtrip(&SETKEY_ADD);
    assert_eq!(m.msg_type(), MsgType::ADD);
    assert_eq!(m.satype(), SaType::ESP);
    assert_eq!(m.header().pid, 0x1234);
    assert_eq!(m.header().seq, 0);
    assert_eq!(m.wire_len(), 160);
    assert_eq!(m.sa(), Some(esp_sa()));
    let ke = m.key(KeyKind::Encrypt).unwrap();
    assert_eq!((ke.bits, ke.data), (192, &KEY_3DES[..]));
    let ka = m.key(KeyKind::Auth).unwrap();
    assert_eq!((ka.bits, ka.data), (160, &KEY_SHA1[..]));
    let sa2 = m.x_sa2().unwrap();
    assert_eq!((sa2.mode, sa2.reqid), (IpsecMode::TRANSPORT, 0));
    let src = m.address(AddressKind::Src).unwrap();
    assert_eq!(src.addr(), V4_SRC);
    assert_eq!(
        (src.prefixlen, src.proto, src.port()),
        (32, IpProto::IPSEC_ANY, 0)
    );
    assert_eq!(m.address(AddressKind::Dst).unwrap().addr(), V4_DST);
    assert_eq!(m.address(AddressKind::Proxy), None);
    assert!(check_required(&m).is_ok());
    let order: Vec<ExtType> = m.extensions().map(|e| e.ext_type()).collect();
    assert_eq!(
        order,
        [
            ExtType::KEY_ENCRYPT,
            ExtType::KEY_AUTH,
            ExtType::SA,
            ExtType::X_SA2,
            ExtType::ADDRESS_SRC,
            ExtType::ADDRESS_DST
        ]
    );
}

fn comb(i: u8) -> Comb {
    Comb {
        auth: AuthAlg::SHA2_256HMAC,
        encrypt: EncAlg(12 + i),
        flags: 1,
        auth_minbits: 256,
        auth_maxbits: 256,
        encrypt_minbits: 128,
        encrypt_maxbits: 256,
        reserved: 0,
        soft_allocations: 1,
        hard_allocations: 2,
        soft_bytes: 3,
        hard_bytes: 4,
        soft_addtime: 20 * 3600,
        hard_addtime: 24 * 3600,
        soft_usetime: 7 * 3600,
        hard_usetime: 8 * 3600,
    }
}

fn alg(id: u8) -> Alg {
    Alg {
        id,
        ivlen: 8,
        minbits: 128,
        maxbits: 256,
        reserved: 0,
    }
}

fn tunnel_rq() -> IpsecRequest {
    IpsecRequest {
        proto: IpProto::ESP,
        mode: IpsecMode::TUNNEL,
        level: IpsecLevel::UNIQUE,
        reserved1: 0x1111,
        reqid: 5,
        reserved2: 0x2222_3333,
        endpoints: Some((
            SockAddr::new(Addr::V4([192, 0, 2, 1]), 0),
            SockAddr::new(Addr::V4([192, 0, 2, 2]), 0),
        )),
    }
}

fn transport_rq() -> IpsecRequest {
    IpsecRequest {
        proto: IpProto::AH,
        mode: IpsecMode::TRANSPORT,
        level: IpsecLevel::REQUIRE,
        ..Default::default()
    }
}

fn v6_rq() -> IpsecRequest {
    IpsecRequest {
        proto: IpProto::COMP,
        mode: IpsecMode::TUNNEL,
        level: IpsecLevel::USE,
        endpoints: Some((
            SockAddr::V6 {
                addr: [1; 16],
                port: 500,
                flowinfo: 3,
                scope_id: 2,
            },
            SockAddr::new(v6(9), 4500),
        )),
        ..Default::default()
    }
}

/// The header of [`kitchen_sink`].
pub(super) fn kitchen_sink_hdr() -> MsgHeader {
    hdr(MsgType::X_MIGRATE, SaType::ESP)
}

/// A message with all 27 extension types, each once.
pub(super) fn kitchen_sink() -> Vec<u8> {
    build(kitchen_sink_hdr(), fill_kitchen_sink)
}

/// Writes the extensions of [`kitchen_sink`].
pub(super) fn fill_kitchen_sink(w: &mut Writer<'_>) -> Result<(), Errno> {
    {
        w.sa(&esp_sa())?;
        for (i, k) in LifetimeKind::ALL.iter().enumerate() {
            let n = u64::try_from(i).unwrap();
            w.lifetime(
                *k,
                &Lifetime {
                    allocations: 1,
                    bytes: 1000 + n,
                    addtime: 2000 + n,
                    usetime: 3000 + n,
                },
            )?;
        }
        w.address(
            AddressKind::Src,
            &Address {
                proto: IpProto::TCP,
                prefixlen: 64,
                sockaddr: SockAddr::V6 {
                    addr: [0x20; 16],
                    port: 22,
                    flowinfo: 0xabcde,
                    scope_id: 3,
                },
            },
        )?;
        w.address(AddressKind::Dst, &Address::host(v6(2), 443))?;
        w.address(AddressKind::Proxy, &Address::host(V4_SRC, 0))?;
        w.key(KeyKind::Auth, &Key::new(&KEY_SHA1).unwrap())?;
        w.key(
            KeyKind::Encrypt,
            &Key {
                bits: 12,
                reserved: 9,
                data: &[0xab, 0xc0],
            },
        )?;
        w.identity(
            IdentityKind::Src,
            &Identity {
                ident_type: IdentType::FQDN,
                reserved: 0,
                id: 77,
                data: b"host.example\0\0\0\0",
            },
        )?;
        w.identity(
            IdentityKind::Dst,
            &Identity {
                ident_type: IdentType::PREFIX,
                id: 1,
                ..Default::default()
            },
        )?;
        w.sensitivity(&Sensitivity {
            dpd: 1,
            sens_level: 2,
            integ_level: 3,
            reserved: 4,
            sens_bitmap: &[1; 16],
            integ_bitmap: &[2; 8],
        })?;
        w.proposal(
            &Proposal {
                replay: 32,
                reserved: [0; 3],
            },
            &[comb(0)],
        )?;
        w.comb(&comb(1))?;
        w.supported(
            SupportedKind::Auth,
            &Supported::default(),
            &[alg(2), alg(3)],
        )?;
        w.supported(SupportedKind::Encrypt, &Supported::default(), &[])?;
        w.alg(&alg(12))?;
        w.alg(&alg(EncAlg::X_CHACHA20_POLY1305.0))?;
        w.spirange(&SpiRange {
            min: 0x100,
            max: 0x0fff_ffff,
            reserved: 0,
        })?;
        w.kmprivate(&KmPrivate {
            reserved: 5,
            data: &[7; 12],
        })?;
        w.x_policy(&Policy {
            policy_type: PolicyType::IPSEC,
            dir: IpsecDir::OUTBOUND,
            reserved: 0,
            id: 0x42,
            priority: 0x8000_0000,
        })?;
        w.ipsecrequest(&tunnel_rq())?;
        w.ipsecrequest(&transport_rq())?;
        w.ipsecrequest(&v6_rq())?;
        w.x_sa2(&Sa2 {
            mode: IpsecMode::TUNNEL,
            reqid: 5,
            ..Default::default()
        })?;
        w.nat_t_type(&NatTType {
            encap: UdpEncap::ESPINUDP,
            reserved: [0; 3],
        })?;
        w.nat_t_port(
            NatTPortKind::Src,
            &NatTPort {
                port: 4500,
                reserved: 0,
            },
        )?;
        w.nat_t_port(
            NatTPortKind::Dst,
            &NatTPort {
                port: 4501,
                reserved: 0,
            },
        )?;
        w.address(
            AddressKind::NatTOa,
            &Address::host(Addr::V4([172, 16, 0, 1]), 0),
        )?;
        w.sec_ctx(&SecCtx {
            alg: 1,
            doi: 1,
            ctx: b"system_u:object_r:ipsec_spd_t:s0",
        })?;
        w.kmaddress(&KmAddress {
            reserved: 0,
            local: SockAddr::new(Addr::V4([198, 51, 100, 1]), 500),
            remote: SockAddr::new(Addr::V4([198, 51, 100, 2]), 500),
        })?;
        w.filter(&Filter {
            saddr: [1; 16],
            daddr: [2; 16],
            family: AF_INET6,
            splen: 64,
            dplen: 48,
        })?;
        w.x_sa_replay(&SaReplay { replay: 4096 })
    }
}

#[test]
fn every_extension_type_round_trips() {
    let bytes = kitchen_sink();
    let m = roundtrip(&bytes);
    for i in 0..EXT_COUNT {
        let t = ExtType::from_index(i).unwrap();
        assert!(m.has(t), "{t:?}");
        assert_eq!(m.ext(t).unwrap().ext_type(), t);
    }
    assert_eq!(m.extensions().count(), EXT_COUNT);
    assert_eq!(m.sa(), Some(esp_sa()));
    assert_eq!(m.lifetime(LifetimeKind::Soft).unwrap().bytes, 1002);
    assert_eq!(m.lifetime(LifetimeKind::Current).unwrap().usetime, 3000);
    assert_eq!(m.lifetime(LifetimeKind::Hard).unwrap().allocations, 1);
    let src = m.address(AddressKind::Src).unwrap();
    assert_eq!(
        (src.family(), src.prefixlen, src.port()),
        (AF_INET6, 64, 22)
    );
    assert_eq!(src.proto, IpProto::TCP);
    assert!(matches!(
        src.sockaddr,
        SockAddr::V6 {
            flowinfo: 0xabcde,
            scope_id: 3,
            ..
        }
    ));
    assert_eq!(m.address(AddressKind::Dst).unwrap().addr(), v6(2));
    assert_eq!(m.address(AddressKind::Dst).unwrap().port(), 443);
    assert_eq!(m.address(AddressKind::Proxy).unwrap().family(), AF_INET);
    let oa = m.address(AddressKind::NatTOa).unwrap();
    assert_eq!(oa.addr(), Addr::V4([172, 16, 0, 1]));
    let k = m.key(KeyKind::Encrypt).unwrap();
    assert_eq!((k.bits, k.reserved, k.data), (12, 9, &[0xab, 0xc0][..]));
    let id = m.identity(IdentityKind::Src).unwrap();
    assert_eq!((id.ident_type, id.id), (IdentType::FQDN, 77));
    assert_eq!(id.data, b"host.example\0\0\0\0");
    assert_eq!(m.identity(IdentityKind::Dst).unwrap().data, b"");
    let s = m.sensitivity().unwrap();
    assert_eq!(
        (s.dpd, s.sens_level, s.integ_level, s.reserved),
        (1, 2, 3, 4)
    );
    assert_eq!(
        (s.sens_bitmap, s.integ_bitmap),
        (&[1u8; 16][..], &[2u8; 8][..])
    );
    let p = m.proposal().unwrap();
    assert_eq!(p.proposal.replay, 32);
    assert_eq!(p.combs().collect::<Vec<_>>(), [comb(0), comb(1)]);
    let sa = m.supported(SupportedKind::Auth).unwrap();
    assert_eq!(sa.algs().collect::<Vec<_>>(), [alg(2), alg(3)]);
    let se = m.supported(SupportedKind::Encrypt).unwrap();
    assert_eq!(se.algs().map(|a| a.id).collect::<Vec<_>>(), [12, 25]);
    assert_eq!(m.spirange().unwrap().max, 0x0fff_ffff);
    let kp = m.kmprivate().unwrap();
    // The writer pads the data to 8 bytes; the padding reads back as data.
    assert_eq!(kp.reserved, 5);
    assert_eq!(kp.data, [[7u8; 12].as_slice(), &[0; 4]].concat());
    assert_eq!(m.raw(ExtType::X_KMPRIVATE).unwrap().len(), 8 + 16);
    let pol = m.x_policy().unwrap();
    assert_eq!(pol.policy.policy_type, PolicyType::IPSEC);
    assert_eq!(pol.policy.dir, IpsecDir::OUTBOUND);
    assert_eq!((pol.policy.id, pol.policy.priority), (0x42, 0x8000_0000));
    assert_eq!(
        pol.requests().collect::<Vec<_>>(),
        [tunnel_rq(), transport_rq(), v6_rq()]
    );
    // 16 + 48 (v4 tunnel) + 16 (transport) + 72 (v6 tunnel).
    assert_eq!(m.raw(ExtType::X_POLICY).unwrap().len(), 16 + 48 + 16 + 72);
    let sa2 = m.x_sa2().unwrap();
    assert_eq!((sa2.mode, sa2.reqid), (IpsecMode::TUNNEL, 5));
    assert_eq!(m.nat_t_type().unwrap().encap, UdpEncap::ESPINUDP);
    assert_eq!(m.nat_t_port(NatTPortKind::Src).unwrap().port, 4500);
    assert_eq!(m.nat_t_port(NatTPortKind::Dst).unwrap().port, 4501);
    let ctx = m.sec_ctx().unwrap();
    assert_eq!((ctx.alg, ctx.doi), (1, 1));
    assert_eq!(ctx.ctx, b"system_u:object_r:ipsec_spd_t:s0");
    let kma = m.kmaddress().unwrap();
    assert_eq!(kma.local.port(), 500);
    assert_eq!(kma.remote.addr(), Addr::V4([198, 51, 100, 2]));
    let f = m.filter().unwrap();
    assert_eq!((f.family, f.splen, f.dplen), (AF_INET6, 64, 48));
    assert_eq!((f.saddr, f.daddr), ([1; 16], [2; 16]));
    assert_eq!(m.x_sa_replay(), Some(SaReplay { replay: 4096 }));
    assert_eq!(m.raw(ExtType::X_SA_REPLAY).unwrap().len(), 8);
    // X_MIGRATE: both addresses (IPv6) and X_POLICY are there.
    assert!(check_required(&m).is_ok());
}

/// A minimal valid message of each type, with what [`required_exts`] asks.
fn minimal(t: MsgType, v6_addrs: bool) -> Vec<u8> {
    let satype = match t {
        MsgType::X_PROMISC => SaType(1),
        t if t.0 >= MsgType::X_SPDUPDATE.0 && t != MsgType::X_NAT_T_NEW_MAPPING => SaType::UNSPEC,
        _ => SaType::ESP,
    };
    let (s, d) = if v6_addrs {
        (v6(1), v6(2))
    } else {
        (V4_SRC, V4_DST)
    };
    build(hdr(t, satype), |w| {
        for &e in required_exts(t) {
            match e {
                ExtType::SA => w.sa(&esp_sa())?,
                ExtType::ADDRESS_SRC => w.address(AddressKind::Src, &Address::host(s, 0))?,
                ExtType::ADDRESS_DST => w.address(AddressKind::Dst, &Address::host(d, 0))?,
                ExtType::X_POLICY => {
                    w.x_policy(&Policy {
                        policy_type: PolicyType::IPSEC,
                        dir: IpsecDir::INBOUND,
                        ..Default::default()
                    })?;
                    w.ipsecrequest(&transport_rq())?;
                }
                ExtType::X_NAT_T_SPORT => w.nat_t_port(
                    NatTPortKind::Src,
                    &NatTPort {
                        port: 4500,
                        reserved: 0,
                    },
                )?,
                ExtType::X_NAT_T_DPORT => w.nat_t_port(
                    NatTPortKind::Dst,
                    &NatTPort {
                        port: 4500,
                        reserved: 0,
                    },
                )?,
                other => panic!("no builder for {other:?}"),
            }
        }
        if matches!(t, MsgType::ADD | MsgType::UPDATE) {
            w.key(KeyKind::Encrypt, &Key::new(&KEY_3DES).unwrap())?;
            w.key(KeyKind::Auth, &Key::new(&KEY_SHA1).unwrap())?;
        }
        if t == MsgType::GETSPI {
            w.spirange(&SpiRange {
                min: 0x100,
                max: 0x200,
                reserved: 0,
            })?;
        }
        Ok(())
    })
}

#[test]
fn every_message_type_round_trips() {
    for n in 1..=MsgType::MAX.0 {
        let t = MsgType(n);
        for v6_addrs in [false, true] {
            let bytes = minimal(t, v6_addrs);
            let m = roundtrip(&bytes);
            assert_eq!(m.msg_type(), t);
            assert_eq!(m.header().seq, 7);
            assert_eq!(m.header().pid, 4242);
            assert_eq!(m.header().errno, 0);
            check_required(&m).unwrap_or_else(|e| panic!("{t:?}: {e}"));
            for &e in required_exts(t) {
                assert!(m.has(e));
            }
            if let Some(a) = m.address(AddressKind::Src) {
                assert_eq!(a.addr(), if v6_addrs { v6(1) } else { V4_SRC });
            }
            if t == MsgType::GETSPI {
                assert_eq!(m.spirange().unwrap().min, 0x100);
            }
            if let Some(p) = m.x_policy() {
                assert_eq!(p.requests().collect::<Vec<_>>(), [transport_rq()]);
            }
        }
    }
}

#[test]
fn missing_required_extension_per_type() {
    for n in 1..=MsgType::MAX.0 {
        let t = MsgType(n);
        let full = minimal(t, false);
        let m = parse(&full).unwrap();
        for &drop in required_exts(t) {
            // Rebuild without `drop`.
            let bytes = build(*m.header(), |w| {
                m.extensions()
                    .filter(|e| e.ext_type() != drop)
                    .try_for_each(|e| w.extension(&e))
            });
            let m2 = parse(&bytes).unwrap();
            let e = check_required(&m2).unwrap_err();
            assert_eq!(e.errno, Errno::EINVAL, "{t:?} without {drop:?}");
        }
    }
    // ESP ADD without KEY_ENCRYPT, AH ADD without KEY_AUTH.
    let esp = build(hdr(MsgType::ADD, SaType::ESP), |w| {
        w.sa(&esp_sa())?;
        w.address(AddressKind::Src, &Address::host(V4_SRC, 0))?;
        w.address(AddressKind::Dst, &Address::host(V4_DST, 0))?;
        w.key(KeyKind::Auth, &Key::new(&KEY_SHA1).unwrap())
    });
    let e = check_required(&parse(&esp).unwrap()).unwrap_err();
    assert_eq!(
        (e.errno, e.reason),
        (Errno::EINVAL, "missing KEY_ENCRYPT extension")
    );
    let mut ah = esp.clone();
    ah[3] = SaType::AH.0;
    assert!(check_required(&parse(&ah).unwrap()).is_ok());
    let ah = build(hdr(MsgType::UPDATE, SaType::AH), |w| {
        w.sa(&esp_sa())?;
        w.address(AddressKind::Src, &Address::host(V4_SRC, 0))?;
        w.address(AddressKind::Dst, &Address::host(V4_DST, 0))
    });
    let e = check_required(&parse(&ah).unwrap()).unwrap_err();
    assert_eq!(e.reason, "missing KEY_AUTH extension");
}

#[test]
fn src_dst_family_mismatch() {
    for t in [MsgType::DELETE, MsgType::X_SPDADD, MsgType::FLUSH] {
        let bytes = build(hdr(t, SaType::ESP), |w| {
            if t == MsgType::DELETE {
                w.sa(&esp_sa())?;
            }
            if t == MsgType::X_SPDADD {
                w.x_policy(&Policy::default())?;
            }
            w.address(AddressKind::Src, &Address::host(V4_SRC, 0))?;
            w.address(AddressKind::Dst, &Address::host(v6(2), 0))
        });
        let e = check_required(&parse(&bytes).unwrap()).unwrap_err();
        assert_eq!(e.errno, Errno::EINVAL);
        assert_eq!(e.reason, "source and destination address families differ");
    }
}

/// Replaces one extension's bytes in a message built around it and fixes
/// `sadb_msg_len`, so a test can hand-craft a bad extension.
fn with_ext(ext: &[u8]) -> Vec<u8> {
    let mut m = hdr(MsgType::DUMP, SaType::UNSPEC).to_bytes(0).to_vec();
    m.extend_from_slice(ext);
    fix_len(&mut m);
    m
}

fn fix_len(m: &mut [u8]) {
    let units = u16::try_from(m.len() / 8).unwrap();
    m[4..6].copy_from_slice(&units.to_ne_bytes());
}

fn ext_bytes(t: ExtType, body: &[u8]) -> Vec<u8> {
    let units = u16::try_from((4 + body.len()).div_ceil(8)).unwrap();
    let mut e = units.to_ne_bytes().to_vec();
    e.extend_from_slice(&t.0.to_ne_bytes());
    e.extend_from_slice(body);
    e.resize(usize::from(units) * 8, 0);
    e
}

fn err(bytes: &[u8]) -> ParseError {
    match parse(bytes) {
        Ok(_) => panic!("accepted {bytes:02x?}"),
        Err(e) => e,
    }
}

fn inval(bytes: &[u8], reason: &str) {
    let e = err(bytes);
    assert_eq!((e.errno, e.reason), (Errno::EINVAL, reason), "{bytes:02x?}");
}

#[test]
fn header_rejections() {
    let good = minimal(MsgType::ADD, false);
    for n in 0..16 {
        assert_eq!(err(&good[..n]).errno, Errno::EMSGSIZE, "short {n}");
    }
    let mut b = good.clone();
    b[0] = 1;
    inval(&b, "sadb_msg_version not PF_KEY_V2");
    let mut b = good.clone();
    b[6] = 1;
    inval(&b, "sadb_msg_reserved not zero");
    for t in [0u8, 25, 200, 255] {
        let mut b = good.clone();
        b[1] = t;
        inval(&b, "unknown message type");
    }
    let mut b = good.clone();
    b[3] = 10;
    inval(&b, "unknown SA type");
    // sadb_msg_len says less, or more, than there is.
    for delta in [-1i32, 1, 100] {
        let mut b = good.clone();
        let len = i32::from(u16::from_ne_bytes([b[4], b[5]])) + delta;
        b[4..6].copy_from_slice(&u16::try_from(len).unwrap().to_ne_bytes());
        assert_eq!(err(&b).errno, Errno::EMSGSIZE);
    }
    for extra in [1usize, 7, 8] {
        let mut b = good.clone();
        b.extend(std::iter::repeat_n(0, extra));
        assert_eq!(err(&b).errno, Errno::EMSGSIZE);
    }
    assert_eq!(err(&good[..good.len() - 8]).errno, Errno::EMSGSIZE);
    // A header-only message is fine.
    assert!(parse(&hdr(MsgType::FLUSH, SaType::UNSPEC).to_bytes(2)).is_ok());
}

#[test]
fn extension_framing_rejections() {
    let sa = ext_bytes(ExtType::SA, &[0; 12]);
    assert!(parse(&with_ext(&sa)).is_ok());
    let mut zero = sa.clone();
    zero[0..2].copy_from_slice(&0u16.to_ne_bytes());
    inval(&with_ext(&zero), "extension length zero");
    let mut over = sa.clone();
    over[0..2].copy_from_slice(&3u16.to_ne_bytes());
    inval(&with_ext(&over), "extension overflows message");
    inval(
        &with_ext(&[sa.clone(), sa.clone()].concat()),
        "duplicate extension",
    );
    inval(
        &with_ext(&ext_bytes(ExtType(28), &[0; 4])),
        "unknown extension type",
    );
    inval(
        &with_ext(&ext_bytes(ExtType(0xffff), &[0; 4])),
        "unknown extension type",
    );
    inval(
        &with_ext(&ext_bytes(ExtType::RESERVED, &[0; 4])),
        "reserved extension type",
    );
}

#[test]
fn too_small_per_type() {
    for i in 0..EXT_COUNT {
        let t = ExtType::from_index(i).unwrap();
        let min = t.min_len().unwrap();
        for units in 1..min / 8 {
            let e = ext_bytes(t, &vec![0; units * 8 - 4]);
            inval(&with_ext(&e), "extension shorter than its struct");
        }
    }
    // A fixed-size extension one unit too long.
    for t in [
        ExtType::SA,
        ExtType::LIFETIME_HARD,
        ExtType::X_SA2,
        ExtType::X_FILTER,
        ExtType::X_SA_REPLAY,
    ] {
        let e = ext_bytes(t, &vec![0; t.min_len().unwrap() + 4]);
        inval(&with_ext(&e), "extension longer than its struct");
    }
    // Address extensions of one unit have no sockaddr.
    inval(
        &with_ext(&ext_bytes(ExtType::ADDRESS_SRC, &[255, 32, 0, 0])),
        "address extension without sockaddr",
    );
}

fn addr_ext(t: ExtType, prefixlen: u8, reserved: u16, sockaddr: &[u8]) -> Vec<u8> {
    let mut body = vec![255, prefixlen];
    body.extend_from_slice(&reserved.to_ne_bytes());
    body.extend_from_slice(sockaddr);
    ext_bytes(t, &body)
}

fn sin(family: u16, addr: [u8; 4]) -> Vec<u8> {
    let mut s = family.to_ne_bytes().to_vec();
    s.extend_from_slice(&[0, 0]);
    s.extend_from_slice(&addr);
    s.extend_from_slice(&[0; 8]);
    s
}

fn sin6() -> Vec<u8> {
    let mut s = AF_INET6.to_ne_bytes().to_vec();
    s.extend_from_slice(&[0; 26]);
    s
}

#[test]
fn address_rejections() {
    let ok = addr_ext(ExtType::ADDRESS_DST, 32, 0, &sin(AF_INET, [1, 2, 3, 4]));
    assert!(parse(&with_ext(&ok)).is_ok());
    assert!(parse(&with_ext(&addr_ext(ExtType::ADDRESS_DST, 128, 0, &sin6()))).is_ok());
    for fam in [0u16, 1, 3, 17, 0x0200] {
        let e = addr_ext(ExtType::ADDRESS_SRC, 0, 0, &sin(fam, [0; 4]));
        inval(&with_ext(&e), "unsupported address family");
    }
    // sockaddr_in in an extension sized for sockaddr_in6, and the reverse.
    let mut long = sin(AF_INET, [1, 2, 3, 4]);
    long.extend_from_slice(&[0; 16]);
    inval(
        &with_ext(&addr_ext(ExtType::ADDRESS_SRC, 32, 0, &long)),
        "address extension length mismatch",
    );
    inval(
        &with_ext(&addr_ext(ExtType::X_NAT_T_OA, 0, 0, &sin6()[..16])),
        "address extension length mismatch",
    );
    inval(
        &with_ext(&addr_ext(
            ExtType::ADDRESS_PROXY,
            33,
            0,
            &sin(AF_INET, [0; 4]),
        )),
        "prefix length too long",
    );
    inval(
        &with_ext(&addr_ext(ExtType::ADDRESS_SRC, 129, 0, &sin6())),
        "prefix length too long",
    );
    inval(
        &with_ext(&addr_ext(
            ExtType::ADDRESS_SRC,
            32,
            1,
            &sin(AF_INET, [0; 4]),
        )),
        "sadb_address_reserved not zero",
    );
    let mut dirty = sin(AF_INET, [1, 2, 3, 4]);
    dirty[12] = 1;
    inval(
        &with_ext(&addr_ext(ExtType::ADDRESS_SRC, 32, 0, &dirty)),
        "sin_zero not zero",
    );
    let mut padded = addr_ext(ExtType::ADDRESS_SRC, 128, 0, &sin6());
    *padded.last_mut().unwrap() = 1;
    inval(&with_ext(&padded), "padding not zero");
}

fn key_ext(bits: u16, data: &[u8]) -> Vec<u8> {
    let mut body = bits.to_ne_bytes().to_vec();
    body.extend_from_slice(&[0, 0]);
    body.extend_from_slice(data);
    ext_bytes(ExtType::KEY_AUTH, &body)
}

#[test]
fn key_rejections() {
    assert!(parse(&with_ext(&key_ext(160, &[1; 20]))).is_ok());
    assert!(parse(&with_ext(&key_ext(0, &[]))).is_ok());
    assert!(parse(&with_ext(&key_ext(161, &[1; 21]))).is_ok());
    inval(
        &with_ext(&key_ext(200, &[1; 20])),
        "key bits exceed extension",
    );
    inval(
        &with_ext(&key_ext(0xffff, &[])),
        "key bits exceed extension",
    );
    inval(
        &with_ext(&key_ext(64, &[1; 16])),
        "key extension longer than its key",
    );
    inval(&with_ext(&key_ext(152, &[1; 20])), "padding not zero");
}

fn policy_ext(requests: &[u8]) -> Vec<u8> {
    let mut body = PolicyType::IPSEC.0.to_ne_bytes().to_vec();
    body.extend_from_slice(&[IpsecDir::OUTBOUND.0, 0]);
    body.extend_from_slice(&[0; 8]);
    body.extend_from_slice(requests);
    ext_bytes(ExtType::X_POLICY, &body)
}

fn rq_bytes(len: u16, tail: &[u8]) -> Vec<u8> {
    let mut r = len.to_ne_bytes().to_vec();
    r.extend_from_slice(&IpProto::ESP.0.to_ne_bytes());
    r.extend_from_slice(&[IpsecMode::TUNNEL.0, IpsecLevel::REQUIRE.0]);
    r.extend_from_slice(&[0; 10]);
    r.extend_from_slice(tail);
    r
}

#[test]
fn ipsecrequest_rejections() {
    let pair = [sin(AF_INET, [1, 1, 1, 1]), sin(AF_INET, [2, 2, 2, 2])].concat();
    assert!(parse(&with_ext(&policy_ext(&rq_bytes(48, &pair)))).is_ok());
    assert!(parse(&with_ext(&policy_ext(&rq_bytes(16, &[])))).is_ok());
    assert!(parse(&with_ext(&policy_ext(&[]))).is_ok());
    for len in [0u16, 8, 15] {
        inval(
            &with_ext(&policy_ext(&rq_bytes(len, &[]))),
            "ipsecrequest shorter than its struct",
        );
    }
    // Not a multiple of 8 (the extension itself stays whole units).
    inval(
        &with_ext(&policy_ext(&rq_bytes(17, &[0; 8]))),
        "ipsecrequest length not a multiple of 8",
    );
    inval(
        &with_ext(&policy_ext(&rq_bytes(24, &[]))),
        "ipsecrequest overflows policy",
    );
    inval(
        &with_ext(&policy_ext(&rq_bytes(0xfff8, &[]))),
        "ipsecrequest overflows policy",
    );
    // 8 bytes after the struct are no sockaddr pair.
    inval(
        &with_ext(&policy_ext(&rq_bytes(24, &[0; 8]))),
        "unsupported address family",
    );
    // A pair of two families.
    let mixed = [sin(AF_INET, [1, 1, 1, 1]), sin6(), vec![0; 4]].concat();
    inval(
        &with_ext(&policy_ext(&rq_bytes(64, &mixed))),
        "sockaddr pair family mismatch",
    );
    // A request followed by 8 stray bytes.
    let stray = [rq_bytes(16, &[]), vec![0; 8]].concat();
    inval(
        &with_ext(&policy_ext(&stray)),
        "ipsecrequest shorter than its struct",
    );
    // One sockaddr where a pair should be.
    inval(
        &with_ext(&policy_ext(&rq_bytes(32, &pair[..16]))),
        "sockaddr truncated",
    );
}

#[test]
fn other_extension_rejections() {
    // SEC_CTX: ctx_len beyond the extension, over PAGE_SIZE, short of it.
    let ctx = |len: u16, n: usize| {
        let mut b = vec![1, 1];
        b.extend_from_slice(&len.to_ne_bytes());
        b.extend(std::iter::repeat_n(b'x', n));
        with_ext(&ext_bytes(ExtType::X_SEC_CTX, &b))
    };
    assert!(parse(&ctx(5, 5)).is_ok());
    inval(&ctx(9, 5), "security context length mismatch");
    inval(&ctx(1, 9), "security context length mismatch");
    inval(&ctx(4097, 4097), "security context too long");
    // PROPOSAL: not whole sadb_combs.
    inval(
        &with_ext(&ext_bytes(ExtType::PROPOSAL, &[0; 12])),
        "proposal not whole sadb_combs",
    );
    // SENSITIVITY: bitmap lengths disagree with the extension.
    let mut sens = vec![0; 12];
    sens[5] = 1;
    inval(
        &with_ext(&ext_bytes(ExtType::SENSITIVITY, &sens)),
        "sensitivity bitmap length mismatch",
    );
    // KMADDRESS: families differ.
    let mut kma = vec![0; 4];
    kma.extend_from_slice(&sin(AF_INET, [1; 4]));
    kma.extend_from_slice(&sin6());
    inval(
        &with_ext(&ext_bytes(ExtType::X_KMADDRESS, &kma)),
        "sockaddr pair family mismatch",
    );
}

#[test]
fn sa_replay_extension() {
    // Round trip next to an SA, through the writer and reencode.
    let b = build(hdr(MsgType::ADD, SaType::ESP), |w| {
        w.sa(&esp_sa())?;
        w.x_sa_replay(&SaReplay { replay: 4096 })?;
        w.address(AddressKind::Src, &Address::host(V4_SRC, 0))?;
        w.address(AddressKind::Dst, &Address::host(V4_DST, 0))
    });
    let m = roundtrip(&b);
    assert_eq!(m.x_sa_replay(), Some(SaReplay { replay: 4096 }));
    assert_eq!(
        m.ext(ExtType::X_SA_REPLAY),
        Some(Extension::SaReplay(SaReplay { replay: 4096 }))
    );
    // On the wire: len 1 unit, type 27, the window as a host-order u32.
    let raw = m.raw(ExtType::X_SA_REPLAY).unwrap();
    assert_eq!(raw[..2], 1u16.to_ne_bytes());
    assert_eq!(raw[2..4], 27u16.to_ne_bytes());
    assert_eq!(raw[4..], 4096u32.to_ne_bytes());
    // Any u32 parses; the codec does not limit the window.
    let max = ext_bytes(ExtType::X_SA_REPLAY, &u32::MAX.to_ne_bytes());
    let b = with_ext(&max);
    assert_eq!(
        roundtrip(&b).x_sa_replay(),
        Some(SaReplay { replay: u32::MAX })
    );
    // Exactly one unit: two are refused.
    let long = ext_bytes(ExtType::X_SA_REPLAY, &[0; 12]);
    assert_eq!(long.len(), 16);
    inval(&with_ext(&long), "extension longer than its struct");
    // Once per message, in parse and in the writer.
    inval(
        &with_ext(&[max.clone(), max].concat()),
        "duplicate extension",
    );
    let mut buf = [0u8; 64];
    let mut w = Writer::new(&mut buf);
    w.header(&hdr(MsgType::ADD, SaType::ESP)).unwrap();
    w.x_sa_replay(&SaReplay { replay: 1 }).unwrap();
    assert_eq!(w.x_sa_replay(&SaReplay { replay: 2 }), Err(Errno::EINVAL));
}

/// xorshift64*: deterministic pseudo-random numbers without crates.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn byte(&mut self) -> u8 {
        self.next().to_le_bytes()[0]
    }
}

/// Parses `bytes`; on success, exercises every accessor and checks that
/// re-encoding gives the same bytes.
fn check_property(bytes: &[u8]) -> bool {
    let Ok(m) = parse(bytes) else {
        return false;
    };
    let mut out = vec![0u8; bytes.len()];
    let n = m.reencode(&mut out).expect("a parsed message re-encodes");
    assert_eq!(&out[..n], bytes);
    // A buffer one unit short must fail with ENOBUFS, not succeed.
    if bytes.len() >= 8 {
        let mut short = vec![0u8; bytes.len() - 8];
        assert_eq!(m.reencode(&mut short), Err(Errno::ENOBUFS));
    }
    let _ = check_required(&m);
    let _ = (m.sa(), m.spirange(), m.x_sa2(), m.nat_t_type(), m.filter());
    let _ = m.x_sa_replay();
    let _ = (m.sensitivity(), m.kmprivate(), m.sec_ctx(), m.kmaddress());
    for k in LifetimeKind::ALL {
        let _ = m.lifetime(*k);
    }
    for k in AddressKind::ALL {
        let _ = m.address(*k);
    }
    for k in KeyKind::ALL {
        let _ = m.key(*k);
    }
    for k in IdentityKind::ALL {
        let _ = m.identity(*k);
    }
    for k in NatTPortKind::ALL {
        let _ = m.nat_t_port(*k);
    }
    for k in SupportedKind::ALL {
        if let Some(s) = m.supported(*k) {
            let _ = s.algs().count();
        }
    }
    if let Some(p) = m.proposal() {
        let _ = p.combs().count();
    }
    if let Some(p) = m.x_policy() {
        let _ = p.requests().count();
    }
    assert_eq!(
        m.extensions().count(),
        (0..EXT_COUNT)
            .filter(|&i| m.has(ExtType::from_index(i).unwrap()))
            .count()
    );
    true
}

#[test]
fn property_random_bytes() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..500 {
        let len = usize::try_from(rng.below(200)).unwrap();
        let mut b: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
        check_property(&b);
        // The same bytes behind a valid header, so extensions get parsed.
        b.truncate(len / 8 * 8);
        if b.len() >= 16 {
            b[..16].copy_from_slice(&hdr(MsgType::ADD, SaType::ESP).to_bytes(0));
            fix_len(&mut b);
            check_property(&b);
        }
    }
}

#[test]
fn property_random_extensions() {
    // Random extensions with plausible headers: type 0..=28, length fitting.
    let mut rng = Rng(42);
    let mut accepted = 0;
    for _ in 0..3000 {
        let mut b = hdr(MsgType::X_SPDADD, SaType::UNSPEC).to_bytes(0).to_vec();
        for _ in 0..rng.below(4) {
            let units = 1 + rng.below(6);
            let ty = u16::try_from(rng.below(29)).unwrap();
            let mut e = u16::try_from(units).unwrap().to_ne_bytes().to_vec();
            e.extend_from_slice(&ty.to_ne_bytes());
            for _ in 4..units * 8 {
                // Mostly zeros, so that some extensions are valid.
                e.push(if rng.below(4) == 0 { rng.byte() } else { 0 });
            }
            b.extend_from_slice(&e);
        }
        fix_len(&mut b);
        if check_property(&b) {
            accepted += 1;
        }
    }
    assert!(accepted > 100, "only {accepted} accepted");
}

#[test]
fn property_truncations_and_bit_flips() {
    let mut samples = vec![kitchen_sink(), setkey_add_built()];
    for n in 1..=MsgType::MAX.0 {
        samples.push(minimal(MsgType(n), n % 2 == 0));
    }
    for s in &samples {
        assert!(check_property(s));
        for n in 0..s.len() {
            assert!(!check_property(&s[..n]));
            // Truncated to whole units with a matching length field.
            if n >= 16 && n % 8 == 0 {
                let mut t = s[..n].to_vec();
                fix_len(&mut t);
                check_property(&t);
            }
        }
        let mut accepted = 0;
        for bit in 0..s.len() * 8 {
            let mut f = s.clone();
            f[bit / 8] ^= 1 << (bit % 8);
            if check_property(&f) {
                accepted += 1;
            }
        }
        assert!(accepted > 0);
    }
}

#[test]
fn error_reply_copies_header() {
    let req = MsgHeader::new(MsgType::DELETE, SaType::AH, 99, 1234);
    let r = error_reply(&req, Errno::ESRCH);
    let m = parse(&r).unwrap();
    assert_eq!(m.wire_len(), 16);
    assert_eq!(*m.header(), MsgHeader { errno: 3, ..req });
    assert_eq!(r[2], 3);
    assert_eq!(u16::from_ne_bytes([r[4], r[5]]), 2);
    for bad in [Errno(0), Errno(256), Errno(-1), Errno(600)] {
        assert_eq!(error_reply(&req, bad)[2], 22);
    }
}
