// SPDX-License-Identifier: GPL-2.0

//! The bounded output cursor every PF_KEY encoder writes through: the
//! message writer, the extensions and the sockaddrs.

use super::super::errno::Errno;
use super::consts::UNIT;

/// A bounded output cursor. After a write past the end (`ENOBUFS`) or a
/// length that does not fit its field (`EMSGSIZE`) it writes nothing more
/// and remembers the first error.
pub(crate) struct Out<'b> {
    buf: &'b mut [u8],
    pos: usize,
    error: Option<Errno>,
}

impl<'b> Out<'b> {
    pub(crate) fn new(buf: &'b mut [u8]) -> Self {
        Self {
            buf,
            pos: 0,
            error: None,
        }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn error(&self) -> Option<Errno> {
        self.error
    }

    fn fail(&mut self, e: Errno) {
        self.error = self.error.or(Some(e));
    }

    fn slot(&mut self, n: usize) -> Option<&mut [u8]> {
        if self.error.is_some() {
            return None;
        }
        let start = self.pos;
        match start.checked_add(n).filter(|&end| end <= self.buf.len()) {
            Some(end) => {
                self.pos = end;
                self.buf.get_mut(start..end)
            }
            None => {
                self.fail(Errno::ENOBUFS);
                None
            }
        }
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) {
        if let Some(s) = self.slot(b.len()) {
            s.copy_from_slice(b);
        }
    }

    pub(crate) fn zeros(&mut self, n: usize) {
        if let Some(s) = self.slot(n) {
            s.fill(0);
        }
    }

    pub(crate) fn u8(&mut self, v: u8) {
        self.bytes(&[v]);
    }

    pub(crate) fn u16_ne(&mut self, v: u16) {
        self.bytes(&v.to_ne_bytes());
    }

    pub(crate) fn u32_ne(&mut self, v: u32) {
        self.bytes(&v.to_ne_bytes());
    }

    pub(crate) fn u64_ne(&mut self, v: u64) {
        self.bytes(&v.to_ne_bytes());
    }

    pub(crate) fn u16_be(&mut self, v: u16) {
        self.bytes(&v.to_be_bytes());
    }

    pub(crate) fn u32_be(&mut self, v: u32) {
        self.bytes(&v.to_be_bytes());
    }

    /// Zero bytes up to the next multiple of 8.
    pub(crate) fn pad8(&mut self) {
        match self
            .pos
            .checked_next_multiple_of(UNIT)
            .and_then(|end| end.checked_sub(self.pos))
        {
            Some(n) => self.zeros(n),
            None => self.fail(Errno::ENOBUFS),
        }
    }

    /// Stores at `at` the length written since `at`, in `unit`-byte units,
    /// as a host-order `u16`.
    pub(crate) fn patch_len_u16(&mut self, at: usize, unit: usize) {
        let len = self
            .pos
            .checked_sub(at)
            .and_then(|n| n.checked_div(unit))
            .and_then(|n| u16::try_from(n).ok());
        let end = at.checked_add(2);
        let field = end.and_then(|end| self.buf.get_mut(at..end));
        match (len, field) {
            (Some(len), Some(field)) => field.copy_from_slice(&len.to_ne_bytes()),
            (None, _) => self.fail(Errno::EMSGSIZE),
            (_, None) => self.fail(Errno::ENOBUFS),
        }
    }
}
