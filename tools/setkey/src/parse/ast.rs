// SPDX-License-Identifier: GPL-2.0

//! What a setkey file says: one [`Command`] per statement, every name
//! already resolved to its PF_KEY number and every value checked.

use ipsec_core::inet::{Addr, IpProto};
use ipsec_core::ipsec::{IpsecDir, IpsecLevel, IpsecMode, PolicyType};
use ipsec_core::pfkey::sockaddr::SockAddr;
use ipsec_core::pfkey::SaType;

/// One statement, with where it starts (1-based line and column).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// Line of the command's first word.
    pub line: u32,
    /// Column of the command's first word.
    pub col: u32,
    /// What it does.
    pub kind: CommandKind,
}

impl Command {
    /// Whether the kernel's reply is printed (`get`, `getspi`, `dump`,
    /// `spddump`); other commands are silent when they succeed.
    pub fn prints_reply(&self) -> bool {
        matches!(
            self.kind,
            CommandKind::Get(_)
                | CommandKind::GetSpi(_)
                | CommandKind::Dump(_)
                | CommandKind::SpdDump
        )
    }

    /// Whether this is `exit`, `quit` or `bye`.
    pub fn is_exit(&self) -> bool {
        self.kind == CommandKind::Exit
    }
}

/// The statements of the language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandKind {
    /// `add`: SADB_ADD.
    Add(SaCommand),
    /// `update`: SADB_UPDATE.
    Update(SaCommand),
    /// `getspi`: SADB_GETSPI (SPI 0 lets the kernel choose).
    GetSpi(SaCommand),
    /// `get`: SADB_GET.
    Get(SaCommand),
    /// `delete`: SADB_DELETE.
    Delete(SaCommand),
    /// `deleteall`: every SA of a type between two hosts (a DUMP, then a
    /// DELETE per match).
    DeleteAll(DeleteAll),
    /// `flush [proto]`: SADB_FLUSH (`UNSPEC`: every type).
    Flush(SaType),
    /// `dump [proto]`: SADB_DUMP.
    Dump(SaType),
    /// `spdadd`: SADB_X_SPDADD.
    SpdAdd(SpdCommand),
    /// `spdupdate`: SADB_X_SPDUPDATE.
    SpdUpdate(SpdCommand),
    /// `spddelete`: SADB_X_SPDDELETE.
    SpdDelete(SpdCommand),
    /// `spdflush`: SADB_X_SPDFLUSH.
    SpdFlush,
    /// `spddump`: SADB_X_SPDDUMP.
    SpdDump,
    /// `exit`, `quit`, `bye`: stop reading.
    Exit,
}

/// An algorithm as given: `-E name key`, `-A name key` or `-C name`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlgSetting {
    /// The name as written (aliases kept, e.g. `hmac-sha2-256`).
    pub name: &'static str,
    /// The PF_KEY id.
    pub id: u8,
    /// The key (salt included for AEAD, GCM, CCM and CTR); `None` when
    /// the algorithm takes none. Encryption `null` has `Some(empty)`: a
    /// 0-bit key is sent, as ipsec-tools does.
    pub key: Option<Vec<u8>>,
    /// Line of the algorithm name.
    pub line: u32,
    /// Column of the algorithm name.
    pub col: u32,
}

impl AlgSetting {
    /// The key length in bits (0 without a key).
    pub fn key_bits(&self) -> u32 {
        self.key.as_ref().map_or(0, |k| {
            u32::try_from(k.len()).unwrap_or(u32::MAX).saturating_mul(8)
        })
    }
}

/// Hard or soft limits from `-lh`/`-bh` or `-ls`/`-bs` (0: no limit).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LifetimeSpec {
    /// Seconds after creation (`-lh`, `-ls`).
    pub seconds: u64,
    /// Bytes (`-bh`, `-bs`).
    pub bytes: u64,
}

impl LifetimeSpec {
    /// Whether any limit is set (then the LIFETIME extension is sent).
    pub fn is_set(&self) -> bool {
        self.seconds != 0 || self.bytes != 0
    }
}

/// `esp-udp [oa]`: ESP in UDP with the ports of the addresses (4500 when
/// not given).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NatTSpec {
    /// The original address before NAT (NAT_T_OA), if given.
    pub oa: Option<Addr>,
}

/// `add`, `update`, `getspi`, `get` and `delete`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaCommand {
    /// `esp`, `ah` or `ipcomp`.
    pub satype: SaType,
    /// Source address (and port, `addr[port]`).
    pub src: SockAddr,
    /// Destination address (and port).
    pub dst: SockAddr,
    /// SPI (the CPI for IPComp).
    pub spi: u32,
    /// `-m` (default `any`).
    pub mode: IpsecMode,
    /// `-u` (default 0).
    pub reqid: u32,
    /// `-r`: replay window in packets (default 0).
    pub replay: u32,
    /// `sadb_sa_flags`: KAME bits (`-f`, `-old` protocols, `-R`) and
    /// `SADB_X_SAFLAGS_ESN` (`-esn`).
    pub flags: u32,
    /// `-lh`, `-bh`.
    pub hard: LifetimeSpec,
    /// `-ls`, `-bs`.
    pub soft: LifetimeSpec,
    /// `esp-udp`.
    pub nat_t: Option<NatTSpec>,
    /// `-E`.
    pub enc: Option<AlgSetting>,
    /// `-A`.
    pub auth: Option<AlgSetting>,
    /// `-C`.
    pub comp: Option<AlgSetting>,
}

/// `deleteall src dst proto`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteAll {
    /// `esp`, `ah` or `ipcomp`.
    pub satype: SaType,
    /// Source address.
    pub src: Addr,
    /// Destination address.
    pub dst: Addr,
    /// `sadb_sa_flags` of the DELETE messages (KAME bits, as setkey).
    pub flags: u32,
}

/// One side of a policy selector: `addr[/prefix][[port]]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Selector {
    /// The address.
    pub addr: Addr,
    /// Prefix length (the whole address when not given).
    pub prefixlen: u8,
    /// Port (0: any). For ICMP the type or code, for GRE half the key.
    pub port: u16,
}

/// `spdadd`, `spdupdate` and `spddelete`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpdCommand {
    /// Source range.
    pub src: Selector,
    /// Destination range.
    pub dst: Selector,
    /// Upper-layer protocol (255: any).
    pub upper: IpProto,
    /// The `-P` policy.
    pub policy: PolicySpec,
}

/// A `-P` policy string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicySpec {
    /// `in`, `out` or `fwd`.
    pub dir: IpsecDir,
    /// `sadb_x_policy_priority` (default `def`, 0x80000000; 0 for a bare
    /// direction).
    pub priority: u32,
    /// `discard`, `none`, `ipsec`, ... (discard for a bare direction).
    pub action: PolicyType,
    /// The requests of an `ipsec` policy, in order.
    pub requests: Vec<RequestSpec>,
}

/// One `proto/mode/src-dst/level` request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestSpec {
    /// ESP, AH or IPComp.
    pub proto: IpProto,
    /// Transport or tunnel.
    pub mode: IpsecMode,
    /// `default`, `use`, `require` or `unique`.
    pub level: IpsecLevel,
    /// The reqid of `unique:N` (0 otherwise).
    pub reqid: u32,
    /// `src-dst`, when given.
    pub endpoints: Option<(SockAddr, SockAddr)>,
}
