# SPDX-License-Identifier: GPL-2.0
"""A small PF_KEY v2 client for the tests, written from RFC 2367 and
Linux's pfkeyv2.h, independently of rust_ipsec's own codec."""

import errno
import os
import socket
import struct

AF_KEY = 15
PF_KEY_V2 = 2

# message types
GETSPI, UPDATE, ADD, DELETE, GET, ACQUIRE, REGISTER, EXPIRE, FLUSH, DUMP, X_PROMISC = range(1, 12)
X_SPDUPDATE, X_SPDADD, X_SPDDELETE, X_SPDGET = 13, 14, 15, 16
X_SPDDUMP, X_SPDFLUSH, X_SPDSETIDX, X_SPDEXPIRE, X_SPDDELETE2 = 18, 19, 20, 21, 22
X_MIGRATE = 24

# extension types
EXT_SA, EXT_LT_CUR, EXT_LT_HARD, EXT_LT_SOFT, EXT_SRC, EXT_DST, EXT_ADDR_PROXY = 1, 2, 3, 4, 5, 6, 7
EXT_KEY_AUTH, EXT_KEY_ENC = 8, 9
EXT_SUPP_AUTH, EXT_SUPP_ENC, EXT_SPIRANGE = 14, 15, 16
EXT_X_POLICY, EXT_X_SA2 = 18, 19
EXT_X_SA_REPLAY = 27  # rust_ipsec's: replay window in packets, up to 4096
SAFLAGS_ESN = 0x400

SATYPE_UNSPEC, SATYPE_AH, SATYPE_ESP = 0, 2, 3
AALG_SHA1HMAC, AALG_SHA256HMAC = 3, 5
EALG_AESCBC, EALG_GCM16, EALG_CHACHA = 12, 20, 25

IPSEC_MODE_TRANSPORT, IPSEC_MODE_TUNNEL = 1, 2
DIR_IN, DIR_OUT, DIR_FWD = 1, 2, 3
POLICY_DISCARD, POLICY_NONE, POLICY_IPSEC = 0, 1, 2
LEVEL_DEFAULT, LEVEL_USE, LEVEL_REQUIRE, LEVEL_UNIQUE = 0, 1, 2, 3
IPPROTO_ESP, IPPROTO_AH = 50, 51


def ext(ext_type, body):
    """An extension: header plus body padded to 8 bytes."""
    body += b"\0" * (-(len(body) + 4) % 8)
    return struct.pack("=HH", (len(body) + 4) // 8, ext_type) + body


def msg(msg_type, satype, exts=b"", seq=0, pid=None, version=PF_KEY_V2, reserved=0, errno_=0):
    pid = os.getpid() if pid is None else pid
    length = (16 + len(exts)) // 8
    return struct.pack("=BBBBHHII", version, msg_type, errno_, satype, length, reserved, seq, pid) + exts


def sockaddr(addr, port=0):
    if ":" in addr:
        return struct.pack("=H", socket.AF_INET6) + struct.pack("!HI", port, 0) + socket.inet_pton(socket.AF_INET6, addr) + struct.pack("=I", 0)
    return struct.pack("=H", socket.AF_INET) + struct.pack("!H", port) + socket.inet_aton(addr) + b"\0" * 8


def address(ext_type, addr, prefix=None, proto=255, port=0):
    if prefix is None:
        prefix = 128 if ":" in addr else 32
    return ext(ext_type, struct.pack("=BBH", proto, prefix, 0) + sockaddr(addr, port))


def sa(spi, auth=0, enc=0, replay=0, state=0, flags=0):
    return ext(EXT_SA, struct.pack("!I", spi) + struct.pack("=BBBBI", replay, state, auth, enc, flags))


def sa_replay(window):
    return ext(EXT_X_SA_REPLAY, struct.pack("=I", window))


def key(ext_type, data):
    return ext(ext_type, struct.pack("=HH", len(data) * 8, 0) + data)


def sa2(mode=0, reqid=0):
    return ext(EXT_X_SA2, struct.pack("=BBHII", mode, 0, 0, 0, reqid))


def lifetime(ext_type, allocations=0, nbytes=0, addtime=0, usetime=0):
    return ext(ext_type, struct.pack("=IQQQ", allocations, nbytes, addtime, usetime))


def x_policy(ptype, direction, requests=b"", policy_id=0, priority=0):
    return ext(EXT_X_POLICY, struct.pack("=HBBII", ptype, direction, 0, policy_id, priority) + requests)


def ipsecrequest(proto, mode, level, reqid=0, tunnel=None):
    body = b""
    if tunnel:
        body = sockaddr(tunnel[0]) + sockaddr(tunnel[1])
    return struct.pack("=HHBBHII", 16 + len(body), proto, mode, level, 0, reqid, 0) + body


def parse(data):
    """(header dict, {ext_type: body bytes})."""
    version, mtype, err, satype, length, reserved, seq, pid = struct.unpack_from("=BBBBHHII", data)
    exts = {}
    off = 16
    while off + 4 <= len(data):
        elen, etype = struct.unpack_from("=HH", data, off)
        if elen == 0:
            break
        exts[etype] = data[off + 4:off + elen * 8]
        off += elen * 8
    return dict(version=version, type=mtype, errno=err, satype=satype, len=length, seq=seq, pid=pid), exts


def sa_spi(exts):
    return struct.unpack_from("!I", exts[EXT_SA])[0]


class Sock:
    def __init__(self, rcvbuf=None):
        self.s = socket.socket(AF_KEY, socket.SOCK_RAW, PF_KEY_V2)
        if rcvbuf:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.settimeout(10)

    def send(self, data):
        return self.s.send(data)

    def recv(self, timeout=10):
        self.s.settimeout(timeout)
        return parse(self.s.recv(65536))

    def pending(self):
        """Messages already queued (non-blocking)."""
        out = []
        self.s.setblocking(False)
        try:
            while True:
                out.append(parse(self.s.recv(65536)))
        except BlockingIOError:
            return out
        finally:
            self.s.settimeout(10)

    def request(self, data):
        """Sends and returns the reply to this request (same type, our pid)."""
        self.send(data)
        want_type = data[1]
        while True:
            hdr, exts = self.recv()
            if hdr["type"] == want_type and hdr["pid"] == os.getpid():
                return hdr, exts

    def close(self):
        self.s.close()
