#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Per-socket IPsec policies (IP_IPSEC_POLICY / IPV6_IPSEC_POLICY) in use.

    sockpol.py serve tcp|udp ADDR PORT [POLICY...]
        Echo server: a socket with the policies set before bind (a TCP
        listener's accepted sockets inherit them). Prints "ready", then
        echoes every datagram or connection until killed.
    sockpol.py ask tcp|udp ADDR PORT [POLICY...]
        One request from a socket with the policies: prints "echo" and
        exits 0 when the answer came back, prints "timeout" and exits 1
        when none came within 5 s, prints the errno name and exits 2 when a
        call failed (EPERM: the packet was dropped on the way out).
    sockpol.py set tcp|udp v4|v6 SPEC...
        setsockopt on a fresh socket, one SPEC after the other, and prints
        "ok" or the errno name for each. A SPEC is a POLICY, or
        "raw:LEVEL:OPTNAME:HEX" for an arbitrary value, "clear" for a null
        value of length 0, "truncate:N:POLICY" for the first N bytes of
        POLICY, "bad-dir", "bad-type".
    After "set", "probe ADDR PORT" as the last SPEC sends one UDP datagram
    from that socket and prints "sent" or the errno name.

A POLICY is ipsec_set_policy(3)'s syntax, as setkey's -P takes it:
    in|out discard|none|entrust|bypass
    in|out ipsec REQUEST...    REQUEST: esp|ah/transport|tunnel/[SRC-DST]/LEVEL
    LEVEL: default, use, require, unique or unique:ID
The address family of the option follows ADDR (or v4|v6).
"""

import errno
import ipaddress
import socket
import struct
import sys

IP_IPSEC_POLICY = 16
IPV6_IPSEC_POLICY = 34
SADB_X_EXT_POLICY = 18
TYPES = {"discard": 0, "none": 1, "ipsec": 2, "entrust": 3, "bypass": 4}
DIRS = {"in": 1, "out": 2}
PROTOS = {"esp": 50, "ah": 51, "ipcomp": 108}
MODES = {"transport": 1, "tunnel": 2}
LEVELS = {"default": 0, "use": 1, "require": 2, "unique": 3}


def errname(e):
    """The errno name (95 as EOPNOTSUPP, which Linux's strerror names)."""
    if e.errno == errno.EOPNOTSUPP:
        return "EOPNOTSUPP"
    return errno.errorcode.get(e.errno, str(e.errno))


def sockaddr(addr):
    """A sockaddr_in or sockaddr_in6 (port 0) for ADDR."""
    ip = ipaddress.ip_address(addr)
    if ip.version == 4:
        return struct.pack("=HH4s8x", socket.AF_INET, 0, ip.packed)
    return struct.pack("=HHI16sI", socket.AF_INET6, 0, 0, ip.packed, 0)


def request(text):
    """One sadb_x_ipsecrequest from "esp/transport//require"."""
    proto, mode, ends, level = text.split("/")
    reqid = 0
    if ":" in level:
        level, reqid = level.split(":")
        reqid = int(reqid)
    tail = b""
    if ends:
        src, dst = ends.split("-")
        tail = sockaddr(src) + sockaddr(dst)
    tail += b"\0" * (-len(tail) % 8)
    return struct.pack("=HHBBHII", 16 + len(tail), PROTOS[proto], MODES[mode], LEVELS[level], 0, reqid, 0) + tail


def policy(text, ptype=None, pdir=None):
    """A sadb_x_policy with its requests from "out ipsec esp/transport//require"."""
    words = text.split()
    d, t, reqs = words[0], words[1], words[2:]
    body = b"".join(request(r) for r in reqs)
    dirv = DIRS[d] if pdir is None else pdir
    typev = TYPES[t] if ptype is None else ptype
    return struct.pack("=HHHBBII", (16 + len(body)) // 8, SADB_X_EXT_POLICY, typev, dirv, 0, 0, 0) + body


def level_opt(family):
    if family == socket.AF_INET:
        return socket.IPPROTO_IP, IP_IPSEC_POLICY
    return socket.IPPROTO_IPV6, IPV6_IPSEC_POLICY


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def new_socket(kind, family):
    return socket.socket(family, socket.SOCK_STREAM if kind == "tcp" else socket.SOCK_DGRAM)


def apply(sock, family, policies):
    level, opt = level_opt(family)
    for p in policies:
        sock.setsockopt(level, opt, policy(p))


def serve(kind, addr, port, policies):
    family = family_of(addr)
    s = new_socket(kind, family)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    apply(s, family, policies)
    s.bind((addr, port))
    if kind == "tcp":
        s.listen(8)
    print("ready", flush=True)
    while True:
        if kind == "udp":
            data, peer = s.recvfrom(2048)
            s.sendto(data, peer)
            continue
        c, _ = s.accept()
        c.settimeout(5)
        try:
            data = c.recv(2048)
            if data:
                c.sendall(data)
        except OSError:
            pass
        c.close()


def ask(kind, addr, port, policies):
    family = family_of(addr)
    s = new_socket(kind, family)
    apply(s, family, policies)
    s.settimeout(5)
    msg = b"sockpol-echo"
    try:
        if kind == "udp":
            s.sendto(msg, (addr, port))
            data, _ = s.recvfrom(2048)
        else:
            s.connect((addr, port))
            s.sendall(msg)
            data = s.recv(2048)
    except socket.timeout:
        print("timeout")
        return 1
    except OSError as e:
        print(errname(e))
        return 2
    if data != msg:
        print("wrong answer %r" % data)
        return 1
    print("echo")
    return 0


def set_specs(kind, fam, specs):
    family = socket.AF_INET if fam == "v4" else socket.AF_INET6
    s = new_socket(kind, family)
    level, opt = level_opt(family)
    i = 0
    while i < len(specs):
        spec = specs[i]
        i += 1
        try:
            if spec == "probe":
                addr, port = specs[i], int(specs[i + 1])
                i += 2
                s.sendto(b"probe", (addr, port))
                print("sent")
                continue
            if spec == "clear":
                s.setsockopt(level, opt, None, 0)
            elif spec.startswith("raw:"):
                _, lv, on, hexv = spec.split(":")
                s.setsockopt(int(lv), int(on), bytes.fromhex(hexv))
            elif spec.startswith("truncate:"):
                _, n, text = spec.split(":", 2)
                s.setsockopt(level, opt, policy(text)[: int(n)])
            elif spec == "bad-dir":
                s.setsockopt(level, opt, policy("out bypass", pdir=3))
            elif spec == "bad-type":
                s.setsockopt(level, opt, policy("out bypass", ptype=7))
            else:
                s.setsockopt(level, opt, policy(spec))
            print("ok")
        except OSError as e:
            print(errname(e))
    return 0


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, kind = argv[1], argv[2]
    if cmd == "serve":
        return serve(kind, argv[3], int(argv[4]), argv[5:])
    if cmd == "ask":
        return ask(kind, argv[3], int(argv[4]), argv[5:])
    if cmd == "set":
        return set_specs(kind, argv[3], argv[4:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
