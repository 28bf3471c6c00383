// SPDX-License-Identifier: GPL-2.0

//! `setkey -D -l`: the one-line SA form setkey's `shortdump_hdr` and
//! `shortdump` (`src/setkey/setkey.c`) print, every second.
//!
//! ```text
//! time p   s spi      ltime   src -> dst
//! 0140 esp M 00001000 100/0   10.0.0.1 -> 10.0.0.2
//! ```

use core::fmt::Write;

use ipsec_core::pfkey::ext::{AddressKind, LifetimeKind};
use ipsec_core::pfkey::Message;

use super::{addr, check, PrintOptions};

/// `satype[]` of setkey.c.
const SATYPES: [&str; 4] = ["", "", "ah", "esp"];
/// `sastate[]`.
const STATES: [&str; 4] = ["L", "M", "D", "d"];
/// `ipproto[]`: setkey.c's own short protocol names.
const PROTOS: [&str; 61] = [
    "ip", "icmp", "igmp", "ggp", "ip4", "", "tcp", "", "egp", "", "", "", "", "", "", "", "",
    "udp", "", "", "", "", "idp", "", "", "", "", "", "", "tp", "", "", "", "", "", "", "", "", "",
    "", "", "ip6", "", "rt6", "frag6", "", "rsvp", "gre", "", "", "esp", "ah", "", "", "", "", "",
    "", "icmp6", "none", "dst6",
];

/// `STR_OR_ID`: the table's word or `#n`.
fn word_or_id(table: &[&str], n: u32) -> String {
    match usize::try_from(n).ok().and_then(|i| table.get(i)) {
        Some(w) if !w.is_empty() => (*w).to_string(),
        _ => format!("#{n}"),
    }
}

/// ` 100/0  `: the SA's age and hard add-time limit, `big` from 1000.
fn ages(msg: &Message<'_>, now: i64, out: &mut String) {
    let lifetimes = (
        msg.lifetime(LifetimeKind::Soft),
        msg.lifetime(LifetimeKind::Hard),
        msg.lifetime(LifetimeKind::Current),
    );
    let (Some(_), Some(hard), Some(cur)) = lifetimes else {
        out.push_str(" ???/???");
        return;
    };
    // `u_int t`: the difference cut to 32 bits.
    let age = if cur.addtime == 0 {
        0
    } else {
        (now as u64).wrapping_sub(cur.addtime) as u32
    };
    if age >= 1000 {
        out.push_str(" big/");
    } else {
        let _ = write!(out, " {age:3}/");
    }
    let limit = hard.addtime as u32;
    if limit >= 1000 {
        out.push_str("big");
    } else {
        let _ = write!(out, "{limit:<3}");
    }
}

/// An end: `proto host[port]` (protocol if not 0, port if not 0), or `?`.
fn end(msg: &Message<'_>, kind: AddressKind, out: &mut String) {
    let Some(a) = msg.address(kind) else {
        out.push('?');
        return;
    };
    if a.proto.0 != 0 {
        let _ = write!(out, "{} ", word_or_id(&PROTOS, a.proto.0.into()));
    }
    if a.port() != 0 {
        out.push_str(&addr::host_port(&a.sockaddr));
    } else {
        out.push_str(&addr::host(&a.sockaddr));
    }
}

/// One SA line (DEAD SAs in a dump are left out unless `-a`).
pub fn line(bytes: &[u8], opts: &PrintOptions, out: &mut String) {
    let (bytes, _) = check::split_reserved(bytes);
    let msg = match check::message(&bytes) {
        Ok(m) => m,
        Err(word) => {
            out.push_str(word);
            out.push('\n');
            return;
        }
    };
    if super::sad::hidden(&msg, opts) {
        return;
    }
    let now = opts.now as u64;
    let _ = write!(out, "{:02}{:02}", now % 3600 / 60, now % 60);
    let _ = write!(out, " {:<3}", word_or_id(&SATYPES, msg.satype().0.into()));
    match msg.sa() {
        Some(sa) => {
            let _ = write!(out, " {:<1}", word_or_id(&STATES, sa.state.0.into()));
            let _ = write!(out, " {:08x}", sa.spi);
        }
        None => {
            let _ = write!(out, "{:<1} {:<8}", "?", "?");
        }
    }
    ages(&msg, opts.now, out);
    out.push(' ');
    end(&msg, AddressKind::Src, out);
    out.push_str(" -> ");
    end(&msg, AddressKind::Dst, out);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_shortdump_hdr() {
        // printf("%-4s %-3s %-1s %-8s %-7s %s -> %s\n", ...).
        let h = format!(
            "{:<4} {:<3} {:<1} {:<8} {:<7} {} -> {}\n",
            "time", "p", "s", "spi", "ltime", "src", "dst"
        );
        assert_eq!(h, super::super::SA_SHORT_HEADER);
    }

    #[test]
    fn protocol_words() {
        assert_eq!(word_or_id(&PROTOS, 58), "icmp6");
        assert_eq!(word_or_id(&PROTOS, 60), "dst6");
        assert_eq!(word_or_id(&PROTOS, 5), "#5");
        assert_eq!(word_or_id(&PROTOS, 255), "#255");
    }
}
