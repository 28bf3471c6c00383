// SPDX-License-Identifier: GPL-2.0

//! ESP in tunnel mode (RFC 4303 section 3.1.2): 4in4, 6in6, 4in6, 6in4.
//!
//! Output wraps the whole packet: outer IPv4/IPv6 header to the SA's
//! endpoints (`tunnel.rs`, shared with AH), ESP header, IV,
//! the packet, trailer with next header 4 or 41, ICV; the outer packet is
//! routed to the tunnel's end and, once every SA of a bundle is applied,
//! sent as a local packet (the hook steals the original).
//!
//! Input decrypts as transport mode does, checks the inner packet and
//! applies RFC 6040 decapsulation, checks the inbound (`in` for this host,
//! else `fwd`) policy of the inner packet against the tunnel SA, and
//! re-injects the inner packet into the receive path marked as checked,
//! so the inner packet's LOCAL_IN or FORWARD hook lets it pass.

use super::esp_transport::{make_iv, seal};
use super::head::{as_u32, head_of};
use super::mss::{clamp_tcp_mss, Fit};
use super::natt;
use super::sa::{DpSa, Later};
use super::stats::DropReason;
use super::tunnel::{decapsulate, outer_header, outer_tos, route, Inner};
use crate::glue::hooks::Packet;
use crate::ipsec_core::esp::{self, Outer, MAX_IV_LEN};
use crate::ipsec_core::inet::{PROTO_IPIP, PROTO_IPV6};
use crate::ipsec_core::knobs::KnobValues;
use crate::ipsec_core::replay::split;
use crate::ipsec_core::transport::TransportHead;
use crate::ipsec_core::usage::UsageEvent;

/// Wraps `pkt` (data at its IP header) in ESP with the tunnel SA `sa`,
/// routed to the tunnel's end; with `pmtu`, first answers a packet too big
/// for that route (once `sa` and the SAs `later` have added theirs) with
/// ICMP. Returns what the packet meant for the SA's
/// lifetime and whether the outer header is IPv6; the caller sends the
/// outer packet ([`Packet::send_local`]) and the hook returns
/// `Stolen`. On error the packet is left for the caller to drop.
pub(crate) fn output(
    sa: &DpSa,
    pkt: &mut Packet,
    knobs: &KnobValues,
    later: Later<'_>,
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
    // NAT-T: the UDP header goes before ESP (`natt.rs`).
    let head = outer_len + layout.encap + esp_head;
    let pad = layout.pad_len(len);
    let tail = layout.trailer_len(len);
    let inner = head_of(pkt)?;
    let next = if inner.v6 { PROTO_IPV6 } else { PROTO_IPIP };
    pkt.prepare(as_u32(head)?, as_u32(tail)?)
        .map_err(|_| DropReason::NoMemory)?;
    clamp_tcp_mss(sa, pkt, &inner, Fit::Out(later));
    let hops = route(sa, pkt, len, inner.v6, pmtu.then_some(later))?;
    let (seq, event) = sa.next_out(len)?;
    let mut ivbuf = [0u8; MAX_IV_LEN];
    let iv = make_iv(sa, seq, &mut ivbuf);
    pkt.push_network(as_u32(head)?);
    pkt.put(as_u32(tail)?);
    {
        let d = pkt.data_mut();
        let proto = natt::ip_proto(sa);
        let datagram = outer_header(sa, d, hops, knobs, proto, layout.encap + esp_head)?;
        let rest = natt::encapsulate(sa, datagram)?;
        esp::emit_header(rest, sa.key.spi, split(seq).1, iv).map_err(|_| DropReason::Malformed)?;
        let t = rest
            .get_mut(esp_head + len..)
            .ok_or(DropReason::Malformed)?;
        esp::write_trailer(t, pad, next).map_err(|_| DropReason::Malformed)?;
    }
    seal(sa, pkt, seq, iv, head, len + pad + 2)?;
    natt::finish(sa, pkt, outer_len)?;
    // Still too big for the path (IPv4 without DF, or the IPv6 minimum
    // MTU): IP fragments the ESP packet (RFC 4303 section 3.3.5).
    pkt.allow_fragmentation();
    Ok((event, outer_v6))
}

/// Removes the outer header and ESP from `pkt` (a packet for this host,
/// data at the outer header, ESP found at `ip.hl` for the tunnel SA `sa`)
/// and checks the inner packet; `pkt` then holds the inner packet.
pub(crate) fn input(pkt: &mut Packet, ip: &TransportHead, sa: &DpSa) -> Result<Inner, DropReason> {
    let outer_tos = outer_tos(pkt)?;
    let (plain, event) = super::esp_transport::decrypt(pkt, ip, sa)?;
    let at = ip.hl + sa.layout.header_len();
    decapsulate(pkt, at, plain.next_header, outer_tos, sa, event)
}
