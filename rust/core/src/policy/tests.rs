// SPDX-License-Identifier: GPL-2.0

//! Policy decision tests: level resolution through the deflev knobs,
//! def_policy, the SA step, and the inbound check over decapsulation
//! histories (nested tunnels, unique reqids, the AH tunnel case).

use super::super::ipsec::IpsecDir;
use super::super::knobs::{Knob, KNOB_COUNT};
use super::super::pfkey::ext::Address;
use super::super::pfkey::sockaddr::SockAddr;
use super::super::spd::Selector;
use super::*;

const A: Addr = Addr::V4([192, 0, 2, 1]);
const B: Addr = Addr::V4([192, 0, 2, 2]);
const C: Addr = Addr::V4([192, 0, 2, 3]);

const ESP: IpProto = IpProto::ESP;
const AH: IpProto = IpProto::AH;
const TRANSPORT: IpsecMode = IpsecMode::TRANSPORT;
const TUNNEL: IpsecMode = IpsecMode::TUNNEL;

fn rq(proto: IpProto, mode: IpsecMode, level: IpsecLevel, reqid: u32) -> Request {
    Request {
        proto,
        mode,
        level,
        reqid,
        endpoints: None,
    }
}

fn tunnel(proto: IpProto, src: Addr, dst: Addr, level: IpsecLevel) -> Request {
    Request {
        endpoints: Some((SockAddr::new(src, 0), SockAddr::new(dst, 0))),
        ..rq(proto, TUNNEL, level, 0)
    }
}

fn policy(action: PolicyType, reqs: &[Request]) -> PolicyRecord {
    let any = Address {
        proto: IpProto::IPSEC_ANY,
        prefixlen: 0,
        sockaddr: SockAddr::new(Addr::V4([0; 4]), 0),
    };
    let mut requests = [None; MAX_REQUESTS];
    for (s, r) in requests.iter_mut().zip(reqs) {
        *s = Some(*r);
    }
    PolicyRecord {
        selector: Selector { src: any, dst: any },
        dir: IpsecDir::INBOUND,
        action,
        priority: 0,
        id: 8,
        requests,
        created: 0,
        lastused: 0,
        hard: None,
        soft: None,
        soft_expired: false,
    }
}

fn ipsec(reqs: &[Request]) -> PolicyRecord {
    policy(PolicyType::IPSEC, reqs)
}

fn knobs(set: &[(Knob, i32)]) -> KnobValues {
    let mut raw = [0; KNOB_COUNT];
    for k in Knob::ALL {
        raw[k.index()] = k.default_value();
    }
    for &(k, v) in set {
        raw[k.index()] = v;
    }
    KnobValues::from_raw(raw)
}

fn applied(proto: IpProto, mode: IpsecMode, reqid: u32, src: Addr, dst: Addr) -> Applied {
    Applied {
        proto,
        mode,
        reqid,
        endpoints: (src, dst),
    }
}

const REQUIRE: IpsecLevel = IpsecLevel::REQUIRE;
const USE: IpsecLevel = IpsecLevel::USE;
const UNIQUE: IpsecLevel = IpsecLevel::UNIQUE;
const DEFAULT: IpsecLevel = IpsecLevel::DEFAULT;

#[test]
fn levels_resolve_through_deflev() {
    let d = KnobValues::defaults();
    // NetBSD defaults: every deflev is use.
    for (proto, mode) in [
        (ESP, TRANSPORT),
        (ESP, TUNNEL),
        (AH, TRANSPORT),
        (AH, TUNNEL),
    ] {
        assert_eq!(resolve_level(&rq(proto, mode, DEFAULT, 0), &d), Level::Use);
    }
    let cases = [
        (Knob::EspTransDeflev, ESP, TRANSPORT),
        (Knob::EspNetDeflev, ESP, TUNNEL),
        (Knob::AhTransDeflev, AH, TRANSPORT),
        (Knob::AhNetDeflev, AH, TUNNEL),
    ];
    for (knob, proto, mode) in cases {
        let k = knobs(&[(knob, 2)]);
        for (p, m) in [
            (ESP, TRANSPORT),
            (ESP, TUNNEL),
            (AH, TRANSPORT),
            (AH, TUNNEL),
        ] {
            let want = if (p, m) == (proto, mode) {
                Level::Require
            } else {
                Level::Use
            };
            assert_eq!(resolve_level(&rq(p, m, DEFAULT, 0), &k), want, "{knob:?}");
        }
    }
    // Explicit levels ignore the knobs; unknown ones mean require.
    let k = knobs(&[(Knob::EspTransDeflev, 2)]);
    assert_eq!(resolve_level(&rq(ESP, TRANSPORT, USE, 0), &k), Level::Use);
    assert_eq!(
        resolve_level(&rq(ESP, TRANSPORT, REQUIRE, 0), &d),
        Level::Require
    );
    assert_eq!(
        resolve_level(&rq(ESP, TRANSPORT, UNIQUE, 5), &d),
        Level::Unique
    );
    assert_eq!(
        resolve_level(&rq(ESP, TRANSPORT, IpsecLevel(9), 0), &d),
        Level::Require
    );
    assert!(!Level::Use.mandatory() && Level::Require.mandatory() && Level::Unique.mandatory());
}

#[test]
fn outbound_decisions() {
    let accept = KnobValues::defaults();
    let discard = knobs(&[(Knob::DefPolicy, 0)]);
    assert_eq!(decide(None, &accept), Decision::Bypass);
    assert_eq!(
        decide(None, &discard),
        Decision::Discard(DiscardReason::NoPolicy)
    );
    let p = policy(PolicyType::DISCARD, &[]);
    assert_eq!(
        decide(Some(&p), &accept),
        Decision::Discard(DiscardReason::Policy)
    );
    let p = policy(PolicyType::NONE, &[]);
    assert_eq!(decide(Some(&p), &discard), Decision::Bypass);
    for t in [PolicyType::ENTRUST, PolicyType::BYPASS, PolicyType(77)] {
        let p = policy(t, &[]);
        assert_eq!(
            decide(Some(&p), &accept),
            Decision::Discard(DiscardReason::BadPolicy)
        );
    }
    assert_eq!(
        decide(Some(&ipsec(&[])), &accept),
        Decision::Discard(DiscardReason::BadPolicy)
    );

    let k = knobs(&[(Knob::EspNetDeflev, 2)]);
    let p = ipsec(&[
        rq(ESP, TRANSPORT, DEFAULT, 0),
        tunnel(ESP, A, B, DEFAULT),
        rq(AH, TRANSPORT, UNIQUE, 0x4001),
    ]);
    let Decision::Ipsec(b) = decide(Some(&p), &k) else {
        panic!("not ipsec");
    };
    assert_eq!(b.len(), 3);
    assert!(!b.is_empty());
    let levels: Vec<_> = b.iter().map(|r| r.level).collect();
    assert_eq!(levels, [Level::Use, Level::Require, Level::Unique]);
    assert_eq!(b.iter().nth(2).unwrap().request.reqid, 0x4001);
}

#[test]
fn sa_step() {
    let d = KnobValues::defaults();
    let pol = ipsec(&[rq(ESP, TRANSPORT, REQUIRE, 0)]);
    let b = Bundle::new(&pol, &d);
    let p = plan_sas(&b, &[true]);
    assert_eq!(p.apply, [true, false, false, false]);
    assert!(!p.drop && !p.acquire.contains(&true) && !p.applies_none());
    let p = plan_sas(&b, &[false]);
    assert!(p.drop);
    assert_eq!(p.acquire, [true, false, false, false]);
    // Missing `found` entries mean no SA.
    assert!(plan_sas(&b, &[]).drop);

    // use: skip (but ACQUIRE, as KAME); the packet goes out in the clear.
    let pol = ipsec(&[rq(ESP, TRANSPORT, USE, 0)]);
    let b = Bundle::new(&pol, &d);
    let p = plan_sas(&b, &[false]);
    assert!(!p.drop && p.applies_none());
    assert_eq!(p.acquire, [true, false, false, false]);

    // unique missing: drop; mixed bundle.
    let pol = ipsec(&[rq(ESP, TRANSPORT, USE, 0), tunnel(ESP, A, B, UNIQUE)]);
    let b = Bundle::new(&pol, &d);
    let p = plan_sas(&b, &[false, true]);
    assert_eq!(p.apply, [false, true, false, false]);
    assert!(!p.drop);
    let p = plan_sas(&b, &[true, false]);
    assert!(p.drop);
    assert_eq!(p.acquire, [false, true, false, false]);
    // Extra `found` entries are ignored.
    let p = plan_sas(&b, &[true, true, true, true, true]);
    assert_eq!(p.apply, [true, true, false, false]);

    // default resolved through the knobs.
    let k = knobs(&[(Knob::EspTransDeflev, 2)]);
    let pol = ipsec(&[rq(ESP, TRANSPORT, DEFAULT, 0)]);
    assert!(plan_sas(&Bundle::new(&pol, &k), &[false]).drop);
    assert!(!plan_sas(&Bundle::new(&pol, &d), &[false]).drop);
}

fn check(p: Option<&PolicyRecord>, h: &[Applied]) -> Result<(), Violation> {
    inbound_ok(p, h, &KnobValues::defaults())
}

#[test]
fn inbound_transport_require() {
    let p = ipsec(&[rq(ESP, TRANSPORT, REQUIRE, 0)]);
    let esp = applied(ESP, TRANSPORT, 0, A, B);
    assert_eq!(check(Some(&p), &[esp]), Ok(()));
    // Cleartext under a require policy.
    assert_eq!(check(Some(&p), &[]), Err(Violation::Missing { index: 0 }));
    // Wrong protocol or mode.
    let ah = applied(AH, TRANSPORT, 0, A, B);
    assert_eq!(check(Some(&p), &[ah]), Err(Violation::Missing { index: 0 }));
    let tun = applied(ESP, TUNNEL, 0, A, B);
    assert_eq!(
        check(Some(&p), &[tun]),
        Err(Violation::Missing { index: 0 })
    );
    // require ignores the reqid.
    assert_eq!(
        check(Some(&p), &[applied(ESP, TRANSPORT, 99, A, B)]),
        Ok(())
    );
    // An extra transport entry is tolerated (Linux does the same).
    assert_eq!(check(Some(&p), &[ah, esp]), Ok(()));
}

#[test]
fn inbound_use_is_optional() {
    let p = ipsec(&[rq(ESP, TRANSPORT, USE, 0)]);
    assert_eq!(check(Some(&p), &[]), Ok(()));
    assert_eq!(check(Some(&p), &[applied(ESP, TRANSPORT, 0, A, B)]), Ok(()));
    // default with deflev use, and with deflev require.
    let p = ipsec(&[rq(ESP, TRANSPORT, DEFAULT, 0)]);
    assert_eq!(check(Some(&p), &[]), Ok(()));
    let k = knobs(&[(Knob::EspTransDeflev, 2)]);
    assert_eq!(
        inbound_ok(Some(&p), &[], &k),
        Err(Violation::Missing { index: 0 })
    );
    // use tunnel: an unrelated tunnel entry is still a violation.
    let p = ipsec(&[tunnel(ESP, A, B, USE)]);
    assert_eq!(check(Some(&p), &[]), Ok(()));
    assert_eq!(
        check(Some(&p), &[applied(ESP, TUNNEL, 0, C, B)]),
        Err(Violation::UnexpectedTunnel { index: 0 })
    );
}

#[test]
fn inbound_ipcomp_is_never_mandatory() {
    let comp = IpProto::COMP;
    // esp/transport/require with ipcomp/transport/require inside it: a
    // packet that was too small to compress has ESP only.
    let p = ipsec(&[
        rq(comp, TRANSPORT, REQUIRE, 0),
        rq(ESP, TRANSPORT, REQUIRE, 0),
    ]);
    let esp = applied(ESP, TRANSPORT, 0, A, B);
    let ipcomp = applied(comp, TRANSPORT, 0, A, B);
    assert_eq!(check(Some(&p), &[esp, ipcomp]), Ok(()));
    assert_eq!(check(Some(&p), &[esp]), Ok(()));
    // ESP is still required.
    assert_eq!(
        check(Some(&p), &[ipcomp]),
        Err(Violation::Missing { index: 1 })
    );
    assert_eq!(check(Some(&p), &[]), Err(Violation::Missing { index: 1 }));
    // Tunnel: the uncompressed packet counts as the SA's (IP-in-IP), and
    // any other tunnel is still refused.
    let p = ipsec(&[tunnel(comp, A, B, REQUIRE)]);
    assert_eq!(check(Some(&p), &[applied(comp, TUNNEL, 0, A, B)]), Ok(()));
    assert_eq!(
        check(Some(&p), &[applied(ESP, TUNNEL, 0, A, B)]),
        Err(Violation::UnexpectedTunnel { index: 0 })
    );
}

#[test]
fn inbound_unique_matches_reqid() {
    let p = ipsec(&[rq(ESP, TRANSPORT, UNIQUE, 0x4001)]);
    assert_eq!(
        check(Some(&p), &[applied(ESP, TRANSPORT, 0x4001, A, B)]),
        Ok(())
    );
    assert_eq!(
        check(Some(&p), &[applied(ESP, TRANSPORT, 0x4002, A, B)]),
        Err(Violation::Missing { index: 0 })
    );
    assert_eq!(check(Some(&p), &[]), Err(Violation::Missing { index: 0 }));
    // A unique request without a reqid (not yet assigned) takes any.
    let p = ipsec(&[rq(ESP, TRANSPORT, UNIQUE, 0)]);
    assert_eq!(check(Some(&p), &[applied(ESP, TRANSPORT, 7, A, B)]), Ok(()));
}

#[test]
fn inbound_tunnel_endpoints() {
    let p = ipsec(&[tunnel(ESP, A, B, REQUIRE)]);
    assert_eq!(check(Some(&p), &[applied(ESP, TUNNEL, 0, A, B)]), Ok(()));
    assert_eq!(
        check(Some(&p), &[applied(ESP, TUNNEL, 0, C, B)]),
        Err(Violation::Missing { index: 0 })
    );
    assert_eq!(
        check(Some(&p), &[applied(ESP, TUNNEL, 0, A, C)]),
        Err(Violation::Missing { index: 0 })
    );
    // An unspecified tunnel source matches any source.
    let any = Addr::V4([0; 4]);
    let p = ipsec(&[tunnel(ESP, any, B, REQUIRE)]);
    assert_eq!(check(Some(&p), &[applied(ESP, TUNNEL, 0, C, B)]), Ok(()));
    // A tunnel request without endpoints (never built by spd.rs) matches
    // nothing.
    let p = ipsec(&[rq(ESP, TUNNEL, REQUIRE, 0)]);
    assert_eq!(
        check(Some(&p), &[applied(ESP, TUNNEL, 0, A, B)]),
        Err(Violation::Missing { index: 0 })
    );
}

/// The seed's BUGS entry: an AH tunnel `require` policy must accept the
/// packets it describes.
#[test]
fn inbound_ah_tunnel_require_accepts_valid_packets() {
    // spdadd ... -P in ipsec ah/tunnel/A-B/require;
    let p = ipsec(&[tunnel(AH, A, B, REQUIRE)]);
    let ah_tunnel = applied(AH, TUNNEL, 0, A, B);
    assert_eq!(check(Some(&p), &[ah_tunnel]), Ok(()));
    // And only those.
    assert_eq!(check(Some(&p), &[]), Err(Violation::Missing { index: 0 }));
    assert_eq!(
        check(Some(&p), &[applied(ESP, TUNNEL, 0, A, B)]),
        Err(Violation::Missing { index: 0 })
    );
    assert_eq!(
        check(Some(&p), &[applied(AH, TRANSPORT, 0, A, B)]),
        Err(Violation::Missing { index: 0 })
    );
    // With a unique reqid too.
    let mut r = tunnel(AH, A, B, UNIQUE);
    r.reqid = 0x4005;
    let p = ipsec(&[r]);
    assert_eq!(
        check(Some(&p), &[applied(AH, TUNNEL, 0x4005, A, B)]),
        Ok(())
    );
}

#[test]
fn inbound_nested_transport_in_tunnel() {
    // Outbound: ESP transport first (inner), then ESP tunnel A-B (outer):
    // esp/transport//require esp/tunnel/A-B/require.
    let p = ipsec(&[rq(ESP, TRANSPORT, REQUIRE, 0), tunnel(ESP, A, B, REQUIRE)]);
    // Decapsulation order: tunnel first, then transport.
    let tun = applied(ESP, TUNNEL, 0, A, B);
    let tr = applied(ESP, TRANSPORT, 0, C, B);
    assert_eq!(check(Some(&p), &[tun, tr]), Ok(()));
    // Only the tunnel: the inner transport request is missing.
    assert_eq!(
        check(Some(&p), &[tun]),
        Err(Violation::Missing { index: 0 })
    );
    // Only the transport: the tunnel request is missing.
    assert_eq!(check(Some(&p), &[tr]), Err(Violation::Missing { index: 1 }));
    // Wrong order: a transport SA outside the tunnel, then the tunnel.
    // The tunnel request skips the transport entry and matches; the
    // transport request then finds nothing after it.
    assert_eq!(
        check(Some(&p), &[tr, tun]),
        Err(Violation::Missing { index: 0 })
    );
    // Cleartext.
    assert_eq!(check(Some(&p), &[]), Err(Violation::Missing { index: 1 }));
    // With the inner one optional, the tunnel alone passes.
    let p = ipsec(&[rq(ESP, TRANSPORT, USE, 0), tunnel(ESP, A, B, REQUIRE)]);
    assert_eq!(check(Some(&p), &[tun]), Ok(()));
    assert_eq!(check(Some(&p), &[tun, tr]), Ok(()));
}

#[test]
fn inbound_nested_tunnels() {
    // Tunnel A-B inside tunnel C-B (outer last in request order).
    let p = ipsec(&[tunnel(ESP, A, B, REQUIRE), tunnel(ESP, C, B, REQUIRE)]);
    let outer = applied(ESP, TUNNEL, 0, C, B);
    let inner = applied(ESP, TUNNEL, 0, A, B);
    assert_eq!(check(Some(&p), &[outer, inner]), Ok(()));
    // An unmatched tunnel stops the search: inner first fails.
    assert_eq!(
        check(Some(&p), &[inner, outer]),
        Err(Violation::Missing { index: 1 })
    );
    // A policy for only the inner tunnel sees the outer tunnel first.
    let p = ipsec(&[tunnel(ESP, A, B, REQUIRE)]);
    assert_eq!(
        check(Some(&p), &[outer, inner]),
        Err(Violation::Missing { index: 0 })
    );
    // A policy for only the outer tunnel leaves the inner one over.
    let p = ipsec(&[tunnel(ESP, C, B, REQUIRE)]);
    assert_eq!(
        check(Some(&p), &[outer, inner]),
        Err(Violation::UnexpectedTunnel { index: 1 })
    );
}

#[test]
fn inbound_without_ipsec_policy() {
    let tr = applied(ESP, TRANSPORT, 0, A, B);
    let tun = applied(ESP, TUNNEL, 0, A, B);
    // No policy, def_policy accept: cleartext and transport pass, a
    // tunnel does not (no policy accounts for it).
    assert_eq!(check(None, &[]), Ok(()));
    assert_eq!(check(None, &[tr]), Ok(()));
    assert_eq!(
        check(None, &[tr, tun]),
        Err(Violation::UnexpectedTunnel { index: 1 })
    );
    // def_policy discard.
    let k = knobs(&[(Knob::DefPolicy, 0)]);
    assert_eq!(
        inbound_ok(None, &[], &k),
        Err(Violation::Discard(DiscardReason::NoPolicy))
    );
    // none (bypass) and discard policies.
    let none = policy(PolicyType::NONE, &[]);
    assert_eq!(check(Some(&none), &[]), Ok(()));
    assert_eq!(check(Some(&none), &[tr]), Ok(()));
    assert_eq!(
        check(Some(&none), &[tun]),
        Err(Violation::UnexpectedTunnel { index: 0 })
    );
    let discard = policy(PolicyType::DISCARD, &[]);
    assert_eq!(
        check(Some(&discard), &[tr]),
        Err(Violation::Discard(DiscardReason::Policy))
    );
}

#[test]
fn inbound_esp_then_ah_bundle() {
    // esp/transport//require ah/transport//require: AH outermost.
    let p = ipsec(&[
        rq(ESP, TRANSPORT, REQUIRE, 0),
        rq(AH, TRANSPORT, REQUIRE, 0),
    ]);
    let ah = applied(AH, TRANSPORT, 0, A, B);
    let esp = applied(ESP, TRANSPORT, 0, A, B);
    assert_eq!(check(Some(&p), &[ah, esp]), Ok(()));
    assert_eq!(
        check(Some(&p), &[esp]),
        Err(Violation::Missing { index: 1 })
    );
    // AH inside ESP is the wrong order.
    assert_eq!(
        check(Some(&p), &[esp, ah]),
        Err(Violation::Missing { index: 0 })
    );
}
