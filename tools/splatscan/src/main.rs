// SPDX-License-Identifier: GPL-2.0

//! `splatscan LOG`: prints every kernel splat in LOG; exits 1 if there is one.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: splatscan KERNEL-LOG");
        return ExitCode::from(2);
    };
    let log = match std::fs::read(&path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            eprintln!("splatscan: {path}: {e}");
            return ExitCode::from(2);
        }
    };
    let splats = splatscan::scan(&log);
    for s in &splats {
        let during = s
            .suite
            .as_deref()
            .map(|n| format!(", during {n}"))
            .unwrap_or_default();
        println!(
            "==== kernel splat ({}{during}) at {path}:{} ====",
            s.kind, s.line
        );
        for l in &s.excerpt {
            println!("{l}");
        }
    }
    if splats.is_empty() {
        ExitCode::SUCCESS
    } else {
        println!("==== {} kernel splat(s) ====", splats.len());
        ExitCode::from(1)
    }
}
