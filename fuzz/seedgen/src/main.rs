// SPDX-License-Identifier: GPL-2.0

//! Writes the seed corpus of a fuzz target, one file per seed. For
//! `pfkey_parse` (the default): a handful of valid PF_KEY messages, each
//! built with `ipsec_core`'s `Writer` and checked with `parse` before it
//! is written. For `ah`: the packets of [`ah::seeds`].
//!
//! Usage: `seedgen OUT_DIR [TARGET]` (scripts/fuzz.sh passes
//! fuzz/corpus/TARGET and the target).

mod ah;

use std::path::{Path, PathBuf};
use std::{env, fs, process};

use ipsec_core::inet::{Addr, IpProto};
use ipsec_core::ipsec::{IpsecDir, IpsecLevel, IpsecMode, PolicyType};
use ipsec_core::pfkey::consts::{AuthAlg, EncAlg, IdentType, SaState, UdpEncap};
use ipsec_core::pfkey::ext::{
    Address, AddressKind, Alg, Comb, Filter, Identity, IdentityKind, IpsecRequest, Key, KeyKind,
    KmAddress, KmPrivate, Lifetime, LifetimeKind, NatTPort, NatTPortKind, NatTType, Policy,
    Proposal, Sa, Sa2, SecCtx, Sensitivity, SpiRange, Supported, SupportedKind,
};
use ipsec_core::pfkey::sockaddr::SockAddr;
use ipsec_core::pfkey::{parse, Errno, MsgHeader, MsgType, SaType, Writer};

const V4_A: Addr = Addr::V4([10, 0, 0, 1]);
const V4_B: Addr = Addr::V4([10, 0, 0, 2]);

fn v6(last: u8) -> Addr {
    let mut a = [0u8; 16];
    a[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
    a[15] = last;
    Addr::V6(a)
}

fn hdr(t: MsgType, satype: SaType) -> MsgHeader {
    MsgHeader::new(t, satype, 1, 4242)
}

type Fill = fn(&mut Writer<'_>) -> Result<(), Errno>;

/// Any message builder (a `Fill` or a closure).
type DynFill<'a> = &'a dyn Fn(&mut Writer<'_>) -> Result<(), Errno>;

fn lifetimes(w: &mut Writer<'_>) -> Result<(), Errno> {
    w.lifetime(
        LifetimeKind::Hard,
        &Lifetime {
            allocations: 0,
            bytes: 1 << 30,
            addtime: 3600,
            usetime: 0,
        },
    )?;
    w.lifetime(
        LifetimeKind::Soft,
        &Lifetime {
            bytes: 1 << 29,
            addtime: 3000,
            ..Lifetime::default()
        },
    )
}

/// `add 10.0.0.1 10.0.0.2 esp 0x1000 -m transport -E aes-cbc K -A hmac-sha256 K`.
fn esp_add_v4(w: &mut Writer<'_>) -> Result<(), Errno> {
    w.header(&hdr(MsgType::ADD, SaType::ESP))?;
    w.sa(&Sa {
        spi: 0x1000,
        replay: 32,
        state: SaState::MATURE,
        auth: AuthAlg::SHA2_256HMAC,
        encrypt: EncAlg::AESCBC,
        flags: 0,
    })?;
    lifetimes(w)?;
    w.address(AddressKind::Src, &Address::host(V4_A, 0))?;
    w.address(AddressKind::Dst, &Address::host(V4_B, 0))?;
    w.key(KeyKind::Auth, &Key::new(&[0x11; 32]).ok_or(Errno::EINVAL)?)?;
    w.key(
        KeyKind::Encrypt,
        &Key::new(&[0x22; 16]).ok_or(Errno::EINVAL)?,
    )?;
    w.x_sa2(&Sa2 {
        mode: IpsecMode::TRANSPORT,
        reqid: 7,
        ..Sa2::default()
    })
}

/// An ESP-in-UDP tunnel SA over IPv6 with AES-GCM (UPDATE), proxy address.
fn esp_update_v6_nat(w: &mut Writer<'_>) -> Result<(), Errno> {
    w.header(&hdr(MsgType::UPDATE, SaType::ESP))?;
    w.sa(&Sa {
        spi: 0xdead_beef,
        replay: 64,
        state: SaState::MATURE,
        auth: AuthAlg::NONE,
        encrypt: EncAlg::AES_GCM_ICV16,
        flags: 0,
    })?;
    w.address(AddressKind::Src, &Address::host(v6(1), 4500))?;
    w.address(AddressKind::Dst, &Address::host(v6(2), 4500))?;
    w.address(AddressKind::Proxy, &Address::host(v6(3), 0))?;
    w.key(
        KeyKind::Encrypt,
        &Key::new(&[0x33; 20]).ok_or(Errno::EINVAL)?,
    )?;
    w.x_sa2(&Sa2 {
        mode: IpsecMode::TUNNEL,
        reqid: 9,
        ..Sa2::default()
    })?;
    w.nat_t_type(&NatTType {
        encap: UdpEncap::ESPINUDP,
        reserved: [0; 3],
    })?;
    w.nat_t_port(
        NatTPortKind::Src,
        &NatTPort {
            port: 4500,
            reserved: 0,
        },
    )?;
    w.nat_t_port(
        NatTPortKind::Dst,
        &NatTPort {
            port: 4501,
            reserved: 0,
        },
    )?;
    w.address(AddressKind::NatTOa, &Address::host(V4_A, 0))
}

/// AH with HMAC-SHA1 over IPv4.
fn ah_add(w: &mut Writer<'_>) -> Result<(), Errno> {
    w.header(&hdr(MsgType::ADD, SaType::AH))?;
    w.sa(&Sa {
        spi: 0x2000,
        replay: 0,
        state: SaState::MATURE,
        auth: AuthAlg::SHA1HMAC,
        encrypt: EncAlg::NONE,
        flags: 0,
    })?;
    w.address(AddressKind::Src, &Address::host(V4_A, 0))?;
    w.address(AddressKind::Dst, &Address::host(V4_B, 0))?;
    w.key(KeyKind::Auth, &Key::new(&[0x44; 20]).ok_or(Errno::EINVAL)?)
}

/// ESP with the null cipher and no key.
fn esp_add_null(w: &mut Writer<'_>) -> Result<(), Errno> {
    w.header(&hdr(MsgType::ADD, SaType::ESP))?;
    w.sa(&Sa {
        spi: 0x3000,
        encrypt: EncAlg::NULL,
        auth: AuthAlg::MD5HMAC,
        ..Sa::default()
    })?;
    w.address(AddressKind::Src, &Address::host(V4_A, 0))?;
    w.address(AddressKind::Dst, &Address::host(V4_B, 0))?;
    w.key(KeyKind::Auth, &Key::new(&[0x55; 16]).ok_or(Errno::EINVAL)?)
}

fn tunnel_rq(a: Addr, b: Addr, proto: IpProto) -> IpsecRequest {
    IpsecRequest {
        proto,
        mode: IpsecMode::TUNNEL,
        level: IpsecLevel::REQUIRE,
        reserved1: 0,
        reqid: 0,
        reserved2: 0,
        endpoints: Some((SockAddr::new(a, 0), SockAddr::new(b, 0))),
    }
}

/// `spdadd 10.0.1.0/24 10.0.2.0/24 any -P out ipsec esp/tunnel/A-B/require ah/transport//unique:5`.
fn spdadd_out(w: &mut Writer<'_>) -> Result<(), Errno> {
    w.header(&hdr(MsgType::X_SPDADD, SaType::UNSPEC))?;
    let net = |o: u8| Address {
        proto: IpProto::IPSEC_ANY,
        prefixlen: 24,
        sockaddr: SockAddr::new(Addr::V4([10, 0, o, 0]), 0),
    };
    w.address(AddressKind::Src, &net(1))?;
    w.address(AddressKind::Dst, &net(2))?;
    w.x_policy(&Policy {
        policy_type: PolicyType::IPSEC,
        dir: IpsecDir::OUTBOUND,
        reserved: 0,
        id: 0,
        priority: 0x8000_0000,
    })?;
    w.ipsecrequest(&tunnel_rq(V4_A, V4_B, IpProto::ESP))?;
    w.ipsecrequest(&IpsecRequest {
        proto: IpProto::AH,
        mode: IpsecMode::TRANSPORT,
        level: IpsecLevel::UNIQUE,
        reqid: 5,
        ..IpsecRequest::default()
    })
}

/// `spdadd ::/0 2001:db8::1/128 tcp -P in discard`, with lifetimes.
fn spdadd_in_discard_v6(w: &mut Writer<'_>) -> Result<(), Errno> {
    w.header(&hdr(MsgType::X_SPDADD, SaType::UNSPEC))?;
    w.address(
        AddressKind::Src,
        &Address {
            proto: IpProto::TCP,
            prefixlen: 0,
            sockaddr: SockAddr::new(Addr::V6([0; 16]), 0),
        },
    )?;
    w.address(
        AddressKind::Dst,
        &Address {
            proto: IpProto::TCP,
            prefixlen: 128,
            sockaddr: SockAddr::new(v6(1), 22),
        },
    )?;
    lifetimes(w)?;
    w.x_policy(&Policy {
        policy_type: PolicyType::DISCARD,
        dir: IpsecDir::INBOUND,
        ..Policy::default()
    })
}

/// GETSPI with an SPI range.
fn getspi(w: &mut Writer<'_>) -> Result<(), Errno> {
    w.header(&hdr(MsgType::GETSPI, SaType::ESP))?;
    w.address(AddressKind::Src, &Address::host(V4_A, 0))?;
    w.address(AddressKind::Dst, &Address::host(V4_B, 0))?;
    w.spirange(&SpiRange {
        min: 0x100,
        max: 0x0fff_ffff,
        reserved: 0,
    })?;
    w.x_sa2(&Sa2 {
        mode: IpsecMode::TUNNEL,
        reqid: 3,
        ..Sa2::default()
    })
}

/// The REGISTER reply: supported algorithms.
fn register_reply(w: &mut Writer<'_>) -> Result<(), Errno> {
    w.header(&hdr(MsgType::REGISTER, SaType::ESP))?;
    let alg = |id: u8, bits: u16| Alg {
        id,
        ivlen: 0,
        minbits: bits,
        maxbits: bits,
        reserved: 0,
    };
    w.supported(
        SupportedKind::Auth,
        &Supported::default(),
        &[
            alg(AuthAlg::SHA1HMAC.0, 160),
            alg(AuthAlg::SHA2_256HMAC.0, 256),
        ],
    )?;
    w.supported(SupportedKind::Encrypt, &Supported::default(), &[])?;
    w.alg(&Alg {
        id: EncAlg::AESCBC.0,
        ivlen: 16,
        minbits: 128,
        maxbits: 256,
        reserved: 0,
    })
}

/// An ACQUIRE with a proposal, identities and sensitivity.
fn acquire(w: &mut Writer<'_>) -> Result<(), Errno> {
    w.header(&hdr(MsgType::ACQUIRE, SaType::ESP))?;
    w.address(AddressKind::Src, &Address::host(V4_A, 0))?;
    w.address(AddressKind::Dst, &Address::host(V4_B, 0))?;
    w.x_policy(&Policy {
        policy_type: PolicyType::IPSEC,
        dir: IpsecDir::OUTBOUND,
        id: 0x41,
        ..Policy::default()
    })?;
    w.identity(
        IdentityKind::Src,
        &Identity {
            ident_type: IdentType::FQDN,
            reserved: 0,
            id: 0,
            data: b"a.example\0\0\0\0\0\0\0",
        },
    )?;
    w.identity(
        IdentityKind::Dst,
        &Identity {
            ident_type: IdentType::PREFIX,
            ..Identity::default()
        },
    )?;
    w.sensitivity(&Sensitivity {
        dpd: 1,
        sens_level: 2,
        integ_level: 3,
        reserved: 0,
        sens_bitmap: &[1; 8],
        integ_bitmap: &[],
    })?;
    w.proposal(
        &Proposal {
            replay: 32,
            reserved: [0; 3],
        },
        &[Comb {
            auth: AuthAlg::SHA2_256HMAC,
            encrypt: EncAlg::AESCBC,
            auth_minbits: 256,
            auth_maxbits: 256,
            encrypt_minbits: 128,
            encrypt_maxbits: 256,
            hard_addtime: 3600,
            soft_addtime: 3000,
            ..Comb::default()
        }],
    )
}

/// X_MIGRATE with KMADDRESS and a tunnel request pair.
fn migrate(w: &mut Writer<'_>) -> Result<(), Errno> {
    w.header(&hdr(MsgType::X_MIGRATE, SaType::UNSPEC))?;
    w.address(AddressKind::Src, &Address::host(v6(1), 0))?;
    w.address(AddressKind::Dst, &Address::host(v6(2), 0))?;
    w.x_policy(&Policy {
        policy_type: PolicyType::IPSEC,
        dir: IpsecDir::OUTBOUND,
        ..Policy::default()
    })?;
    w.ipsecrequest(&tunnel_rq(v6(3), v6(4), IpProto::ESP))?;
    w.ipsecrequest(&tunnel_rq(v6(5), v6(6), IpProto::ESP))?;
    w.kmaddress(&KmAddress {
        reserved: 0,
        local: SockAddr::new(V4_A, 0),
        remote: SockAddr::new(V4_B, 0),
    })
}

/// A DUMP with the rarer extensions: filter, security context, KM data.
fn dump_filter(w: &mut Writer<'_>) -> Result<(), Errno> {
    w.header(&hdr(MsgType::DUMP, SaType::UNSPEC))?;
    let mut saddr = [0u8; 16];
    saddr[..4].copy_from_slice(&[10, 0, 0, 0]);
    w.filter(&Filter {
        saddr,
        daddr: [0; 16],
        family: 2,
        splen: 8,
        dplen: 0,
    })?;
    w.sec_ctx(&SecCtx {
        alg: 1,
        doi: 1,
        ctx: b"system_u:object_r:ipsec_spd_t:s0",
    })?;
    w.kmprivate(&KmPrivate {
        reserved: 0,
        data: &[9; 8],
    })
}

fn header_only(t: MsgType, s: SaType) -> impl Fn(&mut Writer<'_>) -> Result<(), Errno> {
    move |w| w.header(&hdr(t, s))
}

/// DELETE of one SA.
fn delete(w: &mut Writer<'_>) -> Result<(), Errno> {
    w.header(&hdr(MsgType::DELETE, SaType::ESP))?;
    w.sa(&Sa {
        spi: 0x1000,
        ..Sa::default()
    })?;
    w.address(AddressKind::Src, &Address::host(V4_A, 0))?;
    w.address(AddressKind::Dst, &Address::host(V4_B, 0))
}

fn build(fill: DynFill<'_>) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut w = Writer::new(&mut buf);
    fill(&mut w)?;
    let n = w.finish()?;
    buf.truncate(n);
    Ok(buf)
}

fn main() {
    let mut args = env::args_os().skip(1);
    let Some(out) = args.next().map(PathBuf::from) else {
        eprintln!("usage: seedgen OUT_DIR [pfkey_parse|ah|ipcomp_natt|packet]");
        process::exit(2);
    };
    let target = args.next().map(|t| t.to_string_lossy().into_owned());
    if let Err(e) = fs::create_dir_all(&out) {
        eprintln!("seedgen: {}: {e}", out.display());
        process::exit(1);
    }
    match target.as_deref() {
        None | Some("pfkey_parse") => pfkey_parse_seeds(&out),
        Some("ah") => ah_seeds(&out),
        Some("ipcomp_natt") => ipcomp_natt_seeds(&out),
        Some("packet") => packet_seeds(&out),
        Some(other) => {
            eprintln!("seedgen: no seeds for target {other}");
            process::exit(2);
        }
    }
}

/// Writes `bytes` as `OUT_DIR/seed_NAME`.
fn write_seed(out: &Path, name: &str, bytes: &[u8]) {
    let path = out.join(format!("seed_{name}"));
    if let Err(e) = fs::write(&path, bytes) {
        eprintln!("seedgen: {}: {e}", path.display());
        process::exit(1);
    }
}

fn ah_seeds(out: &Path) {
    let seeds = ah::seeds();
    for (name, bytes) in &seeds {
        write_seed(out, name, bytes);
    }
    println!("seedgen: {} seeds in {}", seeds.len(), out.display());
}

/// Seeds of the `ipcomp_natt` target: IPComp headers with payloads, UDP
/// datagrams to an encapsulation port (keepalive, IKE, ESP), and two IPv6
/// addresses followed by a datagram.
fn ipcomp_natt_seeds(out: &Path) {
    let udp = |payload: &[u8]| {
        let mut d = vec![0x11, 0x94, 0x11, 0x94, 0, 0, 0, 0];
        let len = u16::try_from(d.len() + payload.len()).unwrap_or(u16::MAX);
        d[4..6].copy_from_slice(&len.to_be_bytes());
        d.extend_from_slice(payload);
        d
    };
    let mut v6 = vec![0xfd, 0x07];
    v6.extend([0u8; 13]);
    v6.push(1);
    v6.extend([0xfd, 0x07]);
    v6.extend([0u8; 13]);
    v6.push(2);
    v6.extend(udp(&[0, 0, 0x70, 1, 0, 0, 0, 1, 9, 9, 9, 9]));
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        ("ipcomp_udp", [&[17u8, 0, 0x41, 0x02][..], &[0x63, 0x60, 0x18, 0x05, 0, 0][..]].concat()),
        ("ipcomp_ipip", vec![4, 0, 0x42, 0x01, 0xed, 0xc1, 0x01, 0x0d, 0]),
        ("ipcomp_zero_cpi", vec![6, 0, 0, 0, 1, 2, 3]),
        ("udp_keepalive", udp(&[0xff])),
        ("udp_ike", udp(&[0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44, 0x55])),
        ("udp_esp", udp(&[0, 0, 0x71, 0x02, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef])),
        ("udp6_esp", v6),
    ];
    for (name, bytes) in &seeds {
        write_seed(out, name, bytes);
    }
    println!("seedgen: {} seeds in {}", seeds.len(), out.display());
}

/// An IPv4 header (20 bytes, checksum filled in) for `proto` and `len`
/// bytes in all.
fn v4_header(proto: u8, len: usize) -> Vec<u8> {
    let len = u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes();
    let mut h = vec![
        0x45, 0, len[0], len[1], 0, 1, 0x40, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    ];
    let sum = ipsec_core::ipview::checksum(&h).to_be_bytes();
    h[10] = sum[0];
    h[11] = sum[1];
    h
}

/// An IPv6 fixed header with next header `nh` before `payload`.
fn v6_packet(nh: u8, payload: &[u8]) -> Vec<u8> {
    let plen = u16::try_from(payload.len()).unwrap_or(u16::MAX).to_be_bytes();
    let mut p = vec![0x60, 0, 0, 0, plen[0], plen[1], nh, 64];
    p.extend([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    p.extend([0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    p.extend_from_slice(payload);
    p
}

/// Seeds of the `packet` target: a control byte, then IPv4 and IPv6
/// packets as the hooks see them (TCP SYN with MSS, ESP, extension-header
/// chains, a fragment, a tunnel), and a decrypted ESP payload.
fn packet_seeds(out: &Path) {
    let syn = [
        0x30, 0x39, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x02, 0xff, 0xff, 0, 0, 0, 0, 2, 4, 0x05,
        0xb4,
    ];
    let esp = [0, 0, 0x10, 1, 0, 0, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x11, 0x22];
    let with = |h: Vec<u8>, body: &[u8]| [&[0x80u8][..], &h, body].concat();
    let v4 = |proto, body: &[u8]| with(v4_header(proto, 20 + body.len()), body);
    let inner = [v4_header(6, 20 + syn.len()), syn.to_vec()].concat();
    // Hop-by-Hop (8), Routing type 0 with 0 segments left (8), Destination
    // Options (8), then ESP.
    let chain = [
        &[43u8, 0, 1, 4, 0, 0, 0, 0][..],
        &[60, 0, 0, 0, 0, 0, 0, 0],
        &[50, 0, 1, 4, 0, 0, 0, 0],
        &esp,
    ]
    .concat();
    let frag = [&[17u8, 0, 0, 1, 0, 0, 0, 7][..], &[0x11, 0x94, 0x11, 0x94, 0, 8, 0, 0]].concat();
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        ("v4_tcp_syn", v4(6, &syn)),
        ("v4_esp", v4(50, &esp)),
        ("v4_ipip", v4(4, &inner)),
        ("v6_chain_esp", [&[0x81u8][..], &v6_packet(0, &chain)].concat()),
        ("v6_fragment", [&[0x01u8][..], &v6_packet(44, &frag)].concat()),
        ("v6_tcp_syn", [&[0x40u8][..], &v6_packet(6, &syn)].concat()),
        ("esp_trailer", vec![0x10, 9, 9, 9, 9, 1, 2, 3, 3, 4]),
    ];
    for (name, bytes) in &seeds {
        write_seed(out, name, bytes);
    }
    println!("seedgen: {} seeds in {}", seeds.len(), out.display());
}

fn pfkey_parse_seeds(out: &Path) {
    let seeds: &[(&str, DynFill<'_>)] = &[
        ("esp_add_v4", &(esp_add_v4 as Fill)),
        ("esp_update_v6_nat", &(esp_update_v6_nat as Fill)),
        ("ah_add", &(ah_add as Fill)),
        ("esp_add_null", &(esp_add_null as Fill)),
        ("spdadd_out", &(spdadd_out as Fill)),
        ("spdadd_in_discard_v6", &(spdadd_in_discard_v6 as Fill)),
        ("getspi", &(getspi as Fill)),
        ("register_reply", &(register_reply as Fill)),
        ("acquire", &(acquire as Fill)),
        ("migrate", &(migrate as Fill)),
        ("dump_filter", &(dump_filter as Fill)),
        ("delete", &(delete as Fill)),
        ("flush", &header_only(MsgType::FLUSH, SaType::UNSPEC)),
        (
            "spdflush",
            &header_only(MsgType::X_SPDFLUSH, SaType::UNSPEC),
        ),
    ];
    for (name, fill) in seeds {
        let bytes = match build(*fill) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("seedgen: {name}: Writer refused it: {e:?}");
                process::exit(1);
            }
        };
        if let Err(e) = parse(&bytes) {
            eprintln!("seedgen: {name}: does not parse: {e}");
            process::exit(1);
        }
        write_seed(out, name, &bytes);
    }
    println!("seedgen: {} seeds in {}", seeds.len(), out.display());
}
