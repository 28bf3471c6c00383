#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Datapath stages 0, 2 and 3a (Documentation/design/datapath-plan.rst): the netfilter
# hooks of every namespace leave a namespace alone while it is inactive
# (def_policy 1, no SA, no policy), so Linux XFRM between two namespaces
# works with rust_ipsec loaded and our counters stay 0; activating a
# namespace (def_policy 0, or an SA through setkey) makes the hooks count
# its packets in /proc/net/rust_ipsec_stat, per family; unloading while
# traffic flows and deleting namespaces with hooks registered is clean
# (vm-run fails the run on any KASAN/lockdep/kmemleak report). Every ESP
# algorithm's SA gets a keyed crypto transform at ADD; DELETE and FLUSH
# free them. Policies are enforced: discard, none, require without an SA,
# use, inbound require against cleartext, ESP for an unknown SPI.
#
# +-----------------------------+         +-----------------------------+
# | $A: Linux XFRM, rust_ipsec  |         | $B: Linux XFRM              |
# | (active: def_policy, an SA) |         |                             |
# |                             |  veth0  |                             |
# | veth0 10.0.0.1/24           +---------+ veth0 10.0.0.2/24           |
# |       fd00::1/64            |         |       fd00::2/64            |
# +-----------------------------+         +-----------------------------+
#
# +-----------------------------+         +-----------------------------+
# | $C: rust_ipsec              |  veth1  | $D: rust_ipsec              |
# | veth1 10.1.0.1/24           +---------+ veth1 10.1.0.2/24           |
# +-----------------------------+         +-----------------------------+
#
# Both links keep the veth's offloads. ${RI_NS}dpe, made at the end, has
# no link.

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/module.sh"
. "$(dirname "$0")/lib/net.sh"
. "$(dirname "$0")/lib/topo.sh"
. "$(dirname "$0")/lib/wire.sh"
A=${RI_NS}dpa B=${RI_NS}dpb

ri_netns_cleanup
ri_load || { echo "TAP version 13"; echo "not ok 1 module loads"; echo "1..1"; exit 1; }
ktap_header "datapath hooks: inactive namespaces untouched, active ones counted"

netns_add "$A" "$B"
veth "$A" "$B" veth0 offload
addrs "$A" veth0 10.0.0.1/24 fd00::1/64
addrs "$B" veth0 10.0.0.2/24 fd00::2/64

# Linux XFRM, AES-GCM-16 transport, both directions, in both namespaces.
K1=0x000102030405060708090a0b0c0d0e0f01020304
K2=0x101112131415161718191a1b1c1d1e1f05060708
for ns in "$A" "$B"; do
	ip -n "$ns" xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x1001 reqid 1 \
		mode transport aead 'rfc4106(gcm(aes))' $K1 128
	ip -n "$ns" xfrm state add src 10.0.0.2 dst 10.0.0.1 proto esp spi 0x1002 reqid 1 \
		mode transport aead 'rfc4106(gcm(aes))' $K2 128
done
ip -n "$A" xfrm policy add src 10.0.0.1 dst 10.0.0.2 dir out tmpl proto esp reqid 1 mode transport
ip -n "$A" xfrm policy add src 10.0.0.2 dst 10.0.0.1 dir in tmpl proto esp reqid 1 mode transport
ip -n "$B" xfrm policy add src 10.0.0.2 dst 10.0.0.1 dir out tmpl proto esp reqid 1 mode transport
ip -n "$B" xfrm policy add src 10.0.0.1 dst 10.0.0.2 dir in tmpl proto esp reqid 1 mode transport

wire_start xfrm "$B" veth0
ktap_check "ping over Linux XFRM ESP between two namespaces, rust_ipsec loaded" \
	ip netns exec "$A" ping -c 3 -i 0.2 -W 2 10.0.0.2
wire_stop xfrm
# At least 6 ESP packets (3 pings, 3 replies), no ICMP.
if wire_only_esp xfrm 5 icmp esp; then
	ktap_ok "the link carried ${WIRE_N[0]} ESP packets and no cleartext ICMP"
else
	ktap_fail "the link carried ESP only (esp=${WIRE_N[0]}, cleartext icmp=$WIRE_OTHER)"
fi
out=$(stat_of "$A" Ipv4OutPackets) in=$(stat_of "$A" Ipv4InPackets)
if [[ $out == 0 && $in == 0 ]]; then
	ktap_ok "an inactive namespace is left alone: rust_ipsec counted nothing (out=$out in=$in)"
else
	ktap_fail "an inactive namespace is left alone (out=$out in=$in)"
fi

# def_policy 0 for IPv4 activates IPv4 only: with no policy, everything
# IPv4 is dropped (KAME's ip4_def_policy), IPv6 untouched.
ip netns exec "$A" sysctl -qw net.ipv4.rust_ipsec.def_policy=0
if ip netns exec "$A" ping -c 2 -i 0.2 -W 1 10.0.0.2 >/dev/null; then
	ktap_fail "net.ipv4.rust_ipsec.def_policy=0 drops IPv4 without a policy (ping got through)"
else
	out=$(stat_of "$A" Ipv4OutPackets) drops=$(stat_of "$A" DropDefaultPolicy)
	if ((out >= 2 && drops >= 2)); then
		ktap_ok "def_policy=0 activates IPv4 and drops it: out $out, DropDefaultPolicy $drops"
	else
		ktap_fail "def_policy=0 activates IPv4 and drops it (out=$out drops=$drops)"
	fi
fi
ip netns exec "$A" ping -c 2 -i 0.2 -W 2 fd00::2 >/dev/null
v6=$(stat_of "$A" Ipv6OutPackets)
ktap_check "IPv6 stays inactive (its def_policy is 1): Ipv6OutPackets=$v6" test "$v6" = 0
ip netns exec "$A" sysctl -qw net.ipv4.rust_ipsec.def_policy=1
before=$(stat_of "$A" Ipv4OutPackets)
ktap_check "def_policy back to 1: XFRM traffic flows again" ip netns exec "$A" ping -c 2 -i 0.2 -W 2 10.0.0.2
after=$(stat_of "$A" Ipv4OutPackets)
ktap_check "and the namespace is inactive again (Ipv4OutPackets $before -> $after)" test "$before" = "$after"

# An SA (through setkey) activates both families.
if [[ -x $SK ]]; then
	echo 'add 10.9.0.1 10.9.0.2 esp 0x77 -E aes-gcm-16 0x00112233445566778899aabbccddeeff00112233;' |
		ip netns exec "$A" "$SK" -c
	ip netns exec "$A" ping -c 2 -i 0.2 -W 2 fd00::2 >/dev/null
	v6=$(stat_of "$A" Ipv6OutPackets)
	ktap_check "an SA activates IPv6 too: Ipv6OutPackets=$v6" test "$v6" -ge 2
	ip netns exec "$A" "$SK" -F
	before=$(stat_of "$A" Ipv6OutPackets)
	ip netns exec "$A" ping -c 2 -i 0.2 -W 2 fd00::2 >/dev/null
	after=$(stat_of "$A" Ipv6OutPackets)
	ktap_check "after setkey -F the namespace is inactive again ($before -> $after)" test "$before" = "$after"
else
	ktap_skip "an SA activates IPv6 too" "no setkey binary at $SK (make tools)"
fi

# Policy enforcement (stage 3a) between two namespaces without XFRM.
C=${RI_NS}dpc D=${RI_NS}dpd
netns_add "$C" "$D"
veth "$C" "$D" veth1 offload
addrs "$C" veth1 10.1.0.1/24
addrs "$D" veth1 10.1.0.2/24
pings() { ip netns exec "$C" ping -c 2 -i 0.2 -W 1 10.1.0.2 >/dev/null 2>&1; }
# expect_ping yes|no DESCRIPTION COUNTER-NS COUNTER: one case.
expect_ping() {
	local want=$1 desc=$2 ns=$3 counter=$4 before after got
	before=$(stat_of "$ns" "$counter")
	if pings; then got=yes; else got=no; fi
	after=$(stat_of "$ns" "$counter")
	if [[ $got == "$want" ]] && { [[ $want == yes ]] || ((after > before)); }; then
		ktap_ok "$desc ($counter $before -> $after)"
	else
		ktap_fail "$desc (ping got through: $got; $counter $before -> $after)"
	fi
}
if [[ -x $SK ]]; then
	ktap_check "no policies: C pings D" pings
	echo 'spdadd 10.1.0.1 10.1.0.2 icmp -P out discard;' | sk "$C" -c
	expect_ping no "an out discard policy drops ICMP" "$C" DropPolicyDiscard
	echo 'spdupdate 10.1.0.1 10.1.0.2 icmp -P out none;' | sk "$C" -c
	expect_ping yes "replaced by an out none policy: ICMP passes" "$C" DropPolicyDiscard
	echo 'spdupdate 10.1.0.1 10.1.0.2 icmp -P out ipsec esp/transport//require;' | sk "$C" -c
	expect_ping no "esp/transport//require without an SA drops" "$C" DropNoSa
	echo 'spdupdate 10.1.0.1 10.1.0.2 icmp -P out ipsec esp/transport//use;' | sk "$C" -c
	expect_ping yes "esp/transport//use without an SA sends in the clear" "$C" DropNoSa
	echo 'add 10.1.0.1 10.1.0.2 esp 0x501 -m transport -E aes-gcm-16 0x00112233445566778899aabbccddeeff00112233;' |
		sk "$C" -c
	expect_ping no "with an SA in C, use sends ESP (D has none, so no reply)" "$C" EspOutPackets
	sk "$C" -F
	sk "$C" -FP
	echo 'spdadd 10.1.0.1 10.1.0.2 any -P in ipsec esp/transport//require;' | sk "$D" -c
	expect_ping no "D's in require policy drops C's cleartext ICMP" "$D" DropPolicyViolation
	before=$(stat_of "$D" DropUnknownSpi)
	ip netns exec "$C" python3 -S -c '
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
s.sendto(struct.pack("!II", 0xdead, 1) + bytes(32), ("10.1.0.2", 0))'
	sleep 0.5
	after=$(stat_of "$D" DropUnknownSpi)
	ktap_check "ESP for an unknown SPI is counted and dropped (DropUnknownSpi $before -> $after)" \
		test "$after" -gt "$before"
	sk "$D" -FP
	ktap_check "after spdflush C pings D again" pings
	# Host policies are indexed apart from prefix ones; priority still
	# decides between the two kinds.
	printf '%s\n' 'spdadd 10.1.0.1 10.1.0.2 icmp -P out none;' \
		'spdadd 10.1.0.0/24 10.1.0.0/24 icmp -P out prio high discard;' | sk "$C" -c
	expect_ping no "a /24 discard policy ranked before a host none policy wins" "$C" DropPolicyDiscard
	sk "$C" -FP
	printf '%s\n' 'spdadd 10.1.0.1 10.1.0.2 icmp -P out prio high none;' \
		'spdadd 10.1.0.0/24 10.1.0.0/24 icmp -P out discard;' | sk "$C" -c
	ktap_check "a host none policy ranked before a /24 discard policy wins" pings
	sk "$C" -FP
else
	ktap_skip "policy enforcement" "no setkey binary at $SK (make tools)"
fi

# Every ESP algorithm gets a keyed crypto API transform at ADD.
if [[ -x $SK ]]; then
	conf=$(dirname "$0")/datapath/every-alg.conf
	want=$(grep -c '^add' "$conf")
	if out=$(ip netns exec "$A" "$SK" -f "$conf" 2>&1); then
		ktap_ok "setkey -f datapath/every-alg.conf: $want SAs, one per ESP algorithm"
	else
		ktap_fail "setkey -f datapath/every-alg.conf"
		printf '# %s\n' "$out"
	fi
	got=$(stat_of "$A" Sas)
	ktap_check "each has a keyed transform (rust_ipsec_stat Sas=$got, want $want)" test "$got" = "$want"
	ip netns exec "$A" "$SK" -c <<<'delete 10.0.0.1 10.0.0.2 esp 0x2001;'
	got=$(stat_of "$A" Sas)
	ktap_check "DELETE drops its transform (Sas=$got)" test "$got" = $((want - 1))
	ip netns exec "$A" "$SK" -F
	got=$(stat_of "$A" Sas)
	ktap_check "FLUSH drops them all (Sas=$got)" test "$got" = 0
else
	ktap_skip "transforms per SA" "no setkey binary at $SK (make tools)"
fi

# Unload while traffic flows in an active namespace, then delete them.
ip netns exec "$A" sysctl -qw net.ipv4.rust_ipsec.def_policy=0
ip netns exec "$A" ping -f -c 2000 10.0.0.2 >/dev/null 2>&1 &
fpid=$!
sleep 1
ktap_check "rmmod while pinging through active hooks" rmmod rust_ipsec
wait "$fpid"
ktap_check "ping over XFRM still works after rmmod" ip netns exec "$A" ping -c 1 -W 2 10.0.0.2
ri_load
ktap_check "the module loads again with the namespaces alive" test -d /sys/module/rust_ipsec
ktap_check "a namespace created after loading has the stat file" \
	bash -c "ip netns add ${RI_NS}dpe && ip netns exec ${RI_NS}dpe cat /proc/net/rust_ipsec_stat | grep -q Ipv4InPackets"
ri_netns_cleanup
ktap_finish
