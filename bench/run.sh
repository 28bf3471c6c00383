#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/run.sh [--quick | --profile [ROW]] [--rev REV | --module KO] [--no-vm]   (what `make bench` runs)
#
# Measures rust_ipsec against Linux XFRM and plaintext in one run of the
# benchmark VM (the bench kernel flavour: no KASAN, lockdep or kmemleak),
# then writes bench/results/results.{md,json} and the PNG plots
# (--quick: bench/results/quick/, not committed).
#
#   --quick     1 repetition, three algorithm rows, 1k/10k entries: a few
#               minutes, for development
#   --profile [ROW]
#               only the perf profiles of both IPsec stacks (the algorithm
#               row ROW, default gcm128-transport; UDP 64 B, UDP 1400 B and
#               TCP), in bench/results/quick/profile-run/raw/profile/: a few
#               minutes
#   --rev REV   benchmark the module as committed in REV instead of the
#               working tree (the tools always come from the working tree)
#   --module KO benchmark this rust_ipsec.ko (built against the bench
#               kernel) instead of building one
#   --no-vm     only redo the report from the last run's raw data
#
# Steps: scripts/setup.sh bench (idempotent: builds and caches the bench
# kernel on a fresh machine), the tools (setkey, pfkey-stress, splatscan,
# netbench), rust_ipsec.ko built against the bench kernel in a copy of the
# tree ($RUST_IPSEC_CACHE/bench/module, so the checkout's debug build is
# left alone), then bench/guest.sh in the VM (scripts/vm-run with
# VM_FLAVOUR=bench) and bench/report.py on the host.
#
# Builds take /tmp/rust_ipsec-build.lock and the VM /tmp/rust_ipsec-vm.lock,
# so that concurrent builds and VMs on the same machine wait for each other.

set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

mode=full rev="" vm=1 ko="" prow=gcm128-transport
while (($#)); do
	case $1 in
	--quick) mode=quick ;;
	--profile)
		mode=profile
		if [[ -n ${2:-} && ${2:-} != --* ]]; then prow=$2; shift; fi ;;
	--full) mode=full ;;
	--rev) rev=$2; shift ;;
	--module) ko=$(realpath "$2"); shift ;;
	--no-vm) vm=0 ;;
	*) echo "usage: bench/run.sh [--quick | --profile [ROW]] [--rev REV | --module KO] [--no-vm]" >&2; exit 2 ;;
	esac
	shift
done

out=$RI_ROOT/bench/results
[[ $mode == quick ]] && out=$RI_ROOT/bench/results/quick
[[ $mode == profile ]] && out=$RI_ROOT/bench/results/quick/profile-run
raw=$out/raw
work=$RI_CACHE/bench
flavour=${BENCH_FLAVOUR:-bench}
say() { printf '[bench] %s\n' "$*" >&2; }
start=$(date +%s)

# build_module KDIR: rust_ipsec.ko against KDIR in a copy of the tree
# ($work/module; the checkout's own build stays as it is). Checksums, not
# times, decide what is copied, so a file that changed (either way) is
# newer than its objects and rebuilt.
build_module() {
	local kdir=$1 src=$RI_ROOT
	if [[ -n $rev ]]; then
		src=$work/export
		rm -rf "$src"
		mkdir -p "$src"
		git -C "$RI_ROOT" archive "$rev" | tar -x -C "$src"
	fi
	mkdir -p "$work/module"
	rsync -rlpc --delete --exclude=/target/ --exclude=/.git/ --exclude=/bench/results/ \
		--exclude=/fuzz/ --exclude='*.o' --exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c' \
		--exclude='.*.cmd' --exclude='*.d' --exclude='.*.d' --exclude=modules.order \
		--exclude=Module.symvers --exclude=/rust/glue/bindings_generated.rs \
		"$src/" "$work/module/"
	say "building rust_ipsec.ko against $kdir (${rev:-working tree})"
	# shellcheck disable=SC2046
	if ! flock /tmp/rust_ipsec-build.lock make -s -C "$kdir" M="$work/module" $(ri_kmake_args) modules \
		>"$work/module-build.log" 2>&1; then
		tail -n 40 "$work/module-build.log" >&2
		say "module build failed (log: $work/module-build.log)"
		exit 1
	fi
}

if ((vm)); then
	# 1. the bench kernel (cached after the first time)
	"$RI_ROOT/scripts/setup.sh" "$flavour"
	kdir=$("$RI_ROOT/scripts/kdir" "$flavour")

	# 2. the tools, from the working tree
	mkdir -p "$work"
	say "building the tools"
	(cd "$RI_ROOT" && flock /tmp/rust_ipsec-build.lock \
		cargo build --quiet --release -p setkey -p pfkey-stress -p splatscan)
	flock /tmp/rust_ipsec-build.lock rustc -O --edition 2021 "$RI_ROOT/bench/netbench.rs" -o "$work/netbench"

	# 3. rust_ipsec.ko against the bench kernel (unless --module)
	if [[ -n $ko ]]; then
		say "using $ko"
		rev_desc="prebuilt $(sha256sum "$ko" | cut -c1-12)"
	else
		build_module "$kdir"
		ko=$work/module/rust_ipsec.ko
		rev_desc=$(git -C "$RI_ROOT" describe --always --dirty 2>/dev/null || echo unknown)
		[[ -n $rev ]] && rev_desc=$(git -C "$RI_ROOT" rev-parse --short "$rev")
	fi

	# 4. the VM
	rm -rf "$raw"
	mkdir -p "$raw"
	timeout=7200
	[[ $mode != full ]] && timeout=1800
	{
		echo "{\"phase\":\"host\",\"mode\":\"$mode\",\"module_rev\":\"$rev_desc\",\"started\":\"$(date -u +%FT%TZ)\","
		echo "\"host_cpu\":\"$(lscpu | awk -F': *' '/^Model name/ {print $2; exit}')\",\"host_cpus\":$(nproc),"
		echo "\"host_kernel\":\"$(uname -r)\",\"qemu\":\"$(qemu-system-x86_64 --version | head -1)\","
		echo "\"vng\":\"$(vng --version 2>/dev/null | head -1)\","
		echo "\"kvm_device\":$([[ -r /dev/kvm && -w /dev/kvm ]] && echo true || echo false)}"
	} | tr -d '\n' >"$raw/host.json"
	echo >>"$raw/host.json"
	say "waiting for the VM lock, then running the $mode benchmark in the VM"
	vm_start=$(date +%s)
	set +e
	flock /tmp/rust_ipsec-vm.lock env VM_FLAVOUR="$flavour" VM_MODULE="$ko" VM_MEMORY="${BENCH_MEMORY:-4G}" \
		VM_TIMEOUT="$timeout" "$RI_ROOT/scripts/vm-run" \
		"$RI_ROOT/bench/guest.sh" "$raw" "$mode" "$ko" "$RI_ROOT/target/release/setkey" \
		"$RI_ROOT/target/release/pfkey-stress" "$work/netbench" "$prow" 2>&1 | tee "$raw/console.log"
	rc=${PIPESTATUS[0]}
	set -e
	# vm-run tries KVM first and says when it fell back to TCG.
	accel=tcg
	if grep -q '"kvm_device":true' "$raw/host.json" && ! grep -q 'retrying under TCG' "$raw/console.log"; then
		accel=kvm
	fi
	echo "{\"phase\":\"host-end\",\"accel\":\"$accel\",\"vm_seconds\":$(($(date +%s) - vm_start)),\"total_seconds\":$(($(date +%s) - start)),\"vm_rc\":$rc}" >>"$raw/host.json"
	if ((rc != 0)); then
		say "the VM run failed (exit $rc); raw data in $raw"
		exit "$rc"
	fi
fi

if [[ $mode == profile ]]; then
	say "profiles: $raw/profile/ ($(($(date +%s) - start)) s)"
	exit 0
fi

# 5. the report (matplotlib from Debian's python3)
/usr/bin/python3 "$RI_ROOT/bench/report.py" "$raw" "$out"
say "results: $out/results.md ($(($(date +%s) - start)) s)"
