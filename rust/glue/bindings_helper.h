/* SPDX-License-Identifier: GPL-2.0 */
/* Headers bindgen reads for rust/glue/bindings_generated.rs. */
#include <linux/net.h>
#include <linux/types.h>
#include <net/sock.h>
#include <crypto/aead.h>
#include <net/dst_cache.h>
#include <linux/netfilter.h>
#include <linux/proc_fs.h>
#include <linux/seq_file_net.h>
#include "shims.h"
