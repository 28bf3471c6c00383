# SPDX-License-Identifier: GPL-2.0
# strongSwan's charon in the tests: one daemon per network namespace, each
# in a mount namespace of its own, with its own strongswan.conf, swanctl
# directory, vici socket, PID directory and log. The build is set-up's
# (scripts/setup.sh, cached in ~/.cache/rust_ipsec); vm-run names its
# prefix in RI_STRONGSWAN.
#
#   charon_start NAME NS KERNEL [EXTRA]   start, wait until vici answers
#   charon_start_case DESC NAME NS ...    the same, as a KTAP case
#   charon_swanctl NAME ARGS...           swanctl against NAME's daemon
#   charon_load NAME                      load NAME's swanctl.conf
#   charon_stop NAME                      stop it (TERM, then KILL)
#
# KERNEL is "pfkey" (IPsec through PF_KEY, i.e. rust_ipsec; kernel-netlink
# only for addresses and routes) or "netlink" (IPsec through Linux XFRM).
# strongSwan registers the first kernel-ipsec backend loaded and ignores
# later ones (kernel_interface.c, add_ipsec_interface), and loads plugins
# in the order of charon.load: "pfkey" lists kernel-pfkey before
# kernel-netlink; "netlink" does not load kernel-pfkey at all.
#
# EXTRA is more of strongswan.conf's charon section (e.g. "install_routes
# = no"). The swanctl.conf to load is written to "$(charon_dir NAME)/
# swanctl/swanctl.conf". Every daemon still running when the suite exits
# (also on failure) is stopped then, and its directory removed.

CHARON_PREFIX=${RI_STRONGSWAN:-}
CHARON_ROOT=$(mktemp -d)
declare -A CHARON_PIDS=()

# charon_missing: why charon cannot run here ("" when it can).
charon_missing() {
	if [[ -z $CHARON_PREFIX ]]; then
		echo "no strongSwan build (RI_STRONGSWAN unset: run 'make setup', which builds it)"
	elif [[ ! -x $CHARON_PREFIX/libexec/ipsec/charon || ! -x $CHARON_PREFIX/sbin/swanctl ]]; then
		echo "no charon or swanctl in $CHARON_PREFIX"
	elif [[ ! -d $CHARON_PREFIX/run ]]; then
		echo "no PID directory $CHARON_PREFIX/run"
	fi
}

charon_dir() { echo "$CHARON_ROOT/$1"; }

# charon_conf NAME KERNEL EXTRA: NAME's strongswan.conf. knl at level 2
# logs every PF_KEY and XFRM request charon makes and each error.
charon_conf() {
	local dir load
	dir=$(charon_dir "$1")
	case $2 in
	pfkey) load="random nonce openssl kdf kernel-pfkey kernel-netlink socket-default vici" ;;
	netlink) load="random nonce openssl kdf kernel-netlink socket-default vici" ;;
	*) echo "charon_conf: kernel '$2' is neither pfkey nor netlink" >&2; return 1 ;;
	esac
	cat >"$dir/strongswan.conf" <<EOF
charon {
	load = $load
	filelog {
		log {
			path = $dir/charon.log
			time_format = %T
			default = 1
			knl = 2
			ike = 2
			cfg = 1
			flush_line = yes
		}
	}
	plugins {
		vici {
			socket = unix://$dir/charon.vici
		}
	}
	$3
}
swanctl {
	socket = unix://$dir/charon.vici
}
EOF
}

# charon_swanctl NAME ARGS...: swanctl with NAME's configuration.
charon_swanctl() {
	local dir
	dir=$(charon_dir "$1")
	shift
	STRONGSWAN_CONF=$dir/strongswan.conf SWANCTL_DIR=$dir/swanctl \
		timeout 60 "$CHARON_PREFIX/sbin/swanctl" "$@" --uri "unix://$dir/charon.vici"
}

# charon_start NAME NS KERNEL [EXTRA]: starts charon in NS and waits (up
# to 60 s; a start under TCG with the debug kernel takes a few) until its
# vici socket answers. The PID directory compiled into charon is
# $CHARON_PREFIX/run; a private mount namespace puts NAME's own directory
# there, so that daemons in different namespaces do not share a PID file.
charon_start() {
	local name=$1 ns=$2 kernel=$3 dir i
	dir=$(charon_dir "$name")
	mkdir -p "$dir/run" "$dir/swanctl"
	charon_conf "$name" "$kernel" "${4:-}" || return 1
	STRONGSWAN_CONF=$dir/strongswan.conf ip netns exec "$ns" \
		unshare -m --propagation private \
		sh -c 'mount --bind "$1" "$2" && exec "$3"' sh "$dir/run" "$CHARON_PREFIX/run" \
		"$CHARON_PREFIX/libexec/ipsec/charon" >"$dir/stderr" 2>&1 &
	CHARON_PIDS[$name]=$!
	for ((i = 0; i < 120; i++)); do
		if ! kill -0 "${CHARON_PIDS[$name]}" 2>/dev/null; then
			echo "charon $name exited at start:"
			tail -n 20 "$dir/stderr" "$dir/charon.log" 2>/dev/null
			unset "CHARON_PIDS[$name]"
			return 1
		fi
		[[ -S $dir/charon.vici ]] && charon_swanctl "$name" --stats >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	echo "charon $name: no answer on $dir/charon.vici after 60 s"
	tail -n 20 "$dir/charon.log" 2>/dev/null
	return 1
}

# charon_start_case DESCRIPTION NAME NS KERNEL [EXTRA]: charon_start as a
# KTAP case. Not through ktap_check, whose subshell would lose the PID
# that charon_stop and the cleanup need.
charon_start_case() {
	local desc=$1
	shift
	if charon_start "$@" >"$CHARON_ROOT/start.$1" 2>&1; then
		ktap_ok "$desc"
		return 0
	fi
	ktap_fail "$desc"
	sed 's/^/# /' "$CHARON_ROOT/start.$1"
	return 1
}

# charon_load NAME: loads (replaces) NAME's connections and secrets from
# its swanctl.conf.
charon_load() { charon_swanctl "$1" --load-all --noprompt; }

# charon_log NAME: NAME's log so far.
charon_log() { cat "$(charon_dir "$1")/charon.log" 2>/dev/null; }

# charon_diag NAME [LINES]: the last LINES (default 25) lines of NAME's
# log, as KTAP diagnostics.
charon_diag() {
	tail -n "${2:-25}" "$(charon_dir "$1")/charon.log" 2>/dev/null | sed "s/^/# $1: /"
}

# charon_stop NAME: SIGTERM (charon then removes the SAs and policies it
# installed), SIGKILL after 20 s. Fails when it had to be killed.
charon_stop() {
	local pid=${CHARON_PIDS[$1]:-} i
	[[ -n $pid ]] || return 0
	unset "CHARON_PIDS[$1]"
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 40; i++)); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
		sleep 0.5
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	echo "charon $1 did not stop on SIGTERM within 20 s; killed"
	return 1
}

# charon_cleanup: stops every daemon; CHARON_KEEP=DIR (in the
# environment) keeps their configurations and logs there, for a look after
# the run.
charon_cleanup() {
	local name
	for name in "${!CHARON_PIDS[@]}"; do charon_stop "$name" >/dev/null; done
	if [[ -n ${CHARON_KEEP:-} ]]; then
		mkdir -p "$CHARON_KEEP" && cp -r "$CHARON_ROOT"/. "$CHARON_KEEP"/
	fi
	rm -rf "$CHARON_ROOT"
}


# --- what the suites share (tests/strongswan.sh, tests/natt_swan.sh) ---

# swanctl_conf NAME CONN...: NAME's swanctl.conf, with the connections
# given (swanctl.conf text) and the PSK.
swanctl_conf() {
	local name=$1
	shift
	{
		echo "connections {"
		printf '%s\n' "$@"
		echo "}"
		echo 'secrets { ike-psk { secret = "rust_ipsec meets strongSwan" } }'
	} >"$(charon_dir "$name")/swanctl/swanctl.conf"
}

# conn NAME LOCAL REMOTE CHILD-OPTIONS [IKE-OPTIONS]: one connection, PSK
# both ways, IKEv2, one CHILD_SA named NAME.
conn() {
	cat <<EOF
	$1 {
		version = 2
		local_addrs = $2
		remote_addrs = $3
		proposals = aes128-sha256-x25519
		local { auth = psk }
		remote { auth = psk }
		${5:-}
		children {
			$1 {
				$4
			}
		}
	}
EOF
}

# up SIDE CHILD: SIDE initiates CHILD (and its IKE_SA), up to 60 s.
up() { charon_swanctl "$1" --initiate --child "$2" --timeout 60 >"$CHARON_ROOT/up.$1" 2>&1 || { tail -n 20 "$CHARON_ROOT/up.$1"; return 1; }; }

# down SIDE IKE: SIDE deletes the IKE_SA IKE (and its CHILD_SAs) and the
# peer answers: swanctl waits (up to 40 s) until the IKE_SA is gone, which
# it also is when the peer never answered and charon gave up
# retransmitting; that fails.
down() {
	local gaveup
	gaveup=$(log_count "$1" 'giving up after')
	if ! charon_swanctl "$1" --terminate --ike "$2" --timeout 40 >"$CHARON_ROOT/down.$1" 2>&1; then
		tail -n 20 "$CHARON_ROOT/down.$1"
		return 1
	fi
	(($(log_count "$1" 'giving up after') == gaveup)) && return 0
	echo "the peer did not answer the delete:"
	grep -E 'retransmit|giving up' "$CHARON_ROOT/down.$1" | tail -n 5
	return 1
}

# log_count SIDE PATTERN: how many lines of SIDE's charon log match.
log_count() { grep -c -e "$2" "$(charon_dir "$1")/charon.log" 2>/dev/null; }

# sas SIDE: SIDE's IKE and CHILD SAs as swanctl lists them.
sas() { charon_swanctl "$1" --list-sas 2>/dev/null; }

# The EXIT trap stops the daemons, then runs what was trapped before
# (wire.sh's removal of its directory); TERM and INT exit through it.
eval "CHARON_PREV_TRAP=($(trap -p EXIT))"
# shellcheck disable=SC2064 # the earlier trap's text, taken now
trap "charon_cleanup; ${CHARON_PREV_TRAP[2]:-}" EXIT
trap 'exit 143' TERM INT
