#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""paired.py OUT BASE: per mode and module, the median of the per-round
ratios of its us/packet to BASE's (bench/ab/cost.sh's output)."""
import sys, statistics as st, collections
d = collections.defaultdict(dict)
for line in open(sys.argv[1]):
    p = line.split()
    if len(p) == 6 and p[0].isdigit():
        d[(p[0], p[1])][p[2]] = float(p[3])
base = sys.argv[2]
for mode in ("transport", "tunnel"):
    tags = sorted({t for (r, m), v in d.items() if m == mode for t in v})
    for t in tags:
        rs = [v[t] / v[base] for (r, m), v in sorted(d.items()) if m == mode and t in v and base in v]
        print(f"{mode:9} {t:5} paired ratio to {base}: median {st.median(rs):.3f}  all {' '.join('%.2f' % x for x in rs)}")
