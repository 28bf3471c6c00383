// SPDX-License-Identifier: GPL-2.0

//! Mutable-field tests: hand-built IPv4 and IPv6 headers next to the
//! bytes ah4.c and ah6.c hash for them, written out from their code and
//! RFC 4302 section 3.3.3.1; the knobs; source routes in both directions;
//! Routing headers against a hop-by-hop model of RFC 2460 type 0
//! processing; malformed options and chains; the largest headers.

use super::super::super::knobs::{Knob, KNOB_COUNT};
use super::*;

/// An IPv4 header: TOS 0xb8, total length 0x54, id 0x1234, DF, TTL 64,
/// protocol AH, checksum 0xabcd, 10.0.0.1 -> 10.0.0.2, then `options`
/// (a multiple of 4 bytes).
fn v4(options: &[u8]) -> Vec<u8> {
    assert_eq!(options.len() % 4, 0);
    let ihl = u8::try_from(5 + options.len() / 4).unwrap();
    let mut h = vec![
        0x40 | ihl,
        0xb8,
        0x00,
        0x54,
        0x12,
        0x34,
        0x40,
        0x00,
        64,
        51,
        0xab,
        0xcd,
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

/// What Linux hashes for [`v4`]'s fixed header: TOS, flags, TTL and the
/// checksum zeroed.
fn v4_zeroed(options: &[u8]) -> Vec<u8> {
    let mut h = v4(options);
    h[1] = 0;
    h[6..8].fill(0);
    h[8] = 0;
    h[10..12].fill(0);
    h
}

fn zero4(h: &mut [u8], dir: Direction) -> Result<(), MutableError> {
    zero_ipv4(h, Ipv4Rules::LINUX, dir)
}

#[test]
fn ipv4_fixed_header() {
    let mut h = v4(&[]);
    zero4(&mut h, Direction::Output).unwrap();
    assert_eq!(
        h,
        [0x45, 0, 0x00, 0x54, 0x12, 0x34, 0, 0, 0, 51, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
    );
    let mut i = v4(&[]);
    zero4(&mut i, Direction::Input).unwrap();
    assert_eq!(i, h);
}

#[test]
fn ipv4_bytes_after_the_header_untouched() {
    let mut p = v4(&[]);
    p.extend_from_slice(&[0xff; 30]);
    zero4(&mut p, Direction::Input).unwrap();
    assert_eq!(p[..20], v4_zeroed(&[])[..]);
    assert!(p[20..].iter().all(|&b| b == 0xff));
}

#[test]
fn ipv4_knobs() {
    let frag = |mask: u16, clear_tos: bool| {
        let mut h = v4(&[]);
        // DF, MF and offset 5 (40 bytes).
        h[6..8].copy_from_slice(&0x6005u16.to_be_bytes());
        let rules = Ipv4Rules {
            clear_tos,
            offset_mask: mask,
        };
        zero_ipv4(&mut h, rules, Direction::Output).unwrap();
        (h[1], u16::from_be_bytes([h[6], h[7]]), h[8], h[10], h[11])
    };
    assert_eq!(frag(0, true), (0, 0, 0, 0, 0));
    assert_eq!(frag(0, false), (0xb8, 0, 0, 0, 0));
    assert_eq!(frag(0x4000, true), (0, 0x4000, 0, 0, 0));
    assert_eq!(frag(0x1fff, true), (0, 0x0005, 0, 0, 0));
    assert_eq!(frag(0xe000, true), (0, 0x6000, 0, 0, 0));
    assert_eq!(frag(0xffff, false), (0xb8, 0x6005, 0, 0, 0));

    assert_eq!(
        Ipv4Rules::from_knobs(&KnobValues::defaults()),
        Ipv4Rules::LINUX
    );
    let mut raw = [0; KNOB_COUNT];
    raw[Knob::AhCleartos.index()] = 0;
    raw[Knob::AhOffsetmask.index()] = 0x4000;
    assert_eq!(
        Ipv4Rules::from_knobs(&KnobValues::from_raw(raw)),
        Ipv4Rules {
            clear_tos: false,
            offset_mask: 0x4000
        }
    );
}

#[test]
fn ipv4_options_mutable_and_immutable() {
    let opts = [
        0x01, // NOP: kept
        0x94, 0x04, 0x00, 0x00, // router alert: kept
        0x44, 0x0c, 0x05, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
        0x88, // timestamp: zeroed whole
        0x07, 0x07, 0x04, 0xc0, 0xa8, 0x00, 0x01, // record route: zeroed whole
        0x82, 0x0b, 1, 2, 3, 4, 5, 6, 7, 8, 9,    // security: kept
        0x00, // END
        0xee, 0xee, 0xee, 0xee, // after END: kept as is
    ];
    assert_eq!(opts.len(), 40);
    let mut want = opts;
    want[5..17].fill(0);
    want[17..24].fill(0);
    let mut h = v4(&opts);
    zero4(&mut h, Direction::Output).unwrap();
    assert_eq!(h, v4_zeroed(&want));

    let opts = [
        0x86, 0x06, 0xa1, 0xa2, 0xa3, 0xa4, // CIPSO: kept
        0x85, 0x03, 0xaa, // extended security: kept
        0x95, 0x04, 0xbb, 0xcc, // RFC 1770: kept
        0x99, 0x03, 0xdd, // unknown: zeroed whole
    ];
    let mut want = opts;
    want[13..16].fill(0);
    let mut h = v4(&opts);
    zero4(&mut h, Direction::Input).unwrap();
    assert_eq!(h, v4_zeroed(&want));
}

#[test]
fn ipv4_source_route_final_destination() {
    // NOP, LSRR via 192.0.2.1 to 192.0.2.2.
    let opts = [0x01, 0x83, 0x0b, 0x04, 192, 0, 2, 1, 192, 0, 2, 2];
    let mut want = v4_zeroed(&[0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    let mut h = v4(&opts);
    zero4(&mut h, Direction::Input).unwrap();
    assert_eq!(h, want, "input: the destination is already the final one");
    want[16..20].copy_from_slice(&[192, 0, 2, 2]);
    let mut h = v4(&opts);
    zero4(&mut h, Direction::Output).unwrap();
    assert_eq!(h, want, "output: the final destination moves in");

    // SSRR then LSRR: the last one wins.
    let opts = [
        0x89, 0x07, 0x04, 198, 51, 100, 1, // SSRR
        0x83, 0x07, 0x04, 198, 51, 100, 2, // LSRR
        0x01, 0x01,
    ];
    let mut h = v4(&opts);
    zero4(&mut h, Direction::Output).unwrap();
    let mut want = v4_zeroed(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
    want[16..20].copy_from_slice(&[198, 51, 100, 2]);
    assert_eq!(h, want);

    // Length 6, the shortest Linux takes: its last four bytes, pointer
    // included, are the "address".
    let opts = [0x83, 0x06, 0x04, 0xaa, 0xbb, 0xcc, 0x01, 0x01];
    let mut h = v4(&opts);
    zero4(&mut h, Direction::Output).unwrap();
    assert_eq!(h[16..20], [0x04, 0xaa, 0xbb, 0xcc]);
    assert_eq!(h[20..], [0, 0, 0, 0, 0, 0, 1, 1]);
}

#[test]
fn ipv4_malformed_options() {
    let cases: [(&[u8], MutableError); 8] = [
        (&[0x44, 0x01, 0x00, 0x00], MutableError::OptionLen),
        (&[0x44, 0x00, 0x00, 0x00], MutableError::OptionLen),
        // Runs past the header.
        (&[0x44, 0x08, 0x00, 0x00], MutableError::OptionLen),
        (&[0x01, 0x44, 0x04, 0x00], MutableError::OptionLen),
        // The last byte starts an option with no length byte.
        (&[0x01, 0x01, 0x01, 0x07], MutableError::OptionLen),
        // Source routes too short for an address.
        (
            &[0x83, 0x05, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01],
            MutableError::SourceRoute,
        ),
        (&[0x89, 0x02, 0x01, 0x01], MutableError::SourceRoute),
        // A bad option after a good one.
        (
            &[0x94, 0x04, 0x00, 0x00, 0x44, 0x09, 0, 0],
            MutableError::OptionLen,
        ),
    ];
    for (opts, err) in cases {
        for dir in [Direction::Output, Direction::Input] {
            assert_eq!(zero4(&mut v4(opts), dir), Err(err), "{opts:x?}");
        }
    }
}

#[test]
fn ipv4_malformed_headers() {
    let mut h = v4(&[]);
    h[0] = 0x44;
    assert_eq!(
        zero4(&mut h, Direction::Input),
        Err(MutableError::HeaderLen)
    );
    h[0] = 0x46;
    assert_eq!(
        zero4(&mut h, Direction::Input),
        Err(MutableError::Truncated)
    );
    h[0] = 0x65;
    assert_eq!(zero4(&mut h, Direction::Input), Err(MutableError::Version));
    assert_eq!(
        zero4(&mut [], Direction::Input),
        Err(MutableError::Truncated)
    );
    assert_eq!(
        zero4(&mut [0x45; 19], Direction::Input),
        Err(MutableError::Truncated)
    );
}

#[test]
fn ipv4_longest_header() {
    // 40 bytes of NOPs: all kept.
    let mut h = v4(&[0x01; 40]);
    zero4(&mut h, Direction::Output).unwrap();
    assert_eq!(h, v4_zeroed(&[0x01; 40]));
    // One 40-byte timestamp option: zeroed whole.
    let mut ts = [0x5au8; 40];
    ts[..2].copy_from_slice(&[0x44, 40]);
    let mut h = v4(&ts);
    zero4(&mut h, Direction::Output).unwrap();
    assert_eq!(h, v4_zeroed(&[0; 40]));
    // One 40-byte LSRR: zeroed, its last address the destination.
    let mut sr = [0u8; 40];
    sr[..3].copy_from_slice(&[0x83, 39, 4]);
    sr[35..39].copy_from_slice(&[203, 0, 113, 9]);
    let mut h = v4(&sr);
    zero4(&mut h, Direction::Output).unwrap();
    assert_eq!(h[16..20], [203, 0, 113, 9]);
    assert!(h[20..].iter().all(|&b| b == 0));
}

const SRC6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
const DST6: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

/// An address 2001:db8::a:`n`.
fn addr(n: u8) -> [u8; 16] {
    let mut a = DST6;
    a[13] = 0x0a;
    a[15] = n;
    a
}

/// An IPv6 header: traffic class 0xab, flow label 0xcdef1, payload
/// length 0x20, next header `nh`, hop limit 64, SRC6 -> DST6, then
/// `exts`.
fn v6(nh: u8, exts: &[u8]) -> Vec<u8> {
    let mut h = vec![0x6a, 0xbc, 0xde, 0xf1, 0x00, 0x20, nh, 64];
    h.extend_from_slice(&SRC6);
    h.extend_from_slice(&DST6);
    h.extend_from_slice(exts);
    h
}

/// [`v6`] as hashed: traffic class, flow label, hop limit zeroed.
fn v6_zeroed(nh: u8, exts: &[u8]) -> Vec<u8> {
    let mut h = v6(nh, exts);
    h[..4].copy_from_slice(&[0x60, 0, 0, 0]);
    h[7] = 0;
    h
}

#[test]
fn ipv6_fixed_header() {
    let mut h = v6(51, &[]);
    zero_ipv6(&mut h).unwrap();
    let mut want = vec![0x60, 0, 0, 0, 0x00, 0x20, 51, 0];
    want.extend_from_slice(&SRC6);
    want.extend_from_slice(&DST6);
    assert_eq!(h, want);
}

#[test]
fn ipv6_hop_by_hop_and_destination_options() {
    let hbh = [
        60, 1,    // next: Destination Options, 16 bytes
        0x00, // Pad1
        0x05, 0x02, 0x00, 0x00, // router alert: immutable
        0x3e, 0x03, 0xaa, 0xbb, 0xcc, // mutable: data zeroed
        0x01, 0x02, 0x77, 0x77, // PadN: immutable, kept as is
    ];
    let dest = [
        51, 0, // next: AH, 8 bytes
        0x7f, 0x04, 0x11, 0x22, 0x33, 0x44, // mutable: data zeroed
    ];
    let exts: Vec<u8> = hbh.iter().chain(&dest).copied().collect();
    let mut want = exts.clone();
    want[9..12].fill(0);
    want[20..24].fill(0);
    let mut h = v6(0, &exts);
    zero_ipv6(&mut h).unwrap();
    assert_eq!(h, v6_zeroed(0, &want));

    // An immutable unknown option (0x1f) and the CALIPSO-style 0x07 are
    // kept; 0xff (discard, mutable) loses its data only.
    let dest = [
        51, 1, 0x1f, 0x02, 0x01, 0x02, 0x07, 0x02, 0x03, 0x04, 0xff, 0x02, 0x05, 0x06, 0x00, 0x00,
    ];
    let mut want = dest;
    want[12..14].fill(0);
    let mut h = v6(60, &dest);
    zero_ipv6(&mut h).unwrap();
    assert_eq!(h, v6_zeroed(60, &want));
}

/// A type `ty` Routing header with `addrs` and `left` segments left, next
/// header `nh`.
fn routing(nh: u8, ty: u8, left: u8, addrs: &[[u8; 16]]) -> Vec<u8> {
    let units = u8::try_from(addrs.len() * 2).unwrap();
    let mut r = vec![nh, units, ty, left, 0, 0, 0, 0];
    for a in addrs {
        r.extend_from_slice(a);
    }
    r
}

/// RFC 2460 section 4.4 type 0 processing at each hop until segments left
/// is 0: what the final destination receives (destination, addresses).
fn route_to_the_end(
    mut dst: [u8; 16],
    mut addrs: Vec<[u8; 16]>,
    mut left: usize,
) -> ([u8; 16], Vec<[u8; 16]>) {
    let n = addrs.len();
    while left > 0 {
        let i = n - left;
        core::mem::swap(&mut dst, &mut addrs[i]);
        left -= 1;
    }
    (dst, addrs)
}

#[test]
fn ipv6_routing_header_rearranged() {
    // Three addresses, two segments left: [A1, D, A2] to A3 at the end.
    let rt = routing(51, 0, 2, &[addr(1), addr(2), addr(3)]);
    let mut h = v6(43, &rt);
    zero_ipv6(&mut h).unwrap();
    let mut want = v6_zeroed(43, &routing(51, 0, 0, &[addr(1), DST6, addr(2)]));
    want[24..40].copy_from_slice(&addr(3));
    assert_eq!(h, want);

    // The model agrees for every length and every segments left.
    for n in 1..=6u8 {
        let addrs: Vec<[u8; 16]> = (1..=n).map(addr).collect();
        for left in 0..=n {
            let mut h = v6(43, &routing(51, 0, left, &addrs));
            zero_ipv6(&mut h).unwrap();
            let (dst, end) = route_to_the_end(DST6, addrs.clone(), usize::from(left));
            let mut want = v6_zeroed(43, &routing(51, 0, 0, &end));
            want[24..40].copy_from_slice(&dst);
            assert_eq!(h, want, "{n} addresses, {left} left");
        }
    }
}

#[test]
fn ipv6_routing_header_other_types() {
    // Type 2 (Mobile IPv6): care-of address in the header, home address
    // in the Routing header; hashed with them swapped.
    let mut h = v6(43, &routing(51, 2, 1, &[addr(7)]));
    zero_ipv6(&mut h).unwrap();
    let mut want = v6_zeroed(43, &routing(51, 2, 0, &[DST6]));
    want[24..40].copy_from_slice(&addr(7));
    assert_eq!(h, want);

    // Segments left 0: untouched, whatever the type (here a segment
    // routing header, type 4).
    let srh = routing(51, 4, 0, &[addr(1), addr(2)]);
    let mut h = v6(43, &srh);
    zero_ipv6(&mut h).unwrap();
    assert_eq!(h, v6_zeroed(43, &srh));

    // Any type is read as type 0, as Linux does (type 4 here).
    let mut h = v6(43, &routing(51, 4, 1, &[addr(1), addr(2)]));
    zero_ipv6(&mut h).unwrap();
    let mut want = v6_zeroed(43, &routing(51, 4, 0, &[addr(1), DST6]));
    want[24..40].copy_from_slice(&addr(2));
    assert_eq!(h, want);

    // An odd header length: hdrlen 5 is 2 addresses and 8 spare bytes,
    // which stay.
    let mut rt = routing(51, 0, 2, &[addr(1), addr(2)]);
    rt[1] = 5;
    rt.extend_from_slice(&[0x99; 8]);
    let mut h = v6(43, &rt);
    zero_ipv6(&mut h).unwrap();
    let mut want_rt = routing(51, 0, 0, &[DST6, addr(1)]);
    want_rt[1] = 5;
    want_rt.extend_from_slice(&[0x99; 8]);
    let mut want = v6_zeroed(43, &want_rt);
    want[24..40].copy_from_slice(&addr(2));
    assert_eq!(h, want);
}

#[test]
fn ipv6_segments_left_beyond_addresses() {
    let mut h = v6(43, &routing(51, 0, 3, &[addr(1), addr(2)]));
    assert_eq!(zero_ipv6(&mut h), Err(MutableError::SegmentsLeft));
    let mut h = v6(43, &routing(51, 0, 1, &[]));
    assert_eq!(zero_ipv6(&mut h), Err(MutableError::SegmentsLeft));
    let mut rt = routing(51, 0, 3, &[addr(1), addr(2)]);
    rt[1] = 5;
    rt.extend_from_slice(&[0; 8]);
    assert_eq!(zero_ipv6(&mut v6(43, &rt)), Err(MutableError::SegmentsLeft));
}

#[test]
fn ipv6_malformed_options() {
    let cases: [&[u8]; 4] = [
        // Data runs past the header.
        &[51, 0, 0x3e, 0x05, 0xaa, 0xbb, 0xcc, 0xdd],
        &[51, 0, 0x01, 0x07, 0, 0, 0, 0],
        // The last byte starts an option with no length byte.
        &[51, 0, 0x01, 0x03, 0x00, 0x00, 0x00, 0x3e],
        // A good header, then a bad one.
        &[60, 0, 0x01, 0x04, 0, 0, 0, 0, 51, 0, 0x01, 0x05, 0, 0, 0, 0],
    ];
    for exts in cases {
        for nh in [0, 60] {
            assert_eq!(
                zero_ipv6(&mut v6(nh, exts)),
                Err(MutableError::OptionOverrun),
                "{exts:x?}"
            );
        }
    }
}

#[test]
fn ipv6_malformed_chains() {
    // A 16-byte header with 8 bytes before AH.
    let mut h = v6(0, &[51, 1, 0x01, 0x04, 0, 0, 0, 0]);
    assert_eq!(zero_ipv6(&mut h), Err(MutableError::ExtOverrun));
    // One byte: no length byte.
    let mut h = v6(60, &[51]);
    assert_eq!(zero_ipv6(&mut h), Err(MutableError::ExtOverrun));
    // A Routing header cut short.
    let mut rt = routing(51, 0, 1, &[addr(1)]);
    rt.truncate(20);
    assert_eq!(zero_ipv6(&mut v6(43, &rt)), Err(MutableError::ExtOverrun));
    let mut h = v6(51, &[]);
    h[0] = 0x45;
    assert_eq!(zero_ipv6(&mut h), Err(MutableError::Version));
    assert_eq!(zero_ipv6(&mut [0x60; 39]), Err(MutableError::Truncated));
    assert_eq!(zero_ipv6(&mut []), Err(MutableError::Truncated));
}

#[test]
fn ipv6_walk_stops_at_other_headers() {
    // A Fragment header before the end: left as is, as Linux does.
    let exts = [51, 0, 0x3e, 0x02, 0xaa, 0xbb, 0x01, 0x00];
    let mut h = v6(44, &exts);
    zero_ipv6(&mut h).unwrap();
    assert_eq!(h, v6_zeroed(44, &exts));
    // Hop-by-Hop, then an unknown header: the first is treated.
    let exts = [
        99, 0, 0x3e, 0x04, 1, 2, 3, 4, // Hop-by-Hop, next 99
        0x3e, 0x04, 1, 2, 3, 4, 5, 6, // not options
    ];
    let mut h = v6(0, &exts);
    zero_ipv6(&mut h).unwrap();
    let mut want = exts;
    want[4..8].fill(0);
    assert_eq!(h, v6_zeroed(0, &want));
}

#[test]
fn ipv6_longest_options_header() {
    // hdrlen 255: 2048 bytes; eight 255-byte mutable options and a PadN.
    let mut hbh = vec![51, 255];
    for _ in 0..8 {
        hbh.extend_from_slice(&[0x3e, 253]);
        hbh.extend_from_slice(&[0xa5; 253]);
    }
    hbh.extend_from_slice(&[0x01, 0x04, 0x5a, 0x5a, 0x5a, 0x5a]);
    assert_eq!(hbh.len(), 2048);
    let mut want = hbh.clone();
    for i in 0..8 {
        let start = 2 + i * 255 + 2;
        want[start..start + 253].fill(0);
    }
    let mut h = v6(0, &hbh);
    zero_ipv6(&mut h).unwrap();
    assert_eq!(h, v6_zeroed(0, &want));
    // All Pad1.
    let mut pads = vec![51, 255];
    pads.resize(2048, 0);
    let mut h = v6(60, &pads);
    zero_ipv6(&mut h).unwrap();
    assert_eq!(h, v6_zeroed(60, &pads));
}

/// An AH header with a 12-byte ICV of 0xcc and next header `nh`.
fn ah(nh: u8) -> Vec<u8> {
    let mut a = vec![nh, 4, 0, 0, 0, 0, 0x10, 0x01, 0, 0, 0, 1];
    a.extend_from_slice(&[0xcc; 12]);
    a
}

#[test]
fn locate_ipv4() {
    let mut p = v4(&[0x01; 8]);
    p.extend(ah(6));
    assert_eq!(
        locate_ah(&p),
        Ok(AhAt {
            v6: false,
            offset: 28,
            nexthdr_at: 9
        })
    );
    // Only the header need be there.
    assert_eq!(locate_ah(&p[..28]).map(|a| a.offset), Ok(28));
    let mut tcp = p.clone();
    tcp[9] = 6;
    assert_eq!(locate_ah(&tcp), Err(MutableError::NoAh));
    for frag in [0x2000u16, 0x0001, 0x3fff] {
        let mut f = p.clone();
        f[6..8].copy_from_slice(&frag.to_be_bytes());
        assert_eq!(locate_ah(&f), Err(MutableError::Fragment), "{frag:#x}");
    }
    assert_eq!(locate_ah(&p[..27]), Err(MutableError::Truncated));
    assert_eq!(locate_ah(&p[..19]), Err(MutableError::Truncated));
    p[0] = 0x44;
    assert_eq!(locate_ah(&p), Err(MutableError::HeaderLen));
    assert_eq!(locate_ah(&[]), Err(MutableError::Truncated));
    assert_eq!(locate_ah(&[0x50; 40]), Err(MutableError::Version));
}

#[test]
fn locate_ipv6() {
    let p = v6(51, &ah(6));
    assert_eq!(
        locate_ah(&p),
        Ok(AhAt {
            v6: true,
            offset: 40,
            nexthdr_at: 6
        })
    );
    let hbh = [43, 0, 0x01, 0x04, 0, 0, 0, 0];
    let rt = routing(60, 0, 0, &[addr(1)]);
    let dest = [51, 0, 0x01, 0x04, 0, 0, 0, 0];
    let exts: Vec<u8> = hbh
        .iter()
        .chain(&rt)
        .chain(&dest)
        .copied()
        .chain(ah(6))
        .collect();
    let p = v6(0, &exts);
    assert_eq!(
        locate_ah(&p),
        Ok(AhAt {
            v6: true,
            offset: 40 + 8 + 24 + 8,
            nexthdr_at: 72
        })
    );
    // A Fragment header, then AH: not reassembled.
    let p = v6(44, &[51, 0, 0, 1, 0, 0, 0, 1]);
    assert_eq!(locate_ah(&p), Err(MutableError::Fragment));
    assert_eq!(locate_ah(&v6(6, &[])), Err(MutableError::NoAh));
    assert_eq!(locate_ah(&v6(50, &[])), Err(MutableError::NoAh));
    // The chain runs out.
    assert_eq!(
        locate_ah(&v6(0, &[51, 1, 0, 0, 0, 0, 0, 0])),
        Err(MutableError::Truncated)
    );
    assert_eq!(locate_ah(&v6(0, &[])), Err(MutableError::Truncated));
    assert_eq!(locate_ah(&[0x60; 39]), Err(MutableError::Truncated));
}

#[test]
fn zero_mutable_ipv6_packet() {
    // Hop-by-Hop with a mutable option, a type 0 Routing header with one
    // segment left, Destination Options with a mutable option, AH, TCP.
    let hbh = [43, 0, 0x3e, 0x02, 0xaa, 0xbb, 0x01, 0x00];
    let rt = routing(60, 0, 1, &[addr(9)]);
    let dest = [51, 0, 0x3e, 0x04, 0x11, 0x22, 0x33, 0x44];
    let payload = [0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04];
    let build = |hbh: &[u8], rt: &[u8], dest: &[u8]| -> Vec<u8> {
        hbh.iter()
            .chain(rt)
            .chain(dest)
            .copied()
            .chain(ah(6))
            .chain(payload)
            .collect()
    };
    let mut p = v6(0, &build(&hbh, &rt, &dest));
    let at = zero_mutable(&mut p, Ipv4Rules::LINUX, Direction::Output).unwrap();
    assert_eq!((at.v6, at.offset, at.nexthdr_at), (true, 80, 72));

    let want_hbh = [43, 0, 0x3e, 0x02, 0, 0, 0x01, 0x00];
    let want_rt = routing(60, 0, 0, &[DST6]);
    let want_dest = [51, 0, 0x3e, 0x04, 0, 0, 0, 0];
    let mut want = v6_zeroed(0, &build(&want_hbh, &want_rt, &want_dest));
    want[24..40].copy_from_slice(&addr(9));
    assert_eq!(p, want);

    // The receiver sees segments left 0 and the final destination: the
    // same bytes.
    let mut r = v6(0, &build(&hbh, &want_rt, &dest));
    r[24..40].copy_from_slice(&addr(9));
    zero_mutable(&mut r, Ipv4Rules::LINUX, Direction::Input).unwrap();
    assert_eq!(r, want);

    // Then the ICV: zeroed, the rest of AH and the payload as they were.
    let mut hdr = super::super::AhHeader::new_checked(&mut p[at.offset..]).unwrap();
    hdr.zero_icv(12).unwrap();
    assert_eq!(p[80..92], ah(6)[..12]);
    assert!(p[92..104].iter().all(|&b| b == 0));
    assert_eq!(p[104..], payload);
}

#[test]
fn zero_mutable_ipv4_packet() {
    let opts = [0x01, 0x83, 0x07, 0x04, 192, 0, 2, 7];
    let mut p = v4(&opts);
    p.extend(ah(6));
    let sent = p.clone();
    let at = zero_mutable(&mut p, Ipv4Rules::LINUX, Direction::Output).unwrap();
    assert_eq!((at.v6, at.offset, at.nexthdr_at), (false, 28, 9));
    let mut want = v4_zeroed(&[0x01, 0, 0, 0, 0, 0, 0, 0]);
    want[16..20].copy_from_slice(&[192, 0, 2, 7]);
    want.extend(ah(6));
    assert_eq!(p, want);

    // At the final destination the header already says 192.0.2.7.
    let mut r = sent;
    r[16..20].copy_from_slice(&[192, 0, 2, 7]);
    zero_mutable(&mut r, Ipv4Rules::LINUX, Direction::Input).unwrap();
    assert_eq!(r, want);

    // Errors come through.
    let mut bad = v4(&[0x44, 0x01, 0, 0]);
    bad.extend(ah(6));
    assert_eq!(
        zero_mutable(&mut bad, Ipv4Rules::LINUX, Direction::Input),
        Err(MutableError::OptionLen)
    );
    let mut no_ah = v4(&[]);
    no_ah[9] = 6;
    assert_eq!(
        zero_mutable(&mut no_ah, Ipv4Rules::LINUX, Direction::Input),
        Err(MutableError::NoAh)
    );
}
