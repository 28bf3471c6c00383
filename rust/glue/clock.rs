// SPDX-License-Identifier: GPL-2.0

//! Wall-clock seconds (PF_KEY lifetimes) and random numbers (SPIs).
//!
//! C header: [include/linux/timekeeping.h](srctree/include/linux/timekeeping.h)

use kernel::bindings;

/// Seconds since the epoch, as PF_KEY lifetimes count them.
pub(crate) fn now_seconds() -> u64 {
    // SAFETY: reads the clock; callable from any context.
    let t = unsafe { bindings::ktime_get_real_seconds() };
    u64::try_from(t).unwrap_or(0)
}

/// A random 32-bit number.
pub(crate) fn random_u32() -> u32 {
    // SAFETY: callable from any context once the RNG is up (always, for
    // modules).
    unsafe { bindings::get_random_u32() }
}
