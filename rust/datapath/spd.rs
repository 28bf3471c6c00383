// SPDX-License-Identifier: GPL-2.0

//! The datapath's view of the SPD: every policy, ordered by direction,
//! priority and id, behind a BH spinlock; PF_KEY keeps it in step with
//! its own tables.
//!
//! A lookup returns the first policy of a direction, in (priority, id)
//! order, whose selector matches (KAME's and Linux's rule: the smaller
//! priority value wins, then the older policy). Policies are indexed by
//! (direction, destination network, destination prefix length): a lookup
//! probes one bin for each prefix length the direction uses (the core's
//! `prefixes`), walks each bin in policy order to its first match, and
//! stops a walk once it passes the best match so far. With 100,000 /24
//! policies and a catch-all, a lookup probes two bins, each O(log n).

use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNode};

use crate::ipsec_core::errno::Errno;
use crate::ipsec_core::inet::Addr;
use crate::ipsec_core::ipview::PacketSelector;
use crate::ipsec_core::prefixes::{masked, PrefixLengths};
use crate::ipsec_core::spd::PolicyRecord;

/// Where a policy sits: direction, then priority, then id (age).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct PolicyKey {
    dir: u8,
    priority: u32,
    id: u32,
}

impl PolicyKey {
    /// The smallest key of direction `dir`.
    fn first(dir: u8) -> Self {
        Self {
            dir,
            priority: 0,
            id: 0,
        }
    }

    /// The key of `rec`.
    pub(crate) fn of(rec: &PolicyRecord) -> Self {
        Self {
            dir: rec.dir,
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

/// A bin of the index: a direction, a destination network and its prefix
/// length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Bin {
    dir: u8,
    plen: u8,
    net: AddrKey,
}

impl Bin {
    /// The bin of a packet to `dst` for policies of prefix length `plen`.
    fn of_packet(dir: u8, dst: &Addr, plen: u8) -> Self {
        Self {
            dir,
            plen,
            net: addr_key(&masked(dst, plen).unwrap_or(*dst)),
        }
    }

    /// The bin of `rec`.
    fn of_policy(rec: &PolicyRecord) -> Self {
        let d = &rec.selector.dst;
        Self::of_packet(rec.dir, &d.addr(), d.prefixlen)
    }
}

/// A policy's place in the index: its bin, then the policy order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct IndexKey {
    bin: Bin,
    order: PolicyKey,
}

impl IndexKey {
    fn of(rec: &PolicyRecord) -> Self {
        Self {
            bin: Bin::of_policy(rec),
            order: PolicyKey::of(rec),
        }
    }
}

/// A node allocated outside the lock, to insert under it.
pub(crate) struct PreparedPolicy {
    node: RBTreeNode<IndexKey, PolicyRecord>,
    dir: u8,
    v6: bool,
    plen: u8,
}

/// The policies of a namespace, as the datapath sees them.
pub(crate) struct DpPolicies {
    index: RBTree<IndexKey, PolicyRecord>,
    /// The destination prefix lengths in use, per direction and family.
    lengths: PrefixLengths,
}

/// Removed policies, to free after unlocking.
pub(crate) struct Cleared {
    _index: RBTree<IndexKey, PolicyRecord>,
}

/// The family and prefix length `rec`'s destination is counted under.
fn length_of(rec: &PolicyRecord) -> (bool, u8) {
    let d = &rec.selector.dst;
    (matches!(d.addr(), Addr::V6(_)), d.prefixlen)
}

impl DpPolicies {
    /// No policies.
    pub(crate) fn new() -> Self {
        Self {
            index: RBTree::new(),
            lengths: PrefixLengths::new(),
        }
    }

    /// Allocates the node for `rec` (may sleep: call without the lock).
    pub(crate) fn prepare(rec: &PolicyRecord) -> Result<PreparedPolicy, Errno> {
        let (v6, plen) = length_of(rec);
        let node =
            RBTreeNode::new(IndexKey::of(rec), *rec, GFP_KERNEL).map_err(|_| Errno::ENOMEM)?;
        Ok(PreparedPolicy {
            node,
            dir: rec.dir,
            v6,
            plen,
        })
    }

    /// Inserts a policy (replacing one with the same key).
    pub(crate) fn insert(&mut self, p: PreparedPolicy) {
        if self.index.insert(p.node).is_none() {
            self.lengths.add(p.dir, p.v6, p.plen);
        }
    }

    /// Removes the policy `rec` was inserted as.
    pub(crate) fn remove(&mut self, rec: &PolicyRecord) {
        if self.index.remove(&IndexKey::of(rec)).is_some() {
            let (v6, plen) = length_of(rec);
            self.lengths.remove(rec.dir, v6, plen);
        }
    }

    /// Removes every policy; the caller drops the result after unlocking.
    pub(crate) fn clear(&mut self) -> Cleared {
        self.lengths = PrefixLengths::new();
        Cleared {
            _index: core::mem::take(&mut self.index),
        }
    }

    /// The first policy of direction `dir` (smallest priority, then
    /// oldest) whose selector matches `sel`. The walks compare keys only;
    /// the winning record is copied once, at the end.
    pub(crate) fn lookup(&mut self, dir: u8, sel: &PacketSelector) -> Option<PolicyRecord> {
        let v6 = matches!(sel.dst, Addr::V6(_));
        let mut best: Option<IndexKey> = None;
        for plen in self.lengths.in_use(dir, v6) {
            let bin = Bin::of_packet(dir, &sel.dst, plen);
            let start = IndexKey {
                bin,
                order: PolicyKey::first(dir),
            };
            let bound = best.map(|k| k.order);
            let within = |k: &IndexKey| k.bin == bin && bound.is_none_or(|b| k.order < b);
            if let Some(k) = first_match(&mut self.index, &start, within, sel) {
                best = Some(k);
            }
        }
        best.and_then(|k| self.index.get(&k).copied())
    }
}

/// The key of the first policy of `tree`, from `start` on while `within`
/// holds for the key, whose selector matches `sel`.
fn first_match<K: Ord + Copy>(
    tree: &mut RBTree<K, PolicyRecord>,
    start: &K,
    within: impl Fn(&K) -> bool,
    sel: &PacketSelector,
) -> Option<K> {
    let mut cursor = tree.cursor_lower_bound_mut(start)?;
    loop {
        let (k, rec) = cursor.current();
        if !within(k) {
            return None;
        }
        if rec.selector.matches(sel) {
            return Some(*k);
        }
        cursor = cursor.move_next()?;
    }
}
