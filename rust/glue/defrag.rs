// SPDX-License-Identifier: GPL-2.0

//! IPv6 reassembly before ESP input: IPv6 reassembles only after the
//! LOCAL_IN hook, so fragments of an ESP packet reach our hook one by one.
//! nf_defrag_ipv6's `nf_ct_frag6_gather` (the function behind conntrack's
//! IPv6 defragmentation) reassembles them there
//! ([`crate::glue::hooks::Packet::reassemble_v6`]). It is looked up when
//! the module loads (`symbol_get`) rather than linked, so the module loads
//! (insmod) without nf_defrag_ipv6; without it, IPv6 fragments stay
//! unsupported.

use core::ffi::c_void;
use core::sync::atomic::{AtomicPtr, Ordering};

use kernel::prelude::*;

use super::bindings as glue_bindings;
use super::pernet::Net;
use super::skb::Skb;

/// `nf_ct_frag6_gather`, while held (NULL: not available).
static GATHER: AtomicPtr<c_void> = AtomicPtr::new(core::ptr::null_mut());

/// nf_defrag_ipv6's reassembly, held while the module is loaded. Must
/// outlive every hook (the module drops it last).
pub(crate) struct Ipv6Reassembly {
    _private: (),
}

impl Ipv6Reassembly {
    /// Looks the reassembly up (loading nf_defrag_ipv6 if it is a module).
    /// Without it the module still works; fragmented IPv6 ESP is then
    /// dropped as unsupported, and a log line says so.
    pub(crate) fn acquire() -> Self {
        if !Self::get() {
            pr_warn!("nf_defrag_ipv6 is not available: fragmented IPv6 ESP will be dropped\n");
        }
        Self { _private: () }
    }

    #[cfg(CONFIG_NF_DEFRAG_IPV6)]
    fn get() -> bool {
        #[cfg(CONFIG_NF_DEFRAG_IPV6 = "m")]
        {
            // SAFETY: no preconditions (may sleep: module load time). A
            // failure shows as the symbol missing below.
            let _ = unsafe { glue_bindings::rust_ipsec_request_defrag6_module() };
        }
        // SAFETY: no preconditions; takes a reference on nf_defrag_ipv6
        // when it returns the function.
        let f = unsafe { glue_bindings::rust_ipsec_frag6_gather_get() };
        let Some(f) = f else {
            return false;
        };
        GATHER.store(f as *mut c_void, Ordering::Release);
        true
    }

    #[cfg(not(CONFIG_NF_DEFRAG_IPV6))]
    fn get() -> bool {
        false
    }
}

impl Drop for Ipv6Reassembly {
    fn drop(&mut self) {
        // The hooks that used the reassembly are unregistered (the module
        // drops this last).
        let held = !GATHER
            .swap(core::ptr::null_mut(), Ordering::AcqRel)
            .is_null();
        #[cfg(CONFIG_NF_DEFRAG_IPV6)]
        if held {
            // SAFETY: releases the reference `get` took.
            unsafe { glue_bindings::rust_ipsec_frag6_gather_put() };
        }
        let _ = held;
    }
}

/// What [`gather`] made of an IPv6 packet.
pub(crate) enum Gathered {
    /// The skb holds a whole packet: reassembled, or never a fragment.
    Whole,
    /// A fragment, queued: nf_defrag_ipv6 owns the skb now.
    Queued,
    /// nf_defrag_ipv6 is not available (the skb is left as it is).
    Unavailable,
    /// A bad fragment or no memory (the skb is left to be dropped).
    Failed,
}

/// Reassembles `skb`, an IPv6 packet for this host in `net` (network
/// header set, LOCAL_IN), if it is a fragment. When this returns
/// [`Gathered::Queued`] the caller must give `skb` up without freeing it.
pub(crate) fn gather(net: Net, skb: &Skb) -> Gathered {
    let p = skb.as_ptr();
    // SAFETY: the skb is live; IPv6 input made its 40-byte header linear.
    let nexthdr = unsafe { *glue_bindings::rust_ipsec_skb_network_header(p).add(6) };
    // Only a packet with extension headers can hold a Fragment header.
    // SAFETY: a pure function of its argument.
    if !unsafe { glue_bindings::rust_ipsec_ipv6_ext_hdr(nexthdr) } {
        return Gathered::Whole;
    }
    let f = GATHER.load(Ordering::Acquire);
    if f.is_null() {
        return Gathered::Unavailable;
    }
    // SAFETY: `f` came from `rust_ipsec_frag6_gather_get` as this type and
    // stays valid (the reference is held) until `Ipv6Reassembly` drops,
    // after every hook.
    let f: glue_bindings::rust_ipsec_frag6_gather_t = unsafe { core::mem::transmute(f) };
    let Some(f) = f else {
        return Gathered::Unavailable;
    };
    let user = glue_bindings::rust_ipsec_const_RUST_IPSEC_IP6_DEFRAG_LOCAL_DELIVER;
    // SAFETY: `net` is the hook's; the skb is ours, an IPv6 packet with its
    // network header set; on -EINPROGRESS the function keeps it.
    let rc = unsafe { f(net.as_ptr(), p, user) };
    match rc {
        0 => Gathered::Whole,
        rc if rc == EINPROGRESS.to_errno() => Gathered::Queued,
        _ => Gathered::Failed,
    }
}
