#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# AH in tunnel mode and AH bundles (issue 17): rust_ipsec in namespace E
# (setkey) meets Linux XFRM in F (`ip xfrm`) and a second rust_ipsec host
# in G.
#
# - The four tunnel modes against XFRM at once, each with its own AH
#   algorithm (pairwise: every mode once, every algorithm that the
#   transport suite does not run once): 4in4 HMAC-SHA-384, 6in6
#   HMAC-SHA-512, 4in6 HMAC-MD5-96, 6in4 AES-XCBC-MAC-96. `unique` SAs
#   (their own reqids) keep the two tunnels over the same outer addresses
#   apart. Pings both ways and TCP each way (64 kB); the capture shows only AH
#   between the tunnel ends, the inner packets inside it.
# - ESP in a tunnel with AH in transport mode around it, against XFRM.
# - An AH tunnel between two rust_ipsec hosts (E and G), AES-CMAC-96.
# - The seed's case between two rust_ipsec hosts (E and G):
#   `esp/tunnel/A-B/use ah/transport/A-B/require` at both ends passes, and
#   a packet that arrives with ESP but without the AH is refused
#   (DropPolicyViolation).
#
# +--------------------+  veth2  +--------------------+
# | $E: rust_ipsec     +---------+ $F: Linux XFRM     |
# | veth2 10.2.0.1/24  |         | veth2 10.2.0.2/24  |
# |       fd02::1/64   |         |       fd02::2/64   |
# | lo 192.168.27.1-3  |         | lo 192.168.28.1-3  |
# |    fd27::1-2       |         |    fd28::1-2       |
# | veth3 10.3.0.1/24  +----+    +--------------------+
# | lo 192.168.37.1    |    |    +--------------------+
# +--------------------+    +----+ $G: rust_ipsec     |
#                          veth3 | veth3 10.3.0.2/24  |
#                                | lo 192.168.38.1    |
#                                +--------------------+

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/module.sh"
. "$(dirname "$0")/lib/net.sh"
. "$(dirname "$0")/lib/topo.sh"
. "$(dirname "$0")/lib/wire.sh"
E=${RI_NS}atr F=${RI_NS}atx G=${RI_NS}atg
# 64 kB per TCP case: dozens of full-sized segments, each way.
TCP_BYTES=64000

ri_netns_cleanup
ri_load || { echo "TAP version 13"; echo "not ok 1 module loads"; echo "1..1"; exit 1; }
ktap_header "AH in tunnel mode and AH bundles: rust_ipsec with Linux XFRM and with itself"
need_setkey "AH tunnels"

netns_add "$E" "$F" "$G"
topo_batch
veth "$E" "$F" veth2
veth "$E" "$G" veth3
addrs "$E" veth2 10.2.0.1/24 fd02::1/64
addrs "$F" veth2 10.2.0.2/24 fd02::2/64
addrs "$E" veth3 10.3.0.1/24
addrs "$G" veth3 10.3.0.2/24
addrs "$E" lo 192.168.27.1/32 192.168.27.2/32 192.168.27.3/32 fd27::1/128 fd27::2/128 192.168.37.1/32
addrs "$F" lo 192.168.28.1/32 192.168.28.2/32 192.168.28.3/32 fd28::1/128 fd28::2/128
addrs "$G" lo 192.168.38.1/32
# Inner addresses, routed over the link (the tunnel policies then catch
# the packets): 4in4 .1, 4in6 .2, 6in6 ::1, 6in4 ::2; the ESP-tunnel
# bundle .3.
inner_routes "$E" 192.168.27.1 10.2.0.1 "$F" 192.168.28.1 10.2.0.2
inner_routes "$E" 192.168.27.2 10.2.0.1 "$F" 192.168.28.2 10.2.0.2
inner_routes "$E" 192.168.27.3 10.2.0.1 "$F" 192.168.28.3 10.2.0.2
inner_routes "$E" fd27::1 fd02::1 "$F" fd28::1 fd02::2
inner_routes "$E" fd27::2 fd02::1 "$F" fd28::2 fd02::2
inner_routes "$E" 192.168.37.1 10.3.0.1 "$G" 192.168.38.1 10.3.0.2
topo_commit
pin_neigh "$E" fd02::1 "$F" fd02::2 veth2

WIRE_AH='ip proto 51 or ip6 proto 51'
# IPv4 fragments (MF or an offset) and IPv6 ones.
WIRE_FRAG='(ip and ip[6:2] & 0x3fff != 0) or ip6 proto 44'

# key N: a key of N bytes, different per caller's offset OFF (key N OFF).
key() { echo "0x$(hexrange "$2" $(($2 + $1)))"; }

# The tunnels: NAME INNER-E INNER-F OUTER-E OUTER-F SPI-BASE REQID
# SETKEY-ALG XFRM-ALG BITS KEY-BYTES.
TUNNELS=(
	"4in4 192.168.27.1 192.168.28.1 10.2.0.1 10.2.0.2 44 41 hmac-sha384 hmac(sha384) 192 48"
	"6in6 fd27::1 fd28::1 fd02::1 fd02::2 66 66 hmac-sha512 hmac(sha512) 256 64"
	"4in6 192.168.27.2 192.168.28.2 fd02::1 fd02::2 46 46 hmac-md5 hmac(md5) 96 16"
	"6in4 fd27::2 fd28::2 10.2.0.1 10.2.0.2 64 64 aes-xcbc-mac xcbc(aes) 96 16"
)
xf=() skc=() off=0
for t in "${TUNNELS[@]}"; do
	read -r name ie if oe of spi reqid ska xfa bits kb <<<"$t"
	ka=$(key "$kb" $off) kf=$(key "$kb" $((off + 100)))
	off=$((off + 7))
	# XFRM's states name their inner selector (the inner family, for 4in6
	# and 6in4).
	xf+=("xfrm state add src $oe dst $of proto ah spi 0x${spi}01 reqid $reqid mode tunnel auth-trunc '$xfa' $ka $bits sel src $ie dst $if"
		"xfrm state add src $of dst $oe proto ah spi 0x${spi}02 reqid $reqid mode tunnel auth-trunc '$xfa' $kf $bits sel src $if dst $ie"
		"xfrm policy add src $if dst $ie dir out tmpl src $of dst $oe proto ah reqid $reqid mode tunnel"
		"xfrm policy add src $ie dst $if dir in tmpl src $oe dst $of proto ah reqid $reqid mode tunnel")
	skc+=("add $oe $of ah 0x${spi}01 -m tunnel -u $reqid -A $ska $ka;"
		"add $of $oe ah 0x${spi}02 -m tunnel -u $reqid -A $ska $kf;"
		"spdadd $ie $if any -P out ipsec ah/tunnel/$oe-$of/unique:$reqid;"
		"spdadd $if $ie any -P in ipsec ah/tunnel/$of-$oe/unique:$reqid;")
done
# ESP in a tunnel, AH in transport mode around the outer packet (KAME's
# request order, innermost first, as XFRM's template order).
g1=$(key 20 60) g2=$(key 20 160) h1=$(key 32 30) h2=$(key 32 130)
xf+=("xfrm state add src 10.2.0.1 dst 10.2.0.2 proto esp spi 0xe001 reqid 71 mode tunnel aead 'rfc4106(gcm(aes))' $g1 128"
	"xfrm state add src 10.2.0.2 dst 10.2.0.1 proto esp spi 0xe002 reqid 71 mode tunnel aead 'rfc4106(gcm(aes))' $g2 128"
	"xfrm state add src 10.2.0.1 dst 10.2.0.2 proto ah spi 0xa001 reqid 72 mode transport auth-trunc 'hmac(sha256)' $h1 128"
	"xfrm state add src 10.2.0.2 dst 10.2.0.1 proto ah spi 0xa002 reqid 72 mode transport auth-trunc 'hmac(sha256)' $h2 128"
	"xfrm policy add src 192.168.28.3 dst 192.168.27.3 dir out tmpl src 10.2.0.2 dst 10.2.0.1 proto esp reqid 71 mode tunnel tmpl src 10.2.0.2 dst 10.2.0.1 proto ah reqid 72 mode transport"
	"xfrm policy add src 192.168.27.3 dst 192.168.28.3 dir in tmpl src 10.2.0.1 dst 10.2.0.2 proto esp reqid 71 mode tunnel tmpl src 10.2.0.1 dst 10.2.0.2 proto ah reqid 72 mode transport")
skc+=("add 10.2.0.1 10.2.0.2 esp 0xe001 -m tunnel -u 71 -E aes-gcm-16 $g1;"
	"add 10.2.0.2 10.2.0.1 esp 0xe002 -m tunnel -u 71 -E aes-gcm-16 $g2;"
	"add 10.2.0.1 10.2.0.2 ah 0xa001 -m transport -u 72 -A hmac-sha256 $h1;"
	"add 10.2.0.2 10.2.0.1 ah 0xa002 -m transport -u 72 -A hmac-sha256 $h2;"
	"spdadd 192.168.27.3 192.168.28.3 any -P out ipsec esp/tunnel/10.2.0.1-10.2.0.2/unique:71 ah/transport/10.2.0.1-10.2.0.2/unique:72;"
	"spdadd 192.168.28.3 192.168.27.3 any -P in ipsec esp/tunnel/10.2.0.2-10.2.0.1/unique:71 ah/transport/10.2.0.2-10.2.0.1/unique:72;")
ok=1
printf '%s\n' "${xf[@]}" | ip -n "$F" -batch - || ok=0
printf '%s\n' "${skc[@]}" | sk "$E" -c || ok=0
ktap_expect "four AH tunnels and an ESP-tunnel-in-AH bundle configured on E (setkey) and F (ip xfrm)" 1 "$ok"

# tcp_case NAME FROM TO-NS ADDR: the tcp check; a failed transfer prints
# E's counters, F's XFRM errors and both ends' TCP retransmission counters.
tcp_case() {
	local ns
	if tcp "$2" "$3" "$4"; then
		ktap_ok "$1"
		return
	fi
	ktap_fail "$1"
	ip netns exec "$E" cat /proc/net/rust_ipsec_stat | grep -v '	0$' | tr '\n' ' ' | sed 's/^/# E: /'
	echo
	ip netns exec "$F" awk '$2 != 0' /proc/net/xfrm_stat | tr '\n' ' ' | sed 's/^/# F: /'
	echo
	for ns in "$E" "$F"; do
		ip netns exec "$ns" awk '/^TcpExt:/ && !h { h = $0; next } /^TcpExt:/ { split(h, k); for (i = 2; i <= NF; i++) if (k[i] ~ /Retrans|Timeout|Lost|Drop/ && $i != 0) printf "%s=%s ", k[i], $i }' /proc/net/netstat |
			sed "s/^/# $ns TCP: /"
		echo
	done
}

# pings NAME FROM TO: a case passing when two pings from FROM reach TO.
pings() {
	ktap_check "$1" ip netns exec "$2" ping -c 2 -i 0.2 -W 3 "$3"
}

out0=$(stat_of "$E" AhOutPackets) in0=$(stat_of "$E" AhInPackets)
wire_start tun -o -t 300 "$E" veth2 "$F" veth2
for t in "${TUNNELS[@]}"; do
	read -r name ie if _ _ _ _ ska _ <<<"$t"
	pings "$name $ska: E pings F" "$E" "$if"
	pings "$name $ska: F pings E" "$F" "$ie"
	tcp_case "$name $ska: TCP from E to F" "$E" "$F" "$if"
	tcp_case "$name $ska: TCP from F to E" "$F" "$E" "$ie"
done
pings "ESP tunnel in AH transport: E pings F" "$E" 192.168.28.3
pings "ESP tunnel in AH transport: F pings E" "$F" 192.168.27.3
tcp_case "ESP tunnel in AH transport: TCP from E to F" "$E" "$F" 192.168.28.3
wire_stop tun
out1=$(stat_of "$E" AhOutPackets) in1=$(stat_of "$E" AhInPackets)
ktap_check "AH packets counted (AhOutPackets $out0 -> $out1, AhInPackets $in0 -> $in1)" \
	test $((out1 - out0)) -ge 100 -a $((in1 - in0)) -ge 100

# The capture: nothing but AH between the ends (IPv4 and IPv6 but
# link-local chatter); each tunnel's packets carry its inner addresses
# inside AH (tcpdump: "AH(spi=0x00004401,...): IP 192.168.27.1 > ...").
wire_read tun "ip or ($WIRE_V6)" >"$WIRE_DIR/tun.txt"
other=$(wire_count tun "(ip or ($WIRE_V6)) and not ($WIRE_AH)")
ktap_check "tunnels: the link carried only AH ($other other packets)" test "$other" = 0
[[ $other == 0 ]] || wire_read tun "(ip or ($WIRE_V6)) and not ($WIRE_AH)" | head -4 | sed 's/^/# /'
# The path MTU each tunnel and the bundle leave for the inner packet
# counts all that they add: TCP's full-sized segments are never
# fragmented after AH.
frags=$(wire_count tun "$WIRE_FRAG")
ktap_check "tunnels and bundle: no fragments on the link ($frags)" test "$frags" = 0
for t in "${TUNNELS[@]}"; do
	read -r name ie if oe of spi _ <<<"$t"
	# (tcpdump writes a TCP or UDP port after the address.)
	n1=$(grep -c "$oe > $of: AH(spi=0x0000${spi}01.*$ie[.0-9]* > $if[.0-9]*:" "$WIRE_DIR/tun.txt")
	n2=$(grep -c "$of > $oe: AH(spi=0x0000${spi}02.*$if[.0-9]* > $ie[.0-9]*:" "$WIRE_DIR/tun.txt")
	ktap_check "$name: AH with the inner packet inside, both ways (E->F $n1, F->E $n2)" \
		test "$n1" -ge 10 -a "$n2" -ge 10
done
n1=$(grep -c 'AH(spi=0x0000a001.*ESP(spi=0x0000e001' "$WIRE_DIR/tun.txt")
n2=$(grep -c 'AH(spi=0x0000a002.*ESP(spi=0x0000e002' "$WIRE_DIR/tun.txt")
ktap_check "ESP tunnel in AH transport: AH around ESP both ways (E->F $n1, F->E $n2)" \
	test "$n1" -ge 10 -a "$n2" -ge 10
n=$(grep -c '192.168.2[78].3' "$WIRE_DIR/tun.txt")
ktap_check "ESP tunnel in AH transport: the inner addresses never on the link ($n)" test "$n" = 0

# An AH tunnel between two rust_ipsec hosts (E and G), AES-CMAC-96, 4in4
# from 192.168.37.2 to 192.168.38.2.
c1=$(key 16 5) c2=$(key 16 105)
tunnel_sas() { # tunnel_sas NS: both SAs and NS's policies
	local me=$1 a=10.3.0.1 b=10.3.0.2 ia=192.168.37.2 ib=192.168.38.2
	[[ $me == "$G" ]] && a=10.3.0.2 b=10.3.0.1 ia=192.168.38.2 ib=192.168.37.2
	printf '%s\n' \
		"add 10.3.0.1 10.3.0.2 ah 0xf001 -m tunnel -A aes-cmac $c1;" \
		"add 10.3.0.2 10.3.0.1 ah 0xf002 -m tunnel -A aes-cmac $c2;" \
		"spdadd $ia $ib any -P out ipsec ah/tunnel/$a-$b/require;" \
		"spdadd $ib $ia any -P in ipsec ah/tunnel/$b-$a/require;" |
		sk "$me" -c
}
addrs "$E" lo 192.168.37.2/32
addrs "$G" lo 192.168.38.2/32
inner_routes "$E" 192.168.37.2 10.3.0.1 "$G" 192.168.38.2 10.3.0.2
ok=1
tunnel_sas "$E" || ok=0
tunnel_sas "$G" || ok=0
ktap_expect "rust_ipsec to rust_ipsec: an AES-CMAC AH tunnel installed on E and G" 1 "$ok"
wire_start rr -o -t 120 "$E" veth3 "$G" veth3
pings "rust_ipsec to rust_ipsec 4in4 aes-cmac: E pings G" "$E" 192.168.38.2
pings "rust_ipsec to rust_ipsec 4in4 aes-cmac: G pings E" "$G" 192.168.37.2
tcp_case "rust_ipsec to rust_ipsec 4in4 aes-cmac: TCP from E to G" "$E" "$G" 192.168.38.2
wire_stop rr
n1=$(wire_read rr ip | grep -c 'AH(spi=0x0000f001.*192.168.37.2[.0-9]* > 192.168.38.2')
n2=$(wire_read rr ip | grep -c 'AH(spi=0x0000f002.*192.168.38.2[.0-9]* > 192.168.37.2')
other=$(wire_count rr "ip and not ip proto 51")
ktap_check "rust_ipsec to rust_ipsec 4in4: only AH with the inner packets inside on the link (E->G $n1, G->E $n2, other $other)" \
	test "$n1" -ge 10 -a "$n2" -ge 10 -a "$other" = 0

# The seed's case (ipsec(4) BUGS) between two rust_ipsec hosts: ESP in a
# tunnel that `use`s it, AH in transport mode that is `require`d.
seed_sas() { # seed_sas NS: the SAs and both policies, from NS's side
	local me=$1 a=10.3.0.1 b=10.3.0.2 ia=192.168.37.1 ib=192.168.38.1
	[[ $me == "$G" ]] && a=10.3.0.2 b=10.3.0.1 ia=192.168.38.1 ib=192.168.37.1
	printf '%s\n' \
		"add 10.3.0.1 10.3.0.2 esp 0xc001 -m tunnel -E aes-gcm-16 $g1;" \
		"add 10.3.0.2 10.3.0.1 esp 0xc002 -m tunnel -E aes-gcm-16 $g2;" \
		"add 10.3.0.1 10.3.0.2 ah 0xd001 -A hmac-sha256 $h1;" \
		"add 10.3.0.2 10.3.0.1 ah 0xd002 -A hmac-sha256 $h2;" \
		"spdadd $ia $ib any -P out ipsec esp/tunnel/$a-$b/use ah/transport/$a-$b/require;" \
		"spdadd $ib $ia any -P in ipsec esp/tunnel/$b-$a/use ah/transport/$b-$a/require;" |
		sk "$me" -c
}
ok=1
seed_sas "$E" || ok=0
seed_sas "$G" || ok=0
ktap_expect "seed's case: esp/tunnel/A-B/use ah/transport/A-B/require installed on E and G" 1 "$ok"
wire_start seed -o -t 120 "$E" veth3 "$G" veth3
pings "seed's case: E pings G" "$E" 192.168.38.1
pings "seed's case: G pings E" "$G" 192.168.37.1
ktap_check "seed's case: TCP from G to E" tcp "$G" "$E" 192.168.37.1
wire_stop seed
n1=$(wire_read seed ip | grep -c 'AH(spi=0x0000d001.*ESP(spi=0x0000c001')
n2=$(wire_read seed ip | grep -c 'AH(spi=0x0000d002.*ESP(spi=0x0000c002')
other=$(wire_count seed "ip and not ip proto 51")
frags=$(wire_count seed "$WIRE_FRAG")
ktap_check "seed's case: AH around tunnelled ESP both ways, nothing else, no fragments (E->G $n1, G->E $n2, other $other, fragments $frags)" \
	test "$n1" -ge 4 -a "$n2" -ge 4 -a "$other" = 0 -a "$frags" = 0
# G stops adding the AH: E must refuse what arrives with ESP alone.
printf '%s\n' "spddelete 192.168.38.1 192.168.37.1 any -P out;" \
	"spdadd 192.168.38.1 192.168.37.1 any -P out ipsec esp/tunnel/10.3.0.2-10.3.0.1/require;" | sk "$G" -c
before=$(stat_of "$E" DropPolicyViolation)
ip netns exec "$G" ping -c 2 -i 0.2 -W 1 192.168.37.1 >/dev/null 2>&1
after=$(stat_of "$E" DropPolicyViolation)
ktap_check "seed's case: ESP without the required AH is refused (DropPolicyViolation $before -> $after)" \
	test "$after" -ge $((before + 2))

ri_netns_cleanup
ktap_finish
