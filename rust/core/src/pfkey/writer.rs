// SPDX-License-Identifier: GPL-2.0

//! Encoding PF_KEY messages into a caller's buffer, without allocating.
//!
//! Every length field is derived from the bytes just written, in the same
//! pass (no separate size computation to disagree with the fill, unlike
//! af_key), every byte of the message is written explicitly so padding is
//! always zero, and a write that does not fit fails with `ENOBUFS` without
//! moving the end of the message. The writer refuses what [`super::parse`]
//! would refuse (duplicate extensions, prefix too long, key bytes not
//! matching bits, ...), so whatever it produces parses.

use super::super::errno::Errno;
use super::consts::{ExtType, UNIT};
use super::ext::{
    Address, AddressKind, Alg, Comb, Extension, Filter, Identity, IdentityKind, IpsecRequest, Key,
    KeyKind, KmAddress, KmPrivate, Lifetime, LifetimeKind, NatTPort, NatTPortKind, NatTType,
    Policy, Proposal, Sa, Sa2, SaReplay, SecCtx, Sensitivity, SpiRange, Supported, SupportedKind,
};
use super::message::{Message, MsgHeader, MSG_HDR_LEN};
use super::out::Out;

/// Builds one PF_KEY message in a buffer: [`Writer::header`], then the
/// extensions, then [`Writer::finish`].
///
/// X_POLICY, PROPOSAL and SUPPORTED extensions stay open after they are
/// written, so that [`Writer::ipsecrequest`], [`Writer::comb`] and
/// [`Writer::alg`] can append to them (growing their length); writing any
/// other extension closes them.
///
/// Errors are sticky: a call that fails writes nothing, and every later
/// call, [`Writer::finish`] included, returns the same error, so a message
/// missing a part can never be finished by mistake.
pub struct Writer<'b> {
    buf: &'b mut [u8],
    pos: usize,
    started: bool,
    seen: u32,
    open: Option<(ExtType, usize)>,
    error: Option<Errno>,
}

impl<'b> Writer<'b> {
    /// A writer over `buf`; nothing is written yet.
    pub fn new(buf: &'b mut [u8]) -> Self {
        Self {
            buf,
            pos: 0,
            started: false,
            seen: 0,
            open: None,
            error: None,
        }
    }

    /// Passes `r` through, remembering an error for every later call (a
    /// remembered error wins over `r`).
    fn checked<T>(&mut self, r: Result<T, Errno>) -> Result<T, Errno> {
        if let Some(e) = self.error {
            return Err(e);
        }
        r.inspect_err(|&e| self.error = Some(e))
    }

    /// Bytes written so far.
    pub fn written(&self) -> usize {
        self.pos
    }

    /// Writes the `sadb_msg` header; it must come first, once.
    pub fn header(&mut self, h: &MsgHeader) -> Result<(), Errno> {
        let r = self.header_inner(h);
        self.checked(r)
    }

    fn header_inner(&mut self, h: &MsgHeader) -> Result<(), Errno> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.started {
            return Err(Errno::EINVAL);
        }
        let dst = self.buf.get_mut(..MSG_HDR_LEN).ok_or(Errno::ENOBUFS)?;
        dst.copy_from_slice(&h.to_bytes(2));
        self.pos = MSG_HDR_LEN;
        self.started = true;
        Ok(())
    }

    /// Runs `fill` on a cursor at `at` and returns how much it wrote.
    fn emit_at(&mut self, at: usize, fill: impl FnOnce(&mut Out<'_>)) -> Result<usize, Errno> {
        let rest = self.buf.get_mut(at..).ok_or(Errno::ENOBUFS)?;
        let mut out = Out::new(rest);
        fill(&mut out);
        match out.error() {
            Some(e) => Err(e),
            None => Ok(out.pos()),
        }
    }

    fn set_u16(&mut self, at: usize, v: u16) -> Result<(), Errno> {
        let end = at.checked_add(2).ok_or(Errno::ENOBUFS)?;
        let f = self.buf.get_mut(at..end).ok_or(Errno::ENOBUFS)?;
        f.copy_from_slice(&v.to_ne_bytes());
        Ok(())
    }

    fn get_u16(&self, at: usize) -> Result<u16, Errno> {
        let end = at.checked_add(2).ok_or(Errno::EINVAL)?;
        let f = self.buf.get(at..end).ok_or(Errno::EINVAL)?;
        Ok(u16::from_ne_bytes(f.try_into().map_err(|_| Errno::EINVAL)?))
    }

    /// Writes one extension: header, `fill`'s body, zero padding, and the
    /// length of all that.
    fn ext(
        &mut self,
        ty: ExtType,
        growable: bool,
        fill: impl FnOnce(&mut Out<'_>),
    ) -> Result<(), Errno> {
        let r = self.ext_inner(ty, growable, fill);
        self.checked(r)
    }

    fn ext_inner(
        &mut self,
        ty: ExtType,
        growable: bool,
        fill: impl FnOnce(&mut Out<'_>),
    ) -> Result<(), Errno> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if !self.started {
            return Err(Errno::EINVAL);
        }
        let bit = ty
            .index()
            .and_then(|i| u32::try_from(i).ok())
            .and_then(|i| 1u32.checked_shl(i))
            .ok_or(Errno::EINVAL)?;
        if self.seen & bit != 0 {
            return Err(Errno::EINVAL);
        }
        let start = self.pos;
        let len = self.emit_at(start, |o| {
            o.u16_ne(0);
            o.u16_ne(ty.0);
            fill(o);
            o.pad8();
            o.patch_len_u16(0, UNIT);
        })?;
        self.pos = start.checked_add(len).ok_or(Errno::ENOBUFS)?;
        self.seen |= bit;
        self.open = if growable { Some((ty, start)) } else { None };
        Ok(())
    }

    /// Appends `fill`'s bytes (padded) to the open extension of type `ty`.
    fn append(&mut self, ty: ExtType, fill: impl FnOnce(&mut Out<'_>)) -> Result<(), Errno> {
        let r = self.append_inner(ty, fill);
        self.checked(r)
    }

    fn append_inner(&mut self, ty: ExtType, fill: impl FnOnce(&mut Out<'_>)) -> Result<(), Errno> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let start = match self.open {
            Some((t, s)) if t == ty => s,
            _ => return Err(Errno::EINVAL),
        };
        let at = self.pos;
        let len = self.emit_at(at, |o| {
            fill(o);
            o.pad8();
        })?;
        let units = usize::from(self.get_u16(start)?)
            .checked_add(len / UNIT)
            .and_then(|u| u16::try_from(u).ok())
            .ok_or(Errno::EMSGSIZE)?;
        self.set_u16(start, units)?;
        self.pos = at.checked_add(len).ok_or(Errno::ENOBUFS)?;
        Ok(())
    }

    /// `SADB_EXT_SA`.
    pub fn sa(&mut self, sa: &Sa) -> Result<(), Errno> {
        self.ext(ExtType::SA, false, |o| sa.emit(o))
    }

    /// `SADB_EXT_LIFETIME_*`.
    pub fn lifetime(&mut self, kind: LifetimeKind, lt: &Lifetime) -> Result<(), Errno> {
        self.ext(kind.ext_type(), false, |o| lt.emit(o))
    }

    /// `SADB_EXT_ADDRESS_*` or `SADB_X_EXT_NAT_T_OA` (`EINVAL` if the prefix
    /// is longer than the address or the protocol exceeds 255).
    pub fn address(&mut self, kind: AddressKind, a: &Address) -> Result<(), Errno> {
        let proto = self.checked(a.check())?;
        self.ext(kind.ext_type(), false, |o| a.emit(o, proto))
    }

    /// `SADB_EXT_KEY_*` (`EINVAL` unless `data` is `bits` rounded up to
    /// bytes).
    pub fn key(&mut self, kind: KeyKind, key: &Key<'_>) -> Result<(), Errno> {
        self.checked(key.check())?;
        self.ext(kind.ext_type(), false, |o| key.emit(o))
    }

    /// `SADB_EXT_IDENTITY_*`.
    pub fn identity(&mut self, kind: IdentityKind, id: &Identity<'_>) -> Result<(), Errno> {
        self.ext(kind.ext_type(), false, |o| id.emit(o))
    }

    /// `SADB_EXT_SENSITIVITY` (`EINVAL` unless each bitmap is at most 255
    /// whole 64-bit words).
    pub fn sensitivity(&mut self, s: &Sensitivity<'_>) -> Result<(), Errno> {
        let lens = self.checked(s.check())?;
        self.ext(ExtType::SENSITIVITY, false, |o| s.emit(o, lens))
    }

    /// `SADB_EXT_PROPOSAL` with `combs`; more can follow with
    /// [`Writer::comb`].
    pub fn proposal(&mut self, p: &Proposal, combs: &[Comb]) -> Result<(), Errno> {
        self.ext(ExtType::PROPOSAL, true, |o| {
            p.emit(o);
            for c in combs {
                c.emit(o);
            }
        })
    }

    /// Appends a `sadb_comb` to the PROPOSAL just written.
    pub fn comb(&mut self, c: &Comb) -> Result<(), Errno> {
        self.append(ExtType::PROPOSAL, |o| c.emit(o))
    }

    /// `SADB_EXT_SUPPORTED_*` with `algs`; more can follow with
    /// [`Writer::alg`].
    pub fn supported(
        &mut self,
        kind: SupportedKind,
        s: &Supported,
        algs: &[Alg],
    ) -> Result<(), Errno> {
        self.ext(kind.ext_type(), true, |o| {
            o.u32_ne(s.reserved);
            for a in algs {
                a.emit(o);
            }
        })
    }

    /// Appends a `sadb_alg` to the SUPPORTED extension just written.
    pub fn alg(&mut self, a: &Alg) -> Result<(), Errno> {
        match self.open {
            Some((t, _)) if SupportedKind::from_ext_type(t).is_some() => {
                self.append(t, |o| a.emit(o))
            }
            _ => self.checked(Err(Errno::EINVAL)),
        }
    }

    /// `SADB_EXT_SPIRANGE`.
    pub fn spirange(&mut self, r: &SpiRange) -> Result<(), Errno> {
        self.ext(ExtType::SPIRANGE, false, |o| r.emit(o))
    }

    /// `SADB_X_EXT_KMPRIVATE`.
    pub fn kmprivate(&mut self, k: &KmPrivate<'_>) -> Result<(), Errno> {
        self.ext(ExtType::X_KMPRIVATE, false, |o| k.emit(o))
    }

    /// `SADB_X_EXT_POLICY`, without requests: add them with
    /// [`Writer::ipsecrequest`].
    pub fn x_policy(&mut self, p: &Policy) -> Result<(), Errno> {
        self.ext(ExtType::X_POLICY, true, |o| p.emit(o))
    }

    /// Appends a `sadb_x_ipsecrequest` to the X_POLICY just written; its
    /// length and the policy's are derived from what is written.
    pub fn ipsecrequest(&mut self, rq: &IpsecRequest) -> Result<(), Errno> {
        self.checked(rq.check())?;
        self.append(ExtType::X_POLICY, |o| rq.emit(o))
    }

    /// `SADB_X_EXT_SA2`.
    pub fn x_sa2(&mut self, s: &Sa2) -> Result<(), Errno> {
        self.ext(ExtType::X_SA2, false, |o| s.emit(o))
    }

    /// `SADB_X_EXT_NAT_T_TYPE`.
    pub fn nat_t_type(&mut self, t: &NatTType) -> Result<(), Errno> {
        self.ext(ExtType::X_NAT_T_TYPE, false, |o| t.emit(o))
    }

    /// `SADB_X_EXT_NAT_T_SPORT` / `DPORT`.
    pub fn nat_t_port(&mut self, kind: NatTPortKind, p: &NatTPort) -> Result<(), Errno> {
        self.ext(kind.ext_type(), false, |o| p.emit(o))
    }

    /// `SADB_X_EXT_SEC_CTX` (`EINVAL` if the context is over 4096 bytes).
    pub fn sec_ctx(&mut self, c: &SecCtx<'_>) -> Result<(), Errno> {
        let len = self.checked(c.check())?;
        self.ext(ExtType::X_SEC_CTX, false, |o| c.emit(o, len))
    }

    /// `SADB_X_EXT_KMADDRESS` (`EINVAL` if the families differ).
    pub fn kmaddress(&mut self, k: &KmAddress) -> Result<(), Errno> {
        self.checked(k.check())?;
        self.ext(ExtType::X_KMADDRESS, false, |o| k.emit(o))
    }

    /// `SADB_X_EXT_FILTER`.
    pub fn filter(&mut self, f: &Filter) -> Result<(), Errno> {
        self.ext(ExtType::X_FILTER, false, |o| f.emit(o))
    }

    /// `SADB_X_EXT_SA_REPLAY` (any window: the SA table, not the codec,
    /// limits it).
    pub fn x_sa_replay(&mut self, r: &SaReplay) -> Result<(), Errno> {
        self.ext(ExtType::X_SA_REPLAY, false, |o| r.emit(o))
    }

    /// Writes any decoded extension (with its requests, combinations or
    /// algorithms).
    pub fn extension(&mut self, e: &Extension<'_>) -> Result<(), Errno> {
        match e {
            Extension::Sa(v) => self.sa(v),
            Extension::Lifetime(k, v) => self.lifetime(*k, v),
            Extension::Address(k, v) => self.address(*k, v),
            Extension::Key(k, v) => self.key(*k, v),
            Extension::Identity(k, v) => self.identity(*k, v),
            Extension::Sensitivity(v) => self.sensitivity(v),
            Extension::Proposal(v) => {
                self.proposal(&v.proposal, &[])?;
                v.combs().try_for_each(|c| self.comb(&c))
            }
            Extension::Supported(k, v) => {
                self.supported(*k, &v.supported, &[])?;
                v.algs().try_for_each(|a| self.alg(&a))
            }
            Extension::SpiRange(v) => self.spirange(v),
            Extension::KmPrivate(v) => self.kmprivate(v),
            Extension::Policy(v) => {
                self.x_policy(&v.policy)?;
                v.requests().try_for_each(|rq| self.ipsecrequest(&rq))
            }
            Extension::Sa2(v) => self.x_sa2(v),
            Extension::NatTType(v) => self.nat_t_type(v),
            Extension::NatTPort(k, v) => self.nat_t_port(*k, v),
            Extension::SecCtx(v) => self.sec_ctx(v),
            Extension::KmAddress(v) => self.kmaddress(v),
            Extension::Filter(v) => self.filter(v),
            Extension::SaReplay(v) => self.x_sa_replay(v),
        }
    }

    /// Sets `sadb_msg_len` and returns the message size in bytes
    /// (`EMSGSIZE` if over 65535 units, `EINVAL` without a header).
    pub fn finish(self) -> Result<usize, Errno> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if !self.started {
            return Err(Errno::EINVAL);
        }
        let units = u16::try_from(self.pos / UNIT).map_err(|_| Errno::EMSGSIZE)?;
        let mut w = self;
        w.set_u16(4, units)?;
        Ok(w.pos)
    }
}

/// The header-only error reply to `request` (see
/// [`MsgHeader::error_reply`]).
pub fn error_reply(request: &MsgHeader, errno: Errno) -> [u8; MSG_HDR_LEN] {
    request.error_reply(errno)
}

impl Message<'_> {
    /// Encodes the message again, extension by extension in wire order,
    /// through a [`Writer`]. For a parsed message the result equals
    /// [`Message::as_bytes`].
    pub fn reencode(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        let mut w = Writer::new(buf);
        w.header(self.header())?;
        for e in self.extensions() {
            w.extension(&e)?;
        }
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::inet::Addr;
    use super::super::super::inet::IpProto;
    use super::super::consts::{MsgType, SaType};
    use super::super::ext::*;
    use super::super::parse;
    use super::super::sockaddr::SockAddr;
    use super::super::tests::{fill_kitchen_sink, kitchen_sink, kitchen_sink_hdr};
    use super::*;

    fn hdr() -> MsgHeader {
        MsgHeader::new(MsgType::X_SPDADD, SaType::UNSPEC, 1, 2)
    }

    #[test]
    fn every_short_buffer_is_enobufs() {
        let full = kitchen_sink();
        for n in 0..full.len() {
            let mut buf = vec![0u8; n];
            let mut w = Writer::new(&mut buf);
            let r = w.header(&kitchen_sink_hdr());
            let r = r.and_then(|()| fill_kitchen_sink(&mut w));
            assert_eq!(r, Err(Errno::ENOBUFS), "buffer {n}");
            assert!(w.written() <= n);
            assert_eq!(w.finish(), Err(Errno::ENOBUFS), "sticky at {n}");
        }
        let mut buf = vec![0u8; full.len()];
        let mut w = Writer::new(&mut buf);
        w.header(&kitchen_sink_hdr()).unwrap();
        fill_kitchen_sink(&mut w).unwrap();
        assert_eq!(w.finish(), Ok(full.len()));
        assert_eq!(buf, full);
    }

    #[test]
    fn padding_is_zero_whatever_the_buffer_held() {
        for fill in [0x00u8, 0xff] {
            let mut buf = vec![fill; 1024];
            let mut w = Writer::new(&mut buf);
            w.header(&kitchen_sink_hdr()).unwrap();
            fill_kitchen_sink(&mut w).unwrap();
            let n = w.finish().unwrap();
            assert_eq!(buf[..n], kitchen_sink()[..]);
        }
    }

    fn fails_with(e: Errno, f: impl FnOnce(&mut Writer<'_>) -> Result<(), Errno>) {
        let mut buf = [0u8; 512];
        let mut w = Writer::new(&mut buf);
        w.header(&hdr()).unwrap();
        assert_eq!(f(&mut w), Err(e));
        assert_eq!(w.sa(&Sa::default()), Err(e), "sticky");
        assert_eq!(w.finish(), Err(e));
    }

    #[test]
    fn a_failed_call_writes_nothing() {
        let mut buf = [0u8; 40];
        let mut w = Writer::new(&mut buf);
        w.header(&hdr()).unwrap();
        w.sa(&Sa::default()).unwrap();
        assert_eq!(w.written(), 32);
        let bad = Key {
            bits: 8,
            reserved: 0,
            data: &[],
        };
        assert_eq!(w.key(KeyKind::Auth, &bad), Err(Errno::EINVAL));
        assert_eq!(w.written(), 32);
        let mut w = Writer::new(&mut buf);
        w.header(&hdr()).unwrap();
        w.sa(&Sa::default()).unwrap();
        let a = Address::host(Addr::V4([1, 2, 3, 4]), 0);
        assert_eq!(w.address(AddressKind::Src, &a), Err(Errno::ENOBUFS));
        assert_eq!(w.written(), 32);
    }

    #[test]
    fn refuses_what_parse_would_refuse() {
        let a4 = Address::host(Addr::V4([1, 2, 3, 4]), 0);
        let a6 = Address::host(Addr::V6([1; 16]), 0);
        fails_with(Errno::EINVAL, |w| {
            w.sa(&Sa::default())?;
            w.sa(&Sa::default())
        });
        fails_with(Errno::EINVAL, |w| w.header(&hdr()));
        fails_with(Errno::EINVAL, |w| {
            w.address(
                AddressKind::Src,
                &Address {
                    prefixlen: 33,
                    ..a4
                },
            )
        });
        fails_with(Errno::EINVAL, |w| {
            w.address(
                AddressKind::Src,
                &Address {
                    proto: IpProto(256),
                    ..a6
                },
            )
        });
        fails_with(Errno::EINVAL, |w| {
            w.key(
                KeyKind::Auth,
                &Key {
                    bits: 9,
                    reserved: 0,
                    data: &[1],
                },
            )
        });
        fails_with(Errno::EINVAL, |w| {
            w.sensitivity(&Sensitivity {
                sens_bitmap: &[0; 7],
                ..Default::default()
            })
        });
        fails_with(Errno::EINVAL, |w| {
            w.sec_ctx(&SecCtx {
                ctx: &[0; SEC_CTX_MAX + 1],
                ..Default::default()
            })
        });
        fails_with(Errno::EINVAL, |w| {
            w.kmaddress(&KmAddress {
                reserved: 0,
                local: a4.sockaddr,
                remote: a6.sockaddr,
            })
        });
        let mixed = IpsecRequest {
            endpoints: Some((a4.sockaddr, a6.sockaddr)),
            ..Default::default()
        };
        fails_with(Errno::EINVAL, |w| {
            w.x_policy(&Policy::default())?;
            w.ipsecrequest(&mixed)
        });
    }

    #[test]
    fn appending_needs_the_open_extension() {
        fails_with(Errno::EINVAL, |w| w.ipsecrequest(&IpsecRequest::default()));
        fails_with(Errno::EINVAL, |w| {
            w.x_policy(&Policy::default())?;
            w.sa(&Sa::default())?;
            w.ipsecrequest(&IpsecRequest::default())
        });
        fails_with(Errno::EINVAL, |w| w.comb(&Comb::default()));
        fails_with(Errno::EINVAL, |w| {
            w.proposal(&Proposal::default(), &[])?;
            w.alg(&Alg::default())
        });
        fails_with(Errno::EINVAL, |w| {
            w.supported(SupportedKind::Auth, &Supported::default(), &[])?;
            w.comb(&Comb::default())
        });
        // The open extension grows; the one before stays as it was.
        let mut buf = [0u8; 256];
        let mut w = Writer::new(&mut buf);
        w.header(&hdr()).unwrap();
        w.supported(
            SupportedKind::Auth,
            &Supported::default(),
            &[Alg::default()],
        )
        .unwrap();
        w.supported(SupportedKind::Encrypt, &Supported::default(), &[])
            .unwrap();
        w.alg(&Alg::default()).unwrap();
        w.alg(&Alg::default()).unwrap();
        let n = w.finish().unwrap();
        let m = parse(&buf[..n]).unwrap();
        assert_eq!(m.supported(SupportedKind::Auth).unwrap().algs().count(), 1);
        assert_eq!(
            m.supported(SupportedKind::Encrypt).unwrap().algs().count(),
            2
        );
    }

    #[test]
    fn needs_a_header_first() {
        let mut buf = [0u8; 64];
        let mut w = Writer::new(&mut buf);
        assert_eq!(w.sa(&Sa::default()), Err(Errno::EINVAL));
        assert_eq!(w.header(&hdr()), Err(Errno::EINVAL), "sticky");
        assert_eq!(Writer::new(&mut buf).finish(), Err(Errno::EINVAL));
        assert_eq!(Writer::new(&mut []).header(&hdr()), Err(Errno::ENOBUFS));
    }

    #[test]
    fn too_long_is_emsgsize() {
        let mut buf = vec![0u8; MSG_MAX_LEN_TEST + 64];
        // One extension over 65535 units.
        let big = vec![0u8; MSG_MAX_LEN_TEST];
        let mut w = Writer::new(&mut buf);
        w.header(&hdr()).unwrap();
        let k = KmPrivate {
            reserved: 0,
            data: &big,
        };
        assert_eq!(w.kmprivate(&k), Err(Errno::EMSGSIZE));
        // Two that fit alone but not together.
        let half = vec![0u8; MSG_MAX_LEN_TEST / 2];
        let mut w = Writer::new(&mut buf);
        w.header(&hdr()).unwrap();
        let k = KmPrivate {
            reserved: 0,
            data: &half,
        };
        w.kmprivate(&k).unwrap();
        let id = Identity {
            data: &half,
            ..Default::default()
        };
        w.identity(IdentityKind::Src, &id).unwrap();
        assert_eq!(w.finish(), Err(Errno::EMSGSIZE));
    }

    const MSG_MAX_LEN_TEST: usize = super::super::message::MSG_MAX_LEN;

    #[test]
    fn ipsecrequest_lengths_are_derived() {
        let mut buf = [0u8; 256];
        let mut w = Writer::new(&mut buf);
        w.header(&hdr()).unwrap();
        w.x_policy(&Policy::default()).unwrap();
        let tunnel = IpsecRequest {
            endpoints: Some((
                SockAddr::new(Addr::V6([1; 16]), 0),
                SockAddr::new(Addr::V6([2; 16]), 0),
            )),
            ..Default::default()
        };
        w.ipsecrequest(&tunnel).unwrap();
        w.ipsecrequest(&IpsecRequest::default()).unwrap();
        let n = w.finish().unwrap();
        assert_eq!(n, 16 + 16 + 72 + 16);
        // Policy length in units, then the two request lengths in bytes.
        assert_eq!(u16::from_ne_bytes([buf[16], buf[17]]), (16 + 72 + 16) / 8);
        assert_eq!(u16::from_ne_bytes([buf[32], buf[33]]), 72);
        assert_eq!(u16::from_ne_bytes([buf[104], buf[105]]), 16);
        assert_eq!(u16::from_ne_bytes([buf[4], buf[5]]), 15);
    }

    #[test]
    fn error_reply_is_header_only() {
        let h = MsgHeader::new(MsgType::GET, SaType::ESP, 5, 6);
        let r = error_reply(&h, Errno::ENOENT);
        assert_eq!(r, MsgHeader { errno: 2, ..h }.to_bytes(2));
        assert_eq!(r[0], 2);
        assert_eq!(&r[6..8], &[0, 0]);
    }
}
