// SPDX-License-Identifier: GPL-2.0

//! What ESP, AH and IPComp share in tunnel mode: the outer route (with path MTU
//! discovery through the tunnel), the outer header (the core's
//! `tunnel::write_outer`: DSCP copied, ECN per the `ecn` knob, DF per
//! `dfbit`, TTL from the outer route) and decapsulation (the inner packet
//! checked, RFC 6040 applied, the outer header and the protocol's own
//! removed).

use super::head::as_u32;
use super::sa::{DpSa, Later};
use super::stats::DropReason;
use crate::glue::hooks::Packet;
use crate::glue::random;
use crate::ipsec_core::ecn::EncapMode;
use crate::ipsec_core::esp::Outer;
use crate::ipsec_core::ipview::{selector_from_head, PacketSelector, HEAD_MAX};
use crate::ipsec_core::knobs::KnobValues;
use crate::ipsec_core::policy::Applied;
use crate::ipsec_core::tunnel::{self, write_outer, OuterParams, TunnelError};
use crate::ipsec_core::usage::UsageEvent;

/// Routes `pkt` (the inner packet, `len` bytes, IPv6 if `v6`) to the end
/// of the tunnel SA `sa`; with `pmtu` (the SAs a bundle applies after
/// `sa`), first answers a packet too big for that route with ICMP
/// ([`check_size`]). The packet takes the outer route;
/// returns the route's hop limit, the outer header's TTL.
pub(super) fn route(
    sa: &DpSa,
    pkt: &mut Packet,
    len: usize,
    v6: bool,
    pmtu: Option<Later<'_>>,
) -> Result<u8, DropReason> {
    let route = pkt
        .route_outer(&sa.route, &sa.src, &sa.key.dst)
        .map_err(|_| DropReason::NoRoute)?;
    if let Some(later) = pmtu {
        // Before the packet takes the outer route: an ICMP error about the
        // inner packet is routed with the inner one's (4in6, 6in4 too).
        check_size(sa, pkt, len, v6, route.mtu(), later)?;
    }
    Ok(pkt.attach_route(route, sa.layout.outer == Outer::V6))
}

/// Writes the outer header of the tunnel SA `sa` at the front of `d` (the
/// whole outer packet: outer header, `sa`'s protocol header of `head`
/// bytes, the inner packet, any trailer), its protocol `next` (ESP or AH)
/// and its TTL `hops`; returns what follows the outer header.
pub(super) fn outer_header<'a>(
    sa: &DpSa,
    d: &'a mut [u8],
    hops: u8,
    knobs: &KnobValues,
    next: u8,
    head: usize,
) -> Result<&'a mut [u8], DropReason> {
    let total = d.len();
    let (outer, rest) = d.split_at_mut(sa.layout.outer.len());
    let inner = rest.get(head..).ok_or(DropReason::Malformed)?;
    write_outer_for(sa, outer, hops, knobs, next, inner, total)?;
    Ok(rest)
}

/// Writes the outer header of the tunnel SA `sa` into `outer`, for an
/// outer packet of `total` bytes whose inner packet starts with
/// `inner_head` (its DSCP, ECN and DF are copied as the knobs say: IPComp
/// passes a copy of the header it compressed).
pub(super) fn write_outer_for(
    sa: &DpSa,
    outer: &mut [u8],
    hops: u8,
    knobs: &KnobValues,
    next: u8,
    inner_head: &[u8],
    total: usize,
) -> Result<(), DropReason> {
    let params = OuterParams {
        src: sa.src,
        dst: sa.key.dst,
        ttl: hops,
        id: random::u16(),
        dfbit: knobs.dfbit(),
        ecn: EncapMode::from_knob(knobs.ecn()),
        next,
    };
    write_outer(outer, &params, inner_head, total).map_err(|_| DropReason::Malformed)
}

/// Path MTU discovery through the tunnel: an inner packet of `len` bytes
/// that does not fit the outer route's MTU once ESP or AH is added (and
/// what the SAs `later` in the bundle add), and must not be fragmented, is answered with ICMP "fragmentation needed" or ICMPv6
/// "packet too big" carrying the MTU that fits (the core's
/// `tunnel::too_big`), and dropped. `pkt` still holds the inner packet
/// (IPv6 if `v6`) with its own route; `path_mtu` is the outer route's.
fn check_size(
    sa: &DpSa,
    pkt: &mut Packet,
    len: usize,
    v6: bool,
    path_mtu: u32,
    later: Later<'_>,
) -> Result<(), DropReason> {
    let path = usize::try_from(path_mtu).map_err(|_| DropReason::Malformed)?;
    if path == 0 {
        return Ok(());
    }
    let room = sa.room(later.mtu(path));
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

/// The TOS / traffic class of `pkt`'s (outer) IP header, read before the
/// packet changes.
pub(super) fn outer_tos(pkt: &Packet) -> Result<u8, DropReason> {
    let mut outer = [0u8; 2];
    tunnel::tos_of(pkt.network_bytes(&mut outer)).ok_or(DropReason::Malformed)
}

/// Removes everything before `at` from `pkt` (verified by the tunnel SA
/// `sa`: the outer header and the protocol's own), after checking that an
/// inner packet of the protocol `next` (4 or 41) fills the rest and
/// applying RFC 6040 with the outer header's `outer_tos`; `pkt` then holds
/// the inner packet.
pub(super) fn decapsulate(
    pkt: &mut Packet,
    at: usize,
    next: u8,
    outer_tos: u8,
    sa: &DpSa,
    event: UsageEvent,
) -> Result<Inner, DropReason> {
    let as_err = |e: TunnelError| match e {
        TunnelError::EcnDrop => DropReason::Ecn,
        _ => DropReason::Malformed,
    };
    {
        let d = pkt.data_mut();
        let inner = d.get_mut(at..).ok_or(DropReason::Malformed)?;
        tunnel::decapsulate(inner, next, outer_tos).map_err(as_err)?;
    }
    pkt.pull_network(as_u32(at)?, 0)
        .map_err(|_| DropReason::Malformed)?;
    let sel = pkt
        .with_network_head::<HEAD_MAX, _>(selector_from_head)
        .map_err(|_| DropReason::Malformed)?;
    Ok(Inner {
        applied: sa.applied(),
        sel,
        event,
    })
}
