/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The module's C functions, all trampolines: each is one call of a static
 * inline function or a macro of the kernel headers (Rust can call only
 * real symbols), or one access to a field of a struct kernel::bindings has
 * only as an opaque type (struct sock, dst_entry, rtable, net_device).
 * None branches or runs a sequence of steps; the logic is Rust, in
 * the .rs files of rust/glue. Besides these, the C files hold only C data the kernel
 * requires to be C: struct proto and the PF_KEY operation tables
 * (socket_shims.c), the key manager struct xfrm_mgr (sock_policy_shims.c),
 * the per-CPU pointer to the AEAD scratch (shims.c; Rust-for-Linux has
 * no per-CPU API), and the statically initialised list and work item of
 * rust/glue/process_drop.rs (shims.c).
 */
#ifndef RUST_IPSEC_SHIMS_H
#define RUST_IPSEC_SHIMS_H

struct net;
struct sk_buff;
struct sock;
struct dst_entry;
struct net_device;

/* shims.c: namespaces (net/netns/generic.h), rust/glue/pernet.rs. */
void *rust_ipsec_net_generic(const struct net *net, unsigned int id);

/* shims.c: delayed work on system_wq (the Rust workqueue API cannot cancel). */
struct delayed_work;
struct work_struct;
void rust_ipsec_delayed_work_init(struct delayed_work *dw, void (*fn)(struct work_struct *));
void rust_ipsec_delayed_work_schedule(struct delayed_work *dw, unsigned long delay);

/*
 * shims.c: values dropped in process context, rust/glue/process_drop.rs:
 * a static llist and work item (on system_dfl_wq) whose function is Rust.
 */
struct llist_node;
void rust_ipsec_deferred_run(struct work_struct *work);
bool rust_ipsec_deferred_add(struct llist_node *node);
bool rust_ipsec_deferred_kick(void);
struct llist_node *rust_ipsec_deferred_take(void);
bool rust_ipsec_deferred_flush(void);

/* shims.c: /proc/net files, the namespace of a proc_create_net_single file. */
struct seq_file;
struct net *rust_ipsec_seq_file_net(struct seq_file *seq);

/* shims.c: spin_lock_bh and friends (macros), rust/glue/spinlock_bh.rs. */
struct spinlock;
void rust_ipsec_spin_lock_bh(struct spinlock *lock);
void rust_ipsec_spin_unlock_bh(struct spinlock *lock);
int rust_ipsec_spin_trylock_bh(struct spinlock *lock);
/* local_bh_disable/enable (inlines): the route cache and the AEAD scratch. */
void rust_ipsec_local_bh_disable(void);
void rust_ipsec_local_bh_enable(void);

/* shims.c: AEAD transforms and requests (inlines of crypto/aead.h), rust/glue/aead.rs. */
struct crypto_aead;
struct aead_request;
struct scatterlist;
void rust_ipsec_aead_free(struct crypto_aead *tfm);
unsigned int rust_ipsec_aead_ivsize(struct crypto_aead *tfm);
unsigned int rust_ipsec_aead_reqsize(struct crypto_aead *tfm);
unsigned int rust_ipsec_tfm_ctx_alignment(void);
struct crypto_tfm;
struct crypto_tfm *rust_ipsec_crypto_aead_tfm(struct crypto_aead *tfm);
void rust_ipsec_aead_sg(struct scatterlist *sg, const void *ad, unsigned int adlen, void *data,
			unsigned int datalen);
/* The per-CPU scratch pointer (per_cpu_ptr; this_cpu_read with BH off,
 * given back wiped), cpu_to_node. */
unsigned char **rust_ipsec_scratch_on(unsigned int cpu);
unsigned char *rust_ipsec_scratch_get(void);
void rust_ipsec_scratch_put(unsigned char *mem, unsigned int len);
int rust_ipsec_cpu_to_node(unsigned int cpu);

/* shims.c: compression transforms (inlines and a macro of
 * crypto/acompress.h), rust/glue/acomp.rs. A synchronous request lives on
 * the caller's stack (ACOMP_REQUEST_ON_STACK, a macro), so building and
 * running it is one C call, given the direction's function; the per-CPU IPComp buffer
 * pointer as the scratch's (given back with rust_ipsec_scratch_put). */
struct crypto_acomp;
void rust_ipsec_acomp_free(struct crypto_acomp *tfm);
unsigned int rust_ipsec_acomp_reqsize(struct crypto_acomp *tfm);
struct acomp_req;
int rust_ipsec_acomp_run(struct crypto_acomp *tfm, int (*op)(struct acomp_req *req),
			 const unsigned char *src, unsigned int slen, unsigned char *dst,
			 unsigned int *dlen);
unsigned char **rust_ipsec_comp_buf_on(unsigned int cpu);
unsigned char *rust_ipsec_comp_buf_get(void);

/* shims.c: packets (inlines of skbuff.h, gso.h, dst.h), rust/glue/skb.rs. */
int rust_ipsec_skb_cloned(const struct sk_buff *skb);
/* is_skb_wmem (sock.h) and refcount_add on sk_wmem_alloc: a socket's
 * packet whose head grew is charged for it, as skb_expand_head does. */
int rust_ipsec_skb_is_wmem(const struct sk_buff *skb);
void rust_ipsec_sk_wmem_add(struct sock *sk, int delta);
int rust_ipsec_skb_linearize(struct sk_buff *skb);
unsigned char *rust_ipsec_skb_network_header(const struct sk_buff *skb);
int rust_ipsec_skb_trim(struct sk_buff *skb, unsigned int len);
struct sk_buff *rust_ipsec_skb_gso_segment(struct sk_buff *skb);
void rust_ipsec_skb_mark_not_on_list(struct sk_buff *skb);
void rust_ipsec_kfree_skb_list(struct sk_buff *skb);
void rust_ipsec_consume_skb(struct sk_buff *skb);
void rust_ipsec_nf_reset_ct(struct sk_buff *skb);
struct dst_entry *rust_ipsec_skb_dst(const struct sk_buff *skb);
void rust_ipsec_skb_dst_replace(struct sk_buff *skb, struct dst_entry *dst);
void rust_ipsec_skb_reset_for_rx(struct sk_buff *skb);
/* Routes and devices: inlines, and fields of structs opaque to Rust. */
unsigned int rust_ipsec_dst_mtu(const struct dst_entry *dst);
unsigned int rust_ipsec_dst_ll_reserved_space(const struct dst_entry *dst);
unsigned int rust_ipsec_dev_mtu(const struct net_device *dev);

/* tunnel_shims.c: routing and ICMP (inlines, opaque fields), rust/glue/route.rs. */
struct flowi4;
struct flowi6;
struct rtable;
struct rtable *rust_ipsec_ip_route_output_key(struct net *net, struct flowi4 *fl4);
struct dst_entry *rust_ipsec_rtable_dst(struct rtable *rt);
struct dst_entry *rust_ipsec_ip6_route_output(struct net *net, struct flowi6 *fl6);
int rust_ipsec_dst_error(const struct dst_entry *dst);
int rust_ipsec_ip4_dst_hoplimit(const struct dst_entry *dst);
void rust_ipsec_icmp_send(struct sk_buff *skb, int type, int code, __be32 info);
void rust_ipsec_icmpv6_send(struct sk_buff *skb, __u8 type, __u8 code, __u32 info);
struct dst_cache;
struct dst_entry *rust_ipsec_dst_cache_get_bh(struct dst_cache *cache);

/*
 * defrag_shims.c: IPv6 reassembly (request_module, symbol_get, symbol_put:
 * macros; ipv6_ext_hdr: inline), rust/glue/defrag.rs.
 */
typedef int (*rust_ipsec_frag6_gather_t)(struct net *net, struct sk_buff *skb, __u32 user);
bool rust_ipsec_ipv6_ext_hdr(__u8 nexthdr);
int rust_ipsec_request_defrag6_module(void);
rust_ipsec_frag6_gather_t rust_ipsec_frag6_gather_get(void);
void rust_ipsec_frag6_gather_put(void);

/* PF_KEY sockets: socket_shims.c. */
struct socket;
struct msghdr;
struct hlist_head;
struct user_namespace;
struct proto_ops;

/* Implemented in Rust (rust/glue/socket.rs). */
int rust_ipsec_family_create(struct net *net, struct socket *sock, int protocol, int kern);
int rust_ipsec_family_release(struct socket *sock);
int rust_ipsec_family_sendmsg(struct socket *sock, struct msghdr *msg, size_t len);
int rust_ipsec_family_recvmsg(struct socket *sock, struct msghdr *msg, size_t len, int flags);

/* C data. */
extern const struct net_proto_family rust_ipsec_pfkey_family;
extern const struct proto_ops rust_ipsec_pfkey_ops;
/* Calls that need the address of struct proto (C data). */
int rust_ipsec_proto_register(void);
void rust_ipsec_proto_unregister(void);
struct sock *rust_ipsec_sk_alloc(struct net *net, int kern);
/* Fields of struct sock (opaque to Rust), inlines and macros of sock.h. */
void rust_ipsec_sk_set_destruct(struct sock *sk, void (*destruct)(struct sock *));
void **rust_ipsec_sk_state(struct sock *sk);
struct net *rust_ipsec_sock_net(const struct sock *sk);
void rust_ipsec_sock_put(struct sock *sk);
void rust_ipsec_sock_orphan(struct sock *sk);
int rust_ipsec_sk_rmem_alloc(const struct sock *sk);
int rust_ipsec_sk_rcvbuf(const struct sock *sk);
int rust_ipsec_sk_sndbuf(const struct sock *sk);
void rust_ipsec_sk_purge_receive_queue(struct sock *sk);
void rust_ipsec_sk_purge_write_queue(struct sock *sk);
void rust_ipsec_sk_add_node_rcu(struct sock *sk, struct hlist_head *list);
void rust_ipsec_sk_del_node_init_rcu(struct sock *sk);
struct sock *rust_ipsec_sk_first_rcu(struct hlist_head *list);
struct sock *rust_ipsec_sk_next_rcu(struct sock *sk);
/* Inlines and fields of skbuff.h and socket.h used by socket.rs. */
struct sk_buff *rust_ipsec_alloc_skb(unsigned int size, gfp_t gfp);
void rust_ipsec_kfree_skb(struct sk_buff *skb);
int rust_ipsec_memcpy_from_msg(void *data, struct msghdr *msg, int len);
int rust_ipsec_skb_copy_datagram_msg(const struct sk_buff *skb, struct msghdr *msg, int size);

/* Per-socket policies: sock_policy_shims.c, rust/glue/sock_policy.rs. */
struct xfrm_policy;
struct xfrm_state;
struct xfrm_tmpl;
/* The key manager's handlers, in Rust. */
int rust_ipsec_km_acquire(struct xfrm_state *x, struct xfrm_tmpl *t, struct xfrm_policy *xp);
struct xfrm_policy *rust_ipsec_km_compile_policy(struct sock *sk, int opt, u8 *data, int len,
						 int *dir);
void rust_ipsec_km_register(void);
void rust_ipsec_km_unregister(void);
struct xfrm_policy *rust_ipsec_sk_policy(const struct sock *sk, int dir);
unsigned short rust_ipsec_sk_family(const struct sock *sk);
struct sock *rust_ipsec_skb_to_full_sk(const struct sk_buff *skb);
struct sock *rust_ipsec_sk_to_full_sk(struct sock *sk);
struct sock *rust_ipsec_inet_lookup(struct net *net, __be32 saddr, __be16 sport, __be32 daddr,
				    __be16 dport, int dif);

#endif
