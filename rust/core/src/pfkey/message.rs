// SPDX-License-Identifier: GPL-2.0

//! Parsing a whole PF_KEY message: the `sadb_msg` header, then every
//! extension, validated once (af_key's `pfkey_get_base_msg` and
//! `parse_exthdrs`, made stricter) into a [`Message`] whose accessors
//! cannot fail on a message that parsed ([`Message::reencode`], which
//! writes one again, is the writer's).
//!
//! C header: [include/uapi/linux/pfkeyv2.h](srctree/include/uapi/linux/pfkeyv2.h)

use super::super::errno::Errno;
use super::consts::{ExtType, MsgType, SaType, EXT_COUNT, PF_KEY_V2, UNIT};
use super::ext::{
    Address, AddressKind, Extension, Filter, Identity, IdentityKind, Key, KeyKind, KmAddress,
    KmPrivate, Lifetime, LifetimeKind, NatTPort, NatTPortKind, NatTType, PolicyExt, ProposalExt,
    Sa, Sa2, SaReplay, SecCtx, Sensitivity, SpiRange, SupportedExt, SupportedKind,
};
use super::out::Out;
use super::reader::{ParseError, Reader};

/// Size of `struct sadb_msg`.
pub const MSG_HDR_LEN: usize = 16;

/// Largest message: `sadb_msg_len` is 16 bits of 8-byte units.
pub const MSG_MAX_LEN: usize = 0xffff * UNIT;

/// The `struct sadb_msg` fields that vary (`sadb_msg_version` is always 2,
/// `sadb_msg_reserved` always 0, and `sadb_msg_len` follows from the
/// content).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MsgHeader {
    /// `sadb_msg_type`.
    pub msg_type: MsgType,
    /// `sadb_msg_errno` (positive; 0 in requests).
    pub errno: u8,
    /// `sadb_msg_satype`.
    pub satype: SaType,
    /// `sadb_msg_seq`.
    pub seq: u32,
    /// `sadb_msg_pid`.
    pub pid: u32,
}

impl MsgHeader {
    /// A header with `sadb_msg_errno` 0.
    pub const fn new(msg_type: MsgType, satype: SaType, seq: u32, pid: u32) -> Self {
        Self {
            msg_type,
            errno: 0,
            satype,
            seq,
            pid,
        }
    }

    /// The 16 header bytes with `sadb_msg_len` = `len_units`.
    pub fn to_bytes(&self, len_units: u16) -> [u8; MSG_HDR_LEN] {
        let mut b = [0u8; MSG_HDR_LEN];
        let mut w = Out::new(&mut b);
        w.u8(PF_KEY_V2);
        w.u8(self.msg_type.0);
        w.u8(self.errno);
        w.u8(self.satype.0);
        w.u16_ne(len_units);
        w.u16_ne(0);
        w.u32_ne(self.seq);
        w.u32_ne(self.pid);
        b
    }

    /// The header-only error reply to a request with this header (af_key's
    /// `pfkey_error`): a copy with `sadb_msg_errno` set and length 2. An
    /// errno that does not fit the byte becomes `EINVAL`.
    pub fn error_reply(&self, errno: Errno) -> [u8; MSG_HDR_LEN] {
        // EINVAL is 22 and always fits.
        const EINVAL_U8: u8 = 22;
        let e = u8::try_from(errno.0)
            .ok()
            .filter(|&e| e != 0)
            .unwrap_or(EINVAL_U8);
        MsgHeader { errno: e, ..*self }.to_bytes(2)
    }
}

/// A validated PF_KEY message.
///
/// # Invariants
///
/// `bytes` passed [`parse`]: the header is valid, the extensions tile the
/// body exactly, each is known, present once and well-formed, and
/// `offsets[t - 1]` is the 8-byte-unit offset of extension `t` (0 if
/// absent).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message<'a> {
    bytes: &'a [u8],
    header: MsgHeader,
    offsets: [u16; EXT_COUNT],
}

/// Parses and validates a PF_KEY message: exactly `bytes`, no more, no less.
///
/// Errors, like af_key: `EMSGSIZE` if `bytes` is shorter than the header or
/// `sadb_msg_len` disagrees with its size; `EINVAL` for everything else
/// (version, reserved, message or SA type, and every extension problem).
/// Unlike af_key, unknown extension types are refused rather than skipped.
pub fn parse(bytes: &[u8]) -> Result<Message<'_>, ParseError> {
    let header = parse_header(bytes)?;
    let mut r = Reader::new(bytes.get(MSG_HDR_LEN..).ok_or(SHORT_MSG)?);
    if header.satype > SaType::MAX {
        return Err(ParseError::inval("unknown SA type"));
    }
    let mut offsets = [0u16; EXT_COUNT];
    while !r.is_empty() {
        let at = bytes.len().checked_sub(r.remaining()).ok_or(SHORT_MSG)?;
        let (ty, ext) = take_ext(&mut r)?;
        let slot = ty
            .index()
            .and_then(|i| offsets.get_mut(i))
            .ok_or(ParseError::inval("unknown extension type"))?;
        if *slot != 0 {
            return Err(ParseError::inval("duplicate extension"));
        }
        Extension::parse(ty, ext)?;
        *slot = u16::try_from(at / UNIT).map_err(|_| SHORT_MSG)?;
    }
    Ok(Message {
        bytes,
        header,
        offsets,
    })
}

/// Checks only the fixed `sadb_msg` header (af_key's
/// `pfkey_get_base_msg`): at least 16 bytes, version 2, reserved 0, a known
/// message type, `sadb_msg_len` equal to the size. A message failing this
/// gets no reply (its header cannot be trusted); [`parse`] does the rest.
pub fn parse_header(bytes: &[u8]) -> Result<MsgHeader, ParseError> {
    let hdr = bytes.get(..MSG_HDR_LEN).ok_or(ParseError::new(
        Errno::EMSGSIZE,
        "message shorter than sadb_msg",
    ))?;
    let (version, header, len, reserved) =
        read_header(hdr).ok_or(ParseError::inval("header truncated"))?;
    if version != PF_KEY_V2 {
        return Err(ParseError::inval("sadb_msg_version not PF_KEY_V2"));
    }
    if reserved != 0 {
        return Err(ParseError::inval("sadb_msg_reserved not zero"));
    }
    if !header.msg_type.is_known() {
        return Err(ParseError::inval("unknown message type"));
    }
    if usize::from(len).checked_mul(UNIT) != Some(bytes.len()) {
        return Err(ParseError::new(
            Errno::EMSGSIZE,
            "sadb_msg_len does not match the message size",
        ));
    }
    Ok(header)
}

const SHORT_MSG: ParseError = ParseError::new(Errno::EMSGSIZE, "message too long");

/// Reads version, header, `sadb_msg_len` and `sadb_msg_reserved`.
fn read_header(hdr: &[u8]) -> Option<(u8, MsgHeader, u16, u16)> {
    let mut h = Reader::new(hdr);
    let version = h.u8()?;
    let msg_type = MsgType(h.u8()?);
    let errno = h.u8()?;
    let satype = SaType(h.u8()?);
    let len = h.u16_ne()?;
    let reserved = h.u16_ne()?;
    let header = MsgHeader {
        msg_type,
        errno,
        satype,
        seq: h.u32_ne()?,
        pid: h.u32_ne()?,
    };
    Some((version, header, len, reserved))
}

/// Takes the next extension off `r` (af_key's per-extension length and
/// type checks), without looking inside.
fn take_ext<'a>(r: &mut Reader<'a>) -> Result<(ExtType, &'a [u8]), ParseError> {
    let mut h = Reader::new(r.peek_rest());
    let (len, ty) = h
        .u16_ne()
        .zip(h.u16_ne())
        .ok_or(ParseError::inval("extension header truncated"))?;
    if len == 0 {
        return Err(ParseError::inval("extension length zero"));
    }
    let ext = usize::from(len)
        .checked_mul(UNIT)
        .and_then(|n| r.take(n))
        .ok_or(ParseError::inval("extension overflows message"))?;
    if ty == ExtType::RESERVED.0 {
        return Err(ParseError::inval("reserved extension type"));
    }
    Ok((ExtType(ty), ext))
}

impl<'a> Message<'a> {
    /// The header.
    pub const fn header(&self) -> &MsgHeader {
        &self.header
    }

    /// `sadb_msg_type`.
    pub const fn msg_type(&self) -> MsgType {
        self.header.msg_type
    }

    /// `sadb_msg_satype`.
    pub const fn satype(&self) -> SaType {
        self.header.satype
    }

    /// The whole message.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The message size in bytes (`sadb_msg_len * 8`).
    pub const fn wire_len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the message has an extension of type `ty`.
    pub fn has(&self, ty: ExtType) -> bool {
        self.raw(ty).is_some()
    }

    /// The bytes of extension `ty`, header included.
    pub fn raw(&self, ty: ExtType) -> Option<&'a [u8]> {
        let units = *self.offsets.get(ty.index()?)?;
        if units == 0 {
            return None;
        }
        let ext = self.bytes.get(usize::from(units).checked_mul(UNIT)?..)?;
        let len = u16::from_ne_bytes(ext.get(..2)?.try_into().ok()?);
        ext.get(..usize::from(len).checked_mul(UNIT)?)
    }

    /// Extension `ty`, decoded.
    pub fn ext(&self, ty: ExtType) -> Option<Extension<'a>> {
        Extension::parse(ty, self.raw(ty)?).ok()
    }

    /// Every extension, decoded, in wire order.
    pub fn extensions(&self) -> Extensions<'a> {
        let mut r = Reader::new(self.bytes);
        // The header is there (invariant); a failed skip leaves nothing.
        if r.skip(MSG_HDR_LEN).is_none() {
            r = Reader::new(&[]);
        }
        Extensions(r)
    }

    /// `SADB_EXT_SA`.
    pub fn sa(&self) -> Option<Sa> {
        match self.ext(ExtType::SA)? {
            Extension::Sa(v) => Some(v),
            _ => None,
        }
    }

    /// `SADB_EXT_LIFETIME_*`.
    pub fn lifetime(&self, kind: LifetimeKind) -> Option<Lifetime> {
        match self.ext(kind.ext_type())? {
            Extension::Lifetime(_, v) => Some(v),
            _ => None,
        }
    }

    /// `SADB_EXT_ADDRESS_*` and `SADB_X_EXT_NAT_T_OA`.
    pub fn address(&self, kind: AddressKind) -> Option<Address> {
        match self.ext(kind.ext_type())? {
            Extension::Address(_, v) => Some(v),
            _ => None,
        }
    }

    /// `SADB_EXT_KEY_*`.
    pub fn key(&self, kind: KeyKind) -> Option<Key<'a>> {
        match self.ext(kind.ext_type())? {
            Extension::Key(_, v) => Some(v),
            _ => None,
        }
    }

    /// `SADB_EXT_IDENTITY_*`.
    pub fn identity(&self, kind: IdentityKind) -> Option<Identity<'a>> {
        match self.ext(kind.ext_type())? {
            Extension::Identity(_, v) => Some(v),
            _ => None,
        }
    }

    /// `SADB_EXT_SENSITIVITY`.
    pub fn sensitivity(&self) -> Option<Sensitivity<'a>> {
        match self.ext(ExtType::SENSITIVITY)? {
            Extension::Sensitivity(v) => Some(v),
            _ => None,
        }
    }

    /// `SADB_EXT_PROPOSAL`.
    pub fn proposal(&self) -> Option<ProposalExt<'a>> {
        match self.ext(ExtType::PROPOSAL)? {
            Extension::Proposal(v) => Some(v),
            _ => None,
        }
    }

    /// `SADB_EXT_SUPPORTED_*`.
    pub fn supported(&self, kind: SupportedKind) -> Option<SupportedExt<'a>> {
        match self.ext(kind.ext_type())? {
            Extension::Supported(_, v) => Some(v),
            _ => None,
        }
    }

    /// `SADB_EXT_SPIRANGE`.
    pub fn spirange(&self) -> Option<SpiRange> {
        match self.ext(ExtType::SPIRANGE)? {
            Extension::SpiRange(v) => Some(v),
            _ => None,
        }
    }

    /// `SADB_X_EXT_KMPRIVATE`.
    pub fn kmprivate(&self) -> Option<KmPrivate<'a>> {
        match self.ext(ExtType::X_KMPRIVATE)? {
            Extension::KmPrivate(v) => Some(v),
            _ => None,
        }
    }

    /// `SADB_X_EXT_POLICY`.
    pub fn x_policy(&self) -> Option<PolicyExt<'a>> {
        match self.ext(ExtType::X_POLICY)? {
            Extension::Policy(v) => Some(v),
            _ => None,
        }
    }

    /// `SADB_X_EXT_SA2`.
    pub fn x_sa2(&self) -> Option<Sa2> {
        match self.ext(ExtType::X_SA2)? {
            Extension::Sa2(v) => Some(v),
            _ => None,
        }
    }

    /// `SADB_X_EXT_NAT_T_TYPE`.
    pub fn nat_t_type(&self) -> Option<NatTType> {
        match self.ext(ExtType::X_NAT_T_TYPE)? {
            Extension::NatTType(v) => Some(v),
            _ => None,
        }
    }

    /// `SADB_X_EXT_NAT_T_SPORT` / `DPORT`.
    pub fn nat_t_port(&self, kind: NatTPortKind) -> Option<NatTPort> {
        match self.ext(kind.ext_type())? {
            Extension::NatTPort(_, v) => Some(v),
            _ => None,
        }
    }

    /// `SADB_X_EXT_SEC_CTX`.
    pub fn sec_ctx(&self) -> Option<SecCtx<'a>> {
        match self.ext(ExtType::X_SEC_CTX)? {
            Extension::SecCtx(v) => Some(v),
            _ => None,
        }
    }

    /// `SADB_X_EXT_KMADDRESS`.
    pub fn kmaddress(&self) -> Option<KmAddress> {
        match self.ext(ExtType::X_KMADDRESS)? {
            Extension::KmAddress(v) => Some(v),
            _ => None,
        }
    }

    /// `SADB_X_EXT_FILTER`.
    pub fn filter(&self) -> Option<Filter> {
        match self.ext(ExtType::X_FILTER)? {
            Extension::Filter(v) => Some(v),
            _ => None,
        }
    }

    /// `SADB_X_EXT_SA_REPLAY`: the replay window in packets, when wider
    /// than `sadb_sa_replay` can say.
    pub fn x_sa_replay(&self) -> Option<SaReplay> {
        match self.ext(ExtType::X_SA_REPLAY)? {
            Extension::SaReplay(v) => Some(v),
            _ => None,
        }
    }
}

/// Iterator over the extensions of a [`Message`], in wire order.
#[derive(Clone, Debug)]
pub struct Extensions<'a>(Reader<'a>);

impl<'a> Iterator for Extensions<'a> {
    type Item = Extension<'a>;

    fn next(&mut self) -> Option<Extension<'a>> {
        let (ty, ext) = take_ext(&mut self.0).ok()?;
        Extension::parse(ty, ext).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::super::ext::{AddressKind, KeyKind};
    use super::super::tests::{kitchen_sink, V4_SRC};
    use super::*;

    #[test]
    fn header_only() {
        let b = MsgHeader::new(MsgType::REGISTER, SaType::ESP, 1, 2).to_bytes(2);
        let m = parse(&b).unwrap();
        assert_eq!(m.msg_type(), MsgType::REGISTER);
        assert_eq!(m.satype(), SaType::ESP);
        assert_eq!(m.as_bytes(), &b);
        assert_eq!(m.extensions().count(), 0);
        assert_eq!(m.sa(), None);
        assert_eq!(m.key(KeyKind::Auth), None);
        assert!(!m.has(ExtType::SA));
        assert_eq!(m.raw(ExtType(0)), None);
        assert_eq!(m.raw(ExtType(99)), None);
    }

    #[test]
    fn raw_points_at_each_extension() {
        let b = kitchen_sink();
        let m = parse(&b).unwrap();
        let mut at = MSG_HDR_LEN;
        for e in m.extensions() {
            let raw = m.raw(e.ext_type()).unwrap();
            assert_eq!(raw, &b[at..at + raw.len()]);
            assert_eq!(m.ext(e.ext_type()), Some(e));
            at += raw.len();
        }
        assert_eq!(at, b.len());
    }

    #[test]
    fn header_fields() {
        let h = MsgHeader {
            msg_type: MsgType::X_SPDDUMP,
            errno: 17,
            satype: SaType::UNSPEC,
            seq: 0x0102_0304,
            pid: 0x0a0b_0c0d,
        };
        let b = h.to_bytes(2);
        assert_eq!(&b[..4], &[2, 18, 17, 0]);
        assert_eq!(&b[8..12], &0x0102_0304u32.to_ne_bytes());
        assert_eq!(&b[12..16], &0x0a0b_0c0du32.to_ne_bytes());
        assert_eq!(*parse(&b).unwrap().header(), h);
    }

    #[test]
    fn display_for_logs() {
        let e = ParseError::inval("duplicate extension");
        assert_eq!(e.to_string(), "duplicate extension (EINVAL)");
        let e = ParseError::new(Errno(200), "x");
        assert_eq!(e.to_string(), "x (errno 200)");
    }

    #[test]
    fn longest_message_parses() {
        // sadb_msg_len 0xffff: one KMPRIVATE filling it.
        let mut b = MsgHeader::new(MsgType::DUMP, SaType::UNSPEC, 0, 0)
            .to_bytes(0xffff)
            .to_vec();
        b.extend_from_slice(&0xfffdu16.to_ne_bytes());
        b.extend_from_slice(&ExtType::X_KMPRIVATE.0.to_ne_bytes());
        b.resize(MSG_MAX_LEN, 0);
        let m = parse(&b).unwrap();
        assert_eq!(m.kmprivate().unwrap().data.len(), MSG_MAX_LEN - 24);
        let mut out = vec![0u8; MSG_MAX_LEN];
        assert_eq!(m.reencode(&mut out), Ok(MSG_MAX_LEN));
        assert_eq!(out, b);
        b.extend_from_slice(&[0; 8]);
        assert_eq!(parse(&b).unwrap_err().errno, Errno::EMSGSIZE);
    }

    #[test]
    fn accessors_by_kind() {
        let b = kitchen_sink();
        let m = parse(&b).unwrap();
        assert_eq!(m.address(AddressKind::Proxy).unwrap().addr(), V4_SRC);
    }
}
