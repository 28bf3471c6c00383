// SPDX-License-Identifier: GPL-2.0

//! NAT traversal: ESP in UDP (RFC 3948).
//!
//! An SA with the PF_KEY NAT-T extensions sends its ESP packets inside a
//! UDP header with the SA's ports and a zero checksum (section 2.1). On an
//! encapsulation port a datagram carries one of three things (section 2.2
//! and Linux's `xfrm4_udp_encap_rcv`): a NAT keepalive (the single byte
//! 0xFF, section 2.3), IKE (the four-byte non-ESP marker 0), or ESP (a
//! non-zero SPI and more than an ESP header). The encapsulation ports in
//! use are counted in a [`PortSet`], so a datagram to any other port is
//! left alone at the cost of a compare.
//!
//! C header: [include/uapi/linux/udp.h](srctree/include/uapi/linux/udp.h).

use super::esp::ESP_HDR_LEN;
use super::ipview::ones_sum;

/// `UDP_ENCAP_ESPINUDP_NON_IKE` (draft-ietf-ipsec-nat-t-ike-00/01): an
/// eight-byte zero marker before ESP. Not supported.
pub const UDP_ENCAP_ESPINUDP_NON_IKE: u8 = 1;
/// `UDP_ENCAP_ESPINUDP` (RFC 3948): ESP right after the UDP header.
pub const UDP_ENCAP_ESPINUDP: u8 = 2;
/// The UDP header.
pub const UDP_HDR_LEN: usize = 8;
/// The IKE and NAT-T port (RFC 3948 section 2.1).
pub const NAT_T_PORT: u16 = 4500;

/// Why a UDP header could not be read or written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncapError {
    /// Fewer bytes than a UDP header.
    Truncated,
    /// The datagram does not fit UDP's 16-bit length.
    Length,
}

/// What a datagram on an encapsulation port carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Carried {
    /// A NAT keepalive: consumed, never delivered.
    Keepalive,
    /// Anything else (IKE behind its non-ESP marker, or too short for
    /// ESP): for the socket.
    Socket,
    /// ESP.
    Esp,
}

/// What `payload`, the bytes after the UDP header of a datagram to an
/// encapsulation port, carries: the rules of `xfrm4_udp_encap_rcv`.
pub fn classify(payload: &[u8]) -> Carried {
    if payload == [0xff] {
        return Carried::Keepalive;
    }
    match payload.first_chunk::<4>() {
        Some(spi) if payload.len() > ESP_HDR_LEN && *spi != [0; 4] => Carried::Esp,
        _ => Carried::Socket,
    }
}

/// The ports of a UDP header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UdpPorts {
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
}

/// The ports of the UDP header at the start of `udp`.
pub fn ports(udp: &[u8]) -> Result<UdpPorts, EncapError> {
    let h = udp.first_chunk::<4>().ok_or(EncapError::Truncated)?;
    Ok(UdpPorts {
        sport: u16::from_be_bytes([h[0], h[1]]),
        dport: u16::from_be_bytes([h[2], h[3]]),
    })
}

/// Writes the UDP header of an encapsulated ESP packet at the start of
/// `datagram` (the header and the ESP packet after it, `datagram.len()`
/// bytes in all), from `ports`, with a zero checksum (RFC 3948 section
/// 2.1; over IPv6 [`set_udp6_checksum`] fills it in once the ESP packet
/// is complete).
pub fn emit_udp_header(datagram: &mut [u8], ports: UdpPorts) -> Result<(), EncapError> {
    let len = u16::try_from(datagram.len()).map_err(|_| EncapError::Length)?;
    let h = datagram
        .first_chunk_mut::<UDP_HDR_LEN>()
        .ok_or(EncapError::Truncated)?;
    h[0..2].copy_from_slice(&ports.sport.to_be_bytes());
    h[2..4].copy_from_slice(&ports.dport.to_be_bytes());
    h[4..6].copy_from_slice(&len.to_be_bytes());
    h[6..8].copy_from_slice(&[0, 0]);
    Ok(())
}

/// Writes the UDP checksum of `datagram` (UDP header and payload, its
/// checksum field zero) sent from `src` to `dst` over IPv6, where UDP
/// requires one (RFC 8200 section 8.1; Linux's esp6
/// `esp_output_encap_csum`): the IPv6 pseudo-header is covered, and a sum
/// of zero is sent as 0xffff.
pub fn set_udp6_checksum(
    src: &[u8; 16],
    dst: &[u8; 16],
    datagram: &mut [u8],
) -> Result<(), EncapError> {
    if datagram.len() < UDP_HDR_LEN {
        return Err(EncapError::Truncated);
    }
    let len = u32::try_from(datagram.len()).map_err(|_| EncapError::Length)?;
    let mut pseudo = [0u8; 40];
    pseudo[..16].copy_from_slice(src);
    pseudo[16..32].copy_from_slice(dst);
    pseudo[32..36].copy_from_slice(&len.to_be_bytes());
    pseudo[39] = super::inet::PROTO_UDP;
    let sum = ones_sum(ones_sum(0, &pseudo), datagram);
    let check = match !u16::try_from(sum).unwrap_or(0xffff) {
        0 => 0xffff,
        c => c,
    };
    datagram
        .get_mut(6..8)
        .ok_or(EncapError::Truncated)?
        .copy_from_slice(&check.to_be_bytes());
    Ok(())
}

/// How many different encapsulation ports a [`PortSet`] tells apart.
pub const PORT_SET_LEN: usize = 8;

/// The encapsulation ports of a namespace's NAT-T SAs, counted (several
/// SAs share one port). Past [`PORT_SET_LEN`] different ports it stops
/// telling them apart: every port is then an encapsulation port, until
/// the SAs are gone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortSet {
    /// (port, SAs using it); a count of 0 marks a free slot.
    slots: [(u16, u32); PORT_SET_LEN],
    /// SAs whose port found no slot.
    overflow: u32,
}

impl PortSet {
    /// No ports.
    pub const fn new() -> Self {
        PortSet {
            slots: [(0, 0); PORT_SET_LEN],
            overflow: 0,
        }
    }

    /// One more SA uses `port`.
    pub fn add(&mut self, port: u16) {
        if let Some(s) = self.slots.iter_mut().find(|s| s.1 > 0 && s.0 == port) {
            s.1 = s.1.saturating_add(1);
        } else if let Some(s) = self.slots.iter_mut().find(|s| s.1 == 0) {
            *s = (port, 1);
        } else {
            self.overflow = self.overflow.saturating_add(1);
        }
    }

    /// One SA fewer uses `port` (it was added before).
    pub fn remove(&mut self, port: u16) {
        if let Some(s) = self.slots.iter_mut().find(|s| s.1 > 0 && s.0 == port) {
            s.1 -= 1;
        } else {
            self.overflow = self.overflow.saturating_sub(1);
        }
    }

    /// Whether `port` may be an encapsulation port.
    pub fn contains(&self, port: u16) -> bool {
        self.overflow > 0 || self.slots.iter().any(|s| s.1 > 0 && s.0 == port)
    }

    /// Whether no SA uses a port.
    pub fn is_empty(&self) -> bool {
        self.overflow == 0 && self.slots.iter().all(|s| s.1 == 0)
    }
}

#[cfg(test)]
mod tests;
