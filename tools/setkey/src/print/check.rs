// SPDX-License-Identifier: GPL-2.0

//! Reading a reply the way libipsec's `pfkey_align` and `pfkey_check`
//! (`src/libipsec/pfkey.c`) do before anything is printed, with their
//! `ipsec_strerror()` words for what is wrong.
//!
//! The message is parsed only by [`ipsec_core::pfkey::parse`]; its
//! refusals map onto libipsec's words ("Invalid extension type", "Invalid
//! sadb message", ...), then libipsec's own checks of the SA type against
//! the message type and of the two addresses run on the parsed message.

use ipsec_core::pfkey::consts::{MsgType, SaType};
use ipsec_core::pfkey::ext::AddressKind;
use ipsec_core::pfkey::{parse, Message, ParseError};

/// libipsec's `EIPSEC_INVAL_VERSION`.
const INVAL_VERSION: &str = "Invalid version";
/// libipsec's `EIPSEC_INVAL_MSGTYPE`.
const INVAL_MSGTYPE: &str = "Invalid message type";
/// libipsec's `EIPSEC_INVAL_SATYPE`.
const INVAL_SATYPE: &str = "Invalid SA type";
/// libipsec's `EIPSEC_INVAL_EXTTYPE`.
const INVAL_EXTTYPE: &str = "Invalid extension type";
/// libipsec's `EIPSEC_INVAL_SADBMSG`.
const INVAL_SADBMSG: &str = "Invalid sadb message";
/// libipsec's `EIPSEC_NOT_SUPPORTED`.
const NOT_SUPPORTED: &str = "Not supported";
/// libipsec's `EIPSEC_PROTO_MISMATCH`.
const PROTO_MISMATCH: &str = "Protocol mismatch";
/// libipsec's `EIPSEC_FAMILY_MISMATCH`.
const FAMILY_MISMATCH: &str = "Family mismatch";

/// The libipsec word for a message the core parser refused. libipsec
/// accepts some messages the core refuses (non-zero padding, odd
/// sockaddrs); those get "Invalid sadb message".
fn parse_error_word(e: &ParseError) -> &'static str {
    match e.reason {
        "sadb_msg_version not PF_KEY_V2" => INVAL_VERSION,
        "unknown message type" => INVAL_MSGTYPE,
        "unknown SA type" => INVAL_SATYPE,
        "unknown extension type" | "reserved extension type" | "duplicate extension" => {
            INVAL_EXTTYPE
        }
        _ => INVAL_SADBMSG,
    }
}

/// `pfkey_check`'s SA type rules.
fn check_satype(msg_type: MsgType, satype: SaType) -> Result<(), &'static str> {
    match satype {
        SaType::UNSPEC => match msg_type {
            MsgType::GETSPI
            | MsgType::UPDATE
            | MsgType::ADD
            | MsgType::DELETE
            | MsgType::GET
            | MsgType::ACQUIRE
            | MsgType::EXPIRE
            | MsgType::X_NAT_T_NEW_MAPPING => Err(INVAL_SATYPE),
            _ => Ok(()),
        },
        SaType::ESP | SaType::AH | SaType::X_IPCOMP => match msg_type {
            MsgType::X_SPDADD
            | MsgType::X_SPDDELETE
            | MsgType::X_SPDGET
            | MsgType::X_SPDDUMP
            | MsgType::X_SPDFLUSH => Err(INVAL_SATYPE),
            MsgType::X_NAT_T_NEW_MAPPING if satype != SaType::ESP => Err(INVAL_SATYPE),
            _ => Ok(()),
        },
        SaType::RSVP | SaType::OSPFV2 | SaType::RIPV2 | SaType::MIP => Err(NOT_SUPPORTED),
        SaType(1) if msg_type == MsgType::X_PROMISC => Ok(()),
        // libipsec on Linux lets an SPDFLUSH reply have any SA type.
        _ if msg_type == MsgType::X_SPDFLUSH => Ok(()),
        _ => Err(INVAL_SATYPE),
    }
}

/// `pfkey_check`'s address rules: with both addresses, the same
/// upper-layer protocol and family.
fn check_addresses(msg: &Message<'_>) -> Result<(), &'static str> {
    let (Some(src), Some(dst)) = (msg.address(AddressKind::Src), msg.address(AddressKind::Dst))
    else {
        return Ok(());
    };
    if src.proto != dst.proto {
        return Err(PROTO_MISMATCH);
    }
    if src.family() != dst.family() {
        return Err(FAMILY_MISMATCH);
    }
    Ok(())
}

/// `bytes` with `sadb_msg_reserved` (bytes 6-7) cleared, and what it
/// held: af_key puts a reference count there in SPD replies, which
/// ipsec-tools prints as `refcnt=`, while the core parser (rightly, for
/// requests) insists on 0.
pub fn split_reserved(bytes: &[u8]) -> (std::borrow::Cow<'_, [u8]>, u16) {
    match bytes.get(6..8) {
        Some(&[lo, hi]) if (lo, hi) != (0, 0) => {
            let mut owned = bytes.to_vec();
            owned[6] = 0;
            owned[7] = 0;
            (std::borrow::Cow::Owned(owned), u16::from_ne_bytes([lo, hi]))
        }
        _ => (std::borrow::Cow::Borrowed(bytes), 0),
    }
}

/// Parses `bytes` and applies `pfkey_check`, or gives the line libipsec's
/// dumpers print instead of the entry (`ipsec_strerror()`).
pub fn message(bytes: &[u8]) -> Result<Message<'_>, &'static str> {
    let msg = parse(bytes).map_err(|e| parse_error_word(&e))?;
    check_satype(msg.msg_type(), msg.satype())?;
    check_addresses(&msg)?;
    Ok(msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipsec_core::pfkey::MsgHeader;

    fn header(t: MsgType, satype: u8) -> [u8; 16] {
        MsgHeader::new(t, SaType(satype), 0, 0).to_bytes(2)
    }

    #[test]
    fn core_refusals_map_to_libipsec_words() {
        let mut b = header(MsgType::DUMP, 3);
        b[0] = 1;
        assert_eq!(message(&b).unwrap_err(), INVAL_VERSION);
        let mut b = header(MsgType::DUMP, 3);
        b[1] = 99;
        assert_eq!(message(&b).unwrap_err(), INVAL_MSGTYPE);
        assert_eq!(
            message(&header(MsgType::DUMP, 200)).unwrap_err(),
            INVAL_SATYPE
        );
        assert_eq!(
            message(&header(MsgType::DUMP, 3)[..8]).unwrap_err(),
            INVAL_SADBMSG
        );
        // An extension of an unknown type (99), one unit long.
        let mut b = header(MsgType::DUMP, 3).to_vec();
        b[4] = 3;
        b.extend_from_slice(&1u16.to_ne_bytes());
        b.extend_from_slice(&99u16.to_ne_bytes());
        b.extend_from_slice(&[0; 4]);
        assert_eq!(message(&b).unwrap_err(), INVAL_EXTTYPE);
        // Two SA2 extensions.
        let mut b = header(MsgType::DUMP, 3).to_vec();
        b[4] = 6;
        for _ in 0..2 {
            b.extend_from_slice(&2u16.to_ne_bytes());
            b.extend_from_slice(&19u16.to_ne_bytes());
            b.extend_from_slice(&[0; 12]);
        }
        assert_eq!(message(&b).unwrap_err(), INVAL_EXTTYPE);
    }

    #[test]
    fn satype_rules() {
        assert!(message(&header(MsgType::DUMP, 0)).is_ok());
        assert!(message(&header(MsgType::X_SPDDUMP, 0)).is_ok());
        assert_eq!(message(&header(MsgType::GET, 0)).unwrap_err(), INVAL_SATYPE);
        assert_eq!(
            message(&header(MsgType::X_SPDDUMP, 3)).unwrap_err(),
            INVAL_SATYPE
        );
        assert_eq!(
            message(&header(MsgType::DUMP, 5)).unwrap_err(),
            NOT_SUPPORTED
        );
        assert!(message(&header(MsgType::X_PROMISC, 1)).is_ok());
        assert_eq!(
            message(&header(MsgType::DUMP, 1)).unwrap_err(),
            INVAL_SATYPE
        );
        assert_eq!(
            message(&header(MsgType::DUMP, 4)).unwrap_err(),
            INVAL_SATYPE
        );
        assert!(message(&header(MsgType::X_SPDFLUSH, 4)).is_ok());
        assert_eq!(
            message(&header(MsgType::X_NAT_T_NEW_MAPPING, 2)).unwrap_err(),
            INVAL_SATYPE
        );
    }
}
