// SPDX-License-Identifier: GPL-2.0

//! Checking a parsed configuration against a kernel's REGISTER reply.

use ipsec_core::algs::{algs, AlgKind};
use ipsec_core::pfkey::ext::{Alg, Supported, SupportedKind};
use ipsec_core::pfkey::{MsgHeader, MsgType, SaType, Writer};
use setkey::names::{check_kernel_support, KernelAlgs};
use setkey::parse::parse;

/// The REGISTER reply of a kernel supporting `auth` and `enc`.
fn register_reply(satype: SaType, auth: &[Alg], enc: &[Alg]) -> Vec<u8> {
    let mut buf = vec![0u8; 1024];
    let mut w = Writer::new(&mut buf);
    w.header(&MsgHeader::new(MsgType::REGISTER, satype, 1, 1))
        .unwrap();
    w.supported(SupportedKind::Auth, &Supported::default(), auth)
        .unwrap();
    w.supported(SupportedKind::Encrypt, &Supported::default(), enc)
        .unwrap();
    let n = w.finish().unwrap();
    buf.truncate(n);
    buf
}

fn module_reply() -> Vec<u8> {
    let list = |k| algs(k).iter().map(|a| a.sadb_alg()).collect::<Vec<_>>();
    register_reply(
        SaType::UNSPEC,
        &list(AlgKind::Auth),
        &list(AlgKind::Encrypt),
    )
}

const CONF: &str = "add 10.0.0.1 10.0.0.2 esp 1 -E aes-gcm-16 0x000102030405060708090a0b0c0d0e0f10111213;\n\
                    add 10.0.0.1 10.0.0.2 ah 2 -A hmac-sha1 0x000102030405060708090a0b0c0d0e0f10111213;\n\
                    add 10.0.0.1 10.0.0.2 esp 3 -E blowfish-cbc 0x0001020304050607;\n";

#[test]
fn the_modules_own_list_accepts_its_algorithms() {
    let cmds = parse(&CONF.lines().take(2).collect::<Vec<_>>().join("\n"), "c").unwrap();
    let mut k = KernelAlgs::new();
    k.add_register_reply(&module_reply()).unwrap();
    assert_eq!(check_kernel_support(&cmds, "c", &k), Ok(()));
}

#[test]
fn first_unsupported_algorithm_is_reported() {
    let cmds = parse(CONF, "conf").unwrap();
    let mut k = KernelAlgs::new();
    k.add_register_reply(&module_reply()).unwrap();
    let e = check_kernel_support(&cmds, "conf", &k).unwrap_err();
    assert_eq!(
        e.to_string(),
        "conf:3:32: algorithm blowfish-cbc with 64-bit key is not supported by the kernel"
    );
}

#[test]
fn key_size_outside_the_announced_range() {
    // A list announcing AES-GCM-16 with 128-bit keys only.
    let gcm = Alg {
        id: 20,
        ivlen: 8,
        minbits: 128,
        maxbits: 128,
        reserved: 0,
    };
    let mut k = KernelAlgs::new();
    k.add_register_reply(&register_reply(SaType::ESP, &[], &[gcm]))
        .unwrap();
    let cmds = parse(CONF, "conf").unwrap();
    let e = check_kernel_support(&cmds, "conf", &k).unwrap_err();
    assert_eq!(
        e.to_string(),
        "conf:1:32: algorithm aes-gcm-16 with 160-bit key is not supported by the kernel"
    );
    // AH has no list of its own and none for UNSPEC: not checked.
    let ah = parse(CONF.lines().nth(1).unwrap(), "conf").unwrap();
    assert_eq!(check_kernel_support(&ah, "conf", &k), Ok(()));
    assert_eq!(k.lists_for(SaType::AH), None);
}

#[test]
fn per_type_lists_win_over_unspec() {
    let mut k = KernelAlgs::new();
    k.set(SaType::UNSPEC, &[], &[]);
    let sha1 = Alg {
        id: 3,
        minbits: 160,
        maxbits: 160,
        ..Alg::default()
    };
    k.set(SaType::AH, &[sha1], &[]);
    let ah = parse(CONF.lines().nth(1).unwrap(), "conf").unwrap();
    assert_eq!(check_kernel_support(&ah, "conf", &k), Ok(()));
    let cmds = parse("add 10.0.0.1 10.0.0.2 ah 2 -A null;", "x").unwrap();
    assert_eq!(
        check_kernel_support(&cmds, "x", &k)
            .unwrap_err()
            .to_string(),
        "x:1:31: algorithm null is not supported by the kernel"
    );
    assert!(k.add_register_reply(&[0u8; 16]).is_err());
}
