// SPDX-License-Identifier: GPL-2.0
/*
 * Tunnel-mode trampolines (rust/glue/route.rs): the static inlines of the
 * routing and ICMP headers, and the fields of struct dst_entry and struct
 * rtable (opaque to Rust). Each is one call or one field access (the route
 * cache's lookup with the BH toggling it needs: one call per packet); the route
 * lookup, the route cache policy, local output, re-injection and its
 * marker are Rust (rust/glue/route.rs).
 */
#include <linux/icmpv6.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <net/dst.h>
#include <net/dst_cache.h>
#include <net/icmp.h>
#include <net/ip6_route.h>
#include <net/route.h>

#include "shims.h"

struct rtable *rust_ipsec_ip_route_output_key(struct net *net, struct flowi4 *fl4)
{
	return ip_route_output_key(net, fl4);
}

struct dst_entry *rust_ipsec_rtable_dst(struct rtable *rt)
{
	return &rt->dst;
}

struct dst_entry *rust_ipsec_ip6_route_output(struct net *net, struct flowi6 *fl6)
{
	return ip6_route_output(net, NULL, fl6);
}

int rust_ipsec_dst_error(const struct dst_entry *dst)
{
	return dst->error;
}

int rust_ipsec_ip4_dst_hoplimit(const struct dst_entry *dst)
{
	return ip4_dst_hoplimit(dst);
}

void rust_ipsec_icmp_send(struct sk_buff *skb, int type, int code, __be32 info)
{
	icmp_send(skb, type, code, info);
}

void rust_ipsec_icmpv6_send(struct sk_buff *skb, u8 type, u8 code, __u32 info)
{
	icmpv6_send(skb, type, code, info);
}

#ifdef CONFIG_DST_CACHE
/* dst_cache_get with BH off (local_bh_disable/enable: inlines), as the
 * per-CPU cache wants when an output hook runs with BH on: one call. */
struct dst_entry *rust_ipsec_dst_cache_get_bh(struct dst_cache *cache)
{
	struct dst_entry *dst;

	local_bh_disable();
	dst = dst_cache_get(cache);
	local_bh_enable();
	return dst;
}
#endif
