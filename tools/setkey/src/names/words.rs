// SPDX-License-Identifier: GPL-2.0

//! The keywords of setkey and of its policy strings: SA protocols, modes,
//! policy directions, actions and levels.

use ipsec_core::ipsec::{IpsecDir, IpsecLevel, IpsecMode, PolicyType};
use ipsec_core::pfkey::SaType;

/// What an SA protocol name means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaProtocol {
    /// The name.
    pub name: &'static str,
    /// The SA type (`UNSPEC` for `tcp`, which has none on Linux).
    pub satype: SaType,
    /// `esp-old` / `ah-old`: RFC 1827/1829 (`SADB_X_EXT_OLD`).
    pub old: bool,
    /// `esp-udp`: ESP in UDP (RFC 3948).
    pub udp: bool,
    /// `tcp`: TCP-MD5 signature SAs.
    pub tcp: bool,
}

const fn proto(name: &'static str, satype: SaType, old: bool, udp: bool, tcp: bool) -> SaProtocol {
    SaProtocol {
        name,
        satype,
        old,
        udp,
        tcp,
    }
}

/// The SA protocol names.
pub static SA_PROTOCOLS: &[SaProtocol] = &[
    proto("esp", SaType::ESP, false, false, false),
    proto("esp-old", SaType::ESP, true, false, false),
    proto("ah", SaType::AH, false, false, false),
    proto("ah-old", SaType::AH, true, false, false),
    proto("ipcomp", SaType::X_IPCOMP, false, false, false),
    proto("esp-udp", SaType::ESP, false, true, false),
    proto("tcp", SaType::UNSPEC, false, false, true),
];

/// `-m` modes.
pub static MODES: &[(&str, IpsecMode)] = &[
    ("transport", IpsecMode::TRANSPORT),
    ("tunnel", IpsecMode::TUNNEL),
    ("any", IpsecMode::ANY),
];

/// Policy directions.
pub static DIRS: &[(&str, IpsecDir)] = &[
    ("in", IpsecDir::INBOUND),
    ("out", IpsecDir::OUTBOUND),
    ("fwd", IpsecDir::FWD),
];

/// Policy actions.
pub static ACTIONS: &[(&str, PolicyType)] = &[
    ("discard", PolicyType::DISCARD),
    ("none", PolicyType::NONE),
    ("ipsec", PolicyType::IPSEC),
    ("entrust", PolicyType::ENTRUST),
    ("bypass", PolicyType::BYPASS),
];

/// Request levels (`unique:N` is parsed apart).
pub static LEVELS: &[(&str, IpsecLevel)] = &[
    ("default", IpsecLevel::DEFAULT),
    ("use", IpsecLevel::USE),
    ("require", IpsecLevel::REQUIRE),
    ("unique", IpsecLevel::UNIQUE),
];

/// Request protocols of a policy.
pub static REQUEST_PROTOCOLS: &[(&str, SaType)] = &[
    ("esp", SaType::ESP),
    ("ah", SaType::AH),
    ("ipcomp", SaType::X_IPCOMP),
];

fn find<T: Copy>(table: &[(&'static str, T)], name: &str) -> Option<T> {
    table.iter().find(|(n, _)| *n == name).map(|&(_, v)| v)
}

fn name_of<T: Copy + PartialEq>(table: &[(&'static str, T)], v: T) -> Option<&'static str> {
    table.iter().find(|(_, x)| *x == v).map(|&(n, _)| n)
}

/// The SA protocol called `name`.
pub fn sa_protocol(name: &str) -> Option<&'static SaProtocol> {
    SA_PROTOCOLS.iter().find(|p| p.name == name)
}

/// The mode called `name`.
pub fn mode(name: &str) -> Option<IpsecMode> {
    find(MODES, name)
}

/// The direction called `name`.
pub fn dir(name: &str) -> Option<IpsecDir> {
    find(DIRS, name)
}

/// The action called `name`.
pub fn action(name: &str) -> Option<PolicyType> {
    find(ACTIONS, name)
}

/// The level called `name`.
pub fn level(name: &str) -> Option<IpsecLevel> {
    find(LEVELS, name)
}

/// The SA type of a request protocol called `name`.
pub fn request_protocol(name: &str) -> Option<SaType> {
    find(REQUEST_PROTOCOLS, name)
}

/// setkey's name of an SA type (`esp`, `ah`, `ipcomp`).
pub fn satype_name(t: SaType) -> Option<&'static str> {
    name_of(REQUEST_PROTOCOLS, t)
}

/// setkey's name of a mode.
pub fn mode_name(m: IpsecMode) -> Option<&'static str> {
    name_of(MODES, m)
}

/// setkey's name of a direction.
pub fn dir_name(d: IpsecDir) -> Option<&'static str> {
    name_of(DIRS, d)
}

/// setkey's name of an action.
pub fn action_name(a: PolicyType) -> Option<&'static str> {
    name_of(ACTIONS, a)
}

/// setkey's name of a level.
pub fn level_name(l: IpsecLevel) -> Option<&'static str> {
    name_of(LEVELS, l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(mode("tunnel"), Some(IpsecMode::TUNNEL));
        assert_eq!(mode_name(IpsecMode::ANY), Some("any"));
        assert_eq!(dir("fwd"), Some(IpsecDir::FWD));
        assert_eq!(dir_name(IpsecDir::INBOUND), Some("in"));
        assert_eq!(action("bypass"), Some(PolicyType::BYPASS));
        assert_eq!(action_name(PolicyType::NONE), Some("none"));
        assert_eq!(level("use"), Some(IpsecLevel::USE));
        assert_eq!(level_name(IpsecLevel::UNIQUE), Some("unique"));
        assert_eq!(satype_name(SaType::X_IPCOMP), Some("ipcomp"));
        assert_eq!(request_protocol("ah"), Some(SaType::AH));
        assert!(sa_protocol("esp-udp").unwrap().udp);
        assert!(sa_protocol("ah-old").unwrap().old);
        assert_eq!(sa_protocol("esp3"), None);
        assert_eq!(mode("beet"), None);
    }
}
