"""Test generation end to end with the real sandbox, router, ledger and pattern library."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from argus.core.patterns.formats import parse_error
from argus.core.patterns.service import PatternService, open_service
from argus.core.predict.findings import Review, RiskLevel, SymbolRisk
from argus.core.router.ledger import CostLedger
from argus.core.router.prices import load_price_table
from argus.core.router.providers.anthropic_messages import AnthropicProvider
from argus.core.router.providers.local import LocalProvider
from argus.core.router.router import Router
from argus.core.store.sqlite import SQLiteStore
from argus.core.testgen.pattern_cache import PatternTestCache
from argus.core.testgen.service import (
    GenerationLog,
    changed_lines_of,
    generate_for_error,
    generate_for_review,
    register_free_tier,
    resolve_release,
    riskiest_functions,
)
from tests.core.testgen.sandbox_repos import git
from tests.servers.scripted import ScriptedServer, anthropic_message

SCENARIO = Path(__file__).resolve().parents[3] / "benchmarks" / "scenarios" / "01-average-empty"

PRICING_BEFORE = '''"""Prices."""


def unit_price(total: float, quantity: int) -> float:
    return total / quantity


def label(name):
    return name.title()
'''

PRICING_AFTER = '''"""Prices."""


def unit_price(total: float, quantity: int) -> float:
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    return round(total / quantity, 2)


def label(name):
    cleaned = name.strip()
    return cleaned.title() or "Unnamed"
'''


@pytest.fixture
def store() -> Iterator[SQLiteStore]:
    with SQLiteStore.open(":memory:") as opened:
        yield opened


@pytest.fixture
def library(store: SQLiteStore) -> Iterator[PatternService]:
    service = open_service(store)
    yield service


def free_router(store: SQLiteStore, cache: PatternTestCache | None = None) -> Router:
    local = LocalProvider()
    register_free_tier(local)
    return Router([local], load_price_table(), ledger=CostLedger(store), cache=cache)


def ledger_rows(store: SQLiteStore) -> list[tuple[str, str, str]]:
    connection: sqlite3.Connection = store.connection
    rows = connection.execute(
        "SELECT tier, outcome, model FROM router_requests ORDER BY rowid"
    ).fetchall()
    return [(row[0], row[1], row[2]) for row in rows]


# -- pull-request tests ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pricing_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    repo = tmp_path_factory.mktemp("service") / "shop"
    (repo / "shop").mkdir(parents=True)
    (repo / "tests").mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "shop" / "__init__.py").write_text("")
    (repo / "shop" / "pricing.py").write_text(PRICING_BEFORE)
    (repo / "tests" / "test_pricing.py").write_text(
        "from shop.pricing import label\n\n\ndef test_label():\n"
        "    assert label(' tea ') == 'Tea'\n"
    )
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "prices")
    (repo / "shop" / "pricing.py").write_text(PRICING_AFTER)
    git(repo, "commit", "-q", "-am", "refuse bad quantities, strip labels")
    return repo, git(repo, "rev-parse", "HEAD")


def pricing_review() -> Review:
    def symbol(name: str, start: int, end: int, probability: float) -> SymbolRisk:
        return SymbolRisk(
            "shop/pricing.py",
            name,
            "function",
            "python",
            start,
            end,
            probability,
            RiskLevel.HIGH if probability > 0.6 else RiskLevel.MEDIUM,
        )

    symbols = (symbol("label", 10, 12, 0.4), symbol("unit_price", 4, 7, 0.8))
    return Review(0.8, RiskLevel.HIGH, (), symbols, (), 1, 5, 2, "test")


def test_riskiest_functions_come_first() -> None:
    names = [symbol.name for symbol in riskiest_functions(pricing_review(), 3)]
    assert names == ["unit_price", "label"]
    assert [symbol.name for symbol in riskiest_functions(pricing_review(), 1)] == ["unit_price"]


def test_pr_tests_from_the_free_tier_pass_on_head_and_cover_changed_lines(
    pricing_repo: tuple[Path, str], store: SQLiteStore
) -> None:
    repo, head = pricing_repo
    changed = {"shop/pricing.py": {5, 6, 7, 11, 12}}
    tests = generate_for_review(
        pricing_review(), repo, head, changed, router=free_router(store), max_tests=2
    )
    by_symbol = {test.target_symbol: test for test in tests}
    assert set(by_symbol) == {"unit_price", "label"}
    typed = by_symbol["unit_price"]
    assert typed.validation.generator == "hypothesis"
    assert "@given" in typed.source and typed.framework == "pytest"
    characterised = by_symbol["label"]
    assert characterised.validation.generator == "characterise"
    assert "label(' tea ') == 'Tea'" in characterised.source
    for test in tests:
        check = test.validation
        assert check.tier == "local" and check.dollars == 0
        assert check.runs == check.passed_runs == 3
        assert check.changed_lines_covered and check.changed_lines_covered > 0
        assert check.after == head and check.isolation
        assert test.path.startswith("tests/")
    assert [row[:2] for row in ledger_rows(store)] == [("local", "ok"), ("local", "ok")]


def test_changed_lines_come_from_the_changeset_hunks() -> None:
    from argus.core.diff import parse_diff

    diff = (
        "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1,2 +1,3 @@\n x = 1\n"
        "-y = 2\n+y = 3\n+z = 4\n"
    )
    assert changed_lines_of(parse_diff(diff).files) == {"a.py": {2, 3}}


# -- regression tests from a captured production error -----------------------------------------


@pytest.fixture
def scenario_repo(tmp_path: Path) -> tuple[Path, str, str]:
    """The scenario's buggy package at HEAD of main, its fix on the branch ``fix``."""
    repo = tmp_path / "metrics-app"
    shutil.copytree(SCENARIO / "buggy", repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "buggy release")
    buggy = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "fix")
    shutil.copy(SCENARIO / "fixed" / "metrics" / "stats.py", repo / "metrics" / "stats.py")
    git(repo, "commit", "-q", "-am", "an empty list averages to 0")
    fixed = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "main")
    return repo, buggy, fixed


def test_regression_test_fails_before_passes_after_then_is_reused_from_the_cache(
    scenario_repo: tuple[Path, str, str], store: SQLiteStore, library: PatternService
) -> None:
    repo, buggy, fixed = scenario_repo
    event = parse_error((SCENARIO / "event.json").read_text(encoding="utf-8"))
    pattern = library.ingest(event, "acme").pattern
    test = generate_for_error(
        event,
        repo,
        tenant="acme",
        pattern=pattern,
        router=free_router(store, PatternTestCache(library, library.store, "acme")),
        after=fixed,
    )
    assert test is not None
    check = test.validation
    assert (check.fails_before, check.passes_after) == (True, True)
    assert check.expected_exception == "ZeroDivisionError"
    assert check.before == buggy and check.after == fixed  # no sha release: HEAD is before
    assert (check.tier, check.generator, check.cached) == ("local", "crash", False)
    assert test.target_symbol == "average" and test.target_path == "metrics/stats.py"
    stored = library.store.tests_for(pattern.id)
    assert [(item.test_id, item.reuse_count, item.success_rate) for item in stored] == [
        (test.path, 0, 1.0)
    ]

    # The same error again: the cached test, validated again, no provider asked.
    with ScriptedServer("anthropic") as anthropic:
        local = LocalProvider()
        register_free_tier(local)
        router = Router(
            [local, AnthropicProvider.haiku("sk", base_url=anthropic.url)],
            load_price_table(),
            ledger=CostLedger(store),
            cache=PatternTestCache(library, library.store, "acme"),
        )
        again = library.ingest(event, "acme").pattern
        assert again.id == pattern.id
        repeat = generate_for_error(
            event, repo, tenant="acme", pattern=again, router=router, after=fixed
        )
        assert anthropic.requests == []
    assert repeat is not None and repeat.validation.cached
    assert repeat.validation.tier == "cache" and repeat.source == test.source
    assert (repeat.validation.fails_before, repeat.validation.passes_after) == (True, True)
    stored = library.store.tests_for(pattern.id)
    assert [(item.reuse_count, item.success_rate) for item in stored] == [(1, 1.0)]
    rows = ledger_rows(store)
    assert [row[:2] for row in rows] == [("cache", "miss"), ("local", "ok"), ("cache", "ok")]


def test_without_a_fix_the_test_is_checked_as_a_reproduction(
    scenario_repo: tuple[Path, str, str], store: SQLiteStore
) -> None:
    repo, buggy, _ = scenario_repo
    event = parse_error((SCENARIO / "event.json").read_text(encoding="utf-8"))
    test = generate_for_error(event, repo, tenant="acme", pattern=None, router=free_router(store))
    assert test is not None
    check = test.validation
    assert check.fails_before is True and check.passes_after is None
    assert check.before == buggy and check.runs == 3


def test_a_release_naming_a_commit_is_where_the_error_happened(
    scenario_repo: tuple[Path, str, str], store: SQLiteStore
) -> None:
    repo, buggy, fixed = scenario_repo
    git(repo, "checkout", "-q", "fix")  # HEAD is now the fix; the release says where it failed
    event = replace(
        parse_error((SCENARIO / "event.json").read_text(encoding="utf-8")),
        release=f"metrics-app@{buggy[:10]}",
    )
    assert resolve_release(repo, event.release) == buggy
    assert resolve_release(repo, "1.4.2") is None
    assert resolve_release(repo, "deadbeefdeadbeef") is None
    log = GenerationLog()
    test = generate_for_error(
        event, repo, tenant="acme", pattern=None, router=free_router(store), after=fixed, log=log
    )
    assert test is not None and test.validation.before == buggy


def test_when_the_current_head_is_fixed_nothing_is_shown(
    scenario_repo: tuple[Path, str, str], store: SQLiteStore
) -> None:
    repo, _, _ = scenario_repo
    git(repo, "checkout", "-q", "fix")
    event = parse_error((SCENARIO / "event.json").read_text(encoding="utf-8"))
    log = GenerationLog()
    test = generate_for_error(
        event, repo, tenant="acme", pattern=None, router=free_router(store), log=log
    )
    assert test is None
    assert any("does_not_fail_before" in note for note in log.notes)


def test_when_the_free_tier_fails_the_paid_prompt_carries_what_it_found(
    scenario_repo: tuple[Path, str, str], store: SQLiteStore
) -> None:
    repo, buggy, fixed = scenario_repo
    event = parse_error((SCENARIO / "event.json").read_text(encoding="utf-8"))
    # The values were recorded only as an object repr: the free tier cannot rebuild them.
    frames = tuple(
        replace(frame, vars={"values": "<generator object samples at 0x7f0>"})
        if frame.function in ("average", "summary")
        else frame
        for frame in event.frames
    )
    event = replace(event, frames=frames)
    answer = (
        "```python\nfrom metrics.stats import average\n\n\n"
        "def test_average_of_no_samples():\n    assert average([]) == 0\n```"
    )
    with ScriptedServer("anthropic") as anthropic:
        anthropic.enqueue(anthropic_message(answer, input_tokens=900, output_tokens=60))
        local = LocalProvider()
        register_free_tier(local)
        router = Router(
            [local, AnthropicProvider.haiku("sk", base_url=anthropic.url)],
            load_price_table(),
            ledger=CostLedger(store),
        )
        log = GenerationLog()
        test = generate_for_error(
            event, repo, tenant="acme", pattern=None, router=router, after=fixed, log=log
        )
        (request,) = anthropic.requests
    prompt = str(request.body)
    assert "What Argus's deterministic generator already tried" in prompt
    assert "<generator object samples at 0x7f0>" in prompt and "is not a literal" in prompt
    assert test is not None and test.validation.tier == "haiku"
    assert (test.validation.fails_before, test.validation.passes_after) == (True, True)
    assert test.validation.before == buggy
    rows = [row[:2] for row in ledger_rows(store)]
    assert rows[0] == ("local", "miss") and rows[-1] == ("haiku", "ok"), rows


def test_an_error_raised_on_purpose_gets_no_test_from_any_tier(
    tmp_path: Path, store: SQLiteStore
) -> None:
    repo = tmp_path / "shop"
    (repo / "shop").mkdir(parents=True)
    (repo / "shop" / "__init__.py").write_text("")
    (repo / "shop" / "coupons.py").write_text(
        "class UnknownCoupon(Exception):\n    pass\n\n\n"
        "def percent(code):\n    if code != 'TEN':\n        raise UnknownCoupon(code)\n"
        "    return 10\n"
    )
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "coupons")
    event = parse_error(
        '{"exception": {"values": [{"type": "UnknownCoupon", "module": "shop.coupons", '
        '"value": "BOGUS", "stacktrace": {"frames": [{"function": "percent", '
        '"abs_path": "/srv/app/shop/coupons.py", "lineno": 7, "in_app": true, '
        '"vars": {"code": "\'BOGUS\'"}}]}}]}, "platform": "python"}'
    )
    with ScriptedServer("anthropic") as anthropic:
        local = LocalProvider()
        register_free_tier(local)
        router = Router(
            [local, AnthropicProvider.haiku("sk", base_url=anthropic.url)],
            load_price_table(),
            ledger=CostLedger(store),
        )
        log = GenerationLog()
        test = generate_for_error(event, repo, tenant="acme", pattern=None, router=router, log=log)
        assert anthropic.requests == []
    assert test is None
    assert any("raised on purpose at shop/coupons.py:7" in note for note in log.notes), log.notes
