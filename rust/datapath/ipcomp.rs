// SPDX-License-Identifier: GPL-2.0

//! IPComp (RFC 3173) in transport and tunnel mode over IPv4 and IPv6.
//!
//! Output compresses the payload (transport: what follows the IP header
//! and the extension headers before the insertion point, as for ESP;
//! tunnel: the whole inner packet) into this CPU's buffer and writes it
//! back behind the IPComp header. A payload under the algorithm's
//! threshold, or one that does not shrink, goes as it is (the core's
//! `ipcomp` rules): transport mode leaves the packet unchanged, tunnel
//! mode sends it IP-in-IP to the SA's peer, as Linux does.
//!
//! Input decompresses into this CPU's buffer, never beyond what an IP
//! packet can hold (a larger output is refused by the algorithm:
//! `DropDecompressTooBig`; input that is not what the algorithm produces:
//! `DropDecompressFailed`), then grows or cuts the packet to the
//! decompressed length once. IP-in-IP from the peer of an IPComp tunnel SA
//! is that SA's uncompressed packet: it is decapsulated and counted as the
//! SA's. IPComp has no integrity check and no sequence number; it is
//! protected only by an SA applied around it (ESP, in a bundle: compress,
//! then encrypt).

use kernel::prelude::*;
use kernel::sync::Arc;

use super::esp_transport::{outbound_head, OutboundHead};
use super::head::{as_u32, head_of};
use super::mss::{clamp_tcp_mss, Fit};
use super::sa::{DpSa, Later};
use super::stats::DropReason;
use super::tunnel::{decapsulate, outer_tos, route, write_outer_for, Inner};
use crate::glue::hooks::Packet;
use crate::glue::skb::Skb;
use crate::ipsec_core::esp::Outer;
use crate::ipsec_core::inet::{Addr, PROTO_COMP, PROTO_IPIP, PROTO_IPV6};
use crate::ipsec_core::ipcomp::{
    compressed_room, max_decompressed, worth_compressing, IpcompHeader, IPCOMP_HDR_LEN,
};
use crate::ipsec_core::knobs::KnobValues;
use crate::ipsec_core::policy::Applied;
use crate::ipsec_core::transport::TransportHead;
use crate::ipsec_core::usage::UsageEvent;

/// What output did with a packet.
pub(crate) struct Sent {
    /// What the packet meant for the SA's lifetime.
    pub(crate) event: UsageEvent,
    /// It went compressed (else as it was).
    pub(crate) compressed: bool,
    /// Tunnel mode: the outer header is IPv6.
    pub(crate) outer_v6: Option<bool>,
}

/// `errno` of the compression API as a drop reason.
fn decompress_error(e: Error) -> DropReason {
    if e == ENOSPC {
        DropReason::DecompressTooBig
    } else if e == ENOMEM {
        DropReason::NoMemory
    } else {
        DropReason::DecompressFailed
    }
}

/// Compresses the `len` bytes of `pkt` (linear, writable) from `offset`
/// with `sa`, writing the result at `offset + IPCOMP_HDR_LEN` and cutting
/// the packet after it; returns the compressed length, or `None` when the
/// payload is under the threshold or does not shrink (the packet is then
/// unchanged).
fn compress(
    sa: &DpSa,
    pkt: &mut Packet,
    offset: usize,
    len: usize,
) -> Result<Option<usize>, DropReason> {
    let (tfm, alg) = sa.comp()?;
    let room = compressed_room(len);
    if !worth_compressing(alg, len) || room == 0 {
        return Ok(None);
    }
    let at = offset + IPCOMP_HDR_LEN;
    let put = |pkt: &mut Skb, out: &[u8]| -> Result<usize, DropReason> {
        let d = pkt.data_mut();
        d.get_mut(at..at + out.len())
            .ok_or(DropReason::Malformed)?
            .copy_from_slice(out);
        Ok(out.len())
    };
    // ENOSPC (it would not shrink) or any other refusal: uncompressed, as
    // Linux's ipcomp_output_done2 sends it.
    let Ok(n) = tfm.compress(pkt, offset, len, room, put) else {
        return Ok(None);
    };
    let n = n?;
    pkt.trim(as_u32(at + n)?)
        .map_err(|_| DropReason::NoMemory)?;
    Ok(Some(n))
}

/// Compresses `pkt` (data at the IP header) with the IPComp SA `sa` in
/// transport mode: the payload after the insertion point, behind an
/// IPComp header, when that makes it shorter.
pub(crate) fn output(sa: &DpSa, pkt: &mut Packet, later: Later<'_>) -> Result<Sent, DropReason> {
    let OutboundHead { ip, len, payload } = outbound_head(pkt)?;
    pkt.prepare(0, 0).map_err(|_| DropReason::NoMemory)?;
    clamp_tcp_mss(sa, pkt, &ip, Fit::Out(later));
    let event = sa.count_packet(len)?;
    let compressed = compress(sa, pkt, ip.hl, payload)?.is_some();
    if compressed {
        let d = pkt.data_mut();
        emit_header(
            sa,
            d.get_mut(ip.hl..).ok_or(DropReason::Malformed)?,
            ip.proto,
        )?;
        ip.set_protocol(d, PROTO_COMP)
            .map_err(|_| DropReason::Malformed)?;
    }
    Ok(Sent {
        event,
        compressed,
        outer_v6: None,
    })
}

/// Writes the IPComp header of `sa` at the front of `at`.
fn emit_header(sa: &DpSa, at: &mut [u8], next_header: u8) -> Result<(), DropReason> {
    let cpi = u16::try_from(sa.key.spi).map_err(|_| DropReason::Malformed)?;
    IpcompHeader { next_header, cpi }
        .emit(at)
        .map_err(|_| DropReason::Malformed)
}

/// Wraps `pkt` (data at its IP header) with the IPComp tunnel SA `sa`:
/// the compressed inner packet behind an outer header and an IPComp
/// header, or the inner packet as it is behind an outer header naming it
/// (IP-in-IP); routed to the tunnel's end, with path MTU discovery when
/// `pmtu` (as ESP's tunnel output).
pub(crate) fn tunnel_output(
    sa: &DpSa,
    pkt: &mut Packet,
    knobs: &KnobValues,
    later: Later<'_>,
    pmtu: bool,
) -> Result<Sent, DropReason> {
    if pkt.is_gso() {
        return Err(DropReason::Unsupported);
    }
    let outer_len = sa.layout.outer.len();
    let len = usize::try_from(pkt.len()).map_err(|_| DropReason::Malformed)?;
    let inner = head_of(pkt)?;
    let next = if inner.v6 { PROTO_IPV6 } else { PROTO_IPIP };
    pkt.prepare(as_u32(outer_len + IPCOMP_HDR_LEN)?, 0)
        .map_err(|_| DropReason::NoMemory)?;
    clamp_tcp_mss(sa, pkt, &inner, Fit::Out(later));
    let hops = route(sa, pkt, len, inner.v6, pmtu.then_some(later))?;
    let event = sa.count_packet(len)?;
    // The outer header copies DSCP, ECN and DF from the inner one, which
    // compression hides: keep its first bytes.
    let mut inner_head = [0u8; 8];
    inner_head.copy_from_slice(pkt.data_mut().get(..8).ok_or(DropReason::Malformed)?);
    // Compressed in place, behind room for the IPComp header.
    let compressed = compress(sa, pkt, 0, len)?.is_some();
    let proto = if compressed {
        emit_header(sa, pkt.data_mut(), next)?;
        PROTO_COMP
    } else {
        next
    };
    pkt.push_network(as_u32(outer_len)?);
    {
        let d = pkt.data_mut();
        let total = d.len();
        let outer = d.get_mut(..outer_len).ok_or(DropReason::Malformed)?;
        write_outer_for(sa, outer, hops, knobs, proto, &inner_head, total)?;
    }
    pkt.allow_fragmentation();
    Ok(Sent {
        event,
        compressed,
        outer_v6: Some(sa.layout.outer == Outer::V6),
    })
}

/// The IPComp packet for this host in `pkt` (data at the IP header): its
/// layout, its header, and the SA `sa_of` finds for (destination, CPI).
pub(crate) fn lookup(
    pkt: &Packet,
    sa_of: impl FnOnce(&Addr, u32) -> Option<Arc<DpSa>>,
) -> Result<(TransportHead, IpcompHeader, Arc<DpSa>), DropReason> {
    let ip = head_of(pkt)?;
    if ip.fragment {
        return Err(DropReason::Unsupported);
    }
    if ip.proto != PROTO_COMP {
        return Err(DropReason::Malformed);
    }
    let mut buf = [0u8; IPCOMP_HDR_LEN];
    let b = pkt
        .network_bytes_at(ip.hl, &mut buf)
        .ok_or(DropReason::Malformed)?;
    let h = IpcompHeader::parse(b).map_err(|_| DropReason::Malformed)?;
    let sa = sa_of(&ip.dst, u32::from(h.cpi)).ok_or(DropReason::UnknownSpi)?;
    Ok((ip, h, sa))
}

/// Decompresses the IPComp payload of `pkt` (the header `h` at `ip.hl`)
/// with `sa` in place of the header: the packet is then the IP header
/// followed by the decompressed bytes.
fn decompress(pkt: &mut Packet, ip: &TransportHead, sa: &DpSa) -> Result<UsageEvent, DropReason> {
    let (tfm, _) = sa.comp()?;
    pkt.prepare(0, 0).map_err(|_| DropReason::NoMemory)?;
    let len = usize::try_from(pkt.len()).map_err(|_| DropReason::Malformed)?;
    let at = ip.hl + IPCOMP_HDR_LEN;
    let clen = len.checked_sub(at).ok_or(DropReason::Malformed)?;
    let limit = max_decompressed(ip.v6, ip.hl);
    let put = |pkt: &mut Skb, out: &[u8]| -> Result<(), DropReason> {
        // Linux's ipcomp_input_done2: what was compressed grew back.
        if out.len() < clen + IPCOMP_HDR_LEN {
            return Err(DropReason::DecompressFailed);
        }
        let end = ip.hl + out.len();
        let grow = end.saturating_sub(len);
        pkt.prepare(0, as_u32(grow)?)
            .map_err(|_| DropReason::NoMemory)?;
        pkt.put(as_u32(grow)?);
        pkt.data_mut()
            .get_mut(ip.hl..end)
            .ok_or(DropReason::Malformed)?
            .copy_from_slice(out);
        Ok(())
    };
    tfm.decompress(pkt, at, clen, limit, put)
        .map_err(decompress_error)??;
    sa.count_packet(len)
}

/// Removes transport-mode IPComp from `pkt` (the header `h` at `ip.hl`,
/// for the SA `sa`); returns what was applied and what the packet meant
/// for the SA's lifetime.
pub(crate) fn input(
    pkt: &mut Packet,
    ip: &TransportHead,
    h: &IpcompHeader,
    sa: &DpSa,
) -> Result<(Applied, UsageEvent), DropReason> {
    let event = decompress(pkt, ip, sa)?;
    pkt.pull_network(0, as_u32(ip.transport_at)?)
        .map_err(|_| DropReason::Malformed)?;
    ip.set_protocol(pkt.data_mut(), h.next_header)
        .map_err(|_| DropReason::Malformed)?;
    Ok((sa.applied(), event))
}

/// Removes the outer header and IPComp from `pkt` (the header `h` at
/// `ip.hl`, for the tunnel SA `sa`); `pkt` then holds the inner packet.
pub(crate) fn tunnel_input(
    pkt: &mut Packet,
    ip: &TransportHead,
    h: &IpcompHeader,
    sa: &DpSa,
) -> Result<Inner, DropReason> {
    let tos = outer_tos(pkt)?;
    let event = decompress(pkt, ip, sa)?;
    decapsulate(pkt, ip.hl, h.next_header, tos, sa, event)
}

/// Removes the outer header from `pkt`, IP-in-IP that the peer of the
/// IPComp tunnel SA `sa` sent uncompressed (the inner packet at the
/// insertion point, `ip.proto` 4 or 41); `pkt` then holds the inner
/// packet.
pub(crate) fn plain_input(pkt: &mut Packet, sa: &DpSa) -> Result<Inner, DropReason> {
    let ip = head_of(pkt)?;
    let next = ip.proto;
    if ip.fragment {
        return Err(DropReason::Unsupported);
    }
    let tos = outer_tos(pkt)?;
    let len = usize::try_from(pkt.len()).map_err(|_| DropReason::Malformed)?;
    let event = sa.count_packet(len)?;
    pkt.prepare(0, 0).map_err(|_| DropReason::NoMemory)?;
    decapsulate(pkt, ip.hl, next, tos, sa, event)
}
