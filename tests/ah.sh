#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# AH in transport mode (issue 17, first slice): rust_ipsec in namespace E
# (configured with setkey) meets Linux XFRM in F (configured with `ip
# xfrm`, the same keys, default states: no `flag align4`, so XFRM sends
# and accepts only 8-byte-padded AH headers over IPv4 too, as rust_ipsec
# sends them). HMAC-SHA-256 (RFC 4868, 128-bit ICV) over IPv4 and IPv6:
# pings both ways and TCP transfers from each end, a capture showing only
# AH (IP protocol 51) with the expected SPIs on the link; ESN; a packet
# whose ICV does not verify is counted (DropAuthFailed) and dropped;
# HMAC-SHA1-96 over IPv4; a transport bundle, ESP inside AH
# (`esp/transport//require ah/transport//require`), between addresses on
# lo; AES-CMAC-96; IPv6 with Hop-by-Hop and Destination Options before
# AH (tests/ah/optudp.py); the knobs ah_cleartos, ah_offsetmask,
# ah_trans_deflev and ah_net_deflev, seen on the wire; packets changed in flight (tests/ah/tamper.py) in a covered
# field are dropped and counted, in mutable ones pass. Tunnel mode and the other bundles: ah_tunnel.sh.
#
# +---------------------+         +---------------------+
# | $E: rust_ipsec      |  veth2  | $F: Linux XFRM      |
# | veth2 10.2.0.1/24   +---------+ veth2 10.2.0.2/24   |
# |       fd02::1/64    |         |       fd02::2/64    |
# | lo  192.168.27.1    |         | lo  192.168.28.1    |
# +---------------------+         +---------------------+

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/module.sh"
. "$(dirname "$0")/lib/net.sh"
. "$(dirname "$0")/lib/topo.sh"
. "$(dirname "$0")/lib/wire.sh"
E=${RI_NS}ahr F=${RI_NS}ahx
# 64 kB per TCP case: dozens of full-sized segments.
TCP_BYTES=64000

ri_netns_cleanup
ri_load || { echo "TAP version 13"; echo "not ok 1 module loads"; echo "1..1"; exit 1; }
ktap_header "AH transport over IPv4 and IPv6: rust_ipsec with Linux XFRM"
need_setkey "AH"

netns_add "$E" "$F"
veth "$E" "$F" veth2
addrs "$E" veth2 10.2.0.1/24 fd02::1/64
addrs "$F" veth2 10.2.0.2/24 fd02::2/64
pin_neigh "$E" fd02::1 "$F" fd02::2 veth2
# The bundle's addresses, routed over the link.
addrs "$E" lo 192.168.27.1/32
addrs "$F" lo 192.168.28.1/32
inner_routes "$E" 192.168.27.1 10.2.0.1 "$F" 192.168.28.1 10.2.0.2

# Keys: E->F and F->E differ.
k1=0x$(hexrange 0 32) k2=0x$(hexrange 100 132)
s1=0x$(hexrange 40 60) s2=0x$(hexrange 140 160)

sk "$E" -c <<'EOS'
spdadd 10.2.0.1 10.2.0.2 any -P out ipsec ah/transport//require;
spdadd 10.2.0.2 10.2.0.1 any -P in ipsec ah/transport//require;
spdadd fd02::1 fd02::2 any -P out ipsec ah/transport//require;
spdadd fd02::2 fd02::1 any -P in ipsec ah/transport//require;
EOS
ip -n "$F" xfrm policy add src 10.2.0.2 dst 10.2.0.1 dir out tmpl proto ah reqid 1 mode transport
ip -n "$F" xfrm policy add src 10.2.0.1 dst 10.2.0.2 dir in tmpl proto ah reqid 1 mode transport
ip -n "$F" xfrm policy add src fd02::2 dst fd02::1 dir out tmpl proto ah reqid 2 mode transport
ip -n "$F" xfrm policy add src fd02::1 dst fd02::2 dir in tmpl proto ah reqid 2 mode transport

# set_sas SK-ALG XFRM-ALG BITS KEY1 KEY2 [SK-OPTS XFRM-OPTS]: fresh SAs
# on both hosts, 0x1001 (E->F) and 0x1002 (F->E) over IPv4, 0x3001/0x3002
# over IPv6, KEY1 for E->F and KEY2 for F->E; XFRM truncates the ICV to
# BITS (auth-trunc).
set_sas() {
	local ska=$1 xfa="auth-trunc '$2'" bits=$3 ka=$4 kb=$5 sko=${6:-} xfo=${7:-}
	printf '%s\n' "xfrm state flush" \
		"xfrm state add src 10.2.0.1 dst 10.2.0.2 proto ah spi 0x1001 reqid 1 mode transport $xfa $ka $bits $xfo" \
		"xfrm state add src 10.2.0.2 dst 10.2.0.1 proto ah spi 0x1002 reqid 1 mode transport $xfa $kb $bits $xfo" \
		"xfrm state add src fd02::1 dst fd02::2 proto ah spi 0x3001 reqid 2 mode transport $xfa $ka $bits $xfo" \
		"xfrm state add src fd02::2 dst fd02::1 proto ah spi 0x3002 reqid 2 mode transport $xfa $kb $bits $xfo" |
		ip -n "$F" -batch - || return 1
	printf '%s\n' "flush;" \
		"add 10.2.0.1 10.2.0.2 ah 0x1001 -m transport $sko -A $ska $ka;" \
		"add 10.2.0.2 10.2.0.1 ah 0x1002 -m transport $sko -A $ska $kb;" \
		"add fd02::1 fd02::2 ah 0x3001 -m transport $sko -A $ska $ka;" \
		"add fd02::2 fd02::1 ah 0x3002 -m transport $sko -A $ska $kb;" | sk "$E" -c
}

# pings NAME FROM TO: a case passing when two pings from FROM reach TO.
pings() {
	ktap_check "$1" ip netns exec "$2" ping -c 2 -i 0.2 -W 2 "$3"
}

# AH on the wire: everything within SCOPE is AH (IP protocol 51), and more
# than MIN packets carry each SPI (hex, without 0x).
WIRE_AH='ip proto 51 or ip6 proto 51'
only_ah() {
	local name=$1 cap=$2 min=$3 scope=$4 spi n other counts="" short=0
	shift 4
	other=$(wire_count "$cap" "($scope) and not ($WIRE_AH)")
	wire_read "$cap" "($scope) and ($WIRE_AH)" >"$WIRE_DIR/ah.txt"
	for spi in "$@"; do
		printf -v spi 'spi=0x%08x' "0x$spi"
		n=$(grep -c "$spi" "$WIRE_DIR/ah.txt")
		counts+=" $spi: $n,"
		((n > min)) || short=1
	done
	if ((!short && other == 0)); then
		ktap_ok "$name: the link carried only AH ($counts other: $other)"
	else
		ktap_fail "$name: only AH on the link ($counts other: $other)"
		wire_read "$cap" "($scope) and not ($WIRE_AH)" | head -5 | sed 's/^/# /'
		head -3 "$WIRE_DIR/ah.txt" | sed 's/^/# /'
	fi
}

# HMAC-SHA-256 over both families, with a capture of both ends' output.
if set_sas hmac-sha256 'hmac(sha256)' 128 "$k1" "$k2"; then
	ktap_ok "HMAC-SHA-256 AH SAs installed on both hosts"
else
	ktap_fail "HMAC-SHA-256 AH SAs installed on both hosts"
fi
out0=$(stat_of "$E" AhOutPackets) in0=$(stat_of "$E" AhInPackets)
wire_start sha256 -o -t 200 "$E" veth2 "$F" veth2
pings "hmac-sha256 IPv4: E pings F" "$E" 10.2.0.2
pings "hmac-sha256 IPv4: F pings E" "$F" 10.2.0.1
ktap_check "hmac-sha256 IPv4: TCP from E to F" tcp "$E" "$F" 10.2.0.2
ktap_check "hmac-sha256 IPv4: TCP from F to E" tcp "$F" "$E" 10.2.0.1
pings "hmac-sha256 IPv6: E pings F" "$E" fd02::2
pings "hmac-sha256 IPv6: F pings E" "$F" fd02::1
ktap_check "hmac-sha256 IPv6: TCP from E to F" tcp "$E" "$F" fd02::2
ktap_check "hmac-sha256 IPv6: TCP from F to E" tcp "$F" "$E" fd02::1
# Mutable fields (RFC 4302 section 3.3.3.1) set by the sender: TOS /
# traffic class and TTL / hop limit are left out of the ICV at both ends.
ktap_check "hmac-sha256 IPv4: pings with TOS 0x20 and TTL 9 both ways (mutable fields)" \
	bash -c "ip netns exec $E ping -c 1 -W 2 -Q 0x20 -t 9 10.2.0.2 && ip netns exec $F ping -c 1 -W 2 -Q 0x20 -t 9 10.2.0.1"
ktap_check "hmac-sha256 IPv6: pings with traffic class 0x20 and hop limit 9 both ways (mutable fields)" \
	bash -c "ip netns exec $E ping -c 1 -W 2 -Q 0x20 -t 9 fd02::2 && ip netns exec $F ping -c 1 -W 2 -Q 0x20 -t 9 fd02::1"
wire_stop sha256
only_ah "hmac-sha256 over IPv4" sha256 10 ip 1001 1002
only_ah "hmac-sha256 over IPv6" sha256 10 "$WIRE_V6" 3001 3002
# The header rust_ipsec sends over IPv4: 32 bytes (payload length field
# 6), Linux's 8-byte padding, which a default XFRM state requires.
len=$(tcpdump -r "$WIRE_DIR/sha256.1.pcap" -nn -x 'ip proto 51' 2>/dev/null |
	awk '/0x0010:/ { print $4; exit }')
ktap_check "hmac-sha256 IPv4: E's AH header is 32 bytes, padded to 8 (next header and length bytes 0x${len:-?}: want xx06)" \
	test "${len:2:2}" = 06
out1=$(stat_of "$E" AhOutPackets) in1=$(stat_of "$E" AhInPackets)
ktap_check "AH packets counted (AhOutPackets $out0 -> $out1, AhInPackets $in0 -> $in1)" \
	test $((out1 - out0)) -ge 100 -a $((in1 - in0)) -ge 100

# A bundle in transport mode: ESP inside, AH outside (KAME's request
# order is innermost first, as XFRM's template order), SAs of their own
# between the lo addresses.
g1=0x$(hexrange 60 80) g2=0x$(hexrange 160 180)
printf '%s\n' \
	"xfrm state add src 192.168.27.1 dst 192.168.28.1 proto esp spi 0xa001 reqid 7 mode transport aead 'rfc4106(gcm(aes))' $g1 128" \
	"xfrm state add src 192.168.28.1 dst 192.168.27.1 proto esp spi 0xa002 reqid 7 mode transport aead 'rfc4106(gcm(aes))' $g2 128" \
	"xfrm state add src 192.168.27.1 dst 192.168.28.1 proto ah spi 0xb001 reqid 8 mode transport auth-trunc 'hmac(sha256)' $k1 128" \
	"xfrm state add src 192.168.28.1 dst 192.168.27.1 proto ah spi 0xb002 reqid 8 mode transport auth-trunc 'hmac(sha256)' $k2 128" \
	"xfrm policy add src 192.168.28.1 dst 192.168.27.1 dir out tmpl proto esp reqid 7 mode transport tmpl proto ah reqid 8 mode transport" \
	"xfrm policy add src 192.168.27.1 dst 192.168.28.1 dir in tmpl proto esp reqid 7 mode transport tmpl proto ah reqid 8 mode transport" |
	ip -n "$F" -batch -
printf '%s\n' \
	"add 192.168.27.1 192.168.28.1 esp 0xa001 -m transport -E aes-gcm-16 $g1;" \
	"add 192.168.28.1 192.168.27.1 esp 0xa002 -m transport -E aes-gcm-16 $g2;" \
	"add 192.168.27.1 192.168.28.1 ah 0xb001 -m transport -A hmac-sha256 $k1;" \
	"add 192.168.28.1 192.168.27.1 ah 0xb002 -m transport -A hmac-sha256 $k2;" \
	"spdadd 192.168.27.1 192.168.28.1 any -P out ipsec esp/transport//require ah/transport//require;" \
	"spdadd 192.168.28.1 192.168.27.1 any -P in ipsec esp/transport//require ah/transport//require;" |
	sk "$E" -c
wire_start bundle -o -t 100 "$E" veth2 "$F" veth2
pings "bundle ESP inside AH: E pings F" "$E" 192.168.28.1
pings "bundle ESP inside AH: F pings E" "$F" 192.168.27.1
ktap_check "bundle ESP inside AH: TCP from E to F" tcp "$E" "$F" 192.168.28.1
wire_stop bundle
# Each AH packet of the bundle carries ESP (tcpdump: "AH(spi=...): ESP(spi=...)").
b1=$(wire_read bundle 'ip proto 51' | grep -c 'AH(spi=0x0000b001.*ESP(spi=0x0000a001')
b2=$(wire_read bundle 'ip proto 51' | grep -c 'AH(spi=0x0000b002.*ESP(spi=0x0000a002')
other=$(wire_count bundle "ip and not ip proto 51")
# The MSS E clamps a SYN to counts both SAs: no segment is fragmented.
frags=$(wire_count bundle "ip and ip[6:2] & 0x3fff != 0")
ktap_check "bundle ESP inside AH: only AH around ESP on the link, no fragments (E->F $b1, F->E $b2, other $other, fragments $frags)" \
	test "$b1" -gt 10 -a "$b2" -gt 10 -a "$other" = 0 -a "$frags" = 0

# A packet whose ICV does not verify: F sends with another key.
ip -n "$F" xfrm state del src 10.2.0.2 dst 10.2.0.1 proto ah spi 0x1002
ip -n "$F" xfrm state add src 10.2.0.2 dst 10.2.0.1 proto ah spi 0x1002 reqid 1 mode transport \
	auth-trunc 'hmac(sha256)' "0x$(hexrange 200 232)" 128
before=$(stat_of "$E" DropAuthFailed)
ip netns exec "$E" ping -c 2 -i 0.2 -W 1 10.2.0.2 >/dev/null
after=$(stat_of "$E" DropAuthFailed)
ktap_check "AH with a bad ICV is counted and dropped (DropAuthFailed $before -> $after)" \
	test "$after" -ge $((before + 2))

# Extended sequence numbers: the high half of the sequence number is
# hashed after the payload (RFC 4302 section 2.5.1).
if set_sas hmac-sha256 'hmac(sha256)' 128 "$k1" "$k2" "-esn -r 64" "flag esn replay-window 64"; then
	pings "hmac-sha256 with ESN, IPv4: E pings F" "$E" 10.2.0.2
	pings "hmac-sha256 with ESN, IPv6: F pings E" "$F" fd02::1
else
	ktap_fail "hmac-sha256 with ESN: SAs installed"
fi

# AES-CMAC-96 (RFC 4494) over IPv4.
if set_sas aes-cmac 'cmac(aes)' 96 "0x$(hexrange 10 26)" "0x$(hexrange 110 126)"; then
	pings "aes-cmac IPv4: E pings F" "$E" 10.2.0.2
	pings "aes-cmac IPv4: F pings E" "$F" 10.2.0.1
else
	ktap_fail "aes-cmac: SAs installed"
fi

# HMAC-SHA1-96 over IPv4 (a 24-byte header whatever the padding).
if set_sas hmac-sha1 'hmac(sha1)' 96 "$s1" "$s2"; then
	pings "hmac-sha1 IPv4: E pings F" "$E" 10.2.0.2
	pings "hmac-sha1 IPv4: F pings E" "$F" 10.2.0.1
	ktap_check "hmac-sha1 IPv4: TCP from E to F" tcp "$E" "$F" 10.2.0.2
else
	ktap_fail "hmac-sha1: SAs installed"
fi

# The knobs, seen on the wire (IPv4, HMAC-SHA-256; Linux XFRM always
# leaves TOS and the flags and fragment offset out of the ICV).
knob() { ip netns exec "$E" sysctl -qw "net.ipv4.rust_ipsec.$1=$2"; }
set_sas hmac-sha256 'hmac(sha256)' 128 "$k1" "$k2" || ktap_fail "knobs: SAs installed"

# IPv6 with extension headers before AH: UDP with a Hop-by-Hop Options
# header (a mutable option, zeroed for the ICV) and a Destination Options
# header (an immutable one, covered), each way.
for ns in "$E" "$F"; do
	ip netns exec "$ns" timeout 60 python3 -S "$RI_TESTS/ah/optudp.py" serve :: 7007 &
done
sleep 1
wire_start opts -o -t 60 "$E" veth2 "$F" veth2
ktap_check "IPv6 options before AH: UDP from E with Hop-by-Hop and Destination Options, answered" \
	ip netns exec "$E" python3 -S "$RI_TESTS/ah/optudp.py" send fd02::2 7007
ktap_check "IPv6 options before AH: UDP from XFRM with Hop-by-Hop and Destination Options, answered" \
	ip netns exec "$F" python3 -S "$RI_TESTS/ah/optudp.py" send fd02::1 7007
wire_stop opts
n1=$(wire_read opts "ip6" | grep -c 'HBH.*AH(spi=0x00003001')
n2=$(wire_read opts "ip6" | grep -c 'HBH.*AH(spi=0x00003002')
ktap_check "IPv6 options before AH: on the link, Hop-by-Hop then AH, both ways (E->F $n1, F->E $n2)" \
	test "$n1" -ge 1 -a "$n2" -ge 1
# ah_cleartos=0: TOS is covered, so a packet with TOS 0x20 fails the ICV
# at the other end, either way; TOS 0 still passes.
knob ah_cleartos 0
before=$(stat_of "$E" DropAuthFailed)
ktap_check "ah_cleartos=0: a ping with TOS 0x20 from E fails at XFRM (TOS covered)" \
	bash -c "! ip netns exec $E ping -c 1 -W 1 -Q 0x20 10.2.0.2"
ip netns exec "$F" ping -c 1 -W 1 -Q 0x20 10.2.0.1 >/dev/null
after=$(stat_of "$E" DropAuthFailed)
ktap_check "ah_cleartos=0: a ping with TOS 0x20 from XFRM fails at E (DropAuthFailed $before -> $after)" \
	test "$after" -ge $((before + 1))
pings "ah_cleartos=0: TOS 0 pings pass" "$E" 10.2.0.2
knob ah_cleartos 1
ktap_check "ah_cleartos=1: the TOS 0x20 ping passes again" ip netns exec "$E" ping -c 1 -W 2 -Q 0x20 10.2.0.2
# ah_offsetmask=0x4000 keeps DF in the ICV: a ping with DF fails at
# XFRM, one without passes.
knob ah_offsetmask 16384
ktap_check "ah_offsetmask=0x4000: a ping with DF from E fails at XFRM (DF covered)" \
	bash -c "! ip netns exec $E ping -c 1 -W 1 -M do 10.2.0.2"
ktap_check "ah_offsetmask=0x4000: a ping without DF passes" ip netns exec "$E" ping -c 1 -W 2 -M dont 10.2.0.2
knob ah_offsetmask 0
ktap_check "ah_offsetmask=0: the ping with DF passes again" ip netns exec "$E" ping -c 1 -W 2 -M do 10.2.0.2
# ah_trans_deflev decides a `default` request: between 10.2.0.11 and
# 10.2.0.12, which no SA covers and XFRM leaves in the clear, 1 (use)
# lets pings go in the clear, 2 (require) drops them both ways.
addrs "$E" veth2 10.2.0.11/32
addrs "$F" veth2 10.2.0.12/32
ip -n "$E" route add 10.2.0.12 dev veth2 src 10.2.0.11
ip -n "$F" route add 10.2.0.11 dev veth2 src 10.2.0.12
sk "$E" -c <<'EOS'
spdadd 10.2.0.11 10.2.0.12 any -P out ipsec ah/transport//default;
spdadd 10.2.0.12 10.2.0.11 any -P in ipsec ah/transport//default;
EOS
# deflev_case KNOB WHAT: with KNOB at 1 the `default` request (WHAT) without
# an SA lets pings pass in the clear; at 2 it is required: E's pings are
# dropped (DropNoSa) and F's, in the clear, refused (DropPolicyViolation).
deflev_case() {
	local knob=$1 what=$2 nosa0 viol0 nosa1 viol1
	pings "$knob=1: a default $what without an SA lets pings pass in the clear" "$E" 10.2.0.12
	knob "$knob" 2
	nosa0=$(stat_of "$E" DropNoSa) viol0=$(stat_of "$E" DropPolicyViolation)
	ip netns exec "$E" ping -c 1 -W 1 10.2.0.12 >/dev/null
	ip netns exec "$F" ping -c 1 -W 1 10.2.0.11 >/dev/null
	nosa1=$(stat_of "$E" DropNoSa) viol1=$(stat_of "$E" DropPolicyViolation)
	ktap_check "$knob=2: the default $what is required: out dropped (DropNoSa $nosa0 -> $nosa1), clear in refused (DropPolicyViolation $viol0 -> $viol1)" \
		test "$nosa1" -ge $((nosa0 + 1)) -a "$viol1" -ge $((viol0 + 1))
	knob "$knob" 1
}
deflev_case ah_trans_deflev "AH request"
# ah_net_deflev decides a `default` tunnel request the same way.
sk "$E" -c <<'EOS'
spdupdate 10.2.0.11 10.2.0.12 any -P out ipsec ah/tunnel/10.2.0.11-10.2.0.12/default;
spdupdate 10.2.0.12 10.2.0.11 any -P in ipsec ah/tunnel/10.2.0.12-10.2.0.11/default;
EOS
deflev_case ah_net_deflev "AH tunnel request"

# Tampering in flight: E and F also meet through M, where tamper.py
# forwards the frames between veth4 (E's side) and veth5 (F's side) and
# changes the AH packets F sends as the file "mode" says.
M=${RI_NS}ahm
netns_add "$M"
veth "$E" "$M" veth4
veth "$M" "$F" veth5
addrs "$E" veth4 10.4.0.1/24
addrs "$F" veth5 10.4.0.2/24
echo pass >"$WIRE_DIR/mode"
: >"$WIRE_DIR/tamper.log"
ip netns exec "$M" python3 -S "$RI_TESTS/ah/tamper.py" veth4 veth5 "$WIRE_DIR/mode" "$WIRE_DIR/tamper.log" &
tamper_pid=$!
printf '%s\n' \
	"xfrm state add src 10.4.0.1 dst 10.4.0.2 proto ah spi 0x4001 reqid 4 mode transport auth-trunc 'hmac(sha256)' $k1 128" \
	"xfrm state add src 10.4.0.2 dst 10.4.0.1 proto ah spi 0x4002 reqid 4 mode transport auth-trunc 'hmac(sha256)' $k2 128" \
	"xfrm policy add src 10.4.0.2 dst 10.4.0.1 dir out tmpl proto ah reqid 4 mode transport" \
	"xfrm policy add src 10.4.0.1 dst 10.4.0.2 dir in tmpl proto ah reqid 4 mode transport" |
	ip -n "$F" -batch -
printf '%s\n' \
	"add 10.4.0.1 10.4.0.2 ah 0x4001 -A hmac-sha256 $k1;" \
	"add 10.4.0.2 10.4.0.1 ah 0x4002 -A hmac-sha256 $k2;" \
	"spdadd 10.4.0.1 10.4.0.2 any -P out ipsec ah/transport//require;" \
	"spdadd 10.4.0.2 10.4.0.1 any -P in ipsec ah/transport//require;" | sk "$E" -c
pings "tamper: pings pass through the wire in M" "$E" 10.4.0.2
echo covered >"$WIRE_DIR/mode"
before=$(stat_of "$E" DropAuthFailed)
ip netns exec "$E" ping -c 2 -i 0.2 -W 1 10.4.0.2 >/dev/null
after=$(stat_of "$E" DropAuthFailed)
n=$(grep -c covered "$WIRE_DIR/tamper.log")
ktap_check "tamper: replies changed in a covered field (a payload byte, $n changed) are dropped and counted (DropAuthFailed $before -> $after)" \
	test "$n" -ge 2 -a "$after" -ge $((before + 2))
echo mutable >"$WIRE_DIR/mode"
pings "tamper: replies changed in mutable fields (TTL 7, TOS 0x10) pass" "$E" 10.4.0.2
n=$(grep -c mutable "$WIRE_DIR/tamper.log")
ktap_check "tamper: the wire did change them ($n packets)" test "$n" -ge 2
kill "$tamper_pid" 2>/dev/null
wait "$tamper_pid" 2>/dev/null

ri_netns_cleanup
ktap_finish
