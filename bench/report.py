#!/usr/bin/env python3
"""Turns benchmark results into the table and the chart (used by bench/run.sh).

  report.py gbench <google-benchmark.json> <workload> <trace>
      one result line (JSON) from a codesync_bench run, in the peers' format
  report.py render <results.jsonl> <outdir> [--reps N] [--seconds S] [--load L] [--command C]
      writes <outdir>/latest.md and <outdir>/latest.svg, prints the markdown

Result lines (one per peer, workload and trace) are described in bench/README.md.
Times are wall-clock medians in milliseconds; ratios are peer / codesync, so
"12x" means codesync took 1/12 of that peer's time.
"""
import argparse
import datetime
import html
import json
import math
import os
import statistics
import sys

PEERS = [  # (id, label, kind)
    ("codesync", "codesync", "C++"),
    ("yrs", "yrs", "Rust"),
    ("diamond-types", "diamond-types", "Rust"),
    ("loro", "loro", "Rust"),
    ("yjs", "yjs", "Node"),
    ("ywasm", "ywasm", "Node/wasm"),
    ("loro-crdt", "loro-crdt", "Node/wasm"),
    ("automerge", "automerge", "Node/wasm"),
    ("gapbuffer", "gap buffer", "C++ floor"),
]
NATIVE = ["yrs", "diamond-types", "loro"]
WORKLOADS = [("local", "local apply"), ("remote", "remote apply"), ("concurrent", "concurrent merge"),
             ("encode", "encode"), ("decode", "decode + read")]


# ---- gbench: Google Benchmark JSON -> one result line ----

def gbench(path, workload, trace):
    with open(path) as f:
        data = json.load(f)
    runs = [b for b in data["benchmarks"] if b.get("run_type", "iteration") == "iteration"]
    line = {"peer": "codesync", "trace": trace, "workload": workload}
    errors = [b for b in data["benchmarks"] if b.get("error_occurred")]
    if errors or not runs:
        line.update(ok=False, error=errors[0].get("error_message", "failed") if errors else "no runs")
        return line
    scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}
    wall = [b["real_time"] * scale[b["time_unit"]] for b in runs]
    cpu = [b["cpu_time"] * scale[b["time_unit"]] for b in runs]
    last = runs[-1]
    line.update(ok=True, runs_ms=[round(x, 4) for x in wall], cpu_runs_ms=[round(x, 4) for x in cpu],
                median_ms=round(statistics.median(wall), 4), cpu_median_ms=round(statistics.median(cpu), 4),
                iterations=[b["iterations"] for b in runs], peak_rss=int(last.get("peak_rss", 0)))
    if "doc_heap_bytes" in last:
        line["doc_bytes"] = int(last["doc_heap_bytes"])
        line["doc_rss_bytes"] = int(last["doc_rss_bytes"])
        per = last.get("heap_bytes_per_char") or 0
        line["chars"] = int(round(line["doc_bytes"] / per)) if per else 0
    if "update_bytes" in last:
        line["bytes"] = int(last["update_bytes"])
    if "updates" in last:
        line["updates"] = int(last["updates"])
    return line


# ---- render ----

def fmt_ms(ms):
    if ms >= 10000:
        return f"{ms / 1000:.1f} s"
    if ms >= 1000:
        return f"{ms / 1000:.2f} s"
    if ms >= 100:
        return f"{ms:.0f} ms"
    if ms >= 10:
        return f"{ms:.1f} ms"
    return f"{ms:.2f} ms"


def fmt_bytes(b):
    if b >= 1 << 20:
        return f"{b / (1 << 20):.2f} MiB"
    if b >= 1 << 10:
        return f"{b / (1 << 10):.0f} KiB"
    return f"{b} B"


def fmt_ratio(r):
    if r >= 100:
        return f"{r:.0f}x"
    if r >= 10:
        return f"{r:.1f}x"
    return f"{r:.2f}x"


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} cores (nproc), {model}"


class Results:
    def __init__(self, path):
        self.by = {}
        self.bytes_vs_yjs = {}
        with open(path) as f:
            for raw in f:
                raw = raw.strip()
                if not raw:
                    continue
                r = json.loads(raw)
                if r.get("workload") == "bytes_vs_yjs":
                    self.bytes_vs_yjs[r["trace"]] = r
                    continue
                self.by[(r["peer"], r["workload"], r["trace"])] = r
        self.traces = {}
        for (_, w, t) in self.by:
            self.traces.setdefault(w, [])
            if t not in self.traces[w]:
                self.traces[w].append(t)
        for w in self.traces:
            self.traces[w].sort(key=lambda t: (t != "automerge-paper", t))
        self.peers = [p for p in PEERS if any(k[0] == p[0] for k in self.by)]

    def get(self, peer, workload, trace):
        r = self.by.get((peer, workload, trace))
        return r if r and r.get("ok") else None

    def ms(self, peer, workload, trace):
        r = self.get(peer, workload, trace)
        return r["median_ms"] if r else None


def render(args):
    res = Results(args.results)
    notes = []

    def note(text):
        if text not in notes:
            notes.append(text)
        return f"[{notes.index(text) + 1}]"

    def cell_missing(peer, workload, trace):
        r = res.by.get((peer, workload, trace))
        if r is None:
            return "–"
        err = r.get("error", "failed")
        if err.startswith("n/a"):
            return "n/a"
        return ("skipped " if err.startswith("skipped") else "not run ") + note(f"{peer} {workload} {trace}: {err}")

    header = "| workload | trace | " + " | ".join(f"{label} ({kind})" for _, label, kind in res.peers) + " |"
    sep = "|---|---|" + "---:|" * len(res.peers)
    rows = [header, sep]
    for w, wlabel in WORKLOADS:
        for t in res.traces.get(w, []):
            base = res.ms("codesync", w, t)
            cells = []
            for pid, _, _ in res.peers:
                v = res.ms(pid, w, t)
                if v is None:
                    cells.append(cell_missing(pid, w, t))
                elif pid == "codesync" or base is None:
                    cells.append(f"**{fmt_ms(v)}**" if pid == "codesync" else fmt_ms(v))
                else:
                    cells.append(f"{fmt_ms(v)} ({fmt_ratio(v / base)})")
            rows.append(f"| {wlabel} | {t} | " + " | ".join(cells) + " |")
    # Encoded size and memory.
    for t in res.traces.get("encode", []):
        cells = []
        for pid, _, _ in res.peers:
            r = res.get(pid, "encode", t)
            cells.append(fmt_bytes(r["bytes"]) if r and "bytes" in r else cell_missing(pid, "encode", t) if pid != "gapbuffer" else "n/a")
        rows.append(f"| encoded state | {t} | " + " | ".join(cells) + " |")
    for t in res.traces.get("local", []):
        cells = []
        for pid, _, _ in res.peers:
            r = res.get(pid, "local", t)
            if r and "doc_bytes" in r and r.get("chars"):
                cell = f"{fmt_bytes(r['doc_bytes'])} ({r['doc_bytes'] / r['chars']:.1f} B/char)"
                if r.get("doc_wasm_bytes"):
                    cell = "≤ " + cell + " " + note(
                        "wasm peers' memory includes the growth of WebAssembly linear memory while building the "
                        "document, a high-water mark that counts the replay's transient garbage (bench/README.md)")
                cells.append(cell)
            else:
                cells.append(cell_missing(pid, "local", t))
        rows.append(f"| document memory | {t} | " + " | ".join(cells) + " |")

    # Targets of PERF-1 on automerge-paper (and the concurrent traces).
    T = "automerge-paper"
    checks = []

    def target(text, ok, detail):
        mark = "–" if ok is None else ("PASS" if ok else "FAIL")
        checks.append(f"| {text} | {detail} | {mark} |")

    def ratio(peer, w, t):
        a, b = res.ms("codesync", w, t), res.ms(peer, w, t)
        return None if a is None or b is None else b / a

    def describe(pairs):
        return ", ".join(f"{p} {fmt_ratio(r)}" if r is not None else f"{p} n/a" for p, r in pairs)

    if res.ms("codesync", "local", T) is not None:
        r_dt, r_lc = ratio("diamond-types", "local", T), ratio("loro-crdt", "local", T)
        r_gap = ratio("gapbuffer", "local", T)
        target("local apply faster than native diamond-types", None if r_dt is None else r_dt > 1, describe([("diamond-types", r_dt)]))
        target("local apply >= 60x faster than loro-crdt (Node)", None if r_lc is None else r_lc >= 60, describe([("loro-crdt", r_lc)]))
        target("local apply within 10x of the gap-buffer floor", None if r_gap is None else 1 / r_gap <= 10,
               "codesync / gap buffer = " + ("n/a" if r_gap is None else f"{1 / r_gap:.1f}x"))
    for w, traces in (("remote", [T]), ("concurrent", res.traces.get("concurrent", []))):
        for t in traces:
            if res.ms("codesync", w, t) is None:
                continue
            pairs = [(p, ratio(p, w, t)) for p in NATIVE]
            known = [r for _, r in pairs if r is not None]
            target(f"{w} ({t}) faster than every native peer", None if not known else min(known) > 1, describe(pairs))
            r_y = ratio("yrs", w, t)
            target(f"{w} ({t}) >= 10x faster than native yrs", None if r_y is None else r_y >= 10, describe([("yrs", r_y)]))
    for w in ("encode", "decode"):
        if res.ms("codesync", w, T) is None:
            continue
        pairs = [(p, ratio(p, w, T)) for p, _, _ in res.peers if p not in ("codesync", "gapbuffer")]
        known = [r for _, r in pairs if r is not None]
        target(f"{dict(WORKLOADS)[w]} faster than every peer", None if not known else min(known) > 1, describe(pairs))
    same = res.bytes_vs_yjs.get(T)
    target("encoded v1 state byte-identical to yjs", None if same is None else same["identical"],
           "not compared" if same is None else f"{same['bytes']} B vs yjs {same['yjs_bytes']} B")
    mem = res.get("codesync", "local", T)
    ymem = res.get("yjs", "local", T)
    if mem and "doc_bytes" in mem:
        target("final document resident under 1 MB", mem["doc_bytes"] < 1_000_000,
               f"{fmt_bytes(mem['doc_bytes'])}" + (f" (yjs {fmt_bytes(ymem['doc_bytes'])})" if ymem and "doc_bytes" in ymem else ""))

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    md = [
        "# codesync benchmarks — latest run",
        "",
        f"{now} · {machine()} · {args.reps} repetitions, median · wall-clock times · "
        f"load average {args.load} · run took {args.seconds} s",
        "",
        f"Library revision: {args.revision}. Command: `{args.command}`. In brackets: that peer's time divided by codesync's "
        "(12x = codesync is 12 times faster; below 1x codesync is slower). Workloads, peers and how "
        "memory is measured: bench/README.md.",
        "",
        *rows,
        "",
        "## PERF-1 targets",
        "",
        "| target | measured | |",
        "|---|---|---|",
        *checks,
        "",
    ]
    if notes:
        md += ["## Notes", ""] + [f"{i + 1}. {n}" for i, n in enumerate(notes)] + [""]
    text = "\n".join(md)
    os.makedirs(args.outdir, exist_ok=True)
    with open(os.path.join(args.outdir, "latest.md"), "w") as f:
        f.write(text)
    with open(os.path.join(args.outdir, "latest.svg"), "w") as f:
        f.write(chart(res, f"{now} · {machine()}"))
    print(text)


# ---- chart: horizontal bars on a shared log scale, one group per workload ----

COLORS = {"codesync": "#c0392b", "gapbuffer": "#7f8c8d"}
KIND_COLORS = {"Rust": "#2e86c1", "Node": "#27ae60", "Node/wasm": "#8e44ad"}


def chart(res, subtitle):
    groups = []
    title_keys = {}
    for w, wlabel in WORKLOADS:
        for t in res.traces.get(w, []):
            title_keys[f"{wlabel} — {t}"] = (w, t)
            bars = [(label, pid, kind, res.ms(pid, w, t)) for pid, label, kind in res.peers]
            # A peer with a result line but no time is shown as such, not dropped.
            bars = [b for b in bars if b[3] is not None or (b[1], w, t) in res.by and
                    not res.by[(b[1], w, t)].get("error", "").startswith("n/a")]
            if bars:
                groups.append((f"{wlabel} — {t}", bars))
    values = [b[3] for _, bars in groups for b in bars if b[3] is not None]
    if not values:
        return '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="40"><text x="10" y="25">no results</text></svg>\n'
    lo = 10 ** math.floor(math.log10(min(values)))
    hi = 10 ** math.ceil(math.log10(max(values)))
    left, right, bar_h, gap = 170, 110, 13, 3
    width = 900
    plot_w = width - left - right
    y = 62
    out = []

    def x_of(v):
        return left + plot_w * (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))

    body_top = y
    for title, bars in groups:
        out.append(f'<text x="10" y="{y + 11}" font-weight="bold">{html.escape(title)}</text>')
        y += 16
        for label, pid, kind, v in bars:
            color = COLORS.get(pid, KIND_COLORS.get(kind, "#555"))
            out.append(f'<text x="{left - 6}" y="{y + bar_h - 3}" text-anchor="end">{html.escape(label)} '
                       f'<tspan fill="#888">({html.escape(kind)})</tspan></text>')
            if v is None:
                err = res.by[(pid, title_keys[title][0], title_keys[title][1])].get("error", "failed")
                word = "skipped" if err.startswith("skipped") else "not run"
                out.append(f'<text x="{left + 4}" y="{y + bar_h - 3}" fill="#999" font-style="italic">'
                           f'{word} (see latest.md)</text>')
                y += bar_h + gap
                continue
            xv = x_of(v)
            out.append(f'<rect x="{left}" y="{y}" width="{max(xv - left, 1):.1f}" height="{bar_h}" fill="{color}"/>')
            out.append(f'<text x="{xv + 4:.1f}" y="{y + bar_h - 3}">{html.escape(fmt_ms(v))}</text>')
            y += bar_h + gap
        y += 8
    grid = []
    d = lo
    while d <= hi * 1.0001:
        x = x_of(d)
        grid.append(f'<line x1="{x:.1f}" y1="{body_top - 4}" x2="{x:.1f}" y2="{y}" stroke="#ddd"/>')
        grid.append(f'<text x="{x:.1f}" y="{y + 14}" text-anchor="middle" fill="#666">{html.escape(fmt_ms(d))}</text>')
        d *= 10
    height = y + 26
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        '<text x="10" y="20" font-size="15" font-weight="bold">codesync vs peers — median wall-clock time '
        '(log scale, shorter is faster)</text>',
        f'<text x="10" y="38" fill="#555">{html.escape(subtitle)}</text>',
    ]
    return "\n".join(head + grid + out + ["</svg>", ""])


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "gbench":
        if len(sys.argv) != 5:
            sys.exit("usage: report.py gbench <json> <workload> <trace>")
        print(json.dumps(gbench(sys.argv[2], sys.argv[3], sys.argv[4])))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["render"])
    ap.add_argument("results")
    ap.add_argument("outdir")
    ap.add_argument("--reps", default="?")
    ap.add_argument("--seconds", default="?")
    ap.add_argument("--load", default="?")
    ap.add_argument("--command", default="bench/run.sh")
    ap.add_argument("--revision", default="unknown")
    render(ap.parse_args())


if __name__ == "__main__":
    main()
