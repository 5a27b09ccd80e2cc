#!/usr/bin/env python3
"""Markdown tables from codesync-load's JSON lines (bench/load/run.sh).

usage: report.py load.jsonl [--p99 MS] [--meta "k=v ..."]
"""
import argparse
import datetime
import json
import os
import platform


def ms(v):
    return "lost" if v is None else f"{v:.2f}"


def mb(kb):
    return "–" if kb is None else f"{kb / 1024:.0f}"


def loop(r):
    if "server_loop_over_20ms" not in r:
        return "–"
    return f"{r['server_loop_over_20ms']} ({r.get('server_loop_over_50ms', 0)})"


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def passes(r, p99):
    return r.get("p99_ms") is not None and r["p99_ms"] <= p99 and r.get("delivered", 0) == r.get("expected", -1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("jsonl")
    ap.add_argument("--p99", type=float, default=20)
    ap.add_argument("--meta", default="")
    a = ap.parse_args()
    rows = [json.loads(line) for line in open(a.jsonl) if line.strip()]
    out = []
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out.append(f"# Server load: codesync-server vs the Node y-websocket server\n")
    out.append(f"Run {now} on {os.cpu_count()} cores ({cpu_model()}), Linux {platform.release()}; "
               f"the machine is shared, so the load average (other processes) is in every row. "
               f"Settings: {a.meta}.\n")
    out.append("Latency is fan-out latency: an edit's arrival at every other client of its room minus the time "
               "the open-loop schedule had it due; `lost` means the percentile falls among deliveries that never "
               "came. RSS is the server's VmRSS at the end of the measured window (idle: with every client "
               "connected, before the first edit); HWM is VmHWM. Server CPU is its user + system time over the measured "
               "window (all its threads); µs/edit divides that time by the edits sent, a cost that depends far "
               "less on the other load of the machine than latency does. Loop iterations > 20 ms counts codesync-server's "
               "event-loop iterations that long within the measured window (its /metrics; a stall delays every room). "
               "Generator lag is how late the generator "
               "itself sent edits (p99): when it is large, the generator was not scheduled either, and the "
               "latencies of that row say more about the machine than about the server.\n")

    failed = [r for r in rows if r.get("ok") is False]
    # A generator that synced no client reports no rate: the server was not measured.
    failed += [dict(r, error=f"no client synced ({r.get('connect_failed')} failed)")
               for r in rows if "rate" not in r and r.get("ok") is not False]
    target = [r for r in rows if r.get("scenario") == "target" and "rate" in r]
    sweep = [r for r in rows if r.get("scenario") == "sweep" and "rate" in r]

    if target:
        out.append("## Target: connections, rooms and rate held together\n")
        out.append("| server | clients (synced) | rooms | rate (achieved) | p50 ms | p99 ms | p99.9 ms | max ms "
                   "| delivered | RSS idle / end / HWM MB | server CPU (µs/edit) | loop iterations > 20 ms (> 50 ms) "
                   "| generator lag p99 ms | setup s | errors | load avg |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in target:
            errs = r.get("errors", {})
            nerr = sum(v for v in errs.values())
            out.append(
                f"| {r['server']} | {r['clients']} ({r['synced']}) | {r['rooms']} | {r['rate']:.0f} "
                f"({r['achieved_rate']:.0f}) | {ms(r['p50_ms'])} | {ms(r['p99_ms'])} | {ms(r['p999_ms'])} "
                f"| {ms(r['max_ms'])} | {r['delivered_pct']:.3f}% | {mb(r.get('server_rss_idle_kb'))} / "
                f"{mb(r.get('server_rss_kb'))} / {mb(r.get('server_hwm_kb'))} | {r.get('server_cpu_pct', 0):.0f}% "
                f"({r.get('server_cpu_us_per_edit', 0):.0f}) | {loop(r)} | {ms(r.get('send_lag_p99_ms'))} "
                f"| {r['setup_s']:.1f} | {nerr} | {r.get('loadavg', 0):.1f} |")
        out.append("")

    if sweep:
        out.append(f"## Sweep: throughput at p99 ≤ {a.p99:g} ms\n")
        out.append("| server | rate (achieved) | p50 ms | p99 ms | max ms | delivered | RSS MB | server CPU (µs/edit) "
                   "| loop iterations > 20 ms (> 50 ms) | generator CPU | generator lag p99 ms | load avg | p99 ≤ target |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        best = {}
        for r in sweep:
            ok = passes(r, a.p99)
            if ok:
                best[r["server"]] = max(best.get(r["server"], 0), r["rate"])
            else:
                best.setdefault(r["server"], 0)
            out.append(
                f"| {r['server']} | {r['rate']:.0f} ({r['achieved_rate']:.0f}) | {ms(r['p50_ms'])} "
                f"| {ms(r['p99_ms'])} | {ms(r['max_ms'])} | {r['delivered_pct']:.3f}% | {mb(r.get('server_rss_kb'))} "
                f"| {r.get('server_cpu_pct', 0):.0f}% ({r.get('server_cpu_us_per_edit', 0):.0f}) | {loop(r)} "
                f"| {r.get('load_cpu_pct', 0):.0f}% | {ms(r.get('send_lag_p99_ms'))} | {r.get('loadavg', 0):.1f} "
                f"| {'yes' if ok else 'no'} |")
        out.append("")
        out.append(f"Highest swept rate with p99 ≤ {a.p99:g} ms and every delivery made:\n")
        for name, rate in best.items():
            out.append(f"- {name}: {rate:.0f} edits/s" if rate else f"- {name}: none of the swept rates")
        cs = max((v for k, v in best.items() if k.startswith("codesync")), default=0)
        node = best.get("node", 0)
        if cs and node:
            out.append(f"\ncodesync-server / Node at equal latency: {cs / node:.1f}x "
                       "(both bounded by the swept grid and by the generator, which shares the machine)")
        out.append("")

    loops = {}
    for r in rows:
        if "server_loop_max_ms" in r:
            loops[(r["server"], r.get("scenario"))] = (r["server_loop_max_ms"], r.get("server_loop_run_over_20ms"),
                                                       r.get("server_loop_cpu_max_ms"))
    if loops:
        out.append("codesync-server's event loop over each whole run (its /metrics: codesync_loop_busy_seconds, "
                   "poll return to the next poll, and codesync_loop_cpu_max_seconds, the same in the thread's CPU "
                   "time; a long iteration delays every room, and one much longer than its CPU time waited for a "
                   "CPU the machine's other processes held):\n")
        for (server, scenario), (mx, slow, cpu) in loops.items():
            out.append(f"- {server} {scenario}: longest iteration {mx:.1f} ms"
                       + ("" if cpu is None else f" (most CPU in one iteration: {cpu:.1f} ms)")
                       + ("" if slow is None else f", {slow} iteration(s) over 20 ms"))
        out.append("")

    if failed:
        out.append("## Not run\n")
        for r in failed:
            out.append(f"- {r.get('server')} {r.get('scenario')}: {r.get('error')}")
        out.append("")
    reasons = {}
    for r in rows:
        for k, v in (r.get("reasons") or {}).items():
            reasons.setdefault((r.get("server"), r.get("scenario"), k), v)
    if reasons:
        out.append("## Errors reported by the generator\n")
        for (server, scenario, why), n in reasons.items():
            out.append(f"- {server} {scenario}: {n} × {why}")
        out.append("")
    print("\n".join(out))


if __name__ == "__main__":
    main()
