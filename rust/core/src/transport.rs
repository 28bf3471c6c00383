// SPDX-License-Identifier: GPL-2.0

//! Where transport-mode ESP sits in an IPv4 or IPv6 packet, and how the
//! IP header changes when ESP is inserted or removed (RFC 4303 section
//! 3.1.1).
//!
//! IPv4: ESP follows the header and its options; the protocol field names
//! ESP, the total length and header checksum change. IPv6: ESP follows the
//! headers that are processed hop by hop or before routing (Hop-by-Hop,
//! Routing, Destination Options before a Routing header:
//! `ip6_find_1stfragopt`); the next-header byte of the header before it
//! names ESP and the payload length changes.

use super::inet::{Addr, NEXTHDR_HOP, PROTO_ESP};
use super::ipview::{checksum, walk_ipv6, Ipv6Packet, ViewError, HEAD_MAX, IPV6_HDR_LEN};

/// The layout of an IP packet's head, as transport mode sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransportHead {
    /// IPv6 (else IPv4).
    pub v6: bool,
    /// Bytes before the ESP header (output: before the upper layer).
    pub hl: usize,
    /// Offset of the byte naming the protocol at `hl`.
    pub nexthdr_at: usize,
    /// The protocol at `hl` (output: the upper layer; input: ESP).
    pub proto: u8,
    /// Where the receive path expects the transport header after ESP is
    /// removed: IPv4 after the header; IPv6 after the fixed header and a
    /// Hop-by-Hop header (which `ip6_rcv_core` already consumed).
    pub transport_at: usize,
    /// The destination address.
    pub dst: Addr,
    /// An IPv6 Fragment header precedes `hl` (or an IPv4 fragment): ESP
    /// cannot be processed before reassembly.
    pub fragment: bool,
}

/// The transport-mode layout of the packet whose first bytes are `head`
/// (the whole header chain must be in `head`, up to [`HEAD_MAX`] bytes).
pub fn transport_head(head: &[u8]) -> Result<TransportHead, ViewError> {
    match head.first().map(|b| b >> 4) {
        Some(4) => v4_head(head),
        Some(6) => v6_head(head),
        _ => Err(ViewError::Version),
    }
}

fn v4_head(h: &[u8]) -> Result<TransportHead, ViewError> {
    let ihl = usize::from(h.first().ok_or(ViewError::Truncated)? & 0x0f) * 4;
    if ihl < 20 || h.len() < ihl {
        return Err(ViewError::HeaderLen);
    }
    let frag = u16::from_be_bytes([h[6], h[7]]);
    let dst: [u8; 4] = h[16..20].try_into().map_err(|_| ViewError::Truncated)?;
    Ok(TransportHead {
        v6: false,
        hl: ihl,
        nexthdr_at: 9,
        proto: h[9],
        transport_at: ihl,
        dst: Addr::V4(dst),
        // MF or a fragment offset.
        fragment: frag & 0x3fff != 0,
    })
}

fn v6_head(head: &[u8]) -> Result<TransportHead, ViewError> {
    // Walk a copy whose payload length is clamped to what was copied.
    let n = head.len().min(HEAD_MAX);
    let mut buf = [0u8; HEAD_MAX];
    let h = buf.get_mut(..n).ok_or(ViewError::Truncated)?;
    h.copy_from_slice(head.get(..n).ok_or(ViewError::Truncated)?);
    if n < IPV6_HDR_LEN {
        return Err(ViewError::Truncated);
    }
    let room = u16::try_from(n - IPV6_HDR_LEN).map_err(|_| ViewError::Truncated)?;
    let payload = u16::from_be_bytes([h[4], h[5]]).min(room);
    h[4..6].copy_from_slice(&payload.to_be_bytes());
    let walk = walk_ipv6(&Ipv6Packet::new_checked(&*h)?)?;
    let dst: [u8; 16] = h[24..40].try_into().map_err(|_| ViewError::Truncated)?;
    let transport_at = if h[6] == NEXTHDR_HOP {
        IPV6_HDR_LEN + (usize::from(*h.get(IPV6_HDR_LEN + 1).ok_or(ViewError::Truncated)?) + 1) * 8
    } else {
        IPV6_HDR_LEN
    };
    let proto = *h.get(walk.esp_nexthdr_offset).ok_or(ViewError::Truncated)?;
    Ok(TransportHead {
        v6: true,
        hl: walk.esp_offset,
        nexthdr_at: walk.esp_nexthdr_offset,
        proto,
        transport_at,
        dst: Addr::V6(dst),
        fragment: walk.fragment.is_some(),
    })
}

impl TransportHead {
    /// Whether ESP is where transport mode puts it (input).
    pub fn esp_here(&self) -> bool {
        self.proto == PROTO_ESP && !self.fragment
    }

    /// After ESP was inserted or removed: names `proto` at `hl` and fixes
    /// the length (and IPv4 header checksum) of `pkt`, the whole packet.
    pub fn set_protocol(&self, pkt: &mut [u8], proto: u8) -> Result<(), ViewError> {
        let len = pkt.len();
        *pkt.get_mut(self.nexthdr_at).ok_or(ViewError::Truncated)? = proto;
        if self.v6 {
            let payload = len
                .checked_sub(IPV6_HDR_LEN)
                .and_then(|p| u16::try_from(p).ok())
                .ok_or(ViewError::TotalLen)?;
            pkt.get_mut(4..6)
                .ok_or(ViewError::Truncated)?
                .copy_from_slice(&payload.to_be_bytes());
            return Ok(());
        }
        let total = u16::try_from(len).map_err(|_| ViewError::TotalLen)?;
        let h = pkt.get_mut(..self.hl).ok_or(ViewError::Truncated)?;
        h[2..4].copy_from_slice(&total.to_be_bytes());
        h[10..12].copy_from_slice(&[0, 0]);
        let sum = checksum(h);
        h[10..12].copy_from_slice(&sum.to_be_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests;
