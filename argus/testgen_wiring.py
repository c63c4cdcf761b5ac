"""Composition for test generation: environment → providers → router, ledger, sandbox, patterns.

The CLI (``argus review --generate-tests``, ``argus ingest --generate-test``) calls these; the
store and the router come from the process's composition root (``argus.wiring``: the
environment read once, the free tier registered on its LocalProvider, every request recorded in
the cost ledger kept in the same SQLite file as the pattern library); validated tests are
written where asked.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from argus.core.errors import ConfigError

if TYPE_CHECKING:
    from argus.core.patterns.event import ErrorEvent
    from argus.core.patterns.records import Pattern
    from argus.core.patterns.service import PatternService
    from argus.core.predict.findings import GeneratedTest, Review
    from argus.core.router.cache import PatternCache
    from argus.core.router.generation import Tier
    from argus.core.router.ledger import LedgerStore
    from argus.core.router.router import Router
    from argus.core.store.sqlite import SQLiteStore
    from argus.core.testgen.service import GenerationLog


def build_router(
    store: LedgerStore, *, cache: PatternCache | None = None, default_plan: str | None = None
) -> Router:
    """The process's router over ``store`` (``argus.wiring.Wiring.router``): the free tier and
    whichever paid providers the environment configures."""
    from argus.wiring import CLI_PLAN, process_wiring

    return process_wiring().router(store, cache=cache, default_plan=default_plan or CLI_PLAN)


def parse_tier(name: str | None) -> Tier | None:
    """``--max-tier`` as a Tier (None when not given); a wrong name is a ConfigError."""
    from argus.core.router.generation import Tier

    if name is None:
        return None
    try:
        return Tier(name)
    except ValueError as error:
        known = ", ".join(tier.value for tier in Tier)
        raise ConfigError(f"--max-tier {name!r}: use one of {known}") from error


def review_with_tests(
    review: Review,
    repo: Path,
    head: str | None,
    changed_lines: Mapping[str, set[int]],
    *,
    max_tier: str | None = None,
    write_dir: str | None = None,
    max_tests: int = 3,
    tenant: str = "local",
) -> Review:
    """``review`` with validated tests for its riskiest functions (written to ``write_dir``)."""
    from argus.core.testgen.service import GenerationLog, generate_for_review
    from argus.wiring import process_wiring

    tier = parse_tier(max_tier)
    log = GenerationLog()
    with process_wiring().open_store(repo) as store:
        router = build_router(store)
        tests = generate_for_review(
            review,
            repo,
            head,
            changed_lines,
            router=router,
            max_tests=max_tests,
            tenant=tenant,
            max_tier=tier,
            log=log,
        )
    if write_dir is not None:
        for test in tests:
            write_test(test, Path(write_dir))
    warnings = list(review.warnings)
    if not tests:
        warnings.append(_no_test_warning(log))
    return replace(review, tests=tuple(tests), warnings=tuple(warnings))


def _no_test_warning(log: GenerationLog) -> str:
    reasons = "; ".join(log.notes[-3:])
    text = "no generated test survived validation"
    return f"{text} ({reasons})" if reasons else text


def write_test(test: GeneratedTest, directory: Path) -> Path:
    """Write ``test`` into ``directory`` under its file name; return the file.

    ``--write-tests tests/regressions`` writes ``tests/regressions/test_….py``: the directory
    given, not the test's repository path below it.
    """
    name = PurePosixPath(test.path).name
    if not name or name in (".", ".."):
        raise ConfigError(f"refusing to write a test without a file name: {test.path!r}")
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    target.write_text(test.source, encoding="utf-8")
    return target


def regression_test_for(
    event: ErrorEvent,
    pattern: Pattern,
    service: PatternService,
    store: SQLiteStore,
    repo: Path,
    *,
    tenant: str,
    write_dir: str | None = None,
    fix: str | None = None,
    before: str | None = None,
    max_tier: str | None = None,
) -> dict[str, Any]:
    """Generate (or reuse) the pattern's regression test; the JSON-ready outcome."""
    from argus.core.report.json_report import generated_test_document
    from argus.core.testgen.pattern_cache import PatternTestCache
    from argus.core.testgen.service import GenerationLog, generate_for_error

    tier = parse_tier(max_tier)
    cache = PatternTestCache(service, service.store, tenant)
    router = build_router(store, cache=cache)
    log = GenerationLog()
    test = generate_for_error(
        event,
        repo,
        tenant=tenant,
        pattern=pattern,
        router=router,
        before=_commit(repo, before),
        after=_commit(repo, fix),
        max_tier=tier,
        log=log,
    )
    if test is None:
        return {"generated": False, "cached": False, "written_to": None, "reasons": log.notes}
    written = write_test(test, Path(write_dir)) if write_dir is not None else None
    return {
        "generated": True,
        "cached": test.validation.cached,
        "written_to": str(written) if written is not None else None,
        "test": generated_test_document(test),
        "reasons": log.notes,
    }


@dataclass(frozen=True)
class RegressionOutcome:
    """What ``argus ingest --generate-test`` reports: a JSON document and a line of text."""

    document: dict[str, Any]
    line: str


def regression_test_cli(
    arguments: argparse.Namespace,
    event: ErrorEvent,
    pattern: Pattern,
    service: PatternService,
    repo: Path,
    tenant: str,
) -> RegressionOutcome:
    """``argus ingest --generate-test``: generate or reuse, write, and describe the test."""
    from argus.wiring import process_wiring

    with process_wiring().open_store() as store:
        document = regression_test_for(
            event,
            pattern,
            service,
            store,
            repo,
            tenant=tenant,
            write_dir=arguments.write_tests,
            fix=arguments.fix,
            before=arguments.before,
            max_tier=arguments.max_tier,
        )
    return RegressionOutcome(document, _regression_line(document, event))


def _commit(repo: Path, ref: str | None) -> str | None:
    """The full commit id ``ref`` names in ``repo`` (GitError when it names none)."""
    from argus.core.diff.git import run_git

    if ref is None:
        return None
    return run_git(repo, "rev-parse", "--verify", f"{ref}^{{commit}}").decode().strip()


def _regression_line(document: dict[str, Any], event: ErrorEvent) -> str:
    if not document["generated"]:
        reasons = "; ".join(document["reasons"][-3:]) or "no candidate"
        return f"No regression test for {event.exception_type} survived validation: {reasons}"
    test = document["test"]
    check = test["validation"]
    where = document["written_to"] or test["path"]
    label = "Reused the cached regression test" if document["cached"] else "Regression test"
    facts = [f"fails on {str(check['before'])[:12]} with {check['expected_exception']}"]
    if check["passes_after"]:
        facts.append(
            f"passes on {str(check['after'])[:12]} ({check['passed_runs']}/{check['runs']} runs)"
        )
    facts.append(f"from {check['tier']} ({check['generator']})")
    return f"{label} {where}: " + "; ".join(facts)
