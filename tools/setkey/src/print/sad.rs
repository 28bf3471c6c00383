// SPDX-License-Identifier: GPL-2.0

//! `setkey -D` and `get`: one SA, as ipsec-tools' `pfkey_sadump1`
//! (`src/libipsec/pfkey_dump.c`) prints it.
//!
//! ```text
//! 10.0.0.1 10.0.0.2
//!     esp mode=transport spi=4096(0x00001000) reqid=0(0x00000000)
//!     E: 3des-cbc  01234567 ...
//!     A: hmac-sha1  01234567 ...
//!     seq=0x00000000 replay=0 flags=0x00000000 state=mature
//!     created: Nov 28 10:00:00 2026    current: Nov 28 10:01:40 2026
//!     diff: 100(s)    hard: 0(s)    soft: 0(s)
//!     last:                         hard: 0(s)    soft: 0(s)
//!     current: 0(bytes)    hard: 0(bytes)    soft: 0(bytes)
//!     allocated: 0    hard: 0    soft: 0
//!     sadb_seq=0 pid=1234 refcnt=0
//! ```
//!
//! Tabs are shown as four spaces: every line but the first starts with a
//! tab, and tabs separate the lifetime fields. The first line and the
//! state line end in a space, as in ipsec-tools.

use core::fmt::Write;

use ipsec_core::pfkey::consts::{MsgType, SaState, SaType};
use ipsec_core::pfkey::ext::{AddressKind, Key, KeyKind, Lifetime, LifetimeKind, Sa};
use ipsec_core::pfkey::Message;

use super::{addr, check, hex, names, sec_ctx, time, PrintOptions};

/// The replay window to print: `SADB_X_EXT_SA_REPLAY`'s when the message
/// has one (rust_ipsec sends it for windows over 255, with
/// `sadb_sa_replay` 255), else `sadb_sa_replay` as ipsec-tools prints it.
/// Both count packets.
fn replay_window(msg: &Message<'_>, sa: &Sa) -> u32 {
    msg.x_sa_replay().map_or(u32::from(sa.replay), |r| r.replay)
}

/// Whether `setkey -D` leaves this message out: a DEAD SA in a dump,
/// unless `-a` (setkey's `postproc`; `get` shows it).
pub(super) fn hidden(msg: &Message<'_>, opts: &PrintOptions) -> bool {
    !opts.show_dead
        && msg.msg_type() == MsgType::DUMP
        && msg.sa().is_some_and(|sa| sa.state == SaState::DEAD)
}

/// Prints one SA message (an `SADB_DUMP` or `SADB_GET` reply). A DEAD SA
/// in a dump prints nothing unless [`PrintOptions::show_dead`]; a message
/// libipsec would refuse prints its `ipsec_strerror()` line.
pub fn dump(bytes: &[u8], opts: &PrintOptions, out: &mut String) {
    let (bytes, refcnt) = check::split_reserved(bytes);
    let msg = match check::message(&bytes) {
        Ok(m) => m,
        Err(word) => {
            out.push_str(word);
            out.push('\n');
            return;
        }
    };
    if hidden(&msg, opts) {
        return;
    }
    body(&msg, opts, refcnt, out);
}

/// An SA address: the host, `[port]` with `-p`, `[port]` of NAT-T.
fn endpoint(
    msg: &Message<'_>,
    kind: AddressKind,
    natt_port: Option<u16>,
    opts: &PrintOptions,
    out: &mut String,
) -> bool {
    let Some(a) = msg.address(kind) else {
        return false;
    };
    if opts.with_ports {
        out.push_str(&addr::host_port(&a.sockaddr));
    } else {
        out.push_str(&addr::host(&a.sockaddr));
    }
    if let Some(port) = natt_port {
        let _ = write!(out, "[{port}]");
    }
    out.push(' ');
    true
}

/// `pfkey_sadump1` after the checks.
fn body(msg: &Message<'_>, opts: &PrintOptions, refcnt: u16, out: &mut String) {
    use ipsec_core::pfkey::ext::NatTPortKind;
    let natt = msg.nat_t_type().is_some_and(|t| t.encap.0 != 0);
    let natt_port = |k| msg.nat_t_port(k).filter(|_| natt).map(|p| p.port);
    if !endpoint(
        msg,
        AddressKind::Src,
        natt_port(NatTPortKind::Src),
        opts,
        out,
    ) {
        out.push_str("no ADDRESS_SRC extension.\n");
        return;
    }
    if !endpoint(
        msg,
        AddressKind::Dst,
        natt_port(NatTPortKind::Dst),
        opts,
        out,
    ) {
        out.push_str(" no ADDRESS_DST extension.\n");
        return;
    }
    let Some(sa) = msg.sa() else {
        out.push_str("no SA extension.\n");
        return;
    };
    let Some(sa2) = msg.x_sa2() else {
        out.push_str("no SA2 extension.\n");
        return;
    };
    out.push_str("\n\t");
    let satype = msg.satype();
    if natt && satype == SaType::ESP {
        out.push_str("esp-udp ");
    } else {
        if natt {
            out.push_str("natt+");
        }
        out.push_str(&names::satype(satype.0));
    }
    out.push_str("mode=");
    out.push_str(&names::mode(sa2.mode.0));
    let _ = writeln!(
        out,
        "spi={0}(0x{0:08x}) reqid={1}(0x{1:08x})",
        sa.spi, sa2.reqid
    );
    if natt {
        if let Some(oa) = msg.address(AddressKind::NatTOa) {
            let _ = writeln!(out, "\tNAT OA={}", addr::host(&oa.sockaddr));
        }
    }
    algorithms(msg, &sa, out);
    let _ = write!(
        out,
        "\tseq=0x{:08x} replay={} flags=0x{:08x} state=",
        sa2.sequence,
        replay_window(msg, &sa),
        sa.flags
    );
    out.push_str(&names::state(sa.state.0));
    out.push('\n');
    if let Some(current) = msg.lifetime(LifetimeKind::Current) {
        lifetimes(msg, &current, opts, out);
    }
    if let Some(ctx) = msg.sec_ctx() {
        sec_ctx::lines(&ctx, out);
    }
    let h = msg.header();
    let _ = writeln!(out, "\tsadb_seq={} pid={} refcnt={refcnt}", h.seq, h.pid);
}

/// A key after its algorithm: ipsec-tools dumps `sadb_key_bits / 8` bytes.
fn key_bytes(key: &Key<'_>, out: &mut String) {
    let n = usize::from(key.bits / 8).min(key.data.len());
    hex::groups(&key.data[..n], out);
}

/// The `C:`, `E:` and `A:` lines. An IPComp SA's `C:` line has no newline
/// in ipsec-tools, so `seq=` follows on the same line.
fn algorithms(msg: &Message<'_>, sa: &Sa, out: &mut String) {
    let satype = msg.satype();
    if satype == SaType::X_IPCOMP {
        out.push_str("\tC: ");
        out.push_str(&names::comp_alg(sa.encrypt.0));
    } else if satype == SaType::ESP {
        if let Some(key) = msg.key(KeyKind::Encrypt) {
            out.push_str("\tE: ");
            out.push_str(&names::enc_alg(sa.encrypt.0));
            key_bytes(&key, out);
            out.push('\n');
        }
    }
    if let Some(key) = msg.key(KeyKind::Auth) {
        out.push_str("\tA: ");
        out.push_str(&names::auth_alg(sa.auth.0));
        key_bytes(&key, out);
        out.push('\n');
    }
}

/// The five lifetime lines.
fn lifetimes(msg: &Message<'_>, c: &Lifetime, opts: &PrintOptions, out: &mut String) {
    let hard = msg.lifetime(LifetimeKind::Hard).unwrap_or_default();
    let soft = msg.lifetime(LifetimeKind::Soft).unwrap_or_default();
    // `(long)addtime`, and `time_t - u_int64_t` in unsigned arithmetic.
    let added = c.addtime as i64;
    let diff = if c.addtime == 0 {
        0
    } else {
        (opts.now as u64).wrapping_sub(c.addtime)
    };
    let _ = writeln!(
        out,
        "\tcreated: {}\tcurrent: {}",
        time::date(added, opts.tz),
        time::date(opts.now, opts.tz)
    );
    let _ = writeln!(
        out,
        "\tdiff: {}(s)\thard: {}(s)\tsoft: {}(s)",
        diff, hard.addtime, soft.addtime
    );
    let _ = writeln!(
        out,
        "\tlast: {}\thard: {}(s)\tsoft: {}(s)",
        time::date(c.usetime as i64, opts.tz),
        hard.usetime,
        soft.usetime
    );
    // str_lifetime_byte: `%.0f` of the count as a double; a missing
    // extension prints 0.
    let bytes = |l: Option<Lifetime>| l.map_or(0.0, |l| l.bytes as f64);
    let _ = writeln!(
        out,
        "\tcurrent: {:.0}(bytes)\thard: {:.0}(bytes)\tsoft: {:.0}(bytes)",
        c.bytes as f64,
        bytes(msg.lifetime(LifetimeKind::Hard)),
        bytes(msg.lifetime(LifetimeKind::Soft))
    );
    let _ = writeln!(
        out,
        "\tallocated: {}\thard: {}\tsoft: {}",
        c.allocations, hard.allocations, soft.allocations
    );
}
