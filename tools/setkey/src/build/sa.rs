// SPDX-License-Identifier: GPL-2.0

//! ADD, UPDATE, GETSPI, GET and DELETE (ipsec-tools' `setkeymsg_add` and
//! `setkeymsg_addr`).
//!
//! Every message has SA, X_SA2 and the two addresses (protocol 255, whole
//! address, the port as given). ADD and UPDATE add the keys, the lifetimes
//! given, X_SA_REPLAY when the window is over 255 packets (then
//! `sadb_sa_replay` says 255) and the NAT-T extensions of `esp-udp`;
//! GETSPI adds SPIRANGE (min = max = SPI) when the SPI is not 0, and the
//! NAT-T extensions.

use ipsec_core::pfkey::consts::{SaState, UdpEncap};
use ipsec_core::pfkey::ext::{
    Address, AddressKind, Key, KeyKind, Lifetime, LifetimeKind, NatTPort, NatTPortKind, NatTType,
    Sa, Sa2, SaReplay, SpiRange,
};
use ipsec_core::pfkey::sockaddr::SockAddr;
use ipsec_core::pfkey::{Errno, MsgHeader, MsgType, SaType, Writer};

use super::encode;
use crate::parse::{AlgSetting, LifetimeSpec, SaCommand};

/// The UDP port of ESP in UDP when the address has none (RFC 3948).
pub const NAT_T_DEFAULT_PORT: u16 = 4500;

/// An SA address: any protocol, whole address, port kept.
pub(crate) fn sa_address(sa: SockAddr) -> Address {
    let mut a = Address::host(sa.addr(), sa.port());
    a.sockaddr = sa;
    a
}

/// The SA extension: `sadb_sa_replay` saturates at 255.
fn sa_ext(sa: &SaCommand, with_algs: bool) -> Sa {
    let id = |a: &Option<AlgSetting>| a.as_ref().filter(|_| with_algs).map_or(0, |a| a.id);
    let encrypt = match sa.satype {
        SaType::X_IPCOMP => id(&sa.comp),
        _ => id(&sa.enc),
    };
    Sa {
        spi: sa.spi,
        replay: u8::try_from(sa.replay).unwrap_or(u8::MAX),
        state: SaState::LARVAL,
        auth: ipsec_core::pfkey::consts::AuthAlg(id(&sa.auth)),
        encrypt: ipsec_core::pfkey::consts::EncAlg(encrypt),
        flags: sa.flags,
    }
}

fn key(w: &mut Writer<'_>, kind: KeyKind, alg: &Option<AlgSetting>) -> Result<(), Errno> {
    match alg.as_ref().and_then(|a| a.key.as_deref()) {
        Some(k) => w.key(kind, &Key::new(k).ok_or(Errno::EMSGSIZE)?),
        None => Ok(()),
    }
}

fn lifetime(w: &mut Writer<'_>, kind: LifetimeKind, l: &LifetimeSpec) -> Result<(), Errno> {
    if !l.is_set() {
        return Ok(());
    }
    w.lifetime(
        kind,
        &Lifetime {
            allocations: 0,
            bytes: l.bytes,
            addtime: l.seconds,
            usetime: 0,
        },
    )
}

fn nat_t(w: &mut Writer<'_>, sa: &SaCommand) -> Result<(), Errno> {
    let Some(n) = &sa.nat_t else {
        return Ok(());
    };
    w.nat_t_type(&NatTType {
        encap: UdpEncap::ESPINUDP,
        reserved: [0; 3],
    })?;
    let port = |p: u16| NatTPort {
        port: if p == 0 { NAT_T_DEFAULT_PORT } else { p },
        reserved: 0,
    };
    w.nat_t_port(NatTPortKind::Src, &port(sa.src.port()))?;
    w.nat_t_port(NatTPortKind::Dst, &port(sa.dst.port()))?;
    match n.oa {
        Some(oa) => w.address(AddressKind::NatTOa, &Address::host(oa, 0)),
        None => Ok(()),
    }
}

/// Keys, lifetimes and the wide replay window of ADD and UPDATE.
fn install_exts(w: &mut Writer<'_>, sa: &SaCommand) -> Result<(), Errno> {
    if sa.satype != SaType::X_IPCOMP {
        key(w, KeyKind::Encrypt, &sa.enc)?;
    }
    key(w, KeyKind::Auth, &sa.auth)?;
    lifetime(w, LifetimeKind::Hard, &sa.hard)?;
    lifetime(w, LifetimeKind::Soft, &sa.soft)?;
    if sa.replay > u32::from(u8::MAX) {
        w.x_sa_replay(&SaReplay { replay: sa.replay })?;
    }
    nat_t(w, sa)
}

/// The message of type `msg_type` for `sa`.
pub(super) fn sa_message(
    msg_type: MsgType,
    sa: &SaCommand,
    seq: u32,
    pid: u32,
) -> Result<Vec<u8>, Errno> {
    let installs = matches!(msg_type, MsgType::ADD | MsgType::UPDATE);
    encode(&MsgHeader::new(msg_type, sa.satype, seq, pid), |w| {
        w.sa(&sa_ext(sa, installs))?;
        w.x_sa2(&Sa2 {
            mode: sa.mode,
            reqid: sa.reqid,
            ..Sa2::default()
        })?;
        w.address(AddressKind::Src, &sa_address(sa.src))?;
        w.address(AddressKind::Dst, &sa_address(sa.dst))?;
        if installs {
            install_exts(w, sa)?;
        }
        if msg_type == MsgType::GETSPI {
            if sa.spi != 0 {
                w.spirange(&SpiRange {
                    min: sa.spi,
                    max: sa.spi,
                    reserved: 0,
                })?;
            }
            nat_t(w, sa)?;
        }
        Ok(())
    })
}
