// SPDX-License-Identifier: GPL-2.0
/* C shims for static inline kernel functions; see shims.h. */
#include <crypto/aead.h>
#include <linux/skbuff.h>
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
