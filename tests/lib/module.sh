# SPDX-License-Identifier: GPL-2.0
# Loading and unloading rust_ipsec.ko in tests.

RI_KO=${RI_KO:-$KTAP_ROOT/rust_ipsec.ko}
V4=/proc/sys/net/ipv4/rust_ipsec
V6=/proc/sys/net/ipv6/rust_ipsec

ri_loaded() { [[ -d /sys/module/rust_ipsec ]]; }
ri_load() { ri_loaded || insmod "$RI_KO"; }
ri_unload() { ! ri_loaded || rmmod rust_ipsec; }

# Network namespaces the tests create carry this prefix; ri_netns_cleanup
# removes them all.
RI_NS=rit
ri_netns_cleanup() {
	local ns
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$RI_NS"); do
		ip netns del "$ns"
	done
}
