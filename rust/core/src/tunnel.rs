// SPDX-License-Identifier: GPL-2.0

//! Tunnel-mode headers (RFC 4303 section 3.1.2, RFC 4302 section 3.1.2,
//! RFC 4301 section 5.1.2): the outer IPv4 or IPv6 header an ESP or AH
//! tunnel SA puts around the inner packet, and what decapsulation changes
//! in the inner header.
//!
//! Outer header fields: addresses from the SA; DSCP copied from the inner
//! header; ECN per the `ecn` knob (RFC 6040, see [`crate::ecn`]); IPv4 DF
//! per the `dfbit` knob (0 clear, 1 set, 2 copy from an IPv4 inner header,
//! clear for an IPv6 one); TTL / hop limit from the outer route; IPv6 flow
//! label 0. On decapsulation the inner ECN field follows RFC 6040 section
//! 4.2 (outer CE over inner Not-ECT drops the packet), and an IPv4 inner
//! header gets its checksum fixed when that changes it.

use super::ecn::{decapsulate_tos, encapsulate_tos, EncapMode};
use super::inet::{Addr, PROTO_IPIP, PROTO_IPV6};
use super::ipview::{checksum, IPV4_MIN_HDR_LEN, IPV6_HDR_LEN};
use super::knobs::DfBit;

/// Why a tunnel header cannot be built or removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TunnelError {
    /// The inner packet is not an IPv4 or IPv6 packet of the right length.
    Malformed,
    /// The addresses are of different families, or the buffer is short.
    Layout,
    /// RFC 6040: CE in the outer header over a Not-ECT inner packet.
    EcnDrop,
}

/// What the outer header needs besides the inner packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OuterParams {
    /// Tunnel source.
    pub src: Addr,
    /// Tunnel destination.
    pub dst: Addr,
    /// TTL / hop limit (the outer route's).
    pub ttl: u8,
    /// IPv4 identification.
    pub id: u16,
    /// The `dfbit` knob.
    pub dfbit: DfBit,
    /// The `ecn` knob's mode.
    pub ecn: EncapMode,
    /// The outer header's protocol / next header: ESP (50) or AH (51).
    pub next: u8,
}

/// The inner packet's TOS / traffic class, DF bit and protocol number
/// (4 or 41), from its first bytes.
fn inner_info(inner: &[u8]) -> Result<(u8, bool, u8), TunnelError> {
    let b0 = *inner.first().ok_or(TunnelError::Malformed)?;
    let b1 = *inner.get(1).ok_or(TunnelError::Malformed)?;
    match b0 >> 4 {
        4 => {
            let flags = *inner.get(6).ok_or(TunnelError::Malformed)?;
            Ok((b1, flags & 0x40 != 0, PROTO_IPIP))
        }
        6 => Ok(((b0 << 4) | (b1 >> 4), false, PROTO_IPV6)),
        _ => Err(TunnelError::Malformed),
    }
}

/// The protocol number naming the inner packet `inner` (4 or 41).
pub fn inner_proto(inner: &[u8]) -> Result<u8, TunnelError> {
    inner_info(inner).map(|(_, _, p)| p)
}

/// Writes the outer header for `p` into `out` (20 bytes for IPv4, 40 for
/// IPv6), for an outer packet of `total` bytes whose inner packet starts
/// with `inner`. The next header is `p.next`.
pub fn write_outer(
    out: &mut [u8],
    p: &OuterParams,
    inner: &[u8],
    total: usize,
) -> Result<(), TunnelError> {
    let (inner_tos, inner_df, _) = inner_info(inner)?;
    let tos = encapsulate_tos(inner_tos, p.ecn);
    match (p.src, p.dst) {
        (Addr::V4(s), Addr::V4(d)) => {
            let h = out.get_mut(..IPV4_MIN_HDR_LEN).ok_or(TunnelError::Layout)?;
            let len = u16::try_from(total).map_err(|_| TunnelError::Layout)?;
            let df = match p.dfbit {
                DfBit::Clear => false,
                DfBit::Set => true,
                DfBit::Copy => inner_df,
            };
            h[0] = 0x45;
            h[1] = tos;
            h[2..4].copy_from_slice(&len.to_be_bytes());
            h[4..6].copy_from_slice(&p.id.to_be_bytes());
            h[6] = if df { 0x40 } else { 0 };
            h[7] = 0;
            h[8] = p.ttl;
            h[9] = p.next;
            h[10..12].copy_from_slice(&[0, 0]);
            h[12..16].copy_from_slice(&s);
            h[16..20].copy_from_slice(&d);
            let sum = checksum(h);
            h[10..12].copy_from_slice(&sum.to_be_bytes());
            Ok(())
        }
        (Addr::V6(s), Addr::V6(d)) => {
            let h = out.get_mut(..IPV6_HDR_LEN).ok_or(TunnelError::Layout)?;
            let payload = total
                .checked_sub(IPV6_HDR_LEN)
                .and_then(|n| u16::try_from(n).ok())
                .ok_or(TunnelError::Layout)?;
            h[0] = 0x60 | (tos >> 4);
            h[1] = tos << 4;
            h[2..4].copy_from_slice(&[0, 0]);
            h[4..6].copy_from_slice(&payload.to_be_bytes());
            h[6] = p.next;
            h[7] = p.ttl;
            h[8..24].copy_from_slice(&s);
            h[24..40].copy_from_slice(&d);
            Ok(())
        }
        _ => Err(TunnelError::Layout),
    }
}

/// The smallest MTU an IPv4 path may have (RFC 791).
pub const IPV4_MIN_MTU: usize = 68;
/// The smallest MTU an IPv6 path may have (RFC 8200 section 5).
pub const IPV6_MIN_MTU: usize = 1280;

/// Path MTU discovery through a tunnel (RFC 4459 section 3.2): `inner` is
/// the start of an inner packet of `len` bytes and `room` the largest
/// inner packet whose ESP packet fits the outer path
/// ([`crate::esp::Layout::max_payload`]). Returns the MTU to report in an
/// ICMP "fragmentation needed" or ICMPv6 "packet too big" when the packet
/// does not fit and must not be fragmented, `None` when it fits or the
/// outer packet may be fragmented instead: an IPv4 packet without DF, or
/// an IPv6 packet no longer than the IPv6 minimum MTU (which the sender
/// cannot go below). As in `xfrm4_tunnel_check_size` and
/// `xfrm6_tunnel_check_size`, the MTU is never reported below the
/// family's minimum.
pub fn too_big(inner: &[u8], len: usize, room: usize) -> Result<Option<u32>, TunnelError> {
    let (_, df, proto) = inner_info(inner)?;
    let (must_fit, min) = if proto == PROTO_IPV6 {
        (true, IPV6_MIN_MTU)
    } else {
        (df, IPV4_MIN_MTU)
    };
    let mtu = room.max(min);
    if !must_fit || len <= mtu {
        return Ok(None);
    }
    Ok(Some(u32::try_from(mtu).map_err(|_| TunnelError::Layout)?))
}

/// The TOS / traffic class of the IP header at the front of `h`.
pub fn tos_of(h: &[u8]) -> Option<u8> {
    let b0 = *h.first()?;
    let b1 = *h.get(1)?;
    match b0 >> 4 {
        4 => Some(b1),
        6 => Some((b0 << 4) | (b1 >> 4)),
        _ => None,
    }
}

/// Checks the inner packet `inner` (all of it) that ESP's next header
/// `next` announced and applies RFC 6040 decapsulation with the outer
/// TOS / traffic class `outer_tos`.
pub fn decapsulate(inner: &mut [u8], next: u8, outer_tos: u8) -> Result<(), TunnelError> {
    let (tos, _, proto) = inner_info(inner)?;
    if proto != next {
        return Err(TunnelError::Malformed);
    }
    let new = decapsulate_tos(tos, outer_tos, false).map_err(|_| TunnelError::EcnDrop)?;
    if proto == PROTO_IPIP {
        let ihl = usize::from(inner[0] & 0x0f) * 4;
        let total = usize::from(u16::from_be_bytes([
            *inner.get(2).ok_or(TunnelError::Malformed)?,
            *inner.get(3).ok_or(TunnelError::Malformed)?,
        ]));
        if ihl < IPV4_MIN_HDR_LEN || total < ihl || total != inner.len() {
            return Err(TunnelError::Malformed);
        }
        if new != tos {
            let h = inner.get_mut(..ihl).ok_or(TunnelError::Malformed)?;
            h[1] = new;
            h[10..12].copy_from_slice(&[0, 0]);
            let sum = checksum(h);
            h[10..12].copy_from_slice(&sum.to_be_bytes());
        }
        return Ok(());
    }
    let payload = usize::from(u16::from_be_bytes([
        *inner.get(4).ok_or(TunnelError::Malformed)?,
        *inner.get(5).ok_or(TunnelError::Malformed)?,
    ]));
    if inner.len() < IPV6_HDR_LEN || payload + IPV6_HDR_LEN != inner.len() {
        return Err(TunnelError::Malformed);
    }
    inner[0] = 0x60 | (new >> 4);
    inner[1] = (new << 4) | (inner[1] & 0x0f);
    Ok(())
}

#[cfg(test)]
mod tests;
