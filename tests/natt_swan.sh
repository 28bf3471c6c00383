#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# NAT traversal with a real key daemon: a road warrior (R) behind a NAT
# (N, nftables masquerade) runs strongSwan's charon with kernel-pfkey on
# rust_ipsec and negotiates an IKEv2 tunnel (R's site 10.9.1.1 to G's site
# 10.9.2.1, AES-GCM-128) with a gateway (G) running charon on Linux XFRM
# (kernel-netlink), and in a second run on rust_ipsec (kernel-pfkey). Each
# run shows:
#
#   - both charons detect the NAT, and only UDP 4500 (IKE and ESP in UDP)
#     crosses between N and G: no bare ESP;
#   - ping both ways and TCP through the tunnel;
#   - NAT keepalives from R (charon's keep_alive, 2 s here) on the wire,
#     and on a rust_ipsec gateway consumed (DropNattKeepalive);
#   - a NAT mapping change: N forgets its mappings (conntrack -F) and
#     masquerades UDP to ports 40000-40099 from then on, so R's packets
#     reach G from a new port (whichever N chose: conntrack says). G's kernel tells its charon (XFRM_MSG_MAPPING, or
#     rust_ipsec's SADB_X_NAT_T_NEW_MAPPING), charon updates the SAs, and
#     traffic from G reaches R again;
#   - terminate: R's SADB and SPD are empty again.
#
# +---------------------+      +----------------------+      +----------------------+
# | $R: road warrior    |  vr  | $N: NAT              |  vg  | $G: gateway          |
# | rust_ipsec + charon +------+ vr 10.8.1.1          |      | XFRM or rust_ipsec,  |
# | (kernel-pfkey)      |      | vg 10.8.2.1          +------+ charon               |
# | vr 10.8.1.2         |      | masquerade out of vg |      | vg 10.8.2.2          |
# | lo 10.9.1.1 (site)  |      |                      |      | lo 10.9.2.1 (site)   |
# +---------------------+      +----------------------+      +----------------------+

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/module.sh"
. "$(dirname "$0")/lib/net.sh"
. "$(dirname "$0")/lib/topo.sh"
. "$(dirname "$0")/lib/wire.sh"
. "$(dirname "$0")/lib/charon.sh"
R=${RI_NS}nsr N=${RI_NS}nsn G=${RI_NS}nsg

ri_netns_cleanup
ri_load || { echo "TAP version 13"; echo "not ok 1 module loads"; echo "1..1"; exit 1; }
ktap_header "NAT-T with strongSwan: a road warrior on rust_ipsec behind an nftables NAT"
need_setkey "NAT-T with strongSwan"
why=$(charon_missing)
for tool in nft conntrack; do
	command -v "$tool" >/dev/null || why+="${why:+; }no $tool (apt-get install nftables conntrack)"
done
if [[ -n $why ]]; then
	ktap_skip "NAT-T with strongSwan" "$why"
	ktap_finish
fi

netns_add "$R" "$N" "$G"
veth "$R" "$N" vr
veth "$N" "$G" vg
addrs "$R" vr 10.8.1.2/24
addrs "$N" vr 10.8.1.1/24
addrs "$N" vg 10.8.2.1/24
addrs "$G" vg 10.8.2.2/24
addrs "$R" lo 10.9.1.1/32
addrs "$G" lo 10.9.2.1/32
ip -n "$R" route add default via 10.8.1.1
ip netns exec "$N" sysctl -qw net.ipv4.ip_forward=1
# masquerade [RANGE]: N's NAT, source ports kept where free, or (UDP)
# taken from RANGE.
masquerade() {
	ip netns exec "$N" nft -f - <<EOF
flush ruleset
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat;
		oifname "vg" meta l4proto udp masquerade ${1:+to :$1}
		oifname "vg" masquerade
	}
}
EOF
}
masquerade

RETRANSMIT="retransmit_timeout = 2
	retransmit_base = 1.5
	retransmit_tries = 4"
CHILD="mode = tunnel
				esp_proposals = aes128gcm16"

# run KERNEL: one run with G's charon on KERNEL (netlink: XFRM; pfkey:
# rust_ipsec).
run() {
	local k=$1 name wire ka0 ka1 ka n i ok port r=r-$1 g=g-$1
	name="G on $([[ $k == pfkey ]] && echo rust_ipsec || echo XFRM)"
	charon_start_case "$name: charon starts on R (kernel-pfkey)" "$r" "$R" pfkey "$RETRANSMIT
	keep_alive = 2s"
	charon_start_case "$name: charon starts on G ($k)" "$g" "$G" "$k" "$RETRANSMIT"
	swanctl_conf "$r" "$(conn rw 10.8.1.2 10.8.2.2 "$CHILD
				local_ts = 10.9.1.1/32
				remote_ts = 10.9.2.1/32")"
	swanctl_conf "$g" "$(conn rw 10.8.2.2 %any "$CHILD
				local_ts = 10.9.2.1/32
				remote_ts = 10.9.1.1/32")"
	if ! { charon_load "$r" && charon_load "$g"; } >"$CHARON_ROOT/load" 2>&1; then
		ktap_diag "$name: swanctl did not load: $(grep -v 'opening directory' "$CHARON_ROOT/load" | tail -n 3)"
	fi
	wire=nat-$k
	wire_start "$wire" -o "$N" vg "$G" vg
	if ! ktap_check "$name: R initiates through the NAT, the CHILD_SA is up" up "$r" rw; then
		charon_diag "$r"
		charon_diag "$g"
	fi
	ktap_check "$name: both detect the NAT (R: local host behind NAT, G: remote host behind NAT)" \
		test "$(log_count "$r" 'local host is behind NAT')" -gt 0 -a "$(log_count "$g" 'remote host is behind NAT')" -gt 0
	ktap_check "$name: R's site pings G's site" ip netns exec "$R" ping -c 3 -i 0.2 -W 2 10.9.2.1
	ktap_check "$name: G's site pings R's site" ip netns exec "$G" ping -c 3 -i 0.2 -W 2 10.9.1.1
	ktap_check "$name: TCP from R's site to G's" tcp "$R" "$G" 10.9.2.1
	ka0=0
	[[ $k == pfkey ]] && ka0=$(stat_of "$G" DropNattKeepalive)
	sleep 5
	ka1=$(stat_of "$G" DropNattKeepalive)
	wire_stop "$wire"
	n=$(wire_count "$wire" 'udp and src host 10.8.2.1 and dst port 4500 and udp[4:2] > 9')
	ka=$(wire_count "$wire" 'udp and src host 10.8.2.1 and dst port 4500 and udp[4:2] == 9')
	ktap_check "$name: only UDP 4500 between N and G ($n from N, $ka keepalives, bare ESP $(wire_count "$wire" 'ip proto 50'), other $(wire_count "$wire" 'ip and not udp port 4500 and not udp port 500'))" \
		test "$n" -gt 10 -a "$(wire_count "$wire" 'ip proto 50')" -eq 0 -a \
		"$(wire_count "$wire" 'ip and not udp port 4500 and not udp port 500')" -eq 0
	if [[ $k == pfkey ]]; then
		ktap_check "$name: R's keepalives reached G ($ka seen) and rust_ipsec consumed them (DropNattKeepalive $ka0 -> $ka1)" \
			test "$ka" -gt 0 -a "${ka1:-0}" -gt "${ka0:-0}"
	else
		ktap_check "$name: R's keepalives reached G ($ka seen)" test "$ka" -gt 0
	fi

	# The NAT re-maps: its mappings are flushed and new ones take ports
	# 40000-40099, so R's next packets come from a port G does not know.
	masquerade 40000-40099 || ktap_diag "$name: nft did not take the new NAT rule"
	ip netns exec "$N" conntrack -F >/dev/null 2>&1
	wire_start "$wire-remap" "$G" vg
	ok=1
	for ((i = 0; i < 15; i++)); do
		ip netns exec "$R" ping -c 1 -W 1 10.9.2.1 >/dev/null 2>&1 && { ok=0; break; }
	done
	ktap_check "$name: after the NAT re-mapped, R's site reaches G's site again" test "$ok" -eq 0
	for ((i = 0; i < 15; i++)); do
		ip netns exec "$G" ping -c 1 -W 1 10.9.1.1 >/dev/null 2>&1 && break
	done
	if ! ktap_check "$name: G follows the new mapping: G's site pings R's site" \
		ip netns exec "$G" ping -c 3 -i 0.2 -W 2 10.9.1.1; then
		grep -E 'mapping|update|SAD entry|NAT' "$(charon_dir "$g")/charon.log" | tail -n 12 | sed 's/^/# G: /'
		sk "$G" -D 2>&1 | grep -E '^[0-9]|esp' | sed 's/^/# G SADB: /'
	fi
	wire_stop "$wire-remap"
	# The port N maps R's 4500 to now: the reply direction's dport.
	port=$(ip netns exec "$N" conntrack -L -p udp -s 10.8.1.2 --sport 4500 2>/dev/null |
		grep -o 'dport=[0-9]*' | tail -n 1 | cut -d= -f2)
	n=$(wire_count "$wire-remap" "udp and dst host 10.8.2.1 and dst port ${port:-0}")
	ktap_check "$name: G's ESP now goes to the NAT's new port ($n packets to ${port:-?})" \
		test "${port:-4500}" -ne 4500 -a "$n" -gt 0
	ktap_check "$name: G's charon was told of the new mapping" \
		test "$(log_count "$g" 'NAT mappings of CHILD_SA')" -gt 0
	ktap_check "$name: R terminates, G answers" down "$r" rw
	ktap_check "$name: charon stops on R (SIGTERM)" charon_stop "$r"
	ktap_check "$name: charon stops on G (SIGTERM)" charon_stop "$g"
	local d
	d=$(sk "$R" -D 2>&1; sk "$R" -DP 2>&1)
	ktap_expect "$name: afterwards R's SADB and SPD are empty" $'No SAD entries.\nNo SPD entries.' "$d"
	masquerade
	ip netns exec "$N" conntrack -F >/dev/null 2>&1
}

run netlink
run pfkey

ip netns del "$R"
ip netns del "$N"
ip netns del "$G"
ktap_finish
