// SPDX-License-Identifier: GPL-2.0

//! PF_KEY v2 numbers: message, extension, SA and algorithm identifiers.
//!
//! C header: [include/uapi/linux/pfkeyv2.h](srctree/include/uapi/linux/pfkeyv2.h)
//! (the `linux/ipsec.h` numbers are in the core's `ipsec`, the IP protocol
//! numbers in its `inet`).
//!
//! Every wire enumeration is a newtype over its wire integer with named
//! constants, so values this file does not know still parse and re-encode
//! unchanged; whoever acts on a value decides what an unknown one means.

use super::super::inet::IpProto;
use super::super::wire_enum::wire_enum;

/// `PF_KEY_V2`: the only `sadb_msg_version`.
pub const PF_KEY_V2: u8 = 2;

/// `PFKEYV2_REVISION`.
pub const PFKEYV2_REVISION: u32 = 199806;

/// The unit of every PF_KEY length field except `sadb_x_ipsecrequest_len`
/// and `sadb_x_ctx_len` (which count bytes).
pub const UNIT: usize = 8;

wire_enum! {
    /// `sadb_msg_type` (`SADB_*`).
    MsgType(u8) {
        /// `SADB_RESERVED` (never valid on the wire).
        RESERVED = 0,
        /// `SADB_GETSPI`.
        GETSPI = 1,
        /// `SADB_UPDATE`.
        UPDATE = 2,
        /// `SADB_ADD`.
        ADD = 3,
        /// `SADB_DELETE`.
        DELETE = 4,
        /// `SADB_GET`.
        GET = 5,
        /// `SADB_ACQUIRE`.
        ACQUIRE = 6,
        /// `SADB_REGISTER`.
        REGISTER = 7,
        /// `SADB_EXPIRE`.
        EXPIRE = 8,
        /// `SADB_FLUSH`.
        FLUSH = 9,
        /// `SADB_DUMP`.
        DUMP = 10,
        /// `SADB_X_PROMISC`.
        X_PROMISC = 11,
        /// `SADB_X_PCHANGE`.
        X_PCHANGE = 12,
        /// `SADB_X_SPDUPDATE`.
        X_SPDUPDATE = 13,
        /// `SADB_X_SPDADD`.
        X_SPDADD = 14,
        /// `SADB_X_SPDDELETE`.
        X_SPDDELETE = 15,
        /// `SADB_X_SPDGET`.
        X_SPDGET = 16,
        /// `SADB_X_SPDACQUIRE`.
        X_SPDACQUIRE = 17,
        /// `SADB_X_SPDDUMP`.
        X_SPDDUMP = 18,
        /// `SADB_X_SPDFLUSH`.
        X_SPDFLUSH = 19,
        /// `SADB_X_SPDSETIDX`.
        X_SPDSETIDX = 20,
        /// `SADB_X_SPDEXPIRE`.
        X_SPDEXPIRE = 21,
        /// `SADB_X_SPDDELETE2`.
        X_SPDDELETE2 = 22,
        /// `SADB_X_NAT_T_NEW_MAPPING`.
        X_NAT_T_NEW_MAPPING = 23,
        /// `SADB_X_MIGRATE`.
        X_MIGRATE = 24,
    }
}

impl MsgType {
    /// `SADB_MAX`: the highest message type.
    pub const MAX: MsgType = MsgType::X_MIGRATE;

    /// Whether this is a message type of the protocol (1..=`SADB_MAX`).
    pub const fn is_known(self) -> bool {
        self.0 >= 1 && self.0 <= MsgType::MAX.0
    }
}

wire_enum! {
    /// `sadb_ext_type` (`SADB_EXT_*`, `SADB_X_EXT_*`). Numbers 24 to 26
    /// are Linux's, 27 is rust_ipsec's own; other systems number them
    /// differently.
    ExtType(u16) {
        /// `SADB_EXT_RESERVED` (never valid on the wire).
        RESERVED = 0,
        /// `SADB_EXT_SA`: `struct sadb_sa`.
        SA = 1,
        /// `SADB_EXT_LIFETIME_CURRENT`.
        LIFETIME_CURRENT = 2,
        /// `SADB_EXT_LIFETIME_HARD`.
        LIFETIME_HARD = 3,
        /// `SADB_EXT_LIFETIME_SOFT`.
        LIFETIME_SOFT = 4,
        /// `SADB_EXT_ADDRESS_SRC`.
        ADDRESS_SRC = 5,
        /// `SADB_EXT_ADDRESS_DST`.
        ADDRESS_DST = 6,
        /// `SADB_EXT_ADDRESS_PROXY`.
        ADDRESS_PROXY = 7,
        /// `SADB_EXT_KEY_AUTH`.
        KEY_AUTH = 8,
        /// `SADB_EXT_KEY_ENCRYPT`.
        KEY_ENCRYPT = 9,
        /// `SADB_EXT_IDENTITY_SRC`.
        IDENTITY_SRC = 10,
        /// `SADB_EXT_IDENTITY_DST`.
        IDENTITY_DST = 11,
        /// `SADB_EXT_SENSITIVITY`.
        SENSITIVITY = 12,
        /// `SADB_EXT_PROPOSAL`.
        PROPOSAL = 13,
        /// `SADB_EXT_SUPPORTED_AUTH`.
        SUPPORTED_AUTH = 14,
        /// `SADB_EXT_SUPPORTED_ENCRYPT`.
        SUPPORTED_ENCRYPT = 15,
        /// `SADB_EXT_SPIRANGE`.
        SPIRANGE = 16,
        /// `SADB_X_EXT_KMPRIVATE`.
        X_KMPRIVATE = 17,
        /// `SADB_X_EXT_POLICY`.
        X_POLICY = 18,
        /// `SADB_X_EXT_SA2`.
        X_SA2 = 19,
        /// `SADB_X_EXT_NAT_T_TYPE`.
        X_NAT_T_TYPE = 20,
        /// `SADB_X_EXT_NAT_T_SPORT`.
        X_NAT_T_SPORT = 21,
        /// `SADB_X_EXT_NAT_T_DPORT`.
        X_NAT_T_DPORT = 22,
        /// `SADB_X_EXT_NAT_T_OA`.
        X_NAT_T_OA = 23,
        /// `SADB_X_EXT_SEC_CTX`.
        X_SEC_CTX = 24,
        /// `SADB_X_EXT_KMADDRESS`.
        X_KMADDRESS = 25,
        /// `SADB_X_EXT_FILTER`.
        X_FILTER = 26,
        /// `SADB_X_EXT_SA_REPLAY`: `struct sadb_x_sa_replay`, the replay
        /// window in packets as a `u32` (up to 4096 on an SA), for windows
        /// the 8-bit `sadb_sa_replay` cannot carry. rust_ipsec's own
        /// number: the first after Linux's last (26, `X_FILTER`). FreeBSD
        /// has an extension of the same name, layout and purpose, but
        /// numbered 26, which is Linux's `X_FILTER`; Linux af_key has none
        /// and clamps `sadb_sa_replay` to 32.
        X_SA_REPLAY = 27,
    }
}

/// Number of extension types (`SADB_EXT_MAX`).
pub const EXT_COUNT: usize = 27;

impl ExtType {
    /// `SADB_EXT_MAX`: the highest extension type.
    pub const MAX: ExtType = ExtType::X_SA_REPLAY;

    /// Whether this is an extension type of the protocol (1..=`SADB_EXT_MAX`).
    pub const fn is_known(self) -> bool {
        self.0 >= 1 && self.0 <= ExtType::MAX.0
    }

    /// The zero-based index of a known type (`type - 1`), as used for
    /// per-type tables.
    pub fn index(self) -> Option<usize> {
        if self.is_known() {
            usize::from(self.0).checked_sub(1)
        } else {
            None
        }
    }

    /// The known type at `index` (the inverse of [`ExtType::index`]).
    pub fn from_index(index: usize) -> Option<ExtType> {
        if index < EXT_COUNT {
            index
                .checked_add(1)
                .and_then(|n| u16::try_from(n).ok())
                .map(ExtType)
        } else {
            None
        }
    }

    /// The size of the fixed part (the `struct sadb_*`) of this extension,
    /// which is also its minimum length in bytes (af_key's
    /// `sadb_ext_min_len`). `None` for unknown types.
    pub const fn min_len(self) -> Option<usize> {
        Some(match self.0 {
            1 => 16,          // sadb_sa
            2..=4 => 32,      // sadb_lifetime
            5..=7 | 23 => 8,  // sadb_address (the sockaddr follows)
            8 | 9 => 8,       // sadb_key
            10 | 11 => 16,    // sadb_ident
            12 => 16,         // sadb_sens
            13 => 8,          // sadb_prop
            14 | 15 => 8,     // sadb_supported
            16 => 16,         // sadb_spirange
            17 => 8,          // sadb_x_kmprivate
            18 => 16,         // sadb_x_policy
            19 => 16,         // sadb_x_sa2
            20 => 8,          // sadb_x_nat_t_type
            21 | 22 => 8,     // sadb_x_nat_t_port
            24 => 8,          // sadb_x_sec_ctx
            25 => 8,          // sadb_x_kmaddress
            26 => 40,         // sadb_x_filter
            27 => 8,          // sadb_x_sa_replay
            _ => return None, // reserved or unknown
        })
    }
}

wire_enum! {
    /// `sadb_msg_satype` (`SADB_SATYPE_*`).
    SaType(u8) {
        /// `SADB_SATYPE_UNSPEC`.
        UNSPEC = 0,
        /// `SADB_SATYPE_AH`.
        AH = 2,
        /// `SADB_SATYPE_ESP`.
        ESP = 3,
        /// `SADB_SATYPE_RSVP`.
        RSVP = 5,
        /// `SADB_SATYPE_OSPFV2`.
        OSPFV2 = 6,
        /// `SADB_SATYPE_RIPV2`.
        RIPV2 = 7,
        /// `SADB_SATYPE_MIP`.
        MIP = 8,
        /// `SADB_X_SATYPE_IPCOMP`.
        X_IPCOMP = 9,
    }
}

impl SaType {
    /// `SADB_SATYPE_MAX`: af_key refuses anything larger.
    pub const MAX: SaType = SaType::X_IPCOMP;

    /// The IP protocol of an SA type (af_key's `pfkey_satype2proto`):
    /// `UNSPEC` means any, unsupported types give `None`.
    pub const fn proto(self) -> Option<IpProto> {
        match self {
            SaType::UNSPEC => Some(IpProto::IPSEC_ANY),
            SaType::AH => Some(IpProto::AH),
            SaType::ESP => Some(IpProto::ESP),
            SaType::X_IPCOMP => Some(IpProto::COMP),
            _ => None,
        }
    }

    /// The SA type of an IPsec protocol (af_key's `pfkey_proto2satype`).
    pub const fn from_proto(proto: IpProto) -> Option<SaType> {
        match proto {
            IpProto::AH => Some(SaType::AH),
            IpProto::ESP => Some(SaType::ESP),
            IpProto::COMP => Some(SaType::X_IPCOMP),
            _ => None,
        }
    }
}

wire_enum! {
    /// `sadb_sa_state` (`SADB_SASTATE_*`).
    SaState(u8) {
        /// `SADB_SASTATE_LARVAL`: reserved by GETSPI, or as setkey sends it.
        LARVAL = 0,
        /// `SADB_SASTATE_MATURE`.
        MATURE = 1,
        /// `SADB_SASTATE_DYING`: soft lifetime expired.
        DYING = 2,
        /// `SADB_SASTATE_DEAD`: hard lifetime expired.
        DEAD = 3,
    }
}

wire_enum! {
    /// `sadb_sa_auth` and `sadb_alg_id` of SUPPORTED_AUTH (`SADB_AALG_*`,
    /// `SADB_X_AALG_*`).
    AuthAlg(u8) {
        /// `SADB_AALG_NONE`.
        NONE = 0,
        /// `SADB_AALG_MD5HMAC`.
        MD5HMAC = 2,
        /// `SADB_AALG_SHA1HMAC`.
        SHA1HMAC = 3,
        /// `SADB_X_AALG_SHA2_256HMAC`.
        SHA2_256HMAC = 5,
        /// `SADB_X_AALG_SHA2_384HMAC`.
        SHA2_384HMAC = 6,
        /// `SADB_X_AALG_SHA2_512HMAC`.
        SHA2_512HMAC = 7,
        /// `SADB_X_AALG_RIPEMD160HMAC`.
        RIPEMD160HMAC = 8,
        /// `SADB_X_AALG_AES_XCBC_MAC`.
        AES_XCBC_MAC = 9,
        /// `SADB_X_AALG_SM3_256HMAC`.
        SM3_256HMAC = 10,
        /// `SADB_X_AALG_NULL` (KAME).
        NULL = 251,
    }
}

impl AuthAlg {
    /// `SADB_AALG_MAX`.
    pub const MAX: AuthAlg = AuthAlg::NULL;
}

wire_enum! {
    /// `sadb_sa_encrypt` and `sadb_alg_id` of SUPPORTED_ENCRYPT
    /// (`SADB_EALG_*`, `SADB_X_EALG_*`). For an IPComp SA the same field
    /// carries a [`CompAlg`].
    EncAlg(u8) {
        /// `SADB_EALG_NONE`.
        NONE = 0,
        /// `SADB_EALG_DESCBC`.
        DESCBC = 2,
        /// `SADB_EALG_3DESCBC`.
        DES3CBC = 3,
        /// `SADB_X_EALG_CASTCBC`.
        CASTCBC = 6,
        /// `SADB_X_EALG_BLOWFISHCBC`.
        BLOWFISHCBC = 7,
        /// `SADB_EALG_NULL`.
        NULL = 11,
        /// `SADB_X_EALG_AESCBC`.
        AESCBC = 12,
        /// `SADB_X_EALG_AESCTR`.
        AESCTR = 13,
        /// `SADB_X_EALG_AES_CCM_ICV8`.
        AES_CCM_ICV8 = 14,
        /// `SADB_X_EALG_AES_CCM_ICV12`.
        AES_CCM_ICV12 = 15,
        /// `SADB_X_EALG_AES_CCM_ICV16`.
        AES_CCM_ICV16 = 16,
        /// `SADB_X_EALG_AES_GCM_ICV8`.
        AES_GCM_ICV8 = 18,
        /// `SADB_X_EALG_AES_GCM_ICV12`.
        AES_GCM_ICV12 = 19,
        /// `SADB_X_EALG_AES_GCM_ICV16`.
        AES_GCM_ICV16 = 20,
        /// `SADB_X_EALG_CAMELLIACBC`.
        CAMELLIACBC = 22,
        /// `SADB_X_EALG_NULL_AES_GMAC`.
        NULL_AES_GMAC = 23,
        /// `SADB_X_EALG_SM4CBC`.
        SM4CBC = 24,
        /// `SADB_X_EALG_CHACHA20_POLY1305`: rust_ipsec's own id (RFC 7634,
        /// key 256 bits followed by a 32-bit salt, 128-bit ICV). Linux has
        /// no PF_KEY id for it and the BSDs' ids collide with Linux's
        /// (FreeBSD 15 = CCM_ICV12, OpenBSD 22 = CAMELLIACBC). 25 is the
        /// first id above every Linux one that is below 32, so it still
        /// fits the 32-bit algorithm masks of policy templates (unlike the
        /// RFC 2407 private range 249-255).
        X_CHACHA20_POLY1305 = 25,
        /// `SADB_X_EALG_SERPENTCBC`.
        SERPENTCBC = 252,
        /// `SADB_X_EALG_TWOFISHCBC`.
        TWOFISHCBC = 253,
    }
}

impl EncAlg {
    /// `SADB_EALG_MAX`.
    pub const MAX: EncAlg = EncAlg::TWOFISHCBC;
}

/// `SADB_X_EALG_CHACHA20_POLY1305` as a plain number (see
/// [`EncAlg::X_CHACHA20_POLY1305`]).
pub const SADB_X_EALG_CHACHA20_POLY1305: u8 = EncAlg::X_CHACHA20_POLY1305.0;

wire_enum! {
    /// `sadb_sa_encrypt` of an IPComp SA (`SADB_X_CALG_*`).
    CompAlg(u8) {
        /// `SADB_X_CALG_NONE`.
        NONE = 0,
        /// `SADB_X_CALG_OUI`.
        OUI = 1,
        /// `SADB_X_CALG_DEFLATE`.
        DEFLATE = 2,
        /// `SADB_X_CALG_LZS`.
        LZS = 3,
        /// `SADB_X_CALG_LZJH`.
        LZJH = 4,
    }
}

impl CompAlg {
    /// `SADB_X_CALG_MAX`.
    pub const MAX: CompAlg = CompAlg::LZJH;
}

/// `sadb_sa_flags` bits. Linux's, plus the KAME bits setkey sets (which
/// Linux ignores), plus [`ESN`](sa_flags::ESN).
pub mod sa_flags {
    /// `SADB_SAFLAGS_PFS`.
    pub const PFS: u32 = 1;
    /// `SADB_SAFLAGS_NOPMTUDISC`: do not copy DF from the inner header.
    pub const NOPMTUDISC: u32 = 0x2000_0000;
    /// `SADB_SAFLAGS_DECAP_DSCP`: copy DSCP to the inner header on decap.
    pub const DECAP_DSCP: u32 = 0x4000_0000;
    /// `SADB_SAFLAGS_NOECN`: no ECN propagation.
    pub const NOECN: u32 = 0x8000_0000;
    /// KAME `SADB_X_EXT_OLD`: old (RFC 1827/1829) AH/ESP.
    pub const KAME_OLD: u32 = 0x1;
    /// KAME `SADB_X_EXT_IV4B`: 4-byte IV.
    pub const KAME_IV4B: u32 = 0x10;
    /// KAME `SADB_X_EXT_DERIV`: IV derived from the sequence number.
    pub const KAME_DERIV: u32 = 0x20;
    /// KAME `SADB_X_EXT_CYCSEQ`: sequence numbers may cycle (setkey's
    /// default).
    pub const KAME_CYCSEQ: u32 = 0x40;
    /// KAME `SADB_X_EXT_RAWCPI`: IPComp CPI used as given.
    pub const KAME_RAWCPI: u32 = 0x80;
    /// KAME `SADB_X_EXT_PRAND`: random padding.
    pub const KAME_PRAND: u32 = 0x100;
    /// KAME `SADB_X_EXT_PZERO`: zero padding.
    pub const KAME_PZERO: u32 = 0x200;
    /// `SADB_X_SAFLAGS_ESN`: extended (64-bit) sequence numbers (RFC 4303),
    /// OpenBSD's value. The bit is free in Linux's flags
    /// (1 and the top three bits) and in the KAME bits above (0x1 to
    /// 0x200). An SA with it needs a replay window; Linux af_key has no
    /// ESN at all.
    pub const ESN: u32 = 0x400;
}

wire_enum! {
    /// `sadb_ident_type` (`SADB_IDENTTYPE_*`).
    IdentType(u16) {
        /// `SADB_IDENTTYPE_RESERVED`.
        RESERVED = 0,
        /// `SADB_IDENTTYPE_PREFIX`.
        PREFIX = 1,
        /// `SADB_IDENTTYPE_FQDN`.
        FQDN = 2,
        /// `SADB_IDENTTYPE_USERFQDN`.
        USERFQDN = 3,
    }
}

wire_enum! {
    /// `sadb_x_nat_t_type_type`: the UDP encapsulation (`UDP_ENCAP_*`).
    UdpEncap(u8) {
        /// No encapsulation.
        NONE = 0,
        /// `UDP_ENCAP_ESPINUDP_NON_IKE` (draft-ietf-ipsec-nat-t-ike-00/01).
        ESPINUDP_NON_IKE = 1,
        /// `UDP_ENCAP_ESPINUDP` (RFC 3948): what setkey's `esp-udp` sends.
        ESPINUDP = 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_unknowns() {
        assert_eq!(MsgType::X_SPDADD.name(), Some("X_SPDADD"));
        assert_eq!(format!("{:?}", MsgType(99)), "MsgType(99)");
        assert_eq!(format!("{:?}", EncAlg::DES3CBC), "DES3CBC");
        assert!(MsgType::GETSPI.is_known() && MsgType::MAX.is_known());
        assert!(!MsgType(0).is_known() && !MsgType(25).is_known());
        assert!(!ExtType(0).is_known() && !ExtType(28).is_known());
        assert!(ExtType::X_SA_REPLAY.is_known());
        assert_eq!(ExtType::MAX, ExtType(27));
    }

    #[test]
    fn ext_index_roundtrip() {
        for i in 0..EXT_COUNT {
            let t = ExtType::from_index(i).unwrap();
            assert_eq!(t.index(), Some(i));
            assert!(t.min_len().is_some(), "{t:?}");
            assert!(t.name().is_some());
        }
        assert_eq!(ExtType::from_index(EXT_COUNT), None);
        assert_eq!(ExtType::RESERVED.min_len(), None);
        assert_eq!(ExtType(28).min_len(), None);
        assert_eq!(ExtType::from_index(EXT_COUNT - 1), Some(ExtType::MAX));
    }

    #[test]
    fn struct_sizes_match_pfkeyv2_h() {
        let expect = [
            (ExtType::SA, 16),
            (ExtType::LIFETIME_HARD, 32),
            (ExtType::ADDRESS_SRC, 8),
            (ExtType::KEY_AUTH, 8),
            (ExtType::IDENTITY_SRC, 16),
            (ExtType::SENSITIVITY, 16),
            (ExtType::PROPOSAL, 8),
            (ExtType::SUPPORTED_AUTH, 8),
            (ExtType::SPIRANGE, 16),
            (ExtType::X_KMPRIVATE, 8),
            (ExtType::X_POLICY, 16),
            (ExtType::X_SA2, 16),
            (ExtType::X_NAT_T_TYPE, 8),
            (ExtType::X_NAT_T_DPORT, 8),
            (ExtType::X_NAT_T_OA, 8),
            (ExtType::X_SEC_CTX, 8),
            (ExtType::X_KMADDRESS, 8),
            (ExtType::X_FILTER, 40),
            (ExtType::X_SA_REPLAY, 8),
        ];
        for (t, n) in expect {
            assert_eq!(t.min_len(), Some(n), "{t:?}");
        }
    }

    #[test]
    fn chacha_id_is_free() {
        let id = SADB_X_EALG_CHACHA20_POLY1305;
        assert_eq!(id, 25);
        for other in [
            2u8, 3, 6, 7, 11, 12, 13, 14, 15, 16, 18, 19, 20, 22, 23, 24, 252, 253,
        ] {
            assert_ne!(id, other);
        }
        assert!(id < 32);
    }

    #[test]
    fn esn_flag_is_free() {
        use sa_flags::*;
        assert_eq!(ESN, 0x400);
        assert_eq!(ESN.count_ones(), 1);
        for other in [
            PFS,
            NOPMTUDISC,
            DECAP_DSCP,
            NOECN,
            KAME_OLD,
            KAME_IV4B,
            KAME_DERIV,
            KAME_CYCSEQ,
            KAME_RAWCPI,
            KAME_PRAND,
            KAME_PZERO,
        ] {
            assert_eq!(ESN & other, 0, "{other:#x}");
        }
    }

    #[test]
    fn satype_proto() {
        assert_eq!(SaType::ESP.proto(), Some(IpProto::ESP));
        assert_eq!(SaType::UNSPEC.proto(), Some(IpProto::IPSEC_ANY));
        assert_eq!(SaType::RSVP.proto(), None);
        assert_eq!(SaType::from_proto(IpProto::COMP), Some(SaType::X_IPCOMP));
        assert_eq!(SaType::from_proto(IpProto::TCP), None);
    }
}
