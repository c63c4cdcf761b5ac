"""Repository adaptation: the fit, AUC, storage by cut-off, and learn() on a planted history."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from pathlib import Path

import pytest

from argus.core.errors import StoreError
from argus.core.predict.adapt import (
    Adaptation,
    CommitSample,
    auc,
    fit,
    learn,
    load_adaptation,
    save_adaptation,
    sigmoid,
)
from argus.core.predict.findings import Factor
from argus.core.predict.history import repository_id
from argus.core.store.sqlite import SQLiteStore
from tests.core.predict.test_history import DAY, T0, Commit, write_history


class SizeModel:
    """A test double of the shipped model: bigger changes are a little riskier."""

    def predict(self, features: Mapping[str, float]) -> float:
        return sigmoid(-1.5 + 0.05 * features["la"] - 0.01 * features["exp"])

    def explain(self, features: Mapping[str, float], top: int = 3) -> list[Factor]:
        return [Factor("la", "lines added", 0.05 * features["la"], features["la"])][:top]


def planted_history(rounds: int, seed: int = 3) -> list[Commit]:
    """Commits to four files; bugs planted in risky/ files are fixed two rounds later."""
    rng = random.Random(seed)
    paths = ["risky/engine.py", "risky/rules.py", "safe/docs.py", "safe/util.py"]
    content = {path: [f"{path.split('/')[1][:-3]}_{n} = {n}" for n in range(5)] for path in paths}
    authors = [("Ann", "ann@x"), ("Bob", "bob@x"), ("Cy", "cy@x")]
    pending: list[tuple[int, str, str]] = []  # (fix round, path, buggy line)
    commits: list[Commit] = []
    when = T0
    for number in range(rounds):
        when += DAY
        due = [item for item in pending if item[0] == number]
        if due:
            for item in due:
                pending.remove(item)
                _, path, line = item
                lines = content[path]
                lines[lines.index(line)] = line.replace("= -1", "= 1")
            commits.append(
                Commit(
                    {item[1]: "\n".join(content[item[1]]) + "\n" for item in due},
                    "Fix wrong sign",
                    *authors[0],
                    time=when,
                )
            )
            when += 3600
        path = rng.choice(paths)
        author = rng.choice(authors)
        buggy = path.startswith("risky/") and rng.random() < 0.6
        added = [f"v{number}_{k} = {rng.randint(2, 9)}" for k in range(rng.randint(1, 4))]
        if buggy:
            added.append(f"v{number}_bug = -1")
            pending.append((number + 2, path, added[-1]))
        content[path][1:1] = added
        commits.append(
            Commit({path: "\n".join(content[path]) + "\n"}, f"work {number}", *author, time=when)
        )
    return commits


def test_auc_known_values() -> None:
    assert auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)
    assert auc([0.5, 0.5], [0, 1]) == pytest.approx(0.5)
    assert auc([0.2, 0.3], [1, 1]) is None


def test_fit_learns_the_extra_feature() -> None:
    rng = random.Random(5)
    samples, targets = [], []
    for seq in range(400):
        fixes = rng.random() * 3
        shipped = 0.2 + 0.1 * rng.random()
        chance = sigmoid(-2.0 + 1.5 * fixes)
        samples.append(CommitSample(seq, {}, {"file_fixes": fixes, "file_bugs": 0.0}, shipped))
        targets.append(1 if rng.random() < chance else 0)
    adaptation = fit(samples, targets, cutoff_time=T0, cutoff_seq=400)
    assert adaptation is not None
    assert adaptation.weights["file_fixes"] == pytest.approx(1.5, abs=0.4)
    adapted = [adaptation.adjust(s.shipped, s.extras) for s in samples]
    shipped_auc = auc([s.shipped for s in samples], targets)
    adapted_auc = auc(adapted, targets)
    assert shipped_auc is not None and adapted_auc is not None
    assert adapted_auc > shipped_auc + 0.15
    # the adapted probabilities are calibrated on average
    assert sum(adapted) / len(adapted) == pytest.approx(sum(targets) / len(targets), abs=0.02)


def test_fit_needs_both_classes() -> None:
    samples = [CommitSample(n, {}, {"file_fixes": 0.0, "file_bugs": 0.0}, 0.3) for n in range(20)]
    assert fit(samples, [0] * 20, cutoff_time=T0, cutoff_seq=20) is None
    assert fit(samples, [1] * 3 + [0] * 17, cutoff_time=T0, cutoff_seq=20) is None


def test_adaptations_are_chosen_by_cut_off(tmp_path: Path) -> None:
    store = SQLiteStore.open(tmp_path / "argus.db")
    repo = repository_id(store, tmp_path)
    for cutoff, intercept in ((100, 0.1), (200, 0.2)):
        save_adaptation(
            store, repo, Adaptation(intercept, 1.0, {"file_fixes": 0.5}, cutoff, 10, 50, 7)
        )
    assert load_adaptation(store, 50) is None
    older = load_adaptation(store, 150)
    assert older is not None and older.intercept == 0.1 and older.weights == {"file_fixes": 0.5}
    newest = load_adaptation(store, None, repo_root=tmp_path)
    assert newest is not None and newest.cutoff_time == 200
    assert load_adaptation(store, None, repo_root=tmp_path / "elsewhere") is None


def test_identity_adaptation_keeps_the_probability() -> None:
    identity = Adaptation(0.0, 1.0, {"file_fixes": 0.0}, T0, 0, 0, 0)
    assert identity.adjust(0.37, {"file_fixes": 2.0}) == pytest.approx(0.37)
    assert Adaptation.from_json(identity.to_json()) == identity
    with pytest.raises(StoreError):
        Adaptation.from_json('{"intercept": 1}')


def test_learn_on_a_planted_history(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write_history(repo, planted_history(90))
    store = SQLiteStore.open(tmp_path / "argus.db")
    report = learn(store, repo, SizeModel())
    assert report.commits_scanned > 90
    assert report.fix_commits >= 10
    assert report.bug_introducing_commits >= 10
    assert report.evaluated_commits == report.commits_scanned - int(report.commits_scanned * 0.8)
    assert report.auc_shipped is not None and report.auc_adapted is not None
    assert report.auc_adapted > report.auc_shipped
    assert report.adaptation is not None
    assert report.adaptation.weights["file_bugs"] > 0 or report.adaptation.weights["file_fixes"] > 0
    stored = load_adaptation(store, None)
    assert stored == report.adaptation
    assert math.isfinite(stored.intercept)


def test_learn_without_enough_history_reports_why(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    write_history(
        repo, [Commit({"a.py": f"x = {n}\n"}, f"work {n}", time=T0 + n) for n in range(6)]
    )
    store = SQLiteStore.open(tmp_path / "argus.db")
    report = learn(store, repo, SizeModel())
    assert (report.commits_scanned, report.fix_commits, report.bug_introducing_commits) == (6, 0, 0)
    assert report.adaptation is None and report.auc_shipped is None
    assert any("only 6 commits" in note for note in report.notes)
    assert any("no bug-fix commits" in note for note in report.notes)
    assert any("single author" in note for note in report.notes)
    assert load_adaptation(store) is None


def test_learn_with_one_author_keeps_the_shipped_model_and_drops_an_old_correction(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    lonely = [
        Commit(commit.files, commit.message, "Ann", "ann@x", commit.time, commit.renames)
        for commit in planted_history(90)
    ]
    write_history(repo, lonely)
    store = SQLiteStore.open(tmp_path / "argus.db")
    stale = Adaptation(0.3, 1.0, {"file_fixes": 0.5}, T0, 10, 50, 7)
    save_adaptation(store, repository_id(store, repo), stale)
    report = learn(store, repo, SizeModel())
    assert report.adaptation is None
    assert [note for note in report.notes if "single author" in note]
    assert all("only" not in note for note in report.notes)
    assert load_adaptation(store, repo_root=repo) is None


class FixHistoryModel(SizeModel):
    """A shipped model that already reads the files' fix history (the context feature)."""

    def predict(self, features: Mapping[str, float]) -> float:
        return sigmoid(-2.0 + 1.5 * math.log1p(features["prior_fixes"]))


def test_learn_keeps_the_shipped_model_when_the_correction_does_not_beat_it(
    tmp_path: Path,
) -> None:
    repo = tmp_path / "repo"
    write_history(repo, planted_history(90))
    store = SQLiteStore.open(tmp_path / "argus.db")
    report = learn(store, repo, FixHistoryModel())
    assert report.auc_shipped is not None and report.auc_adapted is not None
    assert report.auc_adapted < report.auc_shipped + 0.01
    assert report.adaptation is None
    assert any("not better by 0.01 AUC" in note for note in report.notes)
    assert load_adaptation(store, repo_root=repo) is None


def test_learn_on_an_empty_repository(tmp_path: Path) -> None:
    repo = tmp_path / "empty"
    write_history(repo, [])
    report = learn(SQLiteStore.open(tmp_path / "argus.db"), repo, SizeModel())
    assert report.commits_scanned == 0 and report.adaptation is None
