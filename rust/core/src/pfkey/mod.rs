// SPDX-License-Identifier: GPL-2.0

//! PF_KEY v2 (RFC 2367 with the KAME and Linux extensions): the message
//! codec.
//!
//! C header: [include/uapi/linux/pfkeyv2.h](srctree/include/uapi/linux/pfkeyv2.h)
//!
//! - [`parse`] validates a whole message once (af_key's
//!   `pfkey_get_base_msg` and `parse_exthdrs`) into a [`Message`] with typed
//!   accessors per extension;
//! - [`check_required`] applies the per-message-type requirements;
//! - [`Writer`] encodes a message into a caller's buffer, lengths derived
//!   from what is written;
//! - [`Message::reencode`] writes a parsed message again, byte for byte.
//!
//! One file per job: [`consts`] (numbers), [`reader`] (checked input
//! cursor and [`ParseError`]), `out` (bounded output cursor),
//! [`sockaddr`], [`ext`] (one type per extension), [`message`],
//! [`writer`], [`required`]. Imports run one way: `reader`, `out` and
//! `consts` at the bottom, then `sockaddr`, `ext`, `message`, `writer`,
//! `required`.

pub use super::errno::Errno;

pub mod consts;
pub mod ext;
pub mod message;
mod out;
pub mod reader;
pub mod required;
pub mod sockaddr;
pub mod writer;

#[cfg(test)]
mod tests;

pub use consts::{ExtType, MsgType, SaType};
pub use message::{parse, parse_header, Message, MsgHeader};
pub use reader::ParseError;
pub use required::{check_required, required_exts};
pub use writer::{error_reply, Writer};
