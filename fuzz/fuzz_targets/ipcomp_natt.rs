// SPDX-License-Identifier: GPL-2.0

//! Fuzz target for what the IPComp and NAT-T datapath reads from the
//! network (`ipsec_core::ipcomp`, `ipsec_core::natt`).
//!
//! Input: the bytes after an IP header, as an IPComp header and payload,
//! and as a UDP datagram to an encapsulation port. For any input:
//! - nothing panics;
//! - `IpcompHeader::parse`, when it accepts, read a non-zero CPI from the
//!   first four bytes, and `emit` writes a header that parses back to the
//!   same fields;
//! - `natt::classify` of the datagram's payload agrees with RFC 3948's
//!   rules (keepalive only for the single byte 0xFF; ESP only with a
//!   non-zero SPI and more than an ESP header);
//! - `natt::ports` reads the first four bytes;
//! - `set_udp6_checksum` writes a checksum a receiver verifies (the sum
//!   over pseudo-header and datagram is all ones), never 0;
//! - the IPComp size rules hold: a compressed form within
//!   `compressed_room` plus the header is shorter than the payload.
//!
//! Run with `FUZZ_TARGET=ipcomp_natt scripts/fuzz.sh [SECONDS]`.

#![no_main]

use ipsec_core::esp::ESP_HDR_LEN;
use ipsec_core::ipcomp::{compressed_room, max_decompressed, IpcompHeader, IPCOMP_HDR_LEN};
use ipsec_core::ipview::ones_sum;
use ipsec_core::natt::{classify, ports, set_udp6_checksum, Carried, UDP_HDR_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    check_ipcomp(data);
    check_classify(data);
    check_udp6(data);
});

fn check_ipcomp(bytes: &[u8]) {
    let len = bytes.len();
    let room = compressed_room(len);
    assert!(room == 0 || room + IPCOMP_HDR_LEN < len);
    assert!(max_decompressed(len % 2 == 0, len) <= 0xffff);
    let Ok(h) = IpcompHeader::parse(bytes) else {
        return;
    };
    assert!(bytes.len() >= IPCOMP_HDR_LEN);
    assert_ne!(h.cpi, 0);
    assert_eq!(h.next_header, bytes[0]);
    assert_eq!(h.cpi, u16::from_be_bytes([bytes[2], bytes[3]]));
    let mut out = [0u8; IPCOMP_HDR_LEN];
    h.emit(&mut out).unwrap();
    assert_eq!(IpcompHeader::parse(&out), Ok(h));
    assert_eq!(out[1], 0);
}

fn check_classify(bytes: &[u8]) {
    if let Ok(p) = ports(bytes) {
        assert_eq!(p.sport, u16::from_be_bytes([bytes[0], bytes[1]]));
        assert_eq!(p.dport, u16::from_be_bytes([bytes[2], bytes[3]]));
    } else {
        assert!(bytes.len() < 4);
    }
    let payload = bytes.get(UDP_HDR_LEN..).unwrap_or(&[]);
    match classify(payload) {
        Carried::Keepalive => assert_eq!(payload, [0xff]),
        Carried::Esp => {
            assert!(payload.len() > ESP_HDR_LEN);
            assert_ne!(payload[..4], [0; 4]);
        }
        Carried::Socket => {
            assert!(
                payload.len() <= ESP_HDR_LEN || payload[..4] == [0; 4],
                "ESP passed to the socket"
            );
            assert_ne!(payload, [0xff]);
        }
    }
}

fn check_udp6(bytes: &[u8]) {
    let Some((addrs, rest)) = bytes.split_first_chunk::<32>() else {
        return;
    };
    let src: [u8; 16] = addrs[..16].try_into().unwrap();
    let dst: [u8; 16] = addrs[16..].try_into().unwrap();
    let mut d = rest.to_vec();
    if d.len() < UDP_HDR_LEN {
        assert!(set_udp6_checksum(&src, &dst, &mut d).is_err());
        return;
    }
    d[6] = 0;
    d[7] = 0;
    set_udp6_checksum(&src, &dst, &mut d).unwrap();
    assert_ne!(d[6..8], [0, 0]);
    let mut pseudo = [0u8; 40];
    pseudo[..16].copy_from_slice(&src);
    pseudo[16..32].copy_from_slice(&dst);
    pseudo[32..36].copy_from_slice(&(d.len() as u32).to_be_bytes());
    pseudo[39] = 17;
    assert_eq!(ones_sum(ones_sum(0, &pseudo), &d), 0xffff);
}
