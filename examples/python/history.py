"""An editor's history with codesync: versions, a review diff, undo that keeps
a collaborator's edits, a cursor that follows them, and a saved container.

Exits non-zero unless every step gives the expected text.

    pip install ./bindings/python
    python examples/python/history.py
"""

import sys

import codesync


def connect(a: codesync.Doc, b: codesync.Doc) -> None:
    """Forwards the local updates of ``a`` to ``b``, as a network provider would."""

    def forward(event: codesync.TransactionEvent) -> None:
        if event.origin != "remote":
            b.apply_update(event.update, origin="remote")

    a.observe(forward)


def main() -> int:
    me = codesync.Doc(client_id=1, gc=False)  # gc=False keeps what old versions need
    peer = codesync.Doc(client_id=2)
    connect(me, peer)
    connect(peer, me)

    text = me.get_text("doc")
    undo = codesync.UndoManager(text, capture_timeout=0)  # records plain local edits only
    text.insert(0, "Hello world")
    v1 = me.snapshot()
    cursor = text.sticky_index(6)  # before "world"

    peer.get_text("doc").insert(0, "> ")  # the collaborator prefixes a quote mark
    text[8:13] = "there"  # "world" -> "there"
    ok = str(text) == "> Hello there" and cursor.get_index() == 8

    review = text.diff(v1)  # what changed since v1, and who inserted it
    ok &= {"insert": "> ", "client": 2} in review and {"delete": 5, "text": "world", "client": 1} in review
    ok &= [run.client_id for run in text.authorship()] == [2, 1]

    undo.undo()  # my replacement goes; the peer's "> " stays
    ok &= str(text) == "> Hello world" == str(peer.get_text("doc"))
    ok &= str(codesync.Doc.from_snapshot(me, v1).get_text("doc")) == "Hello world"

    saved = me.save(guid="notes", metadata={"title": "demo"})
    ok &= str(codesync.Doc.load(saved).get_text("doc")) == "> Hello world"
    ok &= codesync.container_info(saved).metadata == {"title": "demo"}
    print(str(text), review, sep="\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
