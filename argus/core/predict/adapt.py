"""Repository-specific adaptation of the shipped model, learnt from the repository's history.

The correction is a logistic recalibration on top of the shipped probability ``p``::

    logit(p') = a + b * logit(p) + c1 * log1p(file_fixes) + c2 * log1p(file_bugs)

``file_fixes`` counts the earlier fix commits that touched the changed files; ``file_bugs`` the
earlier commits to those files already known (by SZZ) to have introduced a bug. It is fitted by
Newton's method on the L2-regularised log-loss, with the penalty pulling towards the identity
(a = 0, b = 1, c = 0) so that a repository with few labels keeps the shipped model. Pure Python.

Leakage rules: a sample's features come from commits before it; its ``file_bugs`` from labels
whose fix came before it; its training target from labels whose fix came before the training
cut-off. Nothing fitted at a cut-off ever looks at a later fix.
"""

from __future__ import annotations

import json
import math
import operator
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from argus.core.errors import StoreError
from argus.core.predict import szz
from argus.core.predict.features import RiskModel, commit_files, context_features, features_before
from argus.core.predict.history import HistoryIndex, repository_id
from argus.core.store.sqlite import SQLiteStore

EXTRA_FEATURES: tuple[str, ...] = ("file_fixes", "file_bugs")
_EPSILON = 1e-6
_NEVER = 1 << 62


def logit(probability: float) -> float:
    """log(p / (1 - p)), with p clipped away from 0 and 1."""
    p = min(1.0 - _EPSILON, max(_EPSILON, probability))
    return math.log(p / (1.0 - p))


def sigmoid(value: float) -> float:
    """The logistic function, safe for large magnitudes."""
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    exp = math.exp(value)
    return exp / (1.0 + exp)


@dataclass(frozen=True)
class Adaptation:
    """A fitted recalibration; ``cutoff_time``/``cutoff_seq`` bound the labels it saw."""

    intercept: float
    slope: float
    weights: Mapping[str, float]
    cutoff_time: int
    cutoff_seq: int
    samples: int
    positives: int

    def adjust(self, probability: float, extras: Mapping[str, float]) -> float:
        """The adapted probability for a shipped probability and the extra features."""
        value = self.intercept + self.slope * logit(probability)
        for name, weight in self.weights.items():
            value += weight * extras.get(name, 0.0)
        return sigmoid(value)

    def to_json(self) -> str:
        """The adaptation as a JSON document."""
        return json.dumps(
            {
                "intercept": self.intercept,
                "slope": self.slope,
                "weights": dict(self.weights),
                "cutoff_time": self.cutoff_time,
                "cutoff_seq": self.cutoff_seq,
                "samples": self.samples,
                "positives": self.positives,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Adaptation:
        """Read an adaptation written by :meth:`to_json`; StoreError when corrupt."""
        try:
            data = json.loads(text)
            return cls(
                intercept=float(data["intercept"]),
                slope=float(data["slope"]),
                weights={str(k): float(v) for k, v in data["weights"].items()},
                cutoff_time=int(data["cutoff_time"]),
                cutoff_seq=int(data["cutoff_seq"]),
                samples=int(data["samples"]),
                positives=int(data["positives"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise StoreError(f"a stored model adaptation is corrupt: {error}") from error


@dataclass(frozen=True)
class CommitSample:
    """One historical commit seen as of just before it was made."""

    seq: int
    features: dict[str, float]
    extras: dict[str, float]
    shipped: float


@dataclass(frozen=True)
class LearnReport:
    """What ``learn`` did and how much the adaptation helps on the newest commits."""

    commits_scanned: int
    fix_commits: int
    bug_introducing_commits: int
    evaluated_commits: int
    auc_shipped: float | None
    auc_adapted: float | None
    adaptation: Adaptation | None
    notes: tuple[str, ...] = field(default=())


def extra_features(
    index: HistoryIndex, seq: int, paths: Sequence[str | None], first_fix: Mapping[int, int]
) -> dict[str, float]:
    """``file_fixes``/``file_bugs`` of commit ``seq`` from commits and labels before it."""
    commits = index.commits
    fixes: set[int] = set()
    bugs: set[int] = set()
    for path in paths:
        if path is None:
            continue
        for row in index.rows_before(path, seq):
            if commits[row.seq].is_fix:
                fixes.add(row.seq)
            if first_fix.get(row.seq, _NEVER) < seq:
                bugs.add(row.seq)
    return {"file_fixes": math.log1p(len(fixes)), "file_bugs": math.log1p(len(bugs))}


def commit_samples(
    index: HistoryIndex, model: RiskModel, first_fix: Mapping[int, int]
) -> Iterator[CommitSample]:
    """Every non-boundary commit in order, with features, extras and the shipped probability."""
    for commit in index.commits:
        if commit.is_boundary:
            continue
        files = commit_files(index, commit.seq)
        features = features_before(
            index,
            files,
            commit.author_email,
            commit.time,
            is_fix=commit.is_fix,
            before_seq=commit.seq,
        )
        features.update(context_features(index, files, commit.author_email, before_seq=commit.seq))
        extras = extra_features(index, commit.seq, [f.history_path for f in files], first_fix)
        yield CommitSample(commit.seq, features, extras, model.predict(features))


def fit(
    samples: Sequence[CommitSample],
    targets: Sequence[int],
    *,
    cutoff_time: int,
    cutoff_seq: int,
    penalty: float = 1.0,
    iterations: int = 50,
) -> Adaptation | None:
    """Fit the recalibration; None without at least 5 positives and 5 negatives."""
    positives = sum(targets)
    if positives < 5 or len(targets) - positives < 5:
        return None
    rows = [
        [1.0, logit(sample.shipped), *(sample.extras[name] for name in EXTRA_FEATURES)]
        for sample in samples
    ]
    size = len(rows[0])
    prior = [0.0, 1.0] + [0.0] * (size - 2)
    theta = list(prior)
    loss = _penalised_loss(theta, rows, targets, prior, penalty)
    pairs = [(i, j) for i in range(size) for j in range(i, size)]
    for _ in range(iterations):
        gradient = [penalty * (theta[j] - prior[j]) for j in range(size)]
        upper = [penalty if i == j else 0.0 for i, j in pairs]
        for row, target in zip(rows, targets, strict=True):
            predicted = sigmoid(sum(map(operator.mul, theta, row)))
            error = predicted - target
            weight = predicted * (1.0 - predicted)
            for i in range(size):
                gradient[i] += error * row[i]
            for k, (i, j) in enumerate(pairs):
                upper[k] += weight * row[i] * row[j]
        hessian = [[0.0] * size for _ in range(size)]
        for (i, j), value in zip(pairs, upper, strict=True):
            hessian[i][j] = hessian[j][i] = value
        step = _solve(hessian, gradient)
        # Damped Newton: halve the step until the penalised loss goes down.
        scale = 1.0
        for _ in range(30):
            candidate = [t - scale * s for t, s in zip(theta, step, strict=True)]
            candidate_loss = _penalised_loss(candidate, rows, targets, prior, penalty)
            if candidate_loss <= loss:
                break
            scale /= 2.0
        else:
            break
        converged = loss - candidate_loss < 1e-9 * max(1.0, loss)
        theta, loss = candidate, candidate_loss
        if converged:
            break
    return Adaptation(
        intercept=theta[0],
        slope=theta[1],
        weights=dict(zip(EXTRA_FEATURES, theta[2:], strict=True)),
        cutoff_time=cutoff_time,
        cutoff_seq=cutoff_seq,
        samples=len(rows),
        positives=positives,
    )


def _penalised_loss(
    theta: list[float],
    rows: list[list[float]],
    targets: Sequence[int],
    prior: list[float],
    penalty: float,
) -> float:
    """Summed log-loss plus the L2 pull towards the prior (the identity correction)."""
    total = 0.5 * penalty * sum((t - p) ** 2 for t, p in zip(theta, prior, strict=True))
    for row, target in zip(rows, targets, strict=True):
        value = sum(map(operator.mul, theta, row))
        # log(1 + exp(-y*v)) written to stay finite for large |v|
        margin = value if target else -value
        total += math.log1p(math.exp(-margin)) if margin > -30 else -margin
    return total


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Solve a small symmetric positive-definite system by Gaussian elimination."""
    size = len(vector)
    augmented = [row[:] + [vector[i]] for i, row in enumerate(matrix)]
    for column in range(size):
        pivot = max(range(column, size), key=lambda r: abs(augmented[r][column]))
        augmented[column], augmented[pivot] = augmented[pivot], augmented[column]
        lead = augmented[column][column]
        if abs(lead) < 1e-12:
            return [0.0] * size
        for row in range(column + 1, size):
            factor = augmented[row][column] / lead
            if factor:
                for k in range(column, size + 1):
                    augmented[row][k] -= factor * augmented[column][k]
    solution = [0.0] * size
    for row in range(size - 1, -1, -1):
        total = augmented[row][size] - sum(
            augmented[row][k] * solution[k] for k in range(row + 1, size)
        )
        solution[row] = total / augmented[row][row]
    return solution


def auc(scores: Sequence[float], targets: Sequence[int]) -> float | None:
    """Area under the ROC curve (ties share ranks); None when one class is missing."""
    positives = sum(targets)
    negatives = len(targets) - positives
    if positives == 0 or negatives == 0:
        return None
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = (start + end) / 2.0 + 1.0
        start = end + 1
    positive_ranks = sum(rank for rank, target in zip(ranks, targets, strict=True) if target)
    return (positive_ranks - positives * (positives + 1) / 2.0) / (positives * negatives)


MIN_COMMITS = 50
KEEP_MARGIN = 0.01
EVALUATION_FRACTION = 0.2


def reasons_to_keep_shipped(index: HistoryIndex) -> list[str]:
    """Why this history cannot teach a correction (empty when it can): too short, no bug
    fixes, or a single author."""
    commits = [commit for commit in index.commits if not commit.is_boundary]
    reasons: list[str] = []
    if len(commits) < MIN_COMMITS:
        reasons.append(f"only {len(commits)} commits in the history (needs {MIN_COMMITS})")
    if not any(commit.is_fix for commit in commits):
        reasons.append("no bug-fix commits in the history, so no bug to learn from")
    if commits and len({commit.author_email for commit in commits}) < 2:
        reasons.append("a single author: experience and ownership cannot be told apart")
    return reasons


def learn(
    store: SQLiteStore,
    repo_root: Path | str,
    model: RiskModel,
    *,
    workers: int = 4,
    on_stage: Callable[[str], None] | None = None,
) -> LearnReport:
    """Sync history, label it with SZZ, and keep this repository's correction only if it helps.

    The correction is fitted on the older 80% of commits with the labels known before the
    newest 20% began, and both models are scored on that newest slice. Only when the corrected
    model's AUC beats the shipped model's by :data:`KEEP_MARGIN` is a correction fitted on
    everything known now and saved; otherwise any saved correction is removed and the shipped
    model is used. The notes say why. ``on_stage`` is told each stage's name as it starts (for
    progress display).
    """
    stage = on_stage or (lambda name: None)
    stage("reading the history")
    index = HistoryIndex.sync(store, repo_root)
    notes = [*([index.unusable] if index.unusable else []), *index.warnings]
    stage(f"tracing bug fixes to their causes (SZZ, {len(index.commits)} commits)")
    szz.label(index, workers=workers)
    first_fix = szz.first_fix_seq(index)
    reasons = reasons_to_keep_shipped(index)
    if reasons:
        _forget_adaptations(store, index.repository_id)
        return LearnReport(
            commits_scanned=len(index.commits),
            fix_commits=sum(1 for commit in index.commits if commit.is_fix),
            bug_introducing_commits=len(first_fix),
            evaluated_commits=0,
            auc_shipped=None,
            auc_adapted=None,
            adaptation=None,
            notes=(*notes, *(f"keeping the shipped model: {reason}" for reason in reasons)),
        )
    stage("scoring every commit as it was made")
    samples = list(commit_samples(index, model, first_fix))
    stage("fitting and evaluating the adaptation")
    truth = [1 if s.seq in first_fix else 0 for s in samples]
    split = int(len(samples) * (1.0 - EVALUATION_FRACTION))
    auc_shipped = auc_adapted = None
    evaluated = 0
    keep = False
    if split and split < len(samples):
        boundary = samples[split].seq
        held_out, held_truth = samples[split:], truth[split:]
        known = [1 if first_fix.get(s.seq, _NEVER) < boundary else 0 for s in samples[:split]]
        trial = fit(
            samples[:split],
            known,
            cutoff_time=index.commits[boundary].time,
            cutoff_seq=boundary,
        )
        evaluated = len(held_out)
        auc_shipped = auc([s.shipped for s in held_out], held_truth)
        if trial is None:
            notes.append("too few labels before the evaluation period to fit an adaptation")
            auc_adapted = auc_shipped
        else:
            auc_adapted = auc([trial.adjust(s.shipped, s.extras) for s in held_out], held_truth)
            if auc_shipped is None or auc_adapted is None:
                notes.append("the newest commits hold no bug-introducing commit to compare on")
            elif auc_adapted >= auc_shipped + KEEP_MARGIN:
                keep = True
            else:
                notes.append(
                    f"keeping the shipped model: the adapted one is not better by "
                    f"{KEEP_MARGIN} AUC on the newest {evaluated} commits "
                    f"({auc_adapted:.3f} adapted, {auc_shipped:.3f} shipped)"
                )
    adaptation = None
    if keep:
        adaptation = fit(
            samples,
            truth,
            cutoff_time=max(c.time for c in index.commits) + 1,
            cutoff_seq=len(index.commits),
        )
    if adaptation is None:
        if keep or not samples:
            notes.append("too few bug-introducing commits to adapt the model (need 5)")
        _forget_adaptations(store, index.repository_id)
    else:
        save_adaptation(store, index.repository_id, adaptation)
    return LearnReport(
        commits_scanned=len(index.commits),
        fix_commits=sum(1 for c in index.commits if c.is_fix),
        bug_introducing_commits=len(first_fix),
        evaluated_commits=evaluated,
        auc_shipped=auc_shipped,
        auc_adapted=auc_adapted,
        adaptation=adaptation,
        notes=tuple(notes),
    )


def _forget_adaptations(store: SQLiteStore, repository: int) -> None:
    """Remove the repository's saved corrections, so that reviews use the shipped model."""
    try:
        with store.transaction() as db:
            db.execute("DELETE FROM model_adaptations WHERE repository_id = ?", (repository,))
    except sqlite3.Error as error:
        raise StoreError(f"cannot remove the model adaptation: {error}") from error


def save_adaptation(store: SQLiteStore, repository: int, adaptation: Adaptation) -> None:
    """Store an adaptation (kept alongside older ones; the newest cut-off wins on load)."""
    try:
        with store.transaction() as db:
            db.execute(
                "INSERT INTO model_adaptations (repository_id, cutoff_time, trained_at, payload)"
                " VALUES (?, ?, ?, ?)",
                (repository, adaptation.cutoff_time, int(time.time()), adaptation.to_json()),
            )
    except sqlite3.Error as error:
        raise StoreError(f"cannot save the model adaptation: {error}") from error


def load_adaptation(
    store: SQLiteStore, as_of: int | None = None, *, repo_root: Path | str | None = None
) -> Adaptation | None:
    """The newest adaptation trained with a cut-off at or before ``as_of`` (None: newest).

    With ``repo_root`` only that repository's adaptations are considered.
    """
    query = "SELECT payload FROM model_adaptations WHERE cutoff_time <= ?"
    parameters: list[object] = [_NEVER if as_of is None else as_of]
    if repo_root is not None:
        query += " AND repository_id = ?"
        parameters.append(repository_id(store, Path(repo_root)))
    query += " ORDER BY cutoff_time DESC, id DESC LIMIT 1"
    row = store.connection.execute(query, parameters).fetchone()
    return None if row is None else Adaptation.from_json(row[0])
