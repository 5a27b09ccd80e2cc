"""The type stubs (codesync/__init__.pyi) agree with the runtime package, and
the Python example type-checks against them."""

import pathlib
import subprocess
import sys

import pytest

import codesync
from conftest import REPO


def run_mypy(args, tmp_path):
    # Run in tmp_path: mypy's cache goes there, not into the repository.
    return subprocess.run(
        [sys.executable, "-m", *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )


def test_stubs_ship_with_the_package():
    package = pathlib.Path(codesync.__file__).parent
    assert (package / "__init__.pyi").is_file() and (package / "py.typed").is_file()


def test_stubs_match_the_runtime(tmp_path):
    # stubtest imports the package and compares every stubbed name and signature.
    out = run_mypy(["mypy.stubtest", "codesync", "--ignore-missing-stub"], tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("example", ["collab.py", "presence_room.py", "history.py"])
def test_example_type_checks(tmp_path, example):
    out = run_mypy(["mypy", "--strict", str(REPO / "examples" / "python" / example)], tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr


def test_stubs_catch_a_misuse(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('import codesync\ncodesync.Doc().get_text("t").insert("0", "x")\n')
    out = run_mypy(["mypy", str(bad)], tmp_path)
    assert out.returncode == 1 and 'Argument 1 to "insert" of "Text"' in out.stdout, out.stdout


def test_stubs_catch_an_awareness_misuse(tmp_path):
    bad = tmp_path / "bad_awareness.py"
    bad.write_text("import codesync\ncodesync.Room().attach('conn')\n")
    out = run_mypy(["mypy", str(bad)], tmp_path)
    assert out.returncode == 1 and 'Argument 1 to "attach" of "Room"' in out.stdout, out.stdout
