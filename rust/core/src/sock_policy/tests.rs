// SPDX-License-Identifier: GPL-2.0

//! Per-socket policy tests: every type as ipsec_set_policy(3) encodes it,
//! every rejection, and what each type enforces.

use super::*;
use crate::inet::IpProto;
use crate::ipsec::IpsecLevel;

/// A `sadb_x_policy` of `ty` and `dir` followed by `requests` (each
/// already a whole `sadb_x_ipsecrequest`), its length field counting all.
fn policy(ty: u16, dir: u8, requests: &[Vec<u8>]) -> Vec<u8> {
    let body: Vec<u8> = requests.concat();
    let len = 16 + body.len();
    assert_eq!(len % 8, 0);
    let mut v = Vec::new();
    v.extend_from_slice(&((len / 8) as u16).to_ne_bytes());
    v.extend_from_slice(&18u16.to_ne_bytes()); // SADB_X_EXT_POLICY
    v.extend_from_slice(&ty.to_ne_bytes());
    v.push(dir);
    v.push(0);
    v.extend_from_slice(&0u32.to_ne_bytes());
    v.extend_from_slice(&0u32.to_ne_bytes());
    v.extend_from_slice(&body);
    v
}

fn sockaddr4(a: [u8; 4]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&2u16.to_ne_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(&a);
    v.extend_from_slice(&[0; 8]);
    v
}

fn sockaddr6(last: u8) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&10u16.to_ne_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(&[0; 4]);
    let mut a = [0u8; 16];
    a[0] = 0xfd;
    a[15] = last;
    v.extend_from_slice(&a);
    v.extend_from_slice(&[0; 4]);
    v
}

/// A request: protocol, mode, level, reqid and optional endpoints.
fn request(
    proto: u16,
    mode: u8,
    level: u8,
    reqid: u32,
    ends: Option<(Vec<u8>, Vec<u8>)>,
) -> Vec<u8> {
    let mut tail = Vec::new();
    if let Some((s, d)) = ends {
        tail.extend_from_slice(&s);
        tail.extend_from_slice(&d);
    }
    while tail.len() % 8 != 0 {
        tail.push(0);
    }
    let len = 16 + tail.len();
    let mut v = Vec::new();
    v.extend_from_slice(&(len as u16).to_ne_bytes());
    v.extend_from_slice(&proto.to_ne_bytes());
    v.push(mode);
    v.push(level);
    v.extend_from_slice(&0u16.to_ne_bytes());
    v.extend_from_slice(&reqid.to_ne_bytes());
    v.extend_from_slice(&0u32.to_ne_bytes());
    v.extend_from_slice(&tail);
    v
}

const IN: u8 = 1;
const OUT: u8 = 2;
const ESP: u16 = 50;
const AH: u16 = 51;
const V4: u16 = 2;
const V6: u16 = 10;

fn parse4(buf: &[u8]) -> Result<SockPolicy, Errno> {
    parse(buf, IP_IPSEC_POLICY, V4)
}

fn parse(buf: &[u8], optname: i32, family: u16) -> Result<SockPolicy, Errno> {
    SockPolicy::parse(buf, optname, family).map_err(|e| e.errno)
}

#[test]
fn every_type_without_requests_parses_as_given() {
    for (ty, want) in [
        (0, PolicyType::DISCARD),
        (1, PolicyType::NONE),
        (3, PolicyType::ENTRUST),
        (4, PolicyType::BYPASS),
    ] {
        for dir in [IN, OUT] {
            let p = parse4(&policy(ty, dir, &[])).unwrap();
            assert_eq!(p.action, want);
            assert_eq!(p.dir, IpsecDir(dir));
            assert_eq!(p.requests().count(), 0);
        }
    }
}

#[test]
fn ipsec_keeps_its_requests_in_order_with_levels() {
    // "out ipsec esp/transport//require ah/tunnel/10.0.0.1-10.0.0.2/unique:7"
    let buf = policy(
        2,
        OUT,
        &[
            request(ESP, 1, 2, 0, None),
            request(
                AH,
                2,
                3,
                7,
                Some((sockaddr4([10, 0, 0, 1]), sockaddr4([10, 0, 0, 2]))),
            ),
        ],
    );
    let p = parse4(&buf).unwrap();
    let rq: Vec<_> = p.requests().collect();
    assert_eq!(rq.len(), 2);
    assert_eq!(
        (rq[0].proto, rq[0].mode, rq[0].level),
        (IpProto::ESP, IpsecMode::TRANSPORT, IpsecLevel::REQUIRE)
    );
    assert_eq!(
        (rq[1].proto, rq[1].mode, rq[1].level, rq[1].reqid),
        (IpProto::AH, IpsecMode::TUNNEL, IpsecLevel::UNIQUE, 7)
    );
    let (s, d) = rq[1].endpoints.unwrap();
    assert_eq!(
        (s.addr(), d.addr()),
        (Addr::V4([10, 0, 0, 1]), Addr::V4([10, 0, 0, 2]))
    );
}

#[test]
fn ipv6_option_on_an_ipv6_socket_with_a_4in6_tunnel() {
    let buf = policy(
        2,
        IN,
        &[request(ESP, 2, 1, 0, Some((sockaddr6(1), sockaddr6(2))))],
    );
    let p = parse(&buf, IPV6_IPSEC_POLICY, V6).unwrap();
    assert_eq!(p.requests().next().unwrap().level, IpsecLevel::USE);
    // An IPv6 tunnel for an IPv4 socket is fine (6in4's mirror, 4in6).
    assert!(parse(&buf, IP_IPSEC_POLICY, V4).is_ok());
}

#[test]
fn the_option_of_the_other_family_is_not_supported() {
    let buf = policy(4, OUT, &[]);
    assert_eq!(parse(&buf, IP_IPSEC_POLICY, V6), Err(Errno::EOPNOTSUPP));
    assert_eq!(parse(&buf, IPV6_IPSEC_POLICY, V4), Err(Errno::EOPNOTSUPP));
    assert_eq!(parse(&buf, 17, V4), Err(Errno::EOPNOTSUPP));
}

#[test]
fn truncated_buffers_are_refused() {
    let buf = policy(2, OUT, &[request(ESP, 1, 2, 0, None)]);
    for n in 0..buf.len() {
        assert_eq!(parse4(&buf[..n]), Err(Errno::EINVAL), "{n} bytes");
    }
    // A length field shorter than the struct.
    let mut short = policy(4, OUT, &[]);
    short[0] = 1;
    assert_eq!(parse4(&short), Err(Errno::EINVAL));
    // Bytes after sadb_x_policy_len are ignored, as af_key does.
    let mut long = policy(4, OUT, &[]);
    long.extend_from_slice(&[0xff; 8]);
    assert_eq!(parse4(&long).unwrap().action, PolicyType::BYPASS);
}

#[test]
fn bad_directions_types_and_requests_are_refused() {
    for dir in [0, 3, 4, 9] {
        assert_eq!(
            parse4(&policy(4, dir, &[])),
            Err(Errno::EINVAL),
            "dir {dir}"
        );
    }
    assert_eq!(parse4(&policy(5, OUT, &[])), Err(Errno::EINVAL));
    // ipsec without requests; requests on bypass.
    assert_eq!(parse4(&policy(2, OUT, &[])), Err(Errno::EINVAL));
    assert_eq!(
        parse4(&policy(4, OUT, &[request(ESP, 1, 2, 0, None)])),
        Err(Errno::EINVAL)
    );
    // More than MAX_REQUESTS.
    let many: Vec<_> = (0..=MAX_REQUESTS)
        .map(|_| request(ESP, 1, 2, 0, None))
        .collect();
    assert_eq!(parse4(&policy(2, OUT, &many)), Err(Errno::EINVAL));
    // Protocol, mode, level; a tunnel without endpoints.
    assert_eq!(
        parse4(&policy(2, OUT, &[request(6, 1, 2, 0, None)])),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        parse4(&policy(2, OUT, &[request(ESP, 3, 2, 0, None)])),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        parse4(&policy(2, OUT, &[request(ESP, 1, 4, 0, None)])),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        parse4(&policy(2, OUT, &[request(ESP, 2, 2, 0, None)])),
        Err(Errno::EINVAL)
    );
}

#[test]
fn transport_endpoints_of_the_other_family_are_refused() {
    let buf = policy(
        2,
        OUT,
        &[request(ESP, 1, 2, 0, Some((sockaddr6(1), sockaddr6(2))))],
    );
    assert_eq!(parse4(&buf), Err(Errno::EINVAL));
    assert!(parse(&buf, IPV6_IPSEC_POLICY, V6).is_ok());
}

#[test]
fn what_each_type_enforces() {
    let bypass = parse4(&policy(4, OUT, &[]))
        .unwrap()
        .enforced(0x1c)
        .unwrap();
    assert_eq!(
        (bypass.action, bypass.dir, bypass.id),
        (PolicyType::NONE, IpsecDir::OUTBOUND, 0x1c)
    );
    let none = parse4(&policy(1, IN, &[])).unwrap().enforced(3).unwrap();
    assert_eq!(
        (none.action, none.dir),
        (PolicyType::NONE, IpsecDir::INBOUND)
    );
    let discard = parse4(&policy(0, OUT, &[])).unwrap().enforced(4).unwrap();
    assert_eq!(discard.action, PolicyType::DISCARD);
    assert_eq!(parse4(&policy(3, OUT, &[])).unwrap().enforced(4), None);
    let ipsec = parse4(&policy(2, OUT, &[request(ESP, 1, 2, 0, None)])).unwrap();
    let rec = ipsec.enforced(12).unwrap();
    assert_eq!(rec.action, PolicyType::IPSEC);
    assert_eq!(rec.requests, ipsec.requests);
}
