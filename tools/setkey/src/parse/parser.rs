// SPDX-License-Identifier: GPL-2.0

//! The token cursor every part of the parser works on, and its error
//! helpers.

use super::lexer::{Lexer, RawText, TokKind, Token};
use super::Diagnostic;

/// A one-token-lookahead cursor over the input.
pub(super) struct Parser<'a> {
    lex: Lexer<'a>,
    peeked: Option<Token<'a>>,
    pub(super) file: &'a str,
}

impl<'a> Parser<'a> {
    /// A parser at the start of `src`.
    pub(super) fn new(src: &'a str, file: &'a str) -> Self {
        Self {
            lex: Lexer::new(src, file),
            peeked: None,
            file,
        }
    }

    /// The next token, left in place.
    pub(super) fn peek(&mut self) -> Result<Token<'a>, Diagnostic> {
        match self.peeked {
            Some(t) => Ok(t),
            None => {
                let t = self.lex.next_token()?;
                self.peeked = Some(t);
                Ok(t)
            }
        }
    }

    /// The next token, consumed.
    pub(super) fn next(&mut self) -> Result<Token<'a>, Diagnostic> {
        let t = self.peek()?;
        self.peeked = None;
        Ok(t)
    }

    /// Consumes the next token if it is the word `w`.
    pub(super) fn eat_word(&mut self, w: &str) -> Result<Option<Token<'a>>, Diagnostic> {
        let t = self.peek()?;
        if t.is_word(w) {
            self.peeked = None;
            return Ok(Some(t));
        }
        Ok(None)
    }

    /// Consumes the next token if it is of `kind`.
    pub(super) fn eat(&mut self, kind: TokKind) -> Result<Option<Token<'a>>, Diagnostic> {
        let t = self.peek()?;
        if t.kind == kind {
            self.peeked = None;
            return Ok(Some(t));
        }
        Ok(None)
    }

    /// The raw policy text after `-P` (the `-P` consumed, nothing
    /// peeked past it).
    pub(super) fn raw_policy(&mut self) -> RawText<'a> {
        debug_assert!(self.peeked.is_none());
        self.lex.raw_until_semi()
    }

    /// A diagnostic at `line`:`col`.
    pub(super) fn error_at(&self, line: u32, col: u32, msg: impl Into<String>) -> Diagnostic {
        Diagnostic::new(self.file, line, col, msg)
    }

    /// A diagnostic at `tok`.
    pub(super) fn error(&self, tok: &Token<'_>, msg: impl Into<String>) -> Diagnostic {
        self.error_at(tok.line, tok.col, msg)
    }

    /// `unexpected 'X', expected <expected>` at `tok`.
    pub(super) fn unexpected(&self, tok: &Token<'_>, expected: &str) -> Diagnostic {
        self.error(
            tok,
            format!("unexpected {}, expected {expected}", tok.describe()),
        )
    }

    /// Consumes a token of `kind` or fails naming `expected`.
    pub(super) fn expect(
        &mut self,
        kind: TokKind,
        expected: &str,
    ) -> Result<Token<'a>, Diagnostic> {
        let t = self.next()?;
        if t.kind == kind {
            Ok(t)
        } else {
            Err(self.unexpected(&t, expected))
        }
    }

    /// Consumes a word or fails naming `expected`.
    pub(super) fn expect_word(&mut self, expected: &str) -> Result<Token<'a>, Diagnostic> {
        self.expect(TokKind::Word, expected)
    }

    /// Consumes the `;` ending a statement; otherwise fails naming
    /// `expected` (what else could have come) and `';'`.
    pub(super) fn expect_semi(&mut self, expected: &str) -> Result<Token<'a>, Diagnostic> {
        let what = if expected.is_empty() {
            "';'".to_string()
        } else {
            format!("{expected} or ';'")
        };
        self.expect(TokKind::Semi, &what)
    }
}
