#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job, run inside the VM by `make demo`: load rust_ipsec, show
# its sysctl trees, show that a namespace gets its own copy and that a bad
# value is refused, configure SAs and policies with setkey over PF_KEY,
# unload, and end with a one-line verdict.
#
# (Until the ESP datapath lands this is what the module does; the demo
# will then show traffic protected by ESP between two namespaces.)

set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
V4=/proc/sys/net/ipv4/rust_ipsec
V6=/proc/sys/net/ipv6/rust_ipsec
fails=0

step() { printf '\n== %s\n' "$*"; }
check() {
	local what=$1
	shift
	if "$@"; then echo "   ok: $what"; else echo "   FAILED: $what"; fails=$((fails + 1)); fi
}

step "kernel $(uname -r), loading $ROOT/rust_ipsec.ko"
# vm-run loads the module for every command; start from scratch here.
[[ -d /sys/module/rust_ipsec ]] && rmmod rust_ipsec
check "insmod rust_ipsec.ko" insmod "$ROOT/rust_ipsec.ko"
dmesg | grep 'rust_ipsec:' | tail -n 2

step "sysctl net.ipv4.rust_ipsec (NetBSD net.inet.ipsec defaults)"
for f in "$V4"/*; do printf '   net.ipv4.rust_ipsec.%-18s = %s\n' "${f##*/}" "$(cat "$f")"; done
step "sysctl net.ipv6.rust_ipsec"
for f in "$V6"/*; do printf '   net.ipv6.rust_ipsec.%-18s = %s\n' "${f##*/}" "$(cat "$f")"; done

step "per-namespace values: set dfbit=2 here, create namespace 'demo'"
echo 2 >"$V4/dfbit"
ip netns add demo
echo "   init netns dfbit = $(cat "$V4/dfbit"), netns demo dfbit = $(ip netns exec demo cat "$V4/dfbit")"
check "the new namespace starts from the default" test "$(ip netns exec demo cat "$V4/dfbit")" = 0

step "an out-of-range write is refused"
if err=$( (echo 3 >"$V4/dfbit") 2>&1); then
	echo "   FAILED: writing 3 to dfbit succeeded"
	fails=$((fails + 1))
else
	echo "   echo 3 > $V4/dfbit: ${err##*: }"
	echo "   dfbit is still $(cat "$V4/dfbit")"
fi

SK=$ROOT/target/release/setkey
step "setkey -f examples/transport-esp.conf (PF_KEY v2), then setkey -D and -DP"
sed 's/^/   | /' "$ROOT/examples/transport-esp.conf"
check "setkey -f examples/transport-esp.conf" "$SK" -f "$ROOT/examples/transport-esp.conf"
"$SK" -D | sed 's/^/   /'
"$SK" -DP | sed 's/^/   /'
step "a bad line anywhere means nothing is applied"
printf '%s\n' 'add 10.0.0.1 10.0.0.9 esp 0x77 -E aes-gcm-16 0x00112233445566778899aabbccddeeff00112233;' \
	'add 10.0.0.1 10.0.0.9 esp 0x78 -E aes-gcm-16 0x0011;' >/tmp/demo-bad.conf
"$SK" -f /tmp/demo-bad.conf 2>&1 | sed 's/^/   /'
if "$SK" -D | grep -q 'spi=119('; then
	echo "   FAILED: line 1 was applied"
	fails=$((fails + 1))
else
	echo "   spi 0x77 from line 1 is not in the SAD"
fi
"$SK" -F && "$SK" -FP
echo "   after setkey -F / -FP: $("$SK" -D) $("$SK" -DP)"

step "unloading with namespace 'demo' alive"
check "rmmod rust_ipsec" rmmod rust_ipsec
ip netns del demo

echo
if ((fails == 0)); then
	echo "VERDICT: rust_ipsec loaded, served both sysctl trees per namespace, validated writes, managed SAs and policies over PF_KEY with setkey, and unloaded cleanly."
else
	echo "VERDICT: FAILED ($fails checks failed)"
	exit 1
fi
