// SPDX-License-Identifier: GPL-2.0

//! Splitting setkey input into tokens with their line and column.
//!
//! As ipsec-tools' `token.l`: words (names, numbers, addresses, options
//! such as `-E`), quoted strings, `/`, `[`, `]` and `;`; blanks and
//! newlines separate; `#` starts a comment to the end of the line. After
//! `-P` the parser takes the raw policy text up to `;` instead
//! ([`Lexer::raw_until_semi`]), which has its own lexer.

use super::Diagnostic;

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokKind {
    /// A run of letters, digits and `: % . - _ , +`.
    Word,
    /// A `"..."` string (the text is without the quotes).
    Quoted,
    /// `/`.
    Slash,
    /// `[`.
    LBracket,
    /// `]`.
    RBracket,
    /// `;`.
    Semi,
    /// The end of the input.
    Eof,
}

/// One token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token<'a> {
    /// What it is.
    pub kind: TokKind,
    /// Its text (without quotes for [`TokKind::Quoted`]).
    pub text: &'a str,
    /// 1-based line.
    pub line: u32,
    /// 1-based column (in characters).
    pub col: u32,
}

impl Token<'_> {
    /// The token as an error message names it.
    pub fn describe(&self) -> String {
        match self.kind {
            TokKind::Eof => "end of input".to_string(),
            TokKind::Quoted => format!("'\"{}\"'", self.text),
            _ => format!("'{}'", self.text),
        }
    }

    /// Whether this is the word `w`.
    pub fn is_word(&self, w: &str) -> bool {
        self.kind == TokKind::Word && self.text == w
    }
}

/// Raw text taken by [`Lexer::raw_until_semi`], with where it starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawText<'a> {
    /// The text.
    pub text: &'a str,
    /// Line of its first character.
    pub line: u32,
    /// Column of its first character.
    pub col: u32,
}

/// Whether `c` continues a word.
pub fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '%' | '.' | '-' | '_' | ',' | '+')
}

/// The tokenizer.
pub struct Lexer<'a> {
    src: &'a str,
    file: &'a str,
    pos: usize,
    line: u32,
    col: u32,
}

impl<'a> Lexer<'a> {
    /// A lexer at the start of `src`; `file` names it in diagnostics.
    pub fn new(src: &'a str, file: &'a str) -> Self {
        Self {
            src,
            file,
            pos: 0,
            line: 1,
            col: 1,
        }
    }

    fn peek_char(&self) -> Option<char> {
        self.src.get(self.pos..)?.chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek_char()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line = self.line.saturating_add(1);
            self.col = 1;
        } else {
            self.col = self.col.saturating_add(1);
        }
        Some(c)
    }

    fn skip_comment(&mut self) {
        while self.peek_char().is_some_and(|c| c != '\n') {
            self.bump();
        }
    }

    fn skip_blanks(&mut self) {
        while let Some(c) = self.peek_char() {
            match c {
                '#' => self.skip_comment(),
                c if c.is_whitespace() => {
                    self.bump();
                }
                _ => break,
            }
        }
    }

    fn slice(&self, start: usize) -> &'a str {
        self.src.get(start..self.pos).unwrap_or("")
    }

    fn token(&self, kind: TokKind, text: &'a str, line: u32, col: u32) -> Token<'a> {
        Token {
            kind,
            text,
            line,
            col,
        }
    }

    /// The next token.
    pub fn next_token(&mut self) -> Result<Token<'a>, Diagnostic> {
        self.skip_blanks();
        let (line, col, start) = (self.line, self.col, self.pos);
        let Some(c) = self.bump() else {
            return Ok(self.token(TokKind::Eof, "", line, col));
        };
        let kind = match c {
            '/' => TokKind::Slash,
            '[' => TokKind::LBracket,
            ']' => TokKind::RBracket,
            ';' => TokKind::Semi,
            '"' => return self.quoted(line, col),
            c if is_word_char(c) => {
                while self.peek_char().is_some_and(is_word_char) {
                    self.bump();
                }
                TokKind::Word
            }
            c => {
                return Err(Diagnostic::new(
                    self.file,
                    line,
                    col,
                    format!("unexpected character '{}'", c.escape_default()),
                ))
            }
        };
        Ok(self.token(kind, self.slice(start), line, col))
    }

    fn quoted(&mut self, line: u32, col: u32) -> Result<Token<'a>, Diagnostic> {
        let start = self.pos;
        loop {
            match self.peek_char() {
                Some('"') => {
                    let text = self.slice(start);
                    self.bump();
                    return Ok(self.token(TokKind::Quoted, text, line, col));
                }
                Some(_) => {
                    self.bump();
                }
                None => {
                    return Err(Diagnostic::new(
                        self.file,
                        line,
                        col,
                        "unterminated quoted string",
                    ))
                }
            }
        }
    }

    /// The text from here up to (not including) the next `;` outside a
    /// comment, or to the end of the input.
    pub fn raw_until_semi(&mut self) -> RawText<'a> {
        let (line, col, start) = (self.line, self.col, self.pos);
        while let Some(c) = self.peek_char() {
            match c {
                ';' => break,
                '#' => self.skip_comment(),
                _ => {
                    self.bump();
                }
            }
        }
        RawText {
            text: self.slice(start),
            line,
            col,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(TokKind, String, u32, u32)> {
        let mut l = Lexer::new(src, "t");
        let mut v = Vec::new();
        loop {
            let t = l.next_token().unwrap();
            v.push((t.kind, t.text.to_string(), t.line, t.col));
            if t.kind == TokKind::Eof {
                return v;
            }
        }
    }

    #[test]
    fn words_and_punctuation() {
        let v = kinds("add 10.0.0.1/24[any] # c ; x\n \"k y\";");
        let texts: Vec<_> = v.iter().map(|t| t.1.as_str()).collect();
        assert_eq!(
            texts,
            ["add", "10.0.0.1", "/", "24", "[", "any", "]", "k y", ";", ""]
        );
        assert_eq!(v[7].0, TokKind::Quoted);
        assert_eq!((v[7].2, v[7].3), (2, 2));
        assert_eq!(v[9].0, TokKind::Eof);
    }

    #[test]
    fn errors_have_positions() {
        let mut l = Lexer::new("  \n x \"abc", "f");
        l.next_token().unwrap();
        let e = l.next_token().unwrap_err();
        assert_eq!(e.to_string(), "f:2:4: unterminated quoted string");
        let mut l = Lexer::new("a @", "f");
        l.next_token().unwrap();
        assert_eq!(
            l.next_token().unwrap_err().to_string(),
            "f:1:3: unexpected character '@'"
        );
    }

    #[test]
    fn raw_policy_text_skips_comments() {
        let mut l = Lexer::new(" out ipsec # a;b\n esp/transport//require;", "f");
        let r = l.raw_until_semi();
        assert_eq!(r.text, " out ipsec # a;b\n esp/transport//require");
        assert_eq!((r.line, r.col), (1, 1));
        assert_eq!(l.next_token().unwrap().kind, TokKind::Semi);
    }
}
