"""codesync.Awareness: local and remote states, change events, timeouts with
an injected clock, and interop with y-protocols (fixtures it made, a live
peer) and with pycrdt's Awareness."""

import base64
import json
import pathlib
import shutil
import subprocess

import pycrdt
import pytest

import codesync
from codesync import Awareness, AwarenessEvent, BusyError, Doc, MalformedError
from conftest import REPO

HERE = pathlib.Path(__file__).resolve().parent / "yprotocols"


class Clock:
    """A fake millisecond clock the tests move by hand."""

    def __init__(self, now: int = 1_000) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def awareness(client_id: int, clock=None, **kwargs) -> Awareness:
    return Awareness(Doc(client_id=client_id), clock=clock or Clock(), **kwargs)


def recorder(aw: Awareness) -> list:
    events: list = []
    aw.observe(events.append)
    return events


def as_tuple(e: AwarenessEvent):
    return (e.added, e.updated, e.removed, e.renewed, e.origin)


# ---- Local state --------------------------------------------------------------------


def test_starts_with_an_empty_local_state_like_y_protocols():
    aw = awareness(3)
    assert aw.client_id == 3
    assert aw.get_local_state() == {}
    assert aw.states == {3: {}}
    assert aw.get_clock(3) is not None
    assert aw.get_clock(4) is None


def test_local_state_set_field_and_remove():
    aw = awareness(3)
    start = aw.get_clock(3)
    aw.set_local_state({"user": {"name": "Ann"}, "cursor": None})
    aw.set_local_state_field("cursor", {"anchor": 1, "head": 2})
    assert aw.get_local_state() == {"user": {"name": "Ann"}, "cursor": {"anchor": 1, "head": 2}}
    assert aw.get_state(3) == aw.get_local_state()
    assert aw.get_clock(3) == start + 2
    aw.set_local_state(None)
    assert aw.get_local_state() is None
    assert aw.states == {}
    assert aw.get_state(3) is None
    # Without a local state, setting a field does nothing (as y-protocols).
    aw.set_local_state_field("cursor", 1)
    assert aw.get_local_state() is None
    assert aw.get_clock(3) == start + 3


def test_a_state_that_is_not_json_is_rejected_and_changes_nothing():
    aw = awareness(3)
    aw.set_local_state({"a": 1})
    clock = aw.get_clock(3)
    with pytest.raises(ValueError):
        aw.set_local_state({"bad": float("nan")})
    with pytest.raises(TypeError):
        aw.set_local_state({"bad": object()})
    assert aw.get_local_state() == {"a": 1}
    assert aw.get_clock(3) == clock


def test_the_awareness_takes_a_doc():
    with pytest.raises(TypeError):
        Awareness(3)  # type: ignore[arg-type]


# ---- Events -------------------------------------------------------------------------


def test_local_changes_report_added_updated_renewed_removed():
    aw = Awareness(Doc(client_id=3), clock=Clock())
    events = recorder(aw)
    aw.set_local_state({"a": 1})
    aw.set_local_state({"a": 1})
    aw.set_local_state(None)
    aw.set_local_state({"b": 2})
    assert [as_tuple(e) for e in events] == [
        ([], [3], [], [], "local"),
        ([], [], [], [3], "local"),
        ([], [], [3], [], "local"),
        ([3], [], [], [], "local"),
    ]
    assert [e.changed for e in events] == [True, False, True, True]


def test_remote_updates_carry_the_callers_origin_even_when_not_a_str():
    a, b = awareness(1), awareness(2)
    events = recorder(b)
    origin = object()
    b.apply_update(a.encode_update(), origin)
    assert len(events) == 1 and events[0].added == [1] and events[0].origin is origin
    a.set_local_state({"x": 1})
    b.apply_update(a.encode_update(), "peer")
    assert as_tuple(events[1]) == ([], [1], [], [], "peer")
    assert b.states == {1: {"x": 1}, 2: {}}


def test_unsubscribe_stops_the_callback():
    aw = awareness(1)
    events: list = []
    sub = aw.observe(events.append)
    aw.set_local_state({"n": 1})
    sub.unsubscribe()
    assert not sub.active
    aw.set_local_state({"n": 2})
    assert len(events) == 1


def test_an_observer_exception_is_raised_from_the_call_and_the_change_stays():
    aw = awareness(1)

    def boom(event):
        raise KeyError("from the observer")

    aw.observe(boom)
    with pytest.raises(KeyError, match="from the observer"):
        aw.set_local_state({"n": 1})
    assert aw.get_local_state() == {"n": 1}


def test_changing_the_awareness_from_its_observer_is_busy():
    aw = awareness(1)
    seen: list = []

    def reenter(event):
        try:
            aw.set_local_state({"again": True})
        except BusyError as e:
            seen.append(str(e))

    aw.observe(reenter)
    aw.set_local_state({"n": 1})
    assert len(seen) == 1 and seen[0]
    assert aw.get_local_state() == {"n": 1}


# ---- Exchanging updates ----------------------------------------------------------------


def test_encode_selected_clients_and_remove_states():
    a, b, c = awareness(1), awareness(2), awareness(3)
    a.set_local_state({"who": "a"})
    b.set_local_state({"who": "b"})
    c.apply_update(a.encode_update())
    c.apply_update(b.encode_update())
    assert c.states == {1: {"who": "a"}, 2: {"who": "b"}, 3: {}}
    only_b = Awareness(Doc(client_id=9), clock=Clock())
    only_b.apply_update(c.encode_update([2]))
    assert only_b.states == {2: {"who": "b"}, 9: {}}

    events = recorder(c)
    c.remove_states([1], origin="closed")
    assert as_tuple(events[-1]) == ([], [], [1], [], "closed")
    # A remote client's clock is kept (as y-protocols does), so the removal wins at peers.
    assert 1 not in c.states and c.get_clock(1) == a.get_clock(1)
    # The removal travels: encoding a client without state writes null.
    only_a = awareness(8)
    only_a.apply_update(a.encode_update())
    only_a.apply_update(c.encode_update([1]))
    assert 1 not in only_a.states


def test_a_malformed_update_raises_and_changes_nothing():
    a, b = awareness(1), awareness(2)
    a.set_local_state({"name": "Ann"})
    good = a.encode_update()
    events = recorder(b)
    for bad in (good[:-3], good + b"\x00", b"\x01\x05", b"\x01\x01\x05\x03{x}"):
        with pytest.raises(MalformedError) as info:
            b.apply_update(bad)
        assert str(info.value)
    assert b.states == {2: {}} and events == []
    b.apply_update(good)
    assert b.states[1] == {"name": "Ann"}


# ---- Time -----------------------------------------------------------------------------------


def test_remote_states_expire_and_the_local_one_is_renewed():
    clock = Clock()
    a = awareness(1, clock)
    b = awareness(2, clock)
    a.set_local_state({"n": 1})
    b.apply_update(a.encode_update())
    events = recorder(b)
    clock.now += 14_000
    b.tick()
    assert events == [] and 1 in b.states
    before = b.get_clock(2)
    clock.now += 2_000  # half the timeout since b's last change: renewed
    b.tick()
    assert as_tuple(events[-1]) == ([], [], [], [2], "local")
    assert b.get_clock(2) == before + 1
    clock.now += 15_000  # 31 s since 1 was heard of
    b.tick()
    assert as_tuple(events[-1]) == ([], [], [1], [], "timeout")
    assert set(b.states) == {2}


def test_tick_takes_an_explicit_time_and_the_timeout_is_configurable():
    clock = Clock(0)
    a = awareness(1, clock)
    b = awareness(2, clock, outdated_timeout=1_000)
    b.apply_update(a.encode_update())
    b.tick(500)
    assert 1 in b.states
    b.tick(1_001)
    assert 1 not in b.states


def test_the_default_clock_is_monotonic_milliseconds():
    a = Awareness(Doc(client_id=1))
    b = Awareness(Doc(client_id=2))
    b.apply_update(a.encode_update())
    b.tick()  # now, by the default clock: nothing has expired yet
    assert 1 in b.states


# ---- y-protocols ------------------------------------------------------------------------


def fixture(name: str):
    return (HERE / f"{name}.bin").read_bytes(), json.loads((HERE / f"{name}.json").read_text())


def test_y_protocols_awareness_bytes_read_as_y_protocols_reads_them():
    update, expected = fixture("awareness_states")
    aw = awareness(9)
    events = recorder(aw)
    aw.apply_update(update, "yjs")
    states = {str(k): v for k, v in aw.states.items() if k != 9}
    assert states == expected["states"]
    for client, clock in expected["clocks"].items():
        assert aw.get_clock(int(client)) == clock
    assert events[0].added == [1, 2] and events[0].origin == "yjs"

    removal, after = fixture("awareness_removal")
    aw.apply_update(removal)
    assert {str(k): v for k, v in aw.states.items() if k != 9} == after["states"]
    assert aw.get_clock(1) == after["clocks"]["1"]
    assert events[-1].removed == [1]


def y_protocols_peer(update: bytes, state) -> dict:
    node = shutil.which("node")
    if node is None or not (REPO / "tests" / "node" / "node_modules" / "y-protocols").exists():
        pytest.fail("node and tests/node/node_modules/y-protocols are needed (run scripts/setup.sh)")
    request = {"update": base64.b64encode(update).decode(), "state": state}
    out = subprocess.run(
        [node, str(HERE / "peer.mjs")], input=json.dumps(request), capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_live_y_protocols_peer_both_ways():
    clock = Clock()
    aw = awareness(4, clock)
    aw.set_local_state({"user": {"name": "Łukasz ✓"}, "cursor": {"anchor": 0, "head": 7}})
    gone = awareness(6, clock)
    gone.set_local_state({"tmp": True})
    aw.apply_update(gone.encode_update())
    aw.remove_states([6])  # encoded as null with its clock: y-protocols learns of it, without state
    reply = y_protocols_peer(aw.encode_update([4, 6]), {"from": "yjs", "n": [1, 2]})
    assert reply["states"] == {"4": {"user": {"name": "Łukasz ✓"}, "cursor": {"anchor": 0, "head": 7}}, "77": {}}
    assert reply["clocks"]["4"] == aw.get_clock(4)
    assert reply["events"][0]["added"] == [4] and reply["events"][0]["origin"] == "python"

    events = recorder(aw)
    aw.apply_update(base64.b64decode(reply["update"]), "peer")
    assert aw.get_state(77) == {"from": "yjs", "n": [1, 2]}
    assert events[-1].added == [77]


# ---- pycrdt ----------------------------------------------------------------------------------


def test_pycrdt_awareness_both_ways():
    theirs = pycrdt.Awareness(pycrdt.Doc(client_id=11))
    theirs.set_local_state({"user": "pycrdt", "cursor": [1, 2]})
    ours = awareness(12)
    ours.set_local_state({"user": "codesync"})

    ours.apply_update(theirs.encode_awareness_update([11]), "pycrdt")
    assert ours.get_state(11) == {"user": "pycrdt", "cursor": [1, 2]}
    assert ours.get_clock(11) == theirs.meta[11]["clock"]

    changes: list = []
    theirs.observe(lambda topic, payload: changes.append((topic, payload)))
    theirs.apply_awareness_update(ours.encode_update([12]), "codesync")
    assert theirs.states[12] == {"user": "codesync"}
    assert ("change", ({"added": [12], "updated": [], "removed": []}, "codesync")) in changes

    # A removal made by codesync removes the state at pycrdt.
    ours.set_local_state(None)
    theirs.apply_awareness_update(ours.encode_update([12]), "codesync")
    assert 12 not in theirs.states


def test_pycrdt_names_work_too():
    a, b = awareness(1), awareness(2)
    a.set_local_state({"k": "v"})
    b.apply_awareness_update(a.encode_awareness_update([1]), None)
    assert b.get_state(1) == {"k": "v"}
    b.remove_awareness_states([1], None)
    assert b.get_state(1) is None


def test_public_names():
    for name in ("Awareness", "AwarenessEvent", "Room", "MessageKind", "receive_message"):
        assert name in codesync.__all__


@pytest.mark.parametrize("bad", [[-1], ["x"], [2**70], [1.5]])
def test_bad_client_ids_are_type_errors(bad):
    aw = awareness(1)
    with pytest.raises(TypeError):
        aw.encode_update(bad)
    with pytest.raises(TypeError):
        aw.remove_states(bad)
    assert aw.states == {1: {}}
