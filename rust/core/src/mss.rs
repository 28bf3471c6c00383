// SPDX-License-Identifier: GPL-2.0

//! TCP MSS clamping for transport-mode ESP (plan D9).
//!
//! In transport mode the inner and the outer packet go to the same
//! destination over the same route, so the route's path MTU cannot both
//! let TCP fill it and leave room for ESP: every full-sized segment would
//! be fragmented after encryption. Lowering the MSS option of SYN and
//! SYN-ACK segments that an SA protects (outbound before encryption,
//! inbound after decryption) makes both ends send segments whose ESP
//! packets fit the link, as a router's `TCPMSS --clamp-mss-to-pmtu` does.
//! The TCP checksum is updated incrementally (RFC 1624).

/// TCP header length without options.
const TCP_HDR_LEN: usize = 20;
/// `TCPOPT_MSS` and its length.
const OPT_MSS: u8 = 2;
const OPT_MSS_LEN: usize = 4;
/// The SYN flag.
const SYN: u8 = 0x02;

/// One's complement sum of the 16-bit words of `tcp` covering bytes
/// `at..at + 2` (one word if `at` is even, two if odd).
fn words_sum(tcp: &[u8], at: usize) -> u32 {
    let start = at & !1;
    let end = (at + 2).next_multiple_of(2);
    (start..end)
        .step_by(2)
        .map(|i| {
            let hi = tcp.get(i).copied().unwrap_or(0);
            let lo = tcp.get(i + 1).copied().unwrap_or(0);
            u32::from(u16::from_be_bytes([hi, lo]))
        })
        .sum()
}

fn fold(mut s: u32) -> u16 {
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    s as u16
}

/// Lowers the MSS option of the TCP SYN segment `tcp` (header and
/// options, more bytes may follow) to `max`, fixing the checksum; returns
/// the MSS it had when it was lowered. Non-SYN segments, segments without
/// an MSS option and malformed options are left alone.
pub fn clamp_mss(tcp: &mut [u8], max: u16) -> Option<u16> {
    let flags = *tcp.get(13)?;
    if flags & SYN == 0 {
        return None;
    }
    let doff = usize::from(tcp.get(12)? >> 4) * 4;
    if doff < TCP_HDR_LEN || doff > tcp.len() {
        return None;
    }
    let mut i = TCP_HDR_LEN;
    while i < doff {
        match *tcp.get(i)? {
            0 => return None,
            1 => i += 1,
            kind => {
                let len = usize::from(*tcp.get(i + 1)?);
                if len < 2 || i + len > doff {
                    return None;
                }
                if kind == OPT_MSS && len == OPT_MSS_LEN {
                    return lower(tcp, i + 2, max);
                }
                i += len;
            }
        }
    }
    None
}

/// Writes `max` at `at` if the big-endian value there is larger, updating
/// the checksum at offset 16 (RFC 1624 equation 3).
fn lower(tcp: &mut [u8], at: usize, max: u16) -> Option<u16> {
    let old = u16::from_be_bytes([*tcp.get(at)?, *tcp.get(at + 1)?]);
    if old <= max {
        return None;
    }
    let before = words_sum(tcp, at);
    tcp.get_mut(at..at + 2)?.copy_from_slice(&max.to_be_bytes());
    let after = words_sum(tcp, at);
    let hc = u16::from_be_bytes([*tcp.get(16)?, *tcp.get(17)?]);
    // ~HC + ~m + m', with ~m summed word by word.
    let words = u32::try_from((at + 2).next_multiple_of(2) - (at & !1)).ok()? / 2;
    let not_before = words * 0xffff - before;
    let sum = u32::from(!hc) + not_before + after;
    let new = !fold(sum);
    tcp.get_mut(16..18)?.copy_from_slice(&new.to_be_bytes());
    Some(old)
}

#[cfg(test)]
mod tests;
