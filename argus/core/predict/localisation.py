"""Rank the functions a change touched by how likely a later fix is to change each of them.

A logistic ranking over facts each function has at review time: its share of the change's
changed lines, its file's kind (test and docs functions are rarely what a fix repairs), how
often it and its file were changed and fixed before, and whether it is new. Scoring is pure
Python; fitting (benchmarks, training) needs numpy.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from argus.core.errors import ModelError

RANKER_FILE = "localisation-v1.json"

INPUT_NAMES: tuple[str, ...] = (
    "bias", "log_lines", "line_share", "largest", "test_file", "other_file", "log_hunks",
    "log_touches", "log_fix_touches", "fix_ratio", "new_function", "log_days_since_change",
    "log_file_fixes", "file_fix_ratio", "log_file_lines",
)  # fmt: skip


@dataclass(frozen=True)
class CandidateFunction:
    """One function a change touched, with what history knew just before the change."""

    lines: int
    hunks: int
    kind: str
    touches: int
    fix_touches: int
    days_since_change: float | None
    file_commits: int
    file_fixes: int
    file_lines: int
    target: bool = False

    @classmethod
    def from_row(cls, row: Mapping[str, str]) -> CandidateFunction:
        """A candidate from a row of a corpus ``functions`` file."""
        days = float(row["days_since_change"])
        return cls(
            lines=int(row["lines"]),
            hunks=int(row["hunks"]),
            kind=row["kind"],
            touches=int(row["touches"]),
            fix_touches=int(row["fix_touches"]),
            days_since_change=None if days < 0 else days,
            file_commits=int(row["file_commits"]),
            file_fixes=int(row["file_fixes"]),
            file_lines=int(row["file_lines"]),
            target=row.get("target") == "1",
        )


@dataclass(frozen=True)
class Ranker:
    """Weights over :data:`INPUT_NAMES`."""

    weights: tuple[float, ...]


def ranking_inputs(functions: Sequence[CandidateFunction]) -> list[list[float]]:
    """The inputs of each function of one change (some are relative to the others)."""
    total = sum(f.lines for f in functions) or 1
    largest = max((f.lines for f in functions), default=0)
    rows = []
    for f in functions:
        rows.append(
            [
                1.0,
                math.log1p(f.lines),
                f.lines / total,
                1.0 if f.lines == largest else 0.0,
                1.0 if f.kind == "test" else 0.0,
                1.0 if f.kind == "other" else 0.0,
                math.log1p(f.hunks),
                math.log1p(f.touches),
                math.log1p(f.fix_touches),
                f.fix_touches / (f.touches + 1),
                1.0 if f.touches == 0 else 0.0,
                math.log1p(f.days_since_change or 0.0),
                math.log1p(f.file_fixes),
                f.file_fixes / (f.file_commits + 1),
                math.log1p(f.file_lines),
            ]
        )
    return rows


def rank_scores(ranker: Ranker, functions: Sequence[CandidateFunction]) -> list[float]:
    """A score per function (higher: more likely the one a later fix changes)."""
    return [
        sum(w * x for w, x in zip(ranker.weights, row, strict=True))
        for row in ranking_inputs(functions)
    ]


def fit_ranker(changes: Sequence[Sequence[CandidateFunction]], penalty: float = 1.0) -> Ranker:
    """Fit the weights on changes whose targets are known (L2-penalised logistic loss).

    Each change weighs the same, however many functions it touched.
    """
    import numpy as np

    rows: list[list[float]] = []
    labels: list[float] = []
    weights: list[float] = []
    for functions in changes:
        for inputs, function in zip(ranking_inputs(functions), functions, strict=True):
            rows.append(inputs)
            labels.append(1.0 if function.target else 0.0)
            weights.append(1.0 / len(functions))
    x = np.array(rows)
    y = np.array(labels)
    w = np.array(weights)
    mean = x[:, 1:].mean(axis=0)
    scale = x[:, 1:].std(axis=0)
    scale[scale == 0] = 1.0
    z = np.column_stack([x[:, 0], (x[:, 1:] - mean) / scale])
    theta = np.zeros(z.shape[1])
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(z @ theta)))
        gradient = z.T @ (w * (p - y)) + penalty * np.r_[0.0, theta[1:]]
        hessian = (z * (w * p * (1 - p))[:, None]).T @ z + penalty * np.diag(
            np.r_[0.0, np.ones(z.shape[1] - 1)]
        )
        step = np.linalg.solve(hessian + 1e-9 * np.eye(z.shape[1]), gradient)
        theta -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    # Undo the standardisation so that scoring needs no statistics.
    slopes = theta[1:] / scale
    intercept = theta[0] - float(slopes @ mean)
    return Ranker(weights=(float(intercept), *(float(v) for v in slopes)))


def ranker_document(ranker: Ranker, changes: int) -> dict[str, object]:
    """The JSON document of a fitted ranker."""
    return {
        "format": "argus-localisation-ranker",
        "inputs": list(INPUT_NAMES),
        "weights": list(ranker.weights),
        "training_changes": changes,
    }


def load_ranker(path: Path | None = None) -> Ranker:
    """The shipped ranker (``argus/core/predict/model/localisation-v1.json``) or the one at
    ``path``; ModelError when it is missing or not a ranker for these inputs."""
    try:
        if path is None:
            text = (
                resources.files("argus.core.predict")
                .joinpath("model", RANKER_FILE)
                .read_text("utf-8")
            )
        else:
            text = path.read_text(encoding="utf-8")
        data = json.loads(text)
        inputs = tuple(data["inputs"])
        weights = tuple(float(value) for value in data["weights"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ModelError(f"cannot read the function ranker: {error}") from error
    if inputs != INPUT_NAMES or len(weights) != len(INPUT_NAMES):
        raise ModelError("the function ranker file does not match this Argus; retrain it")
    return Ranker(weights=weights)


_SHIPPED: list[Ranker] = []


def shipped_ranker() -> Ranker:
    """The shipped ranker, loaded once per process."""
    if not _SHIPPED:
        _SHIPPED.append(load_ranker())
    return _SHIPPED[0]


# Functions in files that are not code (documentation, configuration, data) never appear in
# the corpus (SZZ blames code files only), so the "other_file" weight could not be learned; such
# functions take the test files' weight, the other kind of file a fix rarely repairs.
_NOT_CODE = INPUT_NAMES.index("other_file")
_TEST = INPUT_NAMES.index("test_file")


def localisation_shares(ranker: Ranker, functions: Sequence[CandidateFunction]) -> list[float]:
    """P(a later fix changes this function | the change needs a fix), for every function the
    change touched: each function's ranking probability, normalised over the change so that
    the shares add up to 1 (a single function takes the whole change). Monotone in
    :func:`rank_scores`, so ordering by share is ordering by the ranker."""
    if not functions:
        return []
    weights = list(ranker.weights)
    if weights[_NOT_CODE] == 0.0:
        weights[_NOT_CODE] = weights[_TEST]
    scores = [
        sum(w * x for w, x in zip(weights, row, strict=True)) for row in ranking_inputs(functions)
    ]
    probabilities = [_sigmoid(score) for score in scores]
    total = sum(probabilities)
    if total <= 0.0:
        return [1.0 / len(functions)] * len(functions)
    return [p / total for p in probabilities]


def ranking_reasons(
    ranker: Ranker, functions: Sequence[CandidateFunction]
) -> list[list[tuple[str, float]]]:
    """Per function, ``(input name, contribution)`` of each input relative to the change's
    mean: what sets this function apart from the others the change touched, strongest first.
    A change of one function has nothing to set apart."""
    rows = ranking_inputs(functions)
    if len(rows) < 2:
        return [[] for _ in rows]
    means = [sum(column) / len(rows) for column in zip(*rows, strict=True)]
    reasons = []
    for row in rows:
        contributions = [
            (name, w * (x - mean))
            for name, w, x, mean in zip(INPUT_NAMES, ranker.weights, row, means, strict=True)
            if name != "bias"
        ]
        reasons.append(sorted(contributions, key=lambda item: -item[1]))
    return reasons


def _sigmoid(value: float) -> float:
    if value >= 0:
        return 1.0 / (1.0 + math.exp(-value))
    exponential = math.exp(value)
    return exponential / (1.0 + exponential)
