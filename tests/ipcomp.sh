#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# IPComp (RFC 3173, deflate) between a host running rust_ipsec (C) and one
# running Linux XFRM (X), with static SAs, both ways. A pairwise matrix:
#   transport, alone      ICMP: small pings go as they are (under the
#                         90-byte threshold), large ones compressed
#   transport, with ESP   TCP: compressible data compressed then
#                         encrypted, random data encrypted only
#   tunnel, alone         ICMP and TCP between the inner addresses:
#                         IPComp for what shrinks, IP-in-IP for the rest
#                         (small pings, random data), both ways
#   IPv6 transport, alone TCP, compressible both ways
# Then bad input at C: a decompression bomb, garbage, a truncated header,
# an unknown CPI; and SAs the kernel refuses (lzs, a CPI over 16 bits).
#
# +--------------------+        +--------------------+
# | $C: rust_ipsec     |   vn   | $X: Linux XFRM     |
# | vn 10.9.0.1        +--------+ vn 10.9.0.2        |
# |    fd00:9::1       |        |    fd00:9::2       |
# | lo 192.168.9.1     |        | lo 192.168.10.1    |
# +--------------------+        +--------------------+
#
# Transport mode protects 10.9.0.1 <-> 10.9.0.2; the tunnel carries
# 192.168.9.1 <-> 192.168.10.1 between them.

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/module.sh"
. "$(dirname "$0")/lib/net.sh"
. "$(dirname "$0")/lib/topo.sh"
. "$(dirname "$0")/lib/wire.sh"
C=${RI_NS}ipc X=${RI_NS}ipx
CRAFT=$RI_TESTS/ipcomp/craft.py

ri_netns_cleanup
ri_load || { echo "TAP version 13"; echo "not ok 1 module loads"; echo "1..1"; exit 1; }
ktap_header "IPComp (deflate): rust_ipsec with Linux XFRM, static SAs"
need_setkey "IPComp"
# XFRM's IPComp, and its IP-in-IP state for a tunnel's uncompressed packets.
modprobe -q ipcomp 2>/dev/null
modprobe -q xfrm4_tunnel 2>/dev/null

netns_add "$C" "$X"
veth "$C" "$X" vn
addrs "$C" vn 10.9.0.1/24 fd00:9::1/64
addrs "$X" vn 10.9.0.2/24 fd00:9::2/64
addrs "$C" lo 192.168.9.1/32
addrs "$X" lo 192.168.10.1/32
inner_routes "$C" 192.168.9.1 10.9.0.1 "$X" 192.168.10.1 10.9.0.2

K1=0x$(hexrange 0 20) K2=0x$(hexrange 40 60)
sk "$C" -c <<EOF
add 10.9.0.1 10.9.0.2 ipcomp 0x4101 -m transport -C deflate;
add 10.9.0.2 10.9.0.1 ipcomp 0x4102 -m transport -C deflate;
add 10.9.0.1 10.9.0.2 ipcomp 0x4201 -m tunnel -C deflate;
add 10.9.0.2 10.9.0.1 ipcomp 0x4202 -m tunnel -C deflate;
add 10.9.0.1 10.9.0.2 esp 0x9101 -m transport -E aes-gcm-16 $K1;
add 10.9.0.2 10.9.0.1 esp 0x9102 -m transport -E aes-gcm-16 $K2;
spdadd 10.9.0.1 10.9.0.2 icmp -P out ipsec ipcomp/transport//use;
spdadd 10.9.0.2 10.9.0.1 icmp -P in ipsec ipcomp/transport//use;
spdadd 10.9.0.1 10.9.0.2 tcp -P out ipsec ipcomp/transport//use esp/transport//require;
spdadd 10.9.0.2 10.9.0.1 tcp -P in ipsec ipcomp/transport//use esp/transport//require;
spdadd 192.168.9.1 192.168.10.1 any -P out ipsec ipcomp/tunnel/10.9.0.1-10.9.0.2/use;
spdadd 192.168.10.1 192.168.9.1 any -P in ipsec ipcomp/tunnel/10.9.0.2-10.9.0.1/use;
add fd00:9::1 fd00:9::2 ipcomp 0x4601 -m transport -C deflate;
add fd00:9::2 fd00:9::1 ipcomp 0x4602 -m transport -C deflate;
spdadd fd00:9::1 fd00:9::2 tcp -P out ipsec ipcomp/transport//use;
spdadd fd00:9::2 fd00:9::1 tcp -P in ipsec ipcomp/transport//use;
EOF
xs() { ip -n "$X" xfrm "$@"; }
GCM=(aead 'rfc4106(gcm(aes))')
xs state add src 10.9.0.1 dst 10.9.0.2 proto comp spi 0x4101 mode transport comp deflate
xs state add src 10.9.0.2 dst 10.9.0.1 proto comp spi 0x4102 mode transport comp deflate
xs state add src 10.9.0.1 dst 10.9.0.2 proto comp spi 0x4201 mode tunnel comp deflate
xs state add src 10.9.0.2 dst 10.9.0.1 proto comp spi 0x4202 mode tunnel comp deflate
xs state add src 10.9.0.1 dst 10.9.0.2 proto esp spi 0x9101 mode transport "${GCM[@]}" "$K1" 128
xs state add src 10.9.0.2 dst 10.9.0.1 proto esp spi 0x9102 mode transport "${GCM[@]}" "$K2" 128
xs policy add src 10.9.0.2 dst 10.9.0.1 proto icmp dir out tmpl proto comp mode transport level use
xs policy add src 10.9.0.1 dst 10.9.0.2 proto icmp dir in tmpl proto comp mode transport level use
xs policy add src 10.9.0.2 dst 10.9.0.1 proto tcp dir out \
	tmpl proto comp mode transport level use tmpl proto esp mode transport
xs policy add src 10.9.0.1 dst 10.9.0.2 proto tcp dir in \
	tmpl proto comp mode transport level use tmpl proto esp mode transport
# (XFRM refuses an optional tunnel template in an outbound policy.)
xs policy add src 192.168.10.1 dst 192.168.9.1 dir out \
	tmpl src 10.9.0.2 dst 10.9.0.1 proto comp mode tunnel
xs policy add src 192.168.9.1 dst 192.168.10.1 dir in \
	tmpl src 10.9.0.1 dst 10.9.0.2 proto comp mode tunnel level use
xs state add src fd00:9::1 dst fd00:9::2 proto comp spi 0x4601 mode transport comp deflate
xs state add src fd00:9::2 dst fd00:9::1 proto comp spi 0x4602 mode transport comp deflate
xs policy add src fd00:9::2 dst fd00:9::1 proto tcp dir out tmpl proto comp mode transport level use
xs policy add src fd00:9::1 dst fd00:9::2 proto tcp dir in tmpl proto comp mode transport level use

dump=$(sk "$C" -D)
ktap_check "setkey -D shows the IPComp SAs with their CPI and deflate" \
	grep -q 'ipcomp mode=tunnel spi=16897(0x00004201)' <<<"$dump"
grep -q 'C: deflate' <<<"$dump" || ktap_diag "no 'C: deflate' in: $(head -4 <<<"$dump" | tr '\n' ' ')"

# counters: the four IPComp counters of C, space-separated.
counters() {
	local k
	for k in IpcompOutPackets IpcompOutUncompressed IpcompInPackets IpcompInUncompressed; do
		printf '%s ' "$(stat_of "$C" $k)"
	done
}
# grew BEFORE AFTER I...: each counter I (0-3) of AFTER is above BEFORE's.
grew() {
	local -a b=($1) a=($2)
	local i
	shift 2
	for i; do ((a[i] > b[i])) || return 1; done
}
# tcp_text FROM TO ADDR: tcp, with compressible data.
tcp_text() { TCP_FILL=text tcp "$@"; }
# pings NS ADDR SIZE: two pings of SIZE bytes of a compressible pattern.
pings() { ip netns exec "$1" ping -c 2 -i 0.2 -W 2 -s "$3" -p 00 "$2" >/dev/null; }

# 1. Transport mode, IPComp alone (ICMP).
wire_start tr -o "$C" vn "$X" vn
c0=$(counters)
ktap_check "transport: C pings X with 1000-byte compressible pings" pings "$C" 10.9.0.2 1000
ktap_check "transport: X pings C with 1000-byte compressible pings" pings "$X" 10.9.0.1 1000
ktap_check "transport: small pings (under the threshold) both ways" \
	sh -c "ip netns exec $C ping -c 2 -i 0.2 -W 2 10.9.0.2 >/dev/null && ip netns exec $X ping -c 2 -i 0.2 -W 2 10.9.0.1 >/dev/null"
c1=$(counters)
wire_stop tr
comp=$(wire_count tr 'ip proto 108')
plain=$(wire_count tr 'icmp and less 200')
big=$(wire_count tr 'icmp and greater 500')
ktap_check "transport: IPComp on the wire for the large pings ($comp), small ICMP as it was ($plain), no large ICMP ($big)" \
	test "$comp" -ge 8 -a "$plain" -ge 8 -a "$big" -eq 0
ktap_check "transport: C counted compressed and uncompressed packets both ways ($c0-> $c1)" \
	grew "$c0" "$c1" 0 1 2

# 2. Transport mode, IPComp then ESP (TCP).
wire_start bundle -o "$C" vn "$X" vn
c0=$(counters)
ktap_check "transport+ESP: compressible TCP from C to X" tcp_text "$C" "$X" 10.9.0.2
ktap_check "transport+ESP: compressible TCP from X to C" tcp_text "$X" "$C" 10.9.0.1
ktap_check "transport+ESP: random (incompressible) TCP from C to X" tcp "$C" "$X" 10.9.0.2
c1=$(counters)
wire_stop bundle
esp=$(wire_count bundle 'ip proto 50')
other=$(wire_count bundle "($WIRE_IP) and not ip proto 50")
ktap_check "transport+ESP: only ESP on the wire ($esp ESP, $other other)" test "$esp" -gt 50 -a "$other" -eq 0
ktap_check "transport+ESP: C compressed and decompressed inside ESP, and sent random data uncompressed ($c0-> $c1)" \
	grew "$c0" "$c1" 0 1 2

# 3. Tunnel mode, IPComp alone.
wire_start tun -o "$C" vn "$X" vn
c0=$(counters)
ktap_check "tunnel: C pings X's inner address (1000-byte compressible)" pings "$C" 192.168.10.1 1000
ktap_check "tunnel: X pings C's inner address (1000-byte compressible)" pings "$X" 192.168.9.1 1000
ktap_check "tunnel: 3000-byte compressible pings both ways" \
	bash -c "$(declare -f pings); pings $C 192.168.10.1 3000 && pings $X 192.168.9.1 3000"
ktap_check "tunnel: small pings both ways (IP-in-IP)" \
	sh -c "ip netns exec $C ping -c 2 -i 0.2 -W 2 192.168.10.1 >/dev/null && ip netns exec $X ping -c 2 -i 0.2 -W 2 192.168.9.1 >/dev/null"
ktap_check "tunnel: random TCP from C to X" tcp "$C" "$X" 192.168.10.1
ktap_check "tunnel: random TCP from X to C" tcp "$X" "$C" 192.168.9.1
ktap_check "tunnel: compressible TCP from X to C" tcp_text "$X" "$C" 192.168.9.1
c1=$(counters)
wire_stop tun
comp=$(wire_count tun 'ip proto 108 and src 10.9.0.1')
compx=$(wire_count tun 'ip proto 108 and src 10.9.0.2')
ipip=$(wire_count tun 'ip proto 4 and src 10.9.0.1')
ipipx=$(wire_count tun 'ip proto 4 and src 10.9.0.2')
bare=$(wire_count tun 'host 192.168.9.1 or host 192.168.10.1')
ktap_check "tunnel: IPComp ($comp from C, $compx from X) and IP-in-IP ($ipip, $ipipx) on the wire, no bare inner packet ($bare)" \
	test "$comp" -ge 4 -a "$compx" -ge 4 -a "$ipip" -ge 20 -a "$ipipx" -ge 20 -a "$bare" -eq 0
ktap_check "tunnel: C counted all four kinds ($c0-> $c1)" grew "$c0" "$c1" 0 1 2 3

# 4. IPv6, transport mode, IPComp alone (TCP).
wire_start v6 -o "$C" vn "$X" vn
c0=$(counters)
ktap_check "IPv6 transport: compressible TCP from C to X" tcp_text "$C" "$X" fd00:9::2
ktap_check "IPv6 transport: compressible TCP from X to C" tcp_text "$X" "$C" fd00:9::1
c1=$(counters)
wire_stop v6
comp=$(wire_count v6 'ip6 and src fd00:9::1 and ip6[6] == 108')
compx=$(wire_count v6 'ip6 and src fd00:9::2 and ip6[6] == 108')
g=no
grew "$c0" "$c1" 0 2 && g=yes
ktap_check "IPv6 transport: IPComp on the wire both ways ($comp from C, $compx from X); C counted ($c0-> $c1)" \
	test "$comp" -ge 20 -a "$compx" -ge 20 -a "$g" = yes

# 5. Bad input at C, sent raw by X: dropped and counted.
# bad KIND COUNTER CPI: one crafted packet of KIND raises COUNTER by one.
bad() {
	local before after
	before=$(stat_of "$C" "$2")
	ip netns exec "$X" python3 -S "$CRAFT" send 10.9.0.1 "$3" "$1"
	sleep 0.3
	after=$(stat_of "$C" "$2")
	ktap_check "bad input: $1 (CPI $3) is dropped as $2 ($before -> $after)" test "$after" -eq $((before + 1))
}
bad bomb DropDecompressTooBig 4102
bad garbage DropDecompressFailed 4102
bad short DropMalformed 4102
bad garbage DropUnknownSpi 4999

# 6. SAs the kernel refuses: nothing is added.
n0=$(sk "$C" -D | grep -c '^[0-9a-f]')
out=$(sk "$C" -c <<<'add 10.9.0.1 10.9.0.2 ipcomp 0x4301 -m transport -C lzs;' 2>&1)
n1=$(sk "$C" -D | grep -c '^[0-9a-f]')
ktap_check "an lzs SA (no lzs in the kernel) is refused and not added ($n0 -> $n1 SAs): ${out//$'\n'/ }" \
	test -n "$out" -a "$n0" -eq "$n1"
out=$(printf 'add 10.9.0.1 10.9.0.2 ipcomp 0x14301 -m transport -C deflate;\n' | sk "$C" -c 2>&1)
n2=$(sk "$C" -D | grep -c '^[0-9a-f]')
ktap_check "a CPI over 16 bits is refused ($n1 -> $n2 SAs): ${out//$'\n'/ }" \
	test -n "$out" -a "$n1" -eq "$n2"
ktap_check "the kernel log says why lzs was refused" sh -c "dmesg | grep -q 'no .*lzs.* compression'"

kmemleak_case "IPComp"
ri_netns_cleanup
ktap_finish
