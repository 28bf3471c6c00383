// SPDX-License-Identifier: GPL-2.0
/*
 * IPv6 reassembly trampolines (rust/glue/defrag.rs): request_module,
 * symbol_get and symbol_put are macros (symbol_get takes the symbol's
 * name), ipv6_ext_hdr a static inline. nf_defrag_ipv6's
 * nf_ct_frag6_gather is looked up at load time rather than linked, so the
 * module loads without nf_defrag_ipv6; the decision what to do with a
 * packet is Rust (rust/glue/defrag.rs).
 */
#include <linux/kmod.h>
#include <linux/module.h>
#include <linux/skbuff.h>
#include <net/ipv6.h>
#include <net/ipv6_frag.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>

#include "shims.h"

bool rust_ipsec_ipv6_ext_hdr(u8 nexthdr)
{
	return ipv6_ext_hdr(nexthdr);
}

#if IS_ENABLED(CONFIG_NF_DEFRAG_IPV6)
int rust_ipsec_request_defrag6_module(void)
{
	return request_module("nf_defrag_ipv6");
}

rust_ipsec_frag6_gather_t rust_ipsec_frag6_gather_get(void)
{
	return symbol_get(nf_ct_frag6_gather);
}

void rust_ipsec_frag6_gather_put(void)
{
	symbol_put(nf_ct_frag6_gather);
}
#endif
