// SPDX-License-Identifier: GPL-2.0

//! Finds kernel splats in a kernel log.
//!
//! `scripts/vm-run` feeds the guest's whole kernel log (plus a final
//! kmemleak scan) through this; any splat fails the run. A splat is a
//! report the kernel prints when something is wrong: KASAN, UBSAN, lockdep
//! and other `WARNING:`s, `BUG:`, Oopses, panics, Rust panics, hung tasks
//! and kmemleak's unreferenced objects.

/// Line fragments that start a splat, with the kind they report.
const MARKERS: &[(&str, &str)] = &[
    ("BUG: KASAN:", "KASAN"),
    ("UBSAN:", "UBSAN"),
    ("WARNING: possible circular locking dependency", "lockdep"),
    ("WARNING: possible recursive locking", "lockdep"),
    ("WARNING: inconsistent lock state", "lockdep"),
    ("WARNING: suspicious RCU usage", "lockdep"),
    ("WARNING: bad unlock balance", "lockdep"),
    ("WARNING: held lock freed", "lockdep"),
    ("WARNING: lock held when returning to user space", "lockdep"),
    ("WARNING: possible irq lock inversion", "lockdep"),
    (
        "BUG: sleeping function called from invalid context",
        "might_sleep",
    ),
    ("BUG: scheduling while atomic", "might_sleep"),
    ("WARNING:", "WARNING"),
    ("BUG:", "BUG"),
    ("kernel BUG at", "BUG"),
    ("Oops:", "Oops"),
    ("general protection fault", "Oops"),
    ("Kernel panic", "panic"),
    ("panicked at", "Rust panic"),
    ("unreferenced object 0x", "kmemleak"),
    ("suspected memory leak", "kmemleak"),
    ("INFO: task ", "hung task"),
    ("list_add corruption", "list corruption"),
    ("list_del corruption", "list corruption"),
];

/// Lines that end a report (the next lines are ordinary log again).
const END_MARKERS: &[&str] = &["---[ end trace", "---[ end Kernel panic"];

/// What `tests/run_tests.sh` writes to `/dev/kmsg` around each test
/// program: `rust_ipsec selftest: begin NAME` and `... end NAME`.
const SUITE_BEGIN: &str = "rust_ipsec selftest: begin ";
const SUITE_END: &str = "rust_ipsec selftest: end ";

/// Longest excerpt kept for one splat, in lines.
const MAX_EXCERPT: usize = 80;

/// One report found in a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Splat {
    /// What reported it (KASAN, lockdep, kmemleak, ...).
    pub kind: &'static str,
    /// 1-based line number of the report's first line.
    pub line: usize,
    /// The report's lines, up to its end marker or [`MAX_EXCERPT`] lines.
    pub excerpt: Vec<String>,
    /// The test program running when the kernel printed it (between its
    /// begin and end markers), if any.
    pub suite: Option<String>,
}

/// Strips the `[   12.345678] ` timestamp (and a `<4>` level) from a line.
fn message(line: &str) -> &str {
    let mut s = line.trim_start();
    if let Some(rest) = s.strip_prefix('<') {
        if let Some(end) = rest.find('>') {
            s = &rest[end + 1..];
        }
    }
    if let Some(rest) = s.strip_prefix('[') {
        if let Some(end) = rest.find(']') {
            s = rest[end + 1..].trim_start();
        }
    }
    s
}

/// Returns the splat kind a line starts, if it starts one.
pub fn marker(line: &str) -> Option<&'static str> {
    let msg = message(line);
    MARKERS
        .iter()
        .find(|(m, _)| {
            // `WARNING:`/`BUG:` only count at the start of the message, so
            // that e.g. a test's own `echo WARNING:` to kmsg is still
            // caught while a word in the middle of a line is not.
            if m.ends_with(':') && (m.starts_with("WARNING") || m.starts_with("BUG")) {
                msg.starts_with(m)
            } else {
                msg.contains(m)
            }
        })
        .map(|(_, kind)| *kind)
}

/// Finds every splat in `log`. Lines belonging to one report are grouped
/// into one [`Splat`]; a kmemleak report of many objects is one splat per
/// object, as kmemleak prints them.
pub fn scan(log: &str) -> Vec<Splat> {
    let lines: Vec<&str> = log.lines().collect();
    let mut splats = Vec::new();
    let mut suite: Option<String> = None;
    let mut i = 0;
    while i < lines.len() {
        let msg = message(lines[i]);
        if let Some(name) = msg.strip_prefix(SUITE_BEGIN) {
            suite = Some(name.trim().to_string());
        } else if msg.starts_with(SUITE_END) {
            suite = None;
        }
        let Some(kind) = marker(lines[i]) else {
            i += 1;
            continue;
        };
        let start = i;
        let mut end = i + 1;
        while end < lines.len() && end - start < MAX_EXCERPT {
            let msg = message(lines[end]);
            if END_MARKERS.iter().any(|m| msg.starts_with(m)) {
                end += 1;
                break;
            }
            // A test program's marker is ordinary log again.
            if msg.starts_with(SUITE_BEGIN) || msg.starts_with(SUITE_END) {
                break;
            }
            // A new report of another object starts a new splat.
            if kind == "kmemleak" && marker(lines[end]).is_some() {
                break;
            }
            end += 1;
        }
        splats.push(Splat {
            kind,
            line: start + 1,
            excerpt: lines[start..end].iter().map(|s| s.to_string()).collect(),
            suite: suite.clone(),
        });
        i = end;
    }
    splats
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(log: &str) -> Vec<&'static str> {
        scan(log).into_iter().map(|s| s.kind).collect()
    }

    #[test]
    fn splat_names_the_suite_it_came_from() {
        let log = "[ 1.0] rust_ipsec selftest: begin esp.sh\n\
                   [ 2.0] BUG: KASAN: use-after-free in x\n\
                   [ 3.0] rust_ipsec selftest: end esp.sh\n\
                   [ 4.0] WARNING: CPU: 0 PID: 1 at y\n\
                   [ 5.0] rust_ipsec selftest: begin pfkey.sh\n\
                   [ 6.0] Oops: 0000\n";
        let s: Vec<_> = scan(log).into_iter().map(|s| (s.kind, s.suite)).collect();
        assert_eq!(
            s,
            [
                ("KASAN", Some("esp.sh".to_string())),
                ("WARNING", None),
                ("Oops", Some("pfkey.sh".to_string())),
            ]
        );
    }

    #[test]
    fn clean_boot_has_no_splat() {
        assert!(scan(include_str!("../tests/logs/clean-boot.log")).is_empty());
    }

    #[test]
    fn kasan_use_after_free() {
        let s = scan(include_str!("../tests/logs/kasan-uaf.log"));
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].kind, "KASAN");
        assert!(s[0].excerpt.last().unwrap().contains("end trace") || s[0].excerpt.len() > 10);
    }

    #[test]
    fn lockdep_circular() {
        assert_eq!(
            kinds(include_str!("../tests/logs/lockdep-circular.log")),
            ["lockdep"]
        );
    }

    #[test]
    fn kmemleak_summary_and_three_objects() {
        assert_eq!(
            kinds(include_str!("../tests/logs/kmemleak.log")),
            ["kmemleak"; 4]
        );
    }

    #[test]
    fn ubsan_warning_bug_oops_rust_panic() {
        assert_eq!(kinds(include_str!("../tests/logs/ubsan.log")), ["UBSAN"]);
        assert_eq!(
            kinds(include_str!("../tests/logs/warning.log")),
            ["WARNING"]
        );
        assert_eq!(
            kinds(include_str!("../tests/logs/might-sleep.log")),
            ["might_sleep"]
        );
        assert_eq!(
            kinds(include_str!("../tests/logs/rust-panic.log")),
            ["Rust panic"]
        );
        assert_eq!(kinds(include_str!("../tests/logs/null-deref.log")), ["BUG"]);
    }

    #[test]
    fn timestamp_and_level_stripped() {
        assert_eq!(message("[    1.234567] BUG: foo"), "BUG: foo");
        assert_eq!(message("<4>[    1.234567] WARNING: x"), "WARNING: x");
        assert_eq!(marker("[ 3.1] rust_ipsec: loaded; no WARNING: here"), None);
        assert_eq!(
            marker("[ 3.1] BUG: KASAN: slab-out-of-bounds"),
            Some("KASAN")
        );
    }
}
