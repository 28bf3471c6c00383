#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fuzzes a target of ipsec_core with cargo-fuzz/libFuzzer for SECONDS
# (default 600) on one core: FUZZ_TARGET picks it, pfkey_parse (the PF_KEY
# v2 codec, the default), ah (the AH header view and mutable-field
# zeroing), ipcomp_natt (the IPComp header and size rules, the NAT-T
# classification and IPv6 UDP checksum) or packet (the IP views, the IPv6
# extension-header walk, selectors, transport layout, ESP header and
# trailer, tunnel decapsulation, MSS clamp); see fuzz/fuzz_targets/:
#  1. installs cargo-fuzz from crates.io if it is missing;
#  2. writes the seed corpus (valid messages built with the crate's Writer,
#     or AH packets; fuzz/seedgen) into fuzz/corpus/TARGET/;
#  3. runs the target on the stable toolchain: cargo-fuzz needs nightly
#     flags (-Zsanitizer, ...), which RUSTC_BOOTSTRAP=1 unlocks on stable;
#  4. prints the number of executions and the coverage, appends them to
#     the record fuzz/RESULTS (date, target, commit, executions, seconds,
#     coverage, crashes), and exits non-zero on a crash (the input is in
#     fuzz/artifacts/TARGET/ and is shown in hex).
#
# Usage: scripts/fuzz.sh [SECONDS]
# Environment: FUZZ_TARGET (pfkey_parse, ah, ipcomp_natt or packet; default
# pfkey_parse),
# CARGO_TARGET_DIR (default fuzz/target), FUZZ_SANITIZER
# (address, the default, or none), FUZZ_ARGS (extra libFuzzer flags).
# Reproduce a crash: RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir fuzz \
#   TARGET fuzz/artifacts/TARGET/crash-...

set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${1:-600}
TARGET=${FUZZ_TARGET:-pfkey_parse}
FUZZ=$ROOT/fuzz
CORPUS=$FUZZ/corpus/$TARGET
ARTIFACTS=$FUZZ/artifacts/$TARGET
SANITIZER=${FUZZ_SANITIZER:-address}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$FUZZ/target}

if ! [[ $DURATION =~ ^[0-9]+$ ]] || ((DURATION == 0)); then
	echo "usage: $0 [SECONDS]" >&2
	exit 2
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
	echo "fuzz.sh: installing cargo-fuzz"
	cargo install cargo-fuzz --locked
fi

echo "fuzz.sh: seed corpus"
cargo run --quiet --manifest-path "$FUZZ/seedgen/Cargo.toml" -- "$CORPUS" "$TARGET"

mkdir -p "$ARTIFACTS"
# libFuzzer's -jobs mode writes fuzz-0.log into the working directory:
# one per target, so that two targets can run at once.
WORK=$FUZZ/artifacts/work-$TARGET
mkdir -p "$WORK"
LOG=$WORK/$TARGET.run.log
rm -f "$WORK/fuzz-0.log"
before=$(find "$ARTIFACTS" -type f | wc -l)

echo "fuzz.sh: fuzzing $TARGET for ${DURATION}s (sanitizer: $SANITIZER)"
set +e
(
	cd "$WORK"
	# shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
	RUSTC_BOOTSTRAP=1 cargo fuzz run --fuzz-dir "$FUZZ" \
		--sanitizer "$SANITIZER" "$TARGET" "$CORPUS" -- \
		-max_total_time="$DURATION" -jobs=1 -workers=1 \
		-print_final_stats=1 \
		${FUZZ_ARGS:-}
) 2>&1 | tee "$LOG"
rc=${PIPESTATUS[0]}
set -e

# The child's log holds the final stats; libFuzzer also echoes it.
stats=$LOG
[[ -f $WORK/fuzz-0.log ]] && stats="$LOG $WORK/fuzz-0.log"
# shellcheck disable=SC2086
execs=$(cat $stats | sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' | tail -n 1)
if [[ -z $execs ]]; then
	# shellcheck disable=SC2086
	execs=$(cat $stats | sed -n 's/^#\([0-9]*\)[[:space:]]*DONE.*/\1/p' | tail -n 1)
fi
# shellcheck disable=SC2086
secs=$(cat $stats | sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' | tail -n 1)
# shellcheck disable=SC2086
cov=$(cat $stats | grep -o 'cov: [0-9]*' | tail -n 1 | cut -d' ' -f2 || true)
echo "fuzz.sh: executions: ${execs:-unknown} in ${secs:-?} s (limit ${DURATION} s), coverage ${cov:-?} edges"

after=$(find "$ARTIFACTS" -type f | wc -l)
# The record (fuzz/RESULTS): one line per run.
verdict="0 crashes"
((rc != 0 || after > before)) && verdict="CRASH (exit $rc, $((after - before)) new inputs)"
printf '%s  %-12s %s  %s executions in %s s  coverage %s  sanitizer %s  %s\n' \
	"$(date -u +%Y-%m-%dT%H:%MZ)" "$TARGET" "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')" \
	"${execs:-?}" "${secs:-?}" "${cov:-?}" "$SANITIZER" "$verdict" >>"$FUZZ/RESULTS"
if ((rc != 0 || after > before)); then
	echo "fuzz.sh: FAILED (exit $rc); new inputs in $ARTIFACTS:" >&2
	find "$ARTIFACTS" -type f -printf '%T@ %p\n' | sort -n | tail -n $((after - before > 0 ? after - before : 1)) |
		while read -r _ f; do
			echo "== $f" >&2
			od -An -tx1 -v "$f" | tr -d ' \n' >&2
			echo >&2
		done
	# shellcheck disable=SC2086
	grep -h -m 1 -A 2 -E "panicked at|ERROR: (AddressSanitizer|libFuzzer)" $stats >&2 || true
	exit 1
fi
echo "fuzz.sh: no crash"
