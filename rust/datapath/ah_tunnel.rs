// SPDX-License-Identifier: GPL-2.0

//! AH in tunnel mode (RFC 4302 section 3.1.2): 4in4, 6in6, 4in6, 6in4.
//!
//! Output puts an outer IPv4/IPv6 header to the SA's endpoints and the AH
//! header in front of the whole packet (`tunnel.rs`, shared with ESP) and
//! computes the ICV over the outer header (mutable fields zeroed), AH and
//! the inner packet as transport mode does (`ah_transport::sign`); the
//! outer packet is routed to the tunnel's end and, once every SA of a
//! bundle is applied, sent as a local packet (the hook steals the
//! original).
//!
//! Input verifies as transport mode does (`ah_transport::verify`), checks
//! the inner packet, applies RFC 6040 decapsulation and hands it back for
//! the inner packet's policy check and re-injection, as ESP's tunnel mode
//! does.

use super::ah_transport::{emit_header, sign, tail_len, verify, Verified};
use super::head::{as_u32, head_of};
use super::mss::{clamp_tcp_mss, Fit};
use super::sa::{DpSa, Later};
use super::stats::DropReason;
use super::tunnel::{decapsulate, outer_header, outer_tos, route, Inner};
use crate::glue::hooks::Packet;
use crate::ipsec_core::esp::Outer;
use crate::ipsec_core::inet::{NEXTHDR_AUTH, PROTO_IPIP, PROTO_IPV6};
use crate::ipsec_core::knobs::KnobValues;
use crate::ipsec_core::transport::TransportHead;
use crate::ipsec_core::usage::UsageEvent;

/// Wraps `pkt` (data at its IP header) in AH with the tunnel SA `sa`,
/// routed to the tunnel's end; with `pmtu`, first answers a packet too big
/// for that route (once `sa` and the SAs `later` have added theirs) with
/// ICMP. Returns what the packet meant for the SA's
/// lifetime and whether the outer header is IPv6; the caller sends the
/// outer packet and the hook returns `Stolen`. On error the packet is left
/// for the caller to drop.
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
    let outer_len = sa.layout.outer.len();
    let len = usize::try_from(pkt.len()).map_err(|_| DropReason::Malformed)?;
    let head = outer_len + sa.ah_len;
    let inner = head_of(pkt)?;
    let next = if inner.v6 { PROTO_IPV6 } else { PROTO_IPIP };
    pkt.prepare(as_u32(head)?, as_u32(tail_len(sa))?)
        .map_err(|_| DropReason::NoMemory)?;
    clamp_tcp_mss(sa, pkt, &inner, Fit::Out(later));
    let hops = route(sa, pkt, len, inner.v6, pmtu.then_some(later))?;
    let (seq, event) = sa.next_out(len)?;
    pkt.push_network(as_u32(head)?);
    {
        let d = pkt.data_mut();
        let rest = outer_header(sa, d, hops, knobs, NEXTHDR_AUTH, sa.ah_len)?;
        emit_header(sa, rest, next, seq)?;
    }
    sign(sa, pkt, outer_len, len, seq, knobs)?;
    // Still too big for the path (IPv4 without DF, or the IPv6 minimum
    // MTU): IP fragments the AH packet.
    pkt.allow_fragmentation();
    Ok((event, sa.layout.outer == Outer::V6))
}

/// Verifies `pkt` (a packet for this host, data at the outer header, AH
/// found at `ip.hl` for the tunnel SA `sa`), removes the outer header and
/// AH and checks the inner packet; `pkt` then holds the inner packet.
pub(crate) fn input(
    pkt: &mut Packet,
    ip: &TransportHead,
    sa: &DpSa,
    knobs: &KnobValues,
) -> Result<Inner, DropReason> {
    let outer_tos = outer_tos(pkt)?;
    let Verified {
        next_header,
        hlen,
        event,
    } = verify(pkt, ip.hl, sa, knobs)?;
    decapsulate(pkt, ip.hl + hlen, next_header, outer_tos, sa, event)
}
