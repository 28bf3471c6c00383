// SPDX-License-Identifier: GPL-2.0

//! Prefix length bookkeeping tests.

use super::*;

#[test]
fn masked_clears_the_host_bits() {
    let a = Addr::V4([10, 1, 2, 255]);
    assert_eq!(masked(&a, 24), Some(Addr::V4([10, 1, 2, 0])));
    assert_eq!(masked(&a, 32), Some(a));
    assert_eq!(masked(&a, 0), Some(Addr::V4([0; 4])));
    assert_eq!(masked(&a, 20), Some(Addr::V4([10, 1, 0, 0])));
    assert_eq!(masked(&a, 31), Some(Addr::V4([10, 1, 2, 254])));
    assert_eq!(masked(&a, 33), None);
    let mut o = [0xffu8; 16];
    let six = Addr::V6(o);
    o[8..].fill(0);
    o[7] = 0xfe;
    assert_eq!(masked(&six, 63), Some(Addr::V6(o)));
    assert_eq!(masked(&six, 128), Some(six));
    assert_eq!(masked(&six, 129), None);
}

#[test]
fn masked_agrees_with_prefix_matching() {
    // Every address of a prefix masks to the prefix's network.
    let net = Addr::V4([192, 168, 8, 0]);
    for last in [0u8, 1, 77, 255] {
        for third in [8u8, 9, 15] {
            let a = Addr::V4([192, 168, third, last]);
            assert_eq!(masked(&a, 21), masked(&net, 21));
        }
    }
    assert_ne!(masked(&Addr::V4([192, 168, 16, 1]), 21), masked(&net, 21));
}

#[test]
fn lengths_in_use_are_counted_per_direction_and_family() {
    let mut p = PrefixLengths::new();
    assert_eq!(p.in_use(2, false).count(), 0);
    assert!(p.add(2, false, 24));
    assert!(p.add(2, false, 24));
    assert!(p.add(2, false, 32));
    assert!(p.add(2, false, 0));
    assert!(p.add(1, false, 16));
    assert!(p.add(2, true, 64));
    assert_eq!(p.in_use(2, false).collect::<Vec<_>>(), [32, 24, 0]);
    assert_eq!(p.in_use(1, false).collect::<Vec<_>>(), [16]);
    assert_eq!(p.in_use(2, true).collect::<Vec<_>>(), [64]);
    p.remove(2, false, 24);
    assert_eq!(p.in_use(2, false).collect::<Vec<_>>(), [32, 24, 0]);
    p.remove(2, false, 24);
    assert_eq!(p.in_use(2, false).collect::<Vec<_>>(), [32, 0]);
    // Removing what is not there leaves the counts alone.
    p.remove(3, true, 128);
    assert_eq!(p.in_use(3, true).count(), 0);
}

#[test]
fn out_of_range_is_not_counted() {
    let mut p = PrefixLengths::new();
    assert!(!p.add(4, false, 24));
    assert!(!p.add(2, false, 33));
    assert!(!p.add(2, true, 129));
    assert!(p.add(3, true, 128));
    assert_eq!(p.in_use(3, true).collect::<Vec<_>>(), [128]);
    assert_eq!(p.in_use(9, false).count(), 0);
    assert_eq!(p.in_use(9, true).count(), 0);
}

#[test]
fn lengths_in_use_follow_the_counts_across_word_boundaries() {
    // A small xorshift, so the sequence is the same on every run.
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut p = PrefixLengths::new();
    let mut counts = [[[0u32; 129]; 4]; 2];
    let edges = [0u8, 1, 31, 32, 63, 64, 65, 127, 128];
    for _ in 0..5000 {
        let r = next();
        let v6 = r & 1 == 1;
        let dir = ((r >> 1) % 4) as u8;
        let max = if v6 { 128 } else { 32 };
        let plen = if (r >> 4) % 2 == 0 {
            edges[((r >> 8) % edges.len() as u64) as usize].min(max)
        } else {
            ((r >> 16) % (u64::from(max) + 1)) as u8
        };
        let c = &mut counts[usize::from(v6)][usize::from(dir)][usize::from(plen)];
        if (r >> 32) % 3 == 0 {
            p.remove(dir, v6, plen);
            *c = c.saturating_sub(1);
        } else {
            assert!(p.add(dir, v6, plen));
            *c += 1;
        }
        let want: Vec<u8> = (0..=max)
            .rev()
            .filter(|l| counts[usize::from(v6)][usize::from(dir)][usize::from(*l)] > 0)
            .collect();
        assert_eq!(p.in_use(dir, v6).collect::<Vec<_>>(), want);
    }
}
