// SPDX-License-Identifier: GPL-2.0

//! The PF_KEY request messages of a parsed [`Command`], encoded with the
//! core's [`Writer`] (the only encoder).
//!
//! - [`requests`]: the messages of one command, in the order to send
//!   them. Message `i` of a command carries `sadb_msg_seq` `seq + i`.
//! - [`deleteall_matches`]: the DELETE for one SA of the dump that
//!   `deleteall` starts with.
//!
//! Files: `sa` (SA messages), `spd` (policy messages), `deleteall`.

use ipsec_core::pfkey::{Errno, MsgHeader, MsgType, SaType, Writer};

use crate::parse::{Command, CommandKind, Diagnostic};

mod deleteall;
mod sa;
mod spd;

pub use deleteall::deleteall_matches;

/// How commands become messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BuildOptions {
    /// Send every `in` policy again as `fwd` (ipsec-tools' default "RFC
    /// mode" on Linux), its `unique` requests as `require` without a
    /// reqid. `true` by default.
    pub fwd_for_in: bool,
}

impl Default for BuildOptions {
    fn default() -> Self {
        Self { fwd_for_in: true }
    }
}

/// Room for the largest message a command makes (an IPv6 policy with
/// four tunnel requests is under 512 bytes).
const MSG_BUF: usize = 4096;

/// Encodes one message: `fill` writes the extensions after the header.
pub(crate) fn encode(
    hdr: &MsgHeader,
    fill: impl FnOnce(&mut Writer<'_>) -> Result<(), Errno>,
) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; MSG_BUF];
    let mut w = Writer::new(&mut buf);
    w.header(hdr)?;
    fill(&mut w)?;
    let n = w.finish()?;
    buf.truncate(n);
    Ok(buf)
}

/// A header-only message.
fn bare(msg_type: MsgType, satype: SaType, seq: u32, pid: u32) -> Result<Vec<u8>, Errno> {
    encode(&MsgHeader::new(msg_type, satype, seq, pid), |_| Ok(()))
}

/// The PF_KEY request messages for one command, in the order to send
/// them, with [`BuildOptions::default`]: an `in` policy of `spdadd`,
/// `spdupdate` or `spddelete` also yields its `fwd` copy, as ipsec-tools
/// does on Linux. `deleteall` yields the SADB_DUMP request; feed each SA
/// of the reply to [`deleteall_matches`]. `exit` yields nothing.
pub fn requests(cmd: &Command, seq: u32, pid: u32) -> Result<Vec<Vec<u8>>, Diagnostic> {
    requests_with(cmd, seq, pid, &BuildOptions::default())
}

/// [`requests`] with explicit options.
pub fn requests_with(
    cmd: &Command,
    seq: u32,
    pid: u32,
    opts: &BuildOptions,
) -> Result<Vec<Vec<u8>>, Diagnostic> {
    build(cmd, seq, pid, opts).map_err(|e| {
        let name = e.name().unwrap_or("error");
        Diagnostic::new(
            "setkey",
            cmd.line,
            cmd.col,
            format!("cannot encode the PF_KEY message ({name})"),
        )
    })
}

fn build(cmd: &Command, seq: u32, pid: u32, opts: &BuildOptions) -> Result<Vec<Vec<u8>>, Errno> {
    let one = |m: Result<Vec<u8>, Errno>| m.map(|m| vec![m]);
    match &cmd.kind {
        CommandKind::Add(s) => one(sa::sa_message(MsgType::ADD, s, seq, pid)),
        CommandKind::Update(s) => one(sa::sa_message(MsgType::UPDATE, s, seq, pid)),
        CommandKind::GetSpi(s) => one(sa::sa_message(MsgType::GETSPI, s, seq, pid)),
        CommandKind::Get(s) => one(sa::sa_message(MsgType::GET, s, seq, pid)),
        CommandKind::Delete(s) => one(sa::sa_message(MsgType::DELETE, s, seq, pid)),
        CommandKind::DeleteAll(d) => one(bare(MsgType::DUMP, d.satype, seq, pid)),
        CommandKind::Flush(t) => one(bare(MsgType::FLUSH, *t, seq, pid)),
        CommandKind::Dump(t) => one(bare(MsgType::DUMP, *t, seq, pid)),
        CommandKind::SpdAdd(s) => spd::spd_messages(MsgType::X_SPDADD, s, seq, pid, opts),
        CommandKind::SpdUpdate(s) => spd::spd_messages(MsgType::X_SPDUPDATE, s, seq, pid, opts),
        CommandKind::SpdDelete(s) => spd::spd_messages(MsgType::X_SPDDELETE, s, seq, pid, opts),
        CommandKind::SpdFlush => one(bare(MsgType::X_SPDFLUSH, SaType::UNSPEC, seq, pid)),
        CommandKind::SpdDump => one(bare(MsgType::X_SPDDUMP, SaType::UNSPEC, seq, pid)),
        CommandKind::Exit => Ok(Vec::new()),
    }
}
