// SPDX-License-Identifier: GPL-2.0

//! Checked views of IPv4 and IPv6 headers, the IPv6 extension-header walk,
//! and the selector of a packet (addresses, protocol, ports) for SPD
//! lookups.
//!
//! C source: [net/ipv6/exthdrs_core.c](srctree/net/ipv6/exthdrs_core.c)
//! (`ipv6_skip_exthdr`), [net/ipv6/output_core.c](srctree/net/ipv6/output_core.c)
//! (`ip6_find_1stfragopt`) and [net/xfrm/xfrm_policy.c](srctree/net/xfrm/xfrm_policy.c)
//! (`decode_session4`/`decode_session6`).
//!
//! Views follow smoltcp's `new_checked`: the lengths are validated once;
//! the accessors then read fixed offsets with `get`, so no input can make
//! them panic.

use super::inet::{
    Addr, NEXTHDR_AUTH, NEXTHDR_DEST, NEXTHDR_FRAGMENT, NEXTHDR_HOP, NEXTHDR_ROUTING, PROTO_DCCP,
    PROTO_GRE, PROTO_ICMP, PROTO_ICMPV6, PROTO_MH, PROTO_SCTP, PROTO_TCP, PROTO_UDP, PROTO_UDPLITE,
};

/// Why bytes are not a usable IP packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewError {
    /// Shorter than a header or a length field says.
    Truncated,
    /// The version field is wrong.
    Version,
    /// The IPv4 header length is below 20 bytes or beyond the packet.
    HeaderLen,
    /// The total length is below the header length.
    TotalLen,
}

/// IPv4 header length without options.
pub const IPV4_MIN_HDR_LEN: usize = 20;
/// IPv6 fixed header length.
pub const IPV6_HDR_LEN: usize = 40;

fn byte(b: &[u8], off: usize) -> u8 {
    b.get(off).copied().unwrap_or(0)
}

fn be16(b: &[u8], off: usize) -> u16 {
    b.get(off..)
        .and_then(|s| s.first_chunk::<2>())
        .map_or(0, |a| u16::from_be_bytes(*a))
}

fn be32(b: &[u8], off: usize) -> u32 {
    b.get(off..)
        .and_then(|s| s.first_chunk::<4>())
        .map_or(0, |a| u32::from_be_bytes(*a))
}

fn array<const N: usize>(b: &[u8], off: usize) -> [u8; N] {
    b.get(off..)
        .and_then(|s| s.first_chunk::<N>())
        .copied()
        .unwrap_or([0; N])
}

fn set_byte(b: &mut [u8], off: usize, v: u8) {
    if let Some(d) = b.get_mut(off) {
        *d = v;
    }
}

fn set_be16(b: &mut [u8], off: usize, v: u16) {
    if let Some(d) = b.get_mut(off..).and_then(|s| s.first_chunk_mut::<2>()) {
        *d = v.to_be_bytes();
    }
}

/// The Internet checksum (RFC 1071) of `data`: the one's complement of the
/// one's complement sum of its 16-bit words.
pub fn checksum(data: &[u8]) -> u16 {
    !u16::try_from(ones_sum(0, data)).unwrap_or(0xffff)
}

/// The one's complement sum of `data`'s 16-bit words (an odd last byte
/// padded with zero) added to `sum` (at most 0xffff), folded to 16 bits:
/// a checksum over several pieces (a pseudo-header, then a datagram).
pub fn ones_sum(mut sum: u32, data: &[u8]) -> u32 {
    let mut words = data.chunks_exact(2);
    for w in &mut words {
        if let [a, b] = *w {
            sum = sum.wrapping_add(u32::from(u16::from_be_bytes([a, b])));
        }
        // Fold early so the sum never overflows.
        sum = (sum & 0xffff) + (sum >> 16);
    }
    if let [last] = *words.remainder() {
        sum = sum.wrapping_add(u32::from(last) << 8);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum
}

/// A checked view of an IPv4 packet.
///
/// # Invariants
///
/// The buffer holds the whole header (`ihl * 4 >= 20` bytes), version is
/// 4, and `ihl * 4 <= total length <= buffer length`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    /// Validates the version, header length and total length against the
    /// buffer (bytes past the total length, such as link padding, are
    /// allowed and ignored).
    pub fn new_checked(buffer: T) -> Result<Self, ViewError> {
        let b = buffer.as_ref();
        if b.len() < IPV4_MIN_HDR_LEN {
            return Err(ViewError::Truncated);
        }
        if byte(b, 0) >> 4 != 4 {
            return Err(ViewError::Version);
        }
        let hl = usize::from(byte(b, 0) & 0x0f) * 4;
        if hl < IPV4_MIN_HDR_LEN {
            return Err(ViewError::HeaderLen);
        }
        if hl > b.len() {
            return Err(ViewError::Truncated);
        }
        let total = usize::from(be16(b, 2));
        if total < hl {
            return Err(ViewError::TotalLen);
        }
        if total > b.len() {
            return Err(ViewError::Truncated);
        }
        Ok(Ipv4Packet { buffer })
    }

    /// The buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// The header length in bytes.
    pub fn header_len(&self) -> usize {
        usize::from(byte(self.b(), 0) & 0x0f) * 4
    }

    /// The TOS byte (DSCP and ECN).
    pub fn tos(&self) -> u8 {
        byte(self.b(), 1)
    }

    /// The DSCP.
    pub fn dscp(&self) -> u8 {
        self.tos() >> 2
    }

    /// The ECN field (two bits).
    pub fn ecn(&self) -> u8 {
        self.tos() & 0x03
    }

    /// The total length.
    pub fn total_len(&self) -> usize {
        usize::from(be16(self.b(), 2))
    }

    /// The identification.
    pub fn ident(&self) -> u16 {
        be16(self.b(), 4)
    }

    /// Don't fragment.
    pub fn dont_frag(&self) -> bool {
        be16(self.b(), 6) & 0x4000 != 0
    }

    /// More fragments.
    pub fn more_frags(&self) -> bool {
        be16(self.b(), 6) & 0x2000 != 0
    }

    /// The fragment offset in bytes.
    pub fn frag_offset(&self) -> u32 {
        u32::from(be16(self.b(), 6) & 0x1fff) * 8
    }

    /// Whether this is a fragment (offset or more-fragments set).
    pub fn is_fragment(&self) -> bool {
        self.more_frags() || self.frag_offset() != 0
    }

    /// Time to live.
    pub fn ttl(&self) -> u8 {
        byte(self.b(), 8)
    }

    /// The protocol of the payload.
    pub fn protocol(&self) -> u8 {
        byte(self.b(), 9)
    }

    /// The header checksum field.
    pub fn checksum_field(&self) -> u16 {
        be16(self.b(), 10)
    }

    /// The source address.
    pub fn src(&self) -> [u8; 4] {
        array(self.b(), 12)
    }

    /// The destination address.
    pub fn dst(&self) -> [u8; 4] {
        array(self.b(), 16)
    }

    /// The header, options included.
    pub fn header(&self) -> &[u8] {
        self.b().get(..self.header_len()).unwrap_or(&[])
    }

    /// The payload: from the end of the header to the total length.
    pub fn payload(&self) -> &[u8] {
        self.b()
            .get(self.header_len()..self.total_len())
            .unwrap_or(&[])
    }

    /// The header checksum computed over the header with the checksum
    /// field as zero.
    pub fn compute_checksum(&self) -> u16 {
        let mut h = [0u8; 60];
        let src = self.header();
        if let Some(dst) = h.get_mut(..src.len()) {
            dst.copy_from_slice(src);
        }
        set_be16(&mut h, 10, 0);
        checksum(h.get(..src.len()).unwrap_or(&[]))
    }

    /// Whether the header checksum is right.
    pub fn verify_checksum(&self) -> bool {
        checksum(self.header()) == 0
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv4Packet<T> {
    fn bm(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }

    /// Sets the TOS byte.
    pub fn set_tos(&mut self, tos: u8) {
        set_byte(self.bm(), 1, tos);
    }

    /// Sets the total length field (the view's bounds stay those checked
    /// at creation only if the new value still fits the buffer; callers
    /// set it after resizing).
    pub fn set_total_len(&mut self, len: u16) {
        set_be16(self.bm(), 2, len);
    }

    /// Sets the TTL.
    pub fn set_ttl(&mut self, ttl: u8) {
        set_byte(self.bm(), 8, ttl);
    }

    /// Sets the protocol.
    pub fn set_protocol(&mut self, proto: u8) {
        set_byte(self.bm(), 9, proto);
    }

    /// Recomputes and stores the header checksum.
    pub fn fill_checksum(&mut self) {
        set_be16(self.bm(), 10, 0);
        let c = checksum(self.header());
        set_be16(self.bm(), 10, c);
    }
}

/// A checked view of an IPv6 packet.
///
/// # Invariants
///
/// The buffer holds the 40-byte header, version is 6, and
/// `40 + payload length <= buffer length`. Jumbograms (payload length 0
/// with a Jumbo Payload option) are not supported: their payload is seen
/// as empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv6Packet<T> {
    /// Validates the version and the payload length against the buffer.
    pub fn new_checked(buffer: T) -> Result<Self, ViewError> {
        let b = buffer.as_ref();
        if b.len() < IPV6_HDR_LEN {
            return Err(ViewError::Truncated);
        }
        if byte(b, 0) >> 4 != 6 {
            return Err(ViewError::Version);
        }
        if IPV6_HDR_LEN + usize::from(be16(b, 4)) > b.len() {
            return Err(ViewError::Truncated);
        }
        Ok(Ipv6Packet { buffer })
    }

    /// The buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// The traffic class (DSCP and ECN).
    pub fn traffic_class(&self) -> u8 {
        u8::try_from((be16(self.b(), 0) >> 4) & 0xff).unwrap_or(0)
    }

    /// The DSCP.
    pub fn dscp(&self) -> u8 {
        self.traffic_class() >> 2
    }

    /// The ECN field (two bits).
    pub fn ecn(&self) -> u8 {
        self.traffic_class() & 0x03
    }

    /// The flow label.
    pub fn flow_label(&self) -> u32 {
        be32(self.b(), 0) & 0x000f_ffff
    }

    /// The payload length field.
    pub fn payload_len(&self) -> usize {
        usize::from(be16(self.b(), 4))
    }

    /// Header plus payload length.
    pub fn total_len(&self) -> usize {
        IPV6_HDR_LEN + self.payload_len()
    }

    /// The next header of the fixed header.
    pub fn next_header(&self) -> u8 {
        byte(self.b(), 6)
    }

    /// The hop limit.
    pub fn hop_limit(&self) -> u8 {
        byte(self.b(), 7)
    }

    /// The source address.
    pub fn src(&self) -> [u8; 16] {
        array(self.b(), 8)
    }

    /// The destination address.
    pub fn dst(&self) -> [u8; 16] {
        array(self.b(), 24)
    }

    /// The packet up to its payload length (fixed header included).
    pub fn packet(&self) -> &[u8] {
        self.b().get(..self.total_len()).unwrap_or(&[])
    }

    /// The payload (extension headers included).
    pub fn payload(&self) -> &[u8] {
        self.b().get(IPV6_HDR_LEN..self.total_len()).unwrap_or(&[])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv6Packet<T> {
    fn bm(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }

    /// Sets the traffic class.
    pub fn set_traffic_class(&mut self, tc: u8) {
        let v = be16(self.bm(), 0);
        set_be16(self.bm(), 0, (v & 0xf00f) | (u16::from(tc) << 4));
    }

    /// Sets the payload length.
    pub fn set_payload_len(&mut self, len: u16) {
        set_be16(self.bm(), 4, len);
    }

    /// Sets the next header of the fixed header.
    pub fn set_next_header(&mut self, nh: u8) {
        set_byte(self.bm(), 6, nh);
    }

    /// Sets the hop limit.
    pub fn set_hop_limit(&mut self, hl: u8) {
        set_byte(self.bm(), 7, hl);
    }
}

/// An IPv6 Fragment header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6Frag {
    /// Its offset in the packet.
    pub header_offset: usize,
    /// The fragment offset in bytes.
    pub offset: u32,
    /// More fragments.
    pub more: bool,
    /// Identification.
    pub ident: u32,
    /// The header after the Fragment header.
    pub next_header: u8,
}

/// What the extension-header walk found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ipv6Headers {
    /// Where transport-mode ESP goes (`ip6_find_1stfragopt`): after
    /// Hop-by-Hop, Routing, and Destination Options headers not preceded
    /// by a Routing header.
    pub esp_offset: usize,
    /// Offset of the next-header byte that names the header at
    /// `esp_offset` (6 for the fixed header): it becomes 50.
    pub esp_nexthdr_offset: usize,
    /// The upper-layer protocol (`ipv6_skip_exthdr`; ESP counts as upper
    /// layer, 59 if the chain ends with No Next Header). For a later
    /// fragment, the Fragment header's next header.
    pub upper_proto: u8,
    /// Offset of the upper-layer header (for a later fragment, of the
    /// fragment data).
    pub upper_offset: usize,
    /// The Fragment header, if any.
    pub fragment: Option<Ipv6Frag>,
    /// Segments left of the last Routing header (0 without one).
    pub segments_left: u8,
}

impl Ipv6Headers {
    /// Whether the packet is a fragment other than the first (no
    /// upper-layer header).
    pub fn is_later_fragment(&self) -> bool {
        self.fragment.is_some_and(|f| f.offset != 0)
    }
}

/// The length of the extension header `nh` starting at `hdr`.
fn ext_len(nh: u8, hdr: &[u8]) -> usize {
    let l = usize::from(byte(hdr, 1));
    match nh {
        NEXTHDR_FRAGMENT => 8,
        NEXTHDR_AUTH => (l + 2) * 4,
        _ => (l + 1) * 8,
    }
}

/// Whether `nh` is an extension header the walk steps over.
fn is_ext(nh: u8) -> bool {
    matches!(
        nh,
        NEXTHDR_HOP | NEXTHDR_ROUTING | NEXTHDR_FRAGMENT | NEXTHDR_AUTH | NEXTHDR_DEST
    )
}

/// Walks the extension headers of an IPv6 packet.
pub fn walk_ipv6<T: AsRef<[u8]>>(p: &Ipv6Packet<T>) -> Result<Ipv6Headers, ViewError> {
    let pkt = p.packet();
    let mut nh_off = 6;
    let mut nh = p.next_header();
    let mut off = IPV6_HDR_LEN;
    let mut found_rhdr = false;
    let mut esp: Option<(usize, usize)> = None;
    let mut fragment = None;
    let mut segments_left = 0;
    loop {
        if esp.is_none() {
            let skip = match nh {
                NEXTHDR_HOP => true,
                NEXTHDR_ROUTING => {
                    found_rhdr = true;
                    true
                }
                NEXTHDR_DEST => !found_rhdr,
                _ => false,
            };
            if !skip {
                esp = Some((off, nh_off));
            }
        }
        if !is_ext(nh) {
            break;
        }
        let hdr = pkt.get(off..).ok_or(ViewError::Truncated)?;
        if hdr.len() < 8 {
            return Err(ViewError::Truncated);
        }
        let len = ext_len(nh, hdr);
        if hdr.len() < len {
            return Err(ViewError::Truncated);
        }
        if nh == NEXTHDR_ROUTING {
            segments_left = byte(hdr, 3);
        }
        let next = byte(hdr, 0);
        if nh == NEXTHDR_FRAGMENT {
            let fo = be16(hdr, 2);
            let f = Ipv6Frag {
                header_offset: off,
                offset: u32::from(fo & 0xfff8),
                more: fo & 1 != 0,
                ident: be32(hdr, 4),
                next_header: next,
            };
            fragment = Some(f);
            if f.offset != 0 {
                nh = next;
                off += len;
                break;
            }
        }
        nh_off = off;
        nh = next;
        off += len;
    }
    let (esp_offset, esp_nexthdr_offset) = esp.unwrap_or((off, nh_off));
    Ok(Ipv6Headers {
        esp_offset,
        esp_nexthdr_offset,
        upper_proto: nh,
        upper_offset: off,
        fragment,
        segments_left,
    })
}

/// What the SPD matches a packet on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketSelector {
    /// Source address.
    pub src: Addr,
    /// Destination address.
    pub dst: Addr,
    /// Upper-layer protocol.
    pub proto: u8,
    /// Source port; ICMP/ICMPv6 type; MH type; GRE key high half.
    pub sport: u16,
    /// Destination port; ICMP/ICMPv6 code; GRE key low half.
    pub dport: u16,
    /// A fragment other than the first: no ports (both 0), so only
    /// selectors with any port match (KAME's OPAQUE).
    pub is_later_fragment: bool,
}

/// The "ports" of upper-layer protocol `proto` whose header starts
/// `upper` (as PF_KEY and setkey encode them, and Linux's
/// `xfrm_flowi_sport`/`dport`): TCP, UDP, UDP-Lite, SCTP, DCCP ports;
/// ICMP and ICMPv6 type and code; MH type; GRE key halves (0 without a
/// key); 0 for anything else. Too short a header is an error.
pub fn upper_ports(proto: u8, upper: &[u8]) -> Result<(u16, u16), ViewError> {
    let need = |n: usize| {
        if upper.len() < n {
            Err(ViewError::Truncated)
        } else {
            Ok(())
        }
    };
    match proto {
        PROTO_TCP | PROTO_UDP | PROTO_UDPLITE | PROTO_SCTP | PROTO_DCCP => {
            need(4)?;
            Ok((be16(upper, 0), be16(upper, 2)))
        }
        PROTO_ICMP | PROTO_ICMPV6 => {
            need(2)?;
            Ok((u16::from(byte(upper, 0)), u16::from(byte(upper, 1))))
        }
        PROTO_MH => {
            need(3)?;
            Ok((u16::from(byte(upper, 2)), 0))
        }
        PROTO_GRE => {
            need(4)?;
            let flags = be16(upper, 0);
            if flags & 0x2000 == 0 {
                return Ok((0, 0));
            }
            let key_off = if flags & 0x8000 != 0 { 8 } else { 4 };
            need(key_off + 4)?;
            Ok((be16(upper, key_off), be16(upper, key_off + 2)))
        }
        _ => Ok((0, 0)),
    }
}

/// The selector of an IPv4 packet.
pub fn selector_v4<T: AsRef<[u8]>>(p: &Ipv4Packet<T>) -> Result<PacketSelector, ViewError> {
    let later = p.frag_offset() != 0;
    let (sport, dport) = if later {
        (0, 0)
    } else {
        upper_ports(p.protocol(), p.payload())?
    };
    Ok(PacketSelector {
        src: Addr::V4(p.src()),
        dst: Addr::V4(p.dst()),
        proto: p.protocol(),
        sport,
        dport,
        is_later_fragment: later,
    })
}

/// The selector of an IPv6 packet (extension headers walked).
pub fn selector_v6<T: AsRef<[u8]>>(p: &Ipv6Packet<T>) -> Result<PacketSelector, ViewError> {
    let h = walk_ipv6(p)?;
    let later = h.is_later_fragment();
    let (sport, dport) = if later {
        (0, 0)
    } else {
        let upper = p.packet().get(h.upper_offset..).unwrap_or(&[]);
        upper_ports(h.upper_proto, upper)?
    };
    Ok(PacketSelector {
        src: Addr::V6(p.src()),
        dst: Addr::V6(p.dst()),
        proto: h.upper_proto,
        sport,
        dport,
        is_later_fragment: later,
    })
}

/// The selector of an IPv4 or IPv6 packet, by its version field.
pub fn selector(packet: &[u8]) -> Result<PacketSelector, ViewError> {
    match packet.first().map(|b| b >> 4) {
        Some(4) => selector_v4(&Ipv4Packet::new_checked(packet)?),
        Some(6) => selector_v6(&Ipv6Packet::new_checked(packet)?),
        Some(_) => Err(ViewError::Version),
        None => Err(ViewError::Truncated),
    }
}

/// Longest packet head [`selector_from_head`] looks at.
pub const HEAD_MAX: usize = 256;

/// The selector of a packet of which only the first bytes (`head`, at most
/// [`HEAD_MAX`] used) are at hand, as in a netfilter hook that copies the
/// headers out of a longer packet: the length field is clamped to what is
/// there (the upper-layer header must be within `head`), everything else
/// is checked as [`selector`] checks it.
pub fn selector_from_head(head: &[u8]) -> Result<PacketSelector, ViewError> {
    let n = head.len().min(HEAD_MAX);
    let mut buf = [0u8; HEAD_MAX];
    let copy = buf.get_mut(..n).ok_or(ViewError::Truncated)?;
    copy.copy_from_slice(head.get(..n).ok_or(ViewError::Truncated)?);
    match copy.first().map(|b| b >> 4) {
        Some(4) => {
            // Total length: at most what was copied.
            let total = copy.get(2..4).ok_or(ViewError::Truncated)?;
            let t = usize::from(u16::from_be_bytes([total[0], total[1]])).min(n);
            let t = u16::try_from(t).map_err(|_| ViewError::Truncated)?;
            copy.get_mut(2..4)
                .ok_or(ViewError::Truncated)?
                .copy_from_slice(&t.to_be_bytes());
        }
        Some(6) => {
            let payload = copy.get(4..6).ok_or(ViewError::Truncated)?;
            let room = n.saturating_sub(IPV6_HDR_LEN);
            let p = usize::from(u16::from_be_bytes([payload[0], payload[1]])).min(room);
            let p = u16::try_from(p).map_err(|_| ViewError::Truncated)?;
            copy.get_mut(4..6)
                .ok_or(ViewError::Truncated)?
                .copy_from_slice(&p.to_be_bytes());
        }
        _ => {}
    }
    selector(copy)
}

#[cfg(test)]
mod tests;
