#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The setkey tool (tools/setkey) in the VM: the shipped examples apply and
# dump; the same configuration gives the same -D/-DP against rust_ipsec and
# Linux's af_key (apart from the documented differences); -x shows another
# process's messages; a bad file applies nothing (a 10,000-line file:
# setkey_big.sh, on the bench kernel); -n works without PF_KEY; an algorithm the kernel
# lacks is refused before anything is sent.
#
# No network topology: setkey in the init namespace only.

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/module.sh"
here=$(cd "$(dirname "$0")" && pwd)
SK=${SETKEY:-$KTAP_ROOT/target/release/setkey}
afkey=${RI_KDIR:-}/net/key/af_key.ko
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ri_netns_cleanup
ktap_header "setkey against rust_ipsec and Linux's af_key"
if [[ ! -x $SK ]]; then
	ktap_skip "setkey" "no setkey binary at $SK (make tools builds it)"
	ktap_finish
fi

# Entries in -D / -DP output: each starts with an unindented address line.
entries() { grep -cE '^[0-9a-f:.]+' "$1"; }
flush_all() { "$SK" -F >/dev/null && "$SK" -FP >/dev/null; }

# --- -n needs no PF_KEY -------------------------------------------------
ri_unload
ktap_check "setkey -n -f checks examples/transport-esp.conf with no PF_KEY in the kernel" \
	"$SK" -n -f "$KTAP_ROOT/examples/transport-esp.conf"
ri_load || { ktap_fail "rust_ipsec loads"; ktap_finish; }

# --- every example applies and dumps ------------------------------------
for conf in "$KTAP_ROOT"/examples/*.conf; do
	name=$(basename "$conf")
	flush_all
	if ! "$SK" -f "$conf" >"$tmp/out" 2>&1; then
		ktap_fail "setkey -f examples/$name"
		sed 's/^/# /' "$tmp/out"
		continue
	fi
	"$SK" -D >"$tmp/D"
	"$SK" -DP >"$tmp/DP"
	want_sa=$(grep -cE '^[[:space:]]*add[[:space:]]' "$conf")
	want_sp=$(grep -cE '^[[:space:]]*spdadd[[:space:]]' "$conf")
	got_sa=$(entries "$tmp/D")
	got_sp=$(entries "$tmp/DP")
	if ((got_sa == want_sa && got_sp >= want_sp && want_sa > 0)); then
		ktap_ok "examples/$name: -D lists $got_sa SAs, -DP $got_sp policies"
	else
		ktap_fail "examples/$name: -D lists $got_sa SAs (want $want_sa), -DP $got_sp policies (want >= $want_sp)"
		sed 's/^/# /' "$tmp/D" "$tmp/DP" | head -60
	fi
done

# --- the same file against af_key and rust_ipsec --------------------------
flush_all
"$SK" -f "$here/setkey/common.conf" >"$tmp/apply.rust" 2>&1
rc_rust=$?
"$SK" -D >"$tmp/D.rust"
"$SK" -DP >"$tmp/DP.rust"
flush_all
if [[ -n ${RI_KDIR:-} && -f $afkey ]]; then
	ri_unload
	insmod "$afkey"
	"$SK" -f "$here/setkey/common.conf" >"$tmp/apply.afkey" 2>&1
	rc_afkey=$?
	"$SK" -D >"$tmp/D.afkey"
	"$SK" -DP >"$tmp/DP.afkey"
	# An algorithm af_key cannot do is refused before anything is sent.
	"$SK" -F >/dev/null
	printf '%s\n' 'add 10.0.0.1 10.0.0.2 esp 0x501 -E aes-cbc 0x00112233445566778899aabbccddeeff -A hmac-sha1 "12345678901234567890";' \
		'add 10.0.0.1 10.0.0.2 esp 0x502 -E aes-gcm-16 0x00112233445566778899aabbccddeeff00112233;' >"$tmp/gcm.conf"
	"$SK" -f "$tmp/gcm.conf" >"$tmp/gcm.out" 2>&1
	rc_gcm=$?
	"$SK" -D >"$tmp/gcm.D" 2>&1
	rmmod af_key
	ri_load
	if ((rc_rust == 0 && rc_afkey == 0)); then
		ktap_ok "tests/setkey/common.conf applies to both rust_ipsec and af_key"
	else
		ktap_fail "tests/setkey/common.conf applies to both (rust_ipsec rc=$rc_rust, af_key rc=$rc_afkey)"
		sed 's/^/# /' "$tmp/apply.rust" "$tmp/apply.afkey"
	fi
	ktap_check "-D and -DP agree between af_key and rust_ipsec, apart from the documented differences" \
		python3 -S "$here/setkey/compare.py" "$tmp/D.afkey" "$tmp/D.rust" "$tmp/DP.afkey" "$tmp/DP.rust"
	if ((rc_gcm != 0)) && grep -q 'aes-gcm-16' "$tmp/gcm.out" && grep -q 'No SAD entries' "$tmp/gcm.D"; then
		ktap_ok "against af_key, aes-gcm-16 is refused by name before anything is sent"
	else
		ktap_fail "against af_key, aes-gcm-16 is refused before anything is sent (rc=$rc_gcm)"
		sed 's/^/# /' "$tmp/gcm.out" "$tmp/gcm.D"
	fi
else
	ktap_skip "af_key comparison" "no af_key.ko (RI_KDIR='${RI_KDIR:-}')"
fi

# --- -x sees what another process sends ----------------------------------
flush_all
"$SK" -x >"$tmp/x.out" 2>&1 &
xpid=$!
sleep 1
echo 'add 10.9.9.1 10.9.9.2 esp 0x9999 -m transport -E null -A hmac-sha1 "abcdefghijklmnopqrst";' | "$SK" -c
sleep 1
kill "$xpid" 2>/dev/null
wait "$xpid" 2>/dev/null
if grep -q 'sadb_msg' "$tmp/x.out" && grep -qi 'spi=39321\|0x00009999\|spi=0x9999' "$tmp/x.out"; then
	ktap_ok "setkey -x shows the SADB_ADD another process sent"
else
	ktap_fail "setkey -x shows the SADB_ADD another process sent"
	sed 's/^/# /' "$tmp/x.out" | head -40
fi

# --- a bad file applies nothing --------------------------------------------
flush_all
printf '%s\n' 'add 10.0.0.1 10.0.0.2 esp 0x601 -E null -A hmac-sha1 "abcdefghijklmnopqrst";' \
	'add 10.0.0.1 10.0.0.2 esp 0x602 -E null -A hmac-sha3 "abcdefghijklmnopqrst";' >"$tmp/bad.conf"
"$SK" -f "$tmp/bad.conf" >"$tmp/bad.out" 2>&1
rc=$?
"$SK" -D >"$tmp/bad.D" 2>&1
if ((rc != 0)) && grep -q 'bad.conf:2:' "$tmp/bad.out" && grep -q 'hmac-sha3' "$tmp/bad.out" &&
	grep -q 'No SAD entries' "$tmp/bad.D"; then
	ktap_ok "an error on line 2 names file:line:column and the token, and line 1 is not applied"
else
	ktap_fail "an error on line 2 names file:line:column and the token, and line 1 is not applied (rc=$rc)"
	sed 's/^/# /' "$tmp/bad.out" "$tmp/bad.D"
fi

# --- a kernel error names the line --------------------------------------------
printf '%s\n' '# nothing to delete' 'delete 10.0.0.1 10.0.0.2 esp 0x12345;' >"$tmp/kerr.conf"
"$SK" -f "$tmp/kerr.conf" >"$tmp/kerr.out" 2>&1
rc=$?
if ((rc != 0)) && grep -q 'kerr.conf.2' "$tmp/kerr.out" && grep -q 'No entry' "$tmp/kerr.out"; then
	ktap_ok "a kernel error names the command's line and the error text"
else
	ktap_fail "a kernel error names the command's line and the error text (rc=$rc)"
	sed 's/^/# /' "$tmp/kerr.out"
fi

flush_all
ktap_finish
