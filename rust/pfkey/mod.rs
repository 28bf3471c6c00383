// SPDX-License-Identifier: GPL-2.0

//! PF_KEY v2: what each message does to the SADB and SPD, and who hears
//! about it. Parsing, validation and encoding are the protocol core's; the
//! socket plumbing is `glue::socket`'s, which calls `family.rs`.
//!
//! The files import one way: `db`, `encode`, `sock` at the bottom;
//! `broadcast`, `state` on them; `acquire`, `dump`, `expire`, `requests`
//! on those; `family` (the socket family's entry points) on top.

pub(crate) mod acquire;
pub(crate) mod broadcast;
pub(crate) mod db;
pub(crate) mod dump;
pub(crate) mod encode;
pub(crate) mod expire;
pub(crate) mod family;
pub(crate) mod mapping;
pub(crate) mod requests;
pub(crate) mod sock;
pub(crate) mod state;

pub(crate) use state::NetPfkey;
