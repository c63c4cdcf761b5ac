"""Real-crash benchmark: how often the free tier turns a real project's production error into a
test that fails at the buggy commit with that error and passes at the fix.

Each crash of ``benchmarks/real_crashes/<id>/`` (``recipe.json``: repository, buggy and fixed
commits, the project's failing test; ``event.json``: the event the real ``sentry-sdk`` sent
while that test ran at the buggy commit, made by ``benchmarks/real_crashes/build.py``) is
replayed:

1. the repository is cloned from its local mirror into the cache (``$ARGUS_CRASH_CACHE``,
   default ``~/.cache/argus-real-crashes``) and a virtualenv with the packages its tests need
   is made there once (nothing of the projects is kept in this repository);
2. ``reproduce_crash`` reads the event against the buggy commit (the project's own failing
   test is not there: it came with the fix);
3. each candidate, best first, goes through the validation sandbox with the project's
   virtualenv: it must fail at the buggy commit with the event's exception type and pass at
   the fix (``--runs`` times); the first that survives counts.

    nice -n 10 .venv/bin/python benchmarks/real_crash_repro.py [--runs 1] [--only ID] [--json OUT]

The last line printed is ``real_crash_repro: N/M real crashes reproduced (P%) by the free
tier (baseline 4/15, 27%)``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "real_crashes"))

from build import CACHE, _run, mirror_of, venv  # noqa: E402
from crash_bench_common import Outcome, run_corpus, try_candidates  # noqa: E402

from argus.core.errors import ArgusError  # noqa: E402
from argus.core.patterns.formats import parse_error  # noqa: E402
from argus.core.testgen.crash import NotReproducible, reproduce_crash  # noqa: E402
from argus.core.testgen.validation import validate  # noqa: E402

CRASHES = Path(__file__).resolve().parent / "real_crashes"
BASELINE = "baseline 4/15, 27%"


def clone(repo: str) -> Path:
    """A clone of ``repo`` for the benchmark alone (the corpus builder switches its own)."""
    folder = CACHE / "bench" / repo.replace("/", "+")
    if not folder.exists():
        folder.parent.mkdir(parents=True, exist_ok=True)
        _run(["git", "clone", "-q", "--no-checkout", str(mirror_of(repo)), str(folder)])
    return folder


def run_crash(folder: Path, runs: int) -> Outcome:
    """Generate and validate for one recipe: did the free tier reproduce the crash?"""
    recipe = json.loads((folder / "recipe.json").read_text(encoding="utf-8"))
    started = time.monotonic()
    outcome = Outcome(recipe["id"], recipe["project"], recipe["exception"])
    try:
        event = parse_error((folder / "event.json").read_text(encoding="utf-8"))
    except ArgusError as refusal:
        outcome.detail = f"event refused: {refusal}"
        return outcome
    repo = clone(recipe["repo"])
    python = venv(recipe.get("pip", []))
    buggy, fixed = recipe["buggy"], recipe["fixed"]
    _run(["git", "checkout", "-q", "-f", buggy], cwd=repo)
    try:
        candidates = reproduce_crash(event, repo, ref=buggy)
    except NotReproducible as refusal:
        outcome.detail = f"no candidate: {refusal}"
        outcome.seconds = time.monotonic() - started
        return outcome
    try_candidates(
        outcome,
        candidates,
        lambda candidate: validate(
            candidate, repo, head=fixed, before=buggy, runs=runs, python=str(python)
        ),
    )
    outcome.seconds = time.monotonic() - started
    return outcome


def figure(reproduced: int, total: int, share: float) -> str:
    """The last line: the figure next to its baseline."""
    return (
        f"real_crash_repro: {reproduced}/{total} real crashes reproduced ({share:.0f}%) "
        f"by the free tier ({BASELINE})"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print one line per crash, a per-project table and the figure."""
    return run_corpus(argv, __doc__.split("\n", 1)[0], CRASHES, run_crash, figure, type_width=22)


if __name__ == "__main__":
    raise SystemExit(main())
