// SPDX-License-Identifier: GPL-2.0

//! An AEAD transform of the kernel crypto API (`struct crypto_aead`).
//!
//! C header: [include/crypto/aead.h](srctree/include/crypto/aead.h)
//!
//! ESP uses one per SA: the AEAD templates (`rfc4106(gcm(aes))`, ...) as
//! they are, other algorithms as `authenc(hmac(...),cbc(...))`. Only
//! synchronous implementations are asked for (`CRYPTO_ALG_ASYNC` masked
//! out) until the datapath handles completions.

use core::ptr::NonNull;

use kernel::error::from_err_ptr;
use kernel::prelude::*;

use super::bindings as glue_bindings;

/// `CRYPTO_ALG_ASYNC`.
const CRYPTO_ALG_ASYNC: u32 = 0x0000_0080;

/// An allocated AEAD transform; freed on drop (the kernel wipes the key
/// material with `kfree_sensitive`).
///
/// # Invariants
///
/// `ptr` is a transform from `crypto_alloc_aead`, not yet freed.
pub(crate) struct AeadTfm {
    ptr: NonNull<glue_bindings::crypto_aead>,
}

// SAFETY: a transform may be used and freed from any thread; setkey and
// setauthsize take `&mut self`, requests only read the transform.
unsafe impl Send for AeadTfm {}
// SAFETY: as above.
unsafe impl Sync for AeadTfm {}

impl AeadTfm {
    /// Allocates a synchronous implementation of `name` (may sleep: it can
    /// load modules). `ENOENT` when the kernel has no such algorithm.
    pub(crate) fn new(name: &CStr) -> Result<Self> {
        // SAFETY: `name` is a valid C string for the duration of the call.
        let raw =
            unsafe { glue_bindings::crypto_alloc_aead(name.as_char_ptr(), 0, CRYPTO_ALG_ASYNC) };
        let raw = from_err_ptr(raw)?;
        let ptr = NonNull::new(raw).ok_or(ENOMEM)?;
        // INVARIANT: just allocated.
        Ok(Self { ptr })
    }

    /// Sets the key (for `authenc`, the key blob).
    pub(crate) fn set_key(&mut self, key: &[u8]) -> Result {
        let len = u32::try_from(key.len()).map_err(|_| EINVAL)?;
        // SAFETY: `ptr` is live (invariant); `key` is readable for `len`
        // bytes; the API copies it.
        let rc = unsafe { glue_bindings::crypto_aead_setkey(self.ptr.as_ptr(), key.as_ptr(), len) };
        kernel::error::to_result(rc)
    }

    /// Sets the ICV length in bytes.
    pub(crate) fn set_authsize(&mut self, bytes: u32) -> Result {
        // SAFETY: `ptr` is live (invariant).
        let rc = unsafe { glue_bindings::crypto_aead_setauthsize(self.ptr.as_ptr(), bytes) };
        kernel::error::to_result(rc)
    }
}

impl Drop for AeadTfm {
    fn drop(&mut self) {
        // SAFETY: `ptr` is live (invariant) and not used after this.
        unsafe { glue_bindings::rust_ipsec_aead_free(self.ptr.as_ptr()) };
    }
}
