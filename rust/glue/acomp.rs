// SPDX-License-Identifier: GPL-2.0

//! A compression transform of the kernel crypto API (`struct
//! crypto_acomp`), and the per-CPU buffer its packets are compressed or
//! decompressed into.
//!
//! C header: [include/crypto/acompress.h](srctree/include/crypto/acompress.h)
//!
//! IPComp uses one transform per SA. Only synchronous implementations are
//! asked for (`CRYPTO_ALG_ASYNC` masked out), so a request runs to its end
//! on the caller's stack. Output goes into this CPU's buffer of
//! [`COMP_BUF_LEN`] bytes, used with BH off and wiped after each use: a
//! payload whose output would not fit is refused by the algorithm
//! (`ENOSPC`), so what a packet can make the module hold is that one
//! buffer. The buffers are allocated when the first transform is
//! (`CompBuffers::ensure`), not at load: a namespace without IPComp pays
//! nothing.

use core::ptr::NonNull;
use core::sync::atomic::{AtomicU8, Ordering};

use core::alloc::Layout;
use kernel::alloc::allocator::Kmalloc;
use kernel::alloc::{Allocator, NumaNode};
use kernel::bindings;
use kernel::error::from_err_ptr;
use kernel::prelude::*;

use super::aead::possible_cpus;
use super::bindings as glue_bindings;
use super::skb::Skb;

/// `CRYPTO_ALG_ASYNC`.
const CRYPTO_ALG_ASYNC: u32 = 0x0000_0080;

/// Bytes of each CPU's buffer: the largest IP packet.
pub(crate) const COMP_BUF_LEN: usize = 0x1_0000;

/// An allocated compression transform; freed on drop.
///
/// # Invariants
///
/// `ptr` is a synchronous transform from `crypto_alloc_acomp`, not yet
/// freed.
pub(crate) struct AcompTfm {
    ptr: NonNull<glue_bindings::crypto_acomp>,
}

// SAFETY: a transform may be used and freed from any thread; requests only
// read it (the algorithm serialises its own stream state).
unsafe impl Send for AcompTfm {}
// SAFETY: as above.
unsafe impl Sync for AcompTfm {}

/// Which way a request goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Compress,
    Decompress,
}

impl AcompTfm {
    /// Allocates a synchronous implementation of `name` (may sleep: it can
    /// load modules), and this CPU's buffers if they are not there yet.
    /// `ENOENT` when the kernel has no such algorithm.
    /// `EINVAL` for an implementation whose requests do not fit on the
    /// stack (`MAX_SYNC_COMP_REQSIZE`), as the crypto API's own fallback
    /// check.
    pub(crate) fn new(name: &CStr) -> Result<Self> {
        // SAFETY: `name` is a valid C string for the duration of the call.
        let raw =
            unsafe { glue_bindings::crypto_alloc_acomp(name.as_char_ptr(), 0, CRYPTO_ALG_ASYNC) };
        let raw = from_err_ptr(raw)?;
        let ptr = NonNull::new(raw).ok_or(ENOMEM)?;
        // INVARIANT: just allocated, synchronous (ASYNC masked); dropped
        // (freed) on the errors below.
        let tfm = Self { ptr };
        // SAFETY: `ptr` is live (invariant).
        let reqsize = unsafe { glue_bindings::rust_ipsec_acomp_reqsize(tfm.ptr.as_ptr()) };
        if reqsize > glue_bindings::rust_ipsec_const_RUST_IPSEC_MAX_SYNC_COMP_REQSIZE {
            return Err(EINVAL);
        }
        // Only once the algorithm exists: a refused SA leaves no buffers.
        CompBuffers::ensure()?;
        Ok(tfm)
    }

    /// Compresses the `len` bytes of `pkt` (linear) at `offset` into at
    /// most `room` bytes; `put` gets the packet and the output, to put
    /// it in place. `ENOSPC` (or `EINVAL`) when the output does not fit:
    /// the packet goes uncompressed.
    pub(crate) fn compress<R>(
        &self,
        pkt: &mut Skb,
        offset: usize,
        len: usize,
        room: usize,
        put: impl FnOnce(&mut Skb, &[u8]) -> R,
    ) -> Result<R> {
        self.run(Direction::Compress, pkt, offset, len, room, put)
    }

    /// Decompresses the `len` bytes of `pkt` (linear) at `offset` into at
    /// most `limit` bytes; `put` gets the packet and the output. `ENOSPC`
    /// when the output would be longer than `limit`, `EINVAL` when the
    /// input is not what the algorithm produces.
    pub(crate) fn decompress<R>(
        &self,
        pkt: &mut Skb,
        offset: usize,
        len: usize,
        limit: usize,
        put: impl FnOnce(&mut Skb, &[u8]) -> R,
    ) -> Result<R> {
        self.run(Direction::Decompress, pkt, offset, len, limit, put)
    }

    fn run<R>(
        &self,
        dir: Direction,
        pkt: &mut Skb,
        offset: usize,
        len: usize,
        room: usize,
        put: impl FnOnce(&mut Skb, &[u8]) -> R,
    ) -> Result<R> {
        let src = pkt
            .data_mut()
            .get(offset..)
            .and_then(|d| d.get(..len))
            .ok_or(EINVAL)?;
        let slen = u32::try_from(len).map_err(|_| EINVAL)?;
        let requested = room.min(COMP_BUF_LEN);
        let mut dlen = u32::try_from(requested).map_err(|_| EINVAL)?;
        let mut buf = CompBuf::get()?;
        let op = match dir {
            Direction::Compress => glue_bindings::crypto_acomp_compress,
            Direction::Decompress => glue_bindings::crypto_acomp_decompress,
        };
        // SAFETY: the transform is live and synchronous (invariant); `op`
        // runs a request of it; `src` is `slen` bytes of the packet's heap
        // data and `buf` this CPU's kmalloc buffer of `COMP_BUF_LEN >= dlen`
        // bytes, both in the linear mapping and used by nothing else while
        // BH is off; the request completes before the call returns.
        let rc = unsafe {
            glue_bindings::rust_ipsec_acomp_run(
                self.ptr.as_ptr(),
                Some(op),
                src.as_ptr(),
                slen,
                buf.mem,
                &mut dlen,
            )
        };
        if let Err(e) = kernel::error::to_result(rc) {
            // The algorithm may have written up to `requested` bytes before
            // it failed: they are wiped too.
            buf.used = requested;
            return Err(e);
        }
        let out = buf.filled(dlen as usize)?;
        Ok(put(pkt, out.bytes()))
    }
}

impl Drop for AcompTfm {
    fn drop(&mut self) {
        // SAFETY: `ptr` is live (invariant) and not used after this.
        unsafe { glue_bindings::rust_ipsec_acomp_free(self.ptr.as_ptr()) };
    }
}

/// This CPU's buffer, held with BH off; given back wiped.
struct CompBuf {
    mem: *mut u8,
    /// Bytes written (wiped on drop).
    used: usize,
}

impl CompBuf {
    /// This CPU's buffer; `ENOMEM` if it has none.
    fn get() -> Result<Self> {
        // SAFETY: turns BH off until `drop` gives the buffer back, in this
        // context.
        let mem = unsafe { glue_bindings::rust_ipsec_comp_buf_get() };
        let buf = Self { mem, used: 0 };
        if mem.is_null() {
            return Err(ENOMEM);
        }
        Ok(buf)
    }

    /// The buffer with its first `n` bytes written by a request.
    fn filled(mut self, n: usize) -> Result<Self> {
        if n > COMP_BUF_LEN {
            return Err(EINVAL);
        }
        self.used = n;
        Ok(self)
    }

    /// What was written.
    fn bytes(&self) -> &[u8] {
        // SAFETY: `mem` is this CPU's buffer of `COMP_BUF_LEN >= used`
        // bytes, which nothing else uses while BH is off; the request
        // wrote the first `used`.
        unsafe { core::slice::from_raw_parts(self.mem, self.used) }
    }
}

impl Drop for CompBuf {
    fn drop(&mut self) {
        // SAFETY: pairs with the `get` that turned BH off; `mem` (maybe
        // NULL, then `used` is 0) had `used` bytes written, which are
        // wiped.
        unsafe {
            glue_bindings::rust_ipsec_scratch_put(self.mem, u32::try_from(self.used).unwrap_or(0))
        };
    }
}

/// The per-CPU IPComp buffers: allocated by the first transform, freed
/// when the module drops this, last, after every transform is gone.
pub(crate) struct CompBuffers {
    _private: (),
}

/// No buffers.
const EMPTY: u8 = 0;
/// One thread is allocating them.
const FILLING: u8 = 1;
/// Every possible CPU has one.
const READY: u8 = 2;

static STATE: AtomicU8 = AtomicU8::new(EMPTY);

impl CompBuffers {
    /// Makes sure every possible CPU has its buffer (may sleep).
    fn ensure() -> Result {
        loop {
            match STATE.compare_exchange(EMPTY, FILLING, Ordering::Acquire, Ordering::Acquire) {
                Ok(_) => {
                    let filled = Self::fill();
                    if filled.is_err() {
                        Self::release();
                    }
                    let next = if filled.is_ok() { READY } else { EMPTY };
                    STATE.store(next, Ordering::Release);
                    return filled;
                }
                Err(READY) => return Ok(()),
                // Another thread is allocating them: wait for it.
                Err(_) => kernel::time::delay::fsleep(kernel::time::Delta::from_micros(100)),
            }
        }
    }

    fn fill() -> Result {
        let layout = Layout::from_size_align(COMP_BUF_LEN, 1).map_err(|_| EINVAL)?;
        for cpu in possible_cpus() {
            // SAFETY: `cpu` is a possible CPU.
            let node = unsafe { glue_bindings::rust_ipsec_cpu_to_node(cpu.as_u32()) };
            let node = NumaNode::new(node).unwrap_or(NumaNode::NO_NODE);
            let buf = Kmalloc::alloc(layout, GFP_KERNEL, node).map_err(|_| ENOMEM)?;
            // SAFETY: `cpu` is a possible CPU, so it has the per-CPU
            // variable; no transform exists yet to use it (this thread
            // alone fills, `STATE` says so).
            unsafe { *glue_bindings::rust_ipsec_comp_buf_on(cpu.as_u32()) = buf.cast().as_ptr() };
        }
        Ok(())
    }

    /// Frees every CPU's buffer (those allocated).
    fn release() {
        for cpu in possible_cpus() {
            // SAFETY: `cpu` is a possible CPU; no request runs (the fill
            // failed before any transform existed, or every user is gone
            // at unload).
            unsafe {
                let slot = glue_bindings::rust_ipsec_comp_buf_on(cpu.as_u32());
                bindings::kfree_sensitive((*slot).cast());
                *slot = core::ptr::null_mut();
            }
        }
    }

    /// The owner of the buffers (none is allocated yet).
    pub(crate) fn acquire() -> Self {
        Self { _private: () }
    }
}

impl Drop for CompBuffers {
    fn drop(&mut self) {
        // Every transform and hook is gone (the module drops this last).
        if STATE.swap(EMPTY, Ordering::AcqRel) == READY {
            Self::release();
        }
    }
}
