// SPDX-License-Identifier: GPL-2.0

//! SADB_DUMP and SADB_X_SPDDUMP that never truncate.
//!
//! A dump sends one message per entry to the requesting socket while its
//! receive queue has room (af_key's `3 * rmem <= 2 * rcvbuf`), then pauses;
//! every `recvmsg` on the socket continues it. The last message is held
//! back until the walk ends, so it can carry `sadb_msg_seq` 0, the end
//! marker setkey waits for. The walk position is the last entry's key, so
//! entries added or removed meanwhile neither break nor repeat the walk.
//! SAs come in key order (SA type, destination, SPI); policies newest
//! first, as af_key lists them.

use kernel::prelude::*;

use super::broadcast::{broadcast, Audience};
use super::encode::encode;
use super::sock::{Cursor, Dump, DumpKind, PfSock};
use crate::ipsec_core::errno::Errno;
use crate::ipsec_core::pfkey::{MsgHeader, MsgType, SaType};

use super::state::NetPfkey;

/// Starts a dump for `sock`; `EBUSY` if one is running, `ENOENT` if there
/// is nothing to dump.
pub(crate) fn start(
    sock: PfSock<'_>,
    net: &NetPfkey,
    kind: DumpKind,
    req: MsgHeader,
) -> Result<(), Errno> {
    if let DumpKind::Sas(t) = kind {
        if t.proto().is_none() {
            return Err(Errno::EINVAL);
        }
    }
    {
        let mut slot = sock.data().dump.lock();
        if slot.is_some() {
            return Err(Errno::EBUSY);
        }
        let mut dump = Dump {
            kind,
            cursor: Cursor::Start,
            req,
            count: 0,
            pending: None,
            lookahead: None,
            at_end: false,
        };
        let first = dump.next_entry(net)?.ok_or(Errno::ENOENT)?;
        dump.pending = Some(first);
        *slot = Some(dump);
    }
    step(sock, net);
    Ok(())
}

impl Dump {
    /// Builds the entry after the cursor into a new buffer, advancing the
    /// cursor; `None` at the end.
    fn next_entry(&mut self, net: &NetPfkey) -> Result<Option<KVec<u8>>, Errno> {
        let seq = self.count.wrapping_add(1);
        let mut db = net.db.lock();
        let pid = self.req.pid;
        let found = match (self.kind, &self.cursor) {
            (DumpKind::Sas(satype), c) => {
                let after = match c {
                    Cursor::Sa(k) => Some(k),
                    _ => None,
                };
                db.next_sa(after, satype, |rec| {
                    let hdr = MsgHeader::new(MsgType::DUMP, rec.satype, seq, pid);
                    // With the datapath's live counters in CURRENT.
                    let mut rec = rec.clone();
                    net.sync_usage(&mut rec);
                    encode(|w| rec.write(w, &hdr, true))
                })
                .map(|(key, msg)| (Cursor::Sa(key), msg))
            }
            (DumpKind::Policies, c) => {
                let after = match c {
                    Cursor::Policy(id) => Some(*id),
                    _ => None,
                };
                db.prev_policy(after, |rec| {
                    let hdr = MsgHeader::new(MsgType::X_SPDDUMP, SaType::UNSPEC, seq, pid);
                    encode(|w| rec.write(w, &hdr))
                })
                .map(|(id, msg)| (Cursor::Policy(id), msg))
            }
        };
        drop(db);
        let Some((cursor, msg)) = found else {
            return Ok(None);
        };
        let msg = msg?;
        self.cursor = cursor;
        self.count = seq;
        Ok(Some(msg))
    }
}

/// Sets `sadb_msg_seq` (bytes 8..12) of an encoded message.
fn set_seq(msg: &mut [u8], seq: u32) {
    if let Some(field) = msg.get_mut(8..12) {
        field.copy_from_slice(&seq.to_ne_bytes());
    }
}

/// Sends what the socket has room for; ends the dump after its last entry.
pub(crate) fn step(sock: PfSock<'_>, net: &NetPfkey) {
    let mut slot = sock.data().dump.lock();
    let Some(dump) = &mut *slot else {
        return;
    };
    while has_room_for_dump(sock) {
        // The entry after `pending` decides whether `pending` is the last.
        let next = match dump.lookahead.take() {
            Some(n) => Some(n),
            None if dump.at_end => None,
            None => match dump.next_entry(net) {
                Ok(n) => n,
                // Out of memory: try again on the next recvmsg.
                Err(_) => return,
            },
        };
        dump.at_end = next.is_none();
        let Some(mut msg) = dump.pending.take() else {
            // Nothing built yet (the first round).
            match next {
                Some(n) => {
                    dump.pending = Some(n);
                    continue;
                }
                None => {
                    *slot = None;
                    return;
                }
            }
        };
        if dump.at_end {
            set_seq(&mut msg, 0);
        }
        if broadcast(&net.sockets, &msg, Audience::One, Some(sock)).is_err() {
            // The queue filled up under us (or no memory): keep both
            // messages for the next round.
            dump.pending = Some(msg);
            dump.lookahead = next;
            return;
        }
        match next {
            Some(n) => dump.pending = Some(n),
            None => {
                *slot = None;
                return;
            }
        }
    }
}

/// Whether the receive queue has room to continue a dump: af_key's
/// `3 * rmem <= 2 * rcvbuf`.
fn has_room_for_dump(sock: PfSock<'_>) -> bool {
    let (rmem, rcvbuf) = sock.receive_queue();
    i64::from(rmem) * 3 <= i64::from(rcvbuf) * 2
}
