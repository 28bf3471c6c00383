// SPDX-License-Identifier: GPL-2.0

//! The SPD lookup index's decisions: where a policy sits, which bins a
//! packet's lookup probes, in what order it walks them and when it stops.
//! The map itself is the caller's ([`OrderedMap`]: the kernel's `RBTree`
//! in the module, `BTreeMap` in the host tests), as is its locking and
//! allocation.
//!
//! A lookup returns the first policy of a direction, in (priority, id)
//! order, whose selector matches (KAME's and Linux's rule: the smaller
//! priority value wins, then the older policy). Policies are indexed by
//! (direction, destination prefix length, destination network): a lookup
//! probes one bin for each prefix length the direction uses
//! ([`PrefixLengths`]), walks each bin in policy order to its first match,
//! and stops a walk once it passes the best match so far. With 100,000
//! /24 policies and a catch-all, a lookup probes two bins, each O(log n).

use super::inet::Addr;
use super::ipsec::IpsecDir;
use super::ipview::PacketSelector;
use super::ordered_map::{OrderedMap, Walk};
use super::prefixes::{masked, PrefixLengths};
use super::spd::PolicyRecord;

/// Where a policy sits within its bin: priority, then id (age).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct PolicyOrder {
    priority: u32,
    id: u32,
}

impl PolicyOrder {
    /// The smallest order: a bin's walk starts there.
    const FIRST: Self = Self { priority: 0, id: 0 };

    /// The order of `rec`.
    const fn of(rec: &PolicyRecord) -> Self {
        Self {
            priority: rec.priority,
            id: rec.id,
        }
    }
}

/// An address as an ordered key: family byte, then the octets.
type AddrKey = [u8; 17];

fn addr_key(a: &Addr) -> AddrKey {
    let mut k = [0u8; 17];
    match a {
        Addr::V4(o) => {
            k[0] = 4;
            k[1..5].copy_from_slice(o);
        }
        Addr::V6(o) => {
            k[0] = 6;
            k[1..17].copy_from_slice(o);
        }
    }
    k
}

/// A bin of the index: a direction, a destination prefix length and the
/// network of that length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Bin {
    dir: IpsecDir,
    plen: u8,
    net: AddrKey,
}

impl Bin {
    /// The bin of a packet to `dst` for policies of prefix length `plen`.
    fn of_packet(dir: IpsecDir, dst: &Addr, plen: u8) -> Self {
        Self {
            dir,
            plen,
            net: addr_key(&masked(dst, plen).unwrap_or(*dst)),
        }
    }
}

/// A policy's key in the index: its bin, then its order in the bin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct BinKey {
    bin: Bin,
    order: PolicyOrder,
}

impl BinKey {
    /// The key of `rec`.
    pub fn of(rec: &PolicyRecord) -> Self {
        let d = &rec.selector.dst;
        Self {
            bin: Bin::of_packet(rec.dir, &d.addr(), d.prefixlen),
            order: PolicyOrder::of(rec),
        }
    }

    /// Whether the bin is of IPv6 destinations.
    fn is_v6(&self) -> bool {
        self.bin.net[0] == 6
    }

    /// Counts this key's (direction, family, prefix length) in `lengths`:
    /// after a policy was added under a key that was not in the map.
    pub fn count(&self, lengths: &mut PrefixLengths) {
        lengths.add(self.bin.dir.0, self.is_v6(), self.bin.plen);
    }

    /// Uncounts what [`BinKey::count`] counted: after the policy of this
    /// key was removed from the map.
    pub fn uncount(&self, lengths: &mut PrefixLengths) {
        lengths.remove(self.bin.dir.0, self.is_v6(), self.bin.plen);
    }
}

/// The key of the first policy of direction `dir` (smallest priority,
/// then oldest) whose selector matches `sel`, in `map`, whose prefix
/// lengths in use are `lengths`. The walks compare keys and selectors
/// only; the caller fetches (and copies) the winner once.
pub fn lookup<M: OrderedMap<BinKey, PolicyRecord>>(
    map: &mut M,
    lengths: &PrefixLengths,
    dir: IpsecDir,
    sel: &PacketSelector,
) -> Option<BinKey> {
    let v6 = matches!(sel.dst, Addr::V6(_));
    let mut best: Option<BinKey> = None;
    for plen in lengths.in_use(dir.0, v6) {
        let bin = Bin::of_packet(dir, &sel.dst, plen);
        let start = BinKey {
            bin,
            order: PolicyOrder::FIRST,
        };
        // Only a policy ranked before the best so far can win.
        let bound = best.map(|k| k.order);
        map.walk_from(&start, |k, rec| {
            if k.bin != bin || bound.is_some_and(|b| k.order >= b) {
                return Walk::Stop;
            }
            if rec.selector.matches(sel) {
                best = Some(*k);
                return Walk::Stop;
            }
            Walk::Next
        });
    }
    best
}

#[cfg(test)]
mod tests;
