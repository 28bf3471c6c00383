// SPDX-License-Identifier: GPL-2.0

//! The destination prefix lengths the policies of each direction use.
//!
//! The datapath indexes policies by (direction, destination prefix length,
//! destination network). A lookup then probes one bin per prefix length in
//! use for the packet's direction and family, instead of walking every
//! policy: with 100,000 policies on /24 networks it probes one bin, with
//! host (/32, /128), network and catch-all (/0) policies mixed, three.
//! [`masked`] gives a bin's network address.

use super::inet::Addr;

/// Directions counted: `IPSEC_DIR_ANY` (0) to `IPSEC_DIR_FWD` (3).
const DIRS: usize = 4;
/// IPv4 prefix lengths 0 to 32.
const V4_LENS: usize = 33;
/// IPv6 prefix lengths 0 to 128.
const V6_LENS: usize = 129;

/// Words of a bit set of prefix lengths 0 to 128.
const MASK_WORDS: usize = 3;

/// How many policies use each (direction, family, destination prefix
/// length), and, per direction and family, the set of lengths in use (so
/// that a lookup visits only those, without scanning 129 counters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrefixLengths {
    v4: [[u32; V4_LENS]; DIRS],
    v6: [[u32; V6_LENS]; DIRS],
    /// Lengths with a non-zero count: `[family][dir]`, bit `l` of word
    /// `l / 64`; family 0 is IPv4.
    used: [[[u64; MASK_WORDS]; DIRS]; 2],
}

impl Default for PrefixLengths {
    fn default() -> Self {
        Self::new()
    }
}

impl PrefixLengths {
    /// No policies.
    pub const fn new() -> Self {
        Self {
            v4: [[0; V4_LENS]; DIRS],
            v6: [[0; V6_LENS]; DIRS],
            used: [[[0; MASK_WORDS]; DIRS]; 2],
        }
    }

    fn slot(&mut self, dir: u8, v6: bool, plen: u8) -> Option<&mut u32> {
        let d = usize::from(dir);
        let l = usize::from(plen);
        if v6 {
            self.v6.get_mut(d)?.get_mut(l)
        } else {
            self.v4.get_mut(d)?.get_mut(l)
        }
    }

    /// Records in the bit set whether `plen` is in use (`on`).
    fn mark(&mut self, dir: u8, v6: bool, plen: u8, on: bool) {
        let l = usize::from(plen);
        let word = self
            .used
            .get_mut(usize::from(v6))
            .and_then(|f| f.get_mut(usize::from(dir)))
            .and_then(|m| m.get_mut(l / 64));
        if let Some(w) = word {
            let bit = 1u64 << (l % 64);
            if on {
                *w |= bit;
            } else {
                *w &= !bit;
            }
        }
    }

    /// Counts a policy of direction `dir` whose destination is `v6` (else
    /// IPv4) with prefix length `plen`. Returns false (and counts nothing)
    /// for a direction or length out of range: such a policy is never
    /// probed for, as it can match no packet.
    pub fn add(&mut self, dir: u8, v6: bool, plen: u8) -> bool {
        let first = match self.slot(dir, v6, plen) {
            Some(n) => {
                *n = n.saturating_add(1);
                *n == 1
            }
            None => return false,
        };
        if first {
            self.mark(dir, v6, plen, true);
        }
        true
    }

    /// Uncounts a policy [`PrefixLengths::add`] counted.
    pub fn remove(&mut self, dir: u8, v6: bool, plen: u8) {
        let last = match self.slot(dir, v6, plen) {
            Some(n) if *n > 0 => {
                *n -= 1;
                *n == 0
            }
            _ => false,
        };
        if last {
            self.mark(dir, v6, plen, false);
        }
    }

    /// The prefix lengths in use for direction `dir` and the family `v6`
    /// says, longest first.
    pub fn in_use(&self, dir: u8, v6: bool) -> impl Iterator<Item = u8> + '_ {
        let words = self
            .used
            .get(usize::from(v6))
            .and_then(|f| f.get(usize::from(dir)))
            .copied()
            .unwrap_or([0; MASK_WORDS]);
        SetBits {
            words,
            word: MASK_WORDS,
        }
    }
}

/// The set bits of a [`PrefixLengths`] bit set, highest first.
struct SetBits {
    words: [u64; MASK_WORDS],
    /// One past the word being taken apart.
    word: usize,
}

impl Iterator for SetBits {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        while self.word > 0 {
            let i = self.word - 1;
            let w = self.words.get_mut(i)?;
            if *w == 0 {
                self.word = i;
                continue;
            }
            let bit = 63 - w.leading_zeros();
            *w &= !(1u64 << bit);
            return u8::try_from(i * 64 + bit as usize).ok();
        }
        None
    }
}

/// `a` with every bit past the first `plen` cleared: the network a prefix
/// of that length around `a` names. `None` when `plen` is longer than the
/// address.
pub fn masked(a: &Addr, plen: u8) -> Option<Addr> {
    if plen > a.bits() {
        return None;
    }
    let mut out = *a;
    let octets: &mut [u8] = match &mut out {
        Addr::V4(o) => o,
        Addr::V6(o) => o,
    };
    let whole = usize::from(plen / 8);
    let rest = plen % 8;
    for (i, b) in octets.iter_mut().enumerate().skip(whole) {
        *b &= if i == whole && rest > 0 {
            0xffu8 << (8 - rest)
        } else {
            0
        };
    }
    Some(out)
}

#[cfg(test)]
mod tests;
