"""Documents: updates, state vectors, transactions, observers, errors, lifetime."""

import gc
import importlib.metadata
import re
import weakref

import pytest

import codesync
from codesync import BusyError, Doc, MalformedError, merge_updates, state_vector_from_update


def test_client_id():
    assert Doc(client_id=42).client_id == 42
    ids = {Doc().client_id for _ in range(5)}
    assert all(0 < i < 2**32 for i in ids) and len(ids) > 1


def test_concurrent_edits_converge_through_state_vector_diffs():
    a, b = Doc(client_id=1), Doc(client_id=2)
    a.get_text("t").insert(0, "hello")
    b.apply_update(a.get_update())
    a.get_text("t").insert(5, " from a")
    b.get_text("t").insert(0, "b says: ")
    b.get_map("m")["who"] = "b"
    diff_for_b = a.get_update(b.get_state_vector())
    diff_for_a = b.get_update(a.get_state_vector())
    assert len(diff_for_b) < len(a.get_update())
    a.apply_update(diff_for_a)
    b.apply_update(diff_for_b)
    assert str(a.get_text("t")) == str(b.get_text("t")) == "b says: hello from a"
    assert a.to_py() == b.to_py()
    assert a.get_state_vector() == b.get_state_vector()


def test_updates_out_of_order_wait_as_pending():
    src = Doc(client_id=5)
    t = src.get_text("t")
    updates = []
    src.observe(lambda e: updates.append(e.update))
    t.insert(0, "one ")
    t.insert(4, "two ")
    t.insert(8, "three")
    dst = Doc()
    dst.apply_update(updates[2])
    dst.apply_update(updates[1])
    assert dst.has_pending and str(dst.get_text("t")) == ""
    dst.apply_update(updates[0])
    assert not dst.has_pending and str(dst.get_text("t")) == "one two three"


def test_malformed_update_raises_and_changes_nothing():
    doc = Doc()
    doc.get_text("t").insert(0, "keep")
    before = doc.get_update()
    with pytest.raises(MalformedError) as err:
        doc.apply_update(b"\x05\xff\xff")
    assert isinstance(err.value, ValueError) and err.value.code == -2 and str(err.value)
    assert doc.get_update() == before
    with pytest.raises(TypeError):
        doc.apply_update("not bytes")


def test_merge_updates_and_state_vector_from_update():
    src = Doc(client_id=9)
    parts = []
    src.observe(lambda e: parts.append(e.update))
    for word in ["a", "b", "c"]:
        src.get_array("a").append(word)
    merged = merge_updates(*parts)
    dst = Doc()
    dst.apply_update(merged)
    assert dst.get_array("a").to_py() == ["a", "b", "c"]
    assert state_vector_from_update(merged) == src.get_state_vector() == dst.get_state_vector()
    assert merge_updates(bytearray(parts[0]), memoryview(parts[1])) == merge_updates(parts[0], parts[1])


def test_a_transaction_is_one_update_with_its_origin():
    doc = Doc()
    events = []
    doc.observe(events.append)
    t = doc.get_text("t")
    with doc.transaction(origin="editor") as txn:
        t.insert(0, "a")
        with doc.transaction(origin="ignored inner"):
            t.insert(1, "b")
        doc.get_map("m")["k"] = 1
    assert txn.origin == "editor"
    assert len(events) == 1 and events[0].origin == "editor"
    other = Doc()
    other.apply_update(events[0].update)
    assert other.to_py() == {"t": "ab", "m": {"k": 1}}
    t.insert(0, "x")  # outside a transaction: its own event, no origin
    assert len(events) == 2 and events[1].origin is None


def test_origins_may_be_any_object():
    doc = Doc()
    seen = []
    doc.observe(lambda e: seen.append(e.origin))
    provider = object()
    with doc.transaction(origin=provider):
        doc.get_text("t").insert(0, "x")
    doc.apply_update(Doc(client_id=3).get_update(), origin=("remote", 3))
    src = Doc(client_id=4)
    src.get_text("t").insert(0, "y")
    doc.apply_update(src.get_update(), origin=("remote", 4))
    assert seen[0] is provider and seen[-1] == ("remote", 4)
    assert doc._origins == {}  # tokens are released after use


def test_observer_exception_is_raised_after_the_edit_completes():
    doc = Doc()
    t = doc.get_text("t")

    def boom(event):
        raise ValueError("from observer")

    doc.observe(boom)
    with pytest.raises(ValueError, match="from observer"):
        t.insert(0, "kept")
    assert str(t) == "kept"
    with pytest.raises(ValueError):
        with doc.transaction():
            t.insert(4, "!")
    assert str(t) == "kept!"


def test_editing_the_document_inside_its_observer_is_busy():
    doc = Doc()
    t = doc.get_text("t")
    sub = t.observe(lambda e: t.insert(0, "again"))
    with pytest.raises(BusyError) as err:
        t.insert(0, "x")
    assert isinstance(err.value, RuntimeError) and err.value.code == -6
    t.unobserve(sub)
    t.insert(0, "y")
    assert str(t) == "yx"


def test_unsubscribe_stops_events_even_from_inside_a_callback():
    doc = Doc()
    calls = []

    def once(event):
        calls.append(event)
        sub.unsubscribe()

    sub = doc.observe(once)
    other = doc.observe(lambda e: calls.append("other"))
    doc.get_text("t").insert(0, "a")
    doc.get_text("t").insert(0, "b")
    assert len(calls) == 3 and calls[1:] == ["other", "other"]
    assert not sub.active and other.active
    doc.unobserve(other)
    doc.get_text("t").insert(0, "c")
    assert len(calls) == 3


def test_reference_cycles_through_observers_are_collected():
    doc = Doc()
    t = doc.get_text("t")
    t.observe(lambda e: (doc, t))
    doc.observe(lambda e: (doc, t))
    ref = weakref.ref(doc)
    del doc, t
    gc.collect()
    assert ref() is None


def test_a_type_keeps_its_document_alive():
    t = Doc().get_text("t")
    gc.collect()
    t.insert(0, "still here")
    assert str(t) == "still here" and t.doc.to_py() == {"t": "still here"}


def test_package_version_is_the_library_version():
    assert re.fullmatch(r"\d+\.\d+\.\d+", codesync.__version__)
    assert importlib.metadata.version("codesync") == codesync.__version__
