"""SZZ: a planted bug is traced to the commit that introduced it; blank/comment lines are not."""

from __future__ import annotations

from pathlib import Path

from argus.core.predict import szz
from argus.core.predict.history import HistoryIndex
from argus.core.store.sqlite import SQLiteStore
from tests.core.predict.test_history import DAY, T0, Commit, write_history

ORIGINAL = "def total(items):\n    return sum(items) + 1\n\n\ndef other():\n    return 2\n"
# Bob adds a comment line, a blank line and real code to other()
COMMENTED = (
    "def total(items):\n    return sum(items) + 1\n\n\ndef other():\n"
    "    # explain\n\n    value = 2\n    return 2\n"
)
# the fix repairs total() and, in passing, drops Bob's comment and blank line
FIXED = "def total(items):\n    return sum(items)\n\n\ndef other():\n    value = 2\n    return 2\n"


def _index(tmp_path: Path, commits: list[Commit]) -> tuple[HistoryIndex, list[str]]:
    repo = tmp_path / "repo"
    shas = write_history(repo, commits)
    store = SQLiteStore.open(tmp_path / "argus.db")
    return HistoryIndex.sync(store, repo), shas


def test_fix_is_traced_to_the_introducing_commit(tmp_path: Path) -> None:
    index, shas = _index(
        tmp_path,
        [
            Commit({"calc.py": ORIGINAL}, "add total", time=T0),
            Commit({"calc.py": COMMENTED}, "document other", "Bob", "bob@x", T0 + DAY),
            Commit({"calc.py": FIXED}, "Fix off-by-one in total", time=T0 + 2 * DAY),
        ],
    )
    report = szz.label(index)
    assert report.fixes_traced == 1
    assert report.bug_introducing_commits == 1
    found = szz.labels(index)
    assert [(label.bug_sha, label.fix_sha, label.path, label.line) for label in found] == [
        (shas[0], shas[2], "calc.py", 2)
    ]
    assert found[0].fix_time == T0 + 2 * DAY
    assert szz.first_fix_seq(index) == {0: 2}
    # incremental: nothing left to trace
    assert szz.label(index).fixes_traced == 0


def test_whitespace_only_changes_do_not_take_the_blame(tmp_path: Path) -> None:
    reindented = ORIGINAL.replace("    return sum(items) + 1", "    return  sum(items)  + 1")
    index, shas = _index(
        tmp_path,
        [
            Commit({"calc.py": ORIGINAL}, "add total", time=T0),
            Commit({"calc.py": reindented}, "style", "Bob", "bob@x", T0 + DAY),
            Commit(
                {"calc.py": FIXED.replace("    value = 2\n", "")}, "fix total", time=T0 + 2 * DAY
            ),
        ],
    )
    szz.label(index)
    assert {label.bug_sha for label in szz.labels(index)} == {shas[0]}


def test_fix_on_a_renamed_file_blames_the_old_path(tmp_path: Path) -> None:
    body = "".join(f"value_{n} = {n}\n" for n in range(12))
    index, shas = _index(
        tmp_path,
        [
            Commit({"old.py": body}, "add values", time=T0),
            Commit(
                {"old.py": None, "new.py": body.replace("value_3 = 3", "value_3 = 4")},
                "move and fix wrong value",
                time=T0 + DAY,
            ),
        ],
    )
    szz.label(index)
    assert [(label.bug_sha, label.path, label.line) for label in szz.labels(index)] == [
        (shas[0], "old.py", 4)
    ]


def test_line_ranges() -> None:
    assert szz.line_ranges([7, 1, 2, 3, 3, 9]) == [(1, 3), (7, 7), (9, 9)]
    assert szz.line_ranges([]) == []


def test_root_fix_commit_has_nothing_to_blame(tmp_path: Path) -> None:
    index, _ = _index(tmp_path, [Commit({"a.py": "x = 1\n"}, "fix everything")])
    report = szz.label(index)
    assert (report.fixes_traced, report.labels_added) == (1, 0)


def test_a_fix_that_only_touches_tests_or_docs_labels_nothing(tmp_path: Path) -> None:
    test_file = "def test_total():\n    assert total([1]) == 2\n"
    index, _ = _index(
        tmp_path,
        [
            Commit({"calc.py": ORIGINAL, "tests/test_calc.py": test_file, "README.md": "a\nb\n"}),
            Commit(
                {"tests/test_calc.py": test_file.replace("== 2", "== 1"), "README.md": "a\nc\n"},
                "Fix the test and the readme",
                time=T0 + DAY,
            ),
        ],
    )
    report = szz.label(index)
    assert report.fixes_traced == 1
    assert szz.labels(index) == []


def test_fixes_before_the_window_are_not_traced(tmp_path: Path) -> None:
    index, _ = _index(
        tmp_path,
        [
            Commit({"calc.py": ORIGINAL}, "add total", time=T0),
            Commit({"calc.py": FIXED}, "Fix off-by-one in total", time=T0 + DAY),
        ],
    )
    assert szz.label(index, fixes_from=2).fixes_traced == 0
    assert szz.label(index).bug_introducing_commits == 1
