"""Text: str-like editing in code points, formatting, deltas, observers, errors."""

import random

import pytest

import codesync
from codesync import Doc, InvalidArgumentError, OutOfRangeError, Text
from conftest import load_trace


def test_indices_and_lengths_are_code_points():
    t = Doc().get_text("t")
    t.insert(0, "a😀b")  # the emoji is one code point (two UTF-16 units, four UTF-8 bytes)
    assert len(t) == 3
    t.insert(2, "é")
    assert str(t) == "a😀éb"
    del t[1]
    assert str(t) == "aéb"
    assert t[1] == "é"


def test_random_edits_match_a_python_str():
    rng = random.Random(7)
    alphabet = "ab ç€😀𝄞你\n"
    t = Doc().get_text("t")
    model = ""
    for _ in range(400):
        if model and rng.random() < 0.4:
            start = rng.randrange(len(model))
            stop = min(len(model), start + rng.randrange(1, 4))
            del t[start:stop]
            model = model[:start] + model[stop:]
        else:
            i = rng.randrange(len(model) + 1)
            s = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 4)))
            t.insert(i, s)
            model = model[:i] + s + model[i:]
        assert len(t) == len(model)
    assert str(t) == model


def test_slicing_assignment_and_append():
    t = Doc().get_text("t")
    t += "hello world"
    assert t[:5] == "hello" and t[-5:] == "world"
    t[0:5] = "HELLO"
    assert str(t) == "HELLO world"
    t[-1] = "D"
    assert str(t) == "HELLO worlD"
    del t[-6:]
    assert str(t) == "HELLO"
    del t[10:20]  # empty slice: nothing to do, as with a list
    assert "ELL" in t and list(t)[:2] == ["H", "E"]
    with pytest.raises(ValueError):
        del t[::2]


def test_out_of_range_raises_the_library_error_and_changes_nothing():
    t = Doc().get_text("t")
    t.insert(0, "abc")
    with pytest.raises(OutOfRangeError) as err:
        t.insert(4, "x")
    assert isinstance(err.value, IndexError) and isinstance(err.value, codesync.Error)
    assert err.value.code == -3
    assert str(err.value)  # the library's message
    with pytest.raises(OutOfRangeError):
        t.delete(2, 5)
    with pytest.raises(OutOfRangeError):
        t.insert(-1, "x")
    with pytest.raises(IndexError):
        del t[3]
    assert str(t) == "abc"


def test_insert_needs_a_str():
    t = Doc().get_text("t")
    with pytest.raises(TypeError):
        t.insert(0, 5)
    with pytest.raises(UnicodeEncodeError):
        t.insert(0, "\ud800")  # a lone surrogate has no UTF-8 form
    assert str(t) == ""


def test_formatting_reads_back_as_a_delta():
    t = Doc().get_text("t")
    t.insert(0, "hello world")
    t.format(0, 5, {"bold": True})
    t.insert(11, "!", {"italic": True})
    assert t.to_delta() == [
        {"insert": "hello", "attributes": {"bold": True}},
        {"insert": " world"},
        {"insert": "!", "attributes": {"italic": True}},
    ]
    t.format(0, 2, {"bold": None})  # None removes the attribute
    assert t.to_delta()[0] == {"insert": "he"}
    assert str(t) == "hello world!"


def test_embeds_take_one_position():
    t = Doc().get_text("t")
    t.insert(0, "ab")
    t.insert_embed(1, {"image": "cat.png"}, {"width": 3})
    assert len(t) == 3
    assert t.to_delta() == [
        {"insert": "a"},
        {"insert": {"image": "cat.png"}, "attributes": {"width": 3}},
        {"insert": "b"},
    ]


def test_observer_gets_deltas_in_code_points():
    doc = Doc()
    t = doc.get_text("t")
    t.insert(0, "😀")
    events = []
    sub = t.observe(events.append)
    t.insert(1, "x")
    with doc.transaction(origin="me"):
        t.delete(0, 1)
        t.insert(1, "yz", {"bold": True})
    assert [e.delta for e in events] == [
        [{"retain": 1}, {"insert": "x"}],
        [{"delete": 1}, {"retain": 1}, {"insert": "yz", "attributes": {"bold": True}}],
    ]
    assert events[0].origin is None and events[1].origin == "me"
    assert events[0].target is t
    t.unobserve(sub)
    t.insert(0, "q")
    assert len(events) == 2


def test_preliminary_text():
    t = Text("draft")
    assert str(t) == "draft" and len(t) == 5 and not t.integrated and t.doc is None
    with pytest.raises(InvalidArgumentError):
        t.insert(0, "x")
    doc = Doc()
    doc.get_map("m")["body"] = t
    assert t.integrated and t.doc is doc
    t.insert(5, "!")
    assert doc.get_map("m")["body"] is t
    assert doc.to_py() == {"m": {"body": "draft!"}}


@pytest.mark.parametrize("name", ["automerge-paper", "json-crdt-blog-post"])
def test_editing_trace_reaches_its_final_text(name):
    # The traces count positions in code points, as this binding does.
    trace = load_trace(name)
    doc = Doc()
    t = doc.get_text("t")
    if trace["startContent"]:
        t.insert(0, trace["startContent"])
    for txn in trace["txns"]:
        for pos, delete, insert in txn["patches"]:
            if delete:
                t.delete(pos, delete)
            if insert:
                t.insert(pos, insert)
    assert str(t) == trace["endContent"]
    # The whole state loads in another document to the same text.
    other = Doc()
    other.apply_update(doc.get_update())
    assert str(other.get_text("t")) == trace["endContent"]
