// SPDX-License-Identifier: GPL-2.0
/* C shims for static inline kernel functions; see shims.h. */
#include <net/netns/generic.h>
#include "shims.h"

void *rust_ipsec_net_generic(const struct net *net, unsigned int id)
{
	return net_generic(net, id);
}
