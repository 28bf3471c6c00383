// SPDX-License-Identifier: GPL-2.0

//! IPsec numbers shared by every layer: modes, policy directions, types
//! and levels (what PF_KEY carries, the records store and the datapath
//! decides on).
//!
//! C header: [include/uapi/linux/ipsec.h](srctree/include/uapi/linux/ipsec.h).

use super::wire_enum::wire_enum;

wire_enum! {
    /// `sadb_x_policy_type` (`IPSEC_POLICY_*`).
    PolicyType(u16) {
        /// `IPSEC_POLICY_DISCARD`.
        DISCARD = 0,
        /// `IPSEC_POLICY_NONE`: bypass IPsec.
        NONE = 1,
        /// `IPSEC_POLICY_IPSEC`.
        IPSEC = 2,
        /// `IPSEC_POLICY_ENTRUST`.
        ENTRUST = 3,
        /// `IPSEC_POLICY_BYPASS`.
        BYPASS = 4,
    }
}

wire_enum! {
    /// `sadb_x_policy_dir` (`IPSEC_DIR_*`).
    IpsecDir(u8) {
        /// `IPSEC_DIR_ANY`.
        ANY = 0,
        /// `IPSEC_DIR_INBOUND`.
        INBOUND = 1,
        /// `IPSEC_DIR_OUTBOUND`.
        OUTBOUND = 2,
        /// `IPSEC_DIR_FWD` (Linux).
        FWD = 3,
        /// `IPSEC_DIR_MAX`.
        MAX = 4,
        /// `IPSEC_DIR_INVALID`.
        INVALID = 5,
    }
}

wire_enum! {
    /// `sadb_x_sa2_mode` and `sadb_x_ipsecrequest_mode` (`IPSEC_MODE_*`).
    IpsecMode(u8) {
        /// `IPSEC_MODE_ANY` (transport for an SA on Linux).
        ANY = 0,
        /// `IPSEC_MODE_TRANSPORT`.
        TRANSPORT = 1,
        /// `IPSEC_MODE_TUNNEL`.
        TUNNEL = 2,
        /// `IPSEC_MODE_BEET`.
        BEET = 3,
        /// `IPSEC_MODE_IPTFS`.
        IPTFS = 4,
    }
}

wire_enum! {
    /// `sadb_x_ipsecrequest_level` (`IPSEC_LEVEL_*`).
    IpsecLevel(u8) {
        /// `IPSEC_LEVEL_DEFAULT`: resolved through the deflev knobs.
        DEFAULT = 0,
        /// `IPSEC_LEVEL_USE`.
        USE = 1,
        /// `IPSEC_LEVEL_REQUIRE`.
        REQUIRE = 2,
        /// `IPSEC_LEVEL_UNIQUE`: an SA of its own (reqid).
        UNIQUE = 3,
    }
}

/// `IPSEC_MANUAL_REQID_MAX`: larger `unique` reqids are kernel-allocated.
pub const IPSEC_MANUAL_REQID_MAX: u32 = 0x3fff;

/// `IPSEC_REPLAYWSIZE`: af_key's replay window (packets).
pub const IPSEC_REPLAYWSIZE: u8 = 32;

/// `IPSEC_PORT_ANY`.
pub const IPSEC_PORT_ANY: u16 = 0;

#[cfg(test)]
mod tests;
