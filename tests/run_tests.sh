#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs every program in TEST_PROGS (tests/Makefile) as kselftest's runner
# does: a KTAP plan, each program's output as "# " diagnostics, one result
# line per program. Ends with the case totals of all programs:
# "N passed, N failed, N skipped".
#
# Usage: tests/run_tests.sh [PROGRAM...]   (default: all of TEST_PROGS)
# Runs as root on a kernel with the tests/config options (in the VM).

cd "$(dirname "$0")" || exit 1
timeout=$(sed -n 's/^timeout=//p' settings)
progs=("$@")
if ((${#progs[@]} == 0)); then
	read -ra progs <<<"$(sed -n 's/^TEST_PROGS := //p' Makefile)"
fi

pass=0 fail=0 skip=0 n=0
echo "TAP version 13"
echo "1..${#progs[@]}"
for prog in "${progs[@]}"; do
	n=$((n + 1))
	echo "# selftests: rust_ipsec: $prog"
	start=$(date +%s)
	out=$(mktemp)
	timeout "$timeout" "./$prog" >"$out" 2>&1
	rc=$?
	sed 's/^/# /' "$out"
	p=$(grep -cE '^ok [0-9]+' "$out")
	s=$(grep -cE '^ok [0-9]+ .*# SKIP' "$out")
	f=$(grep -cE '^not ok [0-9]+' "$out")
	rm -f "$out"
	pass=$((pass + p - s)) skip=$((skip + s)) fail=$((fail + f))
	if ((rc == 0 && f == 0)); then
		echo "ok $n selftests: rust_ipsec: $prog # $(($(date +%s) - start))s"
	else
		# A program that died without reporting a failure still fails.
		((f == 0)) && fail=$((fail + 1))
		echo "not ok $n selftests: rust_ipsec: $prog # exit=$rc"
	fi
done
echo "$pass passed, $fail failed, $skip skipped"
((fail == 0))
