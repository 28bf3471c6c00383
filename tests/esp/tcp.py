#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A TCP transfer for tests/esp.sh.

  tcp.py serve ADDR PORT      accept one connection, print sha256 and size
  tcp.py send ADDR PORT SIZE  send SIZE random bytes, print their sha256"""
import hashlib
import os
import socket
import sys


def serve(addr, port):
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1)
    s.settimeout(30)
    c, _ = s.accept()
    c.settimeout(30)
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        h.update(b)
        n += len(b)
    print(h.hexdigest(), n)


def send(addr, port, size):
    data = os.urandom(size)
    s = socket.create_connection((addr, port), timeout=30)
    s.sendall(data)
    s.close()
    print(hashlib.sha256(data).hexdigest(), size)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
