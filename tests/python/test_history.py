"""Snapshots, old versions, restore, diffs, authorship and the persistence
container through the Python binding (the C API's semantics are tested in
tests/capi; here: the Python shapes, errors and origins)."""

import pytest

import codesync
from codesync import AuthorRun, Doc, Snapshot


def sync(src: Doc, dst: Doc) -> None:
    dst.apply_update(src.get_update(dst.get_state_vector()))


def test_snapshot_bytes_are_yjs_encode_snapshot():
    doc = Doc(client_id=1, gc=False)
    assert bytes(doc.snapshot()) == b"\x00\x00"
    t = doc.get_text("t")
    t.insert(0, "hello")
    t.delete(1, 2)
    # delete set {1: [(1, 2)]}, state vector {1: 5}, written out by hand.
    s = doc.snapshot()
    assert s.to_bytes() == bytes([1, 1, 1, 1, 2, 1, 1, 5])
    assert Snapshot.from_bytes(bytes(s)) == s
    assert hash(Snapshot.from_bytes(bytearray(bytes(s)))) == hash(s)
    assert doc.snapshot() == s  # equality is by bytes
    t.insert(0, "x")
    assert doc.snapshot() != s


def test_malformed_snapshot_raises_malformed():
    with pytest.raises(codesync.MalformedError):
        Snapshot.from_bytes(b"\x05")
    doc = Doc(gc=False)
    with pytest.raises(codesync.MalformedError):
        doc.get_text("t").diff(b"\x01", None)
    with pytest.raises(TypeError):
        doc.get_text("t").diff("not bytes")  # type: ignore[arg-type]


def test_contains_update():
    doc = Doc(client_id=1, gc=False)
    t = doc.get_text("t")
    t.insert(0, "abc")
    early = doc.get_update()
    s = doc.snapshot()
    sv = doc.get_state_vector()
    t.insert(3, "d")
    later = doc.get_update(sv)
    assert s.contains_update(early)
    assert not s.contains_update(later)
    assert not s.contains_update(doc.get_update())
    assert doc.snapshot().contains_update(later)
    with pytest.raises(codesync.MalformedError):
        s.contains_update(b"\xff\xff\xff")


def test_from_snapshot_reads_the_old_version_and_leaves_doc_alone():
    doc = Doc(client_id=1, gc=False)
    t, m = doc.get_text("t"), doc.get_map("m")
    t.insert(0, "hello world")
    m["k"] = 1
    s1 = doc.snapshot()
    del t[6:]
    t += "there"
    m["k"] = 2
    before = doc.get_update()

    old = Doc.from_snapshot(doc, s1, client_id=77)
    assert str(old.get_text("t")) == "hello world"
    assert old.get_map("m").to_py() == {"k": 1}
    assert old.client_id == 77
    old.get_text("t").insert(11, "!")  # an ordinary document
    assert str(old.get_text("t")) == "hello world!"
    assert doc.get_update() == before and str(t) == "hello there"
    # Bytes work as well as Snapshot objects.
    assert str(Doc.from_snapshot(doc, bytes(s1)).get_text("t")) == "hello world"


def test_history_needs_gc_off():
    doc = Doc(gc=True)
    doc.get_text("t").insert(0, "x")
    s = doc.snapshot()
    with pytest.raises(codesync.InvalidArgumentError, match="gc"):
        Doc.from_snapshot(doc, s)
    with pytest.raises(codesync.InvalidArgumentError):
        doc.restore(s)
    with pytest.raises(codesync.InvalidArgumentError):
        doc.get_text("t").diff(s)


def test_snapshot_from_a_doc_ahead_is_rejected():
    ahead = Doc(client_id=5, gc=False)
    ahead.get_text("t").insert(0, "new")
    behind = Doc(client_id=6, gc=False)
    with pytest.raises(codesync.InvalidArgumentError):
        Doc.from_snapshot(behind, ahead.snapshot())


def test_restore_is_an_edit_that_syncs_with_origin():
    doc, peer = Doc(client_id=1, gc=False), Doc(client_id=2)
    t = doc.get_text("t")
    t.insert(0, "version one")
    s1 = doc.snapshot()
    sync(doc, peer)
    t[8:11] = "two"
    doc.get_map("m")["added"] = True
    sync(doc, peer)
    assert str(peer.get_text("t")) == "version two"

    seen = []
    origin = object()
    sub = doc.observe(lambda e: seen.append(e))
    doc.restore(s1, origin=origin)
    sub.unsubscribe()
    assert str(t) == "version one"
    assert doc.get_map("m").to_py() == {}
    assert len(seen) == 1 and seen[0].origin is origin
    peer.apply_update(seen[0].update)
    assert peer.to_py() == doc.to_py()


def test_text_diff_runs_in_code_points():
    a, b = Doc(client_id=1, gc=False), Doc(client_id=2, gc=False)
    ta = a.get_text("t")
    ta.insert(0, "h\U0001F600llo world")
    s0 = a.snapshot()
    sync(a, b)
    tb = b.get_text("t")
    tb.delete(6, 5)
    tb.insert(6, "th\u00e9re")
    sync(b, a)
    ta.insert(0, "> ")
    s1 = a.snapshot()
    expected = [
        {"insert": "> ", "client": 1},
        {"retain": 6},
        {"delete": 5, "text": "world", "client": 1},
        {"insert": "th\u00e9re", "client": 2},
    ]
    assert ta.diff(s0, s1) == expected
    assert ta.diff(s0) == expected  # next None = now
    assert ta.diff(None, s0) == [{"insert": "h\U0001F600llo world", "client": 1}]
    assert ta.diff(s1, s1) == [{"retain": 13}]


def test_map_diff():
    doc = Doc(client_id=3, gc=False)
    m = doc.get_map("m")
    m.update({"keep": 1, "change": "a", "drop": [1]})
    s0 = doc.snapshot()
    m["change"] = "b"
    del m["drop"]
    m["add"] = None
    s1 = doc.snapshot()
    assert m.diff(s0, s1) == [
        {"key": "add", "action": "add", "new": None, "client": 3},
        {"key": "change", "action": "update", "old": "a", "new": "b", "client": 3},
        {"key": "drop", "action": "delete", "old": [1], "client": 3},
    ]
    assert m.diff(s1) == []


def test_authorship_runs_are_named_tuples_in_code_points():
    a, b = Doc(client_id=1), Doc(client_id=2)
    a.get_text("t").insert(0, "a\U0001F600c")
    sync(a, b)
    tb = b.get_text("t")
    tb.insert(2, "XY")  # after the emoji: index 2 in code points
    runs = tb.authorship()
    assert runs == [(0, 2, 1), (2, 2, 2), (4, 1, 1)]
    assert runs[1] == AuthorRun(index=2, length=2, client_id=2)
    assert runs[1].client_id == 2
    assert Doc().get_text("empty").authorship() == []
    with pytest.raises(codesync.InvalidArgumentError):
        codesync.Text("prelim").authorship()


def test_save_and_load_container():
    doc = Doc(client_id=4)
    doc.get_text("t").insert(0, "saved \u00e9")
    doc.get_array("a").extend([1, {"x": 2}])
    data = doc.save(guid="room-1", metadata={"owner": "ann", "v": "2"})

    info = codesync.container_info(data)
    assert info.format_version == 1
    assert info.guid == "room-1"
    assert info.metadata == {"owner": "ann", "v": "2"}
    assert info.state_vector == {4: len("saved \u00e9") + 2}
    assert info.state_bytes == len(doc.get_update())

    loaded = Doc.load(data, client_id=9)
    assert loaded.to_py() == doc.to_py() and loaded.client_id == 9
    # Loading merges into a document that already has content, with origin "container".
    other = Doc(client_id=5)
    other.get_map("m")["own"] = 1
    origins = []
    other.observe(lambda e: origins.append(e.origin))
    other.load_container(data)
    assert origins == ["container"]
    assert other.to_py() == {**doc.to_py(), "m": {"own": 1}}
    # It keeps syncing with peers that never saw the container.
    peer = Doc()
    sync(doc, peer)
    loaded.get_text("t").insert(0, ">")
    sync(loaded, peer)
    assert str(peer.get_text("t")) == ">saved \u00e9"
    assert Doc().save() and codesync.container_info(Doc().save()).guid == ""


def test_corrupt_container_raises_malformed_and_changes_nothing():
    doc = Doc(client_id=4)
    doc.get_text("t").insert(0, "data")
    data = bytearray(doc.save())
    data[len(data) // 2] ^= 0x40
    target = Doc(client_id=6)
    target.get_text("t").insert(0, "mine")
    before = target.get_update()
    with pytest.raises(codesync.MalformedError):
        target.load_container(bytes(data))
    assert target.get_update() == before
    with pytest.raises(codesync.MalformedError):
        codesync.container_info(bytes(data))
    with pytest.raises(codesync.MalformedError):
        Doc.load(b"not a container")


def test_container_metadata_must_be_strings():
    doc = Doc()
    with pytest.raises(codesync.InvalidArgumentError):
        doc.save(metadata={"n": 1})  # type: ignore[dict-item]
    with pytest.raises(codesync.InvalidArgumentError):
        doc.save(guid="a\x00b")


# ---- Interop with pycrdt's snapshots (yrs) --------------------------------------


def test_snapshots_cross_with_pycrdt():
    import pycrdt

    py = pycrdt.Doc(client_id=21, skip_gc=True)
    text = py.get("t", type=pycrdt.Text)
    text += "first version"
    early = pycrdt.Snapshot.from_doc(py)
    del text[0:6]
    text.insert(0, "second")

    cs = Doc(client_id=22, gc=False)
    cs.apply_update(py.get_update())
    # A yrs snapshot decodes in codesync and names the same version.
    ours = Snapshot.decode(early.encode())
    assert str(Doc.from_snapshot(cs, ours).get_text("t")) == "first version"
    assert str(pycrdt.Doc.from_snapshot(early, py).get("t", type=pycrdt.Text)) == "first version"
    # One client: the bytes are identical both ways.
    now = cs.snapshot()
    assert now.encode() == pycrdt.Snapshot.from_doc(py).encode()
    # Ours decodes in pycrdt, and pycrdt's old version reads the same.
    back = pycrdt.Snapshot.decode(bytes(ours))
    assert str(pycrdt.Doc.from_snapshot(back, py).get("t", type=pycrdt.Text)) == "first version"
    # pycrdt's argument order is accepted.
    assert str(Doc.from_snapshot(ours, cs).get_text("t")) == "first version"
