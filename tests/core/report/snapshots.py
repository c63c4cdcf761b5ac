"""Snapshot files under tests/fixtures/snapshots; ``UPDATE_SNAPSHOTS=1`` rewrites them."""

from __future__ import annotations

import os
from pathlib import Path

SNAPSHOTS = Path(__file__).resolve().parents[2] / "fixtures" / "snapshots"


def assert_matches_snapshot(name: str, actual: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
        return
    assert path.exists(), f"snapshot {path} is missing; run with UPDATE_SNAPSHOTS=1 to create it"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{name} differs from its snapshot; UPDATE_SNAPSHOTS=1 rewrites it"
