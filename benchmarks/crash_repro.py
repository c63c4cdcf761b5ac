"""Crash reproduction benchmark: how often the free tier turns a production error into a test
that fails on the buggy commit with that error and passes on the fix.

For every scenario in ``benchmarks/scenarios`` (a small package at a buggy commit, its fix, and
a Sentry event captured from the buggy code by ``benchmarks/scenarios/capture.py``):

1. a temporary git repository is built: the buggy tree, then the fix as a second commit;
2. ``reproduce_crash`` reads the captured event against the buggy commit;
3. each candidate, best first, goes through the validation sandbox (``validate``): it must fail
   on the buggy commit with the event's exception type and pass on the fix (three runs);
   the first that survives counts.

    .venv/bin/python benchmarks/crash_repro.py [--runs 3] [--only 07-email-none] [--json OUT]

The last line printed is ``crash_repro: N/M scenarios reproduced (P%) by the free tier``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argus.core.patterns.formats import parse_error  # noqa: E402
from argus.core.testgen.crash import NotReproducible, reproduce_crash  # noqa: E402
from argus.core.testgen.validation import validate  # noqa: E402

SCENARIOS = Path(__file__).resolve().parent / "scenarios"
_GIT_ENVIRONMENT = {
    "GIT_AUTHOR_NAME": "Scenario Author",
    "GIT_AUTHOR_EMAIL": "author@example.com",
    "GIT_COMMITTER_NAME": "Scenario Author",
    "GIT_COMMITTER_EMAIL": "author@example.com",
    "GIT_AUTHOR_DATE": "2026-01-05T10:00:00+00:00",
    "GIT_COMMITTER_DATE": "2026-01-05T10:00:00+00:00",
}


@dataclass
class Outcome:
    """What happened to one scenario."""

    name: str
    kind: str
    expected: str
    reproduced: bool
    candidates: int
    detail: str
    target: str = ""
    seconds: float = 0.0


def _git(repo: Path, *args: str) -> str:
    environment = {**os.environ, **_GIT_ENVIRONMENT}
    done = subprocess.run(
        ["git", *args], cwd=repo, env=environment, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def build_repository(folder: Path, destination: Path) -> tuple[str, str]:
    """The scenario as a git repository: (buggy commit, fix commit)."""
    shutil.copytree(folder / "buggy", destination)
    _git(destination, "init", "-q", "-b", "main")
    _git(destination, "add", "-A")
    _git(destination, "commit", "-q", "-m", "Buggy release")
    buggy = _git(destination, "rev-parse", "HEAD")
    # Plain copies (fresh mtimes): a fix of the same size and an old mtime would look
    # unchanged to git's index.
    shutil.copytree(folder / "fixed", destination, dirs_exist_ok=True, copy_function=shutil.copy)
    _git(destination, "add", "-A")
    _git(destination, "commit", "-q", "-m", "Fix the production error")
    fixed = _git(destination, "rev-parse", "HEAD")
    return buggy, fixed


def run_scenario(folder: Path, runs: int) -> Outcome:
    """Build, generate, validate: did the free tier reproduce this scenario's crash?"""
    settings = tomllib.loads((folder / "scenario.toml").read_text(encoding="utf-8"))
    started = time.monotonic()
    outcome = Outcome(folder.name, settings["kind"], settings["expected"], False, 0, "")
    event = parse_error((folder / "event.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="argus-crash-") as temporary:
        repo = Path(temporary) / "repo"
        buggy, fixed = build_repository(folder, repo)
        try:
            candidates = reproduce_crash(event, repo, ref=buggy)
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
                outcome.target = candidate.targets[0] if candidate.targets else ""
                outcome.detail = f"validated ({candidate.path})"
                break
            reasons.append(f"{candidate.targets[0]}: {result.rejection} {result.detail[:160]}")
        if not outcome.reproduced:
            outcome.detail = "rejected: " + " | ".join(reasons)
    outcome.seconds = time.monotonic() - started
    return outcome


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print per-scenario lines, a per-kind table and the figure."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3, help="runs on the fix (flakiness check)")
    parser.add_argument("--only", action="append", default=[], help="scenario folder name")
    parser.add_argument("--json", type=Path, help="also write the outcomes as JSON here")
    options = parser.parse_args(argv)
    folders = sorted(path.parent for path in SCENARIOS.glob("*/scenario.toml"))
    if options.only:
        folders = [folder for folder in folders if folder.name in options.only]
    outcomes: list[Outcome] = []
    for folder in folders:
        outcome = run_scenario(folder, options.runs)
        outcomes.append(outcome)
        mark = "reproduced" if outcome.reproduced else "NOT reproduced"
        surprise = "" if (outcome.expected == "reproduced") == outcome.reproduced else "  (!)"
        print(f"{outcome.name:34} {outcome.kind:18} {mark:15} {outcome.seconds:5.1f}s{surprise}")
        print(f"    {outcome.detail[:300]}")
    by_kind: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_kind[outcome.kind].append(outcome)
    print()
    print(f"{'kind':20} {'scenarios':>9} {'reproduced':>10} {'share':>7}")
    for kind in sorted(by_kind):
        group = by_kind[kind]
        done = sum(outcome.reproduced for outcome in group)
        print(f"{kind:20} {len(group):9d} {done:10d} {100 * done / len(group):6.0f}%")
    expected_hard = sum(outcome.expected != "reproduced" for outcome in outcomes)
    print(f"(scenarios written to be out of reach of the free tier: {expected_hard})")
    if options.json:
        options.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=1) + "\n")
    total = len(outcomes)
    reproduced = sum(outcome.reproduced for outcome in outcomes)
    share = 100 * reproduced / total if total else 0.0
    print(f"crash_repro: {reproduced}/{total} scenarios reproduced ({share:.0f}%) by the free tier")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
