// SPDX-License-Identifier: GPL-2.0

//! Lifetimes by time: a per-namespace delayed work runs when the next
//! time limit falls due and re-arms itself for the next deadline.
//!
//! - SAs: SADB_EXPIRE to registered sockets (soft: the SA becomes dying,
//!   and outbound traffic prefers a mature SA to it; hard: the SA is
//!   removed; a larval SA from GETSPI has a hard lifetime of 30 s). The datapath counts bytes and packets and
//!   kicks this work when a byte or packet limit is reached (or the use
//!   time starts running); the work copies the counters into the SADB and
//!   decides with the same core function, `SaRecord::check_lifetime`.
//! - Kernel-originated SADB_ACQUIREs are sent from here too (`acquire.rs`).
//! - Policies: SADB_X_SPDEXPIRE to registered sockets (soft: once, the
//!   policy stays; hard: the policy is removed), as KAME's `key_spdexpire`.

use kernel::prelude::*;

use super::broadcast::{broadcast, Audience};
use crate::glue::clock;
use crate::ipsec_core::sadb::{Expiry, SaKey, SaRecord};
use crate::ipsec_core::spd::PolicyRecord;

use super::db::Db;
use super::encode::encode;
use super::state::NetPfkey;

/// Encodes the EXPIRE message for `rec`.
fn expire_message(rec: &SaRecord, which: Expiry) -> Option<KVec<u8>> {
    encode(|w| rec.write_expire(w, which)).ok()
}

/// Encodes the X_SPDEXPIRE message for `rec`.
fn spdexpire_message(rec: &PolicyRecord, which: Expiry) -> Option<KVec<u8>> {
    encode(|w| rec.write_expire(w, which)).ok()
}

/// The earlier of two optional deadlines.
fn earliest(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

/// Queues `m` for sending; out of memory, the entry still expires,
/// unannounced.
fn collect(messages: &mut KVec<KVec<u8>>, m: Option<KVec<u8>>) {
    if let Some(m) = m {
        let _ = messages.push(m, GFP_KERNEL);
    }
}

/// Expires the SAs due at `now` (`dp_dying` tells the datapath a
/// soft-expired one is dying, `dp_remove` drops a hard-expired one from
/// it); returns the next SA deadline. A larval SA expires by its hard
/// lifetime (`LARVAL_LIFETIME`) as any SA, with a hard SADB_EXPIRE, as
/// af_key's.
fn expire_sas(
    db: &mut Db,
    now: u64,
    messages: &mut KVec<KVec<u8>>,
    mut sync_usage: impl FnMut(&mut SaRecord),
    mut dp_dying: impl FnMut(&SaKey),
    mut dp_remove: impl FnMut(&SaKey),
) -> Option<u64> {
    let mut next = None;
    let mut cursor = db.sas.cursor_front_mut();
    while let Some(mut c) = cursor {
        let (key, rec) = c.current_mut();
        sync_usage(rec);
        let fired = rec.check_lifetime(now);
        if let Some(which) = fired {
            // The message shows the state the SA moves to (dying, dead),
            // as af_key's and KAME's do.
            rec.mark_expired(which);
            collect(messages, expire_message(rec, which));
        }
        if fired == Some(Expiry::Soft) {
            dp_dying(key);
        }
        if fired == Some(Expiry::Hard) {
            dp_remove(c.current().0);
            cursor = c.remove_current().0;
            continue;
        }
        next = earliest(next, rec.next_deadline());
        cursor = c.move_next();
    }
    next
}

/// Expires the policies due at `now` (`dp_remove` drops a hard-expired
/// one from the datapath); returns the next policy deadline.
fn expire_policies(
    db: &mut Db,
    now: u64,
    messages: &mut KVec<KVec<u8>>,
    mut dp_remove: impl FnMut(&PolicyRecord),
) -> Option<u64> {
    let mut next = None;
    let mut hard = KVec::<u32>::new();
    let mut cursor = db.policies.cursor_front_mut();
    while let Some(mut c) = cursor {
        let (id, rec) = c.current_mut();
        let fired = rec.check_lifetime(now);
        if let Some(which) = fired {
            collect(messages, spdexpire_message(rec, which));
        }
        match fired {
            // Removed below: the selector index must go too. Out of
            // memory, it expires on the next run.
            Some(Expiry::Hard) => {
                if hard.push(*id, GFP_KERNEL).is_err() {
                    next = earliest(next, Some(now.saturating_add(1)));
                }
            }
            Some(Expiry::Soft) => {
                rec.soft_expired = true;
                next = earliest(next, rec.next_deadline());
            }
            None => next = earliest(next, rec.next_deadline()),
        }
        cursor = c.move_next();
    }
    for id in hard {
        if let Some(rec) = db.remove_policy(id) {
            dp_remove(&rec);
        }
    }
    next
}

impl NetPfkey {
    /// Expires what is due, then re-arms for the next deadline.
    pub(crate) fn run_expiry(&self) {
        self.announce_acquires();
        self.announce_mappings();
        let now = clock::now_seconds();
        let mut messages = KVec::<KVec<u8>>::new();
        let next = {
            let mut db = self.db.lock();
            let sas = expire_sas(
                &mut db,
                now,
                &mut messages,
                |r| self.sync_usage(r),
                |k| self.dp_dying(k),
                |k| self.dp_remove(k),
            );
            let policies =
                expire_policies(&mut db, now, &mut messages, |r| self.dp_policy_remove(r));
            let next = earliest(sas, policies);
            db.next_expiry = next;
            self.note_tables(&db);
            next
        };
        for m in &messages {
            // ESRCH: nobody registered; the entry expires all the same.
            let _ = broadcast(&self.sockets, m, Audience::Registered, None);
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

impl NetPfkey {
    /// The datapath saw a packet reach an SA's byte or packet limit, or
    /// start its use time: the expiry work checks the lifetimes now.
    pub(crate) fn check_lifetimes_soon(&self) {
        self.expiry.schedule_in(0);
    }
}
