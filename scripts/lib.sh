# SPDX-License-Identifier: GPL-2.0
# Shared settings for the rust_ipsec scripts. Source it; do not run it.
#
# Everything heavy (kernel source, kernel builds, virtme-ng venv, Debian
# packages fetched by hand) lives in a cache outside the checkout so that
# a fresh clone reuses it.

RI_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RI_CACHE=${RUST_IPSEC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rust_ipsec}
RI_LLVM_SUFFIX=-19
RI_LLVM_DIR=/usr/lib/llvm${RI_LLVM_SUFFIX}
RI_KSERIES=7.3
RI_BINDGEN_VERSION=0.73.2
RI_VNG_VERSION=1.42
RI_VENV=$RI_CACHE/venv-vng-$RI_VNG_VERSION
RI_CARGO_BIN=${CARGO_HOME:-$HOME/.cargo}/bin

export PATH="$RI_CARGO_BIN:$RI_VENV/bin:$PATH"
export LIBCLANG_PATH=$RI_LLVM_DIR/lib

ri_log() { printf '[setup] %s\n' "$*" >&2; }
ri_die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

# ri_step DESCRIPTION CMD...: run CMD, print what it does and how long it took.
ri_step() {
	local what=$1 start rc
	shift
	start=$(date +%s)
	ri_log "$what ..."
	"$@"
	rc=$?
	ri_log "$what: $( ((rc == 0)) && echo done || echo "FAILED ($rc)") in $(($(date +%s) - start))s"
	return $rc
}

# The rustc version the kernel is built with; rust-src must match it exactly.
ri_rustc_version() { rustc -V | awk '{print $2}'; }

# Where the Rust library sources of that version are unpacked.
ri_rust_lib_src() { echo "$RI_CACHE/rust-src-$(ri_rustc_version)/usr/lib/rustlib/src/rust/library"; }

# The kernel source tree of the fetched linux-source package.
ri_ksrc() { echo "$RI_CACHE/linux-source-$RI_KSERIES"; }

# ri_kbuild_key FLAVOUR: a short key over kernel version, config fragments
# (contents) and tool versions. A change in any of them gives a new tree.
ri_kbuild_key() {
	local flavour=$1 kver
	kver=$(cat "$(ri_ksrc)/.debian-version" 2>/dev/null || echo unknown)
	{
		echo "$kver"
		ri_rustc_version
		echo "llvm$RI_LLVM_SUFFIX bindgen$RI_BINDGEN_VERSION"
		cat "$RI_ROOT/scripts/kconfig/base.config"
		cat "$RI_ROOT/scripts/kconfig/$flavour.config"
	} | sha256sum | cut -c1-12
}

# ri_kdir FLAVOUR: the cached build tree for FLAVOUR (debug or bench).
ri_kdir() { echo "$RI_CACHE/kbuild-$1-$(ri_kbuild_key "$1")"; }

# Make arguments every kernel and module build uses.
ri_kmake_args() {
	echo "LLVM=$RI_LLVM_SUFFIX RUST_LIB_SRC=$(ri_rust_lib_src)"
}

# strongSwan's charon for tests/strongswan.sh, built from Debian's
# strongswan source package (its binary packages lack kernel-pfkey): the
# IKEv2 daemon, swanctl and vici, both kernel interfaces, socket-default,
# and openssl, nonce and random for the crypto; nothing else. The PID
# directory is in the prefix; tests/lib/charon.sh mounts a private one
# over it for each daemon.
RI_SWAN_CONFIGURE=(
	--disable-defaults --disable-static
	--enable-charon --enable-ikev2 --enable-swanctl --enable-vici
	--enable-kernel-pfkey --enable-kernel-netlink --enable-socket-default
	--enable-openssl --enable-kdf --enable-nonce --enable-random
)

# The unpacked strongswan source package (its version in .debian-version).
ri_swan_src() { echo "$RI_CACHE/strongswan-source"; }

# ri_swan_prefix: the install prefix of the cached strongSwan build, keyed
# by the source package's version and the configure options.
ri_swan_prefix() {
	local key
	key=$({
		cat "$(ri_swan_src)/.debian-version" 2>/dev/null || echo unknown
		printf '%s\n' "${RI_SWAN_CONFIGURE[@]}"
	} | sha256sum | cut -c1-12)
	echo "$RI_CACHE/strongswan-$key"
}
