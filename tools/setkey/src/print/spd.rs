// SPDX-License-Identifier: GPL-2.0

//! `setkey -DP`: one policy, as ipsec-tools' `pfkey_spdump1`
//! (`src/libipsec/pfkey_dump.c`, Linux build) prints it.
//!
//! ```text
//! 10.0.0.0/24[any] 10.0.1.0/24[any] 255
//!     out prio def ipsec
//!     esp/tunnel/192.0.2.1-192.0.2.2/unique:5
//!     created: Nov 28 10:00:00 2026  lastused: Nov 28 10:05:00 2026
//!     lifetime: 0(s) validtime: 0(s)
//!     spid=1 seq=0 pid=1234
//!     refcnt=0
//! ```
//!
//! Tabs are shown as four spaces: every line but the first starts with a
//! tab.

use core::fmt::Write;

use ipsec_core::inet::AF_INET;
use ipsec_core::pfkey::ext::{Address, AddressKind, LifetimeKind};
use ipsec_core::pfkey::Message;

use super::{addr, check, names, policy, sec_ctx, time, PrintOptions};

const IPPROTO_ICMP: u16 = 1;
const IPPROTO_GRE: u16 = 47;
const IPPROTO_ICMPV6: u16 = 58;
const IPPROTO_MH: u16 = 135;

/// Prints one policy message (an `SADB_X_SPDDUMP` or `SADB_X_SPDGET`
/// reply); a message libipsec would refuse prints its `ipsec_strerror()`
/// line.
pub fn dump(bytes: &[u8], opts: &PrintOptions, out: &mut String) {
    let (bytes, refcnt) = check::split_reserved(bytes);
    match check::message(&bytes) {
        Ok(msg) => body(&msg, opts, refcnt, out),
        Err(word) => {
            out.push_str(word);
            out.push('\n');
        }
    }
}

/// Whether this is a per-socket policy: on Linux, a policy id with
/// `id % 8 >= 3` (af_key numbers socket policies so), or no selector.
fn is_socket_policy(msg: &Message<'_>) -> bool {
    msg.x_policy().is_some_and(|p| p.policy.id % 8 >= 3)
        || msg.address(AddressKind::Src).is_none()
        || msg.address(AddressKind::Dst).is_none()
}

/// `str_prefport`: `/prefix` unless a whole address, then `[port]` or
/// `[any]` unless the protocol has no ports (ICMP, ICMPv6, MH, GRE).
fn prefix_port(a: &Address, proto: u16) -> String {
    let full = if a.family() == AF_INET { 32 } else { 128 };
    let mut s = String::new();
    if a.prefixlen != full {
        let _ = write!(s, "/{}", a.prefixlen);
    }
    match proto {
        IPPROTO_ICMP | IPPROTO_ICMPV6 | IPPROTO_MH | IPPROTO_GRE => {}
        _ if a.port() == 0 => s.push_str("[any]"),
        _ => {
            let _ = write!(s, "[{}]", a.port());
        }
    }
    s
}

/// `str_upperspec`: the protocol name or number, then the ICMP type and
/// code or the GRE key that ride in the ports.
fn upper_spec(proto: u16, sport: u16, dport: u16, out: &mut String) {
    out.push_str(&names::protocol(proto));
    if sport == 0 && dport == 0 {
        return;
    }
    match proto {
        IPPROTO_ICMP | IPPROTO_ICMPV6 | IPPROTO_MH => {
            let _ = write!(out, " {sport},{dport}");
        }
        IPPROTO_GRE => {
            let key = (u32::from(sport) << 16).wrapping_add(u32::from(dport));
            let _ = write!(out, " {key}");
        }
        _ => {}
    }
}

/// The selector: `src dst upperspec`.
fn selector(src: &Address, dst: &Address, out: &mut String) {
    let proto = src.proto.0;
    for a in [src, dst] {
        let _ = write!(out, "{}{} ", addr::host(&a.sockaddr), prefix_port(a, proto));
    }
    upper_spec(proto, src.port(), dst.port(), out);
}

/// `pfkey_spdump1` after the checks.
fn body(msg: &Message<'_>, opts: &PrintOptions, refcnt: u16, out: &mut String) {
    let socket = is_socket_policy(msg);
    if socket && opts.hide_socket_policies {
        return;
    }
    match (msg.address(AddressKind::Src), msg.address(AddressKind::Dst)) {
        (Some(src), Some(dst)) if !socket => selector(&src, &dst, out),
        _ => out.push_str("(per-socket policy) "),
    }
    let Some(xpl) = msg.x_policy() else {
        out.push_str("no X_POLICY extension.\n");
        return;
    };
    match policy::text(&xpl, "\n\t", opts.with_ports) {
        Ok(text) => {
            let _ = writeln!(out, "\n\t{text}");
        }
        Err(word) => {
            let _ = writeln!(out, "\n\tPolicy:[{word}]");
        }
    }
    if let Some(c) = msg.lifetime(LifetimeKind::Current) {
        let _ = writeln!(
            out,
            "\tcreated: {}  lastused: {}",
            time::date(c.addtime as i64, opts.tz),
            time::date(c.usetime as i64, opts.tz)
        );
    }
    if let Some(h) = msg.lifetime(LifetimeKind::Hard) {
        let _ = writeln!(
            out,
            "\tlifetime: {}(s) validtime: {}(s)",
            h.addtime, h.usetime
        );
    }
    if let Some(ctx) = msg.sec_ctx() {
        sec_ctx::lines(&ctx, out);
    }
    let h = msg.header();
    let _ = writeln!(out, "\tspid={} seq={} pid={}", xpl.policy.id, h.seq, h.pid);
    let _ = writeln!(out, "\trefcnt={refcnt}");
}
