#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PF_KEY dumps at 100,000 entries (tools/pfkey-stress, compiled): 100,000
# SAs (AH: no crypto transform, the SADB alone) and 100,000 policies, each
# table dumped through a 4 KiB receive buffer: every entry arrives once,
# the last with seq 0 (the seed's "dumps truncate" bug), past 65,536 (no
# 16-bit count or cursor anywhere).
#
# Runs on the bench kernel (scripts/vm-suites: TEST_PROGS_BENCH), where
# adding 200,000 entries takes minutes instead of the debug kernel's 25;
# pfkey_scale.sh runs the same code at 10,000 entries under KASAN, lockdep
# and kmemleak.
#
# No network topology: PF_KEY sockets in the init namespace only.

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/module.sh"
. "$(dirname "$0")/lib/stress.sh"

N=100000
ktap_header "PF_KEY dumps at $N entries"
ri_netns_cleanup
ri_load
stress_ready "PF_KEY dumps at $N entries" || ktap_finish
fill_dump_case "$N"
ktap_finish
