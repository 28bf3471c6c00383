// SPDX-License-Identifier: GPL-2.0

//! Which extensions each message type needs from userspace (af_key's
//! per-handler checks, in one table).

use super::consts::{ExtType, MsgType, SaType};
use super::ext::AddressKind;
use super::message::Message;
use super::reader::ParseError;

const SA_SRC_DST: &[ExtType] = &[ExtType::SA, ExtType::ADDRESS_SRC, ExtType::ADDRESS_DST];
const SRC_DST: &[ExtType] = &[ExtType::ADDRESS_SRC, ExtType::ADDRESS_DST];
const SRC_DST_POLICY: &[ExtType] = &[
    ExtType::ADDRESS_SRC,
    ExtType::ADDRESS_DST,
    ExtType::X_POLICY,
];
const NEW_MAPPING: &[ExtType] = &[
    ExtType::SA,
    ExtType::ADDRESS_SRC,
    ExtType::ADDRESS_DST,
    ExtType::X_NAT_T_SPORT,
    ExtType::X_NAT_T_DPORT,
];

/// The extensions a message of type `t` must carry.
///
/// - UPDATE, ADD, DELETE, GET: SA and both addresses (`pfkey_add`,
///   `pfkey_delete`, `pfkey_get`); EXPIRE likewise (RFC 2367).
/// - GETSPI: both addresses (SPIRANGE is optional).
/// - X_SPDUPDATE, X_SPDADD, X_SPDSETIDX, X_SPDDELETE, X_MIGRATE: both
///   addresses and X_POLICY.
/// - X_SPDGET, X_SPDDELETE2: X_POLICY.
/// - X_NAT_T_NEW_MAPPING: SA, both addresses and both NAT-T ports.
/// - Everything else (ACQUIRE replies, REGISTER, FLUSH, DUMP, X_PROMISC,
///   X_SPDDUMP, X_SPDFLUSH, ...): nothing.
pub fn required_exts(t: MsgType) -> &'static [ExtType] {
    match t {
        MsgType::UPDATE | MsgType::ADD | MsgType::DELETE | MsgType::GET | MsgType::EXPIRE => {
            SA_SRC_DST
        }
        MsgType::GETSPI => SRC_DST,
        MsgType::X_SPDUPDATE
        | MsgType::X_SPDADD
        | MsgType::X_SPDSETIDX
        | MsgType::X_SPDDELETE
        | MsgType::X_MIGRATE => SRC_DST_POLICY,
        MsgType::X_SPDGET | MsgType::X_SPDDELETE2 => &[ExtType::X_POLICY],
        MsgType::X_NAT_T_NEW_MAPPING => NEW_MAPPING,
        _ => &[],
    }
}

fn missing(t: ExtType) -> ParseError {
    ParseError::inval(match t {
        ExtType::SA => "missing SA extension",
        ExtType::ADDRESS_SRC => "missing ADDRESS_SRC extension",
        ExtType::ADDRESS_DST => "missing ADDRESS_DST extension",
        ExtType::X_POLICY => "missing X_POLICY extension",
        ExtType::KEY_AUTH => "missing KEY_AUTH extension",
        ExtType::KEY_ENCRYPT => "missing KEY_ENCRYPT extension",
        _ => "missing required extension",
    })
}

/// Checks that `msg` has what its type requires ([`required_exts`]), that
/// an ADD or UPDATE for ESP carries KEY_ENCRYPT and one for AH carries
/// KEY_AUTH (`pfkey_msg2xfrm_state`), and that source and destination
/// addresses, when both present, are of one family
/// (`present_and_same_family`). All failures are `EINVAL`.
pub fn check_required(msg: &Message<'_>) -> Result<(), ParseError> {
    for &t in required_exts(msg.msg_type()) {
        if !msg.has(t) {
            return Err(missing(t));
        }
    }
    if matches!(msg.msg_type(), MsgType::ADD | MsgType::UPDATE) {
        let key = match msg.satype() {
            SaType::ESP => Some(ExtType::KEY_ENCRYPT),
            SaType::AH => Some(ExtType::KEY_AUTH),
            _ => None,
        };
        if let Some(k) = key.filter(|&k| !msg.has(k)) {
            return Err(missing(k));
        }
    }
    if let (Some(s), Some(d)) = (msg.address(AddressKind::Src), msg.address(AddressKind::Dst)) {
        if s.family() != d.family() {
            return Err(ParseError::inval(
                "source and destination address families differ",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_follows_af_key() {
        for t in [MsgType::ADD, MsgType::UPDATE, MsgType::DELETE, MsgType::GET] {
            assert_eq!(required_exts(t), SA_SRC_DST, "{t:?}");
        }
        assert_eq!(required_exts(MsgType::GETSPI), SRC_DST);
        for t in [
            MsgType::X_SPDADD,
            MsgType::X_SPDUPDATE,
            MsgType::X_SPDSETIDX,
            MsgType::X_SPDDELETE,
            MsgType::X_MIGRATE,
        ] {
            assert_eq!(required_exts(t), SRC_DST_POLICY, "{t:?}");
        }
        for t in [MsgType::X_SPDGET, MsgType::X_SPDDELETE2] {
            assert_eq!(required_exts(t), &[ExtType::X_POLICY]);
        }
        for t in [
            MsgType::ACQUIRE,
            MsgType::REGISTER,
            MsgType::FLUSH,
            MsgType::DUMP,
            MsgType::X_PROMISC,
            MsgType::X_SPDDUMP,
            MsgType::X_SPDFLUSH,
            MsgType::RESERVED,
            MsgType(200),
        ] {
            assert!(required_exts(t).is_empty(), "{t:?}");
        }
        assert_eq!(required_exts(MsgType::X_NAT_T_NEW_MAPPING).len(), 5);
    }

    #[test]
    fn reasons_name_the_extension() {
        assert_eq!(missing(ExtType::SA).reason, "missing SA extension");
        assert_eq!(
            missing(ExtType::X_POLICY).errno,
            super::super::super::errno::Errno::EINVAL
        );
        assert_eq!(
            missing(ExtType::X_NAT_T_SPORT).reason,
            "missing required extension"
        );
    }
}
