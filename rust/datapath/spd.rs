// SPDX-License-Identifier: GPL-2.0

//! The datapath's view of the SPD: every policy, in the core's lookup
//! index ([`crate::ipsec_core::spd_index`]: bins by direction and
//! destination network, first match by priority and id), behind a BH
//! spinlock; PF_KEY keeps it in step with its own tables. This file holds
//! what is the kernel's: the `RBTree`, its nodes allocated outside the
//! lock, and freeing after unlocking.

use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNode};

use crate::ipsec_core::errno::Errno;
use crate::ipsec_core::ipsec::IpsecDir;
use crate::ipsec_core::ipview::PacketSelector;
use crate::ipsec_core::prefixes::PrefixLengths;
use crate::ipsec_core::spd::PolicyRecord;
use crate::ipsec_core::spd_index::{self, BinKey};

/// A node allocated outside the lock, to insert under it.
pub(crate) struct PreparedPolicy {
    node: RBTreeNode<BinKey, PolicyRecord>,
    key: BinKey,
}

/// The policies of a namespace, as the datapath sees them.
pub(crate) struct DpPolicies {
    index: RBTree<BinKey, PolicyRecord>,
    /// The destination prefix lengths in use, per direction and family.
    lengths: PrefixLengths,
}

/// Removed policies, to free after unlocking.
pub(crate) struct Cleared {
    _index: RBTree<BinKey, PolicyRecord>,
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
        let key = BinKey::of(rec);
        let node = RBTreeNode::new(key, *rec, GFP_KERNEL).map_err(|_| Errno::ENOMEM)?;
        Ok(PreparedPolicy { node, key })
    }

    /// Inserts a policy (replacing one with the same key).
    pub(crate) fn insert(&mut self, p: PreparedPolicy) {
        if self.index.insert(p.node).is_none() {
            p.key.count(&mut self.lengths);
        }
    }

    /// Removes the policy `rec` was inserted as.
    pub(crate) fn remove(&mut self, rec: &PolicyRecord) {
        let key = BinKey::of(rec);
        if self.index.remove(&key).is_some() {
            key.uncount(&mut self.lengths);
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
    /// oldest) whose selector matches `sel`, copied once, at the end.
    pub(crate) fn lookup(&mut self, dir: IpsecDir, sel: &PacketSelector) -> Option<PolicyRecord> {
        let key = spd_index::lookup(&mut self.index, &self.lengths, dir, sel)?;
        self.index.get(&key).copied()
    }
}
