#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# NAT traversal with static keys (RFC 3948, IPv4): ESP in UDP between a
# host running rust_ipsec (T) and one running Linux XFRM (X), both ways,
# in transport mode on port 4500 at both ends and in tunnel mode with X on
# port 4501 (as a NAT would map it); only UDP with ESP inside on the wire.
# Each host has a key daemon's socket on its port with UDP_ENCAP_ESPINUDP
# set: XFRM needs it to receive, and rust_ipsec must take ESP before it.
# On T's port a keepalive is consumed, IKE (behind its non-ESP marker)
# reaches the socket, and ESP for an unknown SPI or for an SA without
# NAT-T, or truncated, is dropped and counted. Over IPv6 (transport mode,
# TCP both ways) the UDP header carries a valid checksum, as IPv6 needs.
#
# +--------------------+        +--------------------+
# | $T: rust_ipsec     |   vn   | $X: Linux XFRM     |
# | vn 10.7.0.1        +--------+ vn 10.7.0.2        |
# |    fd07::1         |        |    fd07::2         |
# | lo 192.168.7.1     |        | lo 192.168.8.1     |
# | UDP 4500 (encap)   |        | UDP 4500, 4501     |
# +--------------------+        +--------------------+
#
# Transport mode protects 10.7.0.1 <-> 10.7.0.2; the tunnel carries
# 192.168.7.1 <-> 192.168.8.1 between them.

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/module.sh"
. "$(dirname "$0")/lib/net.sh"
. "$(dirname "$0")/lib/topo.sh"
. "$(dirname "$0")/lib/wire.sh"
T=${RI_NS}ntt X=${RI_NS}ntx
ENCAP=$RI_TESTS/natt/encap.py

ri_netns_cleanup
ri_load || { echo "TAP version 13"; echo "not ok 1 module loads"; echo "1..1"; exit 1; }
ktap_header "NAT-T (ESP in UDP): rust_ipsec with Linux XFRM, static keys"
need_setkey "NAT-T"

netns_add "$T" "$X"
veth "$T" "$X" vn
addrs "$T" vn 10.7.0.1/24 fd07::1/64
addrs "$X" vn 10.7.0.2/24 fd07::2/64
addrs "$T" lo 192.168.7.1/32
addrs "$X" lo 192.168.8.1/32
inner_routes "$T" 192.168.7.1 10.7.0.1 "$X" 192.168.8.1 10.7.0.2

# listen NS PORT [listen6]: a daemon's encapsulation socket (IPv4, or
# IPv6); what it receives goes to $WIRE_DIR/sock-NS-PORT (-listen6).
listen() {
	local out=$WIRE_DIR/sock-$1-$2${3:+-$3} i
	: >"$out"
	ip netns exec "$1" python3 -S "$ENCAP" "${3:-listen}" "$2" "$out" 2>"$out.err" &
	for ((i = 0; i < 300; i++)); do
		grep -q '^listening$' "$out.err" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
listen "$T" 4500 && listen "$X" 4500 && listen "$X" 4501 && listen "$X" 4500 listen6 ||
	ktap_diag "an encapsulation socket did not start"

K1=0x$(hexrange 0 20) K2=0x$(hexrange 40 60) K3=0x$(hexrange 80 100) K4=0x$(hexrange 120 140)
sk "$T" -c <<EOF
add 10.7.0.1[4500] 10.7.0.2[4500] esp-udp 0x7001 -m transport -E aes-gcm-16 $K1;
add 10.7.0.2[4500] 10.7.0.1[4500] esp-udp 0x7002 -m transport -E aes-gcm-16 $K2;
add 10.7.0.1[4500] 10.7.0.2[4501] esp-udp 0x7101 -m tunnel -E aes-gcm-16 $K3;
add 10.7.0.2[4501] 10.7.0.1[4500] esp-udp 0x7102 -m tunnel -E aes-gcm-16 $K4;
add 10.7.0.2 10.7.0.1 esp 0x7777 -m transport -E aes-gcm-16 $K4;
spdadd 10.7.0.1 10.7.0.2 icmp -P out ipsec esp/transport//require;
spdadd 10.7.0.2 10.7.0.1 icmp -P in ipsec esp/transport//require;
spdadd 10.7.0.1 10.7.0.2 tcp -P out ipsec esp/transport//require;
spdadd 10.7.0.2 10.7.0.1 tcp -P in ipsec esp/transport//require;
spdadd 192.168.7.1 192.168.8.1 any -P out ipsec esp/tunnel/10.7.0.1-10.7.0.2/require;
spdadd 192.168.8.1 192.168.7.1 any -P in ipsec esp/tunnel/10.7.0.2-10.7.0.1/require;
add fd07::1[4500] fd07::2[4500] esp-udp 0x7301 -m transport -E aes-gcm-16 $K1;
add fd07::2[4500] fd07::1[4500] esp-udp 0x7302 -m transport -E aes-gcm-16 $K2;
spdadd fd07::1 fd07::2 tcp -P out ipsec esp/transport//require;
spdadd fd07::2 fd07::1 tcp -P in ipsec esp/transport//require;
EOF
xs() { ip -n "$X" xfrm "$@"; }
GCM=(aead 'rfc4106(gcm(aes))')
xs state add src 10.7.0.1 dst 10.7.0.2 proto esp spi 0x7001 reqid 1 mode transport "${GCM[@]}" "$K1" 128 replay-window 32 \
	encap espinudp 4500 4500 0.0.0.0
xs state add src 10.7.0.2 dst 10.7.0.1 proto esp spi 0x7002 reqid 1 mode transport "${GCM[@]}" "$K2" 128 replay-window 32 \
	encap espinudp 4500 4500 0.0.0.0
xs state add src 10.7.0.1 dst 10.7.0.2 proto esp spi 0x7101 reqid 2 mode tunnel "${GCM[@]}" "$K3" 128 replay-window 32 \
	encap espinudp 4500 4501 0.0.0.0
xs state add src 10.7.0.2 dst 10.7.0.1 proto esp spi 0x7102 reqid 2 mode tunnel "${GCM[@]}" "$K4" 128 replay-window 32 \
	encap espinudp 4501 4500 0.0.0.0
for p in icmp tcp; do
	xs policy add src 10.7.0.2 dst 10.7.0.1 proto $p dir out tmpl proto esp reqid 1 mode transport
	xs policy add src 10.7.0.1 dst 10.7.0.2 proto $p dir in tmpl proto esp reqid 1 mode transport
done
xs state add src fd07::1 dst fd07::2 proto esp spi 0x7301 reqid 3 mode transport "${GCM[@]}" "$K1" 128 replay-window 32 \
	encap espinudp 4500 4500 ::
xs state add src fd07::2 dst fd07::1 proto esp spi 0x7302 reqid 3 mode transport "${GCM[@]}" "$K2" 128 replay-window 32 \
	encap espinudp 4500 4500 ::
xs policy add src fd07::2 dst fd07::1 proto tcp dir out tmpl proto esp reqid 3 mode transport
xs policy add src fd07::1 dst fd07::2 proto tcp dir in tmpl proto esp reqid 3 mode transport
xs policy add src 192.168.8.1 dst 192.168.7.1 dir out tmpl src 10.7.0.2 dst 10.7.0.1 proto esp reqid 2 mode tunnel
xs policy add src 192.168.7.1 dst 192.168.8.1 dir in tmpl src 10.7.0.1 dst 10.7.0.2 proto esp reqid 2 mode tunnel

dump=$(sk "$T" -D)
ktap_check "setkey -D shows the NAT-T SAs as esp-udp with their ports" \
	grep -q '^10.7.0.1\[4500\] 10.7.0.2\[4501\]' <<<"$dump"
grep -q 'esp-udp' <<<"$dump" || ktap_diag "no esp-udp in: $(head -3 <<<"$dump")"

wire_start natt -o "$T" vn "$X" vn
in0=$(stat_of "$T" EspInPackets)
ktap_check "transport: T pings X (ESP in UDP 4500 <-> 4500)" ip netns exec "$T" ping -c 2 -i 0.2 -W 2 10.7.0.2
ktap_check "transport: X pings T" ip netns exec "$X" ping -c 2 -i 0.2 -W 2 10.7.0.1
ktap_check "transport: TCP from T to X" tcp "$T" "$X" 10.7.0.2
ktap_check "transport: TCP from X to T" tcp "$X" "$T" 10.7.0.1
ktap_check "tunnel: T pings X's inner address (4500 -> 4501)" \
	ip netns exec "$T" ping -c 2 -i 0.2 -W 2 192.168.8.1
ktap_check "tunnel: X pings T's inner address (4501 -> 4500)" \
	ip netns exec "$X" ping -c 2 -i 0.2 -W 2 192.168.7.1
ktap_check "tunnel: TCP from T to X" tcp "$T" "$X" 192.168.8.1
ktap_check "tunnel: TCP from X to T" tcp "$X" "$T" 192.168.7.1
in1=$(stat_of "$T" EspInPackets)
wire_stop natt
# What the encapsulated ESP looks like to tcpdump: "UDP-encap ... ESP(spi=...)".
n45=$(wire_count natt 'udp and src port 4500 and dst port 4500')
n4501=$(wire_count natt 'udp and ((src port 4500 and dst port 4501) or (src port 4501 and dst port 4500))')
esp=$(wire_count natt 'ip proto 50')
other=$(wire_count natt "($WIRE_IP) and not udp")
ktap_check "on the wire: ESP in UDP only (4500<->4500: $n45, 4500<->4501: $n4501, bare ESP: $esp, other: $other)" \
	test "$n45" -gt 20 -a "$n4501" -gt 20 -a "$esp" -eq 0 -a "$other" -eq 0
spis=$(wire_read natt 'udp port 4500' | grep -o 'spi=0x[0-9a-f]*' | sort -u | tr '\n' ' ')
ktap_check "on the wire: the four NAT-T SAs' SPIs inside the UDP ($spis)" \
	test "$(wc -w <<<"$spis")" -eq 4
ktap_check "T's socket on 4500 saw none of the ESP (rust_ipsec took $((in1 - in0)) packets)" \
	test ! -s "$WIRE_DIR/sock-$T-4500" -a $((in1 - in0)) -gt 20

# Datagrams to T's encapsulation port, sent from X's port 4999.
send_t() { ip netns exec "$X" python3 -S "$ENCAP" send 4999 10.7.0.1 4500 "$1"; }
# wait_for FILE PATTERN: up to 5 s for PATTERN in FILE.
wait_for() {
	local i
	for ((i = 0; i < 50; i++)); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}
k0=$(stat_of "$T" DropNattKeepalive)
send_t ff
send_t 00000000aabbccdd1122
wait_for "$WIRE_DIR/sock-$T-4500" '^00000000aabbccdd1122$'
ike=$?
k1=$(stat_of "$T" DropNattKeepalive)
ktap_check "a keepalive (0xff) to T's port is consumed (DropNattKeepalive $k0 -> $k1)" \
	test $((k1 - k0)) -eq 1 -a "$(grep -c '^ff$' "$WIRE_DIR/sock-$T-4500")" -eq 0
ktap_check "IKE behind the non-ESP marker reaches T's socket unchanged" test "$ike" -eq 0
u0=$(stat_of "$T" DropUnknownSpi)
send_t 0000abcd00000001deadbeefdeadbeefdeadbeef
m0=$(stat_of "$T" DropEncapMismatch)
send_t 0000777700000001deadbeefdeadbeefdeadbeef
sleep 0.5
u1=$(stat_of "$T" DropUnknownSpi) m1=$(stat_of "$T" DropEncapMismatch)
ktap_check "ESP in UDP for an unknown SPI is dropped (DropUnknownSpi $u0 -> $u1)" test $((u1 - u0)) -eq 1
ktap_check "ESP in UDP for an SA without NAT-T is dropped (DropEncapMismatch $m0 -> $m1)" test $((m1 - m0)) -eq 1
# Truncated: SPI 0x7102 (X's NAT-T tunnel SA to T), sequence 1, then four
# bytes where IV, payload and ICV should be.
t0=$(stat_of "$T" DropMalformed)
send_t 0000710200000001deadbeef
sleep 0.5
t1=$(stat_of "$T" DropMalformed)
ktap_check "truncated ESP in UDP is dropped (DropMalformed $t0 -> $t1)" test $((t1 - t0)) -eq 1
ktap_check "T's socket got neither" test "$(grep -c 'deadbeef' "$WIRE_DIR/sock-$T-4500")" -eq 0

# A NAT re-maps the flow: X's tunnel SA to T now sends from port 4502.
# T still takes the packets (they authenticate) and tells the key
# daemons: a promiscuous socket (setkey -x) sees SADB_X_NAT_T_NEW_MAPPING
# (type 23) naming T's SA to X (0x7101: what strongSwan looks up) with
# the old port 4501 and the new 4502, once however many packets came. A
# daemon then UPDATEs that SA with the new port, and T's packets go there,
# its sequence numbers going on (X's states have a replay window of 32:
# numbers starting again at 1 would be refused as replays).
listen "$X" 4502
mon=$WIRE_DIR/monitor
ip netns exec "$T" timeout 120 "$SK" -x >"$mon" 2>&1 &
sleep 1
xs state update src 10.7.0.2 dst 10.7.0.1 proto esp spi 0x7102 reqid 2 mode tunnel "${GCM[@]}" "$K4" 128 replay-window 32 \
	encap espinudp 4502 4500 0.0.0.0
ktap_check "mapping change: X pings T's inner address from port 4502" \
	ip netns exec "$X" ping -c 3 -i 0.2 -W 2 192.168.7.1
# NAT_T_DPORT is in host byte order, as strongSwan reads it
# (Documentation/datapath.rst): setkey, reading network order, prints
# 4502 byte-swapped on this little-endian machine.
swapped=$(((4502 & 0xff) << 8 | 4502 >> 8))
wait_for "$mon" "port=$swapped"
nm=$(grep -c 'type=23 ' "$mon")
ktap_check "T announced SADB_X_NAT_T_NEW_MAPPING once, SPI 0x7101, port 4501 -> 4502 ($nm messages)" \
	test "$nm" -eq 1 -a "$(grep -c "spi=28929 \\|port=4501 \\|port=$swapped " "$mon")" -ge 3
[[ $nm -eq 1 ]] || ktap_diag "monitor: $(tr '\n' ' ' <"$mon" | head -c 600)"
sk "$T" -c <<EOF
update 10.7.0.1[4500] 10.7.0.2[4502] esp-udp 0x7101 -m tunnel -E aes-gcm-16 $K3;
EOF
xs state update src 10.7.0.1 dst 10.7.0.2 proto esp spi 0x7101 reqid 2 mode tunnel "${GCM[@]}" "$K3" 128 replay-window 32 \
	encap espinudp 4500 4502 0.0.0.0
wire_start remap -o -f 'udp and dst port 4502' "$T" vn
ktap_check "after the UPDATE: T pings X's inner address, its ESP goes to port 4502" \
	ip netns exec "$T" ping -c 2 -i 0.2 -W 2 192.168.8.1
wire_stop remap
n=$(wire_count remap 'udp and src port 4500 and dst port 4502')
ktap_check "on the wire: T sent $n packets to port 4502" test "$n" -ge 2

# IPv6: ESP in UDP with a valid UDP checksum (IPv6 requires one; X would
# drop the packets without it), TCP both ways.
wire_start natt6 -o "$T" vn "$X" vn
ktap_check "IPv6 transport: TCP from T to X (ESP in UDP 4500 <-> 4500)" tcp "$T" "$X" fd07::2
ktap_check "IPv6 transport: TCP from X to T" tcp "$X" "$T" fd07::1
wire_stop natt6
n6=$(wire_count natt6 'ip6 and udp port 4500')
esp6=$(wire_count natt6 'ip6 and ip6[6] == 50')
# tcpdump -vv checks each UDP checksum over IPv6.
sums=$(wire_read natt6 'ip6 and udp port 4500 and src fd07::1' -vv)
good=$(grep -c 'udp sum ok' <<<"$sums") bad=$(grep -c 'bad udp cksum' <<<"$sums")
ktap_check "on the wire: IPv6 ESP in UDP only ($n6 packets, bare ESP: $esp6); T's UDP checksums: $good good, $bad bad" \
	test "$n6" -gt 20 -a "$esp6" -eq 0 -a "$good" -gt 10 -a "$bad" -eq 0
ktap_check "X's IPv6 encapsulation socket saw none of the ESP (XFRM took it)" \
	test ! -s "$WIRE_DIR/sock-$X-4500-listen6"

kill $(jobs -p) 2>/dev/null
wait 2>/dev/null
ip netns del "$T"
ip netns del "$X"
ktap_finish
