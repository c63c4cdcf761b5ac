"""Price table, ledger rows, budgets and the costs summary."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from argus.core.errors import ConfigError
from argus.core.router.generation import Outcome, Tier
from argus.core.router.ledger import CostLedger, LedgerEntry, costs_summary
from argus.core.router.plans import PLANS, get_plan
from argus.core.router.prices import load_price_table
from argus.core.store.sqlite import SQLiteStore
from tests.postgres_support import BACKENDS, fresh_schema, row_store


def test_shipped_price_table() -> None:
    prices = load_price_table()
    workers = prices.price("workers_ai", "@cf/meta/llama-3.1-8b-instruct")
    # Cloudflare: 25,608 / 75,147 Neurons per M tokens at $0.011 per 1,000 Neurons.
    assert workers.input == pytest.approx(25_608 * 0.011 / 1000)
    assert workers.output == pytest.approx(75_147 * 0.011 / 1000)
    haiku = prices.price("anthropic", "claude-haiku-5-5")
    assert haiku.dollars(1_000_000, 1_000_000, 1_000_000) == pytest.approx(0.10 + 0.50 + 0.01)
    assert prices.price("openai_compatible", "anything-served").dollars(10**6, 10**6, 0) == 0
    with pytest.raises(ConfigError, match="no price"):
        prices.price("anthropic", "claude-unknown")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[price]]\nprovider = 'a'\n", "malformed"),
        ("price = 3\n", "expected"),
        ("[[price]\n", "cannot read"),
        ("[[price]]\nprovider='a'\nmodel='m'\ninput=-1\noutput=1\n", "negative"),
    ],
)
def test_bad_price_tables(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "prices.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_price_table(path)


def test_plans_are_documented_numbers() -> None:
    assert get_plan("free").monthly_budget_dollars == 0.50
    assert get_plan("free").monthly_test_runs == 100
    assert [PLANS[name].monthly_test_runs for name in ("pro", "team", "enterprise")] == [
        1_000,
        10_000,
        None,
    ]
    with pytest.raises(ConfigError, match="unknown plan"):
        get_plan("platinum")


def entry(tenant: str, tier: Tier, outcome: Outcome, dollars: float = 0.0, **more: object):  # type: ignore[no-untyped-def]
    provider = {"cache": "pattern_cache", "local": "local", "workers_ai": "workers_ai"}.get(
        str(tier), "anthropic"
    )
    return LedgerEntry("routing", tenant, tier, provider, "m", outcome, dollars=dollars, **more)  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", BACKENDS)
def test_costs_summary_per_tier_and_tenant(backend: str, tmp_path: Path) -> None:
    moments = iter(
        [datetime(2026, 10, 31, 23, tzinfo=UTC)] + [datetime(2026, 11, 2, tzinfo=UTC)] * 20
    )
    with row_store(backend, tmp_path) as store:
        ledger = CostLedger(store, now=lambda: next(moments))
        ledger.record(entry("acme", Tier.HAIKU, Outcome.OK, 5.0))  # October: not counted
        ledger.set_tenant_plan("acme", "pro")
        ledger.set_tenant_plan("globex", "team", budget_dollars=25.0)
        ledger.record(entry("acme", Tier.CACHE, Outcome.OK, cache_hit=True))
        ledger.record(entry("acme", Tier.CACHE, Outcome.MISS))
        ledger.record(entry("acme", Tier.LOCAL, Outcome.INVALID))
        ledger.record(
            entry("acme", Tier.WORKERS_AI, Outcome.OK, 0.0004, input_tokens=1000, output_tokens=100)
        )
        ledger.record(entry("globex", Tier.CACHE, Outcome.MISS))
        ledger.record(entry("globex", Tier.HAIKU, Outcome.ERROR))
        ledger.record(
            entry(
                "globex",
                Tier.HAIKU,
                Outcome.OK,
                0.002,
                input_tokens=4000,
                output_tokens=500,
                cached_tokens=1000,
            )
        )

        everyone = costs_summary(store, "2026-11")
        acme = costs_summary(store, "2026-11", tenant="acme")
        nobody = costs_summary(store, "2026-11", tenant="initech")

    json.dumps(everyone)  # JSON-ready
    assert everyone["requests"] == 7 and everyone["provider_requests"] == 4
    assert everyone["dollars"] == pytest.approx(0.0024)
    assert everyone["tokens"] == {"input": 5000, "output": 600, "cached": 1000}
    assert everyone["cache"] == {
        "lookups": 3,
        "hits": 1,
        "hit_rate": pytest.approx(1 / 3, abs=1e-4),
    }
    assert everyone["tiers"]["haiku"]["outcomes"] == {"error": 1, "ok": 1}
    assert everyone["tiers"]["haiku"]["dollars"] == pytest.approx(0.002)
    assert everyone["tenants"]["acme"]["plan"] == "pro"
    assert everyone["tenants"]["acme"]["budget_left_dollars"] == pytest.approx(10.0 - 0.0004)
    assert everyone["tenants"]["globex"]["budget_dollars"] == 25.0

    assert acme["tenant"] == "acme" and acme["requests"] == 4
    assert set(acme["tenants"]) == {"acme"}
    assert acme["cache"]["hit_rate"] == 0.5
    assert nobody["requests"] == 0 and nobody["cache"]["hit_rate"] is None
    assert nobody["tenants"]["initech"]["plan"] == "free"
    assert nobody["tenants"]["initech"]["budget_left_dollars"] == 0.50


def test_ledger_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "argus.db"
    with SQLiteStore.open(path) as store:
        CostLedger(store).record(entry("acme", Tier.SONNET, Outcome.OK, 0.01))
    with SQLiteStore.open(path) as store:
        budget = CostLedger(store).budget("acme")
    assert budget.spent == pytest.approx(0.01) and budget.plan.name == "free"
    assert budget.left == pytest.approx(0.49)


@pytest.mark.parametrize("backend", BACKENDS)
def test_prompt_versions_are_kept_once_in_order(backend: str, tmp_path: Path) -> None:
    moments = iter(datetime(2026, 11, 2, hour, tzinfo=UTC) for hour in range(10))
    with row_store(backend, tmp_path) as store:
        ledger = CostLedger(store, now=lambda: next(moments))
        for version in ("v2", "v1", "v2"):
            ledger.record(
                entry("acme", Tier.LOCAL, Outcome.OK, prompt_name="tests", prompt_version=version)
            )
        assert ledger.prompt_versions("tests") == ["v2", "v1"]


def test_nodes_sharing_postgresql_meter_one_budget() -> None:
    """Two nodes (two stores on one database) recording at once: every dollar is counted."""
    import threading

    from argus.core.store.postgres import PostgresRowStore

    with fresh_schema() as (url, schema):
        nodes = [PostgresRowStore(url, schema=schema) for _ in range(2)]
        try:

            def spend(store: PostgresRowStore) -> None:
                ledger = CostLedger(store)
                for _ in range(25):
                    ledger.record(entry("acme", Tier.HAIKU, Outcome.OK, 0.01))

            threads = [threading.Thread(target=spend, args=(node,)) for node in nodes * 2]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            budget = CostLedger(nodes[0]).budget("acme")
        finally:
            for node in nodes:
                node.close()
    assert budget.spent == pytest.approx(1.0)
    assert budget.left == 0.0 and not budget.allows(0.01)
