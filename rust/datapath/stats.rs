// SPDX-License-Identifier: GPL-2.0

//! Per-namespace datapath counters and `/proc/net/rust_ipsec_stat`.

use core::sync::atomic::{AtomicU64, Ordering};

use kernel::seq_file::SeqFile;
use kernel::seq_print;

use crate::glue::hooks::{HookPoint, Proto};

/// Packets and bytes seen at one hook of one family.
#[derive(Default)]
struct Counter {
    packets: AtomicU64,
    bytes: AtomicU64,
}

impl Counter {
    fn add(&self, bytes: u32) {
        self.packets.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(u64::from(bytes), Ordering::Relaxed);
    }
}

/// Why the datapath dropped a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DropReason {
    /// No policy matched and `def_policy` is 0.
    DefaultPolicy,
    /// The matching policy says discard (or is unusable).
    PolicyDiscard,
    /// An outbound `require`/`unique` request has no SA.
    NoSa,
    /// An inbound packet does not satisfy its policy (cleartext where
    /// ESP is required, or a policy discards it).
    PolicyViolation,
    /// ESP or AH for an SPI with no SA.
    UnknownSpi,
    /// A header that does not parse.
    Malformed,
    /// Needs what the datapath cannot do (AH in tunnel mode, IPComp, more
    /// than four
    /// nested SAs, IPv6 fragments without nf_defrag_ipv6). Dropped, never
    /// sent or taken in the clear.
    Unsupported,
    /// A replayed or too old sequence number.
    Replay,
    /// The ICV did not verify.
    AuthFailed,
    /// Decrypted padding is not 1, 2, 3, ... (RFC 4303 section 2.4).
    BadPadding,
    /// The SA's sequence counter is used up (it must be replaced).
    SeqOverflow,
    /// No memory to make the packet writable.
    NoMemory,
    /// The crypto API failed to encrypt.
    CryptoError,
    /// The SA reached its hard byte or packet limit (PF_KEY removes it
    /// and sends SADB_EXPIRE).
    SaExpired,
    /// No route to a tunnel's far end.
    NoRoute,
    /// RFC 6040: CE outside a Not-ECT inner packet.
    Ecn,
    /// Too big for a tunnel's path once ESP is added, and not to be
    /// fragmented (IPv4 with DF, or IPv6): ICMP "fragmentation needed" or
    /// ICMPv6 "packet too big" went to its source.
    TooBig,
    /// ESP in UDP for an SA without NAT-T, or sent to another port than
    /// its SA's.
    EncapMismatch,
    /// A NAT-T keepalive (RFC 3948 section 2.3): consumed, as it should be.
    NattKeepalive,
    /// An IPComp payload that would decompress beyond the largest IP
    /// packet (a decompression bomb).
    DecompressTooBig,
    /// An IPComp payload that is not what its algorithm produces.
    DecompressFailed,
}

impl DropReason {
    const ALL: [DropReason; 21] = [
        DropReason::DefaultPolicy,
        DropReason::PolicyDiscard,
        DropReason::NoSa,
        DropReason::PolicyViolation,
        DropReason::UnknownSpi,
        DropReason::Malformed,
        DropReason::Unsupported,
        DropReason::Replay,
        DropReason::AuthFailed,
        DropReason::BadPadding,
        DropReason::SeqOverflow,
        DropReason::NoMemory,
        DropReason::CryptoError,
        DropReason::SaExpired,
        DropReason::NoRoute,
        DropReason::Ecn,
        DropReason::TooBig,
        DropReason::EncapMismatch,
        DropReason::NattKeepalive,
        DropReason::DecompressTooBig,
        DropReason::DecompressFailed,
    ];

    /// What a `debug=1` log line says.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            DropReason::DefaultPolicy => "no policy matches and def_policy is 0",
            DropReason::PolicyDiscard => "a discard policy matches",
            DropReason::NoSa => "the policy requires an SA that does not exist",
            DropReason::PolicyViolation => "not protected as the inbound policy requires",
            DropReason::UnknownSpi => "no SA for the SPI",
            DropReason::Malformed => "malformed packet",
            DropReason::Unsupported => "needs a transform not implemented yet",
            DropReason::Replay => "replayed or too old for the replay window",
            DropReason::AuthFailed => "integrity check failed",
            DropReason::BadPadding => "bad ESP padding",
            DropReason::SeqOverflow => "sequence numbers used up",
            DropReason::NoMemory => "out of memory",
            DropReason::CryptoError => "the crypto API failed",
            DropReason::SaExpired => "the SA reached its hard byte or packet limit",
            DropReason::NoRoute => "no route to the tunnel's far end",
            DropReason::Ecn => "CE outside a Not-ECT inner packet (RFC 6040)",
            DropReason::TooBig => "too big for the tunnel's path MTU (ICMP sent)",
            DropReason::EncapMismatch => "ESP in UDP that its SA does not expect",
            DropReason::NattKeepalive => "a NAT-T keepalive (consumed)",
            DropReason::DecompressTooBig => "IPComp payload decompresses beyond an IP packet",
            DropReason::DecompressFailed => "IPComp payload does not decompress",
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            DropReason::DefaultPolicy => "DropDefaultPolicy",
            DropReason::PolicyDiscard => "DropPolicyDiscard",
            DropReason::NoSa => "DropNoSa",
            DropReason::PolicyViolation => "DropPolicyViolation",
            DropReason::UnknownSpi => "DropUnknownSpi",
            DropReason::Malformed => "DropMalformed",
            DropReason::Unsupported => "DropUnsupported",
            DropReason::Replay => "DropReplay",
            DropReason::AuthFailed => "DropAuthFailed",
            DropReason::BadPadding => "DropBadPadding",
            DropReason::SeqOverflow => "DropSeqOverflow",
            DropReason::NoMemory => "DropNoMemory",
            DropReason::CryptoError => "DropCryptoError",
            DropReason::SaExpired => "DropSaExpired",
            DropReason::NoRoute => "DropNoRoute",
            DropReason::Ecn => "DropEcn",
            DropReason::TooBig => "DropTooBig",
            DropReason::EncapMismatch => "DropEncapMismatch",
            DropReason::NattKeepalive => "DropNattKeepalive",
            DropReason::DecompressTooBig => "DropDecompressTooBig",
            DropReason::DecompressFailed => "DropDecompressFailed",
        }
    }
}

/// The counters of one namespace.
#[derive(Default)]
pub(crate) struct Stats {
    /// Indexed by [`slot`].
    seen: [Counter; 6],
    /// Indexed by `DropReason as usize`.
    drops: [AtomicU64; DropReason::ALL.len()],
    /// ESP packets sent and received (decrypted and verified).
    esp_out: AtomicU64,
    esp_in: AtomicU64,
    /// AH packets sent and received (verified).
    ah_out: AtomicU64,
    ah_in: AtomicU64,
    /// IPComp packets sent compressed and received decompressed.
    ipcomp_out: AtomicU64,
    ipcomp_in: AtomicU64,
    /// Packets of IPComp SAs sent uncompressed (under the threshold, or
    /// not shrinking) and received so (tunnel mode: IP-in-IP).
    ipcomp_plain_out: AtomicU64,
    ipcomp_plain_in: AtomicU64,
}

/// What a packet was protected with, for the counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Counted {
    /// ESP.
    Esp,
    /// AH.
    Ah,
    /// IPComp, compressed.
    Ipcomp,
    /// An IPComp SA's packet that went uncompressed.
    IpcompPlain,
}

/// The counter index of a family and hook point.
fn slot(proto: Proto, point: HookPoint) -> usize {
    let family = match proto {
        Proto::Ipv4 => 0,
        Proto::Ipv6 => 3,
    };
    let point = match point {
        HookPoint::LocalIn => 0,
        HookPoint::PostRouting => 1,
        HookPoint::Forward => 2,
    };
    family + point
}

/// File rows: name and counter index.
const ROWS: [(&str, usize); 6] = [
    ("Ipv4In", 0),
    ("Ipv4Out", 1),
    ("Ipv4Forward", 2),
    ("Ipv6In", 3),
    ("Ipv6Out", 4),
    ("Ipv6Forward", 5),
];

impl Stats {
    /// Counts a packet of `len` bytes at `point` of `proto`.
    pub(crate) fn seen(&self, proto: Proto, point: HookPoint, len: u32) {
        if let Some(c) = self.seen.get(slot(proto, point)) {
            c.add(len);
        }
    }

    /// Counts a packet protected as `what` says, sent (`out`) or
    /// received.
    pub(crate) fn protected(&self, what: Counted, out: bool) {
        let c = match (what, out) {
            (Counted::Esp, true) => &self.esp_out,
            (Counted::Esp, false) => &self.esp_in,
            (Counted::Ah, true) => &self.ah_out,
            (Counted::Ah, false) => &self.ah_in,
            (Counted::Ipcomp, true) => &self.ipcomp_out,
            (Counted::Ipcomp, false) => &self.ipcomp_in,
            (Counted::IpcompPlain, true) => &self.ipcomp_plain_out,
            (Counted::IpcompPlain, false) => &self.ipcomp_plain_in,
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a dropped packet.
    pub(crate) fn dropped(&self, why: DropReason) {
        if let Some(c) = self.drops.get(why as usize) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Writes the file: `Sas N` (ESP and AH SAs with a keyed transform),
    /// the ESP and AH packet counts, one
    /// `NamePackets N` and `NameBytes N` line per hook counter, one line
    /// per drop reason (the layout of `/proc/net/xfrm_stat`).
    pub(crate) fn show(&self, m: &SeqFile, sas: usize, acquiring: usize) {
        seq_print!(m, "Sas\t{sas}\nAcquiring\t{acquiring}\n");
        let (o, i) = (
            self.esp_out.load(Ordering::Relaxed),
            self.esp_in.load(Ordering::Relaxed),
        );
        seq_print!(m, "EspOutPackets\t{o}\nEspInPackets\t{i}\n");
        let (o, i) = (
            self.ah_out.load(Ordering::Relaxed),
            self.ah_in.load(Ordering::Relaxed),
        );
        seq_print!(m, "AhOutPackets\t{o}\nAhInPackets\t{i}\n");
        let (o, i) = (
            self.ipcomp_out.load(Ordering::Relaxed),
            self.ipcomp_in.load(Ordering::Relaxed),
        );
        seq_print!(m, "IpcompOutPackets\t{o}\nIpcompInPackets\t{i}\n");
        let (o, i) = (
            self.ipcomp_plain_out.load(Ordering::Relaxed),
            self.ipcomp_plain_in.load(Ordering::Relaxed),
        );
        seq_print!(m, "IpcompOutUncompressed\t{o}\nIpcompInUncompressed\t{i}\n");
        for why in DropReason::ALL {
            let n = self
                .drops
                .get(why as usize)
                .map_or(0, |c| c.load(Ordering::Relaxed));
            seq_print!(m, "{}\t{n}\n", why.name());
        }
        for (name, i) in ROWS {
            if let Some(c) = self.seen.get(i) {
                let packets = c.packets.load(Ordering::Relaxed);
                let bytes = c.bytes.load(Ordering::Relaxed);
                seq_print!(m, "{name}Packets\t{packets}\n{name}Bytes\t{bytes}\n");
            }
        }
    }
}
