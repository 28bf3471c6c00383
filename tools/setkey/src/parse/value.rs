// SPDX-License-Identifier: GPL-2.0

//! Numbers, SPIs and keys.

use super::lexer::{TokKind, Token};
use super::parser::Parser;
use super::Diagnostic;

/// A decimal number (digits only, as setkey's DECSTRING).
pub(super) fn decimal(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The digits of a `0x` hex word.
fn hex_digits(text: &str) -> Option<&str> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_hexdigit())).then_some(digits)
}

/// A decimal or `0x` hex number that fits 32 bits.
pub(super) fn u32_dec_or_hex(text: &str) -> Option<u32> {
    match hex_digits(text) {
        Some(d) => u32::from_str_radix(d.trim_start_matches('0'), 16)
            .ok()
            .or_else(|| d.bytes().all(|b| b == b'0').then_some(0)),
        None => decimal(text).and_then(|v| u32::try_from(v).ok()),
    }
}

fn nibble(b: u8) -> u8 {
    match b {
        b'0'..=b'9' => b - b'0',
        b'a'..=b'f' => b - b'a' + 10,
        _ => b - b'A' + 10,
    }
}

/// The bytes of a `0x` hex key; an odd digit count gets a leading zero
/// nibble, as setkey does.
pub(super) fn hex_key(text: &str) -> Option<Vec<u8>> {
    let d = hex_digits(text)?.as_bytes();
    let (head, rest) = d.split_at(d.len() % 2);
    let mut out: Vec<u8> = head.iter().map(|&b| nibble(b)).collect();
    out.extend(rest.chunks(2).map(|p| (nibble(p[0]) << 4) | nibble(p[1])));
    Some(out)
}

impl<'a> Parser<'a> {
    /// A decimal number from 0 to `max`.
    pub(super) fn number(
        &mut self,
        expected: &str,
        max: u64,
    ) -> Result<(u64, Token<'a>), Diagnostic> {
        let t = self.next()?;
        let v = (t.kind == TokKind::Word)
            .then(|| decimal(t.text))
            .flatten()
            .ok_or_else(|| self.unexpected(&t, expected))?;
        if v > max {
            return Err(self.error(
                &t,
                format!("{v} is too large, expected {expected} up to {max}"),
            ));
        }
        Ok((v, t))
    }

    /// A key: `"string"` or `0x` hex.
    pub(super) fn key(&mut self) -> Result<(Vec<u8>, Token<'a>), Diagnostic> {
        let t = self.next()?;
        let key = match t.kind {
            TokKind::Quoted => Some(t.text.as_bytes().to_vec()),
            TokKind::Word => hex_key(t.text),
            _ => None,
        };
        key.map(|k| (k, t))
            .ok_or_else(|| self.unexpected(&t, "a key (\"string\" or 0x hex)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(decimal("0"), Some(0));
        assert_eq!(decimal("4096"), Some(4096));
        assert_eq!(decimal("-1"), None);
        assert_eq!(decimal("12a"), None);
        assert_eq!(decimal(""), None);
        assert_eq!(u32_dec_or_hex("0x1000"), Some(0x1000));
        assert_eq!(u32_dec_or_hex("0xFFFFFFFF"), Some(u32::MAX));
        assert_eq!(u32_dec_or_hex("0x000000001"), Some(1));
        assert_eq!(u32_dec_or_hex("0x0"), Some(0));
        assert_eq!(u32_dec_or_hex("0x100000000"), None);
        assert_eq!(u32_dec_or_hex("4294967296"), None);
        assert_eq!(u32_dec_or_hex("0x"), None);
    }

    #[test]
    fn hex_keys() {
        assert_eq!(hex_key("0x0102ab"), Some(vec![1, 2, 0xab]));
        assert_eq!(hex_key("0XfFf"), Some(vec![0xf, 0xff]));
        assert_eq!(hex_key("0x12g4"), None);
        assert_eq!(hex_key("1234"), None);
    }
}
