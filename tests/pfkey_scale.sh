#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PF_KEY at scale and under concurrency (tools/pfkey-stress, compiled):
# - 10,000 SAs (AH: no crypto transform, the SADB alone) and 10,000
#   policies dumped through a 4 KiB receive buffer: every entry arrives
#   once, the last with seq 0 (the seed's "dumps truncate" bug). Under the
#   debug kernel each entry costs about 5 ms to add; pfkey_dump_100k.sh
#   runs the same at 100,000 entries on the bench kernel;
# - sockets adding and deleting in parallel while dumps run, in the init
#   namespace and in namespaces destroyed while their sockets are busy.
# vm-run fails the run on any KASAN/lockdep/kmemleak report.
#
# No network topology: PF_KEY sockets in the init namespace and in two
# namespaces without links.

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/module.sh"
. "$(dirname "$0")/lib/stress.sh"

N=${SCALE_ENTRIES:-10000}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ktap_header "PF_KEY scale and concurrency"
ri_netns_cleanup
ri_load
stress_ready "PF_KEY scale tests" || ktap_finish
fill_dump_case "$N"

# Churn in two namespaces that are torn down while their sockets work, and
# in the init namespace at the same time. The namespaces' churn would run
# for 15 min: it is killed long before that, so each process must still be
# running (busy) when its namespace goes, and must have logged no error.
declare -A cpid
for i in 1 2; do
	ip netns add ${RI_NS}churn$i
	ip netns exec ${RI_NS}churn$i "$STRESS" churn --threads 2 --seconds 900 >"$tmp/churn$i.log" 2>&1 &
	cpid[$i]=$!
done
sleep 5
out=$("$STRESS" churn --threads 3 --seconds 10 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
((rc == 0)) && ktap_ok "parallel add/delete with dumps running: no unexpected errno" ||
	ktap_fail "parallel add/delete with dumps running: no unexpected errno"
# Each namespace holds SAs of its own right now (the churn adds and deletes
# them in rounds of 64, so a sample can catch an empty table: a few tries).
busy=""
for i in 1 2; do
	n=0
	for _ in 1 2 3 4 5; do
		n=$(ip netns exec ${RI_NS}churn$i awk '$1 == "Sas" { print $2 }' /proc/net/rust_ipsec_stat)
		((n > 0)) && break
		sleep 0.2
	done
	busy+=" churn$i: $n SAs,"
	kill -0 "${cpid[$i]}" 2>/dev/null && ((n > 0)) || busy+=" (not busy)"
done
ktap_check "before teardown, both namespaces' churn runs and holds entries:$busy" \
	bash -c "! grep -q 'not busy' <<<'$busy'"
# The namespaces' names go while their processes still hold sockets and
# entries; the namespaces die when the processes are killed.
ip netns del ${RI_NS}churn1
kill "${cpid[1]}" "${cpid[2]}"
for i in 1 2; do
	wait "${cpid[$i]}"
	rc=$?
	# 143: ended by our SIGTERM while busy; anything else is a failure of
	# its own (1: an unexpected errno or a socket error, 0: it had stopped).
	errs=$(grep -cv '^churn: ' "$tmp/churn$i.log")
	if ((rc == 143 && errs == 0)); then
		ktap_ok "churn in namespace $i: busy until killed, no unexpected errno or socket error"
	else
		ktap_fail "churn in namespace $i: busy until killed, no unexpected errno or socket error (exit $rc)"
		head -5 "$tmp/churn$i.log" | sed 's/^/# /'
	fi
done
ip netns del ${RI_NS}churn2
ktap_check "module unloads afterwards" ri_unload
ktap_finish
