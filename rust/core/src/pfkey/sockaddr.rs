// SPDX-License-Identifier: GPL-2.0

//! The `struct sockaddr_in` / `sockaddr_in6` inside PF_KEY extensions.
//!
//! C header: [include/uapi/linux/in.h](srctree/include/uapi/linux/in.h) and
//! [include/uapi/linux/in6.h](srctree/include/uapi/linux/in6.h).
//!
//! `sa_family` and `sin6_scope_id` are host order; ports, `sin6_flowinfo`
//! and the addresses are network order. [`SockAddr`] holds ports and the
//! flow label as numbers (already converted) and addresses as octets.

use super::super::inet::{Addr, AF_INET, AF_INET6};
use super::out::Out;
use super::reader::{ParseError, Reader};

/// `sizeof(struct sockaddr_in)`.
pub const SOCKADDR_IN_LEN: usize = 16;
/// `sizeof(struct sockaddr_in6)`.
pub const SOCKADDR_IN6_LEN: usize = 28;

/// The sockaddr size of an address family PF_KEY accepts (af_key's
/// `pfkey_sockaddr_len`).
pub const fn sockaddr_len(family: u16) -> Option<usize> {
    match family {
        AF_INET => Some(SOCKADDR_IN_LEN),
        AF_INET6 => Some(SOCKADDR_IN6_LEN),
        _ => None,
    }
}

/// The longest prefix of an address family PF_KEY accepts.
pub const fn max_prefixlen(family: u16) -> Option<u8> {
    match family {
        AF_INET => Some(32),
        AF_INET6 => Some(128),
        _ => None,
    }
}

/// A socket address as PF_KEY carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SockAddr {
    /// `struct sockaddr_in` (`sin_zero` must be zero).
    V4 {
        /// `sin_addr`.
        addr: [u8; 4],
        /// `sin_port`, converted to host order.
        port: u16,
    },
    /// `struct sockaddr_in6`.
    V6 {
        /// `sin6_addr`.
        addr: [u8; 16],
        /// `sin6_port`, converted to host order.
        port: u16,
        /// `sin6_flowinfo`, converted to host order.
        flowinfo: u32,
        /// `sin6_scope_id` (host order on the wire).
        scope_id: u32,
    },
}

impl SockAddr {
    /// A socket address with flow label and scope zero.
    pub const fn new(addr: Addr, port: u16) -> Self {
        match addr {
            Addr::V4(addr) => SockAddr::V4 { addr, port },
            Addr::V6(addr) => SockAddr::V6 {
                addr,
                port,
                flowinfo: 0,
                scope_id: 0,
            },
        }
    }

    /// The address.
    pub const fn addr(&self) -> Addr {
        match *self {
            SockAddr::V4 { addr, .. } => Addr::V4(addr),
            SockAddr::V6 { addr, .. } => Addr::V6(addr),
        }
    }

    /// The port (host order; 0 means any).
    pub const fn port(&self) -> u16 {
        match *self {
            SockAddr::V4 { port, .. } | SockAddr::V6 { port, .. } => port,
        }
    }

    /// The address family.
    pub const fn family(&self) -> u16 {
        self.addr().family()
    }

    /// The size on the wire (16 or 28 bytes, no padding).
    pub const fn wire_len(&self) -> usize {
        match self {
            SockAddr::V4 { .. } => SOCKADDR_IN_LEN,
            SockAddr::V6 { .. } => SOCKADDR_IN6_LEN,
        }
    }

    /// Reads one sockaddr of exactly its family's size.
    pub(crate) fn parse(r: &mut Reader<'_>) -> Result<SockAddr, ParseError> {
        let short = ParseError::inval("sockaddr truncated");
        let family = r.u16_ne().ok_or(short)?;
        match family {
            AF_INET => {
                let port = r.u16_be().ok_or(short)?;
                let addr = r.array::<4>().ok_or(short)?;
                let zero = r.array::<8>().ok_or(short)?;
                if zero != [0; 8] {
                    return Err(ParseError::inval("sin_zero not zero"));
                }
                Ok(SockAddr::V4 { addr, port })
            }
            AF_INET6 => {
                let port = r.u16_be().ok_or(short)?;
                let flowinfo = r.u32_be().ok_or(short)?;
                let addr = r.array::<16>().ok_or(short)?;
                let scope_id = r.u32_ne().ok_or(short)?;
                Ok(SockAddr::V6 {
                    addr,
                    port,
                    flowinfo,
                    scope_id,
                })
            }
            _ => Err(ParseError::inval("unsupported address family")),
        }
    }

    /// Reads a source/destination pair of one family, which must fill
    /// `bytes` exactly (af_key's `parse_sockaddr_pair`, made exact).
    pub(crate) fn parse_pair(bytes: &[u8]) -> Result<(SockAddr, SockAddr), ParseError> {
        let mut r = Reader::new(bytes);
        let src = SockAddr::parse(&mut r)?;
        let dst = SockAddr::parse(&mut r)?;
        if src.family() != dst.family() {
            return Err(ParseError::inval("sockaddr pair family mismatch"));
        }
        if !r.is_empty() {
            return Err(ParseError::inval("trailing bytes after sockaddr pair"));
        }
        Ok((src, dst))
    }

    /// Writes the sockaddr (no padding).
    pub(crate) fn emit(&self, out: &mut Out<'_>) {
        match *self {
            SockAddr::V4 { addr, port } => {
                out.u16_ne(AF_INET);
                out.u16_be(port);
                out.bytes(&addr);
                out.zeros(8);
            }
            SockAddr::V6 {
                addr,
                port,
                flowinfo,
                scope_id,
            } => {
                out.u16_ne(AF_INET6);
                out.u16_be(port);
                out.u32_be(flowinfo);
                out.bytes(&addr);
                out.u32_ne(scope_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::errno::Errno;
    use super::*;

    fn emit(sa: &SockAddr) -> Vec<u8> {
        let mut buf = [0u8; 64];
        let mut out = Out::new(&mut buf);
        sa.emit(&mut out);
        let n = out.pos();
        assert_eq!(out.error(), None);
        buf[..n].to_vec()
    }

    #[test]
    fn v4_layout() {
        let sa = SockAddr::new(Addr::V4([10, 0, 0, 1]), 500);
        let b = emit(&sa);
        let mut expect = AF_INET.to_ne_bytes().to_vec();
        expect.extend_from_slice(&[0x01, 0xf4, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(b, expect);
        assert_eq!(SockAddr::parse(&mut Reader::new(&b)), Ok(sa));
        assert_eq!(sa.wire_len(), 16);
        assert_eq!(sa.port(), 500);
        assert_eq!(sa.family(), AF_INET);
    }

    #[test]
    fn v6_layout() {
        let mut a = [0u8; 16];
        a[0] = 0xfe;
        a[1] = 0x80;
        a[15] = 1;
        let sa = SockAddr::V6 {
            addr: a,
            port: 4500,
            flowinfo: 0x12345,
            scope_id: 7,
        };
        let b = emit(&sa);
        assert_eq!(b.len(), 28);
        assert_eq!(&b[0..2], &AF_INET6.to_ne_bytes());
        assert_eq!(&b[2..4], &[0x11, 0x94]);
        assert_eq!(&b[4..8], &[0, 1, 0x23, 0x45]);
        assert_eq!(&b[8..24], &a);
        assert_eq!(&b[24..28], &7u32.to_ne_bytes());
        assert_eq!(SockAddr::parse(&mut Reader::new(&b)), Ok(sa));
        assert_eq!(sa.addr(), Addr::V6(a));
        assert_eq!(sa.addr().bits(), 128);
    }

    #[test]
    fn rejects() {
        let good = emit(&SockAddr::new(Addr::V4([1, 2, 3, 4]), 0));
        for n in 0..good.len() {
            let e = SockAddr::parse(&mut Reader::new(&good[..n])).unwrap_err();
            assert_eq!(e.errno, Errno::EINVAL);
        }
        let mut bad = good.clone();
        bad[15] = 1;
        assert_eq!(
            SockAddr::parse(&mut Reader::new(&bad)).unwrap_err().reason,
            "sin_zero not zero"
        );
        let mut bad = good.clone();
        bad[0..2].copy_from_slice(&1u16.to_ne_bytes());
        assert_eq!(
            SockAddr::parse(&mut Reader::new(&bad)).unwrap_err().reason,
            "unsupported address family"
        );
    }

    #[test]
    fn pairs() {
        let a = emit(&SockAddr::new(Addr::V4([1, 2, 3, 4]), 0));
        let b = emit(&SockAddr::new(Addr::V6([9; 16]), 0));
        let pair = [a.clone(), a.clone()].concat();
        assert!(SockAddr::parse_pair(&pair).is_ok());
        let mixed = [a.clone(), b.clone()].concat();
        assert!(SockAddr::parse_pair(&mixed).is_err());
        let long = [a.clone(), a.clone(), vec![0; 8]].concat();
        assert!(SockAddr::parse_pair(&long).is_err());
        assert!(SockAddr::parse_pair(&a).is_err());
        assert_eq!(sockaddr_len(AF_INET6), Some(28));
        assert_eq!(sockaddr_len(1), None);
        assert_eq!(max_prefixlen(AF_INET), Some(32));
        assert_eq!(max_prefixlen(0), None);
        assert_eq!(Addr::V4([1, 2, 3, 4]).octets(), &[1, 2, 3, 4]);
    }
}
