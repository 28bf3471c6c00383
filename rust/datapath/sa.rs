// SPDX-License-Identifier: GPL-2.0

//! The datapath's view of the SADB: per ESP SA, its crypto transform,
//! keyed as the SADB is, behind a BH spinlock (the hooks run in softirq).
//!
//! PF_KEY builds a [`DpSa`] before it takes its own lock (allocating a
//! transform may sleep), refuses the ADD/UPDATE when the crypto API
//! refuses the algorithm or key, and keeps [`DpSas`] in step with the SADB
//! on every change (stage 2 of `Documentation/design/datapath-plan.rst`).
//! Entries are `Arc`s so that a packet in flight keeps its SA alive after
//! a DELETE.

use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNode};
use kernel::sync::Arc;

use crate::glue::aead::AeadTfm;
use crate::ipsec_core::errno::Errno;
use crate::ipsec_core::esp::{self, AuthencKey, CryptoName};
use crate::ipsec_core::pfkey::sockaddr::Addr;
use crate::ipsec_core::pfkey::SaType;
use crate::ipsec_core::sadb::{SaKey, SaRecord, SaState};

/// What the datapath keeps of one ESP SA.
pub(crate) struct DpSa {
    /// The SADB key.
    pub(crate) key: SaKey,
    /// `IPSEC_MODE_TRANSPORT` or `IPSEC_MODE_TUNNEL`.
    pub(crate) mode: u8,
    /// `sadb_x_sa2_reqid`.
    pub(crate) reqid: u32,
    /// The transform, keyed and with its ICV size set.
    #[expect(
        dead_code,
        reason = "ESP output and input (stage 3) encrypt with it; held from ADD on"
    )]
    pub(crate) tfm: AeadTfm,
}

/// Maps a kernel error to a PF_KEY errno.
fn errno(e: Error) -> Errno {
    Errno(-e.to_errno())
}

impl DpSa {
    /// The datapath state of `rec`: `None` for what the datapath does not
    /// process (AH and IPComp for now, larval SAs without keys). May
    /// sleep. `EINVAL`/`ENOENT`/... when the crypto API refuses the
    /// algorithm or the key.
    pub(crate) fn new(rec: &SaRecord) -> Result<Option<Self>, Errno> {
        if rec.satype != SaType::ESP.0 || rec.state == SaState::Larval {
            return Ok(None);
        }
        let enc = rec.enc_alg().ok_or(Errno::EINVAL)?;
        let auth = rec.auth_alg().filter(|a| a.id != 0 && !enc.aead);
        let name = esp::crypto_name(enc, auth, rec.esn)
            .to_buf()
            .map_err(|_| Errno::EINVAL)?;
        let mut tfm = AeadTfm::new(name.as_cstr()).map_err(errno)?;
        match esp::crypto_name(enc, auth, rec.esn) {
            CryptoName::Aead(_) => tfm.set_key(rec.enc_key.as_bytes()),
            CryptoName::Authenc { .. } => {
                let blob = AuthencKey::new(rec.auth_key.as_bytes(), rec.enc_key.as_bytes())
                    .map_err(|_| Errno::EINVAL)?;
                tfm.set_key(blob.as_bytes())
            }
        }
        .map_err(errno)?;
        let icv = u32::try_from(esp::icv_len(enc, auth)).map_err(|_| Errno::EINVAL)?;
        tfm.set_authsize(icv).map_err(errno)?;
        Ok(Some(Self {
            key: rec.key(),
            mode: rec.mode,
            reqid: rec.reqid,
            tfm,
        }))
    }
}

/// The ESP SAs of a namespace, as the datapath sees them.
pub(crate) struct DpSas {
    tree: RBTree<SaKey, Arc<DpSa>>,
    count: usize,
}

/// A node allocated outside the lock, to insert under it.
pub(crate) struct Prepared(RBTreeNode<SaKey, Arc<DpSa>>);

impl DpSas {
    /// No SAs.
    pub(crate) fn new() -> Self {
        Self {
            tree: RBTree::new(),
            count: 0,
        }
    }

    /// Allocates the node for `sa` (may sleep: call without the lock).
    pub(crate) fn prepare(sa: DpSa) -> Result<Prepared, Errno> {
        let key = sa.key;
        let sa = Arc::new(sa, GFP_KERNEL).map_err(|_| Errno::ENOMEM)?;
        let node = RBTreeNode::new(key, sa, GFP_KERNEL).map_err(|_| Errno::ENOMEM)?;
        Ok(Prepared(node))
    }

    /// Inserts or replaces; returns the replaced SA, for the caller to drop
    /// after unlocking.
    pub(crate) fn insert(&mut self, p: Prepared) -> Option<RBTreeNode<SaKey, Arc<DpSa>>> {
        let old = self.tree.insert(p.0);
        if old.is_none() {
            self.count += 1;
        }
        old
    }

    /// Removes `key`; returns the SA, for the caller to drop after
    /// unlocking.
    pub(crate) fn remove(&mut self, key: &SaKey) -> Option<Arc<DpSa>> {
        let old = self.tree.remove(key);
        if old.is_some() {
            self.count -= 1;
        }
        old
    }

    /// Whether an ESP SA to `dst` in `mode` exists (with `reqid`, when
    /// given: level unique): what an outbound request needs.
    pub(crate) fn has_outbound(&mut self, dst: &Addr, mode: u8, reqid: Option<u32>) -> bool {
        let start = SaKey {
            satype: SaType::ESP.0,
            dst: *dst,
            spi: 0,
        };
        let Some(mut cursor) = self.tree.cursor_lower_bound_mut(&start) else {
            return false;
        };
        loop {
            let (k, sa) = cursor.current();
            if k.satype != SaType::ESP.0 || k.dst != *dst {
                return false;
            }
            if sa.mode == mode && reqid.is_none_or(|r| r == sa.reqid) {
                return true;
            }
            let Some(next) = cursor.move_next() else {
                return false;
            };
            cursor = next;
        }
    }

    /// Whether the ESP SA (`dst`, `spi`) exists.
    pub(crate) fn has_inbound(&self, dst: &Addr, spi: u32) -> bool {
        let key = SaKey {
            satype: SaType::ESP.0,
            dst: *dst,
            spi,
        };
        self.tree.get(&key).is_some()
    }

    /// How many SAs.
    pub(crate) fn len(&self) -> usize {
        self.count
    }
}
