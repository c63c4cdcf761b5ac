"""Time-aware scoring of history: nothing a commit is scored with comes from its future."""

from __future__ import annotations

from pathlib import Path

import pytest

from argus.core.predict import szz
from argus.core.predict.backtest import score_history
from argus.core.predict.history import HistoryIndex
from argus.core.store.sqlite import SQLiteStore
from tests.core.predict.test_adapt import SizeModel, planted_history
from tests.core.predict.test_history import DAY, T0, Commit, write_history


def test_labels_are_used_only_after_their_fix(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shas = write_history(
        repo,
        [
            Commit({"m.py": "a = 1\nb = 2\n"}, "start", time=T0),
            Commit({"m.py": "a = 1\nb = -2\n"}, "tweak b", "Bob", "bob@x", T0 + DAY),
            Commit({"m.py": "a = 1\nb = -2\nc = 3\n"}, "add c", time=T0 + 2 * DAY),
            Commit({"m.py": "a = 1\nb = 2\nc = 3\n"}, "fix wrong sign of b", time=T0 + 3 * DAY),
            Commit({"m.py": "a = 1\nb = 2\nc = 4\n"}, "change c", time=T0 + 4 * DAY),
        ],
    )
    store = SQLiteStore.open(tmp_path / "argus.db")
    rows = list(score_history(store, repo, SizeModel()))
    assert [row["sha"] for row in rows] == shas
    assert [row["buggy"] for row in rows] == [False, True, False, False, False]
    assert [row["fix"] for row in rows] == [False, False, False, True, False]
    # the bug of commit 1 is known only once the fix (commit 3) is in the past
    assert rows[2]["file_bugs"] == 0.0
    assert rows[3]["file_bugs"] == 0.0
    assert rows[4]["file_bugs"] == pytest.approx(0.6931, abs=1e-3)  # log1p(1)
    assert rows[4]["file_fixes"] == pytest.approx(0.6931, abs=1e-3)
    # features only from earlier commits: the first commit has no history at all
    assert (rows[0]["nuc"], rows[0]["exp"], rows[0]["ndev"]) == (0.0, 0.0, 0.0)
    assert (rows[4]["nuc"], rows[4]["exp"], rows[4]["ndev"]) == (4.0, 3.0, 2.0)
    assert {row["level"] for row in rows} <= {"low", "medium", "high"}
    assert not any(row["adapted"] for row in rows)


def test_scores_do_not_change_when_the_future_is_removed(tmp_path: Path) -> None:
    commits = planted_history(90)
    # cut just before a fix, so that the past holds a bug that only the future reveals
    cut = max(n for n, commit in enumerate(commits[:85]) if commit.message == "Fix wrong sign")
    full_repo, past_repo = tmp_path / "full", tmp_path / "past"
    write_history(full_repo, commits)
    write_history(past_repo, commits[:cut])
    full = list(
        score_history(
            SQLiteStore.open(tmp_path / "full.db"), full_repo, SizeModel(), refit_every=10
        )
    )
    past = list(
        score_history(
            SQLiteStore.open(tmp_path / "past.db"), past_repo, SizeModel(), refit_every=10
        )
    )
    assert len(past) == cut
    assert any(row["adapted"] for row in past)  # the refits did happen
    for seen_then, seen_now in zip(past, full[:cut], strict=True):
        assert seen_then["sha"] == seen_now["sha"]
        for key in seen_then:
            if key != "buggy":  # ground truth may only grow with the future
                assert seen_then[key] == seen_now[key], key
    # and the future did reveal more bugs among the past commits
    assert sum(bool(r["buggy"]) for r in full[:cut]) > sum(bool(r["buggy"]) for r in past)


def test_empty_repository_scores_nothing(tmp_path: Path) -> None:
    repo = tmp_path / "empty"
    repo.mkdir()
    write_history(repo, [])  # init only
    store = SQLiteStore.open(tmp_path / "argus.db")
    assert list(score_history(store, repo, SizeModel())) == []
    assert szz.label(HistoryIndex.load(store, repo)).fixes_traced == 0


def test_rolling_refits_use_a_correction_only_when_it_beats_the_shipped_model(
    tmp_path: Path,
) -> None:
    from tests.core.predict.test_adapt import FixHistoryModel

    repo = tmp_path / "repo"
    write_history(repo, planted_history(150))
    helped = list(
        score_history(SQLiteStore.open(tmp_path / "a.db"), repo, SizeModel(), refit_every=40)
    )
    # the size-only stand-in misses the fix history, which a correction supplies
    assert any(row["adapted"] for row in helped)
    assert all(row["risk"] == row["shipped_risk"] for row in helped if not row["adapted"])
    # a shipped model that already reads the fix history gains nothing from a correction
    already = list(
        score_history(SQLiteStore.open(tmp_path / "b.db"), repo, FixHistoryModel(), refit_every=40)
    )
    assert not any(row["adapted"] for row in already)
