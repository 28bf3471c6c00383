// SPDX-License-Identifier: GPL-2.0

//! The `setkey` command: ipsec-tools' setkey(8) over PF_KEY v2.

use std::io::Read;
use std::process::ExitCode;

use setkey::cli::{self, Mode, USAGE, VERSION};
use setkey::run::{self, Failure};

fn read_input(mode: &Mode) -> Result<(String, String), String> {
    let (name, path) = match mode {
        Mode::Stdin => ("<stdin>".to_string(), None),
        Mode::Script(p) if p == "-" => ("<stdin>".to_string(), None),
        Mode::Script(p) => (p.clone(), Some(p)),
        _ => return Err("no input".into()),
    };
    let text = match path {
        Some(p) => std::fs::read_to_string(p).map_err(|e| format!("Can't open `{p}': {e}"))?,
        None => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| format!("<stdin>: {e}"))?;
            s
        }
    };
    Ok((name, text))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opts = match cli::parse(&args) {
        Ok(o) => o,
        Err(e) => {
            if !e.0.is_empty() {
                eprintln!("setkey: {e}");
            }
            print!("{VERSION}{USAGE}");
            return ExitCode::from(1);
        }
    };
    let result = match &opts.mode {
        Mode::Version => {
            print!("{VERSION}");
            return ExitCode::from(1);
        }
        Mode::Stdin | Mode::Script(_) => match read_input(&opts.mode) {
            Ok((name, text)) => run::script(&opts, &text, &name),
            Err(e) => {
                eprintln!("setkey: {e}");
                return ExitCode::from(1);
            }
        },
        Mode::Dump => run::dump(&opts),
        Mode::Flush => run::flush(&opts),
        Mode::Promisc => run::promisc(&opts),
        Mode::Files(paths) => run::files(&opts, paths),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(d)) => {
            eprintln!("setkey: {d}");
            eprintln!("setkey: nothing was applied");
            ExitCode::from(1)
        }
        Err(Failure::Io(e)) => {
            eprintln!("setkey: {e}");
            ExitCode::from(1)
        }
        Err(Failure::Kernel) => ExitCode::from(1),
    }
}
