// SPDX-License-Identifier: GPL-2.0

//! Every construct of the grammar, parsed into the expected command.

use ipsec_core::inet::{Addr, IpProto};
use ipsec_core::ipsec::{IpsecDir, IpsecLevel, IpsecMode, PolicyType};
use ipsec_core::pfkey::consts::sa_flags;
use ipsec_core::pfkey::sockaddr::SockAddr;
use ipsec_core::pfkey::SaType;
use setkey::parse::{parse, Command, CommandKind, SaCommand, SpdCommand};

fn all(src: &str) -> Vec<Command> {
    parse(src, "t").unwrap_or_else(|e| panic!("{e}"))
}

fn one(src: &str) -> Command {
    let mut v = all(src);
    assert_eq!(v.len(), 1, "{src}");
    v.remove(0)
}

fn sa(src: &str) -> SaCommand {
    match one(src).kind {
        CommandKind::Add(s)
        | CommandKind::Update(s)
        | CommandKind::GetSpi(s)
        | CommandKind::Get(s)
        | CommandKind::Delete(s) => s,
        k => panic!("{k:?}"),
    }
}

fn spd(src: &str) -> SpdCommand {
    match one(src).kind {
        CommandKind::SpdAdd(s) | CommandKind::SpdUpdate(s) | CommandKind::SpdDelete(s) => s,
        k => panic!("{k:?}"),
    }
}

const V4A: Addr = Addr::V4([10, 0, 0, 1]);
const V4B: Addr = Addr::V4([10, 0, 0, 2]);

#[test]
fn add_esp_with_both_algorithms() {
    let c = one("add 10.0.0.1 10.0.0.2 esp 0x1000 -E aes-cbc 0x00112233445566778899aabbccddeeff -A hmac-sha256 \"12345678901234567890123456789012\";");
    assert_eq!((c.line, c.col), (1, 1));
    assert!(!c.prints_reply());
    let CommandKind::Add(s) = c.kind else {
        panic!()
    };
    assert_eq!(s.satype, SaType::ESP);
    assert_eq!(s.src, SockAddr::new(V4A, 0));
    assert_eq!(s.dst, SockAddr::new(V4B, 0));
    assert_eq!(s.spi, 0x1000);
    assert_eq!(s.mode, IpsecMode::ANY);
    assert_eq!(s.flags, sa_flags::KAME_CYCSEQ);
    let e = s.enc.unwrap();
    assert_eq!(
        (e.name, e.id, e.key_bits(), e.line, e.col),
        ("aes-cbc", 12, 128, 1, 37)
    );
    let a = s.auth.unwrap();
    assert_eq!((a.name, a.id), ("hmac-sha256", 5));
    assert_eq!(a.key.unwrap(), b"12345678901234567890123456789012");
}

#[test]
fn every_sa_command_word() {
    let base = "10.0.0.1 10.0.0.2 ah 300 -A hmac-sha1 0x0102030405060708090a0b0c0d0e0f1011121314;";
    assert!(matches!(
        one(&format!("add {base}")).kind,
        CommandKind::Add(_)
    ));
    assert!(matches!(
        one(&format!("update {base}")).kind,
        CommandKind::Update(_)
    ));
    let c = one("get 10.0.0.1 10.0.0.2 ah 300;");
    assert!(c.prints_reply());
    assert!(matches!(c.kind, CommandKind::Get(_)));
    assert!(matches!(
        one("delete 10.0.0.1 10.0.0.2 esp 0x300;").kind,
        CommandKind::Delete(_)
    ));
    let c = one("getspi 10.0.0.1 10.0.0.2 esp 0 -m tunnel -u 7;");
    assert!(c.prints_reply());
    let CommandKind::GetSpi(s) = c.kind else {
        panic!()
    };
    assert_eq!((s.spi, s.mode, s.reqid), (0, IpsecMode::TUNNEL, 7));
}

#[test]
fn extensions() {
    let s = sa(
        "add 10.0.0.1 10.0.0.2 esp 1 -m tunnel -r 4096 -u 5 -f zero-pad -f nocyclic-seq \
                -lh 3600 -ls 3000 -bh 1000000 -bs 900000 -esn -E null;",
    );
    assert_eq!(s.mode, IpsecMode::TUNNEL);
    assert_eq!(s.replay, 4096);
    assert_eq!(s.reqid, 5);
    assert_eq!(s.flags, sa_flags::KAME_PZERO | sa_flags::ESN);
    assert_eq!((s.hard.seconds, s.hard.bytes), (3600, 1_000_000));
    assert_eq!((s.soft.seconds, s.soft.bytes), (3000, 900_000));
    let e = s.enc.unwrap();
    assert_eq!((e.name, e.id, e.key), ("null", 11, Some(Vec::new())));
    assert_eq!(s.auth, None);
    let s = sa("add 10.0.0.1 10.0.0.2 esp 1 -f random-pad -f seq-pad -m any -E null;");
    assert_eq!(s.flags, sa_flags::KAME_CYCSEQ);
    let s = sa("add 10.0.0.1 10.0.0.2 esp 1 -f random-pad -E null;");
    assert_eq!(s.flags, sa_flags::KAME_CYCSEQ | sa_flags::KAME_PRAND);
}

#[test]
fn protocols() {
    assert_eq!(
        sa("add 10.0.0.1 10.0.0.2 esp-old 1 -E des-cbc 0x0102030405060708;").flags,
        sa_flags::KAME_CYCSEQ | sa_flags::KAME_OLD
    );
    let s = sa("add 10.0.0.1 10.0.0.2 ah-old 1 -A keyed-md5 0x000102030405060708090a0b0c0d0e0f;");
    assert_eq!(
        (s.satype, s.flags & sa_flags::KAME_OLD),
        (SaType::AH, sa_flags::KAME_OLD)
    );
    let s = sa("add 10.0.0.1 10.0.0.2 ipcomp 0x4001 -C deflate -R;");
    assert_eq!(s.satype, SaType::X_IPCOMP);
    assert_eq!(s.comp.unwrap().id, 2);
    assert_eq!(s.flags & sa_flags::KAME_RAWCPI, sa_flags::KAME_RAWCPI);
    let s = sa("add 10.0.0.1[4500] 10.0.0.2[4501] esp-udp 192.168.0.1 1 -E null;");
    assert_eq!(s.satype, SaType::ESP);
    assert_eq!(s.nat_t.unwrap().oa, Some(Addr::V4([192, 168, 0, 1])));
    assert_eq!((s.src.port(), s.dst.port()), (4500, 4501));
    let s = sa("add 10.0.0.1 10.0.0.2 esp-udp 1 -E null;");
    assert_eq!(s.nat_t.unwrap().oa, None);
}

#[test]
fn encryption_names_and_key_sizes() {
    let key = |bits: usize| format!("0x{}", "ab".repeat(bits / 8));
    for (name, id, bits) in [
        ("aes-gcm-16", 20, 160),
        ("aes-gcm-12", 19, 224),
        ("aes-gcm-8", 18, 288),
        ("aes-ccm", 16, 152),
        ("aes-ccm-8", 14, 216),
        ("aes-ccm-12", 15, 280),
        ("aes-ccm-16", 16, 152),
        ("aes-gmac", 23, 160),
        ("chacha20-poly1305", 25, 288),
        ("aes-cbc", 12, 256),
        ("rijndael-cbc", 12, 192),
        ("aes-ctr", 13, 160),
        ("3des-cbc", 3, 192),
        ("des-cbc", 2, 64),
        ("blowfish-cbc", 7, 448),
        ("cast128-cbc", 6, 40),
        ("twofish-cbc", 253, 256),
        ("camellia-cbc", 22, 128),
    ] {
        let s = sa(&format!(
            "add 10.0.0.1 10.0.0.2 esp 1 -E {name} {};",
            key(bits)
        ));
        let e = s.enc.unwrap();
        assert_eq!((e.name, e.id, e.key_bits()), (name, id, bits as u32));
    }
}

#[test]
fn authentication_names_and_key_sizes() {
    let key = |bits: usize| format!("0x{}", "cd".repeat(bits / 8));
    for (name, id, bits) in [
        ("hmac-md5", 2, 128),
        ("hmac-sha1", 3, 160),
        ("hmac-sha256", 5, 256),
        ("hmac-sha2-256", 5, 256),
        ("hmac-sha384", 6, 384),
        ("hmac-sha2-384", 6, 384),
        ("hmac-sha512", 7, 512),
        ("hmac-sha2-512", 7, 512),
        ("aes-xcbc-mac", 9, 128),
        ("aes-cmac", 11, 128),
        ("keyed-md5", 249, 128),
        ("keyed-sha1", 250, 160),
        ("hmac-ripemd160", 8, 160),
    ] {
        let s = sa(&format!(
            "add 10.0.0.1 10.0.0.2 ah 1 -A {name} {};",
            key(bits)
        ));
        let a = s.auth.unwrap();
        assert_eq!((a.name, a.id, a.key_bits()), (name, id, bits as u32));
    }
    let s = sa("add 10.0.0.1 10.0.0.2 ah 1 -A null;");
    assert_eq!(
        (s.auth.clone().unwrap().id, s.auth.unwrap().key),
        (251, None)
    );
    let s = sa("add 10.0.0.1 10.0.0.2 esp 1 -E 3des-cbc \"123456789012345678901234\" -A null;");
    assert_eq!(s.auth.unwrap().id, 251);
}

#[test]
fn legacy_des_flavours() {
    let k = "0x0102030405060708";
    let s = sa(&format!("add 10.0.0.1 10.0.0.2 esp 1 -E des-deriv {k};"));
    assert_eq!(s.flags & sa_flags::KAME_DERIV, sa_flags::KAME_DERIV);
    let s = sa(&format!("add 10.0.0.1 10.0.0.2 esp-old 1 -E des-32iv {k};"));
    assert_eq!(s.flags & sa_flags::KAME_IV4B, sa_flags::KAME_IV4B);
    assert_eq!(
        sa("add 10.0.0.1 10.0.0.2 esp-old 1 -E simple;")
            .enc
            .unwrap()
            .id,
        11
    );
}

#[test]
fn ipv6_addresses_ports_and_flags() {
    let s = sa("add -6n fe80::1%2[500] fe80::2[any] esp 1 -E null;");
    assert_eq!(s.src.port(), 500);
    assert!(matches!(s.src, SockAddr::V6 { scope_id: 2, .. }));
    assert_eq!(s.dst.port(), 0);
    let s = sa("add -4 -n 10.0.0.1 10.0.0.2 esp 1 -E null;");
    assert_eq!(s.src.addr(), V4A);
}

#[test]
fn deleteall_flush_dump() {
    let CommandKind::DeleteAll(d) = one("deleteall 10.0.0.1 10.0.0.2 esp;").kind else {
        panic!()
    };
    assert_eq!((d.satype, d.src, d.dst), (SaType::ESP, V4A, V4B));
    assert_eq!(one("flush;").kind, CommandKind::Flush(SaType::UNSPEC));
    assert_eq!(one("flush ah;").kind, CommandKind::Flush(SaType::AH));
    let c = one("dump esp;");
    assert_eq!(c.kind, CommandKind::Dump(SaType::ESP));
    assert!(c.prints_reply());
    assert_eq!(one("dump;").kind, CommandKind::Dump(SaType::UNSPEC));
    assert_eq!(one("spdflush;").kind, CommandKind::SpdFlush);
    let c = one("spddump;");
    assert!(c.prints_reply());
    assert_eq!(c.kind, CommandKind::SpdDump);
}

#[test]
fn exit_words_stop_reading() {
    for w in ["exit", "quit", "bye"] {
        let v = all(&format!("flush;\n{w};\nthis is not read"));
        assert_eq!(v.len(), 2);
        assert!(v[1].is_exit());
        assert_eq!((v[1].line, v[1].col), (2, 1));
    }
}

#[test]
fn spdadd_transport() {
    let s = spd("spdadd 10.0.0.1 10.0.0.2 any -P out ipsec esp/transport//require;");
    assert_eq!((s.src.addr, s.src.prefixlen, s.src.port), (V4A, 32, 0));
    assert_eq!(s.upper, IpProto::IPSEC_ANY);
    let p = s.policy;
    assert_eq!(
        (p.dir, p.action, p.priority),
        (IpsecDir::OUTBOUND, PolicyType::IPSEC, 0x8000_0000)
    );
    assert_eq!(p.requests.len(), 1);
    let r = p.requests[0];
    assert_eq!(
        (r.proto, r.mode, r.level, r.reqid),
        (IpProto::ESP, IpsecMode::TRANSPORT, IpsecLevel::REQUIRE, 0)
    );
    assert_eq!(r.endpoints, None);
}

#[test]
fn spdadd_tunnel_with_prefixes_ports_and_unique() {
    let s = spd(
        "spdupdate 192.168.1.0/24[any] 192.168.2.0/24[80] tcp -P in prio high + 5 ipsec \
                 esp/tunnel/10.0.0.1[4500]-10.0.0.2/unique:12 ah/transport/10.0.0.1-10.0.0.2/use;",
    );
    assert_eq!((s.src.prefixlen, s.dst.prefixlen, s.dst.port), (24, 24, 80));
    assert_eq!(s.upper, IpProto::TCP);
    let p = &s.policy;
    assert_eq!((p.dir, p.priority), (IpsecDir::INBOUND, 0x4000_0000 - 5));
    let r = p.requests[0];
    assert_eq!(
        (r.mode, r.level, r.reqid),
        (IpsecMode::TUNNEL, IpsecLevel::UNIQUE, 12)
    );
    assert_eq!(
        r.endpoints,
        Some((SockAddr::new(V4A, 4500), SockAddr::new(V4B, 0)))
    );
    let r = p.requests[1];
    assert_eq!((r.proto, r.level), (IpProto::AH, IpsecLevel::USE));
    assert!(r.endpoints.is_some());
}

#[test]
fn policy_forms() {
    let pol = |p: &str| spd(&format!("spdadd ::/0 ::/0 any -P {p};")).policy;
    assert_eq!(pol("out discard").action, PolicyType::DISCARD);
    assert_eq!(pol("fwd none").dir, IpsecDir::FWD);
    assert_eq!(pol("out prio 10 none").priority, 0x8000_0000 - 10);
    assert_eq!(pol("out priority -10 none").priority, 0x8000_0000 + 10);
    assert_eq!(pol("out prio low none").priority, 0xC000_0000);
    assert_eq!(pol("out prio def - 3 none").priority, 0x8000_0003);
    let p = pol("out ipsec esp/transport ah/transport/ ipcomp/transport//default esp/transport/me-any/unique");
    assert_eq!(p.requests.len(), 4);
    assert!(p
        .requests
        .iter()
        .take(3)
        .all(|r| r.level == IpsecLevel::DEFAULT));
    assert_eq!(p.requests[2].proto, IpProto::COMP);
    assert_eq!(
        (p.requests[3].level, p.requests[3].endpoints),
        (IpsecLevel::UNIQUE, None)
    );
    let p = pol("in ipsec esp/transport/any-me/require");
    assert_eq!(p.requests[0].endpoints, None);
    let p = pol("out ipsec\n   esp/tunnel/2001:db8::1-2001:db8::2/require # comment\n");
    assert!(p.requests[0].endpoints.is_some());
}

#[test]
fn spddelete_with_bare_direction() {
    let s = spd("spddelete 10.0.0.0/8 10.1.0.0/16 icmp -P out;");
    assert_eq!(s.upper, IpProto::ICMP);
    assert_eq!(
        (s.policy.dir, s.policy.action, s.policy.priority),
        (IpsecDir::OUTBOUND, PolicyType::DISCARD, 0)
    );
    assert!(s.policy.requests.is_empty());
    assert_eq!(
        spd("spddelete 10.0.0.0/8 10.1.0.0/16 any -P in ipsec;")
            .policy
            .action,
        PolicyType::IPSEC
    );
}

#[test]
fn upper_layer_specs() {
    let up = |u: &str| spd(&format!("spdadd 10.0.0.1 10.0.0.2 {u} -P out none;"));
    assert_eq!(up("udp").upper, IpProto::UDP);
    assert_eq!(up("132").upper, IpProto(132));
    assert_eq!(up("icmp6").upper, IpProto::ICMPV6);
    assert_eq!(up("ipv6-icmp").upper, IpProto::ICMPV6);
    assert_eq!(up("ip4").upper, IpProto(4));
    assert_eq!(up("gre").upper, IpProto::GRE);
    let s = up("icmp 8,0");
    assert_eq!((s.src.port, s.dst.port), (8, 0));
    let s = up("icmp6 135");
    assert_eq!((s.src.port, s.dst.port), (135, 0));
    let s = up("gre 1.2.3.4");
    assert_eq!((s.src.port, s.dst.port), (0x0102, 0x0304));
    let s = up("gre 65537");
    assert_eq!((s.src.port, s.dst.port), (1, 1));
}

#[test]
fn multi_statement_file() {
    let src = "# SAs for two hosts\n\
               flush;\tspdflush;\n\
               add 10.0.0.1 10.0.0.2 esp 0x100\n\
               \t-m transport\n\
               \t-E aes-gcm-16 0x0001020304050607080910111213141516171819 ; # trailing\n\
               add -6 2001:db8::1 2001:db8::2 ah 0x200 -A hmac-sha256\n\
               \t0x000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f;\n\
               spdadd 10.0.0.1 10.0.0.2 any -P out ipsec\n\
               \tesp/transport//require;\n\
               spdadd 2001:db8::/64[any] 2001:db8:1::/64[any] any -P in ipsec\n\
               \tah/transport//require ;\n";
    let v = all(src);
    let pos: Vec<_> = v.iter().map(|c| (c.line, c.col)).collect();
    assert_eq!(pos, [(2, 1), (2, 8), (3, 1), (6, 1), (8, 1), (10, 1)]);
    assert!(matches!(v[3].kind, CommandKind::Add(ref s) if s.satype == SaType::AH));
    let CommandKind::SpdAdd(s) = &v[5].kind else {
        panic!()
    };
    assert_eq!(s.src.prefixlen, 64);
    assert_eq!(s.policy.requests[0].proto, IpProto::AH);
}

#[test]
fn empty_input_and_comments_only() {
    assert!(all("").is_empty());
    assert!(all("# nothing\n   \n# more").is_empty());
}
