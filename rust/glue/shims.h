/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C shims: static inline kernel functions and macros that Rust cannot call
 * directly. Each one only forwards to the kernel; no logic lives here.
 */
#ifndef RUST_IPSEC_SHIMS_H
#define RUST_IPSEC_SHIMS_H

struct net;

void *rust_ipsec_net_generic(const struct net *net, unsigned int id);

/* Delayed work on system_wq (the Rust workqueue API cannot cancel). */
struct delayed_work;
struct work_struct;
void rust_ipsec_delayed_work_init(struct delayed_work *dw, void (*fn)(struct work_struct *));
void rust_ipsec_delayed_work_schedule(struct delayed_work *dw, unsigned long delay);
void rust_ipsec_delayed_work_cancel_sync(struct delayed_work *dw);

/* /proc/net files: the namespace of a proc_create_net_single file. */
struct seq_file;
struct net *rust_ipsec_seq_file_net(struct seq_file *seq);

/* spin_lock_bh and friends (macros): rust/glue/spinlock_bh.rs. */
struct spinlock;
void rust_ipsec_spin_lock_bh(struct spinlock *lock);
void rust_ipsec_spin_unlock_bh(struct spinlock *lock);
int rust_ipsec_spin_trylock_bh(struct spinlock *lock);

/* Packets in netfilter hooks: rust/glue/netfilter.rs. */
struct sk_buff;
int rust_ipsec_skb_network_bytes(const struct sk_buff *skb, void *buf, unsigned int len);
const unsigned char *rust_ipsec_skb_network_linear(const struct sk_buff *skb, unsigned int *len,
						   unsigned int *total);

/*
 * Rewriting packets in hooks (inlines of skbuff.h/ip.h): rust/glue/netfilter.rs.
 * rust_ipsec_skb_prepare: resolves CHECKSUM_PARTIAL, linearizes, and makes
 * the data private with at least head/tail bytes of room.
 */
int rust_ipsec_skb_prepare(struct sk_buff *skb, unsigned int head, unsigned int tail);
bool rust_ipsec_skb_is_gso(const struct sk_buff *skb);
unsigned char *rust_ipsec_skb_linear_data(const struct sk_buff *skb, unsigned int *len);
void rust_ipsec_skb_push_network(struct sk_buff *skb, unsigned int len);
void rust_ipsec_skb_pull_network(struct sk_buff *skb, unsigned int len, unsigned int ihl);
void rust_ipsec_skb_put(struct sk_buff *skb, unsigned int len);
int rust_ipsec_skb_trim(struct sk_buff *skb, unsigned int len);
void rust_ipsec_skb_ignore_df(struct sk_buff *skb);
unsigned int rust_ipsec_skb_mtu(const struct sk_buff *skb, bool out);
/*
 * GSO: segments skb in software (NULL on failure), takes the first
 * segment off the list, sends a packet on with the hook's okfn, frees.
 */
struct nf_hook_state;
struct sk_buff *rust_ipsec_skb_gso_segment(struct sk_buff *skb);
struct sk_buff *rust_ipsec_skb_list_pop(struct sk_buff **list);
int rust_ipsec_nf_okfn(const struct nf_hook_state *state, struct sk_buff *skb);
void rust_ipsec_kfree_skb_list(struct sk_buff *skb);
void rust_ipsec_consume_skb(struct sk_buff *skb);

/* AEAD transforms (inlines of crypto/aead.h): rust/glue/aead.rs. */
struct crypto_aead;
void rust_ipsec_aead_free(struct crypto_aead *tfm);
/* The per-CPU request scratch: false when it could not be allocated. */
bool rust_ipsec_crypto_scratch_init(void);
void rust_ipsec_crypto_scratch_free(void);
/*
 * One synchronous AEAD request over [ad][data] in place: ad (adlen bytes)
 * and iv are copied to request memory; data holds len bytes of plaintext
 * plus icvlen bytes of room (encrypt) or len bytes of ciphertext and ICV
 * (decrypt). ivlen must be the transform's IV size. Returns 0, -EBADMSG
 * (ICV mismatch) or another error.
 */
int rust_ipsec_aead_crypt(struct crypto_aead *tfm, bool encrypt, const unsigned char *ad,
			  unsigned int adlen, const unsigned char *iv, unsigned int ivlen,
			  unsigned char *data, unsigned int len, unsigned int icvlen);

/* Tunnel mode: rust/glue/tunnel_shims.c. */
struct nf_hook_state;
void rust_ipsec_marker_init(void);
bool rust_ipsec_marker_take(struct sk_buff *skb);
bool rust_ipsec_addr_is_local(const struct nf_hook_state *state, bool v6, const unsigned char *addr);
struct dst_cache;
struct dst_cache *rust_ipsec_route_cache_new(void);
void rust_ipsec_route_cache_free(struct dst_cache *cache);
struct dst_entry;
struct dst_entry *rust_ipsec_route_outer(const struct sk_buff *skb,
					 const struct nf_hook_state *state, struct dst_cache *cache,
					 bool v6, const unsigned char *saddr,
					 const unsigned char *daddr);
unsigned int rust_ipsec_dst_mtu(const struct dst_entry *dst);
void rust_ipsec_dst_release(struct dst_entry *dst);
int rust_ipsec_route_attach(struct sk_buff *skb, struct dst_entry *dst, bool v6);
int rust_ipsec_local_out(struct sk_buff *skb, const struct nf_hook_state *state, bool v6);
bool rust_ipsec_skb_transformed(const struct sk_buff *skb, bool v6);
int rust_ipsec_reinject(struct sk_buff *skb, bool v6);

/* ICMP "fragmentation needed" / ICMPv6 "packet too big" about skb's packet. */
void rust_ipsec_icmp_too_big(struct sk_buff *skb, bool v6, unsigned int mtu);

/*
 * IPv6 reassembly in LOCAL_IN: rust/glue/defrag_shims.c. defrag6 returns 1
 * when skb holds a whole packet (reassembled, or never a fragment), 0 when
 * it was queued (stolen), else -errno (drop; -EOPNOTSUPP: unavailable).
 */
bool rust_ipsec_defrag6_get(void);
void rust_ipsec_defrag6_put(void);
int rust_ipsec_defrag6(struct sk_buff *skb, const struct nf_hook_state *state);

/* PF_KEY sockets: socket_shims.c. */
struct sock;
struct socket;
struct msghdr;
struct sk_buff;
struct hlist_head;
struct user_namespace;

/* Implemented in Rust (rust/glue/socket.rs). */
int rust_ipsec_family_create(struct net *net, struct socket *sock, int protocol, int kern);
int rust_ipsec_family_release(struct socket *sock);
int rust_ipsec_family_sendmsg(struct socket *sock, struct msghdr *msg, size_t len);
int rust_ipsec_family_recvmsg(struct socket *sock, struct msghdr *msg, size_t len, int flags);

extern const struct net_proto_family rust_ipsec_pfkey_family;
int rust_ipsec_proto_register(void);
void rust_ipsec_proto_unregister(void);
struct sock *rust_ipsec_sk_alloc(struct net *net, int kern);
void rust_ipsec_sock_init(struct socket *sock, struct sock *sk, void (*destruct)(struct sock *));
void **rust_ipsec_sk_state(struct sock *sk);
struct net *rust_ipsec_sock_net(const struct sock *sk);
void rust_ipsec_sock_put(struct sock *sk);
void rust_ipsec_sock_orphan(struct sock *sk);
bool rust_ipsec_sock_dead(const struct sock *sk);
int rust_ipsec_sk_rmem_alloc(const struct sock *sk);
int rust_ipsec_sk_rcvbuf(const struct sock *sk);
int rust_ipsec_sk_sndbuf(const struct sock *sk);
void rust_ipsec_sk_purge_queues(struct sock *sk);
void rust_ipsec_sk_add_node_rcu(struct sock *sk, struct hlist_head *list);
void rust_ipsec_sk_del_node_init_rcu(struct sock *sk);
struct sock *rust_ipsec_sk_first_rcu(struct hlist_head *list);
struct sock *rust_ipsec_sk_next_rcu(struct sock *sk);
struct sk_buff *rust_ipsec_alloc_skb(unsigned int size, gfp_t gfp);
void rust_ipsec_kfree_skb(struct sk_buff *skb);
unsigned char *rust_ipsec_skb_data(const struct sk_buff *skb);
unsigned int rust_ipsec_skb_len(const struct sk_buff *skb);
int rust_ipsec_memcpy_from_msg(void *data, struct msghdr *msg, int len);
int rust_ipsec_skb_copy_datagram_msg(const struct sk_buff *skb, struct msghdr *msg, int size);
void rust_ipsec_msg_set_flags(struct msghdr *msg, int flags);
struct user_namespace *rust_ipsec_net_user_ns(const struct net *net);

#endif
