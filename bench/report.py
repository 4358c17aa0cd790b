#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""scripts/bench's report: medians and per-round ratios with their spread (min, max).

Usage: bench/report.py RESULTS ROUNDS SECONDS CLOCK CALLS
RESULTS has one line per measurement: `tcp|hit ROUND CONFIG VALUE HITS`, VALUE being sends/s
(tcp) or ns per call (hit), HITS the probe's hits, or `read/dropped` records in record mode.
"""
import statistics
import sys


def spread(values):
    return f"{statistics.median(values):8.3f} {min(values):8.3f} {max(values):8.3f}"


def main():
    path, rounds, seconds, clock, calls = sys.argv[1:6]
    tcp, hit, recs = {}, {}, {}
    for line in open(path):
        kind, rnd, config, value, got = line.split()
        (tcp if kind == "tcp" else hit).setdefault(config, {})[int(rnd)] = float(value)
        if kind == "tcp" and config in ("rust-rec", "rust-ring", "bpf-rec"):
            recs.setdefault(config, {})[int(rnd)] = [int(x) for x in got.split("/")]

    print(f"time: {clock}")
    print()
    print(f"1. Per-hit cost: getppid() in a loop, probed at __x64_sys_getppid; {rounds} rounds of")
    print(f"   {calls} calls ({int(calls) // 20} when every hit logs), configurations interleaved.")
    print("   A hit's cost = ns per call with the probe - without, in the same round")
    print("   (under -icount, 1 ns = 1 guest instruction).")
    print()
    print(f"{'configuration':34} {'median ns/hit':>13} {'min':>8} {'max':>8}")
    costs = {}
    for config, name in [
        ("rust", "rust_tcpprobe, counting"),
        ("c", "c_tcpprobe, counting"),
        ("bpf", "bpftrace, @ = count()"),
        ("rust-log", "rust_tcpprobe, every hit logs"),
        ("c-log", "c_tcpprobe, every hit logs"),
    ]:
        if config not in hit:
            continue
        costs[config] = [hit[config][r] - hit["none"][r] for r in sorted(hit[config])]
        c = costs[config]
        print(f"{name:34} {statistics.median(c):13.1f} {min(c):8.1f} {max(c):8.1f}")
    print(f"{'(the call alone, no probe)':34} {statistics.median(hit['none'].values()):13.1f}")
    print()
    print(f"{'per-round ratio of hit costs':34} {'median':>8} {'min':>8} {'max':>8}")
    for label, a, b in [
        ("rust / C, counting", "rust", "c"),
        ("rust / bpftrace, counting", "rust", "bpf"),
        ("rust / C, every hit logs", "rust-log", "c-log"),
    ]:
        if a not in costs or b not in costs:
            continue
        print(f"{label:34} {spread([x / y for x, y in zip(costs[a], costs[b])])}")
    print()
    print(f"2. TCP sends over loopback, 64-byte send() calls; {rounds} rounds of {seconds} s,")
    print("   configurations interleaved.")
    print()
    names = {
        "none": "1 no module",
        "rust": "2 rust_tcpprobe, log_every=0",
        "c": "3 c_tcpprobe, log_every=0",
        "rust-log": "4 rust_tcpprobe, every hit logs",
        "c-log": "4c c_tcpprobe, every hit logs",
        "rust-rec": "5 rust_tcpprobe, records=1, cat",
        "rust-ring": "5r rust_tcpprobe, records=1, no reader",
        "bpf": "6 bpftrace, @ = count()",
        "bpf-rec": "7 bpftrace, printf a record",
    }
    print(f"{'configuration':34} {'median sends/s':>14} {'min':>10} {'max':>10}")
    for config, name in names.items():
        if config not in tcp:
            continue
        values = list(tcp[config].values())
        print(f"{name:34} {statistics.median(values):14.0f} {min(values):10.0f} {max(values):10.0f}")
    print()
    print(f"{'per-round ratio of send rates':34} {'median':>8} {'min':>8} {'max':>8}")
    for label, a, b in [
        ("2/1 rust probe / none", "rust", "none"),
        ("3/1 C probe / none", "c", "none"),
        ("2/3 rust / C", "rust", "c"),
        ("4/1 rust, every hit logs / none", "rust-log", "none"),
        ("4c/1 C, every hit logs / none", "c-log", "none"),
        ("5/1 rust, records=1 / none", "rust-rec", "none"),
        ("5r/1 rust, records=1, no reader", "rust-ring", "none"),
        ("6/1 bpftrace count / none", "bpf", "none"),
        ("2/6 rust / bpftrace, counting", "rust", "bpf"),
        ("7/1 bpftrace records / none", "bpf-rec", "none"),
        ("5/7 rust / bpftrace, records", "rust-rec", "bpf-rec"),
    ]:
        if a not in tcp or b not in tcp:
            continue
        print(f"{label:34} {spread([tcp[a][r] / tcp[b][r] for r in sorted(tcp[a])])}")
    print()
    for config, who in [
        ("rust-rec", "cat of /proc/net/rust_tcpprobe"),
        ("rust-ring", "a read after the run"),
        ("bpf-rec", "bpftrace"),
    ]:
        if config not in recs:
            continue
        read = [recs[config][r][0] for r in sorted(recs[config])]
        drops = [recs[config][r][1] for r in sorted(recs[config])]
        per_s = [n / float(seconds) for n in read]
        print(f"{config}: {sum(read)} records read by {who} over {len(read)} rounds, "
              f"{sum(drops)} lost; per round {statistics.median(per_s):.0f} records/s "
              f"(median; min {min(per_s):.0f}, max {max(per_s):.0f})")

if __name__ == "__main__":
    main()
