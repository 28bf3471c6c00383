// SPDX-License-Identifier: GPL-2.0

//! Golden tests: commands built into PF_KEY messages, checked field by
//! field after decoding with the core's parser.

use ipsec_core::inet::{Addr, IpProto};
use ipsec_core::ipsec::{IpsecDir, IpsecLevel, IpsecMode, PolicyType};
use ipsec_core::pfkey::consts::{sa_flags, SaState, UdpEncap};
use ipsec_core::pfkey::ext::{AddressKind, KeyKind, LifetimeKind, NatTPortKind};
use ipsec_core::pfkey::sockaddr::SockAddr;
use ipsec_core::pfkey::{parse as decode, ExtType, Message, MsgHeader, MsgType, SaType, Writer};
use setkey::build::{deleteall_matches, requests, requests_with, BuildOptions};
use setkey::parse::{parse, Command};

fn cmd(src: &str) -> Command {
    let mut v = parse(src, "t").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v.len(), 1);
    v.remove(0)
}

/// The messages of `src`, built with seq 7 and pid 42.
fn build(src: &str) -> Vec<Vec<u8>> {
    requests(&cmd(src), 7, 42).unwrap()
}

fn only(src: &str) -> Vec<u8> {
    let mut v = build(src);
    assert_eq!(v.len(), 1, "{src}");
    v.remove(0)
}

fn msg(bytes: &[u8]) -> Message<'_> {
    decode(bytes).unwrap()
}

const A: Addr = Addr::V4([10, 0, 0, 1]);
const B: Addr = Addr::V4([10, 0, 0, 2]);

#[test]
fn add_esp_aes_gcm() {
    let b = only(
        "add 10.0.0.1 10.0.0.2 esp 0x1234 -m transport -u 9 -r 64 \
                  -E aes-gcm-16 0x000102030405060708090a0b0c0d0e0f10111213;",
    );
    let m = msg(&b);
    assert_eq!(
        *m.header(),
        MsgHeader::new(MsgType::ADD, SaType::ESP, 7, 42)
    );
    let sa = m.sa().unwrap();
    assert_eq!(sa.spi, 0x1234);
    assert_eq!(sa.replay, 64);
    assert_eq!(sa.state, SaState::LARVAL);
    assert_eq!(sa.encrypt.0, 20);
    assert_eq!(sa.auth.0, 0);
    assert_eq!(sa.flags, sa_flags::KAME_CYCSEQ);
    let sa2 = m.x_sa2().unwrap();
    assert_eq!((sa2.mode, sa2.reqid), (IpsecMode::TRANSPORT, 9));
    let src = m.address(AddressKind::Src).unwrap();
    assert_eq!(
        (src.addr(), src.prefixlen, src.proto, src.port()),
        (A, 32, IpProto::IPSEC_ANY, 0)
    );
    assert_eq!(m.address(AddressKind::Dst).unwrap().addr(), B);
    let k = m.key(KeyKind::Encrypt).unwrap();
    assert_eq!(k.bits, 160);
    assert_eq!(k.data, (0u8..20).collect::<Vec<_>>());
    assert!(m.key(KeyKind::Auth).is_none());
    assert!(m.x_sa_replay().is_none());
    assert!(m.lifetime(LifetimeKind::Hard).is_none() && m.lifetime(LifetimeKind::Soft).is_none());
    assert!(!m.has(ExtType::X_NAT_T_TYPE) && !m.has(ExtType::SPIRANGE));
    // What the module itself would make of it.
    let rec = ipsec_core::sadb::SaRecord::from_add(&m, 0).unwrap();
    assert_eq!(
        (rec.replay, rec.enc, rec.mode),
        (64, 20, IpsecMode::TRANSPORT)
    );
}

#[test]
fn update_esp_cbc_sha256_with_lifetimes() {
    let b = only("update 10.0.0.1 10.0.0.2 esp 0x1234 -lh 3600 -ls 3000 -bh 2000 \
                  -E aes-cbc \"0123456789abcdef\" -A hmac-sha2-256 0x0000000000000000000000000000000000000000000000000000000000000001;");
    let m = msg(&b);
    assert_eq!(m.msg_type(), MsgType::UPDATE);
    let sa = m.sa().unwrap();
    assert_eq!((sa.encrypt.0, sa.auth.0), (12, 5));
    assert_eq!(m.key(KeyKind::Encrypt).unwrap().data, b"0123456789abcdef");
    let ak = m.key(KeyKind::Auth).unwrap();
    assert_eq!((ak.bits, ak.data[31]), (256, 1));
    let h = m.lifetime(LifetimeKind::Hard).unwrap();
    assert_eq!(
        (h.addtime, h.bytes, h.allocations, h.usetime),
        (3600, 2000, 0, 0)
    );
    let s = m.lifetime(LifetimeKind::Soft).unwrap();
    assert_eq!((s.addtime, s.bytes), (3000, 0));
    assert_eq!(m.x_sa2().unwrap().mode, IpsecMode::ANY);
}

#[test]
fn replay_over_255_uses_the_extension() {
    for (r, field, ext) in [
        (255u32, 255u8, None),
        (256, 255, Some(256)),
        (4096, 255, Some(4096)),
        (32, 32, None),
    ] {
        let b = only(&format!("add 10.0.0.1 10.0.0.2 esp 1 -r {r} -esn -E null;"));
        let m = msg(&b);
        let sa = m.sa().unwrap();
        assert_eq!(sa.replay, field, "-r {r}");
        assert_eq!(m.x_sa_replay().map(|x| x.replay), ext, "-r {r}");
        assert_eq!(sa.flags & sa_flags::ESN, sa_flags::ESN);
        let rec = ipsec_core::sadb::SaRecord::from_add(&m, 0).unwrap();
        assert_eq!((rec.replay, rec.esn), (r, true));
    }
}

#[test]
fn null_encryption_sends_a_zero_bit_key() {
    let m_b = only("add 10.0.0.1 10.0.0.2 esp 1 -E null -A hmac-sha1 0x0102030405060708090a0b0c0d0e0f1011121314;");
    let m = msg(&m_b);
    let k = m.key(KeyKind::Encrypt).unwrap();
    assert_eq!((k.bits, k.data.len()), (0, 0));
    assert_eq!(m.sa().unwrap().encrypt.0, 11);
    assert_eq!(m.key(KeyKind::Auth).unwrap().bits, 160);
}

#[test]
fn ah_and_chacha_and_cmac() {
    let m_b = only(
        "add -6 2001:db8::1 2001:db8::2 ah 0x200 -A aes-cmac 0x000102030405060708090a0b0c0d0e0f;",
    );
    let m = msg(&m_b);
    assert_eq!(m.satype(), SaType::AH);
    assert_eq!(m.sa().unwrap().auth.0, 11);
    let src = m.address(AddressKind::Src).unwrap();
    assert_eq!(
        (src.prefixlen, src.family()),
        (128, ipsec_core::inet::AF_INET6)
    );
    assert!(m.key(KeyKind::Encrypt).is_none());
    let key = "0x".to_string() + &"11".repeat(36);
    let m_b = only(&format!(
        "add 10.0.0.1 10.0.0.2 esp 5 -E chacha20-poly1305 {key};"
    ));
    let m = msg(&m_b);
    assert_eq!(m.sa().unwrap().encrypt.0, 25);
    assert_eq!(m.key(KeyKind::Encrypt).unwrap().bits, 288);
}

#[test]
fn esp_udp_nat_t() {
    let b = only("add 10.0.0.1 10.0.0.2[4501] esp-udp 192.168.1.1 0x10 -E null;");
    let m = msg(&b);
    assert_eq!(m.nat_t_type().unwrap().encap, UdpEncap::ESPINUDP);
    assert_eq!(m.nat_t_port(NatTPortKind::Src).unwrap().port, 4500);
    assert_eq!(m.nat_t_port(NatTPortKind::Dst).unwrap().port, 4501);
    let oa = m.address(AddressKind::NatTOa).unwrap();
    assert_eq!((oa.addr(), oa.prefixlen), (Addr::V4([192, 168, 1, 1]), 32));
    assert_eq!(m.address(AddressKind::Dst).unwrap().port(), 4501);
}

#[test]
fn ipcomp_carries_the_compression_id_and_no_key() {
    let m_b = only("add 10.0.0.1 10.0.0.2 ipcomp 0x4001 -m tunnel -C deflate -R;");
    let m = msg(&m_b);
    assert_eq!(m.satype(), SaType::X_IPCOMP);
    let sa = m.sa().unwrap();
    assert_eq!((sa.spi, sa.comp().0, sa.auth.0), (0x4001, 2, 0));
    assert_eq!(sa.flags, sa_flags::KAME_CYCSEQ | sa_flags::KAME_RAWCPI);
    assert!(m.key(KeyKind::Encrypt).is_none());
}

#[test]
fn getspi_get_delete() {
    let m_b = only("getspi 10.0.0.1 10.0.0.2 esp 0x5000 -m tunnel -u 3;");
    let m = msg(&m_b);
    assert_eq!(m.msg_type(), MsgType::GETSPI);
    let r = m.spirange().unwrap();
    assert_eq!((r.min, r.max), (0x5000, 0x5000));
    assert_eq!(m.x_sa2().unwrap().reqid, 3);
    let m_b = only("getspi 10.0.0.1 10.0.0.2 esp 0;");
    assert!(msg(&m_b).spirange().is_none());
    for (word, t) in [("get", MsgType::GET), ("delete", MsgType::DELETE)] {
        let m_b = only(&format!("{word} 10.0.0.1[1] 10.0.0.2 ah 0x99;"));
        let m = msg(&m_b);
        assert_eq!((m.msg_type(), m.satype()), (t, SaType::AH));
        let sa = m.sa().unwrap();
        assert_eq!((sa.spi, sa.auth.0, sa.encrypt.0), (0x99, 0, 0));
        assert_eq!(m.address(AddressKind::Src).unwrap().port(), 1);
        assert!(!m.has(ExtType::KEY_AUTH) && !m.has(ExtType::KEY_ENCRYPT));
        let exts: Vec<_> = m.extensions().map(|e| e.ext_type()).collect();
        assert_eq!(
            exts,
            [
                ExtType::SA,
                ExtType::X_SA2,
                ExtType::ADDRESS_SRC,
                ExtType::ADDRESS_DST
            ]
        );
    }
}

#[test]
fn header_only_commands() {
    for (src, t, satype) in [
        ("flush;", MsgType::FLUSH, SaType::UNSPEC),
        ("flush esp;", MsgType::FLUSH, SaType::ESP),
        ("dump ah;", MsgType::DUMP, SaType::AH),
        ("dump;", MsgType::DUMP, SaType::UNSPEC),
        ("spdflush;", MsgType::X_SPDFLUSH, SaType::UNSPEC),
        ("spddump;", MsgType::X_SPDDUMP, SaType::UNSPEC),
        (
            "deleteall 10.0.0.1 10.0.0.2 esp;",
            MsgType::DUMP,
            SaType::ESP,
        ),
    ] {
        let b = only(src);
        assert_eq!(b.len(), 16, "{src}");
        assert_eq!(*msg(&b).header(), MsgHeader::new(t, satype, 7, 42), "{src}");
    }
    assert!(build("exit;").is_empty());
}

#[test]
fn spdadd_out_transport() {
    let b = only("spdadd 10.0.0.0/24[any] 10.0.1.0/24[443] tcp -P out prio def + 10 ipsec esp/transport//require;");
    let m = msg(&b);
    assert_eq!(
        *m.header(),
        MsgHeader::new(MsgType::X_SPDADD, SaType::UNSPEC, 7, 42)
    );
    let src = m.address(AddressKind::Src).unwrap();
    assert_eq!(
        (src.addr(), src.prefixlen, src.proto, src.port()),
        (Addr::V4([10, 0, 0, 0]), 24, IpProto::TCP, 0)
    );
    let dst = m.address(AddressKind::Dst).unwrap();
    assert_eq!(
        (dst.prefixlen, dst.proto, dst.port()),
        (24, IpProto::TCP, 443)
    );
    let p = m.x_policy().unwrap();
    assert_eq!(p.policy.policy_type, PolicyType::IPSEC);
    assert_eq!(p.policy.dir, IpsecDir::OUTBOUND);
    assert_eq!(p.policy.priority, 0x8000_0000 - 10);
    let rq: Vec<_> = p.requests().collect();
    assert_eq!(rq.len(), 1);
    assert_eq!(
        (rq[0].proto, rq[0].mode, rq[0].level, rq[0].reqid),
        (IpProto::ESP, IpsecMode::TRANSPORT, IpsecLevel::REQUIRE, 0)
    );
    assert_eq!(rq[0].endpoints, None);
}

#[test]
fn in_policies_are_copied_to_fwd() {
    let v = build(
        "spdadd 192.168.2.0/24 192.168.1.0/24 any -P in ipsec \
                   esp/tunnel/10.0.0.2-10.0.0.1/unique:7 ah/tunnel/10.0.0.2-10.0.0.1/unique:8;",
    );
    assert_eq!(v.len(), 2);
    let (first, fwd) = (msg(&v[0]), msg(&v[1]));
    assert_eq!((first.header().seq, fwd.header().seq), (7, 8));
    assert_eq!(first.x_policy().unwrap().policy.dir, IpsecDir::INBOUND);
    assert_eq!(fwd.x_policy().unwrap().policy.dir, IpsecDir::FWD);
    let rq: Vec<_> = first.x_policy().unwrap().requests().collect();
    assert_eq!(
        (rq[0].level, rq[0].reqid, rq[1].reqid),
        (IpsecLevel::UNIQUE, 7, 8)
    );
    let ends = (SockAddr::new(B, 0), SockAddr::new(A, 0));
    assert_eq!(rq[0].endpoints, Some(ends));
    let fq: Vec<_> = fwd.x_policy().unwrap().requests().collect();
    for r in &fq {
        assert_eq!(
            (r.level, r.reqid, r.mode),
            (IpsecLevel::REQUIRE, 0, IpsecMode::TUNNEL)
        );
        assert_eq!(r.endpoints, Some(ends));
    }
    assert_eq!(
        first.address(AddressKind::Src),
        fwd.address(AddressKind::Src)
    );
    // Without RFC mode, or for other directions, one message.
    let c = cmd("spddelete 10.0.0.0/8 10.1.0.0/16 any -P in;");
    assert_eq!(requests(&c, 1, 1).unwrap().len(), 2);
    let opts = BuildOptions { fwd_for_in: false };
    assert_eq!(requests_with(&c, 1, 1, &opts).unwrap().len(), 1);
    assert_eq!(build("spdadd 10.0.0.1 10.0.0.2 any -P fwd none;").len(), 1);
}

#[test]
fn spdupdate_and_spddelete() {
    let m_b = only("spdupdate -6 2001:db8::/32 ::/0 icmp6 135,0 -P out prio high discard;");
    let m = msg(&m_b);
    assert_eq!(m.msg_type(), MsgType::X_SPDUPDATE);
    let p = m.x_policy().unwrap();
    assert_eq!(
        (p.policy.policy_type, p.policy.priority),
        (PolicyType::DISCARD, 0x4000_0000)
    );
    assert_eq!(p.requests().count(), 0);
    let src = m.address(AddressKind::Src).unwrap();
    assert_eq!(
        (src.prefixlen, src.proto, src.port()),
        (32, IpProto::ICMPV6, 135)
    );
    let dst = m.address(AddressKind::Dst).unwrap();
    assert_eq!((dst.prefixlen, dst.port()), (0, 0));
    let m_b = only("spddelete 10.0.0.1 10.0.0.2 gre 1.2.3.4 -P out;");
    let m = msg(&m_b);
    assert_eq!(m.msg_type(), MsgType::X_SPDDELETE);
    let p = m.x_policy().unwrap();
    assert_eq!(
        (p.policy.dir, p.policy.priority, p.policy.policy_type),
        (IpsecDir::OUTBOUND, 0, PolicyType::DISCARD)
    );
    assert_eq!(m.address(AddressKind::Src).unwrap().port(), 0x0102);
    assert_eq!(m.address(AddressKind::Dst).unwrap().port(), 0x0304);
}

#[test]
fn spd_messages_are_accepted_by_the_module() {
    for src in [
        "spdadd 10.0.0.1 10.0.0.2 any -P out ipsec esp/transport//require;",
        "spdadd 192.168.1.0/24 192.168.2.0/24 any -P out ipsec esp/tunnel/10.0.0.1-10.0.0.2/unique:5;",
        "spdadd ::/0 ::/0 udp -P out prio low none;",
    ] {
        for b in build(src) {
            ipsec_core::spd::PolicyRecord::from_message(&msg(&b), 0)
                .unwrap_or_else(|e| panic!("{src}: {e:?}"));
        }
    }
}

/// A dumped SA as the kernel would send it.
fn dumped(satype: SaType, spi: u32, src: Addr, dst: Addr, errno: u8) -> Vec<u8> {
    let mut buf = vec![0u8; 512];
    let mut w = Writer::new(&mut buf);
    let mut h = MsgHeader::new(MsgType::DUMP, satype, 3, 4242);
    h.errno = errno;
    w.header(&h).unwrap();
    if errno == 0 {
        w.sa(&ipsec_core::pfkey::ext::Sa {
            spi,
            ..Default::default()
        })
        .unwrap();
        w.address(
            AddressKind::Src,
            &ipsec_core::pfkey::ext::Address::host(src, 4500),
        )
        .unwrap();
        w.address(
            AddressKind::Dst,
            &ipsec_core::pfkey::ext::Address::host(dst, 0),
        )
        .unwrap();
    }
    let n = w.finish().unwrap();
    buf.truncate(n);
    buf
}

#[test]
fn deleteall_deletes_matching_dumped_sas() {
    let c = cmd("deleteall 10.0.0.1 10.0.0.2 esp;");
    let del = deleteall_matches(&c, &dumped(SaType::ESP, 0x77, A, B, 0)).unwrap();
    let m = msg(&del);
    assert_eq!(
        *m.header(),
        MsgHeader::new(MsgType::DELETE, SaType::ESP, 0, 4242)
    );
    assert_eq!(m.sa().unwrap().spi, 0x77);
    assert_eq!(m.address(AddressKind::Src).unwrap().addr(), A);
    assert_eq!(m.address(AddressKind::Dst).unwrap().addr(), B);
    assert_eq!(m.x_sa2().unwrap().mode, IpsecMode::ANY);
    assert_eq!(deleteall_matches(&c, &dumped(SaType::AH, 1, A, B, 0)), None);
    assert_eq!(
        deleteall_matches(&c, &dumped(SaType::ESP, 1, B, A, 0)),
        None
    );
    assert_eq!(
        deleteall_matches(&c, &dumped(SaType::ESP, 1, A, A, 0)),
        None
    );
    assert_eq!(
        deleteall_matches(&c, &dumped(SaType::ESP, 0, A, B, 2)),
        None
    );
    assert_eq!(deleteall_matches(&c, b"garbage"), None);
    assert_eq!(
        deleteall_matches(&cmd("flush;"), &dumped(SaType::ESP, 1, A, B, 0)),
        None
    );
}
