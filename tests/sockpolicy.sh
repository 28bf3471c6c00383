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
# (pairwise: each form over some of each), on a port of its own: one
# server process in B holds every case's socket, one client process in A
# makes every case's request. Whether ESP carried it is read from
# /proc/net/rust_ipsec_stat's EspOutPackets.

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/module.sh"
. "$(dirname "$0")/lib/net.sh"
here=$(cd "$(dirname "$0")" && pwd)
A=${RI_NS}spa B=${RI_NS}spb
TOOL=$here/sockpolicy/sockpol.py

ri_netns_cleanup
ri_load || { echo "TAP version 13"; echo "not ok 1 module loads"; echo "1..1"; exit 1; }
ktap_header "per-socket policies: IP_IPSEC_POLICY and IPV6_IPSEC_POLICY"
need_setkey "per-socket policies"

# The link as topo.sh's netns_add, veth, addrs and pin_neigh make it, in
# fewer processes (each costs about a second under TCG with the debug
# kernel): one "ip -batch" per namespace, fixed link-layer addresses for
# the pinned IPv6 neighbours.
A_MAC=02:00:00:07:00:01 B_MAC=02:00:00:07:00:02
ip netns add "$A"
ip netns add "$B"
ip link add vs netns "$A" address "$A_MAC" type veth peer name vs netns "$B" address "$B_MAC"
# side NS ADDR4 ADDR6 PEER6 PEER-MAC: NS's side of the link.
side() {
	ip -n "$1" -batch - <<EOF
link set lo up
link set vs up
addr add $2 dev vs
addr add $3 dev vs nodad
neigh add $4 lladdr $5 dev vs nud permanent
EOF
	ip netns exec "$1" ethtool -K vs tso off gso off gro off >/dev/null 2>&1
}
side "$A" 10.7.0.1/24 fd07::1/64 fd07::2 "$B_MAC"
side "$B" 10.7.0.2/24 fd07::2/64 fd07::1 "$A_MAC"

# One echo server in B serves every case's port (serve below), one
# client in A asks and sets for every case (a coprocess reading commands):
# under TCG with the debug kernel each Python start-up costs seconds. The
# counters are read through these two processes' /proc/PID/net (stat_in).
tmp=$(mktemp -d)
SERVER=
cleanup() {
	[[ -n $SERVER ]] && kill "$SERVER" 2>/dev/null
	[[ -n ${COPROC_PID:-} ]] && kill "$COPROC_PID" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# serve KIND ADDR PORT POLICY... [-- KIND ADDR PORT POLICY...]...: the
# echo server in B, one socket per group, ready on return (up to 60 s:
# Python starts slowly under TCG on a busy machine).
serve() {
	local i line
	ip netns exec "$B" python3 -S "$TOOL" serve "$@" >"$tmp/server" 2>&1 &
	SERVER=$!
	for ((i = 0; i < 600; i++)); do
		read -r line <"$tmp/server" 2>/dev/null && [[ $line == ready ]] && return 0
		sleep 0.1
	done
	ktap_diag "server: $(cat "$tmp/server")"
}
# request WORDS...: one command to the client in A (sockpol.py client);
# prints its answer, or "no answer after 60 s".
request() {
	local answer
	printf '%q ' "$@" >&"${COPROC[1]}"
	echo >&"${COPROC[1]}"
	if ! IFS= read -r -t 60 -u "${COPROC[0]}" answer; then
		answer="no answer after 60 s ($(tr '\n' ' ' <"$tmp/client.err"))"
	fi
	echo "$answer"
}
# ask KIND ADDR PORT POLICY...: one request from A; prints echo, timeout
# (none within 5 s) or an errno name.
ask() { request ask "$@"; }
# esp_out A|B: ESP packets A or B has sent so far.
esp_out() { stat_in "${PID[$1]}" EspOutPackets; }
# drops A|B NAME: a drop counter of A or B.
drops() { stat_in "${PID[$1]}" "$2"; }

K1=0x$(hexrange 0 20)
K2=0x$(hexrange 50 70)
# sas_spd NS LOCAL4 PEER4 LOCAL6 PEER6: the SAs, and NS requires ESP for
# everything with its peer.
sas_spd() {
	sk "$1" -c <<EOF
add 10.7.0.1 10.7.0.2 esp 0x7001 -m transport -E aes-gcm-16 $K1;
add 10.7.0.2 10.7.0.1 esp 0x7002 -m transport -E aes-gcm-16 $K2;
add fd07::1 fd07::2 esp 0x7003 -m transport -E aes-gcm-16 $K1;
add fd07::2 fd07::1 esp 0x7004 -m transport -E aes-gcm-16 $K2;
spdadd $2 $3 any -P out ipsec esp/transport//require;
spdadd $3 $2 any -P in ipsec esp/transport//require;
spdadd $4 $5 any -P out ipsec esp/transport//require;
spdadd $5 $4 any -P in ipsec esp/transport//require;
EOF
}
sas_spd "$A" 10.7.0.1 10.7.0.2 fd07::1 fd07::2
sas_spd "$B" 10.7.0.2 10.7.0.1 fd07::2 fd07::1

BYPASS=("in bypass" "out bypass")
NONE=("in none" "out none")
ENTRUST=("in entrust" "out entrust")
IPSEC=("in ipsec esp/transport//require" "out ipsec esp/transport//require")

# Every case's server socket, for both phases (a socket's policy does not
# depend on the SPD).
serve udp 10.7.0.2 7101 \
	-- udp 10.7.0.2 7102 "${BYPASS[@]}" \
	-- udp fd07::2 7103 \
	-- tcp 10.7.0.2 7104 "${NONE[@]}" \
	-- tcp fd07::2 7105 "${ENTRUST[@]}" \
	-- tcp fd07::2 7106 "in discard" \
	-- udp fd07::2 7201 "${IPSEC[@]}" \
	-- udp 10.7.0.2 7202 "in ipsec esp/transport//require" \
	-- tcp 10.7.0.2 7203 "${IPSEC[@]}"
coproc ip netns exec "$A" python3 -S "$TOOL" client 2>"$tmp/client.err"
declare -A PID=([A]=$COPROC_PID [B]=$SERVER)

# 1. The SPD requires ESP everywhere.
e=$(esp_out A)
got=$(ask udp 10.7.0.2 7101)
ktap_check "no socket policy, UDP/IPv4: the SPD's ESP carries the echo ($got; A's ESP out $e -> $(esp_out A))" \
	test "$got" = echo -a "$(esp_out A)" -gt "$e"

e=$(esp_out A)
got=$(ask udp 10.7.0.2 7102 "${BYPASS[@]}")
ktap_check "bypass at both ends, UDP/IPv4: the echo passes in the clear although the SPD requires ESP ($got; A's ESP out $e -> $(esp_out A))" \
	test "$got" = echo -a "$(esp_out A)" = "$e"

d=$(drops B DropPolicyViolation)
got=$(ask udp fd07::2 7103 "${BYPASS[@]}")
ktap_check "bypass at the client only, UDP/IPv6: the server's SPD drops the cleartext request ($got; B's DropPolicyViolation $d -> $(drops B DropPolicyViolation))" \
	test "$got" = timeout -a "$(drops B DropPolicyViolation)" -gt "$d"

e=$(esp_out B)
got=$(ask tcp 10.7.0.2 7104 "${NONE[@]}")
ktap_check "none at both ends, TCP/IPv4: the accepted socket inherits the listener's policy, the echo comes back in the clear ($got; B's ESP out $e -> $(esp_out B))" \
	test "$got" = echo -a "$(esp_out B)" = "$e"

e=$(esp_out B)
got=$(ask tcp fd07::2 7105 "${ENTRUST[@]}")
ktap_check "entrust at both ends, TCP/IPv6: the SPD decides, ESP carries the echo ($got; B's ESP out $e -> $(esp_out B))" \
	test "$got" = echo -a "$(esp_out B)" -gt "$e"

d=$(drops A DropPolicyDiscard)
got=$(ask udp 10.7.0.2 7101 "out discard")
ktap_check "out discard, UDP/IPv4: sending fails with EPERM and the packet is dropped ($got; A's DropPolicyDiscard $d -> $(drops A DropPolicyDiscard))" \
	test "$got" = EPERM -a "$(drops A DropPolicyDiscard)" -gt "$d"

d=$(drops B DropPolicyViolation)
got=$(ask tcp fd07::2 7106)
ktap_check "in discard on a listener, TCP/IPv6: its connection requests are dropped though ESP protects them ($got; B's DropPolicyViolation $d -> $(drops B DropPolicyViolation))" \
	test "$got" = timeout -a "$(drops B DropPolicyViolation)" -gt "$d"

# 2. The SPD is empty: the SAs are used only as sockets ask.
sk "$A" -FP
sk "$B" -FP
e=$(esp_out A) f=$(esp_out B)
got=$(ask udp fd07::2 7201 "${IPSEC[@]}")
ktap_check "ipsec esp/transport//require at both ends, empty SPD, UDP/IPv6: ESP carries request and echo ($got; ESP out A $e -> $(esp_out A), B $f -> $(esp_out B))" \
	test "$got" = echo -a "$(esp_out A)" -gt "$e" -a "$(esp_out B)" -gt "$f"

d=$(drops B DropPolicyViolation)
got=$(ask udp 10.7.0.2 7202)
ktap_check "ipsec require inbound at the server only, UDP/IPv4: the cleartext request is dropped ($got; B's DropPolicyViolation $d -> $(drops B DropPolicyViolation))" \
	test "$got" = timeout -a "$(drops B DropPolicyViolation)" -gt "$d"

e=$(esp_out B)
got=$(ask tcp 10.7.0.2 7203 "${IPSEC[@]}")
ktap_check "ipsec require on a listener, TCP/IPv4: the accepted socket inherits it, ESP carries the echo ($got; B's ESP out $e -> $(esp_out B))" \
	test "$got" = echo -a "$(esp_out B)" -gt "$e"

got=$(ask tcp 10.7.0.2 7203)
ktap_check "the same listener refuses a client in the clear, TCP/IPv4 ($got)" test "$got" = timeout

# 3. Refused values, the old policy kept, clearing, privileges. Each "set"
# is a fresh socket of the client's.
set_() { request set "$@"; }
# A bypass sadb_x_policy (struct sadb_x_policy, little-endian): length 2
# (64-bit words), SADB_X_EXT_POLICY 18, type 4 (bypass), direction 2
# (out), then zeros.
bypass_hex=02001200040002000000000000000000
got=$(set_ udp v6 "raw:0:16:$bypass_hex" "raw:41:34:$bypass_hex")
ktap_expect "IP_IPSEC_POLICY on an IPv6 socket: EOPNOTSUPP (IPV6_IPSEC_POLICY: ok)" "EOPNOTSUPP ok" "$got"
dmesg -c >/dev/null
got=$(set_ udp v4 "truncate:12:out bypass" "truncate:40:out ipsec esp/tunnel/10.7.0.1-10.7.0.2/require" \
	bad-dir bad-type "out ipsec" "out bypass esp/transport//require" "out ipsec esp/tunnel//require")
ktap_expect "malformed values (truncated twice, bad direction, bad type, ipsec without requests, requests on bypass, tunnel without endpoints): EINVAL each" \
	"EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL EINVAL" "$got"
ktap_check "a refused value is logged" grep -q 'IP_IPSEC_POLICY refused: ' <(dmesg)
got=$(set_ udp v4 "out discard" "truncate:12:out bypass" probe 10.7.0.2 9)
ktap_expect "a refused value leaves the old policy: out discard, a truncated value refused, the socket still drops" \
	"ok EINVAL EPERM" "$got"
got=$(set_ udp v4 "out discard" clear probe 10.7.0.2 9)
ktap_expect "a null value clears the socket's policies: out discard, cleared, the datagram leaves" "ok ok sent" "$got"
got=$(request set-without-net-admin udp v4 "out bypass")
ktap_expect "without CAP_NET_ADMIN (dropped by a child of the client): EPERM" "EPERM" "$got"

ktap_finish
