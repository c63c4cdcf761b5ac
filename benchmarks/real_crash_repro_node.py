"""Real Node.js crash benchmark: how often the free tier turns a real project's production
error into a test that fails at the buggy commit with that error and passes at the fix.

Each crash of ``benchmarks/real_crashes_node/<id>/`` (``recipe.json``: repository, buggy and
fixed commits, the project's failing test; ``event.json``: the event the real ``@sentry/node``
sent with ``includeLocalVariables`` while that test ran at the buggy commit, made by
``benchmarks/real_crashes_node/build.py``) is replayed:

1. the repository is cloned from its local mirror into the cache (``$ARGUS_CRASH_CACHE``,
   default ``~/.cache/argus-real-crashes``), with the npm packages its tests need linked as
   ``node_modules`` (nothing of the projects is kept in this repository);
2. ``reproduce_node_crash`` reads the event against the buggy commit (the project's own failing
   test is not there: it came with the fix);
3. each candidate, best first, goes through the validation sandbox (bubblewrap, no network)
   with Node: it must fail at the buggy commit with the event's exception type and pass at the
   fix (``--runs`` times); the first that survives counts.

    nice -n 10 .venv/bin/python benchmarks/real_crash_repro_node.py [--runs 1] [--only ID]

The last line printed is ``real_crash_repro_node: N/M real Node crashes reproduced (P%) by
the free tier (baseline 0/M: no Node free tier before)``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "real_crashes_node"))

from build import checkout, link_dependencies, switch  # noqa: E402
from crash_bench_common import Outcome, run_corpus, try_candidates  # noqa: E402

from argus.core.errors import ArgusError  # noqa: E402
from argus.core.patterns.formats import parse_error  # noqa: E402
from argus.core.testgen.node_crash import NotReproducible, reproduce_node_crash  # noqa: E402
from argus.core.testgen.validation import validate  # noqa: E402

CRASHES = Path(__file__).resolve().parent / "real_crashes_node"


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
    repo = checkout(recipe["repo"], "bench")
    buggy, fixed = recipe["buggy"], recipe["fixed"]
    switch(repo, buggy)
    link_dependencies(repo, recipe.get("npm", []))
    try:
        candidates = reproduce_node_crash(event, repo, ref=buggy)
    except NotReproducible as refusal:
        outcome.detail = f"no candidate: {refusal}"
        outcome.seconds = time.monotonic() - started
        return outcome
    try_candidates(
        outcome,
        candidates,
        lambda candidate: validate(candidate, repo, head=fixed, before=buggy, runs=runs),
    )
    outcome.seconds = time.monotonic() - started
    return outcome


def figure(reproduced: int, total: int, share: float) -> str:
    """The last line: the figure next to its baseline."""
    return (
        f"real_crash_repro_node: {reproduced}/{total} real Node crashes reproduced "
        f"({share:.0f}%) by the free tier (baseline 0/{total}: no Node free tier before)"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print one line per crash, a per-project table and the figure."""
    return run_corpus(argv, __doc__.split("\n", 1)[0], CRASHES, run_crash, figure)


if __name__ == "__main__":
    raise SystemExit(main())
