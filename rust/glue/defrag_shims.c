// SPDX-License-Identifier: GPL-2.0
/*
 * IPv6 reassembly before ESP input (rust/glue/defrag.rs). IPv6 reassembles
 * after the LOCAL_IN hook, so fragments of an ESP packet reach our hook
 * one by one. nf_defrag_ipv6's nf_ct_frag6_gather (the function behind
 * conntrack's IPv6 defragmentation) reassembles them there. It is looked
 * up at load time with symbol_get rather than linked, so the module loads
 * (insmod) without nf_defrag_ipv6; without it, IPv6 fragments stay
 * unsupported.
 */
#include <linux/ipv6.h>
#include <linux/kmod.h>
#include <linux/module.h>
#include <linux/netfilter.h>
#include <linux/skbuff.h>
#include <net/ipv6.h>
#include <net/ipv6_frag.h>
#include <net/netfilter/ipv6/nf_defrag_ipv6.h>

#include "shims.h"

static int (*rust_ipsec_frag6_gather)(struct net *net, struct sk_buff *skb, u32 user);

bool rust_ipsec_defrag6_get(void)
{
#if IS_ENABLED(CONFIG_NF_DEFRAG_IPV6)
	if (IS_MODULE(CONFIG_NF_DEFRAG_IPV6))
		request_module("nf_defrag_ipv6");
	rust_ipsec_frag6_gather = symbol_get(nf_ct_frag6_gather);
#endif
	return rust_ipsec_frag6_gather;
}

void rust_ipsec_defrag6_put(void)
{
#if IS_ENABLED(CONFIG_NF_DEFRAG_IPV6)
	if (rust_ipsec_frag6_gather)
		symbol_put(nf_ct_frag6_gather);
#endif
	rust_ipsec_frag6_gather = NULL;
}

int rust_ipsec_defrag6(struct sk_buff *skb, const struct nf_hook_state *state)
{
	int err;

	/* Only a packet with extension headers can hold a Fragment header. */
	if (!ipv6_ext_hdr(ipv6_hdr(skb)->nexthdr))
		return 1;
	if (!rust_ipsec_frag6_gather)
		return -EOPNOTSUPP;
	err = rust_ipsec_frag6_gather(state->net, skb, IP6_DEFRAG_LOCAL_DELIVER);
	if (err == -EINPROGRESS)
		return 0;
	return err ? err : 1;
}
