"""PR test benchmark: how many of a change's riskiest functions get a validated test from the
free tier, and how much changed-line coverage those tests add.

Three changes, each a git repository built from step folders (one commit per step, the risky
change on its own branch, compared with ``main``):

- ``demo``: the demo repository's bulk-discount change (``scripts/make_demo_repo.py``);
- ``invoicing``: late fees, discounts and due dates (``benchmarks/pr_changes/invoicing``);
- ``textkit``: a stricter duration parser and slug limits, unittest style
  (``benchmarks/pr_changes/textkit``).

For each, the change is reviewed as ``argus review`` does, then ``generate_for_review`` runs
with the router capped at the ``local`` tier (no model) for the ``--top`` riskiest Python
functions: a Hypothesis property test for fully annotated functions, else a characterisation
test recorded at the head. Every test shown passed three runs on the head and executed changed
lines. Each accepted test is then run once more beside the project's existing tests, under
coverage, to count the changed lines it covers that the existing tests did not (*added*).

    .venv/bin/python benchmarks/pr_tests.py [--top 3] [--only invoicing]

The last line printed is ``pr_tests: ...`` with the figures over the three changes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from make_demo_repo import HISTORY_DIR, build_demo_repo  # noqa: E402

from argus.cli import build_parser  # noqa: E402
from argus.commands import review_for_arguments  # noqa: E402
from argus.core.predict.findings import Review  # noqa: E402
from argus.core.router.generation import Tier  # noqa: E402
from argus.core.router.ledger import CostLedger  # noqa: E402
from argus.core.router.prices import load_price_table  # noqa: E402
from argus.core.router.providers.local import LocalProvider  # noqa: E402
from argus.core.router.router import Router  # noqa: E402
from argus.core.store.sqlite import SQLiteStore  # noqa: E402
from argus.core.testgen.candidate import Candidate, CandidateKind  # noqa: E402
from argus.core.testgen.service import (  # noqa: E402
    GenerationLog,
    changed_lines_of,
    generate_for_review,
    register_free_tier,
    riskiest_functions,
)
from argus.core.testgen.validation import validate  # noqa: E402

CHANGES = {
    "demo": HISTORY_DIR,
    "invoicing": ROOT / "benchmarks" / "pr_changes" / "invoicing",
    "textkit": ROOT / "benchmarks" / "pr_changes" / "textkit",
}


@dataclass
class ChangeFigures:
    """What the free tier did for one change."""

    name: str
    functions: list[str] = field(default_factory=list)
    tested: list[str] = field(default_factory=list)
    generators: list[str] = field(default_factory=list)
    changed: int = 0
    covered: int = 0
    added: int = 0
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def review_of(repo: Path) -> tuple[Review, dict[str, set[int]], str | None]:
    arguments = build_parser().parse_args(
        ["review", "--repo", str(repo), "--base", "main", "--head", "HEAD"]
    )
    review, changeset = review_for_arguments(arguments)
    return review, changed_lines_of(changeset.files), changeset.head


def run_change(name: str, history: Path, top: int, work: Path) -> ChangeFigures:
    started = time.monotonic()
    figures = ChangeFigures(name)
    repo = build_demo_repo(work / name, history=history).path
    review, changed, head = review_of(repo)
    chosen = riskiest_functions(review, top)
    for symbol in chosen:
        lines = {line for line in changed.get(symbol.path, set())}
        lines = {line for line in lines if symbol.start_line <= line <= symbol.end_line}
        figures.functions.append(f"{symbol.path}::{symbol.name} ({symbol.probability:.0%})")
        figures.changed += len(lines)
    with SQLiteStore.open(":memory:") as store:
        local = LocalProvider()
        register_free_tier(local)
        router = Router([local], load_price_table(), ledger=CostLedger(store, default_plan="local"))
        log = GenerationLog()
        tests = generate_for_review(
            review, repo, head, changed, router=router, max_tests=top, max_tier=Tier.LOCAL, log=log
        )
    figures.notes = log.notes
    for test in tests:
        figures.tested.append(f"{test.target_path}::{test.target_symbol}")
        figures.generators.append(test.validation.generator)
        figures.covered += test.validation.changed_lines_covered or 0
        function_lines = _function_lines(review, test.target_path, test.target_symbol, changed)
        again = validate(
            Candidate(
                language=test.language,
                framework=test.framework,
                path=test.path,
                source=test.source,
                kind=CandidateKind.PR_TEST,
            ),
            repo,
            head,
            changed_lines={test.target_path: function_lines},
            runs=1,
            compare_with_existing_tests=True,
        )
        fresh = again.coverage.newly_covered if again.coverage is not None else None
        figures.added += sum(len(lines) for lines in (fresh or {}).values())
    figures.seconds = time.monotonic() - started
    return figures


def _function_lines(review: Review, path: str, name: str, changed: dict[str, set[int]]) -> set[int]:
    for symbol in review.symbols:
        if symbol.path == path and symbol.name == name:
            return {
                line
                for line in changed.get(path, set())
                if symbol.start_line <= line <= symbol.end_line
            }
    return set()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=3, help="riskiest functions per change")
    parser.add_argument("--only", choices=sorted(CHANGES), help="run one change")
    arguments = parser.parse_args(argv)
    results: list[ChangeFigures] = []
    with tempfile.TemporaryDirectory(prefix="argus-pr-tests-") as temporary:
        work = Path(temporary)
        os.environ["ARGUS_HOME"] = str(work / "home")
        for name, history in CHANGES.items():
            if arguments.only and name != arguments.only:
                continue
            figures = run_change(name, history, arguments.top, work)
            results.append(figures)
            print(
                f"{name}: {len(figures.tested)}/{len(figures.functions)} of the riskiest "
                f"functions got a validated free-tier test ({figures.seconds:.0f} s)"
            )
            for function in figures.functions:
                print(f"  riskiest: {function}")
            for tested, generator in zip(figures.tested, figures.generators, strict=True):
                print(f"  tested:   {tested} ({generator})")
            for note in figures.notes:
                print(f"  note: {note[:180]}")
            print(
                f"  changed lines of those functions: {figures.changed}; covered by the tests: "
                f"{figures.covered}; not covered by the existing tests before: {figures.added}"
            )
    functions = sum(len(item.functions) for item in results)
    tested = sum(len(item.tested) for item in results)
    changed = sum(item.changed for item in results)
    covered = sum(item.covered for item in results)
    added = sum(item.added for item in results)
    share = covered / changed if changed else 0.0
    added_share = added / changed if changed else 0.0
    per_change = ", ".join(
        f"{item.name} {len(item.tested)}/{len(item.functions)}" for item in results
    )
    print(
        f"pr_tests: {tested}/{functions} riskiest functions got a validated free-tier test "
        f"({per_change}); the tests cover {covered}/{changed} of their changed lines "
        f"({share:.0%}), {added} of them ({added_share:.0%}) not covered by existing tests"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
