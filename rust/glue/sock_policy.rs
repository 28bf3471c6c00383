// SPDX-License-Identifier: GPL-2.0

//! Per-socket policies, kept in the sockets' own XFRM policy slots.
//!
//! C headers: [include/net/xfrm.h](srctree/include/net/xfrm.h),
//! [include/net/inet_hashtables.h](srctree/include/net/inet_hashtables.h)
//!
//! Linux hands `setsockopt(IP_IPSEC_POLICY / IPV6_IPSEC_POLICY)` to the
//! registered key managers (`xfrm_user_policy`): the first whose
//! `compile_policy` accepts the value returns a `struct xfrm_policy`, which
//! XFRM stores in `sk->sk_policy[dir]`, copies to accepted sockets
//! (`xfrm_sk_clone_policy`) and frees with the socket. [`KeyManager`]
//! registers such a manager, so a socket's policy lives exactly as long as
//! Linux's own would, with nothing for the module to track or leak.
//!
//! The policies stored here carry a mark XFRM never matches (value
//! [`OWNER_MARK`] under mask 0: `(sk_mark & 0) != OWNER_MARK`), so XFRM's
//! lookups skip them and fall back to its own SPD; whoever registered the
//! manager reads them back ([`StoredPolicy`]) and enforces them. What a
//! template means is the reader's business: this file only stores and
//! returns its fields.

use core::marker::PhantomData;
use core::ptr::NonNull;

use kernel::bindings;
use kernel::ffi::c_int;
use kernel::prelude::*;

use super::bindings as glue_bindings;
use super::entry_slot::EntrySlot;
use super::hooks::Packet;
use super::pernet::{self, Net, PernetState};
use super::skb::Skb;
use crate::ipsec_core::inet::Addr;

/// The mark value of the policies stored here ("rips"), under mask 0.
pub(crate) const OWNER_MARK: u32 = 0x7269_7073;

/// Most templates a stored policy has (`XFRM_MAX_DEPTH`).
pub(crate) const MAX_TEMPLATES: usize = 6;

/// `AF_INET`, `AF_INET6`.
const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;
/// `XFRM_POLICY_ALLOW`, `XFRM_POLICY_BLOCK`.
const XFRM_POLICY_ALLOW: u8 = 0;
const XFRM_POLICY_BLOCK: u8 = 1;
/// `XFRM_MODE_TRANSPORT`, `XFRM_MODE_TUNNEL`.
const XFRM_MODE_TRANSPORT: u8 = 0;
const XFRM_MODE_TUNNEL: u8 = 1;
/// `IPPROTO_TCP`, `IPPROTO_UDP`.
const IPPROTO_TCP: u8 = 6;
const IPPROTO_UDP: u8 = 17;

/// A socket's policy slot: `XFRM_POLICY_IN` or `XFRM_POLICY_OUT`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SlotDir {
    /// Packets the socket receives.
    In = 0,
    /// Packets the socket sends.
    Out = 1,
}

/// One template of a stored policy (the fields of `struct xfrm_tmpl` used).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Template {
    /// `id.proto`: the IPsec protocol.
    pub(crate) proto: u8,
    /// `mode`: tunnel (else transport).
    pub(crate) tunnel: bool,
    /// `share`: the owner's level value (XFRM does not read it).
    pub(crate) level: u8,
    /// `optional`: the transform may be missing.
    pub(crate) optional: bool,
    /// `reqid`.
    pub(crate) reqid: u32,
    /// `saddr` and `id.daddr` with `encap_family`, if given.
    pub(crate) endpoints: Option<(Addr, Addr)>,
}

/// A policy as stored in a socket's slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StoredPolicy {
    /// The owner's kind of policy, kept in `if_id` (XFRM compares it only
    /// for a policy whose mark matched, which never happens).
    pub(crate) kind: u32,
    /// `action` is `XFRM_POLICY_BLOCK`.
    pub(crate) block: bool,
    /// `index`, which XFRM assigns when it stores the policy (0 before):
    /// socket policies' ids.
    pub(crate) index: u32,
    /// `xfrm_vec`, filled from the front.
    pub(crate) templates: [Option<Template>; MAX_TEMPLATES],
}

/// Compiles a socket option into a stored policy: implemented by the
/// per-namespace state the manager works for.
pub(crate) trait PolicyCompiler: PernetState {
    /// The policy of option `optname` with value `data`, set on a socket
    /// of address family `sk_family` in this namespace, and its slot. Runs
    /// under `rcu_read_lock()`: must not sleep. An error is the option's
    /// errno.
    fn compile(&self, optname: i32, sk_family: u16, data: &[u8]) -> Compiled;
}

/// What compiling gives: the slot and the policy to store there.
type Compiled = Result<(SlotDir, StoredPolicy)>;

/// The registered manager's compiler.
struct Entry {
    compile: fn(Net, i32, u16, &[u8]) -> Compiled,
}

/// Set before the manager is registered, cleared after it is unregistered.
static ENTRY: EntrySlot<Entry> = EntrySlot::new();

/// The registered key manager, compiling with the namespace state `S`;
/// dropping it unregisters (and waits for running callbacks). It must be
/// dropped before `S`'s pernet registration.
pub(crate) struct KeyManager<S: PolicyCompiler> {
    _state: PhantomData<S>,
}

impl<S: PolicyCompiler> KeyManager<S> {
    const ENTRY: Entry = Entry {
        compile: compile_in::<S>,
    };

    /// Registers the manager with XFRM.
    pub(crate) fn register() -> Result<Self> {
        ENTRY.fill(&Self::ENTRY)?;
        // SAFETY: registers the module's static `struct xfrm_mgr`.
        unsafe { glue_bindings::rust_ipsec_km_register() };
        Ok(Self {
            _state: PhantomData,
        })
    }
}

impl<S: PolicyCompiler> Drop for KeyManager<S> {
    fn drop(&mut self) {
        // SAFETY: registered in `register`; this also waits for an RCU
        // grace period, after which no callback runs.
        unsafe { glue_bindings::rust_ipsec_km_unregister() };
        ENTRY.clear();
    }
}

/// [`Entry::compile`] for `S`: the namespace's state compiles.
fn compile_in<S: PolicyCompiler>(net: Net, optname: i32, sk_family: u16, data: &[u8]) -> Compiled {
    // SAFETY: the socket setting the option holds a reference on `net`,
    // and `S`'s subsystem stays registered while the manager is (it is
    // unregistered first).
    unsafe { pernet::state::<S>(net) }.compile(optname, sk_family, data)
}

/// `xfrm_mgr::compile_policy`: the policy for `sk` from the option value
/// `data`, with its slot in `*dir`; or NULL with the errno in `*dir`.
///
/// # Safety
///
/// Called by XFRM only (`xfrm_user_policy`, under `rcu_read_lock()`),
/// with a live socket, `len` readable bytes at `data` and a writable `dir`.
#[no_mangle]
unsafe extern "C" fn rust_ipsec_km_compile_policy(
    sk: *mut bindings::sock,
    opt: c_int,
    data: *mut u8,
    len: c_int,
    dir: *mut c_int,
) -> *mut glue_bindings::xfrm_policy {
    // SAFETY: as the function's contract says.
    let outcome = unsafe { compile_for(sk, opt, data, len) };
    let (d, pol) = match outcome {
        Ok((d, pol)) => (d as c_int, pol.as_ptr()),
        Err(e) => (e.to_errno(), core::ptr::null_mut()),
    };
    // SAFETY: `dir` is writable (contract).
    unsafe { *dir = d };
    pol
}

/// The body of [`rust_ipsec_km_compile_policy`].
///
/// # Safety
///
/// As [`rust_ipsec_km_compile_policy`].
unsafe fn compile_for(
    sk: *mut bindings::sock,
    opt: c_int,
    data: *mut u8,
    len: c_int,
) -> Result<(SlotDir, NonNull<glue_bindings::xfrm_policy>)> {
    let entry = ENTRY.get().ok_or(EOPNOTSUPP)?;
    let len = usize::try_from(len).map_err(|_| EINVAL)?;
    if data.is_null() {
        return Err(EINVAL);
    }
    // SAFETY: `len` bytes at `data` are readable during the call (XFRM's
    // copy of the option value).
    let bytes = unsafe { core::slice::from_raw_parts(data, len) };
    // SAFETY: `sk` is live (contract); these read its fields.
    let (netp, family) = unsafe {
        (
            glue_bindings::rust_ipsec_sock_net(sk),
            glue_bindings::rust_ipsec_sk_family(sk),
        )
    };
    // SAFETY: the socket holds a reference on its namespace.
    let net = unsafe { Net::from_raw(netp) }.ok_or(EINVAL)?;
    let (d, stored) = (entry.compile)(net, opt, family, bytes)?;
    let pol = store(net, family, &stored)?;
    Ok((d, pol))
}

/// A new `struct xfrm_policy` of `net` holding `p`, for a socket of
/// `family`: allocated last, when nothing can fail any more.
fn store(net: Net, family: u16, p: &StoredPolicy) -> Result<NonNull<glue_bindings::xfrm_policy>> {
    let mut vec: [glue_bindings::xfrm_tmpl; MAX_TEMPLATES] = Default::default();
    let mut n: u8 = 0;
    for (slot, t) in vec
        .iter_mut()
        .zip(p.templates.iter().map_while(|t| t.as_ref()))
    {
        *slot = template_to_xfrm(t);
        n += 1;
    }
    // SAFETY: `net` is live (caller); GFP_ATOMIC: XFRM calls us under RCU.
    let raw = unsafe { glue_bindings::xfrm_policy_alloc(net.as_ptr(), bindings::GFP_ATOMIC) };
    let pol = NonNull::new(raw).ok_or(ENOBUFS)?;
    let x = pol.as_ptr();
    // SAFETY: `x` is a new policy nothing else has seen yet.
    unsafe {
        (*x).mark.v = OWNER_MARK;
        (*x).mark.m = 0;
        (*x).if_id = p.kind;
        (*x).action = if p.block {
            XFRM_POLICY_BLOCK
        } else {
            XFRM_POLICY_ALLOW
        };
        (*x).family = family;
        (*x).selector.family = family;
        (*x).xfrm_nr = n;
        (*x).xfrm_vec = vec;
    }
    Ok(pol)
}

/// `t` as `struct xfrm_tmpl`.
fn template_to_xfrm(t: &Template) -> glue_bindings::xfrm_tmpl {
    let mut x = glue_bindings::xfrm_tmpl::default();
    x.id.proto = t.proto;
    x.mode = if t.tunnel {
        XFRM_MODE_TUNNEL
    } else {
        XFRM_MODE_TRANSPORT
    };
    x.share = t.level;
    x.optional = u8::from(t.optional);
    x.reqid = t.reqid;
    x.aalgos = !0;
    x.ealgos = !0;
    x.calgos = !0;
    if let Some((s, d)) = t.endpoints {
        let (sa, fam) = xfrm_addr(&s);
        let (da, _) = xfrm_addr(&d);
        x.saddr = sa;
        x.id.daddr = da;
        x.encap_family = fam;
    }
    x
}

/// `struct xfrm_tmpl` as a [`Template`].
fn template_from_xfrm(x: &glue_bindings::xfrm_tmpl) -> Template {
    let endpoints = match x.encap_family {
        AF_INET | AF_INET6 => Some((
            addr_of(&x.saddr, x.encap_family),
            addr_of(&x.id.daddr, x.encap_family),
        )),
        _ => None,
    };
    Template {
        proto: x.id.proto,
        tunnel: x.mode == XFRM_MODE_TUNNEL,
        level: x.share,
        optional: x.optional != 0,
        reqid: x.reqid,
        endpoints,
    }
}

/// `a` as an `xfrm_address_t` and its address family.
fn xfrm_addr(a: &Addr) -> (bindings::xfrm_address_t, u16) {
    let (b, family) = match a {
        Addr::V4(b) => (
            [b[0], b[1], b[2], b[3], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            AF_INET,
        ),
        Addr::V6(b) => (*b, AF_INET6),
    };
    let in6 = in6(&b);
    (bindings::xfrm_address_t { in6 }, family)
}

/// The address of `family` in `a`.
fn addr_of(a: &bindings::xfrm_address_t, family: u16) -> Addr {
    // SAFETY: every bit pattern is a valid `[u8; 16]`, and the unions
    // are 16 bytes whichever member was written.
    let b = unsafe { a.in6.in6_u.u6_addr8 };
    if family == AF_INET {
        Addr::V4([b[0], b[1], b[2], b[3]])
    } else {
        Addr::V6(b)
    }
}

/// The policy stored here in slot `dir` of the full socket `sk`, if any.
///
/// # Safety
///
/// `sk` is a live full socket, and the caller is in an RCU read-side
/// section (hooks are) that the result does not outlive.
unsafe fn stored_in(sk: *mut bindings::sock, dir: SlotDir) -> Option<StoredPolicy> {
    // SAFETY: `sk` is live (caller); the slot is RCU-protected and the
    // caller holds the read lock.
    let pol = unsafe { glue_bindings::rust_ipsec_sk_policy(sk, dir as c_int) };
    if pol.is_null() {
        return None;
    }
    // SAFETY: a policy in a socket's slot is freed only after an RCU grace
    // period (`xfrm_policy_destroy` uses `call_rcu`); these read fields
    // that do not change after it was stored.
    let p = unsafe { &*pol };
    if p.mark.v != OWNER_MARK || p.mark.m != 0 || p.walk.dead != 0 {
        return None;
    }
    let mut templates = [None; MAX_TEMPLATES];
    let n = usize::from(p.xfrm_nr).min(MAX_TEMPLATES);
    for (slot, x) in templates.iter_mut().zip(p.xfrm_vec.iter().take(n)) {
        *slot = Some(template_from_xfrm(x));
    }
    Some(StoredPolicy {
        kind: p.if_id,
        block: p.action == XFRM_POLICY_BLOCK,
        index: p.index,
        templates,
    })
}

/// [`stored_in`], for a socket pointer that may be null (no socket).
///
/// # Safety
///
/// `sk` is null or as [`stored_in`] requires.
unsafe fn stored_in_nullable(sk: *mut bindings::sock, dir: SlotDir) -> Option<StoredPolicy> {
    if sk.is_null() {
        return None;
    }
    // SAFETY: not null, so as the caller promises.
    unsafe { stored_in(sk, dir) }
}

impl Skb {
    /// The policy stored here for `dir` by the socket that sent this
    /// packet (for a connection request, its listener), if any. Call from
    /// a hook (RCU read-side).
    pub(crate) fn sender_policy(&self, dir: SlotDir) -> Option<StoredPolicy> {
        // SAFETY: the skb is live (invariant); its socket, if any, is held
        // by it.
        let sk = unsafe { glue_bindings::rust_ipsec_skb_to_full_sk(self.as_ptr()) };
        // SAFETY: null or a full socket the skb holds; the caller is in a
        // hook.
        unsafe { stored_in_nullable(sk, dir) }
    }
}

impl Packet {
    /// The policy stored here for `dir` by the socket in the hook's
    /// namespace that `flow` would be delivered to, if any (see
    /// [`receiver_policy`]).
    pub(crate) fn receiver_policy(&self, flow: &Flow, dir: SlotDir) -> Option<StoredPolicy> {
        receiver_policy(self.net(), flow, self.iif(), dir)
    }
}

/// A TCP or UDP flow as its receiver sees it: from `src`:`sport` to
/// `dst`:`dport`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Flow {
    /// `IPPROTO_TCP` or `IPPROTO_UDP` (others have no socket to find).
    pub(crate) proto: u8,
    /// Source address and port (host order).
    pub(crate) src: Addr,
    /// Source port.
    pub(crate) sport: u16,
    /// Destination address.
    pub(crate) dst: Addr,
    /// Destination port.
    pub(crate) dport: u16,
}

/// The policy stored here for `dir` by the socket in `net` that `flow`
/// would be delivered to (arriving on interface `dif`), as the transport
/// layer looks it up, if any. Call from a hook (RCU read-side).
fn receiver_policy(net: Net, flow: &Flow, dif: i32, dir: SlotDir) -> Option<StoredPolicy> {
    let (sport, dport) = (flow.sport.to_be(), flow.dport.to_be());
    match (flow.proto, &flow.src, &flow.dst) {
        (IPPROTO_TCP, Addr::V4(s), Addr::V4(d)) => {
            // SAFETY: `net` is live (the hook's); the result, if any, is a
            // socket with a reference we drop below.
            let sk = unsafe {
                glue_bindings::rust_ipsec_inet_lookup(
                    net.as_ptr(),
                    u32::from_ne_bytes(*s),
                    sport,
                    u32::from_ne_bytes(*d),
                    dport,
                    dif,
                )
            };
            // SAFETY: `sk` is null or a socket we hold a reference on.
            unsafe { policy_and_put(sk, dir) }
        }
        (IPPROTO_TCP, Addr::V6(s), Addr::V6(d)) => {
            let (s, d) = (in6(s), in6(d));
            // SAFETY: as above; `s` and `d` are read during the call.
            let sk = unsafe {
                glue_bindings::inet6_lookup(
                    net.as_ptr(),
                    core::ptr::null_mut(),
                    0,
                    &s,
                    sport,
                    &d,
                    dport,
                    dif,
                )
            };
            // SAFETY: as above.
            unsafe { policy_and_put(sk, dir) }
        }
        (IPPROTO_UDP, Addr::V4(s), Addr::V4(d)) => {
            // SAFETY: `net` is live; the result is RCU-protected (UDP
            // sockets are freed after a grace period) and used only
            // inside the hook's read-side section.
            let sk = unsafe {
                glue_bindings::__udp4_lib_lookup(
                    net.as_ptr(),
                    u32::from_ne_bytes(*s),
                    sport,
                    u32::from_ne_bytes(*d),
                    dport,
                    dif,
                    0,
                    core::ptr::null_mut(),
                )
            };
            // SAFETY: `sk` is null or a live UDP socket (RCU).
            unsafe { stored_in_nullable(sk, dir) }
        }
        (IPPROTO_UDP, Addr::V6(s), Addr::V6(d)) => {
            let (s, d) = (in6(s), in6(d));
            // SAFETY: as for IPv4.
            let sk = unsafe {
                glue_bindings::__udp6_lib_lookup(
                    net.as_ptr(),
                    &s,
                    sport,
                    &d,
                    dport,
                    dif,
                    0,
                    core::ptr::null_mut(),
                )
            };
            // SAFETY: as for IPv4.
            unsafe { stored_in_nullable(sk, dir) }
        }
        _ => None,
    }
}

/// `a` as `struct in6_addr`.
fn in6(a: &[u8; 16]) -> bindings::in6_addr {
    bindings::in6_addr {
        in6_u: bindings::in6_addr__bindgen_ty_1 { u6_addr8: *a },
    }
}

/// The policy of the full socket behind `sk` (a listener for a request
/// socket, none for a time-wait one), then the reference on `sk` dropped.
///
/// # Safety
///
/// `sk` is null or a socket (of any state) the caller holds a reference
/// on, which this gives up; the caller is in an RCU read-side section.
unsafe fn policy_and_put(sk: *mut bindings::sock, dir: SlotDir) -> Option<StoredPolicy> {
    if sk.is_null() {
        return None;
    }
    // SAFETY: `sk` is live (reference held); a request socket's listener
    // outlives it.
    let full = unsafe { glue_bindings::rust_ipsec_sk_to_full_sk(sk) };
    // SAFETY: `full` is null or a live full socket; RCU read-side.
    let policy = unsafe { stored_in_nullable(full, dir) };
    // SAFETY: drops the reference the lookup took.
    unsafe { glue_bindings::sock_gen_put(sk) };
    policy
}

/// `xfrm_mgr::acquire`: rust_ipsec sends its ACQUIREs through PF_KEY
/// itself, so XFRM's states are none of its business.
#[no_mangle]
extern "C" fn rust_ipsec_km_acquire(
    _x: *mut bindings::xfrm_state,
    _t: *mut glue_bindings::xfrm_tmpl,
    _xp: *mut glue_bindings::xfrm_policy,
) -> c_int {
    ESRCH.to_errno()
}
