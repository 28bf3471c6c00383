# SPDX-License-Identifier: GPL-2.0
# Loading and unloading rust_ipsec.ko in tests.

RI_KO=${RI_KO:-$KTAP_ROOT/rust_ipsec.ko}
V4=/proc/sys/net/ipv4/rust_ipsec
V6=/proc/sys/net/ipv6/rust_ipsec

ri_loaded() { [[ -d /sys/module/rust_ipsec ]]; }
ri_load() { ri_loaded || insmod "$RI_KO"; }
ri_unload() { ! ri_loaded || rmmod rust_ipsec; }

# kmemleak_case DESCRIPTION: one case, passing when kmemleak reports no
# unreferenced object now (it reports objects older than 5 s seen
# unreferenced twice, hence the wait and the two scans); skipped on a
# kernel without kmemleak.
kmemleak_case() {
	local kml=/sys/kernel/debug/kmemleak leaks
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug 2>/dev/null
	if [[ ! -w $kml ]]; then
		ktap_skip "$1" "this kernel has no kmemleak ($kml missing)"
		return
	fi
	sleep 6
	echo scan >$kml
	echo scan >$kml
	leaks=$(grep -c 'unreferenced object' $kml)
	ktap_expect "$1 ($leaks unreferenced objects)" 0 "$leaks"
	((leaks)) && head -40 $kml | sed 's/^/# /'
}

# Network namespaces the tests create carry this prefix; ri_netns_cleanup
# removes them all.
RI_NS=rit
ri_netns_cleanup() {
	local ns
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$RI_NS"); do
		ip netns del "$ns"
	done
}
