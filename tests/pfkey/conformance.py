#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Differential PF_KEY conformance: the same scenarios against Linux's
af_key and against rust_ipsec, replies compared field by field.

  conformance.py record FILE   run every scenario on the PF_KEY now loaded,
                               write the normalised replies to FILE (JSON)
  conformance.py compare A B   compare af_key's (A) and rust_ipsec's (B)
                               results: KTAP, one case per scenario

INTENDED lists every scenario where the two differ on purpose (see
Documentation/pfkey.rst); `compare` fails if a listed scenario does not
differ, or one not listed does."""

import errno
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pfkey import *  # noqa: E402,F403

SRC, DST = "192.0.2.1", "192.0.2.2"
CBC_KEY, SHA1_KEY = bytes(range(16)), bytes(range(20))
GCM_KEY = bytes(range(20))

# scenario -> why the replies differ on purpose
INTENDED = {
    "add_cbc_sha1": "the ADD broadcast carries no keys (RFC 2367); af_key sends them",
    "add_both_lifetimes": "the ADD broadcast carries no keys (RFC 2367); af_key sends them",
    "delete": "the DELETE broadcast carries no keys (RFC 2367); af_key sends them",
    "get_missing": "a missing SA answers ENOENT; af_key answers ESRCH",
    "delete_missing": "a missing SA answers ENOENT; af_key answers ESRCH",
    "add_gcm": "AEAD over PF_KEY; af_key answers ENOSYS",
    "add_hard_only": "HARD and SOFT lifetimes are independent; af_key wants both",
    "spdadd_default_level": "level default is kept; af_key stores require",
    "register_esp": "SUPPORTED lists the AEAD algorithms and ChaCha20-Poly1305 too",
    "migrate": "MIGRATE answers EOPNOTSUPP; af_key (without MIGRATE support) ENOPROTOOPT",
    "get_replay_64": "a replay window of 64 packets is kept; af_key clamps it to 32",
    "update_larval": "the UPDATE broadcast carries no keys (RFC 2367); af_key sends them",
    "update_missing": "a missing SA answers ENOENT; af_key answers ESRCH",
    "register_ah": "REGISTER for AH lists authentication algorithms only (AES-CMAC among them); "
                   "af_key adds its encryption list",
    "add_ah": "the ADD broadcast carries no keys (RFC 2367); af_key sends them",
}


# Differences removed before comparing, each checked to occur at least once.
NORMALISED = {
    "proxy_artifact": "af_key adds an ADDRESS_PROXY of 0.0.0.0/0 (its empty selector) to every "
                      "SA it reports; rust_ipsec reports ADDRESS_PROXY only when one was given",
}
SEEN_NORMALISED = set()


def sig(hdr, exts):
    """What is compared of a reply: header fields and each extension."""
    proxy = exts.get(EXT_ADDR_PROXY)
    if proxy is not None and proxy[4:] == sockaddr("0.0.0.0") and proxy[1] == 0:
        del exts[EXT_ADDR_PROXY]
        SEEN_NORMALISED.add("proxy_artifact")
    out = {"type": hdr["type"], "errno": hdr["errno"], "satype": hdr["satype"],
           "seq": hdr["seq"], "exts": sorted(exts)}
    if EXT_SA in exts:
        spi, replay, state, auth, enc, flags = struct.unpack("!IBBBBI", exts[EXT_SA][:12])
        out["sa"] = [spi, replay, state, auth, enc]
    for e in (EXT_SRC, EXT_DST):
        if e in exts:
            out[f"addr{e}"] = exts[e].hex()
    for e in (EXT_KEY_AUTH, EXT_KEY_ENC):
        if e in exts:
            out[f"key{e}"] = exts[e].hex()
    if EXT_X_POLICY in exts:
        body = exts[EXT_X_POLICY]
        ptype, pdir = struct.unpack_from("=HB", body)
        reqs = []
        off = 12
        while off + 16 <= len(body):
            rlen, proto, mode, level = struct.unpack_from("=HHBB", body, off)
            reqs.append([proto, mode, level])
            off += max(rlen, 16)
        out["policy"] = [ptype, pdir, reqs]
    if EXT_SUPP_ENC in exts:
        enc = exts[EXT_SUPP_ENC][4:]
        out["enc_algs"] = sorted(enc[i] for i in range(0, len(enc), 8))
    if EXT_SUPP_AUTH in exts:
        auth = exts[EXT_SUPP_AUTH][4:]
        out["auth_algs"] = sorted(auth[i] for i in range(0, len(auth), 8))
    return out


def esp_sa(mtype, spi, exts=b""):
    return msg(mtype, SATYPE_ESP, sa(spi, AALG_SHA1HMAC, EALG_AESCBC, replay=32) + sa2(IPSEC_MODE_TRANSPORT)
               + exts + address(EXT_SRC, SRC) + address(EXT_DST, DST)
               + key(EXT_KEY_AUTH, SHA1_KEY) + key(EXT_KEY_ENC, CBC_KEY), seq=spi)


def sa_id(mtype, spi):
    return msg(mtype, SATYPE_ESP, sa(spi) + address(EXT_SRC, SRC) + address(EXT_DST, DST), seq=spi)


def policy(mtype, level, direction=DIR_OUT, ptype=POLICY_IPSEC):
    req = ipsecrequest(IPPROTO_ESP, IPSEC_MODE_TRANSPORT, level) if ptype == POLICY_IPSEC else b""
    return msg(mtype, SATYPE_UNSPEC, address(EXT_SRC, "10.1.0.0", 24) + address(EXT_DST, "10.2.0.0", 24)
               + x_policy(ptype, direction, req), seq=7)


def request(s, data):
    try:
        hdr, exts = s.request(data)
        return sig(hdr, exts)
    except OSError as e:
        return {"sendmsg_errno": e.errno}


def dump_sig(s, mtype):
    s.send(msg(mtype, SATYPE_UNSPEC))
    n, last = 0, None
    while True:
        hdr, exts = s.recv()
        if hdr["type"] != mtype:
            continue
        if hdr["errno"]:
            return {"errno": hdr["errno"]}
        n += 1
        if hdr["seq"] == 0:
            last = sig(hdr, exts)
            break
    last.pop("seq")
    return {"count": n, "last": last}


def scenarios(s):
    """(name, result) for every scenario, in order."""
    r = []
    s.request(msg(FLUSH, SATYPE_UNSPEC))
    s.request(msg(X_SPDFLUSH, SATYPE_UNSPEC))
    r.append(("register_esp", request(s, msg(REGISTER, SATYPE_ESP))))
    r.append(("register_again", request(s, msg(REGISTER, SATYPE_ESP))))
    r.append(("add_cbc_sha1", request(s, esp_sa(ADD, 0x1000))))
    r.append(("add_duplicate", request(s, esp_sa(ADD, 0x1000))))
    r.append(("get", request(s, sa_id(GET, 0x1000))))
    r.append(("dump_one", dump_sig(s, DUMP)))
    r.append(("delete", request(s, sa_id(DELETE, 0x1000))))
    r.append(("get_missing", request(s, sa_id(GET, 0x1000))))
    r.append(("delete_missing", request(s, sa_id(DELETE, 0x1000))))
    r.append(("dump_empty", request(s, msg(DUMP, SATYPE_UNSPEC))))
    r.append(("add_gcm", request(s, msg(ADD, SATYPE_ESP, sa(0x2000, 0, EALG_GCM16) + address(EXT_SRC, SRC)
                                          + address(EXT_DST, DST) + key(EXT_KEY_ENC, GCM_KEY), seq=3))))
    r.append(("add_hard_only", request(s, esp_sa(ADD, 0x3000, lifetime(EXT_LT_HARD, addtime=100)))))
    r.append(("add_both_lifetimes", request(s, esp_sa(ADD, 0x3001, lifetime(EXT_LT_HARD, addtime=100)
                                                         + lifetime(EXT_LT_SOFT, addtime=50)))))
    s.request(msg(ADD, SATYPE_ESP, sa(0x3002, AALG_SHA1HMAC, EALG_AESCBC, replay=64) + sa2(IPSEC_MODE_TRANSPORT)
                  + address(EXT_SRC, SRC) + address(EXT_DST, DST) + key(EXT_KEY_AUTH, SHA1_KEY)
                  + key(EXT_KEY_ENC, CBC_KEY), seq=5))
    r.append(("get_replay_64", request(s, sa_id(GET, 0x3002))))
    r.append(("flush", request(s, msg(FLUSH, SATYPE_UNSPEC))))
    r.append(("bad_version", request(s, msg(ADD, SATYPE_ESP, version=1))))
    bad = esp_sa(ADD, 0x4000) + sa(0x4000)
    bad = bad[:4] + struct.pack("=H", len(bad) // 8) + bad[6:]
    r.append(("duplicate_extension", request(s, bad)))
    r.append(("spdadd_require", request(s, policy(X_SPDADD, LEVEL_REQUIRE))))
    r.append(("spdadd_exists", request(s, policy(X_SPDADD, LEVEL_REQUIRE))))
    r.append(("spdadd_default_level", request(s, policy(X_SPDADD, LEVEL_DEFAULT, direction=DIR_IN))))
    r.append(("spdadd_discard_fwd", request(s, policy(X_SPDADD, 0, direction=DIR_FWD, ptype=POLICY_DISCARD))))
    r.append(("spddump", dump_sig(s, X_SPDDUMP)))
    r.append(("spddelete", request(s, policy(X_SPDDELETE, LEVEL_REQUIRE))))
    r.append(("spddelete_missing", request(s, policy(X_SPDDELETE, LEVEL_REQUIRE))))
    r.append(("spdflush", request(s, msg(X_SPDFLUSH, SATYPE_UNSPEC))))
    r.append(("spddump_empty", request(s, msg(X_SPDDUMP, SATYPE_UNSPEC))))
    r.append(("migrate", request(s, msg(X_MIGRATE, SATYPE_ESP))))
    # GETSPI in a one-SPI range, then UPDATE of the larval SA.
    r.append(("getspi_range", request(s, getspi(0x5000))))
    r.append(("update_larval", request(s, esp_sa(UPDATE, 0x5000))))
    r.append(("get_updated", request(s, sa_id(GET, 0x5000))))
    r.append(("update_missing", request(s, esp_sa(UPDATE, 0x5001))))
    # AH: REGISTER, ADD, FLUSH of one SA type.
    r.append(("register_ah", request(s, msg(REGISTER, SATYPE_AH))))
    r.append(("add_ah", request(s, msg(ADD, SATYPE_AH, sa(0x6000, AALG_SHA1HMAC, 0, replay=32) + sa2(IPSEC_MODE_TRANSPORT)
                                         + address(EXT_SRC, SRC) + address(EXT_DST, DST)
                                         + key(EXT_KEY_AUTH, SHA1_KEY), seq=9))))
    r.append(("flush_ah", request(s, msg(FLUSH, SATYPE_AH))))
    r.append(("dump_after_flush_ah", dump_sig(s, DUMP)))
    r.append(("flush_all", request(s, msg(FLUSH, SATYPE_UNSPEC))))
    # X_SPDUPDATE of an existing and of a new selector.
    s.request(policy(X_SPDADD, LEVEL_REQUIRE))
    r.append(("spdupdate_existing", request(s, policy(X_SPDUPDATE, LEVEL_USE))))
    r.append(("spdupdate_new", request(s, policy(X_SPDUPDATE, LEVEL_REQUIRE, direction=DIR_IN))))
    r.append(("spddump_after_update", dump_sig(s, X_SPDDUMP)))
    s.request(msg(X_SPDFLUSH, SATYPE_UNSPEC))
    # X_PROMISC on and off: the reply echoes the request.
    r.append(("promisc_on", request(s, msg(X_PROMISC, 1, seq=11))))
    r.append(("promisc_off", request(s, msg(X_PROMISC, 0, seq=12))))
    return r


def getspi(spi):
    """GETSPI for exactly `spi` (SPIRANGE min = max)."""
    spirange = ext(EXT_SPIRANGE, struct.pack("=III", spi, spi, 0))
    return msg(GETSPI, SATYPE_ESP, sa2(IPSEC_MODE_TRANSPORT) + address(EXT_SRC, SRC) + address(EXT_DST, DST)
               + spirange, seq=spi)


def record(path):
    s = Sock()
    res = scenarios(s)
    res.append(("normalised", sorted(SEEN_NORMALISED)))
    s.request(msg(FLUSH, SATYPE_UNSPEC))
    s.request(msg(X_SPDFLUSH, SATYPE_UNSPEC))
    with open(path, "w") as f:
        json.dump(res, f, indent=1)


def compare(a_path, b_path):
    a, b = json.load(open(a_path)), json.load(open(b_path))
    print("TAP version 13")
    print("# PF_KEY replies: Linux af_key vs rust_ipsec")
    n = fails = 0
    differing = set()
    normalised_a = dict(a).get("normalised", [])
    a = [x for x in a if x[0] != "normalised"]
    b = [x for x in b if x[0] != "normalised"]
    for (name, ra), (name_b, rb) in zip(a, b):
        assert name == name_b
        n += 1
        same = ra == rb
        if not same:
            differing.add(name)
        if same == (name not in INTENDED):
            why = "same" if same else f"differs as intended: {INTENDED[name]}"
            print(f"ok {n} {name}: {why}")
        else:
            fails += 1
            what = "differs, which is not listed as intended" if not same else "is listed as a difference but does not differ"
            print(f"not ok {n} {name}: {what}")
            print(f"# af_key:     {json.dumps(ra)}")
            print(f"# rust_ipsec: {json.dumps(rb)}")
        sys.stdout.flush()
    n += 1
    if differing == set(INTENDED):
        print(f"ok {n} the differences are exactly the {len(INTENDED)} documented ones")
    else:
        fails += 1
        print(f"not ok {n} the differences are exactly the documented ones: {sorted(differing ^ set(INTENDED))}")
    for key, why in NORMALISED.items():
        n += 1
        if key in normalised_a:
            print(f"ok {n} normalised difference seen: {why}")
        else:
            fails += 1
            print(f"not ok {n} normalised difference {key} did not occur: drop it from NORMALISED")
    print(f"1..{n}")
    return 1 if fails else 0


if __name__ == "__main__":
    if sys.argv[1] == "record":
        record(sys.argv[2])
    else:
        sys.exit(compare(sys.argv[2], sys.argv[3]))
