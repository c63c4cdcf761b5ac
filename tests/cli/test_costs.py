"""`argus costs` reads the cost ledger the router writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from argus.core.router.generation import Tier
from argus.core.router.ledger import CostLedger, LedgerEntry
from argus.core.store.sqlite import SQLiteStore


def argus(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ARGUS_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "argus", "costs", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_costs_per_tier_and_tenant(tmp_path: Path) -> None:
    moment = datetime(2026, 11, 3, tzinfo=UTC)
    with SQLiteStore.open(tmp_path / "argus.db") as store:
        ledger = CostLedger(store, now=lambda: moment)
        ledger.set_tenant_plan("acme", "pro")
        ledger.record(
            LedgerEntry(
                "r1",
                "acme",
                Tier.HAIKU,
                "anthropic",
                "claude-haiku",
                "ok",
                input_tokens=4000,
                output_tokens=500,
                dollars=0.00065,
            )
        )
        ledger.record(LedgerEntry("r2", "acme", Tier.CACHE, "cache", "-", "ok", cache_hit=True))
    completed = argus(tmp_path, "--month", "2026-11", "-f", "json")
    assert completed.returncode == 0, completed.stderr
    summary = json.loads(completed.stdout)
    assert summary["tiers"]["haiku"]["input_tokens"] == 4000
    assert summary["tenants"]["acme"]["plan"] == "pro"
    assert summary["dollars"] == 0.00065

    text = argus(tmp_path, "--month", "2026-11")
    assert "haiku" in text.stdout and "acme" in text.stdout

    other = argus(tmp_path, "--month", "2026-10", "-f", "json")
    assert json.loads(other.stdout)["provider_requests"] == 0


def test_bad_month_is_a_clear_error(tmp_path: Path) -> None:
    completed = argus(tmp_path, "--month", "2026-13")
    assert completed.returncode == 2
    assert "YYYY-MM" in completed.stderr


def test_the_cache_and_the_free_tier_are_not_model_requests(tmp_path: Path) -> None:
    moment = datetime(2026, 11, 3, tzinfo=UTC)
    with SQLiteStore.open(tmp_path / "argus.db") as store:
        ledger = CostLedger(store, now=lambda: moment)
        for number in range(3):
            ledger.record(LedgerEntry(f"l{number}", "local", Tier.LOCAL, "local", "testgen", "ok"))
        ledger.record(LedgerEntry("c1", "local", Tier.CACHE, "cache", "-", "ok", cache_hit=True))
    text = argus(tmp_path, "--month", "2026-11")
    assert text.returncode == 0, text.stderr
    assert "0 model requests, 3 free-tier generations" in text.stdout
    summary = json.loads(argus(tmp_path, "--month", "2026-11", "-f", "json").stdout)
    assert summary["model_requests"] == 0
