// SPDX-License-Identifier: GPL-2.0

//! ECN and DSCP across a tunnel: RFC 6040 encapsulation and decapsulation.
//!
//! C source: [include/net/inet_ecn.h](srctree/include/net/inet_ecn.h)
//! (`INET_ECN_encapsulate`, `__INET_ECN_decapsulate`).
//!
//! The `ecn` knob picks the encapsulation mode: 1 is RFC 6040 normal mode
//! (the outer ECN field is a copy of the inner one, CE included), 0 is
//! compatibility mode (outer Not-ECT). Unlike Linux's
//! `INET_ECN_encapsulate`, normal mode copies CE as is instead of turning it
//! into ECT(0) (RFC 6040 section 4.1). Decapsulation always follows the
//! RFC 6040 section 4.2 table, whatever the knob says.

/// The two-bit ECN field (RFC 3168).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ecn {
    /// Not ECN-capable transport (00).
    NotEct = 0,
    /// ECN-capable transport, ECT(1) (01).
    Ect1 = 1,
    /// ECN-capable transport, ECT(0) (10).
    Ect0 = 2,
    /// Congestion experienced (11).
    Ce = 3,
}

/// Mask of the ECN bits in the IPv4 TOS / IPv6 traffic class byte.
pub const ECN_MASK: u8 = 0x03;

impl Ecn {
    /// Every value, in wire order.
    pub const ALL: [Ecn; 4] = [Ecn::NotEct, Ecn::Ect1, Ecn::Ect0, Ecn::Ce];

    /// The ECN field of a TOS / traffic class byte.
    pub const fn from_tos(tos: u8) -> Ecn {
        match tos & ECN_MASK {
            0 => Ecn::NotEct,
            1 => Ecn::Ect1,
            2 => Ecn::Ect0,
            _ => Ecn::Ce,
        }
    }

    /// The two-bit wire value.
    pub const fn bits(self) -> u8 {
        self as u8
    }

    /// Whether the transport is ECN-capable (ECT(0), ECT(1) or CE).
    pub const fn is_ect(self) -> bool {
        !matches!(self, Ecn::NotEct)
    }
}

/// `tos` with its ECN field replaced by `ecn`.
pub const fn with_ecn(tos: u8, ecn: Ecn) -> u8 {
    (tos & !ECN_MASK) | ecn.bits()
}

/// The DSCP (upper six bits) of a TOS / traffic class byte.
pub const fn dscp(tos: u8) -> u8 {
    tos >> 2
}

/// `tos` with its DSCP replaced by `dscp` (only the low six bits of `dscp`
/// are used).
pub const fn with_dscp(tos: u8, dscp: u8) -> u8 {
    ((dscp & 0x3f) << 2) | (tos & ECN_MASK)
}

/// RFC 6040 ingress mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EncapMode {
    /// Normal mode: the outer ECN field copies the inner one.
    Normal,
    /// Compatibility mode: the outer ECN field is Not-ECT.
    Compatibility,
}

impl EncapMode {
    /// The mode the `ecn` knob selects (`KnobValues::ecn`): on is normal
    /// mode, off is compatibility mode.
    pub const fn from_knob(ecn: bool) -> Self {
        if ecn {
            EncapMode::Normal
        } else {
            EncapMode::Compatibility
        }
    }
}

/// The outer ECN field for an inner one (RFC 6040 section 4.1).
pub const fn encapsulate(inner: Ecn, mode: EncapMode) -> Ecn {
    match mode {
        EncapMode::Normal => inner,
        EncapMode::Compatibility => Ecn::NotEct,
    }
}

/// The outer TOS / traffic class for an inner one: DSCP copied from the
/// inner header, ECN per [`encapsulate`].
pub const fn encapsulate_tos(inner_tos: u8, mode: EncapMode) -> u8 {
    with_ecn(inner_tos, encapsulate(Ecn::from_tos(inner_tos), mode))
}

/// RFC 6040 says the packet must be dropped: CE outside, Not-ECT inside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EcnDrop;

/// The inner ECN field after decapsulation (RFC 6040 section 4.2, Figure
/// 4), or [`EcnDrop`] for an outer CE over an inner Not-ECT.
pub const fn decapsulate(inner: Ecn, outer: Ecn) -> Result<Ecn, EcnDrop> {
    match (inner, outer) {
        (Ecn::NotEct, Ecn::Ce) => Err(EcnDrop),
        (Ecn::NotEct, _) => Ok(Ecn::NotEct),
        (_, Ecn::Ce) => Ok(Ecn::Ce),
        (Ecn::Ect0, Ecn::Ect1) => Ok(Ecn::Ect1),
        (inner, _) => Ok(inner),
    }
}

/// Whether the combination is one RFC 6040 marks "(!!!)": currently unused,
/// so a decapsulator should log it (outer ECT over inner Not-ECT, outer CE
/// over inner Not-ECT, outer ECT(1) over inner CE).
pub const fn decapsulate_is_unexpected(inner: Ecn, outer: Ecn) -> bool {
    matches!(
        (inner, outer),
        (Ecn::NotEct, Ecn::Ect0 | Ecn::Ect1 | Ecn::Ce) | (Ecn::Ce, Ecn::Ect1)
    )
}

/// The inner TOS / traffic class after decapsulation: ECN per
/// [`decapsulate`]; DSCP kept, or copied from the outer header when
/// `copy_dscp` (XFRM's `XFRM_STATE_DECAP_DSCP`; RFC 2983 uniform model).
pub const fn decapsulate_tos(inner_tos: u8, outer_tos: u8, copy_dscp: bool) -> Result<u8, EcnDrop> {
    let ecn = match decapsulate(Ecn::from_tos(inner_tos), Ecn::from_tos(outer_tos)) {
        Ok(e) => e,
        Err(e) => return Err(e),
    };
    let tos = if copy_dscp {
        with_dscp(inner_tos, dscp(outer_tos))
    } else {
        inner_tos
    };
    Ok(with_ecn(tos, ecn))
}

#[cfg(test)]
mod tests;
