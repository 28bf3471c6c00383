// SPDX-License-Identifier: GPL-2.0

//! What rust_ipsec keeps per network namespace: both sysctl trees (which
//! hold the knob values) and the PF_KEY state.

use kernel::prelude::*;

use crate::glue::pernet::{Net, NetId, PernetState};
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

/// The state of one namespace. Each sysctl table owns its knob values.
///
/// Field order is drop order: the PF_KEY state (sockets are gone by then)
/// after the sysctl tables.
pub(crate) struct NetnsState {
    sysctl_inet: Table,
    sysctl_inet6: Table,
    pfkey: Pin<KBox<NetPfkey>>,
}

static NET_ID: NetId = NetId::new();

impl NetnsState {
    /// Current knob values of `family` in this namespace (knobs the tree
    /// lacks read as their defaults).
    #[expect(dead_code, reason = "read by the datapath, which comes next")]
    pub(crate) fn knobs(&self, family: Family) -> KnobValues {
        let table = match family {
            Family::Inet => &self.sysctl_inet,
            Family::Inet6 => &self.sysctl_inet6,
        };
        KnobValues::from_raw(Knob::ALL.map(|knob| {
            knobs_of(family)
                .position(|k| k == knob)
                .and_then(|i| table.get(i))
                .unwrap_or(knob.default_value())
        }))
    }

    /// The namespace's PF_KEY sockets, SADB and SPD.
    pub(crate) fn pfkey(&self) -> &NetPfkey {
        &self.pfkey
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
        Ok(Self {
            sysctl_inet,
            sysctl_inet6,
            pfkey,
        })
    }
}
