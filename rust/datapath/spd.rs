// SPDX-License-Identifier: GPL-2.0

//! The datapath's view of the SPD: every policy, ordered by direction,
//! priority and id, behind a BH spinlock; PF_KEY keeps it in step with
//! its own tables.
//!
//! A lookup returns the first policy of a direction, in (priority, id)
//! order, whose selector matches (KAME's and Linux's rule: the smaller
//! priority value wins, then the older policy). Policies whose destination
//! is a single host (full-length prefix, the common case of per-peer
//! policies at scale) are indexed by (direction, destination): a lookup
//! walks only the policies for the packet's destination, plus every policy
//! with a wider destination prefix, and takes the first match of the two
//! walks. With many host policies and few prefix ones a lookup costs
//! O(log n).

use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNode};

use crate::ipsec_core::errno::Errno;
use crate::ipsec_core::ipview::PacketSelector;
use crate::ipsec_core::pfkey::sockaddr::Addr;
use crate::ipsec_core::spd::PolicyRecord;

/// Where a policy sits: direction, then priority, then id (age).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct PolicyKey {
    dir: u8,
    priority: u32,
    id: u32,
}

impl PolicyKey {
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

/// A host policy's place: direction, destination, then the policy order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct HostKey {
    dir: u8,
    dst: AddrKey,
    order: PolicyKey,
}

/// The destination host `rec` is limited to, if its destination prefix
/// is full length.
fn host_of(rec: &PolicyRecord) -> Option<Addr> {
    let d = &rec.selector.dst;
    let a = d.addr();
    (d.prefixlen == a.bits()).then_some(a)
}

/// A node allocated outside the lock, to insert under it.
pub(crate) enum PreparedPolicy {
    /// For the host index.
    Host(RBTreeNode<HostKey, PolicyRecord>),
    /// For the list of prefix policies.
    Wide(RBTreeNode<PolicyKey, PolicyRecord>),
}

/// The policies of a namespace, as the datapath sees them.
pub(crate) struct DpPolicies {
    /// Policies with a single destination host.
    hosts: RBTree<HostKey, PolicyRecord>,
    /// Every other policy.
    wide: RBTree<PolicyKey, PolicyRecord>,
}

/// Removed policies, to free after unlocking.
pub(crate) struct Cleared {
    _hosts: RBTree<HostKey, PolicyRecord>,
    _wide: RBTree<PolicyKey, PolicyRecord>,
}

impl DpPolicies {
    /// No policies.
    pub(crate) fn new() -> Self {
        Self {
            hosts: RBTree::new(),
            wide: RBTree::new(),
        }
    }

    /// Allocates the node for `rec` (may sleep: call without the lock).
    pub(crate) fn prepare(rec: &PolicyRecord) -> Result<PreparedPolicy, Errno> {
        let order = PolicyKey::of(rec);
        match host_of(rec) {
            Some(dst) => {
                let key = HostKey {
                    dir: rec.dir,
                    dst: addr_key(&dst),
                    order,
                };
                RBTreeNode::new(key, *rec, GFP_KERNEL).map(PreparedPolicy::Host)
            }
            None => RBTreeNode::new(order, *rec, GFP_KERNEL).map(PreparedPolicy::Wide),
        }
        .map_err(|_| Errno::ENOMEM)
    }

    /// Inserts a policy (replacing one with the same key).
    pub(crate) fn insert(&mut self, p: PreparedPolicy) {
        match p {
            PreparedPolicy::Host(n) => {
                self.hosts.insert(n);
            }
            PreparedPolicy::Wide(n) => {
                self.wide.insert(n);
            }
        }
    }

    /// Removes the policy `rec` was inserted as.
    pub(crate) fn remove(&mut self, rec: &PolicyRecord) {
        let order = PolicyKey::of(rec);
        match host_of(rec) {
            Some(dst) => {
                self.hosts.remove(&HostKey {
                    dir: rec.dir,
                    dst: addr_key(&dst),
                    order,
                });
            }
            None => {
                self.wide.remove(&order);
            }
        }
    }

    /// Removes every policy; the caller drops the result after unlocking.
    pub(crate) fn clear(&mut self) -> Cleared {
        Cleared {
            _hosts: core::mem::take(&mut self.hosts),
            _wide: core::mem::take(&mut self.wide),
        }
    }

    /// The first policy of direction `dir` (smallest priority, then
    /// oldest) whose selector matches `sel`.
    pub(crate) fn lookup(&mut self, dir: u8, sel: &PacketSelector) -> Option<PolicyRecord> {
        let host = self.first_host(dir, sel);
        let wide = self.first_wide(dir, sel);
        match (host, wide) {
            (Some(h), Some(w)) => Some(if PolicyKey::of(&w) < PolicyKey::of(&h) {
                w
            } else {
                h
            }),
            (h, w) => h.or(w),
        }
    }

    /// The first matching policy for `sel`'s destination host.
    fn first_host(&mut self, dir: u8, sel: &PacketSelector) -> Option<PolicyRecord> {
        let dst = addr_key(&sel.dst);
        let start = HostKey {
            dir,
            dst,
            order: PolicyKey {
                dir,
                priority: 0,
                id: 0,
            },
        };
        let mut cursor = self.hosts.cursor_lower_bound_mut(&start)?;
        loop {
            let (k, rec) = cursor.current();
            if k.dir != dir || k.dst != dst {
                return None;
            }
            if sel.matches(&rec.selector) {
                return Some(*rec);
            }
            cursor = cursor.move_next()?;
        }
    }

    /// The first matching policy with a wider destination.
    fn first_wide(&mut self, dir: u8, sel: &PacketSelector) -> Option<PolicyRecord> {
        let start = PolicyKey {
            dir,
            priority: 0,
            id: 0,
        };
        let mut cursor = self.wide.cursor_lower_bound_mut(&start)?;
        loop {
            let (k, rec) = cursor.current();
            if k.dir != dir {
                return None;
            }
            if sel.matches(&rec.selector) {
                return Some(*rec);
            }
            cursor = cursor.move_next()?;
        }
    }
}
