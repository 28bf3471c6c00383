// SPDX-License-Identifier: GPL-2.0

//! The SPD commands' arguments: selectors, the upper-layer protocol and
//! its ICMP type/code or GRE key, and `-P`.

use ipsec_core::inet::IpProto;

use super::address::AddrOpts;
use super::ast::{Selector, SpdCommand};
use super::lexer::{TokKind, Token};
use super::parser::Parser;
use super::policy::parse_policy;
use super::value::decimal;
use super::Diagnostic;
use crate::names::protocols::{protocol_number, IPPROTO_MH};

/// Which SPD command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SpdVerb {
    Add,
    Update,
    Delete,
}

const UPPER: &str = "an upper-layer protocol (a name from /etc/protocols, a number or 'any')";

/// `IPPROTO_ICMP`, `IPPROTO_ICMPV6`, `IPPROTO_GRE`.
const ICMP: u8 = 1;
const ICMPV6: u8 = 58;
const GRE: u8 = 47;

/// The ICMP `type[,code]` ports: type in the source port, code in the
/// destination port (any code when not given).
fn icmp_ports(text: &str) -> Option<(u16, u16)> {
    let byte = |s: &str| {
        decimal(s)
            .filter(|&v| v <= 255)
            .and_then(|v| u16::try_from(v).ok())
    };
    match text.split_once(',') {
        Some((t, c)) => Some((byte(t)?, byte(c)?)),
        None => Some((byte(text)?, 0)),
    }
}

/// The GRE key ports: `a.b.c.d` gives `(a<<8|b, c<<8|d)`, a number `u`
/// gives `(u>>16, u&0xffff)`, as ipsec-tools.
fn gre_ports(text: &str) -> Option<(u16, u16)> {
    if let Ok(a) = text.parse::<std::net::Ipv4Addr>() {
        let o = a.octets();
        return Some((
            u16::from_be_bytes([o[0], o[1]]),
            u16::from_be_bytes([o[2], o[3]]),
        ));
    }
    let u = u32::try_from(decimal(text)?).ok()?;
    let b = u.to_be_bytes();
    Some((
        u16::from_be_bytes([b[0], b[1]]),
        u16::from_be_bytes([b[2], b[3]]),
    ))
}

impl<'a> Parser<'a> {
    /// `src dst upper [spec] -P policy ;` (or `tagged "tag" -P policy ;`)
    /// after `spdadd`, `spdupdate` or `spddelete`.
    pub(super) fn spd_command(&mut self, verb: SpdVerb) -> Result<SpdCommand, Diagnostic> {
        let opts = self.addr_opts()?;
        if verb != SpdVerb::Delete {
            if let Some(t) = self.eat_word("tagged")? {
                return Err(self.tagged(&t));
            }
        }
        let mut src = self.selector(opts, "a source address")?;
        let (dst_tok, mut dst) = (self.peek()?, self.selector(opts, "a destination address")?);
        self.same_family(src.addr, dst.addr, &dst_tok)?;
        let upper = self.upper_spec()?;
        self.upper_misc(upper, &mut src, &mut dst)?;
        let t = self.next()?;
        if t.is_word("-ctx") {
            return Err(self.sec_ctx_refused(&t));
        }
        if !t.is_word("-P") {
            return Err(self.unexpected(&t, "-P and a policy"));
        }
        let raw = self.raw_policy();
        let policy = parse_policy(self.file, raw, verb == SpdVerb::Delete)?;
        self.expect_semi("")?;
        Ok(SpdCommand {
            src,
            dst,
            upper: IpProto(u16::from(upper)),
            policy,
        })
    }

    /// `tagged "tag" -P policy ;`: parsed, then refused at `tagged`.
    fn tagged(&mut self, at: &Token<'_>) -> Diagnostic {
        let rest = self
            .expect(TokKind::Quoted, "a quoted tag")
            .and_then(|_| self.expect_word("-P"))
            .and_then(|p| {
                if p.text == "-P" {
                    Ok(p)
                } else {
                    Err(self.unexpected(&p, "-P and a policy"))
                }
            })
            .and_then(|_| {
                let raw = self.raw_policy();
                parse_policy(self.file, raw, false)
            })
            .and_then(|_| self.expect_semi(""));
        match rest {
            Err(e) => e,
            Ok(_) => self.error(
                at,
                "'tagged' policies are not supported: Linux PF_KEY has no tag extension",
            ),
        }
    }

    /// `addr[/prefix][[port]]`.
    fn selector(&mut self, opts: AddrOpts, expected: &str) -> Result<Selector, Diagnostic> {
        let (addr, _, _) = self.address(opts, expected)?;
        let prefixlen = self.prefix(addr)?;
        let port = self.port()?;
        Ok(Selector {
            addr,
            prefixlen,
            port,
        })
    }

    /// The upper-layer protocol: `any` (255), a number, or a name.
    fn upper_spec(&mut self) -> Result<u8, Diagnostic> {
        let t = self.next()?;
        if t.kind != TokKind::Word {
            return Err(self.unexpected(&t, UPPER));
        }
        if t.text == "any" {
            return Ok(u8::MAX);
        }
        if let Some(v) = decimal(t.text) {
            return u8::try_from(v).map_err(|_| {
                self.error(
                    &t,
                    format!("{v} is too large, expected a protocol number up to 255"),
                )
            });
        }
        protocol_number(t.text).ok_or_else(|| self.unexpected(&t, UPPER))
    }

    /// The optional ICMP `type[,code]` or GRE key after the protocol,
    /// written into the selectors' ports.
    fn upper_misc(
        &mut self,
        upper: u8,
        src: &mut Selector,
        dst: &mut Selector,
    ) -> Result<(), Diagnostic> {
        let t = self.peek()?;
        if t.kind != TokKind::Word || t.text.starts_with('-') {
            return Ok(());
        }
        self.next()?;
        let ports = match upper {
            ICMP | ICMPV6 | IPPROTO_MH => icmp_ports(t.text)
                .ok_or_else(|| self.unexpected(&t, "an ICMP type[,code] (each 0 to 255)"))?,
            GRE => gre_ports(t.text)
                .ok_or_else(|| self.unexpected(&t, "a GRE key (a.b.c.d or a 32-bit number)"))?,
            _ => {
                return Err(self.unexpected(
                    &t,
                    "-P (a type/code or key follows only icmp, ipv6-icmp, mh and gre)",
                ))
            }
        };
        src.port = ports.0;
        dst.port = ports.1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icmp_and_gre_ports() {
        assert_eq!(icmp_ports("8,0"), Some((8, 0)));
        assert_eq!(icmp_ports("135"), Some((135, 0)));
        assert_eq!(icmp_ports("256"), None);
        assert_eq!(icmp_ports("1,x"), None);
        assert_eq!(gre_ports("1.2.3.4"), Some((0x0102, 0x0304)));
        assert_eq!(gre_ports("65537"), Some((1, 1)));
        assert_eq!(gre_ports("4294967296"), None);
    }
}
