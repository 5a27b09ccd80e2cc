"""The sync protocol (y-protocols messages in y-websocket's envelope) and
codesync.Room: frames y-protocols made (yprotocols/make_fixtures.mjs), a
pycrdt client syncing both ways, and a room serving codesync and pycrdt
clients."""

import json
import pathlib

import pycrdt
import pytest

from codesync import (
    Awareness,
    Doc,
    InvalidArgumentError,
    MalformedError,
    MessageKind,
    Room,
    decode_message,
    encode_awareness_message,
    encode_permission_denied,
    encode_query_awareness,
    encode_sync_step1,
    encode_sync_step2,
    encode_sync_update,
    receive_message,
)

HERE = pathlib.Path(__file__).resolve().parent / "yprotocols"


def fixture(name: str):
    return (HERE / f"{name}.bin").read_bytes(), json.loads((HERE / f"{name}.json").read_text())


class Clock:
    def __init__(self, now: int = 1_000) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


# ---- Messages -------------------------------------------------------------------------


def test_y_protocols_frames_decode_to_their_kind_and_payload():
    step1, expected = fixture("sync_step1")
    kind, payload = decode_message(step1)
    # The payload is the state vector, as y-protocols wrote it (length-prefixed).
    assert kind is MessageKind.SYNC_STEP1 and payload == bytes(expected["stateVector"])
    assert decode_message(fixture("sync_step2")[0])[0] is MessageKind.SYNC_STEP2
    assert decode_message(fixture("sync_update")[0])[0] is MessageKind.SYNC_UPDATE
    assert decode_message(fixture("sync_awareness")[0])[0] is MessageKind.AWARENESS


def test_encoded_frames_decode_back():
    doc = Doc(client_id=1)
    doc.get_text("t").insert(0, "abc")
    kind, sv = decode_message(encode_sync_step1(doc))
    assert kind is MessageKind.SYNC_STEP1 and sv == doc.get_state_vector()
    kind, update = decode_message(encode_sync_step2(doc))
    assert kind is MessageKind.SYNC_STEP2 and update == doc.get_update()
    kind, update = decode_message(encode_sync_update(b"\x00\x00"))
    assert kind is MessageKind.SYNC_UPDATE and update == b"\x00\x00"
    kind, reason = decode_message(encode_permission_denied("read-only"))
    assert kind is MessageKind.PERMISSION_DENIED and reason == b"read-only"
    assert decode_message(encode_query_awareness()) == (MessageKind.QUERY_AWARENESS, b"")
    aw = Awareness(doc)
    aw.set_local_state({"n": 1})
    kind, payload = decode_message(encode_awareness_message(aw))
    assert kind is MessageKind.AWARENESS and payload == aw.encode_update()
    # Step2 for a peer that has everything carries no structs.
    other = Doc()
    other.apply_update(decode_message(encode_sync_step2(doc, doc.get_state_vector()))[1])
    assert str(other.get_text("t")) == ""


@pytest.mark.parametrize("frame", [b"", b"\x09", b"\x00\x07\x00", b"\x00\x00", b"\x01\x05\x01", b"\x03\x00"])
def test_malformed_frames_raise(frame):
    with pytest.raises(MalformedError):
        decode_message(frame)


def test_receive_answers_and_applies_as_a_provider_does():
    doc, aw = Doc(client_id=2), Awareness(Doc(client_id=2))
    seen: list = []
    doc.observe(lambda e: seen.append(e.origin))
    origin = object()

    step2, expected = fixture("sync_step2")
    assert receive_message(doc, step2, awareness=aw, origin=origin) == (MessageKind.SYNC_STEP2, None)
    assert str(doc.get_text("t")) == expected["t"] and doc.get_map("m").to_py() == expected["m"]
    assert seen == [origin]
    # The same update again changes nothing.
    assert receive_message(doc, fixture("sync_update")[0]) == (MessageKind.SYNC_UPDATE, None)
    assert str(doc.get_text("t")) == expected["t"]

    # SyncStep1 from y-protocols' doc (which has all this) is answered with what it lacks: nothing.
    kind, reply = receive_message(doc, fixture("sync_step1")[0])
    assert kind is MessageKind.SYNC_STEP1 and decode_message(reply)[0] is MessageKind.SYNC_STEP2
    empty = Doc()
    empty.apply_update(decode_message(reply)[1])
    assert empty.to_py() == {}
    # From an empty peer: everything.
    kind, reply = receive_message(doc, encode_sync_step1(Doc()))
    full = Doc()
    full.apply_update(decode_message(reply)[1])
    assert str(full.get_text("t")) == expected["t"]

    frame, states = fixture("sync_awareness")
    assert receive_message(doc, frame, awareness=aw) == (MessageKind.AWARENESS, None)
    assert aw.get_state(5) == states["states"]["5"]
    # Ignored without an awareness.
    assert receive_message(Doc(), frame) == (MessageKind.AWARENESS, None)

    kind, reply = receive_message(doc, encode_query_awareness(), awareness=aw)
    assert kind is MessageKind.QUERY_AWARENESS
    other = Awareness(Doc(client_id=9))
    other.apply_update(decode_message(reply)[1])
    assert other.get_state(5) == states["states"]["5"] and other.get_state(2) == {}


def test_receive_rejects_a_malformed_frame_and_changes_nothing():
    doc = Doc(client_id=1)
    doc.get_text("t").insert(0, "keep")
    before = doc.get_update()
    step2, _ = fixture("sync_step2")
    for bad in (step2[:-2], step2 + b"\x00", b"\x00\x01\x05\x01\x02"):
        with pytest.raises(MalformedError):
            receive_message(doc, bad)
    assert doc.get_update() == before


def test_pycrdt_syncs_both_ways():
    ours = Doc(client_id=1)
    ours.get_text("t").insert(0, "from codesync")
    theirs = pycrdt.Doc(client_id=2)
    theirs["t"] = text = pycrdt.Text()
    with theirs.transaction():
        text.insert(0, "from pycrdt ")

    # pycrdt asks (SyncStep1); codesync answers with SyncStep2; pycrdt applies it.
    kind, reply = receive_message(ours, pycrdt.create_sync_message(theirs))
    assert kind is MessageKind.SYNC_STEP1
    assert reply[0] == pycrdt.YMessageType.SYNC
    pycrdt.handle_sync_message(reply[1:], theirs)
    # codesync asks; pycrdt answers; codesync applies.
    answer = pycrdt.handle_sync_message(encode_sync_step1(ours)[1:], theirs)  # a whole frame
    assert receive_message(ours, answer)[0] is MessageKind.SYNC_STEP2
    assert str(ours.get_text("t")) == str(text)
    assert "from codesync" in str(text) and "from pycrdt" in str(text)

    # An incremental update, as y-websocket sends after each transaction.
    updates: list = []
    ours.observe(lambda e: updates.append(encode_sync_update(e.update)))
    ours.get_text("t").insert(0, "> ")
    pycrdt.handle_sync_message(updates[0][1:], theirs)
    assert str(text) == str(ours.get_text("t"))
    with theirs.transaction():
        text.insert(len(text), "!")
    receive_message(ours, pycrdt.create_update_message(theirs.get_update(ours.get_state_vector())))
    assert str(ours.get_text("t")) == str(text)


# ---- Room ---------------------------------------------------------------------------------


def drain(room: Room) -> dict:
    """Queued frames by connection, decoded."""
    out: dict = {}
    for conn, frame in room.messages():
        out.setdefault(conn, []).append(decode_message(frame))
    return out


def kinds(frames):
    return [k for k, _ in frames]


def test_attach_queues_sync_step1_and_existing_awareness():
    room = Room(client_id=100, clock=Clock())
    room.doc.get_text("t").insert(0, "persisted")
    room.attach(1)
    assert room.connection_count == 1 and room.pending_messages == 1
    frames = drain(room)
    assert kinds(frames[1]) == [MessageKind.SYNC_STEP1]
    assert frames[1][0][1] == room.doc.get_state_vector()
    assert room.next_message() is None and room.pending_messages == 0

    client_aw = Awareness(Doc(client_id=7))
    room.receive(1, encode_awareness_message(client_aw))
    room.attach(2)
    frames = drain(room)
    assert kinds(frames[2]) == [MessageKind.SYNC_STEP1, MessageKind.AWARENESS]


def test_a_room_relays_y_protocols_frames_between_connections():
    room = Room(client_id=100, clock=Clock())
    origins: list = []
    room.doc.observe(lambda e: origins.append(e.origin))
    room.attach(1)
    room.attach(2)
    drain(room)

    step2, expected = fixture("sync_step2")
    room.receive(1, step2)
    assert str(room.doc.get_text("t")) == expected["t"] and origins == ["conn:1"]
    frames = drain(room)
    assert list(frames) == [2] and kinds(frames[2]) == [MessageKind.SYNC_UPDATE]
    follower = Doc()
    follower.apply_update(frames[2][0][1])
    assert str(follower.get_text("t")) == expected["t"]

    # SyncStep1 is answered to its sender only.
    room.receive(2, encode_sync_step1(Doc()))
    frames = drain(room)
    assert list(frames) == [2] and kinds(frames[2]) == [MessageKind.SYNC_STEP2]

    aw_frame, states = fixture("sync_awareness")
    room.receive(1, aw_frame)
    assert room.awareness.get_state(5) == states["states"]["5"]
    frames = drain(room)
    assert list(frames) == [2] and kinds(frames[2]) == [MessageKind.AWARENESS]

    # Detaching 1 removes the state it set, and tells 2.
    events: list = []
    room.awareness.observe(events.append)
    room.detach(1)
    assert room.awareness.get_state(5) is None and events[-1].removed == [5]
    frames = drain(room)
    peer = Awareness(Doc(client_id=9))
    peer.apply_update(aw_frame[2:])  # the payload after [1][length]
    peer.apply_update(frames[2][0][1])
    assert peer.get_state(5) is None


def test_read_only_connections_cannot_edit():
    room = Room(client_id=100, clock=Clock())
    room.attach(1, read_only=True)
    room.attach(2)
    drain(room)
    room.receive(1, fixture("sync_step2")[0])
    frames = drain(room)
    assert list(frames) == [1]
    assert frames[1] == [(MessageKind.PERMISSION_DENIED, b"read-only")]
    assert room.doc.to_py() == {}
    room.set_read_only(1, False)
    room.receive(1, fixture("sync_step2")[0])
    assert str(room.doc.get_text("t")) == fixture("sync_step2")[1]["t"]


def test_edits_through_the_room_doc_and_awareness_reach_everyone():
    room = Room(client_id=100, clock=Clock())
    room.attach(1)
    room.attach(2)
    drain(room)
    room.doc.get_text("t").insert(0, "server edit")
    room.awareness.set_local_state({"server": True})
    frames = drain(room)
    assert kinds(frames[1]) == kinds(frames[2]) == [MessageKind.SYNC_UPDATE, MessageKind.AWARENESS]


def test_room_tick_expires_silent_clients():
    clock = Clock(0)
    room = Room(client_id=100, clock=clock, awareness_timeout=5_000)
    room.attach(1)
    client = Awareness(Doc(client_id=7), clock=clock)
    room.receive(1, encode_awareness_message(client))
    drain(room)
    room.tick(4_000)
    assert room.awareness.get_state(7) == {}
    clock.now = 6_000
    room.tick()
    assert room.awareness.get_state(7) is None
    assert kinds(drain(room)[1]) == [MessageKind.AWARENESS]


def test_room_errors_are_exceptions_with_the_library_message():
    room = Room(clock=Clock())
    with pytest.raises(InvalidArgumentError) as info:
        room.receive(5, encode_query_awareness())
    assert str(info.value)
    room.attach(1)
    with pytest.raises(InvalidArgumentError):
        room.attach(1)
    with pytest.raises(MalformedError):
        room.receive(1, b"\x00\x09")
    with pytest.raises(InvalidArgumentError):
        room.detach(2)
    drain(room)
    with pytest.raises(MalformedError):
        room.receive(1, fixture("sync_step2")[0][:-1])
    assert room.pending_messages == 0 and room.doc.to_py() == {}


def test_an_observer_exception_in_the_room_doc_is_raised_from_receive():
    room = Room(clock=Clock())

    def boom(event):
        raise LookupError("persist failed")

    room.doc.observe(boom)
    room.attach(1)
    with pytest.raises(LookupError, match="persist failed"):
        room.receive(1, fixture("sync_step2")[0])
    # The update itself was applied and relayed as usual.
    assert str(room.doc.get_text("t")) == fixture("sync_step2")[1]["t"]


def test_a_room_serves_codesync_and_pycrdt_clients():
    room = Room(client_id=100, clock=Clock())
    ours = Doc(client_id=1)
    theirs = pycrdt.Doc(client_id=2)
    theirs["t"] = ptext = pycrdt.Text()
    room.attach(1)
    room.attach(2)

    def pump():
        """Delivers queued frames until the room has nothing left to say."""
        while room.pending_messages:
            for conn, frame in list(room.messages()):
                if conn == 1:
                    _, reply = receive_message(ours, frame, origin="server")
                    if reply:
                        room.receive(1, reply)
                else:
                    assert frame[0] == pycrdt.YMessageType.SYNC
                    reply = pycrdt.handle_sync_message(frame[1:], theirs)
                    if reply:
                        room.receive(2, reply)

    room.receive(1, encode_sync_step1(ours))
    room.receive(2, pycrdt.create_sync_message(theirs))
    pump()

    ours_updates: list = []
    ours.observe(lambda e: ours_updates.append(e) if e.origin != "server" else None)
    ours.get_text("t").insert(0, "codesync ")
    room.receive(1, encode_sync_update(ours_updates[-1].update))
    with theirs.transaction():
        ptext.insert(0, "pycrdt ")
    room.receive(2, pycrdt.create_update_message(theirs.get_update(pycrdt.Doc().get_state())))
    pump()
    assert str(ours.get_text("t")) == str(ptext) == str(room.doc.get_text("t"))
    assert sorted(str(ptext).split()) == ["codesync", "pycrdt"]


def test_a_rooms_doc_and_awareness_keep_working_after_the_room_object_is_dropped():
    import gc

    room = Room(client_id=100, clock=Clock())
    doc, aw = room.doc, room.awareness
    del room
    gc.collect()
    doc.get_text("t").insert(0, "still here")
    aw.set_local_state({"n": 1})
    assert str(doc.get_text("t")) == "still here" and aw.get_local_state() == {"n": 1}


def test_cycles_through_room_observers_are_collected():
    import gc
    import weakref

    def make():
        room = Room(clock=Clock())
        room.doc.observe(lambda e: room.pending_messages)  # refers back to the room
        room.awareness.observe(lambda e: room.doc)
        room.attach(1)
        room.doc.get_text("t").insert(0, "x")
        room.awareness.set_local_state({"n": 1})
        return weakref.ref(room), weakref.ref(room.doc), weakref.ref(room.awareness)

    refs = make()
    gc.collect()
    assert all(r() is None for r in refs)


def test_awareness_observer_cycles_are_collected():
    import gc
    import weakref

    def make():
        aw = Awareness(Doc(client_id=1), clock=Clock())
        aw.observe(lambda e: aw.states)
        aw.set_local_state({"n": 1})
        return weakref.ref(aw)

    ref = make()
    gc.collect()
    assert ref() is None
