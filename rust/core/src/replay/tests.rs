// SPDX-License-Identifier: GPL-2.0

//! Anti-replay window tables (after WireGuard's `selftest/counter.c`),
//! ESN inference at both edges, a model check against a naive set, and
//! the outbound counter.

use std::collections::BTreeSet;

use super::*;

use ReplayError::{Duplicate, Invalid, TooOld};

fn win(size: u32) -> ReplayWindow {
    ReplayWindow::new(size, false).unwrap()
}

fn esn(size: u32) -> ReplayWindow {
    ReplayWindow::new(size, true).unwrap()
}

/// Runs `(seq, expected result of advance)` steps.
fn run(w: &mut ReplayWindow, steps: &[(u64, Result<(), ReplayError>)]) {
    for (i, &(seq, want)) in steps.iter().enumerate() {
        assert_eq!(w.check(seq), want, "check step {i} seq {seq}");
        assert_eq!(w.advance(seq), want, "advance step {i} seq {seq}");
    }
}

#[test]
fn sizes() {
    assert!(ReplayWindow::new(4096, false).is_ok());
    assert_eq!(ReplayWindow::new(4097, true), Err(WindowTooLarge));
    assert_eq!(ReplayWindow::new(u32::MAX, false), Err(WindowTooLarge));
    let w = win(64);
    assert_eq!((w.size(), w.esn(), w.top()), (64, false, 0));
}

#[test]
fn counter_c_table_window_64() {
    // WireGuard's table, shifted by one (ESP starts at 1) and with a
    // window of exactly 64 packets.
    let mut w = win(64);
    run(
        &mut w,
        &[
            (1, Ok(())),
            (1, Err(Duplicate)),
            (2, Ok(())),
            (3, Ok(())),
            (3, Err(Duplicate)),
            (2, Err(Duplicate)),
            (65, Ok(())),
            (2, Err(Duplicate)),
            (1, Err(TooOld)),
            (66, Ok(())),
            (2, Err(TooOld)),
            (4, Ok(())),
            (4, Err(Duplicate)),
            (3, Err(Duplicate)),
            (66, Err(Duplicate)),
            (200, Ok(())),
            (137, Ok(())),
            (136, Err(TooOld)),
            (137, Err(Duplicate)),
            (199, Ok(())),
            (199, Err(Duplicate)),
        ],
    );
}

#[test]
fn zero_is_invalid() {
    for size in [0, 32, 4096] {
        assert_eq!(win(size).check(0), Err(Invalid));
        assert_eq!(esn(size.max(1)).check(0), Err(Invalid));
    }
    // Without ESN nothing beyond 32 bits exists.
    assert_eq!(win(64).check(1 << 32), Err(Invalid));
    assert_eq!(win(64).check(u64::from(u32::MAX)), Ok(()));
    assert_eq!(esn(64).check(1 << 32), Ok(()));
}

#[test]
fn in_window_out_of_order() {
    for size in [32u32, 64, 1000, 4096] {
        let mut w = win(size);
        let top = u64::from(size) * 3;
        assert_eq!(w.advance(top), Ok(()));
        // Everything in the window is new exactly once.
        for s in (top - u64::from(size) + 1..top).rev() {
            assert_eq!(w.advance(s), Ok(()), "size {size} seq {s}");
            assert_eq!(w.check(s), Err(Duplicate));
        }
        assert_eq!(w.check(top - u64::from(size)), Err(TooOld), "size {size}");
        assert_eq!(w.check(top), Err(Duplicate));
        assert_eq!(w.top(), top);
    }
}

#[test]
fn advance_by_more_than_window() {
    for size in [32u32, 64, 1000, 4096] {
        let s = u64::from(size);
        let mut w = win(size);
        for seq in 1..=s {
            w.advance(seq).unwrap();
        }
        // Jump far: everything old is too old, the new window is empty
        // (no stale bits from the ring's previous lap).
        let top = 10 * s + 7;
        w.advance(top).unwrap();
        assert_eq!(w.check(s), Err(TooOld));
        for seq in top - s + 1..top {
            assert_eq!(w.check(seq), Ok(()), "size {size} seq {seq}");
        }
        // A jump of exactly the window, and of exactly the ring size.
        w.advance(top + s).unwrap();
        assert_eq!(w.check(top), Err(TooOld));
        assert_eq!(w.check(top + 1), Ok(()));
        w.advance(top + s + 4096).unwrap();
        let want = if size == 4096 { Ok(()) } else { Err(TooOld) };
        assert_eq!(w.check(top + s + 1), want);
    }
}

#[test]
fn ring_positions_reused_correctly() {
    // After exactly one lap of the ring the same bit positions hold new
    // sequence numbers: the old marks must be gone.
    let mut w = win(4096);
    for seq in 1..=4096 {
        w.advance(seq).unwrap();
    }
    for seq in 4097..=8192 {
        assert_eq!(w.check(seq), Ok(()), "{seq}");
        w.advance(seq).unwrap();
        assert_eq!(w.check(seq - 4096), Err(TooOld));
    }
    // Partial advances across word boundaries.
    let mut w = win(4096);
    w.advance(100).unwrap();
    w.advance(4000).unwrap();
    w.advance(4196).unwrap();
    assert_eq!(w.check(100), Err(TooOld));
    assert_eq!(w.check(101), Ok(()));
    assert_eq!(w.check(4000), Err(Duplicate));
    assert_eq!(w.check(4196 - 4095), Ok(()));
}

#[test]
fn window_zero_disables_checks() {
    let mut w = win(0);
    for seq in [5u64, 5, 1, 1, 100_000, 3] {
        assert_eq!(w.check(seq), Ok(()));
        assert_eq!(w.advance(seq), Ok(()));
    }
    assert_eq!(w.top(), 100_000);
    assert_eq!(w.check(0), Err(Invalid));
}

#[test]
fn window_one() {
    let mut w = win(1);
    run(
        &mut w,
        &[
            (1, Ok(())),
            (1, Err(Duplicate)),
            (3, Ok(())),
            (2, Err(TooOld)),
        ],
    );
}

/// A naive model: every sequence number ever accepted, and the top.
struct Model {
    seen: BTreeSet<u64>,
    top: u64,
    size: u64,
}

impl Model {
    fn accept(&mut self, seq: u64) -> Result<(), ReplayError> {
        if seq == 0 {
            return Err(Invalid);
        }
        if self.size != 0 && seq <= self.top {
            if self.top - seq >= self.size {
                return Err(TooOld);
            }
            if self.seen.contains(&seq) {
                return Err(Duplicate);
            }
        }
        self.seen.insert(seq);
        self.top = self.top.max(seq);
        Ok(())
    }
}

#[test]
fn matches_naive_model() {
    let mut rng = 0x1234_5678_9abc_def0u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for size in [1u32, 32, 64, 65, 1000, 4095, 4096] {
        let mut w = win(size);
        let mut m = Model {
            seen: BTreeSet::new(),
            top: 0,
            size: u64::from(size),
        };
        let mut base = 1u64;
        for _ in 0..20_000 {
            let r = next();
            let seq = match r % 8 {
                // Mostly near the top, some far ahead, some replays.
                0 => base + (r >> 8) % 9000,
                1..=4 => (base + 64).saturating_sub((r >> 8) % (u64::from(size) + 200)),
                _ => m
                    .top
                    .saturating_sub((r >> 8) % (u64::from(size) + 2))
                    .max(1),
            };
            let want = m.accept(seq);
            assert_eq!(w.check(seq), want, "size {size} seq {seq} top {}", w.top());
            assert_eq!(w.advance(seq), want);
            base = m.top;
        }
    }
}

#[test]
fn esn_seq_hi_inference_case_a() {
    // Window within one subspace: Tl >= W - 1.
    let mut w = esn(64);
    w.advance((5 << 32) | 1000).unwrap();
    // At or above the bottom (1000 - 63): same subspace.
    assert_eq!(w.infer_seq_hi(937), 5);
    assert_eq!(w.infer_seq_hi(1000), 5);
    assert_eq!(w.infer_seq_hi(u32::MAX), 5);
    // Below the bottom: the next subspace (the low half wrapped).
    assert_eq!(w.infer_seq_hi(936), 6);
    assert_eq!(w.infer_seq_hi(0), 6);
    assert_eq!(w.seq_from_wire(5), (6 << 32) | 5);

    // The edge Tl == W - 1 is still case A, with the bottom at 0.
    let mut w = esn(64);
    w.advance(63).unwrap();
    assert_eq!(w.infer_seq_hi(0), 0);
    assert_eq!(w.infer_seq_hi(u32::MAX), 0);
    // One more and low half 0 belongs to the next subspace.
    w.advance(64).unwrap();
    assert_eq!(w.infer_seq_hi(0), 1);
    assert_eq!(w.infer_seq_hi(1), 0);
}

#[test]
fn esn_seq_hi_inference_case_b() {
    // Window spans two subspaces: Tl < W - 1.
    let mut w = esn(64);
    w.advance((7 << 32) | 10).unwrap();
    // bottom = 10 - 63 mod 2^32 = 0xffffffcb.
    assert_eq!(w.infer_seq_hi(0xffff_ffcb), 6);
    assert_eq!(w.infer_seq_hi(u32::MAX), 6);
    assert_eq!(w.infer_seq_hi(0xffff_ffca), 7);
    assert_eq!(w.infer_seq_hi(0), 7);
    assert_eq!(w.infer_seq_hi(10), 7);
    assert_eq!(w.infer_seq_hi(11), 7);
    // Subspace 0 has no predecessor: stay in 0 (Linux would wrap).
    let mut w = esn(64);
    w.advance(10).unwrap();
    assert_eq!(w.infer_seq_hi(u32::MAX), 0);
    assert_eq!(esn(64).infer_seq_hi(1), 0);
    // Without ESN there is no high half.
    let mut w = win(64);
    w.advance(u64::from(u32::MAX)).unwrap();
    assert_eq!(w.infer_seq_hi(0), 0);
}

#[test]
fn esn_low_half_wrap() {
    for size in [32u32, 64, 1000, 4096] {
        let mut w = esn(size);
        let start = (1u64 << 32) - 10;
        for seq in start..start + 5 {
            let lo = split(seq).1;
            let full = w.seq_from_wire(lo);
            assert_eq!(full, seq);
            w.advance(full).unwrap();
        }
        // Cross 2^32: the low half wraps to 0, inferred into subspace 1.
        for seq in start + 5..start + 20 {
            let (hi, lo) = split(seq);
            assert_eq!(w.infer_seq_hi(lo), hi, "size {size} seq {seq:#x}");
            w.advance(w.seq_from_wire(lo)).unwrap();
        }
        assert_eq!(w.top(), start + 19);
        // Late packets from before the wrap are still recognised: in the
        // window and new, or duplicates.
        let late = start + 2;
        assert_eq!(w.seq_from_wire(split(late).1), late);
        assert_eq!(w.check(late), Err(Duplicate));
        let fresh = start - 1;
        if u64::from(size) > w.top() - fresh {
            assert_eq!(w.check(w.seq_from_wire(split(fresh).1)), Ok(()));
        }
        // Duplicates right after the wrap.
        assert_eq!(w.check(w.seq_from_wire(0)), Err(Duplicate));
    }
}

#[test]
fn esn_window_zero_still_infers() {
    let mut w = esn(0);
    w.advance((3 << 32) | 5).unwrap();
    assert_eq!(w.infer_seq_hi(5), 3);
    assert_eq!(w.infer_seq_hi(4), 4);
    assert_eq!(w.check((3 << 32) | 5), Ok(()));
}

#[test]
fn outbound_32_bit_stops() {
    let mut s = OutboundSeq::new(false);
    assert_eq!(s.next_seq(), Ok(1));
    assert_eq!(s.next_seq(), Ok(2));
    assert_eq!(s.last(), 2);
    let mut s = OutboundSeq::starting_after(u64::from(u32::MAX) - 1, false);
    assert_eq!(s.next_seq(), Ok(u64::from(u32::MAX)));
    assert_eq!(s.next_seq(), Err(SeqOverflow));
    assert_eq!(s.next_seq(), Err(SeqOverflow));
    assert_eq!(s.last(), u64::from(u32::MAX));
}

#[test]
fn outbound_esn_continues_past_32_bits() {
    let mut s = OutboundSeq::starting_after(u64::from(u32::MAX), true);
    assert_eq!(s.next_seq(), Ok(1 << 32));
    assert_eq!(split(1 << 32), (1, 0));
    let mut s = OutboundSeq::starting_after(u64::MAX - 1, true);
    assert_eq!(s.next_seq(), Ok(u64::MAX));
    assert_eq!(s.next_seq(), Err(SeqOverflow));
}

#[test]
fn an_update_continues_the_window_and_the_counter() {
    let mut old = win(32);
    for s in [1, 2, 5, 40] {
        old.advance(s).unwrap();
    }
    // Same size: the very window.
    let mut same = win(32);
    same.continue_from(&old);
    assert_eq!(same, old);
    assert_eq!(same.check(40), Err(ReplayError::Duplicate));
    assert_eq!(same.check(39), Ok(()));
    // Another size: everything up to the top counts as received.
    let mut bigger = win(128);
    bigger.continue_from(&old);
    assert_eq!(bigger.size(), 128);
    assert_eq!(bigger.check(39), Err(ReplayError::Duplicate));
    assert_eq!(bigger.check(41), Ok(()));
    // An ESN change starts afresh.
    let mut e = esn(32);
    e.continue_from(&old);
    assert_eq!(e.check(40), Ok(()));

    let mut out = OutboundSeq::new(false);
    for _ in 0..7 {
        out.next_seq().unwrap();
    }
    let mut next = OutboundSeq::new(false);
    next.continue_from(&out);
    assert_eq!(next.next_seq(), Ok(8));
    let mut e = OutboundSeq::new(true);
    e.continue_from(&out);
    assert_eq!(e.next_seq(), Ok(1));
}
