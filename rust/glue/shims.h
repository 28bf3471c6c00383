/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C shims: static inline kernel functions and macros that Rust cannot call
 * directly. Each one only forwards to the kernel; no logic lives here.
 */
#ifndef RUST_IPSEC_SHIMS_H
#define RUST_IPSEC_SHIMS_H

struct net;

void *rust_ipsec_net_generic(const struct net *net, unsigned int id);

#endif
