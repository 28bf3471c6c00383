// SPDX-License-Identifier: GPL-2.0

//! A message field by field, as ipsec-tools' `kdebug_sadb`
//! (`src/libipsec/key_debug.c`) prints it for `setkey -x` and `-v`.
//!
//! The message goes through [`ipsec_core::pfkey::parse`]; one it refuses
//! prints its header (when that much is sound) and a one-line note.
//! Extensions print in wire order; like `kdebug_sadb`, the walk stops at
//! an extension type it has no printer for (`SEC_CTX` and `X_FILTER`),
//! except `SADB_X_EXT_SA_REPLAY`, which rust_ipsec adds and prints as
//! `sadb_x_sa_replay{ replay=N }`.

use core::fmt::Write;

use ipsec_core::ipsec::PolicyType;
use ipsec_core::pfkey::consts::{ExtType, UNIT};
use ipsec_core::pfkey::ext::{
    Address, Comb, Extension, Identity, IdentityKind, IpsecRequest, Key, KmAddress, Lifetime,
    PolicyExt, ProposalExt, Sa, Sa2, SupportedExt, IPSECREQUEST_LEN,
};
use ipsec_core::pfkey::sockaddr::SockAddr;
use ipsec_core::pfkey::{parse, parse_header, Message, MsgHeader};

use super::hex;

/// The two `sadb_msg{ ... }` lines (`sadb_msg_reserved` is 0 in anything
/// that parsed).
fn header(h: &MsgHeader, len_units: usize, reserved: u16, out: &mut String) {
    let _ = writeln!(
        out,
        "sadb_msg{{ version=2 type={} errno={} satype={}",
        h.msg_type.0, h.errno, h.satype.0
    );
    let _ = writeln!(
        out,
        "  len={} reserved={} seq={} pid={}",
        len_units, reserved, h.seq, h.pid
    );
}

/// `kdebug_sockaddr`: length, family, port, then the address in hex.
fn sockaddr(sa: &SockAddr, out: &mut String) {
    let _ = writeln!(
        out,
        "sockaddr{{ len={} family={} port={}",
        sa.wire_len(),
        sa.family(),
        sa.port()
    );
    if let SockAddr::V6 {
        flowinfo, scope_id, ..
    } = sa
    {
        // sin6_flowinfo is printed as stored, in network order.
        let raw = u32::from_ne_bytes(flowinfo.to_be_bytes());
        let _ = writeln!(out, "  flowinfo=0x{raw:08x}, scope_id=0x{scope_id:08x}");
    }
    hex::groups(sa.addr().octets(), out);
    out.push_str("  }\n");
}

fn sa(s: &Sa, out: &mut String) {
    let _ = writeln!(
        out,
        "sadb_sa{{ spi={} replay={} state={}",
        s.spi, s.replay, s.state.0
    );
    let _ = writeln!(
        out,
        "  auth={} encrypt={} flags=0x{:08x} }}",
        s.auth.0, s.encrypt.0, s.flags
    );
}

/// `kdebug_sadb_lifetime`: the 64-bit fields cut to 32 bits, as there.
fn lifetime(l: &Lifetime, out: &mut String) {
    let _ = writeln!(
        out,
        "sadb_lifetime{{ alloc={}, bytes={}",
        l.allocations, l.bytes as u32
    );
    let _ = writeln!(
        out,
        "  addtime={}, usetime={} }}",
        l.addtime as u32, l.usetime as u32
    );
}

fn address(a: &Address, out: &mut String) {
    let _ = writeln!(
        out,
        "sadb_address{{ proto={} prefixlen={} reserved=0x0000 }}",
        a.proto.0, a.prefixlen
    );
    sockaddr(&a.sockaddr, out);
}

fn key(k: &Key<'_>, out: &mut String) {
    let _ = writeln!(out, "sadb_key{{ bits={} reserved={}", k.bits, k.reserved);
    out.push_str("  key=");
    let n = usize::from(k.bits >> 3).min(k.data.len());
    hex::groups(&k.data[..n], out);
    out.push_str(" }\n");
}

/// `kdebug_sadb_identity`: the string up to its NUL, with `\ooo` for
/// what is not printable.
fn identity(kind: IdentityKind, id: &Identity<'_>, out: &mut String) {
    let side = if kind == IdentityKind::Src {
        "src"
    } else {
        "dst"
    };
    let _ = write!(
        out,
        "sadb_ident_{side}{{ type={} id={}",
        id.ident_type.0, id.id
    );
    if !id.data.is_empty() {
        out.push_str("\n  str=\"");
        for &b in id.data.iter().take_while(|&&b| b != 0) {
            if (0x20..0x7f).contains(&b) {
                out.push(char::from(b));
            } else {
                let _ = write!(out, "\\{b:03o}");
            }
        }
        out.push('"');
    }
    out.push_str(" }\n");
}

fn comb(c: &Comb, out: &mut String) {
    let _ = writeln!(
        out,
        "sadb_comb{{ auth={} encrypt={} flags=0x{:04x} reserved=0x{:08x}",
        c.auth.0, c.encrypt.0, c.flags, c.reserved
    );
    let _ = writeln!(
        out,
        "  auth_minbits={} auth_maxbits={} encrypt_minbits={} encrypt_maxbits={}",
        c.auth_minbits, c.auth_maxbits, c.encrypt_minbits, c.encrypt_maxbits
    );
    let _ = writeln!(
        out,
        "  soft_alloc={} hard_alloc={} soft_bytes={} hard_bytes={}",
        c.soft_allocations, c.hard_allocations, c.soft_bytes, c.hard_bytes
    );
    // The times under the labels key_debug.c gives them.
    let _ = writeln!(
        out,
        "  soft_alloc={} hard_alloc={} soft_bytes={} hard_bytes={} }}",
        c.soft_addtime, c.hard_addtime, c.soft_usetime, c.hard_usetime
    );
}

fn proposal(p: &ProposalExt<'_>, out: &mut String) {
    let _ = writeln!(out, "sadb_prop{{ replay={}", p.proposal.replay);
    for c in p.combs() {
        comb(&c, out);
    }
    out.push_str("}\n");
}

fn supported(s: &SupportedExt<'_>, out: &mut String) {
    out.push_str("sadb_sup{\n");
    for a in s.algs() {
        let _ = writeln!(
            out,
            "  {{ id={} ivlen={} min={} max={} }}",
            a.id, a.ivlen, a.minbits, a.maxbits
        );
    }
    out.push_str("}\n");
}

fn request(rq: &IpsecRequest, out: &mut String) {
    let len = IPSECREQUEST_LEN + rq.endpoints.map_or(0, |(s, d)| s.wire_len() + d.wire_len());
    let _ = writeln!(
        out,
        " {{ len={} proto={} mode={} level={} reqid={}",
        len, rq.proto.0, rq.mode.0, rq.level.0, rq.reqid
    );
    if let Some((s, d)) = &rq.endpoints {
        sockaddr(s, out);
        sockaddr(d, out);
    }
    out.push_str(" }\n");
}

fn policy(p: &PolicyExt<'_>, out: &mut String) {
    let x = &p.policy;
    let _ = writeln!(
        out,
        "sadb_x_policy{{ type={} dir={} id={:x} priority={} }}",
        x.policy_type.0, x.dir.0, x.id, x.priority
    );
    if x.policy_type == PolicyType::IPSEC {
        for rq in p.requests() {
            request(&rq, out);
        }
    }
}

fn sa2(s: &Sa2, out: &mut String) {
    let _ = writeln!(out, "sadb_x_sa2{{ mode={} reqid={}", s.mode.0, s.reqid);
    let _ = writeln!(
        out,
        "  reserved1={} reserved2={} sequence={} }}",
        s.reserved1, s.reserved2, s.sequence
    );
}

fn kmaddress(k: &KmAddress, out: &mut String) {
    let r = k.reserved.to_ne_bytes();
    let _ = writeln!(
        out,
        "sadb_x_kmaddress{{ reserved=0x{:02x}{:02x}{:02x}{:02x} }}",
        r[0], r[1], r[2], r[3]
    );
    sockaddr(&k.local, out);
    sockaddr(&k.remote, out);
}

/// One extension's lines after its `sadb_ext{ }` line; `false` for a
/// type `kdebug_sadb` has no printer for (its line is printed and the
/// walk stops).
fn extension(e: &Extension<'_>, out: &mut String) -> bool {
    match e {
        Extension::Sa(s) => sa(s, out),
        Extension::Lifetime(_, l) => lifetime(l, out),
        Extension::Address(_, a) => address(a, out),
        Extension::Key(_, k) => key(k, out),
        Extension::Identity(kind, id) => identity(*kind, id, out),
        Extension::Sensitivity(_) | Extension::SpiRange(_) | Extension::KmPrivate(_) => {}
        Extension::Proposal(p) => proposal(p, out),
        Extension::Supported(_, s) => supported(s, out),
        Extension::Policy(p) => policy(p, out),
        Extension::Sa2(s) => sa2(s, out),
        Extension::NatTType(t) => {
            let _ = writeln!(out, "sadb_x_nat_t_type{{ type={} }}", t.encap.0);
        }
        Extension::NatTPort(_, p) => {
            let _ = writeln!(out, "sadb_x_nat_t_port{{ port={} }}", p.port);
        }
        Extension::KmAddress(k) => kmaddress(k, out),
        Extension::SaReplay(r) => {
            let _ = writeln!(out, "sadb_x_sa_replay{{ replay={} }}", r.replay);
        }
        Extension::SecCtx(_) | Extension::Filter(_) => {
            let _ = writeln!(
                out,
                "kdebug_sadb: invalid ext_type {} was passed.",
                e.ext_type().0
            );
            return false;
        }
    }
    true
}

/// The extensions of a parsed message.
fn extensions(msg: &Message<'_>, out: &mut String) {
    for e in msg.extensions() {
        let ty: ExtType = e.ext_type();
        let units = msg.raw(ty).map_or(0, |r| r.len() / UNIT);
        let _ = writeln!(out, "sadb_ext{{ len={} type={} }}", units, ty.0);
        if !extension(&e, out) {
            return;
        }
    }
}

/// `kdebug_sadb(msg)`: every line, no blank line after.
pub fn dump(bytes: &[u8], out: &mut String) {
    let (bytes, reserved) = super::check::split_reserved(bytes);
    match parse(&bytes) {
        Ok(msg) => {
            header(msg.header(), msg.wire_len() / UNIT, reserved, out);
            extensions(&msg, out);
        }
        Err(e) => {
            if let Ok(h) = parse_header(&bytes) {
                header(&h, bytes.len() / UNIT, reserved, out);
            }
            let _ = writeln!(out, "kdebug_sadb: cannot parse the message: {e}.");
        }
    }
}
