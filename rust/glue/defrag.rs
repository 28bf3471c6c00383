// SPDX-License-Identifier: GPL-2.0

//! IPv6 reassembly before ESP input (`defrag_shims.c`): IPv6 reassembles
//! only after the LOCAL_IN hook, so the module borrows nf_defrag_ipv6's
//! reassembly ([`crate::glue::netfilter::HookPacket::reassemble_v6`]),
//! looked up when the module loads and released when it unloads.

use super::bindings as glue_bindings;
use kernel::prelude::*;

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
        // SAFETY: no arguments; sets a static only the shims read.
        if !unsafe { glue_bindings::rust_ipsec_defrag6_get() } {
            pr_warn!("nf_defrag_ipv6 is not available: fragmented IPv6 ESP will be dropped\n");
        }
        Self { _private: () }
    }
}

impl Drop for Ipv6Reassembly {
    fn drop(&mut self) {
        // SAFETY: the hooks that used the reassembly are unregistered (the
        // module drops this last); releases the symbol `acquire` took.
        unsafe { glue_bindings::rust_ipsec_defrag6_put() };
    }
}
