// SPDX-License-Identifier: GPL-2.0

//! A cursor over untrusted bytes (rustls `codec::Reader` style).
//!
//! Every read is checked and returns `None` past the end, so parsing code
//! never indexes and never panics. PF_KEY integers are in host order
//! (`*_ne`), except the few network-order fields (`*_be`). What a parse
//! refuses is a [`ParseError`].

use core::fmt;

use super::super::errno::Errno;

/// Why a message was refused: the errno for the reply and a short reason
/// for the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The error to return (`EINVAL` unless the size is wrong).
    pub errno: Errno,
    /// What was wrong, for a log line.
    pub reason: &'static str,
}

impl ParseError {
    /// An error with `errno`.
    pub const fn new(errno: Errno, reason: &'static str) -> Self {
        Self { errno, reason }
    }

    /// An `EINVAL` error.
    pub const fn inval(reason: &'static str) -> Self {
        Self::new(Errno::EINVAL, reason)
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errno.name() {
            Some(n) => write!(f, "{} ({})", self.reason, n),
            None => write!(f, "{} (errno {})", self.reason, self.errno.0),
        }
    }
}

/// A read cursor over a byte slice.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A cursor at the start of `bytes`.
    pub const fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// The next `n` bytes, or `None` (and nothing consumed) if fewer remain.
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.rest.split_at_checked(n)?;
        self.rest = tail;
        Some(head)
    }

    /// A cursor over the next `n` bytes, consumed from this one.
    pub fn sub(&mut self, n: usize) -> Option<Reader<'a>> {
        self.take(n).map(Reader::new)
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize) -> Option<()> {
        self.take(n).map(|_| ())
    }

    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    /// One byte.
    pub fn u8(&mut self) -> Option<u8> {
        self.array::<1>().map(|[b]| b)
    }

    /// A host-order `u16`.
    pub fn u16_ne(&mut self) -> Option<u16> {
        self.array().map(u16::from_ne_bytes)
    }

    /// A host-order `u32`.
    pub fn u32_ne(&mut self) -> Option<u32> {
        self.array().map(u32::from_ne_bytes)
    }

    /// A host-order `u64`.
    pub fn u64_ne(&mut self) -> Option<u64> {
        self.array().map(u64::from_ne_bytes)
    }

    /// A network-order `u16`.
    pub fn u16_be(&mut self) -> Option<u16> {
        self.array().map(u16::from_be_bytes)
    }

    /// A network-order `u32`.
    pub fn u32_be(&mut self) -> Option<u32> {
        self.array().map(u32::from_be_bytes)
    }

    /// The bytes not read yet, consuming them.
    pub fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.rest)
    }

    /// The bytes not read yet, without consuming them.
    pub const fn peek_rest(&self) -> &'a [u8] {
        self.rest
    }

    /// How many bytes remain.
    pub const fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Whether everything has been read.
    pub const fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_in_order_and_stops_at_end() {
        let b = [1u8, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
        let mut r = Reader::new(&b);
        assert_eq!(r.u8(), Some(1));
        assert_eq!(r.u16_be(), Some(0x0203));
        assert_eq!(r.u32_ne(), Some(u32::from_ne_bytes([4, 5, 6, 7])));
        assert_eq!(r.remaining(), 4);
        assert_eq!(r.u64_ne(), None);
        assert_eq!(r.remaining(), 4, "failed read consumes nothing");
        assert_eq!(r.peek_rest(), &[8, 9, 10, 11]);
        let mut s = r.sub(2).unwrap();
        assert_eq!(s.u16_ne(), Some(u16::from_ne_bytes([8, 9])));
        assert!(s.is_empty());
        assert_eq!(r.take(3), None);
        assert_eq!(r.skip(1), Some(()));
        assert_eq!(r.rest(), &[11]);
        assert!(r.is_empty());
        assert_eq!(r.u8(), None);
        assert_eq!(r.take(0), Some(&[][..]));
    }

    #[test]
    fn u32_be_and_u16_ne() {
        let mut r = Reader::new(&[0xde, 0xad, 0xbe, 0xef, 0x01, 0x02]);
        assert_eq!(r.u32_be(), Some(0xdead_beef));
        assert_eq!(r.u16_ne(), Some(u16::from_ne_bytes([1, 2])));
    }
}
