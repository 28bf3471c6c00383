# SPDX-License-Identifier: GPL-2.0
"""ESP events the datapath reports through PF_KEY, run inside the
rust_ipsec namespace of tests/esp_events.sh (E = 10.2.0.1, peer F =
10.2.0.2 with Linux XFRM):

  acquire     a require policy without an SA sends one SADB_ACQUIRE to a
              registered socket, rate-limited; a daemon's failure report
              is accepted; the SAs the daemon then adds carry traffic
  lifetime    packet and byte limits: LIFETIME_CURRENT counts packets and
              bytes; soft then hard SADB_EXPIRE at the limits; the SA is
              gone after the hard one and no more ESP leaves with it
  replay      (run in F) captures one ESP packet F sends and sends it
              again: rust_ipsec must count it as a replay

Each subcommand prints "ok <what>" or "fail <why>" lines; exit 1 on any
failure."""

import errno
import os
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "pfkey"))
from pfkey import *  # noqa: E402,F401,F403
import ktaplib  # noqa: E402 (this directory: tests/esp/ktaplib.py)
from ktaplib import report, stat  # noqa: E402

E, F = "10.2.0.1", "10.2.0.2"


def udp(n, port=9):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(n):
        try:
            s.sendto(b"x" * 32, (F, port))
        except OSError:
            pass  # EPERM: the hook dropped it
    s.close()


def wait_for(sock, mtype, timeout):
    """The first message of type mtype within timeout, or None."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            hdr, exts = sock.recv(timeout=max(0.05, end - time.time()))
        except (socket.timeout, BlockingIOError):
            return None
        if hdr["type"] == mtype:
            return hdr, exts
    return None


def addr_of(body):
    """(address, prefixlen, proto) of an ADDRESS extension body."""
    proto, prefix = struct.unpack_from("=BB", body)
    family = struct.unpack_from("=H", body, 4)[0]
    if family == socket.AF_INET:
        return socket.inet_ntoa(body[8:12]), prefix, proto
    return socket.inet_ntop(socket.AF_INET6, body[12:28]), prefix, proto


GCM_OUT = bytes(range(20))
GCM_IN = bytes(range(100, 120))


def add_gcm(sock, src, dst, spi, hard=None, soft=None, seq=0):
    exts = sa(spi, enc=EALG_GCM16, replay=32) + sa2(IPSEC_MODE_TRANSPORT)
    if hard:
        exts += lifetime(EXT_LT_HARD, **hard)
    if soft:
        exts += lifetime(EXT_LT_SOFT, **soft)
    key_bytes = GCM_OUT if src == E else GCM_IN
    exts += address(EXT_SRC, src) + address(EXT_DST, dst) + key(EXT_KEY_ENC, key_bytes)
    return sock.request(msg(ADD, SATYPE_ESP, exts, seq=seq))


def acquire():
    reg = Sock()
    hdr, _ = reg.request(msg(REGISTER, SATYPE_ESP))
    report(hdr["errno"] == 0, "REGISTER ESP")
    other = Sock()  # not registered: must not get the ACQUIRE
    promisc = Sock()
    promisc.request(msg(X_PROMISC, 1))
    promisc.pending()
    udp(1)
    got = wait_for(reg, ACQUIRE, 5)
    report(got is not None, "a packet a require policy holds back sends SADB_ACQUIRE")
    if got is None:
        return
    hdr, exts = got
    report(hdr["satype"] == SATYPE_ESP and hdr["seq"] != 0 and hdr["pid"] == 0 and hdr["errno"] == 0,
           "ACQUIRE header: satype ESP, seq %d, pid 0" % hdr["seq"])
    src, dst = addr_of(exts.get(EXT_SRC, b"\0" * 16)), addr_of(exts.get(EXT_DST, b"\0" * 16))
    report(src == (E, 32, 0) and dst == (F, 32, 0), "ACQUIRE addresses %s -> %s" % (src, dst))
    pol = exts.get(EXT_X_POLICY, b"")
    if len(pol) >= 12:
        ptype, pdir, _, pid_, _prio = struct.unpack_from("=HBBII", pol)
    else:
        ptype = pdir = pid_ = None
    report(ptype == POLICY_IPSEC and pdir == DIR_OUT and pid_,
           "ACQUIRE X_POLICY: ipsec, out, policy id %s" % pid_)
    prop = exts.get(13, b"")
    combs = (len(prop) - 4) // 72 if prop else 0
    encs = {prop[4 + 72 * i + 1] for i in range(combs)}
    report(combs > 10 and EALG_GCM16 in encs and EALG_AESCBC in encs,
           "ACQUIRE PROPOSAL: %d combinations, AES-GCM and AES-CBC among them" % combs)
    report(not [m for m in other.pending() if m[0]["type"] == ACQUIRE],
           "an unregistered socket does not get the ACQUIRE")
    report([m for m in promisc.pending() if m[0]["type"] == ACQUIRE and m[0]["seq"] == hdr["seq"]],
           "a promiscuous socket gets a copy of the ACQUIRE")
    report(stat("Acquiring") == 1, "rust_ipsec_stat shows Acquiring 1 (%s)" % stat("Acquiring"))
    # Rate limit: more packets for the same SA, no second ACQUIRE.
    udp(20)
    again = wait_for(reg, ACQUIRE, 2)
    report(again is None, "20 more packets within the block time send no second ACQUIRE")
    # The daemon reports failure: accepted silently.
    reg.send(msg(ACQUIRE, SATYPE_ESP, seq=hdr["seq"], errno_=22))
    time.sleep(0.3)
    errs = [m for m in reg.pending() if m[0]["errno"]]
    report(not errs, "a daemon's ACQUIRE with an errno is accepted without an error reply")
    # The daemon adds the SAs: traffic flows, the acquisition is satisfied.
    a, _ = add_gcm(reg, E, F, 0x1001, seq=hdr["seq"])
    b, _ = add_gcm(reg, F, E, 0x1002)
    report(a["errno"] == 0 and b["errno"] == 0, "the daemon's ADDs succeed")
    report(stat("Acquiring") == 0, "the ADD satisfies the acquisition (Acquiring %s)" % stat("Acquiring"))
    ping = subprocess.run(["ping", "-c", "2", "-i", "0.2", "-W", "2", F], capture_output=True)
    report(ping.returncode == 0, "with the acquired SAs, ping works")


def sa_current(sock, spi, dst):
    hdr, exts = sock.request(msg(GET, SATYPE_ESP, sa(spi) + address(EXT_SRC, E) + address(EXT_DST, dst)))
    if hdr["errno"]:
        return hdr["errno"], None
    allocations, nbytes, addtime, usetime = struct.unpack_from("=IQQQ", exts[EXT_LT_CUR])
    return 0, (allocations, nbytes, addtime, usetime)


def lifetime_case(label, hard, soft, pings, expect_out):
    sock = Sock()
    sock.request(msg(FLUSH, SATYPE_ESP))
    reg = Sock()
    reg.request(msg(REGISTER, SATYPE_ESP))
    reg.pending()
    a, _ = add_gcm(sock, E, F, 0x1001, hard=hard, soft=soft)
    add_gcm(sock, F, E, 0x1002)
    report(a["errno"] == 0, "%s: ADD with soft %s, hard %s" % (label, soft, hard))
    before = stat("EspOutPackets")
    for _ in range(pings):
        subprocess.run(["ping", "-c", "1", "-W", "1", F], capture_output=True)
    sent = stat("EspOutPackets") - before
    report(sent == expect_out, "%s: %d pings, %d left as ESP (want %d)" % (label, pings, sent, expect_out))
    kinds = []
    end = time.time() + 5
    while len(kinds) < 2 and time.time() < end:
        got = wait_for(reg, EXPIRE, end - time.time())
        if got is None:
            break
        hdr, exts = got
        if EXT_SA in exts and sa_spi(exts) == 0x1001:
            which = "hard" if EXT_LT_HARD in exts else "soft" if EXT_LT_SOFT in exts else "?"
            cur = struct.unpack_from("=IQQQ", exts[EXT_LT_CUR])[:2] if EXT_LT_CUR in exts else None
            kinds.append((which, cur))
    report([k for k, _ in kinds] == ["soft", "hard"],
           "%s: SADB_EXPIRE soft, then hard, with CURRENT %s" % (label, [c for _, c in kinds]))
    err, _ = sa_current(sock, 0x1001, F)
    report(err == errno.ENOENT, "%s: after the hard EXPIRE the SA is gone (GET: errno %d)" % (label, err))


def lifetimes():
    sock = Sock()
    sock.request(msg(FLUSH, SATYPE_ESP))
    add_gcm(sock, E, F, 0x1001)
    add_gcm(sock, F, E, 0x1002)
    subprocess.run(["ping", "-c", "3", "-i", "0.2", "-W", "1", F], capture_output=True)
    err, cur = sa_current(sock, 0x1001, F)
    report(err == 0 and cur[0] == 3 and cur[1] == 3 * 84 and cur[3] > 0,
           "GET shows the datapath's CURRENT: 3 packets, 252 bytes, a first-use time (%s)" % (cur,))
    err, cur = sa_current(sock, 0x1002, E)
    report(err == 0 and cur[0] == 3, "and the inbound SA counted the 3 replies (%s)" % (cur,))
    lifetime_case("packets", dict(allocations=5), dict(allocations=3), 8, 5)
    # 84-byte ICMP packets: soft at 3 (252 >= 250), hard at 4 (336 >= 300).
    lifetime_case("bytes", dict(nbytes=300), dict(nbytes=250), 8, 4)


def replay():
    """In F: capture one outgoing ESP frame on veth2, send it twice more."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.bind(("veth2", 0))
    s.settimeout(0.5)
    pinger = subprocess.Popen(["ping", "-c", "3", "-i", "0.3", "-W", "1", E], stdout=subprocess.DEVNULL)
    frame = None
    end = time.time() + 5
    while frame is None and time.time() < end:
        try:
            data, addr = s.recvfrom(65536)
        except socket.timeout:
            continue
        # Outgoing IPv4 ESP: ethertype 0x0800, protocol 50.
        if addr[2] == socket.PACKET_OUTGOING and data[12:14] == b"\x08\x00" and data[23] == 50:
            frame = data
    pinger.wait()
    report(frame is not None, "captured an ESP frame F sent (spi 0x%s)" % (frame[34:38].hex() if frame else "?"))
    if frame:
        time.sleep(0.5)
        s.send(frame)
        s.send(frame)
    s.close()


def main():
    try:
        {"acquire": acquire, "lifetime": lifetimes, "replay": replay}[sys.argv[1]]()
    except Exception as e:  # a crash is a failed case, not a silent stop
        import traceback
        traceback.print_exc(file=sys.stdout)
        report(False, "%s raised %r" % (sys.argv[1], e))
    sys.exit(1 if ktaplib.failures else 0)


if __name__ == "__main__":
    main()
