/* SPDX-License-Identifier: GPL-2.0 */
/* Headers bindgen reads for rust/glue/bindings_generated.rs. */
#include <linux/net.h>
#include <linux/types.h>
#include <net/sock.h>
#include "shims.h"
