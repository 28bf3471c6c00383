// SPDX-License-Identifier: GPL-2.0

//! setkey's command line, as ipsec-tools' `getopt` string
//! `acdf:HlnvxDFPphVrkN` reads it.

use std::fmt;

/// What to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `-c`: commands from standard input.
    Stdin,
    /// `-f file` (`-` is standard input).
    Script(String),
    /// `-D`: dump the SAD (`-P`: the SPD).
    Dump,
    /// `-F`: flush the SAD (`-P`: the SPD).
    Flush,
    /// `-x`: print every PF_KEY message (`-xx`: epoch time stamps).
    Promisc,
    /// Arguments: files of raw PF_KEY messages to print.
    Files(Vec<String>),
    /// `-V`: the version.
    Version,
}

/// Every option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// What to do.
    pub mode: Mode,
    /// `-a`: dumps show DEAD SAs.
    pub all: bool,
    /// `-l`: `-D` repeats every second, one line per SA.
    pub forever: bool,
    /// `-n`: parse and check, send nothing.
    pub not_really: bool,
    /// `-H`: hex dumps of messages (with `-x`, `-v`).
    pub hexdump: bool,
    /// Number of `-x`.
    pub promisc_level: u32,
    /// `-P`: `-D`/`-F` act on the SPD.
    pub policy: bool,
    /// `-p`: ports with SA addresses.
    pub with_ports: bool,
    /// `-v`: every message sent and received, field by field.
    pub verbose: bool,
    /// `-k` clears it (`-r` sets it, the default): an `in` policy also
    /// installs its `fwd` copy.
    pub rfc_mode: bool,
    /// `-N`: `-DP` hides per-socket policies.
    pub hide_socket_policies: bool,
    /// `-d`: accepted for compatibility (ipsec-tools' debug flag).
    pub debug: bool,
}

/// A bad command line; the text is the reason, usage follows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The usage text, as ipsec-tools prints it.
pub const USAGE: &str = "usage: setkey [-vrk] file ...
       setkey [-nvrk] -c
       setkey [-nvrk] -f filename
       setkey [-Palpvrk] -D
       setkey [-Pv] -F
       setkey [-H] -x
       setkey [-V] [-h]
";

/// The `-V` line.
pub const VERSION: &str = concat!(
    "setkey @(#) rust_ipsec setkey ",
    env!("CARGO_PKG_VERSION"),
    " (ipsec-tools compatible)\n"
);

/// Parses `args` (without the program name).
pub fn parse(args: &[String]) -> Result<Options, UsageError> {
    let mut o = Options {
        mode: Mode::Version,
        all: false,
        forever: false,
        not_really: false,
        hexdump: false,
        promisc_level: 0,
        policy: false,
        with_ports: false,
        verbose: false,
        rfc_mode: true,
        hide_socket_policies: false,
        debug: false,
    };
    if args.is_empty() {
        return Err(UsageError(String::new()));
    }
    let mut mode = None;
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        if arg == "--" {
            i += 1;
            break;
        }
        let Some(flags) = arg.strip_prefix('-').filter(|f| !f.is_empty()) else {
            break;
        };
        for (at, c) in flags.char_indices() {
            match c {
                'c' => mode = Some(Mode::Stdin),
                'f' => {
                    let rest = &flags[at + 1..];
                    let file = if rest.is_empty() {
                        i += 1;
                        args.get(i).cloned().ok_or_else(|| {
                            UsageError("option requires an argument -- 'f'".into())
                        })?
                    } else {
                        rest.to_string()
                    };
                    mode = Some(Mode::Script(file));
                    break;
                }
                'D' => mode = Some(Mode::Dump),
                'F' => mode = Some(Mode::Flush),
                'x' => {
                    mode = Some(Mode::Promisc);
                    o.promisc_level += 1;
                }
                'V' => mode = Some(Mode::Version),
                'a' => o.all = true,
                'l' => o.forever = true,
                'n' => o.not_really = true,
                'H' => o.hexdump = true,
                'P' => o.policy = true,
                'p' => o.with_ports = true,
                'v' => o.verbose = true,
                'r' => o.rfc_mode = true,
                'k' => o.rfc_mode = false,
                'N' => o.hide_socket_policies = true,
                'd' => o.debug = true,
                'h' | '?' => return Err(UsageError(String::new())),
                _ => return Err(UsageError(format!("invalid option -- '{c}'"))),
            }
        }
        i += 1;
    }
    let files: Vec<String> = args[i..].to_vec();
    o.mode = match (mode, files.is_empty()) {
        (_, false) => Mode::Files(files),
        (Some(m), true) => m,
        (None, true) => return Err(UsageError(String::new())),
    };
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn modes_and_flags() {
        let o = parse(&args("-DPa")).unwrap();
        assert_eq!((o.mode, o.policy, o.all), (Mode::Dump, true, true));
        let o = parse(&args("-n -f conf")).unwrap();
        assert_eq!((o.mode, o.not_really), (Mode::Script("conf".into()), true));
        let o = parse(&args("-fconf")).unwrap();
        assert_eq!(o.mode, Mode::Script("conf".into()));
        let o = parse(&args("-xx -H")).unwrap();
        assert_eq!(
            (o.mode, o.promisc_level, o.hexdump),
            (Mode::Promisc, 2, true)
        );
        let o = parse(&args("-k -c")).unwrap();
        assert_eq!((o.mode, o.rfc_mode), (Mode::Stdin, false));
        let o = parse(&args("-v a b")).unwrap();
        assert_eq!(o.mode, Mode::Files(vec!["a".into(), "b".into()]));
    }

    #[test]
    fn usage_errors() {
        assert!(parse(&[]).is_err());
        assert!(parse(&args("-f")).is_err());
        assert_eq!(parse(&args("-Z")).unwrap_err().0, "invalid option -- 'Z'");
        assert!(parse(&args("-v")).is_err());
    }
}
