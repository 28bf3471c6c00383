// SPDX-License-Identifier: GPL-2.0

//! Routing for tunnel mode: the outer packet's route ([`OuterRoute`],
//! found through a tunnel SA's [`RouteCache`]), sending the outer packet
//! as a local one ([`local_out`]), and handing a decapsulated inner packet
//! back to the receive path ([`reinject`]) with the marker that tells our
//! inbound hooks it was already checked.
//!
//! C headers: [include/net/route.h](srctree/include/net/route.h),
//! [include/net/ip6_route.h](srctree/include/net/ip6_route.h),
//! [include/net/dst_cache.h](srctree/include/net/dst_cache.h)
//!
//! The route cache is `struct dst_cache`, as the kernel's IP tunnels keep
//! theirs: per CPU, it drops a route the stack marked obsolete (a routing
//! change, a learnt path MTU), so a lookup after that finds the new one.
//! Packets with a mark are routed afresh: policy routing may send them
//! elsewhere.

use core::mem::ManuallyDrop;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicU64, Ordering};

use kernel::bindings;
use kernel::prelude::*;

use super::bindings as glue_bindings;
use super::pernet::Net;
use super::skb::Skb;
use super::spinlock_bh::BhDisabled;
use crate::ipsec_core::inet::Addr;

/// `IPPROTO_ESP`: the flows we route carry ESP.
const IPPROTO_ESP: u8 = 50;

/// The marker: 16 bytes past IPCB/IP6CB in `skb->cb`, holding a cookie
/// drawn at module load. `ip_rcv_core`/`ip6_rcv_core` clear only
/// IPCB/IP6CB, so the marker survives `netif_rx` up to our LOCAL_IN and
/// FORWARD hooks; a packet from the wire starts with a zeroed cb and
/// cannot carry it.
const MARK_OFF: usize = 32;
/// The marker's length.
const MARK_LEN: usize = 16;

const _: () = assert!(core::mem::size_of::<glue_bindings::inet_skb_parm>() <= MARK_OFF);
const _: () = assert!(core::mem::size_of::<glue_bindings::inet6_skb_parm>() <= MARK_OFF);
const _: () = assert!(MARK_OFF + MARK_LEN <= 48);
// IPCB/IP6CB's `flags` are written in place in `skb->cb`.
const IPCB_FLAGS: usize = core::mem::offset_of!(glue_bindings::inet_skb_parm, flags);
const IP6CB_FLAGS: usize = core::mem::offset_of!(glue_bindings::inet6_skb_parm, flags);

/// The cookie, in two halves (written once, before any hook runs).
static COOKIE: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];

/// Draws the cookie that marks re-injected inner packets ([`reinject`]);
/// call once at module load, before any hook is registered.
pub(crate) fn init_reinject_marker() {
    let mut c = [0u8; MARK_LEN];
    super::random::fill(&mut c);
    let v = u128::from_ne_bytes(c);
    let [lo, hi] = &COOKIE;
    lo.store(low_half(v), Ordering::Relaxed);
    hi.store(low_half(v >> 64), Ordering::Relaxed);
}

/// The low 64 bits of `v`.
fn low_half(v: u128) -> u64 {
    u64::try_from(v & u128::from(u64::MAX)).unwrap_or(0)
}

/// The cookie's bytes.
fn cookie() -> [u8; MARK_LEN] {
    let [lo, hi] = &COOKIE;
    let v = (u128::from(hi.load(Ordering::Relaxed)) << 64) | u128::from(lo.load(Ordering::Relaxed));
    v.to_ne_bytes()
}

impl Skb {
    /// Whether this is an inner packet rust_ipsec decapsulated, checked
    /// and re-injected ([`reinject`]); clears the marker.
    pub(crate) fn take_marker(&mut self) -> bool {
        let cookie = cookie();
        let Some(mark) = self.cb_mut().get_mut(MARK_OFF..MARK_OFF + MARK_LEN) else {
            return false;
        };
        if *mark != cookie {
            return false;
        }
        mark.fill(0);
        true
    }

    /// Whether our tunnel output ([`local_out`]) produced this packet (an
    /// IPv6 one if `v6`): IPCB/IP6CB carry XFRM_TRANSFORMED.
    pub(crate) fn transformed(&self, v6: bool) -> bool {
        let (at, bit) = if v6 {
            (
                IP6CB_FLAGS,
                glue_bindings::rust_ipsec_const_RUST_IPSEC_IP6SKB_XFRM_TRANSFORMED,
            )
        } else {
            (
                IPCB_FLAGS,
                glue_bindings::rust_ipsec_const_RUST_IPSEC_IPSKB_XFRM_TRANSFORMED,
            )
        };
        cb_flags(self.cb(), at) & (bit as u16) != 0
    }

    /// Gives the packet `route` in place of its own (the route's reference
    /// passes to the packet) and sends it out of the route's device;
    /// returns the route's hop limit.
    pub(crate) fn attach_route(&mut self, route: OuterRoute, v6: bool) -> u8 {
        let dst = route.into_raw();
        let p = self.as_ptr();
        // SAFETY: the skb is live and ours; `dst` is a live route whose
        // reference passes to the skb; its device lives as long as it.
        let hops = unsafe {
            glue_bindings::rust_ipsec_skb_dst_replace(p, dst);
            if v6 {
                glue_bindings::ip6_dst_hoplimit(dst)
            } else {
                glue_bindings::rust_ipsec_ip4_dst_hoplimit(dst)
            }
        };
        u8::try_from(hops).unwrap_or(u8::MAX)
    }

    /// Sends an ICMP "fragmentation needed" (IPv4) or ICMPv6 "packet too
    /// big" (`v6`) with `mtu` to the packet's source, about the packet
    /// (data at its IP header, with its route).
    pub(crate) fn send_too_big(&self, v6: bool, mtu: u32) {
        let p = self.as_ptr();
        // SAFETY: the skb is live (invariant); ICMP only reads it.
        unsafe {
            if v6 {
                glue_bindings::rust_ipsec_icmpv6_send(
                    p,
                    glue_bindings::rust_ipsec_const_RUST_IPSEC_ICMPV6_PKT_TOOBIG as u8,
                    0,
                    mtu,
                );
            } else {
                glue_bindings::rust_ipsec_icmp_send(
                    p,
                    glue_bindings::rust_ipsec_const_RUST_IPSEC_ICMP_DEST_UNREACH as i32,
                    glue_bindings::rust_ipsec_const_RUST_IPSEC_ICMP_FRAG_NEEDED as i32,
                    mtu.to_be(),
                );
            }
        }
    }
}

/// The u16 at `at` in a control buffer.
fn cb_flags(cb: &[u8; 48], at: usize) -> u16 {
    cb.get(at..at + 2)
        .and_then(|b| b.first_chunk::<2>())
        .map_or(0, |b| u16::from_ne_bytes(*b))
}

/// Sets `bit` in the u16 at `at` in a control buffer.
fn cb_set_flag(cb: &mut [u8; 48], at: usize, bit: u16) {
    if let Some(b) = cb
        .get_mut(at..at + 2)
        .and_then(|b| b.first_chunk_mut::<2>())
    {
        *b = (u16::from_ne_bytes(*b) | bit).to_ne_bytes();
    }
}

/// Sends `skb`, a finished outer packet (data at its header, route
/// attached by [`Skb::attach_route`]), as a locally generated one in
/// `net`; marked transformed, so our POST_ROUTING hook lets it pass. The
/// stack takes the packet (and frees it on error).
pub(crate) fn local_out(net: Net, mut skb: Skb, v6: bool) {
    skb.cb_mut().fill(0);
    skb.reset_network_header();
    // SAFETY: the skb is live and ours.
    unsafe { glue_bindings::rust_ipsec_nf_reset_ct(skb.as_ptr()) };
    if v6 {
        skb.set_protocol(bindings::ETH_P_IPV6 as u16);
        let bit = glue_bindings::rust_ipsec_const_RUST_IPSEC_IP6SKB_XFRM_TRANSFORMED as u16;
        cb_set_flag(skb.cb_mut(), IP6CB_FLAGS, bit);
        let sk = skb.sk();
        // SAFETY: `net` is live during the hook; the skb passes to the
        // stack, which frees it on error.
        let _ = unsafe { glue_bindings::ip6_local_out(net.as_ptr(), sk, skb.into_raw()) };
    } else {
        skb.set_protocol(bindings::ETH_P_IP as u16);
        let bit = glue_bindings::rust_ipsec_const_RUST_IPSEC_IPSKB_XFRM_TRANSFORMED as u16;
        cb_set_flag(skb.cb_mut(), IPCB_FLAGS, bit);
        let sk = skb.sk();
        // SAFETY: as above.
        let _ = unsafe { glue_bindings::ip_local_out(net.as_ptr(), sk, skb.into_raw()) };
    }
}

/// Hands `skb`, a decapsulated inner packet (data at its header), back to
/// the stack as if received again on the same device (xfrm_input's
/// gro_cells_receive path, through the backlog), with the marker set.
/// `netif_rx` takes the packet (and frees it when the backlog is full).
pub(crate) fn reinject(mut skb: Skb, v6: bool) {
    let p = skb.as_ptr();
    // SAFETY: the skb is live and ours; its data starts at the inner
    // header, with the old link-layer header's room still before it in
    // the head, where skb_mac_header_rebuild moves that header.
    unsafe { glue_bindings::rust_ipsec_skb_reset_for_rx(p) };
    skb.reset_network_header();
    skb.set_protocol(if v6 {
        bindings::ETH_P_IPV6
    } else {
        bindings::ETH_P_IP
    } as u16);
    skb.set_pkt_type_host();
    skb.set_checksum_none();
    let cb = skb.cb_mut();
    cb.fill(0);
    if let Some(mark) = cb.get_mut(MARK_OFF..MARK_OFF + MARK_LEN) {
        mark.copy_from_slice(&cookie());
    }
    // SAFETY: the skb passes to the stack.
    let _ = unsafe { glue_bindings::netif_rx(skb.into_raw()) };
}

/// Whether `addr` is an address of this host in `net`.
pub(crate) fn addr_is_local(net: Net, addr: &Addr) -> bool {
    match addr {
        Addr::V6(a) => {
            let a = bindings::in6_addr {
                in6_u: bindings::in6_addr__bindgen_ty_1 { u6_addr8: *a },
            };
            // SAFETY: `net` is live (caller); `a` is read during the call.
            unsafe { glue_bindings::ipv6_chk_addr(net.as_ptr(), &a, core::ptr::null(), 0) != 0 }
        }
        Addr::V4(a) => {
            // SAFETY: `net` is live (caller).
            let t = unsafe { glue_bindings::inet_addr_type(net.as_ptr(), u32::from_ne_bytes(*a)) };
            t == glue_bindings::rust_ipsec_const_RUST_IPSEC_RTN_LOCAL
        }
    }
}

/// An allocated route cache, or none (no `CONFIG_DST_CACHE`, or no
/// memory): then every packet is routed afresh, which is slower only.
///
/// # Invariants
///
/// `cache`, when set, is an initialized `dst_cache`, destroyed only on
/// drop.
pub(crate) struct RouteCache {
    cache: Option<KBox<kernel::types::Opaque<glue_bindings::dst_cache>>>,
}

// SAFETY: the cache is per CPU and used only with BH disabled, so it may
// be used from any thread at once.
unsafe impl Send for RouteCache {}
// SAFETY: as above.
unsafe impl Sync for RouteCache {}

impl RouteCache {
    /// A new, empty cache (may sleep).
    pub(crate) fn new() -> Self {
        Self {
            cache: Self::alloc(),
        }
    }

    #[cfg(CONFIG_DST_CACHE)]
    fn alloc() -> Option<KBox<kernel::types::Opaque<glue_bindings::dst_cache>>> {
        let cache = KBox::new(kernel::types::Opaque::zeroed(), GFP_KERNEL).ok()?;
        // SAFETY: `cache` is zeroed memory of the right size, not yet
        // initialized; the init may sleep (GFP_KERNEL, caller).
        let rc = unsafe { glue_bindings::dst_cache_init(cache.get(), bindings::GFP_KERNEL) };
        // INVARIANT: initialized, or dropped (freed) here.
        (rc == 0).then_some(cache)
    }

    #[cfg(not(CONFIG_DST_CACHE))]
    fn alloc() -> Option<KBox<kernel::types::Opaque<glue_bindings::dst_cache>>> {
        None
    }

    /// No cache (transport SAs).
    pub(crate) fn none() -> Self {
        Self { cache: None }
    }

    /// The cache, unless none or the packet is marked.
    fn usable(&self, mark: u32) -> Option<*mut glue_bindings::dst_cache> {
        self.cache.as_ref().filter(|_| mark == 0).map(|c| c.get())
    }

    /// The cached route (cache and mark permitting), with a reference.
    /// The cache belongs to one SA, so its source address never changes.
    #[cfg(CONFIG_DST_CACHE)]
    fn get(&self, mark: u32) -> Option<OuterRoute> {
        let cache = self.usable(mark)?;
        // SAFETY: `cache` is initialized (invariant); the call turns BH
        // off around the lookup, as the per-CPU cache wants (output hooks
        // may run with it on).
        let dst = unsafe { glue_bindings::rust_ipsec_dst_cache_get_bh(cache) };
        // SAFETY: NULL or a route with a reference for us.
        unsafe { OuterRoute::from_raw(dst) }
    }

    #[cfg(not(CONFIG_DST_CACHE))]
    fn get(&self, _mark: u32) -> Option<OuterRoute> {
        None
    }

    /// Remembers `route` from `src` (cache and mark permitting).
    #[cfg(CONFIG_DST_CACHE)]
    fn set(&self, mark: u32, route: &OuterRoute, src: &Addr) {
        let Some(cache) = self.usable(mark) else {
            return;
        };
        let dst = route.dst.as_ptr();
        let _bh = BhDisabled::new();
        match src {
            Addr::V6(a) => {
                let a = bindings::in6_addr {
                    in6_u: bindings::in6_addr__bindgen_ty_1 { u6_addr8: *a },
                };
                // SAFETY: `cache` is initialized (invariant), BH is off;
                // `dst` is live (the cache takes its own reference).
                unsafe { glue_bindings::dst_cache_set_ip6(cache, dst, &a) };
            }
            Addr::V4(a) => {
                // SAFETY: as above.
                unsafe { glue_bindings::dst_cache_set_ip4(cache, dst, u32::from_ne_bytes(*a)) };
            }
        }
    }

    #[cfg(not(CONFIG_DST_CACHE))]
    fn set(&self, _mark: u32, _route: &OuterRoute, _src: &Addr) {}
}

impl Drop for RouteCache {
    fn drop(&mut self) {
        #[cfg(CONFIG_DST_CACHE)]
        if let Some(c) = &self.cache {
            // SAFETY: initialized (invariant) and not used after this; the
            // box is freed next.
            unsafe { glue_bindings::dst_cache_destroy(c.get()) };
        }
    }
}

/// A route to a tunnel's far end, with a reference held; released on drop
/// unless [`Skb::attach_route`] hands it to a packet.
///
/// # Invariants
///
/// `dst` is a live route this value holds a reference to.
pub(crate) struct OuterRoute {
    dst: NonNull<bindings::dst_entry>,
}

impl OuterRoute {
    /// Takes over the reference `dst` holds (NULL or an ERR_PTR: `None`).
    ///
    /// # Safety
    ///
    /// `dst` is NULL, an ERR_PTR, or a live route with a reference the
    /// caller hands over.
    unsafe fn from_raw(dst: *mut bindings::dst_entry) -> Option<Self> {
        if kernel::error::from_err_ptr(dst).is_err() {
            return None;
        }
        // INVARIANT: a live route, its reference now ours (safety
        // requirement).
        NonNull::new(dst).map(|dst| Self { dst })
    }

    /// The route from `src` to `dst` (same family) in `net` for a packet
    /// with `mark`, through `cache`, with a reference for the caller.
    pub(crate) fn lookup(
        net: Net,
        cache: &RouteCache,
        mark: u32,
        src: &Addr,
        dst: &Addr,
    ) -> Result<Self> {
        if let Some(r) = cache.get(mark) {
            return Ok(r);
        }
        let route = match (src, dst) {
            (Addr::V4(s), Addr::V4(d)) => Self::lookup_v4(net, mark, *s, *d),
            (Addr::V6(s), Addr::V6(d)) => Self::lookup_v6(net, mark, *s, *d),
            _ => return Err(EINVAL),
        }
        .ok_or(EHOSTUNREACH)?;
        cache.set(mark, &route, src);
        Ok(route)
    }

    fn lookup_v4(net: Net, mark: u32, src: [u8; 4], dst: [u8; 4]) -> Option<Self> {
        let mut fl4 = bindings::flowi4::default();
        fl4.__fl_common.flowic_mark = mark;
        fl4.__fl_common.flowic_proto = IPPROTO_ESP;
        fl4.saddr = u32::from_ne_bytes(src);
        fl4.daddr = u32::from_ne_bytes(dst);
        // SAFETY: `net` is live (caller); `fl4` is a valid flow the lookup
        // may update.
        let rt = unsafe { glue_bindings::rust_ipsec_ip_route_output_key(net.as_ptr(), &mut fl4) };
        if rt.is_null() || kernel::error::from_err_ptr(rt).is_err() {
            return None;
        }
        // SAFETY: `rt` is a live route with a reference for us; its
        // `dst` is the same object.
        unsafe { Self::from_raw(glue_bindings::rust_ipsec_rtable_dst(rt)) }
    }

    fn lookup_v6(net: Net, mark: u32, src: [u8; 16], dst: [u8; 16]) -> Option<Self> {
        let mut fl6 = bindings::flowi6::default();
        fl6.__fl_common.flowic_mark = mark;
        fl6.__fl_common.flowic_proto = IPPROTO_ESP;
        fl6.saddr.in6_u.u6_addr8 = src;
        fl6.daddr.in6_u.u6_addr8 = dst;
        // SAFETY: `net` is live (caller); `fl6` is a valid flow the lookup
        // may update.
        let dst = unsafe { glue_bindings::rust_ipsec_ip6_route_output(net.as_ptr(), &mut fl6) };
        // SAFETY: ip6_route_output never fails: it returns a route with a
        // reference for us, an error route (`dst->error` set) included.
        let route = unsafe { Self::from_raw(dst) }?;
        // SAFETY: the route is live (invariant).
        if unsafe { glue_bindings::rust_ipsec_dst_error(route.dst.as_ptr()) } != 0 {
            // Dropping `route` releases it.
            return None;
        }
        Some(route)
    }

    /// The route's MTU (the path MTU, once learnt).
    pub(crate) fn mtu(&self) -> u32 {
        // SAFETY: `dst` is live (invariant).
        unsafe { glue_bindings::rust_ipsec_dst_mtu(self.dst.as_ptr()) }
    }

    /// The route, its reference passing to the caller.
    fn into_raw(self) -> *mut bindings::dst_entry {
        ManuallyDrop::new(self).dst.as_ptr()
    }
}

impl Drop for OuterRoute {
    fn drop(&mut self) {
        // SAFETY: `dst` is live and the reference ours (invariant).
        unsafe { glue_bindings::dst_release(self.dst.as_ptr()) };
    }
}
