#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# setkey with a 10,000-line file (5,000 SAs with AES-CBC + HMAC-SHA-256,
# 5,000 policies): it applies, and -D and -DP list every entry.
#
# Runs on the bench kernel (scripts/vm-suites: TEST_PROGS_BENCH): each SA
# allocates its crypto transforms, which under KASAN and lockdep made this
# one case 90 of setkey.sh's seconds. The kernel side at this size runs
# under the debug kernel in pfkey_scale.sh.
#
# No network topology: setkey in the init namespace only.

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/module.sh"
SK=${SETKEY:-$KTAP_ROOT/target/release/setkey}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ri_netns_cleanup
ktap_header "setkey with a 10,000-line file"
if [[ ! -x $SK ]]; then
	ktap_skip "setkey" "no setkey binary at $SK (make tools builds it)"
	ktap_finish
fi
ri_load || { ktap_fail "rust_ipsec loads"; ktap_finish; }

# Entries in -D / -DP output: each starts with an unindented address line.
entries() { grep -cE '^[0-9a-f:.]+' "$1"; }
flush_all() { "$SK" -F >/dev/null && "$SK" -FP >/dev/null; }

flush_all
python3 -S - "$tmp/big.conf" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(5000):
        a, b = divmod(i, 250)
        f.write(f'add 10.{a}.{b}.1 10.200.0.1 esp {0x10000 + i} -m transport '
                f'-E aes-cbc 0x{i:032x} -A hmac-sha256 0x{i:064x};\n')
    for i in range(5000):
        a, b = divmod(i, 250)
        f.write(f'spdadd 10.{a}.{b}.0/24 10.200.0.0/16 any -P out ipsec esp/transport//require;\n')
EOF
start=$(date +%s)
"$SK" -f "$tmp/big.conf" >"$tmp/big.out" 2>&1
rc=$?
"$SK" -D >"$tmp/big.D"
"$SK" -DP >"$tmp/big.DP"
sa=$(entries "$tmp/big.D")
sp=$(entries "$tmp/big.DP")
secs=$(($(date +%s) - start))
if ((rc == 0 && sa == 5000 && sp == 5000)); then
	ktap_ok "a 10,000-line file applies and dumps completely (5000 SAs, 5000 policies, ${secs}s)"
else
	ktap_fail "a 10,000-line file applies and dumps completely (rc=$rc, $sa SAs, $sp policies)"
	head -20 "$tmp/big.out" | sed 's/^/# /'
fi
flush_all
ktap_finish
