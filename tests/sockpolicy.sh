#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Per-socket policies (ipsec(4), ipsec_set_policy(3)): setsockopt
# IP_IPSEC_POLICY / IPV6_IPSEC_POLICY with discard, none, entrust, bypass
# and ipsec, enforced by rust_ipsec ahead of the SPD for the socket's
# packets in both directions, inherited by accepted sockets; refused
# values (errno, log line, old policy kept) and privileges.
#
# +----------------------+         +----------------------+
# | $A: rust_ipsec       |   vs    | $B: rust_ipsec       |
# | vs 10.7.0.1/24       +---------+ vs 10.7.0.2/24       |
# |    fd07::1/64        |         |    fd07::2/64        |
# +----------------------+         +----------------------+
#
# Both hosts have ESP transport SAs for each other (AES-GCM). First the
# SPD of both requires ESP for all their traffic, then it is empty. Each
# case is one request and its echo (tests/sockpolicy/sockpol.py) between
# sockets with the policies named, over one of IPv4/IPv6 and TCP/UDP
# (pairwise: each form over some of each), on a port of its own. Whether
# ESP carried it is read from /proc/net/rust_ipsec_stat's EspOutPackets.

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/module.sh"
. "$(dirname "$0")/lib/net.sh"
. "$(dirname "$0")/lib/topo.sh"
here=$(cd "$(dirname "$0")" && pwd)
A=${RI_NS}spa B=${RI_NS}spb
TOOL=$here/sockpolicy/sockpol.py

ri_netns_cleanup
ri_load || { echo "TAP version 13"; echo "not ok 1 module loads"; echo "1..1"; exit 1; }
ktap_header "per-socket policies: IP_IPSEC_POLICY and IPV6_IPSEC_POLICY"
need_setkey "per-socket policies"

netns_add "$A" "$B"
veth "$A" "$B" vs
addrs "$A" vs 10.7.0.1/24 fd07::1/64
addrs "$B" vs 10.7.0.2/24 fd07::2/64
pin_neigh "$A" fd07::1 "$B" fd07::2 vs

servers=()
cleanup() {
	local p
	for p in "${servers[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}
trap cleanup EXIT

# serve NS KIND ADDR PORT POLICY...: an echo server in NS, ready on return
# (up to 30 s: Python starts slowly under TCG on a busy machine).
serve() {
	local ns=$1 out i
	shift
	out=$(mktemp)
	ip netns exec "$ns" python3 -S "$TOOL" serve "$@" >"$out" 2>&1 &
	servers+=($!)
	for ((i = 0; i < 300; i++)); do
		grep -q ready "$out" && return 0
		sleep 0.1
	done
	ktap_diag "server $*: $(cat "$out")"
}
# ask NS KIND ADDR PORT POLICY...: one request; prints echo, timeout, an
# errno name, or "killed after 60 s".
ask() {
	local ns=$1
	shift
	ip netns exec "$ns" timeout 60 python3 -S "$TOOL" ask "$@" 2>&1 || [[ $? != 124 ]] || echo "killed after 60 s"
}
# esp_out NS: ESP packets NS has sent so far.
esp_out() { stat_of "$1" EspOutPackets; }

K1=0x$(hexrange 0 20)
K2=0x$(hexrange 50 70)
for ns in "$A" "$B"; do
	sk "$ns" -c <<EOF
add 10.7.0.1 10.7.0.2 esp 0x7001 -m transport -E aes-gcm-16 $K1;
add 10.7.0.2 10.7.0.1 esp 0x7002 -m transport -E aes-gcm-16 $K2;
add fd07::1 fd07::2 esp 0x7003 -m transport -E aes-gcm-16 $K1;
add fd07::2 fd07::1 esp 0x7004 -m transport -E aes-gcm-16 $K2;
EOF
done
# spd NS LOCAL4 PEER4 LOCAL6 PEER6: NS requires ESP for everything with
# its peer.
spd() {
	sk "$1" -c <<EOF
spdadd $2 $3 any -P out ipsec esp/transport//require;
spdadd $3 $2 any -P in ipsec esp/transport//require;
spdadd $4 $5 any -P out ipsec esp/transport//require;
spdadd $5 $4 any -P in ipsec esp/transport//require;
EOF
}
spd "$A" 10.7.0.1 10.7.0.2 fd07::1 fd07::2
spd "$B" 10.7.0.2 10.7.0.1 fd07::2 fd07::1

BYPASS=("in bypass" "out bypass")
NONE=("in none" "out none")
ENTRUST=("in entrust" "out entrust")
IPSEC=("in ipsec esp/transport//require" "out ipsec esp/transport//require")

# 1. The SPD requires ESP everywhere.
serve "$B" udp 10.7.0.2 7101
e=$(esp_out "$A")
got=$(ask "$A" udp 10.7.0.2 7101)
ktap_check "no socket policy, UDP/IPv4: the SPD's ESP carries the echo ($got; A's ESP out $e -> $(esp_out "$A"))" \
	test "$got" = echo -a "$(esp_out "$A")" -gt "$e"

serve "$B" udp 10.7.0.2 7102 "${BYPASS[@]}"
e=$(esp_out "$A")
got=$(ask "$A" udp 10.7.0.2 7102 "${BYPASS[@]}")
ktap_check "bypass at both ends, UDP/IPv4: the echo passes in the clear although the SPD requires ESP ($got; A's ESP out $e -> $(esp_out "$A"))" \
	test "$got" = echo -a "$(esp_out "$A")" = "$e"

serve "$B" udp fd07::2 7103
d=$(stat_of "$B" DropPolicyViolation)
got=$(ask "$A" udp fd07::2 7103 "${BYPASS[@]}")
ktap_check "bypass at the client only, UDP/IPv6: the server's SPD drops the cleartext request ($got; B's DropPolicyViolation $d -> $(stat_of "$B" DropPolicyViolation))" \
	test "$got" = timeout -a "$(stat_of "$B" DropPolicyViolation)" -gt "$d"

serve "$B" tcp 10.7.0.2 7104 "${NONE[@]}"
e=$(esp_out "$B")
got=$(ask "$A" tcp 10.7.0.2 7104 "${NONE[@]}")
ktap_check "none at both ends, TCP/IPv4: the accepted socket inherits the listener's policy, the echo comes back in the clear ($got; B's ESP out $e -> $(esp_out "$B"))" \
	test "$got" = echo -a "$(esp_out "$B")" = "$e"

serve "$B" tcp fd07::2 7105 "${ENTRUST[@]}"
e=$(esp_out "$B")
got=$(ask "$A" tcp fd07::2 7105 "${ENTRUST[@]}")
ktap_check "entrust at both ends, TCP/IPv6: the SPD decides, ESP carries the echo ($got; B's ESP out $e -> $(esp_out "$B"))" \
	test "$got" = echo -a "$(esp_out "$B")" -gt "$e"

d=$(stat_of "$A" DropPolicyDiscard)
got=$(ask "$A" udp 10.7.0.2 7101 "out discard")
ktap_check "out discard, UDP/IPv4: sending fails with EPERM and the packet is dropped ($got; A's DropPolicyDiscard $d -> $(stat_of "$A" DropPolicyDiscard))" \
	test "$got" = EPERM -a "$(stat_of "$A" DropPolicyDiscard)" -gt "$d"

serve "$B" tcp fd07::2 7106 "in discard"
d=$(stat_of "$B" DropPolicyViolation)
got=$(ask "$A" tcp fd07::2 7106)
ktap_check "in discard on a listener, TCP/IPv6: its connection requests are dropped though ESP protects them ($got; B's DropPolicyViolation $d -> $(stat_of "$B" DropPolicyViolation))" \
	test "$got" = timeout -a "$(stat_of "$B" DropPolicyViolation)" -gt "$d"

# 2. The SPD is empty: the SAs are used only as sockets ask.
sk "$A" -FP
sk "$B" -FP
serve "$B" udp fd07::2 7201 "${IPSEC[@]}"
e=$(esp_out "$A") f=$(esp_out "$B")
got=$(ask "$A" udp fd07::2 7201 "${IPSEC[@]}")
ktap_check "ipsec esp/transport//require at both ends, empty SPD, UDP/IPv6: ESP carries request and echo ($got; ESP out A $e -> $(esp_out "$A"), B $f -> $(esp_out "$B"))" \
	test "$got" = echo -a "$(esp_out "$A")" -gt "$e" -a "$(esp_out "$B")" -gt "$f"

serve "$B" udp 10.7.0.2 7202 "in ipsec esp/transport//require"
d=$(stat_of "$B" DropPolicyViolation)
got=$(ask "$A" udp 10.7.0.2 7202)
ktap_check "ipsec require inbound at the server only, UDP/IPv4: the cleartext request is dropped ($got; B's DropPolicyViolation $d -> $(stat_of "$B" DropPolicyViolation))" \
	test "$got" = timeout -a "$(stat_of "$B" DropPolicyViolation)" -gt "$d"

serve "$B" tcp 10.7.0.2 7203 "${IPSEC[@]}"
e=$(esp_out "$B")
got=$(ask "$A" tcp 10.7.0.2 7203 "${IPSEC[@]}")
ktap_check "ipsec require on a listener, TCP/IPv4: the accepted socket inherits it, ESP carries the echo ($got; B's ESP out $e -> $(esp_out "$B"))" \
	test "$got" = echo -a "$(esp_out "$B")" -gt "$e"

got=$(ask "$A" tcp 10.7.0.2 7203)
ktap_check "the same listener refuses a client in the clear, TCP/IPv4 ($got)" test "$got" = timeout

# 3. Refused values, the old policy kept, clearing, privileges.
set_() { ip netns exec "$A" python3 -S "$TOOL" set "$@" 2>&1 | tr '\n' ' '; }
bypass_hex=$(python3 -c 'import struct; print(struct.pack("=HHHBBII", 2, 18, 4, 2, 0, 0, 0).hex())')
got=$(set_ udp v6 "raw:0:16:$bypass_hex" "raw:41:34:$bypass_hex")
ktap_expect "IP_IPSEC_POLICY on an IPv6 socket: EOPNOTSUPP (IPV6_IPSEC_POLICY: ok)" "EOPNOTSUPP ok " "$got"
dmesg -c >/dev/null
got=$(set_ udp v4 "truncate:12:out bypass" "truncate:40:out ipsec esp/tunnel/10.7.0.1-10.7.0.2/require" \
	bad-dir bad-type "out ipsec" "out bypass esp/transport//require" "out ipsec esp/tunnel//require")
ktap_expect "malformed values (truncated twice, bad direction, bad type, ipsec without requests, requests on bypass, tunnel without endpoints): EINVAL each" \
	"EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL " "$got"
ktap_check "a refused value is logged" bash -c "dmesg | grep -q 'IP_IPSEC_POLICY refused: '"
got=$(set_ udp v4 "out discard" "truncate:12:out bypass" probe 10.7.0.2 9)
ktap_expect "a refused value leaves the old policy: out discard, a truncated value refused, the socket still drops" \
	"ok EINVAL EPERM " "$got"
got=$(set_ udp v4 "out discard" clear probe 10.7.0.2 9)
ktap_expect "a null value clears the socket's policies: out discard, cleared, the datagram leaves" "ok ok sent " "$got"
got=$(ip netns exec "$A" setpriv --bounding-set=-net_admin python3 -S "$TOOL" set udp v4 "out bypass" 2>&1)
ktap_expect "without CAP_NET_ADMIN: EPERM" "EPERM" "$got"

ktap_finish
