"""The training recipe of the risk model: labelled changes in, a model document out.

Needs the ``train`` extra (numpy, scikit-learn); nothing on the review path imports this
module. The recipe is deterministic: same changes, same document, byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Sequence
from statistics import median
from typing import Any

from argus.core.errors import ConfigError
from argus.core.predict.jit_data import LabelledChange
from argus.core.predict.model import (
    CONTEXT_FEATURE_NAMES,
    DERIVED_FEATURES,
    FEATURE_NAMES,
    FORMAT_NAME,
    FORMAT_VERSION,
    derive_features,
)

MODEL_VERSION = "risk-v2"

# Everything that shapes the model; its hash is recorded in the file.
RECIPE: dict[str, Any] = {
    "learner": "sklearn.HistGradientBoostingClassifier",
    "learner_parameters": {
        "max_iter": 200,
        "learning_rate": 0.05,
        "max_leaf_nodes": 8,
        "min_samples_leaf": 100,
        "l2_regularization": 5.0,
        "early_stopping": False,
        "random_state": 0,
    },
    "raw_features": list(FEATURE_NAMES + CONTEXT_FEATURE_NAMES),
    "derived_features": list(DERIVED_FEATURES),
    # Every project weighs the same in total, however long its history.
    "project_balance": True,
    # Defect patterns drift: a change this many days older than its project's newest counts
    # e^-1 (None: no recency weighting).
    "recency_scale_days": None,
    "calibration": "platt on the newest 20% of each project, fitted by a model without them",
    "holdout_fraction": 0.2,
    "imputation": "median of the training rows",
    "decision_threshold": "maximises F1 on the calibration holdout",
}

# The recipe of jit-v1, trained on the public 2013-era JIT data (kept for benchmarks/jit_eval.py).
JIT_V1_RECIPE: dict[str, Any] = {
    **RECIPE,
    "learner_parameters": {
        **RECIPE["learner_parameters"],
        "max_iter": 150,
        "min_samples_leaf": 200,
    },
    "raw_features": list(FEATURE_NAMES),
    "derived_features": [
        name for name in DERIVED_FEATURES if DERIVED_FEATURES[name][0] in FEATURE_NAMES
    ],
    "project_balance": False,
    "recency_scale_days": 365.0,
}


def recipe_hash(recipe: dict[str, Any] | None = None) -> str:
    """SHA-256 of the recipe settings (no dates, no data), to tell models apart."""
    canonical = json.dumps(recipe or RECIPE, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _imputation(changes: Sequence[LabelledChange], names: Sequence[str]) -> dict[str, float]:
    values: dict[str, float] = {}
    for name in names:
        present = [change.features[name] for change in changes if name in change.features]
        values[name] = float(median(present)) if present else 0.0
    return values


def _weights(changes: Sequence[LabelledChange], recipe: dict[str, Any]) -> list[float]:
    newest: dict[str, int] = defaultdict(int)
    sizes: dict[str, int] = defaultdict(int)
    for change in changes:
        newest[change.project] = max(newest[change.project], change.date)
        sizes[change.project] += 1
    scale = recipe["recency_scale_days"]
    weights = []
    for change in changes:
        weight = 1.0
        if scale:
            weight = math.exp(-(newest[change.project] - change.date) / (scale * 86400.0))
        if recipe["project_balance"]:
            weight *= len(changes) / (len(sizes) * sizes[change.project])
        weights.append(weight)
    return weights


def _split_holdout(
    changes: Sequence[LabelledChange], recipe: dict[str, Any]
) -> tuple[list[LabelledChange], list[LabelledChange]]:
    by_project: dict[str, list[LabelledChange]] = defaultdict(list)
    for change in changes:
        by_project[change.project].append(change)
    fit: list[LabelledChange] = []
    holdout: list[LabelledChange] = []
    for project in sorted(by_project):
        rows = sorted(by_project[project], key=lambda change: (change.date, change.commit))
        cut = int(len(rows) * (1.0 - recipe["holdout_fraction"]))
        fit.extend(rows[:cut])
        holdout.extend(rows[cut:])
    return fit, holdout


def _matrix(
    changes: Sequence[LabelledChange], imputation: dict[str, float], recipe: dict[str, Any]
) -> Any:
    import numpy as np

    names = recipe["derived_features"]
    raw_names = recipe["raw_features"]
    return np.array([derive_features(c.features, names, imputation, raw_names) for c in changes])


def _fit_trees(changes: Sequence[LabelledChange], matrix: Any, recipe: dict[str, Any]) -> Any:
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_limits

    labels = np.array([1 if c.buggy else 0 for c in changes])
    if len(set(labels.tolist())) < 2:
        raise ConfigError("training needs both buggy and clean changes")
    learner = HistGradientBoostingClassifier(**recipe["learner_parameters"])
    # One thread: parallel float sums could differ run to run and break byte-identical output.
    with threadpool_limits(limits=1):
        learner.fit(matrix, labels, sample_weight=np.array(_weights(changes, recipe)))
    return learner


def _export_tree(predictor: Any) -> dict[str, list[Any]]:
    nodes = predictor.nodes
    size = len(nodes)
    counts = [float(nodes["count"][i]) for i in range(size)]
    values = [0.0] * size
    # Nodes are stored parent before children, so a reverse pass fills internal means.
    for index in reversed(range(size)):
        if nodes["is_leaf"][index]:
            values[index] = float(nodes["value"][index])
        else:
            left, right = int(nodes["left"][index]), int(nodes["right"][index])
            total = counts[left] + counts[right]
            values[index] = (values[left] * counts[left] + values[right] * counts[right]) / total
    return {
        "feature": [
            -1 if nodes["is_leaf"][i] else int(nodes["feature_idx"][i]) for i in range(size)
        ],
        "threshold": [
            0.0 if nodes["is_leaf"][i] else float(nodes["num_threshold"][i]) for i in range(size)
        ],
        "left": [0 if nodes["is_leaf"][i] else int(nodes["left"][i]) for i in range(size)],
        "right": [0 if nodes["is_leaf"][i] else int(nodes["right"][i]) for i in range(size)],
        "value": values,
    }


def _document(
    learner: Any, imputation: dict[str, float], recipe: dict[str, Any], version: str
) -> dict[str, Any]:
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "model_version": version,
        "kind": "gradient-boosted trees, Platt-calibrated",
        "feature_names": list(recipe["raw_features"]),
        "derived_features": list(recipe["derived_features"]),
        "imputation": {"method": recipe["imputation"], "values": imputation},
        "baseline": float(learner._baseline_prediction.ravel()[0]),
        "trees": [_export_tree(iteration[0]) for iteration in learner._predictors],
        "calibration": {"method": "platt", "slope": 1.0, "intercept": 0.0},
        "decision_threshold": 0.5,
    }


def _best_f1_threshold(probabilities: Sequence[float], labels: Sequence[bool]) -> float:
    pairs = sorted(zip(probabilities, labels, strict=True), reverse=True)
    positives = sum(labels)
    best, best_threshold, found = -1.0, 0.5, 0
    for index, (probability, label) in enumerate(pairs, start=1):
        found += 1 if label else 0
        if index < len(pairs) and pairs[index][0] == probability:
            continue
        f1 = 2 * found / (index + positives) if positives else 0.0
        if f1 > best:
            best, best_threshold = f1, probability
    return round(best_threshold, 6)


def _summary(changes: Sequence[LabelledChange], recipe: dict[str, Any]) -> dict[str, Any]:
    projects: dict[str, dict[str, Any]] = {}
    for project in sorted({change.project for change in changes}):
        rows = [change for change in changes if change.project == project]
        projects[project] = {
            "rows": len(rows),
            "positive_rate": round(sum(change.buggy for change in rows) / len(rows), 4),
            "first_date": min(change.date for change in rows),
            "last_date": max(change.date for change in rows),
        }
    return {
        "rows": len(changes),
        "positive_rate": round(sum(change.buggy for change in changes) / len(changes), 4),
        "projects": projects,
        "recipe": recipe,
        "recipe_hash": recipe_hash(recipe),
    }


def train(
    changes: Sequence[LabelledChange],
    recipe: dict[str, Any] | None = None,
    version: str = MODEL_VERSION,
) -> dict[str, Any]:
    """Fit ``recipe`` (default :data:`RECIPE`) on ``changes``; return the model document."""
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    chosen = recipe or RECIPE
    if len(changes) < 20:
        raise ConfigError(f"training needs at least 20 changes, got {len(changes)}")
    ordered = sorted(changes, key=lambda change: (change.project, change.date, change.commit))
    imputation = _imputation(ordered, chosen["raw_features"])
    fit, holdout = _split_holdout(ordered, chosen)
    probe = _fit_trees(fit, _matrix(fit, imputation, chosen), chosen)
    # The probe's raw score is the exported trees' margin (same trees, same sums).
    with threadpool_limits(limits=1):
        raw = probe.decision_function(_matrix(holdout, imputation, chosen))
    margins = [[float(value)] for value in raw]
    labels = [change.buggy for change in holdout]
    if len(set(labels)) < 2:
        raise ConfigError("the calibration holdout needs both buggy and clean changes")
    platt = LogisticRegression(C=1e6, max_iter=1000).fit(margins, labels)
    slope, intercept = float(platt.coef_[0][0]), float(platt.intercept_[0])
    probe_calibrated = [
        1.0 / (1.0 + math.exp(-(slope * margin[0] + intercept))) for margin in margins
    ]
    final = _fit_trees(ordered, _matrix(ordered, imputation, chosen), chosen)
    document = _document(final, imputation, chosen, version)
    document["calibration"] = {"method": "platt", "slope": slope, "intercept": intercept}
    document["decision_threshold"] = _best_f1_threshold(probe_calibrated, labels)
    document["training"] = _summary(ordered, chosen)
    return document


def dumps(document: dict[str, Any]) -> str:
    """The canonical text of a model document (stable key order, one line per tree)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":")) + "\n"
