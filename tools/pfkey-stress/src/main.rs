// SPDX-License-Identifier: GPL-2.0

//! `pfkey-stress`: load generator and checker for PF_KEY v2, compiled so
//! that 100k-entry tests finish under emulation.
//!
//! ```text
//! pfkey-stress fill-dump --sas N --policies N --rcvbuf BYTES
//!     adds N ESP SAs and N policies, then dumps both through a socket whose
//!     receive buffer is BYTES and checks that every entry arrives, each
//!     once, the last with sadb_msg_seq 0. Prints rates. Flushes at the end.
//! pfkey-stress churn --threads T --seconds S
//!     T threads add and delete SAs and policies on their own sockets while
//!     another thread dumps in a loop; fails on any unexpected errno.
//! pfkey-stress fill --sas N --policies N [--alg ah|gcm|cbc-sha256] [--prefix P] [--keep]
//!     for the benchmarks (bench/): adds N SAs of the given kind, then N
//!     policies, and prints one JSON line with the time each took and the
//!     kernel's Slab and MemFree (kB, /proc/meminfo) before, after the SAs
//!     and after the policies; then flushes both (timed) unless --keep.
//!     `cbc-sha256` (ESP, AES-128-CBC with HMAC-SHA-256) is what both
//!     rust_ipsec and Linux's af_key accept: af_key has no AEAD over PF_KEY.
//!     The policies go to /32 hosts, or with --prefix P to distinct /P
//!     networks counted from 10.0.0.0.
//! ```
//! Messages are encoded with the protocol core's `Writer` and checked
//! with its parser.

use std::collections::HashSet;
use std::io;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use ipsec_core::inet::{Addr, IpProto};
use ipsec_core::ipsec::{IpsecDir, IpsecLevel, IpsecMode, PolicyType};
use ipsec_core::pfkey::consts::{AuthAlg, EncAlg};
use ipsec_core::pfkey::ext::{Address, AddressKind, IpsecRequest, Key, KeyKind, Policy, Sa, Sa2};
use ipsec_core::pfkey::sockaddr::SockAddr;
use ipsec_core::pfkey::{parse, MsgHeader, MsgType, SaType, Writer};

const AF_KEY: i32 = 15;
const PF_KEY_V2: i32 = 2;

/// A PF_KEY socket.
struct PfKey(i32);

impl PfKey {
    fn open(rcvbuf: Option<i32>) -> io::Result<Self> {
        // SAFETY: plain syscall.
        let fd = unsafe { libc::socket(AF_KEY, libc::SOCK_RAW, PF_KEY_V2) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let s = PfKey(fd);
        if let Some(size) = rcvbuf {
            // SAFETY: valid fd and option buffer.
            let r = unsafe {
                libc::setsockopt(
                    fd,
                    libc::SOL_SOCKET,
                    libc::SO_RCVBUF,
                    (&raw const size).cast(),
                    4,
                )
            };
            if r < 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(s)
    }

    fn send(&self, msg: &[u8]) -> io::Result<()> {
        // SAFETY: valid fd and buffer.
        let n = unsafe { libc::send(self.0, msg.as_ptr().cast(), msg.len(), 0) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// One message, waiting at most `timeout`.
    fn recv(&self, buf: &mut [u8], timeout: Duration) -> io::Result<Option<usize>> {
        let mut pfd = libc::pollfd {
            fd: self.0,
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut pfd, 1, ms) };
        if r < 0 {
            return Err(io::Error::last_os_error());
        }
        if r == 0 {
            return Ok(None);
        }
        // SAFETY: valid fd and buffer.
        let n = unsafe { libc::recv(self.0, buf.as_mut_ptr().cast(), buf.len(), 0) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Some(n as usize))
    }

    /// Drops whatever is queued.
    fn drain(&self) {
        let mut buf = [0u8; 4096];
        while let Ok(Some(_)) = self.recv(&mut buf, Duration::ZERO) {}
    }
}

impl Drop for PfKey {
    fn drop(&mut self) {
        // SAFETY: we own the fd.
        unsafe { libc::close(self.0) };
    }
}

fn pid() -> u32 {
    std::process::id()
}

fn v4(i: u32) -> Addr {
    Addr::V4((0x0a00_0000 | (i & 0x00ff_ffff)).to_be_bytes())
}

fn header(t: MsgType, satype: SaType, seq: u32) -> MsgHeader {
    MsgHeader::new(t, satype, seq, pid())
}

/// The kind of SA a message adds.
#[derive(Clone, Copy, PartialEq)]
enum Alg {
    /// AH with KAME's keyed null authentication: no datapath state in
    /// rust_ipsec (no crypto transform: an AH SA with a real algorithm has
    /// one since the AH datapath), so 100,000 of them measure the SADB
    /// alone.
    Ah,
    /// ESP with AES-128-GCM (rust_ipsec only: af_key has no AEAD).
    Gcm,
    /// ESP with AES-128-CBC and HMAC-SHA-256: a crypto transform per SA in
    /// rust_ipsec and in Linux's af_key alike.
    CbcSha256,
}

impl Alg {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "ah" => Some(Alg::Ah),
            "gcm" => Some(Alg::Gcm),
            "cbc-sha256" => Some(Alg::CbcSha256),
            _ => None,
        }
    }
}

/// ADD (or DELETE with `add == false`) of SA `spi` to 10.x.y.z(spi), of
/// the kind `alg`.
fn sa_message(buf: &mut [u8], spi: u32, add: bool, alg: Alg) -> usize {
    let key = [0x42u8; 32];
    let mut w = Writer::new(buf);
    let t = if add { MsgType::ADD } else { MsgType::DELETE };
    let satype = if alg == Alg::Ah {
        SaType::AH
    } else {
        SaType::ESP
    };
    let (encrypt, auth) = match alg {
        _ if !add => (EncAlg(0), AuthAlg(0)),
        Alg::Ah => (EncAlg(0), AuthAlg::NULL),
        Alg::Gcm => (EncAlg::AES_GCM_ICV16, AuthAlg(0)),
        Alg::CbcSha256 => (EncAlg::AESCBC, AuthAlg::SHA2_256HMAC),
    };
    w.header(&header(t, satype, spi)).unwrap();
    w.sa(&Sa {
        spi,
        replay: 32,
        encrypt,
        auth,
        ..Default::default()
    })
    .unwrap();
    if add {
        w.x_sa2(&Sa2 {
            mode: IpsecMode::TRANSPORT,
            ..Default::default()
        })
        .unwrap();
    }
    w.address(AddressKind::Src, &Address::host(v4(1), 0))
        .unwrap();
    w.address(AddressKind::Dst, &Address::host(v4(spi), 0))
        .unwrap();
    if add {
        // (kind, bytes) of each key the algorithm takes; AES-GCM's key
        // carries the 4-byte salt.
        let keys: &[(KeyKind, usize)] = match alg {
            Alg::Ah => &[(KeyKind::Auth, 20)],
            Alg::Gcm => &[(KeyKind::Encrypt, 20)],
            Alg::CbcSha256 => &[(KeyKind::Auth, 32), (KeyKind::Encrypt, 16)],
        };
        for &(kind, len) in keys {
            w.key(
                kind,
                &Key {
                    bits: (len * 8) as u16,
                    reserved: 0,
                    data: &key[..len],
                },
            )
            .unwrap();
        }
    }
    w.finish().unwrap()
}

/// X_SPDADD (or X_SPDDELETE) of an outbound ESP transport policy for the
/// /32 pair (10.0.0.1, 10.x.y.z(i)).
fn policy_message(buf: &mut [u8], i: u32, add: bool) -> usize {
    policy_message_prefix(buf, i, add, 32)
}

/// As [`policy_message`], with destination the `prefix`-bit network number
/// `i` counted from 10.0.0.0 (10.0.i.0/24 and so on for /24; /32 is
/// 10.x.y.z(i) as above): distinct networks, none covering another.
fn policy_message_prefix(buf: &mut [u8], i: u32, add: bool, prefix: u8) -> usize {
    let mut w = Writer::new(buf);
    let t = if add {
        MsgType::X_SPDADD
    } else {
        MsgType::X_SPDDELETE
    };
    w.header(&header(t, SaType::UNSPEC, i)).unwrap();
    let sel = |a: Addr, prefixlen: u8| Address {
        proto: IpProto::IPSEC_ANY,
        prefixlen,
        sockaddr: SockAddr::new(a, 0),
    };
    let dst = if prefix >= 32 {
        v4(i)
    } else {
        Addr::V4(
            0x0a00_0000u32
                .wrapping_add(i << (32 - prefix))
                .to_be_bytes(),
        )
    };
    w.address(AddressKind::Src, &sel(v4(1), 32)).unwrap();
    w.address(AddressKind::Dst, &sel(dst, prefix)).unwrap();
    w.x_policy(&Policy {
        policy_type: PolicyType::IPSEC,
        dir: IpsecDir::OUTBOUND,
        ..Default::default()
    })
    .unwrap();
    if add {
        w.ipsecrequest(&IpsecRequest {
            proto: IpProto::ESP,
            mode: IpsecMode::TRANSPORT,
            level: IpsecLevel::REQUIRE,
            reserved1: 0,
            reqid: 0,
            reserved2: 0,
            endpoints: None,
        })
        .unwrap();
    }
    w.finish().unwrap()
}

/// Sends `n` messages built by `build`, pausing to drain replies so the
/// sender's own queue never drops error replies; returns the errors seen.
fn send_all(s: &PfKey, n: u32, build: impl Fn(&mut [u8], u32) -> usize) -> io::Result<u32> {
    let mut buf = [0u8; 512];
    let mut rbuf = [0u8; 4096];
    let mut errors = 0;
    for i in 0..n {
        let len = build(&mut buf, i + 2);
        s.send(&buf[..len])?;
        while let Some(rlen) = s.recv(&mut rbuf, Duration::ZERO)? {
            if rbuf[2] != 0 {
                errors += 1;
                if errors <= 5 {
                    eprintln!("errno {} in reply to type {}", rbuf[2], rbuf[1]);
                }
            }
            let _ = rlen;
        }
    }
    Ok(errors)
}

/// Dumps with `t` and returns (entries, distinct keys, last seq was 0).
fn dump(s: &PfKey, t: MsgType) -> io::Result<(u32, usize, bool)> {
    let mut buf = [0u8; 64];
    let mut w = Writer::new(&mut buf);
    w.header(&header(t, SaType::UNSPEC, 1)).unwrap();
    let len = w.finish().unwrap();
    s.drain();
    s.send(&buf[..len])?;
    let mut rbuf = vec![0u8; 65536];
    let (mut n, mut keys) = (0u32, HashSet::new());
    loop {
        let Some(rlen) = s.recv(&mut rbuf, Duration::from_secs(60))? else {
            return Ok((n, keys.len(), false));
        };
        let msg =
            parse(&rbuf[..rlen]).map_err(|e| io::Error::other(format!("bad dump message: {e}")))?;
        let h = msg.header();
        if h.msg_type != t {
            continue;
        }
        if h.errno != 0 {
            return Err(io::Error::other(format!("dump failed: errno {}", h.errno)));
        }
        n += 1;
        let key = match msg.sa() {
            Some(sa) => u64::from(sa.spi),
            None => u64::from(msg.x_policy().map(|p| p.policy.id).unwrap_or(0)),
        };
        keys.insert(key);
        if h.seq == 0 {
            return Ok((n, keys.len(), true));
        }
    }
}

fn flush(s: &PfKey) -> io::Result<()> {
    for t in [MsgType::FLUSH, MsgType::X_SPDFLUSH] {
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        w.header(&header(t, SaType::UNSPEC, 1)).unwrap();
        let len = w.finish().unwrap();
        s.send(&buf[..len])?;
    }
    s.drain();
    Ok(())
}

fn arg(args: &[String], name: &str, default: u32) -> u32 {
    args.windows(2)
        .find(|w| w[0] == name)
        .and_then(|w| w[1].parse().ok())
        .unwrap_or(default)
}

fn fill_dump(args: &[String]) -> io::Result<bool> {
    let (nsa, npol) = (arg(args, "--sas", 1000), arg(args, "--policies", 1000));
    let rcvbuf = arg(args, "--rcvbuf", 4096) as i32;
    let writer = PfKey::open(None)?;
    let t = Instant::now();
    let e1 = send_all(&writer, nsa, |b, i| sa_message(b, i, true, Alg::Ah))?;
    let sa_rate = f64::from(nsa) / t.elapsed().as_secs_f64();
    let t = Instant::now();
    let e2 = send_all(&writer, npol, |b, i| policy_message(b, i, true))?;
    let pol_rate = f64::from(npol) / t.elapsed().as_secs_f64();
    println!(
        "added {nsa} SAs ({sa_rate:.0}/s) and {npol} policies ({pol_rate:.0}/s); {} errors",
        e1 + e2
    );
    let reader = PfKey::open(Some(rcvbuf))?;
    let t = Instant::now();
    let (n1, k1, end1) = dump(&reader, MsgType::DUMP)?;
    println!(
        "SADB_DUMP: {n1} messages, {k1} distinct SPIs, seq-0 end: {end1} ({:.1}s, rcvbuf {rcvbuf})",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let (n2, k2, end2) = dump(&reader, MsgType::X_SPDDUMP)?;
    println!(
        "X_SPDDUMP: {n2} messages, {k2} distinct ids, seq-0 end: {end2} ({:.1}s)",
        t.elapsed().as_secs_f64()
    );
    flush(&writer)?;
    Ok(e1 + e2 == 0
        && n1 == nsa
        && k1 == nsa as usize
        && end1
        && n2 == npol
        && k2 == npol as usize
        && end2)
}

fn churn(args: &[String]) -> io::Result<bool> {
    let threads = arg(args, "--threads", 4);
    let secs = u64::from(arg(args, "--seconds", 10));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut handles = Vec::new();
    for t in 0..threads {
        handles.push(std::thread::spawn(move || -> io::Result<(u64, u64)> {
            let s = PfKey::open(None)?;
            let (mut ops, mut bad) = (0u64, 0u64);
            let mut buf = [0u8; 512];
            let mut rbuf = [0u8; 4096];
            let base = 0x100_0000 * (t + 1);
            let mut i = 0u32;
            while Instant::now() < deadline {
                let spi = base + (i % 64);
                let add = (i / 64) % 2 == 0;
                let len = if i % 3 == 0 {
                    policy_message(&mut buf, spi, add)
                } else {
                    sa_message(&mut buf, spi, add, Alg::Gcm)
                };
                s.send(&buf[..len])?;
                ops += 1;
                while let Some(_n) = s.recv(&mut rbuf, Duration::ZERO)? {
                    // EEXIST/ENOENT are expected when add and delete rounds
                    // of SAs and policies interleave; anything else is not.
                    let e = i32::from(rbuf[2]);
                    if e != 0 && e != libc::EEXIST && e != libc::ENOENT {
                        bad += 1;
                        eprintln!("thread {t}: errno {e} for type {}", rbuf[1]);
                    }
                }
                i = i.wrapping_add(1);
            }
            Ok((ops, bad))
        }));
    }
    let dumper = std::thread::spawn(move || -> io::Result<u64> {
        let s = PfKey::open(Some(8192))?;
        let mut dumps = 0;
        while Instant::now() < deadline {
            for t in [MsgType::DUMP, MsgType::X_SPDDUMP] {
                match dump(&s, t) {
                    Ok(_) => dumps += 1,
                    // An empty table answers ENOENT.
                    Err(e) if e.to_string().contains("errno 2") => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(dumps)
    });
    let (mut ops, mut bad) = (0, 0);
    for h in handles {
        let (o, b) = h.join().expect("worker panicked")?;
        ops += o;
        bad += b;
    }
    let dumps = dumper.join().expect("dumper panicked")?;
    println!("churn: {threads} threads, {ops} operations, {dumps} dumps, {bad} unexpected errors in {secs}s");
    flush(&PfKey::open(None)?)?;
    Ok(bad == 0)
}

/// `(Slab, MemFree)` of /proc/meminfo in kB.
fn meminfo() -> (u64, u64) {
    let text = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("Slab:"), field("MemFree:"))
}

/// Sends a FLUSH-like message `t` and waits for its reply.
fn flush_wait(s: &PfKey, t: MsgType) -> io::Result<()> {
    let mut buf = [0u8; 64];
    let mut w = Writer::new(&mut buf);
    w.header(&header(t, SaType::UNSPEC, 7)).unwrap();
    let len = w.finish().unwrap();
    s.drain();
    s.send(&buf[..len])?;
    let mut rbuf = vec![0u8; 65536];
    while let Some(n) = s.recv(&mut rbuf, Duration::from_secs(600))? {
        if n >= 2 && rbuf[1] == t.0 {
            return Ok(());
        }
    }
    Err(io::Error::other("no reply to the flush"))
}

fn fill(args: &[String]) -> io::Result<bool> {
    let (nsa, npol) = (arg(args, "--sas", 1000), arg(args, "--policies", 1000));
    let alg_name = args
        .windows(2)
        .find(|w| w[0] == "--alg")
        .map_or("cbc-sha256", |w| w[1].as_str());
    let Some(alg) = Alg::parse(alg_name) else {
        return Err(io::Error::other(format!("unknown --alg {alg_name}")));
    };
    let keep = args.iter().any(|a| a == "--keep");
    let s = PfKey::open(None)?;
    let m0 = meminfo();
    let t = Instant::now();
    let e1 = send_all(&s, nsa, |b, i| sa_message(b, i, true, alg))?;
    let sa_secs = t.elapsed().as_secs_f64();
    let m1 = meminfo();
    let t = Instant::now();
    let prefix = arg(args, "--prefix", 32).clamp(8, 32) as u8;
    let e2 = send_all(&s, npol, |b, i| policy_message_prefix(b, i, true, prefix))?;
    let pol_secs = t.elapsed().as_secs_f64();
    let m2 = meminfo();
    let mut flush_secs = -1.0;
    let mut m3 = m2;
    if !keep {
        let t = Instant::now();
        flush_wait(&s, MsgType::FLUSH)?;
        flush_wait(&s, MsgType::X_SPDFLUSH)?;
        flush_secs = t.elapsed().as_secs_f64();
        m3 = meminfo();
    }
    let rate = |n: u32, secs: f64| if n == 0 { 0.0 } else { f64::from(n) / secs };
    println!(
        "{{\"alg\":\"{alg_name}\",\"sas\":{nsa},\"sa_seconds\":{sa_secs:.6},\"sa_rate\":{:.1},\
         \"policies\":{npol},\"policy_seconds\":{pol_secs:.6},\"policy_rate\":{:.1},\
         \"errors\":{},\"flush_seconds\":{flush_secs:.6},\
         \"slab_kb\":[{},{},{},{}],\"memfree_kb\":[{},{},{},{}]}}",
        rate(nsa, sa_secs),
        rate(npol, pol_secs),
        e1 + e2,
        m0.0,
        m1.0,
        m2.0,
        m3.0,
        m0.1,
        m1.1,
        m2.1,
        m3.1
    );
    Ok(e1 + e2 == 0)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let result = match args.get(1).map(String::as_str) {
        Some("fill-dump") => fill_dump(&args),
        Some("churn") => churn(&args),
        Some("fill") => fill(&args),
        _ => {
            eprintln!("usage: pfkey-stress fill-dump [--sas N] [--policies N] [--rcvbuf B] | churn [--threads T] [--seconds S] | fill [--sas N] [--policies N] [--alg ah|gcm|cbc-sha256] [--prefix P] [--keep]");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            println!("FAILED");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("pfkey-stress: {e}");
            ExitCode::from(1)
        }
    }
}
