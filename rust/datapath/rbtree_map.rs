// SPDX-License-Identifier: GPL-2.0

//! The core's [`OrderedMap`] for the kernel's `RBTree`: what the SPD
//! lookup ([`crate::ipsec_core::spd_index`]) and the SA match
//! ([`crate::ipsec_core::sa_match`]) walk in the module.

use kernel::rbtree::RBTree;

use crate::ipsec_core::ordered_map::{OrderedMap, Walk};

impl<K: Ord, V> OrderedMap<K, V> for RBTree<K, V> {
    fn walk_from(&mut self, start: &K, mut visit: impl FnMut(&K, &V) -> Walk) {
        // The shared cursor cannot move; the mutable one can.
        let Some(mut cursor) = self.cursor_lower_bound_mut(start) else {
            return;
        };
        loop {
            let (k, v) = cursor.current();
            if visit(k, v) == Walk::Stop {
                return;
            }
            cursor = match cursor.move_next() {
                Some(c) => c,
                None => return,
            };
        }
    }

    fn get(&self, key: &K) -> Option<&V> {
        RBTree::get(self, key)
    }
}
