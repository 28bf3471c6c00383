#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compares `setkey -D` and `setkey -DP` output taken against Linux's af_key
and against rust_ipsec after applying the same file (tests/setkey.sh).

Entries are compared as sets (af_key lists SAs newest first, rust_ipsec by
(SA type, destination, SPI): a documented difference). What depends on
when or in which order things happened is normalised: dates, ages,
sadb_seq, pid, refcnt, spid. Everything else must be equal.

Usage: compare.py D.afkey D.rust DP.afkey DP.rust
"""

import re
import sys

NORMALISE = [
    # created:/current:/last:/lastused: dates (Nov 28 17:25:25 2026).
    (re.compile(r"[A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d \d{4}"), "<date>"),
    # Ages in seconds on the diff: line.
    (re.compile(r"diff: \d+\(s\)"), "diff: N(s)"),
    (re.compile(r"sadb_seq=\d+ pid=\d+ refcnt=\d+"), "sadb_seq=N pid=N refcnt=N"),
    (re.compile(r"spid=\d+ seq=\d+ pid=\d+"), "spid=N seq=N pid=N"),
    (re.compile(r"refcnt=\d+"), "refcnt=N"),
]


# Documented differences (Documentation/pfkey.rst), applied to
# rust_ipsec's output only: what af_key would print instead.
INTENDED = [
    # sadb_sa_flags are kept as given; af_key keeps only NOECN, DECAP_DSCP
    # and NOPMTUDISC, so setkey's default SADB_X_EXT_CYCSEQ (0x40) reads 0.
    (re.compile(r"flags=0x00000040"), "flags=0x00000000"),
]


def entries(path, intended=()):
    """The entries of a dump: each starts at an unindented line."""
    blocks, cur = [], []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            for rx, repl in list(NORMALISE) + list(intended):
                line = rx.sub(repl, line)
            if line and not line[0].isspace() and cur:
                blocks.append("\n".join(cur))
                cur = []
            cur.append(line)
    if cur:
        blocks.append("\n".join(cur))
    return sorted(blocks)


def compare(what, a_path, b_path):
    a, b = entries(a_path), entries(b_path, INTENDED)
    if a == b:
        print(f"# {what}: {len(a)} entries agree")
        return True
    print(f"# {what}: af_key has {len(a)} entries, rust_ipsec {len(b)}")
    for e in a:
        if e not in b:
            print("# only af_key:\n#   " + e.replace("\n", "\n#   "))
    for e in b:
        if e not in a:
            print("# only rust_ipsec:\n#   " + e.replace("\n", "\n#   "))
    return False


def main():
    if len(sys.argv) != 5:
        print(__doc__)
        return 2
    ok = compare("setkey -D", sys.argv[1], sys.argv[2])
    ok = compare("setkey -DP", sys.argv[3], sys.argv[4]) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
