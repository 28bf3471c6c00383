// SPDX-License-Identifier: GPL-2.0

//! The algorithm names of `-E`, `-A` and `-C`, their PF_KEY ids and the
//! key sizes setkey accepts for them.
//!
//! For the algorithms the kernel module implements, key sizes come from
//! `ipsec_core::algs` (the module's own table, so the two cannot
//! disagree); for the others from ipsec-tools' and Linux's tables.

use ipsec_core::algs::{lookup as core_lookup, AlgInfo, AlgKind};
use ipsec_core::pfkey::consts::{AuthAlg, CompAlg, EncAlg, SADB_X_EALG_CHACHA20_POLY1305};

/// Which option an algorithm follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AlgClass {
    /// `-E`: encryption or AEAD (`sadb_sa_encrypt`).
    Encrypt,
    /// `-A`: authentication (`sadb_sa_auth`).
    Auth,
    /// `-C`: IPComp compression (`sadb_sa_encrypt` of an IPComp SA).
    Compress,
}

impl AlgClass {
    /// What the grammar expects after the option, for error messages.
    pub const fn expected(self) -> &'static str {
        match self {
            AlgClass::Encrypt => "an encryption algorithm",
            AlgClass::Auth => "an authentication algorithm",
            AlgClass::Compress => "a compression algorithm",
        }
    }
}

/// Which key sizes an algorithm takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySizes {
    /// No key is written after the name (`null`, compression).
    NoKey,
    /// The kernel module's table (`ipsec_core::algs`) decides.
    Module,
    /// `min..=max` bits in steps of `step` bits (0: any whole byte).
    Bits {
        /// Smallest key.
        min: u16,
        /// Largest key.
        max: u16,
        /// Step between valid sizes.
        step: u16,
    },
}

/// Special meaning some legacy names carry (KAME `sadb_sa_flags` bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlgQuirk {
    /// Nothing special.
    None,
    /// `des-deriv`: IV derived from the sequence number (`SADB_X_EXT_DERIV`);
    /// not with the old protocols.
    Deriv,
    /// `des-32iv`: 4-byte IV (`SADB_X_EXT_IV4B`); old protocols only.
    Iv4b,
    /// `tcp-md5`: only for the `tcp` SA type.
    TcpMd5,
}

/// One algorithm name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlgEntry {
    /// The name as written in a setkey file.
    pub name: &'static str,
    /// Which option it follows.
    pub class: AlgClass,
    /// The PF_KEY id.
    pub id: u8,
    /// Which key sizes it takes.
    pub sizes: KeySizes,
    /// Legacy flag meaning.
    pub quirk: AlgQuirk,
}

impl AlgEntry {
    /// The module's entry for this algorithm, if the module implements it.
    pub fn module_info(&self) -> Option<&'static AlgInfo> {
        let kind = match self.class {
            AlgClass::Encrypt => AlgKind::Encrypt,
            AlgClass::Auth => AlgKind::Auth,
            AlgClass::Compress => return None,
        };
        core_lookup(kind, self.id)
    }

    /// Whether a key follows the name.
    pub fn takes_key(&self) -> bool {
        self.sizes != KeySizes::NoKey
    }

    /// Whether this is an AEAD (an ESP SA with it has no `-A`).
    pub fn is_aead(&self) -> bool {
        self.module_info().is_some_and(|i| i.aead)
    }

    /// `(min, max, step)` in bits; `None` for [`KeySizes::NoKey`].
    pub fn key_range(&self) -> Option<(u16, u16, u16)> {
        match self.sizes {
            KeySizes::NoKey => None,
            KeySizes::Bits { min, max, step } => Some((min, max, step)),
            KeySizes::Module => self
                .module_info()
                .map(|i| (i.min_bits, i.max_bits, i.key_step_bits)),
        }
    }

    /// Whether a key of `bits` is valid (always whole bytes).
    pub fn key_bits_ok(&self, bits: u32) -> bool {
        let Some((min, max, step)) = self.key_range() else {
            return bits == 0;
        };
        let (min, max, step) = (u32::from(min), u32::from(max), u32::from(step));
        if bits % 8 != 0 || bits < min || bits > max {
            return false;
        }
        step == 0 || (bits - min) % step == 0
    }

    /// The valid key sizes in words, e.g. `160, 224 or 288 bits`.
    pub fn key_sizes_text(&self) -> String {
        let Some((min, max, step)) = self.key_range() else {
            return "no key".to_string();
        };
        if min == max {
            return format!("{min} bits");
        }
        if step == 0 || step == 8 {
            return format!("{min} to {max} bits");
        }
        let sizes: Vec<String> = (min..=max)
            .step_by(usize::from(step))
            .map(|b| b.to_string())
            .collect();
        match sizes.split_last() {
            Some((last, rest)) if !rest.is_empty() => {
                format!("{} or {last} bits", rest.join(", "))
            }
            _ => format!("{min} bits"),
        }
    }
}

const fn entry(
    name: &'static str,
    class: AlgClass,
    id: u8,
    sizes: KeySizes,
    quirk: AlgQuirk,
) -> AlgEntry {
    AlgEntry {
        name,
        class,
        id,
        sizes,
        quirk,
    }
}

const fn enc(name: &'static str, id: EncAlg, sizes: KeySizes) -> AlgEntry {
    entry(name, AlgClass::Encrypt, id.0, sizes, AlgQuirk::None)
}

const fn auth(name: &'static str, id: AuthAlg, sizes: KeySizes) -> AlgEntry {
    entry(name, AlgClass::Auth, id.0, sizes, AlgQuirk::None)
}

const fn comp(name: &'static str, id: CompAlg) -> AlgEntry {
    entry(
        name,
        AlgClass::Compress,
        id.0,
        KeySizes::NoKey,
        AlgQuirk::None,
    )
}

const fn bits(min: u16, max: u16, step: u16) -> KeySizes {
    KeySizes::Bits { min, max, step }
}

/// `SADB_X_AALG_MD5` (KAME keyed MD5).
pub const AALG_KEYED_MD5: u8 = 249;
/// `SADB_X_AALG_SHA` (KAME keyed SHA-1).
pub const AALG_KEYED_SHA1: u8 = 250;
/// `SADB_X_AALG_TCP_MD5` (KAME/FreeBSD TCP-MD5 signatures).
pub const AALG_TCP_MD5: u8 = 252;

const M: KeySizes = KeySizes::Module;

/// Every algorithm name setkey knows, aliases included.
pub static ALGORITHMS: &[AlgEntry] = &[
    // -E
    enc("des-cbc", EncAlg::DESCBC, bits(64, 64, 0)),
    enc("3des-cbc", EncAlg::DES3CBC, M),
    enc("null", EncAlg::NULL, KeySizes::NoKey),
    enc("simple", EncAlg::NULL, KeySizes::NoKey),
    enc("blowfish-cbc", EncAlg::BLOWFISHCBC, bits(40, 448, 8)),
    enc("cast128-cbc", EncAlg::CASTCBC, bits(40, 128, 8)),
    entry(
        "des-deriv",
        AlgClass::Encrypt,
        EncAlg::DESCBC.0,
        bits(64, 64, 0),
        AlgQuirk::Deriv,
    ),
    entry(
        "des-32iv",
        AlgClass::Encrypt,
        EncAlg::DESCBC.0,
        bits(64, 64, 0),
        AlgQuirk::Iv4b,
    ),
    enc("twofish-cbc", EncAlg::TWOFISHCBC, bits(128, 256, 64)),
    enc("aes-cbc", EncAlg::AESCBC, M),
    enc("rijndael-cbc", EncAlg::AESCBC, M),
    enc("aes-ctr", EncAlg::AESCTR, M),
    enc("camellia-cbc", EncAlg::CAMELLIACBC, bits(128, 256, 64)),
    enc("aes-ccm-8", EncAlg::AES_CCM_ICV8, M),
    enc("aes-ccm-12", EncAlg::AES_CCM_ICV12, M),
    enc("aes-ccm-16", EncAlg::AES_CCM_ICV16, M),
    enc("aes-ccm", EncAlg::AES_CCM_ICV16, M),
    enc("aes-gcm-8", EncAlg::AES_GCM_ICV8, M),
    enc("aes-gcm-12", EncAlg::AES_GCM_ICV12, M),
    enc("aes-gcm-16", EncAlg::AES_GCM_ICV16, M),
    enc("aes-gmac", EncAlg::NULL_AES_GMAC, M),
    enc(
        "chacha20-poly1305",
        EncAlg(SADB_X_EALG_CHACHA20_POLY1305),
        M,
    ),
    // -A
    auth("hmac-md5", AuthAlg::MD5HMAC, M),
    auth("hmac-sha1", AuthAlg::SHA1HMAC, M),
    auth("keyed-md5", AuthAlg(AALG_KEYED_MD5), bits(128, 128, 0)),
    auth("keyed-sha1", AuthAlg(AALG_KEYED_SHA1), bits(160, 160, 0)),
    auth("hmac-sha2-256", AuthAlg::SHA2_256HMAC, M),
    auth("hmac-sha256", AuthAlg::SHA2_256HMAC, M),
    auth("hmac-sha2-384", AuthAlg::SHA2_384HMAC, M),
    auth("hmac-sha384", AuthAlg::SHA2_384HMAC, M),
    auth("hmac-sha2-512", AuthAlg::SHA2_512HMAC, M),
    auth("hmac-sha512", AuthAlg::SHA2_512HMAC, M),
    auth("hmac-ripemd160", AuthAlg::RIPEMD160HMAC, bits(160, 160, 0)),
    auth("aes-xcbc-mac", AuthAlg::AES_XCBC_MAC, M),
    auth("aes-cmac", AuthAlg(ipsec_core::algs::AALG_AES_CMAC), M),
    entry(
        "tcp-md5",
        AlgClass::Auth,
        AALG_TCP_MD5,
        bits(8, 640, 8),
        AlgQuirk::TcpMd5,
    ),
    auth("null", AuthAlg::NULL, KeySizes::NoKey),
    // -C
    comp("oui", CompAlg::OUI),
    comp("deflate", CompAlg::DEFLATE),
    comp("lzs", CompAlg::LZS),
];

/// The algorithm `name` of `class`.
pub fn lookup_alg(class: AlgClass, name: &str) -> Option<&'static AlgEntry> {
    ALGORITHMS
        .iter()
        .find(|a| a.class == class && a.name == name)
}

/// The first name of `class` with PF_KEY id `id` (the canonical one).
pub fn alg_name(class: AlgClass, id: u8) -> Option<&'static str> {
    ALGORITHMS
        .iter()
        .find(|a| a.class == class && a.id == id)
        .map(|a| a.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_algorithm_has_a_name() {
        for kind in [AlgKind::Encrypt, AlgKind::Auth] {
            for info in ipsec_core::algs::algs(kind) {
                let class = match kind {
                    AlgKind::Encrypt => AlgClass::Encrypt,
                    AlgKind::Auth => AlgClass::Auth,
                };
                let e = lookup_alg(class, info.setkey_name)
                    .unwrap_or_else(|| panic!("{} missing", info.setkey_name));
                assert_eq!(e.id, info.id, "{}", info.setkey_name);
            }
        }
    }

    #[test]
    fn module_sizes_are_the_cores() {
        let gcm = lookup_alg(AlgClass::Encrypt, "aes-gcm-16").unwrap();
        assert!(gcm.is_aead());
        assert!(gcm.key_bits_ok(160) && gcm.key_bits_ok(288) && !gcm.key_bits_ok(128));
        assert_eq!(gcm.key_sizes_text(), "160, 224 or 288 bits");
        let sha = lookup_alg(AlgClass::Auth, "hmac-sha2-256").unwrap();
        assert_eq!(sha.key_sizes_text(), "256 bits");
        assert!(!sha.is_aead());
        let bf = lookup_alg(AlgClass::Encrypt, "blowfish-cbc").unwrap();
        assert_eq!(bf.key_sizes_text(), "40 to 448 bits");
        assert!(bf.module_info().is_none() && bf.key_bits_ok(128) && !bf.key_bits_ok(36));
        let null = lookup_alg(AlgClass::Encrypt, "null").unwrap();
        assert!(!null.takes_key() && null.key_bits_ok(0) && !null.key_bits_ok(8));
        assert_eq!(lookup_alg(AlgClass::Auth, "aes-gcm-16"), None);
        assert_eq!(alg_name(AlgClass::Encrypt, 12), Some("aes-cbc"));
        assert_eq!(alg_name(AlgClass::Auth, 11), Some("aes-cmac"));
    }

    #[test]
    fn names_unique_per_class() {
        for (i, a) in ALGORITHMS.iter().enumerate() {
            for b in &ALGORITHMS[i + 1..] {
                assert!(a.class != b.class || a.name != b.name, "{}", a.name);
            }
            if a.sizes == KeySizes::Module {
                assert!(a.module_info().is_some(), "{}", a.name);
            }
        }
    }
}
