// SPDX-License-Identifier: GPL-2.0

//! What the datapath needs from the rest of its namespace, and nothing
//! more: the knob values, and a way to raise the events PF_KEY handles.
//! The namespace (`netns.rs`) wires it up; the datapath imports neither
//! PF_KEY nor the sysctl tables.

use crate::ipsec_core::acquire::AcquireRequest;
use crate::ipsec_core::knobs::{Family, Knob, KnobValues};
use crate::ipsec_core::new_mapping::NewMapping;

/// The datapath's namespace. Any context: the hooks run in softirq.
pub(crate) trait DatapathEnv: Send + Sync + 'static {
    /// The current value of one knob of `family`.
    fn knob(&self, family: Family, knob: Knob) -> i32;

    /// The current values of every knob of `family`.
    fn knobs(&self, family: Family) -> KnobValues;

    /// An outbound packet needs the SA `req` describes and has none: ask
    /// the key daemons (SADB_ACQUIRE).
    fn acquire(&self, req: AcquireRequest);

    /// A packet reached an SA's byte or packet limit, or started its use
    /// time: the SA lifetimes need checking (SADB_EXPIRE).
    fn sa_used(&self);

    /// A NAT-T SA's peer sends from a new address or port: tell the key
    /// daemons (SADB_X_NAT_T_NEW_MAPPING).
    fn new_mapping(&self, m: NewMapping);
}
