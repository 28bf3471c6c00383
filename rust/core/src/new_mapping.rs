// SPDX-License-Identifier: GPL-2.0

//! Kernel-originated SADB_X_NAT_T_NEW_MAPPING: ESP that authenticated
//! with a NAT-T SA came from another address or UDP port than the SA
//! names (the NAT in front of the peer changed its mapping), so the key
//! daemons registered for ESP are told, and may UPDATE the SA to follow.
//!
//! [`MappingNote`] is the per-SA rate limit: a mapping is announced when it
//! differs from the last one announced, and again at most once every
//! [`MAPPING_REPEAT_SECONDS`] while packets keep coming from it (Linux's
//! `km_new_mapping` with `mapping_maxage`). [`Mappings`] is the
//! fixed-size queue between the datapath (softirq) and the work item that
//! sends them, so the datapath never allocates.
//!
//! [`write_new_mapping`] builds the message in the layout of Linux's
//! `pfkey_send_new_mapping`: SA, ADDRESS_SRC and NAT_T_SPORT with the
//! peer's old address and port, ADDRESS_DST and NAT_T_DPORT with the new
//! ones. Two things differ on purpose, so that strongSwan's kernel-pfkey
//! (the one daemon that acts on the message) can follow the mapping; with
//! af_key's message it cannot, and logs "missing required information":
//!
//! - an SA2 extension (mode and reqid) follows the SA: strongSwan
//!   requires it;
//! - the SPI is that of the SA *to* the peer ([`peer_bound`]: the ESP
//!   NAT-T SA from our address to the peer's old one with the same mode
//!   and reqid),
//!   not of the inbound SA the packet arrived on: strongSwan finds the
//!   CHILD_SA by the SPI and ADDRESS_DST, and ADDRESS_DST is the peer's.
//!   Without such an SA the inbound SA's SPI is sent, as af_key does;
//! - NAT_T_DPORT, the new port, is in host byte order
//!   ([`as_strongswan_reads`]): strongSwan converts it with `htons`, so a
//!   port in network order would reach it byte-swapped. NAT_T_SPORT stays
//!   in network order (strongSwan does not read it).

use super::errno::Errno;
use super::inet::{Addr, IpProto};
use super::ipsec::IpsecMode;
use super::pfkey::consts::{AuthAlg, EncAlg, MsgType, SaState};
use super::pfkey::ext::{Address, AddressKind, NatTPort, NatTPortKind, Sa, Sa2};
use super::pfkey::sockaddr::SockAddr;
use super::pfkey::{MsgHeader, SaType, Writer};
use super::sadb::{SaRecord, SaState as RecordState};

/// Seconds before the same new mapping is announced again.
pub const MAPPING_REPEAT_SECONDS: u64 = 10;

/// A NAT-T SA's peer, seen at a new address or port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewMapping {
    /// The SPI of the inbound SA the packet arrived on.
    pub spi: u32,
    /// Its destination: our address.
    pub local: Addr,
    /// Its mode.
    pub mode: IpsecMode,
    /// Its reqid.
    pub reqid: u32,
    /// The SA's source (the peer) as installed.
    pub old_src: Addr,
    /// The SA's source port as installed.
    pub old_sport: u16,
    /// Where its packets come from now.
    pub new_src: Addr,
    /// The UDP port they come from now.
    pub new_sport: u16,
}

/// The last mapping announced for one SA.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MappingNote {
    last: Option<(Addr, u16, u64)>,
}

impl MappingNote {
    /// Whether a packet from `src` port `sport` at `now` (seconds) is to
    /// be announced; records it if so.
    pub fn should_announce(&mut self, src: Addr, sport: u16, now: u64) -> bool {
        match self.last {
            Some((a, p, at))
                if a == src && p == sport && now.saturating_sub(at) < MAPPING_REPEAT_SECONDS =>
            {
                false
            }
            _ => {
                self.last = Some((src, sport, now));
                true
            }
        }
    }
}

/// Mappings waiting to be sent, at most `N` (one per SPI: a newer one
/// for the same SA replaces the older).
#[derive(Clone, Copy, Debug)]
pub struct Mappings<const N: usize> {
    slots: [Option<NewMapping>; N],
}

impl<const N: usize> Default for Mappings<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Mappings<N> {
    /// None waiting.
    pub const fn new() -> Self {
        Mappings { slots: [None; N] }
    }

    /// Queues `m`; false when the queue is full (it is then lost: the
    /// next packet from the new mapping asks again after the repeat time).
    pub fn push(&mut self, m: NewMapping) -> bool {
        if let Some(s) = self
            .slots
            .iter_mut()
            .find(|s| s.is_some_and(|o| o.spi == m.spi))
        {
            *s = Some(m);
            return true;
        }
        match self.slots.iter_mut().find(|s| s.is_none()) {
            Some(s) => {
                *s = Some(m);
                true
            }
            None => false,
        }
    }

    /// The oldest-slotted mapping waiting, taken off the queue.
    pub fn pop(&mut self) -> Option<NewMapping> {
        self.slots.iter_mut().find_map(Option::take)
    }
}

/// The value whose network-order bytes are `port` in this machine's byte
/// order: strongSwan reads NEW_MAPPING's NAT_T_DPORT with `htons`, as if
/// the field were in host order (everywhere else, this field included in
/// af_key's own message, it is in network order).
pub const fn as_strongswan_reads(port: u16) -> u16 {
    u16::from_be_bytes(port.to_ne_bytes())
}

/// A host address as PF_KEY carries one here: protocol 0, full prefix.
fn host(addr: Addr) -> Address {
    Address {
        proto: IpProto(0),
        prefixlen: addr.bits(),
        sockaddr: SockAddr::new(addr, 0),
    }
}

/// The SPI of the SA that carries our ESP to the peer of `m`: a usable
/// ESP NAT-T SA of `sas` from `m.local` to the peer's old address with
/// `m`'s mode and reqid (the newest when several).
pub fn peer_bound<'a>(sas: impl Iterator<Item = &'a SaRecord>, m: &NewMapping) -> Option<u32> {
    sas.filter(|r| {
        r.satype == SaType::ESP
            && r.nat_t.is_some()
            && matches!(r.state, RecordState::Mature | RecordState::Dying)
            && r.src.addr() == m.local
            && r.dst.addr() == m.old_src
            && r.mode == m.mode
            && r.reqid == m.reqid
    })
    .max_by_key(|r| r.current.addtime)
    .map(|r| r.spi)
}

/// Writes the SADB_X_NAT_T_NEW_MAPPING of `m` naming the SA `spi` (its
/// [`peer_bound`] SA, or its own), sequence number `seq`.
pub fn write_new_mapping(
    w: &mut Writer<'_>,
    m: &NewMapping,
    spi: u32,
    seq: u32,
) -> Result<(), Errno> {
    w.header(&MsgHeader::new(
        MsgType::X_NAT_T_NEW_MAPPING,
        SaType::ESP,
        seq,
        0,
    ))?;
    w.sa(&Sa {
        spi,
        replay: 0,
        state: SaState(0),
        auth: AuthAlg(0),
        encrypt: EncAlg(0),
        flags: 0,
    })?;
    w.x_sa2(&Sa2 {
        mode: m.mode,
        reserved1: 0,
        reserved2: 0,
        sequence: 0,
        reqid: m.reqid,
    })?;
    w.address(AddressKind::Src, &host(m.old_src))?;
    w.nat_t_port(
        NatTPortKind::Src,
        &NatTPort {
            port: m.old_sport,
            reserved: 0,
        },
    )?;
    w.address(AddressKind::Dst, &host(m.new_src))?;
    w.nat_t_port(
        NatTPortKind::Dst,
        &NatTPort {
            port: as_strongswan_reads(m.new_sport),
            reserved: 0,
        },
    )
}

#[cfg(test)]
mod tests;
