// SPDX-License-Identifier: GPL-2.0
/*
 * Tunnel-mode shims (rust/glue/netfilter.rs): routing the outer packet and
 * sending it, re-injecting a decapsulated inner packet, and the marker
 * that tells our inbound hooks an inner packet was already checked.
 * Each only forwards to the kernel's inlines and exported functions.
 */
#include <linux/build_bug.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/random.h>
#include <linux/skbuff.h>
#include <net/dst.h>
#include <net/dst_cache.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/addrconf.h>
#include <net/icmp.h>
#include <linux/icmpv6.h>
#include <net/route.h>
#include <net/netfilter/nf_conntrack.h>

#include "shims.h"

/*
 * The marker: 16 bytes past IPCB/IP6CB in skb->cb, holding a cookie drawn
 * at module load. ip_rcv_core/ip6_rcv_core clear only IPCB/IP6CB, so the
 * marker survives netif_rx up to our LOCAL_IN/FORWARD hooks; a packet from
 * the wire starts with a zeroed cb and cannot carry it.
 */
#define RI_MARK_OFF 32
static u8 rust_ipsec_cookie[16];

void rust_ipsec_marker_init(void)
{
	BUILD_BUG_ON(sizeof(struct inet_skb_parm) > RI_MARK_OFF);
	BUILD_BUG_ON(sizeof(struct inet6_skb_parm) > RI_MARK_OFF);
	BUILD_BUG_ON(RI_MARK_OFF + sizeof(rust_ipsec_cookie) > sizeof_field(struct sk_buff, cb));
	get_random_bytes(rust_ipsec_cookie, sizeof(rust_ipsec_cookie));
}

bool rust_ipsec_marker_take(struct sk_buff *skb)
{
	u8 *mark = skb->cb + RI_MARK_OFF;

	if (memcmp(mark, rust_ipsec_cookie, sizeof(rust_ipsec_cookie)))
		return false;
	memset(mark, 0, sizeof(rust_ipsec_cookie));
	return true;
}

/* Whether addr (4 or 16 bytes) is an address of this host in net. */
bool rust_ipsec_addr_is_local(const struct nf_hook_state *state, bool v6, const u8 *addr)
{
	if (v6)
		return ipv6_chk_addr(state->net, (const struct in6_addr *)addr, NULL, 0);
	return inet_addr_type(state->net, *(const __be32 *)addr) == RTN_LOCAL;
}

/*
 * A tunnel SA's cached route to its far end (net/core/dst_cache.c, as IP
 * tunnels keep theirs): per CPU, dropped by the cache itself once the
 * route is obsolete. NULL when the kernel has no dst_cache or memory is
 * short: every packet is then routed afresh.
 */
struct dst_cache *rust_ipsec_route_cache_new(void)
{
#if IS_ENABLED(CONFIG_DST_CACHE)
	struct dst_cache *cache = kzalloc(sizeof(*cache), GFP_KERNEL);

	if (cache && dst_cache_init(cache, GFP_KERNEL)) {
		kfree(cache);
		cache = NULL;
	}
	return cache;
#else
	return NULL;
#endif
}

void rust_ipsec_route_cache_free(struct dst_cache *cache)
{
#if IS_ENABLED(CONFIG_DST_CACHE)
	if (cache) {
		dst_cache_destroy(cache);
		kfree(cache);
	}
#endif
}

/*
 * The cached route (cache and mark permitting), with a reference. The
 * cache belongs to one SA, so its source address never changes.
 */
static struct dst_entry *route_cached(struct dst_cache *cache, const struct sk_buff *skb)
{
	struct dst_entry *dst = NULL;
#if IS_ENABLED(CONFIG_DST_CACHE)
	if (!cache || skb->mark)
		return NULL;
	/* The per-CPU cache wants BH off; output hooks may run with it on. */
	local_bh_disable();
	dst = dst_cache_get(cache);
	local_bh_enable();
#endif
	return dst;
}

static void route_remember(struct dst_cache *cache, const struct sk_buff *skb, bool v6,
			   struct dst_entry *dst, const u8 *saddr)
{
#if IS_ENABLED(CONFIG_DST_CACHE)
	if (!cache || skb->mark)
		return;
	local_bh_disable();
	if (v6)
		dst_cache_set_ip6(cache, dst, (const struct in6_addr *)saddr);
	else
		dst_cache_set_ip4(cache, dst, *(const __be32 *)saddr);
	local_bh_enable();
#endif
}

/* Looks the route from saddr to daddr up; an ERR_PTR on failure. */
static struct dst_entry *route_lookup(const struct nf_hook_state *state, const struct sk_buff *skb,
				      bool v6, const u8 *saddr, const u8 *daddr)
{
	if (v6) {
		struct flowi6 fl6 = {
			.flowi6_mark = skb->mark,
			.flowi6_proto = IPPROTO_ESP,
		};
		struct dst_entry *dst;

		memcpy(&fl6.saddr, saddr, 16);
		memcpy(&fl6.daddr, daddr, 16);
		dst = ip6_route_output(state->net, NULL, &fl6);
		if (dst->error) {
			int err = dst->error;

			dst_release(dst);
			return ERR_PTR(err);
		}
		return dst;
	} else {
		struct flowi4 fl4 = {
			.flowi4_mark = skb->mark,
			.flowi4_proto = IPPROTO_ESP,
		};
		struct rtable *rt;

		memcpy(&fl4.saddr, saddr, 4);
		memcpy(&fl4.daddr, daddr, 4);
		rt = ip_route_output_key(state->net, &fl4);
		return IS_ERR(rt) ? ERR_CAST(rt) : &rt->dst;
	}
}

/*
 * The route from saddr to daddr in the hook's namespace, through the SA's
 * route cache (which may be NULL), with a reference for the caller; an
 * ERR_PTR if there is none. The packet keeps its own route until
 * rust_ipsec_route_attach: an ICMP error about the inner packet needs it.
 */
struct dst_entry *rust_ipsec_route_outer(const struct sk_buff *skb,
					 const struct nf_hook_state *state, struct dst_cache *cache,
					 bool v6, const u8 *saddr, const u8 *daddr)
{
	struct dst_entry *dst = route_cached(cache, skb);

	if (!dst) {
		dst = route_lookup(state, skb, v6, saddr, daddr);
		if (!IS_ERR(dst))
			route_remember(cache, skb, v6, dst, saddr);
	}
	return dst;
}

unsigned int rust_ipsec_dst_mtu(const struct dst_entry *dst)
{
	return dst_mtu(dst);
}

void rust_ipsec_dst_release(struct dst_entry *dst)
{
	dst_release(dst);
}

/* Gives skb the route dst (taking over its reference); returns its hop limit. */
int rust_ipsec_route_attach(struct sk_buff *skb, struct dst_entry *dst, bool v6)
{
	skb_dst_drop(skb);
	skb_dst_set(skb, dst);
	skb->dev = dst->dev;
	return v6 ? ip6_dst_hoplimit(dst) : ip4_dst_hoplimit(dst);
}

/*
 * Sends the finished outer packet (data at its header, route attached) as
 * a locally generated one; marked transformed, so our POST_ROUTING hook
 * lets it pass.
 */
int rust_ipsec_local_out(struct sk_buff *skb, const struct nf_hook_state *state, bool v6)
{
	memset(skb->cb, 0, sizeof(skb->cb));
	skb_reset_network_header(skb);
	nf_reset_ct(skb);
	if (v6) {
		skb->protocol = htons(ETH_P_IPV6);
		IP6CB(skb)->flags |= IP6SKB_XFRM_TRANSFORMED;
		return ip6_local_out(state->net, skb->sk, skb);
	}
	skb->protocol = htons(ETH_P_IP);
	IPCB(skb)->flags |= IPSKB_XFRM_TRANSFORMED;
	return ip_local_out(state->net, skb->sk, skb);
}

/* Whether our tunnel output already produced this packet. */
bool rust_ipsec_skb_transformed(const struct sk_buff *skb, bool v6)
{
	if (v6)
		return IP6CB(skb)->flags & IP6SKB_XFRM_TRANSFORMED;
	return IPCB(skb)->flags & IPSKB_XFRM_TRANSFORMED;
}

/*
 * Hands a decapsulated inner packet (data at its header) back to the
 * stack as if received again on the same device (xfrm_input's
 * gro_cells_receive path, through the backlog), with the marker set.
 */
int rust_ipsec_reinject(struct sk_buff *skb, bool v6)
{
	skb_dst_drop(skb);
	nf_reset_ct(skb);
	skb_reset_network_header(skb);
	skb_mac_header_rebuild(skb);
	skb->protocol = v6 ? htons(ETH_P_IPV6) : htons(ETH_P_IP);
	skb->pkt_type = PACKET_HOST;
	skb->ip_summed = CHECKSUM_NONE;
	memset(skb->cb, 0, sizeof(skb->cb));
	memcpy(skb->cb + RI_MARK_OFF, rust_ipsec_cookie, sizeof(rust_ipsec_cookie));
	return netif_rx(skb);
}

void rust_ipsec_icmp_too_big(struct sk_buff *skb, bool v6, unsigned int mtu)
{
	if (v6)
		icmpv6_send(skb, ICMPV6_PKT_TOOBIG, 0, mtu);
	else
		icmp_send(skb, ICMP_DEST_UNREACH, ICMP_FRAG_NEEDED, htonl(mtu));
}
