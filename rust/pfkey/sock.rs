// SPDX-License-Identifier: GPL-2.0

//! What a PF_KEY socket is and keeps: its registrations, whether it is
//! promiscuous, and the dump it is reading.

use core::sync::atomic::{AtomicBool, AtomicU32};

use kernel::prelude::*;
use kernel::sync::Mutex;

use crate::glue::socket::Sock;
use crate::ipsec_core::pfkey::{MsgHeader, SaType};
use crate::ipsec_core::sadb::SaKey;

/// The PF_KEY v2 socket family (RFC 2367).
pub(crate) struct PfKey;

/// A PF_KEY socket.
pub(crate) type PfSock<'a> = Sock<'a, PfKey>;

/// What rust_ipsec keeps per PF_KEY socket.
#[pin_data]
pub(crate) struct SockState {
    /// Bit `1 << satype` for every SA type the socket registered for.
    pub(crate) registered: AtomicU32,
    /// Whether the socket sees every message (`SADB_X_PROMISC`).
    pub(crate) promisc: AtomicBool,
    /// A dump in progress, continued as the reader drains the socket.
    #[pin]
    pub(crate) dump: Mutex<Option<Dump>>,
}

/// What is being dumped.
#[derive(Clone, Copy)]
pub(crate) enum DumpKind {
    /// SAs of one type (all for UNSPEC).
    Sas(SaType),
    /// Every policy.
    Policies,
}

/// Where the walk stands.
pub(crate) enum Cursor {
    Start,
    Sa(SaKey),
    Policy(u32),
}

/// A dump in progress on one socket.
pub(crate) struct Dump {
    pub(crate) kind: DumpKind,
    pub(crate) cursor: Cursor,
    /// The request's header: replies copy its pid and satype.
    pub(crate) req: MsgHeader,
    /// Entries sent so far.
    pub(crate) count: u32,
    /// The oldest entry built and not sent yet.
    pub(crate) pending: Option<KVec<u8>>,
    /// The entry after `pending`, when sending `pending` failed.
    pub(crate) lookahead: Option<KVec<u8>>,
    /// The walk has no entry after `pending`.
    pub(crate) at_end: bool,
}
