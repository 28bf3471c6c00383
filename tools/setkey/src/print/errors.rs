// SPDX-License-Identifier: GPL-2.0

//! What setkey prints for a reply with `sadb_msg_errno` set (`postproc`
//! in `src/setkey/setkey.c`): `No SAD entries.`, `No SPD entries.`,
//! `No entry.`, or `strerror(3)` of the error, with a full stop.

use ipsec_core::pfkey::consts::MsgType;

/// `ENOENT`.
const ENOENT: u8 = 2;

/// `strerror(3)` of `errno`, as glibc words it in the C locale (setkey
/// never calls `setlocale`).
pub fn strerror(errno: i32) -> String {
    let mut buf = [0 as libc::c_char; 256];
    // SAFETY: `buf` is writable for its length; the XSI strerror_r writes a
    // NUL-terminated string of at most that many bytes, or fails.
    let r = unsafe { libc::strerror_r(errno, buf.as_mut_ptr(), buf.len()) };
    if r != 0 {
        return format!("Unknown error {errno}");
    }
    // SAFETY: on success `buf` holds a NUL-terminated string.
    let s = unsafe { core::ffi::CStr::from_ptr(buf.as_ptr()) };
    s.to_string_lossy().into_owned()
}

/// The error text of a reply to `msg_type` carrying `errno`, without the
/// full stop: what `setkey -f` puts after `file,line: ` on stderr.
/// `ENOENT` has setkey's words for a dump, `get`, `delete` and
/// `spddelete`, and `(null)` for other requests (setkey prints a null
/// pointer there); any other error is `strerror(errno)`.
pub fn message(msg_type: MsgType, errno: u8) -> String {
    if errno != ENOENT {
        return strerror(errno.into());
    }
    match msg_type {
        MsgType::DELETE | MsgType::GET | MsgType::X_SPDDELETE => "No entry",
        MsgType::DUMP => "No SAD entries",
        MsgType::X_SPDDUMP => "No SPD entries",
        _ => "(null)",
    }
    .to_string()
}

/// The line `setkey -D`, `-DP` and `-c` print for such a reply, newline
/// included: `No SAD entries.`, `No SPD entries.`, `No such process.`.
pub fn line(msg_type: MsgType, errno: u8) -> String {
    format!("{}.\n", message(msg_type, errno))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setkey_words() {
        assert_eq!(line(MsgType::DUMP, 2), "No SAD entries.\n");
        assert_eq!(line(MsgType::X_SPDDUMP, 2), "No SPD entries.\n");
        assert_eq!(line(MsgType::GET, 2), "No entry.\n");
        assert_eq!(line(MsgType::X_SPDDELETE, 2), "No entry.\n");
        assert_eq!(line(MsgType::ADD, 2), "(null).\n");
        assert_eq!(line(MsgType::GET, 3), "No such process.\n");
        assert_eq!(message(MsgType::ADD, 17), "File exists");
        assert_eq!(message(MsgType::ADD, 1), "Operation not permitted");
    }
}
