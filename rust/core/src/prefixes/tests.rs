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
