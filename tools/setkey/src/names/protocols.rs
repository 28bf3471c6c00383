// SPDX-License-Identifier: GPL-2.0

//! Upper-layer protocol names for `spdadd`: `/etc/protocols` when it is
//! there (as `getprotobyname(3)`), else a built-in copy of the usual
//! entries, so a configuration means the same in a minimal initramfs. As
//! ipsec-tools, `icmp6` and `ip4` are understood even when the file lacks
//! them.

use std::sync::OnceLock;

/// The usual `/etc/protocols` entries (name, number, aliases).
static FALLBACK: &[(&str, u8, &[&str])] = &[
    ("ip", 0, &["IP"]),
    ("hopopt", 0, &["HOPOPT"]),
    ("icmp", 1, &["ICMP"]),
    ("igmp", 2, &["IGMP"]),
    ("ggp", 3, &["GGP"]),
    ("ipencap", 4, &["IP-ENCAP"]),
    ("st", 5, &["ST"]),
    ("tcp", 6, &["TCP"]),
    ("egp", 8, &["EGP"]),
    ("igp", 9, &["IGP"]),
    ("pup", 12, &["PUP"]),
    ("udp", 17, &["UDP"]),
    ("hmp", 20, &["HMP"]),
    ("xns-idp", 22, &["XNS-IDP"]),
    ("rdp", 27, &["RDP"]),
    ("iso-tp4", 29, &["ISO-TP4"]),
    ("dccp", 33, &["DCCP"]),
    ("xtp", 36, &["XTP"]),
    ("ddp", 37, &["DDP"]),
    ("idpr-cmtp", 38, &["IDPR-CMTP"]),
    ("ipv6", 41, &["IPv6"]),
    ("ipv6-route", 43, &["IPv6-Route"]),
    ("ipv6-frag", 44, &["IPv6-Frag"]),
    ("idrp", 45, &["IDRP"]),
    ("rsvp", 46, &["RSVP"]),
    ("gre", 47, &["GRE"]),
    ("esp", 50, &["IPSEC-ESP"]),
    ("ah", 51, &["IPSEC-AH"]),
    ("skip", 57, &["SKIP"]),
    ("ipv6-icmp", 58, &["IPv6-ICMP"]),
    ("ipv6-nonxt", 59, &["IPv6-NoNxt"]),
    ("ipv6-opts", 60, &["IPv6-Opts"]),
    ("rspf", 73, &["RSPF", "CPHB"]),
    ("vmtp", 81, &["VMTP"]),
    ("eigrp", 88, &["EIGRP"]),
    ("ospf", 89, &["OSPFIGP"]),
    ("ax.25", 93, &["AX.25"]),
    ("ipip", 94, &["IPIP"]),
    ("etherip", 97, &["ETHERIP"]),
    ("encap", 98, &["ENCAP"]),
    ("pim", 103, &["PIM"]),
    ("ipcomp", 108, &["IPCOMP"]),
    ("vrrp", 112, &["VRRP"]),
    ("l2tp", 115, &["L2TP"]),
    ("isis", 124, &["ISIS"]),
    ("sctp", 132, &["SCTP"]),
    ("fc", 133, &["FC"]),
    ("mobility-header", 135, &["Mobility-Header"]),
    ("udplite", 136, &["UDPLite"]),
    ("mpls-in-ip", 137, &["MPLS-in-IP"]),
    ("manet", 138, &[]),
    ("hip", 139, &["HIP"]),
    ("shim6", 140, &["Shim6"]),
    ("wesp", 141, &["WESP"]),
    ("rohc", 142, &["ROHC"]),
    ("ethernet", 143, &["Ethernet"]),
];

/// Names ipsec-tools accepts beyond `getprotobyname(3)`.
static EXTRA: &[(&str, u8)] = &[("icmp6", 58), ("ip4", 4)];

/// `IPPROTO_MH`.
pub const IPPROTO_MH: u8 = 135;

/// The number of an `/etc/protocols` line's name or alias `name`.
fn line_number(line: &str, name: &str) -> Option<u8> {
    let line = line.split('#').next().unwrap_or("");
    let mut words = line.split_whitespace();
    let first = words.next()?;
    let number = words.next()?.parse::<u8>().ok()?;
    let mut names = core::iter::once(first).chain(words);
    names.any(|n| n == name).then_some(number)
}

/// Looks `name` up in the text of a protocols file.
pub fn lookup_in(text: &str, name: &str) -> Option<u8> {
    text.lines().find_map(|l| line_number(l, name))
}

fn system_file() -> Option<&'static str> {
    static TEXT: OnceLock<Option<String>> = OnceLock::new();
    TEXT.get_or_init(|| std::fs::read_to_string("/etc/protocols").ok())
        .as_deref()
}

fn fallback(name: &str) -> Option<u8> {
    FALLBACK
        .iter()
        .find(|(n, _, aliases)| *n == name || aliases.contains(&name))
        .map(|&(_, num, _)| num)
}

/// The protocol number of `name`: `/etc/protocols` first, then the
/// built-in table, then `icmp6` and `ip4`.
pub fn protocol_number(name: &str) -> Option<u8> {
    system_file()
        .and_then(|t| lookup_in(t, name))
        .or_else(|| fallback(name))
        .or_else(|| EXTRA.iter().find(|(n, _)| *n == name).map(|&(_, v)| v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_syntax() {
        let t = "# comment\nicmp\t1\tICMP\t# internet control\n\ntcp 6 TCP\nbad x\n";
        assert_eq!(lookup_in(t, "icmp"), Some(1));
        assert_eq!(lookup_in(t, "ICMP"), Some(1));
        assert_eq!(lookup_in(t, "TCP"), Some(6));
        assert_eq!(lookup_in(t, "internet"), None);
        assert_eq!(lookup_in(t, "bad"), None);
    }

    #[test]
    fn fallback_and_extras() {
        assert_eq!(fallback("ipv6-icmp"), Some(58));
        assert_eq!(fallback("GRE"), Some(47));
        assert_eq!(fallback("icmp6"), None);
        assert_eq!(protocol_number("icmp6"), Some(58));
        assert_eq!(protocol_number("ip4"), Some(4));
        assert_eq!(protocol_number("udp"), Some(17));
        assert_eq!(protocol_number("nosuchproto"), None);
    }
}
