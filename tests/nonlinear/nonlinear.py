#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Packets as NICs deliver them, for tests/nonlinear.sh.

  nonlinear.py bridge TAP-NS TAP IFACE SPLIT-FILE
      Run in the namespace of IFACE. Bridges IFACE (through a packet
      socket) and a tap device TAP created in namespace TAP-NS in
      IFF_NAPI_FRAGS mode: every frame IFACE receives is written to the tap
      with writev(), which tun.c turns into an skb whose linear part is the
      first iovec and whose other iovecs are page fragments, one each
      (tun_napi_alloc_frags). SPLIT-FILE says where to cut, re-read for
      every frame:
          FIRST SIZE...
      FIRST is the linear part: "ip" (Ethernet and the fixed IP header),
      "ip+N" (N bytes more) or a byte count; then the sizes of the page
      fragments, the last one repeated, at most 17 fragments (the rest of
      the frame goes into the last). Frames the tap sends go out of IFACE
      as they are. Prints "ready" once the tap exists; one line per frame
      written to the tap on stderr ("tap <- 34+8+16+16+58").

  nonlinear.py udp-recv ADDR SECONDS PORT...
      Prints "PORT PAYLOAD" for every datagram to ADDR:PORT, for SECONDS
      or until one arrives on the last PORT.
  nonlinear.py udp-send ADDR [dstopts] PORT:PAYLOAD...
      One datagram each, in order; with "dstopts" (IPv6) each carries a
      16-byte Destination Options header before the UDP header.

  nonlinear.py send-file ADDR PORT SIZE
      Sends SIZE random bytes over TCP with sendfile() from a file (page
      cache pages spliced into the socket's skbs); prints their sha256.
  nonlinear.py send-zerocopy ADDR PORT SIZE
      The same with send(MSG_ZEROCOPY) (the skbs point to the sender's
      pages); prints the sha256 and, on stderr, the completions counted."""
import ctypes
import errno
import fcntl
import hashlib
import os
import select
import socket
import struct
import sys
import tempfile
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
IFF_NAPI = 0x0010
IFF_NAPI_FRAGS = 0x0020
CLONE_NEWNET = 0x40000000
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
ETH_HLEN = 14
MAX_FRAGS = 17  # MAX_SKB_FRAGS: tun takes at most that many + 1 iovecs
SO_ZEROCOPY = 60
MSG_ZEROCOPY = 0x4000000
IPV6_DSTOPTS = 59
IP_RECVERR = 11
IPV6_RECVERR = 25


def setns(name):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open("/run/netns/" + name, os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "setns " + name + ": " + os.strerror(e))
    os.close(fd)


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    flags = IFF_TAP | IFF_NO_PI | IFF_NAPI | IFF_NAPI_FRAGS
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", name.encode(), flags))
    return fd


def ip_header_len(frame):
    """Ethernet plus the fixed IP header (IPv4 with its options)."""
    ethertype = struct.unpack_from("!H", frame, 12)[0]
    if ethertype == 0x0800 and len(frame) > ETH_HLEN:
        return ETH_HLEN + (frame[ETH_HLEN] & 0x0F) * 4
    if ethertype == 0x86DD:
        return ETH_HLEN + 40
    return ETH_HLEN


def split(frame, spec):
    """The iovecs of `frame` for the split spec (see the module doc)."""
    words = spec.split() or ["ip"]
    first = words[0]
    if first.startswith("ip"):
        cut = ip_header_len(frame) + (int(first[3:]) if first[2:3] == "+" else 0)
    else:
        cut = int(first)
    cut = max(ETH_HLEN, min(cut, len(frame)))
    sizes = [int(w) for w in words[1:]] or [len(frame)]
    parts, at = [frame[:cut]], cut
    while at < len(frame):
        n = sizes[min(len(parts) - 1, len(sizes) - 1)]
        if len(parts) == MAX_FRAGS:
            n = len(frame) - at
        parts.append(frame[at:at + n])
        at += n
    return parts


def bridge(tap_ns, tap, iface, split_file):
    ps = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    ps.bind((iface, ETH_P_ALL))
    setns(tap_ns)
    fd = open_tap(tap)
    print("ready", flush=True)
    while True:
        ready, _, _ = select.select([ps, fd], [], [])
        if fd in ready:
            ps.send(os.read(fd, 65536))
        if ps in ready:
            frame, addr = ps.recvfrom(65536)
            if addr[2] == PACKET_OUTGOING:
                continue
            try:
                with open(split_file) as f:
                    spec = f.read()
            except OSError:
                spec = ""
            parts = split(frame, spec)
            try:
                os.writev(fd, parts)
            except OSError as e:
                print("tap <- %d bytes: %s" % (len(frame), e), file=sys.stderr, flush=True)
                continue
            print("tap <- " + "+".join(str(len(p)) for p in parts), file=sys.stderr, flush=True)


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def udp_recv(addr, seconds, ports):
    socks = []
    for p in ports:
        s = socket.socket(family(addr), socket.SOCK_DGRAM)
        s.bind((addr, int(p)))
        socks.append(s)
    print("listening", file=sys.stderr, flush=True)
    end = time.time() + float(seconds)
    while (left := end - time.time()) > 0:
        ready, _, _ = select.select(socks, [], [], left)
        for s in ready:
            data = s.recv(65536)
            print(s.getsockname()[1], data.decode(errors="replace"), flush=True)
            if s is socks[-1]:
                return


def udp_send(addr, datagrams):
    s = socket.socket(family(addr), socket.SOCK_DGRAM)
    if datagrams and datagrams[0] == "dstopts":
        datagrams = datagrams[1:]
        # Next header (filled in by the kernel), length 1 (16 bytes), one
        # option of 12 bytes: type 0x1e (RFC 4727's experiment), whose
        # top bits say "skip if unknown" (PadN may not exceed 7 bytes).
        hdr = bytes([0, 1, 0x1E, 12]) + bytes(range(12))
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_DSTOPTS, hdr)
    for d in datagrams:
        port, payload = d.split(":", 1)
        s.sendto(payload.encode(), (addr, int(port)))


def connect(addr, port):
    end = time.time() + 20
    while True:
        s = socket.socket(family(addr), socket.SOCK_STREAM)
        s.settimeout(30)
        try:
            s.connect((addr, int(port)))
            return s
        except OSError:
            s.close()
            if time.time() > end:
                raise
            time.sleep(0.5)


def send_file(addr, port, size):
    data = os.urandom(size)
    with tempfile.TemporaryFile() as f:
        f.write(data)
        f.flush()
        s = connect(addr, port)
        s.settimeout(None)  # os.sendfile() needs a blocking socket
        off = 0
        while off < size:
            off += os.sendfile(s.fileno(), f.fileno(), off, size - off)
        s.close()
    print(hashlib.sha256(data).hexdigest(), size)


def drain_completions(s):
    """Zerocopy completions read from the error queue: how many sends."""
    n = 0
    while True:
        try:
            _, anc, _, _ = s.recvmsg(0, 256, socket.MSG_ERRQUEUE | socket.MSG_DONTWAIT)
        except BlockingIOError:
            return n
        for level, typ, cdata in anc:
            if (level, typ) in ((socket.SOL_IP, IP_RECVERR), (socket.IPPROTO_IPV6, IPV6_RECVERR)):
                # struct sock_extended_err: errno, origin, type, code, pad,
                # info (first id), data (last id).
                _, origin, _, _, _, lo, hi = struct.unpack_from("=IBBBBII", cdata)
                if origin == 5:  # SO_EE_ORIGIN_ZEROCOPY
                    n += hi - lo + 1


def send_zerocopy(addr, port, size):
    data = os.urandom(size)
    s = connect(addr, port)
    # Blocking (no timeout): MSG_DONTWAIT then reports an empty error
    # queue as BlockingIOError.
    s.settimeout(None)
    s.setsockopt(socket.SOL_SOCKET, SO_ZEROCOPY, 1)
    view, off, sends, done = memoryview(data), 0, 0, 0
    while off < size:
        try:
            off += s.send(view[off:off + 16384], MSG_ZEROCOPY)
            sends += 1
        except OSError as e:
            if e.errno != errno.ENOBUFS:
                raise
            # Too many sends in flight (optmem): wait for completions.
            time.sleep(0.05)
        done += drain_completions(s)
    s.shutdown(socket.SHUT_WR)
    end = time.time() + 10
    while done < sends and time.time() < end:
        time.sleep(0.1)
        done += drain_completions(s)
    s.close()
    print(hashlib.sha256(data).hexdigest(), size)
    print("zerocopy sends %d, completed %d" % (sends, done), file=sys.stderr)
    if done < sends:
        sys.exit("zerocopy: %d sends never completed" % (sends - done))


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "bridge":
        bridge(*args)
    elif cmd == "udp-recv":
        udp_recv(args[0], args[1], args[2:])
    elif cmd == "udp-send":
        udp_send(args[0], args[1:])
    elif cmd == "send-file":
        send_file(args[0], args[1], int(args[2]))
    elif cmd == "send-zerocopy":
        send_zerocopy(args[0], args[1], int(args[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
