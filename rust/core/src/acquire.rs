// SPDX-License-Identifier: GPL-2.0

//! Kernel-originated SADB_ACQUIRE (RFC 2367 2.3.6): a packet needs an SA
//! that does not exist, so the key daemons registered with PF_KEY are
//! asked to negotiate one.
//!
//! [`Acquires`] is the table of SAs being acquired (KAME's `secacq`
//! list, the "larval entry" of an acquisition). It rate-limits: while an
//! entry for the same SA (type, addresses, mode, reqid) is younger than
//! [`ACQUIRE_BLOCK_SECONDS`], no new ACQUIRE is sent for it (Linux keeps
//! its larval `XFRM_STATE_ACQ` state for the same 30 s). The table is
//! fixed-size, so it can be used from the datapath without allocating;
//! when every slot is live, new requests wait until one ages out.
//!
//! [`write_acquire`] builds the message as Linux's `pfkey_send_acquire`
//! does: ADDRESS_SRC, ADDRESS_DST, X_POLICY (direction out, id, priority)
//! and a PROPOSAL listing every algorithm combination we implement,
//! strongest first, with af_key's default lifetimes.

use super::algs::{algs, AlgInfo, AlgKind};
use super::errno::Errno;
use super::inet::{Addr, IpProto};
use super::ipsec::{IpsecDir, IpsecMode, PolicyType};
use super::pfkey::consts::{AuthAlg, EncAlg, MsgType};
use super::pfkey::ext::{Address, AddressKind, Comb, Policy, Proposal};
use super::pfkey::sockaddr::SockAddr;
use super::pfkey::{MsgHeader, SaType, Writer};

/// Seconds an acquisition blocks a new ACQUIRE for the same SA.
pub const ACQUIRE_BLOCK_SECONDS: u64 = 30;

/// The replay window a PROPOSAL asks for (af_key: 32).
const PROPOSAL_REPLAY: u8 = 32;

/// An SA the datapath needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AcquireRequest {
    /// SA type (AH or ESP).
    pub satype: SaType,
    /// SA source: the packet's (transport) or the tunnel's.
    pub src: Addr,
    /// SA destination.
    pub dst: Addr,
    /// `IPSEC_MODE_*`.
    pub mode: IpsecMode,
    /// The request's reqid (0 unless the level is `unique`).
    pub reqid: u32,
    /// The outbound policy that asked.
    pub policy_id: u32,
    /// Its priority.
    pub policy_priority: u32,
}

impl AcquireRequest {
    /// Whether `other` asks for the same SA (whichever policy asked).
    fn same_sa(&self, other: &AcquireRequest) -> bool {
        self.satype == other.satype
            && self.src == other.src
            && self.dst == other.dst
            && self.mode == other.mode
            && self.reqid == other.reqid
    }
}

/// One acquisition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AcquireEntry {
    /// What was asked for.
    pub request: AcquireRequest,
    /// `sadb_msg_seq` of the ACQUIRE (the daemon's GETSPI/UPDATE may
    /// quote it).
    pub seq: u32,
    /// When it was asked, seconds.
    pub created: u64,
    /// Whether the ACQUIRE has been sent.
    pub announced: bool,
}

impl AcquireEntry {
    /// Whether it still blocks new ACQUIREs at `now`.
    pub fn live(&self, now: u64) -> bool {
        now.saturating_sub(self.created) < ACQUIRE_BLOCK_SECONDS
    }
}

/// What [`Acquires::ask`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asked {
    /// A new acquisition: the caller makes sure it gets announced.
    New,
    /// The same SA is being acquired already.
    Pending,
    /// Every slot is live: try again later.
    Full,
}

/// The acquisitions of a namespace, `N` at most.
#[derive(Clone, Debug)]
pub struct Acquires<const N: usize> {
    slots: [Option<AcquireEntry>; N],
    last_seq: u32,
}

impl<const N: usize> Default for Acquires<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Acquires<N> {
    /// No acquisitions.
    pub const fn new() -> Self {
        Acquires {
            slots: [None; N],
            last_seq: 0,
        }
    }

    /// Records that `req` is needed at `now`, unless it is already being
    /// acquired.
    pub fn ask(&mut self, req: AcquireRequest, now: u64) -> Asked {
        let live = |e: &AcquireEntry| e.live(now);
        if self
            .slots
            .iter()
            .flatten()
            .any(|e| live(e) && e.request.same_sa(&req))
        {
            return Asked::Pending;
        }
        let Some(slot) = self.slots.iter_mut().find(|s| !s.is_some_and(|e| live(&e))) else {
            return Asked::Full;
        };
        self.last_seq = self.last_seq.wrapping_add(1).max(1);
        *slot = Some(AcquireEntry {
            request: req,
            seq: self.last_seq,
            created: now,
            announced: false,
        });
        Asked::New
    }

    /// The next acquisition not yet announced, marked announced.
    pub fn next_unannounced(&mut self) -> Option<AcquireEntry> {
        let e = self.slots.iter_mut().flatten().find(|e| !e.announced)?;
        e.announced = true;
        Some(*e)
    }

    /// A daemon reported (with a userspace SADB_ACQUIRE carrying an errno)
    /// that acquisition `seq` failed: it keeps blocking new ACQUIREs for
    /// another [`ACQUIRE_BLOCK_SECONDS`] from `now` (KAME). `false` if no
    /// such acquisition is live.
    pub fn failed(&mut self, seq: u32, now: u64) -> bool {
        match self
            .slots
            .iter_mut()
            .flatten()
            .find(|e| e.seq == seq && e.live(now))
        {
            Some(e) => {
                e.created = now;
                true
            }
            None => false,
        }
    }

    /// Forgets the acquisitions an SA of `satype` from `src` to `dst` now
    /// answers (an ADD or UPDATE made it mature).
    pub fn satisfied(&mut self, satype: SaType, src: &Addr, dst: &Addr) {
        for s in &mut self.slots {
            if s.is_some_and(|e| {
                e.request.satype == satype && e.request.src == *src && e.request.dst == *dst
            }) {
                *s = None;
            }
        }
    }

    /// How many acquisitions are live at `now`.
    pub fn live(&self, now: u64) -> usize {
        self.slots.iter().flatten().filter(|e| e.live(now)).count()
    }
}

/// af_key's proposal lifetimes: soft/hard add time 20 h/24 h, use time
/// 7 h/8 h.
fn comb(auth: Option<&AlgInfo>, enc: Option<&AlgInfo>) -> Comb {
    let bits = |a: Option<&AlgInfo>| a.map_or((0, 0), |a| (a.min_bits, a.max_bits));
    let (auth_minbits, auth_maxbits) = bits(auth);
    let (encrypt_minbits, encrypt_maxbits) = bits(enc);
    Comb {
        auth: AuthAlg(auth.map_or(0, |a| a.id)),
        encrypt: EncAlg(enc.map_or(0, |e| e.id)),
        auth_minbits,
        auth_maxbits,
        encrypt_minbits,
        encrypt_maxbits,
        soft_addtime: 20 * 60 * 60,
        hard_addtime: 24 * 60 * 60,
        soft_usetime: 7 * 60 * 60,
        hard_usetime: 8 * 60 * 60,
        ..Comb::default()
    }
}

/// Authentication algorithms a proposal offers (not `null`).
fn proposal_auths() -> impl Iterator<Item = &'static AlgInfo> {
    algs(AlgKind::Auth)
        .iter()
        .rev()
        .filter(|a| a.id != AuthAlg::NULL.0)
}

/// Calls `f` with every combination a PROPOSAL for `satype` offers:
/// ESP's AEAD algorithms first (newest first), then each cipher with each
/// authenticator, the null cipher last; AH's authenticators.
pub fn for_each_comb(
    satype: SaType,
    mut f: impl FnMut(&Comb) -> Result<(), Errno>,
) -> Result<(), Errno> {
    if satype == SaType::AH {
        for a in proposal_auths() {
            f(&comb(Some(a), None))?;
        }
        return Ok(());
    }
    let encs = algs(AlgKind::Encrypt);
    for e in encs.iter().rev().filter(|e| e.aead) {
        f(&comb(None, Some(e)))?;
    }
    let is_null = |e: &&AlgInfo| e.id == EncAlg::NULL.0;
    let ciphers = encs.iter().rev().filter(|e| !e.aead && !is_null(e));
    for e in ciphers.chain(encs.iter().filter(is_null)) {
        for a in proposal_auths() {
            f(&comb(Some(a), Some(e)))?;
        }
    }
    Ok(())
}

/// Writes the SADB_ACQUIRE for `e`; the caller then calls
/// [`Writer::finish`].
pub fn write_acquire(w: &mut Writer<'_>, e: &AcquireEntry) -> Result<(), Errno> {
    let r = &e.request;
    w.header(&MsgHeader::new(MsgType::ACQUIRE, r.satype, e.seq, 0))?;
    for (kind, addr) in [(AddressKind::Src, r.src), (AddressKind::Dst, r.dst)] {
        w.address(
            kind,
            &Address {
                proto: IpProto(0),
                prefixlen: addr.bits(),
                sockaddr: SockAddr::new(addr, 0),
            },
        )?;
    }
    w.x_policy(&Policy {
        policy_type: PolicyType::IPSEC,
        dir: IpsecDir::OUTBOUND,
        reserved: 0,
        id: r.policy_id,
        priority: r.policy_priority,
    })?;
    w.proposal(
        &Proposal {
            replay: PROPOSAL_REPLAY,
            reserved: [0; 3],
        },
        &[],
    )?;
    for_each_comb(r.satype, |c| w.comb(c))
}

#[cfg(test)]
mod tests;
