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
//! ([`AhHeader::check_len`]); what to send is the caller's [`Align`].

pub mod mutable;

use super::algs::AlgInfo;
use super::replay::split;

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

#[cfg(test)]
mod tests;
