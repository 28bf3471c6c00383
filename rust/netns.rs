// SPDX-License-Identifier: GPL-2.0

//! What rust_ipsec keeps per network namespace, and how its parts are
//! wired: the datapath (whose hooks hold everything else), both sysctl
//! trees (which hold the knob values), the PF_KEY state (which fills the
//! datapath's tables and hears its events through [`DatapathEnv`]) and the
//! stat file.

use kernel::prelude::*;

use kernel::seq_file::SeqFile;

use kernel::sync::Arc;

use crate::datapath::env::DatapathEnv;
use crate::datapath::tables::DpTables;
use crate::datapath::{self, Datapath};
use crate::glue::hooks::HookSet;
use crate::glue::pernet::{NetId, PernetState, Published, StateNet};
use crate::glue::procfs::{ProcEntry, ProcShow};
use crate::glue::ratelimit::pr_info_ratelimited;
use crate::glue::sock_policy::{PolicyCompiler, SlotDir, StoredPolicy};
use crate::glue::socket::FamilyHost;
use crate::glue::sysctl::{Table, Validator};
use crate::ipsec_core::acquire::AcquireRequest;
use crate::ipsec_core::knobs::{knobs_of, Family, Knob, KnobValues};
use crate::ipsec_core::new_mapping::NewMapping;
use crate::pfkey::sock::PfKey;
use crate::pfkey::NetPfkey;

/// Validates writes of one family's tree; the table index maps back to
/// the knob because the tree lists `knobs_of(family)` in order.
struct TreeValidator<const INET6: bool>;

impl<const INET6: bool> Validator for TreeValidator<INET6> {
    fn validate(index: usize, value: i64) -> Option<i32> {
        let family = if INET6 { Family::Inet6 } else { Family::Inet };
        let knob = knobs_of(family).nth(index)?;
        match knob.validate(value) {
            Ok(v) => Some(v),
            Err(e) => {
                pr_info_ratelimited!(
                    "{}/{}: {} refused, valid values are {}..={}\n",
                    family.sysctl_path(),
                    knob.name(),
                    e.value,
                    knob.range().0,
                    knob.range().1
                );
                None
            }
        }
    }
}

/// The datapath's namespace: the knob values (both sysctl trees) and
/// PF_KEY, which hears the datapath's events.
///
/// Field order is drop order: the PF_KEY state (sockets are gone by then)
/// after the sysctl tables.
pub(crate) struct NetnsEnv {
    sysctl_inet: Table,
    sysctl_inet6: Table,
    pfkey: Arc<NetPfkey>,
}

/// The state of one namespace.
///
/// Field order is drop order: the stat file and the hooks (which own the
/// datapath and, through it, the rest) go first; `pre_exit` already
/// removed both.
pub(crate) struct NetnsState {
    stat_file: ProcEntry,
    hooks: HookSet<Datapath<NetnsEnv>>,
}

static NET_ID: NetId = NetId::new();

impl NetnsEnv {
    /// The sysctl tree of `family`.
    fn tree(&self, family: Family) -> &Table {
        match family {
            Family::Inet => &self.sysctl_inet,
            Family::Inet6 => &self.sysctl_inet6,
        }
    }
}

impl DatapathEnv for NetnsEnv {
    /// The knob's value (its default if the tree lacks it).
    fn knob(&self, family: Family, knob: Knob) -> i32 {
        knobs_of(family)
            .position(|k| k == knob)
            .and_then(|i| self.tree(family).get(i))
            .unwrap_or(knob.default_value())
    }

    /// Knobs the tree lacks read as their defaults.
    fn knobs(&self, family: Family) -> KnobValues {
        let table = self.tree(family);
        let mut raw = Knob::ALL.map(Knob::default_value);
        // The tree lists `knobs_of(family)` in order: one pass.
        for (i, knob) in knobs_of(family).enumerate() {
            if let (Some(slot), Some(v)) = (raw.get_mut(knob.index()), table.get(i)) {
                *slot = v;
            }
        }
        KnobValues::from_raw(raw)
    }

    fn acquire(&self, req: AcquireRequest) {
        // Rate-limited by PF_KEY's acquisition table.
        let _ = self.pfkey.request_acquire(req);
    }

    fn sa_used(&self) {
        self.pfkey.check_lifetimes_soon();
    }

    fn new_mapping(&self, m: NewMapping) {
        self.pfkey.request_new_mapping(m);
    }
}

impl NetnsState {
    /// The namespace's datapath.
    fn datapath(&self) -> &Datapath<NetnsEnv> {
        self.hooks.handler()
    }
}

impl FamilyHost<PfKey> for NetnsState {
    /// The namespace's PF_KEY sockets, SADB and SPD.
    fn family_net(&self) -> &NetPfkey {
        &self.datapath().env().pfkey
    }
}

impl PolicyCompiler for NetnsState {
    /// The datapath enforces per-socket policies: it compiles them.
    fn compile(
        &self,
        optname: i32,
        sk_family: u16,
        data: &[u8],
    ) -> Result<(SlotDir, StoredPolicy)> {
        self.datapath()
            .compile_socket_policy(optname, sk_family, data)
    }
}

/// `/proc/net/rust_ipsec_stat`.
struct StatFile;

impl ProcShow for StatFile {
    type State = NetnsState;

    fn show(state: &NetnsState, m: &SeqFile) {
        let dp = state.datapath();
        let acquiring = dp.env().pfkey.acquiring();
        dp.stats().show(m, dp.tables().sa_count(), acquiring);
    }
}

/// Registers `family`'s tree in `net`, every knob at its default.
fn register_tree<V: Validator>(net: &StateNet, family: Family) -> Result<Table> {
    let items = knobs_of(family).map(|k| (k.c_name(), k.default_value()));
    Table::register::<V>(net, family.sysctl_c_path(), items)
}

impl PernetState for NetnsState {
    fn net_id() -> &'static NetId {
        &NET_ID
    }

    fn init(net: &StateNet) -> Result<Self> {
        let sysctl_inet = register_tree::<TreeValidator<false>>(net, Family::Inet)?;
        let sysctl_inet6 = register_tree::<TreeValidator<true>>(net, Family::Inet6)?;
        let tables = DpTables::new()?;
        let pfkey = Arc::pin_init(NetPfkey::new(tables.clone()), GFP_KERNEL)?;
        let env = NetnsEnv {
            sysctl_inet,
            sysctl_inet6,
            pfkey,
        };
        let datapath = KBox::pin(Datapath::new(tables, env), GFP_KERNEL)?;
        // Unregistered in `pre_exit` (or when this state drops).
        let hooks = HookSet::register(net, datapath, &datapath::HOOKS)?;
        let stat_file = ProcEntry::new(net, c"rust_ipsec_stat");
        Ok(Self { stat_file, hooks })
    }

    fn publish(&self, net: &Published<Self>) -> Result {
        // The file reads this state: created only once it is in place.
        self.stat_file.create::<StatFile>(net)
    }

    fn pre_exit(&self) {
        self.stat_file.remove();
        self.hooks.unregister();
    }
}
