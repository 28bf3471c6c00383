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
use core::sync::atomic::{AtomicUsize, Ordering};

use core::alloc::Layout;
use kernel::alloc::allocator::Kmalloc;
use kernel::alloc::{Allocator, NumaNode};
use kernel::bindings;
use kernel::cpu::CpuId;
use kernel::cpumask::Cpumask;
use kernel::error::from_err_ptr;
use kernel::prelude::*;

use super::bindings as glue_bindings;
use super::skb::Skb;

/// `CRYPTO_ALG_ASYNC`.
const CRYPTO_ALG_ASYNC: u32 = 0x0000_0080;

/// An allocated AEAD transform; freed on drop (the kernel wipes the key
/// material with `kfree_sensitive`).
///
/// # Invariants
///
/// `ptr` is a transform from `crypto_alloc_aead`, not yet freed; `base` is
/// its `struct crypto_tfm`; `ivsize` and `reqsize` are its IV and request
/// context sizes (fixed when it was allocated).
pub(crate) struct AeadTfm {
    ptr: NonNull<glue_bindings::crypto_aead>,
    base: *mut glue_bindings::crypto_tfm,
    ivsize: usize,
    reqsize: usize,
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
        // SAFETY: `ptr` was just allocated; these read what the transform
        // was created with, which nothing changes afterwards.
        let (base, ivsize, reqsize) = unsafe {
            (
                glue_bindings::rust_ipsec_crypto_aead_tfm(ptr.as_ptr()),
                glue_bindings::rust_ipsec_aead_ivsize(ptr.as_ptr()),
                glue_bindings::rust_ipsec_aead_reqsize(ptr.as_ptr()),
            )
        };
        // INVARIANT: just allocated; its base and sizes read above (every
        // packet needs them: read once, not per request).
        Ok(Self {
            ptr,
            base,
            ivsize: ivsize as usize,
            reqsize: reqsize as usize,
        })
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
    pub(crate) fn encrypt_packet(&self, ad: &[u8], iv: &[u8], pkt: &mut Skb, r: Region) -> Result {
        self.crypt(true, ad, iv, pkt, r)
    }

    /// Decrypts and verifies `r` of `pkt` in place; `EBADMSG` when the ICV
    /// does not match.
    pub(crate) fn decrypt_packet(&self, ad: &[u8], iv: &[u8], pkt: &mut Skb, r: Region) -> Result {
        self.crypt(false, ad, iv, pkt, r)
    }

    fn crypt(&self, encrypt: bool, ad: &[u8], iv: &[u8], pkt: &mut Skb, r: Region) -> Result {
        let end = r
            .offset
            .checked_add(r.len)
            .and_then(|e| e.checked_add(if encrypt { r.icv } else { 0 }))
            .ok_or(EINVAL)?;
        let data = pkt.data_mut();
        if end > data.len() {
            return Err(EINVAL);
        }
        let region = data.get_mut(r.offset..).ok_or(EINVAL)?;
        let len = u32::try_from(r.len).map_err(|_| EINVAL)?;
        let icv = u32::try_from(r.icv).map_err(|_| EINVAL)?;
        // `region` holds `len` (+ `icv` when encrypting) bytes, checked
        // above, in the packet's heap data (not the stack, as scatterlists
        // need).
        self.request(encrypt, ad, iv, region.as_mut_ptr(), len, icv)
    }

    /// One synchronous request over [ad][data] in place: `ad` and `iv` are
    /// copied to request memory (the per-CPU scratch, or an allocation
    /// when it is missing or too small); `data` holds `len` bytes of
    /// plaintext plus `icv` bytes of room (encrypt) or `len` bytes of
    /// ciphertext and ICV (decrypt). `EBADMSG` on an ICV mismatch.
    fn request(
        &self,
        encrypt: bool,
        ad: &[u8],
        iv: &[u8],
        data: *mut u8,
        len: u32,
        icv: u32,
    ) -> Result {
        if self.ivsize != iv.len() {
            return Err(EINVAL);
        }
        let reqoff = (ad.len() + iv.len()).next_multiple_of(ctx_alignment());
        let need = reqoff + REQUEST_SIZE + self.reqsize;
        let req = Request {
            base: self.base,
            encrypt,
            ad,
            iv,
            reqoff,
            data,
            len,
            icv,
        };
        if need <= SCRATCH_LEN {
            // SAFETY: turns BH off (no softirq on this CPU can take the
            // scratch meanwhile) until the `put` below, in this context.
            let mem = unsafe { glue_bindings::rust_ipsec_scratch_get() };
            let rc = (!mem.is_null()).then(|| {
                // SAFETY: `mem` is this CPU's scratch of `SCRATCH_LEN >=
                // need` bytes, which nothing else uses while BH is off.
                unsafe { req.run(mem) }
            });
            let used = if rc.is_some() { need } else { 0 };
            // SAFETY: pairs with the `get` above; the request is complete
            // (synchronous) and used `used` bytes of `mem`, which are wiped.
            unsafe { glue_bindings::rust_ipsec_scratch_put(mem, u32::try_from(used).unwrap_or(0)) };
            if let Some(rc) = rc {
                return rc;
            }
        }
        let layout = Layout::from_size_align(need, 1).map_err(|_| EINVAL)?;
        let mem = Kmalloc::alloc(layout, GFP_ATOMIC, NumaNode::NO_NODE).map_err(|_| ENOMEM)?;
        let mem = mem.cast::<u8>().as_ptr();
        // SAFETY: `mem` is `need` bytes of kmalloc memory, ours.
        let rc = unsafe { req.run(mem) };
        // SAFETY: `mem` is ours and not used after this; kfree_sensitive
        // wipes it.
        unsafe { bindings::kfree_sensitive(mem.cast()) };
        rc
    }
}

/// `sizeof(struct aead_request)`: the request sits in request memory after
/// the AD and IV, followed by the transform's context.
const REQUEST_SIZE: usize = core::mem::size_of::<glue_bindings::aead_request>();

// The fields written in `Request::run` are laid out as C lays them out.
const _: () =
    assert!(REQUEST_SIZE == glue_bindings::rust_ipsec_const_RUST_IPSEC_AEAD_REQUEST_SIZE as usize);

/// `crypto_tfm_ctx_alignment()`: the alignment of a request's context,
/// read once.
fn ctx_alignment() -> usize {
    static ALIGN: AtomicUsize = AtomicUsize::new(0);
    match ALIGN.load(Ordering::Relaxed) {
        0 => {
            // SAFETY: reads a constant of the crypto API.
            let a = unsafe { glue_bindings::rust_ipsec_tfm_ctx_alignment() }.max(1) as usize;
            ALIGN.store(a, Ordering::Relaxed);
            a
        }
        a => a,
    }
}

/// An AEAD request to build and run in some memory.
struct Request<'a> {
    /// The transform's `struct crypto_tfm` (`crypto_aead_tfm(tfm)`).
    base: *mut glue_bindings::crypto_tfm,
    encrypt: bool,
    ad: &'a [u8],
    iv: &'a [u8],
    /// Where the request starts (after AD and IV, aligned).
    reqoff: usize,
    data: *mut u8,
    len: u32,
    icv: u32,
}

impl Request<'_> {
    /// Builds the request in `mem` ([AD][IV] pad [request][context]) and
    /// runs it.
    ///
    /// # Safety
    ///
    /// `mem` is kmalloc memory (the linear mapping, for the scatterlist) of
    /// at least `reqoff + REQUEST_SIZE + reqsize` bytes that nothing else
    /// uses during the call; `base` is a live transform; `data` is heap memory holding
    /// `len` (+ `icv` when encrypting) bytes nothing else uses.
    unsafe fn run(&self, mem: *mut u8) -> Result {
        let adlen = self.ad.len();
        let adlen32 = u32::try_from(adlen).map_err(|_| EINVAL)?;
        // SAFETY: `mem` has room for AD and IV before `reqoff` (caller);
        // `ad` and `iv` do not overlap it.
        unsafe {
            core::ptr::copy_nonoverlapping(self.ad.as_ptr(), mem, adlen);
            core::ptr::copy_nonoverlapping(self.iv.as_ptr(), mem.add(adlen), self.iv.len());
        }
        // SAFETY: within `mem` (caller).
        let (ivp, req) = unsafe {
            (
                mem.add(adlen),
                mem.add(self.reqoff).cast::<glue_bindings::aead_request>(),
            )
        };
        // Initialised by `rust_ipsec_aead_sg` (sg_init_table), not here.
        let mut sg = core::mem::MaybeUninit::<[bindings::scatterlist; 2]>::uninit();
        let sgp = sg.as_mut_ptr().cast::<bindings::scatterlist>();
        let datalen = if self.encrypt {
            self.len.checked_add(self.icv).ok_or(EINVAL)?
        } else {
            self.len
        };
        // SAFETY: `sg` has room for two entries, which `rust_ipsec_aead_sg`
        // initialises before anything reads them, and lives until the
        // synchronous request returned; the buffers are in the linear
        // mapping (caller);
        // `req` is request memory of the transform's size (caller), whose
        // fields are set as aead_request_set_tfm, _set_callback (no
        // callback: synchronous), _set_crypt and _set_ad set them.
        let rc = unsafe {
            glue_bindings::rust_ipsec_aead_sg(sgp, mem.cast(), adlen32, self.data.cast(), datalen);
            (*req).base.tfm = self.base;
            (*req).base.complete = None;
            (*req).base.data = core::ptr::null_mut();
            (*req).base.flags = 0;
            (*req).src = sgp;
            (*req).dst = sgp;
            (*req).cryptlen = self.len;
            (*req).iv = ivp;
            (*req).assoclen = adlen32;
            if self.encrypt {
                glue_bindings::crypto_aead_encrypt(req)
            } else {
                glue_bindings::crypto_aead_decrypt(req)
            }
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

/// Bytes of request memory per CPU: AD, IV, request and context.
/// Requests that need more, or any while the scratch is missing, allocate
/// their own.
const SCRATCH_LEN: usize = 1024;

/// The per-CPU memory AEAD requests are built in, so that a packet costs
/// no allocation: a kmalloc'ed buffer per CPU (it must be in the linear
/// mapping for the scatterlist), used with BH disabled, wiped after each
/// use. Held while the module is loaded and freed after every transform
/// user is gone (the module drops it last). Without it (no memory at
/// load), each request allocates its own, as before.
pub(crate) struct CryptoScratch {
    _private: (),
}

impl CryptoScratch {
    /// Allocates the scratch (may sleep).
    pub(crate) fn acquire() -> Self {
        if Self::fill().is_err() {
            Self::release();
            pr_warn!("no memory for the per-CPU crypto scratch: requests will allocate\n");
        }
        Self { _private: () }
    }

    fn fill() -> Result {
        let layout = Layout::from_size_align(SCRATCH_LEN, 1).map_err(|_| EINVAL)?;
        for cpu in possible_cpus() {
            // SAFETY: `cpu` is a possible CPU.
            let node = unsafe { glue_bindings::rust_ipsec_cpu_to_node(cpu.as_u32()) };
            let node = NumaNode::new(node).unwrap_or(NumaNode::NO_NODE);
            let buf = Kmalloc::alloc(layout, GFP_KERNEL, node).map_err(|_| ENOMEM)?;
            // SAFETY: `cpu` is a possible CPU, so it has the per-CPU
            // variable; nothing uses the scratch before the module's hooks
            // and sockets exist.
            unsafe { *glue_bindings::rust_ipsec_scratch_on(cpu.as_u32()) = buf.cast().as_ptr() };
        }
        Ok(())
    }

    /// Frees every CPU's buffer (those allocated).
    fn release() {
        for cpu in possible_cpus() {
            // SAFETY: `cpu` is a possible CPU; no request runs (at load, or
            // after every user is gone).
            unsafe {
                let slot = glue_bindings::rust_ipsec_scratch_on(cpu.as_u32());
                bindings::kfree_sensitive((*slot).cast());
                *slot = core::ptr::null_mut();
            }
        }
    }
}

/// Every possible CPU (`for_each_possible_cpu`).
pub(super) fn possible_cpus() -> impl Iterator<Item = CpuId> {
    // SAFETY: `__cpu_possible_mask` is the kernel's mask of possible CPUs,
    // set at boot and read only afterwards.
    let mask = unsafe { Cpumask::from_raw(&raw const bindings::__cpu_possible_mask) };
    (0..kernel::cpu::nr_cpu_ids())
        .filter_map(CpuId::from_u32)
        .filter(move |c| mask.test(*c))
}

impl Drop for CryptoScratch {
    fn drop(&mut self) {
        // The hooks and sockets that run requests are gone (the module
        // drops this last).
        Self::release();
    }
}
