// SPDX-License-Identifier: GPL-2.0

//! Golden tests of `setkey -DP` output. Every expected block is derived
//! from ipsec-tools' `pfkey_spdump1` (`src/libipsec/pfkey_dump.c`, Linux
//! build: `str_prefport`, `str_upperspec`, the `id % 8 >= 3` socket
//! policy test) and `ipsec_dump_policy1` / `ipsec_dump_ipsecrequest`
//! (`src/libipsec/ipsec_dump_policy.c`, with priorities and `fwd`).

mod print_common;

use ipsec_core::inet::IpProto;
use ipsec_core::ipsec::{IpsecDir, IpsecLevel, IpsecMode, PolicyType};
use ipsec_core::pfkey::consts::{MsgType, SaType};
use ipsec_core::pfkey::ext::{AddressKind, Lifetime, LifetimeKind, Policy, SecCtx};
use ipsec_core::pfkey::MsgHeader;
use print_common::*;
use setkey::print::{self, PrintOptions};

fn printed(msg: &[u8], opts: &PrintOptions) -> String {
    let mut s = String::new();
    print::policy(msg, opts, &mut s);
    s
}

/// The lifetime and id lines for a policy created at ADDED, never used,
/// no limits ("\tcreated: %s  " "lastused: %s\n", "\tlifetime: %lu(s) "
/// "validtime: %lu(s)\n", "\tspid=%ld seq=%ld pid=%ld\n", "\trefcnt=%u\n").
fn tail(spid: u32, seq: u32) -> String {
    format!(
        "\tcreated: Nov 28 10:00:00 2026  lastused:                     \n\
         \tlifetime: 0(s) validtime: 0(s)\n\
         \tspid={spid} seq={seq} pid=4242\n\
         \trefcnt=0\n"
    )
}

#[test]
fn out_tunnel_unique_with_relative_priority() {
    // str_prefport: "/%u" for a partial prefix, "[any]" for port 0;
    // str_upperspec: getprotobynumber(255) fails, so "255". The policy:
    // "%s %s %c %u %s" (dir, "prio def", '+', 10, "ipsec") since the
    // priority is PRIORITY_DEFAULT - 10, then "\n\t" and
    // "proto/mode/src-dst/level:reqid".
    let mut p = PolicyReply::out_ipsec();
    p.policy.priority = 0x8000_0000 - 10;
    p.requests = vec![tunnel(
        v4([192, 0, 2, 1]),
        v4([192, 0, 2, 2]),
        IpsecLevel::UNIQUE,
        5,
    )];
    let expected = format!(
        "10.0.0.0/24[any] 10.0.1.0/24[any] 255\n\
         \tout prio def + 10 ipsec\n\
         \tesp/tunnel/192.0.2.1-192.0.2.2/unique:5\n\
         {}",
        tail(1, 0)
    );
    assert_eq!(printed(&p.bytes(), &opts()), expected);
}

#[test]
fn in_discard_icmp_type_and_code() {
    // Whole addresses have no "/32"; ICMP has no "[port]" in
    // str_prefport, and str_upperspec adds " type,code" from the ports.
    let mut p = PolicyReply::out_ipsec();
    p.msg_type = MsgType::X_SPDGET;
    p.seq = 3;
    p.src = sel(v4([10, 0, 0, 1]), 32, 8, IpProto::ICMP);
    p.dst = sel(v4([10, 0, 0, 2]), 32, 0, IpProto::ICMP);
    p.policy.dir = IpsecDir::INBOUND;
    p.policy.policy_type = PolicyType::DISCARD;
    p.policy.id = 8;
    let expected = format!("10.0.0.1 10.0.0.2 icmp 8,0\n\tin discard\n{}", tail(8, 3));
    assert_eq!(printed(&p.bytes(), &opts()), expected);
    // ICMP with both "ports" 0 prints the protocol alone.
    p.src = sel(v4([10, 0, 0, 1]), 32, 0, IpProto::ICMP);
    assert!(printed(&p.bytes(), &opts()).starts_with("10.0.0.1 10.0.0.2 icmp\n\tin discard\n"));
}

#[test]
fn fwd_none_tcp_ports_and_lifetimes() {
    // "[%u]" for a port; "prio low" for PRIORITY_LOW; the lifetime lines
    // with a use time and hard limits.
    let mut p = PolicyReply::out_ipsec();
    p.src = sel(v4([192, 168, 0, 0]), 16, 0, IpProto::TCP);
    p.dst = sel(v4([10, 0, 0, 5]), 32, 22, IpProto::TCP);
    p.policy.dir = IpsecDir::FWD;
    p.policy.policy_type = PolicyType::NONE;
    p.policy.priority = 0xc000_0000;
    p.policy.id = 2;
    p.current.usetime = ADDED + 60;
    p.hard = Lifetime {
        addtime: 3600,
        usetime: 600,
        ..Lifetime::default()
    };
    let expected = "\
192.168.0.0/16[any] 10.0.0.5[22] tcp\n\
\tfwd prio low none\n\
\tcreated: Nov 28 10:00:00 2026  lastused: Nov 28 10:01:00 2026\n\
\tlifetime: 3600(s) validtime: 600(s)\n\
\tspid=2 seq=0 pid=4242\n\
\trefcnt=0\n";
    assert_eq!(printed(&p.bytes(), &opts()), expected);
}

#[test]
fn several_requests_and_kernel_reqids() {
    // One "\n\t"-separated request each; "%c%u" with '#' for a reqid above
    // IPSEC_MANUAL_REQID_MAX (0x3fff) and ':' up to it; no reqid, no
    // suffix. PRIORITY_HIGH + 5 reads "prio high - 5".
    let mut p = PolicyReply::out_ipsec();
    p.policy.priority = 0x4000_0005;
    p.policy.id = 9;
    p.requests = vec![
        req(IpProto::ESP, IpsecMode::TRANSPORT, IpsecLevel::REQUIRE, 0),
        req(
            IpProto::AH,
            IpsecMode::TRANSPORT,
            IpsecLevel::UNIQUE,
            0x4000,
        ),
        tunnel(
            v4([192, 0, 2, 1]),
            v4([192, 0, 2, 2]),
            IpsecLevel::DEFAULT,
            0x3fff,
        ),
        req(IpProto::COMP, IpsecMode::ANY, IpsecLevel::USE, 0),
    ];
    let expected = format!(
        "10.0.0.0/24[any] 10.0.1.0/24[any] 255\n\
         \tout prio high - 5 ipsec\n\
         \tesp/transport//require\n\
         \tah/transport//unique#16384\n\
         \tesp/tunnel/192.0.2.1-192.0.2.2/default:16383\n\
         \tipcomp/any//use\n\
         {}",
        tail(9, 0)
    );
    assert_eq!(printed(&p.bytes(), &opts()), expected);
}

#[test]
fn ipv6_prefixes_and_icmpv6() {
    // IPv6 in inet_ntop form, "/0" for any; ICMPv6 named as
    // /etc/protocols names 58.
    let mut p = PolicyReply::out_ipsec();
    p.src = sel(
        v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]),
        32,
        135,
        IpProto::ICMPV6,
    );
    p.dst = sel(v6([0; 8]), 0, 0, IpProto::ICMPV6);
    p.policy.policy_type = PolicyType::NONE;
    p.policy.id = 17;
    let expected = format!(
        "2001:db8::/32 ::/0 ipv6-icmp 135,0\n\tout none\n{}",
        tail(17, 0)
    );
    assert_eq!(printed(&p.bytes(), &opts()), expected);
    // A tunnel between IPv6 endpoints.
    p.policy.policy_type = PolicyType::IPSEC;
    p.requests = vec![tunnel(
        v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]),
        v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 2]),
        IpsecLevel::REQUIRE,
        0,
    )];
    assert!(
        printed(&p.bytes(), &opts()).contains("\n\tesp/tunnel/2001:db8::1-2001:db8::2/require\n")
    );
}

#[test]
fn per_socket_policies() {
    // Linux: id % 8 >= 3 is a socket policy: "(per-socket policy) " in
    // place of the selector; directions 4 and 5 are "in(socket)" and
    // "out(socket)". -DPN (hide_socket_policies) drops them.
    let mut p = PolicyReply::out_ipsec();
    p.policy.id = 11;
    p.policy.dir = IpsecDir(5);
    p.requests = vec![req(
        IpProto::ESP,
        IpsecMode::TRANSPORT,
        IpsecLevel::REQUIRE,
        0,
    )];
    let expected = format!(
        "(per-socket policy) \n\tout(socket) ipsec\n\tesp/transport//require\n{}",
        tail(11, 0)
    );
    assert_eq!(printed(&p.bytes(), &opts()), expected);
    let hide = PrintOptions {
        hide_socket_policies: true,
        ..opts()
    };
    assert_eq!(printed(&p.bytes(), &hide), "");
    // No selector at all is a socket policy too (ipsec-tools 0.9).
    let h = MsgHeader::new(MsgType::X_SPDDUMP, SaType::UNSPEC, 0, PID);
    let msg = build(h, |w| {
        w.x_policy(&Policy {
            policy_type: PolicyType::DISCARD,
            dir: IpsecDir(4),
            reserved: 0,
            id: 16,
            priority: 0,
        })
        .unwrap();
    });
    assert_eq!(
        printed(&msg, &opts()),
        "(per-socket policy) \n\tin(socket) discard\n\tspid=16 seq=0 pid=4242\n\trefcnt=0\n"
    );
}

#[test]
fn gre_key_and_other_protocols() {
    // GRE: no "[port]"; str_upperspec prints (p1 << 16) + p2.
    let mut p = PolicyReply::out_ipsec();
    p.src = sel(v4([10, 0, 0, 1]), 32, 1, IpProto::GRE);
    p.dst = sel(v4([10, 0, 0, 2]), 32, 2, IpProto::GRE);
    assert!(printed(&p.bytes(), &opts()).starts_with("10.0.0.1 10.0.0.2 gre 65538\n"));
    // Mobility header (135): type,code like ICMP; UDP: ports in brackets
    // and nothing after the name; a number /etc/protocols lacks.
    p.src = sel(v4([10, 0, 0, 1]), 32, 1, IpProto(135));
    p.dst = sel(v4([10, 0, 0, 2]), 32, 2, IpProto(135));
    assert!(printed(&p.bytes(), &opts()).starts_with("10.0.0.1 10.0.0.2 mobility-header 1,2\n"));
    p.src = sel(v4([10, 0, 0, 1]), 32, 500, IpProto::UDP);
    p.dst = sel(v4([10, 0, 0, 2]), 32, 4500, IpProto::UDP);
    assert!(printed(&p.bytes(), &opts()).starts_with("10.0.0.1[500] 10.0.0.2[4500] udp\n"));
    p.src = sel(v4([10, 0, 0, 1]), 32, 0, IpProto(200));
    p.dst = sel(v4([10, 0, 0, 2]), 32, 0, IpProto(200));
    assert!(printed(&p.bytes(), &opts()).starts_with("10.0.0.1[any] 10.0.0.2[any] 200\n"));
}

#[test]
fn endpoint_ports_with_p_and_exact_base_priority() {
    // ipsec_dump_policy_withports: "%s[%s]" for tunnel endpoints. A
    // priority on a base prints "%s %s %s" without an offset.
    let mut p = PolicyReply::out_ipsec();
    p.policy.priority = 0x8000_0000;
    p.requests = vec![tunnel(
        v4([192, 0, 2, 1]),
        v4([192, 0, 2, 2]),
        IpsecLevel::UNIQUE,
        5,
    )];
    let ports = PrintOptions {
        with_ports: true,
        ..opts()
    };
    assert!(printed(&p.bytes(), &ports).starts_with(
        "10.0.0.0/24[any] 10.0.1.0/24[any] 255\n\
         \tout prio def ipsec\n\
         \tesp/tunnel/192.0.2.1[0]-192.0.2.2[0]/unique:5\n"
    ));
}

#[test]
fn policies_ipsec_dump_policy_refuses() {
    // ipsec_dump_policy returns NULL: "\n\tPolicy:[%s]\n" with
    // ipsec_strerror(), then the rest as usual.
    let mut p = PolicyReply::out_ipsec();
    p.requests = vec![req(IpProto::ESP, IpsecMode::BEET, IpsecLevel::REQUIRE, 0)];
    let expected = format!(
        "10.0.0.0/24[any] 10.0.1.0/24[any] 255\n\tPolicy:[Invalid ipsec mode]\n{}",
        tail(1, 0)
    );
    assert_eq!(printed(&p.bytes(), &opts()), expected);
    p.requests = vec![req(IpProto::TCP, IpsecMode::TUNNEL, IpsecLevel::REQUIRE, 0)];
    assert!(printed(&p.bytes(), &opts()).contains("\n\tPolicy:[Invalid ipsec protocol]\n"));
    p.requests = vec![req(IpProto::ESP, IpsecMode::TUNNEL, IpsecLevel(9), 0)];
    assert!(printed(&p.bytes(), &opts()).contains("\n\tPolicy:[Invalid ipsec level]\n"));
    p.requests.clear();
    p.policy.dir = IpsecDir(6);
    assert!(printed(&p.bytes(), &opts()).contains("\n\tPolicy:[Invalid direciton]\n"));
    p.policy.dir = IpsecDir::OUTBOUND;
    p.policy.policy_type = PolicyType(5);
    assert!(printed(&p.bytes(), &opts()).contains("\n\tPolicy:[Invalid security policy]\n"));
    // entrust and bypass have words, and no requests are shown for them.
    p.policy.policy_type = PolicyType::BYPASS;
    assert!(printed(&p.bytes(), &opts()).contains("\n\tout bypass\n\tcreated: "));
}

#[test]
fn security_context_and_missing_policy() {
    let p = PolicyReply::out_ipsec();
    let msg = p.bytes_with(|w| {
        w.sec_ctx(&SecCtx {
            alg: 1,
            doi: 1,
            ctx: b"system_u:object_r:ipsec_spd_t:s0",
        })
        .unwrap();
    });
    assert!(printed(&msg, &opts()).ends_with(
        "\tlifetime: 0(s) validtime: 0(s)\n\
         \tsecurity context doi: 1\n\
         \tsecurity context algorithm: 1\n\
         \tsecurity context length: 32\n\
         \tsecurity context: system_u:object_r:ipsec_spd_t:s0\n\
         \tspid=1 seq=0 pid=4242\n\
         \trefcnt=0\n"
    ));
    // No X_POLICY: the selector, then "no X_POLICY extension.\n" right
    // after it.
    let h = MsgHeader::new(MsgType::X_SPDDUMP, SaType::UNSPEC, 0, PID);
    let msg = build(h, |w| {
        w.address(AddressKind::Src, &p.src).unwrap();
        w.address(AddressKind::Dst, &p.dst).unwrap();
        w.lifetime(LifetimeKind::Current, &p.current).unwrap();
    });
    assert_eq!(
        printed(&msg, &opts()),
        "10.0.0.0/24[any] 10.0.1.0/24[any] 255no X_POLICY extension.\n"
    );
    // pfkey_check: a policy reply with an SA type is refused.
    let h = MsgHeader::new(MsgType::X_SPDDUMP, SaType::ESP, 0, PID);
    let msg = build(h, |w| {
        w.x_policy(&p.policy).unwrap();
    });
    assert_eq!(printed(&msg, &opts()), "Invalid SA type\n");
}

#[test]
fn reply_dispatches_policies() {
    let mut s = String::new();
    let p = PolicyReply::out_ipsec();
    assert_eq!(print::reply(&p.bytes(), &opts(), false, &mut s), Ok(()));
    assert_eq!(s, printed(&p.bytes(), &opts()));
    let err = MsgHeader {
        errno: 2,
        ..MsgHeader::new(MsgType::X_SPDDUMP, SaType::UNSPEC, 0, PID)
    }
    .to_bytes(2);
    assert_eq!(
        print::reply(&err, &opts(), false, &mut s),
        Err(print::ReplyError::Errno("No SPD entries".into()))
    );
}

#[test]
fn af_key_reference_count_prints_as_refcnt() {
    // af_key puts the policy's reference count in sadb_msg_reserved;
    // pfkey_spdump1 prints it as "\trefcnt=%u\n" and setkey's reply
    // dispatch must still see an SPDDUMP.
    let mut bytes = PolicyReply::out_ipsec().bytes();
    bytes[6..8].copy_from_slice(&3u16.to_ne_bytes());
    let out = printed(&bytes, &opts());
    assert!(out.ends_with("\trefcnt=3\n"), "{out}");
    let mut via_reply = String::new();
    print::reply(&bytes, &opts(), false, &mut via_reply).unwrap();
    assert_eq!(via_reply, out);
}
