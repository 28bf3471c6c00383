#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PF_KEY v2: every supported message through real sockets (a Python
# client independent of the module's codec), EPERM without CAP_NET_ADMIN,
# netns isolation, a dump larger than the receive buffer.
#
# No network topology: PF_KEY sockets in the init namespace, and one
# process in a namespace of its own (unshare -n) for isolation.

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/module.sh"
ri_netns_cleanup
ri_load || { echo "TAP version 13"; echo "not ok 1 module loads"; echo "1..1"; exit 1; }
exec python3 -S "$(dirname "$0")/pfkey/pfkey_test.py"
