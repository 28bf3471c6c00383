// SPDX-License-Identifier: GPL-2.0

//! A read-only file in a namespace's `/proc/net`.
//!
//! C header: [include/linux/proc_fs.h](srctree/include/linux/proc_fs.h)

use core::sync::atomic::{AtomicBool, Ordering};

use kernel::bindings;
use kernel::ffi::{c_int, c_void};
use kernel::prelude::*;
use kernel::seq_file::SeqFile;

use super::bindings as glue_bindings;
use super::pernet::{self, Net, PernetState, Published, StateNet};

/// What a file shows: [`ProcShow::show`] writes the whole text from a
/// namespace's state.
pub(crate) trait ProcShow: 'static {
    /// The pernet state that owns the file (and that it shows).
    type State: PernetState;

    /// Writes the file's contents for the namespace whose state is `state`.
    fn show(state: &Self::State, m: &SeqFile);
}

/// `/proc/net/<name>` of one namespace.
///
/// # Invariants
///
/// While `present`, the entry `name` exists in `net`'s `/proc/net`.
pub(crate) struct ProcEntry {
    net: Net,
    name: &'static CStr,
    present: AtomicBool,
}

// SAFETY: only the kernel touches the entry; `present` makes `remove` run
// once.
unsafe impl Send for ProcEntry {}
// SAFETY: as above.
unsafe impl Sync for ProcEntry {}

impl ProcEntry {
    /// `/proc/net/<name>` of the namespace whose state is being built,
    /// not created yet: [`ProcEntry::create`] does that once the state is
    /// in place.
    pub(crate) fn new(net: &StateNet, name: &'static CStr) -> Self {
        Self {
            net: net.net(),
            name,
            present: AtomicBool::new(false),
        }
    }

    /// Creates the file, shown by `S` from the state `net` proves is in
    /// place. The state keeps the entry: its `pre_exit` removes it (or
    /// dropping the state does, first), so the namespace and the state
    /// outlive the file. `EEXIST` if it was created already.
    pub(crate) fn create<S: ProcShow>(&self, net: &Published<S::State>) -> Result {
        if net.net().as_ptr() != self.net.as_ptr() {
            return Err(EINVAL);
        }
        if self.present.load(Ordering::Acquire) {
            return Err(EEXIST);
        }
        // SAFETY: `net` is live; `proc_net` is its `/proc/net` directory;
        // `name` is a static C string; `show_fn::<S>` matches the callback
        // type.
        let pde = unsafe {
            glue_bindings::proc_create_net_single(
                self.name.as_char_ptr(),
                0o444,
                (*self.net.as_ptr()).proc_net,
                Some(show_fn::<S>),
                core::ptr::null_mut(),
            )
        };
        if pde.is_null() {
            return Err(ENOMEM);
        }
        // INVARIANT: created just above.
        self.present.store(true, Ordering::Release);
        Ok(())
    }

    /// Removes the file (idempotent); waits for readers inside `show`.
    pub(crate) fn remove(&self) {
        if self.present.swap(false, Ordering::AcqRel) {
            // SAFETY: by the type invariant the entry exists in the live
            // `net`.
            unsafe {
                glue_bindings::remove_proc_entry(
                    self.name.as_char_ptr(),
                    (*self.net.as_ptr()).proc_net,
                )
            };
        }
    }
}

impl Drop for ProcEntry {
    fn drop(&mut self) {
        self.remove();
    }
}

/// The `show` callback: the namespace is the seq_file's private data
/// (`proc_create_net_single`).
///
/// # Safety
///
/// Called by procfs only, for an entry made by [`ProcEntry::create`].
unsafe extern "C" fn show_fn<S: ProcShow>(seq: *mut bindings::seq_file, _v: *mut c_void) -> c_int {
    // SAFETY: procfs passes a valid seq_file of a `proc_create_net_single`
    // entry, whose private data is the namespace (live while the file is
    // open).
    let net = unsafe { Net::from_raw(glue_bindings::rust_ipsec_seq_file_net(seq)) };
    let Some(net) = net else {
        return 0;
    };
    // SAFETY: the entry exists, so the state that created it once in
    // place (`Published`) and removes it before it is dropped is live
    // (`ProcEntry::create`).
    let state = unsafe { pernet::state::<S::State>(net) };
    // SAFETY: `seq` is valid for the duration of this call.
    let m = unsafe { SeqFile::from_raw(seq) };
    S::show(state, m);
    0
}
