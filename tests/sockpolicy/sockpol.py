#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Per-socket IPsec policies (IP_IPSEC_POLICY / IPV6_IPSEC_POLICY) in use.

    sockpol.py serve tcp|udp ADDR PORT [POLICY...] [-- tcp|udp ADDR PORT [POLICY...]]...
        Echo server: one socket per group, each with its policies set
        before bind (a TCP listener's accepted sockets inherit them).
        Prints "ready" once all are bound, then echoes every datagram or
        connection on any of them until killed.
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
    sockpol.py client
        Many asks and sets from one process (a Python start-up costs
        seconds under TCG): reads commands from stdin, one a line, each
        "ask ..." or "set ..." with the arguments above (quoted as for
        a shell), or "set-without-net-admin ...", a set from a child
        process (a fork) that dropped CAP_NET_ADMIN; answers each with one
        line: what ask prints, or what set prints joined by spaces.

A POLICY is ipsec_set_policy(3)'s syntax, as setkey's -P takes it:
    in|out discard|none|entrust|bypass
    in|out ipsec REQUEST...    REQUEST: esp|ah/transport|tunnel/[SRC-DST]/LEVEL
    LEVEL: default, use, require, unique or unique:ID
The address family of the option follows ADDR (or v4|v6).
"""

import errno
import ipaddress
import os
import select
import shlex
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


def listen(kind, addr, port, policies):
    family = family_of(addr)
    s = new_socket(kind, family)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    apply(s, family, policies)
    s.bind((addr, port))
    if kind == "tcp":
        s.listen(8)
    return s


def groups(args):
    """[kind, addr, port, policies] per group of ARGS split at "--"."""
    out, cur = [], []
    for a in args + ["--"]:
        if a != "--":
            cur.append(a)
            continue
        if cur:
            out.append((cur[0], cur[1], int(cur[2]), cur[3:]))
        cur = []
    return out


def serve(args):
    kinds = {}  # socket -> "udp", "tcp" (a listener) or "conn" (accepted)
    for kind, addr, port, policies in groups(args):
        kinds[listen(kind, addr, port, policies)] = kind
    print("ready", flush=True)
    while True:
        readable, _, _ = select.select(list(kinds), [], [])
        for s in readable:
            kind = kinds[s]
            try:
                if kind == "udp":
                    data, peer = s.recvfrom(2048)
                    s.sendto(data, peer)
                elif kind == "tcp":
                    c, _ = s.accept()
                    kinds[c] = "conn"
                else:
                    data = s.recv(2048)
                    if data:
                        s.sendall(data)
                    del kinds[s]
                    s.close()
            except OSError:
                if kind == "conn":
                    del kinds[s]
                    s.close()


def ask(kind, addr, port, policies):
    """One request and its echo: "echo", "timeout" or an errno name."""
    family = family_of(addr)
    s = new_socket(kind, family)
    try:
        apply(s, family, policies)
        s.settimeout(5)
        msg = b"sockpol-echo"
        if kind == "udp":
            s.sendto(msg, (addr, port))
            data, _ = s.recvfrom(2048)
        else:
            s.connect((addr, port))
            s.sendall(msg)
            data = s.recv(2048)
    except socket.timeout:
        return "timeout"
    except OSError as e:
        return errname(e)
    finally:
        s.close()
    if data != msg:
        return "wrong answer %r" % data
    return "echo"


def set_specs(kind, fam, specs):
    """What each SPEC did: "ok", "sent" or an errno name."""
    family = socket.AF_INET if fam == "v4" else socket.AF_INET6
    s = new_socket(kind, family)
    level, opt = level_opt(family)
    out = []
    i = 0
    while i < len(specs):
        spec = specs[i]
        i += 1
        try:
            if spec == "probe":
                addr, port = specs[i], int(specs[i + 1])
                i += 2
                s.sendto(b"probe", (addr, port))
                out.append("sent")
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
            out.append("ok")
        except OSError as e:
            out.append(errname(e))
    s.close()
    return out


CAP_NET_ADMIN = 12
LINUX_CAPABILITY_VERSION_3 = 0x20080522


def without_net_admin(func):
    """func()'s result (a list of words), run in a child process whose
    effective and permitted capabilities lack CAP_NET_ADMIN (capset(2)):
    a fork, not a new Python."""
    import ctypes

    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            hdr = struct.pack("=Ii", LINUX_CAPABILITY_VERSION_3, 0)
            data = ctypes.create_string_buffer(24)  # 2 x {effective, permitted, inheritable}
            if libc.capget(hdr, data) != 0:
                raise OSError(ctypes.get_errno(), "capget")
            caps = list(struct.unpack("=6I", data.raw))
            caps[0] &= ~(1 << CAP_NET_ADMIN)  # effective, low word
            caps[1] &= ~(1 << CAP_NET_ADMIN)  # permitted, low word
            if libc.capset(hdr, struct.pack("=6I", *caps)) != 0:
                raise OSError(ctypes.get_errno(), "capset")
            out = func()
        except Exception as e:  # the answer says what broke
            out = ["capset failed: %r" % (e,)]
        os.write(w, " ".join(out).encode())
        os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        answer = f.read().decode()
    os.waitpid(pid, 0)
    return answer.split()


def client():
    """ask and set commands from stdin, one answer line each."""
    for line in sys.stdin:
        words = shlex.split(line)
        if not words:
            continue
        if words[0] == "ask" and len(words) >= 4:
            answer = ask(words[1], words[2], int(words[3]), words[4:])
        elif words[0] == "set" and len(words) >= 3:
            answer = " ".join(set_specs(words[1], words[2], words[3:]))
        elif words[0] == "set-without-net-admin" and len(words) >= 3:
            answer = " ".join(without_net_admin(lambda: set_specs(words[1], words[2], words[3:])))
        else:
            answer = "bad command %r" % line.strip()
        print(answer, flush=True)
    return 0


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "serve" and len(argv) >= 5:
        return serve(argv[2:])
    if cmd == "ask" and len(argv) >= 5:
        answer = ask(argv[2], argv[3], int(argv[4]), argv[5:])
        print(answer)
        if answer in ("echo", "timeout") or answer.startswith("wrong"):
            return 0 if answer == "echo" else 1
        return 2
    if cmd == "set" and len(argv) >= 4:
        print("\n".join(set_specs(argv[2], argv[3], argv[4:])))
        return 0
    if cmd == "client":
        return client()
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
