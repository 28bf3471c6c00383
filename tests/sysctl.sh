#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The sysctl trees net.ipv4.rust_ipsec and net.ipv6.rust_ipsec: every
# default, every valid and invalid write per knob, netns independence.
# The expected values below come from the foundation issue (NetBSD's
# defaults), not from the code under test.
#
# No network topology: the init namespace, and two namespaces without
# links for netns independence.

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/module.sh"

# name default min max trees (4 = IPv4 only, 46 = both)
KNOBS="
esp_trans_deflev 1 1 2 46
esp_net_deflev 1 1 2 46
ah_trans_deflev 1 1 2 46
ah_net_deflev 1 1 2 46
def_policy 1 0 1 46
ah_cleartos 1 0 1 4
ah_offsetmask 0 0 65535 4
dfbit 0 0 2 4
ecn 0 0 1 46
debug 0 0 1 46
"

# valid_values MIN MAX: every value for small ranges, a sample otherwise.
valid_values() {
	if (($2 - $1 <= 4)); then seq "$1" "$2"; else echo "$1 1 255 8191 $(($2 - 1)) $2"; fi
}

# write_value FILE VALUE: prints the error text of a failed write.
write_value() { (printf '%s\n' "$2" >"$1") 2>&1; }

ktap_header "sysctl trees of rust_ipsec"
ri_netns_cleanup
ri_unload

ktap_check "module loads" ri_load

# Both trees list exactly the knobs they should.
want4=$(echo "$KNOBS" | awk 'NF {print $1}' | sort | tr '\n' ' ')
want6=$(echo "$KNOBS" | awk 'NF && $5 == 46 {print $1}' | sort | tr '\n' ' ')
ktap_expect "net.ipv4.rust_ipsec lists its 10 knobs" "$want4" "$(ls $V4 2>&1 | sort | tr '\n' ' ')"
ktap_expect "net.ipv6.rust_ipsec lists its 7 knobs" "$want6" "$(ls $V6 2>&1 | sort | tr '\n' ' ')"

while read -r name def min max trees; do
	[[ -n $name ]] || continue
	for tree in $V4 $V6; do
		[[ $tree == "$V6" && $trees != 46 ]] && continue
		f=$tree/$name
		fam=${tree#/proc/sys/net/}
		fam=${fam%/rust_ipsec}
		ktap_expect "$fam $name defaults to $def" "$def" "$(<"$f")"

		for v in $(valid_values "$min" "$max"); do
			err=$(write_value "$f" "$v")
			ktap_expect "$fam $name accepts $v" "$v" "$(<"$f")${err:+ ($err)}"
		done

		# Invalid writes fail with EINVAL and leave the value as it was.
		printf '%s\n' "$max" >"$f"
		for bad in $((min - 1)) $((max + 1)) 100000 -2147483648 4294967297 abc 1x "" 0.5; do
			err=$(write_value "$f" "$bad")
			now=$(<"$f")
			if [[ $err == *"Invalid argument"* && $now == "$max" ]]; then
				ktap_ok "$fam $name refuses '$bad' with EINVAL"
			else
				ktap_fail "$fam $name refuses '$bad' with EINVAL"
				ktap_diag "write said '${err:-nothing}', value now '$now' (was $max)"
			fi
		done
		printf '%s\n' "$def" >"$f"
	done
done <<<"$KNOBS"

# A refused write is logged, without flooding the log.
dmesg -C
# 200 refused writes in a tight loop (shell builtins, no forks) log at most
# net_ratelimit's burst (10) plus what its 5 s interval lets through.
for _ in $(seq 200); do printf '7\n' 2>/dev/null >$V4/dfbit; done
n=$(dmesg | grep -c 'rust_ipsec/dfbit: 7 refused')
if ((n >= 1 && n <= 40)); then
	ktap_ok "a refused write is logged, rate-limited ($n lines for 200 writes)"
else
	ktap_fail "a refused write is logged, rate-limited ($n lines for 200 writes)"
fi

# Namespace independence: new namespaces start from the defaults, and a
# change in one shows in no other.
printf '2\n' >$V4/dfbit
printf '0\n' >$V6/def_policy
ip netns add ${RI_NS}a && ip netns add ${RI_NS}b
ktap_expect "a new netns starts with the IPv4 default" 0 "$(ip netns exec ${RI_NS}a cat $V4/dfbit)"
ktap_expect "a new netns starts with the IPv6 default" 1 "$(ip netns exec ${RI_NS}a cat $V6/def_policy)"
ip netns exec ${RI_NS}a sh -c "echo 1 > $V4/dfbit; echo 2 > $V6/esp_net_deflev"
ktap_expect "a change in netns a stays in a" 1 "$(ip netns exec ${RI_NS}a cat $V4/dfbit)"
ktap_expect "netns b does not see a's IPv4 change" 0 "$(ip netns exec ${RI_NS}b cat $V4/dfbit)"
ktap_expect "netns b does not see a's IPv6 change" 1 "$(ip netns exec ${RI_NS}b cat $V6/esp_net_deflev)"
ktap_expect "init netns does not see a's change" 2 "$(<$V4/dfbit)"
ktap_expect "init netns keeps its IPv6 change" 0 "$(<$V6/def_policy)"
ktap_expect "IPv4 and IPv6 trees are independent" 1 "$(<$V4/def_policy)"
# bash, as write_value above: dash reports any failed write as "I/O error".
err=$(ip netns exec ${RI_NS}b bash -c "printf '5\\n' > $V4/ecn" 2>&1)
ktap_expect "validation also applies in other namespaces: the value stays" 0 "$(ip netns exec ${RI_NS}b cat $V4/ecn)"
if [[ $err == *"Invalid argument"* ]]; then
	ktap_ok "validation also applies in other namespaces: the write fails with EINVAL"
else
	ktap_fail "validation also applies in other namespaces: the write fails with EINVAL"
	ktap_diag "write said: '${err:-nothing}'"
fi

ri_netns_cleanup
ktap_check "module unloads" ri_unload
ktap_finish
