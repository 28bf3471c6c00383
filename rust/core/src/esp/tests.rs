// SPDX-License-Identifier: GPL-2.0

//! ESP format tests: header view, padding and trailer round trips, every
//! algorithm's layout, AD layouts, the authenc key blob against esp4.c's
//! layout written out by hand, and crypto API names.

use super::super::algs::{algs, lookup, AlgKind, AALG_AES_CMAC};
use super::super::pfkey::consts::{AuthAlg, EncAlg, SADB_X_EALG_CHACHA20_POLY1305};
use super::*;

fn enc(id: EncAlg) -> &'static AlgInfo {
    lookup(AlgKind::Encrypt, id.0).unwrap()
}

fn auth(id: AuthAlg) -> &'static AlgInfo {
    lookup(AlgKind::Auth, id.0).unwrap()
}

fn chacha() -> &'static AlgInfo {
    lookup(AlgKind::Encrypt, SADB_X_EALG_CHACHA20_POLY1305).unwrap()
}

#[test]
fn header_view() {
    let pkt = [
        0x00, 0x00, 0x10, 0x01, 0x00, 0x00, 0x00, 0x2a, 1, 2, 3, 4, 5, 6, 7, 8, 0xee,
    ];
    let h = EspHeader::new_checked(&pkt[..]).unwrap();
    assert_eq!(h.spi(), 0x1001);
    assert_eq!(h.seq(), 42);
    assert_eq!(h.iv(8), Some(&pkt[8..16]));
    assert_eq!(h.iv(16), None);
    assert_eq!(h.payload().len(), 9);
    for n in 0..ESP_HDR_LEN {
        assert_eq!(EspHeader::new_checked(&pkt[..n]), Err(EspError::Truncated));
    }
    let h = EspHeader::new_checked(&pkt[..8]).unwrap();
    assert_eq!(h.payload(), &[] as &[u8]);
    assert_eq!(h.iv(0), Some(&[] as &[u8]));

    let mut buf = [0u8; 8];
    let mut h = EspHeader::new_checked(&mut buf[..]).unwrap();
    h.set_spi(0xdead_beef);
    h.set_seq(0x0102_0304);
    assert_eq!(buf, [0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4]);
}

#[test]
fn header_emit() {
    let mut out = [0u8; 20];
    let iv = [9u8; 8];
    assert_eq!(emit_header(&mut out, 0x100, 7, &iv), Ok(16));
    assert_eq!(out[..8], [0, 0, 1, 0, 0, 0, 0, 7]);
    assert_eq!(out[8..16], iv);
    assert_eq!(out[16..], [0; 4]);
    assert_eq!(
        emit_header(&mut out[..15], 1, 1, &iv),
        Err(EspError::NoRoom)
    );
    assert_eq!(emit_header(&mut out[..8], 1, 1, &[]), Ok(8));
}

#[test]
fn padding_lengths() {
    // (payload, align, pad)
    let cases = [
        (0, 4, 2),
        (1, 4, 1),
        (2, 4, 0),
        (3, 4, 3),
        (14, 16, 0),
        (15, 16, 15),
        (16, 16, 14),
        (100, 8, 2),
        (1400, 16, 6),
        (5, 1, 0),
        (5, 0, 0),
        (usize::MAX, 4, 3),
    ];
    for (len, align, pad) in cases {
        assert_eq!(pad_len(len, align), pad, "{len} {align}");
    }
    for align in [4usize, 8, 16] {
        for len in 0..100 {
            let p = pad_len(len, align);
            assert!(p < align);
            assert_eq!((len + p + 2) % align, 0);
        }
    }
}

#[test]
fn trailer_round_trip() {
    for pad in [0usize, 1, 2, 7, 15, 255] {
        let mut buf = vec![0xaa; 10 + pad + 2];
        let n = write_trailer(&mut buf[10..], pad, 6).unwrap();
        assert_eq!(n, pad + 2);
        for (i, b) in buf[10..10 + pad].iter().enumerate() {
            assert_eq!(usize::from(*b), i + 1);
        }
        let t = parse_trailer(&buf).unwrap();
        assert_eq!(
            t,
            Trailer {
                pad_len: u8::try_from(pad).unwrap(),
                next_header: 6,
                payload_len: 10
            }
        );
        assert_eq!(t.trim_len(), pad + 2);
        assert!(!t.is_dummy());
    }
    let mut buf = [0u8; 3];
    assert_eq!(write_trailer(&mut buf, 2, 4), Err(EspError::NoRoom));
    let mut big = [0u8; 300];
    assert_eq!(write_trailer(&mut big, 256, 4), Err(EspError::TooLong));
    assert_eq!(write_trailer(&mut buf, 1, 4), Ok(3));
    assert_eq!(buf, [1, 1, 4]);
}

#[test]
fn trailer_errors() {
    assert_eq!(parse_trailer(&[]), Err(TrailerError::Truncated));
    assert_eq!(parse_trailer(&[4]), Err(TrailerError::Truncated));
    // Pad length longer than the bytes before it.
    assert_eq!(parse_trailer(&[1, 2, 3, 4]), Err(TrailerError::PadLength));
    assert_eq!(parse_trailer(&[0, 0]).unwrap().payload_len, 0);
    // Exactly all of it padding.
    assert_eq!(parse_trailer(&[1, 2, 2, 41]).unwrap().payload_len, 0);
    // Wrong pad bytes: not starting at 1, a gap, zeros (what Linux would
    // accept).
    assert_eq!(parse_trailer(&[9, 2, 3, 2, 4]), Err(TrailerError::PadBytes));
    assert_eq!(parse_trailer(&[9, 1, 3, 2, 4]), Err(TrailerError::PadBytes));
    assert_eq!(parse_trailer(&[9, 0, 0, 2, 4]), Err(TrailerError::PadBytes));
    assert_eq!(parse_trailer(&[9, 1, 2, 2, 59]).unwrap().next_header, 59);
    assert!(parse_trailer(&[9, 1, 2, 2, 59]).unwrap().is_dummy());
}

#[test]
fn layout_of_every_algorithm() {
    // (enc, auth, iv, icv, align)
    let sha1 = Some(auth(AuthAlg::SHA1HMAC));
    let sha256 = Some(auth(AuthAlg::SHA2_256HMAC));
    let cases = [
        (enc(EncAlg::AES_GCM_ICV16), None, 8, 16, 4),
        (enc(EncAlg::AES_GCM_ICV12), None, 8, 12, 4),
        (enc(EncAlg::AES_GCM_ICV8), None, 8, 8, 4),
        (enc(EncAlg::AES_CCM_ICV8), None, 8, 8, 4),
        (enc(EncAlg::NULL_AES_GMAC), None, 8, 16, 4),
        (chacha(), None, 8, 16, 4),
        (enc(EncAlg::AESCBC), sha1, 16, 12, 16),
        (enc(EncAlg::AESCBC), sha256, 16, 16, 16),
        (enc(EncAlg::DES3CBC), sha1, 8, 12, 8),
        (enc(EncAlg::AESCTR), sha256, 8, 16, 4),
        (enc(EncAlg::NULL), sha1, 0, 12, 4),
        (enc(EncAlg::AESCBC), None, 16, 0, 16),
        // An AEAD ignores a stray auth algorithm.
        (enc(EncAlg::AES_GCM_ICV16), sha1, 8, 16, 4),
    ];
    for (e, a, iv, icv, align) in cases {
        let l = Layout::for_algs(e, a, Outer::None);
        assert_eq!(
            (l.iv, l.icv, l.align),
            (iv, icv, align),
            "{}",
            e.setkey_name
        );
    }
    let xcbc = auth(AuthAlg::AES_XCBC_MAC);
    assert_eq!(icv_len(enc(EncAlg::AESCBC), Some(xcbc)), 12);
    let cmac = lookup(AlgKind::Auth, AALG_AES_CMAC).unwrap();
    assert_eq!(icv_len(enc(EncAlg::AESCBC), Some(cmac)), 12);
    assert_eq!(
        icv_len(enc(EncAlg::AESCBC), Some(auth(AuthAlg::SHA2_512HMAC))),
        32
    );
    assert_eq!(icv_len(enc(EncAlg::AESCBC), Some(auth(AuthAlg::NULL))), 0);
}

#[test]
fn layout_sizes() {
    // GCM-16, transport: 8 + 8 header, pad to 4, 16 ICV.
    let l = Layout::for_algs(enc(EncAlg::AES_GCM_ICV16), None, Outer::None);
    assert_eq!(l.header_len(), 16);
    assert_eq!(l.trailer_len(100), 2 + 2 + 16);
    assert_eq!(l.overhead(100), 16 + 20);
    assert_eq!(l.max_overhead(), 16 + 3 + 2 + 16);
    // AES-CBC + SHA-1 in an IPv4 tunnel: inner packet of 1000 bytes.
    let l = Layout::for_algs(
        enc(EncAlg::AESCBC),
        Some(auth(AuthAlg::SHA1HMAC)),
        Outer::V4,
    );
    assert_eq!(l.pad_len(1000), 6);
    assert_eq!(l.overhead(1000), 20 + 24 + 6 + 2 + 12);
    assert_eq!(l.max_overhead(), 20 + 24 + 15 + 2 + 12);
    let l6 = Layout {
        outer: Outer::V6,
        ..l
    };
    assert_eq!(l6.overhead(1000), l.overhead(1000) + 20);
    // NAT traversal: the UDP header counts like a header.
    let udp = l.with_encap(8);
    assert_eq!(udp.overhead(1000), l.overhead(1000) + 8);
    assert_eq!(udp.max_overhead(), l.max_overhead() + 8);
    assert_eq!(udp.front_len(), 20 + 8 + 24);
    assert_eq!(udp.header_len(), l.header_len());
    assert!(Outer::None.is_empty() && !Outer::V6.is_empty());
    // Sizes from the tfm.
    assert_eq!(Layout::new(8, 16, 1, Outer::None).align, 4);
    assert_eq!(Layout::new(8, 16, 0, Outer::None).align, 4);
    assert_eq!(Layout::new(8, 16, 6, Outer::None).align, 8);
    assert_eq!(Layout::new(8, 16, usize::MAX, Outer::None).align, 4);
    assert!(l.ciphertext_len_ok(16) && l.ciphertext_len_ok(1024));
    assert!(!l.ciphertext_len_ok(0) && !l.ciphertext_len_ok(20));
    let bad = Layout { align: 0, ..l };
    assert!(!bad.ciphertext_len_ok(16));
    assert_eq!(bad.pad_len(5), 0);
}

#[test]
fn max_payload_is_exact() {
    let layouts = [
        Layout::for_algs(enc(EncAlg::AES_GCM_ICV16), None, Outer::None),
        Layout::for_algs(
            enc(EncAlg::AESCBC),
            Some(auth(AuthAlg::SHA2_256HMAC)),
            Outer::V4,
        ),
        Layout::for_algs(
            enc(EncAlg::DES3CBC),
            Some(auth(AuthAlg::SHA1HMAC)),
            Outer::V6,
        ),
    ];
    let udp = layouts.map(|l| l.with_encap(8));
    for l in layouts.into_iter().chain(udp) {
        for mtu in [0usize, 10, 68, 576, 1280, 1400, 1500, 9000] {
            let p = l.max_payload(mtu);
            if p > 0 {
                assert!(p + l.overhead(p) <= mtu, "{l:?} {mtu}");
            }
            let q = p + 1;
            if mtu >= l.overhead(0) + 2 {
                assert!(q + l.overhead(q) > mtu, "{l:?} {mtu}");
            }
        }
    }
}

#[test]
fn iv_kinds() {
    assert_eq!(iv_kind(enc(EncAlg::NULL)), IvKind::None);
    assert_eq!(iv_kind(enc(EncAlg::AESCBC)), IvKind::Random);
    assert_eq!(iv_kind(enc(EncAlg::DES3CBC)), IvKind::Random);
    for e in algs(AlgKind::Encrypt) {
        let k = iv_kind(e);
        if e.aead || e.id == EncAlg::AESCTR.0 {
            assert_eq!(k, IvKind::Counter, "{}", e.setkey_name);
            assert_eq!(e.iv_bytes, 8);
        }
    }
    assert_eq!(counter_iv(1), [0, 0, 0, 0, 0, 0, 0, 1]);
    assert_eq!(counter_iv(0x0102_0304_0506_0708), [1, 2, 3, 4, 5, 6, 7, 8]);
}

#[test]
fn ad_layouts() {
    let iv = counter_iv(0x0000_0001_0000_0005);
    // No ESN: SPI ‖ seq_lo ‖ IV, 16 bytes (what rfc4106 wants).
    let ad = Ad::new(0x1001, 0x0000_0001_0000_0005, false, &iv).unwrap();
    assert_eq!(
        ad.as_bytes(),
        [0, 0, 0x10, 1, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0, 5]
    );
    assert_eq!(ad.len(), 16);
    assert!(!ad.is_empty());
    // ESN: SPI ‖ seq_hi ‖ seq_lo ‖ IV, 20 bytes.
    let ad = Ad::new(0x1001, 0x0000_0001_0000_0005, true, &iv).unwrap();
    assert_eq!(
        ad.as_bytes(),
        [0, 0, 0x10, 1, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0, 5]
    );
    // CBC IV, ESN: 28 bytes, the maximum.
    let ad = Ad::new(7, 9, true, &[0xcc; 16]).unwrap();
    assert_eq!(ad.len(), AD_MAX_LEN);
    assert_eq!(ad.as_bytes()[..12], [0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 9]);
    // Null encryption: no IV.
    assert_eq!(Ad::new(7, 9, false, &[]).unwrap().len(), 8);
    assert_eq!(Ad::new(7, 9, true, &[0; 17]), Err(EspError::TooLong));
}

/// The blob `esp_init_authenc` builds, written out by hand from its code:
/// `rta->rta_len = RTA_LENGTH(sizeof(*param))` (4 + 4 = 8) and
/// `rta->rta_type = CRYPTO_AUTHENC_KEYA_PARAM` (1) as host-order u16s,
/// `param->enckeylen = cpu_to_be32(enc bytes)`, at `RTA_SPACE(4)` = 8
/// the auth key, then the enc key.
#[test]
fn authenc_key_blob_matches_esp4() {
    let auth_key: Vec<u8> = (0..20).collect(); // hmac(sha1)
    let enc_key: Vec<u8> = (0xa0..0xb0).collect(); // cbc(aes) 128
    let k = AuthencKey::new(&auth_key, &enc_key).unwrap();
    let rta: [u8; 4] = if cfg!(target_endian = "little") {
        [0x08, 0x00, 0x01, 0x00]
    } else {
        [0x00, 0x08, 0x00, 0x01]
    };
    let mut want = Vec::new();
    want.extend_from_slice(&rta);
    want.extend_from_slice(&[0x00, 0x00, 0x00, 0x10]);
    want.extend_from_slice(&auth_key);
    want.extend_from_slice(&enc_key);
    assert_eq!(k.as_bytes(), want);
    assert_eq!(k.as_bytes().len(), 8 + 20 + 16);
    assert_eq!(format!("{k:?}"), "AuthencKey(44 bytes)");

    // rfc3686: the enc key includes the 4-byte nonce; enckeylen counts it.
    let k = AuthencKey::new(&[1; 32], &[2; 36]).unwrap();
    assert_eq!(k.as_bytes()[4..8], [0, 0, 0, 36]);
    assert_eq!(k.as_bytes().len(), 8 + 32 + 36);
    // Null encryption, SHA-512: enckeylen 0.
    let k = AuthencKey::new(&[3; 64], &[]).unwrap();
    assert_eq!(k.as_bytes()[4..8], [0, 0, 0, 0]);
    assert_eq!(k.as_bytes().len(), 72);
    // No auth key (digest_null).
    let k = AuthencKey::new(&[], &[4; 24]).unwrap();
    assert_eq!(k.as_bytes()[8..], [4; 24]);
    // The largest keys an SA holds fit; larger ones do not.
    assert_eq!(
        AuthencKey::new(&[0; 64], &[0; 40])
            .unwrap()
            .as_bytes()
            .len(),
        AUTHENC_KEY_MAX_LEN
    );
    assert_eq!(AuthencKey::new(&[0; 65], &[]), Err(EspError::TooLong));
    assert_eq!(AuthencKey::new(&[], &[0; 41]), Err(EspError::TooLong));
}

fn name(e: &AlgInfo, a: Option<&AlgInfo>, esn: bool) -> String {
    let b = crypto_name(e, a, esn).to_buf().unwrap();
    assert_eq!(b.as_cstr().to_bytes(), b.as_bytes());
    b.as_cstr().to_str().unwrap().to_owned()
}

#[test]
fn crypto_names() {
    let sha1 = Some(auth(AuthAlg::SHA1HMAC));
    let sha256 = Some(auth(AuthAlg::SHA2_256HMAC));
    assert_eq!(
        name(enc(EncAlg::AES_GCM_ICV16), None, false),
        "rfc4106(gcm(aes))"
    );
    assert_eq!(
        name(enc(EncAlg::AES_GCM_ICV16), None, true),
        "rfc4106(gcm(aes))"
    );
    assert_eq!(
        name(enc(EncAlg::AES_CCM_ICV8), None, false),
        "rfc4309(ccm(aes))"
    );
    assert_eq!(
        name(enc(EncAlg::NULL_AES_GMAC), None, false),
        "rfc4543(gcm(aes))"
    );
    assert_eq!(name(chacha(), None, true), "rfc7539esp(chacha20,poly1305)");
    assert_eq!(
        name(enc(EncAlg::AESCBC), sha256, false),
        "authenc(hmac(sha256),cbc(aes))"
    );
    assert_eq!(
        name(enc(EncAlg::AESCBC), sha256, true),
        "authencesn(hmac(sha256),cbc(aes))"
    );
    assert_eq!(
        name(enc(EncAlg::AESCTR), sha1, false),
        "authenc(hmac(sha1),rfc3686(ctr(aes)))"
    );
    assert_eq!(
        name(enc(EncAlg::NULL), sha1, false),
        "authenc(hmac(sha1),ecb(cipher_null))"
    );
    assert_eq!(
        name(enc(EncAlg::DES3CBC), None, false),
        "authenc(digest_null,cbc(des3_ede))"
    );
    assert_eq!(
        name(enc(EncAlg::AESCBC), Some(auth(AuthAlg::NULL)), false),
        "authenc(digest_null,cbc(aes))"
    );
    assert_eq!(
        crypto_name(enc(EncAlg::AESCBC), None, true),
        CryptoName::Authenc {
            esn: true,
            auth: c"digest_null",
            enc: c"cbc(aes)"
        }
    );
    // Every pair of the table fits the buffer.
    for e in algs(AlgKind::Encrypt) {
        for a in algs(AlgKind::Auth) {
            for esn in [false, true] {
                assert!(crypto_name(e, Some(a), esn).to_buf().is_ok());
            }
        }
    }
    // Too long for CRYPTO_MAX_ALG_NAME.
    let long = CryptoName::Authenc {
        esn: false,
        auth: c"0123456789012345678901234567890123456789012345678901234567890123",
        enc: c"0123456789012345678901234567890123456789012345678901234567890123",
    };
    assert_eq!(long.to_buf(), Err(EspError::TooLong));
}

#[test]
fn max_tcp_mss_fits_full_segments_in_both_modes() {
    let layouts = [
        Layout::for_algs(enc(EncAlg::AES_GCM_ICV16), None, Outer::None),
        Layout::for_algs(
            enc(EncAlg::AESCBC),
            Some(auth(AuthAlg::SHA2_256HMAC)),
            Outer::None,
        ),
        Layout::for_algs(
            enc(EncAlg::AESCBC),
            Some(auth(AuthAlg::SHA2_256HMAC)),
            Outer::V4,
        ),
        Layout::for_algs(
            enc(EncAlg::AESCBC),
            Some(auth(AuthAlg::SHA2_256HMAC)),
            Outer::V6,
        ),
        Layout::for_algs(
            enc(EncAlg::AESCBC),
            Some(auth(AuthAlg::SHA2_512HMAC)),
            Outer::V6,
        ),
        Layout::for_algs(enc(EncAlg::AES_GCM_ICV16), None, Outer::V6),
    ];
    let udp = layouts.map(|l| l.with_encap(8));
    for l in layouts.into_iter().chain(udp) {
        for ip_hl in [20usize, 40] {
            for mtu in [1280usize, 1400, 1500, 9000] {
                let mss = l.max_tcp_mss(mtu, ip_hl);
                // What ESP protects: the TCP segment (transport) or the
                // whole inner packet (tunnel).
                let covered = |m: usize| {
                    if l.outer.is_empty() {
                        20 + m
                    } else {
                        ip_hl + 20 + m
                    }
                };
                let on_wire = |m: usize| {
                    let p = covered(m);
                    let ip = if l.outer.is_empty() { ip_hl } else { 0 };
                    ip + p + l.overhead(p)
                };
                assert!(on_wire(mss) <= mtu, "{l:?} mtu {mtu} hl {ip_hl}: {mss}");
                assert!(
                    on_wire(mss + 1) > mtu,
                    "{l:?} mtu {mtu} hl {ip_hl}: {mss} is not the largest"
                );
            }
        }
    }
    // 4in6 with AES-CBC and HMAC-SHA-256 at MTU 1500: the inner packet may
    // be ((1500 - 40 - 8 - 16 - 16) & ~15) - 2 = 1406 bytes, so the MSS is
    // 1366 (the tunnel clamp once subtracted the inner header before the
    // block rounding and gave 1370, four bytes too many).
    let l = Layout::for_algs(
        enc(EncAlg::AESCBC),
        Some(auth(AuthAlg::SHA2_256HMAC)),
        Outer::V6,
    );
    assert_eq!(l.max_tcp_mss(1500, 20), 1366);
}
