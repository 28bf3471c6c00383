// SPDX-License-Identifier: GPL-2.0

//! The SADB and SPD of one namespace: records from the protocol core,
//! kept in red-black trees (lookups and dumps in O(log n)).

use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNode};

use crate::ipsec_core::errno::Errno;
use crate::ipsec_core::pfkey::SaType;
use crate::ipsec_core::sadb::{SaKey, SaRecord};
use crate::ipsec_core::spd::{IndexKey, PolicyRecord};

/// Maps a kernel error (allocation) to the errno a PF_KEY reply carries.
pub(crate) fn errno_of(e: Error) -> Errno {
    Errno(-e.to_errno())
}

/// The SA and policy tables.
pub(crate) struct Db {
    pub(crate) sas: RBTree<SaKey, SaRecord>,
    pub(crate) policies: RBTree<u32, PolicyRecord>,
    /// Policy id by selector and direction (for X_SPDADD/UPDATE/DELETE).
    policy_index: RBTree<IndexKey, u32>,
    /// Next policy index (ids are `index << 3 | dir`, as in Linux).
    pub(crate) next_policy_index: u32,
    /// Counter for automatically allocated reqids.
    pub(crate) auto_reqid: u32,
    /// When the expiry work is due to run, if it is armed.
    pub(crate) next_expiry: Option<u64>,
}

impl Db {
    /// Empty tables.
    pub(crate) fn new() -> Self {
        Self {
            sas: RBTree::new(),
            policies: RBTree::new(),
            policy_index: RBTree::new(),
            next_policy_index: 1,
            auto_reqid: 0,
            next_expiry: None,
        }
    }

    /// Inserts a new SA; `EEXIST` if its key is taken.
    pub(crate) fn insert_sa(&mut self, rec: SaRecord) -> Result<(), Errno> {
        let key = rec.key();
        if self.sas.get(&key).is_some() {
            return Err(Errno::EEXIST);
        }
        let node = RBTreeNode::new(key, rec, GFP_KERNEL).map_err(errno_of)?;
        self.sas.insert(node);
        Ok(())
    }

    /// Removes every SA of `satype` (all for UNSPEC), calling `removed`
    /// with each key (the datapath drops its entry); returns how many.
    pub(crate) fn flush_sas(&mut self, satype: SaType, mut removed: impl FnMut(&SaKey)) -> usize {
        let mut n = 0;
        let mut cursor = self.sas.cursor_front_mut();
        while let Some(c) = cursor {
            let matches = satype == SaType::UNSPEC || c.current().1.satype == satype;
            if matches {
                removed(c.current().0);
                let (next, _node) = c.remove_current();
                cursor = next;
                n += 1;
            } else {
                cursor = c.move_next();
            }
        }
        n
    }

    /// Calls `f` with the first SA after `after` (from the start when
    /// `None`) of `satype`; returns its key and what `f` returned.
    pub(crate) fn next_sa<R>(
        &mut self,
        after: Option<&SaKey>,
        satype: SaType,
        f: impl FnOnce(&SaRecord) -> R,
    ) -> Option<(SaKey, R)> {
        let mut cursor = match after {
            None => self.sas.cursor_front_mut(),
            Some(k) => self.sas.cursor_lower_bound_mut(k),
        }?;
        loop {
            let (k, v) = cursor.current();
            let past = after.is_none_or(|a| k > a);
            if past && (satype == SaType::UNSPEC || v.satype == satype) {
                return Some((*k, f(v)));
            }
            cursor = cursor.move_next()?;
        }
    }

    /// The id of the policy with the same selector and direction.
    pub(crate) fn find_policy_index(&self, p: &PolicyRecord) -> Option<u32> {
        self.policy_index.get(&p.index_key()).copied()
    }

    /// Inserts a policy under `rec.id` (its selector must be new).
    pub(crate) fn insert_policy(&mut self, rec: PolicyRecord) -> Result<(), Errno> {
        let index = RBTreeNode::new(rec.index_key(), rec.id, GFP_KERNEL).map_err(errno_of)?;
        let node = RBTreeNode::new(rec.id, rec, GFP_KERNEL).map_err(errno_of)?;
        self.policy_index.insert(index);
        self.policies.insert(node);
        Ok(())
    }

    /// Removes the policy `id`.
    pub(crate) fn remove_policy(&mut self, id: u32) -> Option<PolicyRecord> {
        let rec = self.policies.remove(&id)?;
        self.policy_index.remove(&rec.index_key());
        Some(rec)
    }

    /// Removes every policy.
    pub(crate) fn flush_policies(&mut self) {
        self.policies = RBTree::new();
        self.policy_index = RBTree::new();
    }

    /// Calls `f` with the newest policy older than `before` (the newest
    /// of all when `None`): dumps list policies newest first, as af_key.
    /// Ids grow with each new policy, so "older" is "smaller id".
    pub(crate) fn prev_policy<R>(
        &mut self,
        before: Option<u32>,
        f: impl FnOnce(&PolicyRecord) -> R,
    ) -> Option<(u32, R)> {
        let some_at_or_after =
            before.is_some_and(|id| self.policies.cursor_lower_bound(&id).is_some());
        let cursor = match before {
            // The first id >= `before`; the one before it is older.
            Some(id) if some_at_or_after => self.policies.cursor_lower_bound_mut(&id)?.move_prev(),
            _ => self.policies.cursor_back_mut(),
        }?;
        let (id, v) = cursor.current();
        Some((*id, f(v)))
    }
}
