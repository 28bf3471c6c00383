// SPDX-License-Identifier: GPL-2.0

//! The IP header as the AH ICV sees it (RFC 4302 section 3.3.3.1): where
//! AH sits in a packet, and the mutable fields of the IPv4 header, or of
//! the IPv6 header and the extension headers before AH, zeroed in place.
//!
//! C source: [net/ipv4/ah4.c](srctree/net/ipv4/ah4.c)
//! (`ip_clear_mutable_options`, `ah_output`, `ah_input`) and
//! [net/ipv6/ah6.c](srctree/net/ipv6/ah6.c) (`zero_out_mutable_opts`,
//! `ipv6_rearrange_rthdr`, `ipv6_clear_mutable_options`).
//!
//! The result is byte for byte what Linux hashes, so that an ICV computed
//! over it verifies at an XFRM peer and the other way round. Where NetBSD
//! (`ah_massage_headers`) differs, Linux wins: NetBSD zeroes a mutable
//! IPv6 option whole, Linux (and RFC 4302) only its data. Headers after
//! AH are covered as they are, as in Linux (no router processes them on
//! the way). The callers work on a copy of the headers, or restore them
//! after hashing (as Linux does): on error the bytes may be partly
//! zeroed.

use super::super::inet::{
    NEXTHDR_AUTH, NEXTHDR_DEST, NEXTHDR_FRAGMENT, NEXTHDR_HOP, NEXTHDR_ROUTING,
};
use super::super::ipview::{IPV4_MIN_HDR_LEN, IPV6_HDR_LEN};
use super::super::knobs::KnobValues;

/// Why headers cannot be prepared for the ICV.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MutableError {
    /// The version field is not the one expected.
    Version,
    /// Shorter than a header or a length field says.
    Truncated,
    /// The IPv4 header length is below 20 bytes.
    HeaderLen,
    /// An IPv4 option's length is below 2 or runs past the header.
    OptionLen,
    /// A source route option too short to hold an address (below 6
    /// bytes).
    SourceRoute,
    /// IPv6 options run past their extension header.
    OptionOverrun,
    /// An IPv6 extension header runs past the bytes before AH.
    ExtOverrun,
    /// A Routing header's segments left exceeds its addresses.
    SegmentsLeft,
    /// The packet does not carry AH where it can be processed.
    NoAh,
    /// The packet is a fragment: AH is checked after reassembly.
    Fragment,
}

/// Which way the packet goes: only a sender moves an IPv4 source route's
/// final destination into the header (a receiver already has it there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Computing the ICV to send.
    Output,
    /// Verifying a received ICV.
    Input,
}

/// How the IPv4 header's knob-controlled fields enter the ICV
/// (`net.inet.ipsec.ah_cleartos` and `ah_offsetmask`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Rules {
    /// Zero the TOS byte (RFC 4302; NetBSD's default).
    pub clear_tos: bool,
    /// ANDed with the 16-bit flags and fragment offset field, taken as
    /// one number (flags in the top 3 bits): 0 zeroes it (RFC 4302;
    /// NetBSD's default), `0x4000` keeps DF, `0xffff` keeps everything.
    /// This is the KAME meaning ipsec(4) describes. NetBSD's
    /// `ah_massage_headers` applies the mask and then zeroes the field
    /// anyway for every algorithm but the RFC 1826 keyed ones, so there
    /// the knob has no effect; here it does.
    pub offset_mask: u16,
}

impl Ipv4Rules {
    /// What Linux always does: TOS and the whole field zeroed.
    pub const LINUX: Ipv4Rules = Ipv4Rules {
        clear_tos: true,
        offset_mask: 0,
    };

    /// The rules the knobs of a namespace set.
    pub fn from_knobs(k: &KnobValues) -> Self {
        Ipv4Rules {
            clear_tos: k.ah_cleartos(),
            offset_mask: k.ah_offsetmask(),
        }
    }
}

/// Where AH sits in a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AhAt {
    /// IPv6 (else IPv4).
    pub v6: bool,
    /// Offset of the AH header: the bytes before it are the IP header and
    /// the IPv6 extension headers the ICV treats.
    pub offset: usize,
    /// Offset of the byte naming AH (9 in IPv4, 6 in the IPv6 fixed
    /// header, else the previous extension header's first byte).
    pub nexthdr_at: usize,
}

/// `IPOPT_END`: end of the option list.
const IPOPT_END: u8 = 0;
/// `IPOPT_NOOP`: one byte of padding.
const IPOPT_NOOP: u8 = 1;
/// `IPOPT_SEC`: security (RFC 1108).
const IPOPT_SEC: u8 = 130;
/// Extended security (RFC 1108).
const IPOPT_EXT_SEC: u8 = 0x85;
/// `IPOPT_CIPSO`: commercial IP security option.
const IPOPT_CIPSO: u8 = 134;
/// `IPOPT_RA`: router alert (RFC 2113).
const IPOPT_RA: u8 = 148;
/// Selective directed broadcast (RFC 1770): `0x80|21` in ah4.c.
const IPOPT_SDB: u8 = 0x95;
/// `IPOPT_LSRR`: loose source and record route.
const IPOPT_LSRR: u8 = 131;
/// `IPOPT_SSRR`: strict source and record route.
const IPOPT_SSRR: u8 = 137;
/// `IPV6_TLV_PAD1`: one byte of padding.
const IPV6_TLV_PAD1: u8 = 0;
/// The option type bit for "option data may change en route" (RFC 8200
/// section 4.2).
const IPV6_OPT_MUTABLE: u8 = 0x20;
/// Length of an IPv6 address.
const IN6_ADDR_LEN: usize = 16;
/// Offset of the first address in a type 0 style Routing header
/// (`struct rt0_hdr`).
const RT0_ADDRS_AT: usize = 8;

/// Whether IPv4 option `kind` is covered by the ICV as it is: the ones
/// `ip_clear_mutable_options` leaves alone (security, extended security,
/// CIPSO, router alert, RFC 1770 selective directed broadcast). All others
/// are zeroed whole, type and length included.
const fn ipv4_option_immutable(kind: u8) -> bool {
    matches!(
        kind,
        IPOPT_SEC | IPOPT_EXT_SEC | IPOPT_CIPSO | IPOPT_RA | IPOPT_SDB
    )
}

/// Reads the IPv4 option at the start of `rest` (neither END nor NOP),
/// zeroes it if it is mutable and returns its length and, for a source
/// route, its last address (the final destination).
fn ipv4_option(rest: &mut [u8]) -> Result<(usize, Option<[u8; 4]>), MutableError> {
    let kind = *rest.first().ok_or(MutableError::OptionLen)?;
    let len = usize::from(*rest.get(1).ok_or(MutableError::OptionLen)?);
    if len < 2 {
        return Err(MutableError::OptionLen);
    }
    let opt = rest.get_mut(..len).ok_or(MutableError::OptionLen)?;
    if ipv4_option_immutable(kind) {
        return Ok((len, None));
    }
    let mut final_dst = None;
    if matches!(kind, IPOPT_LSRR | IPOPT_SSRR) {
        if len < 6 {
            return Err(MutableError::SourceRoute);
        }
        let (_, last) = opt
            .split_last_chunk::<4>()
            .ok_or(MutableError::SourceRoute)?;
        final_dst = Some(*last);
    }
    opt.fill(0);
    Ok((len, final_dst))
}

/// Zeroes the mutable options in `opts` (the bytes after the 20-byte
/// header) and returns the final destination of the last source route
/// option, if any. Bytes after an END option stay as they are.
fn zero_ipv4_options(opts: &mut [u8]) -> Result<Option<[u8; 4]>, MutableError> {
    let mut final_dst = None;
    let mut off = 0;
    while let Some(&kind) = opts.get(off) {
        let len = match kind {
            IPOPT_END => break,
            IPOPT_NOOP => 1,
            _ => {
                let rest = opts.get_mut(off..).ok_or(MutableError::OptionLen)?;
                let (len, dst) = ipv4_option(rest)?;
                final_dst = dst.or(final_dst);
                len
            }
        };
        off += len;
    }
    Ok(final_dst)
}

/// Zeroes the mutable fields of the IPv4 header at the start of `hdr`
/// (which holds the header and its options; bytes after them are left
/// alone): TOS if `rules.clear_tos`, the flags and fragment offset ANDed
/// with `rules.offset_mask`, TTL, the checksum, and every option but the
/// immutable ones. On output the last address of a source route option
/// becomes the destination, as the final destination will see it.
/// The total length is covered as it is: the sender sets it first.
pub fn zero_ipv4(hdr: &mut [u8], rules: Ipv4Rules, dir: Direction) -> Result<(), MutableError> {
    let first = *hdr.first().ok_or(MutableError::Truncated)?;
    if first >> 4 != 4 {
        return Err(MutableError::Version);
    }
    let ihl = usize::from(first & 0x0f) * 4;
    if ihl < IPV4_MIN_HDR_LEN {
        return Err(MutableError::HeaderLen);
    }
    let h = hdr.get_mut(..ihl).ok_or(MutableError::Truncated)?;
    let (fixed, opts) = h
        .split_first_chunk_mut::<IPV4_MIN_HDR_LEN>()
        .ok_or(MutableError::Truncated)?;
    if rules.clear_tos {
        fixed[1] = 0;
    }
    let frag = u16::from_be_bytes([fixed[6], fixed[7]]) & rules.offset_mask;
    fixed[6..8].copy_from_slice(&frag.to_be_bytes());
    fixed[8] = 0;
    fixed[10..12].fill(0);
    let final_dst = zero_ipv4_options(opts)?;
    if let (Some(dst), Direction::Output) = (final_dst, dir) {
        fixed[16..20].copy_from_slice(&dst);
    }
    Ok(())
}

/// The length of the IPv6 extension header (Hop-by-Hop, Routing or
/// Destination Options) at the start of `rest`: `(hdrlen + 1) * 8`.
fn ext_len(rest: &[u8]) -> Result<usize, MutableError> {
    let units = *rest.get(1).ok_or(MutableError::ExtOverrun)?;
    let len = (usize::from(units) + 1) * 8;
    if len > rest.len() {
        return Err(MutableError::ExtOverrun);
    }
    Ok(len)
}

/// Reads the IPv6 option (not Pad1) at the start of `rest`, zeroes its
/// data if its type has the "may change en route" bit, and returns its
/// length.
fn ipv6_option(rest: &mut [u8]) -> Result<usize, MutableError> {
    let kind = *rest.first().ok_or(MutableError::OptionOverrun)?;
    let data_len = usize::from(*rest.get(1).ok_or(MutableError::OptionOverrun)?);
    let data = rest
        .get_mut(2..2 + data_len)
        .ok_or(MutableError::OptionOverrun)?;
    if kind & IPV6_OPT_MUTABLE != 0 {
        data.fill(0);
    }
    Ok(2 + data_len)
}

/// Zeroes the data of every option with the "may change en route" bit in
/// the Hop-by-Hop or Destination Options header `hdr` (its whole length);
/// type and length bytes stay (`zero_out_mutable_opts`). The options must
/// fill the header exactly.
fn zero_ipv6_options(hdr: &mut [u8]) -> Result<(), MutableError> {
    let mut off = 2;
    while let Some(&kind) = hdr.get(off) {
        off += if kind == IPV6_TLV_PAD1 {
            1
        } else {
            ipv6_option(hdr.get_mut(off..).ok_or(MutableError::OptionOverrun)?)?
        };
    }
    Ok(())
}

/// Puts the addresses of the Routing header `rt` and the destination
/// `dst` in the order the final destination will see them, with segments
/// left 0 (`ipv6_rearrange_rthdr`, RFC 2402 appendix A2). As Linux, this
/// reads any Routing type as type 0: `hdrlen / 2` addresses after 8 bytes.
/// Nothing changes when segments left is already 0.
fn rearrange_routing(dst: &mut [u8; IN6_ADDR_LEN], rt: &mut [u8]) -> Result<(), MutableError> {
    let left = usize::from(*rt.get(3).ok_or(MutableError::ExtOverrun)?);
    if left == 0 {
        return Ok(());
    }
    let segments = usize::from(*rt.get(1).ok_or(MutableError::ExtOverrun)? >> 1);
    if left > segments {
        return Err(MutableError::SegmentsLeft);
    }
    if let Some(b) = rt.get_mut(3) {
        *b = 0;
    }
    let addrs_end = RT0_ADDRS_AT + segments * IN6_ADDR_LEN;
    let addrs = rt
        .get_mut(RT0_ADDRS_AT..addrs_end)
        .ok_or(MutableError::ExtOverrun)?;
    let last = (segments - 1) * IN6_ADDR_LEN;
    let final_dst: [u8; IN6_ADDR_LEN] = addrs
        .get(last..)
        .and_then(|a| a.first_chunk().copied())
        .ok_or(MutableError::ExtOverrun)?;
    // The addresses not yet visited move one slot on; the current
    // destination takes the first of them.
    let first = (segments - left) * IN6_ADDR_LEN;
    addrs.copy_within(first..last, first + IN6_ADDR_LEN);
    addrs
        .get_mut(first..first + IN6_ADDR_LEN)
        .ok_or(MutableError::ExtOverrun)?
        .copy_from_slice(dst);
    *dst = final_dst;
    Ok(())
}

/// Zeroes the mutable fields of an IPv6 header and the extension headers
/// after it: `hdrs` is exactly the bytes before AH. Traffic class, flow
/// label and hop limit become 0; in Hop-by-Hop and Destination Options
/// headers the data of options with the "may change en route" bit
/// becomes 0 (type and length stay); a Routing header is rearranged as
/// the final destination will see it. The walk stops, leaving the rest as is, at
/// any other header (as `ipv6_clear_mutable_options`; [`locate_ah`]
/// refuses such chains). Linux rearranges a Mobile IPv6 Home Address
/// option on output only when built with `CONFIG_IPV6_MIP6`; this does
/// not (rust_ipsec has no Mobile IPv6, and a peer without MIP6 drops such
/// packets anyway).
pub fn zero_ipv6(hdrs: &mut [u8]) -> Result<(), MutableError> {
    let (fixed, exts) = hdrs
        .split_first_chunk_mut::<IPV6_HDR_LEN>()
        .ok_or(MutableError::Truncated)?;
    if fixed[0] >> 4 != 6 {
        return Err(MutableError::Version);
    }
    fixed[0] &= 0xf0;
    fixed[1..4].fill(0);
    fixed[7] = 0;
    let mut nh = fixed[6];
    let (_, dst) = fixed
        .split_last_chunk_mut::<IN6_ADDR_LEN>()
        .ok_or(MutableError::Truncated)?;
    let mut off = 0;
    while off < exts.len() {
        if !matches!(nh, NEXTHDR_HOP | NEXTHDR_DEST | NEXTHDR_ROUTING) {
            break;
        }
        let rest = exts.get_mut(off..).ok_or(MutableError::ExtOverrun)?;
        let len = ext_len(rest)?;
        let hdr = rest.get_mut(..len).ok_or(MutableError::ExtOverrun)?;
        if nh == NEXTHDR_ROUTING {
            rearrange_routing(dst, hdr)?;
        } else {
            zero_ipv6_options(hdr)?;
        }
        nh = *hdr.first().ok_or(MutableError::ExtOverrun)?;
        off += len;
    }
    Ok(())
}

/// Where AH is in an IPv4 packet: right after the header.
fn locate_ah_v4(packet: &[u8]) -> Result<AhAt, MutableError> {
    let h = packet
        .first_chunk::<IPV4_MIN_HDR_LEN>()
        .ok_or(MutableError::Truncated)?;
    let ihl = usize::from(h[0] & 0x0f) * 4;
    if ihl < IPV4_MIN_HDR_LEN {
        return Err(MutableError::HeaderLen);
    }
    if ihl > packet.len() {
        return Err(MutableError::Truncated);
    }
    // More fragments or an offset: not reassembled.
    if u16::from_be_bytes([h[6], h[7]]) & 0x3fff != 0 {
        return Err(MutableError::Fragment);
    }
    if h[9] != NEXTHDR_AUTH {
        return Err(MutableError::NoAh);
    }
    Ok(AhAt {
        v6: false,
        offset: ihl,
        nexthdr_at: 9,
    })
}

/// Where AH is in an IPv6 packet: after Hop-by-Hop, Routing and
/// Destination Options headers only (a Fragment header means the packet
/// is not reassembled; anything else means there is no AH to check).
fn locate_ah_v6(packet: &[u8]) -> Result<AhAt, MutableError> {
    let fixed = packet
        .first_chunk::<IPV6_HDR_LEN>()
        .ok_or(MutableError::Truncated)?;
    let mut nh = fixed[6];
    let mut nexthdr_at = 6;
    let mut off = IPV6_HDR_LEN;
    loop {
        match nh {
            NEXTHDR_AUTH => {
                return Ok(AhAt {
                    v6: true,
                    offset: off,
                    nexthdr_at,
                })
            }
            NEXTHDR_HOP | NEXTHDR_ROUTING | NEXTHDR_DEST => {}
            NEXTHDR_FRAGMENT => return Err(MutableError::Fragment),
            _ => return Err(MutableError::NoAh),
        }
        let rest = packet.get(off..).ok_or(MutableError::Truncated)?;
        let len = ext_len(rest).map_err(|_| MutableError::Truncated)?;
        nh = *rest.first().ok_or(MutableError::Truncated)?;
        nexthdr_at = off;
        off += len;
    }
}

/// Where AH is in `packet` (an IPv4 or IPv6 packet from its first byte;
/// only the headers up to AH need be there).
pub fn locate_ah(packet: &[u8]) -> Result<AhAt, MutableError> {
    match packet.first().map(|b| b >> 4) {
        Some(4) => locate_ah_v4(packet),
        Some(6) => locate_ah_v6(packet),
        Some(_) => Err(MutableError::Version),
        None => Err(MutableError::Truncated),
    }
}

/// Finds AH in `packet` and zeroes the mutable fields of the headers
/// before it ([`zero_ipv4`] with `rules` and `dir`, or [`zero_ipv6`]).
/// The AH header itself is untouched: its ICV is zeroed with
/// [`AhHeader::zero_icv`](super::AhHeader::zero_icv).
pub fn zero_mutable(
    packet: &mut [u8],
    rules: Ipv4Rules,
    dir: Direction,
) -> Result<AhAt, MutableError> {
    let at = locate_ah(packet)?;
    let hdrs = packet.get_mut(..at.offset).ok_or(MutableError::Truncated)?;
    if at.v6 {
        zero_ipv6(hdrs)?;
    } else {
        zero_ipv4(hdrs, rules, dir)?;
    }
    Ok(at)
}

#[cfg(test)]
mod tests;
