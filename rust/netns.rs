// SPDX-License-Identifier: GPL-2.0

//! What rust_ipsec keeps per network namespace: both sysctl trees (which
//! hold the knob values), the PF_KEY state, the datapath hooks and their
//! counters.

use kernel::prelude::*;

use kernel::seq_file::SeqFile;

use crate::datapath::{self, stats::Stats};
use crate::glue::hooks::HookSet;
use crate::glue::pernet::{state, Net, NetId, PernetState};
use crate::glue::procfs::{ProcEntry, ProcShow};
use crate::glue::ratelimit::pr_info_ratelimited;
use crate::glue::sysctl::{Table, Validator};
use crate::ipsec_core::knobs::{knobs_of, Family, Knob, KnobValues};
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

/// What the hooks, sysctl handlers and PF_KEY sockets of one namespace
/// share. Heap-allocated, so the netfilter hooks can point to it.
///
/// Field order is drop order: the PF_KEY state (sockets are gone by then)
/// after the sysctl tables.
pub(crate) struct NetnsShared {
    sysctl_inet: Table,
    sysctl_inet6: Table,
    pfkey: Pin<KBox<NetPfkey>>,
    stats: Stats,
}

/// The state of one namespace.
///
/// Field order is drop order: the stat file and the hooks (which own the
/// shared state) go first; `pre_exit` already removed both.
pub(crate) struct NetnsState {
    stat_file: ProcEntry,
    hooks: HookSet<NetnsShared>,
}

static NET_ID: NetId = NetId::new();

impl NetnsShared {
    /// The current value of one knob of `family` (its default if the tree
    /// lacks it). Any context: the datapath's check on every packet.
    pub(crate) fn knob(&self, family: Family, knob: Knob) -> i32 {
        let table = match family {
            Family::Inet => &self.sysctl_inet,
            Family::Inet6 => &self.sysctl_inet6,
        };
        knobs_of(family)
            .position(|k| k == knob)
            .and_then(|i| table.get(i))
            .unwrap_or(knob.default_value())
    }

    /// Current knob values of `family` in this namespace (knobs the tree
    /// lacks read as their defaults). Any context.
    pub(crate) fn knobs(&self, family: Family) -> KnobValues {
        let table = match family {
            Family::Inet => &self.sysctl_inet,
            Family::Inet6 => &self.sysctl_inet6,
        };
        let mut raw = Knob::ALL.map(Knob::default_value);
        // The tree lists `knobs_of(family)` in order: one pass.
        for (i, knob) in knobs_of(family).enumerate() {
            if let (Some(slot), Some(v)) = (raw.get_mut(knob.index()), table.get(i)) {
                *slot = v;
            }
        }
        KnobValues::from_raw(raw)
    }

    /// The namespace's PF_KEY sockets, SADB and SPD.
    pub(crate) fn pfkey(&self) -> &NetPfkey {
        &self.pfkey
    }

    /// The datapath counters.
    pub(crate) fn stats(&self) -> &Stats {
        &self.stats
    }
}

impl NetnsState {
    /// What the namespace's hooks, sysctls and sockets share.
    pub(crate) fn shared(&self) -> &NetnsShared {
        self.hooks.handler()
    }

    /// The namespace's PF_KEY sockets, SADB and SPD.
    pub(crate) fn pfkey(&self) -> &NetPfkey {
        self.shared().pfkey()
    }
}

/// `/proc/net/rust_ipsec_stat`.
struct StatFile;

impl ProcShow for StatFile {
    fn show(net: Net, m: &SeqFile) {
        // SAFETY: the file is removed in `pre_exit` (waiting for readers)
        // before the state is dropped, so the state is live here.
        let state = unsafe { state::<NetnsState>(net) };
        let sas = state.pfkey().dp_sas.lock().len();
        let acquiring = state.pfkey().acquiring();
        state.shared().stats().show(m, sas, acquiring);
    }
}

/// Registers `family`'s tree in `net`, every knob at its default.
fn register_tree<V: Validator>(net: Net, family: Family) -> Result<Table> {
    let items = knobs_of(family).map(|k| (k.c_name(), k.default_value()));
    Table::register::<V>(net, family.sysctl_c_path(), items)
}

impl PernetState for NetnsState {
    fn net_id() -> &'static NetId {
        &NET_ID
    }

    fn init(net: Net) -> Result<Self> {
        let sysctl_inet = register_tree::<TreeValidator<false>>(net, Family::Inet)?;
        let sysctl_inet6 = register_tree::<TreeValidator<true>>(net, Family::Inet6)?;
        let pfkey = KBox::pin_init(NetPfkey::new(), GFP_KERNEL)?;
        let shared = KBox::pin(
            NetnsShared {
                sysctl_inet,
                sysctl_inet6,
                pfkey,
                stats: Stats::default(),
            },
            GFP_KERNEL,
        )?;
        // SAFETY: the hooks are unregistered in `pre_exit` (or when this
        // state drops), while `net` is live.
        let hooks = unsafe { HookSet::register(net, shared, &datapath::HOOKS) }?;
        // SAFETY: removed in `pre_exit` (or on drop), while `net` is live;
        // `StatFile::show` reads this state, which outlives the file.
        let stat_file = unsafe { ProcEntry::create::<StatFile>(net, c"rust_ipsec_stat") }?;
        Ok(Self { stat_file, hooks })
    }

    fn pre_exit(&self) {
        self.stat_file.remove();
        self.hooks.unregister();
    }
}
