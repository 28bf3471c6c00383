# SPDX-License-Identifier: GPL-2.0
#
# rust_ipsec top-level Makefile. `make help` lists the targets.
#
# The kernel module is built by Kbuild against a cached kernel tree
# (KDIR, default: the debug test kernel that `make setup` builds); the
# userspace tools and host tests by Cargo.

SHELL := /bin/bash
ROOT := $(CURDIR)
# rustup's toolchain, bindgen and virtme-ng, whatever the caller's PATH.
export PATH := $(HOME)/.cargo/bin:$(PATH)
CACHE_ENV = . $(ROOT)/scripts/lib.sh
KDIR ?= $(shell $(ROOT)/scripts/kdir debug --any)
KSRC := $(shell $(CACHE_ENV); ri_ksrc)
KMAKE_ARGS := $(shell $(CACHE_ENV); ri_kmake_args)
# Every module build lints with clippy (CLIPPY=1; warnings are errors):
# one build both checks the code and gives the rust_ipsec.ko the tests
# load, instead of a second, clean build for clippy. CLIPPY= builds with
# plain rustc.
CLIPPY ?= 1
KMAKE = . $(ROOT)/scripts/lib.sh; $(MAKE) -C $(KDIR) M=$(ROOT) $(KMAKE_ARGS) CLIPPY=$(CLIPPY)

RUST_SOURCES = $(shell find $(ROOT)/rust $(ROOT)/tools -name '*.rs' -not -name 'bindings_generated.rs' -not -path '*/target/*')

.PHONY: tools kernel-ready all help setup module module-bench clippy fmt fmt-check host-test kselftest check vm demo install clean bench bench-quick

all: module tools

# The userspace tools: setkey (and the test helpers).
tools:
	@cargo build --quiet --release -p setkey
	@ls -l $(ROOT)/target/release/setkey

help:
	@echo "make setup      install everything and build the test kernel (idempotent)"
	@echo "make            build rust_ipsec.ko against KDIR=$(KDIR) and the setkey tool"
	@echo "make install    install the module (modules_install) and setkey to PREFIX=$(PREFIX)"
	@echo "make check      setup + rustfmt check + module build (CLIPPY=1) + clippy + host tests + VM kselftests"
	@echo "make demo       setup + boot the VM, load the module, show it working"
	@echo "make vm         a root shell in the test VM (checkout at the same path)"
	@echo "make kselftest  only the VM kselftests, in two VMs side by side (PROGS=\"esp.sh ...\" LANES=N)"
	@echo "make host-test  only cargo test"
	@echo "make fmt        rustfmt everything"
	@echo "make bench      benchmarks in the bench-kernel VM: rust_ipsec vs Linux XFRM vs plaintext,"
	@echo "                PF_KEY rates vs af_key, SPD lookup scaling (~30 min; results in bench/results/)"
	@echo "make bench-quick  the same, short (a few minutes; bench/results/quick/); ARGS=... passes options"

setup:
	@$(ROOT)/scripts/setup.sh

# Builds on a set-up machine; on a fresh one, says to run `make setup`.
module: kernel-ready
	@$(KMAKE) modules
	@ls -l $(ROOT)/rust_ipsec.ko

kernel-ready:
	@test -f $(KDIR)/Module.symvers || { echo "no built kernel at $(KDIR): run 'make setup' first" >&2; exit 1; }

# rust_ipsec.ko against the bench kernel, built once in a copy of the tree
# (target/module-bench) so that the checkout's own (debug) build stays; the
# VM suites' bench-kernel programs load it. Plain rustc: the CLIPPY=1 build
# above has linted the same sources.
BENCH_KDIR = $(shell $(ROOT)/scripts/kdir bench --any)
BENCH_MODDIR = $(ROOT)/target/module-bench
module-bench:
	@test -f $(BENCH_KDIR)/Module.symvers || { echo "no bench kernel at $(BENCH_KDIR): run 'scripts/setup.sh bench'" >&2; exit 1; }
	@mkdir -p $(BENCH_MODDIR)
	@rsync -rlpc --delete --exclude=/target/ --exclude=/.git/ --exclude=/bench/results/ \
		--exclude=/fuzz/ --exclude='*.o' --exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c' \
		--exclude='.*.cmd' --exclude='*.d' --exclude='.*.d' --exclude=modules.order \
		--exclude=Module.symvers --exclude=/rust/glue/bindings_generated.rs \
		$(ROOT)/ $(BENCH_MODDIR)/
	@. $(ROOT)/scripts/lib.sh; $(MAKE) -s -C $(BENCH_KDIR) M=$(BENCH_MODDIR) $(KMAKE_ARGS) modules
	@ls -l $(BENCH_MODDIR)/rust_ipsec.ko

clippy: module
	@echo "clippy: rust_ipsec.ko builds with CLIPPY=$(CLIPPY) and no warnings"
	@cargo clippy --quiet --workspace --all-targets -- -D warnings
	@echo "clippy: the Cargo workspace (core, setkey, tools) has no warnings"

fmt:
	@rustfmt --edition 2021 --config-path $(ROOT)/rustfmt.toml $(RUST_SOURCES)

fmt-check:
	@rustfmt --check --edition 2021 --config-path $(ROOT)/rustfmt.toml $(RUST_SOURCES)
	@echo "rustfmt: clean"

host-test:
	@cargo test --workspace --quiet

# The kselftests in two VMs side by side (scripts/vm-suites); PROGS=...
# picks programs, LANES=N the number of VMs.
kselftest: module
	@cargo build --quiet --release -p splatscan -p pfkey-stress -p setkey
	@$(ROOT)/scripts/vm-suites --lanes $(or $(LANES),2) $(PROGS)

# Set-up, fmt, the module build, clippy, host tests, tools, VM suites;
# ends with seconds per step and "N passed, N failed, N skipped".
check:
	@$(ROOT)/scripts/check

vm: module
	@$(ROOT)/scripts/vm-run --interactive

demo:
	@$(ROOT)/scripts/setup.sh
	@$(MAKE) --no-print-directory module
	@cargo build --quiet --release -p splatscan -p setkey
	@$(ROOT)/scripts/vm-run $(ROOT)/scripts/demo.sh

# Benchmarks (bench/run.sh; Documentation/performance.rst). They build
# their own rust_ipsec.ko against the bench kernel, outside the checkout.
bench:
	@$(ROOT)/bench/run.sh $(ARGS)

bench-quick:
	@$(ROOT)/bench/run.sh --quick $(ARGS)

PREFIX ?= /usr/local
install: module tools
	@$(KMAKE) modules_install
	@install -D -m 0755 $(ROOT)/target/release/setkey $(DESTDIR)$(PREFIX)/sbin/setkey
	@echo "installed rust_ipsec.ko (modules_install) and $(DESTDIR)$(PREFIX)/sbin/setkey"

clean:
	@if [ -d "$(KDIR)" ]; then $(KMAKE) clean; fi
	@cargo clean
