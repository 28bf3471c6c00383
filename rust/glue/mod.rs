// SPDX-License-Identifier: GPL-2.0

//! The kernel glue: every `unsafe` block of the module lives below here,
//! wrapped in small safe abstractions (one per kernel facility).

pub(crate) mod acomp;
pub(crate) mod aead;
pub(crate) mod bindings;
pub(crate) mod clock;
pub(crate) mod defrag;
pub(crate) mod entry_slot;
pub(crate) mod hooks;
pub(crate) mod pernet;
pub(crate) mod process_drop;
pub(crate) mod procfs;
pub(crate) mod random;
pub(crate) mod ratelimit;
pub(crate) mod route;
pub(crate) mod skb;
pub(crate) mod sock_policy;
pub(crate) mod socket;
pub(crate) mod spinlock_bh;
pub(crate) mod sysctl;
pub(crate) mod timed_work;
