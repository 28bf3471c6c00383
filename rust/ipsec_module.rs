// SPDX-License-Identifier: GPL-2.0

//! rust_ipsec: IPsec (ESP, AH, PF_KEY v2) for Linux, written in Rust.
//!
//! This crate root ties three parts together:
//! - [`ipsec_core`]: the safe protocol core, shared with the userspace tools
//!   (the same files Cargo builds as the `ipsec_core` crate);
//! - `glue`: every `unsafe` interaction with the kernel;
//! - `datapath` (the netfilter hooks) and `pfkey` (the PF_KEY family),
//!   built on both;
//! - `netns`, which wires them together in each network namespace.

use kernel::prelude::*;

#[path = "core/src/lib.rs"]
pub mod ipsec_core;

mod datapath;
mod glue;
mod netns;
mod pfkey;

module! {
    type: RustIpsec,
    name: "rust_ipsec",
    authors: ["rust_ipsec developers"],
    description: "IPsec (ESP, AH, PF_KEY v2) for Linux, in Rust",
    license: "GPL",
}

/// The loaded module: dropping it unregisters everything.
///
/// Field order is teardown order: the PF_KEY family and the key manager
/// of per-socket policies go before the per-namespace state they use; the
/// values the namespaces left to be dropped in process context (SAs'
/// transforms and route caches) are dropped before the AEAD scratch and the
/// IPComp buffers go.
struct RustIpsec {
    _key_manager: glue::sock_policy::KeyManager<netns::NetnsState>,
    _family: glue::socket::Family<pfkey::sock::PfKey, netns::NetnsState>,
    _pernet: glue::pernet::Registration<netns::NetnsState>,
    _deferred: glue::process_drop::DeferredDrops,
    _reassembly: glue::defrag::Ipv6Reassembly,
    _crypto_scratch: glue::aead::CryptoScratch,
    _comp_buffers: glue::acomp::CompBuffers,
}

impl kernel::Module for RustIpsec {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        glue::route::init_reinject_marker();
        let reassembly = glue::defrag::Ipv6Reassembly::acquire();
        let crypto_scratch = glue::aead::CryptoScratch::acquire();
        let comp_buffers = glue::acomp::CompBuffers::acquire();
        // Before the namespaces: on an early return it is dropped after
        // them, and waits for what they left.
        let deferred = glue::process_drop::DeferredDrops::acquire();
        let pernet = glue::pernet::Registration::register()?;
        let family = glue::socket::Family::register()?;
        let key_manager = glue::sock_policy::KeyManager::register()?;
        pr_info!("loaded (PF_KEY v2; sysctl net.ipv4.rust_ipsec, net.ipv6.rust_ipsec)\n");
        Ok(Self {
            _key_manager: key_manager,
            _family: family,
            _pernet: pernet,
            _deferred: deferred,
            _reassembly: reassembly,
            _crypto_scratch: crypto_scratch,
            _comp_buffers: comp_buffers,
        })
    }
}

impl Drop for RustIpsec {
    fn drop(&mut self) {
        pr_info!("unloading\n");
    }
}
