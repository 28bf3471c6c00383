// SPDX-License-Identifier: GPL-2.0

//! The `-P` policy string (libipsec's `policy_parse.y` and
//! `policy_token.l`):
//!
//! ```text
//! in|out|fwd [prio|priority (N | -N | low|def|high [(+|-) N])]
//!     discard|none|ipsec|entrust|bypass
//!     [esp|ah|ipcomp/transport|tunnel[/[src[[port]]-dst[[port]]][/level]] ...]
//! ```
//!
//! `prio N` ranks N above `def` (0x80000000 - N), `prio -N` below it;
//! `low`, `def` and `high` are 0xC0000000, 0x80000000 and 0x40000000, and
//! `+ N` raises (subtracts), `- N` lowers (adds). Checks beyond the
//! grammar are the kernel's: only discard, none and ipsec; an ipsec
//! policy has 1 to 4 requests and the others none; tunnel requests have
//! endpoints of one family.

use ipsec_core::inet::IpProto;
use ipsec_core::ipsec::{IpsecDir, IpsecLevel, IpsecMode, PolicyType};
use ipsec_core::pfkey::sockaddr::SockAddr;
use ipsec_core::spd::MAX_REQUESTS;

use super::address::{parse_addr, sockaddr};
use super::ast::{PolicySpec, RequestSpec};
use super::lexer::RawText;
use super::value::decimal;
use super::Diagnostic;
use crate::names::words;

/// `PRIORITY_LOW`, `PRIORITY_DEFAULT`, `PRIORITY_HIGH` of libipsec.
pub const PRIORITY_LOW: u32 = 0xC000_0000;
/// The priority of a policy without `prio`.
pub const PRIORITY_DEFAULT: u32 = 0x8000_0000;
/// `prio high`.
pub const PRIORITY_HIGH: u32 = 0x4000_0000;

/// Largest `base + N` offset (libipsec's `PRIORITY_OFFSET_NEGATIVE_MAX`).
const PLUS_MAX: u32 = 0x4000_0000;
/// Largest `base - N` offset (`PRIORITY_OFFSET_POSITIVE_MAX`).
const MINUS_MAX: u32 = 0x3fff_ffff;

/// Largest `unique:N` reqid (setkey(8)).
const UNIQUE_MAX: u64 = 32767;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Word,
    Hyphen,
    Plus,
    Slash,
    LBracket,
    RBracket,
    Bad,
    End,
}

#[derive(Clone, Copy, Debug)]
struct Tok<'a> {
    kind: Kind,
    text: &'a str,
    line: u32,
    col: u32,
}

impl Tok<'_> {
    fn describe(&self) -> String {
        match self.kind {
            Kind::End => "end of policy".to_string(),
            _ => format!("'{}'", self.text),
        }
    }

    fn is(&self, w: &str) -> bool {
        self.kind == Kind::Word && self.text == w
    }
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '_' | '%')
}

/// The policy string's tokens, with positions in the whole input.
struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    line: u32,
    col: u32,
}

impl<'a> Lexer<'a> {
    fn peek_char(&self) -> Option<char> {
        self.text.get(self.pos..)?.chars().next()
    }

    fn bump(&mut self) {
        if let Some(c) = self.peek_char() {
            self.pos += c.len_utf8();
            if c == '\n' {
                self.line = self.line.saturating_add(1);
                self.col = 1;
            } else {
                self.col = self.col.saturating_add(1);
            }
        }
    }

    fn skip_blanks(&mut self) {
        while let Some(c) = self.peek_char() {
            if c == '#' {
                while self.peek_char().is_some_and(|c| c != '\n') {
                    self.bump();
                }
            } else if c.is_whitespace() {
                self.bump();
            } else {
                break;
            }
        }
    }

    fn next(&mut self) -> Tok<'a> {
        self.skip_blanks();
        let (line, col, start) = (self.line, self.col, self.pos);
        let kind = match self.peek_char() {
            None => Kind::End,
            Some('-') => Kind::Hyphen,
            Some('+') => Kind::Plus,
            Some('/') => Kind::Slash,
            Some('[') => Kind::LBracket,
            Some(']') => Kind::RBracket,
            Some(c) if is_word_char(c) => {
                while self.peek_char().is_some_and(is_word_char) {
                    self.bump();
                }
                Kind::Word
            }
            Some(_) => Kind::Bad,
        };
        if !matches!(kind, Kind::Word | Kind::End) {
            self.bump();
        }
        let text = self.text.get(start..self.pos).unwrap_or("");
        Tok {
            kind,
            text,
            line,
            col,
        }
    }
}

struct PolicyParser<'a> {
    lex: Lexer<'a>,
    peeked: Option<Tok<'a>>,
    file: &'a str,
    dir: IpsecDir,
}

/// Parses the text after `-P`. `bare_ok`: a direction alone is accepted
/// (`spddelete`), meaning type discard and priority 0 as libipsec.
pub(super) fn parse_policy(
    file: &str,
    raw: RawText<'_>,
    bare_ok: bool,
) -> Result<PolicySpec, Diagnostic> {
    let mut p = PolicyParser {
        lex: Lexer {
            text: raw.text,
            pos: 0,
            line: raw.line,
            col: raw.col,
        },
        peeked: None,
        file,
        dir: IpsecDir::INVALID,
    };
    p.policy(bare_ok)
}

impl<'a> PolicyParser<'a> {
    fn peek(&mut self) -> Tok<'a> {
        match self.peeked {
            Some(t) => t,
            None => {
                let t = self.lex.next();
                self.peeked = Some(t);
                t
            }
        }
    }

    fn next(&mut self) -> Tok<'a> {
        let t = self.peek();
        self.peeked = None;
        t
    }

    fn error(&self, t: &Tok<'_>, msg: impl Into<String>) -> Diagnostic {
        Diagnostic::new(self.file, t.line, t.col, msg)
    }

    fn unexpected(&self, t: &Tok<'_>, expected: &str) -> Diagnostic {
        self.error(
            t,
            format!("unexpected {}, expected {expected}", t.describe()),
        )
    }

    fn expect(&mut self, kind: Kind, expected: &str) -> Result<Tok<'a>, Diagnostic> {
        let t = self.next();
        if t.kind == kind {
            Ok(t)
        } else {
            Err(self.unexpected(&t, expected))
        }
    }

    fn number(&mut self, expected: &str, max: u64) -> Result<u64, Diagnostic> {
        let t = self.next();
        let v = (t.kind == Kind::Word)
            .then(|| decimal(t.text))
            .flatten()
            .ok_or_else(|| self.unexpected(&t, expected))?;
        if v > max {
            return Err(self.error(
                &t,
                format!("{v} is too large, expected {expected} up to {max}"),
            ));
        }
        Ok(v)
    }

    fn policy(&mut self, bare_ok: bool) -> Result<PolicySpec, Diagnostic> {
        let t = self.next();
        self.dir = (t.kind == Kind::Word)
            .then(|| words::dir(t.text))
            .flatten()
            .ok_or_else(|| self.unexpected(&t, "a direction (in, out, fwd)"))?;
        let after_dir = self.peek();
        if after_dir.kind == Kind::End && bare_ok {
            return Ok(PolicySpec {
                dir: self.dir,
                priority: 0,
                action: PolicyType::DISCARD,
                requests: Vec::new(),
            });
        }
        let priority = if after_dir.is("prio") || after_dir.is("priority") {
            self.next();
            self.priority()?
        } else {
            PRIORITY_DEFAULT
        };
        let (action, action_tok) = self.action()?;
        let requests = self.requests(action, &action_tok, bare_ok)?;
        Ok(PolicySpec {
            dir: self.dir,
            priority,
            action,
            requests,
        })
    }

    fn priority(&mut self) -> Result<u32, Diagnostic> {
        let t = self.next();
        let n = |p: &mut Self, max: u32| -> Result<u32, Diagnostic> {
            let v = p.number("a priority offset", u64::from(max))?;
            Ok(u32::try_from(v).unwrap_or(max))
        };
        let base = match t.kind {
            Kind::Hyphen => return Ok(PRIORITY_DEFAULT + n(self, PRIORITY_DEFAULT - 1)?),
            Kind::Word if decimal(t.text).is_some() => {
                self.peeked = Some(t);
                return Ok(PRIORITY_DEFAULT - n(self, PRIORITY_DEFAULT)?);
            }
            Kind::Word if t.text == "low" => PRIORITY_LOW,
            Kind::Word if t.text == "def" => PRIORITY_DEFAULT,
            Kind::Word if t.text == "high" => PRIORITY_HIGH,
            _ => return Err(self.unexpected(&t, "a priority (low, def, high or a number)")),
        };
        match self.peek().kind {
            Kind::Plus => {
                self.next();
                Ok(base - n(self, PLUS_MAX)?)
            }
            Kind::Hyphen => {
                self.next();
                Ok(base + n(self, MINUS_MAX)?)
            }
            _ => Ok(base),
        }
    }

    fn action(&mut self) -> Result<(PolicyType, Tok<'a>), Diagnostic> {
        let t = self.next();
        let a = (t.kind == Kind::Word)
            .then(|| words::action(t.text))
            .flatten()
            .ok_or_else(|| {
                self.unexpected(&t, "an action (discard, none, ipsec, entrust, bypass)")
            })?;
        Ok((a, t))
    }

    /// The requests, checked against the action as the kernel would.
    fn requests(
        &mut self,
        action: PolicyType,
        action_tok: &Tok<'_>,
        deleting: bool,
    ) -> Result<Vec<RequestSpec>, Diagnostic> {
        if !deleting && matches!(action, PolicyType::ENTRUST | PolicyType::BYPASS) {
            return Err(self.error(
                action_tok,
                format!(
                    "'{}' policies are refused by the kernel (only discard, none and ipsec)",
                    action_tok.text
                ),
            ));
        }
        let mut out = Vec::new();
        while self.peek().kind != Kind::End {
            let at = self.peek();
            if action != PolicyType::IPSEC {
                return Err(self.unexpected(&at, "end of policy (only 'ipsec' takes requests)"));
            }
            if out.len() == MAX_REQUESTS {
                return Err(self.error(
                    &at,
                    format!("too many requests: a policy takes at most {MAX_REQUESTS}"),
                ));
            }
            out.push(self.request()?);
        }
        if action == PolicyType::IPSEC && out.is_empty() && !deleting {
            let end = self.peek();
            return Err(self.unexpected(
                &end,
                "a request such as esp/transport//require (an ipsec policy needs one)",
            ));
        }
        Ok(out)
    }

    fn request(&mut self) -> Result<RequestSpec, Diagnostic> {
        let t = self.next();
        let proto = (t.kind == Kind::Word)
            .then(|| words::request_protocol(t.text))
            .flatten()
            .and_then(|s| s.proto())
            .ok_or_else(|| self.unexpected(&t, "a request protocol (esp, ah, ipcomp)"))?;
        self.expect(Kind::Slash, "'/' and a mode")?;
        let mt = self.next();
        let mode = (mt.kind == Kind::Word)
            .then(|| words::mode(mt.text))
            .flatten()
            .filter(|&m| m != IpsecMode::ANY)
            .ok_or_else(|| self.unexpected(&mt, "a mode (transport, tunnel)"))?;
        let mut rq = RequestSpec {
            proto: IpProto(proto.0),
            mode,
            level: IpsecLevel::DEFAULT,
            reqid: 0,
            endpoints: None,
        };
        if self.peek().kind == Kind::Slash {
            self.next();
            self.request_tail(&mut rq)?;
        }
        if mode == IpsecMode::TUNNEL && rq.endpoints.is_none() {
            return Err(self.error(&mt, "tunnel mode needs endpoints: esp/tunnel/src-dst/level"));
        }
        Ok(rq)
    }

    /// After `proto/mode/`: `[src-dst][/[level]]`.
    fn request_tail(&mut self, rq: &mut RequestSpec) -> Result<(), Diagnostic> {
        let t = self.peek();
        if t.kind == Kind::Word && words::request_protocol(t.text).is_some() {
            // `proto/mode/` then the next request.
            return Ok(());
        }
        if t.kind == Kind::Word {
            if words::level(t.text).is_some() || t.text.starts_with("unique:") {
                return Err(self.unexpected(
                    &t,
                    "endpoints (src-dst) or '/' (a level follows '//' in transport mode)",
                ));
            }
            rq.endpoints = self.endpoints()?;
        }
        if self.peek().kind == Kind::Slash {
            self.next();
            if self.peek().kind == Kind::Word {
                self.level(rq)?;
            }
        }
        Ok(())
    }

    /// `src[[port]]-dst[[port]]`, `me-any` (out) or `any-me` (in).
    fn endpoints(&mut self) -> Result<Option<(SockAddr, SockAddr)>, Diagnostic> {
        let a = self.next();
        let ap = self.port()?;
        self.expect(Kind::Hyphen, "'-' and a destination")?;
        let b = self.next();
        let bp = self.port()?;
        match (a.text, b.text) {
            ("me", "any") if self.dir == IpsecDir::OUTBOUND => return Ok(None),
            ("any", "me") if self.dir == IpsecDir::INBOUND => return Ok(None),
            ("me", "any") | ("any", "me") => {
                return Err(self.error(
                    &a,
                    format!("{}-{} does not fit this direction", a.text, b.text),
                ))
            }
            _ => {}
        }
        let addr = |p: &Self, t: &Tok<'_>| {
            (t.kind == Kind::Word)
                .then(|| parse_addr(t.text))
                .flatten()
                .ok_or_else(|| p.unexpected(t, "an IPv4 or IPv6 address"))
        };
        let (sa, ss) = addr(self, &a)?;
        let (da, ds) = addr(self, &b)?;
        if sa.family() != da.family() {
            return Err(self.error(&b, "tunnel endpoints of different address families"));
        }
        Ok(Some((sockaddr(sa, ap, ss), sockaddr(da, bp, ds))))
    }

    /// An optional `[port]`.
    fn port(&mut self) -> Result<u16, Diagnostic> {
        if self.peek().kind != Kind::LBracket {
            return Ok(0);
        }
        self.next();
        let v = self.number("a port number", u64::from(u16::MAX))?;
        self.expect(Kind::RBracket, "']'")?;
        Ok(u16::try_from(v).unwrap_or(0))
    }

    /// `default`, `use`, `require`, `unique` or `unique:N`.
    fn level(&mut self, rq: &mut RequestSpec) -> Result<(), Diagnostic> {
        let t = self.next();
        if let Some(n) = t.text.strip_prefix("unique:") {
            let v = decimal(n)
                .filter(|v| (1..=UNIQUE_MAX).contains(v))
                .ok_or_else(|| {
                    self.error(&t, format!("unique:N takes N from 1 to {UNIQUE_MAX}"))
                })?;
            rq.level = IpsecLevel::UNIQUE;
            rq.reqid = u32::try_from(v).unwrap_or(0);
            return Ok(());
        }
        rq.level = words::level(t.text).ok_or_else(|| {
            self.unexpected(&t, "a level (default, use, require, unique, unique:N)")
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pol(text: &str) -> Result<PolicySpec, Diagnostic> {
        parse_policy(
            "f",
            RawText {
                text,
                line: 1,
                col: 1,
            },
            false,
        )
    }

    #[test]
    fn priorities() {
        let prio = |s: &str| pol(&format!("out {s} discard")).unwrap().priority;
        assert_eq!(prio(""), PRIORITY_DEFAULT);
        assert_eq!(prio("prio 10"), PRIORITY_DEFAULT - 10);
        assert_eq!(prio("priority -10"), PRIORITY_DEFAULT + 10);
        assert_eq!(prio("prio low"), PRIORITY_LOW);
        assert_eq!(prio("prio high + 5"), PRIORITY_HIGH - 5);
        assert_eq!(prio("prio def-5"), PRIORITY_DEFAULT + 5);
        assert_eq!(prio("prio high +1073741824"), 0);
        assert_eq!(prio("prio low - 1073741823"), u32::MAX);
        assert_eq!(prio("prio 2147483648"), 0);
        assert!(pol("out prio low - 1073741824 discard").is_err());
        assert!(pol("out prio 2147483649 discard").is_err());
        assert!(pol("out prio medium discard").is_err());
    }

    #[test]
    fn positions_follow_the_input() {
        let e = parse_policy(
            "f",
            RawText {
                text: " out ipsec\n   esp/tunel/1.2.3.4-5.6.7.8/require",
                line: 4,
                col: 30,
            },
            false,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "f:5:8: unexpected 'tunel', expected a mode (transport, tunnel)"
        );
    }
}
