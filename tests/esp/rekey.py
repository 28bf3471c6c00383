# SPDX-License-Identifier: GPL-2.0
"""Rekeying cases of tests/rekey.sh, run inside its namespaces (E =
10.2.0.1 with rust_ipsec, peer F = 10.2.0.2 with Linux XFRM, which has an
inbound state for every outbound SPI used here):

  choice      outbound SA choice: a newer SA takes the traffic whatever
              its SPI; a dying one (soft lifetime by time, or by bytes)
              gives way to a mature one; an exhausted one (hard byte limit)
              gives way to its successor with no packet lost
  dying-in    an inbound SA past its soft lifetime keeps accepting
              packets until its hard lifetime ends, and not after
  larval      (in a namespace of its own) GETSPI's larval SA has a hard
              lifetime of 30 s and expires with a hard SADB_EXPIRE
  churn SECS  SAs and policies added, deleted and flushed in a loop for
              SECS seconds (while tests/rekey.sh runs traffic); prints
              what it did
  send DST PORT SECS
              UDP to DST:PORT for SECS seconds; prints the datagrams sent

With "--after FILE" first, any of them waits (up to 300 s) until FILE
exists before it begins: tests/rekey.sh starts the next cases' Python
(seconds under TCG) while the case before them still runs.

The per-SA counters are read with SADB_DUMP, the message `setkey -D`
prints. Each case prints "ok <what>" or "fail <why>" lines; exit 1 on any
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
GCM_OUT = bytes(range(20))
GCM_IN = bytes(range(100, 120))
SASTATE_LARVAL, SASTATE_MATURE, SASTATE_DYING, SASTATE_DEAD = 0, 1, 2, 3


def add_gcm(sock, src, dst, spi, hard=None, soft=None, mode=IPSEC_MODE_TRANSPORT, mtype=ADD):
    exts = sa(spi, enc=EALG_GCM16, replay=32) + sa2(mode)
    if hard:
        exts += lifetime(EXT_LT_HARD, **hard)
    if soft:
        exts += lifetime(EXT_LT_SOFT, **soft)
    key_bytes = GCM_OUT if src == E else GCM_IN
    exts += address(EXT_SRC, src) + address(EXT_DST, dst) + key(EXT_KEY_ENC, key_bytes)
    hdr, _ = sock.request(msg(mtype, SATYPE_ESP, exts))
    return hdr["errno"]


def dump(sock):
    """{spi: (state, packets, bytes)} of every SA, from SADB_DUMP."""
    sock.send(msg(DUMP, SATYPE_ESP))
    out = {}
    while True:
        hdr, exts = sock.recv()
        if hdr["type"] != DUMP:
            continue
        if hdr["errno"]:
            return out
        spi, _replay, state = struct.unpack_from("!IBB", exts[EXT_SA])
        packets, nbytes = struct.unpack_from("=IQ", exts[EXT_LT_CUR])
        out[spi] = (state, packets, nbytes)
        if hdr["seq"] == 0:
            return out


def ping(n, dst=F, interval="0.2"):
    """Echo replies received of `n` pings."""
    r = subprocess.run(["ping", "-c", str(n), "-i", interval, "-W", "2", dst],
                       capture_output=True, text=True)
    for line in r.stdout.splitlines():
        if "received" in line:
            return int(line.split(",")[1].split()[0])
    return 0


def wait_expire(reg, spi, kind, timeout, want_exts=False):
    """Seconds until a `kind` ("soft"/"hard") SADB_EXPIRE for `spi` (and
    its extensions, with want_exts), or None."""
    start = time.time()
    end = start + timeout
    while time.time() < end:
        try:
            hdr, exts = reg.recv(timeout=max(0.05, end - time.time()))
        except (socket.timeout, BlockingIOError):
            return None
        if hdr["type"] != EXPIRE or EXT_SA not in exts or sa_spi(exts) != spi:
            continue
        got = "hard" if EXT_LT_HARD in exts else "soft"
        if got == kind:
            return (time.time() - start, exts) if want_exts else time.time() - start
    return None


def moved(label, before, after, want):
    """Checks that of the outbound SAs only `want` (spi -> packets) grew."""
    grew = {spi: after[spi][1] - before.get(spi, (0, 0, 0))[1]
            for spi in after if spi >> 12 == 2 and after[spi][1] != before.get(spi, (0, 0, 0))[1]}
    report(grew == want, "%s: packets per outbound SA %s (want %s)" % (
        label, {hex(k): v for k, v in grew.items()}, {hex(k): v for k, v in want.items()}))


def choice():
    sock = Sock()
    reg = Sock()
    reg.request(msg(REGISTER, SATYPE_ESP))
    sock.request(msg(FLUSH, SATYPE_ESP))
    ok = add_gcm(sock, E, F, 0x2001) == 0 and add_gcm(sock, F, E, 0x3001) == 0
    report(ok, "ADD of the first SA pair")
    before = dump(sock)
    report(ping(3) == 3, "ping through the first SA")
    after = dump(sock)
    moved("first SA", before, after, {0x2001: 3})

    # A newer SA with a higher SPI (the old rule, lowest SPI, kept 0x2001).
    report(add_gcm(sock, E, F, 0x2002) == 0, "ADD of a newer SA 0x2002")
    before = after
    report(ping(3) == 3, "ping after the newer SA")
    after = dump(sock)
    moved("newer SA, higher SPI", before, after, {0x2002: 3})
    # Newest again, with the lowest SPI.
    report(add_gcm(sock, E, F, 0x2000) == 0, "ADD of a newer SA 0x2000")
    before = after
    ping(2)
    after = dump(sock)
    moved("newer SA, lower SPI", before, after, {0x2000: 2})

    # Soft lifetime by time: the newest SA serves until it is dying.
    report(add_gcm(sock, E, F, 0x2003, soft=dict(addtime=4)) == 0,
           "ADD of 0x2003 with a soft lifetime of 4 s")
    before = after
    ping(2)
    after = dump(sock)
    moved("0x2003 while mature", before, after, {0x2003: 2})
    t = wait_expire(reg, 0x2003, "soft", 10)
    report(t is not None, "soft SADB_EXPIRE for 0x2003 (after %s s)" % (t and round(t, 1)))
    before = dump(sock)
    report(before.get(0x2003, (None,))[0] == SASTATE_DYING, "0x2003 is dying (state %s)"
           % (before.get(0x2003, (None,))[0],))
    report(ping(3) == 3, "ping after the soft expiry")
    after = dump(sock)
    moved("after the soft expiry: the newest mature SA", before, after, {0x2000: 3})

    # Soft lifetime by bytes (84-byte pings: reached with the 3rd).
    report(add_gcm(sock, E, F, 0x2004, soft=dict(nbytes=200)) == 0,
           "ADD of 0x2004 with a soft limit of 200 bytes")
    before = after
    report(ping(5) == 5, "5 pings across the soft byte limit")
    after = dump(sock)
    moved("soft byte limit: 3 packets, then the mature SA", before, after, {0x2004: 3, 0x2000: 2})

    # Hard lifetime by bytes: the successor serves, nothing is lost.
    report(add_gcm(sock, E, F, 0x2005, hard=dict(nbytes=200)) == 0,
           "ADD of 0x2005 with a hard limit of 200 bytes")
    before = after
    drops = (stat("DropSaExpired"), stat("DropNoSa"))
    got = ping(6)
    report(got == 6, "6 pings across the hard byte limit: %d replies" % got)
    report((stat("DropSaExpired"), stat("DropNoSa")) == drops,
           "no packet dropped as DropSaExpired or DropNoSa (%s -> %s)"
           % (drops, (stat("DropSaExpired"), stat("DropNoSa"))))
    # PF_KEY removes the exhausted SA at once: its count is in the EXPIRE.
    got = wait_expire(reg, 0x2005, "hard", 5, want_exts=True)
    packets = struct.unpack_from("=I", got[1][EXT_LT_CUR])[0] if got else None
    report(got is not None and packets == 3,
           "hard SADB_EXPIRE for 0x2005 after %s packets" % packets)
    after = dump(sock)
    report(0x2005 not in after, "the exhausted SA is gone")
    moved("hard byte limit: then the mature SA", before, after, {0x2000: 3})


def dying_in():
    sock = Sock()
    reg = Sock()
    reg.request(msg(REGISTER, SATYPE_ESP))
    sock.request(msg(FLUSH, SATYPE_ESP))
    ok = add_gcm(sock, E, F, 0x2001) == 0
    ok = ok and add_gcm(sock, F, E, 0x3001, soft=dict(addtime=2), hard=dict(addtime=10)) == 0
    report(ok, "ADD of an inbound SA with soft 2 s, hard 10 s")
    t = wait_expire(reg, 0x3001, "soft", 10)
    report(t is not None, "soft SADB_EXPIRE for the inbound SA (after %s s)" % (t and round(t, 1)))
    before = dump(sock)
    report(before.get(0x3001, (None,))[0] == SASTATE_DYING, "the inbound SA is dying")
    got = ping(3)
    after = dump(sock)
    n = after.get(0x3001, (0, 0, 0))[1] - before.get(0x3001, (0, 0, 0))[1]
    report(got == 3 and n == 3, "the dying SA accepts inbound packets: %d replies, %d counted" % (got, n))
    t = wait_expire(reg, 0x3001, "hard", 12)
    report(t is not None, "hard SADB_EXPIRE for the inbound SA (%s s later)" % (t and round(t, 1)))
    unknown = stat("DropUnknownSpi")
    got = ping(2, interval="0.3")
    report(got == 0 and stat("DropUnknownSpi") - unknown == 2,
           "after its hard expiry it accepts nothing (%d replies, DropUnknownSpi +%d)"
           % (got, stat("DropUnknownSpi") - unknown))


def larval():
    """In a namespace of its own: GETSPI, then wait for the expiry."""
    sock = Sock()
    reg = Sock()
    reg.request(msg(REGISTER, SATYPE_ESP))
    a, b = "10.9.0.1", "10.9.0.2"
    hdr, exts = sock.request(msg(GETSPI, SATYPE_ESP, sa2(IPSEC_MODE_TRANSPORT) + address(EXT_SRC, a)
                                 + address(EXT_DST, b)))
    start = time.time()
    if hdr["errno"]:
        report(False, "GETSPI: errno %d" % hdr["errno"])
        return
    spi = sa_spi(exts)
    state = struct.unpack_from("!IBB", exts[EXT_SA])[2]
    hard = struct.unpack_from("=IQQQ", exts[EXT_LT_HARD])[2] if EXT_LT_HARD in exts else None
    report(state == SASTATE_LARVAL and hard == 30,
           "GETSPI reserves 0x%x: larval, hard lifetime %s s" % (spi, hard))
    report(spi in dump(sock), "the larval SA is in the SADB")
    time.sleep(25)
    report(spi in dump(sock), "after 25 s it is still there")
    # The expiry work is a jiffies timer: the test kernel's periodic tick
    # loses ticks under TCG when the host is busy, so a 30 s timer was
    # seen to run after 36 to 41 s of wall time. Not before 30 s, though.
    got = wait_expire(reg, spi, "hard", 60, want_exts=True)
    elapsed = time.time() - start
    state = struct.unpack_from("!IBB", got[1][EXT_SA])[2] if got else None
    report(got is not None and 29 <= elapsed and state == SASTATE_DEAD,
           "hard SADB_EXPIRE %.1f s after GETSPI (30 s; later only as the VM's timers lag),"
           " state %s (dead), as af_key's" % (elapsed, state))
    report(spi not in dump(sock), "the larval SA is gone")


def churn(secs):
    """SAs and policies come and go while traffic runs."""
    sock = Sock(rcvbuf=1 << 20)
    counts = dict(adds=0, deletes=0, flushes=0, spdadds=0, spddeletes=0, spdflushes=0, errors=0)
    sel = {9: None, 10: (E, F)}  # UDP port -> tunnel ends (None: transport)

    def req(data, what):
        hdr, _ = sock.request(data)
        counts[what] += 1
        if hdr["errno"]:
            counts["errors"] += 1
            print("# %s: errno %d" % (what, hdr["errno"]), flush=True)

    def policy(mtype, port, direction):
        src, dst = (E, F) if direction == DIR_OUT else (F, E)
        tunnel = sel[port] if direction == DIR_OUT else None
        mode = IPSEC_MODE_TUNNEL if tunnel else IPSEC_MODE_TRANSPORT
        rq = ipsecrequest(IPPROTO_ESP, mode, LEVEL_REQUIRE, tunnel=tunnel)
        return msg(mtype, SATYPE_UNSPEC, address(EXT_SRC, src, proto=17)
                   + address(EXT_DST, dst, proto=17, port=port)
                   + x_policy(POLICY_IPSEC, direction, rq))

    sas = [(E, F, 0x2001, IPSEC_MODE_TRANSPORT), (E, F, 0x2101, IPSEC_MODE_TUNNEL),
           (F, E, 0x3001, IPSEC_MODE_TRANSPORT)]
    pols = [(9, DIR_OUT), (10, DIR_OUT), (9, DIR_IN)]
    end = time.time() + secs
    rounds = 0
    while time.time() < end:
        for src, dst, spi, mode in sas:
            counts["adds"] += 1
            if add_gcm(sock, src, dst, spi, mode=mode):
                counts["errors"] += 1
        for port, d in pols:
            req(policy(X_SPDADD, port, d), "spdadds")
        time.sleep(0.05)
        if rounds % 2 == 0:
            for src, dst, spi, _ in sas:
                req(msg(DELETE, SATYPE_ESP, sa(spi) + address(EXT_SRC, src) + address(EXT_DST, dst)),
                    "deletes")
            for port, d in pols:
                req(policy(X_SPDDELETE, port, d), "spddeletes")
        else:
            req(msg(FLUSH, SATYPE_UNSPEC), "flushes")
            req(msg(X_SPDFLUSH, SATYPE_UNSPEC), "spdflushes")
        sock.pending()
        rounds += 1
    print("rounds=%d %s" % (rounds, " ".join("%s=%d" % kv for kv in counts.items())), flush=True)
    report(counts["errors"] == 0 and rounds > 0, "%d rounds of add/delete/flush, %d errors"
           % (rounds, counts["errors"]))


def send(dst, port, secs):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    end = time.time() + secs
    sent = refused = 0
    while time.time() < end:
        for _ in range(50):
            try:
                s.sendto(b"x" * 64, (dst, port))
                sent += 1
            except OSError:
                refused += 1  # EPERM: the hook dropped it (no SA at that moment)
    print("sent=%d refused=%d" % (sent, refused), flush=True)


def wait_for_file(path, timeout=300):
    end = time.time() + timeout
    while not os.path.exists(path) and time.time() < end:
        time.sleep(0.05)


def main():
    cases = {"choice": choice, "dying-in": dying_in, "larval": larval}
    if sys.argv[1] == "--after":
        wait_for_file(sys.argv[2])
        del sys.argv[1:3]
    try:
        if sys.argv[1] == "churn":
            churn(float(sys.argv[2]))
        elif sys.argv[1] == "send":
            send(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
            return
        else:
            cases[sys.argv[1]]()
    except Exception as e:  # a crash is a failed case, not a silent stop
        import traceback
        traceback.print_exc(file=sys.stdout)
        report(False, "%s raised %r" % (sys.argv[1], e))
    sys.exit(1 if ktaplib.failures else 0)


if __name__ == "__main__":
    main()
