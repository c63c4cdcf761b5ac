"""Which changed function will a later fix change? Top-1, Top-3 and MRR against "most lines".

    nice -n 10 .venv/bin/python benchmarks/localisation.py [--corpus DIR]

Data: the ``<name>.functions.csv.gz`` files of the corpus (scripts/mine_history.py): for every
bug-introducing commit, one row per function it changed, with what history knew just before
it, and ``target`` = a fix that SZZ traced to the commit changed that same function. Commits
with fewer than two changed functions are left out (nothing to rank).

Leave-one-project-out: a ranking model (:mod:`argus.core.predict.localisation`, logistic regression
on the function's share of the change, its file kind and its own and its file's fix history) is
fitted on every other project's commits and ranks the held-out project's functions the way the
review ranks them: each function's risk is P(change needs a fix) x
:func:`~argus.core.predict.localisation.localisation_shares` (argus/core/predict/review.py,
_score_symbols), and the review lists functions by that risk, highest first. The change's
probability is the same for all its functions, so the order is the order of the shares; the
benchmark computes it with the review's own functions. (Functions with production errors or rule
findings are raised above that order in a review; the corpus has neither.) Baseline:
most changed lines first; printed for information, "code lines": most changed lines first among
functions in code files, test and docs functions last (SZZ blames only code files, so part of
the model's lead is knowing which files are code). Ties are broken pessimistically (a target
ranks last among equals). The last line is the headline against the baseline.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from argus.core.predict.localisation import (  # noqa: E402
    CandidateFunction,
    Ranker,
    fit_ranker,
    localisation_shares,
    rank_scores,
)

# Any P(change needs a fix): the same for every function of a change, so it sets no order.
CHANGE_PROBABILITY = 0.5


def review_order_risks(ranker: Ranker, functions: list[CandidateFunction]) -> list[float]:
    """Each function's risk as the review computes it (before errors and findings)."""
    return [CHANGE_PROBABILITY * share for share in localisation_shares(ranker, functions)]


def load(corpus: Path) -> dict[str, dict[str, list[CandidateFunction]]]:
    """Project -> commit -> its candidate functions (commits with at least two)."""
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    projects: dict[str, dict[str, list[CandidateFunction]]] = {}
    for name in sorted(manifest):
        path = corpus / f"{name}.functions.csv.gz"
        if not path.exists():
            continue
        commits: dict[str, list[CandidateFunction]] = defaultdict(list)
        with gzip.open(path, "rt", encoding="utf-8", newline="") as stream:
            for row in csv.DictReader(stream):
                commits[row["sha"]].append(CandidateFunction.from_row(row))
        projects[name] = {
            sha: functions
            for sha, functions in commits.items()
            if len(functions) >= 2 and any(f.target for f in functions)
        }
    return projects


def rank_of_first_target(scores: list[float], targets: list[bool]) -> int:
    """1-based rank of the best-placed target, ties broken against the target."""
    best = len(scores)
    for index, target in enumerate(targets):
        if not target:
            continue
        above = sum(1 for j, score in enumerate(scores) if score > scores[index])
        ties = sum(1 for j, score in enumerate(scores) if score == scores[index] and not targets[j])
        best = min(best, above + ties + 1)
    return best


def summarise(ranks: list[int]) -> tuple[float, float, float]:
    """(Top-1, Top-3, MRR) of first-target ranks."""
    count = max(len(ranks), 1)
    return (
        sum(rank == 1 for rank in ranks) / count,
        sum(rank <= 3 for rank in ranks) / count,
        sum(1.0 / rank for rank in ranks) / count,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / "benchmarks" / "history_corpus")
    args = parser.parse_args(argv)
    projects = load(args.corpus)
    print(
        f"{'project':14} {'commits':>7} | model Top-1 Top-3   MRR | lines Top-1 Top-3   MRR"
        " | code lines Top-1"
    )
    all_model: list[int] = []
    all_lines: list[int] = []
    all_code: list[int] = []
    raw_ranks: list[int] = []
    for held, commits in projects.items():
        if not commits:
            continue
        training = [c for name, other in projects.items() if name != held for c in other.values()]
        ranker = fit_ranker(training)
        model_ranks, line_ranks, code_ranks = [], [], []
        for functions in commits.values():
            targets = [f.target for f in functions]
            risks = review_order_risks(ranker, functions)
            model_ranks.append(rank_of_first_target(risks, targets))
            raw_ranks.append(rank_of_first_target(rank_scores(ranker, functions), targets))
            line_ranks.append(rank_of_first_target([float(f.lines) for f in functions], targets))
            code_first = [f.lines + (1e9 if f.kind == "code" else 0.0) for f in functions]
            code_ranks.append(rank_of_first_target(code_first, targets))
        all_model += model_ranks
        all_lines += line_ranks
        all_code += code_ranks
        m, b, c = summarise(model_ranks), summarise(line_ranks), summarise(code_ranks)
        print(
            f"{held:14} {len(commits):>7} |       {m[0]:.3f} {m[1]:.3f} {m[2]:.3f} |"
            f"       {b[0]:.3f} {b[1]:.3f} {b[2]:.3f} |            {c[0]:.3f}",
            flush=True,
        )
    m, b, c = summarise(all_model), summarise(all_lines), summarise(all_code)
    r = summarise(raw_ranks)
    print(f"code lines first (information): Top-1 {c[0]:.3f} Top-3 {c[1]:.3f} MRR {c[2]:.3f}")
    print(f"ranker scores alone (information): Top-1 {r[0]:.3f} Top-3 {r[1]:.3f} MRR {r[2]:.3f}")
    print(
        f"all {len(all_model)} commits: review order Top-1 {m[0]:.3f} Top-3 {m[1]:.3f} "
        f"MRR {m[2]:.3f}; "
        f"most-lines-first Top-1 {b[0]:.3f} Top-3 {b[1]:.3f} MRR {b[2]:.3f}; "
        f"Top-1 lead {100 * (m[0] - b[0]):+.1f} points"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
