#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The guest side of `make bench` (bench/run.sh starts it in the bench VM
# through scripts/vm-run, with rust_ipsec.ko built against the bench kernel
# already loaded). It measures and records; bench/report.py computes the
# medians and ratios on the host afterwards.
#
#   guest.sh RAW-DIR MODE KO SETKEY PFKEY-STRESS NETBENCH [PROFILE-ROW]
#
# MODE is full, quick or profile; PROFILE-ROW is the algorithm row the
# profiles use (default gcm128-transport). Every measurement appends one
# JSON line to RAW-DIR/records.jsonl (iperf3's own JSON goes to RAW-DIR/iperf/).
#
# Phases:
#  1. datapath: three pairs of namespaces joined by veth, one per stack
#     (plaintext, Linux XFRM configured with `ip xfrm`, rust_ipsec
#     configured with setkey), the same keys on both IPsec stacks; for each
#     algorithm row (ESP, and AH with HMAC-SHA-256), TCP throughput
#     (iperf3), UDP packet rate with 64- and 1400-byte payloads
#     (iperf3 -u -b 0) and TCP request/response latency
#     (netbench), each repetition running the three stacks in a random
#     order. The UDP runs offer more than any stack carries (-b 0), so
#     the guest's CPU busy time per sent packet is the CPU cost of a
#     packet: the headline figure (bench/report.py).
#     Then perf profiles of both IPsec stacks (full mode).
#  2. lookup scaling: N-1 outbound policies that do not match the flow
#     (priority 0, so they come first in priority order) plus the
#     matching one, N = 1, 1k, 10k (, 100k), to /32 hosts and then to /24
#     networks; UDP 64-byte packet rate, rust_ipsec and XFRM alternated.
#  3. control plane: SADB_ADD and X_SPDADD rates and kernel memory per
#     entry, rust_ipsec against Linux's af_key (the modules swapped in
#     turn: both claim PF_KEY).

set -uo pipefail
RAW=$1 MODE=$2 KO=$3 SK=$4 STRESS=$5 NETBENCH=$6 PROFILE_ROW=${7:-gcm128-transport}
mkdir -p "$RAW/iperf"
REC=$RAW/records.jsonl
: >"$REC"
T0=$(date +%s)

if [[ $MODE == quick ]]; then
	REPS=2 T_TCP=2 T_UDP=2 T_RR=2
	ROWS=(gcm128-transport gcm256-tunnel ah-sha256-transport)
	LOOKUP_N=(1 1000 10000) LOOKUP_REPS=1
	CP_N=(1000 10000) CP_REPS=1
	PROFILE=0
elif [[ $MODE == profile ]]; then
	# Only configure the profiles' row and take them (run.sh --profile).
	REPS=0 T_TCP=2 T_UDP=2 T_RR=2
	ROWS=("$PROFILE_ROW")
	PROFILE=1
else
	REPS=5 T_TCP=5 T_UDP=4 T_RR=4
	ROWS=(gcm128-transport gcm256-tunnel cbc-sha256-transport chacha20-poly1305-transport ah-sha256-transport)
	LOOKUP_N=(1 1000 10000 100000) LOOKUP_REPS=3
	CP_N=(1000 10000 100000) CP_REPS=3
	PROFILE=1
fi
PROFILE=${BENCH_PROFILE:-$PROFILE}
REPS=${BENCH_REPS:-$REPS}

log() { printf '[bench %4ds] %s\n' $(($(date +%s) - T0)) "$*"; }
rec() { printf '%s\n' "$1" >>"$REC"; }
# A JSON string (our values never hold quotes or backslashes but this keeps them valid).
js() { local s=${1//\\/\\\\}; printf '"%s"' "${s//\"/\\\"}"; }

# --- the machine, as the guest sees it ---
cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
cpu_flags=$(awk -F': ' '/^flags/ {print $2; exit}' /proc/cpuinfo)
has() { [[ " $cpu_flags " == *" $1 "* ]] && echo true || echo false; }
clocksource=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)
rec "{\"phase\":\"meta\",\"mode\":$(js "$MODE"),\"clocksource\":$(js "$clocksource"),\"reps\":$REPS,\"kernel\":$(js "$(uname -r)"),\"kernel_version\":$(js "$(cat /proc/version)"),\"cpus\":$(nproc),\"cpu_model\":$(js "$cpu_model"),\"aes\":$(has aes),\"pclmulqdq\":$(has pclmulqdq),\"avx2\":$(has avx2),\"hypervisor\":$(has hypervisor),\"mem_kb\":$(awk '/^MemTotal/ {print $2}' /proc/meminfo),\"iperf3\":$(js "$(iperf3 --version | head -1)"),\"t_tcp\":$T_TCP,\"t_udp\":$T_UDP,\"t_rr\":$T_RR}"
log "mode $MODE, $REPS repetitions, kernel $(uname -r), $(nproc) CPUs: $cpu_model, clocksource $clocksource"
log "AES implementations: $(awk '/^driver/ && /aes/ {print $3}' /proc/crypto | sort -u | tr '\n' ' ')"

# --- helpers ---
# busy and total CPU ticks (USER_HZ) of all CPUs, from /proc/stat.
cpu_ticks() { awk '/^cpu / {b=$2+$3+$4+$7+$8+$9; print b, b+$5+$6; exit}' /proc/stat; }
stat_of() { ip netns exec "$1" awk -v k="$2" '$1 == k { print $2 }' /proc/net/rust_ipsec_stat 2>/dev/null; }
xfrm_packets() { ip -n "$1" -s xfrm state list 2>/dev/null | grep -o '[0-9]*(packets)' | tr -d '(packets)' | awk '{s+=$1} END {print s+0}'; }

# keyhex N DIR: N key bytes, different per direction DIR (as tests/esp.sh).
keyhex() {
	local n=$1 dir=$2 i out=0x
	for ((i = 0; i < n; i++)); do out+=$(printf %02x $(((i * 13 + dir * 71 + n) % 256))); done
	echo "$out"
}
# keys SPEC DIR: every K<n> in SPEC replaced by n key bytes.
keys() {
	local out=$1 n
	for n in $(grep -o 'K[0-9]*' <<<"$1" | sort -u | tr -d K); do
		out=${out//K$n/$(keyhex "$n" "$2")}
	done
	echo "$out"
}

# row NAME: sets M (transport/tunnel), P (esp/ah), SKALG (setkey), XFALG
# (ip xfrm).
row() {
	P=esp
	case $1 in
	gcm128-transport) M=transport SKALG="-E aes-gcm-16 K20" XFALG="aead 'rfc4106(gcm(aes))' K20 128" ;;
	gcm256-tunnel) M=tunnel SKALG="-E aes-gcm-16 K36" XFALG="aead 'rfc4106(gcm(aes))' K36 128" ;;
	cbc-sha256-transport) M=transport SKALG="-E aes-cbc K16 -A hmac-sha256 K32" XFALG="enc 'cbc(aes)' K16 auth-trunc 'hmac(sha256)' K32 128" ;;
	chacha20-poly1305-transport) M=transport SKALG="-E chacha20-poly1305 K36" XFALG="aead 'rfc7539esp(chacha20,poly1305)' K36 128" ;;
	ah-sha256-transport) M=transport P=ah SKALG="-A hmac-sha256 K32" XFALG="auth-trunc 'hmac(sha256)' K32 128" ;;
	*) echo "unknown row $1" >&2; return 1 ;;
	esac
}

# --- namespaces: bp (plaintext), bx (XFRM), br (rust_ipsec) ---
STACKS=(plain xfrm rust)
declare -A NS=([plain]=bp [xfrm]=bx [rust]=br) NET=([plain]=10 [xfrm]=20 [rust]=30)
declare -A STATUS
addr() { echo "192.168.${NET[$1]}.$2"; }
pids=()
for s in "${STACKS[@]}"; do
	n=${NS[$s]}
	ip netns add "${n}1"
	ip netns add "${n}2"
	ip -n "${n}1" link set lo up
	ip -n "${n}2" link set lo up
	ip link add veth0 netns "${n}1" type veth peer name veth0 netns "${n}2"
	ip -n "${n}1" addr add "$(addr "$s" 1)/24" dev veth0
	ip -n "${n}2" addr add "$(addr "$s" 2)/24" dev veth0
	ip -n "${n}1" link set veth0 up
	ip -n "${n}2" link set veth0 up
	ip netns exec "${n}2" iperf3 -s -D -p 5201 -I "$RAW/iperf3-$s.pid" >/dev/null 2>&1
	ip netns exec "${n}2" "$NETBENCH" rr-server 7000 &
	pids+=($!)
done
sleep 1
log "namespaces up; offloads (veth defaults): $(ip netns exec bp1 ethtool -k veth0 2>/dev/null | grep -E '^(tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload):' | tr -s ' \n' ' ')"

# configure ROW: fresh SAs and policies on both IPsec pairs.
configure() {
	row "$1" || return 1
	local a b sk1 sk2 xf1 xf2 n
	# XFRM pair: 0x2001 (1->2), 0x2002 (2->1).
	a=$(addr xfrm 1) b=$(addr xfrm 2)
	xf1=$(keys "$XFALG" 1) xf2=$(keys "$XFALG" 2)
	for n in bx1 bx2; do
		ip -n $n xfrm state flush
		ip -n $n xfrm policy flush
		eval "ip -n $n xfrm state add src $a dst $b proto $P spi 0x2001 reqid 1 mode $M $xf1"
		eval "ip -n $n xfrm state add src $b dst $a proto $P spi 0x2002 reqid 1 mode $M $xf2"
	done
	local t12="" t21=""
	[[ $M == tunnel ]] && t12="src $a dst $b" t21="src $b dst $a"
	ip -n bx1 xfrm policy add src "$a" dst "$b" dir out tmpl $t12 proto $P reqid 1 mode $M
	ip -n bx1 xfrm policy add src "$b" dst "$a" dir in tmpl $t21 proto $P reqid 1 mode $M
	ip -n bx2 xfrm policy add src "$b" dst "$a" dir out tmpl $t21 proto $P reqid 1 mode $M
	ip -n bx2 xfrm policy add src "$a" dst "$b" dir in tmpl $t12 proto $P reqid 1 mode $M
	# rust_ipsec pair: 0x3001, 0x3002, the same keys.
	a=$(addr rust 1) b=$(addr rust 2)
	sk1=$(keys "$SKALG" 1) sk2=$(keys "$SKALG" 2)
	local r12="$P/transport//require" r21="$P/transport//require"
	[[ $M == tunnel ]] && r12="$P/tunnel/$a-$b/require" r21="$P/tunnel/$b-$a/require"
	for n in br1 br2; do
		ip netns exec $n "$SK" -F
		ip netns exec $n "$SK" -FP
		printf '%s\n' "add $a $b $P 0x3001 -m $M $sk1;" "add $b $a $P 0x3002 -m $M $sk2;" |
			ip netns exec $n "$SK" -c || return 1
	done
	printf '%s\n' "spdadd $a $b any -P out ipsec $r12;" "spdadd $b $a any -P in ipsec $r21;" |
		ip netns exec br1 "$SK" -c || return 1
	printf '%s\n' "spdadd $b $a any -P out ipsec $r21;" "spdadd $a $b any -P in ipsec $r12;" |
		ip netns exec br2 "$SK" -c || return 1
}

# The rust_ipsec counter of packets sent with the row's protocol.
out_counter() { [[ $P == ah ]] && echo AhOutPackets || echo EspOutPackets; }

# check ROW: every stack answers pings; the IPsec ones really use ESP (or
# AH: the row's protocol).
# Sets STATUS[stack] to ok or to why it is not measured.
check() {
	local s n before unsup0 unsup1 esp
	for s in "${STACKS[@]}"; do
		n=${NS[$s]}
		before=0 unsup0=0
		case $s in
		xfrm) before=$(xfrm_packets bx1) ;;
		rust)
			before=$(stat_of br1 "$(out_counter)")
			unsup0=$(($(stat_of br1 DropUnsupported) + $(stat_of br2 DropUnsupported))) ;;
		esac
		if ip netns exec "${n}1" ping -c 3 -i 0.2 -W 2 "$(addr "$s" 2)" >/dev/null 2>&1; then
			STATUS[$s]=ok
			case $s in
			xfrm) esp=$(($(xfrm_packets bx1) - before)) ;;
			rust) esp=$(($(stat_of br1 "$(out_counter)") - before)) ;;
			*) esp=1 ;;
			esac
			((esp > 0)) || STATUS[$s]="failed (pings went out without ESP)"
		elif [[ $s == rust ]]; then
			unsup1=$(($(stat_of br1 DropUnsupported) + $(stat_of br2 DropUnsupported)))
			if ((unsup1 > unsup0)); then
				STATUS[$s]="n/a (not implemented yet)"
			else
				STATUS[$s]="failed (no connectivity)"
				ip netns exec br1 cat /proc/net/rust_ipsec_stat | grep -v '	0$' | sed 's/^/  br1: /'
			fi
		else
			STATUS[$s]="failed (no connectivity)"
		fi
	done
}

# measure ROW METRIC STACK REP: one run, recorded.
measure() {
	local row=$1 metric=$2 s=$3 rep=$4 n=${NS[$3]} dst c0 c1 w0 w1 out rc file=""
	dst=$(addr "$s" 2)
	read -r -a c0 < <(cpu_ticks)
	w0=$(date +%s.%N)
	case $metric in
	tcp | udp64 | udp1400)
		file=iperf/$row-$metric-$s-$rep.json
		local args=(-t "$T_TCP")
		[[ $metric == udp64 ]] && args=(-u -b 0 -l 64 -t "$T_UDP")
		[[ $metric == udp1400 ]] && args=(-u -b 0 -l 1400 -t "$T_UDP")
		timeout $((T_TCP + T_UDP + 30)) ip netns exec "${n}1" iperf3 -c "$dst" -p 5201 "${args[@]}" -J \
			>"$RAW/$file" 2>"$RAW/${file%.json}.err"
		rc=$?
		out=null ;;
	rr)
		out=$(timeout $((T_RR + 30)) ip netns exec "${n}1" "$NETBENCH" rr-client "$dst" 7000 "$T_RR" 2>&1)
		rc=$?
		[[ $rc == 0 && $out == \{* ]] || out=null ;;
	esac
	w1=$(date +%s.%N)
	read -r -a c1 < <(cpu_ticks)
	rec "{\"phase\":\"datapath\",\"row\":\"$row\",\"metric\":\"$metric\",\"stack\":\"$s\",\"rep\":$rep,\"rc\":$rc,\"file\":$(js "$file"),\"result\":$out,\"cpu_busy\":$((c1[0] - c0[0])),\"cpu_total\":$((c1[1] - c0[1])),\"wall\":$(awk -v a="$w0" -v b="$w1" 'BEGIN {printf "%.3f", b - a}')}"
	((rc == 0)) || log "  $row $metric $s rep $rep: exit $rc"
}

# --- phase 1: datapath ---
for r in "${ROWS[@]}"; do
	log "row $r: configure"
	configure "$r" || log "row $r: configuration failed"
	check "$r"
	# Which crypto implementations the SAs use: drivers with a reference
	# beyond their own (each stack has 4 SAs).
	inuse=$(awk -v RS= -F'\n' '{ d = ""; r = 0; a = ""
		for (i = 1; i <= NF; i++) {
			split($i, kv, / *: /)
			if (kv[1] ~ /^driver/) d = kv[2]
			if (kv[1] ~ /^refcnt/) r = kv[2]
			if (kv[1] ~ /^async/) a = kv[2]
		}
		if (r > 1 && d ~ /rfc4106|rfc7539|authenc|gcm|chacha|poly|cbc|sha256/) printf "%s(refcnt %d%s) ", d, r, a == "yes" ? ", async" : ""
	}' /proc/crypto)
	log "row $r: crypto in use: $inuse"
	rec "{\"phase\":\"crypto\",\"row\":\"$r\",\"in_use\":$(js "$inuse")}"
	for s in "${STACKS[@]}"; do
		rec "{\"phase\":\"status\",\"row\":\"$r\",\"stack\":\"$s\",\"status\":$(js "${STATUS[$s]}")}"
		log "row $r: $s: ${STATUS[$s]}"
	done
	for ((rep = 1; rep <= REPS; rep++)); do
		for metric in tcp udp64 udp1400 rr; do
			# Fair order: each triple runs its stacks in a fresh random
			# order, so no stack always follows the same one.
			for s in $(printf '%s\n' "${STACKS[@]}" | shuf); do
				[[ ${STATUS[$s]} == ok ]] || continue
				measure "$r" "$metric" "$s" "$rep"
			done
		done
		log "row $r: repetition $rep/$REPS done"
	done
	rec "{\"phase\":\"stat\",\"row\":\"$r\",\"rust_stat\":$(js "$(ip netns exec br1 cat /proc/net/rust_ipsec_stat | grep -v '	0$' | tr '\n\t' '; ')")}"
done

# --- phase 2: lookup scaling (AES-GCM-128 transport) ---
log "lookup scaling: configure gcm128-transport"
configure gcm128-transport
check gcm128-transport
# --- where the time goes: perf samples (cpu-clock; the guest's timers
# are tick-based, so about HZ=250 samples a second) during UDP 64-byte,
# UDP 1400-byte and TCP runs of each IPsec stack, with PROFILE-ROW's SAs
# (AES-GCM-128 transport unless run.sh --profile names another row).
# The iperf3 client runs 8 s, the sample is taken 2-5 s into it; the
# client's own JSON says how many datagrams it sent, and /proc/stat and
# /proc/softirqs how often the CPU switched tasks and ran NET_RX meanwhile.
ctxt() { awk '/^ctxt/ {print $2}' /proc/stat; }
netrx() { awk '/NET_RX/ {s = 0; for (i = 2; i <= NF; i++) s += $i; print s}' /proc/softirqs; }
if command -v perf >/dev/null && ((PROFILE)); then
	mkdir -p "$RAW/profile"
	configure "$PROFILE_ROW" || log "row $PROFILE_ROW: configuration failed"
	check "$PROFILE_ROW"
	for s in xfrm rust; do
		for m in udp64 udp1400 tcp; do
			args=(-t 8)
			[[ $m == udp64 ]] && args=(-u -b 0 -l 64 -t 8)
			[[ $m == udp1400 ]] && args=(-u -b 0 -l 1400 -t 8)
			ip netns exec "${NS[$s]}1" iperf3 -c "$(addr "$s" 2)" -p 5201 "${args[@]}" -J \
				>"$RAW/profile/$s-$m.iperf.json" 2>&1 &
			ipid=$!
			sleep 2
			c0=$(ctxt) r0=$(netrx)
			perf record -e cpu-clock -a -g -o /tmp/perf.data -- sleep 3 >/dev/null 2>&1
			c1=$(ctxt) r1=$(netrx)
			wait "$ipid"
			sent=$(python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["end"]; print(e.get("sum", e.get("sum_sent", {})).get("packets", e.get("sum_sent", {}).get("bytes")))' \
				"$RAW/profile/$s-$m.iperf.json" 2>/dev/null)
			{
				echo "# perf record -e cpu-clock -a -g, 3 s of an 8 s iperf3 $m over $s ($PROFILE_ROW)"
				echo "# context switches in the 3 s: $((c1 - c0)); NET_RX softirqs: $((r1 - r0)); iperf3 sent (packets or bytes, whole run): $sent"
				echo "## by module"
				perf report -i /tmp/perf.data --no-children --sort dso --stdio -g none 2>/dev/null | grep -E '^ +[0-9.]+%' | head -8
				echo "## by symbol (self time)"
				perf report -i /tmp/perf.data --no-children --sort sym --stdio -g none 2>/dev/null | grep -E '^ +[0-9.]+%' | head -40
				echo "## by symbol, children included (time in the function and what it calls)"
				perf report -i /tmp/perf.data --children --sort sym --stdio -g none 2>/dev/null | grep -E '^ +[0-9.]+%' | head -60
				echo "## task switches: who calls schedule (callers of __schedule, children included)"
				perf report -i /tmp/perf.data --children --sort sym --stdio -G -S __schedule 2>/dev/null | grep -v '^$' | head -60
			} >"$RAW/profile/$s-$m.txt"
		done
	done
	rm -f /tmp/perf.data
	log "profiles recorded"
fi
[[ $MODE == profile ]] && { log "done (profile only)"; exit 0; }

# fill STACK N PREFIX: the N-1 extra outbound policies in the sender's
# namespace, from 10.0.0.1 to distinct /PREFIX destinations counted from
# 10.0.0.0 (/32: one host each; /24: one network each), never matching
# the 192.168 flow.
fill() {
	local s=$1 extra=$(($2 - 1)) prefix=$3 t0 t1 out="null" a b
	t0=$(date +%s.%N)
	if [[ $s == rust ]]; then
		a=$(addr rust 1) b=$(addr rust 2)
		ip netns exec br1 "$SK" -FP
		if ((extra > 0)); then
			out=$(ip netns exec br1 "$STRESS" fill --sas 0 --policies "$extra" --prefix "$prefix" --keep)
			[[ $out == \{* ]] || out=null
		fi
		printf '%s\n' "spdadd $a $b any -P out ipsec esp/transport//require;" \
			"spdadd $b $a any -P in ipsec esp/transport//require;" | ip netns exec br1 "$SK" -c
	else
		a=$(addr xfrm 1) b=$(addr xfrm 2)
		ip -n bx1 xfrm policy flush
		if ((extra > 0)); then
			# pfkey-stress's numbering: /32 hosts 10.0.0.0 + i, /24
			# networks 10.0.0.0 + 256 i.
			awk -v n="$extra" -v p="$prefix" 'BEGIN { m = 2 ^ (32 - p)
				for (i = 2; i < n + 2; i++) {
					d = 167772160 + i * m
					printf "xfrm policy add src 10.0.0.1/32 dst %d.%d.%d.%d/%d dir out tmpl proto esp mode transport\n",
						int(d / 16777216) % 256, int(d / 65536) % 256, int(d / 256) % 256, d % 256, p
				} }' >/tmp/xfrm-policies
			ip -n bx1 -batch /tmp/xfrm-policies
		fi
		ip -n bx1 xfrm policy add src "$a" dst "$b" dir out tmpl proto esp reqid 1 mode transport
		ip -n bx1 xfrm policy add src "$b" dst "$a" dir in tmpl proto esp reqid 1 mode transport
	fi
	t1=$(date +%s.%N)
	rec "{\"phase\":\"lookup-fill\",\"stack\":\"$s\",\"n\":$2,\"prefix\":$prefix,\"seconds\":$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}'),\"fill\":$out}"
}
for prefix in 32 24; do
	for n in "${LOOKUP_N[@]}"; do
		for s in rust xfrm; do
			fill "$s" "$n" "$prefix"
		done
		check gcm128-transport
		log "lookup /$prefix: $n policies installed (rust: ${STATUS[rust]}, xfrm: ${STATUS[xfrm]}, xfrm SPD: $(ip -n bx1 xfrm policy count | tr -s '\t ' ' '))"
		for ((rep = 1; rep <= LOOKUP_REPS; rep++)); do
			for s in rust xfrm; do
				[[ ${STATUS[$s]} == ok ]] || continue
				measure "lookup-$prefix-$n" udp64 "$s" "$rep"
			done
		done
	done
done
ip netns exec br1 "$SK" -FP
ip -n bx1 xfrm policy flush

# --- tear down the namespaces ---
for s in "${STACKS[@]}"; do
	kill "$(cat "$RAW/iperf3-$s.pid" 2>/dev/null)" 2>/dev/null
	rm -f "$RAW/iperf3-$s.pid"
done
kill "${pids[@]}" 2>/dev/null
wait 2>/dev/null
for s in "${STACKS[@]}"; do
	ip netns del "${NS[$s]}1"
	ip netns del "${NS[$s]}2"
done
sleep 1

# --- phase 3: control plane and memory, rust_ipsec against af_key ---
AFKEY=$RI_KDIR/net/key/af_key.ko
use_impl() {
	if [[ $1 == rust ]]; then
		lsmod | grep -q '^af_key' && rmmod af_key
		lsmod | grep -q '^rust_ipsec' || insmod "$KO"
	else
		lsmod | grep -q '^rust_ipsec' && rmmod rust_ipsec
		lsmod | grep -q '^af_key' || insmod "$AFKEY"
	fi
}
cp_run() {
	local impl=$1 n=$2 rep=$3 alg=$4 sas=$5 pols=$6 out rc
	use_impl "$impl" || { log "cannot switch to $impl"; return 1; }
	sync
	echo 2 >/proc/sys/vm/drop_caches
	out=$("$STRESS" fill --sas "$sas" --policies "$pols" --alg "$alg" 2>/tmp/stress.err)
	rc=$?
	[[ $out == \{* ]] || { out=null; log "  $impl $n: $(head -3 /tmp/stress.err)"; }
	rec "{\"phase\":\"control\",\"impl\":\"$impl\",\"n\":$n,\"rep\":$rep,\"alg\":\"$alg\",\"rc\":$rc,\"result\":$out}"
}
if [[ -f $AFKEY ]]; then
	# Warm-up, not recorded: the first transform of a kind instantiates
	# the crypto templates (and runs their self-tests) once.
	for impl in rust afkey; do
		use_impl "$impl" && "$STRESS" fill --sas 200 --policies 200 --alg cbc-sha256 >/dev/null 2>&1
	done
	for n in "${CP_N[@]}"; do
		reps=$CP_REPS
		((n >= 100000)) && reps=1
		for ((rep = 1; rep <= reps; rep++)); do
			for impl in rust afkey; do
				cp_run "$impl" "$n" "$rep" cbc-sha256 "$n" "$n"
			done
		done
		log "control plane: $n entries done"
	done
	# Memory of the SADB alone: AH SAs (no transform in rust_ipsec).
	n=${CP_N[-1]}
	for impl in rust afkey; do
		cp_run "$impl" "$n" 1 ah "$n" 0
	done
	log "control plane: AH SAs done"
	use_impl rust
else
	log "no $AFKEY: control plane skipped"
fi
log "done"
