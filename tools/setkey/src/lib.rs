// SPDX-License-Identifier: GPL-2.0

//! setkey: ipsec-tools' setkey(8) grammar and output over PF_KEY v2.
//!
//! - [`parse`]: the setkey language (lexer, parser, diagnostics) into
//!   [`parse::Command`]s; nothing is sent until a whole input parsed;
//! - [`build`]: one command into the PF_KEY request message(s);
//! - [`names`]: algorithm, protocol and mode names as setkey spells them;
//! - [`print`](mod@print): `-D`, `-DP` and `-x` output, byte for byte as
//!   ipsec-tools;
//! - [`socket`]: the PF_KEY socket (send, receive, dumps);
//! - [`cli`] and [`run`]: the command line and what each mode does.

pub mod build;
pub mod cli;
pub mod names;
pub mod parse;
pub mod print;
pub mod run;
pub mod socket;
