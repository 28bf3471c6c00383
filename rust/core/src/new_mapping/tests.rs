// SPDX-License-Identifier: GPL-2.0

//! SADB_X_NAT_T_NEW_MAPPING: the rate limit, the queue and the message.

use super::*;
use crate::pfkey::parse;

const OLD: Addr = Addr::V4([10, 0, 0, 2]);
const NEW: Addr = Addr::V4([192, 0, 2, 7]);

fn mapping(spi: u32, port: u16) -> NewMapping {
    NewMapping {
        spi,
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
fn message_as_af_key_builds_it() {
    let mut buf = vec![0u8; 512];
    let mut w = Writer::new(&mut buf);
    write_new_mapping(&mut w, &mapping(0x1234, 61000), 9).unwrap();
    let n = w.finish().unwrap();
    // HDR | SA | ADDRESS_SRC | NAT_T_SPORT | ADDRESS_DST | NAT_T_DPORT,
    // IPv4: 16 + 16 + 24 + 8 + 24 + 8 bytes.
    assert_eq!(n, 96);
    let m = parse(&buf[..n]).unwrap();
    let h = m.header();
    assert_eq!(
        (h.msg_type, h.satype, h.seq, h.pid, h.errno),
        (MsgType::X_NAT_T_NEW_MAPPING, SaType::ESP, 9, 0, 0)
    );
    assert_eq!(m.sa().unwrap().spi, 0x1234);
    let src = m.address(AddressKind::Src).unwrap();
    let dst = m.address(AddressKind::Dst).unwrap();
    assert_eq!(
        (src.addr(), src.prefixlen, src.proto),
        (OLD, 32, IpProto(0))
    );
    assert_eq!((dst.addr(), dst.prefixlen), (NEW, 32));
    assert_eq!(m.nat_t_port(NatTPortKind::Src).unwrap().port, 4500);
    assert_eq!(m.nat_t_port(NatTPortKind::Dst).unwrap().port, 61000);
}
