// SPDX-License-Identifier: GPL-2.0

//! Security association records: built from ADD/UPDATE/GETSPI messages,
//! written back as PF_KEY messages (GET, DUMP, replies, EXPIRE), and
//! checked against their lifetimes. Fixed size, no allocation; the SA
//! table itself lives elsewhere.
//!
//! C source: [net/key/af_key.c](srctree/net/key/af_key.c)
//! (`pfkey_msg2xfrm_state`, `__pfkey_xfrm_state2msg`,
//! `key_notify_sa_expire`, `pfkey_getspi`).
//!
//! Deliberate differences from af_key:
//!
//! - HARD and SOFT lifetimes are independent (af_key wants both or none).
//! - `sadb_sa_replay` is kept as given (packets), not clamped to 32, and
//!   `SADB_X_EXT_SA_REPLAY` carries windows up to [`MAX_REPLAY_WINDOW`]
//!   (af_key has no such extension).
//! - The `SADB_X_SAFLAGS_ESN` flag ([`sa_flags::ESN`]) turns on extended
//!   sequence numbers (af_key has no ESN).
//! - `sadb_sa_flags` and the addresses' protocol and prefix are kept and
//!   written back as given.
//! - AEAD encryption algorithms are accepted (see [`super::algs`]).

use core::cmp::Ordering;
use core::fmt;

use super::algs::{lookup, AlgInfo, AlgKind};
use super::inet::{Addr, IpProto};
use super::ipcomp::{comp_alg, cpi_of, MAX_CPI};
use super::ipsec::IpsecMode;
use super::pfkey::consts::{
    sa_flags, AuthAlg, CompAlg, EncAlg, MsgType, SaState as WireState, SaType, UdpEncap,
};
use super::pfkey::ext::{
    Address, AddressKind, Key, KeyKind, Lifetime, LifetimeKind, NatTPort, NatTPortKind, NatTType,
    Sa, Sa2, SaReplay,
};
use super::pfkey::{Errno, Message, MsgHeader, Writer};

/// Largest authentication key an SA holds, in bytes (HMAC-SHA-512).
pub const MAX_KEY_BYTES: usize = 64;
/// Largest encryption key an SA holds, in bytes (AES-256 plus a 32-bit
/// salt is 36).
pub const MAX_ENC_KEY_BYTES: usize = 40;

/// Largest replay window an SA takes, in packets (`SADB_X_EXT_SA_REPLAY`):
/// xfrm's limit too (`XFRMA_REPLAY_ESN_MAX`, a 4096-bit bitmap).
pub const MAX_REPLAY_WINDOW: u32 = 4096;

/// Default SPI range of GETSPI without SPIRANGE (af_key's).
pub const DEFAULT_SPI_RANGE: (u32, u32) = (0x100, 0x0fff_ffff);

/// Seconds a larval SA from GETSPI lives unless an UPDATE completes it:
/// KAME's `key_larval_lifetime` and Linux's `net.core.xfrm_acq_expires`
/// (af_key's GETSPI state), both 30. It is the larval SA's hard add-time
/// lifetime, so it expires as any SA does (SADB_EXPIRE, as af_key).
pub const LARVAL_LIFETIME: u64 = 30;

/// The state of an SA (`SADB_SASTATE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum SaState {
    /// Reserved by GETSPI, no keys yet.
    Larval = 0,
    /// Usable.
    Mature = 1,
    /// Soft lifetime expired; still usable.
    Dying = 2,
    /// Hard lifetime expired.
    Dead = 3,
}

impl SaState {
    /// The wire value.
    pub const fn wire(self) -> u8 {
        self as u8
    }

    /// The state of a wire value.
    pub const fn from_wire(v: u8) -> Option<Self> {
        match v {
            0 => Some(SaState::Larval),
            1 => Some(SaState::Mature),
            2 => Some(SaState::Dying),
            3 => Some(SaState::Dead),
            _ => None,
        }
    }
}

/// What identifies an SA: SA type, destination and SPI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SaKey {
    /// `sadb_msg_satype` (AH or ESP).
    pub satype: SaType,
    /// The destination address.
    pub dst: Addr,
    /// The SPI (host order value).
    pub spi: u32,
}

/// Orders addresses: IPv4 before IPv6, then by octets.
fn addr_cmp(a: &Addr, b: &Addr) -> Ordering {
    a.family()
        .cmp(&b.family())
        .then_with(|| a.octets().cmp(b.octets()))
}

impl Ord for SaKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.satype
            .cmp(&other.satype)
            .then_with(|| addr_cmp(&self.dst, &other.dst))
            .then_with(|| self.spi.cmp(&other.spi))
    }
}

impl PartialOrd for SaKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Key material of at most `N` bytes.
///
/// # Invariants
///
/// `len <= N` and `len` is `bits` rounded up to bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyBytes<const N: usize> {
    bits: u16,
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> KeyBytes<N> {
    /// No key.
    pub const EMPTY: Self = KeyBytes {
        bits: 0,
        bytes: [0; N],
        len: 0,
    };

    /// A copy of `key`, if it fits and its data matches its bits.
    pub fn new(key: &Key<'_>) -> Option<Self> {
        let len = Key::byte_len(key.bits);
        if key.data.len() != len {
            return None;
        }
        let mut bytes = [0u8; N];
        bytes.get_mut(..len)?.copy_from_slice(key.data);
        Some(KeyBytes {
            bits: key.bits,
            bytes,
            len,
        })
    }

    /// The key length in bits (0: no key).
    pub const fn bits(&self) -> u16 {
        self.bits
    }

    /// Whether there is no key material.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }

    /// The key as a PF_KEY extension value.
    pub fn as_key(&self) -> Key<'_> {
        Key {
            bits: self.bits,
            reserved: 0,
            data: self.as_bytes(),
        }
    }
}

impl<const N: usize> Drop for KeyBytes<N> {
    /// Wipes the key (datapath plan, section 2.6); `black_box` keeps the
    /// stores from being optimised away.
    fn drop(&mut self) {
        self.bytes = [0; N];
        core::hint::black_box(&self.bytes);
    }
}

impl<const N: usize> fmt::Debug for KeyBytes<N> {
    /// Never prints the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyBytes({} bits)", self.bits)
    }
}

/// Hard or soft limits (`sadb_lifetime` HARD/SOFT); 0 means no limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LifetimeLimits {
    /// Packets.
    pub allocations: u32,
    /// Bytes.
    pub bytes: u64,
    /// Seconds after creation.
    pub addtime: u64,
    /// Seconds after first use.
    pub usetime: u64,
}

impl LifetimeLimits {
    /// From a `sadb_lifetime` HARD or SOFT.
    pub const fn from_ext(l: &Lifetime) -> Self {
        LifetimeLimits {
            allocations: l.allocations,
            bytes: l.bytes,
            addtime: l.addtime,
            usetime: l.usetime,
        }
    }

    /// As a `sadb_lifetime`.
    pub const fn to_ext(&self) -> Lifetime {
        Lifetime {
            allocations: self.allocations,
            bytes: self.bytes,
            addtime: self.addtime,
            usetime: self.usetime,
        }
    }

    /// Whether a limit is reached by `cur` at `now`.
    fn reached(&self, cur: &LifetimeCurrent, now: u64) -> bool {
        (self.allocations != 0 && cur.allocations >= self.allocations)
            || (self.bytes != 0 && cur.bytes >= self.bytes)
            || (self.addtime != 0 && now.saturating_sub(cur.addtime) >= self.addtime)
            || (self.usetime != 0
                && cur.usetime != 0
                && now.saturating_sub(cur.usetime) >= self.usetime)
    }

    /// The earliest absolute time a time limit is reached.
    fn deadline(&self, cur: &LifetimeCurrent) -> Option<u64> {
        let add = if self.addtime != 0 {
            cur.addtime.checked_add(self.addtime)
        } else {
            None
        };
        let used = if self.usetime != 0 && cur.usetime != 0 {
            cur.usetime.checked_add(self.usetime)
        } else {
            None
        };
        match (add, used) {
            (Some(a), Some(u)) => Some(a.min(u)),
            (a, u) => a.or(u),
        }
    }
}

/// Current usage (`sadb_lifetime` CURRENT).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LifetimeCurrent {
    /// Packets processed.
    pub allocations: u32,
    /// Bytes processed.
    pub bytes: u64,
    /// Creation time, seconds.
    pub addtime: u64,
    /// First use, seconds; 0 = never used.
    pub usetime: u64,
}

impl LifetimeCurrent {
    /// As a `sadb_lifetime`.
    pub const fn to_ext(&self) -> Lifetime {
        Lifetime {
            allocations: self.allocations,
            bytes: self.bytes,
            addtime: self.addtime,
            usetime: self.usetime,
        }
    }
}

/// Which lifetime expired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Expiry {
    /// The soft one: the SA becomes [`SaState::Dying`].
    Soft,
    /// The hard one: the SA becomes [`SaState::Dead`].
    Hard,
}

/// NAT traversal (RFC 3948) encapsulation of an ESP SA.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NatT {
    /// `sadb_x_nat_t_type_type` (`UDP_ENCAP_ESPINUDP` or `_NON_IKE`).
    pub encap: u8,
    /// UDP source port.
    pub sport: u16,
    /// UDP destination port.
    pub dport: u16,
}

/// One security association.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaRecord {
    /// `sadb_msg_satype` (AH or ESP).
    pub satype: SaType,
    /// SPI (host order value).
    pub spi: u32,
    /// State.
    pub state: SaState,
    /// ADDRESS_SRC as given (protocol and prefix kept).
    pub src: Address,
    /// ADDRESS_DST as given.
    pub dst: Address,
    /// ADDRESS_PROXY, if given.
    pub proxy: Option<Address>,
    /// `IPSEC_MODE_TRANSPORT` or `IPSEC_MODE_TUNNEL` (`ANY` is stored as
    /// transport, as af_key does).
    pub mode: IpsecMode,
    /// `sadb_x_sa2_reqid`.
    pub reqid: u32,
    /// Replay window in packets, at most [`MAX_REPLAY_WINDOW`]:
    /// `SADB_X_EXT_SA_REPLAY` if given, else `sadb_sa_replay`; 0 = no
    /// replay check.
    pub replay: u32,
    /// `sadb_sa_flags` as given ([`sa_flags::ESN`] included).
    pub flags: u32,
    /// `sadb_sa_auth` (0: none).
    pub auth: u8,
    /// Authentication key.
    pub auth_key: KeyBytes<MAX_KEY_BYTES>,
    /// `sadb_sa_encrypt` (0: none; AH).
    pub enc: u8,
    /// Encryption key (salt included).
    pub enc_key: KeyBytes<MAX_ENC_KEY_BYTES>,
    /// Hard limits, if given.
    pub hard: Option<LifetimeLimits>,
    /// Soft limits, if given.
    pub soft: Option<LifetimeLimits>,
    /// Usage so far.
    pub current: LifetimeCurrent,
    /// `sadb_msg_seq` of the message that created the SA.
    pub seq: u32,
    /// `sadb_msg_pid` of the message that created the SA.
    pub pid: u32,
    /// UDP encapsulation, if any.
    pub nat_t: Option<NatT>,
    /// Extended sequence numbers: `sadb_sa_flags` has [`sa_flags::ESN`]
    /// (which needs a replay window, as xfrm requires).
    pub esn: bool,
}

/// Checks the SA type of an SA message: AH, ESP and IPComp.
fn check_satype(t: SaType) -> Result<(), Errno> {
    match t {
        SaType::AH | SaType::ESP | SaType::X_IPCOMP => Ok(()),
        _ => Err(Errno::EINVAL),
    }
}

/// Checks what an IPComp SA carries (af_key's `pfkey_msg2xfrm_state` and
/// `verify_spi_info`): a compression algorithm Linux knows in
/// `sadb_sa_encrypt` (`ENOSYS` otherwise; `EINVAL` for none or past
/// `SADB_X_CALG_MAX`), no authentication, and a CPI of
/// 16 bits in the SPI (`EINVAL`).
fn check_ipcomp(sa: &Sa) -> Result<(), Errno> {
    let calg = sa.encrypt.0;
    if cpi_of(sa.spi).is_none() || sa.auth.0 != 0 || calg == 0 || calg > CompAlg::MAX.0 {
        return Err(Errno::EINVAL);
    }
    comp_alg(sa.encrypt.0).ok_or(Errno::ENOSYS)?;
    Ok(())
}

/// Both addresses, of one family.
fn addresses(msg: &Message<'_>) -> Result<(Address, Address), Errno> {
    let src = msg.address(AddressKind::Src).ok_or(Errno::EINVAL)?;
    let dst = msg.address(AddressKind::Dst).ok_or(Errno::EINVAL)?;
    if src.family() != dst.family() {
        return Err(Errno::EINVAL);
    }
    // An SA's addresses have no upper-layer protocol: stored (and written
    // back) as 0, as af_key does.
    let no_proto = |a: Address| Address {
        proto: IpProto(0),
        ..a
    };
    Ok((no_proto(src), no_proto(dst)))
}

/// The replay window in packets and whether ESN is on: the window is
/// X_SA_REPLAY's (`EINVAL` over [`MAX_REPLAY_WINDOW`]) if present, else
/// `sadb_sa_replay`; ESN with no window is `EINVAL`.
fn replay_esn(msg: &Message<'_>, sa: &Sa) -> Result<(u32, bool), Errno> {
    let replay = match msg.x_sa_replay() {
        Some(r) if r.replay > MAX_REPLAY_WINDOW => return Err(Errno::EINVAL),
        Some(r) => r.replay,
        None => u32::from(sa.replay),
    };
    let esn = sa.flags & sa_flags::ESN != 0;
    if esn && replay == 0 {
        return Err(Errno::EINVAL);
    }
    Ok((replay, esn))
}

/// Mode and reqid from X_SA2 (transport and 0 without it).
fn mode_reqid(msg: &Message<'_>) -> Result<(IpsecMode, u32), Errno> {
    let Some(sa2) = msg.x_sa2() else {
        return Ok((IpsecMode::TRANSPORT, 0));
    };
    let mode = match sa2.mode {
        IpsecMode::ANY | IpsecMode::TRANSPORT => IpsecMode::TRANSPORT,
        IpsecMode::TUNNEL => IpsecMode::TUNNEL,
        IpsecMode::BEET | IpsecMode::IPTFS => return Err(Errno::EOPNOTSUPP),
        _ => return Err(Errno::EINVAL),
    };
    Ok((mode, sa2.reqid))
}

/// Copies the key of `kind` for algorithm `alg` (`None`: no algorithm, so
/// only an absent or empty key is allowed).
fn take_key<const N: usize>(
    msg: &Message<'_>,
    kind: KeyKind,
    alg: Option<&AlgInfo>,
) -> Result<KeyBytes<N>, Errno> {
    let key = msg.key(kind);
    let bits = key.map_or(0, |k| k.bits);
    match alg {
        None if bits != 0 => return Err(Errno::EINVAL),
        Some(a) if !a.key_bits_ok(bits) => return Err(Errno::EINVAL),
        _ => {}
    }
    match key {
        Some(k) if bits != 0 => KeyBytes::new(&k).ok_or(Errno::EINVAL),
        _ => Ok(KeyBytes::EMPTY),
    }
}

impl SaRecord {
    /// Builds a mature SA from an ADD or UPDATE message (af_key's
    /// `pfkey_msg2xfrm_state`), created at `now` (seconds).
    ///
    /// Errors: `EOPNOTSUPP` for BEET/IPTFS modes; `ENOSYS` for an
    /// algorithm id not in [`super::algs`]; `EINVAL` for any other SA type,
    /// no SA extension, SPI 0, an IPComp SA with a CPI over 16 bits, authentication or keys (`ENOSYS`: a compression algorithm Linux does not know), an AH SA without auth or with encryption, an
    /// ESP SA without encryption, AEAD with auth, a key of a size the
    /// algorithm refuses (or a key for no algorithm), a bad X_SA2 mode,
    /// bad NAT-T type, missing or mismatched addresses, an X_SA_REPLAY
    /// window over [`MAX_REPLAY_WINDOW`], or [`sa_flags::ESN`] with a
    /// replay window of 0.
    ///
    /// The replay window is X_SA_REPLAY's when present (`sadb_sa_replay` is
    /// then ignored), else `sadb_sa_replay` (packets, as Linux).
    pub fn from_add(msg: &Message<'_>, now: u64) -> Result<SaRecord, Errno> {
        check_satype(msg.satype())?;
        let sa = msg.sa().ok_or(Errno::EINVAL)?;
        if sa.spi == 0 {
            return Err(Errno::EINVAL);
        }
        let ipcomp = msg.satype() == SaType::X_IPCOMP;
        if ipcomp {
            check_ipcomp(&sa)?;
        }
        let auth = match sa.auth.0 {
            0 => None,
            id => Some(lookup(AlgKind::Auth, id).ok_or(Errno::ENOSYS)?),
        };
        let enc = match sa.encrypt.0 {
            // An IPComp SA's is a compression algorithm, checked above.
            _ if ipcomp => None,
            0 => None,
            id => Some(lookup(AlgKind::Encrypt, id).ok_or(Errno::ENOSYS)?),
        };
        if ipcomp {
            // No keys: checked below as keys for no algorithm.
        } else if msg.satype() == SaType::AH {
            if auth.is_none() || enc.is_some() {
                return Err(Errno::EINVAL);
            }
        } else {
            match enc {
                None => return Err(Errno::EINVAL),
                Some(e) if e.aead && auth.is_some() => return Err(Errno::EINVAL),
                Some(_) => {}
            }
        }
        let auth_key = take_key(msg, KeyKind::Auth, auth)?;
        let enc_key = take_key(msg, KeyKind::Encrypt, enc)?;
        let (src, dst) = addresses(msg)?;
        let (mode, reqid) = mode_reqid(msg)?;
        let (replay, esn) = replay_esn(msg, &sa)?;
        let nat_t = match msg.nat_t_type() {
            None => None,
            Some(t) if t.encap == UdpEncap::NONE => None,
            Some(t) => {
                if msg.satype() != SaType::ESP
                    || !matches!(t.encap, UdpEncap::ESPINUDP | UdpEncap::ESPINUDP_NON_IKE)
                {
                    return Err(Errno::EINVAL);
                }
                let port = |k| msg.nat_t_port(k).map_or(0, |p: NatTPort| p.port);
                Some(NatT {
                    encap: t.encap.0,
                    sport: port(NatTPortKind::Src),
                    dport: port(NatTPortKind::Dst),
                })
            }
        };
        let h = msg.header();
        Ok(SaRecord {
            satype: msg.satype(),
            spi: sa.spi,
            state: SaState::Mature,
            src,
            dst,
            proxy: msg.address(AddressKind::Proxy),
            mode,
            reqid,
            replay,
            flags: sa.flags,
            auth: sa.auth.0,
            auth_key,
            enc: sa.encrypt.0,
            enc_key,
            hard: msg
                .lifetime(LifetimeKind::Hard)
                .map(|l| LifetimeLimits::from_ext(&l)),
            soft: msg
                .lifetime(LifetimeKind::Soft)
                .map(|l| LifetimeLimits::from_ext(&l)),
            current: LifetimeCurrent {
                addtime: now,
                ..LifetimeCurrent::default()
            },
            seq: h.seq,
            pid: h.pid,
            nat_t,
            esn,
        })
    }

    /// Builds the larval SA GETSPI reserves (af_key's `pfkey_getspi`): SA
    /// type, addresses, mode and reqid from `msg`, SPI `spi`, no keys, and
    /// a hard lifetime of [`LARVAL_LIFETIME`] seconds after `now` (as
    /// af_key's, it shows in the GETSPI reply and dumps).
    ///
    /// Errors as [`SaRecord::from_add`] for the SA type, addresses and mode;
    /// `EINVAL` for SPI 0.
    pub fn larval(msg: &Message<'_>, spi: u32, now: u64) -> Result<SaRecord, Errno> {
        check_satype(msg.satype())?;
        if spi == 0 {
            return Err(Errno::EINVAL);
        }
        let (src, dst) = addresses(msg)?;
        let (mode, reqid) = mode_reqid(msg)?;
        let h = msg.header();
        Ok(SaRecord {
            satype: msg.satype(),
            spi,
            state: SaState::Larval,
            src,
            dst,
            proxy: None,
            mode,
            reqid,
            replay: 0,
            flags: 0,
            auth: 0,
            auth_key: KeyBytes::EMPTY,
            enc: 0,
            enc_key: KeyBytes::EMPTY,
            hard: Some(LifetimeLimits {
                addtime: LARVAL_LIFETIME,
                ..LifetimeLimits::default()
            }),
            soft: None,
            current: LifetimeCurrent {
                addtime: now,
                ..LifetimeCurrent::default()
            },
            seq: h.seq,
            pid: h.pid,
            nat_t: None,
            esn: false,
        })
    }

    /// The SA's identity.
    pub fn key(&self) -> SaKey {
        SaKey {
            satype: self.satype,
            dst: self.dst.addr(),
            spi: self.spi,
        }
    }

    /// The authentication algorithm, if any.
    pub fn auth_alg(&self) -> Option<&'static AlgInfo> {
        lookup(AlgKind::Auth, self.auth)
    }

    /// The encryption algorithm, if any.
    pub fn enc_alg(&self) -> Option<&'static AlgInfo> {
        lookup(AlgKind::Encrypt, self.enc)
    }

    /// The SA extension.
    fn sa_ext(&self) -> Sa {
        Sa {
            spi: self.spi,
            replay: u8::try_from(self.replay).unwrap_or(u8::MAX),
            state: WireState(self.state.wire()),
            auth: AuthAlg(self.auth),
            encrypt: EncAlg(self.enc),
            flags: self.flags,
        }
    }

    /// Writes header and extensions; `hard`/`soft` choose which limits are
    /// written (when set).
    fn write_with(
        &self,
        w: &mut Writer<'_>,
        hdr: &MsgHeader,
        keys: bool,
        hard: bool,
        soft: bool,
    ) -> Result<(), Errno> {
        w.header(hdr)?;
        w.sa(&self.sa_ext())?;
        // As af_key: HARD and SOFT always (zero: no limit; setkey -D
        // prints both lines), except that EXPIRE carries only the one that
        // fired.
        if hard {
            let l = self.hard.map(|l| l.to_ext()).unwrap_or_default();
            w.lifetime(LifetimeKind::Hard, &l)?;
        }
        if soft {
            let l = self.soft.map(|l| l.to_ext()).unwrap_or_default();
            w.lifetime(LifetimeKind::Soft, &l)?;
        }
        w.lifetime(LifetimeKind::Current, &self.current.to_ext())?;
        w.address(AddressKind::Src, &self.src)?;
        w.address(AddressKind::Dst, &self.dst)?;
        if let Some(p) = &self.proxy {
            w.address(AddressKind::Proxy, p)?;
        }
        if keys && !self.auth_key.is_empty() {
            w.key(KeyKind::Auth, &self.auth_key.as_key())?;
        }
        if keys && !self.enc_key.is_empty() {
            w.key(KeyKind::Encrypt, &self.enc_key.as_key())?;
        }
        w.x_sa2(&Sa2 {
            mode: self.mode,
            reqid: self.reqid,
            ..Sa2::default()
        })?;
        if self.replay > u32::from(u8::MAX) {
            w.x_sa_replay(&SaReplay {
                replay: self.replay,
            })?;
        }
        if let Some(n) = &self.nat_t {
            w.nat_t_type(&NatTType {
                encap: UdpEncap(n.encap),
                reserved: [0; 3],
            })?;
            w.nat_t_port(
                NatTPortKind::Src,
                &NatTPort {
                    port: n.sport,
                    reserved: 0,
                },
            )?;
            w.nat_t_port(
                NatTPortKind::Dst,
                &NatTPort {
                    port: n.dport,
                    reserved: 0,
                },
            )?;
        }
        Ok(())
    }

    /// Writes `hdr` and the SA in af_key's order (`__pfkey_xfrm_state2msg`):
    /// SA, LIFETIME_HARD and LIFETIME_SOFT (if set), LIFETIME_CURRENT,
    /// ADDRESS_SRC, ADDRESS_DST, ADDRESS_PROXY (if set), KEY_AUTH and
    /// KEY_ENCRYPT (if `keys` and the SA has them), X_SA2, X_SA_REPLAY (if
    /// the window is over 255, when `sadb_sa_replay` says 255), and the
    /// NAT-T type and ports (if set). `sadb_sa_flags` goes out as stored,
    /// [`sa_flags::ESN`] included. The caller then calls
    /// [`Writer::finish`].
    pub fn write(&self, w: &mut Writer<'_>, hdr: &MsgHeader, keys: bool) -> Result<(), Errno> {
        self.write_with(w, hdr, keys, true, true)
    }

    /// Writes the SADB_EXPIRE message for `which` (af_key's
    /// `key_notify_sa_expire`): seq and pid 0, the SA as [`SaRecord::write`]
    /// without keys and with only the lifetime that fired. The caller then
    /// calls [`Writer::finish`].
    pub fn write_expire(&self, w: &mut Writer<'_>, which: Expiry) -> Result<(), Errno> {
        let hdr = MsgHeader::new(MsgType::EXPIRE, self.satype, 0, 0);
        let hard = which == Expiry::Hard;
        self.write_with(w, &hdr, false, hard, !hard)
    }

    /// Which lifetime, if any, has expired at `now`: hard beats soft; a
    /// Dying SA never reports Soft again and a Dead one reports nothing.
    /// Limits: allocations and bytes when current reaches them, addtime
    /// when `now - addtime >= limit`, usetime when the SA was used and
    /// `now - usetime >= limit`.
    pub fn check_lifetime(&self, now: u64) -> Option<Expiry> {
        if self.state == SaState::Dead {
            return None;
        }
        if self.hard.is_some_and(|l| l.reached(&self.current, now)) {
            return Some(Expiry::Hard);
        }
        if self.state != SaState::Dying && self.soft.is_some_and(|l| l.reached(&self.current, now))
        {
            return Some(Expiry::Soft);
        }
        None
    }

    /// The earliest absolute time (seconds) at which a time limit that
    /// [`SaRecord::check_lifetime`] would still report expires, for timers.
    pub fn next_deadline(&self) -> Option<u64> {
        if self.state == SaState::Dead {
            return None;
        }
        let hard = self.hard.and_then(|l| l.deadline(&self.current));
        let soft = if self.state == SaState::Dying {
            None
        } else {
            self.soft.and_then(|l| l.deadline(&self.current))
        };
        match (hard, soft) {
            (Some(h), Some(s)) => Some(h.min(s)),
            (h, s) => h.or(s),
        }
    }

    /// Moves the SA to the state `which` leads to.
    pub fn mark_expired(&mut self, which: Expiry) {
        self.state = match which {
            Expiry::Soft => SaState::Dying,
            Expiry::Hard => SaState::Dead,
        };
    }

    /// Accounts `packets` and `bytes` processed at `now` (sets the first
    /// use time).
    pub fn account(&mut self, packets: u32, bytes: u64, now: u64) {
        let c = &mut self.current;
        c.allocations = c.allocations.saturating_add(packets);
        c.bytes = c.bytes.saturating_add(bytes);
        if c.usetime == 0 {
            c.usetime = now;
        }
    }
}

/// The SPI range GETSPI may pick from: SPIRANGE if present (`EINVAL`
/// unless `0 < min <= max`), else [`DEFAULT_SPI_RANGE`]. An IPComp SA's
/// SPI is a 16-bit CPI: its range ends at [`MAX_CPI`] (`EINVAL` for a
/// SPIRANGE beyond it, as af_key's `verify_spi_info`; without one, the
/// default range ends there).
pub fn spi_range(msg: &Message<'_>) -> Result<(u32, u32), Errno> {
    let ipcomp = msg.satype() == SaType::X_IPCOMP;
    match msg.spirange() {
        Some(r) if r.min == 0 || r.min > r.max => Err(Errno::EINVAL),
        Some(r) if ipcomp && r.max > MAX_CPI => Err(Errno::EINVAL),
        Some(r) => Ok((r.min, r.max)),
        None if ipcomp => Ok((DEFAULT_SPI_RANGE.0, MAX_CPI)),
        None => Ok(DEFAULT_SPI_RANGE),
    }
}

#[cfg(test)]
mod tests;
