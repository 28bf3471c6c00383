// SPDX-License-Identifier: GPL-2.0

//! Fuzz target for the parsers the datapath runs on every packet from the
//! network: the IPv4 and IPv6 views and the extension-header walk, the
//! packet selector, the transport-mode layout, the ESP header and
//! trailer (padding) checks, tunnel decapsulation, and the MSS clamp.
//!
//! Input: one control byte, then a packet (from the IP header on). For any
//! input:
//! - nothing panics;
//! - `selector` of the whole packet and `selector_from_head` of its first
//!   `HEAD_MAX` bytes agree when both accept (the hooks read only the
//!   head);
//! - the IPv6 walk's offsets lie within the packet and in order;
//! - `transport_head`, when it accepts, names a protocol byte inside the
//!   head, and `set_protocol` on a copy leaves a valid IPv4 header
//!   checksum or the right IPv6 payload length;
//! - `parse_trailer`, when it accepts, accounts for every byte, and the
//!   pad bytes are 1, 2, 3, ...;
//! - `clamp_mss` never raises the MSS.
//!
//! Run with `FUZZ_TARGET=packet scripts/fuzz.sh [SECONDS]`.

#![no_main]

use ipsec_core::esp::{parse_trailer, EspHeader};
use ipsec_core::ipview::{
    checksum, selector, selector_from_head, walk_ipv6, Ipv4Packet, Ipv6Packet, HEAD_MAX,
};
use ipsec_core::mss::clamp_mss;
use ipsec_core::transport::transport_head;
use ipsec_core::tunnel::{decapsulate, inner_proto, too_big, tos_of};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&ctl, packet)) = data.split_first() else {
        return;
    };
    check_views(packet);
    check_selectors(packet);
    check_transport(packet);
    check_esp(packet);
    check_tunnel(packet, ctl);
    check_mss(packet, ctl);
});

fn check_views(p: &[u8]) {
    if let Ok(v4) = Ipv4Packet::new_checked(p) {
        let _ = (v4.src(), v4.checksum_field());
    }
    if let Ok(v6) = Ipv6Packet::new_checked(p) {
        if let Ok(w) = walk_ipv6(&v6) {
            assert!(w.esp_nexthdr_offset < w.esp_offset.max(7));
            assert!(w.esp_offset <= p.len());
            assert!(w.esp_offset <= w.upper_offset);
            if let Some(f) = w.fragment {
                assert!(f.header_offset < p.len());
            }
        }
    }
}

fn check_selectors(p: &[u8]) {
    let head = &p[..p.len().min(HEAD_MAX)];
    if let (Ok(a), Ok(b)) = (selector(p), selector_from_head(head)) {
        assert_eq!((a.src, a.dst, a.proto), (b.src, b.dst, b.proto));
    }
}

fn check_transport(p: &[u8]) {
    let head = &p[..p.len().min(HEAD_MAX)];
    let Ok(t) = transport_head(head) else {
        return;
    };
    assert!(t.nexthdr_at < t.hl.max(10));
    assert!(t.hl <= head.len());
    assert_eq!(head.get(t.nexthdr_at), Some(&t.proto));
    let mut copy = p.to_vec();
    if t.set_protocol(&mut copy, 50).is_ok() {
        if t.v6 {
            let plen = u16::from_be_bytes([copy[4], copy[5]]);
            assert_eq!(usize::from(plen), copy.len() - 40);
        } else {
            assert_eq!(checksum(&copy[..t.hl]), 0, "IPv4 header checksum");
            assert_eq!(usize::from(u16::from_be_bytes([copy[2], copy[3]])), copy.len());
        }
        assert_eq!(copy[t.nexthdr_at], 50);
    }
}

fn check_esp(p: &[u8]) {
    if let Ok(h) = EspHeader::new_checked(p) {
        let _ = (h.spi(), h.seq());
    }
    if let Ok(t) = parse_trailer(p) {
        assert_eq!(t.payload_len + t.trim_len(), p.len());
        let pad = &p[t.payload_len..t.payload_len + usize::from(t.pad_len)];
        for (i, b) in pad.iter().enumerate() {
            assert_eq!(usize::from(*b), i + 1);
        }
        assert_eq!(t.next_header, p[p.len() - 1]);
    }
}

fn check_tunnel(p: &[u8], ctl: u8) {
    let _ = (inner_proto(p), tos_of(p));
    let _ = too_big(p, p.len(), usize::from(ctl) * 8);
    let mut copy = p.to_vec();
    let next = if ctl & 1 != 0 { 41 } else { 4 };
    let _ = decapsulate(&mut copy, next, ctl);
}

fn check_mss(p: &[u8], ctl: u8) {
    let mut copy = p.to_vec();
    let max = u16::from(ctl) * 8;
    if let Some(old) = clamp_mss(&mut copy, max) {
        assert!(old > max, "lowered from {old} to {max}");
    }
}
