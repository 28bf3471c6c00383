// SPDX-License-Identifier: GPL-2.0

//! ESP in transport mode over IPv4 (RFC 4303): output inserts the ESP
//! header and IV after the IP header and the trailer after the payload,
//! then encrypts in place; input checks the replay window, decrypts and
//! verifies in place, checks the padding, and removes ESP again.
//!
//! Headers are read and written through the core's `esp` helpers on the
//! packet's linear bytes; the glue owns the sk_buff operations.

use kernel::prelude::*;
use kernel::sync::Arc;

use super::sa::DpSa;
use super::stats::Drop;
use crate::glue::aead::Region;
use crate::glue::netfilter::HookPacket;
use crate::glue::random;
use crate::ipsec_core::esp::{self, counter_iv, iv_kind, Ad, IvKind, MAX_IV_LEN};
use crate::ipsec_core::ipview::checksum;
use crate::ipsec_core::pfkey::consts::IpsecMode;
use crate::ipsec_core::pfkey::sockaddr::Addr;
use crate::ipsec_core::policy::Applied;
use crate::ipsec_core::replay::split;
use crate::ipsec_core::usage::UsageEvent;

/// `IPPROTO_ESP`.
pub(crate) const IPPROTO_ESP: u8 = 50;

/// The IPv4 header length (IHL) of `bytes`, and its protocol.
fn ipv4_header(bytes: &[u8]) -> Option<(usize, u8)> {
    let ihl = usize::from(bytes.first()? & 0x0f) * 4;
    let proto = *bytes.get(9)?;
    (ihl >= 20 && bytes.len() >= ihl).then_some((ihl, proto))
}

/// Sets protocol and total length of the IPv4 header at the front of `d`
/// and recomputes its checksum.
fn fix_ipv4(d: &mut [u8], ihl: usize, proto: u8) -> Result<(), Drop> {
    let total = u16::try_from(d.len()).map_err(|_| Drop::Malformed)?;
    let h = d.get_mut(..ihl).ok_or(Drop::Malformed)?;
    h[9] = proto;
    h[2..4].copy_from_slice(&total.to_be_bytes());
    h[10..12].copy_from_slice(&[0, 0]);
    let sum = checksum(h);
    h[10..12].copy_from_slice(&sum.to_be_bytes());
    Ok(())
}

/// The IV for sequence number `seq` of `sa`, in `buf`.
fn make_iv<'b>(sa: &DpSa, seq: u64, buf: &'b mut [u8; MAX_IV_LEN]) -> &'b [u8] {
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

/// Protects `pkt` (an IPv4 packet, data at the IP header) with `sa` in
/// transport mode; returns what the packet meant for the SA's lifetime.
pub(crate) fn output(sa: &DpSa, pkt: &mut HookPacket) -> Result<UsageEvent, Drop> {
    if pkt.is_gso() {
        // The caller segments GSO packets first.
        return Err(Drop::Unsupported);
    }
    let mut hdr = [0u8; 60];
    let (ihl, proto) = ipv4_header(pkt.network_bytes(&mut hdr)).ok_or(Drop::Malformed)?;
    let len = usize::try_from(pkt.len).map_err(|_| Drop::Malformed)?;
    let payload = len.checked_sub(ihl).ok_or(Drop::Malformed)?;
    let layout = sa.layout;
    let head = layout.header_len();
    let pad = layout.pad_len(payload);
    let tail = layout.trailer_len(payload);
    let as_u32 = |n: usize| u32::try_from(n).map_err(|_| Drop::Malformed);
    pkt.prepare(as_u32(head)?, as_u32(tail)?)
        .map_err(|_| Drop::NoMemory)?;
    let (seq, event) = {
        let mut d = sa.dyn_.lock();
        let event = sa.count(&mut d, len)?;
        let seq = d.out.next_seq().map_err(|_| Drop::SeqOverflow)?;
        (seq, event)
    };
    let mut ivbuf = [0u8; MAX_IV_LEN];
    let iv = make_iv(sa, seq, &mut ivbuf);
    pkt.push_network(as_u32(head)?);
    pkt.put(as_u32(tail)?);
    {
        let d = pkt.data_mut();
        d.copy_within(head..head + ihl, 0);
        let esp_at = d.get_mut(ihl..).ok_or(Drop::Malformed)?;
        esp::emit_header(esp_at, sa.key.spi, split(seq).1, iv).map_err(|_| Drop::Malformed)?;
        let trailer_at = ihl + head + payload;
        let t = d.get_mut(trailer_at..).ok_or(Drop::Malformed)?;
        esp::write_trailer(t, pad, proto).map_err(|_| Drop::Malformed)?;
        fix_ipv4(d, ihl, IPPROTO_ESP)?;
    }
    // Growing by the ESP overhead must not make a full-sized DF packet
    // undeliverable: IP fragments it after encryption (PMTU handling that
    // shrinks the inner packets instead is a later stage).
    pkt.allow_fragmentation();
    let ad = Ad::new(sa.key.spi, seq, sa.esn, iv).map_err(|_| Drop::Malformed)?;
    let region = Region {
        offset: ihl + head,
        len: payload + pad + 2,
        icv: layout.icv,
    };
    sa.tfm
        .encrypt_packet(ad.as_bytes(), iv, pkt, region)
        .map_err(|_| Drop::CryptoError)?;
    Ok(event)
}

/// Removes ESP from `pkt` (an IPv4 packet for this host, data at the IP
/// header) with the SA `sa_of` finds for (destination, SPI); returns what
/// was applied, for the inbound policy check, and what the packet meant
/// for the SA's lifetime.
pub(crate) fn input(
    pkt: &mut HookPacket,
    sa_of: impl FnOnce(&Addr, u32) -> Option<Arc<DpSa>>,
) -> Result<(Applied, UsageEvent), Drop> {
    let mut hdr = [0u8; 76];
    let bytes = pkt.network_bytes(&mut hdr);
    let (ihl, _) = ipv4_header(bytes).ok_or(Drop::Malformed)?;
    let dst: [u8; 4] = bytes
        .get(16..20)
        .and_then(|b| b.try_into().ok())
        .ok_or(Drop::Malformed)?;
    let esp_hdr = bytes.get(ihl..ihl + 8).ok_or(Drop::Malformed)?;
    let spi = u32::from_be_bytes([esp_hdr[0], esp_hdr[1], esp_hdr[2], esp_hdr[3]]);
    let seq_lo = u32::from_be_bytes([esp_hdr[4], esp_hdr[5], esp_hdr[6], esp_hdr[7]]);
    let sa = sa_of(&Addr::V4(dst), spi).ok_or(Drop::UnknownSpi)?;
    if sa.mode != IpsecMode::TRANSPORT.0 {
        return Err(Drop::Unsupported);
    }
    let seq = {
        let d = sa.dyn_.lock();
        if d.usage.exhausted() {
            return Err(Drop::SaExpired);
        }
        let seq = d.replay.seq_from_wire(seq_lo);
        d.replay.check(seq).map_err(|_| Drop::Replay)?;
        seq
    };
    pkt.prepare(0, 0).map_err(|_| Drop::NoMemory)?;
    let layout = sa.layout;
    let head = layout.header_len();
    let len = usize::try_from(pkt.len).map_err(|_| Drop::Malformed)?;
    let body = len
        .checked_sub(ihl + head)
        .filter(|b| *b >= layout.icv + 2)
        .ok_or(Drop::Malformed)?;
    let mut ivbuf = [0u8; MAX_IV_LEN];
    let iv = &mut ivbuf[..layout.iv.min(MAX_IV_LEN)];
    iv.copy_from_slice(
        pkt.data_mut()
            .get(ihl + 8..ihl + head)
            .ok_or(Drop::Malformed)?,
    );
    let ad = Ad::new(spi, seq, sa.esn, iv).map_err(|_| Drop::Malformed)?;
    let region = Region {
        offset: ihl + head,
        len: body,
        icv: layout.icv,
    };
    sa.tfm
        .decrypt_packet(ad.as_bytes(), iv, pkt, region)
        .map_err(|_| Drop::AuthFailed)?;
    let event = {
        let mut d = sa.dyn_.lock();
        d.replay.advance(seq).map_err(|_| Drop::Replay)?;
        sa.count(&mut d, len)?
    };
    let trailer = {
        let d = pkt.data_mut();
        let plain = d.get(ihl + head..len - layout.icv).ok_or(Drop::Malformed)?;
        esp::parse_trailer(plain).map_err(|_| Drop::BadPadding)?
    };
    if trailer.is_dummy() {
        return Err(Drop::Malformed);
    }
    let as_u32 = |n: usize| u32::try_from(n).map_err(|_| Drop::Malformed);
    pkt.trim(as_u32(ihl + head + trailer.payload_len)?)
        .map_err(|_| Drop::NoMemory)?;
    pkt.data_mut().copy_within(0..ihl, head);
    pkt.pull_network(as_u32(head)?, as_u32(ihl)?)
        .map_err(|_| Drop::Malformed)?;
    fix_ipv4(pkt.data_mut(), ihl, trailer.next_header)?;
    let applied = Applied {
        proto: u16::from(IPPROTO_ESP),
        mode: IpsecMode::TRANSPORT.0,
        reqid: sa.reqid,
        endpoints: (sa.src, sa.key.dst),
    };
    Ok((applied, event))
}
