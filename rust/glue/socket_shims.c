// SPDX-License-Identifier: GPL-2.0
/*
 * The socket family's C side (registered as PF_KEY): C data the kernel requires to be C, and
 * trampolines. No logic lives here.
 *
 * Data: the object layout (struct sock first, then a pointer to
 * Rust-owned state), struct proto and the constant operation tables
 * pointing at the Rust handlers in rust/glue/socket.rs. kernel::bindings
 * has struct sock only as an opaque zero-sized type and no struct proto,
 * so Rust can neither size the object (proto.obj_size) nor build struct
 * proto.
 *
 * Functions: each is one call of a static inline or macro of
 * <net/sock.h>, <linux/skbuff.h> or <linux/socket.h>, one access to a
 * field of struct sock (opaque to Rust), or one call that needs the
 * address of the C data above (proto_register, sk_alloc).
 */
#include <linux/module.h>
#include <linux/net.h>
#include <net/sock.h>
#include "shims.h"

struct rust_ipsec_sock {
	struct sock sk; /* first: sk_alloc returns the start of the object */
	void *state;    /* owned by Rust: set at create, freed at destruct */
};

struct proto rust_ipsec_key_proto = {
	.name = "RUST_IPSEC_KEY",
	.owner = THIS_MODULE,
	.obj_size = sizeof(struct rust_ipsec_sock),
};

const struct proto_ops rust_ipsec_pfkey_ops = {
	.family = PF_KEY,
	.owner = THIS_MODULE,
	.release = rust_ipsec_family_release,
	.bind = sock_no_bind,
	.connect = sock_no_connect,
	.socketpair = sock_no_socketpair,
	.accept = sock_no_accept,
	.getname = sock_no_getname,
	.poll = datagram_poll,
	.ioctl = sock_no_ioctl,
	.listen = sock_no_listen,
	.shutdown = sock_no_shutdown,
	.sendmsg = rust_ipsec_family_sendmsg,
	.recvmsg = rust_ipsec_family_recvmsg,
	.mmap = sock_no_mmap,
};

const struct net_proto_family rust_ipsec_pfkey_family = {
	.family = PF_KEY,
	.create = rust_ipsec_family_create,
	.owner = THIS_MODULE,
};

int rust_ipsec_proto_register(void)
{
	return proto_register(&rust_ipsec_key_proto, 0);
}

void rust_ipsec_proto_unregister(void)
{
	proto_unregister(&rust_ipsec_key_proto);
}

struct sock *rust_ipsec_sk_alloc(struct net *net, int kern)
{
	return sk_alloc(net, PF_KEY, GFP_KERNEL, &rust_ipsec_key_proto, kern);
}

void rust_ipsec_sk_set_destruct(struct sock *sk, void (*destruct)(struct sock *))
{
	sk->sk_destruct = destruct;
}

void **rust_ipsec_sk_state(struct sock *sk)
{
	return &container_of(sk, struct rust_ipsec_sock, sk)->state;
}

struct net *rust_ipsec_sock_net(const struct sock *sk)
{
	return sock_net(sk);
}

void rust_ipsec_sock_put(struct sock *sk)
{
	sock_put(sk);
}

void rust_ipsec_sock_orphan(struct sock *sk)
{
	sock_orphan(sk);
}

int rust_ipsec_sk_rmem_alloc(const struct sock *sk)
{
	return sk_rmem_alloc_get(sk);
}

int rust_ipsec_sk_rcvbuf(const struct sock *sk)
{
	return READ_ONCE(sk->sk_rcvbuf);
}

int rust_ipsec_sk_sndbuf(const struct sock *sk)
{
	return READ_ONCE(sk->sk_sndbuf);
}

void rust_ipsec_sk_purge_receive_queue(struct sock *sk)
{
	skb_queue_purge(&sk->sk_receive_queue);
}

void rust_ipsec_sk_purge_write_queue(struct sock *sk)
{
	skb_queue_purge(&sk->sk_write_queue);
}

void rust_ipsec_sk_add_node_rcu(struct sock *sk, struct hlist_head *list)
{
	sk_add_node_rcu(sk, list);
}

void rust_ipsec_sk_del_node_init_rcu(struct sock *sk)
{
	sk_del_node_init_rcu(sk);
}

struct sock *rust_ipsec_sk_first_rcu(struct hlist_head *list)
{
	return hlist_entry_safe(rcu_dereference(hlist_first_rcu(list)),
				struct sock, sk_node);
}

struct sock *rust_ipsec_sk_next_rcu(struct sock *sk)
{
	return hlist_entry_safe(rcu_dereference(hlist_next_rcu(&sk->sk_node)),
				struct sock, sk_node);
}

struct sk_buff *rust_ipsec_alloc_skb(unsigned int size, gfp_t gfp)
{
	return alloc_skb(size, gfp);
}

void rust_ipsec_kfree_skb(struct sk_buff *skb)
{
	kfree_skb(skb);
}

int rust_ipsec_memcpy_from_msg(void *data, struct msghdr *msg, int len)
{
	return memcpy_from_msg(data, msg, len);
}

int rust_ipsec_skb_copy_datagram_msg(const struct sk_buff *skb, struct msghdr *msg,
				     int size)
{
	return skb_copy_datagram_msg(skb, 0, msg, size);
}

