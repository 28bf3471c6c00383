// SPDX-License-Identifier: GPL-2.0

//! The SA commands' arguments: addresses, protocol, SPI, extensions
//! (`-m -r -u -f -lh -ls -bh -bs -ctx -esn`) and algorithms (`-E -A -C`).

use ipsec_core::ipsec::IpsecMode;
use ipsec_core::pfkey::consts::sa_flags;
use ipsec_core::pfkey::SaType;
use ipsec_core::sadb::MAX_REPLAY_WINDOW;

use super::address::sockaddr;
use super::ast::{AlgSetting, LifetimeSpec, NatTSpec, SaCommand};
use super::lexer::{TokKind, Token};
use super::parser::Parser;
use super::value::u32_dec_or_hex;
use super::Diagnostic;
use crate::names::algs::{lookup_alg, AlgClass, AlgEntry, AlgQuirk};
use crate::names::words::{self, SaProtocol};

/// Which SA command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SaVerb {
    Add,
    Update,
    GetSpi,
    Get,
    Delete,
}

impl SaVerb {
    /// `add` and `update` carry algorithms and need an SPI.
    fn installs(self) -> bool {
        matches!(self, SaVerb::Add | SaVerb::Update)
    }
}

const EXTENSIONS: &str = "an option (-m, -r, -u, -f, -lh, -ls, -bh, -bs, -esn)";
const PROTOCOLS: &str = "a protocol (esp, esp-old, ah, ah-old, ipcomp, esp-udp)";

/// KAME padding bits of `sadb_sa_flags`.
const PAD_MASK: u32 = sa_flags::KAME_PRAND | sa_flags::KAME_PZERO;

/// The `sadb_sa_flags` setkey starts every SA message with: cyclic
/// sequence numbers, plus `SADB_X_EXT_OLD` for `esp-old` / `ah-old`.
pub(super) fn initial_flags(proto: &SaProtocol) -> u32 {
    let old = if proto.old { sa_flags::KAME_OLD } else { 0 };
    sa_flags::KAME_CYCSEQ | old
}

/// Where `-esn` was, to report a window of 0 there.
type At = (u32, u32);

impl<'a> Parser<'a> {
    /// An SA protocol name; `tcp` is refused. `for_flush`: the message
    /// lists only what `flush`/`dump` take.
    pub(super) fn sa_protocol(
        &mut self,
        for_flush: bool,
    ) -> Result<(&'static SaProtocol, Token<'a>), Diagnostic> {
        let expected = if for_flush {
            "a protocol (esp, ah, ipcomp) or ';'"
        } else {
            PROTOCOLS
        };
        let t = self.next()?;
        let proto = (t.kind == TokKind::Word)
            .then(|| words::sa_protocol(t.text))
            .flatten()
            .ok_or_else(|| self.unexpected(&t, expected))?;
        if proto.tcp {
            return Err(self.error(
                &t,
                "'tcp' (TCP-MD5 signature) SAs are not supported: Linux PF_KEY has no SA type for them",
            ));
        }
        Ok((proto, t))
    }

    /// `src[port] dst[port] proto spi [extensions] [algorithms] ;` after
    /// the command word.
    pub(super) fn sa_command(&mut self, verb: SaVerb) -> Result<SaCommand, Diagnostic> {
        let opts = self.addr_opts()?;
        let (src, sscope, _) = self.address(opts, "a source address")?;
        let sport = self.port()?;
        let (dst, dscope, dt) = self.address(opts, "a destination address")?;
        let dport = self.port()?;
        self.same_family(src, dst, &dt)?;
        let (proto, _) = self.sa_protocol(false)?;
        let nat_t = self.nat_t(proto, opts)?;
        let (spi, spi_tok) = self.spi()?;
        if verb.installs() && spi == 0 {
            return Err(self.error(&spi_tok, "SPI 0 is not valid for an SA"));
        }
        let mut sa = SaCommand {
            satype: proto.satype,
            src: sockaddr(src, sport, sscope),
            dst: sockaddr(dst, dport, dscope),
            spi,
            mode: IpsecMode::ANY,
            reqid: 0,
            replay: 0,
            flags: initial_flags(proto),
            hard: LifetimeSpec::default(),
            soft: LifetimeSpec::default(),
            nat_t,
            enc: None,
            auth: None,
            comp: None,
        };
        let esn_at = self.sa_extensions(&mut sa, proto)?;
        if verb.installs() {
            self.sa_algorithms(&mut sa, proto)?;
            self.expect_semi("")?;
        } else {
            self.expect_semi(EXTENSIONS)?;
        }
        if let Some((line, col)) = esn_at.filter(|_| sa.replay == 0) {
            return Err(self.error_at(
                line,
                col,
                "-esn needs a replay window: add -r N with N > 0",
            ));
        }
        Ok(sa)
    }

    /// `esp-udp [oa]`: the optional original address.
    fn nat_t(
        &mut self,
        proto: &SaProtocol,
        opts: super::address::AddrOpts,
    ) -> Result<Option<NatTSpec>, Diagnostic> {
        if !proto.udp {
            return Ok(None);
        }
        let t = self.peek()?;
        let is_addr = t.kind == TokKind::Word && super::address::parse_addr(t.text).is_some();
        let oa = if is_addr {
            Some(self.address(opts, "an address")?.0)
        } else {
            None
        };
        Ok(Some(NatTSpec { oa }))
    }

    /// The SPI: decimal or `0x` hex, 32 bits.
    fn spi(&mut self) -> Result<(u32, Token<'a>), Diagnostic> {
        let t = self.next()?;
        (t.kind == TokKind::Word)
            .then(|| u32_dec_or_hex(t.text))
            .flatten()
            .map(|v| (v, t))
            .ok_or_else(|| self.unexpected(&t, "an SPI (decimal or 0x hex, 32 bits)"))
    }

    /// The extension options, in any order; returns where `-esn` was.
    fn sa_extensions(
        &mut self,
        sa: &mut SaCommand,
        proto: &SaProtocol,
    ) -> Result<Option<At>, Diagnostic> {
        let mut esn_at = None;
        loop {
            let t = self.peek()?;
            if t.kind != TokKind::Word {
                return Ok(esn_at);
            }
            match t.text {
                "-m" => sa.mode = self.after(|p| p.mode_arg())?,
                "-r" => sa.replay = self.after(|p| p.replay_arg(proto))?,
                "-u" => sa.reqid = self.after(|p| p.u32_arg("a reqid"))?,
                "-f" => sa.flags = self.after(|p| p.flag_arg(sa.flags))?,
                "-lh" => sa.hard.seconds = self.after(|p| p.u64_arg("seconds"))?,
                "-ls" => sa.soft.seconds = self.after(|p| p.u64_arg("seconds"))?,
                "-bh" => sa.hard.bytes = self.after(|p| p.u64_arg("bytes"))?,
                "-bs" => sa.soft.bytes = self.after(|p| p.u64_arg("bytes"))?,
                "-ctx" => {
                    self.next()?;
                    return Err(self.sec_ctx_refused(&t));
                }
                "-esn" => {
                    self.next()?;
                    sa.flags |= sa_flags::ESN;
                    esn_at = Some((t.line, t.col));
                }
                _ => return Ok(esn_at),
            }
        }
    }

    /// Consumes the option word, then runs `arg`.
    fn after<T>(
        &mut self,
        arg: impl FnOnce(&mut Self) -> Result<T, Diagnostic>,
    ) -> Result<T, Diagnostic> {
        self.next()?;
        arg(self)
    }

    fn mode_arg(&mut self) -> Result<IpsecMode, Diagnostic> {
        let t = self.next()?;
        (t.kind == TokKind::Word)
            .then(|| words::mode(t.text))
            .flatten()
            .ok_or_else(|| self.unexpected(&t, "a mode (transport, tunnel, any)"))
    }

    fn replay_arg(&mut self, proto: &SaProtocol) -> Result<u32, Diagnostic> {
        let expected = "a replay window in packets";
        let (v, t) = self.number(expected, u64::from(MAX_REPLAY_WINDOW))?;
        if proto.old {
            return Err(self.error(
                &t,
                format!("replay prevention cannot be used with {}", proto.name),
            ));
        }
        Ok(u32::try_from(v).unwrap_or(MAX_REPLAY_WINDOW))
    }

    fn u32_arg(&mut self, expected: &str) -> Result<u32, Diagnostic> {
        let (v, _) = self.number(expected, u64::from(u32::MAX))?;
        Ok(u32::try_from(v).unwrap_or(u32::MAX))
    }

    fn u64_arg(&mut self, expected: &str) -> Result<u64, Diagnostic> {
        Ok(self.number(expected, u64::MAX)?.0)
    }

    /// `-f` argument applied to `flags`.
    fn flag_arg(&mut self, flags: u32) -> Result<u32, Diagnostic> {
        let t = self.next()?;
        let pad = |bits: u32| (flags & !PAD_MASK) | bits;
        match (t.kind, t.text) {
            (TokKind::Word, "zero-pad") => Ok(pad(sa_flags::KAME_PZERO)),
            (TokKind::Word, "random-pad") => Ok(pad(sa_flags::KAME_PRAND)),
            (TokKind::Word, "seq-pad") => Ok(pad(0)),
            (TokKind::Word, "nocyclic-seq") => Ok(flags & !sa_flags::KAME_CYCSEQ),
            _ => Err(self.unexpected(&t, "a flag (zero-pad, random-pad, seq-pad, nocyclic-seq)")),
        }
    }

    /// The arguments of `-ctx doi alg "context"` (`at`, already
    /// consumed): parsed, then refused at `at`.
    pub(super) fn sec_ctx_refused(&mut self, at: &Token<'_>) -> Diagnostic {
        let args = self
            .number("a DOI", u64::from(u8::MAX))
            .and_then(|_| self.number("a context algorithm", u64::from(u8::MAX)))
            .and_then(|_| self.expect(TokKind::Quoted, "a quoted security context"));
        match args {
            Err(e) => e,
            Ok(_) => self.error(
                at,
                "security contexts (-ctx) are not supported: the kernel refuses SADB_X_EXT_SEC_CTX",
            ),
        }
    }

    /// The algorithms `proto` takes: `-E alg key [-A alg key]` for ESP,
    /// `-A alg key` for AH, `-C alg [-R]` for IPComp.
    fn sa_algorithms(&mut self, sa: &mut SaCommand, proto: &SaProtocol) -> Result<(), Diagnostic> {
        let t = self.peek()?;
        let (option, class, what) = match sa.satype {
            SaType::AH => (
                "-A",
                AlgClass::Auth,
                "an ah SA takes an authentication algorithm",
            ),
            SaType::X_IPCOMP => (
                "-C",
                AlgClass::Compress,
                "an ipcomp SA takes a compression algorithm",
            ),
            _ => (
                "-E",
                AlgClass::Encrypt,
                "an esp SA takes an encryption algorithm",
            ),
        };
        if !t.is_word(option) {
            let lead = if t.kind == TokKind::Word && t.text.starts_with('-') {
                String::new()
            } else {
                format!("{EXTENSIONS} or ")
            };
            return Err(self.unexpected(&t, &format!("{lead}{option} ({what})")));
        }
        self.next()?;
        let (alg, entry) = self.algorithm(class)?;
        self.check_quirk(entry, &alg, proto, &mut sa.flags)?;
        match class {
            AlgClass::Auth => sa.auth = Some(alg),
            AlgClass::Compress => {
                sa.comp = Some(alg);
                if self.eat_word("-R")?.is_some() {
                    sa.flags |= sa_flags::KAME_RAWCPI;
                }
            }
            AlgClass::Encrypt => {
                let aead = entry.is_aead().then_some(alg.name);
                sa.enc = Some(alg);
                self.esp_auth(sa, proto, aead)?;
            }
        }
        Ok(())
    }

    /// The optional `-A` after an ESP `-E`; refused after an AEAD.
    fn esp_auth(
        &mut self,
        sa: &mut SaCommand,
        proto: &SaProtocol,
        aead: Option<&str>,
    ) -> Result<(), Diagnostic> {
        let Some(t) = self.eat_word("-A")? else {
            return Ok(());
        };
        if let Some(name) = aead {
            return Err(self.error(
                &t,
                format!("unexpected '-A': {name} is an AEAD algorithm and takes no authentication algorithm"),
            ));
        }
        let (alg, entry) = self.algorithm(AlgClass::Auth)?;
        self.check_quirk(entry, &alg, proto, &mut sa.flags)?;
        sa.auth = Some(alg);
        Ok(())
    }

    /// One algorithm name of `class` and its key.
    fn algorithm(
        &mut self,
        class: AlgClass,
    ) -> Result<(AlgSetting, &'static AlgEntry), Diagnostic> {
        let t = self.next()?;
        let entry = (t.kind == TokKind::Word)
            .then(|| lookup_alg(class, t.text))
            .flatten()
            .ok_or_else(|| self.unexpected(&t, class.expected()))?;
        let key = if entry.takes_key() {
            let (key, kt) = self.key()?;
            self.check_key(entry, &key, &kt)?;
            Some(key)
        } else if class == AlgClass::Encrypt {
            Some(Vec::new())
        } else {
            None
        };
        let alg = AlgSetting {
            name: entry.name,
            id: entry.id,
            key,
            line: t.line,
            col: t.col,
        };
        Ok((alg, entry))
    }

    fn check_key(&self, entry: &AlgEntry, key: &[u8], at: &Token<'_>) -> Result<(), Diagnostic> {
        let bits = u32::try_from(key.len())
            .unwrap_or(u32::MAX)
            .saturating_mul(8);
        if entry.key_bits_ok(bits) {
            return Ok(());
        }
        let salt = entry
            .module_info()
            .filter(|i| i.salt_bytes > 0)
            .map_or(String::new(), |i| {
                format!(" (key and {}-bit salt)", u32::from(i.salt_bytes) * 8)
            });
        Err(self.error(
            at,
            format!(
                "{} takes a key of {}{salt}, not {bits} bits",
                entry.name,
                entry.key_sizes_text()
            ),
        ))
    }

    /// Legacy names: their flag, and the protocols they go with.
    fn check_quirk(
        &self,
        entry: &AlgEntry,
        alg: &AlgSetting,
        proto: &SaProtocol,
        flags: &mut u32,
    ) -> Result<(), Diagnostic> {
        let refuse = |msg: String| Err(self.error_at(alg.line, alg.col, msg));
        match entry.quirk {
            AlgQuirk::None => Ok(()),
            AlgQuirk::Deriv if proto.old => {
                refuse(format!("{} cannot be used with {}", entry.name, proto.name))
            }
            AlgQuirk::Deriv => {
                *flags |= sa_flags::KAME_DERIV;
                Ok(())
            }
            AlgQuirk::Iv4b if !proto.old => refuse(format!("{} needs esp-old", entry.name)),
            AlgQuirk::Iv4b => {
                *flags |= sa_flags::KAME_IV4B;
                Ok(())
            }
            AlgQuirk::TcpMd5 => refuse(format!("{} is only for tcp SAs", entry.name)),
        }
    }
}
