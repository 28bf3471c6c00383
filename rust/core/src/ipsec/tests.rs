// SPDX-License-Identifier: GPL-2.0

//! `linux/ipsec.h` number tests.

use super::*;

#[test]
fn numbers_match_ipsec_h() {
    assert_eq!(IpsecMode::TRANSPORT.0, 1);
    assert_eq!(IpsecMode::TUNNEL.0, 2);
    assert_eq!(IpsecDir::INBOUND.0, 1);
    assert_eq!(IpsecDir::OUTBOUND.0, 2);
    assert_eq!(IpsecDir::FWD.0, 3);
    assert_eq!(PolicyType::IPSEC.0, 2);
    assert_eq!(IpsecLevel::UNIQUE.0, 3);
    assert_eq!(IPSEC_MANUAL_REQID_MAX, 0x3fff);
}

#[test]
fn names_and_unknowns() {
    assert_eq!(IpsecMode::TUNNEL.name(), Some("TUNNEL"));
    assert_eq!(format!("{:?}", IpsecDir::FWD), "FWD");
    assert_eq!(format!("{:?}", IpsecMode(9)), "IpsecMode(9)");
    assert!(IpsecLevel::REQUIRE < IpsecLevel::UNIQUE);
}
