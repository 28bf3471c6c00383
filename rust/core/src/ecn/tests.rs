// SPDX-License-Identifier: GPL-2.0

//! RFC 6040 tables: all 16 decapsulation combinations, both encapsulation
//! modes, and the TOS-byte helpers.

use super::*;

use Ecn::{Ce, Ect0, Ect1, NotEct};

#[test]
fn from_tos_and_bits() {
    for e in Ecn::ALL {
        assert_eq!(Ecn::from_tos(e.bits()), e);
        assert_eq!(Ecn::from_tos(0xfc | e.bits()), e);
    }
    assert_eq!(Ecn::from_tos(0xb8), NotEct);
    assert_eq!(Ecn::from_tos(0xba), Ect0);
    assert!(!NotEct.is_ect() && Ect0.is_ect() && Ect1.is_ect() && Ce.is_ect());
}

#[test]
fn tos_helpers() {
    // EF (46) with ECT(0).
    let tos = 0xba;
    assert_eq!(dscp(tos), 46);
    assert_eq!(with_ecn(tos, Ce), 0xbb);
    assert_eq!(with_ecn(tos, NotEct), 0xb8);
    assert_eq!(with_dscp(tos, 10), (10 << 2) | 2);
    assert_eq!(with_dscp(tos, 0xff), 0xfe);
}

#[test]
fn encapsulation_table() {
    // RFC 6040 Figure 3: (incoming, outer in normal mode, outer in
    // compatibility mode).
    let table = [
        (NotEct, NotEct, NotEct),
        (Ect0, Ect0, NotEct),
        (Ect1, Ect1, NotEct),
        (Ce, Ce, NotEct),
    ];
    for (inner, normal, compat) in table {
        assert_eq!(encapsulate(inner, EncapMode::Normal), normal, "{inner:?}");
        assert_eq!(encapsulate(inner, EncapMode::Compatibility), compat);
    }
    assert_eq!(EncapMode::from_knob(true), EncapMode::Normal);
    assert_eq!(EncapMode::from_knob(false), EncapMode::Compatibility);
}

#[test]
fn encapsulate_tos_copies_dscp() {
    for e in Ecn::ALL {
        let inner = with_ecn(46 << 2, e);
        assert_eq!(encapsulate_tos(inner, EncapMode::Normal), inner);
        assert_eq!(encapsulate_tos(inner, EncapMode::Compatibility), 46 << 2);
    }
}

/// RFC 6040 Figure 4, rows inner, columns outer Not-ECT, ECT(0), ECT(1),
/// CE; `None` is drop; the bool is "(!!!)".
type Cell = (Option<Ecn>, bool);

const DECAP: [(Ecn, [Cell; 4]); 4] = [
    (
        NotEct,
        [
            (Some(NotEct), false),
            (Some(NotEct), true),
            (Some(NotEct), true),
            (None, true),
        ],
    ),
    (
        Ect0,
        [
            (Some(Ect0), false),
            (Some(Ect0), false),
            (Some(Ect1), false),
            (Some(Ce), false),
        ],
    ),
    (
        Ect1,
        [
            (Some(Ect1), false),
            (Some(Ect1), false),
            (Some(Ect1), false),
            (Some(Ce), false),
        ],
    ),
    (
        Ce,
        [
            (Some(Ce), false),
            (Some(Ce), false),
            (Some(Ce), true),
            (Some(Ce), false),
        ],
    ),
];

#[test]
fn decapsulation_table_all_16() {
    let outers = [NotEct, Ect0, Ect1, Ce];
    let mut n = 0;
    for (inner, row) in DECAP {
        for (outer, (want, unexpected)) in outers.into_iter().zip(row) {
            let got = decapsulate(inner, outer).ok();
            assert_eq!(got, want, "inner {inner:?} outer {outer:?}");
            assert_eq!(
                decapsulate_is_unexpected(inner, outer),
                unexpected,
                "inner {inner:?} outer {outer:?}"
            );
            n += 1;
        }
    }
    assert_eq!(n, 16);
}

#[test]
fn decapsulate_tos_bytes() {
    // DSCP kept by default, taken from the outer header on request.
    let inner = (10 << 2) | Ect0.bits();
    let outer = (46 << 2) | Ce.bits();
    assert_eq!(decapsulate_tos(inner, outer, false), Ok((10 << 2) | 3));
    assert_eq!(decapsulate_tos(inner, outer, true), Ok((46 << 2) | 3));
    assert_eq!(decapsulate_tos(10 << 2, outer, false), Err(EcnDrop));
    assert_eq!(decapsulate_tos(10 << 2, 46 << 2, true), Ok(46 << 2));
}

#[test]
fn round_trip_normal_mode_is_identity() {
    for e in Ecn::ALL {
        let outer = encapsulate(e, EncapMode::Normal);
        assert_eq!(decapsulate(e, outer), Ok(e));
        // Compatibility mode never loses the inner marking either.
        let outer = encapsulate(e, EncapMode::Compatibility);
        assert_eq!(decapsulate(e, outer), Ok(e));
    }
}
