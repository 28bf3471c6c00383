// SPDX-License-Identifier: GPL-2.0

//! MSS clamping (the core's `mss`): a TCP SYN that an SA protects gets
//! its MSS option lowered so that full-sized segments fit the link after
//! every SA of the bundle, outbound and inbound (the peer's SYN tells this
//! host what to send).

use super::sa::{DpSa, Later};
use crate::glue::hooks::Packet;
use crate::ipsec_core::inet::PROTO_TCP;
use crate::ipsec_core::mss::clamp_mss;
use crate::ipsec_core::transport::TransportHead;

/// The MTU a protected packet must fit.
#[derive(Clone, Copy)]
pub(super) enum Fit<'a> {
    /// Outbound: the route's, less what the SAs a bundle applies after
    /// this one add.
    Out(Later<'a>),
    /// Inbound: the ingress device's, less what the layers around this
    /// one took (bytes already removed).
    In(usize),
}

/// Lowers the MSS of a TCP SYN that `sa` protects (`ip` describes the
/// packet without `sa`'s headers, linear and writable) to what fits `fit`.
pub(super) fn clamp_tcp_mss(sa: &DpSa, pkt: &mut Packet, ip: &TransportHead, fit: Fit<'_>) {
    if ip.proto != PROTO_TCP {
        return;
    }
    let dev_mtu = |out| usize::try_from(pkt.mtu(out)).unwrap_or(0);
    let mtu = match fit {
        Fit::Out(later) => later.mtu(dev_mtu(true)),
        Fit::In(removed) => dev_mtu(false).saturating_sub(removed),
    };
    let max = sa.max_tcp_mss(mtu, ip.hl);
    if max == 0 {
        return;
    }
    if let Some(tcp) = pkt.data_mut().get_mut(ip.hl..) {
        clamp_mss(tcp, u16::try_from(max).unwrap_or(u16::MAX));
    }
}
