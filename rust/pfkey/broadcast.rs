// SPDX-License-Identifier: GPL-2.0

//! Who receives a PF_KEY message (RFC 2367 section 3.1; af_key's
//! BROADCAST_*): one socket, all, the registered ones, and promiscuous
//! sockets a copy of everything.

use core::sync::atomic::Ordering;

use kernel::prelude::*;

use crate::glue::socket::{Datagram, SocketList};

use super::sock::{PfKey, PfSock};

/// Who receives a message. Promiscuous sockets additionally get a copy of
/// everything.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Audience {
    /// Only the socket passed as `one`.
    One,
    /// Every PF_KEY socket of the namespace.
    All,
    /// Sockets registered for any SA type, plus `one`.
    Registered,
    /// Only promiscuous sockets.
    PromiscOnly,
}

/// Sends `bytes` to `audience` among `sockets` (and to every promiscuous
/// socket). Sockets whose receive buffer is full miss the message, as in
/// af_key. With [`Audience::Registered`], fails with `ESRCH` when no
/// socket got it.
pub(crate) fn broadcast(
    sockets: &SocketList<PfKey>,
    bytes: &[u8],
    audience: Audience,
    one: Option<PfSock<'_>>,
) -> Result {
    let dgram = Datagram::new(bytes)?;
    let mut delivered = false;
    sockets.for_each(|sock| {
        let state = sock.data();
        let is_one = one.is_some_and(|o| o.same(&sock));
        if state.promisc.load(Ordering::Relaxed) {
            let _ = sock.queue(&dgram);
        }
        let wanted = !is_one
            && match audience {
                Audience::All => true,
                Audience::Registered => state.registered.load(Ordering::Relaxed) != 0,
                Audience::One | Audience::PromiscOnly => false,
            };
        if wanted && sock.queue(&dgram).is_ok() {
            delivered = true;
        }
    });
    if let Some(one) = one {
        if audience != Audience::PromiscOnly {
            one.queue(&dgram)?;
            delivered = true;
        }
    }
    if audience == Audience::Registered && !delivered {
        return Err(ESRCH);
    }
    Ok(())
}
