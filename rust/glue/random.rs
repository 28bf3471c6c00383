// SPDX-License-Identifier: GPL-2.0

//! Random numbers from the kernel's CSPRNG (`get_random_bytes`,
//! `get_random_u16`).

use kernel::bindings;

/// Fills `buf` with random bytes.
pub(crate) fn fill(buf: &mut [u8]) {
    // SAFETY: `buf` is writable for `buf.len()` bytes.
    unsafe { bindings::get_random_bytes(buf.as_mut_ptr().cast(), buf.len()) };
}

/// A random 16-bit number (`get_random_u16`: from this CPU's batch of
/// random bytes, refilled only now and then, so cheap per packet).
pub(crate) fn u16() -> u16 {
    // SAFETY: no arguments; callable in any context.
    unsafe { bindings::get_random_u16() }
}
