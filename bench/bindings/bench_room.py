"""Relays a sequential editing trace from one client to another through a
server, one transaction (one Update frame) per edit, and prints one JSON line
per library:

  codesync  client Doc -> Room.receive -> Room.messages -> receive_message on the other client
  pycrdt    client Doc -> the server's handle_sync_message on its Doc -> forwarded frame ->
            handle_sync_message on the other client (what a pycrdt/y-websocket server does)

The time covers the server and the receiving client, not the sender's edits.

    python bench_room.py TRACE.json.gz [--runs N]
"""

import argparse
import gzip
import importlib.metadata
import json
import statistics
import sys
import time


def frames_codesync(edits, start):
    """The Update frames a codesync client sends for the trace."""
    import codesync

    doc = codesync.Doc(client_id=1)
    text = doc.get_text("t")
    if start:
        text.insert(0, start)
    frames = [codesync.encode_sync_update(doc.get_update())]
    doc.observe(lambda e: frames.append(codesync.encode_sync_update(e.update)))
    for pos, removed, inserted in edits:
        with doc.transaction():
            if removed:
                text.delete(pos, removed)
            if inserted:
                text.insert(pos, inserted)
    return frames


def run_codesync(frames):
    import codesync

    room = codesync.Room(client_id=100)
    room.attach(1)
    room.attach(2)
    receiver = codesync.Doc(client_id=2)
    list(room.messages())  # the SyncStep1 each connection gets on attach
    start = time.perf_counter()
    for frame in frames:
        room.receive(1, frame)
        for conn, out in room.messages():
            codesync.receive_message(receiver, out)
    return time.perf_counter() - start, str(receiver.get_text("t"))


def run_pycrdt(frames):
    import pycrdt

    server = pycrdt.Doc(client_id=100)
    receiver = pycrdt.Doc(client_id=2)
    server_text = server.get("t", type=pycrdt.Text)
    text = receiver.get("t", type=pycrdt.Text)
    start = time.perf_counter()
    for frame in frames:
        pycrdt.handle_sync_message(frame[1:], server)  # frame[0] is the SYNC message type
        pycrdt.handle_sync_message(frame[1:], receiver)  # forwarded as is, as y-websocket does
    del server_text
    return time.perf_counter() - start, str(text)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("trace")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with gzip.open(args.trace) as f:
        trace = json.load(f)
    edits = [tuple(p) for txn in trace["txns"] for p in txn["patches"]]
    import codesync

    # Both relay the same bytes (Yjs updates are the same format for both).
    frames = frames_codesync(edits, trace["startContent"])
    libraries = [
        ("codesync", codesync.__version__, run_codesync),
        ("pycrdt", importlib.metadata.version("pycrdt"), run_pycrdt),
    ]
    for name, version, run in libraries:
        times = []
        for _ in range(args.runs):
            seconds, final = run(frames)
            if final != trace["endContent"]:
                print(f"bench_room.py: {name}'s receiver did not reach the trace's final text", file=sys.stderr)
                return 1
            times.append(seconds)
        print(json.dumps({"runtime": "python", "library": name, "version": version, "frames": len(frames),
                          "runs": args.runs, "median_ms": statistics.median(times) * 1000}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
