"""Train the shipped risk model on the corpus of mined real histories and write it as JSON.

    .venv/bin/python scripts/train_model.py --corpus benchmarks/history_corpus \
        --out core/predict/model/risk-v2.json

Deterministic: two runs on the same corpus write identical files. The corpus is rebuilt by
scripts/mine_history.py.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.errors import ArgusError  # noqa: E402
from core.predict.history_corpus import load_corpus  # noqa: E402
from core.predict.jit_training import dumps, train  # noqa: E402
from core.predict.model import DEFAULT_MODEL_FILE, model_from_dict  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--corpus", type=Path, default=ROOT / "benchmarks" / "history_corpus",
        help="folder written by scripts/mine_history.py",
    )  # fmt: skip
    parser.add_argument(
        "--out", type=Path, default=ROOT / "core" / "predict" / "model" / DEFAULT_MODEL_FILE
    )
    parser.add_argument("--projects", help="comma-separated corpus projects (default: all)")
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
    summary = document["training"]
    print(
        f"wrote {args.out} ({len(text) / 1024:.0f} KiB, {len(document['trees'])} trees) from "
        f"{summary['rows']} changes of {len(summary['projects'])} projects, positive rate "
        f"{summary['positive_rate']:.3f}, recipe {summary['recipe_hash'][:12]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
