"""The issue's protocol on the output of ``argus predict history`` for any repository.

    argus predict history --repo REPO --out history.jsonl
    .venv/bin/python benchmarks/history_backtest.py history.jsonl

Test commits: the newest 30% of the label-mature commits (those older than 180 days before the
newest commit), in history order. On exactly those: the AUC of ``argus predict history``'s
``risk`` (shipped model plus the rolling refits' corrections, each commit scored by a model that
saw only earlier commits), of the shipped model alone, of size (lines added + deleted) and of a
logistic regression on the 14 Kamei features fitted on the older 70% with today's labels. The
last line is the headline.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from argus.core.predict.model import FEATURE_NAMES  # noqa: E402

IMMATURE_DAYS = 180


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("history", type=Path, help="JSON lines written by argus predict history")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in args.history.read_text(encoding="utf-8").splitlines()]
    newest = max(row["time"] for row in rows)
    rows = [row for row in rows if row["time"] <= newest - IMMATURE_DAYS * 86400]
    cut = int(len(rows) * 0.7)
    train, test = rows[:cut], rows[cut:]
    labels = [int(row["buggy"]) for row in test]
    if not 0 < sum(labels) < len(labels):
        print("the test commits hold only one class; nothing to measure")
        return 1

    def matrix(part: list[dict[str, float]]) -> np.ndarray:
        return np.array([[math.log1p(max(row[n], 0.0)) for n in FEATURE_NAMES] for row in part])

    scaler = StandardScaler().fit(matrix(train))
    own = LogisticRegression(max_iter=2000).fit(
        scaler.transform(matrix(train)), [int(row["buggy"]) for row in train]
    )
    figures = {
        "argus": roc_auc_score(labels, [row["risk"] for row in test]),
        "shipped": roc_auc_score(labels, [row["shipped_risk"] for row in test]),
        "size": roc_auc_score(labels, [row["la"] + row["ld"] for row in test]),
        "own-LR": roc_auc_score(labels, own.predict_proba(scaler.transform(matrix(test)))[:, 1]),
    }
    print(
        f"{len(test)} test commits, {sum(labels)} buggy: AUC argus predict history "
        f"{figures['argus']:.3f} (shipped model alone {figures['shipped']:.3f}), size-only "
        f"{figures['size']:.3f}, own-history LR {figures['own-LR']:.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
