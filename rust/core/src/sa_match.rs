// SPDX-License-Identifier: GPL-2.0

//! Which SA a packet uses: the outbound match of a policy request to an
//! ESP SA and the inbound SA of an ESP packet. The SAs are in the caller's
//! [`OrderedMap`] keyed by [`SaKey`] (the kernel's `RBTree` in the module,
//! `BTreeMap` in the host tests); its values only need to say what the
//! match looks at ([`OutboundSa`]).

use super::inet::Addr;
use super::ipsec::IpsecMode;
use super::ordered_map::{OrderedMap, Walk};
use super::pfkey::SaType;
use super::sadb::SaKey;

/// What an outbound request needs of an SA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutboundNeed {
    /// The packet's source (transport) or the tunnel's.
    pub src: Addr,
    /// The packet's destination (transport) or the tunnel's.
    pub dst: Addr,
    /// `IPSEC_MODE_TRANSPORT` or `IPSEC_MODE_TUNNEL`.
    pub mode: IpsecMode,
    /// The request's reqid when its level is `unique`.
    pub reqid: Option<u32>,
}

/// What the outbound match reads of an SA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaOffer {
    /// ADDRESS_SRC (the unspecified address serves any source).
    pub src: Addr,
    /// The SA's mode.
    pub mode: IpsecMode,
    /// `sadb_x_sa2_reqid`.
    pub reqid: u32,
}

/// An SA as the outbound match sees it.
pub trait OutboundSa {
    /// What the match reads.
    fn offer(&self) -> SaOffer;
}

impl OutboundSa for SaOffer {
    fn offer(&self) -> SaOffer {
        *self
    }
}

impl OutboundNeed {
    /// Whether `sa` (an ESP SA to [`OutboundNeed::dst`]) can serve this
    /// request. As KAME's `key_allocsa_policy`, the source counts too (a
    /// host with several addresses, or tunnels from several local ends to
    /// one peer); an SA from the unspecified address serves any source.
    pub fn accepts(&self, sa: &SaOffer) -> bool {
        (sa.src == self.src || sa.src.is_unspecified())
            && sa.mode == self.mode
            && self.reqid.is_none_or(|r| r == sa.reqid)
    }
}

/// What the outbound walk does with an SA the request accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Choice {
    /// Use it; no later SA can be better.
    Final,
}

/// Which of the acceptable SAs wins: for now the first in key order, the
/// lowest SPI, so the walk stops there. (Preferring the newest mature SA,
/// as RFC 2367 suggests, would compare `sa` with the best so far here and
/// walk on.)
fn choose(_sa: &SaOffer) -> Choice {
    Choice::Final
}

/// The key of the ESP SA that serves `need`, and a clone of it, walking
/// the ESP SAs to `need.dst` in key (SPI) order (one walk: the module's
/// SAs are `Arc`s, so the clone is a reference).
pub fn find_outbound<V: OutboundSa + Clone, M: OrderedMap<SaKey, V>>(
    map: &mut M,
    need: &OutboundNeed,
) -> Option<(SaKey, V)> {
    let start = SaKey {
        satype: SaType::ESP,
        dst: need.dst,
        spi: 0,
    };
    let mut found = None;
    map.walk_from(&start, |k, sa| {
        if k.satype != SaType::ESP || k.dst != need.dst {
            return Walk::Stop;
        }
        let offer = sa.offer();
        if !need.accepts(&offer) {
            return Walk::Next;
        }
        found = Some((*k, sa.clone()));
        match choose(&offer) {
            Choice::Final => Walk::Stop,
        }
    });
    found
}

/// The key of the ESP SA an inbound packet to `dst` with `spi` names.
pub const fn inbound_key(dst: Addr, spi: u32) -> SaKey {
    SaKey {
        satype: SaType::ESP,
        dst,
        spi,
    }
}

#[cfg(test)]
mod tests;
