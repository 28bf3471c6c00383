// SPDX-License-Identifier: GPL-2.0

//! What the datapath counts per SA, and when those counts reach the SA's
//! byte and packet ("allocations") limits.
//!
//! PF_KEY's `sadb_lifetime_allocations` is a packet count, as in Linux's
//! af_key (`lft.hard_packet_limit`). The datapath counts every packet it
//! protects or accepts with the SA; [`SaUsage::count`] says when the
//! caller must tell PF_KEY (first use of an SA with a use-time limit, a
//! soft or hard limit just reached), each at most once. After the hard
//! limit the SA is [`SaUsage::exhausted`] and must not be used again,
//! even before PF_KEY removes it and sends SADB_EXPIRE.

use super::sadb::{LifetimeCurrent, LifetimeLimits};

/// What a counted packet means for PF_KEY.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UsageEvent {
    /// Nothing to tell.
    None,
    /// The first use of an SA whose use-time limit now starts running.
    FirstUse,
    /// A soft byte or packet limit was reached with this packet.
    Soft,
    /// A hard byte or packet limit was reached with this packet.
    Hard,
}

/// Per-SA counters kept by the datapath.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SaUsage {
    /// Packets processed.
    pub packets: u64,
    /// Bytes processed (the IP packet, as the SADB counts them).
    pub bytes: u64,
    /// First use, seconds; 0 = never used.
    pub first_use: u64,
    soft_told: bool,
    hard_reached: bool,
}

/// Whether the byte or packet part of `limits` is reached.
fn counts_reached(limits: &Option<LifetimeLimits>, packets: u64, bytes: u64) -> bool {
    limits.is_some_and(|l| {
        (l.allocations != 0 && packets >= u64::from(l.allocations))
            || (l.bytes != 0 && bytes >= l.bytes)
    })
}

/// Whether `limits` has a use-time limit.
fn has_usetime(limits: &Option<LifetimeLimits>) -> bool {
    limits.is_some_and(|l| l.usetime != 0)
}

impl SaUsage {
    /// Counters continuing from the SADB's `current` (an SA that was
    /// updated keeps what it had counted).
    pub fn from_current(cur: &LifetimeCurrent) -> Self {
        SaUsage {
            packets: u64::from(cur.allocations),
            bytes: cur.bytes,
            first_use: cur.usetime,
            soft_told: false,
            hard_reached: false,
        }
    }

    /// Whether the hard limit was reached: the SA must not be used.
    pub fn exhausted(&self) -> bool {
        self.hard_reached
    }

    /// Counts one packet of `bytes` bytes against the `soft` and `hard`
    /// limits; `now` (seconds) is asked only at the first use.
    pub fn count(
        &mut self,
        bytes: u64,
        now: impl FnOnce() -> u64,
        soft: &Option<LifetimeLimits>,
        hard: &Option<LifetimeLimits>,
    ) -> UsageEvent {
        self.packets = self.packets.saturating_add(1);
        self.bytes = self.bytes.saturating_add(bytes);
        let first = self.first_use == 0;
        if first {
            self.first_use = now().max(1);
        }
        if !self.hard_reached && counts_reached(hard, self.packets, self.bytes) {
            // Past the hard limit, the soft one has nothing left to say.
            self.hard_reached = true;
            self.soft_told = true;
            return UsageEvent::Hard;
        }
        if !self.soft_told && counts_reached(soft, self.packets, self.bytes) {
            self.soft_told = true;
            return UsageEvent::Soft;
        }
        if first && (has_usetime(soft) || has_usetime(hard)) {
            return UsageEvent::FirstUse;
        }
        UsageEvent::None
    }

    /// Copies the counters into the SADB's `current` (creation time stays).
    pub fn store(&self, cur: &mut LifetimeCurrent) {
        cur.allocations = u32::try_from(self.packets).unwrap_or(u32::MAX);
        cur.bytes = self.bytes;
        if self.first_use != 0 {
            cur.usetime = self.first_use;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(packets: u32, bytes: u64, usetime: u64) -> Option<LifetimeLimits> {
        Some(LifetimeLimits {
            allocations: packets,
            bytes,
            addtime: 0,
            usetime,
        })
    }

    #[test]
    fn no_limits_nothing_to_tell() {
        let mut u = SaUsage::default();
        for _ in 0..100 {
            assert_eq!(u.count(1500, || 10, &None, &None), UsageEvent::None);
        }
        assert_eq!((u.packets, u.bytes, u.first_use), (100, 150_000, 10));
        assert!(!u.exhausted());
    }

    #[test]
    fn packet_limits_soft_then_hard_once_each() {
        let (soft, hard) = (limits(3, 0, 0), limits(5, 0, 0));
        let mut u = SaUsage::default();
        let events: [UsageEvent; 7] = core::array::from_fn(|_| u.count(100, || 1, &soft, &hard));
        use UsageEvent::*;
        assert_eq!(events, [None, None, Soft, None, Hard, None, None]);
        assert!(u.exhausted());
    }

    #[test]
    fn byte_limits() {
        let (soft, hard) = (limits(0, 1000, 0), limits(0, 2000, 0));
        let mut u = SaUsage::default();
        assert_eq!(u.count(999, || 1, &soft, &hard), UsageEvent::None);
        assert_eq!(u.count(1, || 1, &soft, &hard), UsageEvent::Soft);
        assert_eq!(u.count(999, || 1, &soft, &hard), UsageEvent::None);
        assert!(!u.exhausted());
        assert_eq!(u.count(1, || 1, &soft, &hard), UsageEvent::Hard);
        assert!(u.exhausted());
    }

    #[test]
    fn hard_reached_first_hides_soft() {
        // One big packet crosses both: hard wins, soft is not told after.
        let (soft, hard) = (limits(0, 100, 0), limits(0, 200, 0));
        let mut u = SaUsage::default();
        assert_eq!(u.count(500, || 1, &soft, &hard), UsageEvent::Hard);
        assert_eq!(u.count(500, || 1, &soft, &hard), UsageEvent::None);
    }

    #[test]
    fn first_use_told_only_with_a_usetime_limit() {
        let mut u = SaUsage::default();
        assert_eq!(
            u.count(1, || 7, &limits(0, 0, 30), &None),
            UsageEvent::FirstUse
        );
        assert_eq!(u.count(1, || 8, &limits(0, 0, 30), &None), UsageEvent::None);
        assert_eq!(u.first_use, 7);
        let mut v = SaUsage::default();
        assert_eq!(v.count(1, || 7, &None, &limits(9, 0, 0)), UsageEvent::None);
    }

    #[test]
    fn round_trip_through_current() {
        let cur = LifetimeCurrent {
            allocations: 4,
            bytes: 400,
            addtime: 1000,
            usetime: 1001,
        };
        let mut u = SaUsage::from_current(&cur);
        // Continuing an updated SA: the limit counts what came before.
        assert_eq!(
            u.count(100, || 1002, &None, &limits(5, 0, 0)),
            UsageEvent::Hard
        );
        let mut back = cur;
        u.store(&mut back);
        assert_eq!(
            back,
            LifetimeCurrent {
                allocations: 5,
                bytes: 500,
                addtime: 1000,
                usetime: 1001
            }
        );
        // A never-used SA keeps usetime 0.
        let mut fresh = LifetimeCurrent::default();
        SaUsage::default().store(&mut fresh);
        assert_eq!(fresh.usetime, 0);
    }

    #[test]
    fn counters_saturate() {
        let mut u = SaUsage {
            packets: u64::MAX,
            bytes: u64::MAX - 1,
            ..SaUsage::default()
        };
        u.count(10, || 1, &None, &None);
        assert_eq!((u.packets, u.bytes), (u64::MAX, u64::MAX));
        let mut cur = LifetimeCurrent::default();
        u.store(&mut cur);
        assert_eq!(cur.allocations, u32::MAX);
    }
}
