// SPDX-License-Identifier: GPL-2.0

//! NAT traversal on the datapath: ESP in UDP (RFC 3948), IPv4 and IPv6.
//!
//! Output: an SA with NAT-T ports puts a UDP header with its ports and a
//! zero checksum between the IP (or outer) header and ESP, and the IP
//! header names UDP; over IPv6, where UDP must carry a checksum, it is
//! computed once ESP is sealed ([`finish`], as Linux's esp6 does). Its
//! layout counts the 8 bytes, so the MTU and MSS checks see them.
//!
//! Input: a UDP datagram for this host whose destination port is the
//! port of a NAT-T SA is taken before any socket sees it (a key daemon's
//! socket with `UDP_ENCAP_ESPINUDP` set, on 4500, would hand it to
//! Linux's own XFRM). The core's `natt::classify` says what it carries: a
//! keepalive is consumed (counted); IKE, behind its non-ESP marker, goes on
//! to the socket; ESP loses its UDP header here and is then processed as
//! any ESP packet, except that its SA must be a NAT-T SA on that port.
//! Once it authenticated, a packet from another address or port than the
//! SA's peer is announced to the key daemons (SADB_X_NAT_T_NEW_MAPPING,
//! rate-limited per SA); the SA keeps sending to where it did until a
//! daemon updates it.

use super::head::{as_u32, head_of};
use super::sa::DpSa;
use super::stats::DropReason;
use crate::glue::clock;
use crate::glue::hooks::Packet;
use crate::ipsec_core::esp::ESP_HDR_LEN;
use crate::ipsec_core::inet::{Addr, PROTO_ESP, PROTO_UDP};
use crate::ipsec_core::ipview::PacketSelector;
use crate::ipsec_core::natt::{self, Carried, UdpPorts, UDP_HDR_LEN};
use crate::ipsec_core::new_mapping::NewMapping;

/// The protocol the IP header names for the packets of the ESP SA `sa`.
pub(super) fn ip_proto(sa: &DpSa) -> u8 {
    if sa.natt.is_some() {
        PROTO_UDP
    } else {
        PROTO_ESP
    }
}

/// Writes `sa`'s UDP header at the start of `datagram` (UDP header and
/// ESP packet) if it is a NAT-T SA; returns where ESP goes.
pub(super) fn encapsulate<'a>(
    sa: &DpSa,
    datagram: &'a mut [u8],
) -> Result<&'a mut [u8], DropReason> {
    let Some(ports) = sa.natt else {
        return Ok(datagram);
    };
    natt::emit_udp_header(datagram, ports).map_err(|_| DropReason::Malformed)?;
    datagram.get_mut(UDP_HDR_LEN..).ok_or(DropReason::Malformed)
}

/// What the UDP datagram `pkt` for this host (the caller checked its port
/// is an encapsulation port) carries.
pub(super) fn carried(pkt: &Packet) -> Carried {
    let Ok(ip) = head_of(pkt) else {
        return Carried::Socket;
    };
    let at = ip.hl + UDP_HDR_LEN;
    let len = usize::try_from(pkt.len())
        .unwrap_or(0)
        .saturating_sub(at)
        .min(ESP_HDR_LEN + 1);
    let mut buf = [0u8; ESP_HDR_LEN + 1];
    let Some(want) = buf.get_mut(..len) else {
        return Carried::Socket;
    };
    match pkt.network_bytes_at(at, want) {
        Some(payload) => natt::classify(payload),
        None => Carried::Socket,
    }
}

/// Where an encapsulated ESP packet came from: its outer source address
/// and its UDP ports.
#[derive(Clone, Copy)]
pub(super) struct Arrival {
    /// The outer IPv4 source.
    pub(super) src: Addr,
    /// The UDP ports.
    pub(super) ports: UdpPorts,
}

/// Removes the UDP header of the ESP-in-UDP packet `pkt` (data at the IP
/// header, selector `sel`): the packet then holds ESP right after the IP
/// header (IPv6: after the extension headers before it), which names ESP.
/// The UDP checksum is not verified: ESP's ICV covers what it would.
pub(super) fn decapsulate(pkt: &mut Packet, sel: &PacketSelector) -> Result<Arrival, DropReason> {
    let ip = head_of(pkt)?;
    if ip.fragment {
        return Err(DropReason::Malformed);
    }
    let ihl = ip.hl;
    pkt.prepare(0, 0).map_err(|_| DropReason::NoMemory)?;
    let ports = {
        let d = pkt.data_mut();
        let ports = natt::ports(d.get(ihl..).ok_or(DropReason::Malformed)?)
            .map_err(|_| DropReason::Malformed)?;
        d.copy_within(0..ihl, UDP_HDR_LEN);
        ports
    };
    pkt.pull_network(as_u32(UDP_HDR_LEN)?, as_u32(ihl)?)
        .map_err(|_| DropReason::Malformed)?;
    ip.set_protocol(pkt.data_mut(), PROTO_ESP)
        .map_err(|_| DropReason::Malformed)?;
    Ok(Arrival {
        src: sel.src,
        ports,
    })
}

/// Completes the ESP-in-UDP packet `pkt` of the NAT-T SA `sa` (data at
/// the IP header, the UDP header at `udp_at`, ESP sealed): over IPv6 its
/// UDP checksum is computed. Nothing to do over IPv4 or without NAT-T.
pub(super) fn finish(sa: &DpSa, pkt: &mut Packet, udp_at: usize) -> Result<(), DropReason> {
    if sa.natt.is_none() || !matches!(sa.key.dst, Addr::V6(_)) {
        return Ok(());
    }
    let d = pkt.data_mut();
    let (head, datagram) = d
        .split_at_mut_checked(udp_at)
        .ok_or(DropReason::Malformed)?;
    let src = head.get(8..24).and_then(|a| <&[u8; 16]>::try_from(a).ok());
    let dst = head.get(24..40).and_then(|a| <&[u8; 16]>::try_from(a).ok());
    let (Some(src), Some(dst)) = (src, dst) else {
        return Err(DropReason::Malformed);
    };
    natt::set_udp6_checksum(src, dst, datagram).map_err(|_| DropReason::Malformed)
}

/// Checks that ESP that arrived in UDP (`arrival`) belongs to `sa`: a
/// NAT-T SA whose destination port it was sent to.
pub(super) fn check(sa: &DpSa, arrival: &Arrival) -> Result<(), DropReason> {
    match sa.natt {
        Some(p) if p.dport == arrival.ports.dport => Ok(()),
        _ => Err(DropReason::EncapMismatch),
    }
}

/// The NEW_MAPPING to announce when ESP that authenticated with the NAT-T
/// SA `sa` arrived from another address or port than `sa` names
/// (`arrival`), unless it was announced lately (the core's
/// `MappingNote`).
pub(super) fn moved(sa: &DpSa, arrival: &Arrival) -> Option<NewMapping> {
    let p = sa.natt?;
    if arrival.src == sa.src && arrival.ports.sport == p.sport {
        return None;
    }
    let now = clock::now_seconds();
    let announce = sa
        .dyn_
        .lock()
        .mapping
        .should_announce(arrival.src, arrival.ports.sport, now);
    announce.then_some(NewMapping {
        spi: sa.key.spi,
        local: sa.key.dst,
        mode: sa.mode,
        reqid: sa.reqid,
        old_src: sa.src,
        old_sport: p.sport,
        new_src: arrival.src,
        new_sport: arrival.ports.sport,
    })
}
