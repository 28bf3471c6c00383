// SPDX-License-Identifier: GPL-2.0

//! What every transform reads first: a packet's transport-mode layout
//! (the core's `transport_head`, read in place), and lengths as the skb
//! API takes them. ESP, AH, the tunnels and NAT traversal all use these.

use super::stats::DropReason;
use crate::glue::hooks::Packet;
use crate::ipsec_core::ipview::HEAD_MAX;
use crate::ipsec_core::transport::{transport_head, TransportHead};

/// A length as the skb API takes it.
pub(super) fn as_u32(n: usize) -> Result<u32, DropReason> {
    u32::try_from(n).map_err(|_| DropReason::Malformed)
}

/// The transport-mode layout of `pkt`'s head.
pub(super) fn head_of(pkt: &Packet) -> Result<TransportHead, DropReason> {
    pkt.with_network_head::<HEAD_MAX, _>(transport_head)
        .map_err(|_| DropReason::Malformed)
}
