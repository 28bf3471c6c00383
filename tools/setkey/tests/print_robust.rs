// SPDX-License-Identifier: GPL-2.0

//! Malformed input never panics: every printer over every truncation,
//! every single-byte corruption and pseudo-random bytes. Where libipsec's
//! answer is known, it is checked too.

mod print_common;

use ipsec_core::ipsec::IpsecLevel;
use ipsec_core::pfkey::consts::{MsgType, SaType};
use ipsec_core::pfkey::ext::{NatTPort, NatTPortKind, NatTType, SecCtx};
use ipsec_core::pfkey::MsgHeader;
use print_common::*;
use setkey::print::{self, PrintOptions, ReplyError};

/// Valid messages touching every printer path.
fn samples() -> Vec<Vec<u8>> {
    let mut sa = SaReply::esp();
    sa.replay_ext = Some(2048);
    let sa = sa.bytes_with(|w| {
        w.nat_t_type(&NatTType {
            encap: ipsec_core::pfkey::consts::UdpEncap::ESPINUDP,
            reserved: [0; 3],
        })
        .unwrap();
        w.nat_t_port(
            NatTPortKind::Src,
            &NatTPort {
                port: 4500,
                reserved: 0,
            },
        )
        .unwrap();
        w.sec_ctx(&SecCtx {
            alg: 1,
            doi: 1,
            ctx: b"ctx",
        })
        .unwrap();
    });
    let mut pol = PolicyReply::out_ipsec();
    pol.requests = vec![
        tunnel(
            v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]),
            v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 2]),
            IpsecLevel::UNIQUE,
            0x4000,
        ),
        tunnel(
            v4([192, 0, 2, 1]),
            v4([192, 0, 2, 2]),
            IpsecLevel::REQUIRE,
            0,
        ),
    ];
    let pol = pol.bytes();
    let mut wrapped = MsgHeader::new(MsgType::X_PROMISC, SaType::UNSPEC, 0, 0)
        .to_bytes(u16::try_from(pol.len() / 8 + 2).unwrap())
        .to_vec();
    wrapped.extend_from_slice(&pol);
    vec![sa, pol, wrapped]
}

/// Runs every printer on `bytes` and checks each output is whole lines.
fn print_all(bytes: &[u8], opts: &PrintOptions) -> String {
    let mut all = String::new();
    for hex in [false, true] {
        let mut s = String::new();
        print::monitor(bytes, opts, hex, &mut s);
        assert!(s.ends_with('\n'), "{s:?}");
        all.push_str(&s);
    }
    let mut s = String::new();
    print::sa(bytes, opts, &mut s);
    print::sa_short(bytes, opts, &mut s);
    print::policy(bytes, opts, &mut s);
    print::debug(bytes, &mut s);
    let _ = print::reply(bytes, opts, false, &mut s);
    let _ = print::reply(bytes, opts, true, &mut s);
    assert!(s.is_empty() || s.ends_with('\n'), "{s:?}");
    all.push_str(&s);
    all
}

#[test]
fn every_truncation() {
    let all = PrintOptions {
        show_dead: true,
        with_ports: true,
        ..opts()
    };
    for msg in samples() {
        for n in 0..msg.len() {
            let cut = &msg[..n];
            print_all(cut, &all);
            // libipsec: the length no longer matches; sadb_msg_len says
            // more than there is.
            let mut s = String::new();
            print::sa(cut, &all, &mut s);
            assert_eq!(s, "Invalid sadb message\n", "cut at {n}");
            s.clear();
            print::policy(cut, &all, &mut s);
            assert_eq!(s, "Invalid sadb message\n", "cut at {n}");
            assert_eq!(
                print::reply(cut, &all, false, &mut s),
                Err(ReplyError::Length),
                "cut at {n}"
            );
        }
    }
}

#[test]
fn truncations_with_a_matching_length() {
    // Cut at every 8-byte boundary and fix sadb_msg_len, so the header is
    // sound and an extension is short or missing.
    for msg in samples() {
        for units in 2..msg.len() / 8 {
            let mut cut = msg[..units * 8].to_vec();
            cut[4..6].copy_from_slice(&u16::try_from(units).unwrap().to_ne_bytes());
            print_all(&cut, &opts());
        }
    }
}

#[test]
fn every_byte_corrupted() {
    for msg in samples() {
        for i in 0..msg.len() {
            for v in [0x00, 0xff, msg[i] ^ 0x01, msg[i] ^ 0x80, 0x1b] {
                let mut m = msg.clone();
                m[i] = v;
                print_all(&m, &opts());
            }
        }
    }
}

#[test]
fn pseudo_random_bytes() {
    // A fixed xorshift stream: random lengths and contents, with a valid
    // version and length now and then so the parser goes deeper.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for round in 0..3000 {
        let len = (next() % 200) as usize;
        let mut m: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        if round % 2 == 0 && m.len() >= 16 {
            m.truncate(m.len() / 8 * 8);
            m[0] = 2;
            m[1] = (next() % 25) as u8;
            m[3] = (next() % 10) as u8;
            let units = u16::try_from(m.len() / 8).unwrap();
            m[4..6].copy_from_slice(&units.to_ne_bytes());
            m[6] = 0;
            m[7] = 0;
        }
        print_all(&m, &opts());
    }
}

#[test]
fn samples_print_in_full() {
    // The samples themselves print without any refusal word, so the loops
    // above start from messages that reach every printer.
    let s = samples();
    let mut out = String::new();
    print::sa(&s[0], &opts(), &mut out);
    assert!(out.contains("replay=2048") && out.contains("security context: ctx\n"));
    out.clear();
    print::policy(&s[1], &opts(), &mut out);
    assert!(
        out.contains("\tesp/tunnel/2001:db8::1-2001:db8::2/unique#16384\n"),
        "{out}"
    );
    let mut a = String::new();
    let mut b = String::new();
    print::monitor(&s[1], &opts(), false, &mut a);
    print::monitor(&s[2], &opts(), false, &mut b);
    assert_eq!(a, b);
    assert!(!a.contains("cannot parse"), "{a}");
}
