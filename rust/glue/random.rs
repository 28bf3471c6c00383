// SPDX-License-Identifier: GPL-2.0

//! Random bytes from the kernel's CSPRNG (`get_random_bytes`).

use kernel::bindings;

/// Fills `buf` with random bytes.
pub(crate) fn fill(buf: &mut [u8]) {
    // SAFETY: `buf` is writable for `buf.len()` bytes.
    unsafe { bindings::get_random_bytes(buf.as_mut_ptr().cast(), buf.len()) };
}
