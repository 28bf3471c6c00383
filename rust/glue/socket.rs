// SPDX-License-Identifier: GPL-2.0

//! PF_KEY sockets: the protocol family, socket life cycle, sendmsg/recvmsg,
//! per-namespace socket lists and delivery of messages to sockets.
//!
//! C header: [include/net/sock.h](srctree/include/net/sock.h)
//!
//! The object layout and the operation tables are C data
//! (`socket_shims.c`); this file holds the handlers they point at. Message
//! semantics live in `crate::pfkey`, which this file calls with safe types:
//! [`Sock`] for a socket and [`SocketList`] for a namespace's sockets.

use core::pin::Pin;
use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use kernel::bindings;
use kernel::error::{from_result, to_result};
use kernel::ffi::{c_int, c_uint, c_void};
use kernel::prelude::*;
use kernel::sync::{new_mutex, Mutex};
use kernel::types::Opaque;

use super::bindings as glue;
use super::pernet::Net;

/// State rust_ipsec keeps per PF_KEY socket.
#[pin_data]
pub(crate) struct SockState {
    /// Bit `1 << satype` for every SA type the socket registered for.
    pub(crate) registered: AtomicU32,
    /// Whether the socket sees every message (`SADB_X_PROMISC`).
    pub(crate) promisc: AtomicBool,
    /// A dump in progress, continued as the reader drains the socket.
    #[pin]
    pub(crate) dump: Mutex<Option<crate::pfkey::dump::Dump>>,
}

impl SockState {
    fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            registered: AtomicU32::new(0),
            promisc: AtomicBool::new(false),
            dump <- new_mutex!(None),
        })
    }
}

/// A PF_KEY socket of this module.
///
/// # Invariants
///
/// `sk` is a live `struct sock` created by [`rust_ipsec_pfkey_create`]
/// whose state pointer holds a `Pin<KBox<SockState>>`, for as long as this
/// value is used (the socket is referenced: by its file during a syscall,
/// or by the namespace list inside an RCU read-side section).
#[derive(Clone, Copy)]
pub(crate) struct Sock {
    sk: NonNull<bindings::sock>,
}

impl Sock {
    /// # Safety
    ///
    /// `sk` must satisfy the type invariant for as long as the value is used.
    unsafe fn from_raw(sk: *mut bindings::sock) -> Option<Self> {
        NonNull::new(sk).map(|sk| Self { sk })
    }

    /// The socket's rust_ipsec state.
    pub(crate) fn state(&self) -> &SockState {
        // SAFETY: by the type invariant the state pointer holds a pinned
        // `SockState` that lives until the socket's destructor.
        unsafe { &*(*glue::rust_ipsec_sk_state(self.sk.as_ptr())).cast::<SockState>() }
    }

    /// The socket's network namespace.
    pub(crate) fn net(&self) -> Net {
        // SAFETY: the socket is live and holds a reference on its namespace.
        let net = unsafe { glue::rust_ipsec_sock_net(self.sk.as_ptr()) };
        // SAFETY: as above, the namespace outlives the socket.
        unsafe { Net::from_raw(net) }.expect("a socket always has a namespace")
    }

    /// The rust_ipsec state of the socket's namespace.
    pub(crate) fn netns(&self) -> &crate::netns::NetnsState {
        // SAFETY: the socket holds a reference on its namespace, so the
        // namespace's state (dropped only at the namespace's exit) outlives
        // the socket, and the subsystem stays registered while sockets
        // exist (they pin the module).
        unsafe { super::pernet::state(self.net()) }
    }

    /// Whether the receive queue has room to continue a dump: af_key's
    /// `3 * rmem <= 2 * rcvbuf`.
    pub(crate) fn has_room_for_dump(&self) -> bool {
        // SAFETY: the socket is live (type invariant).
        let (rmem, rcvbuf) = unsafe {
            (
                glue::rust_ipsec_sk_rmem_alloc(self.sk.as_ptr()),
                glue::rust_ipsec_sk_rcvbuf(self.sk.as_ptr()),
            )
        };
        i64::from(rmem) * 3 <= i64::from(rcvbuf) * 2
    }

    /// Whether the two handles are the same socket.
    pub(crate) fn same(&self, other: &Sock) -> bool {
        self.sk == other.sk
    }

    /// Queues a clone of `skb` on the socket; `ENOBUFS` when its receive
    /// buffer is full (the message is dropped for this socket only).
    fn queue(&self, skb: &SkBuff) -> Result {
        // SAFETY: `skb.ptr` is a live skb; cloning only reads it.
        let clone = unsafe { bindings::skb_clone(skb.ptr.as_ptr(), bindings::GFP_ATOMIC) };
        if clone.is_null() {
            return Err(ENOBUFS);
        }
        // SAFETY: the socket is live; on success the socket owns `clone`.
        let ret = unsafe { glue::__sock_queue_rcv_skb(self.sk.as_ptr(), clone) };
        if ret != 0 {
            // SAFETY: on failure `clone` is still ours.
            unsafe { glue::rust_ipsec_kfree_skb(clone) };
            return Err(ENOBUFS);
        }
        Ok(())
    }
}

/// An skb holding one PF_KEY message, freed on drop.
struct SkBuff {
    ptr: NonNull<bindings::sk_buff>,
}

impl SkBuff {
    /// A new skb holding a copy of `bytes`.
    fn with_data(bytes: &[u8], gfp: bindings::gfp_t) -> Result<Self> {
        let len = c_uint::try_from(bytes.len()).map_err(|_| EMSGSIZE)?;
        // SAFETY: plain allocation.
        let ptr = NonNull::new(unsafe { glue::rust_ipsec_alloc_skb(len, gfp) }).ok_or(ENOBUFS)?;
        let skb = Self { ptr };
        // SAFETY: the skb was allocated with `len` bytes of tailroom.
        let data = unsafe { bindings::skb_put(skb.ptr.as_ptr(), len) };
        // SAFETY: `data` points to `len` writable bytes not overlapping `bytes`.
        unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), data.cast::<u8>(), bytes.len()) };
        Ok(skb)
    }
}

impl Drop for SkBuff {
    fn drop(&mut self) {
        // SAFETY: we own the skb; clones hold their own references. (The
        // shim: `consume_skb` is a static inline without TRACEPOINTS.)
        unsafe { glue::rust_ipsec_consume_skb(self.ptr.as_ptr()) };
    }
}

/// Who receives a message (RFC 2367 section 3.1; af_key's BROADCAST_*).
/// Promiscuous sockets additionally get a copy of everything.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Audience {
    /// Only the socket passed as `one`.
    One,
    /// Every PF_KEY socket of the namespace.
    All,
    /// Sockets registered for any SA type, plus `one`.
    Registered,
    /// Only promiscuous sockets.
    PromiscOnly,
}

/// The PF_KEY sockets of one namespace: an RCU list (af_key's scheme), so
/// delivery can run in any context while sockets come and go.
#[pin_data]
pub(crate) struct SocketList {
    #[pin]
    head: Opaque<bindings::hlist_head>,
    /// Serialises insertions and removals.
    #[pin]
    writers: Mutex<()>,
}

// SAFETY: the list is modified only under `writers` and read under RCU.
unsafe impl Sync for SocketList {}
// SAFETY: as above; the list holds references, not thread-bound data.
unsafe impl Send for SocketList {}

impl SocketList {
    /// An empty list.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            head <- Opaque::ffi_init(|p: *mut bindings::hlist_head| {
                // SAFETY: `p` is valid for writes; an empty hlist is a
                // NULL first pointer.
                unsafe { (*p).first = core::ptr::null_mut() }
            }),
            writers <- new_mutex!(()),
        })
    }

    fn insert(&self, sk: *mut bindings::sock) {
        let _guard = self.writers.lock();
        // SAFETY: `sk` is a new live socket, not on any list; writers are
        // serialised by `writers`. Takes a socket reference.
        unsafe { glue::rust_ipsec_sk_add_node_rcu(sk, self.head.get()) };
    }

    fn remove(&self, sk: *mut bindings::sock) {
        let _guard = self.writers.lock();
        // SAFETY: `sk` was inserted by `insert`; drops that reference.
        unsafe { glue::rust_ipsec_sk_del_node_init_rcu(sk) };
    }

    /// Sends `bytes` to `audience` (and to every promiscuous socket).
    /// Sockets whose receive buffer is full miss the message, as in af_key.
    /// With [`Audience::Registered`], fails with `ESRCH` when no socket got it.
    pub(crate) fn broadcast(&self, bytes: &[u8], audience: Audience, one: Option<Sock>) -> Result {
        let skb = SkBuff::with_data(bytes, bindings::GFP_ATOMIC)?;
        let mut delivered = false;
        let guard = kernel::sync::rcu::read_lock();
        // SAFETY: inside an RCU read-side section the list and its sockets
        // stay valid (release waits for a grace period before dropping the
        // list's reference).
        let mut sk = unsafe { glue::rust_ipsec_sk_first_rcu(self.head.get()) };
        // SAFETY: every socket on the list is one of ours and stays valid
        // for the rest of the read-side section (see above).
        while let Some(sock) = unsafe { Sock::from_raw(sk) } {
            let state = sock.state();
            let is_one = one.is_some_and(|o| o.same(&sock));
            if state.promisc.load(Ordering::Relaxed) {
                let _ = sock.queue(&skb);
            }
            let wanted = !is_one
                && match audience {
                    Audience::All => true,
                    Audience::Registered => state.registered.load(Ordering::Relaxed) != 0,
                    Audience::One | Audience::PromiscOnly => false,
                };
            if wanted && sock.queue(&skb).is_ok() {
                delivered = true;
            }
            // SAFETY: `sk` is on the list and we are in the read section.
            sk = unsafe { glue::rust_ipsec_sk_next_rcu(sk) };
        }
        drop(guard);
        if let Some(one) = one {
            if audience != Audience::PromiscOnly {
                one.queue(&skb)?;
                delivered = true;
            }
        }
        if audience == Audience::Registered && !delivered {
            return Err(ESRCH);
        }
        Ok(())
    }
}

/// Registration of the PF_KEY family; dropping it unregisters.
pub(crate) struct Family(());

impl Family {
    /// Registers `struct proto` and the PF_KEY family. Fails with `EEXIST`
    /// (and a log line) when another PF_KEY implementation, such as
    /// Linux's af_key, holds the family.
    pub(crate) fn register() -> Result<Self> {
        // SAFETY: registers the module's static `struct proto`.
        to_result(unsafe { glue::rust_ipsec_proto_register() })?;
        // SAFETY: the family table is static C data.
        let ret = unsafe { bindings::sock_register(&raw const glue::rust_ipsec_pfkey_family) };
        if ret != 0 {
            // SAFETY: registered just above.
            unsafe { glue::rust_ipsec_proto_unregister() };
            if ret == EEXIST.to_errno() {
                pr_err!("PF_KEY is already registered (is af_key loaded? 'rmmod af_key'); not loading\n");
            }
            return to_result(ret).map(|()| Self(()));
        }
        Ok(Self(()))
    }
}

impl Drop for Family {
    fn drop(&mut self) {
        // SAFETY: registered in `register`; no new sockets after this, and
        // open sockets pin the module, so none exist at unload.
        unsafe { bindings::sock_unregister(bindings::PF_KEY as c_int) };
        // SAFETY: as above.
        unsafe { glue::rust_ipsec_proto_unregister() };
    }
}

const PF_KEY_V2: c_int = 2;

/// `net_proto_family::create`.
///
/// # Safety
///
/// Called by the kernel with a live namespace and a new `struct socket`.
#[no_mangle]
unsafe extern "C" fn rust_ipsec_pfkey_create(
    net: *mut bindings::net,
    sock: *mut bindings::socket,
    protocol: c_int,
    kern: c_int,
) -> c_int {
    from_result(|| {
        // SAFETY: the kernel passes a live namespace.
        let netr = unsafe { Net::from_raw(net) }.ok_or(EINVAL)?;
        // SAFETY: `net` is live; `ns_capable` only reads.
        let capable = unsafe {
            bindings::ns_capable(
                glue::rust_ipsec_net_user_ns(net),
                bindings::CAP_NET_ADMIN as c_int,
            )
        };
        if !capable {
            return Err(EPERM);
        }
        // SAFETY: the kernel passes a valid socket.
        if i64::from(unsafe { (*sock).type_ }) != i64::from(bindings::sock_type_SOCK_RAW) {
            return Err(ESOCKTNOSUPPORT);
        }
        if protocol != PF_KEY_V2 {
            return Err(EPROTONOSUPPORT);
        }
        let state = KBox::pin_init(SockState::new(), GFP_KERNEL)?;
        // SAFETY: `net` is live.
        let sk = unsafe { glue::rust_ipsec_sk_alloc(net, kern) };
        if sk.is_null() {
            return Err(ENOMEM);
        }
        // SAFETY: `sk` is a new socket object of our proto; the state is
        // moved out of its box and freed by `sock_destruct`, never moved.
        unsafe {
            *glue::rust_ipsec_sk_state(sk) =
                KBox::into_raw(Pin::into_inner_unchecked(state)).cast::<c_void>();
            glue::rust_ipsec_sock_init(sock, sk, Some(sock_destruct));
        }
        // SAFETY: `net` is live and the subsystem registered (we are
        // creating a socket in it).
        let netns = unsafe { super::pernet::state::<crate::netns::NetnsState>(netr) };
        netns.pfkey().sockets.insert(sk);
        Ok(0)
    })
}

/// `proto_ops::release`.
///
/// # Safety
///
/// Called by the kernel for one of our sockets, once.
#[no_mangle]
unsafe extern "C" fn rust_ipsec_pfkey_release(sock: *mut bindings::socket) -> c_int {
    // SAFETY: the kernel passes a valid socket.
    let sk = unsafe { (*sock).sk };
    // SAFETY: a socket being released is still live.
    let Some(s) = (unsafe { Sock::from_raw(sk) }) else {
        return 0;
    };
    s.netns().pfkey().sockets.remove(sk);
    // SAFETY: `sk` is live; we own the socket's last user reference.
    unsafe {
        glue::rust_ipsec_sock_orphan(sk);
        (*sock).sk = core::ptr::null_mut();
    }
    // Broadcasters that found the socket on the list are done after this.
    kernel::sync::rcu::synchronize_rcu();
    // SAFETY: drops the reference `sk_alloc` gave us; frees the socket.
    unsafe { glue::rust_ipsec_sock_put(sk) };
    0
}

/// `sk_destruct`: frees the queues and the rust_ipsec state.
///
/// # Safety
///
/// Called by the kernel once, when the last reference to `sk` goes.
unsafe extern "C" fn sock_destruct(sk: *mut bindings::sock) {
    // SAFETY: `sk` is being destroyed; nobody else uses it.
    unsafe {
        glue::rust_ipsec_sk_purge_queues(sk);
        let slot = glue::rust_ipsec_sk_state(sk);
        let state = (*slot).cast::<SockState>();
        if !state.is_null() {
            *slot = core::ptr::null_mut();
            // The state (and any dump in progress) goes away with it.
            drop(KBox::from_raw(state));
        }
    }
}

/// `proto_ops::sendmsg`: one PF_KEY message per call.
///
/// # Safety
///
/// Called by the kernel for one of our sockets with a valid `msghdr`.
#[no_mangle]
unsafe extern "C" fn rust_ipsec_pfkey_sendmsg(
    sock: *mut bindings::socket,
    msg: *mut bindings::msghdr,
    len: usize,
) -> c_int {
    from_result(|| {
        // SAFETY: the kernel passes valid pointers.
        let (sk, flags) = unsafe { ((*sock).sk, (*msg).msg_flags) };
        // SAFETY: a socket in a syscall is live.
        let s = unsafe { Sock::from_raw(sk) }.ok_or(EINVAL)?;
        if flags & bindings::MSG_OOB != 0 {
            return Err(EOPNOTSUPP);
        }
        // SAFETY: `sk` is live.
        let sndbuf = unsafe { glue::rust_ipsec_sk_sndbuf(sk) };
        let limit = usize::try_from(sndbuf.saturating_sub(32)).unwrap_or(0);
        if len > limit {
            return Err(EMSGSIZE);
        }
        let mut buf = KVec::<u8>::with_capacity(len, GFP_KERNEL)?;
        let n = c_int::try_from(len).map_err(|_| EMSGSIZE)?;
        // SAFETY: `buf` has capacity for `len` bytes; `msg` is valid.
        if unsafe { glue::rust_ipsec_memcpy_from_msg(buf.as_mut_ptr().cast::<c_void>(), msg, n) }
            != 0
        {
            return Err(EFAULT);
        }
        // SAFETY: the copy above initialised `len` bytes.
        unsafe { buf.inc_len(len) };
        crate::pfkey::process(s, &buf)?;
        Ok(n)
    })
}

/// `proto_ops::recvmsg`: one message per call; continues a dump.
///
/// # Safety
///
/// Called by the kernel for one of our sockets with a valid `msghdr`.
#[no_mangle]
unsafe extern "C" fn rust_ipsec_pfkey_recvmsg(
    sock: *mut bindings::socket,
    msg: *mut bindings::msghdr,
    len: usize,
    flags: c_int,
) -> c_int {
    let allowed = bindings::MSG_PEEK | bindings::MSG_DONTWAIT | bindings::MSG_TRUNC;
    let uflags = flags as c_uint;
    if uflags & !allowed != 0 {
        return EINVAL.to_errno();
    }
    // SAFETY: the kernel passes a valid socket.
    let sk = unsafe { (*sock).sk };
    let mut err: c_int = 0;
    // SAFETY: `sk` is live during the syscall.
    let skb = unsafe { bindings::skb_recv_datagram(sk, uflags, &mut err) };
    if skb.is_null() {
        return err;
    }
    // SAFETY: `skb` is a live datagram we dequeued (or peeked).
    let skb_len = unsafe { glue::rust_ipsec_skb_len(skb) } as usize;
    let copied = skb_len.min(len);
    if skb_len > len {
        // SAFETY: `msg` is valid.
        unsafe { glue::rust_ipsec_msg_set_flags(msg, bindings::MSG_TRUNC as c_int) };
    }
    // SAFETY: copies `copied <= skb_len` bytes into the caller's iterator.
    let ret = unsafe { glue::rust_ipsec_skb_copy_datagram_msg(skb, msg, copied as c_int) };
    let ret = if ret != 0 {
        ret
    } else if uflags & bindings::MSG_TRUNC != 0 {
        skb_len as c_int
    } else {
        copied as c_int
    };
    // SAFETY: a socket in a syscall is live.
    if let Some(s) = unsafe { Sock::from_raw(sk) } {
        crate::pfkey::continue_dump(s);
    }
    // SAFETY: releases the datagram obtained above.
    unsafe { bindings::skb_free_datagram(sk, skb) };
    ret
}
