// SPDX-License-Identifier: GPL-2.0

//! Policy record tests: setkey-style policies round trip, every rejection,
//! selector matching, ids and reqids.

use super::super::pfkey::consts::{ExtType, MsgType, SaType};
use super::super::pfkey::parse;
use super::*;

const ANY: IpProto = IpProto::IPSEC_ANY;

fn v6(last: u8) -> Addr {
    let mut a = [0u8; 16];
    a[0] = 0x20;
    a[1] = 0x01;
    a[2] = 0x0d;
    a[3] = 0xb8;
    a[15] = last;
    Addr::V6(a)
}

fn addr(a: Addr, prefixlen: u8, port: u16, proto: IpProto) -> Address {
    Address {
        proto,
        prefixlen,
        sockaddr: SockAddr::new(a, port),
    }
}

fn v4net() -> (Address, Address) {
    (
        addr(Addr::V4([10, 0, 0, 0]), 24, 0, ANY),
        addr(Addr::V4([10, 0, 1, 0]), 24, 0, ANY),
    )
}

fn rq(proto: IpProto, mode: IpsecMode, level: IpsecLevel, reqid: u32) -> IpsecRequest {
    IpsecRequest {
        proto,
        mode,
        level,
        reqid,
        ..IpsecRequest::default()
    }
}

fn tunnel_ep() -> Option<(SockAddr, SockAddr)> {
    Some((
        SockAddr::new(Addr::V4([192, 0, 2, 1]), 0),
        SockAddr::new(Addr::V4([192, 0, 2, 2]), 0),
    ))
}

/// An SPD message as setkey sends it: X_POLICY, then the addresses.
fn build(
    t: MsgType,
    sel: (Address, Address),
    dir: IpsecDir,
    ty: PolicyType,
    prio: u32,
    reqs: &[IpsecRequest],
) -> Vec<u8> {
    let mut buf = vec![0u8; 2048];
    let mut w = Writer::new(&mut buf);
    w.header(&MsgHeader::new(t, SaType::UNSPEC, 3, 99)).unwrap();
    w.x_policy(&Policy {
        policy_type: ty,
        dir,
        reserved: 0,
        id: 0,
        priority: prio,
    })
    .unwrap();
    for r in reqs {
        w.ipsecrequest(r).unwrap();
    }
    w.address(AddressKind::Src, &sel.0).unwrap();
    w.address(AddressKind::Dst, &sel.1).unwrap();
    let n = w.finish().unwrap();
    buf.truncate(n);
    buf
}

fn policy(
    sel: (Address, Address),
    dir: IpsecDir,
    ty: PolicyType,
    reqs: &[IpsecRequest],
) -> Result<PolicyRecord, Errno> {
    let b = build(MsgType::X_SPDADD, sel, dir, ty, 0x8000_0000, reqs);
    PolicyRecord::from_message(&parse(&b).unwrap(), 500)
}

/// Writes `p` and parses it back.
fn dump(p: &PolicyRecord) -> Vec<u8> {
    let mut buf = vec![0u8; 2048];
    let mut w = Writer::new(&mut buf);
    p.write(
        &mut w,
        &MsgHeader::new(MsgType::X_SPDDUMP, SaType::UNSPEC, 1, 99),
    )
    .unwrap();
    let n = w.finish().unwrap();
    buf.truncate(n);
    buf
}

fn round_trip(p: &PolicyRecord) {
    let b = dump(p);
    let m = parse(&b).unwrap();
    let types: Vec<_> = m.extensions().map(|e| e.ext_type()).collect();
    assert_eq!(
        types,
        [
            ExtType::ADDRESS_SRC,
            ExtType::ADDRESS_DST,
            ExtType::LIFETIME_HARD,
            ExtType::LIFETIME_SOFT,
            ExtType::LIFETIME_CURRENT,
            ExtType::X_POLICY,
        ]
    );
    let cur = m.lifetime(LifetimeKind::Current).unwrap();
    assert_eq!((cur.addtime, cur.usetime), (p.created, p.lastused));
    let pol = m.x_policy().unwrap().policy;
    assert_eq!(pol.id, p.id);
    let mut back = PolicyRecord::from_message(&m, p.created).unwrap();
    back.id = p.id;
    back.lastused = p.lastused;
    assert_eq!(back, *p);
}

#[test]
fn transport_require() {
    let p = policy(
        v4net(),
        IpsecDir::OUTBOUND,
        PolicyType::IPSEC,
        &[rq(
            IpProto::ESP,
            IpsecMode::TRANSPORT,
            IpsecLevel::REQUIRE,
            0,
        )],
    )
    .unwrap();
    assert_eq!(
        (p.dir, p.action, p.priority),
        (IpsecDir::OUTBOUND, PolicyType::IPSEC, 0x8000_0000)
    );
    assert_eq!((p.id, p.created, p.lastused), (0, 500, 0));
    let r: Vec<_> = p.requests().collect();
    assert_eq!(r.len(), 1);
    assert_eq!(
        (r[0].proto, r[0].mode, r[0].level),
        (IpProto::ESP, IpsecMode::TRANSPORT, IpsecLevel::REQUIRE)
    );
    round_trip(&p);
}

#[test]
fn tunnel_unique_with_endpoints() {
    let mut ah = rq(IpProto::AH, IpsecMode::TUNNEL, IpsecLevel::UNIQUE, 5);
    ah.endpoints = tunnel_ep();
    let esp = IpsecRequest {
        proto: IpProto::ESP,
        ..ah
    };
    let mut p = policy(v4net(), IpsecDir::FWD, PolicyType::IPSEC, &[esp, ah]).unwrap();
    assert_eq!(p.requests().count(), 2);
    let r = p.requests().next().unwrap();
    assert_eq!(
        (r.level, r.reqid, r.endpoints),
        (IpsecLevel::UNIQUE, 5, tunnel_ep())
    );
    p.id = policy_id(1, p.dir);
    p.lastused = 777;
    round_trip(&p);
    // The requests come back in order with their endpoints.
    let b = dump(&p);
    let m = parse(&b).unwrap();
    let reqs: Vec<_> = m.x_policy().unwrap().requests().collect();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].proto, IpProto::ESP);
    assert_eq!(reqs[1].proto, IpProto::AH);
    assert_eq!(reqs[1].endpoints, tunnel_ep());
}

#[test]
fn discard_none_and_default_level() {
    for ty in [PolicyType::DISCARD, PolicyType::NONE] {
        let p = policy(v4net(), IpsecDir::INBOUND, ty, &[]).unwrap();
        assert_eq!(p.requests().count(), 0);
        assert_eq!(p.action, ty);
        round_trip(&p);
    }
    let p = policy(
        v4net(),
        IpsecDir::OUTBOUND,
        PolicyType::IPSEC,
        &[rq(
            IpProto::ESP,
            IpsecMode::TRANSPORT,
            IpsecLevel::DEFAULT,
            0,
        )],
    )
    .unwrap();
    assert_eq!(p.requests().next().unwrap().level, IpsecLevel::DEFAULT);
    round_trip(&p);
    let b = dump(&p);
    let m = parse(&b).unwrap();
    let r = m.x_policy().unwrap().requests().next().unwrap();
    assert_eq!(r.level, IpsecLevel::DEFAULT);
    // IPv6 with a port and protocol, use level.
    let sel = (
        addr(v6(0), 64, 0, IpProto::TCP),
        addr(v6(2), 128, 443, IpProto::TCP),
    );
    let p = policy(
        sel,
        IpsecDir::INBOUND,
        PolicyType::IPSEC,
        &[rq(IpProto::AH, IpsecMode::TRANSPORT, IpsecLevel::USE, 0)],
    )
    .unwrap();
    assert_eq!(p.selector.proto(), 6);
    round_trip(&p);
}

#[test]
fn unique_reqids() {
    let mut big = rq(
        IpProto::ESP,
        IpsecMode::TRANSPORT,
        IpsecLevel::UNIQUE,
        0x4000,
    );
    let zero = rq(IpProto::AH, IpsecMode::TRANSPORT, IpsecLevel::UNIQUE, 0);
    let p0 = policy(v4net(), IpsecDir::OUTBOUND, PolicyType::IPSEC, &[big, zero]).unwrap();
    assert!(p0.requests().all(|r| r.reqid == 0));
    let mut p = p0;
    let mut counter = 0;
    p.assign_reqids(&mut counter);
    let ids: Vec<_> = p.requests().map(|r| r.reqid).collect();
    assert_eq!(ids, [0x4000, 0x4001]);
    assert_eq!(counter, 0x4001);
    // Manual reqids and other levels are left alone.
    big.reqid = 0x3fff;
    let mut p = policy(v4net(), IpsecDir::OUTBOUND, PolicyType::IPSEC, &[big]).unwrap();
    p.assign_reqids(&mut counter);
    assert_eq!(p.requests().next().unwrap().reqid, 0x3fff);
    let req0 = rq(IpProto::ESP, IpsecMode::TRANSPORT, IpsecLevel::REQUIRE, 0);
    let mut p = policy(v4net(), IpsecDir::OUTBOUND, PolicyType::IPSEC, &[req0]).unwrap();
    p.assign_reqids(&mut counter);
    assert_eq!(p.requests().next().unwrap().reqid, 0);

    let mut c = u32::MAX;
    assert_eq!(next_auto_reqid(&mut c), 0x4000);
    let mut c = 0x4000;
    assert_eq!(next_auto_reqid(&mut c), 0x4001);
}

#[test]
fn rejections() {
    let esp = rq(IpProto::ESP, IpsecMode::TRANSPORT, IpsecLevel::REQUIRE, 0);
    let cases: Vec<(&str, IpsecDir, PolicyType, Vec<IpsecRequest>)> = vec![
        ("dir any", IpsecDir::ANY, PolicyType::DISCARD, vec![]),
        ("dir max", IpsecDir::MAX, PolicyType::DISCARD, vec![]),
        ("entrust", IpsecDir::OUTBOUND, PolicyType::ENTRUST, vec![]),
        ("bypass", IpsecDir::OUTBOUND, PolicyType::BYPASS, vec![]),
        ("type 9", IpsecDir::OUTBOUND, PolicyType(9), vec![]),
        (
            "ipsec no requests",
            IpsecDir::OUTBOUND,
            PolicyType::IPSEC,
            vec![],
        ),
        (
            "too many requests",
            IpsecDir::OUTBOUND,
            PolicyType::IPSEC,
            vec![esp; MAX_REQUESTS + 1],
        ),
        (
            "none with request",
            IpsecDir::OUTBOUND,
            PolicyType::NONE,
            vec![esp],
        ),
        (
            "discard with request",
            IpsecDir::OUTBOUND,
            PolicyType::DISCARD,
            vec![esp],
        ),
        (
            "proto tcp",
            IpsecDir::OUTBOUND,
            PolicyType::IPSEC,
            vec![IpsecRequest {
                proto: IpProto::TCP,
                ..esp
            }],
        ),
        (
            "mode any",
            IpsecDir::OUTBOUND,
            PolicyType::IPSEC,
            vec![IpsecRequest {
                mode: IpsecMode::ANY,
                ..esp
            }],
        ),
        (
            "mode beet",
            IpsecDir::OUTBOUND,
            PolicyType::IPSEC,
            vec![IpsecRequest {
                mode: IpsecMode::BEET,
                ..esp
            }],
        ),
        (
            "tunnel without endpoints",
            IpsecDir::OUTBOUND,
            PolicyType::IPSEC,
            vec![IpsecRequest {
                mode: IpsecMode::TUNNEL,
                ..esp
            }],
        ),
        (
            "level 4",
            IpsecDir::OUTBOUND,
            PolicyType::IPSEC,
            vec![IpsecRequest {
                level: IpsecLevel(4),
                ..esp
            }],
        ),
    ];
    for (name, dir, ty, reqs) in cases {
        assert_eq!(
            policy(v4net(), dir, ty, &reqs),
            Err(Errno::EINVAL),
            "{name}"
        );
    }
    // MAX_REQUESTS is fine.
    assert!(policy(
        v4net(),
        IpsecDir::OUTBOUND,
        PolicyType::IPSEC,
        &[esp; MAX_REQUESTS]
    )
    .is_ok());
    // Selector problems.
    let (s, d) = v4net();
    let mixed = (s, addr(v6(1), 128, 0, ANY));
    assert_eq!(
        policy(mixed, IpsecDir::OUTBOUND, PolicyType::DISCARD, &[]),
        Err(Errno::EINVAL)
    );
    let protos = (
        s,
        Address {
            proto: IpProto::TCP,
            ..d
        },
    );
    assert_eq!(
        policy(protos, IpsecDir::OUTBOUND, PolicyType::DISCARD, &[]),
        Err(Errno::EINVAL)
    );
    // No X_POLICY / no addresses.
    let mut buf = vec![0u8; 256];
    let mut w = Writer::new(&mut buf);
    w.header(&MsgHeader::new(MsgType::X_SPDADD, SaType::UNSPEC, 0, 0))
        .unwrap();
    w.address(AddressKind::Src, &s).unwrap();
    w.address(AddressKind::Dst, &d).unwrap();
    let n = w.finish().unwrap();
    let m = parse(&buf[..n]).unwrap();
    assert_eq!(PolicyRecord::from_message(&m, 0), Err(Errno::EINVAL));
    let mut buf = vec![0u8; 256];
    let mut w = Writer::new(&mut buf);
    w.header(&MsgHeader::new(MsgType::X_SPDADD, SaType::UNSPEC, 0, 0))
        .unwrap();
    w.x_policy(&Policy {
        policy_type: PolicyType::DISCARD,
        dir: IpsecDir::OUTBOUND,
        ..Policy::default()
    })
    .unwrap();
    let n = w.finish().unwrap();
    let m = parse(&buf[..n]).unwrap();
    assert_eq!(PolicyRecord::from_message(&m, 0), Err(Errno::EINVAL));
}

#[test]
fn same_index() {
    let a = policy(v4net(), IpsecDir::OUTBOUND, PolicyType::DISCARD, &[]).unwrap();
    let esp = rq(IpProto::ESP, IpsecMode::TRANSPORT, IpsecLevel::REQUIRE, 0);
    let b = policy(v4net(), IpsecDir::OUTBOUND, PolicyType::IPSEC, &[esp]).unwrap();
    assert!(a.same_index(&b));
    let c = policy(v4net(), IpsecDir::INBOUND, PolicyType::DISCARD, &[]).unwrap();
    assert!(!a.same_index(&c));
    let (s, d) = v4net();
    let d2 = Address { prefixlen: 16, ..d };
    let e = policy((s, d2), IpsecDir::OUTBOUND, PolicyType::DISCARD, &[]).unwrap();
    assert!(!a.same_index(&e));
    // SPDDELETE carries type 0 and no requests but still finds it.
    let b = build(
        MsgType::X_SPDDELETE,
        v4net(),
        IpsecDir::OUTBOUND,
        PolicyType::DISCARD,
        0,
        &[],
    );
    let del = PolicyRecord::from_message(&parse(&b).unwrap(), 0).unwrap();
    assert!(del.same_index(&b_policy(&b)));
    assert!(del.same_index(&a));
}

fn b_policy(b: &[u8]) -> PolicyRecord {
    PolicyRecord::from_message(&parse(b).unwrap(), 0).unwrap()
}

#[test]
fn selector_matching() {
    let a4 = |a, b, c, d| Addr::V4([a, b, c, d]);
    let sel = |s: Address, d: Address| Selector { src: s, dst: d };
    let any4 = addr(a4(0, 0, 0, 0), 0, 0, ANY);
    // (selector, src, dst, proto, sport, dport, expect)
    let cases = [
        // /0 matches every v4 address but no v6 one.
        (
            sel(any4, any4),
            a4(1, 2, 3, 4),
            a4(5, 6, 7, 8),
            6,
            1,
            2,
            true,
        ),
        (sel(any4, any4), v6(1), v6(2), 6, 1, 2, false),
        // /24.
        (
            sel(v4net().0, v4net().1),
            a4(10, 0, 0, 200),
            a4(10, 0, 1, 7),
            17,
            0,
            0,
            true,
        ),
        (
            sel(v4net().0, v4net().1),
            a4(10, 0, 2, 1),
            a4(10, 0, 1, 7),
            17,
            0,
            0,
            false,
        ),
        (
            sel(v4net().0, v4net().1),
            a4(10, 0, 0, 1),
            a4(10, 0, 0, 7),
            17,
            0,
            0,
            false,
        ),
        // /32 and a non-byte prefix (/23).
        (
            sel(
                addr(a4(10, 0, 0, 1), 32, 0, ANY),
                addr(a4(10, 0, 2, 0), 23, 0, ANY),
            ),
            a4(10, 0, 0, 1),
            a4(10, 0, 3, 255),
            1,
            0,
            0,
            true,
        ),
        (
            sel(
                addr(a4(10, 0, 0, 1), 32, 0, ANY),
                addr(a4(10, 0, 2, 0), 23, 0, ANY),
            ),
            a4(10, 0, 0, 2),
            a4(10, 0, 3, 255),
            1,
            0,
            0,
            false,
        ),
        (
            sel(
                addr(a4(10, 0, 0, 1), 32, 0, ANY),
                addr(a4(10, 0, 2, 0), 23, 0, ANY),
            ),
            a4(10, 0, 0, 1),
            a4(10, 0, 4, 0),
            1,
            0,
            0,
            false,
        ),
        // v6 /64 and /128.
        (
            sel(addr(v6(0), 64, 0, ANY), addr(v6(9), 128, 0, ANY)),
            v6(77),
            v6(9),
            58,
            0,
            0,
            true,
        ),
        (
            sel(addr(v6(0), 64, 0, ANY), addr(v6(9), 128, 0, ANY)),
            v6(77),
            v6(8),
            58,
            0,
            0,
            false,
        ),
        (
            sel(addr(v6(0), 64, 0, ANY), addr(v6(9), 128, 0, ANY)),
            Addr::V6([0xfe; 16]),
            v6(9),
            58,
            0,
            0,
            false,
        ),
        // Ports and protocol.
        (
            sel(
                addr(a4(0, 0, 0, 0), 0, 0, IpProto::TCP),
                addr(a4(0, 0, 0, 0), 0, 22, IpProto::TCP),
            ),
            a4(1, 1, 1, 1),
            a4(2, 2, 2, 2),
            6,
            40000,
            22,
            true,
        ),
        (
            sel(
                addr(a4(0, 0, 0, 0), 0, 0, IpProto::TCP),
                addr(a4(0, 0, 0, 0), 0, 22, IpProto::TCP),
            ),
            a4(1, 1, 1, 1),
            a4(2, 2, 2, 2),
            6,
            40000,
            23,
            false,
        ),
        (
            sel(
                addr(a4(0, 0, 0, 0), 0, 0, IpProto::TCP),
                addr(a4(0, 0, 0, 0), 0, 22, IpProto::TCP),
            ),
            a4(1, 1, 1, 1),
            a4(2, 2, 2, 2),
            17,
            40000,
            22,
            false,
        ),
        (
            sel(
                addr(a4(0, 0, 0, 0), 0, 500, IpProto::UDP),
                addr(a4(0, 0, 0, 0), 0, 0, IpProto::UDP),
            ),
            a4(1, 1, 1, 1),
            a4(2, 2, 2, 2),
            17,
            501,
            500,
            false,
        ),
        // Proto any matches everything, ports any.
        (
            sel(any4, any4),
            a4(1, 1, 1, 1),
            a4(2, 2, 2, 2),
            50,
            0,
            0,
            true,
        ),
    ];
    for (i, (s, src, dst, proto, sp, dp, want)) in cases.into_iter().enumerate() {
        assert_eq!(
            s.matches_packet(&src, &dst, proto, sp, dp),
            want,
            "case {i}"
        );
    }
}

#[test]
fn ids() {
    // Linux: idx = generator | xfrm dir, generator += 8; 0 becomes 8.
    assert_eq!(policy_id(0, IpsecDir::INBOUND), 8);
    assert_eq!(policy_id(0, IpsecDir::OUTBOUND), 1);
    assert_eq!(policy_id(1, IpsecDir::INBOUND), 8);
    assert_eq!(policy_id(1, IpsecDir::OUTBOUND), 9);
    assert_eq!(policy_id(2, IpsecDir::FWD), 18);
    for index in [1u32, 2, 100, 0x1fff_ffff] {
        for dir in [IpsecDir::INBOUND, IpsecDir::OUTBOUND, IpsecDir::FWD] {
            let id = policy_id(index, dir);
            assert_eq!(dir_of_id(id), dir, "{index} {dir:?}");
            assert!(!is_socket_policy_id(id));
            assert_eq!(id >> 3, index);
        }
    }
    assert_eq!(dir_of_id(3), IpsecDir::INBOUND);
    assert_eq!(dir_of_id(13), IpsecDir::FWD);
    assert_eq!(dir_of_id(6), IpsecDir::INVALID);
    assert!(is_socket_policy_id(3) && is_socket_policy_id(12));
}

#[test]
fn index_from_message_ignores_action_and_requests() {
    // X_SPDDELETE as setkey sends it: selector, direction, no requests.
    let mut buf = [0u8; 256];
    let mut w = Writer::new(&mut buf);
    w.header(&MsgHeader::new(MsgType::X_SPDDELETE, SaType::UNSPEC, 1, 1))
        .unwrap();
    w.address(
        AddressKind::Src,
        &Address {
            proto: IpProto::IPSEC_ANY,
            prefixlen: 24,
            sockaddr: SockAddr::new(Addr::V4([10, 1, 0, 0]), 0),
        },
    )
    .unwrap();
    w.address(
        AddressKind::Dst,
        &Address {
            proto: IpProto::IPSEC_ANY,
            prefixlen: 24,
            sockaddr: SockAddr::new(Addr::V4([10, 2, 0, 0]), 0),
        },
    )
    .unwrap();
    w.x_policy(&Policy {
        policy_type: PolicyType::IPSEC,
        dir: IpsecDir::OUTBOUND,
        ..Default::default()
    })
    .unwrap();
    let len = w.finish().unwrap();
    let msg = parse(&buf[..len]).unwrap();
    assert_eq!(PolicyRecord::from_message(&msg, 0), Err(Errno::EINVAL));
    let probe = PolicyRecord::index_from_message(&msg).unwrap();
    assert_eq!(probe.dir, IpsecDir::OUTBOUND);
    assert_eq!(probe.requests().count(), 0);
}

#[test]
fn index_key_equal_exactly_when_same_index() {
    let base = |dir: IpsecDir, src: [u8; 4], plen: u8, port: u16, proto: u16| {
        PolicyRecord::new(
            Selector {
                src: Address {
                    proto: IpProto(proto),
                    prefixlen: plen,
                    sockaddr: SockAddr::new(Addr::V4(src), port),
                },
                dst: Address {
                    proto: IpProto(proto),
                    prefixlen: 24,
                    sockaddr: SockAddr::new(Addr::V4([10, 2, 0, 0]), 0),
                },
            },
            dir,
        )
    };
    let variants = [
        base(IpsecDir::OUTBOUND, [10, 1, 0, 0], 24, 0, 255),
        base(IpsecDir::INBOUND, [10, 1, 0, 0], 24, 0, 255),
        base(IpsecDir::OUTBOUND, [10, 1, 0, 1], 24, 0, 255),
        base(IpsecDir::OUTBOUND, [10, 1, 0, 0], 16, 0, 255),
        base(IpsecDir::OUTBOUND, [10, 1, 0, 0], 24, 80, 255),
        base(IpsecDir::OUTBOUND, [10, 1, 0, 0], 24, 0, 6),
    ];
    for a in &variants {
        for b in &variants {
            assert_eq!(a.index_key() == b.index_key(), a.same_index(b));
        }
    }
    let mut other = variants[0];
    other.priority = 7;
    other.action = PolicyType::IPSEC;
    assert_eq!(other.index_key(), variants[0].index_key());
}

/// An X_SPDADD with HARD and SOFT lifetimes (seconds after creation and
/// idle seconds), as `setkey -lh/-ls` would not send but KAME daemons do.
fn with_lifetimes(hard: (u64, u64), soft: (u64, u64)) -> PolicyRecord {
    let mut b = build(
        MsgType::X_SPDADD,
        v4net(),
        IpsecDir::OUTBOUND,
        PolicyType::DISCARD,
        0,
        &[],
    );
    let extra = {
        let mut buf = vec![0u8; 256];
        let mut w = Writer::new(&mut buf);
        w.header(&MsgHeader::new(MsgType::X_SPDADD, SaType::UNSPEC, 3, 99))
            .unwrap();
        for (kind, (add, idle)) in [(LifetimeKind::Hard, hard), (LifetimeKind::Soft, soft)] {
            let l = Lifetime {
                addtime: add,
                usetime: idle,
                ..Lifetime::default()
            };
            if l != Lifetime::default() {
                w.lifetime(kind, &l).unwrap();
            }
        }
        let n = w.finish().unwrap();
        buf.truncate(n);
        buf
    };
    // Append the lifetime extensions and fix the total length.
    b.extend_from_slice(&extra[16..]);
    let units = u16::try_from(b.len() / 8).unwrap();
    b[4..6].copy_from_slice(&units.to_ne_bytes());
    PolicyRecord::from_message(&parse(&b).unwrap(), 1000).unwrap()
}

#[test]
fn lifetimes_stored_and_written_back() {
    let p = with_lifetimes((60, 0), (30, 10));
    assert_eq!(p.hard.map(|l| (l.addtime, l.usetime)), Some((60, 0)));
    assert_eq!(p.soft.map(|l| (l.addtime, l.usetime)), Some((30, 10)));
    let b = dump(&p);
    let m = parse(&b).unwrap();
    assert_eq!(m.lifetime(LifetimeKind::Hard).unwrap().addtime, 60);
    assert_eq!(m.lifetime(LifetimeKind::Soft).unwrap().usetime, 10);
    round_trip(&p);
    // No lifetimes: none stored, zero written.
    let none = with_lifetimes((0, 0), (0, 0));
    assert_eq!((none.hard, none.soft), (None, None));
    assert_eq!(none.next_deadline(), None);
    assert_eq!(none.check_lifetime(u64::MAX), None);
}

#[test]
fn lifetime_deadlines() {
    // Created at 1000: soft idle 10 s (due 1010), soft add 30 s, hard 60 s.
    let mut p = with_lifetimes((60, 0), (30, 10));
    assert_eq!(p.next_deadline(), Some(1010));
    assert_eq!(p.check_lifetime(1009), None);
    assert_eq!(p.check_lifetime(1010), Some(Expiry::Soft));
    // A use pushes the idle deadline; soft fires once.
    p.lastused = 1025;
    assert_eq!(p.next_deadline(), Some(1030));
    p.soft_expired = true;
    assert_eq!(p.next_deadline(), Some(1060));
    assert_eq!(p.check_lifetime(1059), None);
    assert_eq!(p.check_lifetime(1060), Some(Expiry::Hard));
    // Hard beats soft when both are due.
    let q = with_lifetimes((5, 0), (5, 0));
    assert_eq!(q.check_lifetime(1005), Some(Expiry::Hard));
    // Idle hard limit, never used: counts from creation (KAME validtime).
    let r = with_lifetimes((0, 20), (0, 0));
    assert_eq!(r.next_deadline(), Some(1020));
    assert_eq!(r.check_lifetime(1020), Some(Expiry::Hard));
}

#[test]
fn spdexpire_message() {
    let mut p = with_lifetimes((60, 0), (30, 0));
    p.id = policy_id(4, p.dir);
    for (which, kind, other) in [
        (Expiry::Soft, LifetimeKind::Soft, LifetimeKind::Hard),
        (Expiry::Hard, LifetimeKind::Hard, LifetimeKind::Soft),
    ] {
        let mut buf = vec![0u8; 512];
        let mut w = Writer::new(&mut buf);
        p.write_expire(&mut w, which).unwrap();
        let n = w.finish().unwrap();
        let m = parse(&buf[..n]).unwrap();
        let h = m.header();
        assert_eq!(
            (h.msg_type, h.satype, h.seq, h.pid),
            (MsgType::X_SPDEXPIRE, SaType::UNSPEC, 0, 0)
        );
        assert!(m.lifetime(kind).is_some());
        assert!(m.lifetime(other).is_none());
        assert_eq!(m.lifetime(LifetimeKind::Current).unwrap().addtime, 1000);
        assert_eq!(m.x_policy().unwrap().policy.id, p.id);
        assert_eq!(m.address(AddressKind::Dst).unwrap(), p.selector.dst);
    }
}

/// Documentation/pfkey.rst states the memory per policy from this size:
/// the tree node (24 bytes of links + 8 of key + the record) must stay in
/// kmalloc-512.
#[test]
fn record_size_fits_the_documented_cache() {
    let node = 24 + 8 + core::mem::size_of::<PolicyRecord>();
    println!(
        "PolicyRecord {} bytes, node {node}",
        core::mem::size_of::<PolicyRecord>()
    );
    assert!(node <= 512, "{node}");
}
