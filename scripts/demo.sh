#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job, run inside the VM by `make demo`: load rust_ipsec, show
# its sysctl trees, show that a namespace gets its own copy and that a bad
# value is refused, add and read back an SA and a policy over PF_KEY,
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

step "PF_KEY v2: add an AES-GCM SA and a tunnel policy, read them back"
python3 - "$ROOT/tests/pfkey" <<'PY' || fails=$((fails + 1))
import struct, sys
sys.path.insert(0, sys.argv[1])
from pfkey import *
s = Sock()
h, _ = s.request(msg(ADD, SATYPE_ESP, sa(0x1000, 0, EALG_GCM16, replay=64) + sa2(IPSEC_MODE_TUNNEL)
                     + address(EXT_SRC, "192.0.2.1") + address(EXT_DST, "192.0.2.2")
                     + key(EXT_KEY_ENC, bytes(range(20)))))
print(f"   SADB_ADD esp spi 0x1000 aes-gcm-16 (160-bit key+salt): errno {h['errno']}")
h, e = s.request(msg(GET, SATYPE_ESP, sa(0x1000) + address(EXT_SRC, "192.0.2.1") + address(EXT_DST, "192.0.2.2")))
spi, replay, state, auth, enc = struct.unpack("!IBBBB", e[EXT_SA][:8])
print(f"   SADB_GET: spi {spi:#x} enc alg {enc} replay {replay} state {state} key {e[EXT_KEY_ENC][4:24].hex()}")
req = ipsecrequest(IPPROTO_ESP, IPSEC_MODE_TUNNEL, LEVEL_REQUIRE, tunnel=("192.0.2.1", "192.0.2.2"))
h, e = s.request(msg(X_SPDADD, SATYPE_UNSPEC, address(EXT_SRC, "10.1.0.0", 24) + address(EXT_DST, "10.2.0.0", 24)
                     + x_policy(POLICY_IPSEC, DIR_OUT, req)))
print(f"   SADB_X_SPDADD 10.1.0.0/24 -> 10.2.0.0/24 out esp/tunnel/require: errno {h['errno']}, "
      f"policy id {struct.unpack_from('=I', e[EXT_X_POLICY], 4)[0]}")
s.request(msg(FLUSH, SATYPE_UNSPEC)); s.request(msg(X_SPDFLUSH, SATYPE_UNSPEC))
h, _ = s.request(msg(DUMP, SATYPE_UNSPEC))
print(f"   after SADB_FLUSH, SADB_DUMP answers errno {h['errno']} (ENOENT: 'No SAD entries.')")
sys.exit(0 if h["errno"] == 2 else 1)
PY

step "unloading with namespace 'demo' alive"
check "rmmod rust_ipsec" rmmod rust_ipsec
ip netns del demo

echo
if ((fails == 0)); then
	echo "VERDICT: rust_ipsec loaded, served both sysctl trees per namespace, validated writes, managed SAs and policies over PF_KEY, and unloaded cleanly."
else
	echo "VERDICT: FAILED ($fails checks failed)"
	exit 1
fi
