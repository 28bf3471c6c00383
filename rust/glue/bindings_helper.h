/* SPDX-License-Identifier: GPL-2.0 */
/* Headers bindgen reads for rust/glue/bindings_generated.rs. */
#include <linux/net.h>
#include <linux/types.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/netdevice.h>
#include <linux/scatterlist.h>
#include <net/sock.h>
#include <crypto/acompress.h>
#include <crypto/aead.h>
#include <net/addrconf.h>
#include <net/dst.h>
#include <net/dst_cache.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/ipv6_frag.h>
#include <net/route.h>
#include <net/xfrm.h>
#include <net/inet6_hashtables.h>
#include <net/udp.h>
#include <linux/netfilter.h>
#include <linux/proc_fs.h>
#include <linux/seq_file_net.h>
#include "shims.h"

/*
 * Constants bindgen cannot evaluate from their macros (BIT(), enum
 * members of headers kernel::bindings lacks): the compiler evaluates
 * them here, from the kernel's own definitions.
 */
enum rust_ipsec_const {
	RUST_IPSEC_IPSKB_XFRM_TRANSFORMED = IPSKB_XFRM_TRANSFORMED,
	RUST_IPSEC_IP6SKB_XFRM_TRANSFORMED = IP6SKB_XFRM_TRANSFORMED,
	RUST_IPSEC_IP6_DEFRAG_LOCAL_DELIVER = IP6_DEFRAG_LOCAL_DELIVER,
	RUST_IPSEC_RTN_LOCAL = RTN_LOCAL,
	RUST_IPSEC_ICMP_DEST_UNREACH = ICMP_DEST_UNREACH,
	RUST_IPSEC_ICMP_FRAG_NEEDED = ICMP_FRAG_NEEDED,
	RUST_IPSEC_ICMPV6_PKT_TOOBIG = ICMPV6_PKT_TOOBIG,
	RUST_IPSEC_AEAD_REQUEST_SIZE = sizeof(struct aead_request),
	RUST_IPSEC_MAX_SYNC_COMP_REQSIZE = MAX_SYNC_COMP_REQSIZE,
};
