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
KMAKE = . $(ROOT)/scripts/lib.sh; $(MAKE) -C $(KDIR) M=$(ROOT) $(KMAKE_ARGS)

RUST_SOURCES = $(shell find $(ROOT)/rust $(ROOT)/tools -name '*.rs' -not -name 'bindings_generated.rs' -not -path '*/target/*')

.PHONY: tools kernel-ready all help setup module clippy fmt fmt-check host-test kselftest check vm demo install clean bench bench-quick

all: module tools

# The userspace tools: setkey (and the test helpers).
tools:
	@cargo build --quiet --release -p setkey
	@ls -l $(ROOT)/target/release/setkey

help:
	@echo "make setup      install everything and build the test kernel (idempotent)"
	@echo "make            build rust_ipsec.ko against KDIR=$(KDIR) and the setkey tool"
	@echo "make install    install the module (modules_install) and setkey to PREFIX=$(PREFIX)"
	@echo "make check      setup + host tests + CLIPPY=1 build + rustfmt check + VM kselftests"
	@echo "make demo       setup + boot the VM, load the module, show it working"
	@echo "make vm         a root shell in the test VM (checkout at the same path)"
	@echo "make kselftest  only the VM kselftests"
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

clippy: kernel-ready
	@$(KMAKE) clean >/dev/null
	@$(KMAKE) CLIPPY=1 modules
	@echo "clippy: rust_ipsec.ko builds with CLIPPY=1 and no warnings"
	@cargo clippy --quiet --workspace --all-targets -- -D warnings
	@echo "clippy: the Cargo workspace (core, setkey, tools) has no warnings"

fmt:
	@rustfmt --edition 2021 --config-path $(ROOT)/rustfmt.toml $(RUST_SOURCES)

fmt-check:
	@rustfmt --check --edition 2021 --config-path $(ROOT)/rustfmt.toml $(RUST_SOURCES)
	@echo "rustfmt: clean"

host-test:
	@cargo test --workspace --quiet

kselftest: module
	@cargo build --quiet --release -p splatscan -p pfkey-stress -p setkey
	@VM_TIMEOUT=$${VM_TIMEOUT:-5400} $(ROOT)/scripts/vm-run $(ROOT)/tests/run_tests.sh

check:
	@$(ROOT)/scripts/setup.sh
	@$(MAKE) --no-print-directory host-test
	@$(MAKE) --no-print-directory fmt-check
	@$(MAKE) --no-print-directory clippy
	@$(MAKE) --no-print-directory kselftest

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
