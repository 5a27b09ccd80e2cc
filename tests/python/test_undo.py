"""Relative positions (StickyIndex) and the undo manager through the Python
binding, with interop against pycrdt: sticky indices cross both ways and
resolve alike; pycrdt's UndoManager and ours agree on a script of local edits,
remote edits, undo and redo."""

import random

import pycrdt
import pytest

import codesync
from codesync import Assoc, Doc, StickyIndex, UndoManager


def sync(src: Doc, dst: Doc, origin: object = None) -> None:
    dst.apply_update(src.get_update(dst.get_state_vector()), origin)


def test_sticky_index_follows_edits_and_round_trips():
    doc = Doc(client_id=1)
    t = doc.get_text("t")
    t.insert(0, "hello world")
    after = t.sticky_index(6)  # before "w"
    before = t.sticky_index(5, Assoc.BEFORE)  # after "o"
    assert after.assoc is Assoc.AFTER and before.assoc is Assoc.BEFORE
    t.insert(0, ">> ")
    t.insert(8, "!")  # between "hello" and " world"
    assert after.get_index() == 10
    assert before.get_index() == 8
    assert after.resolve(doc) == 10
    again = StickyIndex.decode(after.encode(), t)
    assert again == after and again.get_index() == 10
    from_json = StickyIndex.from_json(after.to_json())
    assert from_json.resolve(doc) == 10
    assert after.to_json() == {"tname": "t", "item": {"client": 1, "clock": 6}, "assoc": 0}
    assert StickyIndex.decode(after.encode()).to_json() == {"item": {"client": 1, "clock": 6}, "assoc": 0}
    with pytest.raises(codesync.InvalidArgumentError):
        from_json.get_index()  # no sequence: resolve(doc) instead
    # Indices count code points.
    u = doc.get_text("u")
    u.insert(0, "a\U0001F600b")
    p = u.sticky_index(2)
    u.insert(0, "\U0001F600")
    assert p.get_index() == 3


def test_sticky_index_errors_and_arrays():
    doc = Doc(client_id=1)
    a = doc.get_array("a")
    a.extend([1, 2, 3])
    p = StickyIndex.new(a, 2)
    a.insert(0, 0)
    assert p.get_index() == 3
    with pytest.raises(codesync.OutOfRangeError):
        a.sticky_index(9)
    with pytest.raises(codesync.MalformedError):
        StickyIndex.decode(b"\x09\x09")
    with pytest.raises(codesync.InvalidArgumentError):
        StickyIndex.from_json({"nope": 1})
    other = Doc()
    other.get_text("t").insert(0, "xyz")
    assert other.get_text("t").sticky_index(1).resolve(doc) is None


def test_sticky_indices_cross_with_pycrdt():
    py = pycrdt.Doc(client_id=7)
    pt = py.get("t", type=pycrdt.Text)
    pt += "the quick brown fox"  # ASCII: pycrdt's byte offsets are code points here
    cs = Doc(client_id=8)
    cs.apply_update(py.get_update())
    ct = cs.get_text("t")
    pairs = []
    for i in range(0, len("the quick brown fox") + 1, 3):
        for assoc in (Assoc.AFTER, Assoc.BEFORE):
            ps = pycrdt.StickyIndex.new(pt, i, pycrdt.Assoc(int(assoc)))
            ours = ct.sticky_index(i, assoc)
            assert ours.encode() == ps.encode()
            pairs.append((ps, StickyIndex.decode(ps.encode(), ct), ours))
    pt.insert(4, "very ")
    del pt[0:4]
    pt += " jumps"
    cs.apply_update(py.get_update(cs.get_state_vector()))
    assert str(ct) == str(pt)
    for ps, decoded, ours in pairs:
        want = ps.get_index()
        assert decoded.get_index() == want
        back = pycrdt.StickyIndex.decode(ours.encode(), pt)
        assert back.get_index() == want


def test_undo_redo_keeps_remote_edits():
    a, b = Doc(client_id=1), Doc(client_id=2)
    ta = a.get_text("t")
    um = UndoManager(ta, capture_timeout=0)
    ta.insert(0, "hello")
    um.stop_capturing()
    ta.insert(5, " there")
    sync(a, b, "remote")
    b.get_text("t").insert(0, "> ")
    sync(b, a, "remote")  # not tracked: only plain local edits (origin None) are
    assert str(ta) == "> hello there"
    assert um.undo_depth == 2 and um.can_undo()
    assert um.undo() and str(ta) == "> hello"
    assert um.undo() and str(ta) == "> "
    assert not um.undo() and not um.can_undo()
    assert um.can_redo() and um.redo() and str(ta) == "> hello"
    um.clear()
    assert not um.can_undo() and not um.can_redo()


def test_tracked_origins_timeout_events_and_meta():
    doc = Doc(client_id=1)
    t = doc.get_text("t")
    editor = object()
    now = [1000]
    um = UndoManager([t], tracked_origins=[editor], capture_timeout=500, timestamp=lambda: now[0])
    events = []

    def on_event(e):
        if e.kind == "added":
            e.stack_item.meta["cursor"] = len(t)
        events.append((e.kind, e.stack, e.origin is editor, e.stack_item.meta.get("cursor")))

    um.observe(on_event)
    with doc.transaction(origin=editor):
        t.insert(0, "hello")
    now[0] += 100
    with doc.transaction(origin=editor):
        t.insert(5, " you")  # within the timeout: merged
    t.insert(0, ">")  # origin None is not tracked here
    now[0] += 1000
    with doc.transaction(origin=editor):
        del t[1:7]
    assert str(t) == ">you" and um.undo_depth == 2
    assert events == [("added", "undo", True, 5), ("updated", "undo", True, 5), ("added", "undo", True, 4)]
    events.clear()
    origins = []
    doc.observe(lambda e: origins.append(e.origin))
    assert um.undo() and str(t) == ">hello you"
    assert origins == [um.origin]
    assert [e[:2] for e in events] == [("added", "redo"), ("popped", "undo")]
    assert events[-1][3] == 4  # the popped item kept its meta
    um.exclude_origin(editor)
    with doc.transaction(origin=editor):
        t.insert(0, "x")
    assert um.undo_depth == 1


def test_undo_errors():
    doc = Doc()
    t = doc.get_text("t")
    um = UndoManager(t)
    t.insert(0, "a")
    busy = []

    def observer(event):
        try:
            um.undo()
        except codesync.BusyError as e:
            busy.append(str(e))

    t.observe(observer)
    t.insert(1, "b")
    assert busy and busy[0]
    with pytest.raises(codesync.InvalidArgumentError):
        UndoManager(codesync.Text("prelim"))
    with pytest.raises(codesync.InvalidArgumentError):
        um.expand_scope(Doc().get_text("other"))

    def bad_clock() -> int:
        raise RuntimeError("clock broke")

    um2 = UndoManager(doc.get_map("m"), timestamp=bad_clock)
    with pytest.raises(RuntimeError, match="clock broke"):
        doc.get_map("m")["k"] = 1
    assert doc.get_map("m")["k"] == 1  # the change itself completed
    del um2


def test_undo_matches_pycrdt_on_a_script():
    rnd = random.Random(4)
    py, py_remote = pycrdt.Doc(client_id=1), pycrdt.Doc(client_id=2)
    cs, cs_remote = Doc(client_id=1), Doc(client_id=2)
    pt, ct = py.get("t", type=pycrdt.Text), cs.get_text("t")
    pum = pycrdt.UndoManager(scopes=[pt], capture_timeout_millis=0)
    cum = UndoManager(ct, capture_timeout=0)
    undos = 0
    for step in range(200):
        x = rnd.random()
        s = str(ct)
        if x < 0.5:
            if s and x < 0.15:
                at = rnd.randrange(len(s))
                n = min(len(s) - at, 1 + rnd.randrange(3))
                del pt[at : at + n]
                del ct[at : at + n]
            else:
                at = rnd.randrange(len(s) + 1)
                ins = rnd.choice("abc xyz")
                pt.insert(at, ins)
                ct.insert(at, ins)
        elif x < 0.6:
            rt, rs = py_remote.get("t", type=pycrdt.Text), cs_remote.get_text("t")
            rt.insert(0, "R")
            rs.insert(0, "R")
            py_remote.apply_update(py.get_update(py_remote.get_state()))
            py.apply_update(py_remote.get_update(py.get_state()))
            cs_remote.apply_update(cs.get_update(cs_remote.get_state_vector()))
            cs.apply_update(cs_remote.get_update(cs.get_state_vector()))  # no origin: recorded, as yrs does
        elif x < 0.8:
            assert cum.can_undo() == pum.can_undo(), step
            assert cum.undo() == pum.undo(), step
            undos += 1
        else:
            assert cum.can_redo() == pum.can_redo(), step
            assert cum.redo() == pum.redo(), step
        assert str(ct) == str(pt), step
    assert undos > 20


def test_stack_items_are_forgotten_with_their_stack_entries():
    doc = Doc()
    t = doc.get_text("t")
    um = UndoManager(t, capture_timeout=0)
    popped = []
    um.observe(lambda e: e.kind == "popped" and popped.append(e.stack_item))
    for _ in range(20):
        t.insert(0, "ab")
        t.insert(0, "cd")
        assert um.undo()  # one item moves to the redo stack
        t.insert(0, "x")  # a new change clears the redo stack
    assert len(popped) == 20 and all(isinstance(p, codesync.StackItem) for p in popped)
    assert um.redo_depth == 0
    assert len(um._items) == um.undo_depth + um.redo_depth  # internal: nothing kept for dropped items
    um.clear()
    assert not um._items


def test_a_dropped_manager_is_collected_and_releases_its_origins():
    import gc
    import weakref

    doc = Doc()
    t = doc.get_text("t")
    um = UndoManager(t, tracked_origins=[None, object()])
    um.observe(lambda e: um.can_undo())  # a cycle through the native callback
    ref = weakref.ref(um)
    t.insert(0, "a")
    assert doc._origins  # the tracked object origin is held while the manager lives
    del um
    gc.collect()
    assert ref() is None
    assert not doc._origins
    t.insert(1, "b")  # the document works on without it
    assert str(t) == "ab"
    # The manager keeps its document alive.
    um2 = UndoManager(Doc().get_text("x"))
    um2.doc.get_text("x").insert(0, "z")
    assert um2.undo() and str(um2.doc.get_text("x")) == ""
