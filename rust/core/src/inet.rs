// SPDX-License-Identifier: GPL-2.0

//! Internet foundations: IP addresses and IP protocol numbers, which the
//! PF_KEY codec, the packet views, the records and the datapath all use.
//!
//! C header: [include/uapi/linux/in.h](srctree/include/uapi/linux/in.h),
//! [include/uapi/linux/in6.h](srctree/include/uapi/linux/in6.h) and
//! [include/linux/socket.h](srctree/include/linux/socket.h).

use super::wire_enum::wire_enum;

/// `AF_INET`.
pub const AF_INET: u16 = 2;
/// `AF_INET6` (Linux's number).
pub const AF_INET6: u16 = 10;

/// An IPv4 or IPv6 address (octets in network order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Addr {
    /// An IPv4 address.
    V4([u8; 4]),
    /// An IPv6 address.
    V6([u8; 16]),
}

impl Addr {
    /// The address family (`AF_INET` or `AF_INET6`).
    pub const fn family(&self) -> u16 {
        match self {
            Addr::V4(_) => AF_INET,
            Addr::V6(_) => AF_INET6,
        }
    }

    /// The address length in bits (the longest prefix).
    pub const fn bits(&self) -> u8 {
        match self {
            Addr::V4(_) => 32,
            Addr::V6(_) => 128,
        }
    }

    /// The octets.
    pub fn octets(&self) -> &[u8] {
        match self {
            Addr::V4(a) => a,
            Addr::V6(a) => a,
        }
    }

    /// Whether this is the unspecified address (`0.0.0.0` or `::`).
    pub fn is_unspecified(&self) -> bool {
        self.octets().iter().all(|b| *b == 0)
    }
}

/// The longest run of two or more zero words, the first on a tie, as
/// (start, length).
fn longest_zero_run(words: &[u16; 8]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < words.len() {
        if words[i] != 0 {
            i += 1;
            continue;
        }
        let start = i;
        while i < words.len() && words[i] == 0 {
            i += 1;
        }
        let len = i - start;
        if len >= 2 && best.is_none_or(|(_, l)| len > l) {
            best = Some((start, len));
        }
    }
    best
}

/// Dotted quad, or IPv6 as glibc's `inet_ntop` writes it (RFC 5952: the
/// longest run of two or more zero words as `::`, the first on a tie;
/// `::a.b.c.d` and `::ffff:a.b.c.d` for IPv4-compatible and -mapped
/// addresses): what log lines and setkey print.
impl core::fmt::Display for Addr {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let a = match self {
            Addr::V4([a, b, c, d]) => return write!(f, "{a}.{b}.{c}.{d}"),
            Addr::V6(a) => a,
        };
        let words: [u16; 8] =
            core::array::from_fn(|i| u16::from_be_bytes([a[2 * i], a[2 * i + 1]]));
        let best = longest_zero_run(&words);
        let in_run = |i: usize| best.is_some_and(|(s, l)| i >= s && i < s + l);
        let mapped =
            best.is_some_and(|(s, l)| s == 0 && (l == 6 || (l == 5 && words[5] == 0xffff)));
        for (i, w) in words.iter().enumerate() {
            if in_run(i) {
                if best.is_some_and(|(s, _)| s == i) {
                    f.write_str(":")?;
                }
                continue;
            }
            if i != 0 {
                f.write_str(":")?;
            }
            if i == 6 && mapped {
                return write!(f, "{}.{}.{}.{}", a[12], a[13], a[14], a[15]);
            }
            write!(f, "{w:x}")?;
        }
        if best.is_some_and(|(s, l)| s + l == words.len()) {
            f.write_str(":")?;
        }
        Ok(())
    }
}

wire_enum! {
    /// An IP protocol number as PF_KEY carries it: `sadb_address_proto`
    /// (8 bits) and `sadb_x_ipsecrequest_proto` (16 bits on the wire,
    /// checked to fit 8 bits where it matters).
    IpProto(u16) {
        /// `IPPROTO_IP` (0).
        IP = 0,
        /// `IPPROTO_ICMP`.
        ICMP = 1,
        /// `IPPROTO_TCP`.
        TCP = 6,
        /// `IPPROTO_UDP`.
        UDP = 17,
        /// `IPPROTO_GRE`.
        GRE = 47,
        /// `IPPROTO_ESP`.
        ESP = 50,
        /// `IPPROTO_AH`.
        AH = 51,
        /// `IPPROTO_ICMPV6`.
        ICMPV6 = 58,
        /// `IPPROTO_COMP`.
        COMP = 108,
        /// `IPSEC_PROTO_ANY` / `IPSEC_ULPROTO_ANY` (255).
        IPSEC_ANY = 255,
    }
}

/// `IPPROTO_HOPOPTS`.
pub const NEXTHDR_HOP: u8 = 0;
/// `IPPROTO_ICMP`.
pub const PROTO_ICMP: u8 = 1;
/// `IPPROTO_IPIP`: an IPv4 packet inside.
pub const PROTO_IPIP: u8 = 4;
/// `IPPROTO_TCP`.
pub const PROTO_TCP: u8 = 6;
/// `IPPROTO_UDP`.
pub const PROTO_UDP: u8 = 17;
/// `IPPROTO_DCCP`.
pub const PROTO_DCCP: u8 = 33;
/// `IPPROTO_IPV6`: an IPv6 packet inside.
pub const PROTO_IPV6: u8 = 41;
/// `IPPROTO_ROUTING`.
pub const NEXTHDR_ROUTING: u8 = 43;
/// `IPPROTO_FRAGMENT`.
pub const NEXTHDR_FRAGMENT: u8 = 44;
/// `IPPROTO_GRE`.
pub const PROTO_GRE: u8 = 47;
/// `IPPROTO_ESP`.
pub const PROTO_ESP: u8 = 50;
/// `IPPROTO_AH`.
pub const NEXTHDR_AUTH: u8 = 51;
/// `IPPROTO_COMP` (IPComp), as the protocol byte.
pub const PROTO_COMP: u8 = 108;
/// `IPPROTO_ICMPV6`.
pub const PROTO_ICMPV6: u8 = 58;
/// `IPPROTO_NONE`: no next header (an ESP dummy packet, RFC 4303 section
/// 2.6).
pub const NEXTHDR_NONE: u8 = 59;
/// `IPPROTO_DSTOPTS`.
pub const NEXTHDR_DEST: u8 = 60;
/// `IPPROTO_SCTP`.
pub const PROTO_SCTP: u8 = 132;
/// `IPPROTO_MH` (Mobility Header).
pub const PROTO_MH: u8 = 135;
/// `IPPROTO_UDPLITE`.
pub const PROTO_UDPLITE: u8 = 136;

#[cfg(test)]
mod tests;
