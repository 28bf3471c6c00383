// SPDX-License-Identifier: GPL-2.0

//! Rate limiting for log lines that packets or users can trigger.
//!
//! C header: [include/linux/net.h](srctree/include/linux/net.h)

use super::bindings;

/// Whether a networking log message may be printed now (`net_ratelimit()`:
/// a burst of 10, then one every 5 seconds by default).
pub(crate) fn net_ratelimit() -> bool {
    // SAFETY: `net_ratelimit` takes no arguments and may be called from any
    // context.
    unsafe { bindings::net_ratelimit() != 0 }
}

/// `pr_info!` limited by [`net_ratelimit`].
macro_rules! pr_info_ratelimited {
    ($($arg:tt)*) => {
        if $crate::glue::ratelimit::net_ratelimit() {
            kernel::pr_info!($($arg)*);
        }
    };
}
pub(crate) use pr_info_ratelimited;
