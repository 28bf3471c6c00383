// SPDX-License-Identifier: GPL-2.0

//! One function per statement of the language.

use ipsec_core::pfkey::SaType;

use super::ast::{Command, CommandKind, DeleteAll};
use super::lexer::{TokKind, Token};
use super::parser::Parser;
use super::sa::SaVerb;
use super::spd::SpdVerb;
use super::Diagnostic;

impl<'a> Parser<'a> {
    /// The next command, or `None` at the end of the input.
    pub(super) fn command(&mut self) -> Result<Option<Command>, Diagnostic> {
        let t = self.next()?;
        if t.kind == TokKind::Eof {
            return Ok(None);
        }
        let kind = match (t.kind, t.text) {
            (TokKind::Word, "add") => CommandKind::Add(self.sa_command(SaVerb::Add)?),
            (TokKind::Word, "update") => CommandKind::Update(self.sa_command(SaVerb::Update)?),
            (TokKind::Word, "getspi") => CommandKind::GetSpi(self.sa_command(SaVerb::GetSpi)?),
            (TokKind::Word, "get") => CommandKind::Get(self.sa_command(SaVerb::Get)?),
            (TokKind::Word, "delete") => CommandKind::Delete(self.sa_command(SaVerb::Delete)?),
            (TokKind::Word, "deleteall") => CommandKind::DeleteAll(self.deleteall()?),
            (TokKind::Word, "flush") => CommandKind::Flush(self.optional_satype()?),
            (TokKind::Word, "dump") => CommandKind::Dump(self.optional_satype()?),
            (TokKind::Word, "spdadd") => CommandKind::SpdAdd(self.spd_command(SpdVerb::Add)?),
            (TokKind::Word, "spdupdate") => {
                CommandKind::SpdUpdate(self.spd_command(SpdVerb::Update)?)
            }
            (TokKind::Word, "spddelete") => {
                CommandKind::SpdDelete(self.spd_command(SpdVerb::Delete)?)
            }
            (TokKind::Word, "spdflush") => self.bare(CommandKind::SpdFlush)?,
            (TokKind::Word, "spddump") => self.bare(CommandKind::SpdDump)?,
            (TokKind::Word, "exit" | "quit" | "bye") => self.bare(CommandKind::Exit)?,
            _ => return Err(self.unexpected(&t, "a command")),
        };
        Ok(Some(Command {
            line: t.line,
            col: t.col,
            kind,
        }))
    }

    /// A command without arguments: just its `;`.
    fn bare(&mut self, kind: CommandKind) -> Result<CommandKind, Diagnostic> {
        self.expect_semi("")?;
        Ok(kind)
    }

    /// `flush` / `dump`: an optional protocol, then `;`.
    fn optional_satype(&mut self) -> Result<SaType, Diagnostic> {
        if self.peek()?.kind == TokKind::Semi {
            self.next()?;
            return Ok(SaType::UNSPEC);
        }
        let (proto, _) = self.sa_protocol(true)?;
        self.expect_semi("")?;
        Ok(proto.satype)
    }

    /// `deleteall [-46n] src dst proto ;`
    fn deleteall(&mut self) -> Result<DeleteAll, Diagnostic> {
        let opts = self.addr_opts()?;
        let (src, _, _) = self.address(opts, "a source address")?;
        let (dst, _, dt) = self.address(opts, "a destination address")?;
        self.same_family(src, dst, &dt)?;
        let (proto, _) = self.sa_protocol(false)?;
        self.expect_semi("")?;
        Ok(DeleteAll {
            satype: proto.satype,
            src,
            dst,
            flags: super::sa::initial_flags(proto),
        })
    }

    /// Fails at `at` unless `a` and `b` are of one family.
    pub(super) fn same_family(
        &self,
        a: ipsec_core::inet::Addr,
        b: ipsec_core::inet::Addr,
        at: &Token<'_>,
    ) -> Result<(), Diagnostic> {
        if a.family() == b.family() {
            return Ok(());
        }
        Err(self.error(
            at,
            format!(
                "address families differ: {} is not the same family as the source",
                at.describe()
            ),
        ))
    }
}
