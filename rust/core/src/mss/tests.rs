// SPDX-License-Identifier: GPL-2.0

//! MSS clamping tests: the checksum after an incremental update equals a
//! full recomputation.

use super::*;
use crate::ipview::checksum;

/// The TCP checksum over an IPv4 pseudo header and `tcp`.
fn full_sum(tcp: &[u8]) -> u16 {
    let mut buf = vec![10, 0, 0, 1, 10, 0, 0, 2, 0, 6];
    buf.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
    buf.extend_from_slice(tcp);
    buf[12 + 16] = 0;
    buf[12 + 17] = 0;
    checksum(&buf)
}

/// A TCP segment with `flags`, the options `opts` and 5 data bytes, with
/// a valid checksum.
fn segment(flags: u8, opts: &[u8]) -> Vec<u8> {
    let doff = 20 + opts.len();
    assert_eq!(doff % 4, 0);
    let mut t = vec![0u8; 20];
    t[0..2].copy_from_slice(&40000u16.to_be_bytes());
    t[2..4].copy_from_slice(&5001u16.to_be_bytes());
    t[12] = ((doff / 4) as u8) << 4;
    t[13] = flags;
    t.extend_from_slice(opts);
    t.extend_from_slice(b"hello");
    let sum = full_sum(&t);
    t[16..18].copy_from_slice(&sum.to_be_bytes());
    t
}

fn mss_of(t: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([t[at], t[at + 1]])
}

#[test]
fn syn_mss_is_lowered_and_the_checksum_stays_valid() {
    let mut t = segment(SYN, &[2, 4, 0x05, 0xb4, 1, 1, 4, 2]);
    assert_eq!(clamp_mss(&mut t, 1400), Some(1460));
    assert_eq!(mss_of(&t, 22), 1400);
    assert_eq!(u16::from_be_bytes([t[16], t[17]]), full_sum(&t));
}

#[test]
fn mss_at_an_odd_offset() {
    // NOP first: the MSS value starts at byte 23.
    let mut t = segment(SYN | 0x10, &[1, 2, 4, 0x05, 0xb4, 1, 1, 0]);
    assert_eq!(clamp_mss(&mut t, 1357), Some(1460));
    assert_eq!(mss_of(&t, 23), 1357);
    assert_eq!(u16::from_be_bytes([t[16], t[17]]), full_sum(&t));
}

#[test]
fn many_values_keep_the_checksum_valid() {
    for mss in [536u16, 1000, 1460, 8960, 65535] {
        for max in [1, 500, 1300, 1440, 65534] {
            let mut t = segment(SYN, &[4, 2, 2, 4, (mss >> 8) as u8, mss as u8, 1, 1]);
            let got = clamp_mss(&mut t, max);
            assert_eq!(got, (mss > max).then_some(mss));
            assert_eq!(mss_of(&t, 24), mss.min(max));
            assert_eq!(
                u16::from_be_bytes([t[16], t[17]]),
                full_sum(&t),
                "{mss} -> {max}"
            );
        }
    }
}

#[test]
fn left_alone() {
    // Not a SYN.
    let mut ack = segment(0x10, &[2, 4, 0x05, 0xb4]);
    let copy = ack.clone();
    assert_eq!(clamp_mss(&mut ack, 1000), None);
    assert_eq!(ack, copy);
    // Already small enough.
    let mut small = segment(SYN, &[2, 4, 0x02, 0x00]);
    assert_eq!(clamp_mss(&mut small, 1000), None);
    // No MSS option; end of options before it; malformed lengths.
    for opts in [
        &[1, 1, 1, 1][..],
        &[0, 2, 4, 5, 0xb4, 0, 0, 0][..],
        &[3, 0, 2, 4, 5, 0xb4, 0, 0][..],
        &[3, 9, 2, 4][..],
        &[2, 3, 5, 0xb4][..],
    ] {
        let mut t = segment(SYN, opts);
        let copy = t.clone();
        assert_eq!(clamp_mss(&mut t, 100), None, "{opts:?}");
        assert_eq!(t, copy);
    }
    // Truncated and garbage input never panics.
    for n in 0..30 {
        let mut t = segment(SYN, &[2, 4, 0x05, 0xb4]);
        t.truncate(n);
        let _ = clamp_mss(&mut t, 100);
    }
    let mut bad_doff = segment(SYN, &[2, 4, 0x05, 0xb4]);
    bad_doff[12] = 0xf0;
    assert_eq!(clamp_mss(&mut bad_doff, 100), None);
}
