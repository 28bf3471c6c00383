#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What the ESP datapath tells PF_KEY and the log (datapath stage 9):
# SADB_ACQUIRE for a require policy without an SA (rate-limited, with its
# acquisition entry), the SADB's CURRENT lifetime fed by the datapath,
# soft and hard SADB_EXPIRE at byte and packet limits, a replayed packet
# counted and dropped, and debug=1 log lines saying why packets drop.
#
# +---------------------+         +---------------------+
# | $E: rust_ipsec      |  veth2  | $F: Linux XFRM      |
# | veth2 10.2.0.1/24   +---------+ veth2 10.2.0.2/24   |
# +---------------------+         +---------------------+

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/module.sh"
. "$(dirname "$0")/lib/net.sh"
. "$(dirname "$0")/lib/topo.sh"
here=$(cd "$(dirname "$0")" && pwd)
E=${RI_NS}evr F=${RI_NS}evx

ri_netns_cleanup
ri_load || { echo "TAP version 13"; echo "not ok 1 module loads"; echo "1..1"; exit 1; }
ktap_header "ESP events: ACQUIRE, lifetimes from the datapath, replay, debug log"
need_setkey "ESP events"

netns_add "$E" "$F"
veth "$E" "$F" veth2
addrs "$E" veth2 10.2.0.1/24
addrs "$F" veth2 10.2.0.2/24

# events.py SUBCOMMAND in NS: each "ok"/"fail" line it prints is a case.
events() {
	local ns=$1 sub=$2 line
	while IFS= read -r line; do
		case $line in
		"ok "*) ktap_ok "$sub: ${line#ok }" ;;
		"fail "*) ktap_fail "$sub: ${line#fail }" ;;
		*) ktap_diag "$line" ;;
		esac
	done < <(ip netns exec "$ns" timeout 120 python3 -S "$here/esp/events.py" "$sub" 2>&1)
}

# The keys events.py uses (GCM_OUT = bytes 0..19, GCM_IN = bytes 100..119).
k_out=0x$(hexrange 0 20)
k_in=0x$(hexrange 100 120)
ip -n "$F" xfrm state add src 10.2.0.1 dst 10.2.0.2 proto esp spi 0x1001 reqid 1 mode transport \
	aead 'rfc4106(gcm(aes))' "$k_out" 128
ip -n "$F" xfrm state add src 10.2.0.2 dst 10.2.0.1 proto esp spi 0x1002 reqid 1 mode transport \
	aead 'rfc4106(gcm(aes))' "$k_in" 128 replay-window 32
ip -n "$F" xfrm policy add src 10.2.0.2 dst 10.2.0.1 dir out tmpl proto esp reqid 1 mode transport
ip -n "$F" xfrm policy add src 10.2.0.1 dst 10.2.0.2 dir in tmpl proto esp reqid 1 mode transport
sk "$E" -c <<'EOS'
spdadd 10.2.0.1 10.2.0.2 any -P out ipsec esp/transport//require;
spdadd 10.2.0.2 10.2.0.1 any -P in ipsec esp/transport//require;
EOS

events "$E" acquire
events "$E" lifetime

# With no SA, the require policy drops.
sk "$E" -F
# debug=1: a dropped packet is logged with its addresses and the reason.
ip netns exec "$E" sysctl -qw net.ipv4.rust_ipsec.debug=1
dmesg -C 2>/dev/null
ip netns exec "$E" ping -c 1 -W 1 10.2.0.2 >/dev/null 2>&1
if dmesg | grep -q 'rust_ipsec: drop out 10.2.0.1 -> 10.2.0.2 proto 1 .*requires an SA that does not exist (DropNoSa)'; then
	ktap_ok "debug=1 logs why a packet dropped: $(dmesg | grep -m1 'rust_ipsec: drop out')"
else
	ktap_fail "debug=1 logs why a packet dropped"
	dmesg | tail -5 | sed 's/^/# /'
fi
ip netns exec "$E" sysctl -qw net.ipv4.rust_ipsec.debug=0
dmesg -C 2>/dev/null
ip netns exec "$E" ping -c 1 -W 1 10.2.0.2 >/dev/null 2>&1
ktap_check "debug=0 logs nothing" bash -c "! dmesg | grep -q 'rust_ipsec: drop'"

# Replay: F sends an ESP packet it already sent; E drops and counts it.
sk "$E" -F
printf '%s\n' "add 10.2.0.1 10.2.0.2 esp 0x1001 -m transport -r 32 -E aes-gcm-16 $k_out;" \
	"add 10.2.0.2 10.2.0.1 esp 0x1002 -m transport -r 32 -E aes-gcm-16 $k_in;" | sk "$E" -c
ip netns exec "$E" sysctl -qw net.ipv4.rust_ipsec.debug=1
before=$(stat_of "$E" DropReplay)
in_before=$(stat_of "$E" EspInPackets)
events "$F" replay
sleep 0.5
after=$(stat_of "$E" DropReplay)
in_after=$(stat_of "$E" EspInPackets)
ktap_check "a replayed ESP packet is counted and dropped twice (DropReplay $before -> $after; EspInPackets $in_before -> $in_after)" \
	test $((after - before)) = 2 || dmesg | grep 'rust_ipsec: drop' | tail -5 | sed 's/^/# /'

ri_netns_cleanup
ktap_finish
