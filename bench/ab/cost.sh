#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/ab/cost.sh OUT ROUNDS KO...: CPU cost per packet of several
# prebuilt rust_ipsec.ko (built against the bench kernel, e.g. with
# `bench/run.sh --rev REV` and copied from $RI_CACHE/bench/module/), for
# A/B comparisons finer than bench-quick's: one VM, the modules loaded in
# turn on the same namespaces, an XFRM pair measured each round as a
# control (bench/ab/cost-guest.sh). Rows "ROUND MODE TAG us/packet sent
# received" go to OUT; `python3 bench/ab/paired.py OUT TAG` prints each
# module's per-round ratio to TAG (paired, so slow drifts of the machine
# cancel). Keep the machine quiet while it runs (about 20 s per module
# per round).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$1 rounds=$2
shift 2
cargo build --quiet --release -p setkey
flock /tmp/rust_ipsec-vm.lock env VM_FLAVOUR=bench VM_MEMORY=2G VM_KMEMLEAK=0 VM_LOAD_MODULE=0 \
	scripts/vm-run "$PWD/bench/ab/cost-guest.sh" "$PWD/target/release/setkey" "$rounds" "$@" | tee "$out"
