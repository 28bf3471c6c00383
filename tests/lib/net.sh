# SPDX-License-Identifier: GPL-2.0
# Helpers of the datapath tests: setkey and the statistics of a namespace,
# keys, a TCP transfer checked end to end. (Namespaces and links: topo.sh;
# captures: wire.sh.)

SK=${SETKEY:-$KTAP_ROOT/target/release/setkey}
RI_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# sk NS ARGS...: setkey in NS.
sk() { local ns=$1; shift; ip netns exec "$ns" "$SK" "$@"; }
# need_setkey WHAT: when setkey is not built, WHAT is skipped (under
# CI=true, failed) and the suite ends there.
need_setkey() {
	[[ -x $SK ]] && return
	ktap_skip "$1" "no setkey binary at $SK (make tools)"
	ktap_finish
}
# stat_of NS NAME: a counter of NS's /proc/net/rust_ipsec_stat.
stat_of() { ip netns exec "$1" awk -v k="$2" '$1 == k { print $2 }' /proc/net/rust_ipsec_stat; }
# stat_in PID NAME: the same counter in the namespace of process PID (any
# process that lives there), read by bash alone: stat_of starts ip and
# awk, which under TCG with the debug kernel costs a second or two.
stat_in() {
	local k v
	while read -r k v; do
		[[ $k == "$2" ]] && { echo "$v"; return 0; }
	done <"/proc/$1/net/rust_ipsec_stat"
	return 1
}
# hexrange LO HI: the bytes LO..HI-1 in hex (a key; no process started:
# under TCG with the debug kernel each one costs about a second).
hexrange() {
	local i out=""
	for ((i = $1; i < $2; i++)); do printf -v out '%s%02x' "$out" "$i"; done
	echo "$out"
}

# tcp FROM TO-NS TO-ADDR: a transfer of TCP_BYTES (default 200 kB) from
# namespace FROM to a server at TO-ADDR in TO-NS; passes when both ends
# saw the same bytes.
#
# The sender starts once the server listens (it says so on stderr; up to
# about 90 s), not after a fixed second; then the transfer has 30 s.
tcp() {
	local from=$1 to=$2 addr=$3 srv got sent spid i
	srv=$(mktemp)
	timeout 100 ip netns exec "$to" python3 -S "$RI_TESTS/esp/tcp.py" serve "$addr" 5001 >"$srv" 2>"$srv.err" &
	spid=$!
	for ((i = 0; i < 900; i++)); do
		grep -q '^listening$' "$srv.err" 2>/dev/null && break
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.1
	done
	sent=$(timeout 30 ip netns exec "$from" python3 -S "$RI_TESTS/esp/tcp.py" send "$addr" 5001 "${TCP_BYTES:-200000}" ${TCP_FILL:+"$TCP_FILL"} 2>&1)
	wait "$spid"
	got=$(cat "$srv"; grep -v '^listening$' "$srv.err")
	rm -f "$srv" "$srv.err"
	[[ -n $sent && $sent == "$got" ]] && return 0
	# What each end said (a Python traceback, a timeout's silence).
	ktap_diag "tcp $addr: sender said: ${sent:-nothing}"
	ktap_diag "tcp $addr: server said: ${got:-nothing}"
	return 1
}
