#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A wire that changes packets in flight, for tests/ah.sh.

tamper.py IF1 IF2 MODE-FILE LOG: forwards every frame between the
interfaces IF1 and IF2 (AF_PACKET, in the namespace it runs in), and
changes the IPv4 AH packets that arrive on IF2 as MODE-FILE says, read
for each of them:

  pass     unchanged
  covered  the last byte flipped (the payload, which the ICV covers)
  mutable  TTL set to 7 and TOS to 0x10, the header checksum fixed (both
           fields are left out of the ICV)

Each changed packet adds a line to LOG, so the test sees the wire did
change packets.
"""
import select
import socket
import struct
import sys

ETH_P_ALL = 3
ETH_HLEN = 14


def open_if(name):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((name, 0))
    return s


def checksum(hdr):
    if len(hdr) % 2:
        hdr += b"\0"
    total = sum(struct.unpack("!%dH" % (len(hdr) // 2), hdr))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def tamper(frame, mode):
    """`frame` changed as `mode` says, or None when it stays as it is."""
    ip = bytearray(frame[ETH_HLEN:])
    if mode == "covered":
        ip[-1] ^= 0xFF
    elif mode == "mutable":
        ihl = (ip[0] & 0x0F) * 4
        ip[1] = 0x10
        ip[8] = 7
        ip[10:12] = b"\0\0"
        ip[10:12] = struct.pack("!H", checksum(bytes(ip[:ihl])))
    else:
        return None
    return frame[:ETH_HLEN] + bytes(ip)


def is_ipv4_ah(frame):
    return len(frame) > ETH_HLEN + 20 and frame[12:14] == b"\x08\x00" and frame[ETH_HLEN + 9] == 51


def main():
    if1, if2, mode_file, log = sys.argv[1:5]
    a, b = open_if(if1), open_if(if2)
    peer = {a: b, b: a}
    while True:
        ready, _, _ = select.select([a, b], [], [])
        for s in ready:
            frame, addr = s.recvfrom(65535)
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            if s is b and is_ipv4_ah(frame):
                with open(mode_file) as f:
                    mode = f.read().strip()
                changed = tamper(frame, mode)
                if changed is not None:
                    frame = changed
                    with open(log, "a") as f:
                        f.write(mode + "\n")
            peer[s].send(frame)


if __name__ == "__main__":
    main()
