// SPDX-License-Identifier: GPL-2.0

//! The datapath's view of the SADB: per ESP, AH or IPComp SA, its crypto
//! transform, keyed as the SADB is, behind a BH spinlock (the hooks run in
//! softirq). An AH SA's transform is the AEAD
//! `authenc(<auth>,ecb(cipher_null))` (`Documentation/design/ah-plan.rst`):
//! one crypto path for both protocols.
//!
//! PF_KEY builds a [`DpSa`] before it takes its own lock (allocating a
//! transform may sleep), refuses the ADD/UPDATE when the crypto API
//! refuses the algorithm or key, and keeps [`DpSas`] in step with the SADB
//! on every change (stage 2 of `Documentation/design/datapath-plan.rst`).
//! Entries are `Arc`s so that a packet in flight keeps its SA alive after
//! a DELETE; the hook may then drop the last reference, in softirq, so the
//! transform and the route cache are [`ProcessDrop`]s: they are freed by a
//! work item, in process context, whoever drops the SA last.
//!
//! Each SA says how far it is in its life ([`SaLife`]: mature, dying,
//! exhausted; it only moves forward) and how new it is (its install
//! count), which is what the core's outbound choice reads.

use core::sync::atomic::{AtomicU64, AtomicU8, Ordering};

use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNode};
use kernel::sync::Arc;

use super::stats::DropReason;
use crate::glue::acomp::AcompTfm;
use crate::glue::aead::AeadTfm;
use crate::glue::clock;
use crate::glue::process_drop::ProcessDrop;
use crate::glue::route::RouteCache;
use crate::glue::spinlock_bh::{new_spinlock_bh, SpinLockBh};
use crate::ipsec_core::ah;
use crate::ipsec_core::algs::{lookup, AlgInfo, AlgKind};
use crate::ipsec_core::errno::Errno;
use crate::ipsec_core::esp::{self, AuthencKey, CryptoName, Layout, Outer};
use crate::ipsec_core::inet::{Addr, IpProto};
use crate::ipsec_core::ipcomp::{comp_alg, CompInfo};
use crate::ipsec_core::ipsec::IpsecMode;
use crate::ipsec_core::natt::{PortSet, UdpPorts, UDP_ENCAP_ESPINUDP, UDP_HDR_LEN};
use crate::ipsec_core::new_mapping::MappingNote;
use crate::ipsec_core::pfkey::consts::EncAlg;
use crate::ipsec_core::pfkey::SaType;
use crate::ipsec_core::policy::Applied;
use crate::ipsec_core::replay::{OutboundSeq, ReplayWindow};
use crate::ipsec_core::sa_match::{self, OutboundNeed, OutboundSa, SaLife, SaOffer};
use crate::ipsec_core::sadb::{LifetimeLimits, SaKey, SaRecord, SaState};
use crate::ipsec_core::usage::{SaUsage, UsageEvent};

/// What changes per packet: sequence numbers, the replay window,
/// counters.
pub(crate) struct SaDyn {
    /// The outbound sequence counter.
    pub(crate) out: OutboundSeq,
    /// The inbound anti-replay window.
    pub(crate) replay: ReplayWindow,
    /// Packets and bytes processed, first use (the SADB's CURRENT).
    pub(crate) usage: SaUsage,
    /// NAT-T: the last new mapping of the peer announced.
    pub(crate) mapping: MappingNote,
}

/// What transforms an SA's packets.
pub(crate) enum Transform {
    /// ESP and AH: an AEAD, keyed, its ICV size set.
    Aead(AeadTfm),
    /// IPComp: a compression transform and its algorithm.
    Comp(AcompTfm, &'static CompInfo),
}

/// What the datapath keeps of one ESP, AH or IPComp SA (`key.satype` says
/// which).
#[pin_data]
pub(crate) struct DpSa {
    /// The SADB key.
    pub(crate) key: SaKey,
    /// ADDRESS_SRC (transport: the packet's source; tunnel: the outer).
    pub(crate) src: Addr,
    /// `IPSEC_MODE_TRANSPORT` or `IPSEC_MODE_TUNNEL`.
    pub(crate) mode: IpsecMode,
    /// `sadb_x_sa2_reqid`.
    pub(crate) reqid: u32,
    /// Extended sequence numbers.
    pub(crate) esn: bool,
    /// The encryption algorithm (AH: null).
    pub(crate) enc: &'static AlgInfo,
    /// Header, IV, padding and ICV sizes (AH: only the ICV's counts).
    pub(crate) layout: Layout,
    /// AH: the length of the AH header it sends (ICV padded to
    /// [`ah::SEND_ALIGN`]); 0 for ESP.
    pub(crate) ah_len: usize,
    /// The transform; freed in process context.
    pub(crate) tfm: ProcessDrop<Transform>,
    /// NAT traversal: its packets travel in UDP with these ports
    /// (`natt.rs`).
    pub(crate) natt: Option<UdpPorts>,
    /// Tunnel mode: the cached route to the far end; freed in process
    /// context.
    pub(crate) route: ProcessDrop<RouteCache>,
    /// The SADB's soft limits (bytes and packets are checked here).
    pub(crate) soft: Option<LifetimeLimits>,
    /// The SADB's hard limits.
    pub(crate) hard: Option<LifetimeLimits>,
    /// Per-packet state.
    #[pin]
    pub(crate) dyn_: SpinLockBh<SaDyn>,
    /// [`SaLife`] as a byte: only raised (`fetch_max`).
    life: AtomicU8,
    /// When it was installed: the namespace's install count then (0
    /// before it is installed).
    age: AtomicU64,
}

impl DpSa {
    /// Counts a packet of `bytes` bytes processed with this SA (its
    /// dynamic state locked as `d`). `SaExpired` once the hard byte or
    /// packet limit was reached: the SA must not be used any more.
    pub(crate) fn count(&self, d: &mut SaDyn, bytes: usize) -> Result<UsageEvent, DropReason> {
        if d.usage.exhausted() {
            return Err(DropReason::SaExpired);
        }
        let event = d
            .usage
            .count(bytes as u64, clock::now_seconds, &self.soft, &self.hard);
        match event {
            // Outbound traffic moves to a mature SA, if there is one, as
            // soon as this packet has gone.
            UsageEvent::Soft => self.advance(SaLife::Dying),
            // No packet may use it any more: its successor serves.
            UsageEvent::Hard => self.advance(SaLife::Exhausted),
            UsageEvent::None | UsageEvent::FirstUse => {}
        }
        Ok(event)
    }

    /// Moves the SA on to `life`, if it is not there or further yet.
    pub(crate) fn advance(&self, life: SaLife) {
        self.life.fetch_max(life as u8, Ordering::Relaxed);
    }

    /// Where the SA is in its life.
    pub(crate) fn life(&self) -> SaLife {
        SaLife::from_u8(self.life.load(Ordering::Relaxed))
    }

    /// Records that the SA was installed as the namespace's `age`-th.
    pub(crate) fn set_age(&self, age: u64) {
        self.age.store(age, Ordering::Relaxed);
    }

    /// Whether this is an AH SA.
    pub(crate) fn is_ah(&self) -> bool {
        self.key.satype == SaType::AH
    }

    /// Whether this is an IPComp SA.
    pub(crate) fn is_ipcomp(&self) -> bool {
        self.key.satype == SaType::X_IPCOMP
    }

    /// The AEAD of an ESP or AH SA.
    pub(crate) fn aead(&self) -> Result<&AeadTfm, DropReason> {
        match &*self.tfm {
            Transform::Aead(t) => Ok(t),
            Transform::Comp(..) => Err(DropReason::Malformed),
        }
    }

    /// The compression transform and algorithm of an IPComp SA.
    pub(crate) fn comp(&self) -> Result<(&AcompTfm, &'static CompInfo), DropReason> {
        match &*self.tfm {
            Transform::Comp(t, a) => Ok((t, a)),
            Transform::Aead(_) => Err(DropReason::Malformed),
        }
    }

    /// What applying this SA means to the inbound policy check.
    pub(crate) fn applied(&self) -> Applied {
        Applied {
            proto: match self.key.satype {
                SaType::AH => IpProto::AH,
                SaType::X_IPCOMP => IpProto::COMP,
                _ => IpProto::ESP,
            },
            mode: self.mode,
            reqid: self.reqid,
            endpoints: (self.src, self.key.dst),
        }
    }

    /// The largest packet that still fits a path MTU of `mtu` bytes once
    /// this SA's headers (and a tunnel's outer header) are added.
    pub(crate) fn room(&self, mtu: usize) -> usize {
        // IPComp never makes a packet longer: only a tunnel's header counts
        // (its `ah_len` is 0).
        if self.is_ah() || self.is_ipcomp() {
            mtu.saturating_sub(self.layout.outer.len() + self.ah_len)
        } else {
            self.layout.max_payload(mtu)
        }
    }

    /// The largest MSS whose segments (IP header of `ip_hl` bytes) fit an
    /// MTU of `mtu` bytes once this SA's headers are added; 0 if none.
    pub(crate) fn max_tcp_mss(&self, mtu: usize, ip_hl: usize) -> usize {
        if self.is_ah() || self.is_ipcomp() {
            ah::max_tcp_mss(mtu, self.layout.outer.len() + ip_hl, self.ah_len)
        } else {
            self.layout.max_tcp_mss(mtu, ip_hl)
        }
    }

    /// Goes on from `old`, the SA this one replaces (a PF_KEY UPDATE of a
    /// mature SA): its outbound sequence numbers and its replay window, as
    /// Linux's `xfrm_state_update` keeps them (the core's
    /// `continue_from`). The two locks are taken one after the other,
    /// never nested.
    pub(crate) fn continue_from(&self, old: &DpSa) {
        let (out, replay) = {
            let d = old.dyn_.lock();
            (d.out, d.replay.clone())
        };
        let mut d = self.dyn_.lock();
        d.out.continue_from(&out);
        d.replay.continue_from(&replay);
    }

    /// Counts a packet of `bytes` bytes (IPComp: no sequence number).
    pub(crate) fn count_packet(&self, bytes: usize) -> Result<UsageEvent, DropReason> {
        let mut d = self.dyn_.lock();
        self.count(&mut d, bytes)
    }

    /// Counts an outbound packet of `bytes` bytes and takes its sequence
    /// number.
    pub(crate) fn next_out(&self, bytes: usize) -> Result<(u64, UsageEvent), DropReason> {
        let mut d = self.dyn_.lock();
        let event = self.count(&mut d, bytes)?;
        let seq = d.out.next_seq().map_err(|_| DropReason::SeqOverflow)?;
        Ok((seq, event))
    }
}

/// The SAs a bundle applies after a given one (innermost first): what
/// they add shrinks the MTU that one's packet may fill.
#[derive(Clone, Copy)]
pub(crate) struct Later<'a>(pub(crate) &'a [Option<&'a DpSa>]);

impl Later<'_> {
    /// What is left of an MTU of `mtu` bytes once the later SAs have
    /// added theirs (the outermost is the last).
    pub(crate) fn mtu(self, mtu: usize) -> usize {
        self.0.iter().flatten().rev().fold(mtu, |m, s| s.room(m))
    }
}

/// What the core's outbound match reads of an SA.
impl OutboundSa for Arc<DpSa> {
    fn offer(&self) -> SaOffer {
        SaOffer {
            src: self.src,
            mode: self.mode,
            reqid: self.reqid,
            life: self.life(),
            age: self.age.load(Ordering::Relaxed),
        }
    }
}

/// Maps a kernel error to a PF_KEY errno.
fn errno(e: Error) -> Errno {
    Errno(-e.to_errno())
}

/// An SA's keyed transform and the sizes of what it adds to packets.
struct Keyed {
    tfm: Transform,
    enc: &'static AlgInfo,
    layout: Layout,
    ah_len: usize,
}

/// The outer header a tunnel SA `rec` puts around packets (none in
/// transport mode).
fn outer_of(rec: &SaRecord) -> Outer {
    match (rec.mode, rec.dst.addr()) {
        (m, _) if m != IpsecMode::TUNNEL => Outer::None,
        (_, Addr::V4(_)) => Outer::V4,
        (_, Addr::V6(_)) => Outer::V6,
    }
}

/// The UDP ports of the ESP SA `rec` with NAT-T extensions (RFC 3948
/// encapsulation, over IPv4 or IPv6); `None` without. `EOPNOTSUPP` for the
/// pre-RFC non-IKE encapsulation, which the datapath does not do.
fn natt_of(rec: &SaRecord) -> Result<Option<UdpPorts>, Errno> {
    let Some(n) = rec.nat_t.filter(|n| n.encap != 0) else {
        return Ok(None);
    };
    if n.encap != UDP_ENCAP_ESPINUDP {
        pr_info!(
            "SA 0x{:08x}: NAT-T type {} is not supported (only UDP_ENCAP_ESPINUDP)\n",
            rec.spi,
            n.encap
        );
        return Err(Errno::EOPNOTSUPP);
    }
    Ok(Some(UdpPorts {
        sport: n.sport,
        dport: n.dport,
    }))
}

/// The transform of the ESP SA `rec`, whose NAT-T ports are `natt`.
fn esp_transform(rec: &SaRecord, natt: Option<UdpPorts>) -> Result<Keyed, Errno> {
    let enc = rec.enc_alg().ok_or(Errno::EINVAL)?;
    let auth = rec.auth_alg().filter(|a| a.id != 0 && !enc.aead);
    let name = esp::crypto_name(enc, auth, rec.esn)
        .to_buf()
        .map_err(|_| Errno::EINVAL)?;
    let mut tfm = AeadTfm::new(name.as_cstr()).map_err(errno)?;
    match esp::crypto_name(enc, auth, rec.esn) {
        CryptoName::Aead(_) => tfm.set_key(rec.enc_key.as_bytes()),
        CryptoName::Authenc { .. } => {
            let blob = AuthencKey::new(rec.auth_key.as_bytes(), rec.enc_key.as_bytes())
                .map_err(|_| Errno::EINVAL)?;
            tfm.set_key(blob.as_bytes())
        }
    }
    .map_err(errno)?;
    let encap = if natt.is_some() { UDP_HDR_LEN } else { 0 };
    let layout = Layout::for_algs(enc, auth, outer_of(rec)).with_encap(encap);
    let icv = u32::try_from(layout.icv).map_err(|_| Errno::EINVAL)?;
    tfm.set_authsize(icv).map_err(errno)?;
    Ok(Keyed {
        tfm: Transform::Aead(tfm),
        enc,
        layout,
        ah_len: 0,
    })
}

/// The transform of the IPComp SA `rec`: its algorithm from the
/// compression API (`ENOENT`, with a log line, when the kernel has no
/// implementation of it, as for lzs and lzjh today).
fn ipcomp_transform(rec: &SaRecord) -> Result<Keyed, Errno> {
    let alg = comp_alg(rec.enc).ok_or(Errno::ENOSYS)?;
    let tfm = AcompTfm::new(alg.crypto_name).map_err(|e| {
        pr_info!(
            "IPComp SA 0x{:04x}: the kernel has no {:?} compression ({:?})\n",
            rec.spi,
            alg.crypto_name,
            e
        );
        errno(e)
    })?;
    let enc = lookup(AlgKind::Encrypt, EncAlg::NULL.0).ok_or(Errno::EINVAL)?;
    Ok(Keyed {
        tfm: Transform::Comp(tfm, alg),
        enc,
        layout: Layout::new(0, 0, 1, outer_of(rec)),
        ah_len: 0,
    })
}

/// The transform of the AH SA `rec`: `authenc(<auth>,ecb(cipher_null))`
/// keyed with the auth key and an empty encryption key, its authsize the
/// ICV length; `None` for KAME's keyed null (no ICV: the datapath does not
/// process it).
fn ah_transform(rec: &SaRecord) -> Result<Option<Keyed>, Errno> {
    let auth = rec.auth_alg().ok_or(Errno::EINVAL)?;
    let (Some(name), Some(icv)) = (ah::crypto_name(auth), ah::icv_len(auth)) else {
        return Ok(None);
    };
    let ah_len = ah::header_len(icv, ah::SEND_ALIGN).ok_or(Errno::EINVAL)?;
    let enc = lookup(AlgKind::Encrypt, EncAlg::NULL.0).ok_or(Errno::EINVAL)?;
    let name = name.to_buf().map_err(|_| Errno::EINVAL)?;
    let mut tfm = AeadTfm::new(name.as_cstr()).map_err(errno)?;
    let blob = AuthencKey::new(rec.auth_key.as_bytes(), &[]).map_err(|_| Errno::EINVAL)?;
    tfm.set_key(blob.as_bytes()).map_err(errno)?;
    tfm.set_authsize(u32::try_from(icv).map_err(|_| Errno::EINVAL)?)
        .map_err(errno)?;
    Ok(Some(Keyed {
        tfm: Transform::Aead(tfm),
        enc,
        layout: Layout::new(0, icv, 1, outer_of(rec)),
        ah_len,
    }))
}

impl DpSa {
    /// The datapath state of `rec`: `None` for what the datapath does not
    /// process (AH with KAME's keyed null, larval SAs without
    /// keys). May sleep. `EINVAL`/`ENOENT`/... when the crypto API refuses
    /// the algorithm or the key.
    pub(crate) fn new(rec: &SaRecord) -> Result<Option<Arc<Self>>, Errno> {
        if rec.state == SaState::Larval {
            return Ok(None);
        }
        let natt = if rec.satype == SaType::ESP {
            natt_of(rec)?
        } else {
            None
        };
        let keyed = match rec.satype {
            SaType::ESP => esp_transform(rec, natt)?,
            SaType::AH => match ah_transform(rec)? {
                Some(k) => k,
                None => return Ok(None),
            },
            SaType::X_IPCOMP => ipcomp_transform(rec)?,
            _ => return Ok(None),
        };
        let Keyed {
            tfm,
            enc,
            layout,
            ah_len,
        } = keyed;
        let outer = layout.outer;
        let replay = ReplayWindow::new(rec.replay, rec.esn).map_err(|_| Errno::EINVAL)?;
        let route = if outer == Outer::None {
            RouteCache::none()
        } else {
            RouteCache::new()
        };
        let route = ProcessDrop::new(route, GFP_KERNEL).map_err(|_| Errno::ENOMEM)?;
        let tfm = ProcessDrop::new(tfm, GFP_KERNEL).map_err(|_| Errno::ENOMEM)?;
        let dyn_ = SaDyn {
            out: OutboundSeq::new(rec.esn),
            replay,
            usage: SaUsage::from_current(&rec.current),
            mapping: MappingNote::default(),
        };
        let sa = Arc::pin_init(
            pin_init!(Self {
                key: rec.key(),
                src: rec.src.addr(),
                mode: rec.mode,
                reqid: rec.reqid,
                esn: rec.esn,
                enc,
                layout,
                ah_len,
                natt,
                tfm,
                route,
                soft: rec.soft,
                hard: rec.hard,
                dyn_ <- new_spinlock_bh!(dyn_, c"rust_ipsec_sa"),
                life: AtomicU8::new(SaLife::Mature as u8),
                age: AtomicU64::new(0),
            }),
            GFP_KERNEL,
        )
        .map_err(|_| Errno::ENOMEM)?;
        Ok(Some(sa))
    }
}

/// The ESP, AH and IPComp SAs of a namespace, as the datapath sees them.
pub(crate) struct DpSas {
    tree: RBTree<SaKey, Arc<DpSa>>,
    count: usize,
    /// The destination ports of the NAT-T SAs: UDP to one of them may be
    /// ESP (`natt.rs`).
    encap_ports: PortSet,
    /// How many IPComp tunnel SAs: IP-in-IP may be their uncompressed
    /// packets.
    ipcomp_tunnels: usize,
    /// SAs installed so far: the next one's age.
    installed: u64,
}

/// Whether `sa` is an IPComp SA in tunnel mode.
fn is_ipcomp_tunnel(sa: &DpSa) -> bool {
    sa.is_ipcomp() && sa.mode == IpsecMode::TUNNEL
}

/// A node allocated outside the lock, to insert under it, and its SA.
pub(crate) struct Prepared(RBTreeNode<SaKey, Arc<DpSa>>, Arc<DpSa>);

impl Prepared {
    fn key(&self) -> SaKey {
        self.1.key
    }

    fn sa(&self) -> &DpSa {
        &self.1
    }
}

impl DpSas {
    /// No SAs.
    pub(crate) fn new() -> Self {
        Self {
            tree: RBTree::new(),
            count: 0,
            encap_ports: PortSet::new(),
            ipcomp_tunnels: 0,
            installed: 0,
        }
    }

    /// Allocates the node for `sa` (may sleep: call without the lock).
    pub(crate) fn prepare(sa: Arc<DpSa>) -> Result<Prepared, Errno> {
        let key = sa.key;
        let node = RBTreeNode::new(key, sa.clone(), GFP_KERNEL).map_err(|_| Errno::ENOMEM)?;
        Ok(Prepared(node, sa))
    }

    /// The age of the SA installed next (1 for the first): the outbound
    /// choice prefers larger ones.
    pub(crate) fn next_age(&mut self) -> u64 {
        self.installed += 1;
        self.installed
    }

    /// Inserts or replaces; returns the replaced SA, for the caller to drop
    /// after unlocking.
    pub(crate) fn insert(&mut self, p: Prepared) -> Option<RBTreeNode<SaKey, Arc<DpSa>>> {
        if let Some(prev) = self.tree.get(&p.key()) {
            if let Some(n) = prev.natt {
                self.encap_ports.remove(n.dport);
            }
            if is_ipcomp_tunnel(prev) {
                self.ipcomp_tunnels -= 1;
            }
        }
        if let Some(n) = p.sa().natt {
            self.encap_ports.add(n.dport);
        }
        if is_ipcomp_tunnel(p.sa()) {
            self.ipcomp_tunnels += 1;
        }
        let old = self.tree.insert(p.0);
        if old.is_none() {
            self.count += 1;
        }
        old
    }

    /// Whether UDP to `port` may carry ESP: a NAT-T SA sends to it.
    pub(crate) fn is_encap_port(&self, port: u16) -> bool {
        self.encap_ports.contains(port)
    }

    /// Whether any NAT-T SA is installed.
    pub(crate) fn has_encap_ports(&self) -> bool {
        !self.encap_ports.is_empty()
    }

    /// Removes `key`; returns the SA, for the caller to drop after
    /// unlocking.
    pub(crate) fn remove(&mut self, key: &SaKey) -> Option<Arc<DpSa>> {
        let old = self.tree.remove(key);
        if let Some(sa) = &old {
            self.count -= 1;
            if let Some(n) = sa.natt {
                self.encap_ports.remove(n.dport);
            }
            if is_ipcomp_tunnel(sa) {
                self.ipcomp_tunnels -= 1;
            }
        }
        old
    }

    /// Whether any IPComp tunnel SA is installed.
    pub(crate) fn has_ipcomp_tunnels(&self) -> bool {
        self.ipcomp_tunnels != 0
    }

    /// An SA of `satype` (the request's protocol) from `src` to `dst` in
    /// `mode` (with `reqid`, when given: level unique): what an outbound
    /// request needs. The core decides which ([`sa_match::find_outbound`]:
    /// mature before dying, then the newest; never an exhausted one).
    pub(crate) fn find_outbound(
        &mut self,
        satype: SaType,
        src: &Addr,
        dst: &Addr,
        mode: IpsecMode,
        reqid: Option<u32>,
    ) -> Option<Arc<DpSa>> {
        let need = OutboundNeed {
            satype,
            src: *src,
            dst: *dst,
            mode,
            reqid,
        };
        sa_match::find_outbound(&mut self.tree, &need).map(|(_, sa)| sa)
    }

    /// The SA `key`.
    pub(crate) fn get(&self, key: &SaKey) -> Option<Arc<DpSa>> {
        self.tree.get(key).cloned()
    }

    /// The SA (`satype`, `dst`, `spi`): ESP for an ESP header, AH for an
    /// AH header.
    pub(crate) fn find_inbound(&self, satype: SaType, dst: &Addr, spi: u32) -> Option<Arc<DpSa>> {
        self.tree
            .get(&sa_match::inbound_key(satype, *dst, spi))
            .cloned()
    }

    /// How many SAs.
    pub(crate) fn len(&self) -> usize {
        self.count
    }
}
