// SPDX-License-Identifier: GPL-2.0

//! ESP (RFC 4303) wire format and per-SA sizes: the header view, padding
//! and trailer, the layout of an SA's packets, the associated data handed
//! to the AEAD, counter-mode IVs, the `authenc` key blob and the crypto
//! API name of an SA.
//!
//! C source: [net/ipv4/esp4.c](srctree/net/ipv4/esp4.c)
//! (`esp_output_fill_trailer`, `esp_remove_trailer`, `esp_init_aead`,
//! `esp_init_authenc`) and [include/net/esp.h](srctree/include/net/esp.h).
//!
//! Decisions of the datapath plan (section 3.2, D7 and D8): IVs are
//! generated here, not by a geniv template (the sequence number for counter
//! modes, random bytes from the caller for CBC); the associated data is
//! SPI ‖ \[seq_hi if ESN\] ‖ seq_lo ‖ IV in a buffer of its own; the pad bytes
//! of a received packet are checked (Linux does not).

use core::ffi::CStr;

use super::algs::AlgInfo;
use super::inet::NEXTHDR_NONE;
use super::sadb::{MAX_ENC_KEY_BYTES, MAX_KEY_BYTES};

/// Length of the ESP header (SPI and sequence number), without the IV.
pub const ESP_HDR_LEN: usize = 8;
/// Pad length and next header bytes at the end of the trailer.
pub const TRAILER_FIXED_LEN: usize = 2;
/// Longest IV of any algorithm (AES-CBC).
pub const MAX_IV_LEN: usize = 16;
/// Length of an IPv4 header without options, as a tunnel's outer header.
pub const IPV4_HDR_LEN: usize = 20;
/// Length of the IPv6 fixed header, as a tunnel's outer header.
pub const IPV6_HDR_LEN: usize = 40;

/// A buffer or value of the wrong size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EspError {
    /// The input is shorter than the header it must hold.
    Truncated,
    /// The output buffer is too small.
    NoRoom,
    /// An input is longer than the format allows (IV, key, padding).
    TooLong,
}

/// A view of an ESP packet: header, then IV and ciphertext.
///
/// # Invariants
///
/// The buffer holds at least [`ESP_HDR_LEN`] bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EspHeader<T: AsRef<[u8]>> {
    buffer: T,
}

/// Reads a big-endian u32 at `off` (0 if out of range).
fn be32(b: &[u8], off: usize) -> u32 {
    b.get(off..)
        .and_then(|s| s.first_chunk::<4>())
        .map_or(0, |a| u32::from_be_bytes(*a))
}

/// Writes `v` big-endian at `off` (nothing if out of range).
fn put_be32(b: &mut [u8], off: usize, v: u32) {
    if let Some(d) = b.get_mut(off..).and_then(|s| s.first_chunk_mut::<4>()) {
        *d = v.to_be_bytes();
    }
}

impl<T: AsRef<[u8]>> EspHeader<T> {
    /// A view of `buffer`, which must hold the 8-byte header.
    pub fn new_checked(buffer: T) -> Result<Self, EspError> {
        if buffer.as_ref().len() < ESP_HDR_LEN {
            return Err(EspError::Truncated);
        }
        Ok(EspHeader { buffer })
    }

    /// The buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The SPI.
    pub fn spi(&self) -> u32 {
        be32(self.buffer.as_ref(), 0)
    }

    /// The low 32 bits of the sequence number.
    pub fn seq(&self) -> u32 {
        be32(self.buffer.as_ref(), 4)
    }

    /// Everything after the 8-byte header (IV, ciphertext, ICV).
    pub fn payload(&self) -> &[u8] {
        self.buffer.as_ref().get(ESP_HDR_LEN..).unwrap_or(&[])
    }

    /// The IV of an SA with `iv_len`-byte IVs, if the packet is long enough.
    pub fn iv(&self, iv_len: usize) -> Option<&[u8]> {
        self.payload().get(..iv_len)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> EspHeader<T> {
    /// Sets the SPI.
    pub fn set_spi(&mut self, spi: u32) {
        put_be32(self.buffer.as_mut(), 0, spi);
    }

    /// Sets the low 32 bits of the sequence number.
    pub fn set_seq(&mut self, seq: u32) {
        put_be32(self.buffer.as_mut(), 4, seq);
    }
}

/// Writes the ESP header and IV at the start of `out`; returns the bytes
/// written (8 + IV length).
pub fn emit_header(out: &mut [u8], spi: u32, seq_lo: u32, iv: &[u8]) -> Result<usize, EspError> {
    let len = ESP_HDR_LEN.checked_add(iv.len()).ok_or(EspError::TooLong)?;
    let dst = out.get_mut(..len).ok_or(EspError::NoRoom)?;
    let (hdr, iv_dst) = dst.split_at_mut(ESP_HDR_LEN);
    hdr.get_mut(..4)
        .ok_or(EspError::NoRoom)?
        .copy_from_slice(&spi.to_be_bytes());
    hdr.get_mut(4..)
        .ok_or(EspError::NoRoom)?
        .copy_from_slice(&seq_lo.to_be_bytes());
    iv_dst.copy_from_slice(iv);
    Ok(len)
}

/// Padding bytes so that payload, padding and the two trailer bytes fill
/// a multiple of `align` (RFC 4303 section 2.4). `align` 0 counts as 1.
pub const fn pad_len(payload_len: usize, align: usize) -> usize {
    if align == 0 {
        return 0;
    }
    let rem = (payload_len % align + TRAILER_FIXED_LEN % align) % align;
    (align - rem) % align
}

/// Writes padding 1, 2, 3, ..., the pad length and the next header into
/// the start of `out` (as `esp_output_fill_trailer`); returns `pad + 2`.
pub fn write_trailer(out: &mut [u8], pad: usize, next_header: u8) -> Result<usize, EspError> {
    let pad_u8 = u8::try_from(pad).map_err(|_| EspError::TooLong)?;
    let len = usize::from(pad_u8) + TRAILER_FIXED_LEN;
    let dst = out.get_mut(..len).ok_or(EspError::NoRoom)?;
    let mut value = 1u8;
    for b in dst.iter_mut() {
        *b = value;
        value = value.wrapping_add(1);
    }
    if let [.., pl, nh] = dst {
        *pl = pad_u8;
        *nh = next_header;
    }
    Ok(len)
}

/// A parsed ESP trailer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Trailer {
    /// Number of padding bytes.
    pub pad_len: u8,
    /// The protocol of the payload (4 or 41 in tunnel mode).
    pub next_header: u8,
    /// Length of the payload before the padding.
    pub payload_len: usize,
}

impl Trailer {
    /// Bytes to trim from the end of the plaintext (padding and the two
    /// trailer bytes).
    pub fn trim_len(&self) -> usize {
        usize::from(self.pad_len) + TRAILER_FIXED_LEN
    }

    /// Whether this is a dummy packet (next header 59), to be dropped
    /// silently.
    pub const fn is_dummy(&self) -> bool {
        self.next_header == NEXTHDR_NONE
    }
}

/// Why a decrypted payload's trailer is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrailerError {
    /// Fewer than the two trailer bytes.
    Truncated,
    /// The pad length is longer than what precedes it.
    PadLength,
    /// The pad bytes are not 1, 2, 3, ... (RFC 4303 section 2.4).
    PadBytes,
}

/// Parses the trailer at the end of a decrypted payload (`plain` is the
/// payload, padding and the two trailer bytes, without the ICV) and checks
/// the padding.
pub fn parse_trailer(plain: &[u8]) -> Result<Trailer, TrailerError> {
    let (&next_header, rest) = plain.split_last().ok_or(TrailerError::Truncated)?;
    let (&pad_len, rest) = rest.split_last().ok_or(TrailerError::Truncated)?;
    let payload_len = rest
        .len()
        .checked_sub(usize::from(pad_len))
        .ok_or(TrailerError::PadLength)?;
    let pad = rest.get(payload_len..).ok_or(TrailerError::PadLength)?;
    // Not `zip(1u8..)`: that range panics when it steps past 255.
    let mut want = 0u8;
    if !pad.iter().all(|&b| {
        want = want.wrapping_add(1);
        b == want
    }) {
        return Err(TrailerError::PadBytes);
    }
    Ok(Trailer {
        pad_len,
        next_header,
        payload_len,
    })
}

/// The outer header a tunnel SA adds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outer {
    /// Transport mode: no outer header.
    None,
    /// Tunnel mode with an IPv4 outer header (no options).
    V4,
    /// Tunnel mode with an IPv6 outer header (no extension headers).
    V6,
}

impl Outer {
    /// The outer header's length.
    pub const fn len(self) -> usize {
        match self {
            Outer::None => 0,
            Outer::V4 => IPV4_HDR_LEN,
            Outer::V6 => IPV6_HDR_LEN,
        }
    }

    /// Whether there is no outer header (transport mode).
    pub const fn is_empty(self) -> bool {
        matches!(self, Outer::None)
    }
}

/// The block size of an encryption algorithm's cipher, as the kernel's
/// `crypto_aead_blocksize` reports it (1 for stream and counter modes).
/// The datapath uses the tfm's value; this is the table's expectation.
pub fn cipher_block_len(enc: &AlgInfo) -> usize {
    enc.cbc_block_len().unwrap_or(1)
}

/// The ICV length of an SA: the AEAD's, else the authentication
/// algorithm's (0 without one).
pub fn icv_len(enc: &AlgInfo, auth: Option<&AlgInfo>) -> usize {
    let bits = if enc.aead {
        enc.icv_bits
    } else {
        auth.map_or(0, |a| a.icv_bits)
    };
    usize::from(bits / 8)
}

/// A TCP header without options.
const TCP_MIN_HDR_LEN: usize = 20;

/// Where the bytes of an SA's packets go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// IV length.
    pub iv: usize,
    /// ICV length.
    pub icv: usize,
    /// Alignment of payload + padding + 2: the cipher block size rounded
    /// up to 4 (`ALIGN(blocksize, 4)` in esp4.c).
    pub align: usize,
    /// The outer header of a tunnel SA.
    pub outer: Outer,
    /// Bytes before the ESP header: the UDP header of NAT traversal
    /// (RFC 3948), else 0.
    pub encap: usize,
}

impl Layout {
    /// A layout from the sizes the crypto API reports.
    pub const fn new(iv: usize, icv: usize, block: usize, outer: Outer) -> Self {
        let align = match block.checked_next_multiple_of(4) {
            Some(a) if a >= 4 => a,
            _ => 4,
        };
        Layout {
            iv,
            icv,
            align,
            outer,
            encap: 0,
        }
    }

    /// The same layout with `encap` bytes (a UDP header) before ESP.
    pub const fn with_encap(self, encap: usize) -> Self {
        Layout { encap, ..self }
    }

    /// The layout of an SA from the algorithm table.
    pub fn for_algs(enc: &AlgInfo, auth: Option<&AlgInfo>, outer: Outer) -> Self {
        Layout::new(
            usize::from(enc.iv_bytes),
            icv_len(enc, auth),
            cipher_block_len(enc),
            outer,
        )
    }

    /// ESP header and IV.
    pub const fn header_len(&self) -> usize {
        ESP_HDR_LEN.saturating_add(self.iv)
    }

    /// Padding for a payload of `payload_len` bytes.
    pub const fn pad_len(&self, payload_len: usize) -> usize {
        pad_len(payload_len, self.align)
    }

    /// Padding, the two trailer bytes and the ICV.
    pub fn trailer_len(&self, payload_len: usize) -> usize {
        self.pad_len(payload_len)
            .saturating_add(TRAILER_FIXED_LEN)
            .saturating_add(self.icv)
    }

    /// The outer header, any UDP header, the ESP header and the IV.
    pub const fn front_len(&self) -> usize {
        self.outer
            .len()
            .saturating_add(self.encap)
            .saturating_add(self.header_len())
    }

    /// Bytes ESP adds to a payload of `payload_len` bytes (the inner packet
    /// in tunnel mode, the upper-layer data in transport mode): outer
    /// header, UDP header, ESP header, IV, trailer, ICV.
    pub fn overhead(&self, payload_len: usize) -> usize {
        self.front_len()
            .saturating_add(self.trailer_len(payload_len))
    }

    /// The largest overhead of any payload (padding at its longest).
    pub fn max_overhead(&self) -> usize {
        self.front_len()
            .saturating_add(self.align.saturating_sub(1))
            .saturating_add(TRAILER_FIXED_LEN)
            .saturating_add(self.icv)
    }

    /// The largest payload whose ESP packet (with the outer header) fits in
    /// `mtu` bytes; 0 if none does.
    pub fn max_payload(&self, mtu: usize) -> usize {
        let fixed = self.front_len().saturating_add(self.icv);
        let room = mtu.saturating_sub(fixed);
        let blocks = room - room % self.align.max(1);
        blocks.saturating_sub(TRAILER_FIXED_LEN)
    }

    /// The largest TCP MSS whose full-sized segments, with an IP header of
    /// `ip_hl` bytes and a TCP header without options, fit in `mtu` bytes
    /// once ESP is added: transport mode protects what follows the IP
    /// header, tunnel mode the whole inner packet. 0 if none fits.
    pub fn max_tcp_mss(&self, mtu: usize, ip_hl: usize) -> usize {
        let esp_payload = if self.outer.is_empty() {
            self.max_payload(mtu.saturating_sub(ip_hl))
        } else {
            self.max_payload(mtu).saturating_sub(ip_hl)
        };
        esp_payload.saturating_sub(TCP_MIN_HDR_LEN)
    }

    /// Whether a received packet's encrypted part (payload, padding and
    /// trailer, without ICV) has a valid length: a non-zero multiple of the
    /// alignment, as `esp_input` checks against the block size.
    pub const fn ciphertext_len_ok(&self, len: usize) -> bool {
        match len.checked_rem(self.align) {
            Some(r) => len >= TRAILER_FIXED_LEN && r == 0,
            None => false,
        }
    }
}

/// How an algorithm's IVs are made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IvKind {
    /// No IV (null encryption).
    None,
    /// The 64-bit sequence number, big-endian ([`counter_iv`]): counter
    /// modes and AEADs (RFC 4106 section 3.1 needs uniqueness only).
    Counter,
    /// Unpredictable random bytes (CBC, RFC 3602 section 3).
    Random,
}

/// How IVs of `enc` are made.
pub fn iv_kind(enc: &AlgInfo) -> IvKind {
    if enc.iv_bytes == 0 {
        IvKind::None
    } else if enc.cbc_block_len().is_some() {
        IvKind::Random
    } else {
        IvKind::Counter
    }
}

/// The IV of a counter-mode packet: the full 64-bit sequence number,
/// big-endian.
pub const fn counter_iv(seq: u64) -> [u8; 8] {
    seq.to_be_bytes()
}

/// Longest associated data: SPI, seq_hi, seq_lo, a 16-byte IV.
pub const AD_MAX_LEN: usize = 12 + MAX_IV_LEN;

/// The associated data of one packet: SPI ‖ \[seq_hi if ESN\] ‖ seq_lo ‖ IV
/// (datapath plan, section 3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ad {
    buf: [u8; AD_MAX_LEN],
    len: usize,
}

impl Ad {
    /// Builds the AD for sequence number `seq` (only its low half without
    /// ESN) and `iv` (at most [`MAX_IV_LEN`] bytes).
    pub fn new(spi: u32, seq: u64, esn: bool, iv: &[u8]) -> Result<Self, EspError> {
        if iv.len() > MAX_IV_LEN {
            return Err(EspError::TooLong);
        }
        let (hi, lo) = super::replay::split(seq);
        let mut buf = [0u8; AD_MAX_LEN];
        let mut len = 0usize;
        let mut put = |bytes: &[u8]| -> Result<(), EspError> {
            let end = len.checked_add(bytes.len()).ok_or(EspError::TooLong)?;
            buf.get_mut(len..end)
                .ok_or(EspError::TooLong)?
                .copy_from_slice(bytes);
            len = end;
            Ok(())
        };
        put(&spi.to_be_bytes())?;
        if esn {
            put(&hi.to_be_bytes())?;
        }
        put(&lo.to_be_bytes())?;
        put(iv)?;
        Ok(Ad { buf, len })
    }

    /// The bytes (`assoclen` is their length).
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// The length (`assoclen`).
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether the AD is empty (never, once built).
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// `RTA_SPACE(sizeof(struct crypto_authenc_key_param))`: the header of the
/// key blob.
pub const AUTHENC_HDR_LEN: usize = 8;
/// `CRYPTO_AUTHENC_KEYA_PARAM`.
pub const CRYPTO_AUTHENC_KEYA_PARAM: u16 = 1;
/// Longest key blob: header, the longest auth and encryption keys an SA
/// holds.
pub const AUTHENC_KEY_MAX_LEN: usize = AUTHENC_HDR_LEN + MAX_KEY_BYTES + MAX_ENC_KEY_BYTES;

/// The key `authenc`/`authencesn` templates take (`esp_init_authenc`):
/// `struct rtattr { u16 rta_len = 8; u16 rta_type = 1; }` in host byte
/// order, `__be32 enckeylen`, the auth key, the encryption key (salt or
/// nonce included). Zeroed when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthencKey {
    buf: [u8; AUTHENC_KEY_MAX_LEN],
    len: usize,
}

impl AuthencKey {
    /// Builds the blob. The keys must fit an SA's
    /// ([`MAX_KEY_BYTES`], [`MAX_ENC_KEY_BYTES`]).
    pub fn new(auth_key: &[u8], enc_key: &[u8]) -> Result<Self, EspError> {
        if auth_key.len() > MAX_KEY_BYTES || enc_key.len() > MAX_ENC_KEY_BYTES {
            return Err(EspError::TooLong);
        }
        let enc_len = u32::try_from(enc_key.len()).map_err(|_| EspError::TooLong)?;
        let mut k = AuthencKey {
            buf: [0; AUTHENC_KEY_MAX_LEN],
            len: 0,
        };
        let rta_len = u16::try_from(AUTHENC_HDR_LEN).map_err(|_| EspError::TooLong)?;
        k.put(&rta_len.to_ne_bytes())?;
        k.put(&CRYPTO_AUTHENC_KEYA_PARAM.to_ne_bytes())?;
        k.put(&enc_len.to_be_bytes())?;
        k.put(auth_key)?;
        k.put(enc_key)?;
        Ok(k)
    }

    fn put(&mut self, bytes: &[u8]) -> Result<(), EspError> {
        let end = self.len.checked_add(bytes.len()).ok_or(EspError::TooLong)?;
        self.buf
            .get_mut(self.len..end)
            .ok_or(EspError::TooLong)?
            .copy_from_slice(bytes);
        self.len = end;
        Ok(())
    }

    /// The blob for `crypto_aead_setkey`.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

impl Drop for AuthencKey {
    fn drop(&mut self) {
        self.buf = [0; AUTHENC_KEY_MAX_LEN];
        core::hint::black_box(&self.buf);
    }
}

impl core::fmt::Debug for AuthencKey {
    /// Never prints the key.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "AuthencKey({} bytes)", self.len)
    }
}

/// `CRYPTO_MAX_ALG_NAME`.
pub const CRYPTO_MAX_ALG_NAME: usize = 128;

/// The crypto API algorithm an SA allocates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CryptoName {
    /// An AEAD template used as is (`rfc4106(gcm(aes))`, ...), with or
    /// without ESN (the AD length tells it).
    Aead(&'static CStr),
    /// `authenc(<auth>,<enc>)`, or `authencesn(...)` with ESN.
    Authenc {
        /// Extended sequence numbers: `authencesn`.
        esn: bool,
        /// The hash (`digest_null` without one).
        auth: &'static CStr,
        /// The cipher (`ecb(cipher_null)` for null).
        enc: &'static CStr,
    },
}

/// The crypto API algorithm of an ESP SA with encryption `enc`, optional
/// authentication `auth` (ignored for AEADs) and ESN on or off.
pub fn crypto_name(enc: &AlgInfo, auth: Option<&AlgInfo>, esn: bool) -> CryptoName {
    if enc.aead {
        return CryptoName::Aead(enc.crypto_name);
    }
    CryptoName::Authenc {
        esn,
        auth: auth.map_or(c"digest_null", |a| a.crypto_name),
        enc: enc.crypto_name,
    }
}

/// A NUL-terminated algorithm name of at most [`CRYPTO_MAX_ALG_NAME`]
/// bytes with the NUL.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct NameBuf {
    buf: [u8; CRYPTO_MAX_ALG_NAME],
    len: usize,
}

impl NameBuf {
    fn put(&mut self, s: &[u8]) -> Result<(), EspError> {
        let end = self.len.checked_add(s.len()).ok_or(EspError::TooLong)?;
        // Keep one byte for the NUL.
        if end >= CRYPTO_MAX_ALG_NAME {
            return Err(EspError::TooLong);
        }
        self.buf
            .get_mut(self.len..end)
            .ok_or(EspError::TooLong)?
            .copy_from_slice(s);
        self.len = end;
        Ok(())
    }

    /// The name as a C string for `crypto_alloc_aead`.
    pub fn as_cstr(&self) -> &CStr {
        self.buf
            .get(..=self.len)
            .and_then(|b| CStr::from_bytes_with_nul(b).ok())
            .unwrap_or(c"")
    }

    /// The name without the NUL.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

impl core::fmt::Debug for NameBuf {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "NameBuf({:?})", self.as_cstr())
    }
}

impl CryptoName {
    /// The full name as a C string in a fixed buffer.
    pub fn to_buf(&self) -> Result<NameBuf, EspError> {
        let mut n = NameBuf {
            buf: [0; CRYPTO_MAX_ALG_NAME],
            len: 0,
        };
        match *self {
            CryptoName::Aead(name) => n.put(name.to_bytes())?,
            CryptoName::Authenc { esn, auth, enc } => {
                n.put(if esn { b"authencesn(" } else { b"authenc(" })?;
                n.put(auth.to_bytes())?;
                n.put(b",")?;
                n.put(enc.to_bytes())?;
                n.put(b")")?;
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
