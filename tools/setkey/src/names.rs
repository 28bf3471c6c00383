// SPDX-License-Identifier: GPL-2.0

//! Names as setkey spells them, and the numbers they stand for.
//!
//! - [`algs`]: `-E`, `-A` and `-C` algorithm names with their PF_KEY ids
//!   and valid key sizes (from `ipsec_core::algs` for the algorithms the
//!   module implements, from setkey's own table for the rest);
//! - [`words`]: SA types, modes, policy directions, actions and levels;
//! - [`protocols`]: upper-layer protocol names (`/etc/protocols`, with a
//!   built-in fallback);
//! - [`kernel`]: checking parsed commands against the algorithms a kernel
//!   announced in its REGISTER reply.

pub mod algs;
pub mod kernel;
pub mod protocols;
pub mod words;

pub use algs::{lookup_alg, AlgClass, AlgEntry, KeySizes, ALGORITHMS};
pub use kernel::{check_kernel_support, KernelAlgs};
pub use protocols::protocol_number;
pub use words::{
    action_name, dir_name, level_name, mode_name, satype_name, SaProtocol, ACTIONS, DIRS, LEVELS,
    MODES, SA_PROTOCOLS,
};
