#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""scripts/bench's report: medians and per-round ratios with their spread (min, max), the
goals the project set itself, and a chart of it all (SVG).

Usage: bench/report.py RESULTS ROUNDS SECONDS CLOCK CALLS FUNCTION CHART
RESULTS has one line per measurement: `tcp|hit ROUND CONFIG VALUE HITS MADE`, VALUE being
sends/s (tcp) or ns per call (hit), HITS the probe's hits, or `read/dropped` records in record
mode (`-` if unknown), MADE the sends or calls made. FUNCTION is the function the per-hit
configurations probe; the chart goes to CHART.
"""
import statistics
import sys
from xml.sax.saxutils import escape

# The per-hit configurations, in the order printed.
HIT = [
    ("direct", "rust_fcount, direct call, counting"),
    ("fcount", "rust_fcount, fprobe, counting"),
    ("rust", "rust_tcpprobe, kprobe, counting"),
    ("c", "c_tcpprobe, kprobe, counting"),
    ("bpf-fentry", "bpftrace fentry:, @ = count()"),
    ("bpf", "bpftrace kprobe:, @ = count()"),
    ("rust-log", "rust_tcpprobe, every hit logs"),
    ("c-log", "c_tcpprobe, every hit logs"),
]
# Per-round ratios of hit costs: label, numerator, denominator.
HIT_RATIOS = [
    ("direct call / bpftrace fentry:", "direct", "bpf-fentry"),
    ("fprobe / bpftrace fentry:", "fcount", "bpf-fentry"),
    ("rust / C, kprobe, counting", "rust", "c"),
    ("rust kprobe / bpftrace kprobe:", "rust", "bpf"),
    ("fprobe / rust kprobe", "fcount", "rust"),
    ("direct call / fprobe", "direct", "fcount"),
    ("rust / C, every hit logs", "rust-log", "c-log"),
]
# The TCP configurations: config, number, name.
TCP = [
    ("none", "1", "no module"),
    ("rust", "2", "rust_tcpprobe, kprobe, log_every=0"),
    ("c", "3", "c_tcpprobe, kprobe, log_every=0"),
    ("fcount", "8", "rust_fcount, fprobe"),
    ("direct", "9", "rust_fcount, direct call"),
    ("rust-log", "4", "rust_tcpprobe, every hit logs"),
    ("c-log", "4c", "c_tcpprobe, every hit logs"),
    ("rust-rec", "5", "records=1, fprobe, cat reads"),
    ("rust-rec-k", "5k", "records=1, kretprobe, cat reads"),
    ("rust-ring", "5r", "records=1, fprobe, no reader"),
    ("rust-ring-k", "5rk", "records=1, kretprobe, no reader"),
    ("bpf", "6", "bpftrace kprobe:, @ = count()"),
    ("bpf-fentry", "6f", "bpftrace fentry:, @ = count()"),
    ("bpf-rec", "7", "bpftrace fentry:/fexit:, printf"),
]
TCP_RATIOS = [
    ("2/1 rust probe / none", "rust", "none"),
    ("3/1 C probe / none", "c", "none"),
    ("2/3 rust / C", "rust", "c"),
    ("8/1 rust fprobe / none", "fcount", "none"),
    ("9/1 rust direct call / none", "direct", "none"),
    ("4/1 rust, every hit logs / none", "rust-log", "none"),
    ("4c/1 C, every hit logs / none", "c-log", "none"),
    ("5/1 records, fprobe, cat / none", "rust-rec", "none"),
    ("5k/1 records, kretprobe, cat", "rust-rec-k", "none"),
    ("5r/1 records, fprobe, no reader", "rust-ring", "none"),
    ("5rk/1 records, kretprobe, no rd.", "rust-ring-k", "none"),
    ("6/1 bpftrace kprobe count / none", "bpf", "none"),
    ("6f/1 bpftrace fentry count", "bpf-fentry", "none"),
    ("2/6 rust / bpftrace, counting", "rust", "bpf"),
    ("8/6f fprobe / bpftrace fentry", "fcount", "bpf-fentry"),
    ("9/6f direct / bpftrace fentry", "direct", "bpf-fentry"),
    ("7/1 bpftrace records / none", "bpf-rec", "none"),
    ("5/7 rust / bpftrace, records", "rust-rec", "bpf-rec"),
]
# Record mode's configurations, and who read the records.
RECORDS = [
    ("rust-rec", "cat of /proc/net/rust_tcpprobe"),
    ("rust-rec-k", "cat of /proc/net/rust_tcpprobe"),
    ("rust-ring", "a read after the run"),
    ("rust-ring-k", "a read after the run"),
    ("bpf-rec", "bpftrace"),
]


def spread(values):
    return f"{statistics.median(values):8.3f} {min(values):8.3f} {max(values):8.3f}"


def ratios(a, b):
    """Per-round ratios a/b, over the rounds both ran."""
    return [a[r] / b[r] for r in sorted(a) if r in b]


class Report:
    def __init__(self, path):
        self.tcp, self.hit, self.recs, self.seen = {}, {}, {}, {}
        for line in open(path):
            kind, rnd, config, value, got, made = (line.split() + ["-"])[:6]
            (self.tcp if kind == "tcp" else self.hit).setdefault(config, {})[int(rnd)] = float(value)
            # What the probe saw (hits, or records read and dropped) against the calls made.
            seen = None if got == "-" else sum(int(x) for x in got.split("/"))
            self.seen.setdefault((kind, config), {})[int(rnd)] = (seen, int(made) if made != "-" else None)
            if kind == "tcp" and config in dict(RECORDS) and got != "-":
                read, dropped = (int(x) for x in got.split("/"))
                self.recs.setdefault(config, {})[int(rnd)] = (read, dropped, int(made) if made != "-" else None)
        # A hit's cost per round: ns per call with the probe, less without.
        none = self.hit.get("none", {})
        self.costs = {
            c: {r: v - none[r] for r, v in per.items() if r in none}
            for c, per in self.hit.items() if c != "none"
        }
        self.send_ratios = {c: ratios(self.tcp[c], self.tcp["none"]) for c in self.tcp if c != "none"}

    def hit_ratio(self, a, b):
        if a in self.costs and b in self.costs:
            return ratios(self.costs[a], self.costs[b])
        return None

    def tcp_ratio(self, a, b):
        if a in self.tcp and b in self.tcp:
            return ratios(self.tcp[a], self.tcp[b])
        return None

    def lost(self, config):
        """Records of `config`'s sends not read: dropped or never read (sends less read)."""
        return sum(max(d, s - r if s is not None else d) for r, d, s in self.recs[config].values())

    def blind(self):
        """Measurements whose probe did not see every call made (or whose count is unknown),
        but bpftrace's record, whose loss `lost` tells: (kind, config, round, seen, made)."""
        return [(k, c, r, seen, made) for (k, c), per in sorted(self.seen.items())
                for r, (seen, made) in sorted(per.items())
                if c not in ("none", "bpf-rec") and made is not None and (seen is None or seen < made)]

    def goals(self):
        """The goals: (what, the median measured, the bound, at most or at least)."""
        # The cheapest of the Rust probes that count, by median per-hit cost.
        counting = [c for c in ("direct", "fcount", "rust") if c in self.costs]
        cheapest = min(counting, key=lambda c: statistics.median(self.costs[c].values()))
        rows = [
            (f"per hit: cheapest rust ({cheapest}) / bpftrace fentry:",
             self.hit_ratio(cheapest, "bpf-fentry"), 0.5, "<="),
            ("per hit: rust direct call / bpftrace fentry:", self.hit_ratio("direct", "bpf-fentry"), 0.25, "<="),
            ("per hit: rust kprobe / C kprobe", self.hit_ratio("rust", "c"), 1.0, "<="),
            ("per hit, every hit logs: rust / C", self.hit_ratio("rust-log", "c-log"), 1.0, "<="),
            ("sends: records (fprobe), cat / none", self.tcp_ratio("rust-rec", "none"), 0.95, ">="),
            ("sends: records (fprobe), no reader / none", self.tcp_ratio("rust-ring", "none"), 0.97, ">="),
        ]
        out = [(w, statistics.median(v), bound, op) for w, v, bound, op in rows if v]
        if "rust-rec" in self.recs:
            out.append(("records lost (fprobe), cat reading", self.lost("rust-rec"), 0, "<="))
        return out

    def print(self, rounds, seconds, clock, calls, function):
        print(f"time: {clock}")
        print()
        print(f"1. Per-hit cost: getppid() in a loop, probed at {function} (called once per")
        print(f"   getppid()); {rounds} rounds of {calls} calls ({int(calls) // 20} when every hit")
        print("   logs), configurations interleaved. A hit's cost = ns per call with the probe")
        print("   - without, in the same round"
              + (" (under -icount, 1 ns = 1 guest instruction)." if "icount" in clock else "."))
        print()
        print(f"{'configuration':34} {'median ns/hit':>13} {'min':>8} {'max':>8}")
        for config, name in HIT:
            if config in self.costs:
                c = list(self.costs[config].values())
                print(f"{name:34} {statistics.median(c):13.1f} {min(c):8.1f} {max(c):8.1f}")
        alone = list(self.hit["none"].values())
        print(f"{'(the call alone, no probe)':34} {statistics.median(alone):13.1f} {min(alone):8.1f} "
              f"{max(alone):8.1f}")
        print()
        print(f"{'per-round ratio of hit costs':34} {'median':>8} {'min':>8} {'max':>8}")
        for label, a, b in HIT_RATIOS:
            r = self.hit_ratio(a, b)
            if r:
                print(f"{label:34} {spread(r)}")
        print()
        print(f"2. TCP sends over loopback, 64-byte send() calls, probed at tcp_sendmsg_locked;")
        print(f"   {rounds} rounds of {seconds} s, configurations interleaved.")
        print()
        print(f"{'configuration':38} {'median sends/s':>14} {'min':>8} {'max':>8}")
        for config, num, name in TCP:
            if config in self.tcp:
                v = list(self.tcp[config].values())
                print(f"{num + ' ' + name:38} {statistics.median(v):14.0f} {min(v):8.0f} {max(v):8.0f}")
        print()
        print(f"{'per-round ratio of send rates':34} {'median':>8} {'min':>8} {'max':>8}")
        for label, a, b in TCP_RATIOS:
            r = self.tcp_ratio(a, b)
            if r:
                print(f"{label:34} {spread(r)}")
        print()
        for config, who in RECORDS:
            if config not in self.recs:
                continue
            got = [self.recs[config][r] for r in sorted(self.recs[config])]
            per_s = [r / float(seconds) for r, _, _ in got]
            sends = sum(s or 0 for _, _, s in got)
            print(f"{config}: {sum(r for r, _, _ in got)} records read by {who}, of {sends} sends "
                  f"in {len(got)} rounds: {self.lost(config)} lost;")
            print(f"  per round {statistics.median(per_s):.0f} records/s (median; min "
                  f"{min(per_s):.0f}, max {max(per_s):.0f})")
        blind = self.blind()
        print()
        print("every probe saw every call made (hits, or records read and dropped, >= calls): "
              + ("yes" if not blind else "no: " + ", ".join(
                  f"{c} ({k}, round {r}: {'?' if seen is None else seen} of {made})"
                  for k, c, r, seen, made in blind)))
        print()
        print(f"{'goal (medians)':52} {'measured':>8} {'goal':>9}  met")
        for what, value, bound, op in self.goals():
            met = value <= bound if op == "<=" else value >= bound
            print(f"{what:52} {value:8.3f} {op + ' ' + format(bound, '.3f'):>9}  {'yes' if met else 'no'}")

    def chart(self, path, clock, function):
        """Writes the chart: per-hit costs and send-rate ratios, median bars with min-max
        whiskers, and the goals as red dashes on their rows."""
        def med(config):
            return statistics.median(self.costs[config].values()) if config in self.costs else None

        # A row's goal: the bar's end must be left of it (at most) or right of it (at least).
        fentry, c_log = med("bpf-fentry"), med("c-log")
        hit_goals = {
            "direct": fentry and (fentry / 4, "goal ≤ quarter of fentry:"),
            "rust": med("c") and (med("c"), "goal ≤ C's"),
            "rust-log": c_log and (c_log, "goal ≤ C's"),
        }
        send_goals = {"rust-rec": (0.95, "goal ≥"), "rust-ring": (0.97, "goal ≥")}
        panels = [
            (f"Per-hit cost, counting, at {function} (ns"
             + ("; under -icount, instructions)" if "icount" in clock else ")"),
             [(name, list(self.costs[c].values()), hit_goals.get(c)) for c, name in HIT[:6]
              if c in self.costs]),
            ("Per-hit cost, every hit logs (ns)",
             [(name, list(self.costs[c].values()), hit_goals.get(c)) for c, name in HIT[6:]
              if c in self.costs]),
            ("Send rate with the probe / without, at tcp_sendmsg_locked (higher: cheaper)",
             [(f"{num} {name}", self.send_ratios[c], send_goals.get(c)) for c, num, name in TCP[1:]
              if c in self.send_ratios]),
        ]
        width, label_w, bar_w, row_h = 900, 290, 420, 20
        parts = [
            '<text x="10" y="20" class="t">What a probe costs</text>',
            f'<text x="10" y="36" class="s">{escape(clock)}</text>',
        ]
        y = 44
        for title, rows in panels:
            if not rows:
                continue
            top = max(max(max(v) for _, v, _ in rows), 1e-9)
            scale = bar_w / (top * 1.05)
            y += 18
            parts.append(f'<text x="10" y="{y}" class="h">{escape(title)}</text>')
            y += 6
            for name, v, goal in rows:
                m, lo, hi = statistics.median(v), min(v), max(v)
                x0, cy = label_w, y + row_h / 2
                parts.append(f'<text x="{x0 - 6}" y="{y + 14}" text-anchor="end">{escape(name)}</text>')
                parts.append(f'<rect x="{x0}" y="{y + 4}" width="{max(m, 0) * scale:.1f}" '
                             f'height="{row_h - 8}" class="b"/>')
                parts.append(f'<line x1="{x0 + lo * scale:.1f}" x2="{x0 + hi * scale:.1f}" y1="{cy}" '
                             f'y2="{cy}" class="w"/>')
                for end in (lo, hi):
                    parts.append(f'<line x1="{x0 + end * scale:.1f}" x2="{x0 + end * scale:.1f}" '
                                 f'y1="{cy - 4}" y2="{cy + 4}" class="w"/>')
                text = f"{m:.3f}" if top < 10 else f"{m:.1f}"
                if goal:
                    gx = x0 + goal[0] * scale
                    parts.append(f'<line x1="{gx:.1f}" x2="{gx:.1f}" y1="{y + 1}" y2="{y + row_h - 1}" '
                                 'class="m"/>')
                    text += f" ({goal[1]} {goal[0]:.2f})" if top < 10 else f" ({goal[1]} {goal[0]:.1f})"
                parts.append(f'<text x="{x0 + max(hi, m, goal[0] if goal else 0) * scale + 6:.1f}" '
                             f'y="{y + 14}">{escape(text)}</text>')
                y += row_h
        y += 22
        parts.append(f'<text x="10" y="{y}" class="s">Bars: the median of the rounds; whiskers: their '
                     'min and max; red dashes: the goals. Drawn by scripts/bench (bench/report.py).</text>')
        style = ("text{font-family:sans-serif;font-size:12px;fill:#222}.t{font-size:15px;font-weight:bold}"
                 ".h{font-weight:bold}.s{font-size:11px;fill:#555}.b{fill:#4a7fb5}"
                 ".w{stroke:#222;stroke-width:1.2}.m{stroke:#d22;stroke-width:2;stroke-dasharray:3 2}")
        with open(path, "w", encoding="utf-8") as f:
            f.write(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y + 10}" '
                    f'viewBox="0 0 {width} {y + 10}">\n<style>{style}</style>\n'
                    '<rect width="100%" height="100%" fill="#fff"/>\n')
            f.write("\n".join(parts))
            f.write("\n</svg>\n")


def main():
    path, rounds, seconds, clock, calls, function, chart = sys.argv[1:8]
    report = Report(path)
    report.print(rounds, seconds, clock, calls, function)
    report.chart(chart, clock, function)


if __name__ == "__main__":
    main()
