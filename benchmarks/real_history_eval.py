"""Leave-one-project-out evaluation of the risk recipe on real histories, against two baselines.

    nice -n 10 .venv/bin/python benchmarks/real_history_eval.py [--corpus DIR] [--projects a,b]

For each corpus project P (mined by scripts/mine_history.py), in history order: the newest 30%
of P's label-mature commits are the test commits. On exactly those commits, three approaches:

- **argus**: the shipped recipe (argus/core/predict/jit_training.py) trained on every *other*
  project (never on P) and scored through the pure-Python runtime, as a review would score them;
- **size**: lines added + deleted (bigger is riskier);
- **own-LR**: a logistic regression on the 14 Kamei features (log1p, standardised), fitted on
  P's own older 70% with today's labels.

AUC; Popt and Recall@20%Effort (effort = lines added + deleted; definitions in docs/model.md):
the models rank by probability / effort, size by smallest change first (the effort-aware size
baseline). The ``code`` column is the AUC of lines added + deleted in code files only, printed
to show how much of Argus's lead comes from knowing which files are code. The last line is the
headline: mean AUC over the Python projects and how many projects beat both baselines.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT, ROOT / "benchmarks"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

import numpy as np  # noqa: E402
from jit_eval import effort_curve, popt, recall_at_effort  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from argus.core.predict.history_corpus import CorpusProject, load_corpus  # noqa: E402
from argus.core.predict.jit_data import LabelledChange  # noqa: E402
from argus.core.predict.jit_training import train  # noqa: E402
from argus.core.predict.model import FEATURE_NAMES, model_from_dict  # noqa: E402

TEST_FRACTION = 0.3
MIN_TEST_BUGS = 10


def _effort(change: LabelledChange) -> float:
    return change.features["la"] + change.features["ld"]


def effort_metrics(
    scores: list[float], efforts: list[float], labels: list[bool], *, density: bool = True
) -> tuple[float, float]:
    """(Popt, Recall@20%Effort) of a ranking by score / effort (or by the score itself)."""
    ranked = [s / max(e, 1.0) for s, e in zip(scores, efforts, strict=True)] if density else scores
    xs, ys = effort_curve(ranked, efforts, labels)
    return popt(ranked, efforts, labels), recall_at_effort(xs, ys)


def own_history_lr(
    train_rows: list[LabelledChange], test_rows: list[LabelledChange]
) -> list[float]:
    """Probabilities of a logistic regression on the 14 features, fitted on ``train_rows``."""

    def matrix(rows: list[LabelledChange]) -> np.ndarray:
        return np.array(
            [[math.log1p(max(row.features[n], 0.0)) for n in FEATURE_NAMES] for row in rows]
        )

    labels = [row.buggy for row in train_rows]
    if len(set(labels)) < 2:
        return [0.5] * len(test_rows)
    scaler = StandardScaler().fit(matrix(train_rows))
    learner = LogisticRegression(max_iter=2000).fit(scaler.transform(matrix(train_rows)), labels)
    return learner.predict_proba(scaler.transform(matrix(test_rows)))[:, 1].tolist()


def evaluate_project(held: CorpusProject, others: list[CorpusProject]) -> dict[str, object] | None:
    """The table row of one held-out project, or None when its test slice has too few bugs."""
    rows = held.changes
    cut = int(len(rows) * (1.0 - TEST_FRACTION))
    test = rows[cut:]
    labels = [row.buggy for row in test]
    if sum(labels) < MIN_TEST_BUGS or sum(labels) == len(labels):
        return None
    pool = [change for project in others for change in project.changes]
    model = model_from_dict(train(pool), f"recipe without {held.name}")
    efforts = [_effort(row) for row in test]
    argus = [model.predict(row.features) for row in test]
    own = own_history_lr(rows[:cut], test)
    size_auc = float(roc_auc_score(labels, efforts))
    code = [row.features["la_code"] + row.features["ld_code"] for row in test]
    size_popt, size_recall = effort_metrics(
        [1.0 / max(e, 1.0) for e in efforts], efforts, labels, density=False
    )
    return {
        "project": held.name,
        "language": held.language,
        "test": len(test),
        "bugs": sum(labels),
        "argus": (float(roc_auc_score(labels, argus)), *effort_metrics(argus, efforts, labels)),
        "size": (size_auc, size_popt, size_recall),
        "own": (float(roc_auc_score(labels, own)), *effort_metrics(own, efforts, labels)),
        "code": float(roc_auc_score(labels, code)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "benchmarks" / "history_corpus")
    parser.add_argument("--projects", help="comma-separated projects to hold out (default: all)")
    args = parser.parse_args(argv)
    projects = load_corpus(args.corpus)
    held_names = args.projects.split(",") if args.projects else [p.name for p in projects]
    print(
        f"{'project':14} {'lang':6} {'test':>5} {'bugs':>4} | {'AUC':>5} {'Popt':>5} {'R20E':>5}"
        f" argus | {'AUC':>5} {'Popt':>5} {'R20E':>5} size | {'AUC':>5} {'Popt':>5} {'R20E':>5}"
        f" own-LR | code"
    )
    results = []
    for held in projects:
        if held.name not in held_names:
            continue
        row = evaluate_project(held, [p for p in projects if p.name != held.name])
        if row is None:
            print(f"{held.name:14} skipped: fewer than {MIN_TEST_BUGS} buggy test commits")
            continue
        results.append(row)
        a, s, o = row["argus"], row["size"], row["own"]
        print(
            f"{held.name:14} {held.language[:6]:6} {row['test']:>5} {row['bugs']:>4} | "
            f"{a[0]:.3f} {a[1]:.3f} {a[2]:.3f}       | {s[0]:.3f} {s[1]:.3f} {s[2]:.3f}      | "  # type: ignore[index]
            f"{o[0]:.3f} {o[1]:.3f} {o[2]:.3f}        | {row['code']:.3f}",  # type: ignore[index]
            flush=True,
        )
    if not results:
        print("no project could be evaluated")
        return 1
    python = [r for r in results if r["language"] == "python"]

    def mean(rows: list[dict[str, object]], key: str, position: int) -> float:
        return sum(r[key][position] for r in rows) / len(rows)  # type: ignore[index]

    beats = [
        r
        for r in results
        if r["argus"][0] > max(r["size"][0], r["own"][0])  # type: ignore[index]
    ]
    far_below = [
        r["project"]
        for r in results
        if r["argus"][0] < r["size"][0] - 0.01  # type: ignore[index]
    ]
    for label, rows in (("all", results), ("python", python)):
        if rows:
            print(
                f"mean over {len(rows)} {label} projects: AUC argus {mean(rows, 'argus', 0):.3f} "
                f"size {mean(rows, 'size', 0):.3f} own-LR {mean(rows, 'own', 0):.3f}; "
                f"Popt argus {mean(rows, 'argus', 1):.3f} size {mean(rows, 'size', 1):.3f} "
                f"own-LR {mean(rows, 'own', 1):.3f}; R@20%E argus {mean(rows, 'argus', 2):.3f} "
                f"size {mean(rows, 'size', 2):.3f} own-LR {mean(rows, 'own', 2):.3f}"
            )
    print(f"more than 0.01 AUC below size-only: {', '.join(far_below) or 'none'}")
    print(
        f"mean AUC {mean(python, 'argus', 0):.3f} over {len(python)} Python projects "
        f"(size-only {mean(python, 'size', 0):.3f}, own-history LR {mean(python, 'own', 0):.3f}); "
        f"argus above both baselines on {len(beats)}/{len(results)} projects"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
