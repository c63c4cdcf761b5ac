"""What the real-crash benchmarks share: the outcome of one crash, trying its candidates in the
validation sandbox, and the command line that runs the corpus and prints the per-crash lines,
the per-project table and the figure (``real_crash_repro.py`` for Python,
``real_crash_repro_node.py`` for Node.js; each gives how to replay one recipe)."""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from argus.core.testgen.candidate import Candidate
from argus.core.testgen.validation import ValidationResult


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


def try_candidates(
    outcome: Outcome,
    candidates: Sequence[Candidate],
    validate_one: Callable[[Candidate], ValidationResult],
) -> None:
    """Validate ``candidates`` best first; the first accepted one reproduces the crash."""
    outcome.candidates = len(candidates)
    reasons: list[str] = []
    for candidate in candidates:
        result = validate_one(candidate)
        if result.accepted:
            outcome.reproduced = True
            outcome.detail = f"validated {candidate.targets[0]} ({candidate.path})"
            return
        reasons.append(f"{candidate.targets[0]}: {result.rejection} {result.detail[:200]}")
    outcome.detail = "rejected: " + " | ".join(reasons)


def run_corpus(
    argv: list[str] | None,
    description: str,
    crashes: Path,
    run_crash: Callable[[Path, int], Outcome],
    figure: Callable[[int, int, float], str],
    type_width: int = 16,
) -> int:
    """Parse the benchmark's options, replay each recipe of ``crashes`` with ``run_crash``,
    print a line per crash, a table per project and, last, ``figure(reproduced, total,
    share)``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--runs", type=int, default=1, help="runs at the fix (flakiness check)")
    parser.add_argument("--only", action="append", default=[], help="crash id (folder name)")
    parser.add_argument("--project", action="append", default=[], help="only these projects")
    parser.add_argument("--json", type=Path, help="also write the outcomes as JSON here")
    options = parser.parse_args(argv)
    folders = sorted(path.parent for path in crashes.glob("*/recipe.json"))
    if options.only:
        folders = [folder for folder in folders if folder.name in options.only]
    if options.project:
        folders = [f for f in folders if f.name.rsplit("-", 1)[0] in options.project]
    outcomes: list[Outcome] = []
    for folder in folders:
        outcome = run_crash(folder, options.runs)
        outcomes.append(outcome)
        mark = "reproduced" if outcome.reproduced else "NOT reproduced"
        print(f"{outcome.id:28} {outcome.exception:{type_width}} {mark:15} {outcome.seconds:5.1f}s")
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
    print(figure(reproduced, total, share))
    return 0
