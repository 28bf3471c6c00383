// SPDX-License-Identifier: GPL-2.0

//! The datapath's lookup tables of one namespace: the ESP and AH SAs with
//! their crypto transforms and every policy, each behind a BH spinlock
//! (the hooks run in softirq), plus whether the namespace is configured.
//!
//! PF_KEY keeps them in step with its SADB and SPD through the narrow API
//! below; it never holds their fields. Everything that may sleep (crypto
//! transforms, tree nodes) is prepared before a BH lock is taken, and what
//! a change replaces is freed after the BH lock is dropped (in process
//! context: PF_KEY calls with its own mutex held). A removed SA a packet
//! in flight still holds is freed when the hook lets go of it; its
//! transform and route cache are then freed by a work item (`sa.rs`).

use core::sync::atomic::{AtomicBool, Ordering};

use kernel::prelude::*;
use kernel::sync::Arc;

use crate::glue::spinlock_bh::{new_spinlock_bh, SpinLockBh};
use crate::ipsec_core::errno::Errno;
use crate::ipsec_core::sa_match::SaLife;
use crate::ipsec_core::sadb::{SaKey, SaRecord};
use crate::ipsec_core::spd::PolicyRecord;
use crate::ipsec_core::usage::SaUsage;

use super::sa::{DpSa, DpSas, Prepared};
use super::spd::{DpPolicies, PreparedPolicy};

/// An SA ready to install: its transform allocated and keyed, its tree
/// node allocated.
pub(crate) struct PreparedSa {
    sa: Arc<DpSa>,
    node: Prepared,
}

impl PreparedSa {
    /// Starts the SA's counters from `usage` (an UPDATE keeps what the
    /// SA it replaces counted).
    pub(crate) fn set_usage(&self, usage: SaUsage) {
        self.sa.dyn_.lock().usage = usage;
    }
}

/// A policy ready to install: its index nodes allocated.
pub(crate) struct PreparedRule(PreparedPolicy);

/// The lookup tables of one namespace.
#[pin_data]
pub(crate) struct DpTables {
    /// The ESP and AH SAs. Lock order: PF_KEY's tables, then this.
    #[pin]
    sas: SpinLockBh<DpSas>,
    /// Every policy. Lock order: PF_KEY's tables, then this.
    #[pin]
    policies: SpinLockBh<DpPolicies>,
    /// Whether the SADB or the SPD has an entry: a namespace without any
    /// is left alone.
    configured: AtomicBool,
    /// Whether an SA uses NAT-T: only then is inbound UDP looked at
    /// (`natt.rs`), without taking the SA lock otherwise.
    natt: AtomicBool,
    /// Whether an IPComp tunnel SA is installed: only then is IP-in-IP
    /// looked at (it may be such an SA's uncompressed packet).
    ipcomp_tunnels: AtomicBool,
}

impl DpTables {
    /// Empty tables, shared between the hooks and PF_KEY.
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                sas <- new_spinlock_bh!(DpSas::new(), c"rust_ipsec_dp_sas"),
                policies <- new_spinlock_bh!(DpPolicies::new(), c"rust_ipsec_dp_policies"),
                configured: AtomicBool::new(false),
                natt: AtomicBool::new(false),
                ipcomp_tunnels: AtomicBool::new(false),
            }),
            GFP_KERNEL,
        )
    }

    /// Builds what installing the SA `rec` describes needs: `None` for an
    /// SA the datapath does not process. May sleep; the crypto API checks
    /// algorithm and key here, before anything changes.
    pub(crate) fn prepare_sa(rec: &SaRecord) -> Result<Option<PreparedSa>, Errno> {
        let Some(sa) = DpSa::new(rec)? else {
            return Ok(None);
        };
        let node = DpSas::prepare(sa.clone())?;
        Ok(Some(PreparedSa { sa, node }))
    }

    /// Installs (or replaces) a prepared SA, as the newest of the
    /// namespace (outbound traffic moves to it). With `continued` (the
    /// UPDATE of a mature SA) it goes on with the sequence numbers and
    /// replay window of the SA it replaces, so the peer accepts what it
    /// sends next.
    pub(crate) fn install_sa(&self, sa: Option<PreparedSa>, continued: bool) {
        if let Some(p) = sa {
            let old = {
                let mut sas = self.sas.lock();
                if let Some(prev) = sas.get(&p.sa.key).filter(|_| continued) {
                    p.sa.continue_from(&prev);
                }
                p.sa.set_age(sas.next_age());
                let old = sas.insert(p.node);
                self.refresh_flags(&sas);
                old
            };
            // Dropped outside the BH lock.
            drop(old);
        }
    }

    /// The SA `key`'s soft lifetime passed: outbound traffic prefers a
    /// mature SA to it from now on (it still serves, and accepts inbound
    /// packets, until its hard lifetime).
    pub(crate) fn sa_dying(&self, key: &SaKey) {
        let sa = self.sas.lock().get(key);
        if let Some(sa) = sa {
            sa.advance(SaLife::Dying);
        }
    }

    /// Removes the SA `key`, if the datapath has it.
    pub(crate) fn remove_sa(&self, key: &SaKey) {
        let old = {
            let mut sas = self.sas.lock();
            let old = sas.remove(key);
            self.refresh_flags(&sas);
            old
        };
        drop(old);
    }

    /// Keeps the lock-free flags in step with `sas` (locked).
    fn refresh_flags(&self, sas: &DpSas) {
        self.natt.store(sas.has_encap_ports(), Ordering::Relaxed);
        self.ipcomp_tunnels
            .store(sas.has_ipcomp_tunnels(), Ordering::Relaxed);
    }

    /// Whether an IPComp tunnel SA is installed (no lock taken).
    pub(crate) fn has_ipcomp_tunnels(&self) -> bool {
        self.ipcomp_tunnels.load(Ordering::Relaxed)
    }

    /// Whether UDP to `port` may carry ESP (a NAT-T SA uses the port);
    /// without NAT-T SAs, no lock is taken.
    pub(crate) fn is_encap_port(&self, port: u16) -> bool {
        self.natt.load(Ordering::Relaxed) && self.sas.lock().is_encap_port(port)
    }

    /// What the datapath counted for the SA `key` (packets, bytes, first
    /// use), if it has the SA.
    pub(crate) fn usage_of(&self, key: &SaKey) -> Option<SaUsage> {
        let sa = self.sas.lock().get(key)?;
        let usage = sa.dyn_.lock().usage;
        Some(usage)
    }

    /// How many SAs the datapath has.
    pub(crate) fn sa_count(&self) -> usize {
        self.sas.lock().len()
    }

    /// Allocates what installing `rec` needs (may sleep).
    pub(crate) fn prepare_policy(rec: &PolicyRecord) -> Result<PreparedRule, Errno> {
        DpPolicies::prepare(rec).map(PreparedRule)
    }

    /// Puts a prepared policy in place of `old` (the policy it replaces,
    /// if any).
    pub(crate) fn install_policy(&self, old: Option<&PolicyRecord>, rule: PreparedRule) {
        let mut t = self.policies.lock();
        if let Some(o) = old {
            t.remove(o);
        }
        t.insert(rule.0);
    }

    /// Removes `rec` from the policies.
    pub(crate) fn remove_policy(&self, rec: &PolicyRecord) {
        self.policies.lock().remove(rec);
    }

    /// Removes every policy.
    pub(crate) fn flush_policies(&self) {
        let old = self.policies.lock().clear();
        // Freed outside the BH lock.
        drop(old);
    }

    /// Records whether the SADB or the SPD has an entry.
    pub(crate) fn set_configured(&self, any: bool) {
        self.configured.store(any, Ordering::Relaxed);
    }

    /// Whether the SADB or the SPD has an entry; any context.
    pub(crate) fn is_configured(&self) -> bool {
        self.configured.load(Ordering::Relaxed)
    }

    /// The SAs, locked (the hooks' lookups).
    pub(super) fn sas(&self) -> &SpinLockBh<DpSas> {
        &self.sas
    }

    /// The policies, locked (the hooks' lookups).
    pub(super) fn policies(&self) -> &SpinLockBh<DpPolicies> {
        &self.policies
    }
}
