"""scripts/mine_history.py on a planted history: rows, labels, drops and function rows."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from argus.core.store.sqlite import SQLiteStore
from tests.core.predict.test_adapt import planted_history
from tests.core.predict.test_history import DAY, Commit, write_history

ROOT = Path(__file__).resolve().parent.parent


def _load_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "mine_history", ROOT / "scripts" / "mine_history.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["mine_history"] = module
    spec.loader.exec_module(module)
    return module


mine_history = _load_script()


def _planted_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    commits = planted_history(90)
    last = commits[-1].time
    big = {f"gen/file{n}.py": "x = 1\n" for n in range(120)}
    # a tangled mega-commit, then a commit within 180 days of the newest (label-immature)
    commits.append(Commit(big, "vendor everything", time=last + DAY))
    commits.append(Commit({"late.py": "y = 2\n"}, "late work", time=last + 400 * DAY))
    commits.append(Commit({"later.py": "z = 3\n"}, "newest", time=last + 500 * DAY))
    write_history(repo, commits)
    return repo


def test_rows_labels_and_drops(tmp_path: Path) -> None:
    repo = _planted_repo(tmp_path)
    store = SQLiteStore.open(tmp_path / "history.db")
    rows, functions, figures = mine_history.mine(repo, store, 10_000)
    # "late work" and "newest" are within 180 days of the newest commit
    assert figures["dropped"] == {"immature": 2, "tangled": 1, "boundary": 0}
    assert len(rows) == figures["commits"] - 3
    assert figures["buggy_rows"] >= 10
    assert [row["seq"] for row in rows] == sorted(row["seq"] for row in rows)
    for row in rows:
        assert (row["fix_seq"] > row["seq"]) == bool(row["buggy"])
        assert set(mine_history.COLUMNS) <= set(row)
    assert functions == []  # the planted history's code is module-level: no functions


def test_written_files_are_deterministic_and_read_back(tmp_path: Path) -> None:
    repo = _planted_repo(tmp_path)
    rows, _, _ = mine_history.mine(repo, SQLiteStore.open(tmp_path / "a.db"), 10_000)
    again, _, _ = mine_history.mine(repo, SQLiteStore.open(tmp_path / "b.db"), 10_000)
    first, second = tmp_path / "one.csv.gz", tmp_path / "two.csv.gz"
    mine_history.write_rows(first, rows)
    mine_history.write_rows(second, again)
    assert first.read_bytes() == second.read_bytes()
    read = mine_history.read_rows(first)
    assert [row["sha"] for row in read] == [row["sha"] for row in rows]


def test_a_window_keeps_only_the_newest_commits(tmp_path: Path) -> None:
    repo = _planted_repo(tmp_path)
    rows, _, figures = mine_history.mine(repo, SQLiteStore.open(tmp_path / "w.db"), 40)
    assert figures["window"] == 40
    assert min(int(row["seq"]) for row in rows) >= figures["commits"] - 40


def test_changed_functions_of_a_patch() -> None:
    patch = (
        b"diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n"
        b"@@ -10,2 +10,3 @@ def handle(request):\n-    a = 1\n-    b = 2\n+    a = 2\n+    b = 3\n"
        b"+    c = 4\n"
        b"@@ -40,0 +41,2 @@ class Server:\n+def helper():\n+    return 1\n"
        b"diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n"
        b"@@ -1 +1 @@\n-old\n+new\n"
    )
    assert mine_history.changed_functions(patch) == {
        ("app.py", "handle"): [5, 1],
        ("app.py", "Server"): [2, 1],
        ("app.py", "helper"): [2, 1],
    }
