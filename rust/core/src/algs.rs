// SPDX-License-Identifier: GPL-2.0

//! The algorithm table: which PF_KEY algorithm ids rust_ipsec implements,
//! their key sizes, ICV/IV/salt sizes and kernel crypto API templates.
//!
//! C source: [net/xfrm/xfrm_algo.c](srctree/net/xfrm/xfrm_algo.c)
//!
//! This one table answers REGISTER (the SUPPORTED extensions), validates
//! ADD/UPDATE and tells the datapath what to allocate. Differences from
//! Linux's `aalg_list`/`ealg_list`:
//!
//! - Key sizes of AEAD algorithms and AES-CTR include the salt/nonce, as the
//!   key material on the wire does (Linux's `sadb_alg_minbits` leave it
//!   out but its netlink key lengths include it): AES-GCM and GMAC
//!   128/192/256 + 32 = 160/224/288 bits, AES-CCM + 24 = 152/216/280.
//! - HMAC-SHA-256 has the RFC 4868 128-bit ICV (Linux's PF_KEY uses 96).
//! - AEAD algorithms (GCM, CCM, GMAC, ChaCha20-Poly1305) are usable through
//!   PF_KEY (Linux answers `ENOSYS`).
//! - AES-CMAC (RFC 4494) gets PF_KEY auth id [`AALG_AES_CMAC`] (11), which
//!   Linux's `pfkeyv2.h` does not define.
//! - DES, CAST, Blowfish, Serpent, Twofish, Camellia, SM3 and SM4 are left
//!   out.

use core::ffi::CStr;

use super::pfkey::consts::{AuthAlg, EncAlg, SADB_X_EALG_CHACHA20_POLY1305};
use super::pfkey::ext::Alg;

/// PF_KEY auth id of AES-CMAC-96 (RFC 4494): rust_ipsec's own. Linux's
/// `pfkeyv2.h` has no id for it (its auth ids are 2, 3, 5-10 and 251), so
/// this is the first free id above them; it is below 32, so it fits the
/// 32-bit algorithm masks of policy templates.
pub const AALG_AES_CMAC: u8 = 11;

/// Which table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AlgKind {
    /// Authentication (`sadb_sa_auth`, SUPPORTED_AUTH).
    Auth,
    /// Encryption and AEAD (`sadb_sa_encrypt`, SUPPORTED_ENCRYPT).
    Encrypt,
}

/// One algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlgInfo {
    /// The PF_KEY id (`SADB_AALG_*` or `SADB_EALG_*`).
    pub id: u8,
    /// The name setkey uses (`-A` / `-E`).
    pub setkey_name: &'static str,
    /// Smallest key in bits (salt included).
    pub min_bits: u16,
    /// Largest key in bits (salt included).
    pub max_bits: u16,
    /// Valid key sizes are `min_bits + k * key_step_bits` up to `max_bits`;
    /// 0 means any multiple of 8 between `min_bits` and `max_bits`.
    pub key_step_bits: u16,
    /// Whether this is an AEAD (an ESP SA with it has no auth algorithm).
    pub aead: bool,
    /// ICV length in bits (0 for plain ciphers and null).
    pub icv_bits: u16,
    /// IV length on the wire in bytes.
    pub iv_bytes: u8,
    /// Bytes of salt or nonce at the end of the key.
    pub salt_bytes: u8,
    /// The kernel crypto API template.
    pub crypto_name: &'static CStr,
}

impl AlgInfo {
    /// Whether a key of `bits` bits is valid for this algorithm. Keys are
    /// always whole bytes.
    pub fn key_bits_ok(&self, bits: u16) -> bool {
        if bits % 8 != 0 || bits < self.min_bits || bits > self.max_bits {
            return false;
        }
        if self.key_step_bits == 0 {
            return true;
        }
        (bits - self.min_bits) % self.key_step_bits == 0
    }

    /// The key length without the salt, in bytes, for a key of `bits`.
    pub fn cipher_key_bytes(&self, bits: u16) -> usize {
        usize::from(bits / 8).saturating_sub(usize::from(self.salt_bytes))
    }

    /// The block size of an encryption algorithm that is a CBC cipher
    /// (AES-CBC 16, 3DES-CBC 8); `None` for stream and counter modes and
    /// AEADs.
    pub const fn cbc_block_len(&self) -> Option<usize> {
        match EncAlg(self.id) {
            EncAlg::AESCBC => Some(16),
            EncAlg::DES3CBC => Some(8),
            _ => None,
        }
    }

    /// The `sadb_alg` REGISTER announces (`sadb_alg_ivlen` in bytes, as
    /// KAME; key sizes with the salt).
    pub const fn sadb_alg(&self) -> Alg {
        Alg {
            id: self.id,
            ivlen: self.iv_bytes,
            minbits: self.min_bits,
            maxbits: self.max_bits,
            reserved: 0,
        }
    }
}

/// An authentication algorithm entry.
const fn auth(
    id: u8,
    setkey_name: &'static str,
    bits: u16,
    icv_bits: u16,
    crypto_name: &'static CStr,
) -> AlgInfo {
    AlgInfo {
        id,
        setkey_name,
        min_bits: bits,
        max_bits: bits,
        key_step_bits: 0,
        aead: false,
        icv_bits,
        iv_bytes: 0,
        salt_bytes: 0,
        crypto_name,
    }
}

/// An AES-based entry with 128/192/256-bit keys plus `salt_bits` of salt
/// (a multiple of 8).
const fn aes(
    id: u8,
    setkey_name: &'static str,
    aead: bool,
    icv_bits: u16,
    iv_bytes: u8,
    salt_bits: u16,
    crypto_name: &'static CStr,
) -> AlgInfo {
    AlgInfo {
        id,
        setkey_name,
        min_bits: 128 + salt_bits,
        max_bits: 256 + salt_bits,
        key_step_bits: 64,
        aead,
        icv_bits,
        iv_bytes,
        salt_bytes: (salt_bits / 8) as u8,
        crypto_name,
    }
}

static AUTH: [AlgInfo; 8] = [
    auth(AuthAlg::MD5HMAC.0, "hmac-md5", 128, 96, c"hmac(md5)"),
    auth(AuthAlg::SHA1HMAC.0, "hmac-sha1", 160, 96, c"hmac(sha1)"),
    // RFC 4868: 128-bit truncation (Linux's af_key: 96).
    auth(
        AuthAlg::SHA2_256HMAC.0,
        "hmac-sha256",
        256,
        128,
        c"hmac(sha256)",
    ),
    auth(
        AuthAlg::SHA2_384HMAC.0,
        "hmac-sha384",
        384,
        192,
        c"hmac(sha384)",
    ),
    auth(
        AuthAlg::SHA2_512HMAC.0,
        "hmac-sha512",
        512,
        256,
        c"hmac(sha512)",
    ),
    auth(
        AuthAlg::AES_XCBC_MAC.0,
        "aes-xcbc-mac",
        128,
        96,
        c"xcbc(aes)",
    ),
    auth(AALG_AES_CMAC, "aes-cmac", 128, 96, c"cmac(aes)"),
    // KAME's keyed null: any key up to what an SA stores (KAME allows
    // 2048 bits; the key is never used).
    AlgInfo {
        id: AuthAlg::NULL.0,
        setkey_name: "null",
        min_bits: 0,
        max_bits: 512,
        key_step_bits: 0,
        aead: false,
        icv_bits: 0,
        iv_bytes: 0,
        salt_bytes: 0,
        crypto_name: c"digest_null",
    },
];

static ENCRYPT: [AlgInfo; 12] = [
    AlgInfo {
        id: EncAlg::NULL.0,
        setkey_name: "null",
        min_bits: 0,
        max_bits: 0,
        key_step_bits: 0,
        aead: false,
        icv_bits: 0,
        iv_bytes: 0,
        salt_bytes: 0,
        crypto_name: c"ecb(cipher_null)",
    },
    AlgInfo {
        id: EncAlg::DES3CBC.0,
        setkey_name: "3des-cbc",
        min_bits: 192,
        max_bits: 192,
        key_step_bits: 0,
        aead: false,
        icv_bits: 0,
        iv_bytes: 8,
        salt_bytes: 0,
        crypto_name: c"cbc(des3_ede)",
    },
    aes(EncAlg::AESCBC.0, "aes-cbc", false, 0, 16, 0, c"cbc(aes)"),
    aes(
        EncAlg::AESCTR.0,
        "aes-ctr",
        false,
        0,
        8,
        32,
        c"rfc3686(ctr(aes))",
    ),
    aes(
        EncAlg::AES_CCM_ICV8.0,
        "aes-ccm-8",
        true,
        64,
        8,
        24,
        c"rfc4309(ccm(aes))",
    ),
    aes(
        EncAlg::AES_CCM_ICV12.0,
        "aes-ccm-12",
        true,
        96,
        8,
        24,
        c"rfc4309(ccm(aes))",
    ),
    aes(
        EncAlg::AES_CCM_ICV16.0,
        "aes-ccm-16",
        true,
        128,
        8,
        24,
        c"rfc4309(ccm(aes))",
    ),
    aes(
        EncAlg::AES_GCM_ICV8.0,
        "aes-gcm-8",
        true,
        64,
        8,
        32,
        c"rfc4106(gcm(aes))",
    ),
    aes(
        EncAlg::AES_GCM_ICV12.0,
        "aes-gcm-12",
        true,
        96,
        8,
        32,
        c"rfc4106(gcm(aes))",
    ),
    aes(
        EncAlg::AES_GCM_ICV16.0,
        "aes-gcm-16",
        true,
        128,
        8,
        32,
        c"rfc4106(gcm(aes))",
    ),
    aes(
        EncAlg::NULL_AES_GMAC.0,
        "aes-gmac",
        true,
        128,
        8,
        32,
        c"rfc4543(gcm(aes))",
    ),
    AlgInfo {
        id: SADB_X_EALG_CHACHA20_POLY1305,
        setkey_name: "chacha20-poly1305",
        min_bits: 288,
        max_bits: 288,
        key_step_bits: 0,
        aead: true,
        icv_bits: 128,
        iv_bytes: 8,
        salt_bytes: 4,
        crypto_name: c"rfc7539esp(chacha20,poly1305)",
    },
];

/// Every algorithm of `kind`, in id order within each family (the order
/// REGISTER announces them).
pub fn algs(kind: AlgKind) -> &'static [AlgInfo] {
    match kind {
        AlgKind::Auth => &AUTH,
        AlgKind::Encrypt => &ENCRYPT,
    }
}

/// The algorithm of `kind` with PF_KEY id `id`. Id 0 (none) is never
/// found.
pub fn lookup(kind: AlgKind, id: u8) -> Option<&'static AlgInfo> {
    if id == 0 {
        return None;
    }
    algs(kind).iter().find(|a| a.id == id)
}

/// The algorithm of `kind` setkey calls `name`.
pub fn lookup_name(kind: AlgKind, name: &str) -> Option<&'static AlgInfo> {
    algs(kind).iter().find(|a| a.setkey_name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names_unique() {
        for kind in [AlgKind::Auth, AlgKind::Encrypt] {
            let t = algs(kind);
            for (i, a) in t.iter().enumerate() {
                assert_ne!(a.id, 0);
                assert!(!a.setkey_name.is_empty());
                assert!(!a.crypto_name.is_empty(), "{}", a.setkey_name);
                assert!(a.min_bits <= a.max_bits);
                assert_eq!(a.min_bits % 8, 0);
                assert_eq!(lookup(kind, a.id), Some(a));
                assert_eq!(lookup_name(kind, a.setkey_name), Some(a));
                for b in &t[i + 1..] {
                    assert_ne!(a.id, b.id, "{kind:?}");
                    assert_ne!(a.setkey_name, b.setkey_name);
                }
                if kind == AlgKind::Auth {
                    assert!(!a.aead && a.iv_bytes == 0 && a.salt_bytes == 0);
                    assert_eq!(a.icv_bits % 8, 0);
                } else if a.aead {
                    assert!(a.icv_bits >= 64 && a.salt_bytes > 0 && a.iv_bytes == 8);
                } else {
                    assert_eq!(a.icv_bits, 0);
                }
                // The key always fits an SA.
                assert!(usize::from(a.max_bits / 8) <= if kind == AlgKind::Auth { 64 } else { 40 });
            }
        }
        assert_eq!(algs(AlgKind::Auth).len(), 8);
        assert_eq!(algs(AlgKind::Encrypt).len(), 12);
        assert_eq!(lookup(AlgKind::Auth, 0), None);
        assert_eq!(lookup(AlgKind::Encrypt, 0), None);
        assert_eq!(lookup(AlgKind::Encrypt, EncAlg::DESCBC.0), None);
        assert_eq!(lookup(AlgKind::Auth, AuthAlg::RIPEMD160HMAC.0), None);
    }

    #[test]
    fn cmac_id_is_free() {
        for linux in [2u8, 3, 5, 6, 7, 8, 9, 10, 251] {
            assert_ne!(AALG_AES_CMAC, linux);
        }
        let c = lookup(AlgKind::Auth, AALG_AES_CMAC).unwrap();
        assert_eq!(c.crypto_name, c"cmac(aes)");
        assert_eq!(c.icv_bits, 96);
    }

    #[test]
    fn key_bits_boundaries() {
        let get = |k, id| lookup(k, id).unwrap();
        let cbc = get(AlgKind::Encrypt, EncAlg::AESCBC.0);
        for (bits, ok) in [
            (0, false),
            (120, false),
            (128, true),
            (136, false),
            (192, true),
            (256, true),
            (264, false),
            (320, false),
        ] {
            assert_eq!(cbc.key_bits_ok(bits), ok, "aes-cbc {bits}");
        }
        let gcm = get(AlgKind::Encrypt, EncAlg::AES_GCM_ICV16.0);
        for (bits, ok) in [
            (128, false),
            (160, true),
            (224, true),
            (288, true),
            (256, false),
        ] {
            assert_eq!(gcm.key_bits_ok(bits), ok, "gcm {bits}");
        }
        assert_eq!(gcm.cipher_key_bytes(288), 32);
        let ccm = get(AlgKind::Encrypt, EncAlg::AES_CCM_ICV8.0);
        for (bits, ok) in [(152, true), (216, true), (280, true), (160, false)] {
            assert_eq!(ccm.key_bits_ok(bits), ok, "ccm {bits}");
        }
        let ctr = get(AlgKind::Encrypt, EncAlg::AESCTR.0);
        assert!(ctr.key_bits_ok(160) && ctr.key_bits_ok(288) && !ctr.key_bits_ok(128));
        let cc = get(AlgKind::Encrypt, SADB_X_EALG_CHACHA20_POLY1305);
        assert!(cc.key_bits_ok(288) && !cc.key_bits_ok(256));
        let null = get(AlgKind::Encrypt, EncAlg::NULL.0);
        assert!(null.key_bits_ok(0) && !null.key_bits_ok(8));
        let des3 = get(AlgKind::Encrypt, EncAlg::DES3CBC.0);
        assert!(des3.key_bits_ok(192) && !des3.key_bits_ok(128));
        let sha256 = get(AlgKind::Auth, AuthAlg::SHA2_256HMAC.0);
        assert!(sha256.key_bits_ok(256) && !sha256.key_bits_ok(248) && !sha256.key_bits_ok(264));
        assert_eq!(sha256.icv_bits, 128);
        let anull = get(AlgKind::Auth, AuthAlg::NULL.0);
        assert!(anull.key_bits_ok(0) && anull.key_bits_ok(8) && anull.key_bits_ok(512));
        assert!(!anull.key_bits_ok(4) && !anull.key_bits_ok(520));
    }

    #[test]
    fn sadb_alg_for_register() {
        let a = lookup(AlgKind::Encrypt, EncAlg::AESCBC.0)
            .unwrap()
            .sadb_alg();
        assert_eq!((a.id, a.ivlen, a.minbits, a.maxbits), (12, 16, 128, 256));
    }
}
