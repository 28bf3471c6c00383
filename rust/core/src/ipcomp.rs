// SPDX-License-Identifier: GPL-2.0

//! IPComp (RFC 3173): the header, the compression algorithms, and the
//! rules that decide whether a packet is sent compressed.
//!
//! An IPComp SA is named by its CPI, a 16-bit number carried in the SADB's
//! 32-bit SPI (as af_key and KAME do: `verify_spi_info` refuses more).
//! The header is four bytes: next header, flags (0), CPI.
//!
//! A payload shorter than the algorithm's threshold, or one that does not
//! shrink once the IPComp header is counted, is sent as it is (RFC 3173
//! section 2.2): in transport mode the packet keeps its protocol, in
//! tunnel mode the outer header names the inner packet (IP-in-IP). The
//! thresholds are Linux's and KAME's (90 bytes for deflate).
//!
//! On input a compressed payload decompresses into one buffer whose size
//! is what an IP packet can hold ([`max_decompressed`]): a payload that
//! would need more is refused, so a decompression bomb costs at most
//! that buffer.
//!
//! C source: [net/xfrm/xfrm_ipcomp.c](srctree/net/xfrm/xfrm_ipcomp.c),
//! [net/xfrm/xfrm_algo.c](srctree/net/xfrm/xfrm_algo.c) (`calg_list`).

use core::ffi::CStr;

use super::pfkey::consts::CompAlg;

/// Length of the IPComp header.
pub const IPCOMP_HDR_LEN: usize = 4;
/// The largest CPI: the header's field has 16 bits.
pub const MAX_CPI: u32 = 0xffff;
/// The largest IP packet (IPv4 total length, IPv6 payload length without
/// jumbograms): what a decompressed packet must fit.
pub const MAX_IP_LEN: usize = 0xffff;

/// A compression algorithm of an IPComp SA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompInfo {
    /// `sadb_sa_encrypt` (`SADB_X_CALG_*`).
    pub id: CompAlg,
    /// The kernel compression API's name.
    pub crypto_name: &'static CStr,
    /// Payloads shorter than this are sent uncompressed.
    pub threshold: usize,
}

/// The algorithms an IPComp SA may name: Linux's `calg_list`. Whether the
/// kernel implements one is the compression API's answer (it has no lzs
/// or lzjh today).
const COMP_ALGS: [CompInfo; 3] = [
    CompInfo {
        id: CompAlg::DEFLATE,
        crypto_name: c"deflate",
        threshold: 90,
    },
    CompInfo {
        id: CompAlg::LZS,
        crypto_name: c"lzs",
        threshold: 90,
    },
    CompInfo {
        id: CompAlg::LZJH,
        crypto_name: c"lzjh",
        threshold: 50,
    },
];

/// The algorithm `id` (`sadb_sa_encrypt` of an IPComp SA); `None` for one
/// no implementation knows (af_key answers `ENOSYS`).
pub fn comp_alg(id: u8) -> Option<&'static CompInfo> {
    COMP_ALGS.iter().find(|a| a.id.0 == id)
}

/// The CPI an IPComp SA's SPI holds; `None` when it has more than 16 bits
/// or is 0.
pub fn cpi_of(spi: u32) -> Option<u16> {
    u16::try_from(spi).ok().filter(|c| *c != 0)
}

/// Why an IPComp header could not be read or written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpcompError {
    /// Fewer bytes than the header.
    Truncated,
    /// Flags that RFC 3173 reserves (they must be 0), or a CPI of 0.
    Invalid,
}

/// An IPComp header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpcompHeader {
    /// What the decompressed payload is.
    pub next_header: u8,
    /// The CPI: which SA.
    pub cpi: u16,
}

impl IpcompHeader {
    /// Reads the header at the start of `b`. The flags are reserved and
    /// ignored on receipt (RFC 3173 section 2.3 says so); a zero CPI names
    /// no SA.
    pub fn parse(b: &[u8]) -> Result<Self, IpcompError> {
        let h = b
            .first_chunk::<IPCOMP_HDR_LEN>()
            .ok_or(IpcompError::Truncated)?;
        let cpi = u16::from_be_bytes([h[2], h[3]]);
        if cpi == 0 {
            return Err(IpcompError::Invalid);
        }
        Ok(Self {
            next_header: h[0],
            cpi,
        })
    }

    /// Writes the header at the start of `at` (flags 0).
    pub fn emit(&self, at: &mut [u8]) -> Result<(), IpcompError> {
        let h = at
            .first_chunk_mut::<IPCOMP_HDR_LEN>()
            .ok_or(IpcompError::Truncated)?;
        let cpi = self.cpi.to_be_bytes();
        *h = [self.next_header, 0, cpi[0], cpi[1]];
        Ok(())
    }
}

/// Whether a payload of `len` bytes is worth compressing with `alg`.
pub fn worth_compressing(alg: &CompInfo, len: usize) -> bool {
    len >= alg.threshold
}

/// The most bytes a compressed form of a `len`-byte payload may take to
/// be sent: it must be smaller than the payload once the header is
/// counted (Linux's `ipcomp_compress`); 0 when nothing can be.
pub fn compressed_room(len: usize) -> usize {
    len.saturating_sub(IPCOMP_HDR_LEN + 1)
}

/// The most bytes an IPComp payload may decompress to, in a packet whose
/// headers before the IPComp header take `head` bytes: what keeps the
/// packet within [`MAX_IP_LEN`]. `v6`: the IPv6 fixed header does not count
/// (its payload length does not include it).
pub fn max_decompressed(v6: bool, head: usize) -> usize {
    let counted = if v6 { head.saturating_sub(40) } else { head };
    MAX_IP_LEN.saturating_sub(counted)
}

#[cfg(test)]
mod tests;
