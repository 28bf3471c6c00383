// SPDX-License-Identifier: GPL-2.0

//! SADB_ACQUIRE: the datapath asks for an SA it needs and has not got.
//!
//! The request is recorded in the namespace's acquisition table (the
//! core's `Acquires`, behind a BH spinlock: the datapath runs in softirq)
//! and the expiry work is kicked; the work sends the SADB_ACQUIRE to the
//! registered sockets (and promiscuous ones) from process context. The
//! table rate-limits: one ACQUIRE per SA per 30 s. A daemon that fails
//! to negotiate says so with an SADB_ACQUIRE carrying an errno and the
//! acquisition's seq, which blocks new ACQUIREs for another 30 s (KAME).

use super::broadcast::{broadcast, Audience};
use crate::glue::clock;
use crate::ipsec_core::acquire::{write_acquire, AcquireRequest, Asked};
use crate::ipsec_core::errno::Errno;
use crate::ipsec_core::pfkey::MsgHeader;

use super::encode::encode;
use super::state::NetPfkey;

impl NetPfkey {
    /// The datapath needs `req` (any context).
    pub(crate) fn request_acquire(&self, req: AcquireRequest) -> Asked {
        let asked = self.acquires.lock().ask(req, clock::now_seconds());
        if asked == Asked::New {
            self.expiry.schedule_in(0);
        }
        asked
    }

    /// Sends the ACQUIREs not sent yet (process context).
    pub(crate) fn announce_acquires(&self) {
        loop {
            let Some(e) = self.acquires.lock().next_unannounced() else {
                return;
            };
            // Out of memory or nobody registered: the acquisition still
            // blocks, and the next one after it is asked again.
            if let Ok(m) = encode(|w| write_acquire(w, &e)) {
                let _ = broadcast(&self.sockets, &m, Audience::Registered, None);
            }
        }
    }

    /// How many acquisitions are in progress.
    pub(crate) fn acquiring(&self) -> usize {
        self.acquires.lock().live(clock::now_seconds())
    }

    /// An SADB_ACQUIRE from a daemon: with `sadb_msg_errno` set it reports
    /// that acquisition `seq` failed. Nothing is sent back (af_key).
    pub(crate) fn acquire_from_daemon(&self, hdr: &MsgHeader) -> Result<(), Errno> {
        if hdr.errno != 0 {
            self.acquires.lock().failed(hdr.seq, clock::now_seconds());
        }
        Ok(())
    }
}
