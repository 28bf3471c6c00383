#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""UDP sockets as a NAT-T key daemon has them, for tests/natt.sh.

  encap.py listen PORT OUT   a socket on PORT with UDP_ENCAP_ESPINUDP set
                             (what strongSwan and racoon do on 4500),
                             printing "listening" to stderr once bound and
                             the hex of each datagram it receives to OUT
  encap.py listen6 PORT OUT  the same over IPv6 (an IPv6-only socket)
  encap.py send SPORT DST DPORT HEX
                             one datagram with payload HEX from port SPORT
"""
import socket
import sys

SOL_UDP = 17
UDP_ENCAP = 100
UDP_ENCAP_ESPINUDP = 2


def listen(port, out, family=socket.AF_INET):
    s = socket.socket(family, socket.SOCK_DGRAM)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.setsockopt(SOL_UDP, UDP_ENCAP, UDP_ENCAP_ESPINUDP)
    s.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", port))
    print("listening", file=sys.stderr, flush=True)
    with open(out, "a", buffering=1) as f:
        while True:
            data, _ = s.recvfrom(65535)
            f.write(data.hex() + "\n")


def send(sport, dst, dport, payload):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", sport))
    s.sendto(bytes.fromhex(payload), (dst, dport))


if __name__ == "__main__":
    if sys.argv[1] == "listen":
        listen(int(sys.argv[2]), sys.argv[3])
    elif sys.argv[1] == "listen6":
        listen(int(sys.argv[2]), sys.argv[3], socket.AF_INET6)
    elif sys.argv[1] == "send":
        send(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5])
    else:
        sys.exit(__doc__)
