// SPDX-License-Identifier: GPL-2.0

//! SADB_X_NAT_T_NEW_MAPPING: the datapath saw a NAT-T SA's peer at a new
//! address or port (RFC 3948; `datapath/natt.rs`).
//!
//! The datapath queues the mapping (the core's `Mappings`, behind a BH
//! spinlock: it runs in softirq; already rate-limited per SA) and kicks
//! the expiry work, which sends it from process context to the sockets
//! registered for ESP (and promiscuous ones), as af_key does, naming the
//! SA to the peer (the core's `peer_bound`: what strongSwan looks the
//! CHILD_SA up by). The SA is not changed: a daemon that trusts the new
//! mapping UPDATEs it.

use super::broadcast::{broadcast, Audience};
use super::encode::encode;
use super::state::NetPfkey;
use crate::ipsec_core::new_mapping::{peer_bound, write_new_mapping, NewMapping};

impl NetPfkey {
    /// The datapath saw `m` (any context). Lost when the queue is full:
    /// the peer's next packets ask again after the repeat time.
    pub(crate) fn request_new_mapping(&self, m: NewMapping) {
        if self.mappings.lock().push(m) {
            self.expiry.schedule_in(0);
        }
    }

    /// Sends the mappings queued (process context).
    pub(crate) fn announce_mappings(&self) {
        loop {
            let Some(m) = self.mappings.lock().pop() else {
                return;
            };
            // The SA the daemon is to update: the one to the peer.
            let spi = peer_bound(self.db.lock().sas.values(), &m).unwrap_or(m.spi);
            // Out of memory or nobody registered: the next packet from
            // the new mapping asks again after the repeat time.
            if let Ok(msg) = encode(|w| write_new_mapping(w, &m, spi, 0)) {
                let _ = broadcast(&self.sockets, &msg, Audience::Registered, None);
            }
        }
    }
}
