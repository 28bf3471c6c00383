// SPDX-License-Identifier: GPL-2.0

//! SADB_X_NAT_T_NEW_MAPPING: the rate limit, the queue and the message.

use super::*;
use crate::pfkey::parse;
use crate::sadb::{KeyBytes, LifetimeCurrent, NatT, SaRecord};

const OLD: Addr = Addr::V4([10, 0, 0, 2]);
const NEW: Addr = Addr::V4([192, 0, 2, 7]);

const LOCAL: Addr = Addr::V4([10, 0, 0, 1]);

fn mapping(spi: u32, port: u16) -> NewMapping {
    NewMapping {
        spi,
        local: LOCAL,
        mode: IpsecMode::TUNNEL,
        reqid: 3,
        old_src: OLD,
        old_sport: 4500,
        new_src: NEW,
        new_sport: port,
    }
}

#[test]
fn announced_once_per_change_and_repeated_slowly() {
    let mut n = MappingNote::default();
    assert!(n.should_announce(NEW, 1024, 100));
    assert!(!n.should_announce(NEW, 1024, 100));
    assert!(!n.should_announce(NEW, 1024, 100 + MAPPING_REPEAT_SECONDS - 1));
    // A different port or address is announced at once.
    assert!(n.should_announce(NEW, 1025, 101));
    assert!(n.should_announce(OLD, 1025, 101));
    // The same again, once the repeat time has passed.
    assert!(!n.should_announce(OLD, 1025, 102));
    assert!(n.should_announce(OLD, 1025, 101 + MAPPING_REPEAT_SECONDS));
}

#[test]
fn queue_keeps_one_per_sa_and_refuses_when_full() {
    let mut q = Mappings::<2>::new();
    assert!(q.push(mapping(1, 1000)));
    assert!(q.push(mapping(1, 1001)));
    assert!(q.push(mapping(2, 2000)));
    assert!(!q.push(mapping(3, 3000)));
    let mut got = [q.pop(), q.pop(), q.pop()];
    got.sort_by_key(|m| m.map(|m| m.spi));
    assert_eq!(got, [None, Some(mapping(1, 1001)), Some(mapping(2, 2000))]);
    assert!(q.push(mapping(3, 3000)));
}

#[test]
fn message_is_af_keys_with_sa2() {
    let mut buf = vec![0u8; 512];
    let mut w = Writer::new(&mut buf);
    write_new_mapping(&mut w, &mapping(0x1234, 61000), 0x5678, 9).unwrap();
    let n = w.finish().unwrap();
    // HDR | SA | SA2 | ADDRESS_SRC | NAT_T_SPORT | ADDRESS_DST |
    // NAT_T_DPORT, IPv4: 16 + 16 + 16 + 24 + 8 + 24 + 8 bytes.
    assert_eq!(n, 112);
    let m = parse(&buf[..n]).unwrap();
    let h = m.header();
    assert_eq!(
        (h.msg_type, h.satype, h.seq, h.pid, h.errno),
        (MsgType::X_NAT_T_NEW_MAPPING, SaType::ESP, 9, 0, 0)
    );
    assert_eq!(m.sa().unwrap().spi, 0x5678);
    let sa2 = m.x_sa2().unwrap();
    assert_eq!((sa2.mode, sa2.reqid), (IpsecMode::TUNNEL, 3));
    let src = m.address(AddressKind::Src).unwrap();
    let dst = m.address(AddressKind::Dst).unwrap();
    assert_eq!(
        (src.addr(), src.prefixlen, src.proto),
        (OLD, 32, IpProto(0))
    );
    assert_eq!((dst.addr(), dst.prefixlen), (NEW, 32));
    assert_eq!(m.nat_t_port(NatTPortKind::Src).unwrap().port, 4500);
    // NAT_T_DPORT as strongSwan reads it: `htons` of the field's value in
    // this machine's byte order gives the port in network order.
    let field = m.nat_t_port(NatTPortKind::Dst).unwrap().port.to_be_bytes();
    assert_eq!(u16::from_ne_bytes(field).to_be(), 61000u16.to_be());
    assert_eq!(u16::from_ne_bytes(field), 61000);
}

/// An ESP SA from `src` to `dst`, reqid `reqid`, NAT-T or not, added at
/// `added`.
fn rec(spi: u32, src: Addr, dst: Addr, reqid: u32, natt: bool, added: u64) -> SaRecord {
    SaRecord {
        satype: SaType::ESP,
        spi,
        state: RecordState::Mature,
        src: host(src),
        dst: host(dst),
        proxy: None,
        mode: IpsecMode::TUNNEL,
        reqid,
        replay: 32,
        flags: 0,
        auth: 0,
        auth_key: KeyBytes::EMPTY,
        enc: 0,
        enc_key: KeyBytes::EMPTY,
        hard: None,
        soft: None,
        current: LifetimeCurrent {
            addtime: added,
            ..LifetimeCurrent::default()
        },
        seq: 0,
        pid: 0,
        nat_t: natt.then_some(NatT {
            encap: 2,
            sport: 4500,
            dport: 4500,
        }),
        esn: false,
    }
}

#[test]
fn the_sa_to_the_peer_is_named() {
    let m = mapping(0x100, 61000);
    let sas = [
        // The inbound SA itself, a plain ESP SA, one with another reqid,
        // one to another peer: none of them.
        rec(0x100, OLD, LOCAL, 3, true, 1),
        rec(0x201, LOCAL, OLD, 3, false, 1),
        rec(0x202, LOCAL, OLD, 4, true, 1),
        rec(0x203, LOCAL, NEW, 3, true, 1),
        SaRecord {
            mode: IpsecMode::TRANSPORT,
            ..rec(0x204, LOCAL, OLD, 3, true, 1)
        },
        // Two that qualify: the newer wins (a rekeyed CHILD_SA).
        rec(0x301, LOCAL, OLD, 3, true, 5),
        rec(0x302, LOCAL, OLD, 3, true, 9),
    ];
    assert_eq!(peer_bound(sas.iter(), &m), Some(0x302));
    assert_eq!(peer_bound(sas[..5].iter(), &m), None);
}
