// SPDX-License-Identifier: GPL-2.0

//! Address and protocol number tests.

use std::string::ToString;

use super::*;

#[test]
fn only_all_zero_addresses_are_unspecified() {
    assert!(Addr::V4([0; 4]).is_unspecified());
    assert!(Addr::V6([0; 16]).is_unspecified());
    assert!(!Addr::V4([0, 0, 0, 1]).is_unspecified());
    let mut v6 = [0u8; 16];
    v6[0] = 0x80;
    assert!(!Addr::V6(v6).is_unspecified());
}

#[test]
fn addresses_print_as_inet_ntop() {
    let v6 = |s: [u16; 8]| {
        let mut a = [0u8; 16];
        for (i, g) in s.iter().enumerate() {
            a[2 * i..2 * i + 2].copy_from_slice(&g.to_be_bytes());
        }
        Addr::V6(a).to_string()
    };
    assert_eq!(Addr::V4([10, 0, 0, 1]).to_string(), "10.0.0.1");
    assert_eq!(v6([0xfd00, 0, 0, 0, 0, 0, 0, 1]), "fd00::1");
    assert_eq!(v6([0; 8]), "::");
    assert_eq!(v6([0, 0, 0, 0, 0, 0, 0, 1]), "::1");
    assert_eq!(v6([0xfe80, 0, 0, 0, 0, 0, 0, 0]), "fe80::");
    // A single zero group is not shortened; the longest run wins, the
    // first of equal runs.
    assert_eq!(v6([1, 0, 2, 3, 4, 5, 6, 7]), "1:0:2:3:4:5:6:7");
    assert_eq!(v6([1, 0, 0, 2, 0, 0, 0, 3]), "1:0:0:2::3");
    assert_eq!(v6([1, 0, 0, 2, 3, 0, 0, 4]), "1::2:3:0:0:4");
    assert_eq!(
        v6([0x2001, 0xdb8, 1, 2, 3, 4, 5, 6]),
        "2001:db8:1:2:3:4:5:6"
    );
}

#[test]
fn protocol_numbers_agree() {
    assert_eq!(IpProto::ESP.0, 50);
    assert_eq!(IpProto::AH.0, 51);
    assert_eq!(IpProto::COMP.0, 108);
    for (p, n) in [
        (IpProto::ICMP, PROTO_ICMP),
        (IpProto::TCP, PROTO_TCP),
        (IpProto::UDP, PROTO_UDP),
        (IpProto::GRE, PROTO_GRE),
        (IpProto::ESP, PROTO_ESP),
        (IpProto::AH, NEXTHDR_AUTH),
        (IpProto::ICMPV6, PROTO_ICMPV6),
    ] {
        assert_eq!(p.0, u16::from(n), "{p:?}");
    }
}

#[test]
fn families() {
    assert_eq!(Addr::V4([1, 2, 3, 4]).family(), AF_INET);
    assert_eq!(Addr::V6([0; 16]).family(), AF_INET6);
    assert_eq!(Addr::V4([1, 2, 3, 4]).octets(), &[1, 2, 3, 4]);
    assert_eq!(Addr::V6([0; 16]).bits(), 128);
}
