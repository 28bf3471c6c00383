// SPDX-License-Identifier: GPL-2.0

//! The rust_ipsec protocol core: everything that parses or decides.
//!
//! This crate is `no_std`, has no `unsafe` and does not allocate. The
//! kernel module compiles the same files as its `ipsec_core` module
//! (`rust/ipsec_module.rs`); Cargo builds them as this crate for host unit
//! tests, fuzzing and the userspace tools.

// In the kernel (`--cfg MODULE`) these files are a module of the driver
// crate, which is `no_std` itself.
#![cfg_attr(not(any(test, MODULE)), no_std)]
#![forbid(unsafe_code)]

pub mod acquire;
pub mod ah;
pub mod algs;
pub mod ecn;
pub mod errno;
pub mod esp;
pub mod inet;
pub mod ipcomp;
pub mod ipsec;
pub mod ipview;
pub mod knobs;
pub mod mss;
pub mod natt;
pub mod new_mapping;
pub mod ordered_map;
pub mod pfkey;
pub mod policy;
pub mod prefixes;
pub mod replay;
pub mod sa_match;
pub mod sadb;
pub mod sock_policy;
pub mod spd;
pub mod spd_index;
pub mod transport;
pub mod tunnel;
pub mod usage;
mod wire_enum;
