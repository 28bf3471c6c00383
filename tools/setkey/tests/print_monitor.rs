// SPDX-License-Identifier: GPL-2.0

//! Golden tests of `setkey -x` / `-xx` / `-H` and `-v` output. The
//! expected blocks follow setkey's `promisc()` and `printdate()`
//! (`src/setkey/setkey.c`) and `kdebug_sadb` with its helpers
//! (`src/libipsec/key_debug.c`).

mod print_common;

use ipsec_core::ipsec::{IpsecDir, IpsecLevel, IpsecMode, PolicyType};
use ipsec_core::pfkey::consts::{AuthAlg, EncAlg, IdentType, MsgType, SaState, SaType};
use ipsec_core::pfkey::ext::{
    Address, AddressKind, Alg, Comb, Identity, IdentityKind, Key, KeyKind, NatTType, Policy,
    Proposal, Sa, Sa2, SecCtx, Supported, SupportedKind,
};
use ipsec_core::pfkey::MsgHeader;
use print_common::*;
use setkey::print::{self, PrintOptions, Stamp};

/// Options at NOW with 123 µs, UTC stamps.
fn mopts() -> PrintOptions {
    PrintOptions {
        now_usec: 123,
        ..opts()
    }
}

fn monitored(msg: &[u8], opts: &PrintOptions, hex: bool) -> String {
    let mut s = String::new();
    print::monitor(msg, opts, hex, &mut s);
    s
}

/// An SADB_ADD as setkey sends it (pfkey_send_x1's order: SA, SA2,
/// addresses, encryption key, authentication key).
fn setkey_add() -> Vec<u8> {
    let h = MsgHeader::new(MsgType::ADD, SaType::ESP, 5, PID);
    let enc = key_bytes(0x01, 24);
    let auth = key_bytes(0xa0, 20);
    build(h, |w| {
        w.sa(&Sa {
            spi: 0x1000,
            replay: 0,
            state: SaState::LARVAL,
            auth: AuthAlg::SHA1HMAC,
            encrypt: EncAlg::DES3CBC,
            flags: 0x40,
        })
        .unwrap();
        w.x_sa2(&Sa2 {
            mode: IpsecMode::ANY,
            ..Sa2::default()
        })
        .unwrap();
        w.address(AddressKind::Src, &Address::host(v4([10, 0, 0, 1]), 0))
            .unwrap();
        w.address(AddressKind::Dst, &Address::host(v4([10, 0, 0, 2]), 0))
            .unwrap();
        w.key(KeyKind::Encrypt, &Key::new(&enc).unwrap()).unwrap();
        w.key(KeyKind::Auth, &Key::new(&auth).unwrap()).unwrap();
    })
}

#[test]
fn x_of_an_add() {
    // printdate (-x): "%02d:%02d:%02d.%06u " then "\n"; kdebug_sadb:
    // "sadb_msg{ version=%u type=%u errno=%u satype=%u\n",
    // "  len=%u reserved=%u seq=%u pid=%u\n", then per extension
    // "sadb_ext{ len=%u type=%u }\n" and its printer: kdebug_sadb_sa,
    // kdebug_sadb_x_sa2, kdebug_sadb_address + kdebug_sockaddr (the
    // address through ipsec_hexdump, then "  }\n"), kdebug_sadb_key
    // ("  key=" ipsec_hexdump " }\n"); promisc() adds "\n".
    let expected = "\
10:01:40.000123 \n\
sadb_msg{ version=2 type=3 errno=0 satype=3\n\
\x20 len=20 reserved=0 seq=5 pid=4242\n\
sadb_ext{ len=2 type=1 }\n\
sadb_sa{ spi=4096 replay=0 state=0\n\
\x20 auth=3 encrypt=3 flags=0x00000040 }\n\
sadb_ext{ len=2 type=19 }\n\
sadb_x_sa2{ mode=0 reqid=0\n\
\x20 reserved1=0 reserved2=0 sequence=0 }\n\
sadb_ext{ len=3 type=5 }\n\
sadb_address{ proto=255 prefixlen=32 reserved=0x0000 }\n\
sockaddr{ len=16 family=2 port=0\n\
\x200a000001  }\n\
sadb_ext{ len=3 type=6 }\n\
sadb_address{ proto=255 prefixlen=32 reserved=0x0000 }\n\
sockaddr{ len=16 family=2 port=0\n\
\x200a000002  }\n\
sadb_ext{ len=4 type=9 }\n\
sadb_key{ bits=192 reserved=0\n\
\x20 key= 01020304 05060708 090a0b0c 0d0e0f10 11121314 15161718 }\n\
sadb_ext{ len=4 type=8 }\n\
sadb_key{ bits=160 reserved=0\n\
\x20 key= a0a1a2a3 a4a5a6a7 a8a9aaab acadaeaf b0b1b2b3 }\n\
\n";
    assert_eq!(monitored(&setkey_add(), &mopts(), false), expected);
    // -v prints the same kdebug_sadb lines, without stamp or blank line.
    let mut s = String::new();
    print::debug(&setkey_add(), &mut s);
    assert_eq!(s, expected["10:01:40.000123 \n".len()..expected.len() - 1]);
}

#[test]
fn x_looks_through_the_promisc_wrapper() {
    // promisc(): for an SADB_X_PROMISC longer than its header, base++ and
    // kdebug_sadb the message inside. kdebug_sadb_x_policy (priority
    // printed: HAVE_PFKEY_POLICY_PRIORITY on Linux): " { len=%u proto=%u
    // mode=%u level=%u reqid=%u\n", the two endpoints, " }\n".
    let p = PolicyReply::out_ipsec();
    let inner = build(
        MsgHeader::new(MsgType::X_SPDADD, SaType::UNSPEC, 6, PID),
        |w| {
            w.address(AddressKind::Src, &p.src).unwrap();
            w.address(AddressKind::Dst, &p.dst).unwrap();
            w.x_policy(&Policy {
                policy_type: PolicyType::IPSEC,
                dir: IpsecDir::OUTBOUND,
                reserved: 0,
                id: 0,
                priority: 0x8000_0000 - 10,
            })
            .unwrap();
            w.ipsecrequest(&tunnel(
                v4([192, 0, 2, 1]),
                v4([192, 0, 2, 2]),
                IpsecLevel::UNIQUE,
                5,
            ))
            .unwrap();
        },
    );
    let units = u16::try_from(inner.len() / 8 + 2).unwrap();
    let mut wrapped = MsgHeader::new(MsgType::X_PROMISC, SaType::UNSPEC, 0, 0)
        .to_bytes(units)
        .to_vec();
    wrapped.extend_from_slice(&inner);
    let expected = "\
10:01:40.000123 \n\
sadb_msg{ version=2 type=14 errno=0 satype=0\n\
\x20 len=16 reserved=0 seq=6 pid=4242\n\
sadb_ext{ len=3 type=5 }\n\
sadb_address{ proto=255 prefixlen=24 reserved=0x0000 }\n\
sockaddr{ len=16 family=2 port=0\n\
\x200a000000  }\n\
sadb_ext{ len=3 type=6 }\n\
sadb_address{ proto=255 prefixlen=24 reserved=0x0000 }\n\
sockaddr{ len=16 family=2 port=0\n\
\x200a000100  }\n\
sadb_ext{ len=8 type=18 }\n\
sadb_x_policy{ type=2 dir=2 id=0 priority=2147483638 }\n\
\x20{ len=48 proto=50 mode=2 level=3 reqid=5\n\
sockaddr{ len=16 family=2 port=0\n\
\x20c0000201  }\n\
sockaddr{ len=16 family=2 port=0\n\
\x20c0000202  }\n\
\x20}\n\
\n";
    assert_eq!(monitored(&wrapped, &mopts(), false), expected);
    // The same message unwrapped (as Linux echoes a request) prints alike.
    assert_eq!(monitored(&inner, &mopts(), false), expected);
}

#[test]
fn bare_promisc_prints_only_the_stamp_and_xx_stamps() {
    // setkey's own X_PROMISC echoed back: base = NULL, nothing but the
    // date. -xx (f_tflag > 1): "%u.%06u ".
    let bare = MsgHeader::new(MsgType::X_PROMISC, SaType(1), 0, PID).to_bytes(2);
    assert_eq!(monitored(&bare, &mopts(), false), "10:01:40.000123 \n");
    let xx = PrintOptions {
        stamp: Stamp::Unix,
        ..mopts()
    };
    assert_eq!(monitored(&bare, &xx, false), "1795860100.000123 \n");
    // The clock stamp is in the zone taken at start (gmt2local).
    let east = PrintOptions {
        stamp_zone: 5 * 3600 + 1800,
        ..mopts()
    };
    assert_eq!(monitored(&bare, &east, false), "15:31:40.000123 \n");
}

#[cfg(target_endian = "little")]
#[test]
fn hex_dump_layout() {
    // -H: "%08x: " every 16 bytes, "%02x " per byte, "\n" after each 16
    // and after a short last line; then kdebug_sadb as usual.
    let bare = MsgHeader::new(MsgType::X_PROMISC, SaType(1), 0, PID).to_bytes(2);
    assert_eq!(
        monitored(&bare, &mopts(), true),
        "10:01:40.000123 \n\
         00000000: 02 0b 00 01 02 00 00 00 00 00 00 00 92 10 00 00 \n"
    );
    let msg = build(MsgHeader::new(MsgType::REGISTER, SaType::ESP, 0, 0), |w| {
        w.nat_t_type(&NatTType {
            encap: ipsec_core::pfkey::consts::UdpEncap::ESPINUDP,
            reserved: [0; 3],
        })
        .unwrap();
    });
    assert_eq!(
        monitored(&msg, &mopts(), true),
        "10:01:40.000123 \n\
         00000000: 02 07 00 03 03 00 00 00 00 00 00 00 00 00 00 00 \n\
         00000010: 01 00 14 00 02 00 00 00 \n\
         sadb_msg{ version=2 type=7 errno=0 satype=3\n  \
         len=3 reserved=0 seq=0 pid=0\n\
         sadb_ext{ len=1 type=20 }\n\
         sadb_x_nat_t_type{ type=2 }\n\
         \n"
    );
    let mut s = String::new();
    print::hexdump(&msg, &mut s);
    assert_eq!(
        s,
        "00000000: 02 07 00 03 03 00 00 00 00 00 00 00 00 00 00 00 \n\
         00000010: 01 00 14 00 02 00 00 00 \n"
    );
}

#[test]
fn replay_extension_and_where_kdebug_stops() {
    // rust_ipsec's SADB_X_EXT_SA_REPLAY gets a line of its own;
    // kdebug_sadb has no printer for SEC_CTX (24) and stops there with
    // "kdebug_sadb: invalid ext_type %u was passed.\n".
    let mut r = SaReply::esp();
    r.replay_ext = Some(1024);
    r.auth_key = Vec::new();
    r.enc_key = Vec::new();
    let msg = r.bytes_with(|w| {
        w.sec_ctx(&SecCtx {
            alg: 1,
            doi: 1,
            ctx: b"system_u:object_r:ipsec_spd_t:s0",
        })
        .unwrap();
        w.nat_t_type(&NatTType::default()).unwrap();
    });
    let out = monitored(&msg, &mopts(), false);
    assert!(
        out.ends_with(
            "sadb_ext{ len=4 type=4 }\n\
             sadb_lifetime{ alloc=0, bytes=0\n  addtime=0, usetime=0 }\n\
             sadb_ext{ len=4 type=2 }\n\
             sadb_lifetime{ alloc=5, bytes=1234\n  addtime=1795860000, usetime=0 }\n\
             sadb_ext{ len=3 type=5 }\n\
             sadb_address{ proto=255 prefixlen=32 reserved=0x0000 }\n\
             sockaddr{ len=16 family=2 port=0\n 0a000001  }\n\
             sadb_ext{ len=3 type=6 }\n\
             sadb_address{ proto=255 prefixlen=32 reserved=0x0000 }\n\
             sockaddr{ len=16 family=2 port=0\n 0a000002  }\n\
             sadb_ext{ len=2 type=19 }\n\
             sadb_x_sa2{ mode=1 reqid=0\n  reserved1=0 reserved2=0 sequence=0 }\n\
             sadb_ext{ len=1 type=27 }\n\
             sadb_x_sa_replay{ replay=1024 }\n\
             sadb_ext{ len=5 type=24 }\n\
             kdebug_sadb: invalid ext_type 24 was passed.\n\
             \n"
        ),
        "{out}"
    );
}

#[test]
fn identities_proposals_supported_and_ipv6() {
    // kdebug_sadb_identity (" type=%d id=%lu", "\n  str=\"...\"" with
    // "\\%03o" for unprintable bytes, " }\n"), kdebug_sadb_prop (the add
    // and use times under the alloc/bytes labels, as key_debug.c has it),
    // kdebug_sadb_supported, and an IPv6 kdebug_sockaddr with its
    // flowinfo/scope_id line.
    let h = MsgHeader::new(MsgType::ACQUIRE, SaType::ESP, 9, 0);
    let msg = build(h, |w| {
        w.address(
            AddressKind::Src,
            &Address::host(v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]), 0),
        )
        .unwrap();
        w.identity(
            IdentityKind::Src,
            &Identity {
                ident_type: IdentType::FQDN,
                reserved: 0,
                id: 0,
                data: b"host.example\0\0\0\0",
            },
        )
        .unwrap();
        w.identity(
            IdentityKind::Dst,
            &Identity {
                ident_type: IdentType::USERFQDN,
                reserved: 0,
                id: 7,
                data: b"a\x7fb\0\0\0\0\0",
            },
        )
        .unwrap();
        w.proposal(
            &Proposal {
                replay: 32,
                reserved: [0; 3],
            },
            &[Comb {
                auth: AuthAlg::SHA1HMAC,
                encrypt: EncAlg::AESCBC,
                auth_minbits: 160,
                auth_maxbits: 160,
                encrypt_minbits: 128,
                encrypt_maxbits: 256,
                soft_addtime: 72000,
                hard_addtime: 86400,
                soft_usetime: 25200,
                hard_usetime: 28800,
                ..Comb::default()
            }],
        )
        .unwrap();
        w.supported(
            SupportedKind::Auth,
            &Supported::default(),
            &[
                Alg {
                    id: 3,
                    ivlen: 0,
                    minbits: 160,
                    maxbits: 160,
                    reserved: 0,
                },
                Alg {
                    id: 5,
                    ivlen: 0,
                    minbits: 256,
                    maxbits: 256,
                    reserved: 0,
                },
            ],
        )
        .unwrap();
    });
    let mut s = String::new();
    print::debug(&msg, &mut s);
    let expected = "\
sadb_msg{ version=2 type=6 errno=0 satype=3\n\
\x20 len=27 reserved=0 seq=9 pid=0\n\
sadb_ext{ len=5 type=5 }\n\
sadb_address{ proto=255 prefixlen=128 reserved=0x0000 }\n\
sockaddr{ len=28 family=10 port=0\n\
\x20 flowinfo=0x00000000, scope_id=0x00000000\n\
\x2020010db8 00000000 00000000 00000001  }\n\
sadb_ext{ len=4 type=10 }\n\
sadb_ident_src{ type=2 id=0\n\
\x20 str=\"host.example\" }\n\
sadb_ext{ len=3 type=11 }\n\
sadb_ident_dst{ type=3 id=7\n\
\x20 str=\"a\\177b\" }\n\
sadb_ext{ len=10 type=13 }\n\
sadb_prop{ replay=32\n\
sadb_comb{ auth=3 encrypt=12 flags=0x0000 reserved=0x00000000\n\
\x20 auth_minbits=160 auth_maxbits=160 encrypt_minbits=128 encrypt_maxbits=256\n\
\x20 soft_alloc=0 hard_alloc=0 soft_bytes=0 hard_bytes=0\n\
\x20 soft_alloc=72000 hard_alloc=86400 soft_bytes=25200 hard_bytes=28800 }\n\
}\n\
sadb_ext{ len=3 type=14 }\n\
sadb_sup{\n\
\x20 { id=3 ivlen=0 min=160 max=160 }\n\
\x20 { id=5 ivlen=0 min=256 max=256 }\n\
}\n";
    assert_eq!(s, expected);
}

#[test]
fn unparsable_messages_get_a_note() {
    // A header whose length disagrees with the bytes: no header lines.
    let mut msg = setkey_add();
    msg.truncate(40);
    let out = monitored(&msg, &mopts(), false);
    assert!(
        out.starts_with("10:01:40.000123 \nkdebug_sadb: cannot parse the message: "),
        "{out}"
    );
    assert!(out.ends_with(".\n\n"), "{out}");
    // A sound header with a bad extension: the header lines, then the
    // note.
    let mut msg = setkey_add();
    msg[16 + 2] = 99; // the SA extension's type
    let out = monitored(&msg, &mopts(), false);
    assert!(
        out.starts_with(
            "10:01:40.000123 \n\
             sadb_msg{ version=2 type=3 errno=0 satype=3\n  len=20 reserved=0 seq=5 pid=4242\n\
             kdebug_sadb: cannot parse the message: "
        ),
        "{out}"
    );
}
