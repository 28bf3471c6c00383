#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""TCP transfers for the ESP tests.

  tcp.py serve ADDR PORT         accept one connection, print sha256 and size
                                 ("listening" on stderr once it listens)
  tcp.py send ADDR PORT SIZE [text]
                                 send SIZE random bytes (with "text":
                                 compressible lines), print their sha256
  tcp.py echo-serve PORT         on every address (IPv4 and IPv6), send each
                                 connection back what it sends, until killed
  tcp.py echo PORT SIZE ADDR...  to each ADDR in turn: send SIZE random bytes
                                 over one connection while reading them back
                                 (data both ways), print "ADDR ok" or
                                 "ADDR FAIL why"; exit 1 if any failed"""
import hashlib
import os
import socket
import sys
import threading
import time


def serve(addr, port):
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1)
    print("listening", file=sys.stderr, flush=True)
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


def send(addr, port, size, fill="random"):
    if fill == "text":
        line = b"rust_ipsec compresses this line well. "
        data = (line * (size // len(line) + 1))[:size]
    else:
        data = os.urandom(size)
    s = connect(addr, port)
    s.sendall(data)
    s.close()
    print(hashlib.sha256(data).hexdigest(), size)


def echo_one(c):
    with c:
        c.settimeout(30)
        try:
            while True:
                b = c.recv(65536)
                if not b:
                    break
                c.sendall(b)
            c.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def echo_serve(port):
    s = socket.socket(socket.AF_INET6)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(16)
    while True:
        c, _ = s.accept()
        threading.Thread(target=echo_one, args=(c,), daemon=True).start()


def connect(addr, port):
    """Connects, retrying while the server is not listening yet."""
    deadline = time.monotonic() + 10
    while True:
        try:
            return socket.create_connection((addr, port), timeout=15)
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def echo(addr, port, size):
    """Returns None when SIZE random bytes came back intact, else why not."""
    data = os.urandom(size)
    err = []

    def writer(s):
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
        except OSError as e:
            err.append(f"send: {e}")

    try:
        s = connect(addr, port)
    except OSError as e:
        return f"connect: {e}"
    with s:
        t = threading.Thread(target=writer, args=(s,))
        t.start()
        got = bytearray()
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                got += b
        except OSError as e:
            err.append(f"recv: {e}")
        t.join()
    if err:
        return "; ".join(err)
    if bytes(got) != data:
        return f"got {len(got)} bytes back, not the {size} sent"
    return None


def echo_all(port, size, addrs):
    failed = 0
    for addr in addrs:
        why = echo(addr, port, size)
        print(addr, "ok" if why is None else f"FAIL {why}", flush=True)
        failed += why is not None
    return 1 if failed else 0


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), *sys.argv[5:6])
    elif sys.argv[1] == "echo-serve":
        echo_serve(int(sys.argv[2]))
    elif sys.argv[1] == "echo":
        sys.exit(echo_all(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]))
    else:
        sys.exit(__doc__)
