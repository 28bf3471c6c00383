// SPDX-License-Identifier: GPL-2.0

//! Tunnel header tests.

use super::*;
use crate::ecn::Ecn;
use crate::inet::{NEXTHDR_AUTH, PROTO_ESP};

fn v4_inner(tos: u8, df: bool, len: usize) -> Vec<u8> {
    let mut p = vec![0u8; len];
    p[0] = 0x45;
    p[1] = tos;
    p[2..4].copy_from_slice(&(len as u16).to_be_bytes());
    p[6] = if df { 0x40 } else { 0 };
    p[8] = 63;
    p[9] = 6;
    p[12..16].copy_from_slice(&[192, 168, 1, 1]);
    p[16..20].copy_from_slice(&[192, 168, 2, 1]);
    let sum = checksum(&p[..20]);
    p[10..12].copy_from_slice(&sum.to_be_bytes());
    p
}

fn v6_inner(tclass: u8, len: usize) -> Vec<u8> {
    let mut p = vec![0u8; len];
    p[0] = 0x60 | (tclass >> 4);
    p[1] = (tclass << 4) | 0x0a;
    p[2] = 0xbc;
    p[4..6].copy_from_slice(&((len - 40) as u16).to_be_bytes());
    p[6] = 17;
    p[7] = 64;
    p
}

fn params(v6: bool, dfbit: u8, ecn: EncapMode) -> OuterParams {
    let (src, dst) = if v6 {
        (Addr::V6([0xfd; 16]), Addr::V6([0xfe; 16]))
    } else {
        (Addr::V4([10, 0, 0, 1]), Addr::V4([10, 0, 0, 2]))
    };
    OuterParams {
        src,
        dst,
        ttl: 64,
        id: 0x1234,
        dfbit: match dfbit {
            0 => DfBit::Clear,
            1 => DfBit::Set,
            _ => DfBit::Copy,
        },
        ecn,
        next: PROTO_ESP,
    }
}

#[test]
fn outer_ipv4_fields() {
    let inner = v4_inner(0xb8 | 2, true, 60); // DSCP EF, ECT(0)
    let mut out = [0u8; 20];
    write_outer(&mut out, &params(false, 2, EncapMode::Normal), &inner, 120).unwrap();
    assert_eq!(out[0], 0x45);
    assert_eq!(out[1], 0xba, "DSCP and ECN copied");
    assert_eq!(u16::from_be_bytes([out[2], out[3]]), 120);
    assert_eq!(u16::from_be_bytes([out[4], out[5]]), 0x1234);
    assert_eq!(out[6], 0x40, "DF copied");
    assert_eq!((out[8], out[9]), (64, 50));
    assert_eq!(&out[12..16], &[10, 0, 0, 1]);
    assert_eq!(&out[16..20], &[10, 0, 0, 2]);
    assert_eq!(checksum(&out), 0);
}

#[test]
fn dfbit_knob() {
    let df = v4_inner(0, true, 40);
    let no_df = v4_inner(0, false, 40);
    let v6 = v6_inner(0, 48);
    let mut out = [0u8; 20];
    for (dfbit, inner, want) in [
        (0, &df, 0),
        (0, &no_df, 0),
        (1, &df, 0x40),
        (1, &no_df, 0x40),
        (2, &df, 0x40),
        (2, &no_df, 0),
        (2, &v6, 0),
        (1, &v6, 0x40),
    ] {
        write_outer(
            &mut out,
            &params(false, dfbit, EncapMode::Normal),
            inner,
            100,
        )
        .unwrap();
        assert_eq!(out[6], want, "dfbit {dfbit}");
    }
}

#[test]
fn ecn_knob() {
    let ce = v4_inner(0x28 | 3, false, 40);
    let mut out = [0u8; 20];
    write_outer(&mut out, &params(false, 0, EncapMode::Normal), &ce, 100).unwrap();
    assert_eq!(out[1], 0x2b, "normal mode copies CE (RFC 6040)");
    write_outer(
        &mut out,
        &params(false, 0, EncapMode::Compatibility),
        &ce,
        100,
    )
    .unwrap();
    assert_eq!(out[1], 0x28, "compatibility mode: Not-ECT, DSCP kept");
}

#[test]
fn outer_next_header_is_the_sas_protocol() {
    let mut p = params(false, 2, EncapMode::Normal);
    p.next = NEXTHDR_AUTH;
    let mut out = [0u8; 20];
    write_outer(&mut out, &p, &v4_inner(0, true, 60), 120).unwrap();
    assert_eq!(out[9], 51, "AH");
    assert_eq!(checksum(&out), 0, "checksum over the AH protocol number");
    let mut p = params(true, 2, EncapMode::Normal);
    p.next = NEXTHDR_AUTH;
    let mut out = [0u8; 40];
    write_outer(&mut out, &p, &v6_inner(0, 80), 200).unwrap();
    assert_eq!(out[6], 51, "AH");
}

#[test]
fn outer_ipv6_fields() {
    let inner = v6_inner(0xb9, 80); // DSCP EF, ECT(1)
    let mut out = [0u8; 40];
    write_outer(&mut out, &params(true, 2, EncapMode::Normal), &inner, 200).unwrap();
    assert_eq!(out[0], 0x6b);
    assert_eq!(out[1], 0x90, "traffic class copied, flow label 0");
    assert_eq!(&out[2..4], &[0, 0]);
    assert_eq!(u16::from_be_bytes([out[4], out[5]]), 160);
    assert_eq!((out[6], out[7]), (50, 64));
    assert_eq!(&out[8..24], &[0xfd; 16]);
    assert_eq!(&out[24..40], &[0xfe; 16]);
    // 4in6 and 6in4.
    write_outer(
        &mut out,
        &params(true, 2, EncapMode::Normal),
        &v4_inner(0, true, 40),
        100,
    )
    .unwrap();
    let mut o4 = [0u8; 20];
    write_outer(
        &mut o4,
        &params(false, 2, EncapMode::Normal),
        &v6_inner(0, 48),
        100,
    )
    .unwrap();
    assert_eq!(inner_proto(&v6_inner(0, 48)), Ok(PROTO_IPV6));
    assert_eq!(inner_proto(&v4_inner(0, false, 20)), Ok(PROTO_IPIP));
}

#[test]
fn outer_errors() {
    let inner = v4_inner(0, false, 40);
    let mut p = params(false, 0, EncapMode::Normal);
    p.dst = Addr::V6([1; 16]);
    assert_eq!(
        write_outer(&mut [0u8; 40], &p, &inner, 100),
        Err(TunnelError::Layout)
    );
    let ok = params(false, 0, EncapMode::Normal);
    assert_eq!(
        write_outer(&mut [0u8; 19], &ok, &inner, 100),
        Err(TunnelError::Layout)
    );
    assert_eq!(
        write_outer(&mut [0u8; 20], &ok, &inner, 70000),
        Err(TunnelError::Layout)
    );
    assert_eq!(
        write_outer(&mut [0u8; 20], &ok, &[0x50; 40], 100),
        Err(TunnelError::Malformed)
    );
    assert_eq!(
        write_outer(&mut [0u8; 20], &ok, &[], 100),
        Err(TunnelError::Malformed)
    );
    let p6 = params(true, 0, EncapMode::Normal);
    assert_eq!(
        write_outer(&mut [0u8; 40], &p6, &inner, 30),
        Err(TunnelError::Layout)
    );
}

#[test]
fn decapsulate_ipv4_ecn_and_checksum() {
    let mut inner = v4_inner(0x28 | Ecn::Ect0.bits(), false, 60);
    decapsulate(&mut inner, PROTO_IPIP, Ecn::Ce.bits()).unwrap();
    assert_eq!(inner[1], 0x2b, "CE from outside marks the inner packet");
    assert_eq!(checksum(&inner[..20]), 0, "checksum fixed");
    let mut not_ect = v4_inner(0, false, 60);
    assert_eq!(
        decapsulate(&mut not_ect, PROTO_IPIP, 3),
        Err(TunnelError::EcnDrop)
    );
    let mut same = v4_inner(0x10, false, 60);
    let copy = same.clone();
    decapsulate(&mut same, PROTO_IPIP, 0).unwrap();
    assert_eq!(same, copy, "nothing to change");
}

#[test]
fn decapsulate_ipv6() {
    let mut inner = v6_inner(Ecn::Ect0.bits(), 60);
    decapsulate(&mut inner, PROTO_IPV6, Ecn::Ect1.bits()).unwrap();
    assert_eq!(tos_of(&inner), Some(Ecn::Ect1.bits()));
    assert_eq!(inner[1] & 0x0f, 0x0a, "flow label kept");
    assert_eq!(inner[2], 0xbc);
}

#[test]
fn decapsulate_checks_the_inner_packet() {
    // Next header says IPv6, packet is IPv4.
    assert_eq!(
        decapsulate(&mut v4_inner(0, false, 40), PROTO_IPV6, 0),
        Err(TunnelError::Malformed)
    );
    // Lengths must match what ESP carried.
    let mut short = v4_inner(0, false, 40);
    short[2..4].copy_from_slice(&50u16.to_be_bytes());
    assert_eq!(
        decapsulate(&mut short, PROTO_IPIP, 0),
        Err(TunnelError::Malformed)
    );
    let mut v6 = v6_inner(0, 60);
    v6.push(0);
    assert_eq!(
        decapsulate(&mut v6, PROTO_IPV6, 0),
        Err(TunnelError::Malformed)
    );
    assert_eq!(
        decapsulate(&mut [0x45], PROTO_IPIP, 0),
        Err(TunnelError::Malformed)
    );
    let mut bad_ihl = v4_inner(0, false, 40);
    bad_ihl[0] = 0x44;
    assert_eq!(
        decapsulate(&mut bad_ihl, PROTO_IPIP, 0),
        Err(TunnelError::Malformed)
    );
}

#[test]
fn too_big_reports_the_room_when_df_is_set() {
    let df = v4_inner(0, true, 1500);
    assert_eq!(too_big(&df, 1500, 1446), Ok(Some(1446)));
    assert_eq!(too_big(&df, 1446, 1446), Ok(None));
    // Without DF the outer packet is fragmented instead.
    let no_df = v4_inner(0, false, 1500);
    assert_eq!(too_big(&no_df, 1500, 1446), Ok(None));
    // Never below IPv4's minimum MTU.
    assert_eq!(too_big(&df, 1500, 20), Ok(Some(68)));
}

#[test]
fn too_big_for_ipv6_ignores_df_and_stops_at_1280() {
    let p = v6_inner(0, 1500);
    assert_eq!(too_big(&p, 1500, 1422), Ok(Some(1422)));
    assert_eq!(too_big(&p, 1400, 1422), Ok(None));
    // ESP leaves less than 1280: packets up to 1280 are sent (the outer
    // packet fragmented), bigger ones are told 1280.
    assert_eq!(too_big(&p, 1280, 1200), Ok(None));
    assert_eq!(too_big(&p, 1281, 1200), Ok(Some(1280)));
}

#[test]
fn too_big_needs_an_ip_header() {
    assert_eq!(
        too_big(&[0x50, 0, 0, 0], 1500, 1000),
        Err(TunnelError::Malformed)
    );
    assert_eq!(too_big(&[], 1500, 1000), Err(TunnelError::Malformed));
}
