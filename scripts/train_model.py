"""Train the shipped risk model on the corpus of mined real histories and write it as JSON.

    .venv/bin/python scripts/train_model.py --corpus benchmarks/history_corpus \
        --out argus/core/predict/model/risk-v2.json

Deterministic: two runs on the same corpus write identical files. The corpus is rebuilt by
scripts/mine_history.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODEL_DIR = ROOT / "argus" / "core" / "predict" / "model"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from argus.core.errors import ArgusError  # noqa: E402
from argus.core.predict.history_corpus import load_corpus  # noqa: E402
from argus.core.predict.jit_training import dumps, train  # noqa: E402
from argus.core.predict.localisation import (  # noqa: E402
    RANKER_FILE,
    CandidateFunction,
    fit_ranker,
    ranker_document,
)
from argus.core.predict.model import DEFAULT_MODEL_FILE, model_from_dict  # noqa: E402


def _function_changes(corpus: Path) -> list[list[CandidateFunction]]:
    """Every bug-introducing commit of the corpus with at least two functions, one a target."""
    import csv
    import gzip

    changes: list[list[CandidateFunction]] = []
    for path in sorted(corpus.glob("*.functions.csv.gz")):
        by_commit: dict[str, list[CandidateFunction]] = {}
        with gzip.open(path, "rt", encoding="utf-8", newline="") as stream:
            for row in csv.DictReader(stream):
                by_commit.setdefault(row["sha"], []).append(CandidateFunction.from_row(row))
        changes.extend(
            functions
            for functions in by_commit.values()
            if len(functions) >= 2 and any(f.target for f in functions)
        )
    return changes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", type=Path, default=ROOT / "benchmarks" / "history_corpus",
        help="folder written by scripts/mine_history.py",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=MODEL_DIR / DEFAULT_MODEL_FILE)
    parser.add_argument("--projects", help="comma-separated corpus projects (default: all)")
    parser.add_argument(
        "--ranker-out", type=Path, default=MODEL_DIR / RANKER_FILE,
        help="where to write the function ranker (benchmarks/localisation.py measures it)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    try:
        names = [name.strip() for name in args.projects.split(",")] if args.projects else None
        changes = [
            change for project in load_corpus(args.corpus, names) for change in project.changes
        ]
        document = train(changes)
        model_from_dict(document, "freshly trained model")  # refuse to write what cannot load
    except ArgusError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = dumps(document)
    args.out.write_text(text, encoding="utf-8")
    functions = _function_changes(args.corpus)
    if functions:
        ranker = ranker_document(fit_ranker(functions), len(functions))
        args.ranker_out.write_text(json.dumps(ranker, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.ranker_out} from {len(functions)} bug-introducing commits")
    summary = document["training"]
    print(
        f"wrote {args.out} ({len(text) / 1024:.0f} KiB, {len(document['trees'])} trees) from "
        f"{summary['rows']} changes of {len(summary['projects'])} projects, positive rate "
        f"{summary['positive_rate']:.3f}, recipe {summary['recipe_hash'][:12]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
