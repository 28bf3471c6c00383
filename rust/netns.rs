// SPDX-License-Identifier: GPL-2.0

//! What rust_ipsec keeps per network namespace: the knob values of both
//! sysctl trees (so far).

use core::sync::atomic::{AtomicI32, Ordering};

use kernel::prelude::*;

use crate::glue::pernet::{Net, NetId, PernetState};
use crate::glue::ratelimit::pr_info_ratelimited;
use crate::glue::sysctl::{Table, TableBuilder, Validator};
use crate::ipsec_core::knobs::{knobs_of, Family, Knob, KnobValues, KNOB_COUNT};
use crate::pfkey::NetPfkey;

/// The knob values of one tree, read by the datapath, written by sysctl.
struct KnobCells([AtomicI32; KNOB_COUNT]);

impl KnobCells {
    fn defaults() -> Self {
        Self(Knob::ALL.map(|k| AtomicI32::new(k.default_value())))
    }

    fn snapshot(&self) -> KnobValues {
        KnobValues::from_raw(core::array::from_fn(|i| self.0[i].load(Ordering::Relaxed)))
    }
}

/// Knob values of both families. Heap-allocated and pinned: the sysctl
/// tables point into it.
struct Knobs {
    inet: KnobCells,
    inet6: KnobCells,
}

impl Knobs {
    fn cells(&self, family: Family) -> &KnobCells {
        match family {
            Family::Inet => &self.inet,
            Family::Inet6 => &self.inet6,
        }
    }
}

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

/// The state of one namespace.
///
/// Field order matters: the sysctl tables are dropped (unregistered)
/// before the knob cells they point into.
pub(crate) struct NetnsState {
    _sysctl_inet: Table,
    _sysctl_inet6: Table,
    pfkey: Pin<KBox<NetPfkey>>,
    knobs: Pin<KBox<Knobs>>,
}

static NET_ID: NetId = NetId::new();

impl NetnsState {
    /// Current knob values of `family` in this namespace.
    #[expect(dead_code, reason = "read by the datapath, which comes next")]
    pub(crate) fn knobs(&self, family: Family) -> KnobValues {
        self.knobs.cells(family).snapshot()
    }

    /// The namespace's PF_KEY sockets, SADB and SPD.
    pub(crate) fn pfkey(&self) -> &NetPfkey {
        &self.pfkey
    }
}

/// Registers `family`'s tree in `net`, pointing into `knobs`.
fn register_tree<V: Validator>(
    net: Net,
    family: Family,
    knobs: &Pin<KBox<Knobs>>,
) -> Result<Table> {
    let cells = knobs.cells(family);
    let mut builder = TableBuilder::<V>::new();
    for knob in knobs_of(family) {
        builder.push(knob.c_name(), &cells.0[knob.index()])?;
    }
    // SAFETY: the cells live in `knobs`, pinned on the heap; `NetnsState`
    // drops every table before `knobs` (field order), and on the error
    // paths of `init` tables are locals dropped before `knobs`.
    unsafe { Table::register(net, family.sysctl_c_path(), builder) }
}

impl PernetState for NetnsState {
    fn net_id() -> &'static NetId {
        &NET_ID
    }

    fn init(net: Net) -> Result<Self> {
        let knobs = KBox::pin(
            Knobs {
                inet: KnobCells::defaults(),
                inet6: KnobCells::defaults(),
            },
            GFP_KERNEL,
        )?;
        let inet = register_tree::<TreeValidator<false>>(net, Family::Inet, &knobs)?;
        let inet6 = register_tree::<TreeValidator<true>>(net, Family::Inet6, &knobs)?;
        let pfkey = KBox::pin_init(NetPfkey::new(), GFP_KERNEL)?;
        Ok(Self {
            _sysctl_inet: inet,
            _sysctl_inet6: inet6,
            pfkey,
            knobs,
        })
    }
}
