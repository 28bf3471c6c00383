#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ESP tunnel mode (datapath stages 6-7): 4in4 and 6in6 between a host
# running rust_ipsec (T) and one running Linux XFRM (X) with the same keys,
# ping and TCP both ways, only ESP between the tunnel ends on the wire,
# the dfbit and ecn knobs visible in the outer headers; 4in6 and 6in4
# between two rust_ipsec hosts; and a gateway
# topology A -- G1 (rust_ipsec) === G2 (XFRM) -- B where the gateways
# tunnel traffic between the two hosts' subnets (fwd policies).
#
# Host to host:
#
# +------------------+        +------------------+        +------------------+
# | $R: rust_ipsec   |   vr   | $T: rust_ipsec   |   vt   | $X: Linux XFRM   |
# | vr 10.6.0.3      +--------+ vr 10.6.0.1      |        |                  |
# |    fd05::3       |        |    fd05::1       |        |                  |
# |                  |        | vt 10.4.0.1      +--------+ vt 10.4.0.2      |
# |                  |        |    fd04::1       |        |    fd04::2       |
# +------------------+        +------------------+        +------------------+
#
# The links are /24 and /64. The inner addresses, on lo:
#
#           R                        T                        X
# tunnels   192.168.3.1  fd13::1     192.168.1.1  fd11::1     192.168.2.1  fd12::1
# bundle                             192.168.1.2              192.168.2.2
#
# Gateways, tunnelling 10.10.0.0/24 (A's side) and 10.20.0.0/24 (B's) over vg:
#
# +--------------+      +-----------------+      +-----------------+      +--------------+
# | $A           |  va  | $G1: rust_ipsec |  vg  | $G2: XFRM       |  vb  | $B           |
# | va 10.10.0.2 +------+ va 10.10.0.1    |      |                 |      |              |
# |              |      | vg 10.5.0.1     +------+ vg 10.5.0.2     |      |              |
# |              |      |                 |      | vb 10.20.0.1    +------+ vb 10.20.0.2 |
# +--------------+      +-----------------+      +-----------------+      +--------------+

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/module.sh"
. "$(dirname "$0")/lib/net.sh"
. "$(dirname "$0")/lib/topo.sh"
. "$(dirname "$0")/lib/wire.sh"
T=${RI_NS}tnr R=${RI_NS}tnq X=${RI_NS}tnx A=${RI_NS}tna B=${RI_NS}tnb G1=${RI_NS}tg1 G2=${RI_NS}tg2

ri_netns_cleanup
ri_load || { echo "TAP version 13"; echo "not ok 1 module loads"; echo "1..1"; exit 1; }
ktap_header "ESP tunnel mode: rust_ipsec with Linux XFRM, host to host and between gateways"
need_setkey "ESP tunnel mode"

netns_add "$T" "$R" "$X" "$A" "$B" "$G1" "$G2"

# Host to host: T 10.4.0.1 / fd04::1 -- X 10.4.0.2 / fd04::2 on the link;
# the protected addresses are on lo: T 192.168.1.1, fd11::1; X 192.168.2.1,
# fd12::1.
veth "$T" "$X" vt
addrs "$T" vt 10.4.0.1/24 fd04::1/64
addrs "$X" vt 10.4.0.2/24 fd04::2/64
pin_neigh "$T" fd04::1 "$X" fd04::2 vt
addrs "$T" lo 192.168.1.1/32 fd11::1/128
addrs "$X" lo 192.168.2.1/32 fd12::1/128
inner_routes "$T" 192.168.1.1 10.4.0.1 "$X" 192.168.2.1 10.4.0.2
inner_routes "$T" fd11::1 fd04::1 "$X" fd12::1 fd04::2

K1=0x$(hexrange 0 20)
K2=0x$(hexrange 50 70)
sk "$T" -c <<EOF
add 10.4.0.1 10.4.0.2 esp 0x5001 -m tunnel -E aes-gcm-16 $K1;
add 10.4.0.2 10.4.0.1 esp 0x5002 -m tunnel -E aes-gcm-16 $K2;
add fd04::1 fd04::2 esp 0x6001 -m tunnel -E aes-gcm-16 $K1;
add fd04::2 fd04::1 esp 0x6002 -m tunnel -E aes-gcm-16 $K2;
spdadd 192.168.1.1 192.168.2.1 any -P out ipsec esp/tunnel/10.4.0.1-10.4.0.2/require;
spdadd 192.168.2.1 192.168.1.1 any -P in ipsec esp/tunnel/10.4.0.2-10.4.0.1/require;
spdadd fd11::1 fd12::1 any -P out ipsec esp/tunnel/fd04::1-fd04::2/require;
spdadd fd12::1 fd11::1 any -P in ipsec esp/tunnel/fd04::2-fd04::1/require;
EOF
xs() { ip -n "$X" xfrm "$@"; }
xs state add src 10.4.0.1 dst 10.4.0.2 proto esp spi 0x5001 reqid 1 mode tunnel aead 'rfc4106(gcm(aes))' "$K1" 128
xs state add src 10.4.0.2 dst 10.4.0.1 proto esp spi 0x5002 reqid 1 mode tunnel aead 'rfc4106(gcm(aes))' "$K2" 128
xs state add src fd04::1 dst fd04::2 proto esp spi 0x6001 reqid 2 mode tunnel aead 'rfc4106(gcm(aes))' "$K1" 128
xs state add src fd04::2 dst fd04::1 proto esp spi 0x6002 reqid 2 mode tunnel aead 'rfc4106(gcm(aes))' "$K2" 128
xs policy add src 192.168.2.1 dst 192.168.1.1 dir out tmpl src 10.4.0.2 dst 10.4.0.1 proto esp reqid 1 mode tunnel
xs policy add src 192.168.1.1 dst 192.168.2.1 dir in tmpl src 10.4.0.1 dst 10.4.0.2 proto esp reqid 1 mode tunnel
xs policy add src fd12::1 dst fd11::1 dir out tmpl src fd04::2 dst fd04::1 proto esp reqid 2 mode tunnel
xs policy add src fd11::1 dst fd12::1 dir in tmpl src fd04::1 dst fd04::2 proto esp reqid 2 mode tunnel

wire_start host -o "$T" vt "$X" vt
ktap_check "4in4: T pings X's inner address through the tunnel" \
	ip netns exec "$T" ping -c 2 -i 0.2 -W 2 192.168.2.1
ktap_check "4in4: X pings T's inner address" ip netns exec "$X" ping -c 2 -i 0.2 -W 2 192.168.1.1
ktap_check "4in4: TCP from T to X" tcp "$T" "$X" 192.168.2.1
ktap_check "4in4: TCP from X to T" tcp "$X" "$T" 192.168.1.1
ktap_check "6in6: T pings X's inner address" ip netns exec "$T" ping -6 -c 2 -i 0.2 -W 2 fd12::1
ktap_check "6in6: TCP from T to X" tcp "$T" "$X" fd12::1
ktap_check "6in6: TCP from X to T" tcp "$X" "$T" fd11::1
# A bundle: transport-mode ESP between the inner addresses 192.168.1.2 and
# 192.168.2.2, inside the 4in4 tunnel (setkey lists requests innermost
# first, as XFRM lists templates). Both ends require both layers inbound.
addrs "$T" lo 192.168.1.2/32
addrs "$X" lo 192.168.2.2/32
inner_routes "$T" 192.168.1.2 10.4.0.1 "$X" 192.168.2.2 10.4.0.2
K3=0x$(hexrange 100 120)
K4=0x$(hexrange 150 170)
sk "$T" -c <<EOF
add 192.168.1.2 192.168.2.2 esp 0x5101 -m transport -E aes-gcm-16 $K3;
add 192.168.2.2 192.168.1.2 esp 0x5102 -m transport -E aes-gcm-16 $K4;
spdadd 192.168.1.2 192.168.2.2 any -P out ipsec esp/transport//require esp/tunnel/10.4.0.1-10.4.0.2/require;
spdadd 192.168.2.2 192.168.1.2 any -P in ipsec esp/transport//require esp/tunnel/10.4.0.2-10.4.0.1/require;
EOF
xs state add src 192.168.1.2 dst 192.168.2.2 proto esp spi 0x5101 reqid 5 mode transport aead 'rfc4106(gcm(aes))' "$K3" 128
xs state add src 192.168.2.2 dst 192.168.1.2 proto esp spi 0x5102 reqid 5 mode transport aead 'rfc4106(gcm(aes))' "$K4" 128
xs policy add src 192.168.2.2 dst 192.168.1.2 dir out tmpl proto esp reqid 5 mode transport \
	tmpl src 10.4.0.2 dst 10.4.0.1 proto esp reqid 1 mode tunnel
xs policy add src 192.168.1.2 dst 192.168.2.2 dir in tmpl proto esp reqid 5 mode transport \
	tmpl src 10.4.0.1 dst 10.4.0.2 proto esp reqid 1 mode tunnel
ktap_check "bundle (ESP transport inside an ESP tunnel): T pings X" \
	ip netns exec "$T" ping -c 2 -i 0.2 -W 2 192.168.2.2
ktap_check "bundle: X pings T" ip netns exec "$X" ping -c 2 -i 0.2 -W 2 192.168.1.2
ktap_check "bundle: TCP from T to X" tcp "$T" "$X" 192.168.2.2
# Both layers carried the traffic: X's inner transport SA from T counted
# packets, and so did T's from X.
xpk=$(ip -s -n "$X" xfrm state get src 192.168.1.2 dst 192.168.2.2 proto esp spi 0x5101 |
	awk '/lifetime current:/ { getline; sub(/\(bytes\).*/, "", $1); print $1; exit }')
tpk=$(sk "$T" -D | awk '/^192.168.2.2 192.168.1.2/ { s = 1 } s && /\(bytes\)/ { sub(/\(bytes\).*/, "", $2); print $2; exit }')
ktap_check "bundle: both inner SAs carried traffic (bytes: XFRM's 0x5101 ${xpk:-?}, rust_ipsec's 0x5102 ${tpk:-?})" \
	test "${xpk:-0}" -gt 0 -a "${tpk:-0}" -gt 0
wire_stop host
if wire_only_esp host 20 "$WIRE_IP" 'ip proto 50 and host 10.4.0.1 and host 10.4.0.2' \
	'ip6 proto 50 and host fd04::1 and host fd04::2'; then
	ktap_ok "only ESP between the tunnel ends on the wire (IPv4 ${WIRE_N[0]}, IPv6 ${WIRE_N[1]} packets)"
else
	ktap_fail "only ESP between the tunnel ends (IPv4 ${WIRE_N[0]}, IPv6 ${WIRE_N[1]}, other $WIRE_OTHER)"
	wire_diag_other
fi

# Path MTU through the tunnel (IPv6): a 1500-byte packet does not fit the
# link once GCM's ESP and the outer header are added. T answers itself
# with ICMPv6 "packet too big" carrying the MTU that fits, (1500 - 40 - 16
# - 16) & ~3 - 2 = 1426 (XFRM's esp6_get_mtu gives the same), its route
# learns it, and a packet of that size passes.
# - The route goes via X, and the IPv6 route GC (which runs at times of its
#   own) drops an MTU learnt on a route whose gateway is not known to be a
#   router: T's neighbour entry for X says X is one, so the learnt MTU stays
#   (the check below runs the GC first, to be sure).
# - The TCP transfers above may have taught the route that MTU already: T
#   forgets it first by adding the route again (a route's learnt MTUs go
#   with it), so that the ping leaves at 1500 bytes every time.
ip -n "$T" -6 neigh replace fd04::2 lladdr "$(mac "$X" vt)" dev vt nud permanent router
ip -n "$T" -6 route del fd12::1
ip -n "$T" -6 route add fd12::1 via fd04::2 src fd11::1
before=$(stat_of "$T" DropTooBig)
out=$(ip netns exec "$T" ping -6 -c 1 -W 2 -M do -s 1452 fd12::1 2>&1)
after=$(stat_of "$T" DropTooBig)
ktap_check "PMTU 6in6: a 1500-byte packet gets ICMPv6 too big, mtu 1426 (DropTooBig $before -> $after)" \
	test "$after" -gt "$before"
ktap_diag "$(head -2 <<<"$out")"
# The route GC runs now, as it may at any time (writing 1 to the flush
# sysctl runs it at once; "ip route flush cache" would delete the MTU).
ip netns exec "$T" sysctl -qw net.ipv6.route.flush=1
ktap_check "PMTU 6in6: T's route to fd12::1 learnt mtu 1426" \
	bash -c "ip -n $T -6 route get fd12::1 | grep -q 'mtu 1426'"
ktap_check "PMTU 6in6: a 1426-byte packet passes" \
	ip netns exec "$T" ping -6 -c 1 -W 2 -M do -s 1378 fd12::1

# The outer headers: dfbit (0 clear, 1 set, 2 copy) and ecn (RFC 6040).
# ping -Q sets the inner TOS; -M do sets DF on the inner packet.
outer() { # outer DFBIT ECN TOS: prints the first outer header line of T's ESP
	ip netns exec "$T" sysctl -qw net.ipv4.rust_ipsec.dfbit="$1" net.ipv4.rust_ipsec.ecn="$2"
	wire_start outer -t 15 -c 1 -f 'ip proto 50 and src 10.4.0.1' "$X" vt
	ip netns exec "$T" ping -c 1 -W 2 -M do -Q "$3" 192.168.2.1 >/dev/null
	wire_wait outer
	wire_read outer '' -v | head -1
}
o=$(outer 0 1 0xb9)
ktap_check "dfbit=0: outer DF clear; ecn=1: DSCP and ECT(1) copied (tos 0xb9)" \
	bash -c "grep -q 'tos 0xb9' <<<'$o' && ! grep -q 'DF' <<<'$o'"
ktap_diag "$o"
o=$(outer 1 0 0xb9)
ktap_check "dfbit=1: outer DF set; ecn=0: ECN cleared, DSCP kept (tos 0xb8)" \
	bash -c "grep -q 'tos 0xb8' <<<'$o' && grep -q 'DF' <<<'$o'"
ktap_diag "$o"
o=$(outer 2 1 0x03)
ktap_check "dfbit=2: DF copied from the inner packet; ecn=1 copies CE (tos 0x3)" \
	bash -c "grep -q 'tos 0x3' <<<'$o' && grep -q 'DF' <<<'$o'"
ktap_diag "$o"
ip netns exec "$T" sysctl -qw net.ipv4.rust_ipsec.dfbit=0 net.ipv4.rust_ipsec.ecn=0

# Mixed families between two rust_ipsec hosts: IPv4 inside IPv6 (4in6)
# and IPv6 inside IPv4 (6in4). T (fd05::1, 10.6.0.1) -- R (fd05::3,
# 10.6.0.3); inner addresses on lo: T 192.168.1.1 and fd11::1, R
# 192.168.3.1 and fd13::1.
veth "$T" "$R" vr
addrs "$T" vr 10.6.0.1/24 fd05::1/64
addrs "$R" vr 10.6.0.3/24 fd05::3/64
pin_neigh "$T" fd05::1 "$R" fd05::3 vr
addrs "$R" lo 192.168.3.1/32 fd13::1/128
# The inner routes point into the tunnel's link; the SPD does the rest.
ip -n "$T" route add 192.168.3.1/32 dev vr src 192.168.1.1
ip -n "$R" route add 192.168.1.1/32 dev vr src 192.168.3.1
inner_routes "$T" fd11::1 fd05::1 "$R" fd13::1 fd05::3
mixed_sas() { # the SAs both ends share
	cat <<EOF
add fd05::1 fd05::3 esp 0x8001 -m tunnel -E aes-gcm-16 $K1;
add fd05::3 fd05::1 esp 0x8002 -m tunnel -E aes-gcm-16 $K2;
add 10.6.0.1 10.6.0.3 esp 0x8003 -m tunnel -E aes-gcm-16 $K1;
add 10.6.0.3 10.6.0.1 esp 0x8004 -m tunnel -E aes-gcm-16 $K2;
EOF
}
{ mixed_sas; cat <<EOF
spdadd 192.168.1.1 192.168.3.1 any -P out ipsec esp/tunnel/fd05::1-fd05::3/require;
spdadd 192.168.3.1 192.168.1.1 any -P in ipsec esp/tunnel/fd05::3-fd05::1/require;
spdadd fd11::1 fd13::1 any -P out ipsec esp/tunnel/10.6.0.1-10.6.0.3/require;
spdadd fd13::1 fd11::1 any -P in ipsec esp/tunnel/10.6.0.3-10.6.0.1/require;
EOF
} | sk "$T" -c
{ mixed_sas; cat <<EOF
spdadd 192.168.3.1 192.168.1.1 any -P out ipsec esp/tunnel/fd05::3-fd05::1/require;
spdadd 192.168.1.1 192.168.3.1 any -P in ipsec esp/tunnel/fd05::1-fd05::3/require;
spdadd fd13::1 fd11::1 any -P out ipsec esp/tunnel/10.6.0.3-10.6.0.1/require;
spdadd fd11::1 fd13::1 any -P in ipsec esp/tunnel/10.6.0.1-10.6.0.3/require;
EOF
} | sk "$R" -c
wire_start mixed -o "$T" vr "$R" vr
ktap_check "4in6 between two rust_ipsec hosts: ping" ip netns exec "$T" ping -c 2 -i 0.2 -W 2 192.168.3.1
ktap_check "4in6: TCP" tcp "$T" "$R" 192.168.3.1
ktap_check "6in4 between two rust_ipsec hosts: ping" ip netns exec "$T" ping -6 -c 2 -i 0.2 -W 2 fd13::1
ktap_check "6in4: TCP" tcp "$R" "$T" fd11::1
wire_stop mixed
if wire_only_esp mixed 20 "$WIRE_IP" 'ip6 proto 50' 'ip proto 50'; then
	ktap_ok "mixed families: only ESP on the wire (over IPv6 ${WIRE_N[0]}, over IPv4 ${WIRE_N[1]}, other $WIRE_OTHER)"
else
	ktap_fail "mixed families: only ESP on the wire (over IPv6 ${WIRE_N[0]}, over IPv4 ${WIRE_N[1]}, other $WIRE_OTHER)"
	wire_diag_other
fi

# Gateways: A 10.10.0.2 -- G1 (10.10.0.1; 10.5.0.1) === G2 (10.5.0.2;
# 10.20.0.1) -- B 10.20.0.2. G1 runs rust_ipsec, G2 Linux XFRM.
veth "$A" "$G1" va
veth "$G1" "$G2" vg
veth "$G2" "$B" vb
addrs "$A" va 10.10.0.2/24
addrs "$G1" va 10.10.0.1/24
addrs "$G1" vg 10.5.0.1/24
addrs "$G2" vg 10.5.0.2/24
addrs "$G2" vb 10.20.0.1/24
addrs "$B" vb 10.20.0.2/24
ip -n "$A" route add default via 10.10.0.1
ip -n "$B" route add default via 10.20.0.1
ip -n "$G1" route add 10.20.0.0/24 via 10.5.0.2
ip -n "$G2" route add 10.10.0.0/24 via 10.5.0.1
for g in "$G1" "$G2"; do ip netns exec "$g" sysctl -qw net.ipv4.ip_forward=1; done
sk "$G1" -c <<EOF
add 10.5.0.1 10.5.0.2 esp 0x7001 -m tunnel -E aes-cbc 0x$(hexrange 0 16) -A hmac-sha256 0x$(hexrange 0 32);
add 10.5.0.2 10.5.0.1 esp 0x7002 -m tunnel -E aes-cbc 0x$(hexrange 16 32) -A hmac-sha256 0x$(hexrange 32 64);
spdadd 10.10.0.0/24 10.20.0.0/24 any -P out ipsec esp/tunnel/10.5.0.1-10.5.0.2/require;
spdadd 10.20.0.0/24 10.10.0.0/24 any -P fwd ipsec esp/tunnel/10.5.0.2-10.5.0.1/require;
EOF
xg() { ip -n "$G2" xfrm "$@"; }
xg state add src 10.5.0.1 dst 10.5.0.2 proto esp spi 0x7001 reqid 3 mode tunnel \
	enc 'cbc(aes)' 0x$(hexrange 0 16) \
	auth-trunc 'hmac(sha256)' 0x$(hexrange 0 32) 128
xg state add src 10.5.0.2 dst 10.5.0.1 proto esp spi 0x7002 reqid 3 mode tunnel \
	enc 'cbc(aes)' 0x$(hexrange 16 32) \
	auth-trunc 'hmac(sha256)' 0x$(hexrange 32 64) 128
xg policy add src 10.20.0.0/24 dst 10.10.0.0/24 dir out tmpl src 10.5.0.2 dst 10.5.0.1 proto esp reqid 3 mode tunnel
xg policy add src 10.10.0.0/24 dst 10.20.0.0/24 dir fwd tmpl src 10.5.0.1 dst 10.5.0.2 proto esp reqid 3 mode tunnel
xg policy add src 10.10.0.0/24 dst 10.20.0.0/24 dir in tmpl src 10.5.0.1 dst 10.5.0.2 proto esp reqid 3 mode tunnel

wire_start gw -o "$G1" vg "$G2" vg
ktap_check "gateways: A pings B through G1 (rust_ipsec) and G2 (XFRM)" \
	ip netns exec "$A" ping -c 3 -i 0.2 -W 2 10.20.0.2
ktap_check "gateways: B pings A" ip netns exec "$B" ping -c 3 -i 0.2 -W 2 10.10.0.2
ktap_check "gateways: TCP from A to B" tcp "$A" "$B" 10.20.0.2
ktap_check "gateways: TCP from B to A" tcp "$B" "$A" 10.10.0.2
wire_stop gw
if wire_only_esp gw 20 ip 'ip proto 50'; then
	ktap_ok "gateways: only ESP between G1 and G2 (${WIRE_N[0]} ESP packets, $WIRE_OTHER other)"
else
	ktap_fail "gateways: only ESP between G1 and G2 (${WIRE_N[0]} ESP packets, $WIRE_OTHER other)"
	wire_diag_other
fi
# Path MTU through the tunnel (IPv4): a 1500-byte packet with DF from A
# does not fit G1's tunnel once ESP is added (AES-CBC, 16-byte blocks:
# (1500 - 20 - 8 - 16 - 16) & ~15 - 2 = 1438). G1 answers with ICMP
# "fragmentation needed", mtu 1438; A's route learns it; 1438 bytes pass.
# (The TCP transfers above already taught A the MTU, B's MSS being
# XFRM's unclamped one: forget it first.)
ip -n "$A" route flush cache
before=$(stat_of "$G1" DropTooBig)
out=$(ip netns exec "$A" ping -c 1 -W 2 -M do -s 1472 10.20.0.2 2>&1)
after=$(stat_of "$G1" DropTooBig)
ktap_check "PMTU 4in4: a 1500-byte DF packet gets ICMP fragmentation needed, mtu 1438, from G1 (DropTooBig $before -> $after)" \
	bash -c "grep -qE 'mtu ?= ?1438' <<<'$out' && test $after -gt $before"
ktap_diag "$(head -2 <<<"$out")"
ktap_check "PMTU 4in4: A's route to B learnt mtu 1438" \
	bash -c "ip -n $A route get 10.20.0.2 | grep -q 'mtu 1438'"
ktap_check "PMTU 4in4: a 1438-byte DF packet passes" \
	ip netns exec "$A" ping -c 1 -W 2 -M do -s 1410 10.20.0.2

# A packet from B's subnet that arrives at G1 in the clear is refused by
# the fwd policy (it must come through the tunnel).
before=$(stat_of "$G1" DropPolicyViolation)
ip -n "$G2" xfrm policy flush
ip netns exec "$B" ping -c 2 -i 0.2 -W 1 10.10.0.2 >/dev/null 2>&1
after=$(stat_of "$G1" DropPolicyViolation)
ktap_check "gateways: cleartext the fwd policy requires protection for is dropped (DropPolicyViolation $before -> $after)" \
	test "$after" -gt "$before"
ip netns exec "$G1" cat /proc/net/rust_ipsec_stat | grep -v '	0$' | sed 's/^/# /'

ri_netns_cleanup
ktap_finish
