# SPDX-License-Identifier: GPL-2.0
# tools/pfkey-stress in tests (pfkey_scale.sh, pfkey_dump_100k.sh).

STRESS=$KTAP_ROOT/target/release/pfkey-stress

# stress_ready WHAT: false (after a skip, or under CI=true a failure) when
# pfkey-stress is not built.
stress_ready() {
	[[ -x $STRESS ]] && return 0
	ktap_skip "$1" "$STRESS not built (make kselftest builds it)"
	return 1
}

# fill_dump_case N: one case: N SAs and N policies added, then each table
# dumped through a 4 KiB receive buffer, every entry once, the last with
# seq 0.
fill_dump_case() {
	local n=$1 out rc
	out=$("$STRESS" fill-dump --sas "$n" --policies "$n" --rcvbuf 4096 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/# /'
	if ((rc == 0)); then
		ktap_ok "$n SAs and $n policies dump completely through a 4 KiB buffer"
	else
		ktap_fail "$n SAs and $n policies dump completely through a 4 KiB buffer"
	fi
}
