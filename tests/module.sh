#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Loading and unloading rust_ipsec.ko: with namespaces created before and
# after loading, unloading while namespaces are alive, repeated cycles,
# and no memory leak reported by kmemleak afterwards.
#
# No network topology: namespaces without links or traffic, made before
# and after loading.

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/module.sh"

ktap_header "loading and unloading rust_ipsec"
ri_netns_cleanup
ri_unload

# The guest is an SMP machine (scripts/vm-run: VM_CPUS, default 2), so the
# datapath's locks, per-CPU data and reference counts run on CPUs at once.
cpus=${RI_VM_CPUS:-2}
online=0
((cpus > 1)) && online=0-$((cpus - 1))
ktap_expect "the guest has $cpus online CPUs" "$online" "$(cat /sys/devices/system/cpu/online)"
ktap_check "the module file exists" test -f "$RI_KO"
ip netns add ${RI_NS}before
ktap_check "loads while a namespace exists" ri_load
ktap_check "init netns has both trees" test -d $V4 -a -d $V6
ktap_expect "a namespace older than the module gets the defaults" 1 \
	"$(ip netns exec ${RI_NS}before cat $V4/def_policy 2>&1)"
ip netns add ${RI_NS}after
ktap_expect "a namespace newer than the module gets the defaults" 1 \
	"$(ip netns exec ${RI_NS}after cat $V6/def_policy 2>&1)"
ip netns exec ${RI_NS}after sh -c "echo 2 > $V4/dfbit"

ktap_check "unloads while two namespaces are alive" ri_unload
ktap_check "the trees are gone from init netns" test ! -e $V4 -a ! -e $V6
ktap_check "the trees are gone from the namespaces" \
	ip netns exec ${RI_NS}after test ! -e $V4 -a ! -e $V6
ktap_check "reloads" ri_load
ktap_expect "reloading starts from the defaults again" 0 \
	"$(ip netns exec ${RI_NS}after cat $V4/dfbit 2>&1)"

# Namespaces going away while loaded, then many short-lived ones.
ip netns del ${RI_NS}before
ok=1
for i in $(seq 20); do
	ip netns add ${RI_NS}c$i || ok=0
done
for i in $(seq 20); do
	ip netns del ${RI_NS}c$i || ok=0
done
((ok)) && ktap_ok "20 namespaces come and go while loaded" || ktap_fail "20 namespaces come and go while loaded"

ok=1
for _ in $(seq 5); do ri_unload && ri_load || ok=0; done
((ok)) && ktap_ok "5 unload/load cycles" || ktap_fail "5 unload/load cycles"
ri_netns_cleanup
ktap_check "final unload" ri_unload
ktap_expect "module is gone" "" "$(grep -w rust_ipsec /proc/modules)"

kmemleak_case "kmemleak reports no leak after all of the above"
ktap_finish
