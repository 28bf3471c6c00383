#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Rekeying (issue 16): which SA outbound traffic uses (the newest mature
# one; a dying one gives way, an exhausted one gives way to its successor
# with no packet lost), a dying inbound SA accepting packets until its
# hard expiry, GETSPI's larval SA expiring after 30 s (KAME's and Linux's
# larval lifetime; no knob shortens it, so this suite waits), and SAs and
# policies deleted and flushed while both CPUs send traffic through them,
# with no splat (vm-run fails the run on one) and kmemleak clean.
#
# +---------------------+         +---------------------+
# | $E: rust_ipsec      |  veth2  | $F: Linux XFRM      |
# | veth2 10.2.0.1/24   +---------+ veth2 10.2.0.2/24   |
# +---------------------+         +---------------------+
# $G: rust_ipsec, alone (the larval SA, left alone for 30 s)

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/module.sh"
. "$(dirname "$0")/lib/net.sh"
. "$(dirname "$0")/lib/topo.sh"
here=$(cd "$(dirname "$0")" && pwd)
E=${RI_NS}rke F=${RI_NS}rkf G=${RI_NS}rkg

ri_netns_cleanup
ri_load || { echo "TAP version 13"; echo "not ok 1 module loads"; echo "1..1"; exit 1; }
ktap_header "rekeying: outbound SA choice, dying and larval SAs, deletion under traffic"
need_setkey "rekeying"
tmp=$(mktemp -d)

# rekey NS SUBCOMMAND ARGS...: each "ok"/"fail" line tests/esp/rekey.py prints
# is a case, other lines are diagnostics.
report_lines() {
	local sub=$1 line
	while IFS= read -r line; do
		case $line in
		"ok "*) ktap_ok "$sub: ${line#ok }" ;;
		"fail "*) ktap_fail "$sub: ${line#fail }" ;;
		*) ktap_diag "$line" ;;
		esac
	done
}
rekey() {
	local ns=$1 sub=$2
	shift 2
	report_lines "$sub" < <(ip netns exec "$ns" timeout 120 python3 -S "$here/esp/rekey.py" "$sub" "$@" 2>&1)
}
# rekey_early NS SUBCOMMAND ARGS...: starts rekey.py SUBCOMMAND in the
# background, waiting for "go SUBCOMMAND" (a Python start takes seconds
# under TCG: it happens while the case before runs); its pid in
# early_pid[SUBCOMMAND], its output in $tmp/SUBCOMMAND.
# go SUBCOMMAND: lets it begin.
declare -A early_pid=()
rekey_early() {
	local ns=$1 sub=$2
	shift 2
	ip netns exec "$ns" timeout 300 python3 -S "$here/esp/rekey.py" --after "$tmp/go.$sub" "$sub" "$@" \
		>"$tmp/$sub" 2>&1 &
	early_pid[$sub]=$!
}
go() { touch "$tmp/go.$1"; }
# early_report SUBCOMMAND: waits for it, then its lines as cases.
early_report() {
	wait "${early_pid[$1]}"
	report_lines "$1" <"$tmp/$1"
}

# Transforms of rfc4106(gcm(aes)) alive now: each holds a reference to
# its algorithm, whose /proc/crypto refcnt is 1 with no user, so the count
# comes back here once every SA of this suite is freed.
tfm_refs() { awk '/^name/ { n = $3 } /^refcnt/ && n == "rfc4106(gcm(aes))" { s += $3 - 1 } END { print s + 0 }' /proc/crypto; }
refs0=$(tfm_refs)

# The namespaces and the link as topo.sh's netns_add, veth and addrs make
# them, in fewer processes (each costs about a second under TCG).
for ns in "$E" "$F" "$G"; do ip netns add "$ns"; done
ip link add veth2 netns "$E" type veth peer name veth2 netns "$F"
ip -n "$G" link set lo up
for side in "$E 10.2.0.1/24" "$F 10.2.0.2/24"; do
	set -- $side
	printf '%s\n' "link set lo up" "link set veth2 up" "addr add $2 dev veth2" | ip -n "$1" -batch -
	ip netns exec "$1" ethtool -K veth2 tso off gso off gro off >/dev/null 2>&1
done

# The larval SA first: it expires while the other cases run.
ip netns exec "$G" timeout 150 python3 -S "$here/esp/rekey.py" larval >"$tmp/larval" 2>&1 &
larval_pid=$!

# F decrypts every outbound SPI E uses (keys of rekey.py: GCM_OUT = bytes
# 0..19, GCM_IN = bytes 100..119) and sends with 0x3001.
k_out=0x$(hexrange 0 20)
k_in=0x$(hexrange 100 120)
{
	for spi in 0x2000 0x2001 0x2002 0x2003 0x2004 0x2005; do
		echo "xfrm state add src 10.2.0.1 dst 10.2.0.2 proto esp spi $spi reqid 1 mode transport aead rfc4106(gcm(aes)) $k_out 128"
	done
	echo "xfrm state add src 10.2.0.2 dst 10.2.0.1 proto esp spi 0x3001 reqid 1 mode transport aead rfc4106(gcm(aes)) $k_in 128"
	echo "xfrm policy add src 10.2.0.2 dst 10.2.0.1 dir out tmpl proto esp reqid 1 mode transport"
	echo "xfrm policy add src 10.2.0.1 dst 10.2.0.2 dir in tmpl proto esp reqid 1 mode transport"
} | ip -n "$F" -batch -
sk "$E" -c <<'EOS'
spdadd 10.2.0.1 10.2.0.2 any -P out ipsec esp/transport//require;
spdadd 10.2.0.2 10.2.0.1 any -P in ipsec esp/transport//require;
EOS

# The Python of the cases after choice starts now, while choice runs; each
# waits for its "go": dying-in, and for the deletion under traffic (below)
# its four senders and rekey.py churn.
secs=20
last=$(($(nproc) - 1))
rekey_early "$E" dying-in
pids=()
for s in "$E 0 10.2.0.2 9" "$E $last 10.2.0.2 10" "$F 0 10.2.0.1 9" "$F $last 10.2.0.1 9"; do
	set -- $s
	ip netns exec "$1" taskset -c "$2" timeout 300 python3 -S "$here/esp/rekey.py" --after "$tmp/go.churn" \
		send "$3" "$4" "$secs" >"$tmp/send.$1.$2.$4" 2>&1 &
	pids+=($!)
done
rekey_early "$E" churn "$secs"
rekey "$E" choice
# What setkey -D shows after the choice cases: the traffic left the dying
# SAs for the newest mature one, 0x2000.
sk "$E" -D >"$tmp/D"
# sa_line SPI TEXT: the first line holding TEXT in the SA SPI's entry of
# that dump and after (read by bash: an awk per value cost a
# second each under TCG).
sa_line() {
	local line found=
	while IFS= read -r line; do
		[[ $line == *"spi=$(($1))("* ]] && found=1
		[[ -n $found && $line == *"$2"* ]] && { echo "$line"; return 0; }
	done <"$tmp/D"
	return 1
}
# bytes_of SPI, state_of SPI: its byte count ("current: N(bytes)") and state.
bytes_of() {
	local line f2
	line=$(sa_line "$1" '(bytes)') || return
	read -r _ f2 _ <<<"$line"
	echo "${f2%%(bytes)*}"
}
state_of() {
	local line
	line=$(sa_line "$1" 'state=') || return
	line=${line##*state=}
	echo "${line%%[[:space:]]*}"
}
b1=$(bytes_of 0x2001) b2=$(bytes_of 0x2002) b0=$(bytes_of 0x2000) b3=$(bytes_of 0x2003) b4=$(bytes_of 0x2004)
ktap_check "setkey -D: bytes per outbound SA 0x2001 ${b1:-?}, 0x2002 ${b2:-?}, 0x2000 ${b0:-?}, 0x2003 ${b3:-?} ($(state_of 0x2003)), 0x2004 ${b4:-?} ($(state_of 0x2004))" \
	test "${b1:-0}" = 252 -a "${b2:-0}" = 252 -a "${b0:-0}" = $((10 * 84)) -a "${b3:-0}" = 168 -a "${b4:-0}" = 252 \
	-a "$(state_of 0x2003)" = dying -a "$(state_of 0x2004)" = dying

go dying-in
early_report dying-in

# Deletion under traffic: two senders in E (CPU 0: UDP port 9, transport
# SA; last CPU: port 10, tunnel SA with its route cache) and two in F (one
# per CPU, ESP through XFRM to E: decrypted in E's softirq) run while
# rekey.py churn adds, deletes and flushes E's SAs and policies.
# (The senders and rekey.py churn were started before choice.)
printf '%s\n' "flush;" "spdflush;" | sk "$E" -c
out0=$(stat_of "$E" EspOutPackets) in0=$(stat_of "$E" EspInPackets)
go churn
early_report churn
wait "${pids[@]}"
sent=""
for f in "$tmp"/send.*; do sent+="${f##*/send.}: $(cat "$f"); "; done
out=$(($(stat_of "$E" EspOutPackets) - out0)) in=$(($(stat_of "$E" EspInPackets) - in0))
ktap_diag "senders (ns cpu port): $sent"
ktap_check "traffic went through the churning SAs on $((last + 1)) CPUs: EspOutPackets +$out, EspInPackets +$in" \
	test "$last" -ge 1 -a "$out" -gt 100 -a "$in" -gt 100
# The namespace works as before: fresh SAs carry a ping.
printf '%s\n' "flush;" "spdflush;" \
	"spdadd 10.2.0.1 10.2.0.2 any -P out ipsec esp/transport//require;" \
	"spdadd 10.2.0.2 10.2.0.1 any -P in ipsec esp/transport//require;" \
	"add 10.2.0.1 10.2.0.2 esp 0x2001 -m transport -E aes-gcm-16 $k_out;" \
	"add 10.2.0.2 10.2.0.1 esp 0x3001 -m transport -E aes-gcm-16 $k_in;" | sk "$E" -c
ktap_check "after the churn, fresh SAs carry a ping" ip netns exec "$E" ping -c 2 -i 0.3 -W 2 10.2.0.2
# The count sees live transforms: E's two SAs and F's seven states.
live=$(tfm_refs)
ktap_check "/proc/crypto counts the live transforms: rfc4106(gcm(aes)) users $refs0 before the suite, $live now" \
	test "$live" -ge $((refs0 + 9))

wait "$larval_pid"
report_lines larval <"$tmp/larval"

# Everything the namespaces held is freed: the SAs' transforms and route
# caches by the module's work item (namespaces are destroyed
# asynchronously, XFRM's states by its own work: poll).
ri_netns_cleanup
for ((i = 0; i < 30; i++)); do
	(($(tfm_refs) <= refs0)) && break
	sleep 1
done
ktap_expect "every transform freed within ${i} s of the namespaces' deletion (rfc4106(gcm(aes)) users: $refs0 before the suite)" \
	"$refs0" "$(tfm_refs)"
kmemleak_case "kmemleak: no leak after the churn"
rm -rf "$tmp"
ktap_finish
