// SPDX-License-Identifier: GPL-2.0

//! Transport-mode header layout tests.

use super::*;

fn v4(proto: u8, frag: u16, options: usize) -> Vec<u8> {
    let ihl = 20 + options;
    let mut p = vec![0u8; ihl + 8];
    p[0] = 0x40 | (ihl / 4) as u8;
    p[2..4].copy_from_slice(&((ihl + 8) as u16).to_be_bytes());
    p[6..8].copy_from_slice(&frag.to_be_bytes());
    p[8] = 64;
    p[9] = proto;
    p[12..16].copy_from_slice(&[10, 0, 0, 1]);
    p[16..20].copy_from_slice(&[10, 0, 0, 2]);
    p
}

/// IPv6 with the extension headers `exts` (next header, 8-byte header)
/// and then `upper` with 8 bytes of payload.
fn v6(exts: &[u8], upper: u8) -> Vec<u8> {
    let mut p = vec![0u8; 40];
    p[0] = 0x60;
    p[8..24].copy_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    p[24..40].copy_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    let chain: Vec<u8> = exts.iter().copied().chain([upper]).collect();
    p[6] = chain[0];
    for (i, _) in exts.iter().enumerate() {
        let mut h = [0u8; 8];
        h[0] = chain[i + 1];
        if exts[i] == 44 {
            // Fragment header: offset 0, M set.
            h[3] = 1;
        }
        p.extend_from_slice(&h);
    }
    p.extend_from_slice(&[0u8; 8]);
    let payload = (p.len() - 40) as u16;
    p[4..6].copy_from_slice(&payload.to_be_bytes());
    p
}

#[test]
fn ipv4_layout() {
    let h = transport_head(&v4(17, 0x4000, 0)).unwrap();
    assert_eq!(
        h,
        TransportHead {
            v6: false,
            hl: 20,
            nexthdr_at: 9,
            proto: 17,
            transport_at: 20,
            dst: Addr::V4([10, 0, 0, 2]),
            fragment: false,
        }
    );
    let opts = transport_head(&v4(50, 0, 8)).unwrap();
    assert_eq!((opts.hl, opts.transport_at), (28, 28));
    assert!(opts.esp_here());
    assert!(transport_head(&v4(50, 0x2000, 0)).unwrap().fragment);
    assert!(transport_head(&v4(50, 0x0010, 0)).unwrap().fragment);
    assert!(!transport_head(&v4(50, 0x2000, 0)).unwrap().esp_here());
}

#[test]
fn ipv4_rejects_bad_headers() {
    assert_eq!(transport_head(&[0x45; 10]), Err(ViewError::HeaderLen));
    let mut p = v4(6, 0, 0);
    p[0] = 0x44;
    assert_eq!(transport_head(&p), Err(ViewError::HeaderLen));
    assert_eq!(transport_head(&[]), Err(ViewError::Version));
    assert_eq!(transport_head(&[0x50; 40]), Err(ViewError::Version));
}

#[test]
fn ipv6_plain() {
    let h = transport_head(&v6(&[], 6)).unwrap();
    assert_eq!(
        (h.v6, h.hl, h.nexthdr_at, h.proto, h.transport_at),
        (true, 40, 6, 6, 40)
    );
    assert_eq!(
        h.dst,
        Addr::V6([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2])
    );
    assert!(!h.fragment);
}

#[test]
fn ipv6_esp_after_hop_by_hop_and_routing() {
    // HbH, Routing, then ESP: ESP at 56, named by the routing header.
    let h = transport_head(&v6(&[0, 43], 50)).unwrap();
    assert_eq!(
        (h.hl, h.nexthdr_at, h.proto, h.transport_at),
        (56, 48, 50, 48)
    );
    assert!(h.esp_here());
}

#[test]
fn ipv6_destination_options_after_routing_are_protected() {
    // Routing, Destination Options, UDP: ESP goes before the dest options.
    let h = transport_head(&v6(&[43, 60], 17)).unwrap();
    assert_eq!((h.hl, h.nexthdr_at, h.proto), (48, 40, 60));
    // Destination Options before Routing stay in front.
    let h = transport_head(&v6(&[60, 43], 17)).unwrap();
    assert_eq!((h.hl, h.nexthdr_at, h.proto), (56, 48, 17));
}

#[test]
fn ipv6_fragment_is_flagged() {
    let h = transport_head(&v6(&[44], 50)).unwrap();
    assert!(h.fragment);
    assert!(!h.esp_here());
}

#[test]
fn ipv6_truncated_head_is_walked_as_far_as_it_goes() {
    let p = v6(&[0], 50);
    // The head of a longer packet: the length field says more.
    let mut long = p.clone();
    long[4..6].copy_from_slice(&1400u16.to_be_bytes());
    assert_eq!(transport_head(&long).unwrap().hl, 48);
    assert!(transport_head(&p[..30]).is_err());
}

#[test]
fn set_protocol_fixes_ipv4_length_and_checksum() {
    let mut p = v4(17, 0, 0);
    let h = transport_head(&p).unwrap();
    p.extend_from_slice(&[0u8; 16]);
    h.set_protocol(&mut p, 50).unwrap();
    assert_eq!(p[9], 50);
    assert_eq!(u16::from_be_bytes([p[2], p[3]]), 44);
    assert_eq!(checksum(&p[..20]), 0, "a valid header sums to zero");
}

#[test]
fn set_protocol_fixes_ipv6_next_header_and_payload_length() {
    let mut p = v6(&[0], 17);
    let h = transport_head(&p).unwrap();
    p.extend_from_slice(&[0u8; 24]);
    h.set_protocol(&mut p, 50).unwrap();
    assert_eq!(p[40], 50, "the hop-by-hop header names ESP");
    assert_eq!(p[6], 0, "the fixed header still names hop-by-hop");
    assert_eq!(usize::from(u16::from_be_bytes([p[4], p[5]])), p.len() - 40);
    assert_eq!(h.set_protocol(&mut p[..10], 50), Err(ViewError::Truncated));
}
