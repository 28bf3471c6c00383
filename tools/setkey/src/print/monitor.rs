// SPDX-License-Identifier: GPL-2.0

//! `setkey -x`: one message seen on a promiscuous socket, as setkey's
//! `promisc()` (`src/setkey/setkey.c`) prints it: the time stamp line,
//! with `-H` the raw bytes, then `kdebug_sadb` of the message (of the
//! message inside, for an `SADB_X_PROMISC` wrapper) and a blank line.

use ipsec_core::pfkey::consts::MsgType;
use ipsec_core::pfkey::message::MSG_HDR_LEN;
use ipsec_core::pfkey::parse_header;

use super::{hex, kdebug, time, PrintOptions};

/// The message `kdebug_sadb` is given: past the `SADB_X_PROMISC` header
/// of a wrapper, nothing for a bare `SADB_X_PROMISC`, else `bytes`.
fn payload(bytes: &[u8]) -> Option<&[u8]> {
    match parse_header(&super::check::split_reserved(bytes).0) {
        Ok(h) if h.msg_type == MsgType::X_PROMISC => {
            bytes.get(MSG_HDR_LEN..).filter(|b| !b.is_empty())
        }
        _ => Some(bytes),
    }
}

/// Prints one received message; `hex` is setkey's `-H`.
pub fn message(bytes: &[u8], opts: &PrintOptions, hex: bool, out: &mut String) {
    time::stamp_line(opts.stamp, opts.now, opts.now_usec, opts.stamp_zone, out);
    if hex {
        hex::lines(bytes, out);
    }
    if let Some(m) = payload(bytes) {
        kdebug::dump(m, out);
        out.push('\n');
    }
}
