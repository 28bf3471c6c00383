// SPDX-License-Identifier: GPL-2.0

//! What each PF_KEY message from userspace does to the SADB and SPD, and
//! who hears about it.

use core::sync::atomic::Ordering;

use kernel::prelude::*;

use crate::datapath::tables::DpTables;
use crate::glue::clock;
use crate::glue::ratelimit::pr_info_ratelimited;
use crate::glue::socket::SocketList;
use crate::ipsec_core::algs::{self, AlgKind};
use crate::ipsec_core::errno::Errno;
use crate::ipsec_core::pfkey::ext::{AddressKind, Supported, SupportedKind};
use crate::ipsec_core::pfkey::{
    check_required, parse, parse_header, ExtType, Message, MsgHeader, MsgType, ParseError, SaType,
    Writer,
};
use crate::ipsec_core::sadb::{self, SaRecord, SaState};
use crate::ipsec_core::spd::{self, PolicyRecord};
use crate::ipsec_core::usage::SaUsage;

use super::broadcast::{broadcast, Audience};
use super::db::errno_of;
use super::dump;
use super::encode::encode;
use super::sock::{DumpKind, PfKey, PfSock};
use super::state::NetPfkey;

/// Handles one message written by `sender`.
pub(crate) fn process(net: &NetPfkey, sender: PfSock<'_>, bytes: &[u8]) -> Result {
    // A bad fixed header fails sendmsg itself, with no reply (af_key).
    let req = parse_header(bytes).map_err(|e| Error::from_errno(-e.errno.0))?;
    let sockets = &net.sockets;
    // Promiscuous sockets see every request as it was sent.
    let _ = broadcast(sockets, bytes, Audience::PromiscOnly, None);
    let result = parse(bytes)
        .and_then(|m| {
            if m.has(ExtType::X_SEC_CTX) {
                // Security labels need an LSM hook we do not have: refuse
                // rather than ignore them.
                Err(ParseError::new(
                    Errno::EOPNOTSUPP,
                    "X_SEC_CTX: security contexts are not supported",
                ))
            } else if handled(m.msg_type()) {
                check_required(&m).map(|()| m)
            } else {
                // Known but not handled (MIGRATE, NAT-T mapping, EXPIRE
                // from userspace, ...): say so, whatever it carries.
                Err(ParseError::new(
                    Errno::EOPNOTSUPP,
                    "message type not supported",
                ))
            }
        })
        .map_err(|e| {
            pr_info_ratelimited!(
                "PF_KEY message refused: {} (errno {})\n",
                e.reason,
                e.errno.0
            );
            e.errno
        })
        .and_then(|msg| dispatch(sender, net, &msg));
    net.note_tables(&net.db.lock());
    if let Err(errno) = result {
        let reply = crate::ipsec_core::pfkey::error_reply(&req, errno);
        let _ = broadcast(sockets, &reply, Audience::One, Some(sender));
    }
    Ok(())
}

/// Whether `dispatch` handles messages of type `t` from userspace.
fn handled(t: MsgType) -> bool {
    !matches!(
        t,
        MsgType::EXPIRE
            | MsgType::X_PCHANGE
            | MsgType::X_SPDACQUIRE
            | MsgType::X_SPDEXPIRE
            | MsgType::X_NAT_T_NEW_MAPPING
            | MsgType::X_MIGRATE
    )
}

fn dispatch(sender: PfSock<'_>, net: &NetPfkey, msg: &Message<'_>) -> Result<(), Errno> {
    let sockets = &net.sockets;
    let ctx = Ctx {
        sender,
        sockets,
        net,
        req: *msg.header(),
    };
    match msg.msg_type() {
        MsgType::REGISTER => ctx.register(),
        MsgType::GETSPI => ctx.getspi(msg),
        MsgType::ADD => ctx.add(msg, false),
        MsgType::UPDATE => ctx.add(msg, true),
        MsgType::DELETE => ctx.delete(msg),
        MsgType::GET => ctx.get(msg),
        MsgType::FLUSH => ctx.flush(),
        MsgType::DUMP => dump::start(sender, net, DumpKind::Sas(msg.satype()), ctx.req),
        MsgType::X_PROMISC => ctx.promisc(msg),
        MsgType::ACQUIRE => net.acquire_from_daemon(&ctx.req),
        MsgType::X_SPDADD | MsgType::X_SPDSETIDX => ctx.spdadd(msg, false),
        MsgType::X_SPDUPDATE => ctx.spdadd(msg, true),
        MsgType::X_SPDDELETE => ctx.spddelete(msg),
        MsgType::X_SPDGET => ctx.spdget(msg, false),
        MsgType::X_SPDDELETE2 => ctx.spdget(msg, true),
        MsgType::X_SPDDUMP => dump::start(sender, net, DumpKind::Policies, ctx.req),
        MsgType::X_SPDFLUSH => ctx.spdflush(),
        _ => Err(Errno::EOPNOTSUPP),
    }
}

/// One request being handled.
struct Ctx<'a> {
    sender: PfSock<'a>,
    sockets: &'a SocketList<PfKey>,
    net: &'a NetPfkey,
    req: MsgHeader,
}

impl Ctx<'_> {
    /// Builds a message with `build` and sends it to `audience`.
    fn send(
        &self,
        audience: Audience,
        build: impl FnOnce(&mut Writer<'_>) -> Result<(), Errno>,
    ) -> Result<(), Errno> {
        let buf = encode(build)?;
        broadcast(self.sockets, &buf, audience, Some(self.sender)).map_err(errno_of)
    }

    fn register(&self) -> Result<(), Errno> {
        let satype = self.req.satype;
        if satype > SaType::MAX {
            return Err(Errno::EINVAL);
        }
        if satype != SaType::UNSPEC {
            let bit = 1u32 << satype.0;
            let old = self
                .sender
                .data()
                .registered
                .fetch_or(bit, Ordering::Relaxed);
            if old & bit != 0 {
                return Err(Errno::EEXIST);
            }
        }
        let hdr = self.req;
        self.send(Audience::Registered, |w| {
            w.header(&hdr)?;
            for (kind, ak) in [
                (SupportedKind::Auth, AlgKind::Auth),
                (SupportedKind::Encrypt, AlgKind::Encrypt),
            ] {
                if satype == SaType::AH && ak == AlgKind::Encrypt {
                    continue;
                }
                w.supported(kind, &Supported::default(), &[])?;
                for a in algs::algs(ak) {
                    w.alg(&a.sadb_alg())?;
                }
            }
            Ok(())
        })
    }

    fn getspi(&self, msg: &Message<'_>) -> Result<(), Errno> {
        let (min, max) = sadb::spi_range(msg)?;
        let now = clock::now_seconds();
        let mut db = self.net.db.lock();
        let span = max - min;
        // Random probes, then a linear sweep from a random start: finds a
        // free SPI whenever one exists.
        let start = min
            + if span == u32::MAX {
                clock::random_u32()
            } else {
                clock::random_u32() % (span + 1)
            };
        let mut rec = SaRecord::larval(msg, start, now)?;
        let mut found = false;
        for _ in 0..=span.min(1 << 16) {
            if db.sas.get(&rec.key()).is_none() {
                found = true;
                break;
            }
            rec.spi = if rec.spi == max { min } else { rec.spi + 1 };
        }
        if !found {
            return Err(Errno::EAGAIN);
        }
        let hdr = self.req;
        db.insert_sa(rec.clone())?;
        self.net.arm_expiry(&mut db, rec.next_deadline());
        drop(db);
        self.send(Audience::One, |w| rec.write(w, &hdr, false))
    }

    fn add(&self, msg: &Message<'_>, update: bool) -> Result<(), Errno> {
        let now = clock::now_seconds();
        let mut rec = SaRecord::from_add(msg, now)?;
        // The crypto API checks algorithm and key before anything changes
        // (allocating a transform may sleep: no lock held).
        let prepared = DpTables::prepare_sa(&rec)?;
        let mut db = self.net.db.lock();
        let key = rec.key();
        // The UPDATE of a mature SA goes on with its counters, sequence
        // numbers and replay window (a NAT re-mapped, say).
        let mut continued = false;
        if update {
            let old = db.sas.get_mut(&key).ok_or(Errno::ENOENT)?;
            if old.state != SaState::Larval {
                continued = true;
                // A mature SA keeps its counters across an update.
                self.net.sync_usage(old);
                rec.current = old.current;
                if let Some(p) = &prepared {
                    p.set_usage(SaUsage::from_current(&rec.current));
                }
            }
            *old = rec.clone();
        } else {
            db.insert_sa(rec.clone())?;
        }
        self.net.dp_install(prepared, continued);
        self.net
            .acquires
            .lock()
            .satisfied(rec.satype, &rec.src.addr(), &rec.dst.addr());
        self.net.arm_expiry(&mut db, rec.next_deadline());
        drop(db);
        let hdr = self.req;
        // RFC 2367 2.3.x: the reply to ADD/UPDATE carries no keys.
        self.send(Audience::All, |w| rec.write(w, &hdr, false))
    }

    /// The SADB key a GET or DELETE names: (SA type, destination, SPI).
    fn find_key(msg: &Message<'_>) -> Result<sadb::SaKey, Errno> {
        let sa = msg.sa().ok_or(Errno::EINVAL)?;
        let dst = msg.address(AddressKind::Dst).ok_or(Errno::EINVAL)?;
        Ok(sadb::SaKey {
            satype: msg.satype(),
            dst: dst.addr(),
            spi: sa.spi,
        })
    }

    fn delete(&self, msg: &Message<'_>) -> Result<(), Errno> {
        let key = Self::find_key(msg)?;
        let mut db = self.net.db.lock();
        let mut rec = db.sas.remove(&key).ok_or(Errno::ENOENT)?;
        self.net.dp_remove(&key);
        drop(db);
        // The broadcast shows the SA as it now is: dead (as af_key).
        rec.state = SaState::Dead;
        let hdr = self.req;
        self.send(Audience::All, |w| rec.write(w, &hdr, false))
    }

    fn get(&self, msg: &Message<'_>) -> Result<(), Errno> {
        let key = Self::find_key(msg)?;
        let rec = {
            let mut db = self.net.db.lock();
            let rec = db.sas.get_mut(&key).ok_or(Errno::ENOENT)?;
            self.net.sync_usage(rec);
            rec.clone()
        };
        let hdr = self.req;
        self.send(Audience::One, |w| rec.write(w, &hdr, true))
    }

    fn flush(&self) -> Result<(), Errno> {
        let satype = self.req.satype;
        if satype.proto().is_none() {
            return Err(Errno::EINVAL);
        }
        self.net
            .db
            .lock()
            .flush_sas(satype, |key| self.net.dp_remove(key));
        let hdr = self.req;
        self.send(Audience::All, |w| w.header(&hdr))
    }

    fn promisc(&self, msg: &Message<'_>) -> Result<(), Errno> {
        let on = match self.req.satype.0 {
            0 => false,
            1 => true,
            _ => return Err(Errno::EINVAL),
        };
        self.sender.data().promisc.store(on, Ordering::Relaxed);
        let bytes = msg.as_bytes();
        broadcast(self.sockets, bytes, Audience::All, Some(self.sender)).map_err(errno_of)
    }

    fn spdadd(&self, msg: &Message<'_>, update: bool) -> Result<(), Errno> {
        let mut rec = PolicyRecord::from_message(msg, clock::now_seconds())?;
        let mut db = self.net.db.lock();
        rec.assign_reqids(&mut db.auto_reqid);
        match db.find_policy_index(&rec) {
            Some(id) if update => {
                rec.id = id;
                let node = DpTables::prepare_policy(&rec)?;
                if let Some(p) = db.policies.get_mut(&id) {
                    rec.created = p.created;
                    let old = *p;
                    *p = rec;
                    self.net.dp_policy_install(Some(&old), node);
                }
            }
            Some(_) => return Err(Errno::EEXIST),
            None => {
                let index = db.next_policy_index;
                db.next_policy_index = index.wrapping_add(1).max(1);
                rec.id = spd::policy_id(index, rec.dir);
                let node = DpTables::prepare_policy(&rec)?;
                db.insert_policy(rec)?;
                self.net.dp_policy_install(None, node);
            }
        }
        self.net.arm_expiry(&mut db, rec.next_deadline());
        drop(db);
        let hdr = self.req;
        self.send(Audience::All, |w| rec.write(w, &hdr))
    }

    fn spddelete(&self, msg: &Message<'_>) -> Result<(), Errno> {
        let probe = PolicyRecord::index_from_message(msg)?;
        let mut db = self.net.db.lock();
        let id = db.find_policy_index(&probe).ok_or(Errno::ENOENT)?;
        let rec = db.remove_policy(id).ok_or(Errno::ENOENT)?;
        self.net.dp_policy_remove(&rec);
        drop(db);
        let hdr = self.req;
        self.send(Audience::All, |w| rec.write(w, &hdr))
    }

    fn spdget(&self, msg: &Message<'_>, delete: bool) -> Result<(), Errno> {
        let id = msg.x_policy().ok_or(Errno::EINVAL)?.policy.id;
        let mut db = self.net.db.lock();
        let rec = if delete {
            db.remove_policy(id)
        } else {
            db.policies.get(&id).cloned()
        }
        .ok_or(Errno::ENOENT)?;
        if delete {
            self.net.dp_policy_remove(&rec);
        }
        drop(db);
        let hdr = self.req;
        let audience = if delete { Audience::All } else { Audience::One };
        self.send(audience, |w| rec.write(w, &hdr))
    }

    fn spdflush(&self) -> Result<(), Errno> {
        let mut db = self.net.db.lock();
        db.flush_policies();
        self.net.dp_flush_policies();
        drop(db);
        let hdr = self.req;
        self.send(Audience::All, |w| w.header(&hdr))
    }
}
