// SPDX-License-Identifier: GPL-2.0

//! Encoding a PF_KEY message into a buffer of its own.

use kernel::prelude::*;

use crate::ipsec_core::errno::Errno;
use crate::ipsec_core::pfkey::Writer;

/// Largest message the module builds (an SA with keys, a policy with
/// four tunnel requests, the SUPPORTED lists fit easily; an ESP ACQUIRE's
/// PROPOSAL is about 2.7 KiB).
pub(crate) const MAX_REPLY: usize = 4096;

/// Encodes one message with `build` (which writes the header and the
/// extensions) into a buffer of its exact length.
pub(crate) fn encode(
    build: impl FnOnce(&mut Writer<'_>) -> Result<(), Errno>,
) -> Result<KVec<u8>, Errno> {
    let mut buf = KVec::with_capacity(MAX_REPLY, GFP_KERNEL).map_err(|_| Errno::ENOMEM)?;
    buf.resize(MAX_REPLY, 0, GFP_KERNEL)
        .map_err(|_| Errno::ENOMEM)?;
    let mut w = Writer::new(&mut buf);
    build(&mut w)?;
    let len = w.finish()?;
    buf.truncate(len);
    Ok(buf)
}
