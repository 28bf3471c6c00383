// SPDX-License-Identifier: GPL-2.0
/*
 * Trampolines: each function is one call of a static inline function or
 * macro of the kernel headers, which Rust cannot call (they are not
 * symbols), or one access to a field of a struct that kernel::bindings
 * has only as an opaque type. No branch, no sequence of steps: the logic
 * around them (what the module does with a packet, an AEAD request, a
 * route) is Rust, in the .rs files of rust/glue. See shims.h for the full list and
 * why each is C.
 *
 * The only data here are the per-CPU pointers to the AEAD scratch
 * (rust/glue/aead.rs) and to the IPComp buffer (rust/glue/acomp.rs): Rust-for-Linux has no per-CPU variable API, so the
 * variable is a C DEFINE_PER_CPU, reached through per_cpu_ptr and
 * this_cpu_ptr (macros); and the list and work item of
 * rust/glue/process_drop.rs, statically initialised (LLIST_HEAD,
 * DECLARE_WORK: macros) so that they exist before any value is dropped.
 */
#include <crypto/acompress.h>
#include <crypto/aead.h>
#include <linux/crypto.h>
#include <linux/percpu.h>
#include <linux/scatterlist.h>
#include <linux/skbuff.h>
#include <linux/topology.h>
#include <net/dst.h>
#include <net/sock.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <net/gso.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/llist.h>
#include <net/netns/generic.h>
#include <linux/seq_file_net.h>
#include "shims.h"

/* Per-namespace state (net/netns/generic.h). */
void *rust_ipsec_net_generic(const struct net *net, unsigned int id)
{
	return net_generic(net, id);
}

/* Delayed work (macros and inlines of linux/workqueue.h). */
void rust_ipsec_delayed_work_init(struct delayed_work *dw, work_func_t fn)
{
	INIT_DELAYED_WORK(dw, fn);
}

void rust_ipsec_delayed_work_schedule(struct delayed_work *dw, unsigned long delay)
{
	mod_delayed_work(system_wq, dw, delay);
}

/* Values dropped in process context (rust/glue/process_drop.rs). */
static LLIST_HEAD(rust_ipsec_deferred_list);
static DECLARE_WORK(rust_ipsec_deferred_work, rust_ipsec_deferred_run);

bool rust_ipsec_deferred_add(struct llist_node *node)
{
	return llist_add(node, &rust_ipsec_deferred_list);
}

bool rust_ipsec_deferred_kick(void)
{
	return queue_work(system_dfl_wq, &rust_ipsec_deferred_work);
}

struct llist_node *rust_ipsec_deferred_take(void)
{
	return llist_del_all(&rust_ipsec_deferred_list);
}

bool rust_ipsec_deferred_flush(void)
{
	return flush_work(&rust_ipsec_deferred_work);
}

struct net *rust_ipsec_seq_file_net(struct seq_file *seq)
{
	return seq_file_single_net(seq);
}

/* spin_lock_bh and friends, local_bh_disable/enable (macros, inlines). */
void rust_ipsec_spin_lock_bh(struct spinlock *lock)
{
	spin_lock_bh(lock);
}

void rust_ipsec_spin_unlock_bh(struct spinlock *lock)
{
	spin_unlock_bh(lock);
}

int rust_ipsec_spin_trylock_bh(struct spinlock *lock)
{
	return spin_trylock_bh(lock);
}

void rust_ipsec_local_bh_disable(void)
{
	local_bh_disable();
}

void rust_ipsec_local_bh_enable(void)
{
	local_bh_enable();
}

/* AEAD transforms and requests (inlines of crypto/aead.h, crypto.h). */
void rust_ipsec_aead_free(struct crypto_aead *tfm)
{
	crypto_free_aead(tfm);
}

unsigned int rust_ipsec_aead_ivsize(struct crypto_aead *tfm)
{
	return crypto_aead_ivsize(tfm);
}

unsigned int rust_ipsec_aead_reqsize(struct crypto_aead *tfm)
{
	return crypto_aead_reqsize(tfm);
}

unsigned int rust_ipsec_tfm_ctx_alignment(void)
{
	return crypto_tfm_ctx_alignment();
}

struct crypto_tfm *rust_ipsec_crypto_aead_tfm(struct crypto_aead *tfm)
{
	return crypto_aead_tfm(tfm);
}

/* sg_init_table and sg_set_buf (an inline) for an AEAD request's two
 * entries, the AD and IV, then the data: one call per request. */
void rust_ipsec_aead_sg(struct scatterlist *sg, const void *ad, unsigned int adlen, void *data,
			unsigned int datalen)
{
	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], ad, adlen);
	sg_set_buf(&sg[1], data, datalen);
}

/* The per-CPU AEAD scratch pointer (C data: see the top of this file). */
static DEFINE_PER_CPU(u8 *, rust_ipsec_scratch);

u8 **rust_ipsec_scratch_on(unsigned int cpu)
{
	return per_cpu_ptr(&rust_ipsec_scratch, cpu);
}

/* local_bh_disable (an inline), then this CPU's scratch (this_cpu_read,
 * a macro), which BH being off keeps ours; NULL if it is missing. Given
 * back, BH or not, with rust_ipsec_scratch_put. */
u8 *rust_ipsec_scratch_get(void)
{
	local_bh_disable();
	return this_cpu_read(rust_ipsec_scratch);
}

/* memzero_explicit (an inline) of the `len` bytes of `mem` a request
 * used (0 when `mem` is NULL), then local_bh_enable (an inline). */
void rust_ipsec_scratch_put(u8 *mem, unsigned int len)
{
	memzero_explicit(mem, len);
	local_bh_enable();
}

int rust_ipsec_cpu_to_node(unsigned int cpu)
{
	return cpu_to_node(cpu);
}

/* Compression transforms (crypto/acompress.h). */
void rust_ipsec_acomp_free(struct crypto_acomp *tfm)
{
	crypto_free_acomp(tfm);
}

unsigned int rust_ipsec_acomp_reqsize(struct crypto_acomp *tfm)
{
	return crypto_acomp_reqsize(tfm);
}

/* ACOMP_REQUEST_ON_STACK (a macro) and the acomp_request_set_* inlines
 * for one synchronous request, `op` being crypto_acomp_compress or
 * crypto_acomp_decompress, from `slen` bytes at `src` into at most
 * `*dlen` bytes at `dst` (virtual addresses); `*dlen` is then what was
 * produced. */
int rust_ipsec_acomp_run(struct crypto_acomp *tfm, int (*op)(struct acomp_req *req),
			 const u8 *src, unsigned int slen, u8 *dst, unsigned int *dlen)
{
	ACOMP_REQUEST_ON_STACK(req, tfm);
	int err;

	acomp_request_set_callback(req, 0, NULL, NULL);
	acomp_request_set_src_nondma(req, src, slen);
	acomp_request_set_dst_nondma(req, dst, *dlen);
	err = op(req);
	*dlen = req->dlen;
	return err;
}

/* The per-CPU IPComp buffer pointer (C data, as the AEAD scratch's). */
static DEFINE_PER_CPU(u8 *, rust_ipsec_comp_buf);

u8 **rust_ipsec_comp_buf_on(unsigned int cpu)
{
	return per_cpu_ptr(&rust_ipsec_comp_buf, cpu);
}

/* local_bh_disable, then this CPU's IPComp buffer (NULL if missing);
 * given back with rust_ipsec_scratch_put. */
u8 *rust_ipsec_comp_buf_get(void)
{
	local_bh_disable();
	return this_cpu_read(rust_ipsec_comp_buf);
}

/* Packets (inlines of linux/skbuff.h, net/gso.h, net/dst.h). */
int rust_ipsec_skb_cloned(const struct sk_buff *skb)
{
	return skb_cloned(skb);
}

int rust_ipsec_skb_is_wmem(const struct sk_buff *skb)
{
	return is_skb_wmem(skb);
}

void rust_ipsec_sk_wmem_add(struct sock *sk, int delta)
{
	refcount_add(delta, &sk->sk_wmem_alloc);
}

int rust_ipsec_skb_linearize(struct sk_buff *skb)
{
	return skb_linearize(skb);
}

unsigned char *rust_ipsec_skb_network_header(const struct sk_buff *skb)
{
	return skb_network_header(skb);
}

int rust_ipsec_skb_trim(struct sk_buff *skb, unsigned int len)
{
	return pskb_trim(skb, len);
}

struct sk_buff *rust_ipsec_skb_gso_segment(struct sk_buff *skb)
{
	return skb_gso_segment(skb, 0);
}

void rust_ipsec_skb_mark_not_on_list(struct sk_buff *skb)
{
	skb_mark_not_on_list(skb);
}

void rust_ipsec_kfree_skb_list(struct sk_buff *skb)
{
	kfree_skb_list(skb);
}

void rust_ipsec_consume_skb(struct sk_buff *skb)
{
	consume_skb(skb);
}

void rust_ipsec_nf_reset_ct(struct sk_buff *skb)
{
	nf_reset_ct(skb);
}

struct dst_entry *rust_ipsec_skb_dst(const struct sk_buff *skb)
{
	return skb_dst(skb);
}

/* skb_dst_drop, skb_dst_set and dst_dev (inlines) as a tunnel gives its
 * outer packet the outer route: one call per packet. */
void rust_ipsec_skb_dst_replace(struct sk_buff *skb, struct dst_entry *dst)
{
	skb_dst_drop(skb);
	skb_dst_set(skb, dst);
	skb->dev = dst_dev(dst);
}

/* skb_dst_drop, nf_reset_ct and skb_mac_header_rebuild (inlines) for a
 * decapsulated packet handed back to the receive path: one call. */
void rust_ipsec_skb_reset_for_rx(struct sk_buff *skb)
{
	skb_dst_drop(skb);
	nf_reset_ct(skb);
	skb_mac_header_rebuild(skb);
}

/* Routes and devices (struct dst_entry, net_device: opaque to Rust). */
unsigned int rust_ipsec_dst_mtu(const struct dst_entry *dst)
{
	return dst_mtu(dst);
}

unsigned int rust_ipsec_dst_ll_reserved_space(const struct dst_entry *dst)
{
	return LL_RESERVED_SPACE(dst_dev(dst));
}

unsigned int rust_ipsec_dev_mtu(const struct net_device *dev)
{
	return READ_ONCE(dev->mtu);
}
