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
use super::netfilter::HookPacket;

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

/// Where in a packet's linear data a request works: `len` bytes at
/// `offset`, then an `icv`-byte ICV (written by encryption after them;
/// included in `len` for decryption).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Region {
    /// Start of the encrypted part.
    pub(crate) offset: usize,
    /// Plaintext bytes (encrypt) or ciphertext and ICV bytes (decrypt).
    pub(crate) len: usize,
    /// ICV bytes.
    pub(crate) icv: usize,
}

impl AeadTfm {
    /// Encrypts `r` of `pkt` in place with associated data `ad` and IV
    /// `iv`, writing the ICV after it (room reserved by the caller).
    pub(crate) fn encrypt_packet(
        &self,
        ad: &[u8],
        iv: &[u8],
        pkt: &mut HookPacket,
        r: Region,
    ) -> Result {
        self.crypt(true, ad, iv, pkt, r)
    }

    /// Decrypts and verifies `r` of `pkt` in place; `EBADMSG` when the ICV
    /// does not match.
    pub(crate) fn decrypt_packet(
        &self,
        ad: &[u8],
        iv: &[u8],
        pkt: &mut HookPacket,
        r: Region,
    ) -> Result {
        self.crypt(false, ad, iv, pkt, r)
    }

    fn crypt(
        &self,
        encrypt: bool,
        ad: &[u8],
        iv: &[u8],
        pkt: &mut HookPacket,
        r: Region,
    ) -> Result {
        let end = r
            .offset
            .checked_add(r.len)
            .and_then(|e| e.checked_add(if encrypt { r.icv } else { 0 }))
            .ok_or(EINVAL)?;
        let data = pkt.data_mut();
        if end > data.len() {
            return Err(EINVAL);
        }
        let region = data.get_mut(r.offset..).ok_or(EINVAL)?.as_mut_ptr();
        let len = u32::try_from(r.len).map_err(|_| EINVAL)?;
        let icv = u32::try_from(r.icv).map_err(|_| EINVAL)?;
        let adlen = u32::try_from(ad.len()).map_err(|_| EINVAL)?;
        let ivlen = u32::try_from(iv.len()).map_err(|_| EINVAL)?;
        // SAFETY: `ptr` is live (invariant). `region` points into the
        // packet's heap data (not the stack, as scatterlists need) with
        // `len` (+ `icv` when encrypting) bytes checked above; `ad` and
        // `iv` are read for their lengths and copied by the shim, which
        // refuses an IV of another length than the transform's.
        let rc = unsafe {
            glue_bindings::rust_ipsec_aead_crypt(
                self.ptr.as_ptr(),
                encrypt,
                ad.as_ptr(),
                adlen,
                iv.as_ptr(),
                ivlen,
                region,
                len,
                icv,
            )
        };
        kernel::error::to_result(rc)
    }
}

impl Drop for AeadTfm {
    fn drop(&mut self) {
        // SAFETY: `ptr` is live (invariant) and not used after this.
        unsafe { glue_bindings::rust_ipsec_aead_free(self.ptr.as_ptr()) };
    }
}

/// The per-CPU memory AEAD requests are built in, so that a packet costs
/// no allocation; held while the module is loaded and freed after every
/// transform user is gone (the module drops it last). Without it (no
/// memory at load), each request allocates its own, as before.
pub(crate) struct CryptoScratch {
    _private: (),
}

impl CryptoScratch {
    /// Allocates the scratch (may sleep).
    pub(crate) fn acquire() -> Self {
        // SAFETY: no arguments; fills a per-CPU static only the shims read.
        if !unsafe { glue_bindings::rust_ipsec_crypto_scratch_init() } {
            pr_warn!("no memory for the per-CPU crypto scratch: requests will allocate\n");
        }
        Self { _private: () }
    }
}

impl Drop for CryptoScratch {
    fn drop(&mut self) {
        // SAFETY: the hooks and sockets that run requests are gone (the
        // module drops this last); frees what `acquire` allocated.
        unsafe { glue_bindings::rust_ipsec_crypto_scratch_free() };
    }
}
