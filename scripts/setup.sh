#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Idempotent set-up for rust_ipsec: Debian packages, Rust library sources
# matching rustc, bindgen, virtme-ng, the linux-source-7.3 package, a
# cached build of the test kernel and one of strongSwan's charon with the
# kernel-pfkey plugin (tests/strongswan.sh). Each step is skipped when its
# result is already there, so a warm run takes seconds.
#
# Usage: scripts/setup.sh [debug|bench]...   (default: debug)

set -euo pipefail
. "$(dirname "$0")/lib.sh"

APT_PACKAGES=(
	build-essential bc bison flex libelf-dev libssl-dev cpio kmod xz-utils
	rsync clang-19 lld-19 llvm-19 libclang-19-dev
	python3-venv
	iproute2 iputils-ping tcpdump iperf3 procps socat ethtool nftables conntrack
	python3-matplotlib
	bzip2
)

# Debian suite that carries linux-source-7.3 and rust-src of our rustc.
BACKPORTS=trixie-backports
BACKPORTS_LIST=/etc/apt/sources.list.d/rust-ipsec-backports.sources
BACKPORTS_PIN=/etc/apt/preferences.d/rust-ipsec-backports
# deb-src entries (strongSwan's source package); see add_deb_src.
DEBSRC_LIST=/etc/apt/sources.list.d/rust-ipsec-src.sources

need_root() {
	if [[ $(id -u) != 0 ]]; then
		ri_die "installing packages needs root (run 'sudo $0' once)"
	fi
}

# QEMU must match the machine's qemu-utils: this kind of machine ships it
# from bookworm-backports, whose qemu-system-x86 then comes from there too.
install_qemu() {
	local target=()
	dpkg-query -W -f='${Status}\n' qemu-system-x86 2>/dev/null | grep -q '^install ok installed' &&
		return 0
	need_root
	apt_update_once
	if dpkg-query -W -f='${Version}' qemu-utils 2>/dev/null | grep -q 'bpo12'; then
		target=(-t bookworm-backports)
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${target[@]}" qemu-system-x86 \
		>>"$RI_CACHE/apt.log" 2>&1 || { tail -n 30 "$RI_CACHE/apt.log" >&2; return 1; }
}

missing_packages() {
	local p
	for p in "${APT_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
			echo "$p"
	done
}

add_backports_source() {
	[[ -f $BACKPORTS_LIST ]] && return 0
	need_root
	cat >"$BACKPORTS_LIST" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: $BACKPORTS bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	# Only ever fetched by explicit version: nothing else on the
	# machine may be upgraded from this suite.
	cat >"$BACKPORTS_PIN" <<PIN
Package: *
Pin: release n=$BACKPORTS
Pin-Priority: 100

Package: *
Pin: release n=bookworm-backports
Pin-Priority: 100
PIN
	rm -f "$RI_CACHE/.apt-updated"
}

apt_update_once() {
	[[ -f $RI_CACHE/.apt-updated ]] && return 0
	apt-get update -qq
	touch "$RI_CACHE/.apt-updated"
}

install_packages() {
	local missing
	missing=$(missing_packages)
	add_backports_source
	[[ -z $missing ]] && return 0
	need_root
	apt_update_once
	ri_log "installing: $(echo $missing)"
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing \
		>>"$RI_CACHE/apt.log" 2>&1 || { tail -n 30 "$RI_CACHE/apt.log" >&2; return 1; }
}

# deb-src entries for the Debian archives the machine already uses (for
# `apt-get source strongswan`): every enabled "deb" entry of Debian's
# archive, copied with the type changed, so it keeps its URIs, suites,
# components and Signed-By (apt refuses every list when two entries for one
# archive and suite name different keyrings).
add_deb_src() {
	local f
	[[ -f $DEBSRC_LIST ]] && return 0
	need_root
	{
		for f in /etc/apt/sources.list.d/*.sources; do
			[[ -f $f && $f != */rust-ipsec-* ]] || continue
			awk 'BEGIN { RS = ""; ORS = "\n\n" }
			{
				keep = 0; out = ""; n = split($0, line, "\n")
				for (i = 1; i <= n; i++) {
					if (line[i] ~ /^#/) continue
					if (line[i] ~ /^Types:/) {
						if (line[i] ~ /[ \t]deb([ \t]|$)/ && line[i] !~ /deb-src/) keep = 1
						line[i] = "Types: deb-src"
					}
					if (line[i] ~ /^Enabled:[ \t]*no/) keep = -1
					out = out line[i] "\n"
				}
				if (keep == 1 && out ~ /\nURIs:[^\n]*debian\.(org|net)/) printf "%s\n", out
			}' "$f"
		done
	} >"$DEBSRC_LIST.new"
	if [[ -f /etc/apt/sources.list ]]; then
		sed -n 's/^deb\([ \t].*debian\.\(org\|net\).*\)/deb-src\1/p' /etc/apt/sources.list >"${DEBSRC_LIST%.sources}.list"
		[[ -s ${DEBSRC_LIST%.sources}.list ]] || rm -f "${DEBSRC_LIST%.sources}.list"
	fi
	mv "$DEBSRC_LIST.new" "$DEBSRC_LIST"
	[[ -s $DEBSRC_LIST ]] || rm -f "$DEBSRC_LIST"
	rm -f "$RI_CACHE/.apt-updated"
}

# fetch_deb PACKAGE VERSION DIR: download one .deb by exact version into DIR.
fetch_deb() {
	local pkg=$1 ver=$2 dir=$3
	mkdir -p "$dir"
	(cd "$dir" && apt-get download -qq "$pkg=$ver" 2>&1 | grep -v 'unsandboxed as root' >&2 || true)
	ls "$dir"/"$pkg"_*.deb >/dev/null || ri_die "could not download $pkg=$ver"
}

install_rust_src() {
	local rv lib ver
	rv=$(ri_rustc_version)
	lib=$(ri_rust_lib_src)
	[[ -f $lib/core/src/lib.rs ]] && return 0
	apt_update_once
	ver=$(apt-cache madison rust-src | awk -v v="$rv" '$3 ~ "^"v"\\+" {print $3; exit}')
	if [[ -z $ver ]]; then
		ri_die "no Debian rust-src package for rustc $rv (the kernel needs the library sources of exactly rustc $rv; 'apt-cache madison rust-src' lists what exists)"
	fi
	ri_log "rust-src $ver for rustc $rv"
	fetch_deb rust-src "$ver" "$RI_CACHE/debs"
	rm -rf "$RI_CACHE/rust-src-$rv"
	dpkg-deb -x "$RI_CACHE"/debs/rust-src_"${ver//:/%3a}"_all.deb "$RI_CACHE/rust-src-$rv"
	[[ -f $lib/core/src/lib.rs ]] || ri_die "rust-src $ver did not unpack to $lib"
}

install_bindgen() {
	if command -v bindgen >/dev/null &&
		[[ $(bindgen --version 2>/dev/null) == "bindgen $RI_BINDGEN_VERSION" ]]; then
		return 0
	fi
	cargo install --quiet --locked bindgen-cli --version "$RI_BINDGEN_VERSION"
}

install_vng() {
	if [[ -x $RI_VENV/bin/vng ]]; then
		return 0
	fi
	rm -rf "$RI_VENV"
	/usr/bin/python3 -m venv "$RI_VENV"
	"$RI_VENV/bin/pip" install --quiet --disable-pip-version-check "virtme-ng==$RI_VNG_VERSION"
}

fetch_kernel_source() {
	local src ver tarball
	src=$(ri_ksrc)
	[[ -f $src/.debian-version && -f $src/Makefile ]] && return 0
	apt_update_once
	ver=$(apt-cache madison "linux-source-$RI_KSERIES" | awk '{print $3; exit}')
	[[ -n $ver ]] || ri_die "Debian has no linux-source-$RI_KSERIES package in $BACKPORTS"
	ri_log "linux-source-$RI_KSERIES $ver"
	fetch_deb "linux-source-$RI_KSERIES" "$ver" "$RI_CACHE/debs"
	rm -rf "$RI_CACHE/linux-source-deb" "$src"
	dpkg-deb -x "$RI_CACHE"/debs/linux-source-"$RI_KSERIES"_"${ver//:/%3a}"_all.deb "$RI_CACHE/linux-source-deb"
	tarball=$RI_CACHE/linux-source-deb/usr/src/linux-source-$RI_KSERIES.tar.xz
	[[ -f $tarball ]] || ri_die "no $tarball in the package"
	tar -C "$RI_CACHE" -xf "$tarball"
	rm -rf "$RI_CACHE/linux-source-deb"
	echo "$ver" >"$src/.debian-version"
}

kmake() {
	local kdir=$1
	shift
	# shellcheck disable=SC2046
	make -s -C "$(ri_ksrc)" O="$kdir" $(ri_kmake_args) "$@"
}

# check_config KDIR FRAGMENT...: every option of the fragments must be in
# the final .config exactly as requested (Kconfig drops silently what it
# cannot satisfy).
check_config() {
	local kdir=$1 bad=0 line opt
	shift
	while IFS= read -r line; do
		case $line in
		CONFIG_*=*)
			grep -qxF "$line" "$kdir/.config" || { ri_log "config: wanted $line, got: $(grep "^${line%%=*}=" "$kdir/.config" || echo unset)"; bad=1; } ;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }
			opt=${opt%% *}
			if grep -q "^$opt=" "$kdir/.config"; then
				ri_log "config: wanted $opt unset, got: $(grep "^$opt=" "$kdir/.config")"
				bad=1
			fi ;;
		esac
	done < <(cat "$@")
	return $bad
}

configure_kernel() {
	local kdir=$1 flavour=$2 frags
	frags=("$RI_ROOT/scripts/kconfig/base.config" "$RI_ROOT/scripts/kconfig/$flavour.config")
	mkdir -p "$kdir"
	kmake "$kdir" tinyconfig >/dev/null
	(cd "$(ri_ksrc)" && scripts/kconfig/merge_config.sh -m -O "$kdir" "$kdir/.config" "${frags[@]}" >/dev/null)
	kmake "$kdir" olddefconfig >/dev/null
	check_config "$kdir" "${frags[@]}" || ri_die "the kernel config lacks options above (see scripts/kconfig/)"
}

build_kernel() {
	local flavour=$1 kdir
	kdir=$(ri_kdir "$flavour")
	if [[ -f $kdir/.rust_ipsec-built ]]; then
		ri_log "kernel ($flavour) cached at $kdir"
		return 0
	fi
	ri_step "rust toolchain check" kmake "$kdir" rustavailable >/dev/null 2>&1 || true
	ri_step "configure kernel ($flavour)" configure_kernel "$kdir" "$flavour"
	ri_step "build kernel ($flavour) in $kdir (cold: ~10-25 min on 2 cores)" \
		kmake "$kdir" -j"$(nproc)" all
	touch "$kdir/.rust_ipsec-built"
}

# The strongswan source package, unpacked with Debian's patches. Versions
# newest first: the archive may list a version whose source it no longer
# serves (a security update superseded on the mirror).
fetch_strongswan_source() {
	local src dl ver
	src=$(ri_swan_src)
	[[ -f $src/.debian-version && -x $src/configure ]] && return 0
	add_deb_src
	apt_update_once
	dl=$RI_CACHE/strongswan-dl
	rm -rf "$src"
	for ver in $(apt-cache showsrc strongswan | sed -n 's/^Version: //p' | sort -rV); do
		rm -rf "$dl"
		mkdir -p "$dl"
		if (cd "$dl" && apt-get source -qq "strongswan=$ver") >>"$RI_CACHE/apt.log" 2>&1; then
			ri_log "strongswan source $ver"
			mv "$dl"/strongswan-*/ "$src"
			echo "$ver" >"$src/.debian-version"
			break
		fi
		ri_log "strongswan source $ver: not served, trying an older one (see $RI_CACHE/apt.log)"
	done
	rm -rf "$dl"
	[[ -f $src/.debian-version ]] || ri_die "could not fetch the strongswan source package ('apt-get source strongswan')"
}

# build_strongswan: configure (RI_SWAN_CONFIGURE), build and install into
# the cached prefix; the build tree is removed afterwards. Takes the
# machine's build lock (one build at a time).
build_strongswan() {
	local prefix build src
	prefix=$(ri_swan_prefix)
	if [[ -f $prefix/.rust_ipsec-built ]]; then
		ri_log "strongSwan cached at $prefix"
		return 0
	fi
	src=$(ri_swan_src)
	build=$RI_CACHE/strongswan-build
	rm -rf "$build" "$prefix"
	mkdir -p "$build"
	if ! (cd "$build" && flock /tmp/rust_ipsec-build.lock bash -c '
		"$0/configure" --prefix="$1" --with-piddir="$1/run" "${@:2}" >configure.log 2>&1 || exit 1
		make -j"$(nproc)" >make.log 2>&1 && make install >install.log 2>&1' \
		"$src" "$prefix" "${RI_SWAN_CONFIGURE[@]}"); then
		tail -n 30 "$build"/*.log >&2
		return 1
	fi
	mkdir -p "$prefix/run"
	[[ -x $prefix/libexec/ipsec/charon && -x $prefix/sbin/swanctl ]] ||
		ri_die "the strongSwan build installed no charon or swanctl in $prefix"
	ls "$prefix"/lib/ipsec/plugins/libstrongswan-kernel-pfkey.so >/dev/null ||
		ri_die "the strongSwan build has no kernel-pfkey plugin"
	touch "$prefix/.rust_ipsec-built"
	rm -rf "$build"
}

main() {
	local flavours=("$@") f
	((${#flavours[@]})) || flavours=(debug)
	mkdir -p "$RI_CACHE"
	ri_step "Debian packages" install_packages
	ri_step "QEMU" install_qemu
	ri_step "Rust library sources" install_rust_src
	ri_step "bindgen-cli $RI_BINDGEN_VERSION" install_bindgen
	ri_step "virtme-ng $RI_VNG_VERSION" install_vng
	ri_step "linux-source-$RI_KSERIES" fetch_kernel_source
	for f in "${flavours[@]}"; do
		build_kernel "$f"
	done
	ri_step "strongswan source package" fetch_strongswan_source
	ri_step "strongSwan charon (cold: ~4.5 min on 2 cores)" build_strongswan
	ri_log "ready: KDIR=$(ri_kdir "${flavours[0]}")"
}

main "$@"
