// SPDX-License-Identifier: GPL-2.0

//! The words `setkey -D`, `-DP` and `-x` print for numbers: SA types,
//! modes, states, algorithms and upper-layer protocols.
//!
//! ipsec-tools: `src/libipsec/pfkey_dump.c` (`str_satype`, `str_mode`,
//! `str_state`, `str_alg_auth`, `str_alg_enc`, `str_alg_comp`, as built on
//! Linux with `src/include-glibc/net/pfkeyv2.h`).

use ipsec_core::algs::AALG_AES_CMAC;
use ipsec_core::pfkey::consts::{AuthAlg, CompAlg, EncAlg, SADB_X_EALG_CHACHA20_POLY1305};

/// `str_satype[]`, indexed by `sadb_msg_satype`.
const SATYPES: [&str; 12] = [
    "unspec", "unknown", "ah", "esp", "unknown", "rsvp", "ospfv2", "ripv2", "mip", "ipcomp",
    "policy", "tcp",
];

/// `str_mode[]`, indexed by `sadb_x_sa2_mode` (BEET, 3, has no word).
const MODES: [&str; 3] = ["any", "transport", "tunnel"];

/// `str_state[]`, indexed by `sadb_sa_state`.
const STATES: [&str; 4] = ["larval", "mature", "dying", "dead"];

/// ipsec-tools' `GETMSGSTR`: the table's word or the number, then a space.
fn word_or_number(table: &[&str], n: u32) -> String {
    match usize::try_from(n).ok().and_then(|i| table.get(i)) {
        Some(w) if !w.is_empty() => format!("{w} "),
        _ => format!("{n} "),
    }
}

/// ipsec-tools' `GETMSGV2S`: the name or the number, then a space.
fn name_or_number(name: Option<&str>, n: u8) -> String {
    match name {
        Some(w) => format!("{w} "),
        None => format!("{n} "),
    }
}

/// The SA type followed by a space (`esp `), or its number.
pub fn satype(n: u8) -> String {
    word_or_number(&SATYPES, n.into())
}

/// The SA mode followed by a space (`transport `), or its number.
pub fn mode(n: u8) -> String {
    word_or_number(&MODES, n.into())
}

/// The SA state followed by a space (`mature `), or its number.
pub fn state(n: u8) -> String {
    word_or_number(&STATES, n.into())
}

/// The name of an authentication algorithm id: ipsec-tools' word for the
/// ids it knows on Linux, the setkey grammar's word for rust_ipsec's
/// additions (AES-CMAC), `None` for the rest.
pub fn auth_alg_name(id: u8) -> Option<&'static str> {
    Some(match AuthAlg(id) {
        AuthAlg::NONE => "none",
        AuthAlg::MD5HMAC => "hmac-md5",
        AuthAlg::SHA1HMAC => "hmac-sha1",
        AuthAlg::SHA2_256HMAC => "hmac-sha256",
        AuthAlg::SHA2_384HMAC => "hmac-sha384",
        AuthAlg::SHA2_512HMAC => "hmac-sha512",
        AuthAlg::RIPEMD160HMAC => "hmac-ripemd160",
        AuthAlg::AES_XCBC_MAC => "aes-xcbc-mac",
        AuthAlg::NULL => "null",
        // KAME's SADB_X_AALG_MD5 and SADB_X_AALG_SHA (keyed-md5/-sha1).
        AuthAlg(249) => "md5",
        AuthAlg(250) => "sha",
        AuthAlg(AALG_AES_CMAC) => "aes-cmac",
        _ => return None,
    })
}

/// The name of an encryption algorithm id: ipsec-tools' word for the ids
/// it knows on Linux, the setkey grammar's word for the AEADs rust_ipsec
/// adds, `None` for the rest.
pub fn enc_alg_name(id: u8) -> Option<&'static str> {
    Some(match EncAlg(id) {
        EncAlg::NONE => "none",
        EncAlg::DESCBC => "des-cbc",
        EncAlg::DES3CBC => "3des-cbc",
        EncAlg::NULL => "null",
        EncAlg::CASTCBC => "cast128-cbc",
        EncAlg::BLOWFISHCBC => "blowfish-cbc",
        EncAlg::AESCBC => "aes-cbc",
        EncAlg::TWOFISHCBC => "twofish-cbc",
        EncAlg::AESCTR => "aes-ctr",
        EncAlg::CAMELLIACBC => "camellia-cbc",
        EncAlg::AES_CCM_ICV8 => "aes-ccm-8",
        EncAlg::AES_CCM_ICV12 => "aes-ccm-12",
        EncAlg::AES_CCM_ICV16 => "aes-ccm-16",
        EncAlg::AES_GCM_ICV8 => "aes-gcm-8",
        EncAlg::AES_GCM_ICV12 => "aes-gcm-12",
        EncAlg::AES_GCM_ICV16 => "aes-gcm-16",
        EncAlg::NULL_AES_GMAC => "aes-gmac",
        EncAlg(SADB_X_EALG_CHACHA20_POLY1305) => "chacha20-poly1305",
        _ => return None,
    })
}

/// The name of an IPComp algorithm id (ipsec-tools knows no `lzjh`).
pub fn comp_alg_name(id: u8) -> Option<&'static str> {
    Some(match CompAlg(id) {
        CompAlg::NONE => "none",
        CompAlg::OUI => "oui",
        CompAlg::DEFLATE => "deflate",
        CompAlg::LZS => "lzs",
        _ => return None,
    })
}

/// The authentication algorithm followed by a space, or its number.
pub fn auth_alg(id: u8) -> String {
    name_or_number(auth_alg_name(id), id)
}

/// The encryption algorithm followed by a space, or its number.
pub fn enc_alg(id: u8) -> String {
    name_or_number(enc_alg_name(id), id)
}

/// The IPComp algorithm followed by a space, or its number.
pub fn comp_alg(id: u8) -> String {
    name_or_number(comp_alg_name(id), id)
}

/// `/etc/protocols` as Debian's netbase ships it: (number, first name).
/// `getprotobynumber` returns the first line with the number.
const PROTOCOLS: [(u8, &str); 55] = [
    (0, "ip"),
    (1, "icmp"),
    (2, "igmp"),
    (3, "ggp"),
    (4, "ipencap"),
    (5, "st"),
    (6, "tcp"),
    (8, "egp"),
    (9, "igp"),
    (12, "pup"),
    (17, "udp"),
    (20, "hmp"),
    (22, "xns-idp"),
    (27, "rdp"),
    (29, "iso-tp4"),
    (33, "dccp"),
    (36, "xtp"),
    (37, "ddp"),
    (38, "idpr-cmtp"),
    (41, "ipv6"),
    (43, "ipv6-route"),
    (44, "ipv6-frag"),
    (45, "idrp"),
    (46, "rsvp"),
    (47, "gre"),
    (50, "esp"),
    (51, "ah"),
    (57, "skip"),
    (58, "ipv6-icmp"),
    (59, "ipv6-nonxt"),
    (60, "ipv6-opts"),
    (73, "rspf"),
    (81, "vmtp"),
    (88, "eigrp"),
    (89, "ospf"),
    (93, "ax.25"),
    (94, "ipip"),
    (97, "etherip"),
    (98, "encap"),
    (103, "pim"),
    (108, "ipcomp"),
    (112, "vrrp"),
    (115, "l2tp"),
    (124, "isis"),
    (132, "sctp"),
    (133, "fc"),
    (135, "mobility-header"),
    (136, "udplite"),
    (137, "mpls-in-ip"),
    (138, "manet"),
    (139, "hip"),
    (140, "shim6"),
    (141, "wesp"),
    (142, "rohc"),
    (143, "ethernet"),
];

/// The upper-layer protocol as `str_upperspec` prints it: the name
/// `getprotobynumber(3)` gives (from a built-in copy of Debian's
/// `/etc/protocols`, so output does not depend on the host), or the
/// number (`255` for any).
pub fn protocol(n: u16) -> String {
    PROTOCOLS
        .iter()
        .find(|(p, _)| u16::from(*p) == n)
        .map_or_else(|| n.to_string(), |(_, name)| (*name).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_and_fallbacks() {
        assert_eq!(satype(3), "esp ");
        assert_eq!(satype(9), "ipcomp ");
        assert_eq!(satype(12), "12 ");
        assert_eq!(mode(2), "tunnel ");
        assert_eq!(mode(3), "3 ");
        assert_eq!(state(3), "dead ");
        assert_eq!(state(4), "4 ");
        assert_eq!(auth_alg(5), "hmac-sha256 ");
        assert_eq!(auth_alg(11), "aes-cmac ");
        assert_eq!(auth_alg(10), "10 ");
        assert_eq!(enc_alg(20), "aes-gcm-16 ");
        assert_eq!(enc_alg(25), "chacha20-poly1305 ");
        assert_eq!(enc_alg(24), "24 ");
        assert_eq!(enc_alg(252), "252 ");
        assert_eq!(comp_alg(2), "deflate ");
        assert_eq!(comp_alg(4), "4 ");
        assert_eq!(protocol(0), "ip");
        assert_eq!(protocol(58), "ipv6-icmp");
        assert_eq!(protocol(255), "255");
        assert_eq!(protocol(300), "300");
    }

    #[test]
    fn protocols_sorted_and_unique() {
        for w in PROTOCOLS.windows(2) {
            assert!(w[0].0 < w[1].0, "{:?}", w);
        }
    }
}
