// SPDX-License-Identifier: GPL-2.0

//! Socket buffers: [`Skb`], an `sk_buff` the module owns.
//!
//! C header: [include/linux/skbuff.h](srctree/include/linux/skbuff.h)
//!
//! One type for every skb the module holds: a datagram built for sockets
//! ([`Skb::with_data`]) and a packet in a netfilter hook (wrapped
//! with the hook's context in [`super::hooks::Packet`]). Owning an `Skb`
//! is owning the buffer: it is freed on drop (`kfree_skb`, counted as a
//! drop) unless a function that takes it by value gives it away
//! ([`Skb::consume`], [`Skb::into_raw`], the sending functions of
//! [`super::route`] and [`super::hooks`]).
//!
//! The static inlines of `skbuff.h` are called through one-line
//! trampolines (`shims.c`); fields are read and written here.

use core::mem::ManuallyDrop;
use core::ptr::NonNull;

use kernel::bindings;
use kernel::ffi::c_uint;
use kernel::prelude::*;

use super::bindings as glue_bindings;

/// An `sk_buff` this module owns; freed on drop.
///
/// # Invariants
///
/// `ptr` is a live skb that nothing else frees or uses (other than
/// through this value) while the value exists: the module holds it
/// alone (a new skb, a segment, or the packet a netfilter hook was
/// called with, for the duration of the call).
pub(crate) struct Skb {
    ptr: NonNull<bindings::sk_buff>,
}

/// The members of `sk_buff` the kernel groups as `headers`
/// (`struct_group(headers, ...)`), where bindgen puts them in an anonymous
/// union.
type Headers = bindings::sk_buff__bindgen_ty_4__bindgen_ty_1;

impl Skb {
    /// Takes over `ptr` (NULL: `None`).
    ///
    /// # Safety
    ///
    /// `ptr` is NULL or a live skb the caller owns and hands over: nothing
    /// else uses or frees it while the returned value exists.
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::sk_buff) -> Option<Self> {
        // INVARIANT: the caller hands the skb over.
        NonNull::new(ptr).map(|ptr| Self { ptr })
    }

    /// The skb, given away: the caller becomes its owner.
    pub(crate) fn into_raw(self) -> *mut bindings::sk_buff {
        ManuallyDrop::new(self).ptr.as_ptr()
    }

    /// The skb, still owned by `self` (to clone it, queue a clone, or pass
    /// it to a function that only reads it).
    pub(crate) fn as_ptr(&self) -> *mut bindings::sk_buff {
        self.ptr.as_ptr()
    }

    /// A new skb holding a copy of `bytes` (a socket's datagram).
    pub(crate) fn with_data(bytes: &[u8], gfp: bindings::gfp_t) -> Result<Self> {
        let len = c_uint::try_from(bytes.len()).map_err(|_| EMSGSIZE)?;
        // SAFETY: plain allocation; NULL on failure.
        let raw = unsafe { glue_bindings::rust_ipsec_alloc_skb(len, gfp) };
        // SAFETY: a new skb, ours alone.
        let skb = unsafe { Self::from_raw(raw) }.ok_or(ENOBUFS)?;
        // SAFETY: the skb was allocated with `len` bytes of tailroom.
        let data = unsafe { bindings::skb_put(skb.as_ptr(), len) };
        // SAFETY: `data` points to `len` writable bytes not overlapping
        // `bytes`.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), data.cast::<u8>(), bytes.len()) };
        Ok(skb)
    }

    /// Frees the skb as used normally (`consume_skb`), not as dropped.
    pub(crate) fn consume(self) {
        // SAFETY: the skb is ours (invariant) and not used after this.
        unsafe { glue_bindings::rust_ipsec_consume_skb(self.into_raw()) };
    }

    /// The `headers` group of the skb (no reference is made: other
    /// members of the skb may change meanwhile, e.g. its refcount).
    fn headers(&self) -> *mut Headers {
        // SAFETY: the skb is live (invariant); `headers` is a member of the
        // union `__bindgen_anon_4`, at its start. Only an address is taken.
        unsafe { (&raw mut (*self.ptr.as_ptr()).__bindgen_anon_4).cast::<Headers>() }
    }

    /// `skb->len`: bytes from `skb->data` on (the network header, in a
    /// netfilter hook), linear or not.
    pub(crate) fn len(&self) -> u32 {
        // SAFETY: the skb is live (invariant).
        unsafe { (*self.as_ptr()).len }
    }

    /// `skb->mark`.
    pub(crate) fn mark(&self) -> u32 {
        // SAFETY: the skb is live (invariant). `mark` shares its union with
        // `reserved_tailroom`, which only a skb being built uses; either is
        // a u32.
        unsafe { (*self.headers()).__bindgen_anon_4.mark }
    }

    /// Sets `skb->protocol` (the ethertype, host order here).
    pub(crate) fn set_protocol(&mut self, ethertype: u16) {
        // SAFETY: the skb is live and ours (invariant).
        unsafe { (*self.headers()).protocol = ethertype.to_be() };
    }

    /// `skb->pkt_type = PACKET_HOST`.
    pub(crate) fn set_pkt_type_host(&mut self) {
        // SAFETY: the skb is live and ours (invariant).
        unsafe { Headers::set_pkt_type_raw(self.headers(), bindings::PACKET_HOST as u8) };
    }

    /// `skb->ip_summed = CHECKSUM_NONE`.
    pub(crate) fn set_checksum_none(&mut self) {
        // SAFETY: the skb is live and ours (invariant).
        unsafe { Headers::set_ip_summed_raw(self.headers(), bindings::CHECKSUM_NONE as u8) };
    }

    /// `skb->ip_summed = CHECKSUM_UNNECESSARY`: the transport checksum is
    /// not to be verified.
    pub(crate) fn set_checksum_unnecessary(&mut self) {
        // SAFETY: the skb is live and ours (invariant).
        unsafe { Headers::set_ip_summed_raw(self.headers(), bindings::CHECKSUM_UNNECESSARY as u8) };
    }

    /// The control buffer `skb->cb` (48 bytes, IPCB/IP6CB first).
    pub(crate) fn cb_mut(&mut self) -> &mut [u8; 48] {
        // SAFETY: `cb` is a plain byte array of the live skb (invariant);
        // `c_char` and `u8` have the same layout; `&mut self` is the only
        // access.
        unsafe { &mut *(&raw mut (*self.ptr.as_ptr()).cb).cast::<[u8; 48]>() }
    }

    /// The control buffer `skb->cb`.
    pub(crate) fn cb(&self) -> &[u8; 48] {
        // SAFETY: as in `cb_mut`, read only.
        unsafe { &*(&raw const (*self.ptr.as_ptr()).cb).cast::<[u8; 48]>() }
    }

    /// `skb->skb_iif`: the interface it arrived on (0: sent here).
    pub(crate) fn iif(&self) -> i32 {
        // SAFETY: the skb is live (invariant); `skb_iif` is a plain field
        // of the headers group.
        unsafe { (*self.headers()).skb_iif }
    }

    /// `skb->sk`: the socket that sent it, or NULL.
    pub(crate) fn sk(&self) -> *mut bindings::sock {
        // SAFETY: the skb is live (invariant).
        unsafe { (*self.as_ptr()).sk }
    }

    /// `skb->dev`, or NULL.
    fn dev(&self) -> *mut bindings::net_device {
        // SAFETY: as in `set_dev`, read only.
        unsafe {
            (*self.as_ptr())
                .__bindgen_anon_1
                .__bindgen_anon_1
                .__bindgen_anon_1
                .dev
        }
    }

    /// Whether this is a GSO packet (several segments in one):
    /// `skb_is_gso`, read from the shared info (a field read: every
    /// packet asks).
    pub(crate) fn is_gso(&self) -> bool {
        let p = self.as_ptr();
        // SAFETY: the skb is live (invariant); `skb_shinfo(skb)` is the
        // `struct skb_shared_info` at `head + end` (`end` an offset on
        // 64-bit), part of its buffer.
        unsafe {
            let shinfo = (*p)
                .head
                .add((*p).end as usize)
                .cast::<bindings::skb_shared_info>();
            (*shinfo).gso_size != 0
        }
    }

    /// Sets the network header at `skb->data`.
    pub(crate) fn reset_network_header(&mut self) {
        self.set_header_at(0, |h, at| h.network_header = at);
    }

    /// Sets the transport header `offset` bytes after `skb->data`
    /// (`skb_set_transport_header`).
    fn set_transport_header(&mut self, offset: u16) {
        self.set_header_at(offset, |h, at| h.transport_header = at);
    }

    /// Sets a header offset of `skb` (from `head`) to `data + offset`, as
    /// `skb_reset_network_header` and `skb_set_transport_header` do, with
    /// `set`; the skb's headroom is below 64 KiB, as the u16 fields assume.
    fn set_header_at(&mut self, offset: u16, set: impl FnOnce(&mut Headers, u16)) {
        let p = self.as_ptr();
        // SAFETY: the skb is live and ours (invariant); `data` and `head`
        // point into its one head buffer, `data` at or after `head`.
        let from_head = unsafe { (*p).data.offset_from((*p).head) };
        let at = u16::try_from(from_head)
            .unwrap_or(u16::MAX)
            .wrapping_add(offset);
        // SAFETY: `headers()` points at the skb's header offsets, which
        // `&mut self` lets us write.
        set(unsafe { &mut *self.headers() }, at);
    }

    /// Makes the packet rewritable: checksum resolved, linear, private,
    /// with `head` bytes before and `tail` after the data. Output (`head`
    /// not 0) also keeps room for the link-layer header of the device the
    /// route leaves by, in front of what is pushed (an XFRM bundle route's
    /// header_len does the same), so that ip_finish_output2 need not
    /// expand the head a second time.
    pub(crate) fn prepare(&mut self, head: u32, tail: u32) -> Result {
        let p = self.as_ptr();
        // SAFETY: the skb is live (invariant); `end` is an offset on
        // 64-bit. Read first: resolving the checksum may grow the head.
        let osize = unsafe { (*p).end };
        // SAFETY: the skb is live (invariant).
        let summed = unsafe { Headers::ip_summed_raw(self.headers()) };
        if summed == bindings::CHECKSUM_PARTIAL as u8 {
            // SAFETY: the skb is live and ours (invariant).
            if unsafe { glue_bindings::skb_checksum_help(p) } != 0 {
                return Err(EINVAL);
            }
        }
        // SAFETY: the skb is live (invariant).
        if unsafe { (*p).data_len } != 0 {
            // SAFETY: the skb is live and ours (invariant).
            if unsafe { glue_bindings::rust_ipsec_skb_linearize(p) } != 0 {
                return Err(ENOMEM);
            }
        }
        let mut head = head;
        if head != 0 {
            // SAFETY: the skb is live (invariant); its route, if any, is
            // held by the skb.
            let dst = unsafe { glue_bindings::rust_ipsec_skb_dst(p) };
            if !dst.is_null() {
                // SAFETY: `dst` is the skb's live route; its device lives
                // as long as the route.
                let reserve = unsafe { glue_bindings::rust_ipsec_dst_ll_reserved_space(dst) };
                head = head.wrapping_add(reserve);
            }
        }
        // The skb is linear now: its head and tail room are field
        // arithmetic (`skb_headroom`, `skb_tailroom`; `tail` and `end` are
        // offsets from `head` on 64-bit), and only an skb marked cloned
        // needs the shared-data check.
        // SAFETY: the skb is live (invariant); `data` and `head` point into
        // its one buffer.
        let (headroom, tailroom, cloned) = unsafe {
            let headroom = ((*p).data as usize).wrapping_sub((*p).head as usize);
            let tailroom = (*p).end.wrapping_sub((*p).tail);
            let cloned = bindings::sk_buff::cloned_raw(p) != 0
                && glue_bindings::rust_ipsec_skb_cloned(p) != 0;
            (
                u32::try_from(headroom).unwrap_or(u32::MAX),
                tailroom,
                cloned,
            )
        };
        let nhead = head.saturating_sub(headroom);
        let ntail = i64::from(tail) - i64::from(tailroom);
        let ntail = i32::try_from(ntail.max(0)).map_err(|_| EINVAL)?;
        if nhead != 0 || ntail != 0 || cloned {
            // SKB_DATA_ALIGN.
            let align = bindings::SMP_CACHE_BYTES;
            let nhead = nhead.checked_add(align - 1).ok_or(EINVAL)? & !(align - 1);
            let nhead = i32::try_from(nhead).map_err(|_| EINVAL)?;
            // SAFETY: the skb is live, linear and ours (invariant).
            let rc = unsafe { bindings::pskb_expand_head(p, nhead, ntail, bindings::GFP_ATOMIC) };
            kernel::error::to_result(rc)?;
        }
        self.charge_growth(osize);
        Ok(())
    }

    /// After the head grew from `osize` bytes (made linear, or expanded):
    /// a packet a socket is charged for (`is_skb_wmem`) is charged for
    /// the growth too, as Linux's `skb_expand_head` does
    /// (`pskb_expand_head` leaves a socket's packet's truesize alone; the
    /// page fragments a linearised packet gave up stay counted, so it may
    /// overstate, never understate). Without it the truesize would
    /// understate the head, which a receiver on the same machine (veth)
    /// trusts: Linux's IPComp input then warns in `skb_try_coalesce`.
    fn charge_growth(&mut self, osize: u32) {
        let p = self.as_ptr();
        // SAFETY: the skb is live and ours (invariant); its socket, if
        // any, lives while the skb holds its charge.
        unsafe {
            let sk = (*p).sk;
            let grown = (*p).end.saturating_sub(osize);
            if sk.is_null() || grown == 0 || glue_bindings::rust_ipsec_skb_is_wmem(p) == 0 {
                return;
            }
            let Ok(delta) = i32::try_from(grown) else {
                return;
            };
            glue_bindings::rust_ipsec_sk_wmem_add(sk, delta);
            (*p).truesize = (*p).truesize.wrapping_add(grown);
        }
    }

    /// `skb_headlen`: bytes of the linear part from `skb->data` on (a
    /// field read, not a call: every packet needs it).
    fn headlen(&self) -> u32 {
        // SAFETY: the skb is live (invariant).
        unsafe { (*self.as_ptr()).len - (*self.as_ptr()).data_len }
    }

    /// The packet from `skb->data` on, to rewrite in place: all of it
    /// once [`Skb::prepare`] made it linear; empty while part of it is in
    /// page fragments or a fragment list (what NICs with header split
    /// deliver), so that code that forgot `prepare` finds no bytes rather
    /// than a part of the packet. Reads before `prepare` go through
    /// [`Skb::network_bytes_at`].
    pub(crate) fn data_mut(&mut self) -> &mut [u8] {
        let len = self.headlen();
        // SAFETY: the skb is live (invariant).
        let (ptr, whole) = unsafe { ((*self.as_ptr()).data, (*self.as_ptr()).data_len == 0) };
        if ptr.is_null() || !whole {
            return &mut [];
        }
        // SAFETY: `data` is valid for the head length of the skb's linear
        // data, which nothing else accesses while the module owns the
        // skb; the borrow of `self` keeps the skb unchanged while the
        // slice lives.
        unsafe { core::slice::from_raw_parts_mut(ptr, len as usize) }
    }

    /// Adds `n` bytes in front (room reserved by `prepare`); the network
    /// header moves to the new start.
    pub(crate) fn push_network(&mut self, n: u32) {
        // SAFETY: the skb is live and ours; `skb_push` panics rather than
        // pass the head (caller reserved the room).
        unsafe { bindings::skb_push(self.as_ptr(), n) };
        self.reset_network_header();
    }

    /// Removes `n` bytes from the front; the network header moves to the
    /// new start and the transport header `ihl` bytes after it.
    pub(crate) fn pull_network(&mut self, n: u32, ihl: u32) -> Result {
        if n > self.len() {
            return Err(EINVAL);
        }
        let ihl = u16::try_from(ihl).map_err(|_| EINVAL)?;
        // SAFETY: the skb is live, ours and linear with at least `n` bytes.
        unsafe { bindings::skb_pull(self.as_ptr(), n) };
        self.reset_network_header();
        self.set_transport_header(ihl);
        self.set_checksum_none();
        Ok(())
    }

    /// Adds `n` bytes at the end (room reserved by `prepare`).
    pub(crate) fn put(&mut self, n: u32) {
        // SAFETY: the skb is live and ours; `skb_put` panics rather than
        // pass the end (caller reserved the room).
        unsafe { bindings::skb_put(self.as_ptr(), n) };
    }

    /// Cuts the packet to `len` bytes.
    pub(crate) fn trim(&mut self, len: u32) -> Result {
        // SAFETY: the skb is live and ours (invariant).
        let rc = unsafe { glue_bindings::rust_ipsec_skb_trim(self.as_ptr(), len) };
        kernel::error::to_result(rc)
    }

    /// Lets IP fragment the packet even with DF set (ESP may be
    /// fragmented, RFC 4303 section 3.3.5).
    pub(crate) fn allow_fragmentation(&mut self) {
        // SAFETY: the skb is live and ours (invariant).
        unsafe { Headers::set_ignore_df_raw(self.headers(), 1) };
    }

    /// The MTU the packet leaves by (`out`: its route's, path MTU
    /// included) or of the device it came in on; 0 if neither is known.
    pub(crate) fn mtu(&self, out: bool) -> u32 {
        let p = self.as_ptr();
        if out {
            // SAFETY: the skb is live (invariant).
            let dst = unsafe { glue_bindings::rust_ipsec_skb_dst(p) };
            if !dst.is_null() {
                // SAFETY: `dst` is the skb's live route.
                return unsafe { glue_bindings::rust_ipsec_dst_mtu(dst) };
            }
        }
        let dev = self.dev();
        if dev.is_null() {
            return 0;
        }
        // SAFETY: the skb holds its device (or it is RCU-protected during
        // the hook).
        unsafe { glue_bindings::rust_ipsec_dev_mtu(dev) }
    }

    /// Up to `buf.len()` bytes from the network header on: in place when
    /// the packet has them in its linear part (the usual case), else
    /// copied into `buf` (a non-linear packet).
    pub(crate) fn network_bytes<'b>(&'b self, buf: &'b mut [u8]) -> &'b [u8] {
        let Some(total) = self.network_len() else {
            return &[];
        };
        let want = buf.len().min(total);
        let Some(buf) = buf.get_mut(..want) else {
            return &[];
        };
        self.network_bytes_at(0, buf).unwrap_or(&[])
    }

    /// Calls `f` with up to `N` bytes from the network header on, as
    /// [`Skb::network_bytes`] gives them. The copy buffer exists (zeroed)
    /// only for a packet whose linear part ends sooner: the usual packet
    /// costs no buffer.
    pub(crate) fn with_network_head<const N: usize, R>(&self, f: impl FnOnce(&[u8]) -> R) -> R {
        let want = self.network_len().map_or(0, |total| total.min(N));
        if let Some(bytes) = self.linear_network_bytes(0, want) {
            return f(bytes);
        }
        let mut buf = [0u8; N];
        f(self.network_bytes(&mut buf))
    }

    /// `len` bytes at `offset` from the network header, in place, when the
    /// linear part holds them.
    fn linear_network_bytes(&self, offset: usize, len: usize) -> Option<&[u8]> {
        let (nh, off) = self.network_offset()?;
        let start = u32::try_from(offset).ok()?.checked_add(off)?;
        let end = start.checked_add(u32::try_from(len).ok()?)?;
        if end > self.len() || end > self.headlen() {
            return None;
        }
        // SAFETY: `nh + offset` is within the packet's linear part, with
        // `len` bytes up to `end <= headlen` (the head buffer holds the
        // linear part). They stay put and unchanged while the slice lives:
        // it borrows `self`, and the packet is rewritten only through
        // `&mut self`.
        Some(unsafe { core::slice::from_raw_parts(nh.add(offset).cast_const(), len) })
    }

    /// Exactly `buf.len()` bytes at `offset` from the network header, as
    /// `skb_header_pointer` gives them: in place when they are in the
    /// linear part, else copied into `buf` from the page fragments or the
    /// fragment list (a packet as a NIC with header split delivers it, or
    /// a reassembled one). `None` when the packet is shorter.
    pub(crate) fn network_bytes_at<'b>(
        &'b self,
        offset: usize,
        buf: &'b mut [u8],
    ) -> Option<&'b [u8]> {
        if let Some(bytes) = self.linear_network_bytes(offset, buf.len()) {
            return Some(bytes);
        }
        let (_, off) = self.network_offset()?;
        let start = u32::try_from(offset).ok()?.checked_add(off)?;
        let want = u32::try_from(buf.len()).ok()?;
        if start.checked_add(want)? > self.len() {
            return None;
        }
        let start = i32::try_from(start).ok()?;
        let n = i32::try_from(want).ok()?;
        // SAFETY: the skb is live (invariant); `buf` is writable for `want`
        // bytes, which the packet has from `start` on (checked above).
        let rc =
            unsafe { bindings::skb_copy_bits(self.as_ptr(), start, buf.as_mut_ptr().cast(), n) };
        (rc == 0).then_some(&*buf)
    }

    /// The network header and its offset from `skb->data`
    /// (`skb_network_offset`); `None` when it is before `data` (never in
    /// a netfilter hook).
    fn network_offset(&self) -> Option<(*mut u8, u32)> {
        let p = self.as_ptr();
        // SAFETY: the skb is live (invariant); `head + network_header` and
        // `data` point into its one head buffer.
        let (nh, off) = unsafe {
            let nh = (*p).head.add(usize::from((*self.headers()).network_header));
            (nh, nh.offset_from((*p).data))
        };
        Some((nh, u32::try_from(off).ok()?))
    }

    /// Bytes from the network header to the end of the packet.
    fn network_len(&self) -> Option<usize> {
        let (_, off) = self.network_offset()?;
        usize::try_from(self.len().checked_sub(off)?).ok()
    }

    /// Splits a GSO packet into its segments in software; `None` when that
    /// failed. The packet itself is left as it was.
    pub(crate) fn segment(&self) -> Option<SkbList> {
        // SAFETY: the skb is live (invariant); on success the segments are
        // new skbs we own.
        let segs = unsafe { glue_bindings::rust_ipsec_skb_gso_segment(self.as_ptr()) };
        if segs.is_null() || kernel::error::from_err_ptr(segs).is_err() {
            return None;
        }
        // INVARIANT: a list of new segments, ours.
        Some(SkbList { head: segs })
    }
}

impl Drop for Skb {
    fn drop(&mut self) {
        // SAFETY: the skb is ours (invariant) and not used after this.
        unsafe { glue_bindings::rust_ipsec_kfree_skb(self.ptr.as_ptr()) };
    }
}

/// A list of skbs linked through `skb->next` (GSO segments); each is
/// taken off as an [`Skb`], the rest are freed on drop.
///
/// # Invariants
///
/// `head` is NULL or the first of a list of live skbs the module owns.
pub(crate) struct SkbList {
    head: *mut bindings::sk_buff,
}

impl Iterator for SkbList {
    type Item = Skb;

    fn next(&mut self) -> Option<Skb> {
        let skb = self.head;
        if skb.is_null() {
            return None;
        }
        // SAFETY: `skb` is a live list member we own (invariant); it is
        // taken off the list before it is handed out.
        unsafe {
            self.head = (*skb).__bindgen_anon_1.__bindgen_anon_1.next;
            glue_bindings::rust_ipsec_skb_mark_not_on_list(skb);
        }
        // SAFETY: off the list, ours alone.
        unsafe { Skb::from_raw(skb) }
    }
}

impl Drop for SkbList {
    fn drop(&mut self) {
        if !self.head.is_null() {
            // SAFETY: the rest of the list is ours (invariant).
            unsafe { glue_bindings::rust_ipsec_kfree_skb_list(self.head) };
        }
    }
}
