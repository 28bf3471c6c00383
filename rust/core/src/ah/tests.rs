// SPDX-License-Identifier: GPL-2.0

//! AH format tests: the header view on captured-style bytes, truncation,
//! the length check against every algorithm's ICV over IPv4 and IPv6
//! (RFC 4302 and Linux's padding), writing headers, the ICV length table
//! and the ESN suffix.

use super::super::algs::{algs, lookup, lookup_name, AlgKind};
use super::super::pfkey::consts::EncAlg;
use super::*;

/// An AH header with HMAC-SHA1-96 (24 bytes, no padding), then 4 bytes of
/// TCP: next header 6, payload length 4, SPI 0x1001, sequence 42.
const SHA1_AH: [u8; 28] = [
    6, 4, 0, 0, 0x00, 0x00, 0x10, 0x01, 0x00, 0x00, 0x00, 0x2a, // fixed
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, // ICV
    0xde, 0xad, 0xbe, 0xef, // payload
];

/// Every AH algorithm's setkey name and ICV length in bytes (RFC 2404,
/// 2403, 4868, 3566, 4494).
const ICV_LENS: [(&str, usize); 7] = [
    ("hmac-md5", 12),
    ("hmac-sha1", 12),
    ("hmac-sha256", 16),
    ("hmac-sha384", 24),
    ("hmac-sha512", 32),
    ("aes-xcbc-mac", 12),
    ("aes-cmac", 12),
];

fn auth_icv(name: &str) -> usize {
    icv_len(lookup_name(AlgKind::Auth, name).unwrap()).unwrap()
}

#[test]
fn header_view() {
    let h = AhHeader::new_checked(&SHA1_AH[..]).unwrap();
    assert_eq!(h.next_header(), 6);
    assert_eq!(h.payload_len_field(), 4);
    assert_eq!(h.header_len(), 24);
    assert_eq!(h.reserved(), 0);
    assert_eq!(h.spi(), 0x1001);
    assert_eq!(h.seq(), 42);
    assert_eq!(h.icv(12), Some(&SHA1_AH[12..24]));
    assert_eq!(h.icv(13), None);
    assert_eq!(h.icv_and_padding(), &SHA1_AH[12..24]);
    assert_eq!(h.payload(), &[0xde, 0xad, 0xbe, 0xef]);
    assert_eq!(h.check_len(12, false), Ok(()));
    assert_eq!(h.check_len(12, true), Ok(()));
    assert_eq!(h.into_inner(), &SHA1_AH[..]);
    // The reserved field is read, not judged.
    let mut r = SHA1_AH;
    r[2..4].copy_from_slice(&[0x12, 0x34]);
    assert_eq!(AhHeader::new_checked(&r[..]).unwrap().reserved(), 0x1234);
}

#[test]
fn truncated_headers() {
    for n in 0..24 {
        assert_eq!(
            AhHeader::new_checked(&SHA1_AH[..n]),
            Err(AhError::Truncated),
            "{n} bytes"
        );
    }
    let h = AhHeader::new_checked(&SHA1_AH[..24]).unwrap();
    assert_eq!(h.payload(), &[] as &[u8]);
    // The payload length says more than there is.
    let mut long = SHA1_AH;
    long[1] = 6;
    assert_eq!(AhHeader::new_checked(&long[..]), Err(AhError::Truncated));
    long[1] = 255;
    assert_eq!(AhHeader::new_checked(&long[..]), Err(AhError::Truncated));
    // Payload length 0 is 8 bytes: less than the fixed header.
    let mut short = SHA1_AH;
    short[1] = 0;
    assert_eq!(AhHeader::new_checked(&short[..]), Err(AhError::TooShort));
    // Payload length 1: the fixed header alone, no ICV.
    short[1] = 1;
    let h = AhHeader::new_checked(&short[..12]).unwrap();
    assert_eq!(h.header_len(), 12);
    assert_eq!(h.icv(0), Some(&[] as &[u8]));
    assert_eq!(h.icv(1), None);
    assert_eq!(h.check_len(12, false), Err(AhError::IcvLength));
}

#[test]
fn longest_header() {
    let mut b = vec![0u8; AH_MAX_LEN];
    b[1] = 255;
    let h = AhHeader::new_checked(&b[..]).unwrap();
    assert_eq!(h.header_len(), 1028);
    assert_eq!(h.icv_and_padding().len(), 1016);
    assert_eq!(h.check_len(1016, false), Ok(()));
    assert_eq!(h.check_len(1016, true), Err(AhError::IcvLength));
    assert_eq!(AhHeader::new_checked(&b[..1027]), Err(AhError::Truncated));
}

/// A header of `len` bytes (a multiple of 4) for the length checks.
fn header_of(len: usize) -> Vec<u8> {
    let mut b = vec![0u8; len];
    b[1] = u8::try_from(len / 4 - 2).unwrap();
    b
}

#[test]
fn length_against_every_algorithm() {
    // (name, IPv4 lengths accepted, IPv6 length accepted): RFC 4302
    // padding, and Linux's 8-byte padding over IPv4 as well.
    let cases = [
        ("hmac-md5", &[24][..], 24),
        ("hmac-sha1", &[24], 24),
        ("hmac-sha256", &[28, 32], 32),
        ("hmac-sha384", &[36, 40], 40),
        ("hmac-sha512", &[44, 48], 48),
        ("aes-xcbc-mac", &[24], 24),
        ("aes-cmac", &[24], 24),
    ];
    for (name, v4_ok, v6_ok) in cases {
        let icv = auth_icv(name);
        for len in (12..=64).step_by(4) {
            let b = header_of(len);
            let h = AhHeader::new_checked(&b[..]).unwrap();
            let want4 = if v4_ok.contains(&len) {
                Ok(())
            } else {
                Err(AhError::IcvLength)
            };
            let want6 = if len == v6_ok {
                Ok(())
            } else {
                Err(AhError::IcvLength)
            };
            assert_eq!(h.check_len(icv, false), want4, "{name} IPv4 {len}");
            assert_eq!(h.check_len(icv, true), want6, "{name} IPv6 {len}");
        }
    }
    // A header sized for the untruncated SHA-1 digest (12 + 20): Linux
    // takes it, this check does not.
    let b = header_of(32);
    let h = AhHeader::new_checked(&b[..]).unwrap();
    assert_eq!(h.check_len(12, false), Err(AhError::IcvLength));
}

#[test]
fn header_lengths() {
    assert_eq!(header_len(12, Align::Four), Some(24));
    assert_eq!(header_len(12, Align::Eight), Some(24));
    assert_eq!(header_len(16, Align::Four), Some(28));
    assert_eq!(header_len(16, Align::Eight), Some(32));
    assert_eq!(header_len(24, Align::Four), Some(36));
    assert_eq!(header_len(24, Align::Eight), Some(40));
    assert_eq!(header_len(32, Align::Four), Some(44));
    assert_eq!(header_len(32, Align::Eight), Some(48));
    assert_eq!(header_len(0, Align::Four), Some(12));
    assert_eq!(header_len(0, Align::Eight), Some(16));
    // An ICV that is not a multiple of 4 is padded.
    assert_eq!(header_len(10, Align::Four), Some(24));
    assert_eq!(header_len(1016, Align::Four), Some(AH_MAX_LEN));
    assert_eq!(header_len(1016, Align::Eight), None);
    assert_eq!(header_len(1017, Align::Four), None);
    assert_eq!(header_len(usize::MAX, Align::Four), None);
    assert_eq!(Align::rfc4302(false), Align::Four);
    assert_eq!(Align::rfc4302(true), Align::Eight);
    assert_eq!(Align::linux_default(), Align::Eight);
}

#[test]
fn emit_known_bytes() {
    let mut out = [0xffu8; 40];
    let f = AhFields {
        next_header: 6,
        spi: 0x1001,
        seq_lo: 42,
        icv_len: 12,
        align: Align::Four,
    };
    assert_eq!(emit_header(&mut out, &f), Ok(24));
    let mut want = SHA1_AH;
    want[12..24].fill(0);
    assert_eq!(out[..24], want[..24]);
    // Bytes after the header are not touched.
    assert!(out[24..].iter().all(|&b| b == 0xff));

    // HMAC-SHA-256 with Linux's padding: 32 bytes, payload length 6, the
    // ICV and the 4 pad bytes zero.
    let f = AhFields {
        next_header: 4,
        spi: 0xc0de_0001,
        seq_lo: 0xffff_ffff,
        icv_len: 16,
        align: Align::Eight,
    };
    assert_eq!(emit_header(&mut out, &f), Ok(32));
    let mut want = [0u8; 32];
    want[..12].copy_from_slice(&[4, 6, 0, 0, 0xc0, 0xde, 0, 1, 0xff, 0xff, 0xff, 0xff]);
    assert_eq!(out[..32], want);
    // The same with RFC 4302 padding over IPv4: 28 bytes, field 5.
    let f = AhFields {
        align: Align::Four,
        ..f
    };
    assert_eq!(emit_header(&mut out, &f), Ok(28));
    assert_eq!(out[1], 5);
}

#[test]
fn emit_round_trips() {
    for (name, icv) in ICV_LENS {
        for align in [Align::Four, Align::Eight] {
            let f = AhFields {
                next_header: 41,
                spi: 0x0102_0304,
                seq_lo: 7,
                icv_len: icv,
                align,
            };
            let mut out = [0xaau8; 64];
            let n = emit_header(&mut out, &f).unwrap();
            assert_eq!(Some(n), header_len(icv, align), "{name}");
            assert_eq!(n % align.bytes(), 0);
            let h = AhHeader::new_checked(&out[..n]).unwrap();
            assert_eq!(
                (
                    h.next_header(),
                    h.spi(),
                    h.seq(),
                    h.reserved(),
                    h.header_len()
                ),
                (41, 0x0102_0304, 7, 0, n),
                "{name}"
            );
            assert!(h.icv_and_padding().iter().all(|&b| b == 0));
            assert_eq!(h.check_len(icv, false), Ok(()), "{name} {align:?}");
            assert_eq!(
                h.check_len(icv, true).is_ok(),
                n % 8 == 0,
                "{name} {align:?}"
            );
        }
    }
}

#[test]
fn emit_errors() {
    let f = AhFields {
        next_header: 6,
        spi: 1,
        seq_lo: 1,
        icv_len: 12,
        align: Align::Eight,
    };
    for n in 0..24 {
        let mut out = vec![0u8; n];
        assert_eq!(emit_header(&mut out, &f), Err(AhError::NoRoom), "{n}");
    }
    let mut big = vec![0u8; 2048];
    let too_long = AhFields {
        icv_len: 1017,
        align: Align::Four,
        ..f
    };
    assert_eq!(emit_header(&mut big, &too_long), Err(AhError::TooLong));
    let longest = AhFields {
        icv_len: 1016,
        align: Align::Four,
        ..f
    };
    assert_eq!(emit_header(&mut big, &longest), Ok(AH_MAX_LEN));
    assert_eq!(big[1], 255);
}

#[test]
fn icv_zeroed_padding_kept() {
    // HMAC-SHA-256 over IPv4 with Linux's padding: ICV 16 bytes, then 4
    // bytes of padding the sender chose.
    let mut b = [0u8; 36];
    b[1] = 6;
    for (i, x) in b[12..32].iter_mut().enumerate() {
        *x = 0x80 + u8::try_from(i).unwrap();
    }
    b[32..].copy_from_slice(&[1, 2, 3, 4]);
    let received: Vec<u8> = b[12..28].to_vec();
    let mut h = AhHeader::new_checked(&mut b[..]).unwrap();
    assert_eq!(h.icv(16), Some(&received[..]));
    h.zero_icv(16).unwrap();
    assert_eq!(h.icv(16), Some(&[0u8; 16][..]));
    // Padding as received, payload untouched.
    assert_eq!(h.icv_and_padding()[16..], [0x90, 0x91, 0x92, 0x93]);
    assert_eq!(h.payload(), &[1, 2, 3, 4]);
    assert_eq!(h.zero_icv(21), Err(AhError::IcvLength));
    assert_eq!(h.zero_icv(usize::MAX), Err(AhError::IcvLength));
    h.set_icv(&received).unwrap();
    assert_eq!(h.icv(16), Some(&received[..]));
    assert_eq!(h.set_icv(&[0u8; 21]), Err(AhError::IcvLength));
    assert_eq!(h.zero_icv(20), Ok(()));
    assert!(h.icv_and_padding().iter().all(|&x| x == 0));
}

#[test]
fn icv_lengths_from_the_table() {
    for (name, bytes) in ICV_LENS {
        assert_eq!(auth_icv(name), bytes, "{name}");
        assert!(header_len(bytes, Align::Eight).is_some());
        assert!(bytes <= MAX_ICV_LEN);
    }
    // Every auth algorithm but null has an AH ICV, and is listed above.
    for a in algs(AlgKind::Auth) {
        let listed = ICV_LENS.iter().any(|(n, _)| *n == a.setkey_name);
        assert_eq!(icv_len(a).is_some(), listed, "{}", a.setkey_name);
    }
    assert_eq!(icv_len(lookup_name(AlgKind::Auth, "null").unwrap()), None);
    // Encryption algorithms are not AH algorithms, AEADs included.
    for e in algs(AlgKind::Encrypt) {
        assert_eq!(icv_len(e), None, "{}", e.setkey_name);
    }
    assert_eq!(
        icv_len(lookup(AlgKind::Encrypt, EncAlg::AES_GCM_ICV16.0).unwrap()),
        None
    );
}

#[test]
fn esn_suffix_is_the_high_half() {
    assert_eq!(esn_suffix(0), [0, 0, 0, 0]);
    assert_eq!(esn_suffix(0xffff_ffff), [0, 0, 0, 0]);
    assert_eq!(esn_suffix(0x1_0000_0000), [0, 0, 0, 1]);
    assert_eq!(esn_suffix(0x0102_0304_0506_0708), [1, 2, 3, 4]);
}

#[test]
fn crypto_names() {
    let name = |n: &str| {
        let a = lookup_name(AlgKind::Auth, n).unwrap();
        crypto_name(a).map(|c| c.to_buf().unwrap().as_bytes().to_vec())
    };
    assert_eq!(
        name("hmac-sha256").unwrap(),
        b"authenc(hmac(sha256),ecb(cipher_null))"
    );
    assert_eq!(
        name("hmac-sha1").unwrap(),
        b"authenc(hmac(sha1),ecb(cipher_null))"
    );
    assert_eq!(
        name("aes-xcbc-mac").unwrap(),
        b"authenc(xcbc(aes),ecb(cipher_null))"
    );
    // KAME's keyed null has no ICV: no transform.
    assert_eq!(name("null"), None);
}

#[test]
fn sent_headers_are_linux_sized() {
    // 12-byte ICVs: 24 bytes whatever the padding; SHA-2: padded to 8.
    let sent = |n: &str| header_len(auth_icv(n), SEND_ALIGN);
    assert_eq!(sent("hmac-sha1"), Some(24));
    assert_eq!(sent("hmac-md5"), Some(24));
    assert_eq!(sent("hmac-sha256"), Some(32));
    assert_eq!(sent("hmac-sha384"), Some(40));
    assert_eq!(sent("hmac-sha512"), Some(48));
    assert_eq!(max_tcp_mss(1500, 20, 32), 1428);
    assert_eq!(max_tcp_mss(1500, 40, 24), 1416);
    assert_eq!(max_tcp_mss(40, 20, 32), 0);
}

/// An IPv4 packet with AH (HMAC-SHA-256, 32 bytes) and 4 bytes of payload:
/// TOS 0x10, DF, TTL 64, a checksum, ICV bytes 0xc0...
fn v4_ah_packet() -> Vec<u8> {
    let mut p = vec![
        0x45, 0x10, 0, 56, 0x12, 0x34, 0x40, 0x00, 64, 51, 0xab, 0xcd, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    let mut ah = vec![0u8; 32];
    emit_header(
        &mut ah,
        &AhFields {
            next_header: 6,
            spi: 0x1001,
            seq_lo: 7,
            icv_len: 16,
            align: SEND_ALIGN,
        },
    )
    .unwrap();
    for (i, b) in ah[12..28].iter_mut().enumerate() {
        *b = 0xc0 + i as u8;
    }
    p.extend_from_slice(&ah);
    p.extend_from_slice(&[1, 2, 3, 4]);
    p
}

#[test]
fn icv_head_v4() {
    let p = v4_ah_packet();
    let h = IcvHead::new(&p, 16, mutable::Ipv4Rules::LINUX, mutable::Direction::Input).unwrap();
    assert_eq!((h.ah_offset(), h.payload_offset()), (20, 52));
    let ad = h.as_bytes();
    assert_eq!(ad.len(), 52);
    // TOS, flags/offset, TTL, checksum zeroed; length, id, protocol and
    // addresses kept.
    assert_eq!(
        &ad[..20],
        &[0x45, 0, 0, 56, 0x12, 0x34, 0, 0, 0, 51, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
    );
    // The AH header's fixed part kept, its ICV and padding zero.
    assert_eq!(&ad[20..32], &p[20..32]);
    assert!(ad[32..52].iter().all(|b| *b == 0));
    // The packet's payload is not part of it.
    let only_head = IcvHead::new(
        &p[..52],
        16,
        mutable::Ipv4Rules::LINUX,
        mutable::Direction::Input,
    );
    assert_eq!(only_head, Ok(h));
    // The knobs keep TOS and DF in the ICV.
    let keep = mutable::Ipv4Rules {
        clear_tos: false,
        offset_mask: 0x4000,
    };
    let k = IcvHead::new(&p, 16, keep, mutable::Direction::Output).unwrap();
    assert_eq!((k.as_bytes()[1], k.as_bytes()[6]), (0x10, 0x40));
}

#[test]
fn icv_head_refuses() {
    let p = v4_ah_packet();
    let rules = mutable::Ipv4Rules::LINUX;
    let dir = mutable::Direction::Input;
    // An SA with 12-byte ICVs: a 32-byte header is the wrong length.
    assert_eq!(
        IcvHead::new(&p, 12, rules, dir),
        Err(IcvHeadError::Ah(AhError::IcvLength))
    );
    // Cut inside the AH header.
    assert_eq!(
        IcvHead::new(&p[..40], 16, rules, dir),
        Err(IcvHeadError::Ah(AhError::Truncated))
    );
    // Not AH.
    let mut esp = p.clone();
    esp[9] = 50;
    assert_eq!(
        IcvHead::new(&esp, 16, rules, dir),
        Err(IcvHeadError::Mutable(mutable::MutableError::NoAh))
    );
}

#[test]
fn icv_head_v6() {
    // Traffic class 0xab, flow label 0x12345, hop limit 64, then AH with
    // HMAC-SHA1-96 (24 bytes) and 8 payload bytes.
    let mut p = vec![0x6a, 0xb1, 0x23, 0x45, 0, 32, 51, 64];
    p.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    p.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    let mut ah = SHA1_AH[..24].to_vec();
    ah[0] = 58;
    p.extend_from_slice(&ah);
    p.extend_from_slice(&[9; 8]);
    let h = IcvHead::new(
        &p,
        12,
        mutable::Ipv4Rules::LINUX,
        mutable::Direction::Output,
    )
    .unwrap();
    assert_eq!((h.ah_offset(), h.payload_offset()), (40, 64));
    let ad = h.as_bytes();
    assert_eq!(&ad[..8], &[0x60, 0, 0, 0, 0, 32, 51, 0]);
    assert_eq!(&ad[8..40], &p[8..40]);
    assert_eq!(&ad[40..52], &p[40..52]);
    assert!(ad[52..64].iter().all(|b| *b == 0));
}
