// SPDX-License-Identifier: GPL-2.0

//! The datapath's view of the SPD: every policy, ordered by direction,
//! priority and id, behind a BH spinlock; PF_KEY keeps it in step with
//! its own tables.
//!
//! A lookup walks the policies of one direction in priority order and
//! returns the first whose selector matches (KAME's and Linux's rule: the
//! smaller priority value wins, then the older policy). That walk is
//! linear in the number of policies of the direction; an index for large
//! SPDs is stage 10 of `Documentation/design/datapath-plan.rst`.

use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNode};

use crate::ipsec_core::errno::Errno;
use crate::ipsec_core::ipview::PacketSelector;
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

/// A node allocated outside the lock, to insert under it.
pub(crate) struct PreparedPolicy(RBTreeNode<PolicyKey, PolicyRecord>);

/// The policies of a namespace, as the datapath sees them.
pub(crate) struct DpPolicies {
    tree: RBTree<PolicyKey, PolicyRecord>,
}

impl DpPolicies {
    /// No policies.
    pub(crate) fn new() -> Self {
        Self {
            tree: RBTree::new(),
        }
    }

    /// Allocates the node for `rec` (may sleep: call without the lock).
    pub(crate) fn prepare(rec: &PolicyRecord) -> Result<PreparedPolicy, Errno> {
        RBTreeNode::new(PolicyKey::of(rec), *rec, GFP_KERNEL)
            .map(PreparedPolicy)
            .map_err(|_| Errno::ENOMEM)
    }

    /// Inserts a policy (replacing one with the same key).
    pub(crate) fn insert(&mut self, p: PreparedPolicy) {
        self.tree.insert(p.0);
    }

    /// Removes the policy `rec` was inserted as.
    pub(crate) fn remove(&mut self, rec: &PolicyRecord) {
        self.tree.remove(&PolicyKey::of(rec));
    }

    /// Removes every policy.
    pub(crate) fn clear(&mut self) -> RBTree<PolicyKey, PolicyRecord> {
        core::mem::take(&mut self.tree)
    }

    /// The first policy of direction `dir` (smallest priority, then
    /// oldest) whose selector matches `sel`.
    pub(crate) fn lookup(&mut self, dir: u8, sel: &PacketSelector) -> Option<PolicyRecord> {
        let start = PolicyKey {
            dir,
            priority: 0,
            id: 0,
        };
        let mut cursor = self.tree.cursor_lower_bound_mut(&start)?;
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
