// SPDX-License-Identifier: GPL-2.0

use super::*;

#[test]
fn deflate_is_known_with_linux_threshold() {
    let a = comp_alg(2).unwrap();
    assert_eq!(a.id, CompAlg::DEFLATE);
    assert_eq!(a.crypto_name, c"deflate");
    assert_eq!(a.threshold, 90);
    assert!(comp_alg(0).is_none());
    assert!(comp_alg(1).is_none());
    assert!(comp_alg(5).is_none());
    assert_eq!(comp_alg(3).unwrap().crypto_name, c"lzs");
}

#[test]
fn cpi_is_sixteen_bits_and_not_zero() {
    assert_eq!(cpi_of(0x4001), Some(0x4001));
    assert_eq!(cpi_of(0xffff), Some(0xffff));
    assert_eq!(cpi_of(0x1_0000), None);
    assert_eq!(cpi_of(0), None);
}

#[test]
fn header_round_trips() {
    let h = IpcompHeader {
        next_header: 6,
        cpi: 0x4001,
    };
    let mut b = [0xaau8; 6];
    h.emit(&mut b).unwrap();
    assert_eq!(b[..4], [6, 0, 0x40, 0x01]);
    assert_eq!(IpcompHeader::parse(&b).unwrap(), h);
}

#[test]
fn header_refuses_truncation_and_zero_cpi() {
    for n in 0..IPCOMP_HDR_LEN {
        assert_eq!(
            IpcompHeader::parse(&[4, 0, 0, 1][..n]),
            Err(IpcompError::Truncated)
        );
    }
    assert_eq!(
        IpcompHeader::parse(&[4, 0, 0, 0]),
        Err(IpcompError::Invalid)
    );
    let mut short = [0u8; 3];
    let h = IpcompHeader {
        next_header: 4,
        cpi: 1,
    };
    assert_eq!(h.emit(&mut short), Err(IpcompError::Truncated));
}

#[test]
fn reserved_flags_are_ignored() {
    let h = IpcompHeader::parse(&[17, 0xff, 0x12, 0x34]).unwrap();
    assert_eq!(h.next_header, 17);
    assert_eq!(h.cpi, 0x1234);
}

#[test]
fn threshold_and_shrink_rules() {
    let d = comp_alg(2).unwrap();
    assert!(!worth_compressing(d, 89));
    assert!(worth_compressing(d, 90));
    // 100 bytes: a compressed form of 95 bytes plus the header would be
    // 99 < 100, so at most 95.
    assert_eq!(compressed_room(100), 95);
    assert_eq!(compressed_room(5), 0);
    assert_eq!(compressed_room(0), 0);
}

#[test]
fn decompressed_limit_keeps_packet_within_ip() {
    assert_eq!(max_decompressed(false, 20), 65515);
    assert_eq!(max_decompressed(false, 60), 65475);
    assert_eq!(max_decompressed(true, 40), 65535);
    assert_eq!(max_decompressed(true, 48), 65527);
}
