"""How fast Argus mines a long real history into corpus rows (features + SZZ labels).

    .venv/bin/python benchmarks/mining_speed.py [--name celery] [--mirrors /work/.mirror]

The repository (default celery/celery, 12,173 non-merge commits) is cloned without a checkout
from its mirror (``fetch`` lays mirrors out as ``<owner>+<name>/repo``) into a temporary folder,
pinned at the commit the corpus manifest records, and mined by ``scripts/mine_history.py``'s
``mine`` into a fresh store: the commit-graph, the history read, SZZ over every fix and the
features of every row. Cloning is not timed; everything after it is.

Printed: wall and CPU seconds per stage (CPU counts git's processes too, so it shows the work
apart from the machine's load), the load average before and after, and whether the rows equal
the corpus file byte for byte (same commits, features and labels). The last line is the
headline next to the target (60 s for 10,000 commits) and the figure before this work (216 s
for celery).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for entry in (ROOT, ROOT / "scripts"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

import mine_history  # noqa: E402

from argus.core.store.sqlite import SQLiteStore  # noqa: E402

TARGET_SECONDS = 60.0
BEFORE = "216 s for celery (12,173 commits)"


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _load() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="celery", help="a corpus repository (default celery)")
    parser.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--corpus", type=Path, default=ROOT / "benchmarks" / "history_corpus")
    args = parser.parse_args(argv)
    manifest = json.loads((args.corpus / "manifest.json").read_text(encoding="utf-8"))
    recorded = manifest[args.name]
    known = {repository.name: repository for repository in mine_history.REPOSITORIES}
    repository = known[args.name]
    if mine_history._mirror(args.mirrors, repository.slug) is None:
        print(f"error: no mirror of {repository.slug} under {args.mirrors}", file=sys.stderr)
        return 2
    window = int(recorded.get("window", recorded.get("commits", mine_history.WINDOW)))
    with tempfile.TemporaryDirectory(prefix="argus-mining-") as scratch:
        clones = Path(scratch) / "clones"
        repo = mine_history.prepare_clone(repository, clones, args.mirrors, recorded["head"])
        store = SQLiteStore.open(Path(scratch) / "history.db")
        load_before = _load()
        cpu_before = _cpu()
        try:
            rows, _functions, figures = mine_history.mine(repo, store, window)
        finally:
            store.close()
        cpu = _cpu() - cpu_before
        load_after = _load()
        written = Path(scratch) / "rows.csv.gz"
        mine_history.write_rows(written, rows)
        corpus_file = args.corpus / f"{args.name}.csv.gz"
        same = gzip.decompress(written.read_bytes()) == gzip.decompress(corpus_file.read_bytes())
        git = subprocess.run(["git", "--version"], capture_output=True, text=True, check=False)
    seconds = figures["seconds"]
    commits = int(figures["commits"])  # type: ignore[call-overload]
    total = float(seconds["total"])  # type: ignore[index]
    print(f"{repository.slug} at {recorded['head'][:12]}: {commits} commits, {len(rows)} rows")
    print(
        f"wall seconds: read {seconds['read']}, SZZ {seconds['szz']}, "  # type: ignore[index]
        f"features {seconds['features']}; function rows afterwards "  # type: ignore[index]
        f"{seconds['functions']}"  # type: ignore[index]
    )
    cpu_stages = figures["cpu_seconds"]
    print(
        f"CPU seconds (Argus and its git processes): read {cpu_stages['read']}, "  # type: ignore[index]
        f"SZZ {cpu_stages['szz']}, features {cpu_stages['features']}, "  # type: ignore[index]
        f"total {cpu_stages['total']}; function rows {cpu_stages['functions']}; "  # type: ignore[index]
        f"whole run {cpu:.1f}"
    )
    print(
        f"load average (1/5/15 min) before {load_before}, after {load_after}; {git.stdout.strip()}"
    )
    print(f"rows equal to {corpus_file.relative_to(ROOT)}: {'yes' if same else 'NO'}")
    print(
        f"{args.name}: {commits} commits mined (features + SZZ labels) in {total:.1f} s, "
        f"{commits / max(total, 1e-9):.0f} commits/s, CPU {cpu_stages['total']} s "  # type: ignore[index]
        f"(target <= {TARGET_SECONDS:.0f} s for "
        f"10,000 commits; before {BEFORE}); load {load_before}"
    )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
