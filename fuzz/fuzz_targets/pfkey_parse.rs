// SPDX-License-Identifier: GPL-2.0

//! Fuzz target for the PF_KEY v2 codec (`ipsec_core::pfkey`).
//!
//! For any input: `parse` must not panic. When it accepts the input:
//! - `reencode` gives back exactly the input bytes;
//! - every typed accessor works and agrees with `has`/`raw`/`ext` and the
//!   wire-order `extensions()` iterator (a parsed message's accessors
//!   cannot fail);
//! - `check_required` runs;
//! - ADD/UPDATE: `SaRecord::from_add`, and when it succeeds, `write`
//!   (with and without keys) and `write_expire` produce messages that
//!   parse, and the SA read back from the full dump is the same SA;
//! - X_SPDADD: `PolicyRecord::from_message`, and when it succeeds, `write`
//!   produces a message that parses and reads back as the same policy.
//!
//! Run with `scripts/fuzz.sh [SECONDS]`.

#![no_main]

use ipsec_core::pfkey::consts::EXT_COUNT;
use ipsec_core::pfkey::ext::{
    AddressKind, Extension, IdentityKind, KeyKind, LifetimeKind, NatTPortKind, SupportedKind,
};
use ipsec_core::pfkey::message::MSG_MAX_LEN;
use ipsec_core::pfkey::{check_required, parse, Errno, ExtType, Message, MsgType, Writer};
use ipsec_core::sadb::{Expiry, LifetimeLimits, SaRecord};
use ipsec_core::spd::PolicyRecord;
use libfuzzer_sys::fuzz_target;

/// Time passed to the record builders.
const NOW: u64 = 1_000_000;

/// Re-encoding buffer: 64 KiB, or the input size for longer inputs (up to
/// `MSG_MAX_LEN`; libFuzzer's default `-max_len` keeps inputs far below).
const BUF_LEN: usize = 64 * 1024;

fuzz_target!(|data: &[u8]| {
    let Ok(msg) = parse(data) else {
        return;
    };
    assert!(data.len() <= MSG_MAX_LEN);
    check_reencode(&msg, data);
    check_accessors(&msg);
    let _ = check_required(&msg);
    match msg.msg_type() {
        MsgType::ADD | MsgType::UPDATE => check_sa(&msg),
        MsgType::X_SPDADD => check_policy(&msg),
        _ => {}
    }
});

fn check_reencode(msg: &Message<'_>, data: &[u8]) {
    let mut buf = vec![0u8; BUF_LEN.max(data.len())];
    let n = msg
        .reencode(&mut buf)
        .expect("reencode of a parsed message");
    assert_eq!(&buf[..n], data, "reencode differs from the input");
    assert_eq!(msg.as_bytes(), data);
    assert_eq!(msg.wire_len(), data.len());
}

fn check_accessors(msg: &Message<'_>) {
    let _ = (msg.header(), msg.msg_type(), msg.satype());

    // Every extension type, known or not, through the generic accessors.
    let mut present = 0usize;
    for t in 0..=u16::try_from(EXT_COUNT + 2).unwrap() {
        let ty = ExtType(t);
        let has = msg.has(ty);
        assert_eq!(has, msg.raw(ty).is_some());
        let ext = msg.ext(ty);
        assert_eq!(has, ext.is_some(), "{ty:?}: has() but ext() fails");
        if let Some(e) = ext {
            assert_eq!(e.ext_type(), ty);
            present += 1;
        }
    }
    assert!(!msg.has(ExtType(u16::MAX)));

    // The wire-order iterator sees the same extensions.
    let mut seen = 0usize;
    for e in msg.extensions() {
        assert_eq!(msg.ext(e.ext_type()), Some(e));
        seen += 1;
    }
    assert_eq!(seen, present);

    // The typed accessors agree with ext().
    let same = |ty: ExtType, some: bool| assert_eq!(some, msg.has(ty), "{ty:?}");
    same(ExtType::SA, msg.sa().is_some());
    for &k in LifetimeKind::ALL {
        same(k.ext_type(), msg.lifetime(k).is_some());
    }
    for &k in AddressKind::ALL {
        if let Some(a) = msg.address(k) {
            let _ = (a.family(), a.addr(), a.port(), a.addr().octets());
            assert!(a.prefixlen <= a.addr().bits());
            assert_eq!(msg.ext(k.ext_type()), Some(Extension::Address(k, a)));
        }
        same(k.ext_type(), msg.address(k).is_some());
    }
    for &k in KeyKind::ALL {
        if let Some(key) = msg.key(k) {
            assert_eq!(
                key.data.len(),
                ipsec_core::pfkey::ext::Key::byte_len(key.bits)
            );
        }
        same(k.ext_type(), msg.key(k).is_some());
    }
    for &k in IdentityKind::ALL {
        same(k.ext_type(), msg.identity(k).is_some());
    }
    same(ExtType::SENSITIVITY, msg.sensitivity().is_some());
    match msg.proposal() {
        Some(p) => {
            let raw = msg.raw(ExtType::PROPOSAL).unwrap();
            assert_eq!(p.combs().count() * 72 + 8, raw.len());
        }
        None => same(ExtType::PROPOSAL, false),
    }
    for &k in SupportedKind::ALL {
        match msg.supported(k) {
            Some(s) => {
                let raw = msg.raw(k.ext_type()).unwrap();
                assert_eq!(s.algs().count() * 8 + 8, raw.len());
            }
            None => same(k.ext_type(), false),
        }
    }
    same(ExtType::SPIRANGE, msg.spirange().is_some());
    same(ExtType::X_KMPRIVATE, msg.kmprivate().is_some());
    same(ExtType::X_SA_REPLAY, msg.x_sa_replay().is_some());
    match msg.x_policy() {
        Some(p) => {
            // Every request decodes: their lengths add up to the extension.
            let raw = msg.raw(ExtType::X_POLICY).unwrap();
            let mut len = 16usize;
            for rq in p.requests() {
                len += 16 + rq.endpoints.map_or(0, |(s, d)| s.wire_len() + d.wire_len());
            }
            assert_eq!(len, raw.len(), "X_POLICY requests do not tile it");
        }
        None => same(ExtType::X_POLICY, false),
    }
    same(ExtType::X_SA2, msg.x_sa2().is_some());
    same(ExtType::X_NAT_T_TYPE, msg.nat_t_type().is_some());
    for &k in NatTPortKind::ALL {
        same(k.ext_type(), msg.nat_t_port(k).is_some());
    }
    same(ExtType::X_SEC_CTX, msg.sec_ctx().is_some());
    same(ExtType::X_KMADDRESS, msg.kmaddress().is_some());
    same(ExtType::X_FILTER, msg.filter().is_some());
}

/// Writes a message into `buf` with `fill`, finishes it, and checks that
/// it parses; returns its length.
fn emit_and_parse(
    buf: &mut [u8],
    what: &str,
    fill: impl FnOnce(&mut Writer<'_>) -> Result<(), Errno>,
) -> usize {
    let mut w = Writer::new(buf);
    fill(&mut w).unwrap_or_else(|e| panic!("{what}: {e:?}"));
    let n = w
        .finish()
        .unwrap_or_else(|e| panic!("{what}: finish: {e:?}"));
    if let Err(e) = parse(&buf[..n]) {
        panic!("{what}: written message does not parse: {e}");
    }
    n
}

fn check_sa(msg: &Message<'_>) {
    let Ok(rec) = SaRecord::from_add(msg, NOW) else {
        return;
    };
    let _ = (rec.key(), rec.auth_alg(), rec.enc_alg());
    let mut buf = vec![0u8; BUF_LEN];
    emit_and_parse(&mut buf, "SaRecord::write(keys=false)", |w| {
        rec.write(w, msg.header(), false)
    });
    let n = emit_and_parse(&mut buf, "SaRecord::write(keys=true)", |w| {
        rec.write(w, msg.header(), true)
    });
    // The full dump read back is the same SA. A dump always carries HARD
    // and SOFT, as af_key's (all zero: no limit), so a missing lifetime
    // comes back as an all-zero one: the same limits.
    let again = parse(&buf[..n]).unwrap();
    let unlimited = |mut r: SaRecord| {
        for l in [&mut r.hard, &mut r.soft] {
            if *l == Some(LifetimeLimits::default()) {
                *l = None;
            }
        }
        r
    };
    assert_eq!(
        SaRecord::from_add(&again, NOW).map(unlimited),
        Ok(unlimited(rec.clone())),
        "SA round trip"
    );
    for which in [Expiry::Soft, Expiry::Hard] {
        emit_and_parse(&mut buf, "SaRecord::write_expire", |w| {
            rec.write_expire(w, which)
        });
    }
}

fn check_policy(msg: &Message<'_>) {
    let Ok(rec) = PolicyRecord::from_message(msg, NOW) else {
        return;
    };
    let _ = rec.requests().count();
    let mut buf = vec![0u8; BUF_LEN];
    let n = emit_and_parse(&mut buf, "PolicyRecord::write", |w| {
        rec.write(w, msg.header())
    });
    // Read back, it is the same policy.
    let again = parse(&buf[..n]).unwrap();
    assert_eq!(
        PolicyRecord::from_message(&again, NOW),
        Ok(rec),
        "policy round trip"
    );
}
