// SPDX-License-Identifier: GPL-2.0

//! Host-wide knobs: the `net.ipv4.rust_ipsec` and `net.ipv6.rust_ipsec`
//! sysctls, modelled on NetBSD's `net.inet.ipsec` and `net.inet6.ipsec6`.
//!
//! This file owns the names, defaults and valid ranges; the kernel glue only
//! stores the values per network namespace and calls [`Knob::validate`] on
//! every write.

use core::ffi::CStr;

/// Address family of a sysctl tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// `net.ipv4.rust_ipsec`.
    Inet,
    /// `net.ipv6.rust_ipsec`.
    Inet6,
}

impl Family {
    /// Both families, IPv4 first.
    pub const ALL: [Family; 2] = [Family::Inet, Family::Inet6];

    /// The sysctl directory of this family's tree, below `/proc/sys`.
    pub const fn sysctl_path(self) -> &'static str {
        match self {
            Family::Inet => "net/ipv4/rust_ipsec",
            Family::Inet6 => "net/ipv6/rust_ipsec",
        }
    }

    /// [`Family::sysctl_path`] as a C string, for the kernel.
    pub const fn sysctl_c_path(self) -> &'static CStr {
        match self {
            Family::Inet => c"net/ipv4/rust_ipsec",
            Family::Inet6 => c"net/ipv6/rust_ipsec",
        }
    }
}

/// One knob. The discriminant is the knob's index in [`Knob::ALL`] and in
/// per-namespace value arrays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Knob {
    /// Level of an ESP transport-mode request with level `default`.
    EspTransDeflev = 0,
    /// Level of an ESP tunnel-mode request with level `default`.
    EspNetDeflev = 1,
    /// Level of an AH transport-mode request with level `default`.
    AhTransDeflev = 2,
    /// Level of an AH tunnel-mode request with level `default`.
    AhNetDeflev = 3,
    /// What happens to a packet no policy matches.
    DefPolicy = 4,
    /// Whether AH treats the IPv4 TOS byte as mutable (zeroed for the ICV).
    AhCleartos = 5,
    /// Mask applied to the IPv4 fragment offset field for the AH ICV.
    AhOffsetmask = 6,
    /// DF bit of a tunnel-mode outer IPv4 header.
    Dfbit = 7,
    /// ECN handling between inner and outer header in tunnel mode.
    Ecn = 8,
    /// Log why packets are dropped.
    Debug = 9,
}

/// Number of knobs.
pub const KNOB_COUNT: usize = 10;

/// Why a value was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutOfRange {
    /// The knob written.
    pub knob: Knob,
    /// The value that was refused.
    pub value: i64,
}

impl Knob {
    /// Every knob, in index order.
    pub const ALL: [Knob; KNOB_COUNT] = [
        Knob::EspTransDeflev,
        Knob::EspNetDeflev,
        Knob::AhTransDeflev,
        Knob::AhNetDeflev,
        Knob::DefPolicy,
        Knob::AhCleartos,
        Knob::AhOffsetmask,
        Knob::Dfbit,
        Knob::Ecn,
        Knob::Debug,
    ];

    /// The knob's index in [`Knob::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The knob at `index`, if any.
    pub fn from_index(index: usize) -> Option<Knob> {
        Knob::ALL.get(index).copied()
    }

    /// The sysctl file name.
    pub const fn name(self) -> &'static str {
        match self {
            Knob::EspTransDeflev => "esp_trans_deflev",
            Knob::EspNetDeflev => "esp_net_deflev",
            Knob::AhTransDeflev => "ah_trans_deflev",
            Knob::AhNetDeflev => "ah_net_deflev",
            Knob::DefPolicy => "def_policy",
            Knob::AhCleartos => "ah_cleartos",
            Knob::AhOffsetmask => "ah_offsetmask",
            Knob::Dfbit => "dfbit",
            Knob::Ecn => "ecn",
            Knob::Debug => "debug",
        }
    }

    /// [`Knob::name`] as a C string, for the kernel.
    pub const fn c_name(self) -> &'static CStr {
        match self {
            Knob::EspTransDeflev => c"esp_trans_deflev",
            Knob::EspNetDeflev => c"esp_net_deflev",
            Knob::AhTransDeflev => c"ah_trans_deflev",
            Knob::AhNetDeflev => c"ah_net_deflev",
            Knob::DefPolicy => c"def_policy",
            Knob::AhCleartos => c"ah_cleartos",
            Knob::AhOffsetmask => c"ah_offsetmask",
            Knob::Dfbit => c"dfbit",
            Knob::Ecn => c"ecn",
            Knob::Debug => c"debug",
        }
    }

    /// The value every new network namespace starts with (NetBSD's).
    pub const fn default_value(self) -> i32 {
        match self {
            Knob::EspTransDeflev | Knob::EspNetDeflev => Level::Use as i32,
            Knob::AhTransDeflev | Knob::AhNetDeflev => Level::Use as i32,
            Knob::DefPolicy => DefPolicy::Accept as i32,
            Knob::AhCleartos => 1,
            Knob::AhOffsetmask => 0,
            Knob::Dfbit => DfBit::Clear as i32,
            Knob::Ecn => 0,
            Knob::Debug => 0,
        }
    }

    /// The smallest and largest valid value, inclusive.
    pub const fn range(self) -> (i32, i32) {
        match self {
            Knob::EspTransDeflev | Knob::EspNetDeflev => (1, 2),
            Knob::AhTransDeflev | Knob::AhNetDeflev => (1, 2),
            Knob::DefPolicy | Knob::AhCleartos | Knob::Ecn | Knob::Debug => (0, 1),
            Knob::AhOffsetmask => (0, 0xffff),
            Knob::Dfbit => (0, 2),
        }
    }

    /// Whether the knob exists in `family`'s tree. Like NetBSD's
    /// `net.inet6.ipsec6`, the IPv6 tree has no AH header knobs and no
    /// `dfbit` (IPv6 has no DF bit).
    pub const fn in_family(self, family: Family) -> bool {
        match family {
            Family::Inet => true,
            Family::Inet6 => !matches!(self, Knob::AhCleartos | Knob::AhOffsetmask | Knob::Dfbit),
        }
    }

    /// Checks a value written to the knob.
    pub fn validate(self, value: i64) -> Result<i32, OutOfRange> {
        let (min, max) = self.range();
        if value < i64::from(min) || value > i64::from(max) {
            return Err(OutOfRange { knob: self, value });
        }
        i32::try_from(value).map_err(|_| OutOfRange { knob: self, value })
    }
}

/// The knobs of `family`, in index order.
pub fn knobs_of(family: Family) -> impl Iterator<Item = Knob> + Clone {
    Knob::ALL.into_iter().filter(move |k| k.in_family(family))
}

/// A policy request level (KAME `IPSEC_LEVEL_*`), as the deflev knobs hold
/// it. `default` and `unique` are request levels, never knob values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// Use an SA if there is one, else send in the clear.
    Use = 1,
    /// Require an SA: no SA means drop (and ACQUIRE).
    Require = 2,
}

/// What `def_policy` says about packets no policy matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefPolicy {
    /// Drop them.
    Discard = 0,
    /// Let them pass unprotected.
    Accept = 1,
}

/// How a tunnel's outer IPv4 header gets its DF bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DfBit {
    /// Always clear.
    Clear = 0,
    /// Always set.
    Set = 1,
    /// Copied from the inner header.
    Copy = 2,
}

/// A snapshot of one tree's knobs in one namespace, with typed accessors
/// for the datapath. Values outside a knob's range never get here
/// ([`Knob::validate`]), but each accessor still maps them to the safer
/// choice rather than trusting that.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KnobValues {
    values: [i32; KNOB_COUNT],
}

impl Default for KnobValues {
    fn default() -> Self {
        Self::defaults()
    }
}

impl KnobValues {
    /// Every knob at its default.
    pub const fn defaults() -> Self {
        let mut values = [0; KNOB_COUNT];
        let mut i = 0;
        while i < KNOB_COUNT {
            values[i] = Knob::ALL[i].default_value();
            i += 1;
        }
        Self { values }
    }

    /// Builds a snapshot from raw values (index order).
    pub const fn from_raw(values: [i32; KNOB_COUNT]) -> Self {
        Self { values }
    }

    /// The raw value of `knob`.
    pub const fn get(&self, knob: Knob) -> i32 {
        self.values[knob.index()]
    }

    fn level(&self, knob: Knob) -> Level {
        // NetBSD's ipsec_get_reqlevel: anything unexpected means require.
        if self.get(knob) == Level::Use as i32 {
            Level::Use
        } else {
            Level::Require
        }
    }

    /// The level `default` resolves to for an ESP or AH request.
    pub fn default_level(&self, ah: bool, tunnel: bool) -> Level {
        self.level(match (ah, tunnel) {
            (false, false) => Knob::EspTransDeflev,
            (false, true) => Knob::EspNetDeflev,
            (true, false) => Knob::AhTransDeflev,
            (true, true) => Knob::AhNetDeflev,
        })
    }

    /// What to do with packets no policy matches.
    pub fn def_policy(&self) -> DefPolicy {
        if self.get(Knob::DefPolicy) == DefPolicy::Accept as i32 {
            DefPolicy::Accept
        } else {
            DefPolicy::Discard
        }
    }

    /// Whether AH zeroes the TOS byte for the ICV.
    pub fn ah_cleartos(&self) -> bool {
        self.get(Knob::AhCleartos) != 0
    }

    /// Mask for the fragment offset field in the AH ICV computation.
    pub fn ah_offsetmask(&self) -> u16 {
        u16::try_from(self.get(Knob::AhOffsetmask)).unwrap_or(0)
    }

    /// DF handling for tunnel outer headers.
    pub fn dfbit(&self) -> DfBit {
        match self.get(Knob::Dfbit) {
            1 => DfBit::Set,
            2 => DfBit::Copy,
            _ => DfBit::Clear,
        }
    }

    /// Whether tunnels propagate ECN (RFC 6040 normal mode).
    pub fn ecn(&self) -> bool {
        self.get(Knob::Ecn) != 0
    }

    /// Whether drop reasons are logged.
    pub fn debug(&self) -> bool {
        self.get(Knob::Debug) != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices_match_all() {
        for (i, k) in Knob::ALL.iter().enumerate() {
            assert_eq!(k.index(), i);
            assert_eq!(Knob::from_index(i), Some(*k));
        }
        assert_eq!(Knob::from_index(KNOB_COUNT), None);
    }

    #[test]
    fn netbsd_defaults() {
        let expect = [
            ("esp_trans_deflev", 1),
            ("esp_net_deflev", 1),
            ("ah_trans_deflev", 1),
            ("ah_net_deflev", 1),
            ("def_policy", 1),
            ("ah_cleartos", 1),
            ("ah_offsetmask", 0),
            ("dfbit", 0),
            ("ecn", 0),
            ("debug", 0),
        ];
        for (k, (name, value)) in Knob::ALL.iter().zip(expect) {
            assert_eq!(k.name(), name);
            assert_eq!(k.default_value(), value, "{name}");
            assert!(k.validate(i64::from(value)).is_ok(), "{name}");
        }
    }

    #[test]
    fn c_names_match() {
        for k in Knob::ALL {
            assert_eq!(k.c_name().to_str(), Ok(k.name()));
        }
        for f in Family::ALL {
            assert_eq!(f.sysctl_c_path().to_str(), Ok(f.sysctl_path()));
        }
    }

    #[test]
    fn trees() {
        let v4: Vec<_> = knobs_of(Family::Inet).map(Knob::name).collect();
        let v6: Vec<_> = knobs_of(Family::Inet6).map(Knob::name).collect();
        assert_eq!(v4.len(), 10);
        assert_eq!(
            v6,
            [
                "esp_trans_deflev",
                "esp_net_deflev",
                "ah_trans_deflev",
                "ah_net_deflev",
                "def_policy",
                "ecn",
                "debug"
            ]
        );
    }

    #[test]
    fn ranges_inclusive() {
        let cases = [
            (Knob::EspTransDeflev, 1, 2),
            (Knob::EspNetDeflev, 1, 2),
            (Knob::AhTransDeflev, 1, 2),
            (Knob::AhNetDeflev, 1, 2),
            (Knob::DefPolicy, 0, 1),
            (Knob::AhCleartos, 0, 1),
            (Knob::AhOffsetmask, 0, 0xffff),
            (Knob::Dfbit, 0, 2),
            (Knob::Ecn, 0, 1),
            (Knob::Debug, 0, 1),
        ];
        for (k, min, max) in cases {
            for v in min..=max.min(5) {
                assert_eq!(k.validate(i64::from(v)), Ok(v), "{k:?} {v}");
            }
            assert_eq!(k.validate(i64::from(max)), Ok(max));
            for bad in [
                i64::from(min) - 1,
                i64::from(max) + 1,
                i64::MIN,
                i64::MAX,
                -1,
            ] {
                if bad >= i64::from(min) && bad <= i64::from(max) {
                    continue;
                }
                assert_eq!(
                    k.validate(bad),
                    Err(OutOfRange {
                        knob: k,
                        value: bad
                    }),
                    "{k:?} {bad}"
                );
            }
        }
    }

    #[test]
    fn typed_accessors() {
        let d = KnobValues::defaults();
        assert_eq!(d.default_level(false, false), Level::Use);
        assert_eq!(d.def_policy(), DefPolicy::Accept);
        assert!(d.ah_cleartos());
        assert_eq!(d.ah_offsetmask(), 0);
        assert_eq!(d.dfbit(), DfBit::Clear);
        assert!(!d.ecn() && !d.debug());

        let mut raw = [0; KNOB_COUNT];
        raw[Knob::EspNetDeflev.index()] = 2;
        raw[Knob::AhTransDeflev.index()] = 1;
        raw[Knob::Dfbit.index()] = 2;
        raw[Knob::AhOffsetmask.index()] = 0x1fff;
        let v = KnobValues::from_raw(raw);
        assert_eq!(v.default_level(false, true), Level::Require);
        assert_eq!(v.default_level(true, false), Level::Use);
        // 0 is not a valid deflev: treated as require, like NetBSD.
        assert_eq!(v.default_level(false, false), Level::Require);
        assert_eq!(v.def_policy(), DefPolicy::Discard);
        assert_eq!(v.dfbit(), DfBit::Copy);
        assert_eq!(v.ah_offsetmask(), 0x1fff);
    }
}
