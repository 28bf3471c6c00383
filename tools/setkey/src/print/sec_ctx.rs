// SPDX-License-Identifier: GPL-2.0

//! The security context lines of `pfkey_sadump1` and `pfkey_spdump1`.

use core::fmt::Write;

use ipsec_core::pfkey::ext::SecCtx;

/// The context as `printf("%s")` shows it: up to the first NUL.
fn context_text(ctx: &[u8]) -> String {
    let end = ctx.iter().position(|&b| b == 0).unwrap_or(ctx.len());
    String::from_utf8_lossy(&ctx[..end]).into_owned()
}

/// `security context doi:`, `algorithm:`, `length:` and the context.
pub fn lines(ctx: &SecCtx<'_>, out: &mut String) {
    let _ = writeln!(out, "\tsecurity context doi: {}", ctx.doi);
    let _ = writeln!(out, "\tsecurity context algorithm: {}", ctx.alg);
    let _ = writeln!(out, "\tsecurity context length: {}", ctx.ctx.len());
    let _ = writeln!(out, "\tsecurity context: {}", context_text(ctx.ctx));
}
