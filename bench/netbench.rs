// SPDX-License-Identifier: GPL-2.0

//! `netbench`: the request/response latency test of `make bench` (a
//! netperf TCP_RR-style exchange), std only, compiled by bench/run.sh with
//! plain `rustc -O` so that the benchmark needs no extra package.
//!
//! ```text
//! netbench rr-server PORT
//!     accepts connections on 0.0.0.0:PORT and echoes every SIZE-byte
//!     request (SIZE: the first byte of the connection) until it closes.
//! netbench rr-client ADDR PORT SECONDS [SIZE]
//!     one TCP connection (TCP_NODELAY), one SIZE-byte request (default 1)
//!     at a time for SECONDS; prints a JSON line: transactions, rate per
//!     second, mean/p50/p90/p99 round trip in microseconds.
//! ```

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::time::{Duration, Instant};

fn serve(port: u16) -> std::io::Result<()> {
    let l = TcpListener::bind(("0.0.0.0", port))?;
    for c in l.incoming() {
        let Ok(mut c) = c else { continue };
        std::thread::spawn(move || {
            let _ = c.set_nodelay(true);
            let mut size = [0u8; 1];
            if c.read_exact(&mut size).is_err() {
                return;
            }
            let mut buf = vec![0u8; usize::from(size[0]).max(1)];
            while c.read_exact(&mut buf).is_ok() {
                if c.write_all(&buf).is_err() {
                    return;
                }
            }
        });
    }
    Ok(())
}

fn client(addr: &str, port: u16, secs: f64, size: u8) -> std::io::Result<()> {
    let mut c = TcpStream::connect((addr, port))?;
    c.set_nodelay(true)?;
    c.set_read_timeout(Some(Duration::from_secs(10)))?;
    c.write_all(&[size])?;
    let mut buf = vec![0x5au8; usize::from(size).max(1)];
    let mut lat: Vec<u32> = Vec::with_capacity(1 << 16);
    let start = Instant::now();
    let end = start + Duration::from_secs_f64(secs);
    loop {
        let t = Instant::now();
        if t >= end {
            break;
        }
        c.write_all(&buf)?;
        c.read_exact(&mut buf)?;
        lat.push(u32::try_from(t.elapsed().as_nanos()).unwrap_or(u32::MAX));
    }
    let elapsed = start.elapsed().as_secs_f64();
    let n = lat.len();
    if n == 0 {
        return Err(std::io::Error::other("no transaction completed"));
    }
    let mean = lat.iter().map(|&x| f64::from(x)).sum::<f64>() / n as f64 / 1000.0;
    lat.sort_unstable();
    let pct = |p: f64| f64::from(lat[((n as f64 * p) as usize).min(n - 1)]) / 1000.0;
    println!(
        "{{\"transactions\":{n},\"seconds\":{elapsed:.6},\"rate\":{:.1},\"mean_us\":{mean:.2},\"p50_us\":{:.2},\"p90_us\":{:.2},\"p99_us\":{:.2}}}",
        n as f64 / elapsed,
        pct(0.5),
        pct(0.9),
        pct(0.99)
    );
    Ok(())
}

fn main() -> ExitCode {
    let a: Vec<String> = std::env::args().collect();
    let r = match (a.get(1).map(String::as_str), a.len()) {
        (Some("rr-server"), 3) => a[2].parse().map_err(std::io::Error::other).and_then(serve),
        (Some("rr-client"), 5 | 6) => (|| {
            let port = a[3].parse().map_err(std::io::Error::other)?;
            let secs = a[4].parse().map_err(std::io::Error::other)?;
            let size = a.get(5).map_or(Ok(1), |s| s.parse()).map_err(std::io::Error::other)?;
            client(&a[2], port, secs, size)
        })(),
        _ => {
            eprintln!("usage: netbench rr-server PORT | rr-client ADDR PORT SECONDS [SIZE]");
            return ExitCode::from(2);
        }
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("netbench: {e}");
            ExitCode::FAILURE
        }
    }
}
