// SPDX-License-Identifier: GPL-2.0

//! Running setkey: a whole input parsed and checked first, then each
//! command sent and its replies printed as ipsec-tools prints them.

use std::io::{self, Write};
use std::time::Duration;

use ipsec_core::pfkey::{parse_header, MsgType, SaType};

use crate::build::{self, BuildOptions};
use crate::cli::Options;
use crate::names::{check_kernel_support, KernelAlgs};
use crate::parse::{self, Command, CommandKind, Diagnostic};
use crate::print::{self, PrintOptions, ReplyError};
use crate::socket::{short_message, PfKey, Reply};

/// How long a request waits for its reply (ipsec-tools: 1 s; a loaded VM
/// under emulation needs more).
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// What went wrong, for the exit status and the message.
#[derive(Debug)]
pub enum Failure {
    /// The input does not parse or check: nothing was sent.
    Input(Diagnostic),
    /// The PF_KEY socket failed.
    Io(io::Error),
    /// Some commands failed in the kernel (each already reported).
    Kernel,
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

/// The print options the command line asks for.
pub fn print_options(o: &Options) -> PrintOptions {
    let mut p = PrintOptions::system();
    p.show_dead = o.all;
    p.with_ports = o.with_ports;
    p.hide_socket_policies = o.hide_socket_policies;
    if o.promisc_level > 1 {
        p.stamp = print::Stamp::Unix;
    }
    p
}

/// Writes `text` to standard output now.
fn emit(text: &str) {
    let mut out = io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// `-v`: a message field by field, `-H`: its bytes too.
fn trace(o: &Options, bytes: &[u8]) {
    let mut s = String::new();
    if o.verbose {
        print::debug(bytes, &mut s);
        s.push('\n');
    }
    if o.hexdump {
        print::hexdump(bytes, &mut s);
    }
    emit(&s);
}

/// `-f` / `-c`: parses and checks all of `src`, then applies it.
pub fn script(o: &Options, src: &str, file: &str) -> Result<(), Failure> {
    let commands = parse::parse(src, file).map_err(Failure::Input)?;
    let build_opts = BuildOptions {
        fwd_for_in: o.rfc_mode,
    };
    // Every message is built (and so checked) before anything is sent.
    for c in &commands {
        build::requests_with(c, 1, 1, &build_opts).map_err(Failure::Input)?;
    }
    let sock = match PfKey::open() {
        Ok(s) => Some(s),
        // `-n` works without PF_KEY: the tool's own tables checked it.
        Err(_) if o.not_really => None,
        Err(e) => return Err(Failure::Io(e)),
    };
    let Some(mut sock) = sock else {
        return Ok(());
    };
    sock.set_timeout(Some(REPLY_TIMEOUT))?;
    let kernel = kernel_algorithms(&mut sock)?;
    check_kernel_support(&commands, file, &kernel).map_err(Failure::Input)?;
    if o.not_really {
        return Ok(());
    }
    let popts = print_options(o);
    let mut failed = false;
    for c in &commands {
        if c.is_exit() {
            break;
        }
        if let Err(text) = execute(o, &mut sock, c, &build_opts, &popts) {
            eprintln!("setkey: {file}:{}: {text}", c.line);
            failed = true;
        }
    }
    if failed {
        Err(Failure::Kernel)
    } else {
        Ok(())
    }
}

/// REGISTER for every SA type (`UNSPEC`, as setkey's `get_supported`):
/// the algorithms the kernel has.
fn kernel_algorithms(sock: &mut PfKey) -> Result<KernelAlgs, Failure> {
    let seq = sock.next_seq();
    let msg = short_message(MsgType::REGISTER, SaType::UNSPEC, seq, sock.pid());
    let reply = sock.request(&msg)?;
    let mut k = KernelAlgs::new();
    if reply.header.errno == 0 {
        k.add_register_reply(&reply.bytes).map_err(|e| {
            Failure::Io(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("REGISTER reply: {e}"),
            ))
        })?;
    }
    Ok(k)
}

/// Sends one command and handles its replies; `Err` is the text to report.
fn execute(
    o: &Options,
    sock: &mut PfKey,
    c: &Command,
    build_opts: &BuildOptions,
    popts: &PrintOptions,
) -> Result<(), String> {
    let seq = sock.next_seq();
    let msgs = build::requests_with(c, seq, sock.pid(), build_opts).map_err(|d| d.message)?;
    // Later messages of a command use the following sequence numbers.
    for _ in 1..msgs.len() {
        sock.next_seq();
    }
    if let CommandKind::DeleteAll(_) = c.kind {
        return delete_all(o, sock, c, &msgs);
    }
    for m in &msgs {
        trace(o, m);
        sock.send(m).map_err(|e| e.to_string())?;
        let hdr = parse_header(m).map_err(|e| e.to_string())?;
        if matches!(hdr.msg_type, MsgType::DUMP | MsgType::X_SPDDUMP) {
            dump_replies(o, sock, hdr.msg_type, hdr.seq, popts)?;
            continue;
        }
        let r = sock
            .reply_to(hdr.msg_type, hdr.seq)
            .map_err(|e| e.to_string())?;
        trace(o, &r.bytes);
        show_reply(c, &r, popts)?;
    }
    Ok(())
}

/// Prints a reply the command prints; an error reply is the `Err` text.
fn show_reply(c: &Command, r: &Reply, popts: &PrintOptions) -> Result<(), String> {
    if r.header.errno != 0 {
        return Err(print::error_message(r.header.msg_type, r.header.errno));
    }
    if c.prints_reply() {
        let mut s = String::new();
        print::reply(&r.bytes, popts, false, &mut s).map_err(reply_error_text)?;
        emit(&s);
    }
    Ok(())
}

fn reply_error_text(e: ReplyError) -> String {
    match e {
        ReplyError::Errno(text) => text,
        ReplyError::Length => "invalid keymsg length".to_string(),
    }
}

/// The replies of a DUMP or X_SPDDUMP this process sent with `seq`...
/// the kernel numbers them down to 0.
fn dump_replies(
    o: &Options,
    sock: &mut PfKey,
    msg_type: MsgType,
    _seq: u32,
    popts: &PrintOptions,
) -> Result<(), String> {
    loop {
        let r = sock.recv().map_err(|e| e.to_string())?;
        if r.header.msg_type != msg_type || r.header.pid != sock.pid() {
            continue;
        }
        trace(o, &r.bytes);
        let mut s = String::new();
        let printed = print::reply(&r.bytes, popts, o.forever, &mut s);
        emit(&s);
        printed.map_err(reply_error_text)?;
        if r.header.seq == 0 {
            return Ok(());
        }
    }
}

/// `deleteall`: a DUMP of the SA type, then a DELETE for every SA between
/// the two hosts (what setkey does on Linux, whose DELETE needs an SPI).
fn delete_all(o: &Options, sock: &mut PfKey, c: &Command, msgs: &[Vec<u8>]) -> Result<(), String> {
    let mut deletes = Vec::new();
    for m in msgs {
        trace(o, m);
        let hdr = parse_header(m).map_err(|e| e.to_string())?;
        sock.send(m).map_err(|e| e.to_string())?;
        loop {
            let r = sock.recv().map_err(|e| e.to_string())?;
            if r.header.msg_type != hdr.msg_type || r.header.pid != sock.pid() {
                continue;
            }
            // ENOENT: nothing to delete.
            if r.header.errno != 0 {
                break;
            }
            deletes.extend(build::deleteall_matches(c, &r.bytes));
            if r.header.seq == 0 {
                break;
            }
        }
    }
    for d in &deletes {
        trace(o, d);
        let r = sock.request(d).map_err(|e| e.to_string())?;
        if r.header.errno != 0 {
            return Err(print::error_message(r.header.msg_type, r.header.errno));
        }
    }
    Ok(())
}

/// `-D` / `-DP` (`-l`: again every second, one line per SA).
pub fn dump(o: &Options) -> Result<(), Failure> {
    let mut sock = PfKey::open()?;
    let msg_type = if o.policy {
        MsgType::X_SPDDUMP
    } else {
        MsgType::DUMP
    };
    loop {
        if o.forever {
            emit(print::SA_SHORT_HEADER);
        }
        let popts = print_options(o);
        let seq = sock.send_short(msg_type, SaType::UNSPEC)?;
        if let Err(text) = dump_replies(o, &mut sock, msg_type, seq, &popts) {
            emit(&format!("{text}.\n"));
        }
        if !o.forever {
            return Ok(());
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// `-F` / `-FP`.
pub fn flush(o: &Options) -> Result<(), Failure> {
    let mut sock = PfKey::open()?;
    sock.set_timeout(Some(REPLY_TIMEOUT))?;
    let msg_type = if o.policy {
        MsgType::X_SPDFLUSH
    } else {
        MsgType::FLUSH
    };
    let seq = sock.next_seq();
    let m = short_message(msg_type, SaType::UNSPEC, seq, sock.pid());
    trace(o, &m);
    let r = sock.request(&m)?;
    if r.header.errno != 0 {
        emit(&print::error_line(r.header.msg_type, r.header.errno));
    }
    Ok(())
}

/// `-x`: every PF_KEY message of the namespace, until killed.
pub fn promisc(o: &Options) -> Result<(), Failure> {
    let mut sock = PfKey::open()?;
    let seq = sock.next_seq();
    let mut on = short_message(MsgType::X_PROMISC, SaType::UNSPEC, seq, sock.pid());
    // sadb_msg_satype 1 turns promiscuous mode on.
    if let Some(b) = on.get_mut(3) {
        *b = 1;
    }
    sock.send(&on)?;
    let mut popts = print_options(o);
    loop {
        let r = sock.recv()?;
        popts.tick();
        let mut s = String::new();
        print::monitor(&r.bytes, &popts, o.hexdump, &mut s);
        emit(&s);
    }
}

/// Arguments: files of raw PF_KEY messages, printed as replies.
pub fn files(o: &Options, paths: &[String]) -> Result<(), Failure> {
    let popts = print_options(o);
    for p in paths {
        let bytes = std::fs::read(p)
            .map_err(|e| Failure::Io(io::Error::new(e.kind(), format!("{p}: {e}"))))?;
        let mut rest = &bytes[..];
        // sadb_msg_len (bytes 4-5, host order) counts 8-byte units.
        while let Some(&[lo, hi]) = rest.get(4..6) {
            let len = usize::from(u16::from_ne_bytes([lo, hi])) * 8;
            let Some(m) = rest.get(..len).filter(|_| len > 0) else {
                break;
            };
            let mut s = String::new();
            let _ = print::reply(m, &popts, false, &mut s);
            emit(&s);
            rest = &rest[len..];
        }
    }
    Ok(())
}
