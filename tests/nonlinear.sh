#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Packets as NICs deliver them: rust_ipsec (T) receives through a tap
# device in IFF_NAPI_FRAGS mode, which turns each frame written to it
# into an skb whose linear part is the first iovec and whose other iovecs
# are page fragments, as NIC drivers that split headers from payload (or
# build skbs from pages) deliver them. The packets are real: Linux XFRM in
# X, with the same keys, sends them out of vx; tests/nonlinear/nonlinear.py
# (bridge) receives them in C and writes them to T's tap cut where the
# case says, and sends what T's tap sends out of C's vx to X as it is.
#
# +--------------------+              +----------------+        +------------------+
# | $T: rust_ipsec     |  tap (frags) | $C: bridge     |   vx   | $X: Linux XFRM   |
# | vx 10.7.0.1 ...    +--------------+ nonlinear.py   +--------+ vx 10.7.0.2 ...  |
# +--------------------+              +----------------+        +------------------+
#
# T and X: 10.7.0.x (transport, IPv4), fd07::x (transport, IPv6),
# 10.7.1.x / fd07:1::x (tunnel ends), 10.7.2.x / fd07:2::x (cleartext);
# inner tunnel addresses on lo: T 192.168.71.1, fd71::1; X 192.168.72.1,
# fd72::1.
#
# Cases (pairwise, not every mode with every family and cut):
# - ESP in: transport IPv4 with the linear part ending at the IP header;
#   transport IPv6 cut inside the ESP header (SPI linear, sequence number
#   in a fragment); tunnel 4in4 and 6in6 with ESP header, IV and inner
#   headers spread over small fragments;
# - cleartext a policy classifies by port: IPv4 UDP cut inside the UDP
#   header, IPv6 UDP with a Destination Options header cut inside it;
# - ESP out of paged skbs: TCP from T with sendfile() (transport) and
#   with MSG_ZEROCOPY (tunnel), the data checked at X.

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/module.sh"
. "$(dirname "$0")/lib/net.sh"
. "$(dirname "$0")/lib/topo.sh"
. "$(dirname "$0")/lib/wire.sh"
T=${RI_NS}nlt X=${RI_NS}nlx C=${RI_NS}nlc
NL=$RI_TESTS/nonlinear/nonlinear.py

ri_netns_cleanup
ri_load || { echo "TAP version 13"; echo "not ok 1 module loads"; echo "1..1"; exit 1; }
ktap_header "non-linear skbs: ESP and selectors from page fragments, ESP out of paged skbs"
need_setkey "non-linear skbs"
if [[ ! -c /dev/net/tun ]]; then
	mkdir -p /dev/net
	mknod /dev/net/tun c 10 200 2>/dev/null
fi
if ! grep -qw tun /proc/misc; then
	ktap_skip "non-linear skbs" "the kernel has no tun/tap driver (CONFIG_TUN)"
	ktap_finish
fi

# Under TCG with the debug kernel every process start costs about a
# second: the links, addresses, neighbours, routes and X's XFRM are set
# up by one "ip -batch" per namespace, with fixed link-layer addresses for
# the pinned IPv6 neighbours (T_MAC on T's tap, X_MAC on X's vx), and T's
# counters are read through the bridge's /proc/PID/net (it lives in T once
# it has made the tap there; stat_in).
T_MAC=02:00:00:07:00:01 X_MAC=02:00:00:07:00:02
ip netns add "$T"
ip netns add "$X"
ip netns add "$C"
ip netns exec "$C" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip link add vx netns "$X" address "$X_MAC" type veth peer name vx netns "$C"
ip -n "$C" -batch - <<EOF
link set lo up
link set vx up
EOF
ip netns exec "$C" ethtool -K vx tso off gso off gro off >/dev/null 2>&1
# X computes its checksums (a veth leaves them to the receiver, and the
# bridge's packet socket would hand T a partial one).
ip netns exec "$X" ethtool -K vx tso off gso off gro off tx off >/dev/null

SPLIT=$WIRE_DIR/split BLOG=$WIRE_DIR/bridge.log
echo ip >"$SPLIT"
ip netns exec "$C" python3 -S "$NL" bridge "$T" vx vx "$SPLIT" >"$WIRE_DIR/bridge.out" 2>"$BLOG" &
BRIDGE=$!
# ready_in FILE: FILE's first line says "ready" (read by bash: no grep).
ready_in() { local l; read -r l <"$1" && [[ $l == ready ]]; }
for ((i = 0; i < 600; i++)); do # up to 120 s
	ready_in "$WIRE_DIR/bridge.out" && break
	kill -0 "$BRIDGE" 2>/dev/null || break
	sleep 0.2
done
if ! ready_in "$WIRE_DIR/bridge.out"; then
	ktap_fail "tap in IFF_NAPI_FRAGS mode bridged to X"
	sed 's/^/# /' "$BLOG"
	ktap_finish
fi
ktap_ok "tap in IFF_NAPI_FRAGS mode bridged to X"
# No GRO (it would pull the headers it parses into the linear part) and
# no early demux (it pulls the UDP header before LOCAL_IN): the hooks see
# the skbs as the tap built them.
ip netns exec "$T" ethtool -K vx gro off
ip netns exec "$T" sysctl -qw net.ipv4.ip_early_demux=0
# link_end NS N PEER-MAC [MAC]: NS's end of the link (with MAC: its
# link-layer address, set before it is up), host N (T 1, X 2; the peer is
# 3 - N) of the three IPv4 and three IPv6 subnets, its inner tunnel
# addresses on lo (192.168.7N.1, fd7N::1), the peer's IPv6 addresses
# pinned to PEER-MAC, routes to the peer's inner addresses; one ip -batch.
link_end() {
	local n=$2 p=$((3 - $2)) net
	{
		echo "link set lo up"
		[[ -n ${4:-} ]] && echo "link set vx address $4"
		echo "link set vx up"
		for net in 10.7.0 10.7.1 10.7.2; do echo "addr add $net.$n/24 dev vx"; done
		for net in fd07: fd07:1: fd07:2:; do
			echo "addr add $net:$n/64 dev vx nodad"
			echo "neigh add $net:$p lladdr $3 dev vx nud permanent"
		done
		echo "addr add 192.168.7$n.1/32 dev lo"
		# nodad: never tentative, so the route below may use it as its
		# source at once ("Invalid source address" when DAD's work had
		# not yet run, once in a make check).
		echo "addr add fd7$n::1/128 dev lo nodad"
		echo "route add 192.168.7$p.1 via 10.7.1.$p src 192.168.7$n.1"
		echo "route add fd7$p::1 via fd07:1::$p src fd7$n::1"
	} | ip -n "$1" -batch -
}
link_end "$T" 1 "$X_MAC" "$T_MAC"
link_end "$X" 2 "$T_MAC"
# t_stat NAME: T's counter.
t_stat() { stat_in "$BRIDGE" "$1"; }

G1=0x$(hexrange 0 20) G2=0x$(hexrange 20 40)
C1=0x$(hexrange 40 56) C2=0x$(hexrange 56 72) H1=0x$(hexrange 72 104) H2=0x$(hexrange 104 136)
sk "$T" -c <<EOF
add 10.7.0.1 10.7.0.2 esp 0x7001 -m transport -E aes-gcm-16 $G1;
add 10.7.0.2 10.7.0.1 esp 0x7002 -m transport -E aes-gcm-16 $G2;
add fd07::1 fd07::2 esp 0x7101 -m transport -E aes-cbc $C1 -A hmac-sha256 $H1;
add fd07::2 fd07::1 esp 0x7102 -m transport -E aes-cbc $C2 -A hmac-sha256 $H2;
add 10.7.1.1 10.7.1.2 esp 0x7201 -m tunnel -E aes-cbc $C1 -A hmac-sha256 $H1;
add 10.7.1.2 10.7.1.1 esp 0x7202 -m tunnel -E aes-cbc $C2 -A hmac-sha256 $H2;
add fd07:1::1 fd07:1::2 esp 0x7301 -m tunnel -E aes-gcm-16 $G1;
add fd07:1::2 fd07:1::1 esp 0x7302 -m tunnel -E aes-gcm-16 $G2;
spdadd 10.7.0.1 10.7.0.2 any -P out ipsec esp/transport//require;
spdadd 10.7.0.2 10.7.0.1 any -P in ipsec esp/transport//require;
spdadd fd07::1 fd07::2 any -P out ipsec esp/transport//require;
spdadd fd07::2 fd07::1 any -P in ipsec esp/transport//require;
spdadd 192.168.71.1 192.168.72.1 any -P out ipsec esp/tunnel/10.7.1.1-10.7.1.2/require;
spdadd 192.168.72.1 192.168.71.1 any -P in ipsec esp/tunnel/10.7.1.2-10.7.1.1/require;
spdadd fd71::1 fd72::1 any -P out ipsec esp/tunnel/fd07:1::1-fd07:1::2/require;
spdadd fd72::1 fd71::1 any -P in ipsec esp/tunnel/fd07:1::2-fd07:1::1/require;
spdadd 10.7.2.2[any] 10.7.2.1[7001] udp -P in discard;
spdadd fd07:2::2[any] fd07:2::1[7001] udp -P in discard;
EOF
gcm() { echo aead 'rfc4106(gcm(aes))' "$1" 128; }
cbc() { echo enc 'cbc(aes)' "$1" auth-trunc 'hmac(sha256)' "$2" 128; }
ip -n "$X" -batch - <<EOF
xfrm state add src 10.7.0.1 dst 10.7.0.2 proto esp spi 0x7001 reqid 1 mode transport $(gcm "$G1")
xfrm state add src 10.7.0.2 dst 10.7.0.1 proto esp spi 0x7002 reqid 1 mode transport $(gcm "$G2")
xfrm state add src fd07::1 dst fd07::2 proto esp spi 0x7101 reqid 2 mode transport $(cbc "$C1" "$H1")
xfrm state add src fd07::2 dst fd07::1 proto esp spi 0x7102 reqid 2 mode transport $(cbc "$C2" "$H2")
xfrm state add src 10.7.1.1 dst 10.7.1.2 proto esp spi 0x7201 reqid 3 mode tunnel $(cbc "$C1" "$H1")
xfrm state add src 10.7.1.2 dst 10.7.1.1 proto esp spi 0x7202 reqid 3 mode tunnel $(cbc "$C2" "$H2")
xfrm state add src fd07:1::1 dst fd07:1::2 proto esp spi 0x7301 reqid 4 mode tunnel $(gcm "$G1")
xfrm state add src fd07:1::2 dst fd07:1::1 proto esp spi 0x7302 reqid 4 mode tunnel $(gcm "$G2")
xfrm policy add src 10.7.0.2 dst 10.7.0.1 dir out tmpl proto esp reqid 1 mode transport
xfrm policy add src 10.7.0.1 dst 10.7.0.2 dir in tmpl proto esp reqid 1 mode transport
xfrm policy add src fd07::2 dst fd07::1 dir out tmpl proto esp reqid 2 mode transport
xfrm policy add src fd07::1 dst fd07::2 dir in tmpl proto esp reqid 2 mode transport
xfrm policy add src 192.168.72.1 dst 192.168.71.1 dir out tmpl src 10.7.1.2 dst 10.7.1.1 proto esp reqid 3 mode tunnel
xfrm policy add src 192.168.71.1 dst 192.168.72.1 dir in tmpl src 10.7.1.1 dst 10.7.1.2 proto esp reqid 3 mode tunnel
xfrm policy add src fd72::1 dst fd71::1 dir out tmpl src fd07:1::2 dst fd07:1::1 proto esp reqid 4 mode tunnel
xfrm policy add src fd71::1 dst fd72::1 dir in tmpl src fd07:1::1 dst fd07:1::2 proto esp reqid 4 mode tunnel
EOF

# set_cut SPEC: how the bridge cuts the frames for T from now on (see
# nonlinear.py); frames_cut: how many frames it wrote so far, and how the
# last one was cut.
set_cut() { echo "$1" >"$SPLIT"; }
frames_cut() {
	local line n=0 last=
	while IFS= read -r line; do
		[[ $line == "tap <- "* ]] && n=$((n + 1)) last=${line#tap <- }
	done <"$BLOG"
	echo "$n frames to the tap, the last as $last"
}

# esp_in NAME SPEC PING-ARGS...: X pings T through an SA, with ESP for T
# cut as SPEC says; passes when the replies come back and T decrypted
# every request (EspInPackets) and dropped none as malformed.
esp_in() {
	local name=$1 spec=$2 in0 in1 bad0 bad1 out
	shift 2
	set_cut "$spec"
	in0=$(t_stat EspInPackets) bad0=$(t_stat DropMalformed)
	out=$(ip netns exec "$X" ping -c 3 -i 0.3 -W 2 "$@" 2>&1)
	local rc=$?
	in1=$(t_stat EspInPackets) bad1=$(t_stat DropMalformed)
	ktap_check "$name: ping through the SA, ESP cut as '$spec' (EspInPackets $in0 -> $in1, DropMalformed $bad0 -> $bad1)" \
		test "$rc" -eq 0 -a "$((in1 - in0))" -ge 3 -a "$bad1" -eq "$bad0"
	((rc == 0)) || ktap_diag "$(tail -2 <<<"$out")"
	ktap_diag "bridge: $(frames_cut)"
}

esp_in "transport IPv4, linear part = IP header" "ip" 10.7.0.1
esp_in "transport IPv6, cut inside the ESP header" "ip+4 8" fd07::1
esp_in "tunnel 4in4, ESP header, IV and inner headers in small fragments" "ip 8 16 4 12" -I 192.168.72.1 192.168.71.1
esp_in "tunnel 6in6, ESP header, IV and inner headers in small fragments" "ip 3 5 9 24" -I fd72::1 fd71::1

# received_as FILE NAME DISCARDED MALFORMED: udp-recv's FILE holds NAME's
# datagram to port 7002 and none to 7001, the policy discarded at least one
# datagram and none was malformed.
received_as() {
	local text
	text=$'\n'$(<"$1")$'\n'
	[[ $text == *$'\n'"7002 $2-passed"$'\n'* && $text != *$'\n'7001* ]] && (($3 >= 1 && $4 == 0))
}
# lines_of FILE SEP: FILE's lines joined by SEP.
lines_of() {
	local line out=
	while IFS= read -r line; do out+=$line$2; done <"$1"
	echo "$out"
}

# Cleartext that a policy classifies by its destination port: to port
# 7001 a discard policy (inbound, a packet a policy refuses counts as
# DropPolicyViolation), to 7002 none (def_policy accepts). IPv4 cut
# inside the UDP header (source port split, destination port in two
# fragments); IPv6 with a 16-byte Destination Options header cut inside
# it, then 3-byte fragments through the UDP header.
udp_case() { # udp_case NAME SPEC ADDR [dstopts]: passes when 7002 arrives and 7001 is discarded
	local name=$1 spec=$2 addr=$3 ext=${4:-} got d0 d1 bad0 bad1 rpid i err
	set_cut "$spec"
	d0=$(t_stat DropPolicyViolation) bad0=$(t_stat DropMalformed)
	got=$WIRE_DIR/udp.out
	# Empty before the receiver starts: the previous case's "listening"
	# must not pass for this one's.
	: >"$got"
	: >"$got.err"
	ip netns exec "$T" python3 -S "$NL" udp-recv "$addr" 20 7001 7002 >"$got" 2>"$got.err" &
	rpid=$!
	# Up to 60 s: Python starts slowly under TCG on a busy machine.
	for ((i = 0; i < 600; i++)); do
		[[ $(<"$got.err") == *listening* ]] && break
		sleep 0.1
	done
	ip netns exec "$X" python3 -S "$NL" udp-send "$addr" ${ext:+"$ext"} "7001:$name-discarded" "7002:$name-passed"
	wait "$rpid"
	d1=$(t_stat DropPolicyViolation) bad1=$(t_stat DropMalformed)
	ktap_check "$name cut as '$spec': port 7002 delivered, port 7001 discarded by its policy (DropPolicyViolation $d0 -> $d1, DropMalformed $bad0 -> $bad1)" \
		received_as "$got" "$name" "$((d1 - d0))" "$((bad1 - bad0))"
	err=$(lines_of "$got.err" ' ')
	ktap_diag "T received: $(lines_of "$got" ';') ${err#listening }"
	ktap_diag "bridge: $(frames_cut)"
	[[ $'\n'$(<"$got")$'\n' == *$'\n'"7002 $name-passed"$'\n'* ]] ||
		ktap_diag "T's UDP: $(ip netns exec "$T" cat /proc/net/snmp /proc/net/snmp6 | grep -E '^Udp|^Udp6' | tr '\n' ' ')"
}
udp_case "UDP over IPv4" "ip+1 2" 10.7.2.1
udp_case "UDP over IPv6 after Destination Options" "ip+3 3" fd07:2::1 dstopts

# ESP out of paged skbs: T sends TCP whose skbs hold the data in page
# fragments (sendfile splices page-cache pages; MSG_ZEROCOPY pins the
# sender's own), through the transport SA and through the 6in6 tunnel; X
# must receive the same bytes. X's ACKs come back cut.
paged_tcp() { # paged_tcp NAME MODE ADDR [SRC]: MODE send-file or send-zerocopy
	local name=$1 mode=$2 addr=$3 srv sent spid out0 out1
	srv=$WIRE_DIR/tcp.out
	out0=$(t_stat EspOutPackets)
	timeout 60 ip netns exec "$X" python3 -S "$RI_TESTS/esp/tcp.py" serve "$addr" 5001 >"$srv" 2>"$srv.err" &
	spid=$!
	# No wait for the server: the sender retries connecting for 20 s.
	sent=$(timeout 50 ip netns exec "$T" python3 -S "$NL" "$mode" "$addr" 5001 300000 2>"$WIRE_DIR/tcp.err")
	wait "$spid"
	out1=$(t_stat EspOutPackets)
	ktap_check "$name: 300 kB from T with $mode arrive whole at X (EspOutPackets $out0 -> $out1)" \
		test -n "$sent" -a "$sent" == "$(<"$srv")"
	ktap_diag "sent: ${sent:-nothing}; X got: $(<"$srv") $(grep -v '^listening$' "$srv.err"); $(lines_of "$WIRE_DIR/tcp.err" ' ')"
}
set_cut "ip 8 16"
paged_tcp "transport IPv4" send-file 10.7.0.2
paged_tcp "tunnel 6in6" send-zerocopy fd72::1

while read -r k v; do
	((v)) && ktap_diag "$k	$v"
done <"/proc/$BRIDGE/net/rust_ipsec_stat"
kill "$BRIDGE" 2>/dev/null
wait "$BRIDGE" 2>/dev/null
ri_netns_cleanup
ktap_finish
