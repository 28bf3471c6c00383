// SPDX-License-Identifier: GPL-2.0

//! Addresses, `-4`/`-6`/`-n`, `/prefix` and `[port]`.
//!
//! Addresses are numeric (host names are not resolved: parsing never
//! depends on DNS); an IPv6 scope is a number (`fe80::1%2`).

use std::net::{Ipv4Addr, Ipv6Addr};

use ipsec_core::inet::{Addr, AF_INET, AF_INET6};
use ipsec_core::pfkey::sockaddr::SockAddr;

use super::lexer::{TokKind, Token};
use super::parser::Parser;
use super::value::decimal;
use super::Diagnostic;

/// The `-4`, `-6`, `-n` flags of one command.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct AddrOpts {
    /// `AF_INET` after `-4`, `AF_INET6` after `-6` (the last one wins).
    pub(super) family: Option<u16>,
}

/// A numeric address with an optional numeric IPv6 scope.
pub(super) fn parse_addr(text: &str) -> Option<(Addr, u32)> {
    if let Ok(a) = text.parse::<Ipv4Addr>() {
        return Some((Addr::V4(a.octets()), 0));
    }
    let (addr, scope) = match text.split_once('%') {
        Some((a, s)) => (a, decimal(s).and_then(|v| u32::try_from(v).ok())?),
        None => (text, 0),
    };
    let a = addr.parse::<Ipv6Addr>().ok()?;
    Some((Addr::V6(a.octets()), scope))
}

/// The socket address of `addr` with `port` and `scope`.
pub(super) fn sockaddr(addr: Addr, port: u16, scope: u32) -> SockAddr {
    match SockAddr::new(addr, port) {
        SockAddr::V6 {
            addr,
            port,
            flowinfo,
            ..
        } => SockAddr::V6 {
            addr,
            port,
            flowinfo,
            scope_id: scope,
        },
        v4 => v4,
    }
}

fn family_word(family: u16) -> &'static str {
    if family == AF_INET {
        "an IPv4 address (-4)"
    } else {
        "an IPv6 address (-6)"
    }
}

impl<'a> Parser<'a> {
    /// Any `-4`, `-6`, `-n` flags (also combined, `-4n`).
    pub(super) fn addr_opts(&mut self) -> Result<AddrOpts, Diagnostic> {
        let mut opts = AddrOpts::default();
        loop {
            let t = self.peek()?;
            let Some(flags) = t.text.strip_prefix('-').filter(|f| {
                t.kind == TokKind::Word
                    && !f.is_empty()
                    && f.bytes().all(|b| matches!(b, b'4' | b'6' | b'n'))
            }) else {
                return Ok(opts);
            };
            self.next()?;
            for b in flags.bytes() {
                match b {
                    b'4' => opts.family = Some(AF_INET),
                    b'6' => opts.family = Some(AF_INET6),
                    _ => {}
                }
            }
        }
    }

    /// An address (with its scope), of the family `opts` asks for.
    pub(super) fn address(
        &mut self,
        opts: AddrOpts,
        expected: &str,
    ) -> Result<(Addr, u32, Token<'a>), Diagnostic> {
        let t = self.next()?;
        let parsed = (t.kind == TokKind::Word)
            .then(|| parse_addr(t.text))
            .flatten();
        let Some((addr, scope)) = parsed else {
            let hint = if t.kind == TokKind::Word
                && t.text.starts_with(|c: char| c.is_ascii_alphabetic())
            {
                " (host names are not resolved)"
            } else {
                ""
            };
            return Err(self.unexpected(&t, &format!("{expected}{hint}")));
        };
        if let Some(f) = opts.family.filter(|&f| f != addr.family()) {
            return Err(self.unexpected(&t, family_word(f)));
        }
        Ok((addr, scope, t))
    }

    /// An optional `[port]` or `[any]` (0 when absent or `any`).
    pub(super) fn port(&mut self) -> Result<u16, Diagnostic> {
        if self.eat(TokKind::LBracket)?.is_none() {
            return Ok(0);
        }
        let port = if self.eat_word("any")?.is_some() {
            0
        } else {
            let (v, _) = self.number("a port number or 'any'", u64::from(u16::MAX))?;
            u16::try_from(v).unwrap_or(0)
        };
        self.expect(TokKind::RBracket, "']'")?;
        Ok(port)
    }

    /// An optional `/prefix` (the whole address when absent).
    pub(super) fn prefix(&mut self, addr: Addr) -> Result<u8, Diagnostic> {
        if self.eat(TokKind::Slash)?.is_none() {
            return Ok(addr.bits());
        }
        let (v, _) = self.number("a prefix length", u64::from(addr.bits()))?;
        Ok(u8::try_from(v).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_addresses() {
        assert_eq!(parse_addr("10.0.0.1"), Some((Addr::V4([10, 0, 0, 1]), 0)));
        let (a, s) = parse_addr("fe80::1%3").unwrap();
        assert_eq!(a.family(), AF_INET6);
        assert_eq!(s, 3);
        assert_eq!(parse_addr("fe80::1%eth0"), None);
        assert_eq!(parse_addr("host.example"), None);
        assert_eq!(parse_addr("10.0.0"), None);
        let sa = sockaddr(a, 500, 3);
        assert_eq!(sa.port(), 500);
        assert!(matches!(sa, SockAddr::V6 { scope_id: 3, .. }));
    }
}
