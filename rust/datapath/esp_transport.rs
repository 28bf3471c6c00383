// SPDX-License-Identifier: GPL-2.0

//! ESP in transport mode over IPv4 and IPv6 (RFC 4303): output inserts
//! the ESP header and IV after the IP header (IPv6: after the extension
//! headers that precede it, `transport::TransportHead`) and the trailer
//! after the payload, then encrypts in place; input checks the replay
//! window, decrypts and verifies in place, checks the padding, and removes
//! ESP again.
//!
//! Headers are read and written through the core's `esp` and `transport`
//! helpers; the glue owns the sk_buff operations. A packet may arrive
//! non-linear (page fragments, a fragment list): its headers are read
//! with `network_bytes`/`network_bytes_at`, copied out where the linear
//! part ends, and it is written only after `prepare` made it linear.

use kernel::prelude::*;
use kernel::sync::Arc;

use super::head::{as_u32, head_of};
use super::mss::{clamp_tcp_mss, Fit};
use super::natt;
use super::sa::{DpSa, Later};
use super::stats::DropReason;
use crate::glue::aead::Region;
use crate::glue::hooks::Packet;
use crate::glue::random;
use crate::ipsec_core::esp::{self, counter_iv, iv_kind, Ad, IvKind, Trailer, MAX_IV_LEN};
use crate::ipsec_core::inet::Addr;
use crate::ipsec_core::policy::Applied;
use crate::ipsec_core::replay::split;
use crate::ipsec_core::transport::TransportHead;
use crate::ipsec_core::usage::UsageEvent;

/// Encrypts `plain` bytes of `pkt` from `offset` (payload, padding and
/// the two trailer bytes) with `sa`, sequence number `seq` and `iv`; the
/// ICV goes after them.
pub(super) fn seal(
    sa: &DpSa,
    pkt: &mut Packet,
    seq: u64,
    iv: &[u8],
    offset: usize,
    plain: usize,
) -> Result<(), DropReason> {
    let ad = Ad::new(sa.key.spi, seq, sa.esn, iv).map_err(|_| DropReason::Malformed)?;
    let region = Region {
        offset,
        len: plain,
        icv: sa.layout.icv,
    };
    sa.aead()?
        .encrypt_packet(ad.as_bytes(), iv, pkt, region)
        .map_err(|_| DropReason::CryptoError)
}

/// The IV for sequence number `seq` of `sa`, in `buf`.
pub(super) fn make_iv<'b>(sa: &DpSa, seq: u64, buf: &'b mut [u8; MAX_IV_LEN]) -> &'b [u8] {
    let n = sa.layout.iv.min(MAX_IV_LEN);
    let iv = &mut buf[..n];
    match iv_kind(sa.enc) {
        IvKind::None => {}
        IvKind::Counter => {
            let c = counter_iv(seq);
            let m = n.min(c.len());
            iv[..m].copy_from_slice(&c[..m]);
        }
        IvKind::Random => random::fill(iv),
    }
    iv
}

/// What transport-mode output (ESP or AH) needs of a packet first.
pub(super) struct OutboundHead {
    /// The IP header and the extension headers before the insertion point.
    pub(super) ip: TransportHead,
    /// The packet's length.
    pub(super) len: usize,
    /// Bytes after `ip.hl`.
    pub(super) payload: usize,
}

/// The head of `pkt` (data at the IP header) for transport-mode output:
/// not a GSO packet (the caller segments those first) and not a forwarded
/// fragment (transport mode protects whole packets).
pub(super) fn outbound_head(pkt: &Packet) -> Result<OutboundHead, DropReason> {
    if pkt.is_gso() {
        return Err(DropReason::Unsupported);
    }
    let ip = head_of(pkt)?;
    if ip.fragment {
        return Err(DropReason::Unsupported);
    }
    let len = usize::try_from(pkt.len()).map_err(|_| DropReason::Malformed)?;
    let payload = len.checked_sub(ip.hl).ok_or(DropReason::Malformed)?;
    Ok(OutboundHead { ip, len, payload })
}

/// Protects `pkt` (data at the IP header) with `sa` in transport mode;
/// returns what the packet meant for the SA's lifetime.
pub(crate) fn output(
    sa: &DpSa,
    pkt: &mut Packet,
    later: Later<'_>,
) -> Result<UsageEvent, DropReason> {
    let OutboundHead { ip, len, payload } = outbound_head(pkt)?;
    let ihl = ip.hl;
    let layout = sa.layout;
    // NAT-T: the UDP header goes before ESP (`natt.rs`).
    let esp_head = layout.header_len();
    let head = layout.encap + esp_head;
    let pad = layout.pad_len(payload);
    let tail = layout.trailer_len(payload);
    pkt.prepare(as_u32(head)?, as_u32(tail)?)
        .map_err(|_| DropReason::NoMemory)?;
    clamp_tcp_mss(sa, pkt, &ip, Fit::Out(later));
    let (seq, event) = sa.next_out(len)?;
    let mut ivbuf = [0u8; MAX_IV_LEN];
    let iv = make_iv(sa, seq, &mut ivbuf);
    pkt.push_network(as_u32(head)?);
    pkt.put(as_u32(tail)?);
    {
        let d = pkt.data_mut();
        d.copy_within(head..head + ihl, 0);
        let esp_at = natt::encapsulate(sa, d.get_mut(ihl..).ok_or(DropReason::Malformed)?)?;
        esp::emit_header(esp_at, sa.key.spi, split(seq).1, iv)
            .map_err(|_| DropReason::Malformed)?;
        let t = esp_at
            .get_mut(esp_head + payload..)
            .ok_or(DropReason::Malformed)?;
        esp::write_trailer(t, pad, ip.proto).map_err(|_| DropReason::Malformed)?;
        ip.set_protocol(d, natt::ip_proto(sa))
            .map_err(|_| DropReason::Malformed)?;
    }
    // A packet still too big after ESP (TCP is clamped; UDP, ICMP are
    // not) is fragmented after encryption rather than dropped.
    pkt.allow_fragmentation();
    seal(sa, pkt, seq, iv, ihl + head, payload + pad + 2)?;
    natt::finish(sa, pkt, ihl)?;
    Ok(event)
}

/// The fixed part of an ESP header (RFC 4303 section 2).
struct EspHeader {
    spi: u32,
    /// The low 32 bits of the sequence number.
    seq_lo: u32,
}

/// The ESP header of `pkt` at `ip.hl`, wherever the packet holds it: in
/// the linear part or in page fragments (a NIC that splits headers from
/// payload may put no more than the IP header in the linear part).
fn esp_header(pkt: &Packet, ip: &TransportHead) -> Result<EspHeader, DropReason> {
    let mut buf = [0u8; 8];
    let b = pkt
        .network_bytes_at(ip.hl, &mut buf)
        .ok_or(DropReason::Malformed)?;
    let (spi, seq) = b.split_first_chunk::<4>().ok_or(DropReason::Malformed)?;
    let seq = seq.first_chunk::<4>().ok_or(DropReason::Malformed)?;
    Ok(EspHeader {
        spi: u32::from_be_bytes(*spi),
        seq_lo: u32::from_be_bytes(*seq),
    })
}

/// The ESP packet for this host in `pkt` (data at the IP header): its
/// layout and the SA `sa_of` finds for (destination, SPI).
pub(crate) fn lookup(
    pkt: &Packet,
    sa_of: impl FnOnce(&Addr, u32) -> Option<Arc<DpSa>>,
) -> Result<(TransportHead, Arc<DpSa>), DropReason> {
    let ip = head_of(pkt)?;
    if ip.fragment {
        // IPv6 reassembles after LOCAL_IN (without nf_defrag_ipv6).
        return Err(DropReason::Unsupported);
    }
    if !ip.esp_here() {
        return Err(DropReason::Malformed);
    }
    let esp = esp_header(pkt, &ip)?;
    let sa = sa_of(&ip.dst, esp.spi).ok_or(DropReason::UnknownSpi)?;
    Ok((ip, sa))
}

/// Checks the replay window, decrypts and verifies `pkt` (ESP at `ip.hl`)
/// in place with `sa`, advances the window and counts the packet, and
/// cuts padding, trailer and ICV off; returns the trailer (what the
/// payload is and how long) and what the packet meant for the SA's
/// lifetime.
pub(crate) fn decrypt(
    pkt: &mut Packet,
    ip: &TransportHead,
    sa: &DpSa,
) -> Result<(Trailer, UsageEvent), DropReason> {
    let ihl = ip.hl;
    let layout = sa.layout;
    let head = layout.header_len();
    // Read before the packet is made linear: a replayed or expired
    // packet is dropped without copying it.
    let EspHeader { spi, seq_lo } = esp_header(pkt, ip)?;
    let seq = {
        let d = sa.dyn_.lock();
        if d.usage.exhausted() {
            return Err(DropReason::SaExpired);
        }
        let seq = d.replay.seq_from_wire(seq_lo);
        d.replay.check(seq).map_err(|_| DropReason::Replay)?;
        seq
    };
    pkt.prepare(0, 0).map_err(|_| DropReason::NoMemory)?;
    let len = usize::try_from(pkt.len()).map_err(|_| DropReason::Malformed)?;
    let body = len
        .checked_sub(ihl + head)
        .filter(|b| *b >= layout.icv + 2)
        .ok_or(DropReason::Malformed)?;
    let mut ivbuf = [0u8; MAX_IV_LEN];
    let iv = &mut ivbuf[..layout.iv.min(MAX_IV_LEN)];
    iv.copy_from_slice(
        pkt.data_mut()
            .get(ihl + 8..ihl + head)
            .ok_or(DropReason::Malformed)?,
    );
    let ad = Ad::new(spi, seq, sa.esn, iv).map_err(|_| DropReason::Malformed)?;
    let region = Region {
        offset: ihl + head,
        len: body,
        icv: layout.icv,
    };
    sa.aead()?
        .decrypt_packet(ad.as_bytes(), iv, pkt, region)
        .map_err(|_| DropReason::AuthFailed)?;
    let event = {
        let mut d = sa.dyn_.lock();
        d.replay.advance(seq).map_err(|_| DropReason::Replay)?;
        sa.count(&mut d, len)?
    };
    let trailer = {
        let d = pkt.data_mut();
        let plain = d
            .get(ihl + head..len - layout.icv)
            .ok_or(DropReason::Malformed)?;
        esp::parse_trailer(plain).map_err(|_| DropReason::BadPadding)?
    };
    if trailer.is_dummy() {
        return Err(DropReason::Malformed);
    }
    pkt.trim(as_u32(ihl + head + trailer.payload_len)?)
        .map_err(|_| DropReason::NoMemory)?;
    Ok((trailer, event))
}

/// Removes transport-mode ESP from `pkt` (ESP at `ip.hl`, for the
/// transport SA `sa`; the layers around it, `removed` bytes, are gone
/// already); returns what was applied, for the inbound policy check, and
/// what the packet meant for the SA's lifetime.
pub(crate) fn input(
    pkt: &mut Packet,
    ip: &TransportHead,
    sa: &DpSa,
    removed: usize,
) -> Result<(Applied, UsageEvent), DropReason> {
    let ihl = ip.hl;
    let head = sa.layout.header_len();
    let (trailer, event) = decrypt(pkt, ip, sa)?;
    pkt.data_mut().copy_within(0..ihl, head);
    pkt.pull_network(as_u32(head)?, as_u32(ip.transport_at)?)
        .map_err(|_| DropReason::Malformed)?;
    ip.set_protocol(pkt.data_mut(), trailer.next_header)
        .map_err(|_| DropReason::Malformed)?;
    let inner = TransportHead {
        proto: trailer.next_header,
        ..*ip
    };
    clamp_tcp_mss(sa, pkt, &inner, Fit::In(removed));
    Ok((sa.applied(), event))
}
