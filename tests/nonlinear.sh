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

netns_add "$T" "$X" "$C"
ip netns exec "$C" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
veth "$X" "$C" vx
# X computes its checksums (a veth leaves them to the receiver, and the
# bridge's packet socket would hand T a partial one).
ip netns exec "$X" ethtool -K vx tx off >/dev/null

SPLIT=$WIRE_DIR/split BLOG=$WIRE_DIR/bridge.log
echo ip >"$SPLIT"
ip netns exec "$C" python3 -S "$NL" bridge "$T" vx vx "$SPLIT" >"$WIRE_DIR/bridge.out" 2>"$BLOG" &
BRIDGE=$!
for _ in $(seq 100); do
	grep -q ready "$WIRE_DIR/bridge.out" && break
	kill -0 "$BRIDGE" 2>/dev/null || break
	sleep 0.2
done
if ! grep -q ready "$WIRE_DIR/bridge.out"; then
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
ip -n "$T" link set vx up
addrs "$T" vx 10.7.0.1/24 10.7.1.1/24 10.7.2.1/24 fd07::1/64 fd07:1::1/64 fd07:2::1/64
addrs "$X" vx 10.7.0.2/24 10.7.1.2/24 10.7.2.2/24 fd07::2/64 fd07:1::2/64 fd07:2::2/64
pin_neigh "$T" fd07::1 "$X" fd07::2 vx
pin_neigh "$T" fd07:1::1 "$X" fd07:1::2 vx
pin_neigh "$T" fd07:2::1 "$X" fd07:2::2 vx
addrs "$T" lo 192.168.71.1/32 fd71::1/128
addrs "$X" lo 192.168.72.1/32 fd72::1/128
inner_routes "$T" 192.168.71.1 10.7.1.1 "$X" 192.168.72.1 10.7.1.2
inner_routes "$T" fd71::1 fd07:1::1 "$X" fd72::1 fd07:1::2

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
xs() { ip -n "$X" xfrm "$@"; }
gcm() { echo aead 'rfc4106(gcm(aes))' "$1" 128; }
cbc() { echo enc 'cbc(aes)' "$1" auth-trunc 'hmac(sha256)' "$2" 128; }
# shellcheck disable=SC2046 # the algorithm words split on purpose
{
xs state add src 10.7.0.1 dst 10.7.0.2 proto esp spi 0x7001 reqid 1 mode transport $(gcm "$G1")
xs state add src 10.7.0.2 dst 10.7.0.1 proto esp spi 0x7002 reqid 1 mode transport $(gcm "$G2")
xs state add src fd07::1 dst fd07::2 proto esp spi 0x7101 reqid 2 mode transport $(cbc "$C1" "$H1")
xs state add src fd07::2 dst fd07::1 proto esp spi 0x7102 reqid 2 mode transport $(cbc "$C2" "$H2")
xs state add src 10.7.1.1 dst 10.7.1.2 proto esp spi 0x7201 reqid 3 mode tunnel $(cbc "$C1" "$H1")
xs state add src 10.7.1.2 dst 10.7.1.1 proto esp spi 0x7202 reqid 3 mode tunnel $(cbc "$C2" "$H2")
xs state add src fd07:1::1 dst fd07:1::2 proto esp spi 0x7301 reqid 4 mode tunnel $(gcm "$G1")
xs state add src fd07:1::2 dst fd07:1::1 proto esp spi 0x7302 reqid 4 mode tunnel $(gcm "$G2")
}
xs policy add src 10.7.0.2 dst 10.7.0.1 dir out tmpl proto esp reqid 1 mode transport
xs policy add src 10.7.0.1 dst 10.7.0.2 dir in tmpl proto esp reqid 1 mode transport
xs policy add src fd07::2 dst fd07::1 dir out tmpl proto esp reqid 2 mode transport
xs policy add src fd07::1 dst fd07::2 dir in tmpl proto esp reqid 2 mode transport
xs policy add src 192.168.72.1 dst 192.168.71.1 dir out tmpl src 10.7.1.2 dst 10.7.1.1 proto esp reqid 3 mode tunnel
xs policy add src 192.168.71.1 dst 192.168.72.1 dir in tmpl src 10.7.1.1 dst 10.7.1.2 proto esp reqid 3 mode tunnel
xs policy add src fd72::1 dst fd71::1 dir out tmpl src fd07:1::2 dst fd07:1::1 proto esp reqid 4 mode tunnel
xs policy add src fd71::1 dst fd72::1 dir in tmpl src fd07:1::1 dst fd07:1::2 proto esp reqid 4 mode tunnel

# set_cut SPEC: how the bridge cuts the frames for T from now on (see
# nonlinear.py); frames_cut: how many frames it wrote so far, and how the
# last one was cut.
set_cut() { echo "$1" >"$SPLIT"; }
frames_cut() { echo "$(grep -c '^tap <- ' "$BLOG") frames to the tap, the last as $(grep '^tap <- ' "$BLOG" | tail -1 | cut -c8-)"; }

# esp_in NAME SPEC PING-ARGS...: X pings T through an SA, with ESP for T
# cut as SPEC says; passes when the replies come back and T decrypted
# every request (EspInPackets) and dropped none as malformed.
esp_in() {
	local name=$1 spec=$2 in0 in1 bad0 bad1 out
	shift 2
	set_cut "$spec"
	in0=$(stat_of "$T" EspInPackets) bad0=$(stat_of "$T" DropMalformed)
	out=$(ip netns exec "$X" ping -c 3 -i 0.3 -W 2 "$@" 2>&1)
	local rc=$?
	in1=$(stat_of "$T" EspInPackets) bad1=$(stat_of "$T" DropMalformed)
	ktap_check "$name: ping through the SA, ESP cut as '$spec' (EspInPackets $in0 -> $in1, DropMalformed $bad0 -> $bad1)" \
		test "$rc" -eq 0 -a "$((in1 - in0))" -ge 3 -a "$bad1" -eq "$bad0"
	((rc == 0)) || ktap_diag "$(tail -2 <<<"$out")"
	ktap_diag "bridge: $(frames_cut)"
}

esp_in "transport IPv4, linear part = IP header" "ip" 10.7.0.1
esp_in "transport IPv6, cut inside the ESP header" "ip+4 8" fd07::1
esp_in "tunnel 4in4, ESP header, IV and inner headers in small fragments" "ip 8 16 4 12" -I 192.168.72.1 192.168.71.1
esp_in "tunnel 6in6, ESP header, IV and inner headers in small fragments" "ip 3 5 9 24" -I fd72::1 fd71::1

# Cleartext that a policy classifies by its destination port: to port
# 7001 a discard policy (inbound, a packet a policy refuses counts as
# DropPolicyViolation), to 7002 none (def_policy accepts). IPv4 cut
# inside the UDP header (source port split, destination port in two
# fragments); IPv6 with a 16-byte Destination Options header cut inside
# it, then 3-byte fragments through the UDP header.
udp_case() { # udp_case NAME SPEC ADDR [dstopts]: passes when 7002 arrives and 7001 is discarded
	local name=$1 spec=$2 addr=$3 ext=${4:-} got d0 d1 bad0 bad1 rpid
	set_cut "$spec"
	d0=$(stat_of "$T" DropPolicyViolation) bad0=$(stat_of "$T" DropMalformed)
	got=$WIRE_DIR/udp.out
	ip netns exec "$T" python3 -S "$NL" udp-recv "$addr" 20 7001 7002 >"$got" 2>"$got.err" &
	rpid=$!
	for _ in $(seq 50); do grep -q listening "$got.err" && break; sleep 0.2; done
	ip netns exec "$X" python3 -S "$NL" udp-send "$addr" ${ext:+"$ext"} "7001:$name-discarded" "7002:$name-passed"
	wait "$rpid"
	d1=$(stat_of "$T" DropPolicyViolation) bad1=$(stat_of "$T" DropMalformed)
	ktap_check "$name cut as '$spec': port 7002 delivered, port 7001 discarded by its policy (DropPolicyViolation $d0 -> $d1, DropMalformed $bad0 -> $bad1)" \
		bash -c "grep -qx '7002 $name-passed' '$got' && ! grep -q '^7001' '$got' && test $((d1 - d0)) -ge 1 -a $bad1 -eq $bad0"
	ktap_diag "T received: $(tr '\n' ';' <"$got") $(grep -v listening "$got.err" | tr '\n' ' ')"
	ktap_diag "bridge: $(frames_cut)"
	grep -qx "7002 $name-passed" "$got" ||
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
	out0=$(stat_of "$T" EspOutPackets)
	timeout 60 ip netns exec "$X" python3 -S "$RI_TESTS/esp/tcp.py" serve "$addr" 5001 >"$srv" 2>&1 &
	spid=$!
	sleep 1
	sent=$(timeout 50 ip netns exec "$T" python3 -S "$NL" "$mode" "$addr" 5001 300000 2>"$WIRE_DIR/tcp.err")
	wait "$spid"
	out1=$(stat_of "$T" EspOutPackets)
	ktap_check "$name: 300 kB from T with $mode arrive whole at X (EspOutPackets $out0 -> $out1)" \
		test -n "$sent" -a "$sent" == "$(cat "$srv")"
	ktap_diag "sent: ${sent:-nothing}; X got: $(cat "$srv"); $(tr '\n' ' ' <"$WIRE_DIR/tcp.err")"
}
set_cut "ip 8 16"
paged_tcp "transport IPv4" send-file 10.7.0.2
paged_tcp "tunnel 6in6" send-zerocopy fd72::1

ip netns exec "$T" cat /proc/net/rust_ipsec_stat | grep -v '	0$' | sed 's/^/# /'
kill "$BRIDGE" 2>/dev/null
wait "$BRIDGE" 2>/dev/null
ri_netns_cleanup
ktap_finish
