// SPDX-License-Identifier: GPL-2.0

//! Seeds of the `ah` fuzz target: three control bytes, then an IPv4 or
//! IPv6 packet carrying AH, with the options, extension headers and
//! Routing header the zeroing treats. Each is checked with `zero_mutable`
//! before it is written.

use ipsec_core::ah::mutable::{zero_mutable, Direction, Ipv4Rules};
use ipsec_core::ah::{emit_header, AhFields, Align};

/// An AH header with next header `nh` and a `icv`-byte ICV padded to
/// `align`, then 8 bytes of payload.
fn ah_and_payload(nh: u8, icv: usize, align: Align) -> Vec<u8> {
    let mut out = vec![0u8; 64];
    let fields = AhFields {
        next_header: nh,
        spi: 0x1001,
        seq_lo: 1,
        icv_len: icv,
        align,
    };
    let n = emit_header(&mut out, &fields).expect("an AH header fits 64 bytes");
    out.truncate(n);
    out.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4]);
    out
}

/// An IPv4 header with `options`, protocol AH.
fn v4(options: &[u8]) -> Vec<u8> {
    let ihl = u8::try_from(5 + options.len() / 4).expect("at most 40 bytes of options");
    let mut h = vec![
        0x40 | ihl,
        0xb8,
        0,
        0,
        0x12,
        0x34,
        0x40,
        0,
        64,
        51,
        0,
        0,
        10,
        0,
        0,
        1,
        10,
        0,
        0,
        2,
    ];
    h.extend_from_slice(options);
    h
}

/// An IPv6 header with next header `nh` and the extension headers `exts`.
fn v6(nh: u8, exts: &[u8]) -> Vec<u8> {
    let mut h = vec![0x6a, 0xbc, 0xde, 0xf1, 0, 0, nh, 64];
    h.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    h.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    h.extend_from_slice(exts);
    h
}

/// Sets the IPv4 total length or IPv6 payload length of `p`.
fn fix_length(p: &mut [u8]) {
    if p[0] >> 4 == 4 {
        let len = u16::try_from(p.len()).expect("short packet");
        p[2..4].copy_from_slice(&len.to_be_bytes());
    } else {
        let len = u16::try_from(p.len() - 40).expect("short packet");
        p[4..6].copy_from_slice(&len.to_be_bytes());
    }
}

/// The seeds: (name, control bytes and packet).
pub fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let lsrr = [0x01, 0x83, 0x0b, 0x04, 192, 0, 2, 1, 192, 0, 2, 2];
    let opts = [
        0x94, 0x04, 0, 0, 0x44, 0x0c, 0x05, 0, 1, 2, 3, 4, 5, 6, 7, 8,
    ];
    let hbh = [43, 0, 0x3e, 0x02, 0xaa, 0xbb, 0x01, 0x00];
    let mut rt = vec![60, 2, 0, 1, 0, 0, 0, 0];
    rt.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9]);
    let dest = [51, 0, 0x7f, 0x04, 0x11, 0x22, 0x33, 0x44];
    let chain: Vec<u8> = hbh.iter().chain(&rt).chain(&dest).copied().collect();
    let packets: Vec<(&'static str, u8, Vec<u8>)> = vec![
        ("v4_plain", 0x03, v4(&[])),
        ("v4_lsrr", 0x03, v4(&lsrr)),
        ("v4_options", 0x00, v4(&opts)),
        ("v6_plain", 0x01, v6(51, &[])),
        ("v6_chain", 0x01, v6(0, &chain)),
    ];
    let mut out = Vec::new();
    for (name, ctl, mut p) in packets {
        let v6 = p[0] >> 4 == 6;
        let (icv, align) = if v6 {
            (16, Align::Eight)
        } else {
            (16, Align::Four)
        };
        p.extend(ah_and_payload(6, icv, align));
        fix_length(&mut p);
        let dir = if ctl & 1 != 0 {
            Direction::Output
        } else {
            Direction::Input
        };
        let mut check = p.clone();
        zero_mutable(&mut check, Ipv4Rules::LINUX, dir)
            .unwrap_or_else(|e| panic!("seed {name}: {e:?}"));
        let mut seed = vec![ctl, 0x40, 0x00];
        seed.extend(p);
        out.push((name, seed));
    }
    out
}
