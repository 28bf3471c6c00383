#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The ESP algorithm matrix (datapath stages 3-7): for every algorithm in
# esp/algorithms.txt, a namespace configured with setkey (rust_ipsec) and
# one configured with `ip xfrm` (Linux XFRM) with the same keys ping each
# other and move data over TCP in transport mode over IPv4, and ping over
# IPv6 transport and through 4in4 and 6in6 tunnels; two rust_ipsec
# namespaces move data over IPv4 transport and ping over IPv6 transport
# and through both tunnels. A ping and its reply cross both SAs of a
# pair, so every algorithm is checked in each mode and family in both
# directions; TCP both ways over IPv6 transport for an AEAD and for
# AES-CBC + HMAC, tunnel TCP both ways in esp_tunnel.sh. The link
# carries only ESP with the expected SPIs. ESN with an AEAD and with
# AES-CBC + HMAC. Fragmented ESP both ways; a
# packet whose ICV does not verify is counted and dropped; GSO packets (TSO
# on) are segmented, then protected; TCP SYNs get their MSS clamped so
# that no segment needs fragmenting after ESP. (Replay, ACQUIRE and
# lifetimes: tests/esp_events.sh.)

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/module.sh"
. "$(dirname "$0")/lib/net.sh"
here=$(cd "$(dirname "$0")" && pwd)
E=${RI_NS}espr F=${RI_NS}espx G=${RI_NS}espg
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ri_netns_cleanup
ri_load || { echo "TAP version 13"; echo "not ok 1 module loads"; echo "1..1"; exit 1; }
ktap_header "ESP transport over IPv4 and IPv6: rust_ipsec with Linux XFRM and with itself"
if [[ ! -x $SK ]]; then
	ktap_skip "ESP" "no setkey binary at $SK (make tools)"
	ktap_finish
fi

# E (rust_ipsec, 10.2.0.1) -- F (XFRM, 10.2.0.2); G (rust_ipsec, 10.2.0.3)
# on F's other veth would need routing: G instead pairs with E on a second
# link, 10.3.0.1 -- 10.3.0.3.
for ns in "$E" "$F" "$G"; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
ip link add veth2 netns "$E" type veth peer name veth2 netns "$F"
ip link add veth3 netns "$E" type veth peer name veth3 netns "$G"
ip -n "$E" addr add 10.2.0.1/24 dev veth2
ip -n "$F" addr add 10.2.0.2/24 dev veth2
ip -n "$E" addr add 10.3.0.1/24 dev veth3
ip -n "$G" addr add 10.3.0.3/24 dev veth3
ip -n "$E" addr add fd02::1/64 dev veth2 nodad
ip -n "$F" addr add fd02::2/64 dev veth2 nodad
ip -n "$E" addr add fd03::1/64 dev veth3 nodad
ip -n "$G" addr add fd03::3/64 dev veth3 nodad
# Tunnel mode: inner addresses on lo, E 192.168.21.1 / fd21::1 and F
# 192.168.22.1 / fd22::1, tunnelled between the veth2 addresses.
ip -n "$E" addr add 192.168.21.1/32 dev lo
ip -n "$F" addr add 192.168.22.1/32 dev lo
ip -n "$E" addr add fd21::1/128 dev lo
ip -n "$F" addr add fd22::1/128 dev lo
# G's inner addresses, 192.168.23.1 / fd23::1, tunnelled over veth3.
ip -n "$G" addr add 192.168.23.1/32 dev lo
ip -n "$G" addr add fd23::1/128 dev lo
for l in "$E veth2" "$F veth2" "$E veth3" "$G veth3"; do
	set -- $l
	ip -n "$1" link set "$2" up
	# Segmentation offload off for the matrix; the GSO case turns it on.
	ip netns exec "$1" ethtool -K "$2" tso off gso off gro off >/dev/null 2>&1
done

# IPv6 neighbours are pinned: neighbour discovery between addresses a
# policy covers would need the policy's own exception.
ip -n "$E" -6 neigh add fd02::2 lladdr "$(mac "$F" veth2)" dev veth2 nud permanent
ip -n "$F" -6 neigh add fd02::1 lladdr "$(mac "$E" veth2)" dev veth2 nud permanent
ip -n "$E" -6 neigh add fd03::3 lladdr "$(mac "$G" veth3)" dev veth3 nud permanent
ip -n "$G" -6 neigh add fd03::1 lladdr "$(mac "$E" veth3)" dev veth3 nud permanent

ip -n "$E" route add 192.168.22.1/32 via 10.2.0.2 src 192.168.21.1
ip -n "$F" route add 192.168.21.1/32 via 10.2.0.1 src 192.168.22.1
ip -n "$E" route add fd22::1/128 via fd02::2 src fd21::1
ip -n "$F" route add fd21::1/128 via fd02::1 src fd22::1
ip -n "$E" route add 192.168.23.1/32 via 10.3.0.3 src 192.168.21.1
ip -n "$G" route add 192.168.21.1/32 via 10.3.0.1 src 192.168.23.1
ip -n "$E" route add fd23::1/128 via fd03::3 src fd21::1
ip -n "$G" route add fd21::1/128 via fd03::1 src fd23::1

# K<n> in a spec becomes n key bytes (different per direction $2).
keys() {
	local spec=$1 dir=$2 out=$1 n hex
	local i b
	for n in $(grep -o 'K[0-9]*' <<<"$spec" | sort -u | tr -d K); do
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
spdadd 192.168.21.1 192.168.22.1 any -P out ipsec esp/tunnel/10.2.0.1-10.2.0.2/require;
spdadd 192.168.22.1 192.168.21.1 any -P in ipsec esp/tunnel/10.2.0.2-10.2.0.1/require;
spdadd fd21::1 fd22::1 any -P out ipsec esp/tunnel/fd02::1-fd02::2/require;
spdadd fd22::1 fd21::1 any -P in ipsec esp/tunnel/fd02::2-fd02::1/require;
spdadd 192.168.21.1 192.168.23.1 any -P out ipsec esp/tunnel/10.3.0.1-10.3.0.3/require;
spdadd 192.168.23.1 192.168.21.1 any -P in ipsec esp/tunnel/10.3.0.3-10.3.0.1/require;
spdadd fd21::1 fd23::1 any -P out ipsec esp/tunnel/fd03::1-fd03::3/require;
spdadd fd23::1 fd21::1 any -P in ipsec esp/tunnel/fd03::3-fd03::1/require;
EOF
sk "$G" -c <<'EOF'
spdadd 10.3.0.3 10.3.0.1 any -P out ipsec esp/transport//require;
spdadd 10.3.0.1 10.3.0.3 any -P in ipsec esp/transport//require;
spdadd fd03::3 fd03::1 any -P out ipsec esp/transport//require;
spdadd fd03::1 fd03::3 any -P in ipsec esp/transport//require;
spdadd 192.168.23.1 192.168.21.1 any -P out ipsec esp/tunnel/10.3.0.3-10.3.0.1/require;
spdadd 192.168.21.1 192.168.23.1 any -P in ipsec esp/tunnel/10.3.0.1-10.3.0.3/require;
spdadd fd23::1 fd21::1 any -P out ipsec esp/tunnel/fd03::3-fd03::1/require;
spdadd fd21::1 fd23::1 any -P in ipsec esp/tunnel/fd03::1-fd03::3/require;
EOF
ip -n "$F" xfrm policy add src 10.2.0.2 dst 10.2.0.1 dir out tmpl proto esp reqid 1 mode transport
ip -n "$F" xfrm policy add src 10.2.0.1 dst 10.2.0.2 dir in tmpl proto esp reqid 1 mode transport
ip -n "$F" xfrm policy add src fd02::2 dst fd02::1 dir out tmpl proto esp reqid 2 mode transport
ip -n "$F" xfrm policy add src fd02::1 dst fd02::2 dir in tmpl proto esp reqid 2 mode transport
ip -n "$F" xfrm policy add src 192.168.22.1 dst 192.168.21.1 dir out tmpl src 10.2.0.2 dst 10.2.0.1 proto esp reqid 3 mode tunnel
ip -n "$F" xfrm policy add src 192.168.21.1 dst 192.168.22.1 dir in tmpl src 10.2.0.1 dst 10.2.0.2 proto esp reqid 3 mode tunnel
ip -n "$F" xfrm policy add src fd22::1 dst fd21::1 dir out tmpl src fd02::2 dst fd02::1 proto esp reqid 4 mode tunnel
ip -n "$F" xfrm policy add src fd21::1 dst fd22::1 dir in tmpl src fd02::1 dst fd02::2 proto esp reqid 4 mode tunnel

# set_sas SK-SPEC XFRM-SPEC: fresh SAs 0x1001 (E->F), 0x1002 (F->E) with
# the same keys on both sides, and 0x2001 (E->G), 0x2002 (G->E); over
# IPv6 0x3001/0x3002 (E-F) and 0x4001/0x4002 (E-G); tunnel SAs E-F
# 0x5001/0x5002 (IPv4) and 0x6001/0x6002 (IPv6), with keys of their own.
set_sas() {
	local sk1 sk2 xf1 xf2 skt1 skt2 xft1 xft2
	sk1=$(keys "$1" 1) sk2=$(keys "$1" 2) xf1=$(keys "$2" 1) xf2=$(keys "$2" 2)
	skt1=$(keys "$1" 3) skt2=$(keys "$1" 4) xft1=$(keys "$2" 3) xft2=$(keys "$2" 4)
	ip -n "$F" xfrm state flush
	sk "$E" -F
	sk "$G" -F
	eval "ip -n $F xfrm state add src 10.2.0.1 dst 10.2.0.2 proto esp spi 0x1001 reqid 1 mode transport $xf1"
	eval "ip -n $F xfrm state add src 10.2.0.2 dst 10.2.0.1 proto esp spi 0x1002 reqid 1 mode transport $xf2"
	eval "ip -n $F xfrm state add src fd02::1 dst fd02::2 proto esp spi 0x3001 reqid 2 mode transport $xf1"
	eval "ip -n $F xfrm state add src fd02::2 dst fd02::1 proto esp spi 0x3002 reqid 2 mode transport $xf2"
	eval "ip -n $F xfrm state add src 10.2.0.1 dst 10.2.0.2 proto esp spi 0x5001 reqid 3 mode tunnel $xft1"
	eval "ip -n $F xfrm state add src 10.2.0.2 dst 10.2.0.1 proto esp spi 0x5002 reqid 3 mode tunnel $xft2"
	eval "ip -n $F xfrm state add src fd02::1 dst fd02::2 proto esp spi 0x6001 reqid 4 mode tunnel $xft1"
	eval "ip -n $F xfrm state add src fd02::2 dst fd02::1 proto esp spi 0x6002 reqid 4 mode tunnel $xft2"
	printf '%s\n' "add 10.2.0.1 10.2.0.2 esp 0x1001 -m transport $sk1;" \
		"add 10.2.0.2 10.2.0.1 esp 0x1002 -m transport $sk2;" \
		"add 10.3.0.1 10.3.0.3 esp 0x2001 -m transport $sk1;" \
		"add 10.3.0.3 10.3.0.1 esp 0x2002 -m transport $sk2;" \
		"add fd02::1 fd02::2 esp 0x3001 -m transport $sk1;" \
		"add fd02::2 fd02::1 esp 0x3002 -m transport $sk2;" \
		"add fd03::1 fd03::3 esp 0x4001 -m transport $sk1;" \
		"add fd03::3 fd03::1 esp 0x4002 -m transport $sk2;" \
		"add 10.2.0.1 10.2.0.2 esp 0x5001 -m tunnel $skt1;" \
		"add 10.2.0.2 10.2.0.1 esp 0x5002 -m tunnel $skt2;" \
		"add fd02::1 fd02::2 esp 0x6001 -m tunnel $skt1;" \
		"add fd02::2 fd02::1 esp 0x6002 -m tunnel $skt2;" \
		"add 10.3.0.1 10.3.0.3 esp 0x7001 -m tunnel $skt1;" \
		"add 10.3.0.3 10.3.0.1 esp 0x7002 -m tunnel $skt2;" \
		"add fd03::1 fd03::3 esp 0x7101 -m tunnel $skt1;" \
		"add fd03::3 fd03::1 esp 0x7102 -m tunnel $skt2;" | sk "$E" -c || return 1
	printf '%s\n' "add 10.3.0.1 10.3.0.3 esp 0x2001 -m transport $sk1;" \
		"add 10.3.0.3 10.3.0.1 esp 0x2002 -m transport $sk2;" \
		"add fd03::1 fd03::3 esp 0x4001 -m transport $sk1;" \
		"add fd03::3 fd03::1 esp 0x4002 -m transport $sk2;" \
		"add 10.3.0.1 10.3.0.3 esp 0x7001 -m tunnel $skt1;" \
		"add 10.3.0.3 10.3.0.1 esp 0x7002 -m tunnel $skt2;" \
		"add fd03::1 fd03::3 esp 0x7101 -m tunnel $skt1;" \
		"add fd03::3 fd03::1 esp 0x7102 -m tunnel $skt2;" | sk "$G" -c
}


# only_esp NAME PCAP SPI-OUT SPI-IN SCOPE ESP: one case, passing when the
# captures $tmp/PCAP*.pcap have more than 10 ESP packets with each SPI
# (hex, without 0x) and nothing else within the tcpdump filter SCOPE.
only_esp() {
	local name=$1 out in other
	read_caps() { local f; for f in "$tmp/$2"*.pcap; do tcpdump -r "$f" -nn "$1" 2>/dev/null; done; }
	out=$(read_caps "$6" "$2" | grep -c "spi=0x0000$3")
	in=$(read_caps "$6" "$2" | grep -c "spi=0x0000$4")
	other=$(read_caps "($5) and not ($6)" "$2" | wc -l)
	if ((out > 10 && in > 10 && other == 0)); then
		ktap_ok "$name: the link carried only ESP (spi 0x$3: $out, 0x$4: $in packets)"
	else
		ktap_fail "$name: only ESP on the link (0x$3: $out, 0x$4: $in, other: $other)"
		read_caps "($5) and not ($6)" "$2" | head -5 | sed 's/^/# /'
	fi
}

first=1
while IFS='|' read -r name skspec xfspec; do
	name=$(trim "$name") skspec=$(trim "$skspec") xfspec=$(trim "$xfspec")
	[[ -z $name || $name == \#* ]] && continue
	if ! set_sas "$skspec" "$xfspec" 2>"$tmp/err"; then
		ktap_fail "$name: SAs installed on both sides"
		sed 's/^/# /' "$tmp/err"
		continue
	fi
	if ((first)); then
		# What each end sends (-Q out): a decapsulating host shows the
		# inner packets it re-injects as received on its own end.
		ip netns exec "$F" tcpdump -i veth2 -Q out -nn -U -w "$tmp/cap.f.pcap" 2>/dev/null &
		tpid=$!
		ip netns exec "$E" tcpdump -i veth2 -Q out -nn -U -w "$tmp/cap.e.pcap" 2>/dev/null &
		tpid+=" $!"
		sleep 1
	fi
	ping2 "$E" 10.2.0.2 ping-xfrm
	xfer "$E" "$F" 10.2.0.2 tcp-to-xfrm
	ping2 "$E" 10.3.0.3 ping-rust
	xfer "$G" "$E" 10.3.0.1 tcp-rust
	report "$name: ping and TCP with Linux XFRM and with rust_ipsec"
	ping2 "$E" 192.168.22.1 ping-4in4
	ping2 "$E" fd22::1 ping-6in6
	ping2 "$E" fd02::2 ping-v6-transport
	report "$name: tunnel 4in4 and 6in6 and IPv6 transport (ping) with Linux XFRM"
	ping2 "$E" 192.168.23.1 ping-4in4
	ping2 "$G" fd21::1 ping-6in6
	ping2 "$G" fd03::1 ping-v6-transport
	report "$name: tunnel 4in4 and 6in6 and IPv6 transport (ping) between two rust_ipsec hosts"
	if ((first)); then
		first=0
		tcp "$F" "$E" 10.2.0.1 && ktap_ok "$name: TCP from the XFRM side too" ||
			ktap_fail "$name: TCP from the XFRM side too"
		sleep 0.5
		kill $tpid
		wait $tpid 2>/dev/null
		# IPv4 only: the IPv6 link-local chatter has no policy here.
		only_esp "$name" cap 1001 1002 'ip' 'ip proto 50'
	fi
done <"${ESP_ALGORITHMS:-$here/esp/algorithms.txt}"

# IPv6 transport with TCP both ways: an AEAD and AES-CBC + HMAC.
first=1
while IFS='|' read -r name skspec xfspec; do
	name=$(trim "$name") skspec=$(trim "$skspec") xfspec=$(trim "$xfspec")
	[[ -z $name || $name == \#* ]] && continue
	[[ " ${ESP6_NAMES:-aes-gcm-16/128 aes-cbc+sha256} " == *" $name "* ]] || continue
	if ! set_sas "$skspec" "$xfspec" 2>"$tmp/err"; then
		ktap_fail "IPv6 $name: SAs installed on both sides"
		sed 's/^/# /' "$tmp/err"
		continue
	fi
	if ((first)); then
		ip netns exec "$F" tcpdump -i veth2 -nn -U -w "$tmp/cap6.pcap" ip6 2>/dev/null &
		tpid=$!
		sleep 1
	fi
	ping2 "$E" fd02::2 ping-xfrm
	xfer "$E" "$F" fd02::2 tcp-to-xfrm
	xfer "$F" "$E" fd02::1 tcp-from-xfrm
	ping2 "$G" fd03::1 ping-rust
	xfer "$G" "$E" fd03::1 tcp-rust
	xfer "$E" "$G" fd03::3 tcp-rust-back
	report "IPv6 $name: ping and TCP both ways with Linux XFRM and with rust_ipsec"
	if ((first)); then
		first=0
		sleep 0.5
		kill "$tpid"
		wait "$tpid" 2>/dev/null
		# Link-local and multicast chatter (router solicitations, MLD) has
		# no policy here.
		only_esp "IPv6 $name" cap6 3001 3002 \
			'ip6 and not src net fe80::/10 and not dst net ff00::/8' 'ip6 proto 50'
	fi
done <"$here/esp/algorithms.txt"

# TCP SYNs that an SA protects get their MSS lowered so that full-sized
# segments fit the link after ESP, instead of being fragmented.
set_sas "-E aes-gcm-16 K20" "aead 'rfc4106(gcm(aes))' K20 128"
ip netns exec "$F" tcpdump -i veth2 -nn -U -w "$tmp/frag.pcap" 'ip proto 50 or ip6 proto 50 or (ip[6:2] & 0x3fff != 0) or ip6[6] == 44' 2>/dev/null &
tpid=$!
sleep 1
tcp "$E" "$F" 10.2.0.2 && tcp "$F" "$E" 10.2.0.1 && tcp "$E" "$F" fd02::2
ok=$?
sleep 0.5
kill "$tpid"
wait "$tpid" 2>/dev/null
frags=$(tcpdump -r "$tmp/frag.pcap" -nn '(ip[6:2] & 0x3fff != 0) or ip6[6] == 44' 2>/dev/null | wc -l)
esp=$(tcpdump -r "$tmp/frag.pcap" -nn 'ip proto 50 or ip6 proto 50' 2>/dev/null | wc -l)
ktap_check "TCP over ESP sends no fragments: MSS clamped ($esp ESP packets, $frags fragments)" \
	test "$ok" = 0 -a "$frags" = 0 -a "$esp" -gt 100

# Fragments both ways: 4,000-byte pings, whose replies are as big, between
# E (rust_ipsec) and F (XFRM) over IPv4 and IPv6. ESP packets are
# fragmented after encryption and reassembled before decryption (IPv6
# through nf_defrag_ipv6 in LOCAL_IN); ping checks the data it gets back.
set_sas "-E aes-gcm-16 K20" "aead 'rfc4106(gcm(aes))' K20 128"
ip netns exec "$F" tcpdump -i veth2 -nn -U -w "$tmp/big.pcap" 'ip or ip6' 2>/dev/null &
tpid=$!
sleep 1
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
sleep 0.5
kill "$tpid"
wait "$tpid" 2>/dev/null
# On the wire: IPv4 fragments of ESP (the protocol field says ESP in each)
# and IPv6 Fragment headers followed by ESP, from both ends; nothing else.
big() { tcpdump -r "$tmp/big.pcap" -nn "$1" 2>/dev/null | wc -l; }
f4e=$(big 'src 10.2.0.1 and ip proto 50 and ip[6:2] & 0x3fff != 0')
f4f=$(big 'src 10.2.0.2 and ip proto 50 and ip[6:2] & 0x3fff != 0')
f6e=$(big 'src fd02::1 and ip6[6] == 44 and ip6[40] == 50')
f6f=$(big 'src fd02::2 and ip6[6] == 44 and ip6[40] == 50')
other=$(big '(ip and not ip proto 50) or (ip6 and not src net fe80::/10 and not dst net ff00::/8 and not ip6 proto 50 and not (ip6[6] == 44 and ip6[40] == 50))')
ktap_check "fragments: fragmented ESP both ways on the wire (IPv4 from E $f4e, from F $f4f; IPv6 from E $f6e, from F $f6f; other $other)" \
	test "$f4e" -gt 0 -a "$f4f" -gt 0 -a "$f6e" -gt 0 -a "$f6f" -gt 0 -a "$other" = 0
ktap_check "fragments: E dropped none (DropMalformed + DropUnsupported $before -> $after)" test "$before" = "$after"

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
