"""A y-websocket-style server room with two clients: document sync and presence.

The Room is the server's logic without I/O: here the "network" is a loop that
hands each queued frame to the client it is addressed to, and each client's
replies back to the room. Exits non-zero unless both clients end with the
same text and see each other's presence.

    pip install ./bindings/python
    python examples/python/presence_room.py
"""

import sys

import codesync


class Client:
    """A client as y-websocket's provider runs one: a document and its awareness."""

    def __init__(self, room: codesync.Room, conn_id: int, name: str) -> None:
        self.room, self.conn_id = room, conn_id
        self.doc = codesync.Doc()
        self.awareness = codesync.Awareness(self.doc)
        self.awareness.set_local_state({"user": name, "cursor": 0})
        # Local edits and presence changes go to the server as they happen.
        self.doc.observe(self.on_update)
        self.awareness.observe(self.on_presence)
        room.attach(conn_id)
        room.receive(conn_id, codesync.encode_sync_step1(self.doc))
        room.receive(conn_id, codesync.encode_awareness_message(self.awareness))

    def on_update(self, event: codesync.TransactionEvent) -> None:
        if event.origin != "server":
            self.room.receive(self.conn_id, codesync.encode_sync_update(event.update))

    def on_presence(self, event: codesync.AwarenessEvent) -> None:
        if event.origin == "local":
            ids = event.added + event.updated + event.removed + event.renewed
            self.room.receive(self.conn_id, codesync.encode_awareness_message(self.awareness, ids))

    def deliver(self, frame: bytes) -> None:
        _, reply = codesync.receive_message(self.doc, frame, awareness=self.awareness, origin="server")
        if reply is not None:
            self.room.receive(self.conn_id, reply)


def main() -> int:
    room = codesync.Room()
    room.doc.get_text("notes").insert(0, "Agenda")  # e.g. loaded from storage
    clients = {1: Client(room, 1, "alice"), 2: Client(room, 2, "bob")}

    def network() -> None:
        for conn_id, frame in room.messages():
            clients[conn_id].deliver(frame)

    network()
    clients[1].doc.get_text("notes").insert(6, ": sync")
    clients[2].doc.get_text("notes").insert(0, "# ")
    clients[2].awareness.set_local_state_field("cursor", 2)
    network()

    for c in clients.values():
        print(c.conn_id, str(c.doc.get_text("notes")), c.awareness.states)
    texts = {str(c.doc.get_text("notes")) for c in clients.values()} | {str(room.doc.get_text("notes"))}
    users = [{s.get("user") for s in c.awareness.states.values()} for c in clients.values()]
    if len(texts) != 1 or any(u != {"alice", "bob"} for u in users):
        print("clients diverged", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
