// SPDX-License-Identifier: GPL-2.0

//! A policy as text: ipsec-tools' `ipsec_dump_policy`
//! (`src/libipsec/ipsec_dump_policy.c`), as built on Linux (with `fwd`
//! and policy priorities): `out prio def + 10 ipsec` and one
//! `esp/tunnel/192.0.2.1-192.0.2.2/unique:5` per request, joined by a
//! delimiter.

use core::fmt::Write;

use ipsec_core::inet::IpProto;
use ipsec_core::ipsec::{PolicyType, IPSEC_MANUAL_REQID_MAX};
use ipsec_core::pfkey::ext::{IpsecRequest, PolicyExt};

use super::addr;

/// `ipsp_dir_strs[]` on Linux.
const DIRECTIONS: [&str; 6] = ["any", "in", "out", "fwd", "in(socket)", "out(socket)"];

/// `ipsp_policy_strs[]`.
const POLICY_TYPES: [&str; 5] = ["discard", "none", "ipsec", "entrust", "bypass"];

/// libipsec's `EIPSEC_INVAL_DIR` (its spelling).
const INVAL_DIR: &str = "Invalid direciton";
/// libipsec's `EIPSEC_INVAL_POLICY`.
const INVAL_POLICY: &str = "Invalid security policy";
/// libipsec's `EIPSEC_INVAL_PROTO`.
const INVAL_PROTO: &str = "Invalid ipsec protocol";
/// libipsec's `EIPSEC_INVAL_MODE`.
const INVAL_MODE: &str = "Invalid ipsec mode";
/// libipsec's `EIPSEC_INVAL_LEVEL`.
const INVAL_LEVEL: &str = "Invalid ipsec level";

/// `PRIORITY_HIGH`, `PRIORITY_DEFAULT`, `PRIORITY_LOW`.
const PRIORITY_HIGH: u32 = 0x4000_0000;
const PRIORITY_DEFAULT: u32 = 0x8000_0000;
const PRIORITY_LOW: u32 = 0xc000_0000;

/// The priority as setkey's grammar would write it, with its leading
/// space: nothing for 0, else the closest base (`prio high`, `prio def`,
/// `prio low`) and, if not on it, ` + N` or ` - N` (a smaller number is a
/// higher priority, so `def + 10` is `PRIORITY_DEFAULT - 10`).
fn priority(p: u32) -> String {
    if p == 0 {
        return String::new();
    }
    let (base, word) = if p < PRIORITY_DEFAULT / 4 * 3 {
        (PRIORITY_HIGH, "prio high")
    } else if p < PRIORITY_DEFAULT / 4 * 5 {
        (PRIORITY_DEFAULT, "prio def")
    } else {
        (PRIORITY_LOW, "prio low")
    };
    // int32_t arithmetic as in C; every value here fits.
    let offset = (p.wrapping_sub(base) as i32).wrapping_neg();
    if offset == 0 {
        format!(" {word}")
    } else {
        let op = if offset < 0 { '-' } else { '+' };
        format!(" {word} {op} {}", offset.unsigned_abs())
    }
}

/// One request, `proto/mode/src-dst/level[:reqid]`.
fn request(rq: &IpsecRequest, with_ports: bool) -> Result<String, &'static str> {
    let proto = match rq.proto {
        IpProto::ESP => "esp",
        IpProto::AH => "ah",
        IpProto::COMP => "ipcomp",
        _ => return Err(INVAL_PROTO),
    };
    let mode = match rq.mode.0 {
        0 => "any",
        1 => "transport",
        2 => "tunnel",
        _ => return Err(INVAL_MODE),
    };
    let ends = match &rq.endpoints {
        Some((s, d)) if with_ports => format!("{}-{}", addr::host_port(s), addr::host_port(d)),
        Some((s, d)) => format!("{}-{}", addr::host(s), addr::host(d)),
        None => String::new(),
    };
    let level = match rq.level.0 {
        0 => "default",
        1 => "use",
        2 => "require",
        3 => "unique",
        _ => return Err(INVAL_LEVEL),
    };
    let mut s = format!("{proto}/{mode}/{ends}/{level}");
    if rq.reqid != 0 {
        let mark = if rq.reqid > IPSEC_MANUAL_REQID_MAX {
            '#'
        } else {
            ':'
        };
        let _ = write!(s, "{mark}{}", rq.reqid);
    }
    Ok(s)
}

/// `ipsec_dump_policy(xpl, delimiter)` (`_withports` with `with_ports`),
/// or the `ipsec_strerror()` word for what it refused.
pub fn text(
    xpl: &PolicyExt<'_>,
    delimiter: &str,
    with_ports: bool,
) -> Result<String, &'static str> {
    let p = &xpl.policy;
    let dir = DIRECTIONS.get(usize::from(p.dir.0)).ok_or(INVAL_DIR)?;
    let ty = POLICY_TYPES
        .get(usize::from(p.policy_type.0))
        .ok_or(INVAL_POLICY)?;
    let mut s = format!("{dir}{} {ty}", priority(p.priority));
    if p.policy_type != PolicyType::IPSEC {
        return Ok(s);
    }
    for rq in xpl.requests() {
        s.push_str(delimiter);
        s.push_str(&request(&rq, with_ports)?);
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities() {
        assert_eq!(priority(0), "");
        assert_eq!(priority(PRIORITY_DEFAULT), " prio def");
        assert_eq!(priority(PRIORITY_DEFAULT - 10), " prio def + 10");
        assert_eq!(priority(PRIORITY_DEFAULT + 10), " prio def - 10");
        assert_eq!(priority(PRIORITY_HIGH), " prio high");
        assert_eq!(priority(PRIORITY_LOW + 1), " prio low - 1");
        assert_eq!(priority(1), " prio high + 1073741823");
        assert_eq!(priority(0x6000_0000), " prio def + 536870912");
        assert_eq!(priority(0x5fff_ffff), " prio high - 536870911");
        assert_eq!(priority(0xa000_0000), " prio low + 536870912");
        assert_eq!(priority(u32::MAX), " prio low - 1073741823");
    }
}
