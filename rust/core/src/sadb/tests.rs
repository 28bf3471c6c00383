// SPDX-License-Identifier: GPL-2.0

//! SA record tests: setkey-style ADD round trip, every rejection, GETSPI,
//! EXPIRE and the lifetime table.

use super::super::inet::IpProto;
use super::super::pfkey::consts::{sa_flags, CompAlg, ExtType, SADB_X_EALG_CHACHA20_POLY1305};
use super::super::pfkey::ext::{Extension, SaReplay, SpiRange};
use super::super::pfkey::sockaddr::SockAddr;
use super::super::pfkey::{check_required, parse};
use super::*;

const SRC: Addr = Addr::V4([10, 0, 0, 1]);
const DST: Addr = Addr::V4([10, 0, 0, 2]);
const K_3DES: [u8; 24] = [7; 24];
const K_SHA1: [u8; 20] = [9; 20];

/// What to put in a test ADD.
#[derive(Clone)]
struct Add {
    satype: SaType,
    spi: u32,
    auth: u8,
    enc: u8,
    auth_key: Option<Vec<u8>>,
    enc_key: Option<Vec<u8>>,
    mode: Option<IpsecMode>,
    hard: Option<Lifetime>,
    soft: Option<Lifetime>,
    natt: Option<(u8, u16, u16)>,
    dst: Addr,
    spirange: Option<(u32, u32)>,
    /// `sadb_sa_replay`.
    replay: u8,
    /// X_SA_REPLAY, if any.
    x_replay: Option<u32>,
    /// `sadb_sa_flags`.
    flags: u32,
}

fn esp_add() -> Add {
    Add {
        satype: SaType::ESP,
        spi: 0x1000,
        auth: AuthAlg::SHA1HMAC.0,
        enc: EncAlg::DES3CBC.0,
        auth_key: Some(K_SHA1.to_vec()),
        enc_key: Some(K_3DES.to_vec()),
        mode: Some(IpsecMode::TRANSPORT),
        hard: None,
        soft: None,
        natt: None,
        dst: DST,
        spirange: None,
        replay: 64,
        x_replay: None,
        flags: sa_flags::KAME_CYCSEQ,
    }
}

/// Builds the message in setkey's order (keys, SA, SA2, lifetimes,
/// addresses, NAT-T).
fn build(t: MsgType, a: &Add) -> Vec<u8> {
    let mut buf = vec![0u8; 1024];
    let mut w = Writer::new(&mut buf);
    w.header(&MsgHeader::new(t, a.satype, 42, 4242)).unwrap();
    if let Some(k) = &a.enc_key {
        w.key(KeyKind::Encrypt, &Key::new(k).unwrap()).unwrap();
    }
    if let Some(k) = &a.auth_key {
        w.key(KeyKind::Auth, &Key::new(k).unwrap()).unwrap();
    }
    w.sa(&Sa {
        spi: a.spi,
        replay: a.replay,
        state: WireState::LARVAL,
        auth: AuthAlg(a.auth),
        encrypt: EncAlg(a.enc),
        flags: a.flags,
    })
    .unwrap();
    if let Some(replay) = a.x_replay {
        w.x_sa_replay(&SaReplay { replay }).unwrap();
    }
    if let Some(m) = a.mode {
        w.x_sa2(&Sa2 {
            mode: m,
            reserved1: 0xaa,
            reserved2: 0xbbbb,
            sequence: 0xdead_beef,
            reqid: 7,
        })
        .unwrap();
    }
    if let Some(l) = &a.hard {
        w.lifetime(LifetimeKind::Hard, l).unwrap();
    }
    if let Some(l) = &a.soft {
        w.lifetime(LifetimeKind::Soft, l).unwrap();
    }
    w.address(AddressKind::Src, &Address::host(SRC, 0)).unwrap();
    w.address(AddressKind::Dst, &Address::host(a.dst, 0))
        .unwrap();
    if let Some((t, s, d)) = a.natt {
        w.nat_t_type(&NatTType {
            encap: UdpEncap(t),
            reserved: [0; 3],
        })
        .unwrap();
        w.nat_t_port(
            NatTPortKind::Src,
            &NatTPort {
                port: s,
                reserved: 0,
            },
        )
        .unwrap();
        w.nat_t_port(
            NatTPortKind::Dst,
            &NatTPort {
                port: d,
                reserved: 0,
            },
        )
        .unwrap();
    }
    if let Some((min, max)) = a.spirange {
        w.spirange(&SpiRange {
            min,
            max,
            reserved: 0,
        })
        .unwrap();
    }
    let n = w.finish().unwrap();
    buf.truncate(n);
    buf
}

fn add(a: &Add) -> Result<SaRecord, Errno> {
    let b = build(MsgType::ADD, a);
    let m = parse(&b).unwrap();
    SaRecord::from_add(&m, 1000)
}

fn emit(f: impl FnOnce(&mut Writer<'_>) -> Result<(), Errno>) -> Vec<u8> {
    let mut buf = vec![0u8; 1024];
    let mut w = Writer::new(&mut buf);
    f(&mut w).unwrap();
    let n = w.finish().unwrap();
    buf.truncate(n);
    buf
}

fn ext_types(b: &[u8]) -> Vec<ExtType> {
    parse(b)
        .unwrap()
        .extensions()
        .map(|e| e.ext_type())
        .collect()
}

fn lt(allocations: u32, bytes: u64, addtime: u64, usetime: u64) -> Lifetime {
    Lifetime {
        allocations,
        bytes,
        addtime,
        usetime,
    }
}

#[test]
fn setkey_add_round_trip() {
    let a = Add {
        hard: Some(lt(0, 1_000_000, 3600, 0)),
        soft: Some(lt(0, 800_000, 3000, 0)),
        ..esp_add()
    };
    let b = build(MsgType::ADD, &a);
    let m = parse(&b).unwrap();
    check_required(&m).unwrap();
    let sa = SaRecord::from_add(&m, 1000).unwrap();
    assert_eq!(sa.satype, SaType::ESP);
    assert_eq!(sa.spi, 0x1000);
    assert_eq!(sa.state, SaState::Mature);
    assert_eq!(sa.mode, IpsecMode::TRANSPORT);
    assert_eq!(
        (sa.reqid, sa.replay, sa.flags),
        (7, 64, sa_flags::KAME_CYCSEQ)
    );
    assert_eq!((sa.seq, sa.pid), (42, 4242));
    assert_eq!(sa.auth_key.as_bytes(), &K_SHA1);
    assert_eq!(sa.enc_key.as_bytes(), &K_3DES);
    assert_eq!(sa.enc_key.bits(), 192);
    assert_eq!(sa.current.addtime, 1000);
    assert_eq!(sa.hard.unwrap().addtime, 3600);
    assert_eq!(sa.soft.unwrap().bytes, 800_000);
    assert_eq!(sa.auth_alg().unwrap().setkey_name, "hmac-sha1");
    assert_eq!(sa.enc_alg().unwrap().setkey_name, "3des-cbc");
    assert_eq!(
        sa.key(),
        SaKey {
            satype: SaType::ESP,
            dst: DST,
            spi: 0x1000
        }
    );
    assert!(!format!("{:?}", sa.auth_key).contains('9'));

    let hdr = MsgHeader::new(MsgType::DUMP, SaType::ESP, 1, 4242);
    let out = emit(|w| sa.write(w, &hdr, true));
    assert_eq!(
        ext_types(&out),
        [
            ExtType::SA,
            ExtType::LIFETIME_HARD,
            ExtType::LIFETIME_SOFT,
            ExtType::LIFETIME_CURRENT,
            ExtType::ADDRESS_SRC,
            ExtType::ADDRESS_DST,
            ExtType::KEY_AUTH,
            ExtType::KEY_ENCRYPT,
            ExtType::X_SA2,
        ]
    );
    let p = parse(&out).unwrap();
    assert_eq!(*p.header(), hdr);
    let s = p.sa().unwrap();
    assert_eq!(
        (s.spi, s.replay, s.state, s.auth, s.encrypt, s.flags),
        (
            0x1000,
            64,
            WireState::MATURE,
            AuthAlg::SHA1HMAC,
            EncAlg::DES3CBC,
            sa_flags::KAME_CYCSEQ
        )
    );
    assert_eq!(p.key(KeyKind::Auth).unwrap().data, &K_SHA1);
    assert_eq!(p.key(KeyKind::Encrypt).unwrap().data, &K_3DES);
    assert_eq!(p.lifetime(LifetimeKind::Hard), a.hard);
    assert_eq!(p.lifetime(LifetimeKind::Soft), a.soft);
    assert_eq!(p.lifetime(LifetimeKind::Current).unwrap().addtime, 1000);
    // SA addresses go out with protocol 0, as af_key writes them.
    let no_proto = |a: Addr| Address {
        proto: IpProto(0),
        ..Address::host(a, 0)
    };
    assert_eq!(p.address(AddressKind::Src), Some(no_proto(SRC)));
    assert_eq!(p.address(AddressKind::Dst), Some(no_proto(DST)));
    let sa2 = p.x_sa2().unwrap();
    assert_eq!(
        (sa2.mode, sa2.reqid, sa2.sequence),
        (IpsecMode::TRANSPORT, 7, 0)
    );
    // Re-adding what was dumped gives the same SA.
    let mut again = SaRecord::from_add(&p, 1000).unwrap();
    again.seq = sa.seq;
    assert_eq!(again, sa);

    // Without keys.
    let out = emit(|w| sa.write(w, &hdr, false));
    let p = parse(&out).unwrap();
    assert!(!p.has(ExtType::KEY_AUTH) && !p.has(ExtType::KEY_ENCRYPT));
}

#[test]
fn modern_algorithms_and_natt() {
    let a = Add {
        auth: 0,
        auth_key: None,
        enc: EncAlg::AES_GCM_ICV16.0,
        enc_key: Some(vec![1; 36]),
        mode: Some(IpsecMode::TUNNEL),
        natt: Some((UdpEncap::ESPINUDP.0, 4500, 4501)),
        ..esp_add()
    };
    let sa = add(&a).unwrap();
    assert_eq!(sa.mode, IpsecMode::TUNNEL);
    assert_eq!(
        sa.nat_t,
        Some(NatT {
            encap: 2,
            sport: 4500,
            dport: 4501
        })
    );
    let out = emit(|w| sa.write(w, &MsgHeader::new(MsgType::GET, SaType::ESP, 0, 0), true));
    let p = parse(&out).unwrap();
    assert_eq!(p.nat_t_port(NatTPortKind::Dst).unwrap().port, 4501);
    assert_eq!(p.nat_t_type().unwrap().encap, UdpEncap::ESPINUDP);
    assert_eq!(
        ext_types(&out),
        [
            ExtType::SA,
            ExtType::LIFETIME_HARD,
            ExtType::LIFETIME_SOFT,
            ExtType::LIFETIME_CURRENT,
            ExtType::ADDRESS_SRC,
            ExtType::ADDRESS_DST,
            ExtType::KEY_ENCRYPT,
            ExtType::X_SA2,
            ExtType::X_NAT_T_TYPE,
            ExtType::X_NAT_T_SPORT,
            ExtType::X_NAT_T_DPORT,
        ]
    );

    let cc = Add {
        enc: SADB_X_EALG_CHACHA20_POLY1305,
        ..a.clone()
    };
    assert!(add(&cc).is_ok());
    // AES-CBC + HMAC-SHA-256, IPv6, mode ANY -> transport, no SA2.
    let cbc = Add {
        auth: AuthAlg::SHA2_256HMAC.0,
        auth_key: Some(vec![3; 32]),
        enc: EncAlg::AESCBC.0,
        enc_key: Some(vec![4; 16]),
        mode: Some(IpsecMode::ANY),
        ..esp_add()
    };
    assert_eq!(add(&cbc).unwrap().mode, IpsecMode::TRANSPORT);
    let nosa2 = Add { mode: None, ..cbc };
    let sa = add(&nosa2).unwrap();
    assert_eq!((sa.mode, sa.reqid), (IpsecMode::TRANSPORT, 0));
    // ESP null encryption with a 0-bit key (as setkey sends it).
    let null = Add {
        enc: EncAlg::NULL.0,
        enc_key: Some(vec![]),
        ..esp_add()
    };
    let sa = add(&null).unwrap();
    assert!(sa.enc_key.is_empty());
    // AH with hmac-sha512.
    let ah = Add {
        satype: SaType::AH,
        auth: AuthAlg::SHA2_512HMAC.0,
        auth_key: Some(vec![5; 64]),
        enc: 0,
        enc_key: None,
        ..esp_add()
    };
    assert_eq!(add(&ah).unwrap().auth_key.bits(), 512);
}

#[test]
fn rejections() {
    let base = esp_add();
    let cases: Vec<(&str, Add, Errno)> = vec![
        (
            "ipcomp with keys",
            Add {
                satype: SaType::X_IPCOMP,
                auth: 0,
                enc: CompAlg::DEFLATE.0,
                ..base.clone()
            },
            Errno::EINVAL,
        ),
        (
            "ipcomp with auth",
            Add {
                auth_key: None,
                enc_key: None,
                ..ipcomp_add()
            }
            .with_auth(AuthAlg::SHA1HMAC.0),
            Errno::EINVAL,
        ),
        (
            "ipcomp cpi over 16 bits",
            Add {
                spi: 0x1_0000,
                ..ipcomp_add()
            },
            Errno::EINVAL,
        ),
        (
            "ipcomp algorithm past SADB_X_CALG_MAX",
            Add {
                enc: 9,
                ..ipcomp_add()
            },
            Errno::EINVAL,
        ),
        (
            "ipcomp without an algorithm",
            Add {
                enc: 0,
                ..ipcomp_add()
            },
            Errno::EINVAL,
        ),
        (
            "ipcomp with NAT-T",
            Add {
                natt: Some((UdpEncap::ESPINUDP.0, 4500, 4500)),
                ..ipcomp_add()
            },
            Errno::EINVAL,
        ),
        (
            "ipcomp algorithm Linux does not list (OUI)",
            Add {
                enc: CompAlg::OUI.0,
                ..ipcomp_add()
            },
            Errno::ENOSYS,
        ),
        (
            "unspec",
            Add {
                satype: SaType::UNSPEC,
                ..base.clone()
            },
            Errno::EINVAL,
        ),
        (
            "rsvp",
            Add {
                satype: SaType::RSVP,
                ..base.clone()
            },
            Errno::EINVAL,
        ),
        (
            "spi 0",
            Add {
                spi: 0,
                ..base.clone()
            },
            Errno::EINVAL,
        ),
        (
            "unknown enc",
            Add {
                enc: EncAlg::DESCBC.0,
                ..base.clone()
            },
            Errno::ENOSYS,
        ),
        (
            "unknown auth",
            Add {
                auth: AuthAlg::RIPEMD160HMAC.0,
                ..base.clone()
            },
            Errno::ENOSYS,
        ),
        (
            "esp without enc",
            Add {
                enc: 0,
                enc_key: None,
                ..base.clone()
            },
            Errno::EINVAL,
        ),
        (
            "aead with auth",
            Add {
                enc: EncAlg::AES_GCM_ICV16.0,
                enc_key: Some(vec![1; 20]),
                ..base.clone()
            },
            Errno::EINVAL,
        ),
        (
            "enc key size",
            Add {
                enc_key: Some(vec![1; 16]),
                ..base.clone()
            },
            Errno::EINVAL,
        ),
        (
            "auth key size",
            Add {
                auth_key: Some(vec![1; 16]),
                ..base.clone()
            },
            Errno::EINVAL,
        ),
        (
            "auth key missing",
            Add {
                auth_key: None,
                ..base.clone()
            },
            Errno::EINVAL,
        ),
        (
            "auth key without auth",
            Add {
                auth: 0,
                ..base.clone()
            },
            Errno::EINVAL,
        ),
        (
            "null enc with key",
            Add {
                enc: EncAlg::NULL.0,
                enc_key: Some(vec![1; 8]),
                ..base.clone()
            },
            Errno::EINVAL,
        ),
        (
            "ah with enc",
            Add {
                satype: SaType::AH,
                ..base.clone()
            },
            Errno::EINVAL,
        ),
        (
            "ah without auth",
            Add {
                satype: SaType::AH,
                auth: 0,
                auth_key: None,
                enc: 0,
                enc_key: None,
                ..base.clone()
            },
            Errno::EINVAL,
        ),
        (
            "beet",
            Add {
                mode: Some(IpsecMode::BEET),
                ..base.clone()
            },
            Errno::EOPNOTSUPP,
        ),
        (
            "mode 9",
            Add {
                mode: Some(IpsecMode(9)),
                ..base.clone()
            },
            Errno::EINVAL,
        ),
        (
            "natt type 7",
            Add {
                natt: Some((7, 4500, 4500)),
                ..base.clone()
            },
            Errno::EINVAL,
        ),
        (
            "natt on ah",
            Add {
                satype: SaType::AH,
                enc: 0,
                enc_key: None,
                natt: Some((2, 4500, 4500)),
                ..base.clone()
            },
            Errno::EINVAL,
        ),
    ];
    for (name, a, e) in cases {
        assert_eq!(add(&a), Err(e), "{name}");
    }
    // Missing SA extension / addresses (check_required would catch these
    // first; from_add still refuses).
    let b = emit(|w| {
        w.header(&MsgHeader::new(MsgType::ADD, SaType::ESP, 0, 0))?;
        w.address(AddressKind::Src, &Address::host(SRC, 0))?;
        w.address(AddressKind::Dst, &Address::host(DST, 0))
    });
    assert_eq!(
        SaRecord::from_add(&parse(&b).unwrap(), 0),
        Err(Errno::EINVAL)
    );
    let b = emit(|w| {
        w.header(&MsgHeader::new(MsgType::ADD, SaType::AH, 0, 0))?;
        w.sa(&Sa {
            spi: 5,
            auth: AuthAlg::MD5HMAC,
            ..Sa::default()
        })?;
        w.key(KeyKind::Auth, &Key::new(&[1; 16]).unwrap())?;
        w.address(AddressKind::Dst, &Address::host(DST, 0))
    });
    assert_eq!(
        SaRecord::from_add(&parse(&b).unwrap(), 0),
        Err(Errno::EINVAL)
    );
    // Mixed families.
    let b = emit(|w| {
        w.header(&MsgHeader::new(MsgType::ADD, SaType::AH, 0, 0))?;
        w.sa(&Sa {
            spi: 5,
            auth: AuthAlg::MD5HMAC,
            ..Sa::default()
        })?;
        w.key(KeyKind::Auth, &Key::new(&[1; 16]).unwrap())?;
        w.address(AddressKind::Src, &Address::host(SRC, 0))?;
        w.address(AddressKind::Dst, &Address::host(Addr::V6([1; 16]), 0))
    });
    assert_eq!(
        SaRecord::from_add(&parse(&b).unwrap(), 0),
        Err(Errno::EINVAL)
    );
}

#[test]
fn getspi_larval_and_range() {
    let a = Add {
        auth_key: None,
        enc_key: None,
        mode: Some(IpsecMode::TUNNEL),
        ..esp_add()
    };
    let b = build(MsgType::GETSPI, &a);
    let m = parse(&b).unwrap();
    assert_eq!(spi_range(&m), Ok(DEFAULT_SPI_RANGE));
    let sa = SaRecord::larval(&m, 0x4321, 77).unwrap();
    assert_eq!(sa.state, SaState::Larval);
    assert_eq!((sa.spi, sa.mode, sa.reqid), (0x4321, IpsecMode::TUNNEL, 7));
    assert!(sa.auth_key.is_empty() && sa.enc_key.is_empty());
    assert_eq!((sa.auth, sa.enc, sa.current.addtime), (0, 0, 77));
    assert_eq!(SaRecord::larval(&m, 0, 77), Err(Errno::EINVAL));
    let out = emit(|w| {
        sa.write(
            w,
            &MsgHeader::new(MsgType::GETSPI, SaType::ESP, 42, 1),
            true,
        )
    });
    let p = parse(&out).unwrap();
    assert_eq!(p.sa().unwrap().state, WireState::LARVAL);
    assert_eq!(p.sa().unwrap().spi, 0x4321);

    for (range, want) in [
        ((0x1000, 0x1000), Ok((0x1000, 0x1000))),
        ((0x100, 0x200), Ok((0x100, 0x200))),
        ((0, 0x200), Err(Errno::EINVAL)),
        ((0x300, 0x200), Err(Errno::EINVAL)),
    ] {
        let b = build(
            MsgType::GETSPI,
            &Add {
                spirange: Some(range),
                ..a.clone()
            },
        );
        assert_eq!(spi_range(&parse(&b).unwrap()), want, "{range:?}");
    }
    let ipcomp = |spirange| {
        build(
            MsgType::GETSPI,
            &Add {
                satype: SaType::X_IPCOMP,
                spirange,
                ..a.clone()
            },
        )
    };
    // A CPI has 16 bits: the default range ends there, a wider one is
    // refused (af_key's verify_spi_info).
    assert_eq!(
        spi_range(&parse(&ipcomp(None)).unwrap()),
        Ok((0x100, 0xffff))
    );
    assert_eq!(
        spi_range(&parse(&ipcomp(Some((0x100, 0x1_0000)))).unwrap()),
        Err(Errno::EINVAL)
    );
    let larval = SaRecord::larval(&parse(&ipcomp(None)).unwrap(), 0x4001, 0).unwrap();
    assert_eq!(larval.satype, SaType::X_IPCOMP);
}

/// An IPComp SA as setkey sends `add ... ipcomp 0x4001 -m tunnel -C deflate`.
fn ipcomp_add() -> Add {
    Add {
        satype: SaType::X_IPCOMP,
        spi: 0x4001,
        auth: 0,
        enc: CompAlg::DEFLATE.0,
        auth_key: None,
        enc_key: None,
        mode: Some(IpsecMode::TUNNEL),
        replay: 0,
        ..esp_add()
    }
}

impl Add {
    fn with_auth(self, auth: u8) -> Self {
        Add { auth, ..self }
    }
}

#[test]
fn ipcomp_sa_holds_its_cpi_and_compression_algorithm() {
    let sa = add(&ipcomp_add()).unwrap();
    assert_eq!(sa.satype, SaType::X_IPCOMP);
    assert_eq!(sa.spi, 0x4001);
    assert_eq!(sa.enc, CompAlg::DEFLATE.0);
    assert_eq!(sa.auth, 0);
    assert!(sa.enc_key.is_empty() && sa.auth_key.is_empty());
    assert_eq!(sa.mode, IpsecMode::TUNNEL);
    // lzs is in Linux's list: the SADB takes it, the compression API says
    // whether the kernel has it.
    let lzs = add(&Add {
        enc: CompAlg::LZS.0,
        ..ipcomp_add()
    });
    assert_eq!(lzs.unwrap().enc, CompAlg::LZS.0);
}

#[test]
fn larval_sa_expires_after_30_seconds() {
    let a = Add {
        auth_key: None,
        enc_key: None,
        ..esp_add()
    };
    let m_bytes = build(MsgType::GETSPI, &a);
    let m = parse(&m_bytes).unwrap();
    let mut sa = SaRecord::larval(&m, 0x4321, 1000).unwrap();
    assert_eq!(LARVAL_LIFETIME, 30);
    assert_eq!(sa.next_deadline(), Some(1030));
    assert_eq!(sa.check_lifetime(1029), None);
    assert_eq!(sa.check_lifetime(1030), Some(Expiry::Hard));
    // The GETSPI reply and dumps show the limit, as af_key's.
    let out = emit(|w| {
        sa.write(
            w,
            &MsgHeader::new(MsgType::GETSPI, SaType::ESP, 42, 1),
            false,
        )
    });
    let p = parse(&out).unwrap();
    assert_eq!(p.lifetime(LifetimeKind::Hard).unwrap().addtime, 30);
    // The hard SADB_EXPIRE (PF_KEY marks the SA first): dead, with its
    // HARD lifetime and no SOFT, as af_key's for its larval state.
    sa.mark_expired(Expiry::Hard);
    let exp = emit(|w| sa.write_expire(w, Expiry::Hard));
    let e = parse(&exp).unwrap();
    assert_eq!(e.msg_type(), MsgType::EXPIRE);
    assert_eq!(e.sa().unwrap().state, WireState::DEAD);
    assert_eq!(e.lifetime(LifetimeKind::Hard).unwrap().addtime, 30);
    assert!(e.lifetime(LifetimeKind::Soft).is_none());
    assert_eq!((sa.check_lifetime(5000), sa.next_deadline()), (None, None));
    // The UPDATE that completes it brings its own lifetimes (here none).
    let done = SaRecord::from_add(&parse(&build(MsgType::UPDATE, &esp_add())).unwrap(), 1010);
    assert_eq!(done.unwrap().hard, None);
}

#[test]
fn sa_key_order() {
    let k = |satype, dst, spi| SaKey { satype, dst, spi };
    let mut keys = [
        k(SaType(3), Addr::V6([0; 16]), 1),
        k(SaType(3), Addr::V4([10, 0, 0, 2]), 2),
        k(SaType(2), Addr::V6([0; 16]), 9),
        k(SaType(3), Addr::V4([10, 0, 0, 2]), 1),
        k(SaType(3), Addr::V4([9, 0, 0, 9]), 5),
    ];
    keys.sort();
    assert_eq!(
        keys,
        [
            k(SaType(2), Addr::V6([0; 16]), 9),
            k(SaType(3), Addr::V4([9, 0, 0, 9]), 5),
            k(SaType(3), Addr::V4([10, 0, 0, 2]), 1),
            k(SaType(3), Addr::V4([10, 0, 0, 2]), 2),
            k(SaType(3), Addr::V6([0; 16]), 1),
        ]
    );
    assert_eq!(SaState::from_wire(2), Some(SaState::Dying));
    assert_eq!(SaState::from_wire(4), None);
    assert_eq!(SaState::Dead.wire(), 3);
}

fn with_limits(hard: Option<LifetimeLimits>, soft: Option<LifetimeLimits>) -> SaRecord {
    let mut sa = add(&esp_add()).unwrap();
    sa.hard = hard;
    sa.soft = soft;
    sa
}

fn lim(allocations: u32, bytes: u64, addtime: u64, usetime: u64) -> LifetimeLimits {
    LifetimeLimits {
        allocations,
        bytes,
        addtime,
        usetime,
    }
}

#[test]
fn lifetime_each_limit_alone() {
    // (limit, usage before, usage at limit) for each kind, as hard and as
    // soft. The SA was added at 1000.
    let kinds: [(LifetimeLimits, u64, u64, u32, u64); 4] = [
        // limit, time, time, packets-at-limit, bytes-at-limit
        (lim(10, 0, 0, 0), 5000, 5000, 10, 0),
        (lim(0, 100, 0, 0), 5000, 5000, 0, 100),
        (lim(0, 0, 60, 0), 1059, 1060, 0, 0),
        (lim(0, 0, 0, 30), 1000 + 29, 1000 + 30, 0, 0),
    ];
    for (i, (l, before, at, pk, by)) in kinds.into_iter().enumerate() {
        for hard in [true, false] {
            let (h, s) = if hard {
                (Some(l), None)
            } else {
                (None, Some(l))
            };
            let want = if hard { Expiry::Hard } else { Expiry::Soft };
            let mut sa = with_limits(h, s);
            // The usetime case: first use at 1000.
            if l.usetime != 0 {
                assert_eq!(sa.check_lifetime(1_000_000), None, "never used {i}");
                assert_eq!(sa.next_deadline(), None);
                sa.account(1, 1, 1000);
                assert_eq!(sa.next_deadline(), Some(1030));
            }
            if l.addtime != 0 {
                assert_eq!(sa.next_deadline(), Some(1060));
            }
            assert_eq!(sa.check_lifetime(before), None, "kind {i} before");
            if pk != 0 || by != 0 {
                sa.account(pk.saturating_sub(1), by.saturating_sub(1), 1001);
                assert_eq!(sa.check_lifetime(at), None, "kind {i} one short");
                sa.account(1, 1, 1002);
            }
            assert_eq!(sa.check_lifetime(at), Some(want), "kind {i} hard {hard}");
            sa.mark_expired(want);
            if hard {
                assert_eq!(sa.state, SaState::Dead);
                assert_eq!(sa.check_lifetime(at + 10), None);
                assert_eq!(sa.next_deadline(), None);
            } else {
                assert_eq!(sa.state, SaState::Dying);
                assert_eq!(sa.check_lifetime(at + 10), None, "soft only once");
            }
        }
    }
}

#[test]
fn lifetime_soft_then_hard() {
    let mut sa = with_limits(Some(lim(0, 0, 100, 0)), Some(lim(0, 0, 80, 0)));
    assert_eq!(sa.next_deadline(), Some(1080));
    assert_eq!(sa.check_lifetime(1079), None);
    assert_eq!(sa.check_lifetime(1080), Some(Expiry::Soft));
    sa.mark_expired(Expiry::Soft);
    assert_eq!(sa.next_deadline(), Some(1100));
    assert_eq!(sa.check_lifetime(1099), None);
    assert_eq!(sa.check_lifetime(1100), Some(Expiry::Hard));
    // Hard beats soft when both are due.
    let sa = with_limits(Some(lim(0, 0, 100, 0)), Some(lim(0, 0, 80, 0)));
    assert_eq!(sa.check_lifetime(2000), Some(Expiry::Hard));
    // Hard without soft; soft without hard; independent kinds.
    let sa = with_limits(Some(lim(0, 0, 50, 0)), None);
    assert_eq!(sa.check_lifetime(1049), None);
    assert_eq!(sa.check_lifetime(1050), Some(Expiry::Hard));
    let mut sa = with_limits(Some(lim(0, 0, 500, 0)), Some(lim(0, 1000, 0, 0)));
    sa.account(3, 1000, 1010);
    assert_eq!(sa.check_lifetime(1020), Some(Expiry::Soft));
    assert_eq!(sa.next_deadline(), Some(1500));
    // All-zero limits never expire.
    let sa = with_limits(Some(lim(0, 0, 0, 0)), Some(lim(0, 0, 0, 0)));
    assert_eq!(sa.check_lifetime(u64::MAX), None);
    assert_eq!(sa.next_deadline(), None);
    // Overflowing deadlines are no deadlines.
    let sa = with_limits(Some(lim(0, 0, u64::MAX, 0)), None);
    assert_eq!(sa.next_deadline(), None);
}

#[test]
fn expire_message() {
    let a = Add {
        hard: Some(lt(0, 0, 100, 0)),
        soft: Some(lt(0, 0, 80, 0)),
        ..esp_add()
    };
    let sa = add(&a).unwrap();
    for (which, life) in [
        (Expiry::Soft, ExtType::LIFETIME_SOFT),
        (Expiry::Hard, ExtType::LIFETIME_HARD),
    ] {
        let out = emit(|w| sa.write_expire(w, which));
        let p = parse(&out).unwrap();
        assert_eq!(
            *p.header(),
            MsgHeader::new(MsgType::EXPIRE, SaType::ESP, 0, 0)
        );
        assert_eq!(
            ext_types(&out),
            [
                ExtType::SA,
                life,
                ExtType::LIFETIME_CURRENT,
                ExtType::ADDRESS_SRC,
                ExtType::ADDRESS_DST,
                ExtType::X_SA2,
            ]
        );
        check_required(&p).unwrap();
    }
}

#[test]
fn write_errors_propagate() {
    let sa = add(&esp_add()).unwrap();
    let mut small = [0u8; 40];
    let mut w = Writer::new(&mut small);
    let hdr = MsgHeader::new(MsgType::GET, SaType::ESP, 0, 0);
    assert_eq!(sa.write(&mut w, &hdr, true), Err(Errno::ENOBUFS));
    // A proxy address is written after the destination.
    let mut sa = sa;
    sa.proxy = Some(Address {
        proto: IpProto::TCP,
        prefixlen: 24,
        sockaddr: SockAddr::new(Addr::V4([192, 168, 1, 0]), 0),
    });
    let out = emit(|w| sa.write(w, &hdr, false));
    let p = parse(&out).unwrap();
    let exts: Vec<_> = p.extensions().collect();
    // SA, HARD, SOFT, CURRENT, SRC, DST, then the proxy.
    assert!(matches!(
        exts.get(6),
        Some(Extension::Address(AddressKind::Proxy, _))
    ));
    // A replay window over 255 is written as 255, and in full in
    // X_SA_REPLAY.
    sa.replay = 1024;
    let out = emit(|w| sa.write(w, &hdr, false));
    let p = parse(&out).unwrap();
    assert_eq!(p.sa().unwrap().replay, 255);
    assert_eq!(p.x_sa_replay(), Some(SaReplay { replay: 1024 }));
}

/// Record -> message ([`SaRecord::write`] with keys) -> parse -> record
/// again. `write` sends absent HARD/SOFT limits as all-zero lifetimes (no
/// limit); those are read back as absent, so a record compares equal.
fn rewrite(sa: &SaRecord) -> (Vec<u8>, SaRecord) {
    let hdr = MsgHeader::new(MsgType::ADD, sa.satype, sa.seq, sa.pid);
    let out = emit(|w| sa.write(w, &hdr, true));
    let again = SaRecord::from_add(&parse(&out).unwrap(), sa.current.addtime).unwrap();
    let none_if_zero = |l: Option<LifetimeLimits>| l.filter(|l| *l != LifetimeLimits::default());
    let again = SaRecord {
        hard: none_if_zero(again.hard),
        soft: none_if_zero(again.soft),
        ..again
    };
    (out, again)
}

#[test]
fn wide_replay_window() {
    // 4096 through X_SA_REPLAY, whatever sadb_sa_replay says.
    for replay in [0u8, 32, 255] {
        let a = Add {
            replay,
            x_replay: Some(4096),
            ..esp_add()
        };
        let sa = add(&a).unwrap();
        assert_eq!((sa.replay, sa.esn), (4096, false));
        let (out, again) = rewrite(&sa);
        assert_eq!(again, sa);
        let p = parse(&out).unwrap();
        assert_eq!(p.sa().unwrap().replay, 255);
        assert_eq!(p.x_sa_replay(), Some(SaReplay { replay: 4096 }));
        // After X_SA2, before the NAT-T extensions.
        let t = ext_types(&out);
        let at = |e| t.iter().position(|&x| x == e).unwrap();
        assert_eq!(at(ExtType::X_SA_REPLAY), at(ExtType::X_SA2) + 1);
    }
    // With NAT-T: X_SA2, X_SA_REPLAY, then the NAT-T type and ports.
    let a = Add {
        x_replay: Some(1000),
        natt: Some((UdpEncap::ESPINUDP.0, 4500, 4500)),
        ..esp_add()
    };
    let sa = add(&a).unwrap();
    let (out, again) = rewrite(&sa);
    assert_eq!(again, sa);
    let t = ext_types(&out);
    assert_eq!(
        t[t.len() - 5..],
        [
            ExtType::X_SA2,
            ExtType::X_SA_REPLAY,
            ExtType::X_NAT_T_TYPE,
            ExtType::X_NAT_T_SPORT,
            ExtType::X_NAT_T_DPORT,
        ]
    );
    // Over the limit.
    for bad in [MAX_REPLAY_WINDOW + 1, u32::MAX] {
        let a = Add {
            x_replay: Some(bad),
            ..esp_add()
        };
        assert_eq!(add(&a), Err(Errno::EINVAL), "{bad}");
    }
    // X_SA_REPLAY wins over sadb_sa_replay, even when narrower or 0.
    for (replay, x, want) in [(200u8, 64u32, 64u32), (200, 0, 0), (0, 256, 256)] {
        let a = Add {
            replay,
            x_replay: Some(x),
            ..esp_add()
        };
        assert_eq!(add(&a).unwrap().replay, want);
    }
    // Without it, sadb_sa_replay in packets; no X_SA_REPLAY written back
    // for a window that fits.
    let a = Add {
        replay: 200,
        ..esp_add()
    };
    let sa = add(&a).unwrap();
    assert_eq!(sa.replay, 200);
    let (out, again) = rewrite(&sa);
    assert_eq!(again, sa);
    let p = parse(&out).unwrap();
    assert_eq!((p.sa().unwrap().replay, p.x_sa_replay()), (200, None));
}

#[test]
fn esn_flag() {
    let flags = sa_flags::KAME_CYCSEQ | sa_flags::ESN;
    // ESN needs a window: 0 from sadb_sa_replay, or from X_SA_REPLAY.
    for (replay, x_replay) in [(0u8, None), (0, Some(0)), (64, Some(0))] {
        let a = Add {
            replay,
            x_replay,
            flags,
            ..esp_add()
        };
        assert_eq!(add(&a), Err(Errno::EINVAL), "{replay} {x_replay:?}");
    }
    // Window 64: ESN on, flags kept, and both round-trip.
    let a = Add {
        replay: 64,
        flags,
        ..esp_add()
    };
    let sa = add(&a).unwrap();
    assert_eq!((sa.replay, sa.esn, sa.flags), (64, true, flags));
    let (out, again) = rewrite(&sa);
    assert_eq!(again, sa);
    let p = parse(&out).unwrap();
    assert_eq!(p.sa().unwrap().flags, flags);
    assert_eq!(p.x_sa_replay(), None);
    // ESN with a 4096 window through X_SA_REPLAY.
    let a = Add {
        replay: 0,
        x_replay: Some(4096),
        flags,
        ..esp_add()
    };
    let sa = add(&a).unwrap();
    assert_eq!((sa.replay, sa.esn), (4096, true));
    assert_eq!(rewrite(&sa).1, sa);
    // Without the flag, no ESN.
    assert!(!add(&esp_add()).unwrap().esn);
}
