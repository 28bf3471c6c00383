// SPDX-License-Identifier: GPL-2.0

//! A socket family: socket life cycle, sendmsg/recvmsg, per-namespace
//! socket lists and queueing of datagrams on sockets.
//!
//! C header: [include/net/sock.h](srctree/include/net/sock.h)
//!
//! The object layout and the operation tables are C data
//! (`socket_shims.c`); this file holds the handlers they point at, which
//! pass each call on to the [`SocketFamily`] registered with [`Family`].
//! What messages mean is the family's business: this file only moves
//! bytes between sockets and the family, with safe types: [`Sock`] for a
//! socket and [`SocketList`] for a namespace's sockets.

use core::marker::PhantomData;
use core::pin::Pin;
use core::ptr::NonNull;

use kernel::bindings;
use kernel::error::{from_result, to_result};
use kernel::ffi::{c_int, c_uint, c_void};
use kernel::prelude::*;
use kernel::sync::{new_mutex, Mutex};
use kernel::types::Opaque;

use super::bindings as glue;
use super::entry_slot::EntrySlot;
use super::pernet::{self, Net, PernetState};
use super::skb::Skb;

/// A socket family: what its sockets keep, where a namespace keeps its
/// sockets, and what a message written to a socket does.
pub(crate) trait SocketFamily: Sized + 'static {
    /// The family's name, for log lines.
    const NAME: &'static str;
    /// What `socket(2)` must pass as its protocol.
    const PROTOCOL: c_int;
    /// Who else may hold the family number, for the log line when the
    /// family is taken.
    const RIVAL: &'static str;

    /// What each socket keeps.
    type SockData: Send + Sync;
    /// What each namespace keeps (its [`SocketList`] among it).
    type NetData: Send + Sync;

    /// The data of a new socket.
    fn new_sock_data() -> impl PinInit<Self::SockData>;

    /// The sockets of a namespace.
    fn sockets(net: &Self::NetData) -> &SocketList<Self>;

    /// `sock` wrote `bytes` (one `sendmsg`).
    fn sendmsg(net: &Self::NetData, sock: Sock<'_, Self>, bytes: &[u8]) -> Result;

    /// The reader of `sock` took a datagram (one `recvmsg`).
    fn recvmsg_done(net: &Self::NetData, sock: Sock<'_, Self>);
}

/// The per-namespace state (a pernet subsystem's) that holds a family's
/// namespace data.
pub(crate) trait FamilyHost<F: SocketFamily>: PernetState {
    /// The family's data in this namespace.
    fn family_net(&self) -> &F::NetData;
}

/// A socket of the family `F`, for the lifetime `'a` in which it is known
/// to be live: a syscall on it, or an RCU read-side section that found it
/// on its namespace's list.
///
/// # Invariants
///
/// `sk` is a live `struct sock` created by the family's `create` whose
/// state pointer holds a `Pin<KBox<F::SockData>>`, for all of `'a`.
pub(crate) struct Sock<'a, F: SocketFamily> {
    sk: NonNull<bindings::sock>,
    _family: PhantomData<(&'a (), F)>,
}

impl<F: SocketFamily> Clone for Sock<'_, F> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<F: SocketFamily> Copy for Sock<'_, F> {}

impl<'a, F: SocketFamily> Sock<'a, F> {
    /// # Safety
    ///
    /// `sk` must satisfy the type invariant for as long as the value is used.
    unsafe fn from_raw(sk: *mut bindings::sock) -> Option<Self> {
        NonNull::new(sk).map(|sk| Self {
            sk,
            _family: PhantomData,
        })
    }

    /// The socket's family data.
    pub(crate) fn data(&self) -> &'a F::SockData {
        // SAFETY: by the type invariant the state pointer holds a pinned
        // `F::SockData` that lives until the socket's destructor.
        unsafe { &*(*glue::rust_ipsec_sk_state(self.sk.as_ptr())).cast::<F::SockData>() }
    }

    /// Bytes queued for the reader, and the receive buffer's size.
    pub(crate) fn receive_queue(&self) -> (i32, i32) {
        // SAFETY: the socket is live (type invariant).
        unsafe {
            (
                glue::rust_ipsec_sk_rmem_alloc(self.sk.as_ptr()),
                glue::rust_ipsec_sk_rcvbuf(self.sk.as_ptr()),
            )
        }
    }

    /// Whether the two handles are the same socket.
    pub(crate) fn same(&self, other: &Sock<'_, F>) -> bool {
        self.sk == other.sk
    }

    /// Queues a copy of `dgram` for the socket's reader; `ENOBUFS` when
    /// its receive buffer is full (the datagram is dropped for this socket
    /// only).
    pub(crate) fn queue(&self, dgram: &Datagram) -> Result {
        let ptr = dgram.as_ptr();
        if ptr.is_null() {
            return Err(ENOBUFS);
        }
        // SAFETY: `ptr` is the datagram's live skb; cloning only reads it;
        // the clone is ours.
        let clone = unsafe { Skb::from_raw(bindings::skb_clone(ptr, bindings::GFP_ATOMIC)) }
            .ok_or(ENOBUFS)?;
        let raw = clone.into_raw();
        // SAFETY: the socket is live; on success the socket owns `raw`.
        let ret = unsafe { glue::__sock_queue_rcv_skb(self.sk.as_ptr(), raw) };
        if ret != 0 {
            // SAFETY: on failure `raw` is still ours: freed on drop.
            drop(unsafe { Skb::from_raw(raw) });
            return Err(ENOBUFS);
        }
        Ok(())
    }
}

/// A datagram to queue on sockets: an [`Skb`] holding a copy of the
/// bytes, consumed on drop (each socket gets a clone).
pub(crate) struct Datagram {
    skb: Option<Skb>,
}

impl Datagram {
    /// A datagram holding a copy of `bytes` (any context).
    pub(crate) fn new(bytes: &[u8]) -> Result<Self> {
        let skb = Skb::with_data(bytes, bindings::GFP_ATOMIC)?;
        Ok(Self { skb: Some(skb) })
    }

    fn as_ptr(&self) -> *mut bindings::sk_buff {
        self.skb.as_ref().map_or(core::ptr::null_mut(), Skb::as_ptr)
    }
}

impl Drop for Datagram {
    fn drop(&mut self) {
        // Delivered (to clones), not dropped: `consume_skb`.
        if let Some(skb) = self.skb.take() {
            skb.consume();
        }
    }
}

/// The sockets of one namespace: an RCU list (af_key's scheme), so
/// delivery can run in any context while sockets come and go.
#[pin_data]
pub(crate) struct SocketList<F: SocketFamily> {
    #[pin]
    head: Opaque<bindings::hlist_head>,
    /// Serialises insertions and removals.
    #[pin]
    writers: Mutex<()>,
    _family: PhantomData<F>,
}

// SAFETY: the list is modified only under `writers` and read under RCU.
unsafe impl<F: SocketFamily> Sync for SocketList<F> {}
// SAFETY: as above; the list holds references, not thread-bound data.
unsafe impl<F: SocketFamily> Send for SocketList<F> {}

impl<F: SocketFamily> SocketList<F> {
    /// An empty list.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            head <- Opaque::ffi_init(|p: *mut bindings::hlist_head| {
                // SAFETY: `p` is valid for writes; an empty hlist is a
                // NULL first pointer.
                unsafe { (*p).first = core::ptr::null_mut() }
            }),
            writers <- new_mutex!(()),
            _family: PhantomData,
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

    /// Calls `each` for every socket of the list, inside an RCU read-side
    /// section (`each` must not sleep); a handle lives only for its call.
    pub(crate) fn for_each(&self, mut each: impl for<'s> FnMut(Sock<'s, F>)) {
        let guard = kernel::sync::rcu::read_lock();
        // SAFETY: inside an RCU read-side section the list and its sockets
        // stay valid (release waits for a grace period before dropping the
        // list's reference).
        let mut sk = unsafe { glue::rust_ipsec_sk_first_rcu(self.head.get()) };
        // SAFETY: every socket on the list is one of ours and stays valid
        // for the rest of the read-side section (see above).
        while let Some(sock) = unsafe { Sock::<F>::from_raw(sk) } {
            each(sock);
            // SAFETY: `sk` is on the list and we are in the read section.
            sk = unsafe { glue::rust_ipsec_sk_next_rcu(sk) };
        }
        drop(guard);
    }
}

/// The entry points of the registered family, with its types erased: the
/// C operation tables name one set of handlers, which pass each call on.
struct EntryPoints {
    create: fn(net: Net, sock: *mut bindings::socket, protocol: c_int, kern: c_int) -> Result,
    release: fn(sk: *mut bindings::sock),
    sendmsg: fn(sk: *mut bindings::sock, bytes: &[u8]) -> Result,
    recvmsg_done: fn(sk: *mut bindings::sock),
}

/// The registered family's entry points: set before the family is
/// registered, cleared after it is unregistered.
static ENTRY: EntrySlot<EntryPoints> = EntrySlot::new();

/// Registration of the socket family `F`, whose namespace data the pernet
/// state `S` holds; dropping it unregisters.
pub(crate) struct Family<F: SocketFamily, S: FamilyHost<F>> {
    _types: PhantomData<(F, S)>,
}

impl<F: SocketFamily, S: FamilyHost<F>> Family<F, S> {
    const ENTRY: EntryPoints = EntryPoints {
        create: create::<F, S>,
        release: release::<F, S>,
        sendmsg: sendmsg::<F, S>,
        recvmsg_done: recvmsg_done::<F, S>,
    };

    /// Registers `struct proto` and the family. Fails with `EEXIST` (and
    /// a log line) when another implementation holds the family number
    /// (for PF_KEY: Linux's af_key).
    pub(crate) fn register() -> Result<Self> {
        ENTRY.fill(&Self::ENTRY)?;
        // SAFETY: registers the module's static `struct proto`.
        if let Err(e) = to_result(unsafe { glue::rust_ipsec_proto_register() }) {
            ENTRY.clear();
            return Err(e);
        }
        // SAFETY: the family table is static C data.
        let ret = unsafe { bindings::sock_register(&raw const glue::rust_ipsec_pfkey_family) };
        if ret != 0 {
            // SAFETY: registered just above.
            unsafe { glue::rust_ipsec_proto_unregister() };
            ENTRY.clear();
            if ret == EEXIST.to_errno() {
                pr_err!(
                    "{} is already registered (is {} loaded? 'rmmod {}'); not loading\n",
                    F::NAME,
                    F::RIVAL,
                    F::RIVAL
                );
            }
            return Err(Error::from_errno(ret));
        }
        Ok(Self {
            _types: PhantomData,
        })
    }
}

impl<F: SocketFamily, S: FamilyHost<F>> Drop for Family<F, S> {
    fn drop(&mut self) {
        // SAFETY: the family table is static C data, registered in
        // `register`; no new sockets after this, and open sockets pin the
        // module, so none exist at unload.
        unsafe { bindings::sock_unregister(c_int::from(glue::rust_ipsec_pfkey_family.family)) };
        // SAFETY: as above.
        unsafe { glue::rust_ipsec_proto_unregister() };
        ENTRY.clear();
    }
}

/// The registered family's entry points.
fn entry() -> Result<&'static EntryPoints> {
    ENTRY.get().ok_or(EAFNOSUPPORT)
}

/// The family data of the namespace `net`.
///
/// # Safety
///
/// `net` must be live, with the subsystem of `S` registered (true while a
/// socket of the family exists in it or is being created).
unsafe fn net_data<'a, F: SocketFamily, S: FamilyHost<F>>(net: Net) -> &'a F::NetData {
    // SAFETY: the caller's promise is `pernet::state`'s.
    unsafe { pernet::state::<S>(net) }.family_net()
}

/// The family data of the namespace of `sk`.
///
/// # Safety
///
/// `sk` must be a live socket of the family.
unsafe fn net_of<'a, F: SocketFamily, S: FamilyHost<F>>(
    sk: *mut bindings::sock,
) -> Result<&'a F::NetData> {
    // SAFETY: the socket is live. A user's socket holds a reference on
    // its namespace; a kernel socket (`kern`) holds none, and its creator
    // releases it before the namespace exits, as every kernel socket's.
    let net = unsafe { Net::from_raw(glue::rust_ipsec_sock_net(sk)) }.ok_or(EINVAL)?;
    // SAFETY: so the namespace outlives the socket, and the subsystem
    // stays registered while sockets exist (they pin the module).
    Ok(unsafe { net_data::<F, S>(net) })
}

fn create<F: SocketFamily, S: FamilyHost<F>>(
    net: Net,
    sock: *mut bindings::socket,
    protocol: c_int,
    kern: c_int,
) -> Result {
    if protocol != F::PROTOCOL {
        return Err(EPROTONOSUPPORT);
    }
    let data = KBox::pin_init(F::new_sock_data(), GFP_KERNEL)?;
    // SAFETY: `net` is live (the caller's).
    let sk = unsafe { glue::rust_ipsec_sk_alloc(net.as_ptr(), kern) };
    if sk.is_null() {
        return Err(ENOMEM);
    }
    // SAFETY: `sk` is a new socket object of our proto; the data is moved
    // out of its box and freed by `sock_destruct`, never moved.
    unsafe {
        *glue::rust_ipsec_sk_state(sk) =
            KBox::into_raw(Pin::into_inner_unchecked(data)).cast::<c_void>();
        (*sock).ops = &raw const glue::rust_ipsec_pfkey_ops;
        glue::sock_init_data(sock, sk);
        glue::rust_ipsec_sk_set_destruct(sk, Some(sock_destruct::<F>));
    }
    // SAFETY: `net` is live and the subsystem registered (we are creating
    // a socket in it).
    let netd = unsafe { net_data::<F, S>(net) };
    F::sockets(netd).insert(sk);
    Ok(())
}

fn release<F: SocketFamily, S: FamilyHost<F>>(sk: *mut bindings::sock) {
    // SAFETY: a socket being released is live.
    if let Ok(netd) = unsafe { net_of::<F, S>(sk) } {
        F::sockets(netd).remove(sk);
    }
}

/// The socket `sk` and its namespace's family data.
///
/// # Safety
///
/// `sk` is NULL or a live socket of the family, for all of `'a`.
unsafe fn sock_and_net<'a, F: SocketFamily, S: FamilyHost<F>>(
    sk: *mut bindings::sock,
) -> Result<(Sock<'a, F>, &'a F::NetData)> {
    // SAFETY: `sk` is live for `'a` (caller).
    let sock = unsafe { Sock::<F>::from_raw(sk) }.ok_or(EINVAL)?;
    // SAFETY: as above.
    let netd = unsafe { net_of::<F, S>(sk) }?;
    Ok((sock, netd))
}

fn sendmsg<F: SocketFamily, S: FamilyHost<F>>(sk: *mut bindings::sock, bytes: &[u8]) -> Result {
    // SAFETY: a socket in a syscall is live.
    let (sock, netd) = unsafe { sock_and_net::<F, S>(sk) }?;
    F::sendmsg(netd, sock, bytes)
}

fn recvmsg_done<F: SocketFamily, S: FamilyHost<F>>(sk: *mut bindings::sock) {
    // SAFETY: a socket in a syscall is live.
    if let Ok((sock, netd)) = unsafe { sock_and_net::<F, S>(sk) } {
        F::recvmsg_done(netd, sock);
    }
}

/// `net_proto_family::create`.
///
/// # Safety
///
/// Called by the kernel with a live namespace and a new `struct socket`.
#[no_mangle]
unsafe extern "C" fn rust_ipsec_family_create(
    net: *mut bindings::net,
    sock: *mut bindings::socket,
    protocol: c_int,
    kern: c_int,
) -> c_int {
    from_result(|| {
        // SAFETY: the kernel passes a live namespace.
        let netr = unsafe { Net::from_raw(net) }.ok_or(EINVAL)?;
        // SAFETY: `net` is live; `ns_capable` only reads.
        let capable =
            unsafe { bindings::ns_capable((*net).user_ns, bindings::CAP_NET_ADMIN as c_int) };
        if !capable {
            return Err(EPERM);
        }
        // SAFETY: the kernel passes a valid socket.
        if i64::from(unsafe { (*sock).type_ }) != i64::from(bindings::sock_type_SOCK_RAW) {
            return Err(ESOCKTNOSUPPORT);
        }
        (entry()?.create)(netr, sock, protocol, kern)?;
        Ok(0)
    })
}

/// `proto_ops::release`.
///
/// # Safety
///
/// Called by the kernel for one of our sockets, once.
#[no_mangle]
unsafe extern "C" fn rust_ipsec_family_release(sock: *mut bindings::socket) -> c_int {
    // SAFETY: the kernel passes a valid socket.
    let sk = unsafe { (*sock).sk };
    if sk.is_null() {
        return 0;
    }
    if let Ok(e) = entry() {
        (e.release)(sk);
    }
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

/// `sk_destruct`: frees the queues and the family's socket data.
///
/// # Safety
///
/// Called by the kernel once, when the last reference to `sk` goes.
unsafe extern "C" fn sock_destruct<F: SocketFamily>(sk: *mut bindings::sock) {
    // SAFETY: `sk` is being destroyed; nobody else uses it.
    unsafe {
        glue::rust_ipsec_sk_purge_receive_queue(sk);
        glue::rust_ipsec_sk_purge_write_queue(sk);
        let slot = glue::rust_ipsec_sk_state(sk);
        let data = (*slot).cast::<F::SockData>();
        if !data.is_null() {
            *slot = core::ptr::null_mut();
            drop(KBox::from_raw(data));
        }
    }
}

/// `proto_ops::sendmsg`: one message per call.
///
/// # Safety
///
/// Called by the kernel for one of our sockets with a valid `msghdr`.
#[no_mangle]
unsafe extern "C" fn rust_ipsec_family_sendmsg(
    sock: *mut bindings::socket,
    msg: *mut bindings::msghdr,
    len: usize,
) -> c_int {
    from_result(|| {
        // SAFETY: the kernel passes valid pointers.
        let (sk, flags) = unsafe { ((*sock).sk, (*msg).msg_flags) };
        if sk.is_null() {
            return Err(EINVAL);
        }
        if flags & bindings::MSG_OOB != 0 {
            return Err(EOPNOTSUPP);
        }
        // SAFETY: `sk` is live during the syscall.
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
        (entry()?.sendmsg)(sk, &buf)?;
        Ok(n)
    })
}

/// `proto_ops::recvmsg`: one datagram per call; then tells the family.
///
/// # Safety
///
/// Called by the kernel for one of our sockets with a valid `msghdr`.
#[no_mangle]
unsafe extern "C" fn rust_ipsec_family_recvmsg(
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
    let skb_len = unsafe { (*skb).len } as usize;
    let copied = skb_len.min(len);
    if skb_len > len {
        // SAFETY: `msg` is valid for the syscall.
        unsafe { (*msg).msg_flags |= bindings::MSG_TRUNC as c_uint };
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
    if let Ok(e) = entry() {
        (e.recvmsg_done)(sk);
    }
    // SAFETY: releases the datagram obtained above.
    unsafe { bindings::skb_free_datagram(sk, skb) };
    ret
}
