"""Kamei change features, checked by hand on a small real repository."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from argus.core.diff.changeset import ChangeSet, FileChange, FileStatus, Hunk
from argus.core.predict.features import (
    CONTEXT_FEATURE_NAMES,
    FEATURE_NAMES,
    change_features,
    commit_features,
    entropy,
    file_kind,
)
from argus.core.predict.history import HistoryIndex
from argus.core.store.sqlite import SQLiteStore
from tests.core.predict.test_history import DAY, T0, Commit, lines, write_history

YEAR = 365.25 * DAY


@pytest.fixture
def index(tmp_path: Path) -> HistoryIndex:
    repo = tmp_path / "repo"
    write_history(
        repo,
        [
            Commit({"a/x.py": lines(10), "b/y.py": lines(5)}, "start", time=T0),
            Commit({"a/x.py": lines(9) + "p\nq\n"}, "fix crash", "Bob", "bob@x", T0 + DAY),
            Commit(
                {
                    "a/x.py": lines(9) + "p\nq\nr\n",
                    "b/y.py": lines(3) + "s\nt\nu\n",
                    "root.txt": lines(4),
                },
                "more",
                time=T0 + 3 * DAY,
            ),
        ],
    )
    store = SQLiteStore.open(tmp_path / "argus.db")
    return HistoryIndex.sync(store, repo)


def test_historical_commit_features_by_hand(index: HistoryIndex) -> None:
    third = commit_features(index, index.commits[2].sha)
    assert list(third) == list(FEATURE_NAMES + CONTEXT_FEATURE_NAMES)
    expected = {
        "ns": 3.0,  # a, b and the root
        "nd": 3.0,
        "nf": 3.0,
        "entropy": -(0.1 * math.log2(0.1) + 0.5 * math.log2(0.5) + 0.4 * math.log2(0.4)),
        "la": 8.0,  # 1 + 3 + 4
        "ld": 2.0,
        "lt": 16.0,  # x.py had 11 lines, y.py 5, root.txt did not exist
        "fix": 0.0,
        "ndev": 2.0,  # ann and bob changed x.py / y.py before
        "age": 2.5,  # x.py last changed 2 days before, y.py 3 days before
        "nuc": 2.0,
        "exp": 1.0,
        "rexp": 1.0 / (1.0 + 3 * DAY / YEAR),
        "sexp": 1.0,
        "la_code": 4.0,  # x.py and y.py are code, root.txt is not
        "ld_code": 2.0,
        "nf_test": 0.0,
        "nf_other": 1.0,
        "prior_fixes": 1.0,  # bob's "fix crash" touched x.py before
        "owner_share": 0.5,  # ann wrote one of the two earlier commits to x.py and y.py
    }
    assert third == pytest.approx(expected)

    second = commit_features(index, index.commits[1].sha)
    assert second == pytest.approx(
        {"ns": 1, "nd": 1, "nf": 1, "entropy": 0, "la": 2, "ld": 1, "lt": 10, "fix": 1,
         "ndev": 1, "age": 1, "nuc": 1, "exp": 0, "rexp": 0, "sexp": 0,
         "la_code": 2, "ld_code": 1, "nf_test": 0, "nf_other": 0, "prior_fixes": 0,
         "owner_share": 0}
    )  # fmt: skip
    first = commit_features(index, index.commits[0].sha)
    assert (first["lt"], first["ndev"], first["nuc"], first["age"], first["exp"]) == (0, 0, 0, 0, 0)


def _review() -> ChangeSet:
    return ChangeSet(
        files=(
            FileChange(
                "a/x.py",
                "a/x.py",
                FileStatus.MODIFIED,
                (Hunk(4, 1, 4, 3, added=(4, 5, 6), removed=(4,)), Hunk(9, 0, 12, 1, added=(12,))),
            ),
            FileChange(
                None, "c/z.py", FileStatus.ADDED, (Hunk(0, 0, 1, 5, added=(1, 2, 3, 4, 5)),)
            ),
        )
    )


def test_review_features_by_hand(index: HistoryIndex) -> None:
    when = T0 + 10 * DAY
    features = change_features(index, _review(), " ANN@example.com", when, "fix typo")
    assert features == pytest.approx(
        {
            "ns": 2.0,
            "nd": 2.0,
            "nf": 2.0,
            "entropy": entropy([5, 5]),
            "la": 9.0,
            "ld": 1.0,
            "lt": 12.0,  # x.py now: 10 - 1 + 2 + 1
            "fix": 1.0,
            "ndev": 2.0,
            "age": 7.0,
            "nuc": 3.0,
            "exp": 2.0,
            "rexp": 1.0 / (1.0 + 10 * DAY / YEAR) + 1.0 / (1.0 + 7 * DAY / YEAR),
            "sexp": 2.0,  # both of ann's commits touched subsystem "a"
            "la_code": 9.0,
            "ld_code": 1.0,
            "nf_test": 0.0,
            "nf_other": 0.0,
            "prior_fixes": 1.0,
            "owner_share": 2.0 / 3.0,  # ann wrote 2 of the 3 earlier commits to x.py
        }
    )
    assert entropy([5, 5]) == pytest.approx(1.0)


def test_review_file_sizes_come_from_the_base(index: HistoryIndex) -> None:
    as_mapping = change_features(index, _review(), "ann@example.com", T0, file_sizes={"a/x.py": 40})
    as_callable = change_features(
        index,
        _review(),
        "ann@example.com",
        T0,
        file_sizes=lambda path: 7 if path == "a/x.py" else None,
    )
    assert as_mapping["lt"] == 40.0
    assert as_callable["lt"] == 7.0


def test_review_of_a_rename_uses_the_old_history(index: HistoryIndex) -> None:
    moved = ChangeSet(files=(FileChange("a/x.py", "d/w.py", FileStatus.RENAMED, similarity=100),))
    features = change_features(index, moved, "carol@x", T0 + 4 * DAY)
    assert (features["nuc"], features["ndev"], features["lt"]) == (3.0, 2.0, 12.0)
    assert (features["exp"], features["sexp"], features["la"]) == (0.0, 0.0, 0.0)


def test_empty_history_gives_neutral_features(tmp_path: Path) -> None:
    repo = tmp_path / "empty"
    write_history(repo, [Commit({"README": "hi\n"})])
    store = SQLiteStore.open(tmp_path / "argus.db")
    index = HistoryIndex.sync(store, repo)
    features = change_features(index, ChangeSet(), "x@y", T0)
    assert features["nf"] == 0.0 and features["entropy"] == 0.0 and features["exp"] == 0.0


def test_entropy_edges() -> None:
    assert entropy([]) == 0.0
    assert entropy([0, 0]) == 0.0
    assert entropy([3]) == 0.0
    assert entropy([1, 1, 1, 1]) == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("src/flask/app.py", "code"),
        ("tests/test_app.py", "test"),
        ("pkg/thing_test.go", "test"),
        ("web/src/button.test.tsx", "test"),
        ("src/test/java/org/x/FooTest.java", "test"),
        ("conftest.py", "test"),
        ("docs/index.rst", "other"),
        ("CHANGES.rst", "other"),
        ("pyproject.toml", "other"),
        ("lib/testing_utils.py", "code"),
    ],
)
def test_file_kinds(path: str, kind: str) -> None:
    assert file_kind(path) == kind


def test_a_range_is_judged_by_each_commit_not_by_its_head(index: HistoryIndex) -> None:
    from argus.core.predict.features import RangeCommit, range_features

    when = T0 + 10 * DAY
    work = RangeCommit("ann@example.com", when, "add the parser")
    bot_fix = RangeCommit("bot@example.com", when + 60, "fix: bump dependency")
    head_only = change_features(
        index, _review(), bot_fix.author_email, bot_fix.time, bot_fix.message
    )
    combined = range_features(index, _review(), [work, bot_fix])
    assert head_only["fix"] == 1.0 and head_only["exp"] == 0.0
    assert combined["fix"] == 0.5  # one of the two commits is a fix
    assert combined["exp"] == pytest.approx(1.0)  # ann's 2 earlier commits, the bot's 0
    assert combined["owner_share"] == pytest.approx((2.0 / 3.0 + 0.0) / 2)
    for name in ("la", "ld", "nf", "lt", "nuc", "ndev", "la_code", "prior_fixes"):
        assert combined[name] == head_only[name]
    with pytest.raises(ValueError):
        range_features(index, _review(), [])
