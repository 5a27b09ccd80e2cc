"""Interop with pycrdt (Python over yrs, from PyPI), both directions.

pycrdt counts text positions in UTF-8 bytes; this binding counts code points.
"""

import random

import pycrdt

from codesync import Array, Doc, Map, Text


def byte_index(s: str, i: int) -> int:
    return len(s[:i].encode())


def sync(cs: Doc, py: pycrdt.Doc) -> None:
    """Exchanges what each side lacks, via state vectors."""
    to_py = cs.get_update(py.get_state())
    to_cs = py.get_update(cs.get_state_vector())
    py.apply_update(to_py)
    cs.apply_update(to_cs)


def test_pycrdt_document_loads_in_codesync():
    py = pycrdt.Doc()
    text = py.get("t", type=pycrdt.Text)
    text += "héllo 😀"
    text.insert(byte_index(str(text), 5), " wörld")
    m = py.get("m", type=pycrdt.Map)
    m["n"] = 3
    m["s"] = "ünï"
    m["list"] = [1, "two", None, True]
    m["inner"] = pycrdt.Map({"deep": pycrdt.Text("nested")})
    a = py.get("a", type=pycrdt.Array)
    a.extend(["x", pycrdt.Array([1, 2])])

    cs = Doc()
    cs.apply_update(py.get_update())
    assert str(cs.get_text("t")) == "héllo wörld 😀"
    assert len(cs.get_text("t")) == 13
    got = cs.get_map("m")
    assert got.to_py() == {"n": 3, "s": "ünï", "list": [1, "two", None, True], "inner": {"deep": "nested"}}
    assert isinstance(got["inner"]["deep"], Text)
    assert cs.get_array("a").to_py() == ["x", [1, 2]]
    assert cs.get_state_vector() == py.get_state()


def test_codesync_document_loads_in_pycrdt():
    cs = Doc()
    t = cs.get_text("t")
    t.insert(0, "ça va 😀?")
    t.format(0, 2, {"bold": True})
    m = cs.get_map("m")
    m["num"] = 1.25
    m["obj"] = {"k": [1, {"z": None}]}
    m["text"] = Text("inner")
    cs.get_array("a").extend([1, Map({"x": "y"}), Array(["z"])])

    py = pycrdt.Doc()
    py.apply_update(cs.get_update())
    pt = py.get("t", type=pycrdt.Text)
    assert str(pt) == "ça va 😀?"
    assert pt.diff() == [("ça", {"bold": True}), (" va 😀?", None)]
    pm = py.get("m", type=pycrdt.Map)
    assert pm["num"] == 1.25 and pm["obj"] == {"k": [1, {"z": None}]}
    assert isinstance(pm["text"], pycrdt.Text) and str(pm["text"]) == "inner"
    assert py.get("a", type=pycrdt.Array).to_py() == [1, {"x": "y"}, ["z"]]


def test_concurrent_editing_with_pycrdt_converges():
    rng = random.Random(11)
    alphabet = "abc é😀你 "
    cs, py = Doc(client_id=100), pycrdt.Doc(client_id=200)
    ct = cs.get_text("t")
    pt = py.get("t", type=pycrdt.Text)
    cm = cs.get_map("m")
    pm = py.get("m", type=pycrdt.Map)
    for round_ in range(30):
        for _ in range(rng.randrange(1, 5)):
            s = str(ct)
            if s and rng.random() < 0.3:
                i = rng.randrange(len(s))
                ct.delete(i, min(len(s) - i, rng.randrange(1, 3)))
            else:
                ct.insert(rng.randrange(len(s) + 1), "".join(rng.choice(alphabet) for _ in range(2)))
            cm[f"k{rng.randrange(4)}"] = round_
        for _ in range(rng.randrange(1, 5)):
            s = str(pt)
            if s and rng.random() < 0.3:
                i = rng.randrange(len(s))
                j = min(len(s), i + rng.randrange(1, 3))
                del pt[byte_index(s, i) : byte_index(s, j)]
            else:
                i = rng.randrange(len(s) + 1)
                pt.insert(byte_index(s, i), "".join(rng.choice(alphabet) for _ in range(2)))
            pm[f"k{rng.randrange(4)}"] = -round_
        sync(cs, py)
        assert str(ct) == str(pt), round_
        assert cm.to_py() == pm.to_py(), round_
    assert len(str(ct)) > 20
