"""Interop with yjs: fixtures yjs made (yjs/make_fixtures.mjs), and a live yjs
peer (yjs/peer.mjs, Node with the yjs of tests/node) in both directions."""

import base64
import json
import pathlib
import shutil
import subprocess

import pytest

from codesync import Array, Doc, Map, Text
from conftest import REPO

HERE = pathlib.Path(__file__).resolve().parent / "yjs"
FIXTURES = sorted(p.stem for p in HERE.glob("*.bin"))


def root(doc: Doc, name: str, kind: str):
    return {"text": doc.get_text, "map": doc.get_map, "array": doc.get_array}[kind](name)


def test_fixtures_exist():
    assert set(FIXTURES) >= {"text_unicode", "text_formatted", "nested", "concurrent"}


@pytest.mark.parametrize("name", FIXTURES)
def test_yjs_fixture_reads_as_yjs_reads_it(name):
    expected = json.loads((HERE / f"{name}.json").read_text())
    doc = Doc()
    doc.apply_update((HERE / f"{name}.bin").read_bytes())
    assert not doc.has_pending
    for root_name, kind in expected["roots"].items():
        value = root(doc, root_name, kind)
        assert value.to_py() == expected["json"][root_name]
        if kind == "text":
            assert value.to_delta() == expected["deltas"][root_name]
    # Re-encoded by codesync, it loads back to the same content.
    again = Doc()
    again.apply_update(doc.get_update())
    assert again.to_py() == doc.to_py()


def yjs_peer(update: bytes, roots: dict, edits=()) -> dict:
    node = shutil.which("node")
    if node is None or not (REPO / "tests" / "node" / "node_modules" / "yjs").exists():
        pytest.fail("node and tests/node/node_modules/yjs are needed (run scripts/setup.sh)")
    request = {"update": base64.b64encode(update).decode(), "roots": roots, "edits": list(edits)}
    out = subprocess.run(
        [node, str(HERE / "peer.mjs")], input=json.dumps(request), capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def test_live_round_trip_with_yjs():
    cs = Doc(client_id=1)
    t = cs.get_text("t")
    t.insert(0, "codesync 😀 wrote this")
    t.format(0, 8, {"bold": True})
    m = cs.get_map("m")
    m["n"] = 7
    m["nested"] = Map({"list": Array([1, Text("deep")])})
    cs.get_array("a").extend(["x", {"y": None}])
    roots = {"t": "text", "m": "map", "a": "array"}

    # codesync -> yjs: yjs reads what codesync wrote.
    got = yjs_peer(
        cs.get_update(),
        roots,
        edits=[
            {"root": "t", "op": "insert", "index": 11, "text": "yjs:"},  # UTF-16 index just after the emoji
            {"root": "m", "op": "set", "key": "from", "value": "yjs"},
            {"root": "a", "op": "push", "values": [3]},
        ],
    )
    assert got["before"] == {k: root(cs, k, kind).to_py() for k, kind in roots.items()}
    assert got["deltas"]["t"] == t.to_delta()

    # yjs -> codesync: the yjs edits arrive and both sides agree.
    cs.apply_update(base64.b64decode(got["update"]))
    assert str(t) == "codesync 😀yjs: wrote this"
    assert {k: root(cs, k, kind).to_py() for k, kind in roots.items()} == got["after"]
    assert cs.get_state_vector() == base64.b64decode(got["stateVector"])
