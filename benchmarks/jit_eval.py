"""Time-split evaluation of the JIT risk recipe against LApredict and size-only ranking.

    .venv/bin/python benchmarks/jit_eval.py [--data-dir DIR] [--with-other-projects]

For each project: sort by date, train on the oldest 80%, test on the newest 20%. The shipped
recipe is retrained on each training split and scored through the pure-Python runtime (the
shipped file itself is never scored on data it was trained on). Metric definitions: docs/model.md.
The last line printed is the headline figure.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from argus.core.predict.jit_data import (  # noqa: E402
    APACHE_JIT,
    PROJECTS,
    LabelledChange,
    load_project,
    resolve_data_dir,
    time_split,
)
from argus.core.predict.jit_training import JIT_V1_RECIPE, train  # noqa: E402
from argus.core.predict.model import model_from_dict  # noqa: E402


def effort_of(change: LabelledChange) -> float:
    return change.features["la"] + change.features["ld"]


def effort_curve(
    density: Sequence[float], efforts: Sequence[float], labels: Sequence[bool]
) -> tuple[list[float], list[float]]:
    """Cumulative share of effort and of buggy changes, inspecting highest density first.

    Ties are broken pessimistically: among equal densities, the larger change comes first.
    """
    order = sorted(range(len(labels)), key=lambda i: (-density[i], -efforts[i], i))
    total_effort = sum(efforts) or 1.0
    total_bugs = sum(labels) or 1
    xs, ys = [0.0], [0.0]
    spent = found = 0.0
    for i in order:
        spent += efforts[i]
        found += 1 if labels[i] else 0
        xs.append(spent / total_effort)
        ys.append(found / total_bugs)
    return xs, ys


def recall_at_effort(xs: Sequence[float], ys: Sequence[float], budget: float = 0.2) -> float:
    """Share of buggy changes among those inspected before the effort budget is exceeded."""
    best = 0.0
    for x, y in zip(xs, ys, strict=True):
        if x > budget:
            break
        best = y
    return best


def effort_at_recall(xs: Sequence[float], ys: Sequence[float], target: float = 0.2) -> float:
    """Share of effort spent when the share of buggy changes found first reaches ``target``."""
    for x, y in zip(xs, ys, strict=True):
        if y >= target:
            return x
    return 1.0


def area(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Trapezoidal area under the curve through the points (xs, ys)."""
    return sum((xs[i] - xs[i - 1]) * (ys[i] + ys[i - 1]) / 2 for i in range(1, len(xs)))


def popt(density: Sequence[float], efforts: Sequence[float], labels: Sequence[bool]) -> float:
    """1 - (optimal - model) / (optimal - worst) areas under the effort-recall curve."""
    model = area(*effort_curve(density, efforts, labels))
    buggy = [1.0 if label else 0.0 for label in labels]
    optimal_density = [b * 1e12 - e for b, e in zip(buggy, efforts, strict=True)]
    worst_density = [-b * 1e12 + e for b, e in zip(buggy, efforts, strict=True)]
    optimal = area(*effort_curve(optimal_density, efforts, labels))
    worst = area(*effort_curve(worst_density, efforts, labels))
    return 1.0 - (optimal - model) / (optimal - worst) if optimal > worst else 0.0


def f1_score(scores: Sequence[float], labels: Sequence[bool], threshold: float) -> float:
    predicted = [score >= threshold for score in scores]
    hits = sum(p and y for p, y in zip(predicted, labels, strict=True))
    denominator = sum(predicted) + sum(labels)
    return 2 * hits / denominator if denominator else 0.0


def best_threshold(scores: Sequence[float], labels: Sequence[bool]) -> float:
    candidates = sorted(set(np.quantile(scores, np.linspace(0.01, 0.99, 99)).tolist()))
    return max(candidates, key=lambda t: f1_score(scores, labels, t))


def evaluate(
    name: str, scores: Sequence[float], test: Sequence[LabelledChange], threshold: float | None
) -> dict[str, float | str]:
    labels = [change.buggy for change in test]
    efforts = [effort_of(change) for change in test]
    density = [s / max(e, 1.0) for s, e in zip(scores, efforts, strict=True)]
    xs, ys = effort_curve(density, efforts, labels)
    return {
        "approach": name,
        "auc": float(roc_auc_score(labels, scores)),
        "f1": f1_score(scores, labels, threshold) if threshold is not None else float("nan"),
        "recall20": recall_at_effort(xs, ys),
        "effort20": effort_at_recall(xs, ys),
        "popt": popt(density, efforts, labels),
    }


def run_project(
    name: str, changes: list[LabelledChange], extra: list[LabelledChange]
) -> list[dict[str, float | str]]:
    train_rows, test_rows = time_split(changes)
    start = test_rows[0].date
    # Other projects' rows help only if they predate the whole test period.
    pool = train_rows + [change for change in extra if change.date < start]
    model = model_from_dict(train(pool, JIT_V1_RECIPE, "jit-v1"), f"{name} training split")
    recipe_scores = [model.predict(change.features) for change in test_rows]

    la_train = np.array([[change.features["la"]] for change in train_rows])
    la_labels = np.array([change.buggy for change in train_rows])
    lapredict = LogisticRegression(max_iter=1000).fit(la_train, la_labels)
    la_threshold = best_threshold(lapredict.predict_proba(la_train)[:, 1].tolist(), la_labels)
    la_test = np.array([[change.features["la"]] for change in test_rows])
    la_scores = lapredict.predict_proba(la_test)[:, 1].tolist()

    # Size-only ranks by 1/(LA+LD) directly, so its "density" is that score over effort again;
    # use the raw score as density instead (the ranking the literature calls size-only).
    size_scores = [1.0 / max(effort_of(change), 1.0) for change in test_rows]
    rows = [
        evaluate("recipe", recipe_scores, test_rows, model.decision_threshold),
        evaluate("LApredict", la_scores, test_rows, la_threshold),
    ]
    size = evaluate("size-only", size_scores, test_rows, None)
    labels = [change.buggy for change in test_rows]
    efforts = [effort_of(change) for change in test_rows]
    xs, ys = effort_curve(size_scores, efforts, labels)
    size.update(
        recall20=recall_at_effort(xs, ys),
        effort20=effort_at_recall(xs, ys),
        popt=popt(size_scores, efforts, labels),
    )
    rows.append(size)
    for row in rows:
        row["project"] = name
        row["train"] = len(pool)
        row["test"] = len(test_rows)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="JIT time-split benchmark")
    parser.add_argument("--data-dir")
    parser.add_argument(
        "--with-other-projects",
        action="store_true",
        help="add other projects' rows dated before each test period to its training split",
    )
    args = parser.parse_args(argv)
    data_dir = resolve_data_dir(args.data_dir, ROOT)
    began = time.perf_counter()
    data = {name: load_project(data_dir, name) for name in (*PROJECTS, APACHE_JIT)}
    results: list[dict[str, float | str]] = []
    for name in (*PROJECTS, APACHE_JIT):
        extra = (
            [c for other in PROJECTS if other != name for c in data[other]]
            if args.with_other_projects and name != APACHE_JIT
            else []
        )
        results.extend(run_project(name, data[name], extra))

    header = (
        f"{'project':<10} {'approach':<10} {'train':>6} {'test':>5} {'AUC':>6} {'F1':>6} "
        f"{'R@20%E':>7} {'E@20%R':>7} {'Popt':>6}"
    )
    print(header)
    print("-" * len(header))
    for row in results:
        f1 = "     -" if row["f1"] != row["f1"] else f"{row['f1']:6.3f}"
        print(
            f"{row['project']:<10} {row['approach']:<10} {row['train']:>6} {row['test']:>5} "
            f"{row['auc']:6.3f} {f1} {row['recall20']:7.3f} {row['effort20']:7.3f} "
            f"{row['popt']:6.3f}"
        )
    print("(ApacheJIT is informative only: no lt column, its own time split.)")
    print("F1: recipe at the threshold maximising F1 on its calibration holdout (train side);")
    print("    LApredict at the threshold maximising F1 on its training split.")

    def pick(project: str, approach: str, key: str) -> float:
        for row in results:
            if row["project"] == project and row["approach"] == approach:
                return float(row[key])
        raise KeyError(project)

    recipe_auc = float(np.mean([pick(p, "recipe", "auc") for p in PROJECTS]))
    la_auc = float(np.mean([pick(p, "LApredict", "auc") for p in PROJECTS]))
    beats = [p for p in PROJECTS if pick(p, "recipe", "popt") > pick(p, "size-only", "popt")]
    print(f"Popt above size-only: {', '.join(beats) or 'none'}")
    print(f"elapsed {time.perf_counter() - began:.0f} s")
    print(
        f"mean AUC {recipe_auc:.3f} over {len(PROJECTS)} projects (LApredict {la_auc:.3f}); "
        f"Popt above size-only on {len(beats)}/{len(PROJECTS)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
