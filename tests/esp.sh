#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The ESP algorithm matrix (datapath stages 3-7). rust_ipsec in namespace
# E (configured with setkey) meets Linux XFRM in F (configured with `ip
# xfrm`, the same keys) and a second rust_ipsec host G, in the cells of
# esp/matrix.txt: pairwise, every algorithm of esp/algorithms.txt in one
# mode at least, and every mode (transport over IPv4 and IPv6; 4in4, 6in6,
# 4in6 and 6in4 tunnels; a bundle of transport ESP inside a 4in4 tunnel)
# with an AEAD and with an encryption + integrity algorithm. A cell is run
# with both peers: pings (a ping and its reply cross both SAs of a pair)
# and TCP transfers initiated from each end, whose data comes back over the
# same connection (tcp.py echo), so every cell carries TCP both ways. The
# first algorithm's captures show only ESP with the expected SPIs on both
# links. Two TCP flows pinned to the guest's two CPUs run at once. Then: an
# SA from another local address to the same peer is not used; ESN with an
# AEAD and with AES-CBC + HMAC; fragmented
# ESP both ways; a packet whose ICV does not verify is counted and dropped;
# GSO packets (TSO on) are segmented, then protected; TCP SYNs get their MSS
# clamped so that no segment needs fragmenting after ESP. (Replay, ACQUIRE
# and lifetimes: tests/esp_events.sh; gateways, bundles and PMTU:
# tests/esp_tunnel.sh.)
#
# G pairs with E on a link of its own (on F's side it would need routing).
#
# +------------------+         +-----------------------+         +------------------+
# | $F: Linux XFRM   |  veth2  | $E: rust_ipsec        |  veth3  | $G: rust_ipsec   |
# | veth2 10.2.0.2   +---------+ veth2 10.2.0.1        |         |                  |
# |       fd02::2    |         |       fd02::1         |         |                  |
# |                  |         | veth3 10.3.0.1        +---------+ veth3 10.3.0.3   |
# |                  |         |       fd03::1         |         |       fd03::3    |
# +------------------+         +-----------------------+         +------------------+
#
# The links are /24 and /64. The inner addresses, on lo:
#
#              F                        E                        G
# 4in4, 6in6   192.168.22.1  fd22::1    192.168.21.1  fd21::1    192.168.23.1  fd23::1
# 4in6, 6in4   192.168.24.1  fd24::1    192.168.26.1  fd26::1    192.168.25.1  fd25::1
# bundles      192.168.28.1             192.168.27.1             192.168.29.1

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/module.sh"
. "$(dirname "$0")/lib/net.sh"
. "$(dirname "$0")/lib/topo.sh"
. "$(dirname "$0")/lib/wire.sh"
here=$(cd "$(dirname "$0")" && pwd)
E=${RI_NS}espr F=${RI_NS}espx G=${RI_NS}espg
tmp=$WIRE_DIR

ri_netns_cleanup
ri_load || { echo "TAP version 13"; echo "not ok 1 module loads"; echo "1..1"; exit 1; }
ktap_header "ESP transport over IPv4 and IPv6: rust_ipsec with Linux XFRM and with itself"
need_setkey "ESP"

netns_add "$E" "$F" "$G"
# Segmentation offload off for the matrix; the GSO case turns it on.
veth "$E" "$F" veth2
veth "$E" "$G" veth3
addrs "$E" veth2 10.2.0.1/24 fd02::1/64
addrs "$F" veth2 10.2.0.2/24 fd02::2/64
addrs "$E" veth3 10.3.0.1/24 fd03::1/64
addrs "$G" veth3 10.3.0.3/24 fd03::3/64
# Tunnel mode: inner addresses on lo, E 192.168.21.1 / fd21::1 and F
# 192.168.22.1 / fd22::1, tunnelled between the veth2 addresses.
addrs "$E" lo 192.168.21.1/32 fd21::1/128
addrs "$F" lo 192.168.22.1/32 fd22::1/128
# G's inner addresses, 192.168.23.1 / fd23::1, tunnelled over veth3.
addrs "$G" lo 192.168.23.1/32 fd23::1/128
# Bundles: transport ESP between E's 192.168.27.1 and F's 192.168.28.1 (G's
# 192.168.29.1), inside the 4in4 tunnel of the link.
addrs "$E" lo 192.168.27.1/32
addrs "$F" lo 192.168.28.1/32
addrs "$G" lo 192.168.29.1/32
# Mixed families: E's 192.168.26.1 and fd26::1 meet F's 192.168.24.1 (4in6
# over veth2's IPv6 addresses) and fd24::1 (6in4 over its IPv4 ones), and
# G's 192.168.25.1 (4in6) and fd25::1 (6in4) over veth3.
addrs "$E" lo 192.168.26.1/32 fd26::1/128
addrs "$F" lo 192.168.24.1/32 fd24::1/128
addrs "$G" lo 192.168.25.1/32 fd25::1/128

pin_neigh "$E" fd02::1 "$F" fd02::2 veth2
pin_neigh "$E" fd03::1 "$G" fd03::3 veth3

inner_routes "$E" 192.168.21.1 10.2.0.1 "$F" 192.168.22.1 10.2.0.2
inner_routes "$E" fd21::1 fd02::1 "$F" fd22::1 fd02::2
inner_routes "$E" 192.168.21.1 10.3.0.1 "$G" 192.168.23.1 10.3.0.3
inner_routes "$E" fd21::1 fd03::1 "$G" fd23::1 fd03::3
inner_routes "$E" 192.168.26.1 10.2.0.1 "$F" 192.168.24.1 10.2.0.2
inner_routes "$E" fd26::1 fd02::1 "$F" fd24::1 fd02::2
inner_routes "$E" 192.168.26.1 10.3.0.1 "$G" 192.168.25.1 10.3.0.3
inner_routes "$E" fd26::1 fd03::1 "$G" fd25::1 fd03::3
inner_routes "$E" 192.168.27.1 10.2.0.1 "$F" 192.168.28.1 10.2.0.2
inner_routes "$E" 192.168.27.1 10.3.0.1 "$G" 192.168.29.1 10.3.0.3

# K<n> in a spec becomes n key bytes (different per direction $2).
# Pure bash: under TCG with the debug kernel every process started costs
# about a second.
keys() {
	local spec=$1 dir=$2 out=$1 rest=$1 n hex i b
	while [[ $rest =~ K([0-9]+) ]]; do
		n=${BASH_REMATCH[1]}
		rest=${rest#*"${BASH_REMATCH[0]}"}
		hex=0x
		for ((i = 0; i < n; i++)); do
			printf -v b %02x $(((i * 13 + dir * 71 + n) % 256))
			hex+=$b
		done
		out=${out//K$n/$hex}
	done
	echo "$out"
}

# (not `echo`: it would take a leading -E as its own option)
trim() { sed 's/^[[:space:]]*//; s/[[:space:]]*$//' <<<"$1"; }

# A matrix case is a list of steps: ping2 and xfer run one each, noting in
# $why the ones that failed; report ends the case.
ping2() { # ping2 NS ADDR STEP: two pings from NS to ADDR
	ip netns exec "$1" ping -c 2 -i 0.2 -W 2 "$2" >/dev/null || why+=" $3"
}
xfer() { # xfer FROM TO-NS TO-ADDR STEP: a TCP transfer (net.sh)
	tcp "$1" "$2" "$3" || why+=" $4"
}
report() { # report NAME: passes when no step failed
	if [[ -z $why ]]; then
		ktap_ok "$1"
	else
		ktap_fail "$1 (failed:$why)"
		ip netns exec "$E" cat /proc/net/rust_ipsec_stat | grep -v '	0$' | sed 's/^/# /'
	fi
	why=""
}
why=""

# Policies: rust_ipsec in E for both peers, XFRM in F.
sk "$E" -c <<'EOF'
spdadd 10.2.0.1 10.2.0.2 any -P out ipsec esp/transport//require;
spdadd 10.2.0.2 10.2.0.1 any -P in ipsec esp/transport//require;
spdadd 10.3.0.1 10.3.0.3 any -P out ipsec esp/transport//require;
spdadd 10.3.0.3 10.3.0.1 any -P in ipsec esp/transport//require;
spdadd fd02::1 fd02::2 any -P out ipsec esp/transport//require;
spdadd fd02::2 fd02::1 any -P in ipsec esp/transport//require;
spdadd fd03::1 fd03::3 any -P out ipsec esp/transport//require;
spdadd fd03::3 fd03::1 any -P in ipsec esp/transport//require;
spdadd 192.168.21.1 192.168.22.1 any -P out ipsec esp/tunnel/10.2.0.1-10.2.0.2/unique:3;
spdadd 192.168.22.1 192.168.21.1 any -P in ipsec esp/tunnel/10.2.0.2-10.2.0.1/unique:3;
spdadd fd21::1 fd22::1 any -P out ipsec esp/tunnel/fd02::1-fd02::2/unique:4;
spdadd fd22::1 fd21::1 any -P in ipsec esp/tunnel/fd02::2-fd02::1/unique:4;
spdadd 192.168.26.1 192.168.24.1 any -P out ipsec esp/tunnel/fd02::1-fd02::2/unique:5;
spdadd 192.168.24.1 192.168.26.1 any -P in ipsec esp/tunnel/fd02::2-fd02::1/unique:5;
spdadd fd26::1 fd24::1 any -P out ipsec esp/tunnel/10.2.0.1-10.2.0.2/unique:6;
spdadd fd24::1 fd26::1 any -P in ipsec esp/tunnel/10.2.0.2-10.2.0.1/unique:6;
spdadd 192.168.21.1 192.168.23.1 any -P out ipsec esp/tunnel/10.3.0.1-10.3.0.3/unique:7;
spdadd 192.168.23.1 192.168.21.1 any -P in ipsec esp/tunnel/10.3.0.3-10.3.0.1/unique:7;
spdadd fd21::1 fd23::1 any -P out ipsec esp/tunnel/fd03::1-fd03::3/unique:8;
spdadd fd23::1 fd21::1 any -P in ipsec esp/tunnel/fd03::3-fd03::1/unique:8;
spdadd 192.168.26.1 192.168.25.1 any -P out ipsec esp/tunnel/fd03::1-fd03::3/unique:9;
spdadd 192.168.25.1 192.168.26.1 any -P in ipsec esp/tunnel/fd03::3-fd03::1/unique:9;
spdadd fd26::1 fd25::1 any -P out ipsec esp/tunnel/10.3.0.1-10.3.0.3/unique:10;
spdadd fd25::1 fd26::1 any -P in ipsec esp/tunnel/10.3.0.3-10.3.0.1/unique:10;
spdadd 192.168.27.1 192.168.28.1 any -P out ipsec esp/transport//unique:11 esp/tunnel/10.2.0.1-10.2.0.2/unique:3;
spdadd 192.168.28.1 192.168.27.1 any -P in ipsec esp/transport//unique:11 esp/tunnel/10.2.0.2-10.2.0.1/unique:3;
spdadd 192.168.27.1 192.168.29.1 any -P out ipsec esp/transport//unique:12 esp/tunnel/10.3.0.1-10.3.0.3/unique:7;
spdadd 192.168.29.1 192.168.27.1 any -P in ipsec esp/transport//unique:12 esp/tunnel/10.3.0.3-10.3.0.1/unique:7;
EOF
sk "$G" -c <<'EOF'
spdadd 10.3.0.3 10.3.0.1 any -P out ipsec esp/transport//require;
spdadd 10.3.0.1 10.3.0.3 any -P in ipsec esp/transport//require;
spdadd fd03::3 fd03::1 any -P out ipsec esp/transport//require;
spdadd fd03::1 fd03::3 any -P in ipsec esp/transport//require;
spdadd 192.168.23.1 192.168.21.1 any -P out ipsec esp/tunnel/10.3.0.3-10.3.0.1/unique:7;
spdadd 192.168.21.1 192.168.23.1 any -P in ipsec esp/tunnel/10.3.0.1-10.3.0.3/unique:7;
spdadd fd23::1 fd21::1 any -P out ipsec esp/tunnel/fd03::3-fd03::1/unique:8;
spdadd fd21::1 fd23::1 any -P in ipsec esp/tunnel/fd03::1-fd03::3/unique:8;
spdadd 192.168.25.1 192.168.26.1 any -P out ipsec esp/tunnel/fd03::3-fd03::1/unique:9;
spdadd 192.168.26.1 192.168.25.1 any -P in ipsec esp/tunnel/fd03::1-fd03::3/unique:9;
spdadd fd25::1 fd26::1 any -P out ipsec esp/tunnel/10.3.0.3-10.3.0.1/unique:10;
spdadd fd26::1 fd25::1 any -P in ipsec esp/tunnel/10.3.0.1-10.3.0.3/unique:10;
spdadd 192.168.29.1 192.168.27.1 any -P out ipsec esp/transport//unique:12 esp/tunnel/10.3.0.3-10.3.0.1/unique:7;
spdadd 192.168.27.1 192.168.29.1 any -P in ipsec esp/transport//unique:12 esp/tunnel/10.3.0.1-10.3.0.3/unique:7;
EOF
ip -n "$F" xfrm policy add src 10.2.0.2 dst 10.2.0.1 dir out tmpl proto esp reqid 1 mode transport
ip -n "$F" xfrm policy add src 10.2.0.1 dst 10.2.0.2 dir in tmpl proto esp reqid 1 mode transport
ip -n "$F" xfrm policy add src fd02::2 dst fd02::1 dir out tmpl proto esp reqid 2 mode transport
ip -n "$F" xfrm policy add src fd02::1 dst fd02::2 dir in tmpl proto esp reqid 2 mode transport
ip -n "$F" xfrm policy add src 192.168.22.1 dst 192.168.21.1 dir out tmpl src 10.2.0.2 dst 10.2.0.1 proto esp reqid 3 mode tunnel
ip -n "$F" xfrm policy add src 192.168.21.1 dst 192.168.22.1 dir in tmpl src 10.2.0.1 dst 10.2.0.2 proto esp reqid 3 mode tunnel
ip -n "$F" xfrm policy add src fd22::1 dst fd21::1 dir out tmpl src fd02::2 dst fd02::1 proto esp reqid 4 mode tunnel
ip -n "$F" xfrm policy add src fd21::1 dst fd22::1 dir in tmpl src fd02::1 dst fd02::2 proto esp reqid 4 mode tunnel
ip -n "$F" xfrm policy add src 192.168.24.1 dst 192.168.26.1 dir out tmpl src fd02::2 dst fd02::1 proto esp reqid 5 mode tunnel
ip -n "$F" xfrm policy add src 192.168.26.1 dst 192.168.24.1 dir in tmpl src fd02::1 dst fd02::2 proto esp reqid 5 mode tunnel
ip -n "$F" xfrm policy add src fd24::1 dst fd26::1 dir out tmpl src 10.2.0.2 dst 10.2.0.1 proto esp reqid 6 mode tunnel
ip -n "$F" xfrm policy add src fd26::1 dst fd24::1 dir in tmpl src 10.2.0.1 dst 10.2.0.2 proto esp reqid 6 mode tunnel
ip -n "$F" xfrm policy add src 192.168.28.1 dst 192.168.27.1 dir out tmpl proto esp reqid 11 mode transport \
	tmpl src 10.2.0.2 dst 10.2.0.1 proto esp reqid 3 mode tunnel
ip -n "$F" xfrm policy add src 192.168.27.1 dst 192.168.28.1 dir in tmpl proto esp reqid 11 mode transport \
	tmpl src 10.2.0.1 dst 10.2.0.2 proto esp reqid 3 mode tunnel

# set_sas SK-SPEC XFRM-SPEC: fresh SAs 0x1001 (E->F), 0x1002 (F->E) with
# the same keys on both sides, and 0x2001 (E->G), 0x2002 (G->E); over
# IPv6 0x3001/0x3002 (E-F) and 0x4001/0x4002 (E-G); tunnel SAs, with
# keys of their own and a reqid each (the policies are `unique`: several
# tunnels end at the same address), E-F 4in4 0x5001/0x5002, 6in6
# 0x6001/0x6002, 4in6 0x8001/0x8002 and 6in4 0x8101/0x8102, and E-G
# 0x7001/0x7002, 0x7101/0x7102, 0x9001/0x9002 and 0x9101/0x9102; the
# bundles' inner transport SAs E-F 0xa001/0xa002 (reqid 11) and E-G
# 0xa101/0xa102 (reqid 12), inside the 4in4 tunnel SAs.
set_sas() {
	local sk1 sk2 xf1 xf2 skt1 skt2 xft1 xft2 skb1 skb2 xfb1 xfb2
	sk1=$(keys "$1" 1) sk2=$(keys "$1" 2) xf1=$(keys "$2" 1) xf2=$(keys "$2" 2)
	skt1=$(keys "$1" 3) skt2=$(keys "$1" 4) xft1=$(keys "$2" 3) xft2=$(keys "$2" 4)
	skb1=$(keys "$1" 5) skb2=$(keys "$1" 6) xfb1=$(keys "$2" 5) xfb2=$(keys "$2" 6)
	# One process per host: ip -batch for XFRM, setkey -c for rust_ipsec.
	printf '%s\n' "xfrm state flush" \
		"xfrm state add src 10.2.0.1 dst 10.2.0.2 proto esp spi 0x1001 reqid 1 mode transport $xf1" \
		"xfrm state add src 10.2.0.2 dst 10.2.0.1 proto esp spi 0x1002 reqid 1 mode transport $xf2" \
		"xfrm state add src fd02::1 dst fd02::2 proto esp spi 0x3001 reqid 2 mode transport $xf1" \
		"xfrm state add src fd02::2 dst fd02::1 proto esp spi 0x3002 reqid 2 mode transport $xf2" \
		"xfrm state add src 10.2.0.1 dst 10.2.0.2 proto esp spi 0x5001 reqid 3 mode tunnel $xft1" \
		"xfrm state add src 10.2.0.2 dst 10.2.0.1 proto esp spi 0x5002 reqid 3 mode tunnel $xft2" \
		"xfrm state add src fd02::1 dst fd02::2 proto esp spi 0x6001 reqid 4 mode tunnel $xft1" \
		"xfrm state add src fd02::2 dst fd02::1 proto esp spi 0x6002 reqid 4 mode tunnel $xft2" \
		"xfrm state add src fd02::1 dst fd02::2 proto esp spi 0x8001 reqid 5 mode tunnel sel src 0.0.0.0/0 dst 0.0.0.0/0 $xft1" \
		"xfrm state add src fd02::2 dst fd02::1 proto esp spi 0x8002 reqid 5 mode tunnel sel src 0.0.0.0/0 dst 0.0.0.0/0 $xft2" \
		"xfrm state add src 10.2.0.1 dst 10.2.0.2 proto esp spi 0x8101 reqid 6 mode tunnel sel src ::/0 dst ::/0 $xft1" \
		"xfrm state add src 10.2.0.2 dst 10.2.0.1 proto esp spi 0x8102 reqid 6 mode tunnel sel src ::/0 dst ::/0 $xft2" \
		"xfrm state add src 192.168.27.1 dst 192.168.28.1 proto esp spi 0xa001 reqid 11 mode transport $xfb1" \
		"xfrm state add src 192.168.28.1 dst 192.168.27.1 proto esp spi 0xa002 reqid 11 mode transport $xfb2" | ip -n "$F" -batch - || return 1
	printf '%s\n' "flush;" "add 10.2.0.1 10.2.0.2 esp 0x1001 -m transport $sk1;" \
		"add 10.2.0.2 10.2.0.1 esp 0x1002 -m transport $sk2;" \
		"add 10.3.0.1 10.3.0.3 esp 0x2001 -m transport $sk1;" \
		"add 10.3.0.3 10.3.0.1 esp 0x2002 -m transport $sk2;" \
		"add fd02::1 fd02::2 esp 0x3001 -m transport $sk1;" \
		"add fd02::2 fd02::1 esp 0x3002 -m transport $sk2;" \
		"add fd03::1 fd03::3 esp 0x4001 -m transport $sk1;" \
		"add fd03::3 fd03::1 esp 0x4002 -m transport $sk2;" \
		"add 10.2.0.1 10.2.0.2 esp 0x5001 -m tunnel -u 3 $skt1;" \
		"add 10.2.0.2 10.2.0.1 esp 0x5002 -m tunnel -u 3 $skt2;" \
		"add fd02::1 fd02::2 esp 0x6001 -m tunnel -u 4 $skt1;" \
		"add fd02::2 fd02::1 esp 0x6002 -m tunnel -u 4 $skt2;" \
		"add fd02::1 fd02::2 esp 0x8001 -m tunnel -u 5 $skt1;" \
		"add fd02::2 fd02::1 esp 0x8002 -m tunnel -u 5 $skt2;" \
		"add 10.2.0.1 10.2.0.2 esp 0x8101 -m tunnel -u 6 $skt1;" \
		"add 10.2.0.2 10.2.0.1 esp 0x8102 -m tunnel -u 6 $skt2;" \
		"add 10.3.0.1 10.3.0.3 esp 0x7001 -m tunnel -u 7 $skt1;" \
		"add 10.3.0.3 10.3.0.1 esp 0x7002 -m tunnel -u 7 $skt2;" \
		"add fd03::1 fd03::3 esp 0x7101 -m tunnel -u 8 $skt1;" \
		"add fd03::3 fd03::1 esp 0x7102 -m tunnel -u 8 $skt2;" \
		"add fd03::1 fd03::3 esp 0x9001 -m tunnel -u 9 $skt1;" \
		"add fd03::3 fd03::1 esp 0x9002 -m tunnel -u 9 $skt2;" \
		"add 10.3.0.1 10.3.0.3 esp 0x9101 -m tunnel -u 10 $skt1;" \
		"add 10.3.0.3 10.3.0.1 esp 0x9102 -m tunnel -u 10 $skt2;" \
		"add 192.168.27.1 192.168.28.1 esp 0xa001 -m transport -u 11 $skb1;" \
		"add 192.168.28.1 192.168.27.1 esp 0xa002 -m transport -u 11 $skb2;" \
		"add 192.168.27.1 192.168.29.1 esp 0xa101 -m transport -u 12 $skb1;" \
		"add 192.168.29.1 192.168.27.1 esp 0xa102 -m transport -u 12 $skb2;" | sk "$E" -c || return 1
	printf '%s\n' "flush;" "add 10.3.0.1 10.3.0.3 esp 0x2001 -m transport $sk1;" \
		"add 10.3.0.3 10.3.0.1 esp 0x2002 -m transport $sk2;" \
		"add fd03::1 fd03::3 esp 0x4001 -m transport $sk1;" \
		"add fd03::3 fd03::1 esp 0x4002 -m transport $sk2;" \
		"add 10.3.0.1 10.3.0.3 esp 0x7001 -m tunnel -u 7 $skt1;" \
		"add 10.3.0.3 10.3.0.1 esp 0x7002 -m tunnel -u 7 $skt2;" \
		"add fd03::1 fd03::3 esp 0x7101 -m tunnel -u 8 $skt1;" \
		"add fd03::3 fd03::1 esp 0x7102 -m tunnel -u 8 $skt2;" \
		"add fd03::1 fd03::3 esp 0x9001 -m tunnel -u 9 $skt1;" \
		"add fd03::3 fd03::1 esp 0x9002 -m tunnel -u 9 $skt2;" \
		"add 10.3.0.1 10.3.0.3 esp 0x9101 -m tunnel -u 10 $skt1;" \
		"add 10.3.0.3 10.3.0.1 esp 0x9102 -m tunnel -u 10 $skt2;" \
		"add 192.168.27.1 192.168.29.1 esp 0xa101 -m transport -u 12 $skb1;" \
		"add 192.168.29.1 192.168.27.1 esp 0xa102 -m transport -u 12 $skb2;" | sk "$G" -c
}

# only_esp NAME CAPTURE SCOPE SPI...: one case, passing when the capture
# CAPTURE has more than 10 ESP packets with each SPI (hex, without 0x),
# and nothing else within the tcpdump filter SCOPE.
only_esp() {
	local name=$1 cap=$2 scope=$3 spi i=0 counts="" specs=()
	shift 3
	for spi in "$@"; do specs+=("spi=$spi"); done
	wire_only_esp "$cap" 10 "$scope" "${specs[@]}"
	local rc=$?
	for spi in "$@"; do
		counts+=" 0x$spi: ${WIRE_N[i++]},"
	done
	if ((rc == 0)); then
		ktap_ok "$name: the link carried only ESP ($counts other: $WIRE_OTHER)"
	else
		ktap_fail "$name: only ESP on the link ($counts other: $WIRE_OTHER)"
		wire_diag_other
	fi
}

# TCP echo servers (tcp.py echo-serve) in all three namespaces, on every
# address: a client's bytes come back over the same connection, so each
# transfer carries data both ways, across both SAs of a pair.
spids=""
for ns in "$E" "$F" "$G"; do
	timeout 7200 ip netns exec "$ns" python3 -S "$here/esp/tcp.py" echo-serve 5002 &
	spids+=" $!"
done
tcp_both() { # tcp_both FROM STEP ADDR...: an echoed TCP transfer to each ADDR
	local from=$1 step=$2 out a
	shift 2
	out=$(timeout 200 ip netns exec "$from" python3 -S "$here/esp/tcp.py" echo 5002 32768 "$@" 2>&1)
	for a in "$@"; do
		grep -qx "$a ok" <<<"$out" || why+=" $step:$a"
	done
	grep FAIL <<<"$out" | sed 's/^/# /'
}

# The cells of each mode, per peer: "PING-FROM PING-TO|E's TCP target|the
# peer's TCP target" (a ping and its reply cross both SAs of the pair; the
# TCP transfers are echoed, so data crosses both SAs in each).
declare -A with_xfrm=(
	[v4]="E 10.2.0.2|10.2.0.2|10.2.0.1"
	[v6]="E fd02::2|fd02::2|fd02::1"
	[4in4]="E 192.168.22.1|192.168.22.1|192.168.21.1"
	[6in6]="F fd21::1|fd22::1|fd21::1"
	[4in6]="E 192.168.24.1|192.168.24.1|192.168.26.1"
	[6in4]="F fd26::1|fd24::1|fd26::1"
	[bundle]="E 192.168.28.1|192.168.28.1|192.168.27.1"
)
declare -A with_rust=(
	[v4]="G 10.3.0.1|10.3.0.3|10.3.0.1"
	[v6]="E fd03::3|fd03::3|fd03::1"
	[4in4]="E 192.168.23.1|192.168.23.1|192.168.21.1"
	[6in6]="G fd21::1|fd23::1|fd21::1"
	[4in6]="E 192.168.25.1|192.168.25.1|192.168.26.1"
	[6in4]="G fd26::1|fd25::1|fd26::1"
	[bundle]="E 192.168.29.1|192.168.29.1|192.168.27.1"
)
ns_of() { case $1 in E) echo "$E" ;; F) echo "$F" ;; G) echo "$G" ;; esac; }

# cell_peer PEER-NS TABLE MODE...: for every MODE, pings both ways between E
# and PEER-NS, then echoed TCP from each end to all of them.
cell_peer() {
	local peer=$1 mode ping e p from to e_to=() p_to=()
	local -n cells=$2
	shift 2
	for mode in "$@"; do
		IFS='|' read -r ping e p <<<"${cells[$mode]}"
		read -r from to <<<"$ping"
		ping2 "$(ns_of "$from")" "$to" "ping-$mode"
		e_to+=("$e") p_to+=("$p")
	done
	tcp_both "$E" tcp-from-E "${e_to[@]}"
	tcp_both "$peer" tcp-to-E "${p_to[@]}"
}

# The table (esp/matrix.txt): algorithm -> its modes, checked against the
# pairwise rules it must keep.
modes_all=(v4 v6 4in4 6in6 4in6 6in4 bundle)
declare -A cell_modes cell_kind
while read -r alg kind marks; do
	[[ -z $alg || $alg == \#* ]] && continue
	read -ra m <<<"$marks"
	cell_kind[$alg]=$kind
	for i in "${!modes_all[@]}"; do
		[[ ${m[i]:-} == x ]] && cell_modes[$alg]+=" ${modes_all[i]}"
	done
done <"$here/esp/matrix.txt"
algs_listed=$(grep -v '^[[:space:]]*#' "${ESP_ALGORITHMS:-$here/esp/algorithms.txt}" | cut -d'|' -f1 | tr -d ' ' | grep .)
rules=""
for a in $algs_listed; do
	[[ -n ${cell_modes[$a]:-} ]] || rules+=" $a has no cell;"
done
if [[ -z ${ESP_ALGORITHMS:-} ]]; then
	for mode in "${modes_all[@]}"; do
		for kind in aead authenc; do
			n=0
			for a in $algs_listed; do
				[[ ${cell_kind[$a]:-} == "$kind" && " ${cell_modes[$a]:-} " == *" $mode "* ]] && n=$((n + 1))
			done
			((n > 0)) || rules+=" no $kind cell in $mode;"
		done
	done
fi
if [[ -z $rules ]]; then
	ktap_ok "the matrix (esp/matrix.txt) has a cell for every algorithm, and an AEAD and an authenc cell in every mode"
else
	ktap_fail "the matrix (esp/matrix.txt) is pairwise complete:$rules"
fi

first=1
while IFS='|' read -r name skspec xfspec; do
	name=$(trim "$name") skspec=$(trim "$skspec") xfspec=$(trim "$xfspec")
	[[ -z $name || $name == \#* ]] && continue
	read -ra modes <<<"${cell_modes[$name]:-}"
	((${#modes[@]})) || continue
	if ! set_sas "$skspec" "$xfspec" 2>"$tmp/err"; then
		ktap_fail "$name: SAs installed on both sides"
		sed 's/^/# /' "$tmp/err"
		continue
	fi
	if ((first)); then
		# What each end sends (-o): the whole wire of each link.
		wire_start link2 -o -t 600 "$E" veth2 "$F" veth2
		wire_start link3 -o -t 600 "$E" veth3 "$G" veth3
	fi
	cell_peer "$F" with_xfrm "${modes[@]}"
	report "$name: with Linux XFRM, ping and TCP both ways (${modes[*]})"
	cell_peer "$G" with_rust "${modes[@]}"
	report "$name: between two rust_ipsec hosts, ping and TCP both ways (${modes[*]})"
	if ((first)); then
		first=0
		wire_stop link2 link3
		# Over IPv6: WIRE_V6 leaves out link-local and multicast chatter
		# (router solicitations, MLD), which has no policy here.
		only_esp "$name with XFRM, over IPv4 (transport, 4in4, 6in4, bundle)" link2 ip 1001 1002 5001 5002 8101 8102
		only_esp "$name with XFRM, over IPv6 (transport, 6in6, 4in6)" link2 "$WIRE_V6" 3001 3002 6001 6002 8001 8002
		only_esp "$name between rust_ipsec hosts, over IPv4 (transport, 4in4, 6in4, bundle)" link3 ip 2001 2002 7001 7002 9101 9102
		only_esp "$name between rust_ipsec hosts, over IPv6 (transport, 6in6, 4in6)" link3 "$WIRE_V6" 4001 4002 7101 7102 9001 9002
		# Bundles: both layers carried traffic (E's inner transport SAs
		# counted bytes both ways, with each peer).
		bundle_bytes=""
		sk "$E" -D >"$tmp/D"
		for sd in "192.168.27.1 192.168.28.1" "192.168.28.1 192.168.27.1" \
			"192.168.27.1 192.168.29.1" "192.168.29.1 192.168.27.1"; do
			bundle_bytes+=" $(awk -v sd="$sd" 'index($0, sd " ") == 1 || $0 == sd { s = 1 } s && /\(bytes\)/ { sub(/\(bytes\).*/, "", $2); print $2; exit }' "$tmp/D")"
		done
		read -r b1 b2 b3 b4 <<<"$bundle_bytes"
		ktap_check "$name bundle: E's inner transport SAs carried traffic (bytes: to F ${b1:-?}, from F ${b2:-?}, to G ${b3:-?}, from G ${b4:-?})" \
			test "${b1:-0}" -gt 0 -a "${b2:-0}" -gt 0 -a "${b3:-0}" -gt 0 -a "${b4:-0}" -gt 0
	fi
done <"${ESP_ALGORITHMS:-$here/esp/algorithms.txt}"

# Two CPUs at once: a TCP flow to F pinned to the first CPU and one to G
# pinned to the last run at the same time, each echoed back (both SA pairs,
# both ways), so the datapath's locks, per-CPU scratch and counters serve
# two CPUs at once.
set_sas "-E aes-gcm-16 K20" "aead 'rfc4106(gcm(aes))' K20 128"
before=$(stat_of "$E" EspOutPackets)
last=$(($(nproc) - 1))
timeout 200 ip netns exec "$E" taskset -c 0 python3 -S "$here/esp/tcp.py" echo 5002 300000 10.2.0.2 192.168.22.1 >"$tmp/cpu0" 2>&1 &
p0=$!
timeout 200 ip netns exec "$E" taskset -c "$last" python3 -S "$here/esp/tcp.py" echo 5002 300000 10.3.0.3 192.168.23.1 >"$tmp/cpu1" 2>&1 &
p1=$!
wait $p0
r0=$?
wait $p1
r1=$?
after=$(stat_of "$E" EspOutPackets)
ktap_check "two echoed TCP flows at once on CPU 0 (to XFRM: $(tr '\n' ' ' <"$tmp/cpu0")) and CPU $last (to rust_ipsec: $(tr '\n' ' ' <"$tmp/cpu1")), EspOutPackets +$((after - before))" \
	test "$last" -ge 1 -a "$r0" = 0 -a "$r1" = 0 -a $((after - before)) -ge 400
kill $spids 2>/dev/null
wait $spids 2>/dev/null

# TCP SYNs that an SA protects get their MSS lowered so that full-sized
# segments fit the link after ESP, instead of being fragmented.
set_sas "-E aes-gcm-16 K20" "aead 'rfc4106(gcm(aes))' K20 128"
wire_start frag -f 'ip proto 50 or ip6 proto 50 or (ip[6:2] & 0x3fff != 0) or ip6[6] == 44' "$F" veth2
tcp "$E" "$F" 10.2.0.2 && tcp "$F" "$E" 10.2.0.1 && tcp "$E" "$F" fd02::2
ok=$?
wire_stop frag
frags=$(wire_count frag '(ip[6:2] & 0x3fff != 0) or ip6[6] == 44')
esp=$(wire_count frag "$WIRE_ESP")
ktap_check "TCP over ESP sends no fragments: MSS clamped ($esp ESP packets, $frags fragments)" \
	test "$ok" = 0 -a "$frags" = 0 -a "$esp" -gt 100

# Fragments both ways: 4,000-byte pings, whose replies are as big, between
# E (rust_ipsec) and F (XFRM) over IPv4 and IPv6. ESP packets are
# fragmented after encryption and reassembled before decryption (IPv6
# through nf_defrag_ipv6 in LOCAL_IN); ping checks the data it gets back.
set_sas "-E aes-gcm-16 K20" "aead 'rfc4106(gcm(aes))' K20 128"
wire_start big -f 'ip or ip6' "$F" veth2
dropped() { echo $(($(stat_of "$E" DropMalformed) + $(stat_of "$E" DropUnsupported))); }
before=$(dropped)
for to in "E F 10.2.0.2" "E F fd02::2" "F E 10.2.0.1" "F E fd02::1"; do
	set -- $to
	from=$E
	[[ $1 == F ]] && from=$F
	ktap_check "fragments: 4000-byte pings from $1 to $2 ($3) and their replies" \
		ip netns exec "$from" ping -c 2 -i 0.3 -W 3 -s 4000 "$3"
done
after=$(dropped)
wire_stop big
# On the wire: IPv4 fragments of ESP (the protocol field says ESP in each)
# and IPv6 Fragment headers followed by ESP, from both ends; nothing else.
big() { wire_count big "$1"; }
f4e=$(big 'src 10.2.0.1 and ip proto 50 and ip[6:2] & 0x3fff != 0')
f4f=$(big 'src 10.2.0.2 and ip proto 50 and ip[6:2] & 0x3fff != 0')
f6e=$(big 'src fd02::1 and ip6[6] == 44 and ip6[40] == 50')
f6f=$(big 'src fd02::2 and ip6[6] == 44 and ip6[40] == 50')
other=$(big '(ip and not ip proto 50) or (ip6 and not src net fe80::/10 and not dst net ff00::/8 and not ip6 proto 50 and not (ip6[6] == 44 and ip6[40] == 50))')
ktap_check "fragments: fragmented ESP both ways on the wire (IPv4 from E $f4e, from F $f4f; IPv6 from E $f6e, from F $f6f; other $other)" \
	test "$f4e" -gt 0 -a "$f4f" -gt 0 -a "$f6e" -gt 0 -a "$f6f" -gt 0 -a "$other" = 0
ktap_check "fragments: E dropped none (DropMalformed + DropUnsupported $before -> $after)" test "$before" = "$after"

# An SA's source address counts: one to the same peer from another local
# address (a lower SPI, so the first in the SADB's order) is not used for
# 10.2.0.1's packets; if it were, F would drop them (no SA 0x1000 there).
set_sas "-E aes-gcm-16 K20" "aead 'rfc4106(gcm(aes))' K20 128"
ip -n "$E" addr add 10.2.0.11/24 dev veth2
echo "add 10.2.0.11 10.2.0.2 esp 0x1000 -m transport -E aes-gcm-16 0x$(printf 'ab%.0s' {1..20});" | sk "$E" -c
ktap_check "an SA to the peer from another local address is not used (ping over 0x1001)" \
	ip netns exec "$E" ping -c 2 -i 0.2 -W 2 10.2.0.2
ip -n "$E" addr del 10.2.0.11/24 dev veth2

# A packet whose ICV does not verify: F sends with another key.
set_sas "-E aes-gcm-16 K20" "aead 'rfc4106(gcm(aes))' K20 128"
ip -n "$F" xfrm state del src 10.2.0.2 dst 10.2.0.1 proto esp spi 0x1002
ip -n "$F" xfrm state add src 10.2.0.2 dst 10.2.0.1 proto esp spi 0x1002 reqid 1 mode transport \
	aead 'rfc4106(gcm(aes))' 0xffffffffffffffffffffffffffffffffffffffff 128
before=$(stat_of "$E" DropAuthFailed)
ip netns exec "$E" ping -c 2 -i 0.2 -W 1 10.2.0.2 >/dev/null
after=$(stat_of "$E" DropAuthFailed)
ktap_check "ESP with a bad ICV is counted and dropped (DropAuthFailed $before -> $after)" test "$after" -gt "$before"

# GSO packets are segmented in software, then each segment protected.
set_sas "-E aes-gcm-16 K20" "aead 'rfc4106(gcm(aes))' K20 128"
ip netns exec "$E" ethtool -K veth2 tso on gso on >/dev/null 2>&1
before=$(stat_of "$E" EspOutPackets)
ktap_check "a TCP transfer with TSO/GSO on is segmented, then sent over ESP" tcp "$E" "$F" 10.2.0.2
after=$(stat_of "$E" EspOutPackets)
ktap_check "its segments went out as ESP (EspOutPackets $before -> $after)" test $((after - before)) -ge 100

# Extended sequence numbers (RFC 4303 section 2.2.1): the ICV covers the
# high half of the sequence number too (AEAD: in the associated data;
# HMAC: appended, the crypto API's authencesn), so any disagreement with
# XFRM fails every packet. With an AEAD and with AES-CBC + HMAC-SHA-256.
for spec in "aes-gcm-16/128|-E aes-gcm-16 K20|aead 'rfc4106(gcm(aes))' K20 128" \
	"aes-cbc+sha256|-E aes-cbc K16 -A hmac-sha256 K32|enc 'cbc(aes)' K16 auth-trunc 'hmac(sha256)' K32 128"; do
	IFS='|' read -r name skspec xfspec <<<"$spec"
	set_sas "$skspec" "$xfspec"
	ip -n "$F" xfrm state del src 10.2.0.1 dst 10.2.0.2 proto esp spi 0x1001
	ip -n "$F" xfrm state del src 10.2.0.2 dst 10.2.0.1 proto esp spi 0x1002
	eval "ip -n $F xfrm state add src 10.2.0.1 dst 10.2.0.2 proto esp spi 0x1001 reqid 1 mode transport $(keys "$xfspec" 1) flag esn replay-window 64"
	eval "ip -n $F xfrm state add src 10.2.0.2 dst 10.2.0.1 proto esp spi 0x1002 reqid 1 mode transport $(keys "$xfspec" 2) flag esn replay-window 64"
	printf '%s\n' "delete 10.2.0.1 10.2.0.2 esp 0x1001;" "delete 10.2.0.2 10.2.0.1 esp 0x1002;" \
		"add 10.2.0.1 10.2.0.2 esp 0x1001 -m transport -esn -r 64 $(keys "$skspec" 1);" \
		"add 10.2.0.2 10.2.0.1 esp 0x1002 -m transport -esn -r 64 $(keys "$skspec" 2);" | sk "$E" -c
	ping2 "$E" 10.2.0.2 ping
	xfer "$E" "$F" 10.2.0.2 tcp-to-xfrm
	xfer "$F" "$E" 10.2.0.1 tcp-from-xfrm
	report "ESN with $name: ping and TCP both ways with Linux XFRM"
done

ri_netns_cleanup
ktap_finish
