// SPDX-License-Identifier: GPL-2.0

//! ESP in tunnel mode (RFC 4303 section 3.1.2): 4in4, 6in6, 4in6, 6in4.
//!
//! Output wraps the whole packet: outer IPv4/IPv6 header to the SA's
//! endpoints (the core's `tunnel::write_outer`: DSCP copied, ECN per the
//! `ecn` knob, DF per `dfbit`, TTL from the outer route), ESP header, IV,
//! the packet, trailer with next header 4 or 41, ICV; the outer packet is
//! routed to the tunnel's end and, once every SA of a bundle is applied,
//! sent as a local packet (the hook steals the original).
//!
//! Input decrypts as transport mode does, checks the inner packet and
//! applies RFC 6040 decapsulation, checks the inbound (`in` for this host,
//! else `fwd`) policy of the inner packet against the tunnel SA, and
//! re-injects the inner packet into the receive path marked as checked,
//! so the inner packet's LOCAL_IN or FORWARD hook lets it pass.

use kernel::prelude::*;

use super::esp_transport::{as_u32, clamp_tcp_mss, make_iv, seal};
use super::sa::DpSa;
use super::stats::DropReason;
use crate::glue::hooks::Packet;
use crate::glue::random;
use crate::ipsec_core::ecn::EncapMode;
use crate::ipsec_core::esp::{self, Outer, MAX_IV_LEN};
use crate::ipsec_core::inet::{PROTO_IPIP, PROTO_IPV6};
use crate::ipsec_core::ipview::{selector_from_head, PacketSelector, HEAD_MAX};
use crate::ipsec_core::knobs::KnobValues;
use crate::ipsec_core::policy::Applied;
use crate::ipsec_core::replay::split;
use crate::ipsec_core::transport::{transport_head, TransportHead};
use crate::ipsec_core::tunnel::{self, write_outer, OuterParams, TunnelError};
use crate::ipsec_core::usage::UsageEvent;

/// Wraps `pkt` (data at its IP header) in ESP with the tunnel SA `sa`,
/// routed to the tunnel's end; with `pmtu`, first answers a packet too big
/// for that route with ICMP. Returns what the packet meant for the SA's
/// lifetime and whether the outer header is IPv6; the caller sends the
/// outer packet ([`Packet::send_local`]) and the hook returns
/// `Stolen`. On error the packet is left for the caller to drop.
pub(crate) fn output(
    sa: &DpSa,
    pkt: &mut Packet,
    knobs: &KnobValues,
    pmtu: bool,
) -> Result<(UsageEvent, bool), DropReason> {
    if pkt.is_gso() {
        return Err(DropReason::Unsupported);
    }
    let layout = sa.layout;
    let outer_len = layout.outer.len();
    let outer_v6 = layout.outer == Outer::V6;
    let len = usize::try_from(pkt.len()).map_err(|_| DropReason::Malformed)?;
    let esp_head = layout.header_len();
    let head = outer_len + esp_head;
    let pad = layout.pad_len(len);
    let tail = layout.trailer_len(len);
    let mut first = [0u8; HEAD_MAX];
    let inner = transport_head(pkt.network_bytes(&mut first)).map_err(|_| DropReason::Malformed)?;
    let next = if inner.v6 { PROTO_IPV6 } else { PROTO_IPIP };
    pkt.prepare(as_u32(head)?, as_u32(tail)?)
        .map_err(|_| DropReason::NoMemory)?;
    clamp_tcp_mss(sa, pkt, &inner, true);
    let route = pkt
        .route_outer(&sa.route, &sa.src, &sa.key.dst)
        .map_err(|_| DropReason::NoRoute)?;
    if pmtu {
        // Before the packet takes the outer route: an ICMP error about the
        // inner packet is routed with the inner one's (4in6, 6in4 too).
        check_size(sa, pkt, len, inner.v6, route.mtu())?;
    }
    let hops = pkt.attach_route(route, outer_v6);
    let (seq, event) = sa.next_out(len)?;
    let mut ivbuf = [0u8; MAX_IV_LEN];
    let iv = make_iv(sa, seq, &mut ivbuf);
    let mut id = [0u8; 2];
    random::fill(&mut id);
    pkt.push_network(as_u32(head)?);
    pkt.put(as_u32(tail)?);
    {
        let d = pkt.data_mut();
        let total = d.len();
        let (outer, rest) = d.split_at_mut(outer_len);
        let params = OuterParams {
            src: sa.src,
            dst: sa.key.dst,
            ttl: hops,
            id: u16::from_be_bytes(id),
            dfbit: knobs.dfbit(),
            ecn: EncapMode::from_knob(knobs.ecn()),
        };
        let inner_bytes = rest.get(esp_head..).ok_or(DropReason::Malformed)?;
        write_outer(outer, &params, inner_bytes, total).map_err(|_| DropReason::Malformed)?;
        esp::emit_header(rest, sa.key.spi, split(seq).1, iv).map_err(|_| DropReason::Malformed)?;
        let t = rest
            .get_mut(esp_head + len..)
            .ok_or(DropReason::Malformed)?;
        esp::write_trailer(t, pad, next).map_err(|_| DropReason::Malformed)?;
    }
    seal(sa, pkt, seq, iv, head, len + pad + 2)?;
    // Still too big for the path (IPv4 without DF, or the IPv6 minimum
    // MTU): IP fragments the ESP packet (RFC 4303 section 3.3.5).
    pkt.allow_fragmentation();
    Ok((event, outer_v6))
}

/// Path MTU discovery through the tunnel: an inner packet of `len` bytes
/// that does not fit the outer route's MTU once ESP is added, and must not
/// be fragmented, is answered with ICMP "fragmentation needed" or ICMPv6
/// "packet too big" carrying the MTU that fits (the core's
/// `tunnel::too_big`), and dropped. `pkt` still holds the inner packet
/// (IPv6 if `v6`) with its own route; `path_mtu` is the outer route's.
fn check_size(
    sa: &DpSa,
    pkt: &mut Packet,
    len: usize,
    v6: bool,
    path_mtu: u32,
) -> Result<(), DropReason> {
    let path = usize::try_from(path_mtu).map_err(|_| DropReason::Malformed)?;
    if path == 0 {
        return Ok(());
    }
    let room = sa.layout.max_payload(path);
    if len <= room {
        return Ok(());
    }
    let mut head = [0u8; 8];
    let inner = pkt.network_bytes(&mut head);
    match tunnel::too_big(inner, len, room) {
        Ok(Some(mtu)) => {
            pkt.send_too_big(v6, mtu);
            Err(DropReason::TooBig)
        }
        Ok(None) => Ok(()),
        Err(_) => Err(DropReason::Malformed),
    }
}

/// A decapsulated inner packet, ready for its policy check.
pub(crate) struct Inner {
    /// What was applied to it.
    pub(crate) applied: Applied,
    /// Its selector.
    pub(crate) sel: PacketSelector,
    /// What it meant for the SA's lifetime.
    pub(crate) event: UsageEvent,
}

/// Removes the outer header and ESP from `pkt` (a packet for this host,
/// data at the outer header, ESP found at `ip.hl` for the tunnel SA `sa`)
/// and checks the inner packet; `pkt` then holds the inner packet.
pub(crate) fn input(pkt: &mut Packet, ip: &TransportHead, sa: &DpSa) -> Result<Inner, DropReason> {
    let ihl = ip.hl;
    let mut outer = [0u8; 2];
    let outer_tos = tunnel::tos_of(pkt.network_bytes(&mut outer)).ok_or(DropReason::Malformed)?;
    let (plain, event) = super::esp_transport::decrypt(pkt, ip, sa)?;
    let layout = sa.layout;
    let head = layout.header_len();
    let as_err = |e: TunnelError| match e {
        TunnelError::EcnDrop => DropReason::Ecn,
        _ => DropReason::Malformed,
    };
    {
        let d = pkt.data_mut();
        let inner = d.get_mut(ihl + head..).ok_or(DropReason::Malformed)?;
        tunnel::decapsulate(inner, plain.next_header, outer_tos).map_err(as_err)?;
    }
    pkt.pull_network(as_u32(ihl + head)?, 0)
        .map_err(|_| DropReason::Malformed)?;
    let mut buf = [0u8; HEAD_MAX];
    let sel = selector_from_head(pkt.network_bytes(&mut buf)).map_err(|_| DropReason::Malformed)?;
    Ok(Inner {
        applied: sa.applied(),
        sel,
        event,
    })
}
