"""Array and Map: list/dict behaviour over JSON values and nested shared types."""

import math
import random

import pytest

from codesync import Array, Doc, InvalidArgumentError, Map, OutOfRangeError, Text, TypeMismatchError

VALUES = [0, -7, 2**40, 1.5, "s", "ünï😀", None, True, False, [1, [2]], {"k": {"n": [None]}}]


def test_map_behaves_like_a_dict():
    m = Doc().get_map("m")
    expected = {}
    for i, v in enumerate(VALUES):
        m[f"k{i}"] = v
        expected[f"k{i}"] = v
    assert len(m) == len(expected)
    assert dict(m) == expected and m.to_py() == expected
    assert set(m) == set(expected) and set(m.keys()) == set(expected)
    assert "k1" in m and "zz" not in m and 5 not in m
    assert m.get("zz", "default") == "default"
    with pytest.raises(KeyError):
        m["zz"]
    with pytest.raises(KeyError):
        del m["zz"]
    m["k0"] = "replaced"
    assert m["k0"] == "replaced"
    assert m.pop("k1") == -7 and "k1" not in m
    m.update({"a": 1}, b=2)
    assert m["a"] == 1 and m["b"] == 2
    assert m.setdefault("a", 5) == 1
    m.clear()
    assert len(m) == 0 and m.to_py() == {}


def test_map_rejects_what_is_not_json():
    m = Doc().get_map("m")
    with pytest.raises(TypeError):
        m[1] = "int key"
    with pytest.raises(TypeError):
        m["x"] = object()
    with pytest.raises(ValueError):
        m["x"] = math.nan
    assert len(m) == 0


def test_array_behaves_like_a_list():
    rng = random.Random(3)
    a = Doc().get_array("a")
    model = []
    for step in range(300):
        r = rng.random()
        if model and r < 0.25:
            i = rng.randrange(-len(model), len(model))
            del a[i]
            del model[i]
        elif model and r < 0.35:
            i = rng.randrange(len(model))
            j = min(len(model), i + rng.randrange(1, 4))
            del a[i:j]
            del model[i:j]
        elif model and r < 0.45:
            i = rng.randrange(len(model))
            v = rng.choice(VALUES)
            a[i] = v
            model[i] = v
        elif r < 0.6:
            vs = [rng.choice(VALUES) for _ in range(rng.randrange(1, 4))]
            a.extend(vs)
            model.extend(vs)
        else:
            i = rng.randrange(-len(model) - 2, len(model) + 3)  # clamped like list.insert
            v = rng.choice(VALUES)
            a.insert(i, v)
            model.insert(i, v)
        assert len(a) == len(model), step
    assert list(a) == model and a.to_py() == model
    assert a[1:4] == model[1:4] and a[::-2] == model[::-2] and a[-1] == model[-1]
    a[0:2] = ["x", "y", "z"]
    model[0:2] = ["x", "y", "z"]
    del a[::3]
    del model[::3]
    assert a.to_py() == model
    assert a.pop() == model.pop()
    assert a.index(model[0]) == 0 and a.count(model[0]) == model.count(model[0])
    with pytest.raises(IndexError):
        a[len(model)]
    with pytest.raises(OutOfRangeError):
        a._h.get(len(model))


def test_a_failed_replacement_changes_nothing():
    doc = Doc()
    a = doc.get_array("a")
    a.extend([1, 2, 3])
    with pytest.raises(TypeError):
        a[1] = object()
    with pytest.raises(ValueError):
        a[0:2] = [4, math.inf]
    t = doc.get_text("t")
    t.insert(0, "keep")
    with pytest.raises(InvalidArgumentError):
        a[2] = t
    with pytest.raises(TypeError):
        t[0:2] = 5
    assert a.to_py() == [1, 2, 3] and str(t) == "keep"


def test_nested_types_from_preliminary_values():
    doc = Doc()
    m = doc.get_map("m")
    body = Text("hi")
    m["body"] = body
    m["list"] = Array([1, Map({"deep": Text("x")}), Array(["y"])])
    assert m["body"] is body  # the preliminary object became the shared type
    body.insert(2, "!")
    inner = m["list"][1]
    assert isinstance(inner, Map) and isinstance(inner["deep"], Text)
    inner["deep"].insert(0, "<")
    assert doc.to_py() == {"m": {"body": "hi!", "list": [1, {"deep": "<x"}, ["y"]]}}
    with pytest.raises(InvalidArgumentError):
        doc.get_array("a").append(body)  # already in a document


def test_nested_types_survive_an_update():
    a = Doc()
    arr = a.get_array("a")
    arr.extend([Text("t"), Map({"k": 1}), Array([2]), "plain"])
    b = Doc()
    b.apply_update(a.get_update())
    got = b.get_array("a")
    assert [type(v) for v in got] == [Text, Map, Array, str]
    got[0].insert(1, "ext")
    got[1]["k"] = 2
    a.apply_update(b.get_update(a.get_state_vector()))
    assert a.to_py() == b.to_py() == {"a": ["text", {"k": 2}, [2], "plain"]}


def test_same_shared_type_same_object():
    doc = Doc()
    assert doc.get_text("t") is doc.get_text("t")
    m = doc.get_map("m")
    m["t"] = Text()
    assert m["t"] is m["t"] and m["t"] == m["t"]
    assert doc.get_map("m") == m and hash(doc.get_map("m")) == hash(m)


def test_root_of_another_kind_is_a_type_mismatch():
    doc = Doc()
    doc.get_map("x")
    with pytest.raises(TypeMismatchError) as err:
        doc.get_text("x")
    assert isinstance(err.value, TypeError)
    assert doc.get("x", type=Map) is doc.get_map("x")
    with pytest.raises(InvalidArgumentError):
        doc.get_text("bad\0name")
