#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""PF_KEY v2 through real sockets against the loaded rust_ipsec module.
KTAP output. Run as root in the VM (tests/pfkey.sh)."""

import errno
import os
import socket
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pfkey import *  # noqa: E402,F403

N = 0
FAILED = 0


def result(ok, desc, diag=None):
    global N, FAILED
    N += 1
    if ok:
        print(f"ok {N} {desc}")
    else:
        FAILED += 1
        print(f"not ok {N} {desc}")
        if diag:
            for line in str(diag).splitlines():
                print(f"# {line}")
    sys.stdout.flush()


def check(desc, fn):
    try:
        ok = fn()
        result(bool(ok), desc, None if ok else f"returned {ok!r}")
    except Exception as e:  # noqa: BLE001
        result(False, desc, f"{type(e).__name__}: {e}")


GCM_KEY = bytes(range(20))  # AES-128 + 4-byte salt
SRC, DST = "10.0.0.1", "10.0.0.2"


def add_gcm(spi, src=SRC, dst=DST, mtype=ADD):
    return msg(mtype, SATYPE_ESP, sa(spi, 0, EALG_GCM16, replay=32) + sa2(IPSEC_MODE_TRANSPORT)
               + address(EXT_SRC, src) + address(EXT_DST, dst) + key(EXT_KEY_ENC, GCM_KEY))


def sa_req(mtype, spi, src=SRC, dst=DST, satype=SATYPE_ESP):
    return msg(mtype, satype, sa(spi) + address(EXT_SRC, src) + address(EXT_DST, dst))


def errno_of(mtype, data, s):
    hdr, _ = s.request(data)
    assert hdr["type"] == mtype
    return hdr["errno"]


def test_socket_creation():
    check("a PF_KEY socket opens as root", lambda: Sock().close() or True)

    def wrong(kind, proto, want):
        try:
            socket.socket(AF_KEY, kind, proto).close()
            return False
        except OSError as e:
            return e.errno == want
    check("SOCK_DGRAM is refused (ESOCKTNOSUPPORT)", lambda: wrong(socket.SOCK_DGRAM, 2, errno.ESOCKTNOSUPPORT))
    check("protocol 1 is refused (EPROTONOSUPPORT)", lambda: wrong(socket.SOCK_RAW, 1, errno.EPROTONOSUPPORT))
    code = "import socket\ntry:\n socket.socket(15, socket.SOCK_RAW, 2)\n print('opened')\nexcept OSError as e:\n print(e.errno)\n"
    out = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                          "--inh-caps=-all", "--bounding-set=-all", sys.executable, "-c", code],
                         capture_output=True, text=True)
    result(out.stdout.strip() == str(errno.EPERM), "without CAP_NET_ADMIN: EPERM", out.stdout + out.stderr)


def test_register():
    s = Sock()
    hdr, exts = s.request(msg(REGISTER, SATYPE_ESP))
    result(hdr["errno"] == 0 and EXT_SUPP_AUTH in exts and EXT_SUPP_ENC in exts,
           "REGISTER ESP answers SUPPORTED_AUTH and SUPPORTED_ENCRYPT", hdr)
    enc = exts.get(EXT_SUPP_ENC, b"")[4:]
    algs = {struct.unpack_from("=BBHH", enc, i)[0]: struct.unpack_from("=BBHH", enc, i)[2:] for i in range(0, len(enc), 8)}
    result(algs.get(EALG_GCM16) == (160, 288), "AES-GCM-16 listed with 160..288 key bits (key + salt)", algs)
    result(EALG_CHACHA in algs, "ChaCha20-Poly1305 listed (our id 25)", algs)
    auth = exts.get(EXT_SUPP_AUTH, b"")[4:]
    aids = [auth[i] for i in range(0, len(auth), 8)]
    result(AALG_SHA256HMAC in aids and AALG_SHA1HMAC in aids, "HMAC-SHA-1/256 listed", aids)
    check("a second REGISTER ESP gives EEXIST", lambda: errno_of(REGISTER, msg(REGISTER, SATYPE_ESP), s) == errno.EEXIST)
    s.close()


def test_sa_lifecycle():
    s = Sock()
    other = Sock()
    hdr, exts = s.request(add_gcm(0x1000))
    result(hdr["errno"] == 0 and EXT_SA in exts and sa_spi(exts) == 0x1000, "ADD an AES-GCM SA", hdr)
    result(EXT_KEY_ENC not in exts, "the ADD reply carries no key (RFC 2367)", list(exts))
    seen = [h for h, e in other.pending() if h["type"] == ADD]
    result(len(seen) == 1, "another socket hears about the ADD", seen)
    hdr, exts = s.request(sa_req(GET, 0x1000))
    got_key = exts.get(EXT_KEY_ENC, b"")[4:4 + len(GCM_KEY)]
    result(hdr["errno"] == 0 and got_key == GCM_KEY, "GET returns the SA with its key", (hdr, got_key))
    check("ADD of the same SA gives EEXIST", lambda: errno_of(ADD, add_gcm(0x1000), s) == errno.EEXIST)
    check("DELETE removes it", lambda: errno_of(DELETE, sa_req(DELETE, 0x1000), s) == 0)
    check("GET after DELETE gives ENOENT (af_key: ESRCH)", lambda: errno_of(GET, sa_req(GET, 0x1000), s) == errno.ENOENT)
    check("DELETE of a missing SA gives ENOENT", lambda: errno_of(DELETE, sa_req(DELETE, 0x1000), s) == errno.ENOENT)
    # GETSPI then UPDATE
    hdr, exts = s.request(msg(GETSPI, SATYPE_ESP, address(EXT_SRC, SRC) + address(EXT_DST, DST)
                              + ext(EXT_SPIRANGE, struct.pack("=III", 0x2000, 0x2fff, 0))))
    spi = sa_spi(exts) if EXT_SA in exts else 0
    result(hdr["errno"] == 0 and 0x2000 <= spi <= 0x2fff, f"GETSPI allocates within SPIRANGE ({spi:#x})", hdr)
    check("UPDATE makes the larval SA mature", lambda: errno_of(UPDATE, add_gcm(spi, mtype=UPDATE), s) == 0)
    check("UPDATE of an unknown SPI gives ENOENT", lambda: errno_of(UPDATE, add_gcm(0x3000, mtype=UPDATE), s) == errno.ENOENT)
    check("FLUSH empties the SADB", lambda: errno_of(FLUSH, msg(FLUSH, SATYPE_UNSPEC), s) == 0)
    check("DUMP of an empty SADB gives ENOENT", lambda: errno_of(DUMP, msg(DUMP, SATYPE_UNSPEC), s) == errno.ENOENT)
    s.close()
    other.close()


def test_invalid():
    s = Sock()
    try:
        s.send(msg(ADD, SATYPE_ESP, version=1))
        result(False, "version 1 fails sendmsg with EINVAL")
    except OSError as e:
        result(e.errno == errno.EINVAL, "version 1 fails sendmsg with EINVAL", e)
    bad = add_gcm(0x1001) + sa(0x1001)
    bad = bad[:4] + struct.pack("=H", len(bad) // 8) + bad[6:]
    check("a duplicate extension gets an EINVAL reply", lambda: errno_of(ADD, bad, s) == errno.EINVAL)
    check("... and adds nothing", lambda: errno_of(GET, sa_req(GET, 0x1001), s) == errno.ENOENT)
    no_key = msg(ADD, SATYPE_ESP, sa(0x1002, 0, EALG_GCM16) + address(EXT_SRC, SRC) + address(EXT_DST, DST))
    check("ADD of AES-GCM without a key gets EINVAL", lambda: errno_of(ADD, no_key, s) == errno.EINVAL)
    short_key = msg(ADD, SATYPE_ESP, sa(0x1003, 0, EALG_GCM16) + address(EXT_SRC, SRC) + address(EXT_DST, DST) + key(EXT_KEY_ENC, b"x" * 8))
    check("ADD with a 64-bit AES-GCM key gets EINVAL", lambda: errno_of(ADD, short_key, s) == errno.EINVAL)
    label = b"system_u:object_r:ipsec_spd_t:s0\0"
    ctx = ext(24, struct.pack("=BBH", 1, 1, len(label)) + label)
    with_ctx = msg(ADD, SATYPE_ESP, sa(0x1004, 0, EALG_GCM16) + address(EXT_SRC, SRC) + address(EXT_DST, DST)
                   + key(EXT_KEY_ENC, GCM_KEY) + ctx)
    check("ADD with X_SEC_CTX gets EOPNOTSUPP", lambda: errno_of(ADD, with_ctx, s) == errno.EOPNOTSUPP)
    check("... and adds nothing", lambda: errno_of(GET, sa_req(GET, 0x1004), s) == errno.ENOENT)
    check("MIGRATE answers EOPNOTSUPP", lambda: errno_of(X_MIGRATE, msg(X_MIGRATE, SATYPE_ESP), s) == errno.EOPNOTSUPP)
    s.close()


def test_promisc():
    s, spy = Sock(), Sock()
    hdr, _ = spy.request(msg(X_PROMISC, 1))
    spy.pending()
    s.request(add_gcm(0x1100))
    msgs = spy.pending()
    reqs = [h for h, e in msgs if h["type"] == ADD]
    result(len(reqs) >= 2, "a promiscuous socket sees another socket's request and its reply", msgs)
    s.request(sa_req(DELETE, 0x1100))
    spy.close()
    s.close()


def test_dump(count, rcvbuf):
    s = Sock(rcvbuf=rcvbuf)
    for i in range(count):
        s.send(add_gcm(0x10000 + i))
        s.pending()
    s.pending()
    s.send(msg(DUMP, SATYPE_ESP))
    spis, last_seq, n = set(), None, 0
    while True:
        hdr, exts = s.recv(timeout=30)
        if hdr["type"] != DUMP:
            continue
        n += 1
        spis.add(sa_spi(exts))
        if hdr["seq"] == 0:
            break
    result(n == count and len(spis) == count, f"DUMP of {count} SAs into a {rcvbuf}-byte receive buffer delivers all of them", (n, len(spis)))
    s.request(msg(FLUSH, SATYPE_UNSPEC))
    s.close()


def test_spd():
    s = Sock()
    sel = address(EXT_SRC, "10.1.0.0", 24) + address(EXT_DST, "10.2.0.0", 24)
    req = ipsecrequest(IPPROTO_ESP, IPSEC_MODE_TUNNEL, LEVEL_DEFAULT, tunnel=("192.0.2.1", "192.0.2.2"))
    hdr, exts = s.request(msg(X_SPDADD, SATYPE_UNSPEC, sel + x_policy(POLICY_IPSEC, DIR_OUT, req)))
    pid = struct.unpack_from("=I", exts.get(EXT_X_POLICY, b"\0" * 12), 4)[0]
    result(hdr["errno"] == 0 and pid != 0, f"X_SPDADD of a tunnel policy (id {pid})", hdr)
    # sadb_x_policy body: type u16, dir u8, reserved u8, id u32, priority
    # u32; then the request: len u16, proto u16, mode u8, level u8, ...
    level = exts[EXT_X_POLICY][12 + 5] if EXT_X_POLICY in exts else None
    result(level == LEVEL_DEFAULT, "level default is kept as default (af_key: require)", level)
    check("X_SPDADD of the same selector and direction gives EEXIST",
          lambda: errno_of(X_SPDADD, msg(X_SPDADD, SATYPE_UNSPEC, sel + x_policy(POLICY_IPSEC, DIR_OUT, req)), s) == errno.EEXIST)
    hdr, exts = s.request(msg(X_SPDGET, SATYPE_UNSPEC, x_policy(0, DIR_OUT, policy_id=pid)))
    result(hdr["errno"] == 0 and EXT_SRC in exts, "X_SPDGET by id", hdr)
    s.request(msg(X_SPDADD, SATYPE_UNSPEC, sel + x_policy(POLICY_DISCARD, DIR_IN)))
    s.send(msg(X_SPDDUMP, SATYPE_UNSPEC))
    n = 0
    while True:
        hdr, _ = s.recv()
        if hdr["type"] == X_SPDDUMP:
            n += 1
            if hdr["seq"] == 0:
                break
    result(n == 2, "X_SPDDUMP lists both policies, the last with seq 0", n)
    check("X_SPDDELETE by selector", lambda: errno_of(X_SPDDELETE, msg(X_SPDDELETE, SATYPE_UNSPEC, sel + x_policy(POLICY_IPSEC, DIR_OUT)), s) == 0)
    check("X_SPDDELETE again gives ENOENT", lambda: errno_of(X_SPDDELETE, msg(X_SPDDELETE, SATYPE_UNSPEC, sel + x_policy(POLICY_IPSEC, DIR_OUT)), s) == errno.ENOENT)
    check("X_SPDFLUSH", lambda: errno_of(X_SPDFLUSH, msg(X_SPDFLUSH, SATYPE_UNSPEC), s) == 0)
    check("X_SPDDUMP after flush gives ENOENT", lambda: errno_of(X_SPDDUMP, msg(X_SPDDUMP, SATYPE_UNSPEC), s) == errno.ENOENT)
    s.close()


def test_netns_isolation():
    s = Sock()
    s.request(add_gcm(0x4444))
    code = ("import sys; sys.path.insert(0, %r)\nfrom pfkey import *\ns = Sock()\nh, e = s.request(msg(DUMP, SATYPE_UNSPEC))\nprint(h['errno'])\n"
            % os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run(["unshare", "-n", sys.executable, "-c", code], capture_output=True, text=True)
    result(out.stdout.strip() == str(errno.ENOENT), "another namespace does not see the SA", out.stdout + out.stderr)
    s.request(msg(FLUSH, SATYPE_UNSPEC))
    s.close()


def add_with_lifetimes(spi, soft=None, hard=None):
    exts = b""
    if hard is not None:
        exts += lifetime(EXT_LT_HARD, addtime=hard)
    if soft is not None:
        exts += lifetime(EXT_LT_SOFT, addtime=soft)
    return msg(ADD, SATYPE_ESP, sa(spi, 0, EALG_GCM16) + sa2(IPSEC_MODE_TRANSPORT) + exts
               + address(EXT_SRC, SRC) + address(EXT_DST, DST) + key(EXT_KEY_ENC, GCM_KEY))


def wait_expires(s, seconds):
    """EXPIRE messages seen within `seconds`: list of (spi, 'soft'|'hard', seq)."""
    import time
    out, end = [], time.time() + seconds
    while time.time() < end:
        try:
            hdr, exts = s.recv(timeout=max(0.1, end - time.time()))
        except (TimeoutError, socket.timeout):
            break
        if hdr["type"] == EXPIRE:
            kind = "hard" if EXT_LT_HARD in exts else "soft" if EXT_LT_SOFT in exts else "?"
            out.append((sa_spi(exts), kind, hdr["seq"], EXT_KEY_ENC in exts))
    return out


def test_expire():
    import time
    reg, s = Sock(), Sock()
    reg.request(msg(REGISTER, SATYPE_ESP))
    t0 = time.time()
    for spi, soft, hard in ((0x5001, 2, 4), (0x5002, None, 2), (0x5003, 2, None)):
        hdr, _ = s.request(add_with_lifetimes(spi, soft, hard))
        result(hdr["errno"] == 0, f"ADD SA {spi:#x} with soft={soft} hard={hard} (independent: af_key wants both)", hdr)
    reg.pending()
    seen = wait_expires(reg, 9)
    elapsed = time.time() - t0
    kinds = sorted((spi, kind) for spi, kind, _, _ in seen)
    want = [(0x5001, "hard"), (0x5001, "soft"), (0x5002, "hard"), (0x5003, "soft")]
    result(kinds == want, "time lifetimes send SADB_EXPIRE soft and hard to the registered socket", (seen, elapsed))
    result(all(seq == 0 and not has_key for _, _, seq, has_key in seen), "EXPIRE has seq 0 and no keys", seen)
    check("a hard expiry removes the SA", lambda: errno_of(GET, sa_req(GET, 0x5001), s) == errno.ENOENT)
    hdr, exts = s.request(sa_req(GET, 0x5003))
    state = exts[EXT_SA][5] if EXT_SA in exts else None
    result(hdr["errno"] == 0 and state == 2, "a soft expiry leaves the SA, dying (state 2)", (hdr["errno"], state))
    s.request(msg(FLUSH, SATYPE_UNSPEC))
    reg.close()
    s.close()


def spdexpires(s, seconds):
    """X_SPDEXPIRE messages seen within `seconds`: list of (policy id, 'soft'|'hard', seq, pid, satype)."""
    import time
    out, end = [], time.time() + seconds
    while time.time() < end:
        try:
            hdr, exts = s.recv(timeout=max(0.1, end - time.time()))
        except (TimeoutError, socket.timeout):
            break
        if hdr["type"] == X_SPDEXPIRE:
            kind = "hard" if EXT_LT_HARD in exts else "soft" if EXT_LT_SOFT in exts else "?"
            pid = struct.unpack_from("=I", exts[EXT_X_POLICY], 4)[0] if EXT_X_POLICY in exts else None
            out.append((pid, kind, hdr["seq"], hdr["pid"], hdr["satype"]))
    return out


def test_spdexpire():
    reg, s = Sock(), Sock()
    reg.request(msg(REGISTER, SATYPE_ESP))
    ids = {}
    for octet, soft, hard in ((1, 1, 3), (2, None, 2), (3, 2, None)):
        sel = address(EXT_SRC, f"10.7.{octet}.0", 24) + address(EXT_DST, "10.8.0.0", 24)
        lts = (lifetime(EXT_LT_HARD, addtime=hard) if hard else b"") + (lifetime(EXT_LT_SOFT, addtime=soft) if soft else b"")
        hdr, exts = s.request(msg(X_SPDADD, SATYPE_UNSPEC, sel + lts + x_policy(POLICY_DISCARD, DIR_OUT)))
        pid = struct.unpack_from("=I", exts[EXT_X_POLICY], 4)[0] if EXT_X_POLICY in exts else None
        ids[pid] = octet
        hard_back = struct.unpack_from("=QQ", exts[EXT_LT_HARD], 12)[0] if EXT_LT_HARD in exts else None
        result(hdr["errno"] == 0 and hard_back == (hard or 0),
               f"X_SPDADD with soft={soft} hard={hard} lifetimes; the reply carries them", (hdr, hard_back))
    reg.pending()
    seen = spdexpires(reg, 7)
    kinds = sorted((ids.get(pid), kind) for pid, kind, _, _, _ in seen)
    want = [(1, "hard"), (1, "soft"), (2, "hard"), (3, "soft")]
    result(kinds == want, "policy lifetimes send SADB_X_SPDEXPIRE soft and hard to the registered socket", seen)
    result(all((seq, pid, satype) == (0, 0, 0) for _, _, seq, pid, satype in seen),
           "X_SPDEXPIRE has seq 0, pid 0, satype UNSPEC", seen)
    s.send(msg(X_SPDDUMP, SATYPE_UNSPEC))
    left = []
    while True:
        hdr, exts = s.recv()
        if hdr["type"] != X_SPDDUMP or hdr["errno"]:
            break
        left.append(ids.get(struct.unpack_from("=I", exts[EXT_X_POLICY], 4)[0]))
        if hdr["seq"] == 0:
            break
    result(left == [3], "a hard expiry removes the policy; a soft one leaves it", left)
    check("userspace X_SPDEXPIRE gets EOPNOTSUPP (kernel-originated only)",
          lambda: errno_of(X_SPDEXPIRE, msg(X_SPDEXPIRE, SATYPE_UNSPEC), s) == errno.EOPNOTSUPP)
    s.request(msg(X_SPDFLUSH, SATYPE_UNSPEC))
    reg.close()
    s.close()


def test_replay_esn():
    s = Sock()

    def add(spi, window=None, flags=0, replay=32):
        extra = sa_replay(window) if window is not None else b""
        return msg(ADD, SATYPE_ESP, sa(spi, 0, EALG_GCM16, replay=replay, flags=flags) + sa2(IPSEC_MODE_TRANSPORT)
                   + address(EXT_SRC, SRC) + address(EXT_DST, DST) + key(EXT_KEY_ENC, GCM_KEY) + extra)
    hdr, _ = s.request(add(0x6001, window=4096, flags=SAFLAGS_ESN))
    result(hdr["errno"] == 0, "ADD with a 4096-packet window (SADB_X_EXT_SA_REPLAY) and ESN", hdr)
    hdr, exts = s.request(sa_req(GET, 0x6001))
    replay, flags = (exts[EXT_SA][4], struct.unpack_from("=I", exts[EXT_SA], 8)[0]) if EXT_SA in exts else (None, None)
    window = struct.unpack_from("=I", exts[EXT_X_SA_REPLAY])[0] if EXT_X_SA_REPLAY in exts else None
    result((replay, window, flags & SAFLAGS_ESN) == (255, 4096, SAFLAGS_ESN),
           "GET shows sadb_sa_replay 255, the extension 4096 and the ESN flag", (replay, window, flags))
    check("a 4097-packet window gets EINVAL", lambda: errno_of(ADD, add(0x6002, window=4097), s) == errno.EINVAL)
    check("ESN without a replay window gets EINVAL", lambda: errno_of(ADD, add(0x6003, flags=SAFLAGS_ESN, replay=0), s) == errno.EINVAL)
    hdr, exts = s.request(add(0x6004, replay=64))
    hdr, exts = s.request(sa_req(GET, 0x6004))
    result(exts.get(EXT_SA, b"\0" * 5)[4] == 64, "sadb_sa_replay 64 is kept (af_key clamps to 32)", exts.get(EXT_SA))
    s.request(msg(FLUSH, SATYPE_UNSPEC))
    s.close()


def main():
    print("TAP version 13")
    print("# PF_KEY v2 sockets of rust_ipsec")
    test_socket_creation()
    test_register()
    test_sa_lifecycle()
    test_invalid()
    test_promisc()
    test_spd()
    test_netns_isolation()
    test_expire()
    test_spdexpire()
    test_replay_esn()
    test_dump(int(os.environ.get("DUMP_COUNT", "2000")), 4096)
    print(f"1..{N}")
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
