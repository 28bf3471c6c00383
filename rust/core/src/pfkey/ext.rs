// SPDX-License-Identifier: GPL-2.0

//! The PF_KEY extensions: one plain value type per `struct sadb_*`.
//!
//! C header: [include/uapi/linux/pfkeyv2.h](srctree/include/uapi/linux/pfkeyv2.h)
//!
//! Each type is both what [`super::Message`] hands out after parsing and
//! what [`super::Writer`] takes to encode, and it holds every wire field,
//! reserved ones included (setkey leaves `sadb_x_sa2`'s and
//! `sadb_x_ipsecrequest`'s uninitialised), so parse-then-encode gives back
//! the same bytes. The checks are af_key's `parse_exthdrs` ones, made exact:
//! fixed-size extensions must have exactly their struct size, variable ones
//! exactly the size their content needs, and padding must be zero.

use super::super::errno::Errno;
use super::super::inet::{Addr, IpProto};
use super::super::ipsec::{IpsecDir, IpsecLevel, IpsecMode, PolicyType};
use super::consts::{AuthAlg, CompAlg, EncAlg, ExtType, IdentType, SaState, UdpEncap, UNIT};
use super::out::Out;
use super::reader::{ParseError, Reader};
use super::sockaddr::{max_prefixlen, sockaddr_len, SockAddr};

/// Size of `struct sadb_ext`, the header every extension starts with.
pub const EXT_HDR_LEN: usize = 4;
/// Size of `struct sadb_comb`.
pub const COMB_LEN: usize = 72;
/// Size of `struct sadb_alg`.
pub const ALG_LEN: usize = 8;
/// Size of `struct sadb_x_ipsecrequest`.
pub const IPSECREQUEST_LEN: usize = 16;
/// Size of `struct sadb_x_policy`.
pub const POLICY_LEN: usize = 16;
/// Longest security context af_key accepts (`PAGE_SIZE` on x86-64).
pub const SEC_CTX_MAX: usize = 4096;

/// `n` rounded up to whole 8-byte units (`PFKEY_ALIGN8`), if that fits.
pub const fn align8(n: usize) -> Option<usize> {
    n.checked_next_multiple_of(UNIT)
}

const SHORT: ParseError = ParseError::inval("extension truncated");

/// The size of an extension whose struct is 8 bytes, followed by
/// `content` bytes, padded.
fn ext_len_8(content: usize) -> Option<usize> {
    content.checked_add(8).and_then(align8)
}

/// Checks the extension header against the slice and the expected type and
/// the minimum size, and returns a reader past the header.
fn open(ext: &[u8], ty: ExtType) -> Result<Reader<'_>, ParseError> {
    let mut r = Reader::new(ext);
    let len = r.u16_ne().ok_or(SHORT)?;
    let t = r.u16_ne().ok_or(SHORT)?;
    if usize::from(len).checked_mul(UNIT) != Some(ext.len()) || t != ty.0 {
        return Err(ParseError::inval("extension header does not match"));
    }
    match ty.min_len() {
        Some(min) if ext.len() >= min => Ok(r),
        Some(_) => Err(ParseError::inval("extension shorter than its struct")),
        None => Err(ParseError::inval("unknown extension type")),
    }
}

/// [`open`] for an extension that is exactly its struct.
fn fixed(ext: &[u8], ty: ExtType) -> Result<Reader<'_>, ParseError> {
    let r = open(ext, ty)?;
    if ty.min_len() != Some(ext.len()) {
        return Err(ParseError::inval("extension longer than its struct"));
    }
    Ok(r)
}

fn zero_padding(bytes: &[u8]) -> Result<(), ParseError> {
    if bytes.iter().all(|&b| b == 0) {
        Ok(())
    } else {
        Err(ParseError::inval("padding not zero"))
    }
}

/// Declares an enum naming the extension types that share one struct.
macro_rules! ext_kind {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vdoc:meta])* $var:ident = $ty:ident, )* }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vdoc])* $var, )*
        }

        impl $name {
            /// Every kind, in extension type order.
            pub const ALL: &'static [$name] = &[$($name::$var,)*];

            /// The extension type of this kind.
            pub const fn ext_type(self) -> ExtType {
                match self {
                    $( $name::$var => ExtType::$ty, )*
                }
            }

            /// The kind of an extension type, if it is one of these.
            pub const fn from_ext_type(t: ExtType) -> Option<Self> {
                match t {
                    $( ExtType::$ty => Some($name::$var), )*
                    _ => None,
                }
            }
        }
    };
}

ext_kind! {
    /// Which `sadb_lifetime`.
    LifetimeKind {
        /// `SADB_EXT_LIFETIME_CURRENT`.
        Current = LIFETIME_CURRENT,
        /// `SADB_EXT_LIFETIME_HARD`.
        Hard = LIFETIME_HARD,
        /// `SADB_EXT_LIFETIME_SOFT`.
        Soft = LIFETIME_SOFT,
    }
}

ext_kind! {
    /// Which `sadb_address`.
    AddressKind {
        /// `SADB_EXT_ADDRESS_SRC`.
        Src = ADDRESS_SRC,
        /// `SADB_EXT_ADDRESS_DST`.
        Dst = ADDRESS_DST,
        /// `SADB_EXT_ADDRESS_PROXY`.
        Proxy = ADDRESS_PROXY,
        /// `SADB_X_EXT_NAT_T_OA`: the original address before NAT.
        NatTOa = X_NAT_T_OA,
    }
}

ext_kind! {
    /// Which `sadb_key`.
    KeyKind {
        /// `SADB_EXT_KEY_AUTH`.
        Auth = KEY_AUTH,
        /// `SADB_EXT_KEY_ENCRYPT`.
        Encrypt = KEY_ENCRYPT,
    }
}

ext_kind! {
    /// Which `sadb_ident`.
    IdentityKind {
        /// `SADB_EXT_IDENTITY_SRC`.
        Src = IDENTITY_SRC,
        /// `SADB_EXT_IDENTITY_DST`.
        Dst = IDENTITY_DST,
    }
}

ext_kind! {
    /// Which `sadb_supported`.
    SupportedKind {
        /// `SADB_EXT_SUPPORTED_AUTH`.
        Auth = SUPPORTED_AUTH,
        /// `SADB_EXT_SUPPORTED_ENCRYPT`.
        Encrypt = SUPPORTED_ENCRYPT,
    }
}

ext_kind! {
    /// Which `sadb_x_nat_t_port`.
    NatTPortKind {
        /// `SADB_X_EXT_NAT_T_SPORT`.
        Src = X_NAT_T_SPORT,
        /// `SADB_X_EXT_NAT_T_DPORT`.
        Dst = X_NAT_T_DPORT,
    }
}

/// `struct sadb_sa` (16 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sa {
    /// `sadb_sa_spi`. Network order on the wire; this is the SPI's value
    /// (`ntohl`), e.g. 0x1000 for setkey's `0x1000`.
    pub spi: u32,
    /// `sadb_sa_replay`: replay window (packets on Linux, bytes on KAME).
    pub replay: u8,
    /// `sadb_sa_state`.
    pub state: SaState,
    /// `sadb_sa_auth`.
    pub auth: AuthAlg,
    /// `sadb_sa_encrypt` (a [`CompAlg`] for IPComp: see [`Sa::comp`]).
    pub encrypt: EncAlg,
    /// `sadb_sa_flags` ([`super::consts::sa_flags`]).
    pub flags: u32,
}

impl Sa {
    /// `sadb_sa_encrypt` read as an IPComp algorithm.
    pub const fn comp(&self) -> CompAlg {
        CompAlg(self.encrypt.0)
    }

    fn read(r: &mut Reader<'_>) -> Option<Self> {
        Some(Sa {
            spi: r.u32_be()?,
            replay: r.u8()?,
            state: SaState(r.u8()?),
            auth: AuthAlg(r.u8()?),
            encrypt: EncAlg(r.u8()?),
            flags: r.u32_ne()?,
        })
    }

    pub(crate) fn parse(ext: &[u8]) -> Result<Self, ParseError> {
        Self::read(&mut fixed(ext, ExtType::SA)?).ok_or(SHORT)
    }

    pub(crate) fn emit(&self, o: &mut Out<'_>) {
        o.u32_be(self.spi);
        o.u8(self.replay);
        o.u8(self.state.0);
        o.u8(self.auth.0);
        o.u8(self.encrypt.0);
        o.u32_ne(self.flags);
    }
}

/// `struct sadb_lifetime` (32 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lifetime {
    /// `sadb_lifetime_allocations`.
    pub allocations: u32,
    /// `sadb_lifetime_bytes`.
    pub bytes: u64,
    /// `sadb_lifetime_addtime`: seconds (a timestamp in CURRENT).
    pub addtime: u64,
    /// `sadb_lifetime_usetime`: seconds (a timestamp in CURRENT).
    pub usetime: u64,
}

impl Lifetime {
    fn read(r: &mut Reader<'_>) -> Option<Self> {
        Some(Lifetime {
            allocations: r.u32_ne()?,
            bytes: r.u64_ne()?,
            addtime: r.u64_ne()?,
            usetime: r.u64_ne()?,
        })
    }

    pub(crate) fn parse(ext: &[u8], kind: LifetimeKind) -> Result<Self, ParseError> {
        Self::read(&mut fixed(ext, kind.ext_type())?).ok_or(SHORT)
    }

    pub(crate) fn emit(&self, o: &mut Out<'_>) {
        o.u32_ne(self.allocations);
        o.u64_ne(self.bytes);
        o.u64_ne(self.addtime);
        o.u64_ne(self.usetime);
    }
}

/// `struct sadb_address` and its sockaddr (`sadb_address_reserved` is
/// always zero).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Address {
    /// `sadb_address_proto`: upper-layer protocol, 255 for any. One byte on
    /// the wire.
    pub proto: IpProto,
    /// `sadb_address_prefixlen`.
    pub prefixlen: u8,
    /// The socket address.
    pub sockaddr: SockAddr,
}

impl Address {
    /// A whole-host address for any protocol, as setkey sends SA
    /// addresses.
    pub const fn host(addr: Addr, port: u16) -> Self {
        Address {
            proto: IpProto::IPSEC_ANY,
            prefixlen: addr.bits(),
            sockaddr: SockAddr::new(addr, port),
        }
    }

    /// The address family.
    pub const fn family(&self) -> u16 {
        self.sockaddr.family()
    }

    /// The address.
    pub const fn addr(&self) -> Addr {
        self.sockaddr.addr()
    }

    /// The port, in host order.
    pub const fn port(&self) -> u16 {
        self.sockaddr.port()
    }

    pub(crate) fn parse(ext: &[u8], kind: AddressKind) -> Result<Self, ParseError> {
        let mut r = open(ext, kind.ext_type())?;
        let proto = r.u8().ok_or(SHORT)?;
        let prefixlen = r.u8().ok_or(SHORT)?;
        let reserved = r.u16_ne().ok_or(SHORT)?;
        // af_key's verify_address_len: the family must be there, be one we
        // know, and the extension be exactly the rounded-up sockaddr.
        let family = r
            .peek_rest()
            .get(..2)
            .and_then(|b| b.try_into().ok())
            .map(u16::from_ne_bytes)
            .ok_or(ParseError::inval("address extension without sockaddr"))?;
        let salen = sockaddr_len(family).ok_or(ParseError::inval("unsupported address family"))?;
        if ext_len_8(salen) != Some(ext.len()) {
            return Err(ParseError::inval("address extension length mismatch"));
        }
        if max_prefixlen(family).is_none_or(|max| prefixlen > max) {
            return Err(ParseError::inval("prefix length too long"));
        }
        if reserved != 0 {
            return Err(ParseError::inval("sadb_address_reserved not zero"));
        }
        let sockaddr = SockAddr::parse(&mut r)?;
        zero_padding(r.rest())?;
        Ok(Address {
            proto: IpProto(u16::from(proto)),
            prefixlen,
            sockaddr,
        })
    }

    pub(crate) fn check(&self) -> Result<u8, Errno> {
        if self.prefixlen > self.addr().bits() {
            return Err(Errno::EINVAL);
        }
        u8::try_from(self.proto.0).map_err(|_| Errno::EINVAL)
    }

    pub(crate) fn emit(&self, o: &mut Out<'_>, proto: u8) {
        o.u8(proto);
        o.u8(self.prefixlen);
        o.u16_ne(0);
        self.sockaddr.emit(o);
    }
}

/// `struct sadb_key` and the key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Key<'a> {
    /// `sadb_key_bits`.
    pub bits: u16,
    /// `sadb_key_reserved`.
    pub reserved: u16,
    /// The key: exactly `bits` rounded up to bytes.
    pub data: &'a [u8],
}

impl<'a> Key<'a> {
    /// A key of whole bytes.
    pub fn new(data: &'a [u8]) -> Option<Self> {
        Some(Key {
            bits: u16::try_from(data.len().checked_mul(8)?).ok()?,
            reserved: 0,
            data,
        })
    }

    /// The key length in bytes that `bits` calls for.
    pub fn byte_len(bits: u16) -> usize {
        usize::from(bits).div_ceil(8)
    }

    pub(crate) fn parse(ext: &'a [u8], kind: KeyKind) -> Result<Self, ParseError> {
        let mut r = open(ext, kind.ext_type())?;
        let bits = r.u16_ne().ok_or(SHORT)?;
        let reserved = r.u16_ne().ok_or(SHORT)?;
        let need = Key::byte_len(bits);
        // af_key's verify_key_len refuses bits beyond the extension; a
        // longer extension is refused too, as nothing sends one.
        match ext_len_8(need) {
            Some(n) if n > ext.len() => Err(ParseError::inval("key bits exceed extension")),
            Some(n) if n == ext.len() => Ok(()),
            _ => Err(ParseError::inval("key extension longer than its key")),
        }?;
        let data = r.take(need).ok_or(SHORT)?;
        zero_padding(r.rest())?;
        Ok(Key {
            bits,
            reserved,
            data,
        })
    }

    pub(crate) fn check(&self) -> Result<(), Errno> {
        if self.data.len() == Key::byte_len(self.bits) {
            Ok(())
        } else {
            Err(Errno::EINVAL)
        }
    }

    pub(crate) fn emit(&self, o: &mut Out<'_>) {
        o.u16_ne(self.bits);
        o.u16_ne(self.reserved);
        o.bytes(self.data);
    }
}

/// `struct sadb_ident` and the identity string.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Identity<'a> {
    /// `sadb_ident_type`.
    pub ident_type: IdentType,
    /// `sadb_ident_reserved`.
    pub reserved: u16,
    /// `sadb_ident_id`.
    pub id: u64,
    /// What follows the struct, padding included (a NUL-terminated string
    /// for the string types). The writer pads it to 8 bytes with zeros.
    pub data: &'a [u8],
}

impl<'a> Identity<'a> {
    pub(crate) fn parse(ext: &'a [u8], kind: IdentityKind) -> Result<Self, ParseError> {
        let mut r = open(ext, kind.ext_type())?;
        Ok(Identity {
            ident_type: IdentType(r.u16_ne().ok_or(SHORT)?),
            reserved: r.u16_ne().ok_or(SHORT)?,
            id: r.u64_ne().ok_or(SHORT)?,
            data: r.rest(),
        })
    }

    pub(crate) fn emit(&self, o: &mut Out<'_>) {
        o.u16_ne(self.ident_type.0);
        o.u16_ne(self.reserved);
        o.u64_ne(self.id);
        o.bytes(self.data);
    }
}

/// `struct sadb_sens` and its bitmaps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sensitivity<'a> {
    /// `sadb_sens_dpd`.
    pub dpd: u32,
    /// `sadb_sens_sens_level`.
    pub sens_level: u8,
    /// `sadb_sens_integ_level`.
    pub integ_level: u8,
    /// `sadb_sens_reserved`.
    pub reserved: u32,
    /// The sensitivity bitmap (`sadb_sens_sens_len` 64-bit words).
    pub sens_bitmap: &'a [u8],
    /// The integrity bitmap (`sadb_sens_integ_len` 64-bit words).
    pub integ_bitmap: &'a [u8],
}

impl<'a> Sensitivity<'a> {
    pub(crate) fn parse(ext: &'a [u8]) -> Result<Self, ParseError> {
        let mut r = open(ext, ExtType::SENSITIVITY)?;
        let dpd = r.u32_ne().ok_or(SHORT)?;
        let sens_level = r.u8().ok_or(SHORT)?;
        let sens_len = usize::from(r.u8().ok_or(SHORT)?);
        let integ_level = r.u8().ok_or(SHORT)?;
        let integ_len = usize::from(r.u8().ok_or(SHORT)?);
        let reserved = r.u32_ne().ok_or(SHORT)?;
        let sens_len = sens_len.checked_mul(UNIT).ok_or(SHORT)?;
        let integ_len = integ_len.checked_mul(UNIT).ok_or(SHORT)?;
        if sens_len.checked_add(integ_len) != Some(r.remaining()) {
            return Err(ParseError::inval("sensitivity bitmap length mismatch"));
        }
        Ok(Sensitivity {
            dpd,
            sens_level,
            integ_level,
            reserved,
            sens_bitmap: r.take(sens_len).ok_or(SHORT)?,
            integ_bitmap: r.rest(),
        })
    }

    fn words(bitmap: &[u8]) -> Result<u8, Errno> {
        if bitmap.len().checked_rem(UNIT) != Some(0) {
            return Err(Errno::EINVAL);
        }
        u8::try_from(bitmap.len() / UNIT).map_err(|_| Errno::EINVAL)
    }

    pub(crate) fn check(&self) -> Result<(u8, u8), Errno> {
        Ok((
            Self::words(self.sens_bitmap)?,
            Self::words(self.integ_bitmap)?,
        ))
    }

    pub(crate) fn emit(&self, o: &mut Out<'_>, (sens, integ): (u8, u8)) {
        o.u32_ne(self.dpd);
        o.u8(self.sens_level);
        o.u8(sens);
        o.u8(self.integ_level);
        o.u8(integ);
        o.u32_ne(self.reserved);
        o.bytes(self.sens_bitmap);
        o.bytes(self.integ_bitmap);
    }
}

/// `struct sadb_prop`, without its combinations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Proposal {
    /// `sadb_prop_replay`.
    pub replay: u8,
    /// `sadb_prop_reserved`.
    pub reserved: [u8; 3],
}

impl Proposal {
    pub(crate) fn emit(&self, o: &mut Out<'_>) {
        o.u8(self.replay);
        o.bytes(&self.reserved);
    }
}

/// A parsed PROPOSAL extension: the `sadb_prop` and its `sadb_comb`s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProposalExt<'a> {
    /// The fixed part.
    pub proposal: Proposal,
    combs: &'a [u8],
}

impl<'a> ProposalExt<'a> {
    /// The combinations, in order.
    pub fn combs(&self) -> Combs<'a> {
        Combs(Reader::new(self.combs))
    }

    pub(crate) fn parse(ext: &'a [u8]) -> Result<Self, ParseError> {
        let mut r = open(ext, ExtType::PROPOSAL)?;
        let replay = r.u8().ok_or(SHORT)?;
        let reserved = r.array().ok_or(SHORT)?;
        let combs = r.rest();
        if combs.len().checked_rem(COMB_LEN) != Some(0) {
            return Err(ParseError::inval("proposal not whole sadb_combs"));
        }
        Ok(ProposalExt {
            proposal: Proposal { replay, reserved },
            combs,
        })
    }
}

/// `struct sadb_comb` (72 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Comb {
    /// `sadb_comb_auth`.
    pub auth: AuthAlg,
    /// `sadb_comb_encrypt`.
    pub encrypt: EncAlg,
    /// `sadb_comb_flags`.
    pub flags: u16,
    /// `sadb_comb_auth_minbits`.
    pub auth_minbits: u16,
    /// `sadb_comb_auth_maxbits`.
    pub auth_maxbits: u16,
    /// `sadb_comb_encrypt_minbits`.
    pub encrypt_minbits: u16,
    /// `sadb_comb_encrypt_maxbits`.
    pub encrypt_maxbits: u16,
    /// `sadb_comb_reserved`.
    pub reserved: u32,
    /// `sadb_comb_soft_allocations`.
    pub soft_allocations: u32,
    /// `sadb_comb_hard_allocations`.
    pub hard_allocations: u32,
    /// `sadb_comb_soft_bytes`.
    pub soft_bytes: u64,
    /// `sadb_comb_hard_bytes`.
    pub hard_bytes: u64,
    /// `sadb_comb_soft_addtime`.
    pub soft_addtime: u64,
    /// `sadb_comb_hard_addtime`.
    pub hard_addtime: u64,
    /// `sadb_comb_soft_usetime`.
    pub soft_usetime: u64,
    /// `sadb_comb_hard_usetime`.
    pub hard_usetime: u64,
}

impl Comb {
    fn read(r: &mut Reader<'_>) -> Option<Self> {
        Some(Comb {
            auth: AuthAlg(r.u8()?),
            encrypt: EncAlg(r.u8()?),
            flags: r.u16_ne()?,
            auth_minbits: r.u16_ne()?,
            auth_maxbits: r.u16_ne()?,
            encrypt_minbits: r.u16_ne()?,
            encrypt_maxbits: r.u16_ne()?,
            reserved: r.u32_ne()?,
            soft_allocations: r.u32_ne()?,
            hard_allocations: r.u32_ne()?,
            soft_bytes: r.u64_ne()?,
            hard_bytes: r.u64_ne()?,
            soft_addtime: r.u64_ne()?,
            hard_addtime: r.u64_ne()?,
            soft_usetime: r.u64_ne()?,
            hard_usetime: r.u64_ne()?,
        })
    }

    pub(crate) fn emit(&self, o: &mut Out<'_>) {
        o.u8(self.auth.0);
        o.u8(self.encrypt.0);
        o.u16_ne(self.flags);
        o.u16_ne(self.auth_minbits);
        o.u16_ne(self.auth_maxbits);
        o.u16_ne(self.encrypt_minbits);
        o.u16_ne(self.encrypt_maxbits);
        o.u32_ne(self.reserved);
        o.u32_ne(self.soft_allocations);
        o.u32_ne(self.hard_allocations);
        o.u64_ne(self.soft_bytes);
        o.u64_ne(self.hard_bytes);
        o.u64_ne(self.soft_addtime);
        o.u64_ne(self.hard_addtime);
        o.u64_ne(self.soft_usetime);
        o.u64_ne(self.hard_usetime);
    }
}

/// Iterator over the `sadb_comb`s of a proposal.
#[derive(Clone, Debug)]
pub struct Combs<'a>(Reader<'a>);

impl Iterator for Combs<'_> {
    type Item = Comb;

    fn next(&mut self) -> Option<Comb> {
        Comb::read(&mut self.0.sub(COMB_LEN)?)
    }
}

/// `struct sadb_supported`, without its algorithms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Supported {
    /// `sadb_supported_reserved`.
    pub reserved: u32,
}

/// A parsed SUPPORTED extension: the `sadb_supported` and its `sadb_alg`s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SupportedExt<'a> {
    /// The fixed part.
    pub supported: Supported,
    algs: &'a [u8],
}

impl<'a> SupportedExt<'a> {
    /// The algorithms, in order.
    pub fn algs(&self) -> Algs<'a> {
        Algs(Reader::new(self.algs))
    }

    pub(crate) fn parse(ext: &'a [u8], kind: SupportedKind) -> Result<Self, ParseError> {
        let mut r = open(ext, kind.ext_type())?;
        let reserved = r.u32_ne().ok_or(SHORT)?;
        // The rest is a whole number of 8-byte units, so of sadb_algs.
        Ok(SupportedExt {
            supported: Supported { reserved },
            algs: r.rest(),
        })
    }
}

/// `struct sadb_alg` (8 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Alg {
    /// `sadb_alg_id`: an [`AuthAlg`] or [`EncAlg`] number, by the kind of
    /// the extension.
    pub id: u8,
    /// `sadb_alg_ivlen`.
    pub ivlen: u8,
    /// `sadb_alg_minbits`.
    pub minbits: u16,
    /// `sadb_alg_maxbits`.
    pub maxbits: u16,
    /// `sadb_alg_reserved`.
    pub reserved: u16,
}

impl Alg {
    fn read(r: &mut Reader<'_>) -> Option<Self> {
        Some(Alg {
            id: r.u8()?,
            ivlen: r.u8()?,
            minbits: r.u16_ne()?,
            maxbits: r.u16_ne()?,
            reserved: r.u16_ne()?,
        })
    }

    pub(crate) fn emit(&self, o: &mut Out<'_>) {
        o.u8(self.id);
        o.u8(self.ivlen);
        o.u16_ne(self.minbits);
        o.u16_ne(self.maxbits);
        o.u16_ne(self.reserved);
    }
}

/// Iterator over the `sadb_alg`s of a SUPPORTED extension.
#[derive(Clone, Debug)]
pub struct Algs<'a>(Reader<'a>);

impl Iterator for Algs<'_> {
    type Item = Alg;

    fn next(&mut self) -> Option<Alg> {
        Alg::read(&mut self.0.sub(ALG_LEN)?)
    }
}

/// `struct sadb_spirange` (16 bytes; host order, unlike `sadb_sa_spi`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SpiRange {
    /// `sadb_spirange_min`.
    pub min: u32,
    /// `sadb_spirange_max`.
    pub max: u32,
    /// `sadb_spirange_reserved`.
    pub reserved: u32,
}

impl SpiRange {
    fn read(r: &mut Reader<'_>) -> Option<Self> {
        Some(SpiRange {
            min: r.u32_ne()?,
            max: r.u32_ne()?,
            reserved: r.u32_ne()?,
        })
    }

    pub(crate) fn parse(ext: &[u8]) -> Result<Self, ParseError> {
        Self::read(&mut fixed(ext, ExtType::SPIRANGE)?).ok_or(SHORT)
    }

    pub(crate) fn emit(&self, o: &mut Out<'_>) {
        o.u32_ne(self.min);
        o.u32_ne(self.max);
        o.u32_ne(self.reserved);
    }
}

/// `struct sadb_x_kmprivate` and its opaque data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KmPrivate<'a> {
    /// `sadb_x_kmprivate_reserved`.
    pub reserved: u32,
    /// The key manager's data (padded to 8 bytes with zeros when written).
    pub data: &'a [u8],
}

impl<'a> KmPrivate<'a> {
    pub(crate) fn parse(ext: &'a [u8]) -> Result<Self, ParseError> {
        let mut r = open(ext, ExtType::X_KMPRIVATE)?;
        Ok(KmPrivate {
            reserved: r.u32_ne().ok_or(SHORT)?,
            data: r.rest(),
        })
    }

    pub(crate) fn emit(&self, o: &mut Out<'_>) {
        o.u32_ne(self.reserved);
        o.bytes(self.data);
    }
}

/// `struct sadb_x_policy`, without its requests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// `sadb_x_policy_type`.
    pub policy_type: PolicyType,
    /// `sadb_x_policy_dir`.
    pub dir: IpsecDir,
    /// `sadb_x_policy_reserved`.
    pub reserved: u8,
    /// `sadb_x_policy_id`.
    pub id: u32,
    /// `sadb_x_policy_priority` (smaller ranks first).
    pub priority: u32,
}

impl Policy {
    pub(crate) fn emit(&self, o: &mut Out<'_>) {
        o.u16_ne(self.policy_type.0);
        o.u8(self.dir.0);
        o.u8(self.reserved);
        o.u32_ne(self.id);
        o.u32_ne(self.priority);
    }
}

/// A parsed X_POLICY extension: the `sadb_x_policy` and its requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyExt<'a> {
    /// The fixed part.
    pub policy: Policy,
    requests: &'a [u8],
}

impl<'a> PolicyExt<'a> {
    /// The `sadb_x_ipsecrequest`s, in order.
    pub fn requests(&self) -> IpsecRequests<'a> {
        IpsecRequests(Reader::new(self.requests))
    }

    pub(crate) fn parse(ext: &'a [u8]) -> Result<Self, ParseError> {
        Self::parse_fields(open(ext, ExtType::X_POLICY)?)
    }

    /// A per-socket policy as `setsockopt(IP_IPSEC_POLICY)` takes it: a
    /// `sadb_x_policy` whose `sadb_x_policy_len` (8-byte units) fits in
    /// `buf`, what follows it ignored, its extension type not checked (as
    /// af_key's `pfkey_compile_policy` and KAME's `ipsec_set_policy`).
    pub fn parse_socket_option(buf: &'a [u8]) -> Result<Self, ParseError> {
        let len = buf
            .get(..2)
            .and_then(|b| b.first_chunk::<2>())
            .map(|b| usize::from(u16::from_ne_bytes(*b)))
            .ok_or(SHORT)?;
        let ext = len
            .checked_mul(UNIT)
            .and_then(|n| buf.get(..n))
            .ok_or(ParseError::inval("sadb_x_policy_len beyond the buffer"))?;
        if ext.len() < POLICY_LEN {
            return Err(ParseError::inval("sadb_x_policy shorter than its struct"));
        }
        let mut r = Reader::new(ext);
        r.skip(4).ok_or(SHORT)?;
        Self::parse_fields(r)
    }

    /// The fields after the extension header, then the requests.
    fn parse_fields(mut r: Reader<'a>) -> Result<Self, ParseError> {
        let policy = Policy {
            policy_type: PolicyType(r.u16_ne().ok_or(SHORT)?),
            dir: IpsecDir(r.u8().ok_or(SHORT)?),
            reserved: r.u8().ok_or(SHORT)?,
            id: r.u32_ne().ok_or(SHORT)?,
            priority: r.u32_ne().ok_or(SHORT)?,
        };
        let requests = r.peek_rest();
        while !r.is_empty() {
            IpsecRequest::parse(&mut r)?;
        }
        Ok(PolicyExt { policy, requests })
    }
}

/// `struct sadb_x_ipsecrequest` and its optional tunnel endpoints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IpsecRequest {
    /// `sadb_x_ipsecrequest_proto`: ESP, AH or COMP.
    pub proto: IpProto,
    /// `sadb_x_ipsecrequest_mode`.
    pub mode: IpsecMode,
    /// `sadb_x_ipsecrequest_level`.
    pub level: IpsecLevel,
    /// `sadb_x_ipsecrequest_reserved1`.
    pub reserved1: u16,
    /// `sadb_x_ipsecrequest_reqid`.
    pub reqid: u32,
    /// `sadb_x_ipsecrequest_reserved2`.
    pub reserved2: u32,
    /// The (source, destination) sockaddr pair after the struct: tunnel
    /// endpoints, or the SA addresses of a transport request.
    pub endpoints: Option<(SockAddr, SockAddr)>,
}

impl IpsecRequest {
    /// Reads one request (its own length is in bytes, a multiple of 8).
    fn parse(r: &mut Reader<'_>) -> Result<Self, ParseError> {
        let len = r
            .peek_rest()
            .get(..2)
            .and_then(|b| b.try_into().ok())
            .map(u16::from_ne_bytes)
            .ok_or(ParseError::inval("ipsecrequest truncated"))?;
        let len = usize::from(len);
        if len < IPSECREQUEST_LEN {
            return Err(ParseError::inval("ipsecrequest shorter than its struct"));
        }
        if len.checked_rem(UNIT) != Some(0) {
            return Err(ParseError::inval("ipsecrequest length not a multiple of 8"));
        }
        let mut q = r
            .sub(len)
            .ok_or(ParseError::inval("ipsecrequest overflows policy"))?;
        q.skip(2).ok_or(SHORT)?;
        let mut rq = IpsecRequest {
            proto: IpProto(q.u16_ne().ok_or(SHORT)?),
            mode: IpsecMode(q.u8().ok_or(SHORT)?),
            level: IpsecLevel(q.u8().ok_or(SHORT)?),
            reserved1: q.u16_ne().ok_or(SHORT)?,
            reqid: q.u32_ne().ok_or(SHORT)?,
            reserved2: q.u32_ne().ok_or(SHORT)?,
            endpoints: None,
        };
        if !q.is_empty() {
            rq.endpoints = Some(SockAddr::parse_pair(q.rest())?);
        }
        Ok(rq)
    }

    pub(crate) fn check(&self) -> Result<(), Errno> {
        match self.endpoints {
            Some((s, d)) if s.family() != d.family() => Err(Errno::EINVAL),
            _ => Ok(()),
        }
    }

    /// Writes the request, its length derived from what follows it.
    pub(crate) fn emit(&self, o: &mut Out<'_>) {
        let start = o.pos();
        o.u16_ne(0);
        o.u16_ne(self.proto.0);
        o.u8(self.mode.0);
        o.u8(self.level.0);
        o.u16_ne(self.reserved1);
        o.u32_ne(self.reqid);
        o.u32_ne(self.reserved2);
        if let Some((src, dst)) = &self.endpoints {
            src.emit(o);
            dst.emit(o);
        }
        o.pad8();
        o.patch_len_u16(start, 1);
    }
}

/// Iterator over the requests of a policy.
#[derive(Clone, Debug)]
pub struct IpsecRequests<'a>(Reader<'a>);

impl Iterator for IpsecRequests<'_> {
    type Item = IpsecRequest;

    fn next(&mut self) -> Option<IpsecRequest> {
        IpsecRequest::parse(&mut self.0).ok()
    }
}

/// `struct sadb_x_sa2` (16 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sa2 {
    /// `sadb_x_sa2_mode`.
    pub mode: IpsecMode,
    /// `sadb_x_sa2_reserved1`.
    pub reserved1: u8,
    /// `sadb_x_sa2_reserved2`.
    pub reserved2: u16,
    /// `sadb_x_sa2_sequence` (setkey leaves it uninitialised).
    pub sequence: u32,
    /// `sadb_x_sa2_reqid`.
    pub reqid: u32,
}

impl Sa2 {
    fn read(r: &mut Reader<'_>) -> Option<Self> {
        Some(Sa2 {
            mode: IpsecMode(r.u8()?),
            reserved1: r.u8()?,
            reserved2: r.u16_ne()?,
            sequence: r.u32_ne()?,
            reqid: r.u32_ne()?,
        })
    }

    pub(crate) fn parse(ext: &[u8]) -> Result<Self, ParseError> {
        Self::read(&mut fixed(ext, ExtType::X_SA2)?).ok_or(SHORT)
    }

    pub(crate) fn emit(&self, o: &mut Out<'_>) {
        o.u8(self.mode.0);
        o.u8(self.reserved1);
        o.u16_ne(self.reserved2);
        o.u32_ne(self.sequence);
        o.u32_ne(self.reqid);
    }
}

/// `struct sadb_x_nat_t_type` (8 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NatTType {
    /// `sadb_x_nat_t_type_type`.
    pub encap: UdpEncap,
    /// `sadb_x_nat_t_type_reserved`.
    pub reserved: [u8; 3],
}

impl NatTType {
    fn read(r: &mut Reader<'_>) -> Option<Self> {
        Some(NatTType {
            encap: UdpEncap(r.u8()?),
            reserved: r.array()?,
        })
    }

    pub(crate) fn parse(ext: &[u8]) -> Result<Self, ParseError> {
        Self::read(&mut fixed(ext, ExtType::X_NAT_T_TYPE)?).ok_or(SHORT)
    }

    pub(crate) fn emit(&self, o: &mut Out<'_>) {
        o.u8(self.encap.0);
        o.bytes(&self.reserved);
    }
}

/// `struct sadb_x_nat_t_port` (8 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NatTPort {
    /// `sadb_x_nat_t_port_port`: network order on the wire, host order
    /// here.
    pub port: u16,
    /// `sadb_x_nat_t_port_reserved`.
    pub reserved: u16,
}

impl NatTPort {
    fn read(r: &mut Reader<'_>) -> Option<Self> {
        Some(NatTPort {
            port: r.u16_be()?,
            reserved: r.u16_ne()?,
        })
    }

    pub(crate) fn parse(ext: &[u8], kind: NatTPortKind) -> Result<Self, ParseError> {
        Self::read(&mut fixed(ext, kind.ext_type())?).ok_or(SHORT)
    }

    pub(crate) fn emit(&self, o: &mut Out<'_>) {
        o.u16_be(self.port);
        o.u16_ne(self.reserved);
    }
}

/// `struct sadb_x_sec_ctx` and the context string.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SecCtx<'a> {
    /// `sadb_x_ctx_alg` (SELinux is 1).
    pub alg: u8,
    /// `sadb_x_ctx_doi`.
    pub doi: u8,
    /// The context (`sadb_x_ctx_len` bytes, at most [`SEC_CTX_MAX`]).
    pub ctx: &'a [u8],
}

impl<'a> SecCtx<'a> {
    pub(crate) fn parse(ext: &'a [u8]) -> Result<Self, ParseError> {
        let mut r = open(ext, ExtType::X_SEC_CTX)?;
        let alg = r.u8().ok_or(SHORT)?;
        let doi = r.u8().ok_or(SHORT)?;
        let len = usize::from(r.u16_ne().ok_or(SHORT)?);
        // af_key's verify_sec_ctx_len.
        if len > SEC_CTX_MAX {
            return Err(ParseError::inval("security context too long"));
        }
        if ext_len_8(len) != Some(ext.len()) {
            return Err(ParseError::inval("security context length mismatch"));
        }
        let ctx = r.take(len).ok_or(SHORT)?;
        zero_padding(r.rest())?;
        Ok(SecCtx { alg, doi, ctx })
    }

    pub(crate) fn check(&self) -> Result<u16, Errno> {
        if self.ctx.len() > SEC_CTX_MAX {
            return Err(Errno::EINVAL);
        }
        u16::try_from(self.ctx.len()).map_err(|_| Errno::EINVAL)
    }

    pub(crate) fn emit(&self, o: &mut Out<'_>, len: u16) {
        o.u8(self.alg);
        o.u8(self.doi);
        o.u16_ne(len);
        o.bytes(self.ctx);
    }
}

/// `struct sadb_x_kmaddress` and its (local, remote) sockaddr pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KmAddress {
    /// `sadb_x_kmaddress_reserved`.
    pub reserved: u32,
    /// The local key manager address.
    pub local: SockAddr,
    /// The remote key manager address (same family).
    pub remote: SockAddr,
}

impl KmAddress {
    pub(crate) fn parse(ext: &[u8]) -> Result<Self, ParseError> {
        let mut r = open(ext, ExtType::X_KMADDRESS)?;
        let reserved = r.u32_ne().ok_or(SHORT)?;
        let (local, remote) = SockAddr::parse_pair(r.rest())?;
        Ok(KmAddress {
            reserved,
            local,
            remote,
        })
    }

    pub(crate) fn check(&self) -> Result<(), Errno> {
        if self.local.family() == self.remote.family() {
            Ok(())
        } else {
            Err(Errno::EINVAL)
        }
    }

    pub(crate) fn emit(&self, o: &mut Out<'_>) {
        o.u32_ne(self.reserved);
        self.local.emit(o);
        self.remote.emit(o);
    }
}

/// `struct sadb_x_filter` (40 bytes): a DUMP filter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    /// `sadb_x_filter_saddr` (an IPv4 address in the first 4 bytes).
    pub saddr: [u8; 16],
    /// `sadb_x_filter_daddr`.
    pub daddr: [u8; 16],
    /// `sadb_x_filter_family`.
    pub family: u16,
    /// `sadb_x_filter_splen`.
    pub splen: u8,
    /// `sadb_x_filter_dplen`.
    pub dplen: u8,
}

impl Filter {
    fn read(r: &mut Reader<'_>) -> Option<Self> {
        Some(Filter {
            saddr: r.array()?,
            daddr: r.array()?,
            family: r.u16_ne()?,
            splen: r.u8()?,
            dplen: r.u8()?,
        })
    }

    pub(crate) fn parse(ext: &[u8]) -> Result<Self, ParseError> {
        Self::read(&mut fixed(ext, ExtType::X_FILTER)?).ok_or(SHORT)
    }

    pub(crate) fn emit(&self, o: &mut Out<'_>) {
        o.bytes(&self.saddr);
        o.bytes(&self.daddr);
        o.u16_ne(self.family);
        o.u8(self.splen);
        o.u8(self.dplen);
    }
}

/// `struct sadb_x_sa_replay` (8 bytes, `SADB_X_EXT_SA_REPLAY`): a replay
/// window wider than the 8-bit `sadb_sa_replay`.
///
/// When present in an ADD or UPDATE it overrides `sadb_sa_replay`; the SA
/// table accepts up to 4096 packets (see `SaRecord::from_add`), the codec
/// any `u32`. SA messages from the kernel carry it when the window is over
/// 255, with `sadb_sa_replay` 255.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SaReplay {
    /// `sadb_x_sa_replay_replay`: the window in packets (host order); 0 is
    /// no replay protection.
    pub replay: u32,
}

impl SaReplay {
    fn read(r: &mut Reader<'_>) -> Option<Self> {
        Some(SaReplay {
            replay: r.u32_ne()?,
        })
    }

    pub(crate) fn parse(ext: &[u8]) -> Result<Self, ParseError> {
        Self::read(&mut fixed(ext, ExtType::X_SA_REPLAY)?).ok_or(SHORT)
    }

    pub(crate) fn emit(&self, o: &mut Out<'_>) {
        o.u32_ne(self.replay);
    }
}

/// Any extension, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extension<'a> {
    /// `SADB_EXT_SA`.
    Sa(Sa),
    /// `SADB_EXT_LIFETIME_*`.
    Lifetime(LifetimeKind, Lifetime),
    /// `SADB_EXT_ADDRESS_*`, `SADB_X_EXT_NAT_T_OA`.
    Address(AddressKind, Address),
    /// `SADB_EXT_KEY_*`.
    Key(KeyKind, Key<'a>),
    /// `SADB_EXT_IDENTITY_*`.
    Identity(IdentityKind, Identity<'a>),
    /// `SADB_EXT_SENSITIVITY`.
    Sensitivity(Sensitivity<'a>),
    /// `SADB_EXT_PROPOSAL`.
    Proposal(ProposalExt<'a>),
    /// `SADB_EXT_SUPPORTED_*`.
    Supported(SupportedKind, SupportedExt<'a>),
    /// `SADB_EXT_SPIRANGE`.
    SpiRange(SpiRange),
    /// `SADB_X_EXT_KMPRIVATE`.
    KmPrivate(KmPrivate<'a>),
    /// `SADB_X_EXT_POLICY`.
    Policy(PolicyExt<'a>),
    /// `SADB_X_EXT_SA2`.
    Sa2(Sa2),
    /// `SADB_X_EXT_NAT_T_TYPE`.
    NatTType(NatTType),
    /// `SADB_X_EXT_NAT_T_SPORT`, `SADB_X_EXT_NAT_T_DPORT`.
    NatTPort(NatTPortKind, NatTPort),
    /// `SADB_X_EXT_SEC_CTX`.
    SecCtx(SecCtx<'a>),
    /// `SADB_X_EXT_KMADDRESS`.
    KmAddress(KmAddress),
    /// `SADB_X_EXT_FILTER`.
    Filter(Filter),
    /// `SADB_X_EXT_SA_REPLAY`.
    SaReplay(SaReplay),
}

impl<'a> Extension<'a> {
    /// Validates and decodes one whole extension (header included) of type
    /// `ty`.
    pub(crate) fn parse(ty: ExtType, ext: &'a [u8]) -> Result<Self, ParseError> {
        Ok(match ty {
            ExtType::SA => Extension::Sa(Sa::parse(ext)?),
            ExtType::SENSITIVITY => Extension::Sensitivity(Sensitivity::parse(ext)?),
            ExtType::PROPOSAL => Extension::Proposal(ProposalExt::parse(ext)?),
            ExtType::SPIRANGE => Extension::SpiRange(SpiRange::parse(ext)?),
            ExtType::X_KMPRIVATE => Extension::KmPrivate(KmPrivate::parse(ext)?),
            ExtType::X_POLICY => Extension::Policy(PolicyExt::parse(ext)?),
            ExtType::X_SA2 => Extension::Sa2(Sa2::parse(ext)?),
            ExtType::X_NAT_T_TYPE => Extension::NatTType(NatTType::parse(ext)?),
            ExtType::X_SEC_CTX => Extension::SecCtx(SecCtx::parse(ext)?),
            ExtType::X_KMADDRESS => Extension::KmAddress(KmAddress::parse(ext)?),
            ExtType::X_FILTER => Extension::Filter(Filter::parse(ext)?),
            ExtType::X_SA_REPLAY => Extension::SaReplay(SaReplay::parse(ext)?),
            t => {
                if let Some(k) = LifetimeKind::from_ext_type(t) {
                    Extension::Lifetime(k, Lifetime::parse(ext, k)?)
                } else if let Some(k) = AddressKind::from_ext_type(t) {
                    Extension::Address(k, Address::parse(ext, k)?)
                } else if let Some(k) = KeyKind::from_ext_type(t) {
                    Extension::Key(k, Key::parse(ext, k)?)
                } else if let Some(k) = IdentityKind::from_ext_type(t) {
                    Extension::Identity(k, Identity::parse(ext, k)?)
                } else if let Some(k) = SupportedKind::from_ext_type(t) {
                    Extension::Supported(k, SupportedExt::parse(ext, k)?)
                } else if let Some(k) = NatTPortKind::from_ext_type(t) {
                    Extension::NatTPort(k, NatTPort::parse(ext, k)?)
                } else {
                    return Err(ParseError::inval("unknown extension type"));
                }
            }
        })
    }

    /// The extension's type.
    pub const fn ext_type(&self) -> ExtType {
        match self {
            Extension::Sa(_) => ExtType::SA,
            Extension::Lifetime(k, _) => k.ext_type(),
            Extension::Address(k, _) => k.ext_type(),
            Extension::Key(k, _) => k.ext_type(),
            Extension::Identity(k, _) => k.ext_type(),
            Extension::Sensitivity(_) => ExtType::SENSITIVITY,
            Extension::Proposal(_) => ExtType::PROPOSAL,
            Extension::Supported(k, _) => k.ext_type(),
            Extension::SpiRange(_) => ExtType::SPIRANGE,
            Extension::KmPrivate(_) => ExtType::X_KMPRIVATE,
            Extension::Policy(_) => ExtType::X_POLICY,
            Extension::Sa2(_) => ExtType::X_SA2,
            Extension::NatTType(_) => ExtType::X_NAT_T_TYPE,
            Extension::NatTPort(k, _) => k.ext_type(),
            Extension::SecCtx(_) => ExtType::X_SEC_CTX,
            Extension::KmAddress(_) => ExtType::X_KMADDRESS,
            Extension::Filter(_) => ExtType::X_FILTER,
            Extension::SaReplay(_) => ExtType::X_SA_REPLAY,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::consts::EXT_COUNT;
    use super::*;

    #[test]
    fn align8_rounds_up() {
        assert_eq!(align8(0), Some(0));
        assert_eq!(align8(1), Some(8));
        assert_eq!(align8(8), Some(8));
        assert_eq!(align8(36), Some(40));
        assert_eq!(align8(usize::MAX), None);
    }

    #[test]
    fn every_type_has_exactly_one_decoder() {
        let mut kinds = 0;
        for i in 0..EXT_COUNT {
            let t = ExtType::from_index(i).unwrap();
            let n = [
                LifetimeKind::from_ext_type(t).is_some(),
                AddressKind::from_ext_type(t).is_some(),
                KeyKind::from_ext_type(t).is_some(),
                IdentityKind::from_ext_type(t).is_some(),
                SupportedKind::from_ext_type(t).is_some(),
                NatTPortKind::from_ext_type(t).is_some(),
            ]
            .iter()
            .filter(|&&b| b)
            .count();
            assert!(n <= 1, "{t:?}");
            kinds += n;
        }
        assert_eq!(kinds, 3 + 4 + 2 + 2 + 2 + 2);
        for k in AddressKind::ALL {
            assert_eq!(AddressKind::from_ext_type(k.ext_type()), Some(*k));
        }
        assert_eq!(KeyKind::from_ext_type(ExtType::SA), None);
    }

    /// Writes `body` behind a sadb_ext header of type `t`, padded.
    fn ext(t: ExtType, body: &[u8]) -> Vec<u8> {
        let len = align8(4 + body.len()).unwrap();
        let mut v = u16::try_from(len / 8).unwrap().to_ne_bytes().to_vec();
        v.extend_from_slice(&t.0.to_ne_bytes());
        v.extend_from_slice(body);
        v.resize(len, 0);
        v
    }

    fn emit(f: impl FnOnce(&mut Out<'_>)) -> Vec<u8> {
        let mut buf = [0u8; 256];
        let mut o = Out::new(&mut buf);
        f(&mut o);
        let n = o.pos();
        buf[..n].to_vec()
    }

    #[test]
    fn sa_spi_is_network_order() {
        let sa = Sa {
            spi: 0x1234_5678,
            replay: 4,
            state: SaState::MATURE,
            auth: AuthAlg::SHA2_256HMAC,
            encrypt: EncAlg::X_CHACHA20_POLY1305,
            flags: 0x8000_0000,
        };
        let body = emit(|o| sa.emit(o));
        assert_eq!(&body[..4], &[0x12, 0x34, 0x56, 0x78]);
        assert_eq!(&body[4..8], &[4, 1, 5, 25]);
        assert_eq!(Sa::parse(&ext(ExtType::SA, &body)), Ok(sa));
        assert_eq!(
            Sa {
                encrypt: EncAlg(2),
                ..sa
            }
            .comp(),
            CompAlg::DEFLATE
        );
    }

    #[test]
    fn nat_t_port_is_network_order() {
        let p = NatTPort {
            port: 4500,
            reserved: 0,
        };
        let body = emit(|o| p.emit(o));
        assert_eq!(body, [0x11, 0x94, 0, 0]);
        let e = ext(ExtType::X_NAT_T_SPORT, &body);
        assert_eq!(NatTPort::parse(&e, NatTPortKind::Src), Ok(p));
        // The kind must match the header's type.
        assert!(NatTPort::parse(&e, NatTPortKind::Dst).is_err());
    }

    #[test]
    fn header_must_match_slice() {
        let mut e = ext(ExtType::X_SA2, &[0; 12]);
        assert!(Sa2::parse(&e).is_ok());
        e[0] = 3;
        assert_eq!(
            Sa2::parse(&e).unwrap_err().reason,
            "extension header does not match"
        );
        assert_eq!(Sa2::parse(&[]).unwrap_err().reason, "extension truncated");
        assert!(Extension::parse(ExtType(28), &ext(ExtType(28), &[0; 4])).is_err());
    }

    #[test]
    fn sa_replay_is_one_unit_host_order() {
        let r = SaReplay { replay: 4096 };
        let body = emit(|o| r.emit(o));
        assert_eq!(body, 4096u32.to_ne_bytes());
        let e = ext(ExtType::X_SA_REPLAY, &body);
        assert_eq!(e.len(), 8);
        assert_eq!(
            &e[..4],
            &[&1u16.to_ne_bytes()[..], &27u16.to_ne_bytes()].concat()[..]
        );
        assert_eq!(SaReplay::parse(&e), Ok(r));
        assert_eq!(
            Extension::parse(ExtType::X_SA_REPLAY, &e),
            Ok(Extension::SaReplay(r))
        );
        assert_eq!(Extension::SaReplay(r).ext_type(), ExtType::X_SA_REPLAY);
        // Two units: longer than the struct.
        let long = ext(ExtType::X_SA_REPLAY, &[0; 12]);
        assert_eq!(
            SaReplay::parse(&long).unwrap_err().reason,
            "extension longer than its struct"
        );
    }

    #[test]
    fn key_helpers() {
        assert_eq!(Key::byte_len(0), 0);
        assert_eq!(Key::byte_len(1), 1);
        assert_eq!(Key::byte_len(160), 20);
        assert_eq!(Key::new(&[0; 8]).unwrap().bits, 64);
        assert_eq!(Key::new(&[0; 8192]), None);
    }

    #[test]
    fn address_host_and_views() {
        let a = Address::host(Addr::V6([3; 16]), 500);
        assert_eq!(
            (a.prefixlen, a.proto, a.port()),
            (128, IpProto::IPSEC_ANY, 500)
        );
        assert_eq!(a.family(), super::super::super::inet::AF_INET6);
        let body = emit(|o| a.emit(o, 255));
        let e = ext(ExtType::ADDRESS_PROXY, &body);
        assert_eq!(e.len(), 40);
        assert_eq!(Address::parse(&e, AddressKind::Proxy), Ok(a));
    }

    #[test]
    fn identity_and_kmprivate_keep_their_tail() {
        let e = ext(ExtType::IDENTITY_DST, &[0; 12 + 8]);
        let id = Identity::parse(&e, IdentityKind::Dst).unwrap();
        assert_eq!(id.data.len(), 8);
        let e = ext(ExtType::X_KMPRIVATE, &[0; 4]);
        assert_eq!(KmPrivate::parse(&e).unwrap().data, b"");
    }

    #[test]
    fn request_iterator_stops_cleanly() {
        // Requests are validated at parse; on bytes that were not, the
        // iterator just ends.
        let it = IpsecRequests(Reader::new(&[16, 0, 0]));
        assert_eq!(it.count(), 0);
        assert_eq!(Combs(Reader::new(&[0; 71])).count(), 0);
        assert_eq!(Algs(Reader::new(&[0; 17])).count(), 2);
    }
}
