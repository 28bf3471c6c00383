// SPDX-License-Identifier: GPL-2.0

//! The ordered map the lookup decisions walk ([`crate::spd_index`],
//! [`crate::sa_match`]): whatever keeps keys in order and can visit them
//! from a starting key on. The kernel module implements it for its
//! `RBTree` (`rust/datapath/rbtree_map.rs`), the host tests for
//! `BTreeMap`; the core itself never allocates a map.

/// What a walk does after visiting an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Walk {
    /// Go on to the next key.
    Next,
    /// Stop walking.
    Stop,
}

/// A map whose keys are kept in order.
pub trait OrderedMap<K: Ord, V> {
    /// Visits the entries from the first key at or after `start`, in key
    /// order, until `visit` says [`Walk::Stop`] or the keys run out.
    fn walk_from(&mut self, start: &K, visit: impl FnMut(&K, &V) -> Walk);

    /// The value of `key`.
    fn get(&self, key: &K) -> Option<&V>;
}

/// The host tests' map.
#[cfg(test)]
impl<K: Ord, V> OrderedMap<K, V> for std::collections::BTreeMap<K, V> {
    fn walk_from(&mut self, start: &K, mut visit: impl FnMut(&K, &V) -> Walk) {
        use core::ops::Bound;
        for (k, v) in self.range((Bound::Included(start), Bound::Unbounded)) {
            if visit(k, v) == Walk::Stop {
                return;
            }
        }
    }

    fn get(&self, key: &K) -> Option<&V> {
        std::collections::BTreeMap::get(self, key)
    }
}
