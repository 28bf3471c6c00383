// SPDX-License-Identifier: GPL-2.0

//! SA matching tests: the outbound choice (among the SAs that serve the
//! request, mature before dying, then the newest; never an exhausted one)
//! and the inbound key.

use std::collections::BTreeMap;

use super::*;

const A: Addr = Addr::V4([192, 0, 2, 1]);
const B: Addr = Addr::V4([192, 0, 2, 2]);
const C: Addr = Addr::V4([192, 0, 2, 3]);
const ANY4: Addr = Addr::V4([0; 4]);
const TRANSPORT: IpsecMode = IpsecMode::TRANSPORT;
const TUNNEL: IpsecMode = IpsecMode::TUNNEL;

type Sas = BTreeMap<SaKey, SaOffer>;

/// Adds a mature SA, newer than every SA added before.
fn add(sas: &mut Sas, satype: SaType, dst: Addr, spi: u32, src: Addr, mode: IpsecMode, reqid: u32) {
    let age = sas.len() as u64 + 1;
    let life = SaLife::Mature;
    let offer = SaOffer {
        src,
        mode,
        reqid,
        life,
        age,
    };
    sas.insert(SaKey { satype, dst, spi }, offer);
}

/// Adds an ESP SA from A to B in transport mode with `life` and `age`.
fn add_aged(sas: &mut Sas, spi: u32, life: SaLife, age: u64) {
    let offer = SaOffer {
        src: A,
        mode: TRANSPORT,
        reqid: 0,
        life,
        age,
    };
    sas.insert(
        SaKey {
            satype: SaType::ESP,
            dst: B,
            spi,
        },
        offer,
    );
}

fn need(src: Addr, dst: Addr, mode: IpsecMode, reqid: Option<u32>) -> OutboundNeed {
    OutboundNeed {
        satype: SaType::ESP,
        src,
        dst,
        mode,
        reqid,
    }
}

/// The SPI `find_outbound` picks.
fn spi(sas: &mut Sas, n: &OutboundNeed) -> Option<u32> {
    find_outbound(sas, n).map(|(k, _)| k.spi)
}

#[test]
fn the_newest_that_serves_wins_whatever_its_spi() {
    let mut sas = Sas::new();
    add(&mut sas, SaType::ESP, B, 0x300, A, TRANSPORT, 0);
    add(&mut sas, SaType::ESP, B, 0x200, A, TRANSPORT, 0);
    add(&mut sas, SaType::ESP, B, 0x100, C, TRANSPORT, 0);
    assert_eq!(spi(&mut sas, &need(A, B, TRANSPORT, None)), Some(0x200));
    assert_eq!(spi(&mut sas, &need(C, B, TRANSPORT, None)), Some(0x100));
    assert_eq!(spi(&mut sas, &need(B, B, TRANSPORT, None)), None);
    // A newer SA with a higher SPI takes over.
    add(&mut sas, SaType::ESP, B, 0x400, A, TRANSPORT, 0);
    assert_eq!(spi(&mut sas, &need(A, B, TRANSPORT, None)), Some(0x400));
}

#[test]
fn mature_before_dying_then_newest() {
    let mut sas = Sas::new();
    add_aged(&mut sas, 1, SaLife::Mature, 1);
    add_aged(&mut sas, 2, SaLife::Dying, 5);
    // The older SA is mature: it wins over the newer dying one.
    assert_eq!(spi(&mut sas, &need(A, B, TRANSPORT, None)), Some(1));
    add_aged(&mut sas, 3, SaLife::Mature, 3);
    assert_eq!(spi(&mut sas, &need(A, B, TRANSPORT, None)), Some(3));
    // Only dying SAs: the newest of them.
    let mut dying = Sas::new();
    add_aged(&mut dying, 7, SaLife::Dying, 9);
    add_aged(&mut dying, 8, SaLife::Dying, 4);
    assert_eq!(spi(&mut dying, &need(A, B, TRANSPORT, None)), Some(7));
}

#[test]
fn an_exhausted_sa_gives_way() {
    let mut sas = Sas::new();
    add_aged(&mut sas, 1, SaLife::Exhausted, 9);
    // Alone, it serves nothing: the request acquires a new SA.
    assert_eq!(spi(&mut sas, &need(A, B, TRANSPORT, None)), None);
    // Its successor serves, even dying and older.
    add_aged(&mut sas, 2, SaLife::Dying, 1);
    assert_eq!(spi(&mut sas, &need(A, B, TRANSPORT, None)), Some(2));
    add_aged(&mut sas, 3, SaLife::Mature, 2);
    assert_eq!(spi(&mut sas, &need(A, B, TRANSPORT, None)), Some(3));
}

#[test]
fn life_round_trips_through_its_byte() {
    for l in [SaLife::Mature, SaLife::Dying, SaLife::Exhausted] {
        assert_eq!(SaLife::from_u8(l as u8), l);
    }
    assert_eq!(SaLife::from_u8(200), SaLife::Exhausted);
    // The datapath moves an SA forward with fetch_max: the order matters.
    assert!(SaLife::Mature < SaLife::Dying && SaLife::Dying < SaLife::Exhausted);
}

#[test]
fn mode_must_match() {
    let mut sas = Sas::new();
    add(&mut sas, SaType::ESP, B, 1, A, TUNNEL, 0);
    assert_eq!(spi(&mut sas, &need(A, B, TRANSPORT, None)), None);
    add(&mut sas, SaType::ESP, B, 2, A, TRANSPORT, 0);
    assert_eq!(spi(&mut sas, &need(A, B, TRANSPORT, None)), Some(2));
    assert_eq!(spi(&mut sas, &need(A, B, TUNNEL, None)), Some(1));
}

#[test]
fn unique_requests_need_their_reqid() {
    let mut sas = Sas::new();
    add(&mut sas, SaType::ESP, B, 1, A, TRANSPORT, 7);
    add(&mut sas, SaType::ESP, B, 2, A, TRANSPORT, 9);
    assert_eq!(spi(&mut sas, &need(A, B, TRANSPORT, Some(9))), Some(2));
    assert_eq!(spi(&mut sas, &need(A, B, TRANSPORT, Some(7))), Some(1));
    assert_eq!(spi(&mut sas, &need(A, B, TRANSPORT, Some(8))), None);
    // Without `unique`, any reqid serves: the newest.
    assert_eq!(spi(&mut sas, &need(A, B, TRANSPORT, None)), Some(2));
}

#[test]
fn an_unspecified_source_serves_any() {
    let mut sas = Sas::new();
    add(&mut sas, SaType::ESP, B, 5, ANY4, TRANSPORT, 0);
    assert_eq!(spi(&mut sas, &need(A, B, TRANSPORT, None)), Some(5));
    assert_eq!(spi(&mut sas, &need(C, B, TRANSPORT, None)), Some(5));
}

#[test]
fn only_esp_sas_to_the_destination_count() {
    let mut sas = Sas::new();
    let six = Addr::V6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    add(&mut sas, SaType::AH, B, 1, A, TRANSPORT, 0);
    add(&mut sas, SaType::ESP, C, 2, A, TRANSPORT, 0);
    add(
        &mut sas,
        SaType::ESP,
        six,
        3,
        Addr::V6([0; 16]),
        TRANSPORT,
        0,
    );
    assert_eq!(spi(&mut sas, &need(A, B, TRANSPORT, None)), None);
    assert_eq!(spi(&mut sas, &need(A, C, TRANSPORT, None)), Some(2));
    let me6 = Addr::V6([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    assert_eq!(spi(&mut sas, &need(me6, six, TRANSPORT, None)), Some(3));
    assert_eq!(spi(&mut Sas::new(), &need(A, B, TRANSPORT, None)), None);
}

#[test]
fn inbound_key_is_type_dst_spi() {
    let k = inbound_key(SaType::ESP, B, 0x1234);
    assert_eq!((k.satype, k.dst, k.spi), (SaType::ESP, B, 0x1234));
    let k = inbound_key(SaType::AH, B, 0x1234);
    assert_eq!((k.satype, k.dst, k.spi), (SaType::AH, B, 0x1234));
}

/// An AH request to B, as `need` builds an ESP one.
fn need_ah(src: Addr, dst: Addr, mode: IpsecMode) -> OutboundNeed {
    OutboundNeed {
        satype: SaType::AH,
        ..need(src, dst, mode, None)
    }
}

#[test]
fn the_request_protocol_must_match() {
    let mut sas = Sas::new();
    // An AH SA never serves an ESP request, nor an ESP SA an AH one, even
    // when it is the newer or the only one.
    add(&mut sas, SaType::AH, B, 1, A, TRANSPORT, 0);
    assert_eq!(spi(&mut sas, &need(A, B, TRANSPORT, None)), None);
    assert_eq!(spi(&mut sas, &need_ah(A, B, TRANSPORT)), Some(1));
    add(&mut sas, SaType::ESP, B, 2, A, TRANSPORT, 0);
    add(&mut sas, SaType::AH, B, 3, A, TRANSPORT, 0);
    assert_eq!(spi(&mut sas, &need(A, B, TRANSPORT, None)), Some(2));
    assert_eq!(spi(&mut sas, &need_ah(A, B, TRANSPORT)), Some(3));
    // The same SPI for both protocols: each request gets its own.
    let mut same = Sas::new();
    add(&mut same, SaType::ESP, B, 9, A, TRANSPORT, 0);
    add(&mut same, SaType::AH, B, 9, A, TRANSPORT, 0);
    let k = find_outbound(&mut same, &need_ah(A, B, TRANSPORT)).map(|(k, _)| k.satype);
    assert_eq!(k, Some(SaType::AH));
    let k = find_outbound(&mut same, &need(A, B, TRANSPORT, None)).map(|(k, _)| k.satype);
    assert_eq!(k, Some(SaType::ESP));
    // Only AH SAs to C: an ESP request to C finds none.
    add(&mut sas, SaType::AH, C, 4, A, TRANSPORT, 0);
    assert_eq!(spi(&mut sas, &need(A, C, TRANSPORT, None)), None);
    assert_eq!(spi(&mut sas, &need_ah(A, C, TRANSPORT)), Some(4));
    // Mode still matters for AH.
    assert_eq!(spi(&mut sas, &need_ah(A, B, TUNNEL)), None);
}
