// SPDX-License-Identifier: GPL-2.0

//! AH in transport mode over IPv4 and IPv6 (RFC 4302): output inserts the
//! AH header after the IP header (IPv6: after the extension headers that
//! precede it, the same insertion point as ESP's,
//! `transport::TransportHead`) and computes the ICV into it; input checks
//! the replay window, verifies the ICV and removes AH again.
//!
//! The ICV is computed by the SA's AEAD `authenc(<auth>,ecb(cipher_null))`
//! (`Documentation/design/ah-plan.rst`): the associated data is the
//! core's [`IcvHead`], a copy of the headers up to and including AH with
//! the mutable fields and the ICV zeroed (the packet itself is never
//! zeroed and restored); the region is the payload after AH, followed with
//! ESN by the high half of the sequence number, written into tail room
//! for the computation only. Output: the ICV lands after the region, is
//! moved into the AH header and the tail is cut off. Input: the received
//! ICV is copied after the region, verified (`authenc` compares in
//! constant time) and cut off.
//!
//! The AH header sent is padded to 8 bytes over both families, as Linux
//! does by default (`ah::SEND_ALIGN`); both paddings are accepted over
//! IPv4. Tunnel mode (`ah_tunnel.rs`) shares `emit_header`, `sign` and
//! `verify`.

use kernel::prelude::*;
use kernel::sync::Arc;

use super::esp_transport::{outbound_head, OutboundHead};
use super::head::{as_u32, head_of};
use super::mss::{clamp_tcp_mss, Fit};
use super::sa::{DpSa, Later};
use super::stats::DropReason;
use crate::glue::aead::Region;
use crate::glue::hooks::Packet;
use crate::ipsec_core::ah::mutable::{Direction, Ipv4Rules};
use crate::ipsec_core::ah::{
    self, AhFields, AhHeader, IcvHead, AH_FIXED_LEN, ESN_SUFFIX_LEN, ICV_HEAD_MAX, SEND_ALIGN,
};
use crate::ipsec_core::inet::{Addr, NEXTHDR_AUTH};
use crate::ipsec_core::knobs::KnobValues;
use crate::ipsec_core::policy::Applied;
use crate::ipsec_core::replay::split;
use crate::ipsec_core::transport::TransportHead;
use crate::ipsec_core::usage::UsageEvent;

/// Bytes after the payload during the ICV computation: the ESN suffix
/// (with ESN) and the ICV.
pub(super) fn tail_len(sa: &DpSa) -> usize {
    let esn = if sa.esn { ESN_SUFFIX_LEN } else { 0 };
    esn + sa.layout.icv
}

/// The ICV input's head of `pkt` (linear; AH at `ihl`), for `sa`.
fn icv_head(
    pkt: &mut Packet,
    ihl: usize,
    sa: &DpSa,
    knobs: &KnobValues,
    dir: Direction,
) -> Result<IcvHead, DropReason> {
    let d = pkt.data_mut();
    let head = d.get(..d.len().min(ICV_HEAD_MAX)).unwrap_or(&[]);
    let rules = Ipv4Rules::from_knobs(knobs);
    let ad = IcvHead::new(head, sa.layout.icv, rules, dir).map_err(|_| DropReason::Malformed)?;
    if ad.ah_offset() != ihl {
        // AH is not where transport mode puts it.
        return Err(DropReason::Malformed);
    }
    Ok(ad)
}

/// Protects `pkt` (data at the IP header) with the AH SA `sa` in
/// transport mode, the IPv4 header's ICV coverage as `knobs` say
/// (`ah_cleartos`, `ah_offsetmask`); returns what the packet meant for the
/// SA's lifetime.
pub(crate) fn output(
    sa: &DpSa,
    pkt: &mut Packet,
    knobs: &KnobValues,
    later: Later<'_>,
) -> Result<UsageEvent, DropReason> {
    let OutboundHead { ip, len, payload } = outbound_head(pkt)?;
    let ihl = ip.hl;
    let ah_len = sa.ah_len;
    pkt.prepare(as_u32(ah_len)?, as_u32(tail_len(sa))?)
        .map_err(|_| DropReason::NoMemory)?;
    clamp_tcp_mss(sa, pkt, &ip, Fit::Out(later));
    let (seq, event) = sa.next_out(len)?;
    pkt.push_network(as_u32(ah_len)?);
    {
        let d = pkt.data_mut();
        d.copy_within(ah_len..ah_len + ihl, 0);
        let at = d.get_mut(ihl..).ok_or(DropReason::Malformed)?;
        emit_header(sa, at, ip.proto, seq)?;
        ip.set_protocol(d, NEXTHDR_AUTH)
            .map_err(|_| DropReason::Malformed)?;
    }
    // As ESP: a packet still too big after AH is fragmented rather than
    // dropped.
    pkt.allow_fragmentation();
    sign(sa, pkt, ihl, payload, seq, knobs)?;
    Ok(event)
}

/// Writes the AH header `sa` sends with sequence number `seq` at the
/// front of `at`, its ICV zero; `next_header` names what follows it.
pub(super) fn emit_header(
    sa: &DpSa,
    at: &mut [u8],
    next_header: u8,
    seq: u64,
) -> Result<(), DropReason> {
    let fields = AhFields {
        next_header,
        spi: sa.key.spi,
        seq_lo: split(seq).1,
        icv_len: sa.layout.icv,
        align: SEND_ALIGN,
    };
    ah::emit_header(at, &fields)
        .map(|_| ())
        .map_err(|_| DropReason::Malformed)
}

/// Computes the ICV of `pkt` (linear and writable; the IP header,
/// `ihl` bytes, then the AH header `sa` sends, then `payload` bytes) for
/// the sequence number `seq`, and writes it into the AH header. Transport
/// and tunnel mode differ only in what the payload is.
pub(super) fn sign(
    sa: &DpSa,
    pkt: &mut Packet,
    ihl: usize,
    payload: usize,
    seq: u64,
    knobs: &KnobValues,
) -> Result<(), DropReason> {
    let icv = sa.layout.icv;
    let tail = tail_len(sa);
    let ad = icv_head(pkt, ihl, sa, knobs, Direction::Output)?;
    let total = ihl + sa.ah_len + payload;
    pkt.put(as_u32(tail)?);
    let esn = tail - icv;
    if sa.esn {
        pkt.data_mut()
            .get_mut(total..total + esn)
            .ok_or(DropReason::Malformed)?
            .copy_from_slice(&ah::esn_suffix(seq));
    }
    let region = Region {
        offset: ihl + sa.ah_len,
        len: payload + esn,
        icv,
    };
    sa.aead()?
        .encrypt_packet(ad.as_bytes(), &[], pkt, region)
        .map_err(|_| DropReason::CryptoError)?;
    {
        let d = pkt.data_mut();
        let icv_at = total + esn;
        if icv_at + icv > d.len() {
            return Err(DropReason::Malformed);
        }
        d.copy_within(icv_at..icv_at + icv, ihl + AH_FIXED_LEN);
    }
    pkt.trim(as_u32(total)?).map_err(|_| DropReason::NoMemory)
}

/// The SPI and low sequence number of the AH header at `ihl`, wherever
/// the packet holds it (linear part or page fragments).
fn spi_seq(pkt: &Packet, ihl: usize) -> Result<(u32, u32), DropReason> {
    let mut buf = [0u8; AH_FIXED_LEN];
    let b = pkt
        .network_bytes_at(ihl, &mut buf)
        .ok_or(DropReason::Malformed)?;
    let be32 = |at: usize| {
        b.get(at..)
            .and_then(|s| s.first_chunk::<4>())
            .map(|a| u32::from_be_bytes(*a))
            .ok_or(DropReason::Malformed)
    };
    Ok((be32(4)?, be32(8)?))
}

/// The AH packet for this host in `pkt` (data at the IP header): its
/// layout and the SA `sa_of` finds for (destination, SPI).
pub(crate) fn lookup(
    pkt: &Packet,
    sa_of: impl FnOnce(&Addr, u32) -> Option<Arc<DpSa>>,
) -> Result<(TransportHead, Arc<DpSa>), DropReason> {
    let ip = head_of(pkt)?;
    if ip.fragment {
        return Err(DropReason::Unsupported);
    }
    if ip.proto != NEXTHDR_AUTH {
        // IPv6: AH after a Destination Options header that follows a
        // Routing header is not where transport mode puts it.
        return Err(DropReason::Malformed);
    }
    let (spi, _) = spi_seq(pkt, ip.hl)?;
    let sa = sa_of(&ip.dst, spi).ok_or(DropReason::UnknownSpi)?;
    Ok((ip, sa))
}

/// What an AH header held, once its packet verified.
pub(super) struct Verified {
    /// The protocol after AH (transport: the payload's; tunnel: 4 or 41).
    pub(super) next_header: u8,
    /// The AH header's length.
    pub(super) hlen: usize,
    /// What the packet meant for the SA's lifetime.
    pub(super) event: UsageEvent,
}

/// Checks the replay window, verifies the ICV of `pkt` (AH at `ihl`,
/// after the IP header and the extension headers before it) with the AH SA
/// `sa` (the IPv4 header's coverage as `knobs` say), advances the window
/// and counts the packet. AH stays in place; transport and tunnel mode
/// remove it in their own ways.
pub(super) fn verify(
    pkt: &mut Packet,
    ihl: usize,
    sa: &DpSa,
    knobs: &KnobValues,
) -> Result<Verified, DropReason> {
    let icv = sa.layout.icv;
    // Read before the packet is made linear: a replayed or expired packet
    // is dropped without copying it.
    let (_, seq_lo) = spi_seq(pkt, ihl)?;
    let seq = {
        let d = sa.dyn_.lock();
        if d.usage.exhausted() {
            return Err(DropReason::SaExpired);
        }
        let seq = d.replay.seq_from_wire(seq_lo);
        d.replay.check(seq).map_err(|_| DropReason::Replay)?;
        seq
    };
    let tail = tail_len(sa);
    pkt.prepare(0, as_u32(tail)?)
        .map_err(|_| DropReason::NoMemory)?;
    let len = usize::try_from(pkt.len()).map_err(|_| DropReason::Malformed)?;
    let ad = icv_head(pkt, ihl, sa, knobs, Direction::Input)?;
    let payload_at = ad.payload_offset();
    let payload = len.checked_sub(payload_at).ok_or(DropReason::Malformed)?;
    let (next_header, hlen) = {
        let d = pkt.data_mut();
        let ah = AhHeader::new_checked(d.get(ihl..).ok_or(DropReason::Malformed)?)
            .map_err(|_| DropReason::Malformed)?;
        (ah.next_header(), ah.header_len())
    };
    let esn = tail - icv;
    pkt.put(as_u32(tail)?);
    {
        let d = pkt.data_mut();
        if sa.esn {
            d.get_mut(len..len + esn)
                .ok_or(DropReason::Malformed)?
                .copy_from_slice(&ah::esn_suffix(seq));
        }
        let icv_at = ihl + AH_FIXED_LEN;
        if len + esn + icv > d.len() || icv_at + icv > len {
            return Err(DropReason::Malformed);
        }
        d.copy_within(icv_at..icv_at + icv, len + esn);
    }
    let region = Region {
        offset: payload_at,
        len: payload + esn + icv,
        icv,
    };
    sa.aead()?
        .decrypt_packet(ad.as_bytes(), &[], pkt, region)
        .map_err(|_| DropReason::AuthFailed)?;
    let event = {
        let mut d = sa.dyn_.lock();
        d.replay.advance(seq).map_err(|_| DropReason::Replay)?;
        sa.count(&mut d, len)?
    };
    pkt.trim(as_u32(len)?).map_err(|_| DropReason::NoMemory)?;
    Ok(Verified {
        next_header,
        hlen,
        event,
    })
}

/// Verifies `pkt` (AH at `ip.hl`) with the transport-mode AH SA `sa` and
/// removes AH (the layers around it, `removed` bytes, are gone already);
/// returns what was applied, for the inbound policy check, and what the
/// packet meant for the SA's lifetime.
pub(crate) fn input(
    pkt: &mut Packet,
    ip: &TransportHead,
    sa: &DpSa,
    knobs: &KnobValues,
    removed: usize,
) -> Result<(Applied, UsageEvent), DropReason> {
    let ihl = ip.hl;
    let Verified {
        next_header,
        hlen,
        event,
    } = verify(pkt, ihl, sa, knobs)?;
    pkt.data_mut().copy_within(0..ihl, hlen);
    pkt.pull_network(as_u32(hlen)?, as_u32(ip.transport_at)?)
        .map_err(|_| DropReason::Malformed)?;
    ip.set_protocol(pkt.data_mut(), next_header)
        .map_err(|_| DropReason::Malformed)?;
    let inner = TransportHead {
        proto: next_header,
        ..*ip
    };
    clamp_tcp_mss(sa, pkt, &inner, Fit::In(removed));
    Ok((sa.applied(), event))
}
