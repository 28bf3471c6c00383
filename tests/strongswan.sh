#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A real IKE daemon over rust_ipsec's PF_KEY: strongSwan's charon with its
# kernel-pfkey plugin in namespace A (rust_ipsec keeps the SAs and
# policies) negotiates IKEv2 with charon on Linux XFRM (kernel-netlink) in
# namespace B, PSK authentication, configured with swanctl
# (tests/lib/charon.sh). Each case loads its connections, negotiates,
# checks, and terminates:
#
#   - transport mode over IPv4, AES-GCM-128, initiated from A: ping and
#     TCP, A's SADB (setkey -D) and B's xfrm states, only IKE and ESP on
#     the wire;
#   - tunnel mode over IPv6 between the sites fd01::/64 (behind A) and
#     fd02::/64 (behind B), AES-CBC + HMAC-SHA-256, initiated from B;
#   - a trap policy (start_action = trap) for the IPv4 sites 10.1.0.0/24
#     and 10.2.0.0/24: the first packet raises rust_ipsec's SADB_ACQUIRE
#     and charon negotiates;
#   - on that tunnel, CHILD_SA and IKE_SA rekeying under a continuous
#     ping (10 per second), short lifetimes, the packets lost counted
#     (goal 0);
#   - in transport mode: dead peer detection from A, then CHILD_SA
#     rekeying under a ping;
#   - terminate: afterwards A's SADB and SPD are empty; no PF_KEY message
#     of charon's was refused (rust_ipsec's log).
#
# charon on A asks for a per-socket bypass of its IKE socket
# (IP_IPSEC_POLICY, Documentation/sockpolicy.rst). Without it, B's IKE
# packets to A (B's charon bypasses XFRM for them) are dropped by A's
# host-to-host transport policy, which requires ESP: in transport mode,
# whatever needs an answer from B once the CHILD_SA is up (DPD, rekeying,
# a terminate B answers) fails. The sites' tunnel policies do not cover IKE
# between the gateways, so the tunnel cases do not depend on it.
#
# +------------------------------+        +------------------------------+
# | $A: rust_ipsec               |   sw   | $B: Linux XFRM               |
# | charon, kernel-pfkey         |        | charon, kernel-netlink       |
# | sw 10.0.0.1/24 fd00::1/64    +--------+ sw 10.0.0.2/24 fd00::2/64    |
# | lo 10.1.0.1 fd01::1 (sites)  |        | lo 10.2.0.1 fd02::1 (sites)  |
# +------------------------------+        +------------------------------+

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/module.sh"
. "$(dirname "$0")/lib/net.sh"
. "$(dirname "$0")/lib/topo.sh"
. "$(dirname "$0")/lib/wire.sh"
. "$(dirname "$0")/lib/charon.sh"
A=${RI_NS}swa B=${RI_NS}swb
tmp=$WIRE_DIR

ri_netns_cleanup
ri_load || { echo "TAP version 13"; echo "not ok 1 module loads"; echo "1..1"; exit 1; }
ktap_header "strongSwan's charon: kernel-pfkey on rust_ipsec with kernel-netlink on Linux XFRM"
need_setkey "strongSwan"
why=$(charon_missing)
if [[ -n $why ]]; then
	ktap_skip "strongSwan" "$why"
	ktap_finish
fi

# rust_ipsec logs each PF_KEY message it refuses (rate-limited).
refused() { dmesg | grep -c 'PF_KEY message refused'; }
refused0=$(refused)

netns_add "$A" "$B"
veth "$A" "$B" sw
addrs "$A" sw 10.0.0.1/24 fd00::1/64
addrs "$B" sw 10.0.0.2/24 fd00::2/64
pin_neigh "$A" fd00::1 "$B" fd00::2 sw
addrs "$A" lo 10.1.0.1/32 fd01::1/128
addrs "$B" lo 10.2.0.1/32 fd02::1/128

# Retransmissions after 2, 3, 4.5, 6.8 and 10 s, then give up: shorter
# than charon's default (165 s in all), but long enough for TCG, where
# Linux's first rfc4106(gcm(aes)) state takes B's charon 10 s to add.
RETRANSMIT="retransmit_timeout = 2
	retransmit_base = 1.5
	retransmit_tries = 4"

charon_start_case "charon starts on A (kernel-pfkey: rust_ipsec)" a "$A" pfkey "$RETRANSMIT"
charon_start_case "charon starts on B (kernel-netlink: XFRM)" b "$B" netlink "$RETRANSMIT"
if ((KTAP_FAIL)); then
	charon_diag a
	charon_diag b
	ktap_finish
fi
# charon on A chose PF_KEY for IPsec, and B's XFRM.
# plugins_of SIDE: the plugins SIDE's charon loaded, as it logged them.
plugins_of() { charon_log "$1" | sed -n 's/.*loaded plugins: //p' | head -n 1; }
ktap_expect "charon on A loaded kernel-pfkey before kernel-netlink" \
	"charon random nonce openssl kdf kernel-pfkey kernel-netlink socket-default vici" "$(plugins_of a)"
ktap_expect "charon on B loaded kernel-netlink alone" \
	"charon random nonce openssl kdf kernel-netlink socket-default vici" "$(plugins_of b)"

# load A-CONN B-CONN: loads one connection on each side (replacing what
# was loaded before).
load() {
	swanctl_conf a "$1"
	swanctl_conf b "$2"
	charon_load a >"$tmp/load.a" 2>&1 && charon_load b >"$tmp/load.b" 2>&1 && return 0
	cat "$tmp/load.a" "$tmp/load.b"
	return 1
}

# ping_start NS ADDR NAME: a ping of 10 a second from NS in the background,
# its summary to $tmp/ping.NAME once ping_stop NAME ends it (SIGINT, as -w
# ends it with SIGALRM: ping prints its counts and exits).
declare -A PING_PIDS=()
ping_start() {
	ip netns exec "$1" ping -q -i 0.1 -W 1 -w 120 "$2" >"$tmp/ping.$3" 2>&1 &
	PING_PIDS[$3]=$!
}
# ping_stop NAME: ends it; sets sent and got from its summary.
ping_stop() {
	kill -INT "${PING_PIDS[$1]}" 2>/dev/null
	wait "${PING_PIDS[$1]}"
	sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$tmp/ping.$1")
	got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$tmp/ping.$1")
}

# sadb_count: how many ESP SAs A's SADB holds (setkey -D).
sadb_count() { sk "$A" -D | grep -c 'esp mode='; }
# spd_count: how many policies A's SPD holds (setkey -DP), fwd ones too.
spd_count() { sk "$A" -DP | grep -c '^[0-9a-f]'; }
# xfrm_count: how many xfrm states B has.
xfrm_count() { ip -n "$B" xfrm state | grep -c '^src '; }

# empty_a: A's SADB and SPD are empty (setkey's words for it).
empty_a() {
	local d dp
	d=$(sk "$A" -D 2>&1)
	dp=$(sk "$A" -DP 2>&1)
	[[ $d == "No SAD entries." && $dp == "No SPD entries." ]] && return 0
	echo "setkey -D: $d"
	echo "setkey -DP: $dp"
	return 1
}

# tcp_counted FROM TO ADDR: tcp; when it fails, A's rust_ipsec counters
# and B's XFRM counters that are not 0, as diagnostics.
tcp_counted() {
	tcp "$@" && return 0
	ip netns exec "$A" awk '$2 != 0 { print "A: " $0 }' /proc/net/rust_ipsec_stat
	ip netns exec "$B" awk '$2 != 0 { print "B: " $0 }' /proc/net/xfrm_stat
	return 1
}

# only_ike_esp NAME: the capture NAME holds IP packets between A and B that
# are IKE (UDP 500/4500) or ESP and nothing else, and some of each.
only_ike_esp() {
	local ike esp other
	ike=$(wire_count "$1" "udp port 500 or udp port 4500")
	esp=$(wire_count "$1" "$WIRE_ESP")
	other=$(wire_count "$1" "($WIRE_IP) and not (udp port 500 or udp port 4500) and not ($WIRE_ESP)")
	((ike > 0 && esp > 0 && other == 0)) && return 0
	echo "IKE packets: $ike, ESP packets: $esp, others: $other"
	wire_read "$1" "($WIRE_IP) and not (udp port 500 or udp port 4500) and not ($WIRE_ESP)" | head -5
	return 1
}

# --- transport mode, IPv4, AES-GCM-128, initiated from A -----------------

TR4_CHILD="mode = transport
				esp_proposals = aes128gcm16"
load "$(conn tr4 10.0.0.1 10.0.0.2 "$TR4_CHILD")" "$(conn tr4 10.0.0.2 10.0.0.1 "$TR4_CHILD")" ||
	ktap_fail "transport: swanctl loads the connections"
wire_start tr4 -o "$A" sw "$B" sw
if ktap_check "transport, IPv4, AES-GCM-128: A initiates, the CHILD_SA is up" up a tr4; then
	ktap_check "transport: A pings B through the CHILD_SA" ip netns exec "$A" ping -c 3 -i 0.2 -W 2 10.0.0.2
	ktap_check "transport: TCP from A to B" tcp_counted "$A" "$B" 10.0.0.2
	ktap_check "transport: TCP from B to A" tcp_counted "$B" "$A" 10.0.0.1
	ktap_expect "transport: A's SADB (setkey -D) holds the two ESP SAs" 2 "$(sadb_count)"
	ktap_expect "transport: both of A's SAs are AES-GCM-16 in transport mode" 2 \
		"$(sk "$A" -D | grep -c 'E: aes-gcm-16')"
	ktap_expect "transport: B's XFRM holds the two states" 2 "$(xfrm_count)"
	ktap_expect "transport: both of B's states are rfc4106(gcm(aes)) with 128-bit ICV" 2 \
		"$(ip -n "$B" xfrm state | grep -c "aead rfc4106(gcm(aes)) .* 128")"
	wire_stop tr4
	ktap_check "transport: only IKE and ESP on the wire" only_ike_esp tr4
	ktap_check "transport: A terminates, B answers" down a tr4
	ktap_check "transport: afterwards A's SADB and SPD are empty (setkey -D, -DP)" empty_a
	ktap_expect "transport: afterwards B's XFRM holds no state" 0 "$(xfrm_count)"
else
	wire_stop tr4
	charon_diag a
fi

# --- tunnel mode, IPv6 sites, AES-CBC + HMAC-SHA-256, initiated from B ----

# tun NAME LOCAL REMOTE LOCAL-TS REMOTE-TS ESP [MORE]: a tunnel CHILD_SA's
# options.
tun() {
	printf 'mode = tunnel\n\t\t\t\tesp_proposals = %s\n\t\t\t\tlocal_ts = %s\n\t\t\t\tremote_ts = %s\n\t\t\t\t%s' \
		"$3" "$1" "$2" "${4:-}"
}
load "$(conn tun6 fd00::1 fd00::2 "$(tun fd01::/64 fd02::/64 aes128-sha256)")" \
	"$(conn tun6 fd00::2 fd00::1 "$(tun fd02::/64 fd01::/64 aes128-sha256)")" ||
	ktap_fail "tunnel: swanctl loads the connections"
wire_start tun6 -o "$A" sw "$B" sw
if ktap_check "tunnel, IPv6 sites, AES-CBC + HMAC-SHA-256: B initiates, the CHILD_SA is up" up b tun6; then
	ktap_check "tunnel: charon on A installed its route to B's site (table 220)" \
		grep -q '^fd02::/64' <(ip -n "$A" -6 route show table 220)
	ktap_check "tunnel: A's site pings B's site" ip netns exec "$A" ping -6 -c 3 -i 0.2 -W 2 fd02::1
	ktap_check "tunnel: B's site pings A's site" ip netns exec "$B" ping -6 -c 3 -i 0.2 -W 2 fd01::1
	ktap_check "tunnel: TCP from A's site to B's" tcp_counted "$A" "$B" fd02::1
	ktap_expect "tunnel: A's SADB holds two tunnel-mode ESP SAs" 2 "$(sk "$A" -D | grep -c 'esp mode=tunnel')"
	ktap_expect "tunnel: both are AES-CBC with HMAC-SHA-256" 2 \
		"$(sk "$A" -D | grep -A1 'E: aes-cbc' | grep -c 'A: hmac-sha256')"
	wire_stop tun6
	ktap_check "tunnel: only IKE and ESP on the wire" only_ike_esp tun6
	ktap_check "tunnel: B terminates, A answers" down b tun6
	ktap_check "tunnel: afterwards A's SADB and SPD are empty" empty_a
else
	wire_stop tun6
	charon_diag a
	charon_diag b
fi

# --- a trap policy; then rekeying under traffic --------------------------

# A traps traffic between the IPv4 sites; its IKE_SA rekeys every 10 s
# (hard limit 10 s later; charon's default, 10 % of that, would leave the
# rekeying 1 s), its CHILD_SA every 14 s (hard limit 10 s later, 24 s): the
# ping below spans the first rekeying of each and ends before the
# CHILD_SA's second (28 s). B would rekey later, so A's rekeyings are the
# ones that happen.
load "$(conn trap4 10.0.0.1 10.0.0.2 "$(tun 10.1.0.0/24 10.2.0.0/24 aes128gcm16 "start_action = trap
				rekey_time = 14s
				life_time = 24s
				rand_time = 0")" "rekey_time = 10s
		over_time = 10s
		rand_time = 0")" \
	"$(conn trap4 10.0.0.2 10.0.0.1 "$(tun 10.2.0.0/24 10.1.0.0/24 aes128gcm16 "rekey_time = 300s")")" ||
	ktap_fail "trap: swanctl loads the connections"
ktap_expect "trap: charon on A installed the trap policies (out, in, fwd) and no SA" "3 0" \
	"$(spd_count) $(sadb_count)"
acq0=$(log_count a 'received an SADB_ACQUIRE')
# The first packet raises the ACQUIRE and is dropped; ping keeps sending
# until 3 replies came (20 s at most).
ktap_check "trap: A's site pings B's site: the first packet starts the negotiation" \
	ip netns exec "$A" ping -c 3 -i 0.5 -w 20 10.2.0.1
ktap_check "trap: charon on A got rust_ipsec's SADB_ACQUIRE" \
	test "$(log_count a 'received an SADB_ACQUIRE')" -gt "$acq0"
ktap_check "trap: the CHILD_SA is installed on A" grep -q '^  trap4: #[0-9]*, reqid [0-9]*, INSTALLED, TUNNEL' <(sas a)

# The IKE_SA's and the CHILD_SA's unique ids before and after: rekeying
# gives new ones.
# ids_now: reads swanctl --list-sas of A once (one process, not one per
# value: each costs seconds under TCG on a busy machine) into ike_now
# (trap4's IKE_SA's unique id) and spis_now (the CHILD_SAs' SPIs, in and
# out).
ids_now() {
	local line f1 f2
	ike_now="" spis_now=""
	while IFS= read -r line; do
		if [[ -z $ike_now && $line =~ ^trap4:\ \#([0-9]+), ]]; then
			ike_now=${BASH_REMATCH[1]}
			continue
		fi
		read -r f1 f2 _ <<<"$line"
		[[ $f1 == in || $f1 == out ]] && spis_now+=${spis_now:+ }${f2/,/}
	done < <(sas a)
	return 0
}
child_spis() {
	ids_now
	echo "$spis_now"
}
# rekeyed OLD-SPIS NEW-SPIS: A lists one CHILD_SA (NEW-SPIS: one SPI
# pair) with none of OLD-SPIS: the rekeying is over, the old SAs deleted.
rekeyed() {
	local spi n=0
	for spi in $2; do
		n=$((n + 1))
		[[ " $1 " == *" $spi "* ]] && return 1
	done
	((n == 2))
}
ids_now
ike0=$ike_now spis0=$spis_now
ktap_diag "rekey: before: IKE_SA #$ike0, CHILD_SA SPIs $spis0"
# The ping runs until both rekeyings are over (the IKE_SA's at 10 s, the
# CHILD_SA's at 14 s; at most 50 s), then 2 s more over the new SAs.
t0=$SECONDS
ping_start "$A" 10.2.0.1 rekey
while ((SECONDS - t0 < 50)); do
	sleep 1
	ids_now
	[[ -n $ike_now && $ike_now != "$ike0" ]] && rekeyed "$spis0" "$spis_now" && break
done
sleep 2
ping_stop rekey
ids_now
ike1=$ike_now spis1=$spis_now
ktap_diag "rekey: after $((SECONDS - t0)) s: IKE_SA #$ike1, CHILD_SA SPIs $spis1; ping: $sent sent, $got received"
ktap_check "rekey: the CHILD_SA was rekeyed (new SPIs) under traffic" \
	test -n "$spis1" -a "$spis1" != "$spis0"
ktap_check "rekey: the IKE_SA was rekeyed (new IKE_SA) under traffic" \
	test -n "$ike1" -a "$ike1" != "$ike0"
ktap_expect "rekey: no packet lost across the rekeyings ($((sent - got)) of $sent lost)" 0 "$((sent - got))"
# (Up to 10 s: charon deletes the old pair once the rekeying is over.)
for ((i = 0; i < 10; i++)); do
	n=$(sadb_count)
	((n == 2)) && break
	sleep 1
done
ktap_expect "rekey: A's SADB holds one SA pair afterwards" 2 "$n"
ktap_check "trap: A terminates" down a trap4
ktap_check "trap: A's trap policies stay, without SAs" test "$(spd_count) $(sadb_count)" == "3 0"

# --- transport mode: DPD, CHILD_SA rekeying, terminate -------------------

# A probes B every 2 s while nothing comes from B (B has no DPD of its
# own: A's probes would keep it from sending any). A DPD is an empty
# INFORMATIONAL exchange; B's answers reach A only past A's transport
# policy, through the IKE socket's bypass. Then, under a ping, the
# CHILD_SA rekeys (14 s after it was set up), which needs B's answer too.
informational_responses() { log_count a 'parsed INFORMATIONAL response'; }
load "$(conn tr4 10.0.0.1 10.0.0.2 "$TR4_CHILD
				rekey_time = 14s
				life_time = 40s
				rand_time = 0" "dpd_delay = 2s")" \
	"$(conn tr4 10.0.0.2 10.0.0.1 "$TR4_CHILD
				rekey_time = 300s")" ||
	ktap_fail "dpd: swanctl loads the connections"
if ktap_check "dpd: A initiates the transport CHILD_SA" up a tr4; then
	dpd0=$(log_count a 'sending DPD request')
	info0=$(informational_responses)
	spis0=$(child_spis)
	# Until A sent a DPD request and parsed an answer (at most 7 s: the
	# CHILD_SA's rekeying, whose delete is INFORMATIONAL too, is at 14 s).
	t0=$SECONDS
	while ((SECONDS - t0 < 7)); do
		sleep 1
		dpd1=$(log_count a 'sending DPD request')
		info1=$(informational_responses)
		((dpd1 > dpd0 && info1 > info0)) && break
	done
	ktap_diag "dpd: in $((SECONDS - t0)) s A sent $((dpd1 - dpd0)) DPD requests and got $((info1 - info0)) INFORMATIONAL responses"
	ktap_check "dpd: A sent DPD requests" test "$dpd1" -gt "$dpd0"
	ktap_check "dpd: B answered them (A parsed INFORMATIONAL responses)" test "$info1" -gt "$info0"
	# The ping runs until the rekeying is over (at most 30 s), then 2 s
	# more over the new SAs.
	ping_start "$A" 10.0.0.2 tr4
	t0=$SECONDS
	while ((SECONDS - t0 < 30)); do
		sleep 1
		spis1=$(child_spis)
		rekeyed "$spis0" "$spis1" && break
	done
	sleep 2
	ping_stop tr4
	spis1=$(child_spis)
	ktap_diag "transport rekey: CHILD_SA SPIs $spis0, $((SECONDS - t0)) s later $spis1; ping: $sent sent, $got received"
	ktap_check "transport rekey: the CHILD_SA was rekeyed (new SPIs) under traffic" \
		test -n "$spis1" -a "$spis1" != "$spis0"
	ktap_expect "transport rekey: no packet lost ($((sent - got)) of $sent lost)" 0 "$((sent - got))"
	ktap_check "dpd: A's IKE_SA is still established" grep -q '^tr4: .*ESTABLISHED' <(sas a)
	ktap_check "terminate: A terminates, B answers" down a tr4
else
	charon_diag a
fi
ktap_check "terminate: afterwards A's SADB and SPD are empty (setkey -D, -DP)" empty_a

ktap_expect "rust_ipsec refused no PF_KEY message of charon's (kernel log)" 0 "$(($(refused) - refused0))"
ktap_check "charon on A stops (SIGTERM)" charon_stop a
ktap_check "charon on B stops (SIGTERM)" charon_stop b
ktap_check "after both stopped, A's SADB and SPD are empty" empty_a
ktap_finish
