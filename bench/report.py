#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Turns the raw data of a bench/guest.sh run into results.

  report.py RAW-DIR OUT-DIR

writes OUT-DIR/results.json (every sample, medians, ratios), results.md
(the tables) and, when matplotlib is there (Debian's python3-matplotlib),
throughput.png and lookup-scaling.png."""

import json
import os
import statistics
import sys

STACKS = ["plain", "xfrm", "rust"]
STACK_NAME = {"plain": "plaintext", "xfrm": "Linux XFRM", "rust": "rust_ipsec"}
ROW_NAME = {
    "gcm128-transport": "AES-GCM-128 transport",
    "gcm256-tunnel": "AES-GCM-256 tunnel",
    "cbc-sha256-transport": "AES-CBC + HMAC-SHA-256 transport",
    "chacha20-poly1305-transport": "ChaCha20-Poly1305 transport",
    "ah-sha256-transport": "AH HMAC-SHA-256 transport",
}
# metric: (label, unit, higher is better)
METRICS = {
    "tcp": ("TCP throughput", "Mbit/s", True),
    "udp64": ("UDP 64 B", "packets/s", True),
    "udp1400": ("UDP 1400 B", "packets/s", True),
    "rr": ("TCP request/response latency", "us", False),
}


def load(raw):
    recs = []
    with open(os.path.join(raw, "records.jsonl")) as f:
        for line in f:
            line = line.strip()
            if line:
                recs.append(json.loads(line))
    host = {}
    try:
        with open(os.path.join(raw, "host.json")) as f:
            for line in f:
                if line.strip():
                    host.update(json.loads(line))
    except FileNotFoundError:
        pass
    return recs, host


def iperf_end(raw, rec):
    """The "end" object of a successful iperf3 run's JSON, or None."""
    if rec.get("rc") != 0 or not rec.get("file"):
        return None
    try:
        with open(os.path.join(raw, rec["file"])) as f:
            text = f.read()
        return json.loads(text[text.index("{"):])["end"]
    except (OSError, ValueError, KeyError):
        return None


def udp_sent(raw, rec):
    """(packets sent, packets lost) of an iperf3 UDP run, or None."""
    e = iperf_end(raw, rec)
    s = e and e.get("sum_sent", e.get("sum"))
    if not s or "packets" not in s:
        return None
    return s["packets"], e.get("sum_received", s).get("lost_packets", 0)


def iperf(raw, rec):
    """(value, bytes) of an iperf3 run, or None."""
    e = iperf_end(raw, rec)
    r = e and e.get("sum_received")
    if not r:
        return None
    if rec["metric"] == "tcp":
        return r["bits_per_second"] / 1e6, r["bytes"]
    size = 64 if rec["metric"] == "udp64" else 1400
    if r["seconds"] <= 0:
        return None
    return r["bytes"] / size / r["seconds"], r["bytes"]


def summary(values):
    if not values:
        return None
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "n": len(values),
        "samples": values,
    }


def ratio(a, b):
    if a is None or b is None or not b["median"]:
        return None
    return a["median"] / b["median"]


def datapath(raw, recs):
    status = {}
    for r in recs:
        if r["phase"] == "status":
            status[(r["row"], r["stack"])] = r["status"]
    rows = [r for r in ROW_NAME if any(k[0] == r for k in status)]
    out = []
    for row in rows:
        for metric, (label, unit, higher) in METRICS.items():
            entry = {"row": row, "metric": metric, "label": label, "unit": unit,
                     "higher_is_better": higher}
            for s in STACKS:
                vals, cpu, loss = [], [], []
                for r in recs:
                    if (r["phase"], r.get("row"), r.get("metric"), r.get("stack")) != \
                            ("datapath", row, metric, s):
                        continue
                    if metric == "rr":
                        if r.get("rc") == 0 and r.get("result"):
                            vals.append(r["result"]["mean_us"])
                        continue
                    v = iperf(raw, r)
                    if v is None:
                        continue
                    vals.append(v[0])
                    if metric == "tcp" and v[1] > 0:
                        # guest CPU seconds (USER_HZ 100) per GB received
                        cpu.append(r["cpu_busy"] / 100.0 / (v[1] / 1e9))
                    if metric != "tcp":
                        sent = udp_sent(raw, r)
                        if sent and sent[0] > 0:
                            # guest CPU busy time (USER_HZ 100, all CPUs)
                            # per packet sent, in us; and the loss
                            cpu.append(r["cpu_busy"] * 1e4 / sent[0])
                            loss.append(sent[1] / sent[0])
                entry[s] = summary(vals)
                entry[s + "_status"] = status.get((row, s), "not run")
                if metric in ("udp64", "udp1400"):
                    entry[s + "_cpu_us_per_packet"] = summary(cpu)
                    entry[s + "_loss"] = summary(loss)
                if metric == "tcp":
                    entry[s + "_cpu_s_per_gb"] = summary(cpu)
            if metric in ("udp64", "udp1400"):
                c = {s: entry[s + "_cpu_us_per_packet"] for s in STACKS}
                entry["cpu_rust_vs_xfrm"] = ratio(c["rust"], c["xfrm"])
                entry["cpu_rust_vs_plain"] = ratio(c["rust"], c["plain"])
            entry["rust_vs_xfrm"] = ratio(entry["rust"], entry["xfrm"])
            entry["rust_vs_plain"] = ratio(entry["rust"], entry["plain"])
            g = entry["rust_vs_xfrm"]
            entry["goal_met"] = None if g is None else (g >= 1.0 if higher else g <= 1.0)
            out.append(entry)
    return out


def lookup(raw, recs):
    out = {}
    fills = {}
    for r in recs:
        if r["phase"] == "lookup-fill":
            fills[(r["stack"], r.get("prefix", 32), r["n"])] = r["seconds"]
        if r["phase"] != "datapath" or not r["row"].startswith("lookup-"):
            continue
        parts = r["row"].split("-")
        prefix, n = (int(parts[1]), int(parts[2])) if len(parts) == 3 else (32, int(parts[1]))
        v = iperf(raw, r)
        if v is not None:
            out.setdefault((r["stack"], prefix, n), []).append(v[0])
    res = []
    for prefix in sorted({k[1] for k in out}, reverse=True):
        for s in ["rust", "xfrm"]:
            ns = sorted(n for (st, p, n) in out if st == s and p == prefix)
            base = None
            for n in ns:
                pps = summary(out[(s, prefix, n)])
                us = 1e6 / pps["median"] if pps["median"] else None
                if base is None:
                    base = us
                res.append({"stack": s, "prefix": prefix, "policies": n, "pps": pps,
                            "us_per_packet": us,
                            "vs_1_policy": (us / base) if (us and base) else None,
                            "fill_seconds": fills.get((s, prefix, n))})
    return res


def control(recs):
    runs = [r for r in recs if r["phase"] == "control" and r.get("result")]
    res = []
    for impl in ["rust", "afkey"]:
        for n in sorted({r["n"] for r in runs if r["alg"] == "cbc-sha256"}):
            sel = [r["result"] for r in runs
                   if r["impl"] == impl and r["n"] == n and r["alg"] == "cbc-sha256"]
            res.append({"impl": impl, "n": n,
                        "sa_rate": summary([x["sa_rate"] for x in sel]),
                        "policy_rate": summary([x["policy_rate"] for x in sel]),
                        "flush_seconds": summary([x["flush_seconds"] for x in sel]),
                        "errors": sum(x["errors"] for x in sel)})
    mem = []
    for impl in ["rust", "afkey"]:
        for alg in ["cbc-sha256", "ah"]:
            sel = [r for r in runs if r["impl"] == impl and r["alg"] == alg]
            if not sel:
                continue
            n = max(r["n"] for r in sel)
            x = [r for r in sel if r["n"] == n][0]["result"]
            slab, free = x["slab_kb"], x["memfree_kb"]
            e = {"impl": impl, "alg": alg, "n": n,
                 "slab_per_sa": (slab[1] - slab[0]) * 1024 / x["sas"] if x["sas"] else None,
                 "total_per_sa": (free[0] - free[1]) * 1024 / x["sas"] if x["sas"] else None}
            if x["policies"]:
                e["slab_per_policy"] = (slab[2] - slab[1]) * 1024 / x["policies"]
                e["total_per_policy"] = (free[1] - free[2]) * 1024 / x["policies"]
            mem.append(e)
    return res, mem


def fmt(v, unit=""):
    if v is None:
        return "n/a"
    if unit == "us" or abs(v) < 100:
        return f"{v:.1f}" if abs(v) >= 10 else f"{v:.2f}"
    return f"{v:,.0f}"


def fmt_ratio(v):
    return "n/a" if v is None else f"{v:.2f}x"


def cpu_cell(x):
    if not x:
        return "n/a"
    spread = ""
    if x["n"] > 1 and x["median"]:
        spread = f" (±{100 * (x['max'] - x['min']) / 2 / x['median']:.0f}%)"
    return f"{x['median']:.2f}{spread}"


def cell(entry, s):
    x = entry[s]
    if x is None:
        st = entry[s + "_status"]
        return st if st != "ok" else "n/a (no data)"
    spread = ""
    if x["n"] > 1 and x["median"]:
        spread = f" (±{100 * (x['max'] - x['min']) / 2 / x['median']:.0f}%)"
    return fmt(x["median"], entry["unit"]) + spread


def markdown(meta, host, dp, lk, cp, mem):
    L = []
    L.append("# rust_ipsec benchmark results\n")
    L.append(f"Mode **{meta.get('mode')}**, {meta.get('reps')} repetitions per cell, "
             "the three stacks in a random order per repetition; "
             "medians (± half the min-max spread). Module "
             f"`{host.get('module_rev', '?')}`, started {host.get('started', '?')}.\n")
    L.append(f"Guest: Linux {meta.get('kernel')} (bench flavour: no KASAN, lockdep, kmemleak), "
             f"{meta.get('cpus')} vCPUs, {meta.get('mem_kb', 0) // 1024} MiB, CPU model "
             f"\"{meta.get('cpu_model')}\" (AES-NI {meta.get('aes')}, PCLMULQDQ {meta.get('pclmulqdq')}, "
             f"AVX2 {meta.get('avx2')}). Host: {host.get('host_cpu')}, {host.get('host_cpus')} cores, "
             f"{host.get('qemu')}, accelerator **{host.get('accel', '?')}**, guest clocksource "
             f"{meta.get('clocksource', '?')}. "
             f"iperf3 -t {meta.get('t_tcp')} (TCP) / {meta.get('t_udp')} (UDP, -b 0), "
             f"netbench rr {meta.get('t_rr')} s. VM run {host.get('vm_seconds', '?')} s, "
             f"total {host.get('total_seconds', '?')} s.\n")
    L.append("## CPU per packet (the headline datapath figure)\n")
    L.append("Guest CPU busy time (all vCPUs, /proc/stat) during an iperf3 -u -b 0 run, "
             "divided by the packets the sender sent: what a packet costs, whatever the "
             "wake-ups and batching. Lower is better; goal rust/XFRM <= 0.8 (64 B) and "
             "<= 0.95 (1400 B). Loss is the share of sent packets not received.\n")
    L.append("| row | size | plaintext us | Linux XFRM us | rust_ipsec us | rust/XFRM | "
             "rust/plain | loss plain / XFRM / rust | goal |")
    L.append("|---|---|---|---|---|---|---|---|---|")
    for e in dp:
        if e["metric"] not in ("udp64", "udp1400"):
            continue
        c = {s: e.get(s + "_cpu_us_per_packet") for s in STACKS}
        r = e.get("cpu_rust_vs_xfrm")
        limit = 0.8 if e["metric"] == "udp64" else 0.95
        goal = "n/a" if r is None else ("met" if r <= limit else "**not met**")
        losses = " / ".join("n/a" if not e.get(s + "_loss") else
                            f"{100 * e[s + '_loss']['median']:.0f}%" for s in STACKS)
        L.append(f"| {ROW_NAME[e['row']]} | {e['metric'][3:]} B | " +
                 " | ".join(cpu_cell(c[s]) for s in STACKS) +
                 f" | {fmt_ratio(r)} | {fmt_ratio(e.get('cpu_rust_vs_plain'))} | {losses} | {goal} |")
    L.append("")
    L.append("## Datapath\n")
    L.append("Throughput rows: higher is better, goal rust_ipsec/XFRM >= 1.0. "
             "Latency (mean round trip of 1-byte TCP request/response): lower is better, "
             "goal rust_ipsec/XFRM <= 1.0.\n")
    L.append("| row | metric | plaintext | Linux XFRM | rust_ipsec | rust/XFRM | rust/plain | goal |")
    L.append("|---|---|---|---|---|---|---|---|")
    for e in dp:
        goal = {None: "n/a", True: "met", False: "**not met**"}[e["goal_met"]]
        L.append(f"| {ROW_NAME[e['row']]} | {e['label']} ({e['unit']}) | {cell(e, 'plain')} | "
                 f"{cell(e, 'xfrm')} | {cell(e, 'rust')} | {fmt_ratio(e['rust_vs_xfrm'])} | "
                 f"{fmt_ratio(e['rust_vs_plain'])} | {goal} |")
    L.append("\nGuest CPU time per GB received over TCP (all vCPUs, busy time during the "
             "iperf3 run; lower is better):\n")
    L.append("| row | plaintext | Linux XFRM | rust_ipsec | rust/XFRM |")
    L.append("|---|---|---|---|---|")
    for e in dp:
        if e["metric"] != "tcp":
            continue
        c = {s: e.get(s + "_cpu_s_per_gb") for s in STACKS}
        L.append(f"| {ROW_NAME[e['row']]} | " + " | ".join(
            fmt(c[s]["median"]) + " s" if c[s] else "n/a" for s in STACKS) +
            f" | {fmt_ratio(ratio(c['rust'], c['xfrm']))} |")
    if lk:
        L.append("\n## SPD lookup scaling\n")
        L.append("UDP 64-byte packet rate over AES-GCM-128 transport with N outbound policies "
                 "installed in the sender (N-1 that never match, to distinct /32 hosts or /24 "
                 "networks, all ahead of the matching one in priority order); per-packet "
                 "time = 1 / rate. Goal: rust_ipsec at 100k <= 1.2x its time at 1 policy.\n")
        L.append("| policies | rust_ipsec packets/s | rust_ipsec us/packet | vs 1 policy | "
                 "XFRM packets/s | XFRM us/packet | vs 1 policy |")
        L.append("|---|---|---|---|---|---|---|")
        by = {(x["stack"], x["prefix"], x["policies"]): x for x in lk}
        for prefix in sorted({x["prefix"] for x in lk}, reverse=True):
            for n in sorted({x["policies"] for x in lk if x["prefix"] == prefix}):
                r, x = by.get(("rust", prefix, n)), by.get(("xfrm", prefix, n))

                def c(e):
                    if not e:
                        return "n/a | n/a | n/a"
                    return (f"{fmt(e['pps']['median'])} | {fmt(e['us_per_packet'], 'us')} | "
                            f"{fmt_ratio(e['vs_1_policy'])}")
                L.append(f"| {n:,} to /{prefix}s | {c(r)} | {c(x)} |")
    if cp:
        L.append("\n## Control plane\n")
        L.append("PF_KEY messages per second from one socket (tools/pfkey-stress fill), into "
                 "empty tables; SAs are ESP with AES-128-CBC + HMAC-SHA-256 (a crypto "
                 "transform per SA in both; af_key has no AEAD over PF_KEY), policies outbound "
                 "ESP transport /32.\n")
        L.append("| entries | rust_ipsec SADB_ADD/s | af_key SADB_ADD/s | rust/af_key | "
                 "rust_ipsec X_SPDADD/s | af_key X_SPDADD/s | rust/af_key |")
        L.append("|---|---|---|---|---|---|---|")
        by = {(x["impl"], x["n"]): x for x in cp}
        for n in sorted({x["n"] for x in cp}):
            r, a = by.get(("rust", n)), by.get(("afkey", n))

            def m(e, k):
                return e[k] if e else None
            L.append(f"| {n:,} | {fmt(m(m(r, 'sa_rate'), 'median'))} | {fmt(m(m(a, 'sa_rate'), 'median'))} | "
                     f"{fmt_ratio(ratio(m(r, 'sa_rate'), m(a, 'sa_rate')))} | "
                     f"{fmt(m(m(r, 'policy_rate'), 'median'))} | {fmt(m(m(a, 'policy_rate'), 'median'))} | "
                     f"{fmt_ratio(ratio(m(r, 'policy_rate'), m(a, 'policy_rate')))} |")
    if mem:
        L.append("\n## Memory per entry\n")
        L.append("Kernel memory per entry with the largest table above: the growth of `Slab` "
                 "and the fall of `MemFree` in /proc/meminfo, divided by the entries added.\n")
        L.append("| implementation | SA kind | entries | slab/SA | total/SA | slab/policy | total/policy |")
        L.append("|---|---|---|---|---|---|---|")
        for e in mem:
            def b(k):
                v = e.get(k)
                return "n/a" if v is None else f"{v:,.0f} B"
            kind = "ESP AES-CBC+HMAC-SHA-256" if e["alg"] == "cbc-sha256" else "AH HMAC-SHA1"
            impl = "rust_ipsec" if e["impl"] == "rust" else "af_key"
            L.append(f"| {impl} | {kind} | {e['n']:,} | {b('slab_per_sa')} | {b('total_per_sa')} | "
                     f"{b('slab_per_policy')} | {b('total_per_policy')} |")
    return "\n".join(L) + "\n"


def plots(out, dp, lk):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("report.py: no matplotlib (apt-get install python3-matplotlib): no plots",
              file=sys.stderr)
        return
    rows = [r for r in ROW_NAME if any(e["row"] == r for e in dp)]
    colors = {"plain": "#999999", "xfrm": "#1f77b4", "rust": "#d62728"}
    fig, axes = plt.subplots(2, 2, figsize=(13, 8.5))
    for ax, metric in zip(axes.flat, METRICS):
        label, unit, higher = METRICS[metric]
        width = 0.26
        for i, s in enumerate(STACKS):
            xs, ys, lo, hi = [], [], [], []
            for j, row in enumerate(rows):
                e = next((e for e in dp if e["row"] == row and e["metric"] == metric), None)
                if not e or not e[s]:
                    if e and s == "rust":
                        ax.text(j + (i - 1) * width, 0, "n/a", ha="center", va="bottom",
                                fontsize=8, rotation=90, color=colors[s])
                    continue
                xs.append(j + (i - 1) * width)
                ys.append(e[s]["median"])
                lo.append(e[s]["median"] - e[s]["min"])
                hi.append(e[s]["max"] - e[s]["median"])
            ax.bar(xs, ys, width, yerr=[lo, hi], capsize=2, color=colors[s], label=STACK_NAME[s])
        ax.set_xticks(range(len(rows)))
        ax.set_xticklabels([ROW_NAME[r].replace(" transport", "\ntransport").replace(" tunnel", "\ntunnel")
                            for r in rows], fontsize=8)
        ax.set_title(f"{label} ({unit}, {'higher' if higher else 'lower'} is better)", fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes.flat[0].legend(fontsize=8)
    fig.suptitle("rust_ipsec vs Linux XFRM vs plaintext (medians, bars: min-max; QEMU TCG guest)")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "throughput.png"), dpi=90)
    plt.close(fig)

    if lk:
        fig, ax = plt.subplots(figsize=(7, 4.5))
        for prefix, style in [(32, "o-"), (24, "s--")]:
            for s in ["rust", "xfrm"]:
                pts = sorted((x["policies"], x["us_per_packet"]) for x in lk
                             if x["stack"] == s and x["prefix"] == prefix and x["us_per_packet"])
                if pts:
                    ax.plot([p[0] for p in pts], [p[1] for p in pts], style, color=colors[s],
                            label=f"{STACK_NAME[s]}, policies to /{prefix}s")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("outbound policies installed")
        ax.set_ylabel("time per packet (us, 1 / UDP 64 B packet rate)")
        ax.set_title("SPD lookup scaling (QEMU TCG guest)")
        ax.grid(alpha=0.3, which="both")
        ax.legend()
        fig.tight_layout()
        fig.savefig(os.path.join(out, "lookup-scaling.png"), dpi=90)
        plt.close(fig)


def main():
    raw, out = sys.argv[1], sys.argv[2]
    recs, host = load(raw)
    meta = next((r for r in recs if r["phase"] == "meta"), {})
    dp = datapath(raw, recs)
    lk = lookup(raw, recs)
    cp, mem = control(recs)
    res = {"meta": meta, "host": host, "datapath": dp, "lookup": lk, "control": cp, "memory": mem,
           "rust_stat": {r["row"]: r["rust_stat"] for r in recs if r["phase"] == "stat"},
           "crypto_in_use": {r["row"]: r["in_use"] for r in recs if r["phase"] == "crypto"}}
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(markdown(meta, host, dp, lk, cp, mem))
    plots(out, dp, lk)
    prof = os.path.join(raw, "profile")
    if os.path.isdir(prof):
        os.makedirs(os.path.join(out, "profile"), exist_ok=True)
        for name in sorted(n for n in os.listdir(prof) if n.endswith(".txt")):
            with open(os.path.join(prof, name)) as src, \
                    open(os.path.join(out, "profile", name), "w") as dst:
                dst.write(src.read())


if __name__ == "__main__":
    main()
