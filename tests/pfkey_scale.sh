#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PF_KEY at scale and under concurrency (tools/pfkey-stress, compiled):
# - 100,000 SAs (AH: no crypto transform, the SADB alone) and 100,000
#   policies dumped through a 4 KiB receive buffer:
#   every entry arrives once, the last with seq 0 (the seed's "dumps
#   truncate" bug);
# - sockets adding and deleting in parallel while dumps run, in the init
#   namespace and in namespaces destroyed while their sockets are busy.
# vm-run fails the run on any KASAN/lockdep/kmemleak report.

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/module.sh"

STRESS=$KTAP_ROOT/target/release/pfkey-stress
N=${SCALE_ENTRIES:-100000}

ktap_header "PF_KEY scale and concurrency"
ri_netns_cleanup
ri_load
if [[ ! -x $STRESS ]]; then
	ktap_skip "PF_KEY scale tests" "$STRESS not built (make kselftest builds it)"
	ktap_finish
fi

out=$("$STRESS" fill-dump --sas "$N" --policies "$N" --rcvbuf 4096 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
((rc == 0)) && ktap_ok "$N SAs and $N policies dump completely through a 4 KiB buffer" ||
	ktap_fail "$N SAs and $N policies dump completely through a 4 KiB buffer"

# Churn in two namespaces that are torn down while their sockets work, and
# in the init namespace at the same time.
for i in 1 2; do
	ip netns add ${RI_NS}churn$i
	ip netns exec ${RI_NS}churn$i "$STRESS" churn --threads 2 --seconds 20 >/tmp/churn$i.log 2>&1 &
done
sleep 5
out=$("$STRESS" churn --threads 3 --seconds 10 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
((rc == 0)) && ktap_ok "parallel add/delete with dumps running: no unexpected errno" ||
	ktap_fail "parallel add/delete with dumps running: no unexpected errno"
# The namespaces' names go while their processes still hold sockets and
# entries; the namespaces die when the processes are killed.
ip netns del ${RI_NS}churn1
pkill -f "pfkey-stress churn" || true
wait
ip netns del ${RI_NS}churn2
ktap_ok "namespaces with busy PF_KEY sockets and entries torn down"
ktap_check "module unloads afterwards" ri_unload
ktap_finish
