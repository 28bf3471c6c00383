// SPDX-License-Identifier: GPL-2.0

//! Sequence numbers: the inbound anti-replay window (RFC 4303 section 3.4.3,
//! with extended sequence numbers per Appendix A) and the outbound counter.
//!
//! C source: [net/xfrm/xfrm_replay.c](srctree/net/xfrm/xfrm_replay.c)
//! (`xfrm_replay_check_esn`, `xfrm_replay_advance_esn`,
//! `xfrm_replay_seqhi`, `xfrm_replay_overflow`).
//!
//! The window is a ring of 4096 bits, as RFC 6479 proposes: sequence number
//! `s` lives at bit `s % 4096` and nothing is ever shifted. RFC 6479 clears
//! whole 64-bit blocks when the window moves, which needs one spare block
//! beyond the window; here the bits of exactly the newly covered sequence
//! numbers are cleared (with word masks), so the full 4096 bits serve a
//! window of up to [`MAX_WINDOW`] packets.
//!
//! Inbound use, as the datapath plan (section 2.4) says: under the SA lock
//! [`ReplayWindow::seq_from_wire`] and [`ReplayWindow::check`] before
//! decryption; after the ICV is verified, [`ReplayWindow::advance`] (which
//! checks again) under the lock.

use super::sadb::MAX_REPLAY_WINDOW;

/// Largest window in packets: the bitmap size.
pub const MAX_WINDOW: u32 = MAX_REPLAY_WINDOW;

const WORDS: usize = 64;
const BITS: u64 = 64 * WORDS as u64;

/// Why a sequence number is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplayError {
    /// Sequence number 0 is never sent (RFC 4303 section 3.3.3), nor a
    /// number outside the 32-bit space of an SA without ESN.
    Invalid,
    /// Already received.
    Duplicate,
    /// Left of the window.
    TooOld,
}

/// A window size larger than [`MAX_WINDOW`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowTooLarge;

/// The inbound anti-replay state of one SA.
///
/// # Invariants
///
/// `size <= MAX_WINDOW`; bit `s % 4096` is set iff sequence number `s`
/// with `top - s < size` (or `top - s < 4096` when `size` is 0) was
/// received; `top` is the highest sequence number received (0: none).
#[derive(Clone, PartialEq, Eq)]
pub struct ReplayWindow {
    bitmap: [u64; WORDS],
    top: u64,
    size: u32,
    esn: bool,
}

impl core::fmt::Debug for ReplayWindow {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ReplayWindow")
            .field("top", &self.top)
            .field("size", &self.size)
            .field("esn", &self.esn)
            .finish_non_exhaustive()
    }
}

/// Word index and bit mask of sequence number `seq` in the ring.
fn slot(seq: u64) -> (usize, u64) {
    let bit = seq % BITS;
    // `bit / 64 < WORDS`, so the conversion cannot fail.
    let word = usize::try_from(bit / 64).unwrap_or(0);
    (word, 1u64 << (bit % 64))
}

impl ReplayWindow {
    /// A window of `size` packets (0: no replay check) for an SA with or
    /// without extended sequence numbers. Nothing received yet.
    pub const fn new(size: u32, esn: bool) -> Result<Self, WindowTooLarge> {
        if size > MAX_WINDOW {
            return Err(WindowTooLarge);
        }
        Ok(ReplayWindow {
            bitmap: [0; WORDS],
            top: 0,
            size,
            esn,
        })
    }

    /// Takes over what `old`, the window of the SA this one replaces (a
    /// PF_KEY UPDATE of a mature SA, as when a NAT re-maps), received: the
    /// whole window when size and ESN agree; with another size, the
    /// highest number received, everything up to it counting as received
    /// (late packets are refused rather than replays let in). A change of
    /// ESN starts afresh.
    pub fn continue_from(&mut self, old: &ReplayWindow) {
        if self.esn != old.esn {
            return;
        }
        if self.size == old.size {
            *self = old.clone();
            return;
        }
        self.top = old.top;
        self.bitmap = [u64::MAX; WORDS];
    }

    /// The window size in packets (0: replay checks off).
    pub const fn size(&self) -> u32 {
        self.size
    }

    /// Whether the SA uses extended sequence numbers.
    pub const fn esn(&self) -> bool {
        self.esn
    }

    /// The highest sequence number received so far (0: none).
    pub const fn top(&self) -> u64 {
        self.top
    }

    /// The high 32 bits of the sequence number of a packet carrying
    /// `seq_lo` (RFC 4303 Appendix A2.2; 0 without ESN).
    ///
    /// Unlike Linux's `xfrm_replay_seqhi`, a packet that would belong to
    /// the subspace before the first one (`seq_hi` 0 and `seq_lo` just
    /// below 2^32) is put in subspace 0 instead of wrapping to
    /// `0xffffffff`; either way it will fail the ICV check.
    pub fn infer_seq_hi(&self, seq_lo: u32) -> u32 {
        if !self.esn {
            return 0;
        }
        let (th, tl) = split(self.top);
        // A window of 0 still needs one for the inference.
        let w = self.size.max(1);
        let bottom = tl.wrapping_sub(w - 1);
        if tl >= w - 1 {
            // Case A: the window lies within one subspace.
            if seq_lo >= bottom {
                th
            } else {
                th.wrapping_add(1)
            }
        } else if seq_lo >= bottom {
            // Case B, the packet is in the previous subspace.
            th.checked_sub(1).unwrap_or(th)
        } else {
            th
        }
    }

    /// The full sequence number of a packet carrying `seq_lo` on the wire.
    pub fn seq_from_wire(&self, seq_lo: u32) -> u64 {
        (u64::from(self.infer_seq_hi(seq_lo)) << 32) | u64::from(seq_lo)
    }

    /// Whether `seq` may be accepted (before decryption).
    pub fn check(&self, seq: u64) -> Result<(), ReplayError> {
        if seq == 0 || (!self.esn && seq > u64::from(u32::MAX)) {
            return Err(ReplayError::Invalid);
        }
        if self.size == 0 || seq > self.top {
            return Ok(());
        }
        let diff = self.top - seq;
        if diff >= u64::from(self.size) {
            return Err(ReplayError::TooOld);
        }
        let (word, mask) = slot(seq);
        match self.bitmap.get(word) {
            Some(w) if w & mask == 0 => Ok(()),
            _ => Err(ReplayError::Duplicate),
        }
    }

    /// Records `seq` as received (after its ICV was verified), checking it
    /// again first: another packet may have advanced the window meanwhile.
    pub fn advance(&mut self, seq: u64) -> Result<(), ReplayError> {
        self.check(seq)?;
        if seq > self.top {
            let fresh = seq - self.top;
            self.clear_after_top(fresh);
            self.top = seq;
        }
        let (word, mask) = slot(seq);
        if let Some(w) = self.bitmap.get_mut(word) {
            *w |= mask;
        }
        Ok(())
    }

    /// Clears the bits of the `count` sequence numbers after `top`.
    fn clear_after_top(&mut self, count: u64) {
        if count >= BITS {
            self.bitmap = [0; WORDS];
            return;
        }
        let mut seq = self.top.wrapping_add(1);
        let mut left = count;
        while left > 0 {
            let bit = seq % 64;
            let n = left.min(64 - bit);
            let ones = if n == 64 { u64::MAX } else { (1u64 << n) - 1 };
            let (word, _) = slot(seq);
            if let Some(w) = self.bitmap.get_mut(word) {
                *w &= !(ones << bit);
            }
            seq = seq.wrapping_add(n);
            left -= n;
        }
    }
}

/// The high and low halves of a 64-bit sequence number.
pub const fn split(seq: u64) -> (u32, u32) {
    ((seq >> 32) as u32, seq as u32)
}

/// The sender's counter ran out: the SA must not send again (RFC 4303
/// section 3.3.3; drop and expire the SA, as `xfrm_replay_overflow`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeqOverflow;

/// The outbound sequence number counter of one SA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutboundSeq {
    last: u64,
    esn: bool,
}

impl OutboundSeq {
    /// A counter that has sent nothing (the first number is 1).
    pub const fn new(esn: bool) -> Self {
        Self::starting_after(0, esn)
    }

    /// Goes on from `old`, the counter of the SA this one replaces (a
    /// PF_KEY UPDATE), so the peer's replay window accepts what follows;
    /// a change of ESN starts afresh.
    pub fn continue_from(&mut self, old: &OutboundSeq) {
        if self.esn == old.esn {
            self.last = old.last;
        }
    }

    /// A counter whose last number sent was `last` (for tests and for
    /// restoring state).
    pub const fn starting_after(last: u64, esn: bool) -> Self {
        OutboundSeq { last, esn }
    }

    /// The last number handed out (0: none).
    pub const fn last(&self) -> u64 {
        self.last
    }

    /// The next sequence number. Without ESN the counter stops after
    /// 2^32 - 1 instead of cycling; with ESN after 2^64 - 1. After an
    /// error it keeps failing.
    pub fn next_seq(&mut self) -> Result<u64, SeqOverflow> {
        let limit = if self.esn {
            u64::MAX
        } else {
            u64::from(u32::MAX)
        };
        if self.last >= limit {
            return Err(SeqOverflow);
        }
        self.last += 1;
        Ok(self.last)
    }
}

#[cfg(test)]
mod tests;
