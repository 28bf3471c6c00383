// SPDX-License-Identifier: GPL-2.0
/* C shims for static inline kernel functions; see shims.h. */
#include <crypto/aead.h>
#include <linux/percpu.h>
#include <linux/scatterlist.h>
#include <linux/skbuff.h>
#include <net/dst.h>
#include <linux/slab.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <net/gso.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <net/netns/generic.h>
#include <linux/seq_file_net.h>
#include "shims.h"

void *rust_ipsec_net_generic(const struct net *net, unsigned int id)
{
	return net_generic(net, id);
}

void rust_ipsec_delayed_work_init(struct delayed_work *dw, work_func_t fn)
{
	INIT_DELAYED_WORK(dw, fn);
}

void rust_ipsec_delayed_work_schedule(struct delayed_work *dw, unsigned long delay)
{
	mod_delayed_work(system_wq, dw, delay);
}

void rust_ipsec_delayed_work_cancel_sync(struct delayed_work *dw)
{
	cancel_delayed_work_sync(dw);
}

struct net *rust_ipsec_seq_file_net(struct seq_file *seq)
{
	return seq_file_single_net(seq);
}

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

void rust_ipsec_aead_free(struct crypto_aead *tfm)
{
	crypto_free_aead(tfm);
}

int rust_ipsec_skb_network_bytes(const struct sk_buff *skb, void *buf, unsigned int len)
{
	int off = skb_network_offset(skb);
	unsigned int avail;

	if (off < 0 || (unsigned int)off >= skb->len)
		return 0;
	avail = skb->len - off;
	if (len > avail)
		len = avail;
	if (skb_copy_bits(skb, off, buf, len))
		return 0;
	return len;
}

/*
 * The bytes from the network header on that are in the linear part (*len)
 * and in the whole packet (*total); NULL if the header is not within it.
 */
const unsigned char *rust_ipsec_skb_network_linear(const struct sk_buff *skb, unsigned int *len,
						   unsigned int *total)
{
	int off = skb_network_offset(skb);

	if (off < 0 || (unsigned int)off >= skb_headlen(skb))
		return NULL;
	*len = skb_headlen(skb) - off;
	*total = skb->len - off;
	return skb_network_header(skb);
}

int rust_ipsec_skb_prepare(struct sk_buff *skb, unsigned int head, unsigned int tail)
{
	int nhead, ntail;

	if (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb))
		return -EINVAL;
	if (skb_linearize(skb))
		return -ENOMEM;
	/*
	 * Output also keeps room for the link-layer header in front of what
	 * we push (an XFRM bundle route's header_len does the same), so that
	 * ip_finish_output2 need not expand the head a second time.
	 */
	if (head && skb_dst(skb))
		head += LL_RESERVED_SPACE(skb_dst(skb)->dev);
	nhead = head > skb_headroom(skb) ? head - skb_headroom(skb) : 0;
	ntail = tail > skb_tailroom(skb) ? tail - skb_tailroom(skb) : 0;
	if (nhead || ntail || skb_cloned(skb))
		return pskb_expand_head(skb, SKB_DATA_ALIGN(nhead), ntail, GFP_ATOMIC);
	return 0;
}

bool rust_ipsec_skb_is_gso(const struct sk_buff *skb)
{
	return skb_is_gso(skb);
}

unsigned char *rust_ipsec_skb_linear_data(const struct sk_buff *skb, unsigned int *len)
{
	*len = skb_headlen(skb);
	return skb->data;
}

void rust_ipsec_skb_push_network(struct sk_buff *skb, unsigned int len)
{
	skb_push(skb, len);
	skb_reset_network_header(skb);
}

void rust_ipsec_skb_pull_network(struct sk_buff *skb, unsigned int len, unsigned int ihl)
{
	skb_pull(skb, len);
	skb_reset_network_header(skb);
	skb_set_transport_header(skb, ihl);
	skb->ip_summed = CHECKSUM_NONE;
}

void rust_ipsec_skb_put(struct sk_buff *skb, unsigned int len)
{
	skb_put(skb, len);
}

int rust_ipsec_skb_trim(struct sk_buff *skb, unsigned int len)
{
	return pskb_trim(skb, len);
}

/*
 * Per-CPU scratch for AEAD requests (AD, IV, request and its context), so
 * that a packet costs no allocation: a kmalloc'ed buffer per CPU (it must
 * be in the linear mapping for the scatterlist), used with BH disabled,
 * wiped after each use. Requests larger than RI_SCRATCH_LEN, or any while
 * the scratch is missing, allocate as before.
 */
#define RI_SCRATCH_LEN 1024
static DEFINE_PER_CPU(u8 *, rust_ipsec_scratch);

bool rust_ipsec_crypto_scratch_init(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		u8 *buf = kmalloc_node(RI_SCRATCH_LEN, GFP_KERNEL, cpu_to_node(cpu));

		if (!buf) {
			rust_ipsec_crypto_scratch_free();
			return false;
		}
		per_cpu(rust_ipsec_scratch, cpu) = buf;
	}
	return true;
}

/* After every user is gone (the module's hooks and sockets). */
void rust_ipsec_crypto_scratch_free(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		kfree_sensitive(per_cpu(rust_ipsec_scratch, cpu));
		per_cpu(rust_ipsec_scratch, cpu) = NULL;
	}
}

static int aead_crypt_in(struct crypto_aead *tfm, unsigned char *mem, bool encrypt,
			 const unsigned char *ad, unsigned int adlen, const unsigned char *iv,
			 unsigned int ivlen, unsigned char *data, unsigned int len,
			 unsigned int icvlen)
{
	unsigned int reqoff = ALIGN(adlen + ivlen, crypto_tfm_ctx_alignment());
	struct aead_request *req = (struct aead_request *)(mem + reqoff);
	struct scatterlist sg[2];

	memcpy(mem, ad, adlen);
	memcpy(mem + adlen, iv, ivlen);
	sg_init_table(sg, 2);
	sg_set_buf(&sg[0], mem, adlen);
	sg_set_buf(&sg[1], data, encrypt ? len + icvlen : len);
	aead_request_set_tfm(req, tfm);
	aead_request_set_callback(req, 0, NULL, NULL);
	aead_request_set_crypt(req, sg, sg, len, mem + adlen);
	aead_request_set_ad(req, adlen);
	return encrypt ? crypto_aead_encrypt(req) : crypto_aead_decrypt(req);
}

int rust_ipsec_aead_crypt(struct crypto_aead *tfm, bool encrypt, const unsigned char *ad,
			  unsigned int adlen, const unsigned char *iv, unsigned int ivlen,
			  unsigned char *data, unsigned int len, unsigned int icvlen)
{
	unsigned int need = ALIGN(adlen + ivlen, crypto_tfm_ctx_alignment()) +
			    sizeof(struct aead_request) + crypto_aead_reqsize(tfm);
	unsigned char *mem;
	int err;

	if (ivlen != crypto_aead_ivsize(tfm))
		return -EINVAL;
	if (need <= RI_SCRATCH_LEN) {
		/* BH off: no softirq on this CPU can take the scratch meanwhile. */
		local_bh_disable();
		mem = this_cpu_read(rust_ipsec_scratch);
		if (mem) {
			err = aead_crypt_in(tfm, mem, encrypt, ad, adlen, iv, ivlen, data, len,
					    icvlen);
			memzero_explicit(mem, need);
			local_bh_enable();
			return err;
		}
		local_bh_enable();
	}
	mem = kmalloc(need, GFP_ATOMIC);
	if (!mem)
		return -ENOMEM;
	err = aead_crypt_in(tfm, mem, encrypt, ad, adlen, iv, ivlen, data, len, icvlen);
	kfree_sensitive(mem);
	return err;
}

/* The MTU a packet leaves by (its route's, path MTU included) or, for
 * one received, of the device it came in on; 0 if neither is known. */
unsigned int rust_ipsec_skb_mtu(const struct sk_buff *skb, bool out)
{
	struct dst_entry *dst = skb_dst(skb);

	if (out && dst)
		return dst_mtu(dst);
	return skb->dev ? READ_ONCE(skb->dev->mtu) : 0;
}

void rust_ipsec_skb_ignore_df(struct sk_buff *skb)
{
	skb->ignore_df = 1;
}

struct sk_buff *rust_ipsec_skb_gso_segment(struct sk_buff *skb)
{
	struct sk_buff *segs = skb_gso_segment(skb, 0);

	return IS_ERR_OR_NULL(segs) ? NULL : segs;
}

struct sk_buff *rust_ipsec_skb_list_pop(struct sk_buff **list)
{
	struct sk_buff *skb = *list;

	if (skb) {
		*list = skb->next;
		skb_mark_not_on_list(skb);
	}
	return skb;
}

int rust_ipsec_nf_okfn(const struct nf_hook_state *state, struct sk_buff *skb)
{
	return state->okfn(state->net, state->sk, skb);
}

void rust_ipsec_kfree_skb_list(struct sk_buff *skb)
{
	kfree_skb_list(skb);
}

void rust_ipsec_consume_skb(struct sk_buff *skb)
{
	consume_skb(skb);
}
