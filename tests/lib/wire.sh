# SPDX-License-Identifier: GPL-2.0
# Packet captures of the datapath tests, and the "only ESP on the wire"
# check. A capture is tcpdump in a namespace, in the background and always
# under a timeout, writing pcap files that are read once it has stopped.
#
# tcpdump runs in immediate mode: otherwise libpcap hands it packets a
# block at a time, a block being handed over when full or a second after
# it began, and a capture stopped within that second loses what the block
# held (tried on the host: the three pings of datapath.sh's capture, all
# but the link's first chatter, were missing from the pcap).
#
# The files go to WIRE_DIR, a temporary directory that this file's EXIT
# trap removes: a suite keeps its other scratch files there too rather
# than setting an EXIT trap of its own (which would replace this one).

WIRE_DIR=$(mktemp -d)
trap 'rm -rf "$WIRE_DIR"' EXIT
declare -A WIRE_PIDS=()

# IPv6 but link-local and multicast chatter (router solicitations, MLD),
# which no policy covers.
WIRE_V6='ip6 and not src net fe80::/10 and not dst net ff00::/8'
# What an ESP-only link carries nothing of but ESP: IPv4, and IPv6 but
# that chatter.
WIRE_IP="ip or ($WIRE_V6)"
WIRE_ESP='ip proto 50 or ip6 proto 50'

# wire_start NAME [-o] [-t SECONDS] [-c COUNT] [-f FILTER] NS IF [NS IF...]:
# starts the capture NAME, one tcpdump on each IF in its NS, and returns a
# second later, once they listen.
#   -o  only what each end sends (tcpdump -Q out): with both ends of a
#       link, that is the whole wire; a decapsulating host shows the inner
#       packets it re-injects as received on its own end (Linux XFRM and
#       rust_ipsec alike), and -o leaves them out
#   -t  the timeout, after which tcpdump ends anyway (default 300 s)
#   -c  tcpdump ends by itself after COUNT packets (see wire_wait)
#   -f  a capture filter
wire_start() {
	local name=$1 secs=300 opts=() filter=() i=0
	shift
	while (($#)); do
		case $1 in
		-o) opts+=(-Q out); shift ;;
		-t) secs=$2; shift 2 ;;
		-c) opts+=(-c "$2"); shift 2 ;;
		-f) filter=("$2"); shift 2 ;;
		*) break ;;
		esac
	done
	rm -f "$WIRE_DIR/$name".*.pcap
	WIRE_PIDS[$name]=""
	while (($# >= 2)); do
		i=$((i + 1))
		timeout "$secs" ip netns exec "$1" tcpdump -i "$2" "${opts[@]}" --immediate-mode -nn -U \
			-w "$WIRE_DIR/$name.$i.pcap" "${filter[@]}" >/dev/null 2>&1 &
		WIRE_PIDS[$name]+=" $!"
		shift 2
	done
	sleep 1
}

# wire_stop NAME...: ends the captures NAME..., half a second on (for the
# last packets to be written).
wire_stop() {
	local name pids=""
	for name in "$@"; do pids+=" ${WIRE_PIDS[$name]}"; done
	sleep 0.5
	# shellcheck disable=SC2086 # a list of process ids
	kill $pids 2>/dev/null
	# shellcheck disable=SC2086
	wait $pids 2>/dev/null
}

# wire_wait NAME: waits for the capture NAME to end by itself (-c COUNT
# packets seen, or its timeout).
wire_wait() {
	# shellcheck disable=SC2086
	wait ${WIRE_PIDS[$1]} 2>/dev/null
}

# wire_read NAME [FILTER [TCPDUMP-OPTION...]]: the packets of the capture
# NAME (all of them, or those matching FILTER), a line each, as tcpdump
# -nn prints them.
wire_read() {
	local f filter=()
	[[ -n ${2:-} ]] && filter=("$2")
	for f in "$WIRE_DIR/$1".*.pcap; do
		tcpdump -r "$f" -nn "${@:3}" "${filter[@]}" 2>/dev/null
	done
}

# wire_count NAME FILTER: how many packets of the capture NAME match FILTER.
wire_count() { wire_read "$1" "$2" | wc -l; }

# wire_only_esp NAME MIN SCOPE COUNT...: true when the capture NAME holds,
# within the tcpdump filter SCOPE, nothing but ESP, and more than MIN
# packets of each COUNT: a tcpdump filter, or spi=HEX (hex without 0x) for
# the ESP packets within SCOPE with that SPI (one read of the capture for
# all SPIs). Sets WIRE_N (the counts, in the order of the COUNTs) and
# WIRE_OTHER (how many packets within SCOPE were not ESP; wire_diag_other
# shows the first five).
wire_only_esp() {
	local name=$1 min=$2 scope=$3 c n spi short=0
	local -A per_spi=()
	shift 3
	wire_read "$name" "($scope) and not ($WIRE_ESP)" >"$WIRE_DIR/other.txt"
	WIRE_OTHER=$(wc -l <"$WIRE_DIR/other.txt")
	if [[ " $* " == *" spi="* ]]; then
		while read -r spi n; do per_spi[$spi]=$n; done < <(wire_read "$name" "($scope) and ($WIRE_ESP)" |
			awk 'match($0, /spi=0x[0-9a-f]+/) { c[substr($0, RSTART + 4, RLENGTH - 4)]++ } END { for (k in c) print k, c[k] }')
	fi
	WIRE_N=()
	for c in "$@"; do
		if [[ $c == spi=* ]]; then
			printf -v spi '0x%08x' "0x${c#spi=}"
			n=${per_spi[$spi]:-0}
		else
			n=$(wire_count "$name" "$c")
		fi
		WIRE_N+=("$n")
		((n > min)) || short=1
	done
	((!short && WIRE_OTHER == 0))
}

# wire_diag_other: the first five packets the last wire_only_esp found
# that were not ESP, as diagnostics.
wire_diag_other() { head -5 "$WIRE_DIR/other.txt" | sed 's/^/# /'; }
