#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Differential test: the same PF_KEY scenarios against Linux's af_key
# (net/key/af_key.ko from the test kernel build) and against rust_ipsec,
# compared field by field; the differences must be exactly the intended
# ones (tests/pfkey/conformance.py INTENDED, Documentation/pfkey.rst).
#
# No network topology: PF_KEY sockets in the init namespace only.

. "$(dirname "$0")/lib/ktap.sh"
. "$(dirname "$0")/lib/module.sh"
here=$(dirname "$0")
afkey=${RI_KDIR:-}/net/key/af_key.ko

ri_netns_cleanup
if [[ -z ${RI_KDIR:-} || ! -f $afkey ]]; then
	ktap_header "af_key differential"
	ktap_skip "af_key differential" "no af_key.ko (RI_KDIR='${RI_KDIR:-}')"
	ktap_finish
fi
ri_unload
tmp=$(mktemp -d)
insmod "$afkey" || { echo "not ok 1 af_key loads"; exit 1; }
python3 -S "$here/pfkey/conformance.py" record "$tmp/afkey.json"
rc1=$?
rmmod af_key
ri_load && python3 -S "$here/pfkey/conformance.py" record "$tmp/rust.json"
rc2=$?
if ((rc1 || rc2)); then
	echo "TAP version 13"
	echo "not ok 1 recording the scenarios (af_key rc=$rc1, rust_ipsec rc=$rc2)"
	echo "1..1"
	exit 1
fi
python3 -S "$here/pfkey/conformance.py" compare "$tmp/afkey.json" "$tmp/rust.json"
