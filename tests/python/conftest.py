"""Shared helpers for the Python binding's tests (run by ctest as python.pytest)."""

import gzip
import json
import os
import pathlib

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


def traces_dir() -> pathlib.Path:
    return pathlib.Path(os.environ.get("CODESYNC_TRACES", REPO.parent / "shared" / "traces"))


def load_trace(name: str) -> dict:
    path = traces_dir() / "sequential_traces" / f"{name}.json.gz"
    if not path.exists():
        pytest.fail(f"trace {path} missing (CI clones shared/ beside the repository)")
    with gzip.open(path) as f:
        return json.load(f)
