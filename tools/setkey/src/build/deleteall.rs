// SPDX-License-Identifier: GPL-2.0

//! `deleteall` on Linux: DELETE needs an SPI, so setkey dumps the SA type
//! and deletes each SA between the two addresses (ipsec-tools'
//! `sendkeymsg_spigrep`).

use ipsec_core::ipsec::IpsecMode;
use ipsec_core::pfkey::consts::{AuthAlg, EncAlg, SaState};
use ipsec_core::pfkey::ext::{Address, AddressKind, Sa, Sa2};
use ipsec_core::pfkey::{parse, MsgHeader, MsgType};

use super::encode;
use crate::parse::{Command, CommandKind};

/// For a `deleteall` command and one message of its SADB_DUMP reply: the
/// SADB_DELETE request for that SA when it matches (same SA type, source
/// and destination addresses, ports ignored), else `None` (also for an
/// error reply, another command, or bytes that do not parse). The DELETE
/// carries seq 0 and the reply's pid (the dumping process's), the SPI of
/// the dumped SA and the command's addresses.
pub fn deleteall_matches(cmd: &Command, sa_dump_reply: &[u8]) -> Option<Vec<u8>> {
    let CommandKind::DeleteAll(d) = &cmd.kind else {
        return None;
    };
    let m = parse(sa_dump_reply).ok()?;
    let h = m.header();
    if h.msg_type != MsgType::DUMP || h.errno != 0 || h.satype != d.satype {
        return None;
    }
    let sa = m.sa()?;
    let src = m.address(AddressKind::Src)?;
    let dst = m.address(AddressKind::Dst)?;
    if src.addr() != d.src || dst.addr() != d.dst {
        return None;
    }
    encode(&MsgHeader::new(MsgType::DELETE, d.satype, 0, h.pid), |w| {
        w.sa(&Sa {
            spi: sa.spi,
            replay: 0,
            state: SaState::LARVAL,
            auth: AuthAlg::NONE,
            encrypt: EncAlg::NONE,
            flags: d.flags,
        })?;
        w.x_sa2(&Sa2 {
            mode: IpsecMode::ANY,
            ..Sa2::default()
        })?;
        w.address(AddressKind::Src, &Address::host(d.src, 0))?;
        w.address(AddressKind::Dst, &Address::host(d.dst, 0))
    })
    .ok()
}
