// SPDX-License-Identifier: GPL-2.0

//! SA lifetimes by time: a per-namespace delayed work runs when the next
//! time limit falls due, sends SADB_EXPIRE (soft: the SA becomes dying;
//! hard: the SA is removed) to registered sockets, and re-arms itself for
//! the next deadline. Byte and allocation limits are checked where those
//! counters change (the datapath) with the same core function,
//! `SaRecord::check_lifetime`.

use kernel::prelude::*;

use crate::glue::clock;
use crate::glue::socket::Audience;
use crate::ipsec_core::sadb::{Expiry, SaRecord};

use super::db::Db;
use super::NetPfkey;

crate::glue::timed_work::timed_work_callback!(expiry_callback, NetPfkey, expiry, run_expiry);

/// The callback to give the namespace's `TimedWork`.
pub(crate) const CALLBACK: unsafe extern "C" fn(*mut kernel::bindings::work_struct) =
    expiry_callback;

/// Encodes the EXPIRE message for `rec`.
fn expire_message(rec: &SaRecord, which: Expiry) -> Option<KVec<u8>> {
    super::encode(|w| rec.write_expire(w, which)).ok()
}

impl NetPfkey {
    /// Expires what is due, then re-arms for the next deadline.
    pub(crate) fn run_expiry(&self) {
        let now = clock::now_seconds();
        let mut messages = KVec::<KVec<u8>>::new();
        let mut next: Option<u64> = None;
        {
            let mut db = self.db.lock();
            let mut cursor = db.sas.cursor_front_mut();
            while let Some(mut c) = cursor {
                let (_, rec) = c.current_mut();
                let fired = rec.check_lifetime(now);
                if let Some(which) = fired {
                    if let Some(m) = expire_message(rec, which) {
                        // Out of memory: the SA still expires, unannounced.
                        let _ = messages.push(m, GFP_KERNEL);
                    }
                    rec.mark_expired(which);
                }
                if fired == Some(Expiry::Hard) {
                    cursor = c.remove_current().0;
                    continue;
                }
                if let Some(d) = rec.next_deadline() {
                    next = Some(next.map_or(d, |n| n.min(d)));
                }
                cursor = c.move_next();
            }
            db.next_expiry = next;
        }
        for m in &messages {
            // ESRCH: nobody registered; the SA expires all the same.
            let _ = self.sockets.broadcast(m, Audience::Registered, None);
        }
        if let Some(d) = next {
            self.expiry.schedule_in(d.saturating_sub(now).max(1));
        }
    }

    /// Makes sure the expiry work runs by `deadline` (an SA was added or
    /// changed). Called with the tables locked.
    pub(crate) fn arm_expiry(&self, db: &mut Db, deadline: Option<u64>) {
        let Some(d) = deadline else {
            return;
        };
        if db.next_expiry.is_some_and(|n| n <= d) {
            return;
        }
        db.next_expiry = Some(d);
        let now = clock::now_seconds();
        self.expiry.schedule_in(d.saturating_sub(now).max(1));
    }
}
