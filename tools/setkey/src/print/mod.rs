// SPDX-License-Identifier: GPL-2.0

//! `setkey -D`, `-DP`, `-x` and `-v` output, byte for byte as ipsec-tools
//! 0.8/0.9 on Linux prints it, from PF_KEY message bytes.
//!
//! One function per kind of reply; each appends to a `String` and never
//! panics: a message libipsec would refuse prints the line ipsec-tools
//! prints instead (its `ipsec_strerror()` word), and a message the core
//! parser refuses prints that word or a one-line note.
//!
//! - [`sa`]: an `SADB_DUMP` / `SADB_GET` reply (ipsec-tools'
//!   `pfkey_sadump`); [`sa_short`] and [`SA_SHORT_HEADER`] for `-D -l`;
//! - [`policy`]: an `SADB_X_SPDDUMP` / `SADB_X_SPDGET` reply
//!   (`pfkey_spdump`, `ipsec_dump_policy`);
//! - [`monitor`]: one message of `setkey -x` (`promisc()`, `kdebug_sadb`);
//!   [`debug`] is `kdebug_sadb` alone, for `-v`, and [`hexdump`] the `-H`
//!   dump;
//! - [`reply`] dispatches a reply as setkey's `postproc` does;
//!   [`error_message`] and [`error_line`] are the texts of error replies
//!   (`No SAD entries.`, `No SPD entries.`, `No entry.`, `strerror`).
//!
//! Differences from ipsec-tools, all for rust_ipsec's additions:
//!
//! - algorithm ids ipsec-tools has no word for but rust_ipsec implements
//!   print as setkey's grammar spells them (`aes-gcm-16`, `aes-ccm-8`,
//!   `aes-gmac`, `chacha20-poly1305`, `aes-cmac`); other unknown ids
//!   print as numbers, as in ipsec-tools;
//! - `replay=` shows `SADB_X_EXT_SA_REPLAY`'s window when the message has
//!   one (ipsec-tools would refuse the whole message: "Invalid extension
//!   type");
//! - `-x` prints `SADB_X_EXT_SA_REPLAY` as `sadb_x_sa_replay{ replay=N }`.

mod addr;
mod check;
mod errors;
mod hex;
mod kdebug;
mod monitor;
mod names;
mod policy;
mod sad;
mod sec_ctx;
mod short;
mod spd;
mod time;

use ipsec_core::pfkey::consts::MsgType;
use ipsec_core::pfkey::parse_header;
use ipsec_core::pfkey::Errno;

pub use errors::strerror;
pub use time::{Stamp, TimeZone};

/// The header line of `setkey -D -l` (`shortdump_hdr`), newline included.
pub const SA_SHORT_HEADER: &str = "time p   s spi      ltime   src -> dst\n";

/// What the output depends on besides the message: setkey's flags and the
/// clock.
///
/// ipsec-tools reads the clock itself (`time(0)`, `gettimeofday`) and
/// shows dates in local time through `ctime(3)`; here both are given, so
/// that output can be tested: [`PrintOptions::system`] is what the
/// `setkey` binary uses, [`PrintOptions::at`] a fixed clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrintOptions {
    /// `-a`: show DEAD SAs in a dump (setkey hides them by default).
    pub show_dead: bool,
    /// `-p`: print ports with SA addresses and policy tunnel endpoints
    /// (`pfkey_sadump_withports`, `ipsec_dump_policy_withports`).
    pub with_ports: bool,
    /// Hide per-socket policies in `-DP` (`pfkey_spdump_filter_socket_policy`
    /// of ipsec-tools 0.9's `-DPN`).
    pub hide_socket_policies: bool,
    /// Now, in seconds since the epoch: an SA's `current:` and `diff:`,
    /// and the `-x` stamp.
    pub now: i64,
    /// The microseconds of `now`, for the `-x` stamp.
    pub now_usec: u32,
    /// The zone dates (`created:`, `current:`, `last:`, `lastused:`) are
    /// shown in.
    pub tz: TimeZone,
    /// The `-x` stamp: [`Stamp::Clock`] for `-x`, [`Stamp::Unix`] for
    /// `-xx`.
    pub stamp: Stamp,
    /// The offset from UTC, in seconds, of [`Stamp::Clock`] stamps: setkey
    /// takes it once when it starts (`gmt2local`), see
    /// [`PrintOptions::system`].
    pub stamp_zone: i64,
}

impl PrintOptions {
    /// Options for a fixed clock: `now` seconds since the epoch, dates in
    /// `tz`, no flags.
    pub fn at(now: i64, tz: TimeZone) -> Self {
        PrintOptions {
            show_dead: false,
            with_ports: false,
            hide_socket_policies: false,
            now,
            now_usec: 0,
            tz,
            stamp: Stamp::Clock,
            stamp_zone: time::zone_offset(now, tz),
        }
    }

    /// Options for the process's clock and local time zone (as
    /// ipsec-tools): call it once at start, then [`PrintOptions::tick`]
    /// before each message.
    pub fn system() -> Self {
        let (now, usec) = wall_clock();
        PrintOptions {
            now_usec: usec,
            ..PrintOptions::at(now, TimeZone::Local)
        }
    }

    /// Sets `now` and `now_usec` to the wall clock, keeping the rest
    /// ([`PrintOptions::stamp_zone`] included, as setkey does).
    pub fn tick(&mut self) {
        (self.now, self.now_usec) = wall_clock();
    }
}

/// Seconds and microseconds since the epoch.
fn wall_clock() -> (i64, u32) {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => (
            i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            d.subsec_micros(),
        ),
        Err(_) => (0, 0),
    }
}

/// `setkey -D` / `get`: one `SADB_DUMP` or `SADB_GET` reply appended to
/// `out` (ipsec-tools' `pfkey_sadump`). A DEAD SA in a dump prints nothing
/// unless [`PrintOptions::show_dead`].
///
/// The `replay=` field is `sadb_sa_replay`, as ipsec-tools prints it,
/// unless the message carries `SADB_X_EXT_SA_REPLAY` (type 27, rust_ipsec's
/// replay windows over 255 packets; `sadb_sa_replay` then says 255): then
/// it is that extension's window, so the field always shows the window
/// the SA has. ESN (`sadb_sa_flags` bit 0x400) shows in `flags=`, as every
/// flag does.
pub fn sa(msg: &[u8], opts: &PrintOptions, out: &mut String) {
    sad::dump(msg, opts, out);
}

/// `setkey -D -l`: one `SADB_DUMP` reply as a line under
/// [`SA_SHORT_HEADER`] (setkey's `shortdump`).
pub fn sa_short(msg: &[u8], opts: &PrintOptions, out: &mut String) {
    short::line(msg, opts, out);
}

/// `setkey -DP`: one `SADB_X_SPDDUMP` or `SADB_X_SPDGET` reply appended to
/// `out` (ipsec-tools' `pfkey_spdump`).
pub fn policy(msg: &[u8], opts: &PrintOptions, out: &mut String) {
    spd::dump(msg, opts, out);
}

/// `setkey -x`: one message as read from the promiscuous socket (an
/// `SADB_X_PROMISC` wrapper is looked through, as setkey does): the time
/// stamp line ([`PrintOptions::stamp`]; `-xx` is [`Stamp::Unix`]), with
/// `hex` the raw bytes as `-H` dumps them, then the message field by field
/// and a blank line.
///
/// In ipsec-tools `-xx` only changes the stamp; the hex dump is `-H`.
pub fn monitor(msg: &[u8], opts: &PrintOptions, hex: bool, out: &mut String) {
    monitor::message(msg, opts, hex, out);
}

/// `setkey -v`: one message field by field (ipsec-tools' `kdebug_sadb`),
/// without the blank line setkey prints after it.
pub fn debug(msg: &[u8], out: &mut String) {
    kdebug::dump(msg, out);
}

/// `setkey -H`: `bytes` 16 to a line, each line led by its offset.
pub fn hexdump(bytes: &[u8], out: &mut String) {
    hex::lines(bytes, out);
}

/// The text of an error reply (`sadb_msg_errno` set) to `msg_type`,
/// without the full stop: `No SAD entries`, `No SPD entries`, `No entry`
/// for `ENOENT` to a dump, `get`, `delete` or `spddelete`, else
/// `strerror(errno)`. `setkey -f` prints it to stderr after `file,line: `.
pub fn error_message(msg_type: MsgType, errno: u8) -> String {
    errors::message(msg_type, errno)
}

/// The line setkey prints on stdout for an error reply: `No SAD entries.`
/// and so on, newline included.
pub fn error_line(msg_type: MsgType, errno: u8) -> String {
    errors::line(msg_type, errno)
}

/// Why [`reply`] printed nothing more.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplyError {
    /// The reply carries an error: [`error_message`]'s text. setkey prints
    /// it (`"{text}.\n"` on stdout, or on stderr after `file,line: ` with
    /// `-f`) and stops reading replies.
    Errno(String),
    /// `sadb_msg_len` disagrees with the bytes received: setkey warns
    /// `invalid keymsg length` and stops.
    Length,
}

/// One reply as setkey's `postproc` treats it: an error reply is returned,
/// `SADB_GET` and `SADB_DUMP` replies print as [`sa`] (as [`sa_short`]
/// with `short`, setkey's `-l`), `SADB_X_SPDGET` and `SADB_X_SPDDUMP` as
/// [`policy`], anything else prints nothing. A dump ends after the reply
/// whose `sadb_msg_seq` is 0; that is the reader's business.
pub fn reply(
    msg: &[u8],
    opts: &PrintOptions,
    short: bool,
    out: &mut String,
) -> Result<(), ReplyError> {
    let h = match parse_header(&check::split_reserved(msg).0) {
        Ok(h) => h,
        Err(e) if e.errno == Errno::EMSGSIZE => return Err(ReplyError::Length),
        // Any other header fault: the dumpers print libipsec's word for it.
        Err(_) => {
            sa(msg, opts, out);
            return Ok(());
        }
    };
    if h.errno != 0 {
        return Err(ReplyError::Errno(error_message(h.msg_type, h.errno)));
    }
    match h.msg_type {
        MsgType::DUMP if short => sa_short(msg, opts, out),
        MsgType::GET | MsgType::DUMP => sa(msg, opts, out),
        MsgType::X_SPDGET | MsgType::X_SPDDUMP => policy(msg, opts, out),
        _ => {}
    }
    Ok(())
}
