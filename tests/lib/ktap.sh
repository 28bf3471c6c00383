# SPDX-License-Identifier: GPL-2.0
# KTAP helpers for rust_ipsec's kselftests. Source it, call ktap_header,
# report cases with ktap_ok / ktap_fail / ktap_skip / ktap_check, end with
# ktap_finish (which exits 0 when nothing failed, 1 otherwise).

KTAP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KTAP_N=0
KTAP_PASS=0
KTAP_FAIL=0
KTAP_SKIP=0

ktap_header() {
	echo "TAP version 13"
	echo "# $(basename "$0"): $*"
}

ktap_ok() {
	KTAP_N=$((KTAP_N + 1)) KTAP_PASS=$((KTAP_PASS + 1))
	echo "ok $KTAP_N $*"
}

ktap_fail() {
	KTAP_N=$((KTAP_N + 1)) KTAP_FAIL=$((KTAP_FAIL + 1))
	echo "not ok $KTAP_N $*"
}

# ktap_skip DESCRIPTION REASON: a case that cannot run here says why. In CI
# (CI=true in the environment; vm-run passes it into the guest) a missing
# prerequisite is a failure instead: CI installs everything, so a skip
# there means a test that silently stopped testing.
ktap_skip() {
	if [[ ${CI:-} == true ]]; then
		ktap_fail "$1 (prerequisite missing, and CI=true: $2)"
		return
	fi
	KTAP_N=$((KTAP_N + 1)) KTAP_SKIP=$((KTAP_SKIP + 1))
	echo "ok $KTAP_N $1 # SKIP $2"
}

# ktap_diag TEXT...: a diagnostic line.
ktap_diag() { printf '# %s\n' "$*"; }

# ktap_check DESCRIPTION CMD...: one case, passing when CMD succeeds; CMD's
# output is shown as diagnostics when it fails. Returns CMD's success, so
# that later cases can depend on it.
ktap_check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		ktap_ok "$desc"
		return 0
	fi
	ktap_fail "$desc"
	[[ -n $out ]] && printf '%s\n' "$out" | sed 's/^/# /'
	return 1
}

# ktap_expect DESCRIPTION EXPECTED ACTUAL
ktap_expect() {
	if [[ $2 == "$3" ]]; then
		ktap_ok "$1"
	else
		ktap_fail "$1"
		ktap_diag "expected '$2', got '$3'"
	fi
}

ktap_finish() {
	echo "1..$KTAP_N"
	echo "# Totals: pass:$KTAP_PASS fail:$KTAP_FAIL xfail:0 xpass:0 skip:$KTAP_SKIP error:0"
	((KTAP_FAIL == 0))
	exit $?
}
