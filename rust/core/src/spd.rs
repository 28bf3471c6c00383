// SPDX-License-Identifier: GPL-2.0

//! Security policy records: built from SPDADD/SPDUPDATE/SPDDELETE
//! messages, written back for SPDGET/SPDDUMP and replies, and matched
//! against packets. Fixed size, no allocation; the policy table itself
//! lives elsewhere.
//!
//! C source: [net/key/af_key.c](srctree/net/key/af_key.c)
//! (`pfkey_spdadd`, `parse_ipsecrequests`, `pfkey_xfrm_policy2msg`,
//! `gen_reqid`) and [net/xfrm/xfrm_policy.c](srctree/net/xfrm/xfrm_policy.c)
//! (`xfrm_gen_index`).
//!
//! Unlike af_key, request level `default` is kept (the datapath resolves it
//! through the deflev knobs) and `use`/`unique`/`require` are written back
//! as given; endpoints of transport requests are kept too.

use super::inet::{Addr, IpProto};
use super::ipsec::{IpsecDir, IpsecLevel, IpsecMode, PolicyType, IPSEC_MANUAL_REQID_MAX};
use super::ipview::PacketSelector;
use super::pfkey::consts::MsgType;
use super::pfkey::ext::{Address, AddressKind, IpsecRequest, Lifetime, LifetimeKind, Policy};
use super::pfkey::sockaddr::SockAddr;
use super::pfkey::{Errno, Message, MsgHeader, SaType, Writer};
use super::sadb::{Expiry, LifetimeLimits};

/// Most requests (SAs bundled) one policy may carry.
pub const MAX_REQUESTS: usize = 4;

/// One `sadb_x_ipsecrequest`: an SA the policy needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Request {
    /// `IPPROTO_ESP`, `IPPROTO_AH` or `IPPROTO_COMP`.
    pub proto: IpProto,
    /// `IPSEC_MODE_TRANSPORT` or `IPSEC_MODE_TUNNEL`.
    pub mode: IpsecMode,
    /// `IPSEC_LEVEL_*` as given (`default` kept).
    pub level: IpsecLevel,
    /// Request id (`unique`); auto-allocated ones are above
    /// [`IPSEC_MANUAL_REQID_MAX`].
    pub reqid: u32,
    /// (source, destination): tunnel endpoints (required in tunnel mode),
    /// or whatever a transport request carried.
    pub endpoints: Option<(SockAddr, SockAddr)>,
}

impl Request {
    /// Validates a request as af_key's `parse_ipsecrequest` does (with
    /// `default` kept, unknown levels refused, and a `unique` reqid above
    /// the manual range turned into 0, to be allocated).
    pub(crate) fn from_ext(rq: &IpsecRequest) -> Result<Self, Errno> {
        if !matches!(rq.proto, IpProto::ESP | IpProto::AH | IpProto::COMP) {
            return Err(Errno::EINVAL);
        }
        match rq.mode {
            IpsecMode::TRANSPORT => {}
            IpsecMode::TUNNEL => match rq.endpoints {
                Some((s, d)) if s.family() == d.family() => {}
                _ => return Err(Errno::EINVAL),
            },
            _ => return Err(Errno::EINVAL),
        }
        if rq.level > IpsecLevel::UNIQUE {
            return Err(Errno::EINVAL);
        }
        let reqid = if rq.level == IpsecLevel::UNIQUE && rq.reqid > IPSEC_MANUAL_REQID_MAX {
            0
        } else {
            rq.reqid
        };
        Ok(Request {
            proto: rq.proto,
            mode: rq.mode,
            level: rq.level,
            reqid,
            endpoints: rq.endpoints,
        })
    }

    /// As a `sadb_x_ipsecrequest`.
    pub const fn to_ext(&self) -> IpsecRequest {
        IpsecRequest {
            proto: self.proto,
            mode: self.mode,
            level: self.level,
            reserved1: 0,
            reqid: self.reqid,
            reserved2: 0,
            endpoints: self.endpoints,
        }
    }
}

/// Whether the first `plen` bits of `a` and `b` agree (same family).
fn prefix_match(a: &Addr, b: &Addr, plen: u8) -> bool {
    if a.family() != b.family() || plen > a.bits() {
        return false;
    }
    let whole = usize::from(plen / 8);
    let rest = plen % 8;
    let (oa, ob) = (a.octets(), b.octets());
    if oa.get(..whole) != ob.get(..whole) {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    match (oa.get(whole), ob.get(whole)) {
        (Some(x), Some(y)) => x & mask == y & mask,
        _ => false,
    }
}

/// What a policy applies to: ADDRESS_SRC and ADDRESS_DST as given (prefix,
/// port, upper-layer protocol; 255 = any protocol, port 0 = any port).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Selector {
    /// Source prefix, port and protocol.
    pub src: Address,
    /// Destination prefix, port and protocol.
    pub dst: Address,
}

/// A policy's identity (selector and direction) as an ordered key, so the
/// SPD can find "the policy with this selector and direction" in a tree.
/// Two records have equal keys exactly when [`PolicyRecord::same_index`]
/// holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct IndexKey([u8; INDEX_KEY_LEN]);

const ADDRESS_KEY_LEN: usize = 31;
const INDEX_KEY_LEN: usize = 1 + 2 * ADDRESS_KEY_LEN;

/// Every field of `a`, in a fixed layout.
fn address_key(a: &Address) -> [u8; ADDRESS_KEY_LEN] {
    let mut k = [0u8; ADDRESS_KEY_LEN];
    let (family, addr, port, flowinfo, scope): (u16, [u8; 16], u16, u32, u32) = match a.sockaddr {
        SockAddr::V4 { addr, port } => {
            let mut a16 = [0u8; 16];
            a16[..4].copy_from_slice(&addr);
            (2, a16, port, 0, 0)
        }
        SockAddr::V6 {
            addr,
            port,
            flowinfo,
            scope_id,
        } => (10, addr, port, flowinfo, scope_id),
    };
    k[0..2].copy_from_slice(&a.proto.0.to_be_bytes());
    k[2] = a.prefixlen;
    k[3..5].copy_from_slice(&family.to_be_bytes());
    k[5..7].copy_from_slice(&port.to_be_bytes());
    k[7..23].copy_from_slice(&addr);
    k[23..27].copy_from_slice(&flowinfo.to_be_bytes());
    k[27..31].copy_from_slice(&scope.to_be_bytes());
    k
}

impl Selector {
    /// The upper-layer protocol (255: any).
    pub const fn proto(&self) -> u16 {
        self.src.proto.0
    }

    /// Whether a packet from `src`:`sport` to `dst`:`dport` with upper-layer
    /// protocol `proto` matches (for ICMP the caller passes type and code
    /// as ports, as PF_KEY encodes them).
    pub fn matches_packet(
        &self,
        src: &Addr,
        dst: &Addr,
        proto: u8,
        sport: u16,
        dport: u16,
    ) -> bool {
        let sel_proto = self.proto();
        (sel_proto == IpProto::IPSEC_ANY.0 || sel_proto == u16::from(proto))
            && prefix_match(&self.src.addr(), src, self.src.prefixlen)
            && prefix_match(&self.dst.addr(), dst, self.dst.prefixlen)
            && (self.src.port() == 0 || self.src.port() == sport)
            && (self.dst.port() == 0 || self.dst.port() == dport)
    }

    /// Whether the packet `p` matches.
    pub fn matches(&self, p: &PacketSelector) -> bool {
        self.matches_packet(&p.src, &p.dst, p.proto, p.sport, p.dport)
    }
}

/// One security policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolicyRecord {
    /// The traffic it applies to.
    pub selector: Selector,
    /// `IPSEC_DIR_INBOUND`, `_OUTBOUND` or `_FWD`.
    pub dir: IpsecDir,
    /// `IPSEC_POLICY_DISCARD`, `_NONE` or `_IPSEC`.
    pub action: PolicyType,
    /// `sadb_x_policy_priority` (smaller ranks first).
    pub priority: u32,
    /// `sadb_x_policy_id`: 0 until the SPD assigns one ([`policy_id`]).
    pub id: u32,
    /// The requests of an IPsec policy, filled from the front.
    pub requests: [Option<Request>; MAX_REQUESTS],
    /// Creation time, seconds.
    pub created: u64,
    /// Last use, seconds (0: never).
    pub lastused: u64,
    /// LIFETIME_HARD as given (`None`: no limits). Policies expire by
    /// time only: `addtime` counts from creation, `usetime` from the last
    /// use (or creation, if never used), as KAME's `lifetime` and
    /// `validtime`; packet and byte limits are kept and written back.
    pub hard: Option<LifetimeLimits>,
    /// LIFETIME_SOFT as given.
    pub soft: Option<LifetimeLimits>,
    /// The soft lifetime fired already (it fires once).
    pub soft_expired: bool,
}

/// The absolute times (seconds) at which `l`'s time limits fall due for a
/// policy created at `created` and last used at `lastused` (0: never).
fn policy_deadline(l: &LifetimeLimits, created: u64, lastused: u64) -> Option<u64> {
    let add = (l.addtime != 0).then(|| created.saturating_add(l.addtime));
    let idle_from = if lastused != 0 { lastused } else { created };
    let idle = (l.usetime != 0).then(|| idle_from.saturating_add(l.usetime));
    match (add, idle) {
        (Some(a), Some(u)) => Some(a.min(u)),
        (a, u) => a.or(u),
    }
}

impl PolicyRecord {
    /// Builds a policy from an X_SPDADD, X_SPDUPDATE or X_SPDDELETE message
    /// (af_key's `pfkey_spdadd` and `parse_ipsecrequests`), created at
    /// `now`.
    ///
    /// `EINVAL` for: missing addresses or X_POLICY, address families or
    /// upper-layer protocols that differ, a direction other than in, out
    /// or fwd, a type other than discard, none or ipsec, an IPsec policy
    /// without requests or with more than [`MAX_REQUESTS`], requests on
    /// another type, and a bad request (protocol not ESP/AH/IPComp, mode
    /// not transport/tunnel, tunnel without endpoints, unknown level).
    pub fn from_message(msg: &Message<'_>, now: u64) -> Result<Self, Errno> {
        let mut rec = Self::index_from_message(msg)?;
        let pol = msg.x_policy().ok_or(Errno::EINVAL)?;
        let p = pol.policy;
        let ipsec = match p.policy_type {
            PolicyType::IPSEC => true,
            PolicyType::DISCARD | PolicyType::NONE => false,
            _ => return Err(Errno::EINVAL),
        };
        let mut requests = [None; MAX_REQUESTS];
        let mut n = 0usize;
        for rq in pol.requests() {
            if !ipsec {
                return Err(Errno::EINVAL);
            }
            let slot = requests.get_mut(n).ok_or(Errno::EINVAL)?;
            *slot = Some(Request::from_ext(&rq)?);
            n = n.checked_add(1).ok_or(Errno::EINVAL)?;
        }
        if ipsec && n == 0 {
            return Err(Errno::EINVAL);
        }
        rec.action = p.policy_type;
        rec.priority = p.priority;
        rec.requests = requests;
        rec.created = now;
        rec.hard = limits(msg, LifetimeKind::Hard);
        rec.soft = limits(msg, LifetimeKind::Soft);
        Ok(rec)
    }

    /// Only what identifies a policy: selector and direction, as
    /// `X_SPDDELETE` names one (its action and requests are ignored, as in
    /// af_key). The other fields are zero.
    pub fn index_from_message(msg: &Message<'_>) -> Result<Self, Errno> {
        let src = msg.address(AddressKind::Src).ok_or(Errno::EINVAL)?;
        let dst = msg.address(AddressKind::Dst).ok_or(Errno::EINVAL)?;
        if src.family() != dst.family() || src.proto != dst.proto {
            return Err(Errno::EINVAL);
        }
        let p = msg.x_policy().ok_or(Errno::EINVAL)?.policy;
        if !matches!(
            p.dir,
            IpsecDir::INBOUND | IpsecDir::OUTBOUND | IpsecDir::FWD
        ) {
            return Err(Errno::EINVAL);
        }
        Ok(PolicyRecord::new(Selector { src, dst }, p.dir))
    }

    /// A policy of `selector` and `dir` and nothing else: action discard,
    /// priority and id 0, no requests, times and lifetimes.
    pub const fn new(selector: Selector, dir: IpsecDir) -> Self {
        PolicyRecord {
            selector,
            dir,
            action: PolicyType::DISCARD,
            priority: 0,
            id: 0,
            requests: [None; MAX_REQUESTS],
            created: 0,
            lastused: 0,
            hard: None,
            soft: None,
            soft_expired: false,
        }
    }

    /// The requests, in order.
    pub fn requests(&self) -> impl Iterator<Item = &Request> {
        self.requests.iter().map_while(Option::as_ref)
    }

    /// Whether `other` has the same selector and direction (the policy
    /// SPDUPDATE replaces and SPDDELETE removes).
    pub fn same_index(&self, other: &PolicyRecord) -> bool {
        self.dir == other.dir && self.selector == other.selector
    }

    /// The ordered form of what [`PolicyRecord::same_index`] compares.
    pub fn index_key(&self) -> IndexKey {
        let mut k = [0u8; INDEX_KEY_LEN];
        k[0] = self.dir.0;
        k[1..1 + ADDRESS_KEY_LEN].copy_from_slice(&address_key(&self.selector.src));
        k[1 + ADDRESS_KEY_LEN..].copy_from_slice(&address_key(&self.selector.dst));
        IndexKey(k)
    }

    /// Gives every `unique` request without a reqid one from
    /// [`next_auto_reqid`] (af_key's `gen_reqid`; the SPD must make sure
    /// the value is not in use).
    pub fn assign_reqids(&mut self, counter: &mut u32) {
        for rq in self.requests.iter_mut().flatten() {
            if rq.level == IpsecLevel::UNIQUE && rq.reqid == 0 {
                rq.reqid = next_auto_reqid(counter);
            }
        }
    }

    /// Writes `hdr` and the policy in af_key's order
    /// (`pfkey_xfrm_policy2msg`): ADDRESS_SRC, ADDRESS_DST, LIFETIME_HARD
    /// and LIFETIME_SOFT (zero when not given), LIFETIME_CURRENT
    /// (addtime = created, usetime = lastused), X_POLICY with the
    /// requests. The caller then calls [`Writer::finish`].
    pub fn write(&self, w: &mut Writer<'_>, hdr: &MsgHeader) -> Result<(), Errno> {
        w.header(hdr)?;
        self.write_addresses(w)?;
        w.lifetime(LifetimeKind::Hard, &limits_ext(self.hard))?;
        w.lifetime(LifetimeKind::Soft, &limits_ext(self.soft))?;
        w.lifetime(LifetimeKind::Current, &self.current())?;
        self.write_policy(w)
    }

    /// Writes the SADB_X_SPDEXPIRE message for `which` (KAME's
    /// `key_spdexpire`; af_key never sends one): satype UNSPEC, seq and pid
    /// 0, ADDRESS_SRC, ADDRESS_DST, LIFETIME_CURRENT, the lifetime that
    /// fired (HARD or SOFT), X_POLICY with the requests. The caller then
    /// calls [`Writer::finish`].
    pub fn write_expire(&self, w: &mut Writer<'_>, which: Expiry) -> Result<(), Errno> {
        w.header(&MsgHeader::new(MsgType::X_SPDEXPIRE, SaType::UNSPEC, 0, 0))?;
        self.write_addresses(w)?;
        w.lifetime(LifetimeKind::Current, &self.current())?;
        match which {
            Expiry::Hard => w.lifetime(LifetimeKind::Hard, &limits_ext(self.hard))?,
            Expiry::Soft => w.lifetime(LifetimeKind::Soft, &limits_ext(self.soft))?,
        }
        self.write_policy(w)
    }

    /// LIFETIME_CURRENT: addtime = created, usetime = last use.
    fn current(&self) -> Lifetime {
        Lifetime {
            addtime: self.created,
            usetime: self.lastused,
            ..Lifetime::default()
        }
    }

    fn write_addresses(&self, w: &mut Writer<'_>) -> Result<(), Errno> {
        w.address(AddressKind::Src, &self.selector.src)?;
        w.address(AddressKind::Dst, &self.selector.dst)
    }

    /// Which lifetime, if any, has expired at `now`: hard beats soft, and
    /// soft fires once.
    pub fn check_lifetime(&self, now: u64) -> Option<Expiry> {
        let due = |l: Option<LifetimeLimits>| {
            l.and_then(|l| policy_deadline(&l, self.created, self.lastused))
                .is_some_and(|d| now >= d)
        };
        if due(self.hard) {
            Some(Expiry::Hard)
        } else if !self.soft_expired && due(self.soft) {
            Some(Expiry::Soft)
        } else {
            None
        }
    }

    /// The earliest absolute time (seconds) at which
    /// [`PolicyRecord::check_lifetime`] would report an expiry.
    pub fn next_deadline(&self) -> Option<u64> {
        let of = |l: Option<LifetimeLimits>| {
            l.and_then(|l| policy_deadline(&l, self.created, self.lastused))
        };
        let soft = if self.soft_expired {
            None
        } else {
            of(self.soft)
        };
        match (of(self.hard), soft) {
            (Some(h), Some(s)) => Some(h.min(s)),
            (h, s) => h.or(s),
        }
    }

    fn write_policy(&self, w: &mut Writer<'_>) -> Result<(), Errno> {
        w.x_policy(&Policy {
            policy_type: self.action,
            dir: self.dir,
            reserved: 0,
            id: self.id,
            priority: self.priority,
        })?;
        for rq in self.requests() {
            w.ipsecrequest(&rq.to_ext())?;
        }
        Ok(())
    }
}

/// The limits of a HARD or SOFT lifetime extension; absent or all zero
/// (what [`PolicyRecord::write`] writes for none) is `None`.
fn limits(msg: &Message<'_>, kind: LifetimeKind) -> Option<LifetimeLimits> {
    msg.lifetime(kind)
        .map(|l| LifetimeLimits::from_ext(&l))
        .filter(|l| *l != LifetimeLimits::default())
}

/// A lifetime extension for optional limits (all zero: none).
fn limits_ext(l: Option<LifetimeLimits>) -> Lifetime {
    l.map(|l| l.to_ext()).unwrap_or_default()
}

/// Linux's policy id (`xfrm_gen_index`): `(index << 3) | xfrm_dir`, where
/// xfrm's direction is PF_KEY's minus one (in 0, out 1, fwd 2), and id 0
/// becomes 8. So `id % 8` gives the direction back and setkey's
/// per-socket test (`id % 8 >= 3`, socket policies being xfrm dir + 3)
/// is false for every SPD policy. The SPD passes a per-namespace counter
/// as `index` and retries with the next on collision.
pub fn policy_id(index: u32, dir: IpsecDir) -> u32 {
    let xdir = u32::from(dir.0.wrapping_sub(1) & 7);
    match index.wrapping_shl(3) | xdir {
        0 => 8,
        id => id,
    }
}

/// The PF_KEY direction of a policy id ([`policy_id`]); per-socket ids
/// (`id % 8` in 3..=5) give their direction too. `IPSEC_DIR_INVALID` for
/// `id % 8` 6 or 7.
pub fn dir_of_id(id: u32) -> IpsecDir {
    match id % 8 {
        0 | 3 => IpsecDir::INBOUND,
        1 | 4 => IpsecDir::OUTBOUND,
        2 | 5 => IpsecDir::FWD,
        _ => IpsecDir::INVALID,
    }
}

/// Whether `id` is a per-socket policy's (setkey's `id % 8 >= 3`).
pub fn is_socket_policy_id(id: u32) -> bool {
    id % 8 >= 3
}

/// The next kernel-allocated reqid (af_key's `gen_reqid`): above
/// [`IPSEC_MANUAL_REQID_MAX`] (0x4000 first), wrapping back to 0x4000.
/// `counter` starts at 0.
pub fn next_auto_reqid(counter: &mut u32) -> u32 {
    let mut r = counter.wrapping_add(1);
    if r <= IPSEC_MANUAL_REQID_MAX {
        r = IPSEC_MANUAL_REQID_MAX.wrapping_add(1);
    }
    *counter = r;
    r
}

#[cfg(test)]
mod tests;
