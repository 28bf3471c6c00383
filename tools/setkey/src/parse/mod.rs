// SPDX-License-Identifier: GPL-2.0

//! The setkey language: ipsec-tools' `parse.y`/`token.l` and libipsec's
//! policy grammar, parsed into [`Command`]s.
//!
//! [`parse`] reads a whole input and checks it (names, numbers, key
//! sizes against [`crate::names`], combinations the kernel would refuse)
//! before returning anything, so a caller applies either all of a file or
//! none of it. An error is a [`Diagnostic`] whose `Display` is
//! `file:line:column: message`.
//!
//! Files: [`lexer`] (tokens), `parser` (the cursor and its error
//! helpers), `statements` (one function per command), `sa` (SA
//! arguments, extensions, algorithms), `spd` (selectors and upper-layer
//! specs), `policy` (the `-P` policy string), `address` (addresses,
//! prefixes, ports), `value` (numbers and keys), [`ast`] (the result).

use core::fmt;

pub mod ast;
pub mod lexer;

mod address;
mod parser;
mod policy;
mod sa;
mod spd;
mod statements;
mod value;

pub use ast::{
    AlgSetting, Command, CommandKind, DeleteAll, LifetimeSpec, NatTSpec, PolicySpec, RequestSpec,
    SaCommand, Selector, SpdCommand,
};

/// An error in the input, with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// The input's name (a file name, or `-` / `stdin`).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub col: u32,
    /// What is wrong, e.g. `unexpected 'hmac-sha3', expected an
    /// authentication algorithm`.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic at `line`:`col` of `file`.
    pub fn new(file: &str, line: u32, col: u32, message: impl Into<String>) -> Self {
        Self {
            file: file.to_string(),
            line,
            col,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.col, self.message
        )
    }
}

impl std::error::Error for Diagnostic {}

/// Parses and checks a whole setkey input. Parsing stops after `exit`
/// (`quit`, `bye`), which is the last command returned; what follows it
/// is not read. On error nothing is returned but the first
/// [`Diagnostic`].
pub fn parse(src: &str, file_name: &str) -> Result<Vec<Command>, Diagnostic> {
    let mut p = parser::Parser::new(src, file_name);
    let mut commands = Vec::new();
    while let Some(cmd) = p.command()? {
        let exit = cmd.is_exit();
        commands.push(cmd);
        if exit {
            break;
        }
    }
    Ok(commands)
}
