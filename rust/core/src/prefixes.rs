// SPDX-License-Identifier: GPL-2.0

//! The destination prefix lengths the policies of each direction use.
//!
//! The datapath indexes policies by (direction, destination prefix length,
//! destination network). A lookup then probes one bin per prefix length in
//! use for the packet's direction and family, instead of walking every
//! policy: with 100,000 policies on /24 networks it probes one bin, with
//! host (/32, /128), network and catch-all (/0) policies mixed, three.
//! [`masked`] gives a bin's network address.

use super::pfkey::sockaddr::Addr;

/// Directions counted: `IPSEC_DIR_ANY` (0) to `IPSEC_DIR_FWD` (3).
const DIRS: usize = 4;
/// IPv4 prefix lengths 0 to 32.
const V4_LENS: usize = 33;
/// IPv6 prefix lengths 0 to 128.
const V6_LENS: usize = 129;

/// How many policies use each (direction, family, destination prefix
/// length).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrefixLengths {
    v4: [[u32; V4_LENS]; DIRS],
    v6: [[u32; V6_LENS]; DIRS],
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

    /// Counts a policy of direction `dir` whose destination is `v6` (else
    /// IPv4) with prefix length `plen`. Returns false (and counts nothing)
    /// for a direction or length out of range: such a policy is never
    /// probed for, as it can match no packet.
    pub fn add(&mut self, dir: u8, v6: bool, plen: u8) -> bool {
        match self.slot(dir, v6, plen) {
            Some(n) => {
                *n = n.saturating_add(1);
                true
            }
            None => false,
        }
    }

    /// Uncounts a policy [`PrefixLengths::add`] counted.
    pub fn remove(&mut self, dir: u8, v6: bool, plen: u8) {
        if let Some(n) = self.slot(dir, v6, plen) {
            *n = n.saturating_sub(1);
        }
    }

    /// The prefix lengths in use for direction `dir` and the family `v6`
    /// says, longest first.
    pub fn in_use(&self, dir: u8, v6: bool) -> impl Iterator<Item = u8> + '_ {
        let counts: &[u32] = match (v6, self.v4.get(usize::from(dir))) {
            (false, Some(c)) => c,
            (true, _) => self.v6.get(usize::from(dir)).map_or(&[][..], |c| &c[..]),
            (false, None) => &[],
        };
        counts
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, n)| **n > 0)
            .filter_map(|(l, _)| u8::try_from(l).ok())
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
