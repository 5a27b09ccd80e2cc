"""Two codesync documents edit the same text and map concurrently and converge.

Each document sends its own updates to the other through an observer, the way
a network provider would; updates that came from the peer are not sent back.
Exits non-zero unless both end with the same content.

    pip install ./bindings/python
    python examples/python/collab.py
"""

import sys

import codesync


def connect(a: codesync.Doc, b: codesync.Doc) -> None:
    """Forwards every local update of ``a`` to ``b`` (origin "remote" marks the copies)."""

    def forward(event: codesync.TransactionEvent) -> None:
        if event.origin != "remote":
            b.apply_update(event.update, origin="remote")

    a.observe(forward)


def main() -> int:
    alice, bob = codesync.Doc(), codesync.Doc()
    connect(alice, bob)
    connect(bob, alice)

    text = alice.get_text("notes")
    text.insert(0, "Hello")
    bob.get_text("notes").insert(5, ", world 🌍")  # indices count code points

    with alice.transaction(origin="alice"):  # one transaction: one update for bob
        text.format(0, 5, {"bold": True})
        alice.get_map("meta")["title"] = "Greeting"
        alice.get_map("meta")["tags"] = codesync.Array(["demo"])

    bob.get_map("meta")["tags"].append("python")
    del bob.get_text("notes")[-2:]  # drop " 🌍"

    print(str(alice.get_text("notes")))
    print(bob.get_text("notes").to_delta())
    print(alice.to_py())
    if alice.to_py() != bob.to_py() or alice.get_state_vector() != bob.get_state_vector():
        print("documents diverged", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
