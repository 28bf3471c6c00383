// SPDX-License-Identifier: GPL-2.0
/*
 * Per-socket policies' C side: the key manager XFRM calls for
 * setsockopt(IP_IPSEC_POLICY / IPV6_IPSEC_POLICY) (C data: struct xfrm_mgr,
 * whose handlers are Rust, rust/glue/sock_policy.rs), and trampolines.
 * No logic lives here.
 *
 * Functions: each is one call of a static inline or macro of
 * <net/xfrm.h>, <net/sock.h>, <net/inet_sock.h> or
 * <net/inet_hashtables.h>, one access to a field of struct sock (opaque to
 * Rust), or one call that needs the address of the C data above.
 */
#include <net/inet_hashtables.h>
#include <net/inet_sock.h>
#include <net/sock.h>
#include <net/xfrm.h>
#include "shims.h"

static struct xfrm_mgr rust_ipsec_km = {
	.acquire = rust_ipsec_km_acquire,
	.compile_policy = rust_ipsec_km_compile_policy,
};

void rust_ipsec_km_register(void)
{
	xfrm_register_km(&rust_ipsec_km);
}

void rust_ipsec_km_unregister(void)
{
	xfrm_unregister_km(&rust_ipsec_km);
}

struct xfrm_policy *rust_ipsec_sk_policy(const struct sock *sk, int dir)
{
	return rcu_dereference(sk->sk_policy[dir]);
}

unsigned short rust_ipsec_sk_family(const struct sock *sk)
{
	return sk->sk_family;
}

struct sock *rust_ipsec_skb_to_full_sk(const struct sk_buff *skb)
{
	return skb_to_full_sk(skb);
}

struct sock *rust_ipsec_sk_to_full_sk(struct sock *sk)
{
	return sk_to_full_sk(sk);
}

struct sock *rust_ipsec_inet_lookup(struct net *net, __be32 saddr, __be16 sport, __be32 daddr,
				    __be16 dport, int dif)
{
	return inet_lookup(net, NULL, 0, saddr, sport, daddr, dport, dif);
}
