#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hand-made IPComp packets for tests/ipcomp.sh (raw IPv4, protocol 108).

  craft.py send DST CPI KIND   one IPComp packet to DST with CPI (hex),
                               its payload of KIND:
    bomb       100,000 zero bytes of UDP deflated (about 100 bytes):
               more than any IP packet holds
    garbage    bytes that are no deflate stream
    short      two bytes, less than an IPComp header
"""
import socket
import sys
import zlib

IPPROTO_COMP = 108
IPPROTO_UDP = 17


def deflate(data):
    # Raw deflate with Linux's window (crypto/deflate.c: -11 bits).
    c = zlib.compressobj(9, zlib.DEFLATED, -11)
    return c.compress(data) + c.flush()


def payload(cpi, kind):
    if kind == "short":
        return b"\x11\x00"
    head = bytes([IPPROTO_UDP, 0]) + cpi.to_bytes(2, "big")
    if kind == "bomb":
        return head + deflate(bytes(100000))
    if kind == "garbage":
        return head + b"\xff" * 64
    raise SystemExit("unknown kind " + kind)


def main():
    if len(sys.argv) != 5 or sys.argv[1] != "send":
        raise SystemExit(__doc__)
    dst, cpi, kind = sys.argv[2], int(sys.argv[3], 16), sys.argv[4]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_COMP)
    s.sendto(payload(cpi, kind), (dst, 0))


if __name__ == "__main__":
    main()
