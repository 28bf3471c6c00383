#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs every program in TEST_PROGS (tests/Makefile) as kselftest's runner
# does: a KTAP plan, each program's output as "# " diagnostics, one result
# line per program (with its seconds). Ends with the case totals of all
# programs: "N passed, N failed, N skipped".
#
# Each program's output is printed when it ends, as one block from its
# "# selftests:" line to its result line, so that scripts/vm-suites can
# print the blocks of two VMs side by side without interleaving them.
#
# The kernel log gets "rust_ipsec selftest: begin PROG" and "... end PROG"
# around each program. A kernel splat (tools/splatscan) printed between the
# two fails that program by name, even when all its cases passed.
#
# Usage: tests/run_tests.sh [PROGRAM...]   (default: all of TEST_PROGS)
# Runs as root on a kernel with the tests/config options (in the VM).

cd "$(dirname "$0")" || exit 1
timeout=$(sed -n 's/^timeout=//p' settings)
progs=("$@")
if ((${#progs[@]} == 0)); then
	read -ra progs <<<"$(sed -n 's/^TEST_PROGS := //p' Makefile)"
fi
splatscan=../target/release/splatscan

# kmsg TEXT: a line in the kernel log.
kmsg() { echo "rust_ipsec selftest: $*" >/dev/kmsg 2>/dev/null; }

# splats_during PROG OUT: appends to OUT the splats the kernel printed since
# PROG's begin marker; fails when there is one.
splats_during() {
	local log rc=0
	log=$(mktemp)
	dmesg | awk -v m="rust_ipsec selftest: begin $1\$" '$0 ~ m { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' >"$log"
	[[ -x $splatscan ]] && ! "$splatscan" "$log" >>"$2" && rc=1
	rm -f "$log"
	return $rc
}

pass=0 fail=0 skip=0 n=0
echo "TAP version 13"
echo "1..${#progs[@]}"
for prog in "${progs[@]}"; do
	n=$((n + 1))
	start=$(date +%s)
	# The output is kept where the host can read it while the program runs
	# (RI_LIVE_DIR, which vm-run points into its run directory; on a
	# timeout it shows the tail).
	out=$(mktemp -p "${RI_LIVE_DIR:-${TMPDIR:-/tmp}}" "$prog.XXXXXX")
	kmsg "begin $prog"
	timeout "$timeout" "./$prog" >"$out" 2>&1
	rc=$?
	kmsg "end $prog"
	splat=0
	splats_during "$prog" "$out" || splat=1
	p=$(grep -cE '^ok [0-9]+' "$out")
	s=$(grep -cE '^ok [0-9]+ .*# SKIP' "$out")
	f=$(grep -cE '^not ok [0-9]+' "$out")
	pass=$((pass + p - s)) skip=$((skip + s)) fail=$((fail + f))
	secs=$(($(date +%s) - start))
	echo "# selftests: rust_ipsec: $prog"
	sed 's/^/# /' "$out"
	if ((rc == 0 && f == 0 && !splat)); then
		echo "ok $n selftests: rust_ipsec: $prog # ${secs}s"
	else
		# A program that died without reporting a failure, or
		# during which the kernel splatted, still fails.
		((f == 0)) && fail=$((fail + 1))
		why="exit=$rc"
		((splat)) && why+=", kernel splat"
		echo "not ok $n selftests: rust_ipsec: $prog # $why, ${secs}s"
	fi
	rm -f "$out"
done
echo "$pass passed, $fail failed, $skip skipped"
((fail == 0))
