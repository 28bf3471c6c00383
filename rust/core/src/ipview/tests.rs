// SPDX-License-Identifier: GPL-2.0

//! IPv4/IPv6 view tests: a captured IPv4 header, every length check,
//! extension-header chains against `ip6_find_1stfragopt` and
//! `ipv6_skip_exthdr`, fragments, ports and ICMP type/code, and selector
//! matching through `spd::Selector`.

use super::super::inet::IpProto;
use super::super::pfkey::ext::Address;
use super::super::pfkey::sockaddr::SockAddr;
use super::*;
use crate::inet::{NEXTHDR_NONE, PROTO_ESP};
use crate::spd::Selector;

/// The header from Wikipedia's "IPv4 header checksum" example, with a
/// payload of 0x73 - 20 bytes.
fn wiki_v4() -> Vec<u8> {
    let mut p = vec![
        0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00,
        0x01, 0xc0, 0xa8, 0x00, 0xc7,
    ];
    // UDP 53 -> 33000.
    p.extend_from_slice(&[0x00, 0x35, 0x80, 0xe8]);
    p.resize(0x73, 0);
    p
}

fn v4(proto: u8, frag: u16, payload: &[u8]) -> Vec<u8> {
    let total = u16::try_from(20 + payload.len()).unwrap();
    let mut p = vec![0x45, 0xb9];
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&[0x12, 0x34]);
    p.extend_from_slice(&frag.to_be_bytes());
    p.extend_from_slice(&[64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    p.extend_from_slice(payload);
    let mut v = Ipv4Packet::new_checked(&mut p[..]).unwrap();
    v.fill_checksum();
    p
}

const SRC6: [u8; 16] = [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const DST6: [u8; 16] = [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

/// An IPv6 packet: fixed header with `nh`, then `rest`.
fn v6(nh: u8, rest: &[u8]) -> Vec<u8> {
    let mut p = vec![0x6b, 0x81, 0x23, 0x45];
    p.extend_from_slice(&u16::try_from(rest.len()).unwrap().to_be_bytes());
    p.extend_from_slice(&[nh, 64]);
    p.extend_from_slice(&SRC6);
    p.extend_from_slice(&DST6);
    p.extend_from_slice(rest);
    p
}

/// An options-style extension header (HbH, Dest, Routing) of `units`
/// extra 8-byte units.
fn opt(next: u8, units: u8) -> Vec<u8> {
    let mut h = vec![next, units, 0, 0, 0, 0, 0, 0];
    h.resize(8 * (usize::from(units) + 1), 0);
    h
}

fn routing(next: u8, segments_left: u8) -> Vec<u8> {
    let mut h = opt(next, 2);
    h[2] = 0;
    h[3] = segments_left;
    h
}

fn frag(next: u8, offset: u16, more: bool) -> Vec<u8> {
    let fo = offset | u16::from(more);
    let mut h = vec![next, 0];
    h.extend_from_slice(&fo.to_be_bytes());
    h.extend_from_slice(&0xdead_beefu32.to_be_bytes());
    h
}

/// An AH header with `len` = (bytes / 4) - 2.
fn ah(next: u8, icv: usize) -> Vec<u8> {
    let total = 12 + icv;
    let mut h = vec![next, u8::try_from(total / 4 - 2).unwrap()];
    h.resize(total, 0);
    h
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn checksum_rfc1071() {
    assert_eq!(checksum(&[]), 0xffff);
    // RFC 1071's example words sum to 0xddf2.
    assert_eq!(
        checksum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
        !0xddf2
    );
    // Odd length: the last byte is padded with zero.
    assert_eq!(checksum(&[0x01]), !0x0100);
    assert_eq!(checksum(&[0xff; 4001]), checksum(&[0xff; 4001]));
}

#[test]
fn ipv4_captured_header() {
    let p = wiki_v4();
    let v = Ipv4Packet::new_checked(&p[..]).unwrap();
    assert_eq!(v.header_len(), 20);
    assert_eq!(v.total_len(), 0x73);
    assert_eq!(v.ident(), 0);
    assert!(v.dont_frag() && !v.more_frags() && !v.is_fragment());
    assert_eq!(v.frag_offset(), 0);
    assert_eq!(v.ttl(), 64);
    assert_eq!(v.protocol(), 17);
    assert_eq!(v.src(), [192, 168, 0, 1]);
    assert_eq!(v.dst(), [192, 168, 0, 199]);
    assert_eq!(v.checksum_field(), 0xb861);
    assert_eq!(v.compute_checksum(), 0xb861);
    assert!(v.verify_checksum());
    assert_eq!(v.payload().len(), 0x73 - 20);
    assert_eq!((v.tos(), v.dscp(), v.ecn()), (0, 0, 0));
    let s = selector_v4(&v).unwrap();
    assert_eq!((s.proto, s.sport, s.dport), (17, 53, 33000));
    assert!(!s.is_later_fragment);

    let mut bad = p.clone();
    bad[10] ^= 1;
    let v = Ipv4Packet::new_checked(&bad[..]).unwrap();
    assert!(!v.verify_checksum());
    assert_eq!(v.compute_checksum(), 0xb861);
}

#[test]
fn ipv4_setters() {
    let mut p = v4(6, 0, &[0; 20]);
    let mut v = Ipv4Packet::new_checked(&mut p[..]).unwrap();
    assert_eq!((v.dscp(), v.ecn()), (0xb9 >> 2, 1));
    v.set_tos(0x03);
    v.set_ttl(1);
    v.set_protocol(50);
    v.set_total_len(40);
    assert!(!v.verify_checksum());
    v.fill_checksum();
    assert!(v.verify_checksum());
    assert_eq!((v.tos(), v.ttl(), v.protocol()), (3, 1, 50));
    let v = v.into_inner();
    assert_eq!(v[9], 50);
}

#[test]
fn ipv4_checks() {
    let p = v4(6, 0, &[0; 20]);
    for n in 0..20 {
        assert_eq!(
            Ipv4Packet::new_checked(&p[..n]),
            Err(ViewError::Truncated),
            "{n}"
        );
    }
    // Buffer shorter than total length.
    assert_eq!(Ipv4Packet::new_checked(&p[..39]), Err(ViewError::Truncated));
    // Link-layer padding past the total length is fine.
    let mut padded = p.clone();
    padded.extend_from_slice(&[0xee; 6]);
    let v = Ipv4Packet::new_checked(&padded[..]).unwrap();
    assert_eq!(v.payload().len(), 20);
    let mut bad = p.clone();
    bad[0] = 0x65;
    assert_eq!(Ipv4Packet::new_checked(&bad[..]), Err(ViewError::Version));
    bad[0] = 0x44;
    assert_eq!(Ipv4Packet::new_checked(&bad[..]), Err(ViewError::HeaderLen));
    bad[0] = 0x4f; // 60-byte header in a 40-byte packet
    assert_eq!(Ipv4Packet::new_checked(&bad[..]), Err(ViewError::Truncated));
    let mut bad = p.clone();
    bad[2..4].copy_from_slice(&19u16.to_be_bytes());
    assert_eq!(Ipv4Packet::new_checked(&bad[..]), Err(ViewError::TotalLen));
    // Options: a 24-byte header.
    let mut o = vec![
        0x46, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
    ];
    o.extend_from_slice(&[1, 1, 1, 0, 8, 0, 0, 0]);
    let mut v = Ipv4Packet::new_checked(&mut o[..]).unwrap();
    v.fill_checksum();
    assert!(v.verify_checksum());
    assert_eq!(v.header_len(), 24);
    assert_eq!(v.payload(), [8, 0, 0, 0]);
    let s = selector_v4(&v).unwrap();
    assert_eq!((s.proto, s.sport, s.dport), (1, 8, 0));
}

#[test]
fn ipv4_fragments() {
    // First fragment: ports present.
    let p = v4(6, 0x2000, &[0x12, 0x34, 0x00, 0x16, 0, 0, 0, 0]);
    let v = Ipv4Packet::new_checked(&p[..]).unwrap();
    assert!(v.more_frags() && v.is_fragment());
    let s = selector_v4(&v).unwrap();
    assert_eq!((s.sport, s.dport, s.is_later_fragment), (0x1234, 22, false));
    // Later fragment: offset 185 * 8, no ports even if bytes look like one.
    let p = v4(6, 185, &[0x12, 0x34, 0x00, 0x16]);
    let v = Ipv4Packet::new_checked(&p[..]).unwrap();
    assert_eq!(v.frag_offset(), 1480);
    let s = selector_v4(&v).unwrap();
    assert_eq!(
        (s.proto, s.sport, s.dport, s.is_later_fragment),
        (6, 0, 0, true)
    );
    // A later fragment of 0 bytes is fine too.
    let p = v4(17, 0x2000 | 1, &[]);
    assert!(selector(&p).unwrap().is_later_fragment);
}

#[test]
fn upper_layer_ports() {
    type Case<'a> = (u8, &'a [u8], Result<(u16, u16), ViewError>);
    let cases: [Case<'_>; 14] = [
        (PROTO_TCP, &[0, 80, 0x1f, 0x90], Ok((80, 8080))),
        (PROTO_UDP, &[0x11, 0x94, 0, 53, 9, 9], Ok((4500, 53))),
        (PROTO_SCTP, &[0, 1, 0, 2], Ok((1, 2))),
        (PROTO_UDP, &[0, 1, 0], Err(ViewError::Truncated)),
        (PROTO_ICMP, &[8, 0, 0xff, 0xff], Ok((8, 0))),
        (PROTO_ICMPV6, &[135, 0], Ok((135, 0))),
        (PROTO_ICMPV6, &[3, 1], Ok((3, 1))),
        (PROTO_ICMP, &[3], Err(ViewError::Truncated)),
        (PROTO_MH, &[59, 1, 5, 0], Ok((5, 0))),
        // GRE without key, with key, with checksum and key.
        (PROTO_GRE, &[0, 0, 0x08, 0], Ok((0, 0))),
        (
            PROTO_GRE,
            &[0x20, 0, 0x08, 0, 1, 2, 3, 4],
            Ok((0x0102, 0x0304)),
        ),
        (
            PROTO_GRE,
            &[0xa0, 0, 0x08, 0, 9, 9, 0, 0, 1, 2, 3, 4],
            Ok((0x0102, 0x0304)),
        ),
        (
            PROTO_GRE,
            &[0x20, 0, 0x08, 0, 1, 2],
            Err(ViewError::Truncated),
        ),
        (PROTO_ESP, &[], Ok((0, 0))),
    ];
    for (proto, bytes, want) in cases {
        assert_eq!(upper_ports(proto, bytes), want, "{proto} {bytes:?}");
    }
    // A truncated TCP header in an unfragmented packet is refused.
    let p = v4(6, 0, &[0, 80]);
    assert_eq!(selector(&p), Err(ViewError::Truncated));
}

#[test]
fn ipv6_fixed_header() {
    let p = v6(PROTO_UDP, &[0, 53, 0, 54, 0, 8, 0, 0]);
    let v = Ipv6Packet::new_checked(&p[..]).unwrap();
    assert_eq!(v.traffic_class(), 0xb8);
    assert_eq!((v.dscp(), v.ecn()), (46, 0));
    assert_eq!(v.flow_label(), 0x12345);
    assert_eq!(v.payload_len(), 8);
    assert_eq!(v.total_len(), 48);
    assert_eq!((v.next_header(), v.hop_limit()), (17, 64));
    assert_eq!((v.src(), v.dst()), (SRC6, DST6));
    assert_eq!(v.payload().len(), 8);
    let s = selector_v6(&v).unwrap();
    assert_eq!(
        s,
        PacketSelector {
            src: Addr::V6(SRC6),
            dst: Addr::V6(DST6),
            proto: 17,
            sport: 53,
            dport: 54,
            is_later_fragment: false
        }
    );
    let mut p = p;
    let mut v = Ipv6Packet::new_checked(&mut p[..]).unwrap();
    v.set_traffic_class(0x03);
    v.set_payload_len(0);
    v.set_next_header(59);
    v.set_hop_limit(1);
    assert_eq!(v.traffic_class(), 3);
    assert_eq!(v.flow_label(), 0x12345);
    assert_eq!(
        (v.payload_len(), v.next_header(), v.hop_limit()),
        (0, 59, 1)
    );
    assert_eq!(v.payload(), [] as [u8; 0]);
    assert_eq!(v.into_inner()[0], 0x60);
}

#[test]
fn ipv6_checks() {
    let p = v6(PROTO_TCP, &[0; 20]);
    for n in 0..40 {
        assert_eq!(Ipv6Packet::new_checked(&p[..n]), Err(ViewError::Truncated));
    }
    assert_eq!(Ipv6Packet::new_checked(&p[..59]), Err(ViewError::Truncated));
    let mut bad = p.clone();
    bad[0] = 0x4b;
    assert_eq!(Ipv6Packet::new_checked(&bad[..]), Err(ViewError::Version));
    // Read as IPv4: ihl 11, total length 0x2345.
    assert_eq!(selector(&bad), Err(ViewError::Truncated));
    assert_eq!(selector(&[]), Err(ViewError::Truncated));
    assert_eq!(selector(&[0x50; 60]), Err(ViewError::Version));
}

fn walk(p: &[u8]) -> Result<Ipv6Headers, ViewError> {
    walk_ipv6(&Ipv6Packet::new_checked(p).unwrap())
}

#[test]
fn ext_headers_esp_offset() {
    let tcp = [0u8, 22, 0, 80, 0, 0, 0, 0];
    // No extension headers.
    let h = walk(&v6(PROTO_TCP, &tcp)).unwrap();
    assert_eq!((h.esp_offset, h.esp_nexthdr_offset), (40, 6));
    assert_eq!((h.upper_proto, h.upper_offset), (6, 40));
    assert_eq!(h.fragment, None);

    // HbH, Dest, TCP: without a routing header the Dest header stays in
    // front of ESP (ip6_find_1stfragopt skips it).
    let p = v6(
        NEXTHDR_HOP,
        &cat(&[&opt(NEXTHDR_DEST, 0), &opt(PROTO_TCP, 1), &tcp]),
    );
    let h = walk(&p).unwrap();
    assert_eq!((h.esp_offset, h.esp_nexthdr_offset), (40 + 8 + 16, 48));
    assert_eq!((h.upper_proto, h.upper_offset), (6, 64));

    // HbH, Dest, Routing, Dest, TCP: ESP after the routing header, before
    // the final Dest header.
    let p = v6(
        NEXTHDR_HOP,
        &cat(&[
            &opt(NEXTHDR_DEST, 0),
            &opt(NEXTHDR_ROUTING, 0),
            &routing(NEXTHDR_DEST, 0),
            &opt(PROTO_TCP, 0),
            &tcp,
        ]),
    );
    let h = walk(&p).unwrap();
    assert_eq!((h.esp_offset, h.esp_nexthdr_offset), (40 + 8 + 8 + 24, 56));
    assert_eq!((h.upper_proto, h.upper_offset), (6, 88));
    assert_eq!(h.segments_left, 0);
    let s = selector(&p).unwrap();
    assert_eq!((s.proto, s.sport, s.dport), (6, 22, 80));

    // Routing with segments left.
    let p = v6(NEXTHDR_ROUTING, &cat(&[&routing(PROTO_UDP, 2), &tcp]));
    let h = walk(&p).unwrap();
    assert_eq!((h.esp_offset, h.segments_left), (64, 2));

    // AH before the upper layer: ESP goes in front of AH; AH's length is
    // counted in 4-byte units.
    let p = v6(
        NEXTHDR_HOP,
        &cat(&[&opt(NEXTHDR_AUTH, 0), &ah(PROTO_TCP, 12), &tcp]),
    );
    let h = walk(&p).unwrap();
    assert_eq!((h.esp_offset, h.esp_nexthdr_offset), (48, 40));
    assert_eq!((h.upper_proto, h.upper_offset), (6, 48 + 24));

    // ESP itself is the upper layer; No Next Header ends the chain.
    let h = walk(&v6(NEXTHDR_DEST, &cat(&[&opt(PROTO_ESP, 0), &[0; 8]]))).unwrap();
    assert_eq!((h.upper_proto, h.upper_offset, h.esp_offset), (50, 48, 48));
    let h = walk(&v6(NEXTHDR_NONE, &[])).unwrap();
    assert_eq!((h.upper_proto, h.upper_offset, h.esp_offset), (59, 40, 40));
    let s = selector(&v6(NEXTHDR_NONE, &[])).unwrap();
    assert_eq!((s.proto, s.sport, s.dport), (59, 0, 0));
}

#[test]
fn ext_headers_fragments() {
    let udp = [0x11u8, 0x94, 0x11, 0x94, 0, 8, 0, 0];
    // First fragment: ports read past the Fragment header; ESP goes in
    // front of the Fragment header.
    let p = v6(
        NEXTHDR_HOP,
        &cat(&[&opt(NEXTHDR_FRAGMENT, 0), &frag(PROTO_UDP, 0, true), &udp]),
    );
    let h = walk(&p).unwrap();
    assert_eq!(h.esp_offset, 48);
    assert_eq!(
        h.fragment,
        Some(Ipv6Frag {
            header_offset: 48,
            offset: 0,
            more: true,
            ident: 0xdead_beef,
            next_header: 17
        })
    );
    assert!(!h.is_later_fragment());
    let s = selector(&p).unwrap();
    assert_eq!(
        (s.proto, s.sport, s.dport, s.is_later_fragment),
        (17, 4500, 4500, false)
    );

    // Later fragment: no ports, the fragment's next header as protocol.
    let p = v6(
        NEXTHDR_FRAGMENT,
        &cat(&[&frag(PROTO_UDP, 1480, false), &udp]),
    );
    let h = walk(&p).unwrap();
    assert!(h.is_later_fragment());
    assert_eq!((h.upper_proto, h.upper_offset), (17, 48));
    assert_eq!(h.fragment.unwrap().offset, 1480);
    let s = selector(&p).unwrap();
    assert_eq!(
        (s.proto, s.sport, s.dport, s.is_later_fragment),
        (17, 0, 0, true)
    );
}

#[test]
fn ext_headers_truncated() {
    // Chain points past the payload.
    assert_eq!(walk(&v6(NEXTHDR_HOP, &[])), Err(ViewError::Truncated));
    assert_eq!(
        walk(&v6(NEXTHDR_HOP, &[6, 0, 0, 0])),
        Err(ViewError::Truncated)
    );
    // Header length beyond the payload.
    assert_eq!(
        walk(&v6(NEXTHDR_DEST, &opt(6, 1)[..8])),
        Err(ViewError::Truncated)
    );
    assert_eq!(
        walk(&v6(NEXTHDR_AUTH, &ah(6, 12)[..16])),
        Err(ViewError::Truncated)
    );
    // Bytes past the payload length are not looked at.
    let mut p = v6(NEXTHDR_HOP, &[]);
    p.extend_from_slice(&opt(PROTO_TCP, 0));
    assert_eq!(walk(&p), Err(ViewError::Truncated));
    // Upper layer header cut short.
    assert_eq!(
        selector(&v6(NEXTHDR_HOP, &cat(&[&opt(PROTO_TCP, 0), &[0, 1]]))),
        Err(ViewError::Truncated)
    );
}

#[test]
fn ext_headers_never_panic() {
    // Every chain of up to 4 headers drawn from the interesting values,
    // truncated at every length.
    let kinds = [
        NEXTHDR_HOP,
        NEXTHDR_ROUTING,
        NEXTHDR_FRAGMENT,
        NEXTHDR_AUTH,
        NEXTHDR_DEST,
        PROTO_TCP,
        NEXTHDR_NONE,
    ];
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..3000 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let mut body = Vec::new();
        let mut r = rng;
        let first = kinds[(r % 7) as usize];
        for _ in 0..4 {
            r /= 7;
            let next = kinds[(r % 7) as usize];
            r /= 7;
            body.push(next);
            body.push((r % 4) as u8);
            body.extend_from_slice(&[(r >> 3) as u8; 6]);
        }
        for cut in 0..=body.len() {
            let p = v6(first, &body[..cut]);
            let v = Ipv6Packet::new_checked(&p[..]).unwrap();
            if let Ok(h) = walk_ipv6(&v) {
                assert!(h.esp_offset <= h.upper_offset || h.is_later_fragment());
                assert!(h.upper_offset <= p.len());
                assert!(h.esp_nexthdr_offset < h.esp_offset);
            }
            let _ = selector(&p);
        }
    }
}

fn sel4(sport: u16, dport: u16, proto: IpProto) -> Selector {
    let a = |port| Address {
        proto,
        prefixlen: 8,
        sockaddr: SockAddr::new(Addr::V4([10, 0, 0, 0]), port),
    };
    Selector {
        src: a(sport),
        dst: a(dport),
    }
}

#[test]
fn selector_matching() {
    // ICMP echo request: type 8 as source port, code 0 as destination
    // port, as setkey's "icmp 8,0" (and "icmp 8", any code) encode it.
    let echo = selector(&v4(1, 0, &[8, 0, 0, 0, 0, 0, 0, 0])).unwrap();
    assert!(sel4(8, 0, IpProto::ICMP).matches(&echo));
    assert!(sel4(0, 0, IpProto::IPSEC_ANY).matches(&echo));
    assert!(!sel4(0, 0, IpProto::TCP).matches(&echo));
    let unreach = selector(&v4(1, 0, &[3, 4, 0, 0])).unwrap();
    assert!(sel4(3, 4, IpProto::ICMP).matches(&unreach));
    assert!(sel4(3, 0, IpProto::ICMP).matches(&unreach));
    assert!(!sel4(8, 0, IpProto::ICMP).matches(&unreach));
    // TCP to port 22, and its later fragment, which only matches a
    // selector without ports.
    let first = selector(&v4(6, 0x2000, &[0x9c, 0x40, 0, 22, 0, 0, 0, 0])).unwrap();
    let later = selector(&v4(6, 100, &[0x9c, 0x40, 0, 22])).unwrap();
    let ssh = sel4(0, 22, IpProto::TCP);
    assert!(ssh.matches(&first));
    assert!(!ssh.matches(&later));
    assert!(sel4(0, 0, IpProto::TCP).matches(&later));
    // Families never mix.
    let v6p = selector(&v6(PROTO_TCP, &[0x9c, 0x40, 0, 22, 0, 0, 0, 0])).unwrap();
    assert!(!ssh.matches(&v6p));
}

#[test]
fn selector_from_the_head_of_a_long_packet() {
    // A 1500-byte IPv4 TCP packet of which 60 bytes are at hand.
    let mut p = vec![0u8; 1500];
    p[0] = 0x45;
    p[2..4].copy_from_slice(&1500u16.to_be_bytes());
    p[9] = 6;
    p[12..16].copy_from_slice(&[10, 0, 0, 1]);
    p[16..20].copy_from_slice(&[10, 0, 0, 2]);
    p[20..22].copy_from_slice(&1234u16.to_be_bytes());
    p[22..24].copy_from_slice(&80u16.to_be_bytes());
    assert!(selector(&p[..60]).is_err());
    let s = selector_from_head(&p[..60]).unwrap();
    assert_eq!((s.proto, s.sport, s.dport), (6, 1234, 80));
    assert_eq!(s, selector(&p).unwrap());
    // The ports must be in the head.
    assert!(selector_from_head(&p[..21]).is_err());
    // IPv6: 40-byte header, UDP after it.
    let mut q = vec![0u8; 1400];
    q[0] = 0x60;
    q[4..6].copy_from_slice(&1360u16.to_be_bytes());
    q[6] = 17;
    q[40..42].copy_from_slice(&53u16.to_be_bytes());
    q[42..44].copy_from_slice(&5353u16.to_be_bytes());
    let s = selector_from_head(&q[..100]).unwrap();
    assert_eq!((s.proto, s.sport, s.dport), (17, 53, 5353));
    assert_eq!(s, selector(&q).unwrap());
}
