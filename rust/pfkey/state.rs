// SPDX-License-Identifier: GPL-2.0

//! The PF_KEY state of one namespace: its sockets, SADB and SPD, the
//! expiry work, the acquisitions in progress and the NAT-T mappings to
//! announce, and the datapath tables
//! it keeps in step with the SADB and SPD.

use kernel::prelude::*;
use kernel::sync::{new_mutex, Arc, Mutex};

use crate::datapath::tables::{DpTables, PreparedRule, PreparedSa};
use crate::glue::socket::SocketList;
use crate::glue::spinlock_bh::{new_spinlock_bh, SpinLockBh};
use crate::glue::timed_work::TimedWork;
use crate::ipsec_core::acquire::Acquires;
use crate::ipsec_core::new_mapping::Mappings;
use crate::ipsec_core::sadb::{SaKey, SaRecord};
use crate::ipsec_core::spd::PolicyRecord;

use super::db::Db;
use super::sock::PfKey;

/// Acquisitions a namespace tracks at once (`acquire.rs`).
pub(crate) const MAX_ACQUIRES: usize = 64;
/// NAT-T mappings a namespace queues at once (`mapping.rs`).
pub(crate) const MAX_MAPPINGS: usize = 16;

crate::glue::timed_work::timed_work_callback!(expiry_callback, NetPfkey, expiry, run_expiry);

/// PF_KEY state of one namespace.
#[pin_data(PinnedDrop)]
pub(crate) struct NetPfkey {
    #[pin]
    pub(crate) sockets: SocketList<PfKey>,
    #[pin]
    pub(crate) db: Mutex<Db>,
    /// Runs when the next SA time limit falls due (`expire.rs`).
    #[pin]
    pub(crate) expiry: TimedWork,
    /// The datapath's lookup tables, kept in step with `db` (lock order:
    /// `db`, then the datapath's locks).
    dp: Arc<DpTables>,
    /// SAs being acquired (`acquire.rs`); after `db` in lock order.
    #[pin]
    pub(crate) acquires: SpinLockBh<Acquires<MAX_ACQUIRES>>,
    /// NAT-T mappings to announce (`mapping.rs`); after `db` in lock
    /// order.
    #[pin]
    pub(crate) mappings: SpinLockBh<Mappings<MAX_MAPPINGS>>,
}

impl NetPfkey {
    /// Empty tables, no sockets; SAs and policies go to `dp` too.
    pub(crate) fn new(dp: Arc<DpTables>) -> impl PinInit<Self> {
        pin_init!(Self {
            sockets <- SocketList::new(),
            db <- new_mutex!(Db::new()),
            expiry <- TimedWork::new(expiry_callback),
            dp,
            acquires <- new_spinlock_bh!(Acquires::new(), c"rust_ipsec_acquires"),
            mappings <- new_spinlock_bh!(Mappings::new(), c"rust_ipsec_mappings"),
        })
    }

    /// Installs (or replaces) the datapath entry of an SA, prepared by
    /// `DpTables::prepare_sa` before the tables were locked.
    pub(crate) fn dp_install(&self, sa: Option<PreparedSa>, continued: bool) {
        self.dp.install_sa(sa, continued);
    }

    /// Puts `rule` in the datapath's SPD in place of `old` (the policy it
    /// replaces, if any); `rule` was prepared without locks.
    pub(crate) fn dp_policy_install(&self, old: Option<&PolicyRecord>, rule: PreparedRule) {
        self.dp.install_policy(old, rule);
    }

    /// Removes every policy from the datapath's SPD.
    pub(crate) fn dp_flush_policies(&self) {
        self.dp.flush_policies();
    }

    /// Removes `rec` from the datapath's SPD.
    pub(crate) fn dp_policy_remove(&self, rec: &PolicyRecord) {
        self.dp.remove_policy(rec);
    }

    /// Copies what the datapath counted for `rec` (packets, bytes, first
    /// use) into its LIFETIME_CURRENT.
    pub(crate) fn sync_usage(&self, rec: &mut SaRecord) {
        if let Some(usage) = self.dp.usage_of(&rec.key()) {
            usage.store(&mut rec.current);
        }
    }

    /// Tells the datapath that the SA `key` is dying (soft lifetime).
    pub(crate) fn dp_dying(&self, key: &SaKey) {
        self.dp.sa_dying(key);
    }

    /// Removes the datapath entry of `key`, if any.
    pub(crate) fn dp_remove(&self, key: &SaKey) {
        self.dp.remove_sa(key);
    }

    /// Records whether `db` (this namespace's tables, locked by the
    /// caller) has an entry: the datapath leaves a namespace without any
    /// alone.
    pub(crate) fn note_tables(&self, db: &Db) {
        self.dp
            .set_configured(!db.sas.is_empty() || !db.policies.is_empty());
    }
}

#[pinned_drop]
impl PinnedDrop for NetPfkey {
    fn drop(self: Pin<&mut Self>) {
        // The work uses the tables and sockets: stop it first.
        self.expiry.cancel_sync();
    }
}
