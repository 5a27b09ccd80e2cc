"""Applies a sequential editing trace through the codesync Python binding and
through pycrdt, one transaction per edit, and prints one JSON line per library.

    python bench_python.py TRACE.json.gz [--runs N]

Positions in the traces are code points: codesync uses them as they are;
pycrdt counts UTF-8 bytes, so the trace must be ASCII for it (automerge-paper is).
"""

import argparse
import gzip
import importlib.metadata
import json
import statistics
import sys
import time


def replay(text, edits, insert, delete):
    start = time.perf_counter()
    for pos, removed, inserted in edits:
        if removed:
            delete(pos, removed)
        if inserted:
            insert(pos, inserted)
    return time.perf_counter() - start


def run_codesync(edits, start_content):
    import codesync

    doc = codesync.Doc(client_id=1)
    text = doc.get_text("t")
    if start_content:
        text.insert(0, start_content)
    return replay(text, edits, text.insert, text.delete), str(text)


def run_pycrdt(edits, start_content):
    import pycrdt

    doc = pycrdt.Doc(client_id=1)
    text = doc.get("t", type=pycrdt.Text)
    if start_content:
        text.insert(0, start_content)

    def delete(pos, n):
        del text[pos : pos + n]

    return replay(text, edits, text.insert, delete), str(text)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("trace")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with gzip.open(args.trace) as f:
        trace = json.load(f)
    edits = [tuple(p) for txn in trace["txns"] for p in txn["patches"]]
    if any(ord(c) > 127 for p in edits for c in p[2]):
        print("bench_python.py: the trace is not ASCII (pycrdt counts bytes)", file=sys.stderr)
        return 2
    import codesync

    libraries = [
        ("codesync", codesync.__version__, run_codesync),
        ("pycrdt", importlib.metadata.version("pycrdt"), run_pycrdt),
    ]
    for name, version, run in libraries:
        times = []
        for _ in range(args.runs):
            seconds, final = run(edits, trace["startContent"])
            if final != trace["endContent"]:
                print(f"bench_python.py: {name} did not reach the trace's final text", file=sys.stderr)
                return 1
            times.append(seconds)
        print(json.dumps({"runtime": "python", "library": name, "version": version, "edits": len(edits),
                          "runs": args.runs, "median_ms": statistics.median(times) * 1000}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
