// SPDX-License-Identifier: GPL-2.0

//! Acquisition table and SADB_ACQUIRE message tests.

use super::*;
use crate::pfkey::parse;

const SRC: Addr = Addr::V4([10, 0, 0, 1]);
const DST: Addr = Addr::V4([10, 0, 0, 2]);

fn req(reqid: u32) -> AcquireRequest {
    AcquireRequest {
        satype: SaType::ESP,
        src: SRC,
        dst: DST,
        mode: IpsecMode::TRANSPORT,
        reqid,
        policy_id: 0x11,
        policy_priority: 0x7fff_ffff,
    }
}

#[test]
fn same_sa_is_asked_once_per_block_period() {
    let mut t = Acquires::<4>::new();
    assert_eq!(t.ask(req(0), 100), Asked::New);
    assert_eq!(
        t.ask(req(0), 100 + ACQUIRE_BLOCK_SECONDS - 1),
        Asked::Pending
    );
    // Another policy asking for the same SA does not ask again.
    let other_policy = AcquireRequest {
        policy_id: 0x21,
        ..req(0)
    };
    assert_eq!(t.ask(other_policy, 101), Asked::Pending);
    // A different SA (reqid, satype, address or mode) is asked for.
    assert_eq!(t.ask(req(5), 101), Asked::New);
    let ah = AcquireRequest {
        satype: SaType::AH,
        ..req(0)
    };
    assert_eq!(t.ask(ah, 101), Asked::New);
    assert_eq!(t.live(101), 3);
    // Once the block period is over, the same SA is asked for again.
    assert_eq!(t.ask(req(0), 100 + ACQUIRE_BLOCK_SECONDS), Asked::New);
}

#[test]
fn full_table_waits_for_a_slot_to_age_out() {
    let mut t = Acquires::<2>::new();
    assert_eq!(t.ask(req(1), 10), Asked::New);
    assert_eq!(t.ask(req(2), 20), Asked::New);
    assert_eq!(t.ask(req(3), 30), Asked::Full);
    assert_eq!(t.ask(req(3), 10 + ACQUIRE_BLOCK_SECONDS), Asked::New);
    // The slot of req(1) was reused; req(2) is still pending.
    assert_eq!(t.ask(req(2), 10 + ACQUIRE_BLOCK_SECONDS), Asked::Pending);
}

#[test]
fn each_acquisition_is_announced_once_with_its_own_seq() {
    let mut t = Acquires::<4>::new();
    t.ask(req(1), 1);
    t.ask(req(2), 1);
    let a = t.next_unannounced().unwrap();
    let b = t.next_unannounced().unwrap();
    assert!(t.next_unannounced().is_none());
    assert_eq!((a.request.reqid, b.request.reqid), (1, 2));
    assert_ne!(a.seq, b.seq);
    assert!(a.announced && b.announced);
}

#[test]
fn seq_skips_zero_on_wrap() {
    let mut t = Acquires::<1>::new();
    t.last_seq = u32::MAX;
    t.ask(req(1), 1);
    assert_eq!(t.next_unannounced().unwrap().seq, 1);
}

#[test]
fn failure_extends_the_block() {
    let mut t = Acquires::<2>::new();
    t.ask(req(1), 100);
    let seq = t.next_unannounced().unwrap().seq;
    assert!(t.failed(seq, 120));
    assert!(!t.failed(seq + 1, 120));
    assert_eq!(t.ask(req(1), 100 + ACQUIRE_BLOCK_SECONDS), Asked::Pending);
    assert_eq!(t.ask(req(1), 120 + ACQUIRE_BLOCK_SECONDS), Asked::New);
    // An aged-out acquisition cannot fail any more.
    assert!(!t.failed(seq, 1000));
}

#[test]
fn a_matching_sa_satisfies_acquisitions() {
    let mut t = Acquires::<4>::new();
    t.ask(req(1), 1);
    t.ask(req(2), 1);
    t.satisfied(SaType::AH, &SRC, &DST);
    assert_eq!(t.live(1), 2);
    t.satisfied(SaType::ESP, &DST, &SRC);
    assert_eq!(t.live(1), 2);
    t.satisfied(SaType::ESP, &SRC, &DST);
    assert_eq!(t.live(1), 0);
    assert_eq!(t.ask(req(1), 2), Asked::New);
}

fn encode(e: &AcquireEntry) -> Vec<u8> {
    let mut buf = vec![0u8; 8192];
    let mut w = Writer::new(&mut buf);
    write_acquire(&mut w, e).unwrap();
    let n = w.finish().unwrap();
    buf.truncate(n);
    buf
}

#[test]
fn esp_acquire_message_as_af_key_builds_it() {
    let mut t = Acquires::<4>::new();
    t.ask(req(7), 5);
    let e = t.next_unannounced().unwrap();
    let bytes = encode(&e);
    assert!(bytes.len() <= 4096, "{} bytes", bytes.len());
    let m = parse(&bytes).unwrap();
    let h = m.header();
    assert_eq!(
        (h.msg_type, h.satype, h.seq, h.pid, h.errno),
        (MsgType::ACQUIRE, SaType::ESP, e.seq, 0, 0)
    );
    let src = m.address(AddressKind::Src).unwrap();
    let dst = m.address(AddressKind::Dst).unwrap();
    assert_eq!(
        (src.addr(), src.prefixlen, src.proto),
        (SRC, 32, IpProto(0))
    );
    assert_eq!((dst.addr(), dst.prefixlen), (DST, 32));
    let p = m.x_policy().unwrap().policy;
    assert_eq!(
        (p.policy_type, p.dir, p.id, p.priority),
        (PolicyType::IPSEC, IpsecDir::OUTBOUND, 0x11, 0x7fff_ffff)
    );
    let prop = m.proposal().unwrap();
    assert_eq!(prop.proposal.replay, 32);
    let combs: Vec<Comb> = prop.combs().collect();
    let aead = algs(AlgKind::Encrypt).iter().filter(|e| e.aead).count();
    let ciphers = algs(AlgKind::Encrypt).len() - aead;
    let auths = algs(AlgKind::Auth).len() - 1;
    assert_eq!(combs.len(), aead + ciphers * auths);
    // AEAD first, no authenticator; every comb has af_key's lifetimes.
    assert!(combs[..aead]
        .iter()
        .all(|c| c.auth.0 == 0 && c.encrypt.0 != 0));
    assert!(combs[aead..].iter().all(|c| c.auth.0 != 0));
    assert!(combs.iter().all(|c| (
        c.soft_addtime,
        c.hard_addtime,
        c.soft_usetime,
        c.hard_usetime
    ) == (72_000, 86_400, 25_200, 28_800)));
    // The null cipher comes last.
    assert!(combs[combs.len() - auths..]
        .iter()
        .all(|c| c.encrypt == EncAlg::NULL));
    assert!(combs[..combs.len() - auths]
        .iter()
        .all(|c| c.encrypt != EncAlg::NULL));
    // Key sizes come from the algorithm table.
    let gcm16 = combs
        .iter()
        .find(|c| c.encrypt == EncAlg::AES_GCM_ICV16)
        .unwrap();
    assert_eq!((gcm16.encrypt_minbits, gcm16.encrypt_maxbits), (160, 288));
}

#[test]
fn ah_acquire_proposes_authenticators_only() {
    let e = AcquireEntry {
        request: AcquireRequest {
            satype: SaType::AH,
            src: Addr::V6([1; 16]),
            dst: Addr::V6([2; 16]),
            ..req(0)
        },
        seq: 9,
        created: 1,
        announced: true,
    };
    let bytes = encode(&e);
    let m = parse(&bytes).unwrap();
    assert_eq!(m.header().satype, SaType::AH);
    assert_eq!(m.address(AddressKind::Src).unwrap().prefixlen, 128);
    let combs: Vec<Comb> = m.proposal().unwrap().combs().collect();
    assert_eq!(combs.len(), algs(AlgKind::Auth).len() - 1);
    assert!(combs.iter().all(|c| c.encrypt.0 == 0 && c.auth.0 != 0));
    assert!(combs.iter().all(|c| c.auth != AuthAlg::NULL));
}
