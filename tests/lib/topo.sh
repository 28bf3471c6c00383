# SPDX-License-Identifier: GPL-2.0
# Topologies of the datapath tests: namespaces, veth links between them,
# addresses, pinned IPv6 neighbours, routes between inner addresses. Each
# suite draws its own at the top (the way WireGuard's netns.sh does).

# netns_add NS...: namespaces with lo up.
netns_add() {
	local ns
	for ns in "$@"; do
		ip netns add "$ns"
		ip -n "$ns" link set lo up
	done
}

# veth NS1 NS2 IF [offload]: a veth pair with IF at both ends, up. TSO, GSO
# and GRO are off, so that the datapath sees each packet as it is on the
# wire (esp.sh's GSO case turns them back on), unless the last argument is
# "offload", which keeps the veth's defaults.
veth() {
	local ns
	ip link add "$3" netns "$1" type veth peer name "$3" netns "$2"
	for ns in "$1" "$2"; do
		ip -n "$ns" link set "$3" up
		[[ ${4:-} == offload ]] ||
			ip netns exec "$ns" ethtool -K "$3" tso off gso off gro off >/dev/null 2>&1
	done
}

# topo_batch ... topo_commit: in between, addrs and inner_routes queue
# their commands, and topo_commit runs them as one `ip -batch` per
# namespace, in the order they came (an address before the routes that
# use it as their source). Under TCG with the debug kernel every process
# started costs about a second; a suite with dozens of addresses and
# routes saves most of them this way.
TOPO_BATCH=0
declare -A TOPO_QUEUE=()
topo_batch() { TOPO_BATCH=1; }
topo_commit() {
	local ns rc=0
	for ns in "${!TOPO_QUEUE[@]}"; do
		printf '%s' "${TOPO_QUEUE[$ns]}" | ip -n "$ns" -batch - || rc=1
	done
	TOPO_QUEUE=()
	TOPO_BATCH=0
	return $rc
}
# topo_ip NS ARGS...: `ip -n NS ARGS`, or queued between topo_batch and
# topo_commit (ARGS are single words: addresses, names, keywords).
topo_ip() {
	local ns=$1
	shift
	if ((TOPO_BATCH)); then
		TOPO_QUEUE[$ns]+="$*"$'\n'
	else
		ip -n "$ns" "$@"
	fi
}

# addrs NS DEV ADDR...: addresses on DEV in NS; IPv6 ones on a link without
# duplicate address detection (nodad), so that they work at once.
addrs() {
	local ns=$1 dev=$2 a
	shift 2
	for a in "$@"; do
		if [[ $a == *:* && $dev != lo ]]; then
			topo_ip "$ns" addr add "$a" dev "$dev" nodad
		else
			topo_ip "$ns" addr add "$a" dev "$dev"
		fi
	done
}

# mac NS IF: IF's link-layer address.
mac() { ip -n "$1" -br link show "$2" | awk '{print $3}'; }

# pin_neigh NS1 ADDR1 NS2 ADDR2 IF: NS1 and NS2, on the link IF, each get
# a permanent IPv6 neighbour entry for the other's address: neighbour
# discovery between addresses a policy covers would need the policy's own
# exception.
pin_neigh() {
	ip -n "$1" -6 neigh add "$4" lladdr "$(mac "$3" "$5")" dev "$5" nud permanent
	ip -n "$3" -6 neigh add "$2" lladdr "$(mac "$1" "$5")" dev "$5" nud permanent
}

# inner_routes NS1 INNER1 LINK1 NS2 INNER2 LINK2: NS1 reaches NS2's inner
# address INNER2 through NS2's link address LINK2, from INNER1, and back
# (the tunnel policies then catch the packets).
inner_routes() {
	topo_ip "$1" route add "$5" via "$6" src "$2"
	topo_ip "$4" route add "$2" via "$3" src "$5"
}
