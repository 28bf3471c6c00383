// SPDX-License-Identifier: GPL-2.0

//! Which SA a packet uses: the outbound match of a policy request to an
//! SA of the request's protocol (ESP or AH) and the inbound SA of an ESP
//! or AH packet. The SAs are in the caller's
//! [`OrderedMap`] keyed by [`SaKey`] (the kernel's `RBTree` in the module,
//! `BTreeMap` in the host tests); its values only need to say what the
//! match looks at ([`OutboundSa`]).
//!
//! The outbound choice is KAME's default (NetBSD's `key_prefered_oldsa` 0;
//! FreeBSD's default is the opposite, 1): a mature SA before a dying one,
//! and the newest of them, so that traffic moves to an SA as soon as a key
//! daemon adds it (RFC 2367 3.1.1 leaves the choice open). An SA whose hard
//! byte or packet limit was reached is never chosen: its successor serves,
//! or the request acquires one. The inbound SA is the one the packet's SPI
//! names, whatever its life: a dying SA keeps accepting packets until its
//! hard lifetime ends (PF_KEY then removes it).

use super::inet::Addr;
use super::ipsec::IpsecMode;
use super::ordered_map::{OrderedMap, Walk};
use super::pfkey::SaType;
use super::sadb::SaKey;

/// What an outbound request needs of an SA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutboundNeed {
    /// The request's protocol as an SA type (ESP or AH): only SAs of
    /// that type serve it.
    pub satype: SaType,
    /// The packet's source (transport) or the tunnel's.
    pub src: Addr,
    /// The packet's destination (transport) or the tunnel's.
    pub dst: Addr,
    /// `IPSEC_MODE_TRANSPORT` or `IPSEC_MODE_TUNNEL`.
    pub mode: IpsecMode,
    /// The request's reqid when its level is `unique`.
    pub reqid: Option<u32>,
}

/// Where an SA is in its life, as the outbound choice sees it. The
/// datapath only moves an SA forward: mature, then dying, then exhausted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum SaLife {
    /// Usable, its soft lifetime not reached.
    Mature = 0,
    /// Its soft lifetime passed (`SADB_SASTATE_DYING`): still usable, but
    /// a mature SA is preferred; a key daemon is replacing it.
    Dying = 1,
    /// Its hard byte or packet limit was reached: no packet may use it,
    /// though PF_KEY has not removed it yet.
    Exhausted = 2,
}

impl SaLife {
    /// The life stored as `v` (an atomic's value); anything else is
    /// exhausted.
    pub const fn from_u8(v: u8) -> Self {
        match v {
            0 => SaLife::Mature,
            1 => SaLife::Dying,
            _ => SaLife::Exhausted,
        }
    }
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
    /// Mature, dying or exhausted.
    pub life: SaLife,
    /// When the SA was installed, as a count that grows with each SA the
    /// namespace installs (ADD, or the UPDATE that made it): larger is
    /// newer.
    pub age: u64,
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
    /// Whether `sa` (an SA of [`OutboundNeed::satype`] to
    /// [`OutboundNeed::dst`]) can serve this
    /// request. As KAME's `key_allocsa_policy`, the source counts too (a
    /// host with several addresses, or tunnels from several local ends to
    /// one peer); an SA from the unspecified address serves any source.
    /// An exhausted SA serves nothing.
    pub fn accepts(&self, sa: &SaOffer) -> bool {
        (sa.src == self.src || sa.src.is_unspecified())
            && sa.mode == self.mode
            && self.reqid.is_none_or(|r| r == sa.reqid)
            && sa.life != SaLife::Exhausted
    }
}

/// How much the outbound choice wants an SA the request accepts: larger
/// wins. KAME's default (`net.key.prefered_oldsa` 0, NetBSD's
/// `key_lookup_sa_bysaidx`): mature before dying, then the newest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Preference {
    mature: bool,
    age: u64,
}

impl Preference {
    fn of(sa: &SaOffer) -> Self {
        Self {
            mature: sa.life == SaLife::Mature,
            age: sa.age,
        }
    }
}

/// The key of the SA that serves `need`, and a clone of it: among the
/// SAs of `need.satype` to `need.dst` the request accepts, a mature one before a dying
/// one, and of those the newest ([`SaOffer::age`]); never an exhausted
/// one. One walk over the SAs of that type to `need.dst` (the module's SAs are `Arc`s,
/// so a clone is a reference, taken only when a better SA turns up).
pub fn find_outbound<V: OutboundSa + Clone, M: OrderedMap<SaKey, V>>(
    map: &mut M,
    need: &OutboundNeed,
) -> Option<(SaKey, V)> {
    let start = SaKey {
        satype: need.satype,
        dst: need.dst,
        spi: 0,
    };
    let mut found: Option<(SaKey, V, Preference)> = None;
    map.walk_from(&start, |k, sa| {
        if k.satype != need.satype || k.dst != need.dst {
            return Walk::Stop;
        }
        let offer = sa.offer();
        if !need.accepts(&offer) {
            return Walk::Next;
        }
        let pref = Preference::of(&offer);
        if found.as_ref().is_none_or(|(_, _, best)| pref > *best) {
            found = Some((*k, sa.clone(), pref));
        }
        Walk::Next
    });
    found.map(|(k, sa, _)| (k, sa))
}

/// The key of the SA an inbound packet to `dst` with `spi` names: an
/// SA of `satype` (ESP for an ESP header, AH for an AH header; the same
/// SPI may name an ESP and an AH SA to one destination).
pub const fn inbound_key(satype: SaType, dst: Addr, spi: u32) -> SaKey {
    SaKey { satype, dst, spi }
}

#[cfg(test)]
mod tests;
