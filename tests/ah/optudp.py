#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""UDP over IPv6 with extension headers before AH, for tests/ah.sh.

optudp.py serve ADDR PORT: answers each datagram with the same bytes
    (without options), until killed.
optudp.py send ADDR PORT: sends one datagram carrying a Hop-by-Hop
    Options header with a mutable option and a Destination Options header
    with an immutable one (sticky socket options), and exits 0 when the
    answer comes back within 3 seconds.

The options are of RFC 4727's experimental types: 0x3e (action "skip",
may change en route: AH zeroes its data) and 0x1e (may not change: AH
covers it).
"""
import socket
import sys

IPV6_HOPOPTS = getattr(socket, "IPV6_HOPOPTS", 54)
IPV6_DSTOPTS = getattr(socket, "IPV6_DSTOPTS", 59)
# next header (filled by the kernel), length 0 (8 bytes), then the option.
HOPOPTS = bytes([0, 0, 0x3E, 4, 0xAA, 0xBB, 0xCC, 0xDD])
DSTOPTS = bytes([0, 0, 0x1E, 4, 0x11, 0x22, 0x33, 0x44])


def serve(addr, port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind((addr, port))
    while True:
        data, peer = s.recvfrom(2048)
        s.sendto(data, peer)


def send(addr, port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, IPV6_HOPOPTS, HOPOPTS)
    s.setsockopt(socket.IPPROTO_IPV6, IPV6_DSTOPTS, DSTOPTS)
    s.settimeout(3)
    msg = b"options before AH"
    s.sendto(msg, (addr, port))
    data, _ = s.recvfrom(2048)
    return data == msg


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        try:
            ok = send(sys.argv[2], int(sys.argv[3]))
        except OSError as e:
            print(e)
            ok = False
        sys.exit(0 if ok else 1)
