#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/ab/cost-guest.sh SETKEY ROUNDS KO... (in the VM, from
# bench/ab/cost.sh): round-robin over the given rust_ipsec modules (and an
# XFRM control), AES-GCM-128 transport and tunnel, UDP 64 B with iperf3
# -u -b 0 for T seconds; prints the guest's CPU busy time per sent packet
# (us/packet), the packets sent and received. Every other round runs the
# modules in reverse order.
SK=$1 ROUNDS=$2; shift 2; KOS=("$@")
T=${T:-4}
K20=0x000102030405060708090a0b0c0d0e0f10111213
K20b=0x1415161718191a1b1c1d1e1f2021222324252627
rmmod rust_ipsec 2>/dev/null
mk() { ip netns add $1; ip netns add $2
  ip -n $1 link set lo up; ip -n $2 link set lo up
  ip link add veth0 netns $1 type veth peer name veth0 netns $2
  ip -n $1 addr add 192.168.$3.1/24 dev veth0; ip -n $2 addr add 192.168.$3.2/24 dev veth0
  ip -n $1 link set veth0 up; ip -n $2 link set veth0 up
  ip netns exec $2 iperf3 -s -D -p 5201 >/dev/null 2>&1; }
mk bx1 bx2 20; mk br1 br2 30
xf() { # xf MODE
  local a=192.168.20.1 b=192.168.20.2 t12= t21=
  [[ $1 == tunnel ]] && t12="src $a dst $b" t21="src $b dst $a"
  for n in bx1 bx2; do ip -n $n xfrm state flush; ip -n $n xfrm policy flush
    ip -n $n xfrm state add src $a dst $b proto esp spi 0x2001 reqid 1 mode $1 aead 'rfc4106(gcm(aes))' $K20 128
    ip -n $n xfrm state add src $b dst $a proto esp spi 0x2002 reqid 1 mode $1 aead 'rfc4106(gcm(aes))' $K20b 128; done
  ip -n bx1 xfrm policy add src $a dst $b dir out tmpl $t12 proto esp reqid 1 mode $1
  ip -n bx1 xfrm policy add src $b dst $a dir in tmpl $t21 proto esp reqid 1 mode $1
  ip -n bx2 xfrm policy add src $b dst $a dir out tmpl $t21 proto esp reqid 1 mode $1
  ip -n bx2 xfrm policy add src $a dst $b dir in tmpl $t12 proto esp reqid 1 mode $1; }
rs() { # rs MODE
  local a=192.168.30.1 b=192.168.30.2 r12=esp/transport//require r21=esp/transport//require
  [[ $1 == tunnel ]] && r12=esp/tunnel/$a-$b/require r21=esp/tunnel/$b-$a/require
  for n in br1 br2; do ip netns exec $n $SK -F; ip netns exec $n $SK -FP
    printf '%s\n' "add $a $b esp 0x3001 -m $1 -E aes-gcm-16 $K20;" "add $b $a esp 0x3002 -m $1 -E aes-gcm-16 $K20b;" | ip netns exec $n $SK -c; done
  printf '%s\n' "spdadd $a $b any -P out ipsec $r12;" "spdadd $b $a any -P in ipsec $r21;" | ip netns exec br1 $SK -c
  printf '%s\n' "spdadd $b $a any -P out ipsec $r21;" "spdadd $a $b any -P in ipsec $r12;" | ip netns exec br2 $SK -c
  ip netns exec br1 ping -c 1 -W 2 $b >/dev/null || echo "no ping ($1)" >&2; }
ticks() { awk '/^cpu / {print $2+$3+$4+$7+$8+$9; exit}' /proc/stat; }
cost() { # cost NS DST -> "us_per_sent sent received"
  local c0 c1 j
  c0=$(ticks)
  j=$(ip netns exec $1 iperf3 -c $2 -p 5201 -u -b 0 -l 64 -t $T -J 2>/dev/null)
  c1=$(ticks)
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); s=d["end"]["sum"]; t=int(sys.argv[2]); print("%.2f %d %d" % (t*10000.0/s["packets"], s["packets"], s["packets"]-s["lost_packets"]))' "$j" $((c1 - c0)); }
for ((i = 1; i <= ROUNDS; i++)); do
  # Fair order: every other round runs the modules in reverse, so none
  # always runs first or last.
  order=("${KOS[@]}")
  if ((i % 2 == 0)); then
    order=(); for ((j = ${#KOS[@]} - 1; j >= 0; j--)); do order+=("${KOS[j]}"); done
  fi
  for mode in transport tunnel; do
    xf $mode; echo "$i $mode xfrm $(cost bx1 192.168.20.2)"
    for ko in "${order[@]}"; do
      rmmod rust_ipsec 2>/dev/null; insmod $ko || { echo "insmod $ko failed"; continue; }
      rs $mode
      echo "$i $mode $(basename "$ko" .ko) $(cost br1 192.168.30.2)"
    done
  done
done
rmmod rust_ipsec
