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
# same connection (tcp.py echo), so every cell carries TCP both ways. Each
# mode has SAs of its own, so the cells run in rounds: algorithms whose
# modes differ share one set of SAs and run at once (5 rounds for the 17
# rows), and each algorithm still has a case per peer. The first round's
# captures show only ESP with the expected SPIs on both links. Two TCP
# flows pinned to the guest's two CPUs run at once. Then: TCP SYNs get
# their MSS clamped so that no segment needs fragmenting after ESP;
# fragmented ESP both ways; GSO packets (TSO on) are segmented, then
# protected; an SA from another local address to the same peer is not
# used; a packet whose ICV does not verify is counted and dropped; ESN with
# an AEAD and with AES-CBC + HMAC. (Replay, ACQUIRE and lifetimes:
# tests/esp_events.sh; gateways, bundles and PMTU: tests/esp_tunnel.sh.)
#
# Under TCG with the debug kernel every process started costs about a
# second, so the suite starts few: one per host and set of SAs, steps in
# the background at once, helpers in pure bash.
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
# Addresses and routes: one `ip -batch` per namespace (topo_commit).
topo_batch
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
topo_commit

pin_neigh "$E" fd02::1 "$F" fd02::2 veth2
pin_neigh "$E" fd03::1 "$G" fd03::3 veth3


# keys VAR SPEC DIR: SPEC with each K<n> replaced by n key bytes (different
# per direction DIR), into the variable VAR. Pure bash, no subshell: under
# TCG with the debug kernel every process started costs about a second.
keys() {
	local -n keys_out=$1
	local rest=$2 n hex i b
	keys_out=$2
	while [[ $rest =~ K([0-9]+) ]]; do
		n=${BASH_REMATCH[1]}
		rest=${rest#*"${BASH_REMATCH[0]}"}
		hex=0x
		for ((i = 0; i < n; i++)); do
			printf -v b %02x $(((i * 13 + $3 * 71 + n) % 256))
			hex+=$b
		done
		keys_out=${keys_out//K$n/$hex}
	done
}

# trim VAR: VAR without leading and trailing white space (pure bash).
trim() {
	local -n trim_v=$1
	trim_v=${trim_v#"${trim_v%%[![:space:]]*}"}
	trim_v=${trim_v%"${trim_v##*[![:space:]]}"}
}

# A case is a list of steps, run at once in the background (bg), each
# failed one noted in why[KEY] when collected (bg_wait); report_case ends
# the case KEY.
declare -A why=() bg_step=()
bg() { # bg KEY STEP CMD...: runs CMD in the background, output dropped
	local key=$1 step=$2
	shift 2
	"$@" >/dev/null 2>&1 &
	bg_step[$!]="$key|$step"
}
bg_wait() { # bg_wait: waits for every bg step, noting the failed ones
	local pid
	for pid in "${!bg_step[@]}"; do
		wait "$pid" || why[${bg_step[$pid]%%|*}]+=" ${bg_step[$pid]#*|}"
	done
	bg_step=()
}
report_case() { # report_case KEY NAME: NAME passes when no step of KEY failed
	if [[ -z ${why[$1]:-} ]]; then
		ktap_ok "$2"
	else
		ktap_fail "$2 (failed:${why[$1]})"
		ip netns exec "$E" cat /proc/net/rust_ipsec_stat | grep -v '	0$' | sed 's/^/# /'
	fi
	unset "why[$1]"
}
# ping2 FROM-NS ADDR: two pings from FROM-NS to ADDR, each reply awaited up
# to 5 s (a ping and its reply cross both SAs of a pair).
# shellcheck disable=SC2317 # run through bg
ping2() { ip netns exec "$1" ping -c 2 -i 0.2 -W 5 "$2"; }

# stage NAME: a diagnostic line with the seconds since the start (where
# the suite's time goes).
stage() { ktap_diag "$1 at ${SECONDS} s"; }

# TCP echo servers (tcp.py echo-serve) in all three namespaces, on every
# address: a client's bytes come back over the same connection, so each
# transfer carries data both ways, across both SAs of a pair.
spids=""
for ns in "$E" "$F" "$G"; do
	timeout 7200 ip netns exec "$ns" python3 -S "$here/esp/tcp.py" echo-serve 5002 &
	spids+=" $!"
done
# echo_start OUT FROM SIZE ADDR...: in the background, one tcp.py echo
# client in FROM sending SIZE bytes to each ADDR in turn, its report ("ADDR
# ok" or "ADDR FAIL why" a line) into the file OUT; its pid in $echo_pid.
# The timeout allows each ADDR its connect and socket timeouts (tcp.py).
echo_start() {
	local out=$1 from=$2 size=$3
	shift 3
	timeout $((60 + 50 * $#)) ip netns exec "$from" python3 -S "$here/esp/tcp.py" echo 5002 "$size" "$@" >"$out" 2>&1 &
	echo_pid=$!
}
# echo_check OUT STEP KEYS: after echo_start OUT, for each ADDR that the
# associative array KEYS maps to a case KEY: notes STEP:ADDR in why[KEY]
# unless OUT says "ADDR ok". Lines other than "ok" become diagnostics.
echo_check() {
	local out=$1 step=$2 addr res line
	local -n echo_keys=$3
	local -A said=()
	while read -r addr res; do
		said[$addr]=$res
	done <"$out"
	while read -r line; do
		[[ $line == *" ok" ]] || ktap_diag "$step: $line"
	done <"$out"
	for addr in "${!echo_keys[@]}"; do
		[[ ${said[$addr]:-} == ok ]] || why[${echo_keys[$addr]}]+=" $step:$addr"
	done
}

# The cells of each mode, per peer: "PING-FROM PING-TO|E's TCP target|the
# peer's TCP target" (a ping and its reply cross both SAs of the pair; the
# TCP transfers are echoed, so data crosses both SAs in each).
# shellcheck disable=SC2034 # read by name (run_cells)
declare -A with_F=(
	[v4]="E 10.2.0.2|10.2.0.2|10.2.0.1"
	[v6]="E fd02::2|fd02::2|fd02::1"
	[4in4]="E 192.168.22.1|192.168.22.1|192.168.21.1"
	[6in6]="F fd21::1|fd22::1|fd21::1"
	[4in6]="E 192.168.24.1|192.168.24.1|192.168.26.1"
	[6in4]="F fd26::1|fd24::1|fd26::1"
	[bundle]="E 192.168.28.1|192.168.28.1|192.168.27.1"
)
declare -A with_G=(
	[v4]="G 10.3.0.1|10.3.0.3|10.3.0.1"
	[v6]="E fd03::3|fd03::3|fd03::1"
	[4in4]="E 192.168.23.1|192.168.23.1|192.168.21.1"
	[6in6]="G fd21::1|fd23::1|fd21::1"
	[4in6]="E 192.168.25.1|192.168.25.1|192.168.26.1"
	[6in4]="G fd26::1|fd25::1|fd26::1"
	[bundle]="E 192.168.29.1|192.168.29.1|192.168.27.1"
)
declare -A ns_of=([E]=$E [F]=$F [G]=$G)

# run_cells ALGS: the cells of a round at once. ALGS maps each mode of the
# round to its algorithm; the steps of a mode with peer P (F or G) are
# noted as failed in why["ALGORITHM P"]. Every ping of the round, and four
# echo clients (E to F's targets, E to G's, F and G to E's), all in the
# background at once.
run_cells() {
	local -n cells_alg=$1
	local mode peer cell ping e p from to pe pf pg pg2
	local -A to_f=() to_g=() f_to=() g_to=()
	for mode in "${modes_all[@]}"; do
		[[ -n ${cells_alg[$mode]:-} ]] || continue
		for peer in F G; do
			if [[ $peer == F ]]; then cell=${with_F[$mode]}; else cell=${with_G[$mode]}; fi
			IFS='|' read -r ping e p <<<"$cell"
			read -r from to <<<"$ping"
			bg "${cells_alg[$mode]} $peer" "ping-$mode" ping2 "${ns_of[$from]}" "$to"
			if [[ $peer == F ]]; then
				to_f[$e]="${cells_alg[$mode]} F" f_to[$p]="${cells_alg[$mode]} F"
			else
				to_g[$e]="${cells_alg[$mode]} G" g_to[$p]="${cells_alg[$mode]} G"
			fi
		done
	done
	echo_start "$tmp/echo.EF" "$E" 32768 "${!to_f[@]}"
	pe=$echo_pid
	echo_start "$tmp/echo.EG" "$E" 32768 "${!to_g[@]}"
	pg2=$echo_pid
	echo_start "$tmp/echo.F" "$F" 32768 "${!f_to[@]}"
	pf=$echo_pid
	echo_start "$tmp/echo.G" "$G" 32768 "${!g_to[@]}"
	pg=$echo_pid
	bg_wait
	wait "$pe" "$pg2" "$pf" "$pg"
	echo_check "$tmp/echo.EF" tcp-from-E to_f
	echo_check "$tmp/echo.EG" tcp-from-E to_g
	echo_check "$tmp/echo.F" tcp-to-E f_to
	echo_check "$tmp/echo.G" tcp-to-E g_to
}

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
# XFRM's policies in F, in one process.
ip -n "$F" -batch - <<'EOF'
xfrm policy add src 10.2.0.2 dst 10.2.0.1 dir out tmpl proto esp reqid 1 mode transport
xfrm policy add src 10.2.0.1 dst 10.2.0.2 dir in tmpl proto esp reqid 1 mode transport
xfrm policy add src fd02::2 dst fd02::1 dir out tmpl proto esp reqid 2 mode transport
xfrm policy add src fd02::1 dst fd02::2 dir in tmpl proto esp reqid 2 mode transport
xfrm policy add src 192.168.22.1 dst 192.168.21.1 dir out tmpl src 10.2.0.2 dst 10.2.0.1 proto esp reqid 3 mode tunnel
xfrm policy add src 192.168.21.1 dst 192.168.22.1 dir in tmpl src 10.2.0.1 dst 10.2.0.2 proto esp reqid 3 mode tunnel
xfrm policy add src fd22::1 dst fd21::1 dir out tmpl src fd02::2 dst fd02::1 proto esp reqid 4 mode tunnel
xfrm policy add src fd21::1 dst fd22::1 dir in tmpl src fd02::1 dst fd02::2 proto esp reqid 4 mode tunnel
xfrm policy add src 192.168.24.1 dst 192.168.26.1 dir out tmpl src fd02::2 dst fd02::1 proto esp reqid 5 mode tunnel
xfrm policy add src 192.168.26.1 dst 192.168.24.1 dir in tmpl src fd02::1 dst fd02::2 proto esp reqid 5 mode tunnel
xfrm policy add src fd24::1 dst fd26::1 dir out tmpl src 10.2.0.2 dst 10.2.0.1 proto esp reqid 6 mode tunnel
xfrm policy add src fd26::1 dst fd24::1 dir in tmpl src 10.2.0.1 dst 10.2.0.2 proto esp reqid 6 mode tunnel
xfrm policy add src 192.168.28.1 dst 192.168.27.1 dir out tmpl proto esp reqid 11 mode transport tmpl src 10.2.0.2 dst 10.2.0.1 proto esp reqid 3 mode tunnel
xfrm policy add src 192.168.27.1 dst 192.168.28.1 dir in tmpl proto esp reqid 11 mode transport tmpl src 10.2.0.1 dst 10.2.0.2 proto esp reqid 3 mode tunnel
EOF

# The SAs of each mode, E-F and E-G: "E's address, F's, SPI, reqid | E's
# address, G's, SPI, reqid | XFRM mode, first key direction". An SA pair is
# SPI (from E) and SPI + 1 (to E), with the same keys on both sides and
# different keys per direction (keys DIR and DIR + 1; the transport, tunnel
# and bundle-inner SAs each have keys of their own). Transport SAs between
# the link addresses have no reqid on the rust_ipsec side (the policies
# say `require`); tunnel SAs have a reqid each, as their policies are
# `unique` (several tunnels end at the same address); the bundles' inner
# transport SAs (reqid 11 with F, 12 with G) are used inside the 4in4
# tunnel SAs.
declare -A sa_table=(
	[v4]="10.2.0.1 10.2.0.2 0x1001 1 | 10.3.0.1 10.3.0.3 0x2001 - | transport 1"
	[v6]="fd02::1 fd02::2 0x3001 2 | fd03::1 fd03::3 0x4001 - | transport 1"
	[4in4]="10.2.0.1 10.2.0.2 0x5001 3 | 10.3.0.1 10.3.0.3 0x7001 7 | tunnel 3"
	[6in6]="fd02::1 fd02::2 0x6001 4 | fd03::1 fd03::3 0x7101 8 | tunnel 3"
	[4in6]="fd02::1 fd02::2 0x8001 5 | fd03::1 fd03::3 0x9001 9 | tunnel 3"
	[6in4]="10.2.0.1 10.2.0.2 0x8101 6 | 10.3.0.1 10.3.0.3 0x9101 10 | tunnel 3"
	[bundle]="192.168.27.1 192.168.28.1 0xa001 11 | 192.168.27.1 192.168.29.1 0xa101 12 | transport 5"
)
modes_all=(v4 v6 4in4 6in6 4in6 6in4 bundle)

# set_sas SK XF: fresh SAs (all others flushed) on the three hosts for each
# mode that the associative arrays SK and XF (by name) give an algorithm
# spec: setkey's for E and G, ip xfrm's for F. A mode without one gets no
# SAs. The bundles' outer tunnel is the 4in4 tunnel: its SAs have the 4in4
# algorithm, or the bundle's when SK has none for 4in4. Returns non-zero
# if any host refused an SA (each host still tries all of its SAs).
set_sas() {
	local -n sas_sk=$1 sas_xf=$2
	local -A skm=() xfm=()
	local m fl el gl ef ff fspi fspi2 freq eg gg gspi gspi2 greq xmode dir sel u k1 k2 x1 x2 rc=0 pf pe pg
	local f_lines=("xfrm state flush") e_lines=("flush;") g_lines=("flush;")
	for m in "${!sas_sk[@]}"; do skm[$m]=${sas_sk[$m]} xfm[$m]=${sas_xf[$m]}; done
	if [[ -n ${skm[bundle]:-} && -z ${skm[4in4]:-} ]]; then
		skm[4in4]=${skm[bundle]} xfm[4in4]=${xfm[bundle]}
	fi
	for m in "${modes_all[@]}"; do
		[[ -n ${skm[$m]:-} ]] || continue
		IFS='|' read -r fl gl el <<<"${sa_table[$m]}"
		read -r ef ff fspi freq <<<"$fl"
		read -r eg gg gspi greq <<<"$gl"
		read -r xmode dir <<<"$el"
		printf -v fspi2 '0x%x' $((fspi + 1))
		printf -v gspi2 '0x%x' $((gspi + 1))
		keys k1 "${skm[$m]}" "$dir"
		keys k2 "${skm[$m]}" $((dir + 1))
		keys x1 "${xfm[$m]}" "$dir"
		keys x2 "${xfm[$m]}" $((dir + 1))
		sel=""
		[[ $m == 4in6 ]] && sel="sel src 0.0.0.0/0 dst 0.0.0.0/0 "
		[[ $m == 6in4 ]] && sel="sel src ::/0 dst ::/0 "
		f_lines+=("xfrm state add src $ef dst $ff proto esp spi $fspi reqid $freq mode $xmode $sel$x1"
			"xfrm state add src $ff dst $ef proto esp spi $fspi2 reqid $freq mode $xmode $sel$x2")
		u=""
		[[ $greq != - ]] && u="-u $freq "
		e_lines+=("add $ef $ff esp $fspi -m $xmode $u$k1;"
			"add $ff $ef esp $fspi2 -m $xmode $u$k2;")
		u=""
		[[ $greq != - ]] && u="-u $greq "
		e_lines+=("add $eg $gg esp $gspi -m $xmode $u$k1;"
			"add $gg $eg esp $gspi2 -m $xmode $u$k2;")
		g_lines+=("add $eg $gg esp $gspi -m $xmode $u$k1;"
			"add $gg $eg esp $gspi2 -m $xmode $u$k2;")
	done
	# One process per host (ip -batch for XFRM, setkey -c for rust_ipsec),
	# the three at once.
	printf '%s\n' "${f_lines[@]}" | ip -n "$F" -force -batch - &
	pf=$!
	printf '%s\n' "${e_lines[@]}" | sk "$E" -c &
	pe=$!
	printf '%s\n' "${g_lines[@]}" | sk "$G" -c &
	pg=$!
	wait "$pf" || rc=1
	wait "$pe" || rc=1
	wait "$pg" || rc=1
	return $rc
}
# set_sas_all SK-SPEC XF-SPEC: set_sas with one algorithm in every mode.
set_sas_all() {
	# shellcheck disable=SC2034 # read by name (set_sas)
	local -A all_sk=() all_xf=()
	local m
	# shellcheck disable=SC2034
	for m in "${modes_all[@]}"; do all_sk[$m]=$1 all_xf[$m]=$2; done
	set_sas all_sk all_xf
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

# The table (esp/matrix.txt): algorithm -> its modes, checked against the
# pairwise rules it must keep.
declare -A cell_modes cell_kind
while read -r alg kind marks; do
	[[ -z $alg || $alg == \#* ]] && continue
	read -ra m <<<"$marks"
	cell_kind[$alg]=$kind
	for i in "${!modes_all[@]}"; do
		[[ ${m[i]:-} == x ]] && cell_modes[$alg]+=" ${modes_all[i]}"
	done
done <"$here/esp/matrix.txt"
# The algorithms, in their order, with their setkey and ip xfrm specs:
# esp/algorithms.txt, or the file that ESP_ALGORITHMS names (then only
# "every algorithm has a cell" is checked of the rules).
algs=()
declare -A alg_sk alg_xf
while IFS='|' read -r name skspec xfspec; do
	trim name
	trim skspec
	trim xfspec
	[[ -z $name || $name == \#* ]] && continue
	algs+=("$name")
	alg_sk[$name]=$skspec alg_xf[$name]=$xfspec
done <"${ESP_ALGORITHMS:-$here/esp/algorithms.txt}"
rules=""
for a in "${algs[@]}"; do
	[[ -n ${cell_modes[$a]:-} ]] || rules+=" $a has no cell;"
done
if [[ -z ${ESP_ALGORITHMS:-} ]]; then
	for mode in "${modes_all[@]}"; do
		for kind in aead authenc; do
			n=0
			for a in "${algs[@]}"; do
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

# Rounds. Each mode has SA pairs of its own, so algorithms whose modes
# differ can run in one round: one set_sas, then the cells of all its
# modes at once. Each algorithm, in the list's order, joins the first
# round in which none of its modes is taken yet (matrix.txt's two rows
# with every mode get a round each, its 15 single-mode rows share three:
# 5 rounds instead of 17). A failed step counts against the algorithm that
# its mode had in the round, so every algorithm keeps its two cases (with
# XFRM, with rust_ipsec). The bundle mode's outer tunnel is the round's
# 4in4 tunnel, whose SAs have the round's 4in4 algorithm (the bundle's own
# when no algorithm of the round has 4in4): a bundle step could then fail
# for the 4in4 algorithm, but that algorithm's own 4in4 steps would fail
# with it.
declare -A round_alg=() # "ROUND MODE" -> the algorithm
round_algs=()           # ROUND -> its algorithms, in the list's order
rounds=0
for a in "${algs[@]}"; do
	read -ra modes <<<"${cell_modes[$a]:-}"
	((${#modes[@]})) || continue
	for ((r = 0; ; r++)); do
		taken=0
		for m in "${modes[@]}"; do [[ -n ${round_alg["$r $m"]:-} ]] && taken=1; done
		((taken)) || break
	done
	for m in "${modes[@]}"; do round_alg["$r $m"]=$a; done
	round_algs[r]+=" $a"
	((r < rounds)) || rounds=$((r + 1))
done

# first_round_wire: the checks on the first round's captures (the whole
# wire of both links): only ESP, with each SPI of the round's modes.
# Over IPv6, WIRE_V6 leaves out link-local and multicast chatter (router
# solicitations, MLD), which has no policy here. The bundles' packets
# carry the 4in4 tunnel's SPIs.
declare -A wire_spis=([v4]="1001 2001" [v6]="3001 4001" [4in4]="5001 7001" [6in6]="6001 7101"
	[4in6]="8001 9001" [6in4]="8101 9101" [bundle]="5001 7001")
first_round_wire() {
	local name peer link what fam scope m s sf sg s2 shown spis list b1 b2 b3 b4
	stage "the first round's captures"
	read -ra list <<<"${round_algs[0]}"
	printf -v name '%s, ' "${list[@]}"
	name=${name%, }
	for peer in "F link2 with XFRM" "G link3 between rust_ipsec hosts"; do
		read -r peer link what <<<"$peer"
		for fam in 4 6; do
			shown=() spis=()
			if ((fam == 4)); then list=(v4 4in4 6in4 bundle); else list=(v6 6in6 4in6); fi
			for m in "${list[@]}"; do
				[[ -n ${round_alg["0 $m"]:-} ]] || continue
				shown+=("${m/v[46]/transport}")
				[[ $m == bundle && -n ${round_alg["0 4in4"]:-} ]] && continue
				read -r sf sg <<<"${wire_spis[$m]}"
				s=$sf
				[[ $peer == G ]] && s=$sg
				printf -v s2 %x $((0x$s + 1))
				spis+=("$s" "$s2")
			done
			((${#spis[@]})) || continue
			scope=ip
			((fam == 6)) && scope=$WIRE_V6
			printf -v s '%s, ' "${shown[@]}"
			only_esp "$name $what, over IPv$fam (${s%, })" "$link" "$scope" "${spis[@]}"
		done
	done
	# Bundles: both layers carried traffic (E's inner transport SAs
	# counted bytes both ways, with each peer).
	name=${round_alg["0 bundle"]:-}
	[[ -n $name ]] || return 0
	sk "$E" -D >"$tmp/D"
	read -r b1 b2 b3 b4 < <(awk 'BEGIN { n = split("192.168.27.1 192.168.28.1|192.168.28.1 192.168.27.1|192.168.27.1 192.168.29.1|192.168.29.1 192.168.27.1", sd, "|") }
		{ for (i = 1; i <= n; i++) if (index($0, sd[i] " ") == 1 || $0 == sd[i]) s = i }
		s && /\(bytes\)/ { if (!(s in got)) { v = $2; sub(/\(bytes\).*/, "", v); got[s] = v }; s = 0 }
		END { for (i = 1; i <= n; i++) printf "%s ", (i in got) ? got[i] : "?"; print "" }' "$tmp/D")
	ktap_check "$name bundle: E's inner transport SAs carried traffic (bytes: to F ${b1:-?}, from F ${b2:-?}, to G ${b3:-?}, from G ${b4:-?})" \
		test "${b1:-0}" -gt 0 -a "${b2:-0}" -gt 0 -a "${b3:-0}" -gt 0 -a "${b4:-0}" -gt 0
}

for ((r = 0; r < rounds; r++)); do
	# shellcheck disable=SC2034 # read by name (set_sas, run_cells)
	declare -A round_sk=() round_xf=() round_cells=()
	desc=""
	for m in "${modes_all[@]}"; do
		a=${round_alg["$r $m"]:-}
		[[ -n $a ]] || continue
		# shellcheck disable=SC2034
		round_sk[$m]=${alg_sk[$a]} round_xf[$m]=${alg_xf[$a]} round_cells[$m]=$a
		desc+=" $m $a,"
	done
	desc=${desc%,}
	stage "round $((r + 1)) of $rounds (${desc# })"
	read -ra list <<<"${round_algs[r]}"
	if ! set_sas round_sk round_xf 2>"$tmp/err"; then
		sed 's/^/# /' "$tmp/err"
		for a in "${list[@]}"; do why["$a F"]+=" SAs-installed" why["$a G"]+=" SAs-installed"; done
	fi
	if ((r == 0)); then
		# What each end sends (-o): the whole wire of each link.
		wire_start link2 -o -t 600 "$E" veth2 "$F" veth2
		wire_start link3 -o -t 600 "$E" veth3 "$G" veth3
	fi
	run_cells round_cells
	((r == 0)) && wire_stop link2 link3
	for a in "${list[@]}"; do
		report_case "$a F" "$a: with Linux XFRM, ping and TCP both ways (${cell_modes[$a]# })"
		report_case "$a G" "$a: between two rust_ipsec hosts, ping and TCP both ways (${cell_modes[$a]# })"
	done
	((r == 0)) && first_round_wire
done

# The cases below run over AES-GCM SAs in every mode, installed once here:
# a case that changes an SA says so, and comes after those that need it
# unchanged. TSO and GSO stay off until the GSO case.
gcm_sk="-E aes-gcm-16 K20" gcm_xf="aead 'rfc4106(gcm(aes))' K20 128"
stage "AES-GCM SAs for the cases after the matrix"
set_sas_all "$gcm_sk" "$gcm_xf"

# Two CPUs at once: a TCP flow to F pinned to the first CPU and one to G
# pinned to the last run at the same time, each echoed back (both SA pairs,
# both ways), so the datapath's locks, per-CPU scratch and counters serve
# two CPUs at once.
stage "two CPUs"
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

# TCP SYNs that an SA protects get their MSS lowered so that full-sized
# segments fit the link after ESP, instead of being fragmented. Three
# echoed TCP connections at once, two started by E (to F over IPv4 and
# over IPv6) and one by F (to E over IPv4), each with 100 kB both ways
# (full-sized segments from both ends), on the wire 200 kB of TCP data.
stage "MSS clamping"
wire_start frag -f 'ip proto 50 or ip6 proto 50 or (ip[6:2] & 0x3fff != 0) or ip6[6] == 44' "$F" veth2
echo_start "$tmp/mss.E" "$E" 100000 10.2.0.2 fd02::2
pe=$echo_pid
echo_start "$tmp/mss.F" "$F" 100000 10.2.0.1
pf=$echo_pid
wait "$pe"
re=$?
wait "$pf"
rf=$?
wire_stop frag
frags=$(wire_count frag '(ip[6:2] & 0x3fff != 0) or ip6[6] == 44')
esp=$(wire_count frag "$WIRE_ESP")
ktap_check "TCP over ESP sends no fragments: MSS clamped ($esp ESP packets, $frags fragments; from E: $(tr '\n' ' ' <"$tmp/mss.E")from F: $(tr '\n' ' ' <"$tmp/mss.F"))" \
	test "$re" = 0 -a "$rf" = 0 -a "$frags" = 0 -a "$esp" -gt 100

# Fragments both ways: 4,000-byte pings, whose replies are as big, between
# E (rust_ipsec) and F (XFRM) over IPv4 and IPv6, the four at once. ESP
# packets are fragmented after encryption and reassembled before
# decryption (IPv6 through nf_defrag_ipv6 in LOCAL_IN); ping checks the
# data it gets back.
stage "fragments"
wire_start big -f 'ip or ip6' "$F" veth2
# shellcheck disable=SC2016 # awk's own $1 and $2
dropped() { ip netns exec "$E" awk '$1 == "DropMalformed" || $1 == "DropUnsupported" { n += $2 } END { print n + 0 }' /proc/net/rust_ipsec_stat; }
before=$(dropped)
bigs=("E F 10.2.0.2" "E F fd02::2" "F E 10.2.0.1" "F E fd02::1")
big_pids=()
for i in "${!bigs[@]}"; do
	read -r from to addr <<<"${bigs[i]}"
	ip netns exec "${ns_of[$from]}" ping -c 2 -i 0.3 -W 5 -s 4000 "$addr" >"$tmp/big.$i" 2>&1 &
	big_pids[i]=$!
done
for i in "${!bigs[@]}"; do
	read -r from to addr <<<"${bigs[i]}"
	if wait "${big_pids[i]}"; then
		ktap_ok "fragments: 4000-byte pings from $from to $to ($addr) and their replies"
	else
		ktap_fail "fragments: 4000-byte pings from $from to $to ($addr) and their replies"
		sed 's/^/# /' "$tmp/big.$i"
	fi
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

# GSO packets are segmented in software, then each segment protected. TSO
# and GSO stay on for the cases after this one (pings and ESN's TCP).
stage "GSO"
ip netns exec "$E" ethtool -K veth2 tso on gso on >/dev/null 2>&1
before=$(stat_of "$E" EspOutPackets)
ktap_check "a TCP transfer with TSO/GSO on is segmented, then sent over ESP" tcp "$E" "$F" 10.2.0.2
after=$(stat_of "$E" EspOutPackets)
ktap_check "its segments went out as ESP (EspOutPackets $before -> $after)" test $((after - before)) -ge 100

# An SA's source address counts: one to the same peer from another local
# address (a lower SPI, so the first in the SADB's order) is not used for
# 10.2.0.1's packets; if it were, F would drop them (no SA 0x1000 there).
# Both are removed again afterwards.
stage "an SA's source address"
ip -n "$E" addr add 10.2.0.11/24 dev veth2
echo "add 10.2.0.11 10.2.0.2 esp 0x1000 -m transport -E aes-gcm-16 0x$(printf 'ab%.0s' {1..20});" | sk "$E" -c
ktap_check "an SA to the peer from another local address is not used (ping over 0x1001)" \
	ip netns exec "$E" ping -c 2 -i 0.2 -W 2 10.2.0.2
ip -n "$E" addr del 10.2.0.11/24 dev veth2
echo "delete 10.2.0.11 10.2.0.2 esp 0x1000;" | sk "$E" -c

stage "a bad ICV"
# A packet whose ICV does not verify: F sends with another key (its SA
# 0x1002 replaced; the ESN cases replace it again).
printf '%s\n' "xfrm state del src 10.2.0.2 dst 10.2.0.1 proto esp spi 0x1002" \
	"xfrm state add src 10.2.0.2 dst 10.2.0.1 proto esp spi 0x1002 reqid 1 mode transport aead 'rfc4106(gcm(aes))' 0xffffffffffffffffffffffffffffffffffffffff 128" |
	ip -n "$F" -batch -
before=$(stat_of "$E" DropAuthFailed)
ip netns exec "$E" ping -c 2 -i 0.2 -W 1 10.2.0.2 >/dev/null
after=$(stat_of "$E" DropAuthFailed)
ktap_check "ESP with a bad ICV is counted and dropped (DropAuthFailed $before -> $after)" test "$after" -gt "$before"

# Extended sequence numbers (RFC 4303 section 2.2.1): the ICV covers the
# high half of the sequence number too (AEAD: in the associated data;
# HMAC: appended, the crypto API's authencesn), so any disagreement with
# XFRM fails every packet. With an AEAD and with AES-CBC + HMAC-SHA-256:
# E's and F's transport SA pair over IPv4 replaced by one with ESN and a
# 64-packet replay window, then at once a ping and echoed TCP connections
# started by E and by F, each with 100 kB both ways.
for spec in "aes-gcm-16/128|$gcm_sk|$gcm_xf" \
	"aes-cbc+sha256|-E aes-cbc K16 -A hmac-sha256 K32|enc 'cbc(aes)' K16 auth-trunc 'hmac(sha256)' K32 128"; do
	IFS='|' read -r name skspec xfspec <<<"$spec"
	stage "ESN with $name"
	keys k1 "$skspec" 1
	keys k2 "$skspec" 2
	keys x1 "$xfspec" 1
	keys x2 "$xfspec" 2
	printf '%s\n' "xfrm state del src 10.2.0.1 dst 10.2.0.2 proto esp spi 0x1001" \
		"xfrm state del src 10.2.0.2 dst 10.2.0.1 proto esp spi 0x1002" \
		"xfrm state add src 10.2.0.1 dst 10.2.0.2 proto esp spi 0x1001 reqid 1 mode transport $x1 flag esn replay-window 64" \
		"xfrm state add src 10.2.0.2 dst 10.2.0.1 proto esp spi 0x1002 reqid 1 mode transport $x2 flag esn replay-window 64" |
		ip -n "$F" -batch - 2>"$tmp/err" || why[esn]+=" SAs-installed"
	printf '%s\n' "delete 10.2.0.1 10.2.0.2 esp 0x1001;" "delete 10.2.0.2 10.2.0.1 esp 0x1002;" \
		"add 10.2.0.1 10.2.0.2 esp 0x1001 -m transport -esn -r 64 $k1;" \
		"add 10.2.0.2 10.2.0.1 esp 0x1002 -m transport -esn -r 64 $k2;" | sk "$E" -c 2>>"$tmp/err" || why[esn]+=" SAs-installed"
	sed 's/^/# /' "$tmp/err"
	bg esn ping ping2 "$E" 10.2.0.2
	echo_start "$tmp/esn.E" "$E" 100000 10.2.0.2
	pe=$echo_pid
	echo_start "$tmp/esn.F" "$F" 100000 10.2.0.1
	pf=$echo_pid
	bg_wait
	wait "$pe" "$pf"
	# shellcheck disable=SC2034 # read by name (echo_check)
	declare -A esn_to=([10.2.0.2]=esn) esn_from=([10.2.0.1]=esn)
	echo_check "$tmp/esn.E" tcp-to-xfrm esn_to
	echo_check "$tmp/esn.F" tcp-from-xfrm esn_from
	report_case esn "ESN with $name: ping and TCP both ways with Linux XFRM"
done

stage "the end"
# shellcheck disable=SC2086 # a list of process ids
kill $spids 2>/dev/null
# shellcheck disable=SC2086
wait $spids 2>/dev/null
ri_netns_cleanup
ktap_finish
