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

import argparse
import json
import sys
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent / "real_crashes_node"))

from build import checkout, link_dependencies, switch  # noqa: E402

from core.errors import ArgusError  # noqa: E402
from core.patterns.formats import parse_error  # noqa: E402
from core.testgen.node_crash import NotReproducible, reproduce_node_crash  # noqa: E402
from core.testgen.validation import validate  # noqa: E402

CRASHES = Path(__file__).resolve().parent / "real_crashes_node"


@dataclass
class Outcome:
    """What happened to one real crash."""

    id: str
    project: str
    exception: str
    reproduced: bool = False
    candidates: int = 0
    detail: str = ""
    seconds: float = 0.0


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
    outcome.candidates = len(candidates)
    reasons: list[str] = []
    for candidate in candidates:
        result = validate(candidate, repo, head=fixed, before=buggy, runs=runs)
        if result.accepted:
            outcome.reproduced = True
            outcome.detail = f"validated {candidate.targets[0]} ({candidate.path})"
            break
        reasons.append(f"{candidate.targets[0]}: {result.rejection} {result.detail[:200]}")
    if not outcome.reproduced:
        outcome.detail = "rejected: " + " | ".join(reasons)
    outcome.seconds = time.monotonic() - started
    return outcome


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print one line per crash, a per-project table and the figure."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=1, help="runs at the fix (flakiness check)")
    parser.add_argument("--only", action="append", default=[], help="crash id (folder name)")
    parser.add_argument("--project", action="append", default=[], help="only these projects")
    parser.add_argument("--json", type=Path, help="also write the outcomes as JSON here")
    options = parser.parse_args(argv)
    folders = sorted(path.parent for path in CRASHES.glob("*/recipe.json"))
    if options.only:
        folders = [folder for folder in folders if folder.name in options.only]
    if options.project:
        folders = [f for f in folders if f.name.rsplit("-", 1)[0] in options.project]
    outcomes: list[Outcome] = []
    for folder in folders:
        outcome = run_crash(folder, options.runs)
        outcomes.append(outcome)
        mark = "reproduced" if outcome.reproduced else "NOT reproduced"
        print(f"{outcome.id:28} {outcome.exception:16} {mark:15} {outcome.seconds:5.1f}s")
        print(f"    {outcome.detail[:400]}", flush=True)
    by_project: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_project[outcome.project].append(outcome)
    print()
    print(f"{'project':20} {'crashes':>8} {'reproduced':>10} {'share':>7}")
    for project in sorted(by_project):
        group = by_project[project]
        done = sum(outcome.reproduced for outcome in group)
        print(f"{project:20} {len(group):8d} {done:10d} {100 * done / len(group):6.0f}%")
    if options.json:
        options.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=1) + "\n")
    total = len(outcomes)
    reproduced = sum(outcome.reproduced for outcome in outcomes)
    share = 100 * reproduced / total if total else 0.0
    print(
        f"real_crash_repro_node: {reproduced}/{total} real Node crashes reproduced "
        f"({share:.0f}%) by the free tier (baseline 0/{total}: no Node free tier before)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
