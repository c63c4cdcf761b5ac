"""Train the shipped risk model on the public JIT data and write it as JSON.

    .venv/bin/python scripts/train_model.py --data-dir ../shared/data/jit \
        --out core/predict/model/jit-v1.json

Deterministic: two runs on the same data write identical files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.errors import ArgusError  # noqa: E402
from core.predict.jit_data import PROJECTS, load_project, resolve_data_dir  # noqa: E402
from core.predict.jit_training import dumps, train  # noqa: E402
from core.predict.model import model_from_dict  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data-dir", help="JIT data folder (default: $ARGUS_JIT_DATA or ../shared/data/jit)"
    )
    parser.add_argument(
        "--out", type=Path, default=ROOT / "core" / "predict" / "model" / "jit-v1.json"
    )
    parser.add_argument(
        "--projects", default=",".join(PROJECTS), help="comma-separated data sets to train on"
    )
    args = parser.parse_args(argv)
    try:
        data_dir = resolve_data_dir(args.data_dir, ROOT)
        changes = [
            change
            for name in args.projects.split(",")
            for change in load_project(data_dir, name.strip())
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
        f"{summary['rows']} changes, positive rate {summary['positive_rate']:.3f}, "
        f"recipe {summary['recipe_hash'][:12]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
