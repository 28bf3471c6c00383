// SPDX-License-Identifier: GPL-2.0

//! PF_KEY as a socket family: the entry points `glue::socket` calls when
//! a PF_KEY socket is created, written to or read from.

use core::sync::atomic::{AtomicBool, AtomicU32};

use kernel::ffi::c_int;
use kernel::prelude::*;
use kernel::sync::new_mutex;

use crate::glue::socket::{SocketFamily, SocketList};

use super::dump;
use super::requests::process;
use super::sock::{PfKey, PfSock, SockState};
use super::state::NetPfkey;

impl SocketFamily for PfKey {
    const NAME: &'static str = "PF_KEY";
    /// `PF_KEY_V2`.
    const PROTOCOL: c_int = 2;
    const RIVAL: &'static str = "af_key";

    type SockData = SockState;
    type NetData = NetPfkey;

    fn new_sock_data() -> impl PinInit<SockState> {
        pin_init!(SockState {
            registered: AtomicU32::new(0),
            promisc: AtomicBool::new(false),
            dump <- new_mutex!(None),
        })
    }

    fn sockets(net: &NetPfkey) -> &SocketList<PfKey> {
        &net.sockets
    }

    fn sendmsg(net: &NetPfkey, sock: PfSock<'_>, bytes: &[u8]) -> Result {
        process(net, sock, bytes)
    }

    fn recvmsg_done(net: &NetPfkey, sock: PfSock<'_>) {
        dump::step(sock, net);
    }
}
