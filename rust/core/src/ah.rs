// SPDX-License-Identifier: GPL-2.0

//! AH (RFC 4302) wire format and per-SA sizes: the header view, its length
//! check against the SA's ICV, writing a header, the ICV length of each
//! authentication algorithm and the ESN bytes appended to the ICV input.
//! The mutable fields the ICV leaves out are in [`mutable`].
//!
//! C source: [net/ipv4/ah4.c](srctree/net/ipv4/ah4.c) (`ah_output`,
//! `ah_input`), [net/ipv6/ah6.c](srctree/net/ipv6/ah6.c) and
//! [include/net/ah.h](srctree/include/net/ah.h).
//!
//! Header padding (RFC 4302 section 2.6): the header is a multiple of 4
//! bytes over IPv4 and of 8 over IPv6, and a sender pads only as much as
//! that needs. Linux pads to 8 over IPv4 too unless the XFRM state has
//! `flag align4`, and its receiver then accepts only its own padding: with
//! HMAC-SHA-256 the header is 28 bytes for RFC 4302 and NetBSD, 32 for a
//! default XFRM state. The receive check here accepts both over IPv4
//! ([`AhHeader::check_len`]); what rust_ipsec sends is [`SEND_ALIGN`].
//!
//! The ICV is computed by the datapath as an AEAD
//! `authenc(<auth>,ecb(cipher_null))` ([`crypto_name`]) whose associated
//! data is [`IcvHead`]: the headers up to and including AH, copied, with
//! the mutable fields and the ICV zeroed.

pub mod mutable;

use super::algs::AlgInfo;
use super::esp::CryptoName;
use super::ipview::HEAD_MAX;
use super::replay::split;
use mutable::{zero_mutable, Direction, Ipv4Rules, MutableError};

/// The fixed part of the header: next header, payload length, reserved,
/// SPI and sequence number (`sizeof(struct ip_auth_hdr)`).
pub const AH_FIXED_LEN: usize = 12;
/// Longest ICV of any algorithm (HMAC-SHA-512-256, RFC 4868).
pub const MAX_ICV_LEN: usize = 32;
/// Longest header the payload length field can describe: (255 + 2) words.
pub const AH_MAX_LEN: usize = (u8::MAX as usize + 2) * 4;

/// Why AH header bytes are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AhError {
    /// Shorter than the fixed header, or than its payload length says.
    Truncated,
    /// The payload length describes less than the fixed header.
    TooShort,
    /// The header length disagrees with the SA's ICV length and padding.
    IcvLength,
    /// The output buffer is too small.
    NoRoom,
    /// The ICV is too long for the payload length field.
    TooLong,
}

/// How far a sender pads the header after the ICV.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    /// To a multiple of 4 bytes: RFC 4302 over IPv4, and XFRM with
    /// `flag align4`.
    Four,
    /// To a multiple of 8 bytes: IPv6, and Linux's default over IPv4.
    Eight,
}

impl Align {
    /// The padding RFC 4302 section 2.6 asks for: 4 over IPv4, 8 over
    /// IPv6.
    pub const fn rfc4302(v6: bool) -> Align {
        if v6 {
            Align::Eight
        } else {
            Align::Four
        }
    }

    /// The padding of a Linux XFRM state without `flag align4`, the only
    /// one such a peer accepts: 8 for both families.
    pub const fn linux_default() -> Align {
        Align::Eight
    }

    /// The alignment in bytes.
    pub const fn bytes(self) -> usize {
        match self {
            Align::Four => 4,
            Align::Eight => 8,
        }
    }
}

/// How far rust_ipsec pads the AH headers it sends: to 8 bytes over both
/// families, as Linux does unless its XFRM state has `flag align4`. A
/// default `ip xfrm state ... proto ah` peer accepts only that over IPv4
/// (with HMAC-SHA-256: 32 bytes, where RFC 4302 and NetBSD send 28 and
/// NetBSD accepts only 28). The receive check accepts both paddings.
/// With 12-byte ICVs (HMAC-MD5, HMAC-SHA1, AES-XCBC, AES-CMAC) both are
/// 24 bytes, so the choice only matters for the SHA-2 HMACs.
pub const SEND_ALIGN: Align = Align::linux_default();

/// The header length of an SA with `icv_len`-byte ICVs padded to `align`
/// (`x->props.header_len` without a tunnel's outer header); `None` if the
/// payload length field cannot describe it.
pub const fn header_len(icv_len: usize, align: Align) -> Option<usize> {
    let Some(len) = AH_FIXED_LEN.checked_add(icv_len) else {
        return None;
    };
    match len.checked_next_multiple_of(align.bytes()) {
        Some(l) if l <= AH_MAX_LEN => Some(l),
        _ => None,
    }
}

/// The ICV length in bytes of AH with authentication algorithm `auth`, as
/// the algorithm table has it (RFC 4868 truncation for SHA-2); `None` for
/// an algorithm without an ICV (null) or an encryption algorithm.
pub fn icv_len(auth: &AlgInfo) -> Option<usize> {
    if auth.aead || auth.iv_bytes != 0 || auth.icv_bits == 0 {
        return None;
    }
    Some(usize::from(auth.icv_bits / 8))
}

/// The crypto API algorithm of an AH SA with authentication algorithm
/// `auth`: `authenc(<auth>,ecb(cipher_null))`, keyed with the `authenc`
/// key blob (the auth key, an empty encryption key) and its authsize the
/// ICV length. Never `authencesn`: that template rearranges ESP's
/// associated data; AH's ESN bytes are hashed after the payload instead
/// ([`esn_suffix`]). `None` for an algorithm without an ICV.
pub fn crypto_name(auth: &AlgInfo) -> Option<CryptoName> {
    icv_len(auth)?;
    Some(CryptoName::Authenc {
        esn: false,
        auth: auth.crypto_name,
        enc: c"ecb(cipher_null)",
    })
}

/// The largest TCP MSS whose full-sized segments, with an IP header (and
/// extension headers before AH) of `ip_hl` bytes, a TCP header without
/// options and an AH header of `ah_len` bytes, fit in `mtu` bytes
/// (transport mode). 0 if none fits.
pub const fn max_tcp_mss(mtu: usize, ip_hl: usize, ah_len: usize) -> usize {
    mtu.saturating_sub(ip_hl)
        .saturating_sub(ah_len)
        .saturating_sub(TCP_MIN_HDR_LEN)
}

/// A TCP header without options.
const TCP_MIN_HDR_LEN: usize = 20;

/// Bytes of the ESN suffix ([`esn_suffix`]).
pub const ESN_SUFFIX_LEN: usize = 4;

/// The bytes hashed after the packet with ESN (`ah_output`'s `seqhi`):
/// the high half of the sequence number, big-endian. Without ESN nothing
/// is appended.
pub fn esn_suffix(seq: u64) -> [u8; 4] {
    split(seq).0.to_be_bytes()
}

/// Reads a big-endian u32 at `off` (0 if out of range).
fn be32(b: &[u8], off: usize) -> u32 {
    b.get(off..)
        .and_then(|s| s.first_chunk::<4>())
        .map_or(0, |a| u32::from_be_bytes(*a))
}

/// Reads a big-endian u16 at `off` (0 if out of range).
fn be16(b: &[u8], off: usize) -> u16 {
    b.get(off..)
        .and_then(|s| s.first_chunk::<2>())
        .map_or(0, |a| u16::from_be_bytes(*a))
}

/// The header length the payload length byte `field` says:
/// `(field + 2) * 4` (`ipv6_authlen`).
const fn len_from_field(field: u8) -> usize {
    (field as usize + 2) * 4
}

/// A view of an AH header: the fixed part, the ICV and any padding.
///
/// # Invariants
///
/// The buffer holds at least the header length the payload length field
/// says, and that length is at least [`AH_FIXED_LEN`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AhHeader<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> AhHeader<T> {
    /// A view of `buffer`, which starts with an AH header and holds all of
    /// it (bytes after it, the payload, are allowed).
    pub fn new_checked(buffer: T) -> Result<Self, AhError> {
        let b = buffer.as_ref();
        let field = *b.get(1).ok_or(AhError::Truncated)?;
        if b.len() < AH_FIXED_LEN {
            return Err(AhError::Truncated);
        }
        let len = len_from_field(field);
        if len < AH_FIXED_LEN {
            return Err(AhError::TooShort);
        }
        if len > b.len() {
            return Err(AhError::Truncated);
        }
        Ok(AhHeader { buffer })
    }

    /// The buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// The protocol after AH.
    pub fn next_header(&self) -> u8 {
        self.b().first().copied().unwrap_or(0)
    }

    /// The payload length field: the header length in 4-byte words,
    /// minus 2.
    pub fn payload_len_field(&self) -> u8 {
        self.b().get(1).copied().unwrap_or(0)
    }

    /// The header length in bytes, ICV and padding included.
    pub fn header_len(&self) -> usize {
        len_from_field(self.payload_len_field())
    }

    /// The reserved field (sent as zero, ignored on receipt but covered
    /// by the ICV).
    pub fn reserved(&self) -> u16 {
        be16(self.b(), 2)
    }

    /// The SPI.
    pub fn spi(&self) -> u32 {
        be32(self.b(), 4)
    }

    /// The low 32 bits of the sequence number.
    pub fn seq(&self) -> u32 {
        be32(self.b(), 8)
    }

    /// ICV and padding: everything after the fixed part up to the header
    /// length.
    pub fn icv_and_padding(&self) -> &[u8] {
        self.b().get(AH_FIXED_LEN..self.header_len()).unwrap_or(&[])
    }

    /// The ICV of an SA with `icv_len`-byte ICVs, if the header holds one.
    pub fn icv(&self, icv_len: usize) -> Option<&[u8]> {
        self.icv_and_padding().get(..icv_len)
    }

    /// What follows the header.
    pub fn payload(&self) -> &[u8] {
        self.b().get(self.header_len()..).unwrap_or(&[])
    }

    /// Checks the header length against an SA with `icv_len`-byte ICVs
    /// (`ah_input`): over IPv6 the ICV padded to 8 bytes; over IPv4 padded
    /// to 4 (RFC 4302) or to 8 (Linux without `flag align4`). Linux also
    /// accepts a header sized for the untruncated digest; this does not.
    pub fn check_len(&self, icv_len: usize, v6: bool) -> Result<(), AhError> {
        let len = self.header_len();
        let fits = |align| header_len(icv_len, align) == Some(len);
        if fits(Align::Eight) || (!v6 && fits(Align::Four)) {
            Ok(())
        } else {
            Err(AhError::IcvLength)
        }
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> AhHeader<T> {
    /// Zeroes the first `icv_len` bytes after the fixed part, as the ICV
    /// input has them; padding after the ICV stays as received (it is
    /// covered as is, as in `ah_input`).
    pub fn zero_icv(&mut self, icv_len: usize) -> Result<(), AhError> {
        self.icv_mut(icv_len)?.fill(0);
        Ok(())
    }

    /// Writes `icv` (the truncated digest) after the fixed part.
    pub fn set_icv(&mut self, icv: &[u8]) -> Result<(), AhError> {
        self.icv_mut(icv.len())?.copy_from_slice(icv);
        Ok(())
    }

    /// The `icv_len` bytes after the fixed part, if the header holds them.
    fn icv_mut(&mut self, icv_len: usize) -> Result<&mut [u8], AhError> {
        let end = AH_FIXED_LEN
            .checked_add(icv_len)
            .filter(|&e| e <= self.header_len())
            .ok_or(AhError::IcvLength)?;
        self.buffer
            .as_mut()
            .get_mut(AH_FIXED_LEN..end)
            .ok_or(AhError::IcvLength)
    }
}

/// What an outgoing AH header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AhFields {
    /// The protocol after AH.
    pub next_header: u8,
    /// The SPI.
    pub spi: u32,
    /// The low 32 bits of the sequence number.
    pub seq_lo: u32,
    /// The SA's ICV length in bytes.
    pub icv_len: usize,
    /// How far to pad after the ICV.
    pub align: Align,
}

/// Writes an AH header at the start of `out` with the ICV and padding
/// zeroed, ready for the ICV computation; returns its length.
pub fn emit_header(out: &mut [u8], f: &AhFields) -> Result<usize, AhError> {
    let len = header_len(f.icv_len, f.align).ok_or(AhError::TooLong)?;
    let field = u8::try_from(len / 4 - 2).map_err(|_| AhError::TooLong)?;
    let dst = out.get_mut(..len).ok_or(AhError::NoRoom)?;
    dst.fill(0);
    let (fixed, _) = dst
        .split_first_chunk_mut::<AH_FIXED_LEN>()
        .ok_or(AhError::NoRoom)?;
    fixed[0] = f.next_header;
    fixed[1] = field;
    // fixed[2..4]: reserved, zero.
    fixed[4..8].copy_from_slice(&f.spi.to_be_bytes());
    fixed[8..12].copy_from_slice(&f.seq_lo.to_be_bytes());
    Ok(len)
}

/// Longest [`IcvHead`]: the headers before AH (at most [`HEAD_MAX`]) and
/// the longest AH header an SA sends or accepts.
pub const ICV_HEAD_MAX: usize = HEAD_MAX + AH_FIXED_LEN + MAX_ICV_LEN + 4;

/// Why the ICV input cannot be built from a packet's head.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IcvHeadError {
    /// Where AH is, or the headers before it, do not parse.
    Mutable(MutableError),
    /// The AH header does not parse or its length disagrees with the SA's
    /// ICV length ([`AhHeader::check_len`]).
    Ah(AhError),
    /// The headers before AH and AH are longer than [`ICV_HEAD_MAX`].
    TooLong,
}

/// The first part of the ICV input (RFC 4302 section 3.3.3): a copy of
/// the IP header, the IPv6 extension headers before AH and the AH header,
/// with the mutable fields zeroed ([`mutable`]) and the ICV field zeroed.
/// The datapath passes it as the associated data; the payload after AH
/// (and the ESN suffix) follow it as the region the AEAD hashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcvHead {
    buf: [u8; ICV_HEAD_MAX],
    len: usize,
    ah_at: usize,
}

impl IcvHead {
    /// Builds the ICV input's head from `head`, the packet's first bytes
    /// (from the IP header through at least the AH header), for an SA with
    /// `icv_len`-byte ICVs; IPv4's TOS and fragment field as `rules` say.
    /// The AH header's length is checked against the SA's
    /// ([`AhHeader::check_len`]).
    pub fn new(
        head: &[u8],
        icv_len: usize,
        rules: Ipv4Rules,
        dir: Direction,
    ) -> Result<Self, IcvHeadError> {
        let at = mutable::locate_ah(head).map_err(IcvHeadError::Mutable)?;
        let ah = head.get(at.offset..).ok_or(IcvHeadError::TooLong)?;
        let view = AhHeader::new_checked(ah).map_err(IcvHeadError::Ah)?;
        view.check_len(icv_len, at.v6).map_err(IcvHeadError::Ah)?;
        let len = at.offset + view.header_len();
        let mut buf = [0u8; ICV_HEAD_MAX];
        let copy = buf.get_mut(..len).ok_or(IcvHeadError::TooLong)?;
        copy.copy_from_slice(head.get(..len).ok_or(IcvHeadError::TooLong)?);
        zero_mutable(copy, rules, dir).map_err(IcvHeadError::Mutable)?;
        let mut ah = AhHeader::new_checked(copy.get_mut(at.offset..).ok_or(IcvHeadError::TooLong)?)
            .map_err(IcvHeadError::Ah)?;
        ah.zero_icv(icv_len).map_err(IcvHeadError::Ah)?;
        Ok(IcvHead {
            buf,
            len,
            ah_at: at.offset,
        })
    }

    /// The bytes (the associated data).
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// Where the AH header starts.
    pub const fn ah_offset(&self) -> usize {
        self.ah_at
    }

    /// Where the payload after AH starts: the headers' total length.
    pub const fn payload_offset(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests;
