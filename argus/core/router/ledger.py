"""The cost ledger: every provider request and cache lookup, priced, per tenant and month.

The store is the SQLite file or, shared by every node, PostgreSQL
(:class:`~argus.core.store.postgres.PostgresRowStore`): the SQL here is written for both, and a
tenant's spend is added to atomically (one upsert), so budgets hold across nodes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeAlias

from argus.core.router.errors import BudgetExceeded
from argus.core.router.generation import Outcome, Tier
from argus.core.router.plans import Plan, get_plan
from argus.core.store.sqlite import SQLiteStore

if TYPE_CHECKING:
    from argus.core.store.postgres import PostgresRowStore

Now = Callable[[], datetime]
#: Where the ledger lives: the SQLite file, or the shared PostgreSQL database.
LedgerStore: TypeAlias = "SQLiteStore | PostgresRowStore"


def utc_now() -> datetime:
    """The current time in UTC."""
    return datetime.now(UTC)


def month_of(moment: datetime) -> str:
    """``YYYY-MM`` of ``moment`` in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m")


@dataclass(frozen=True)
class LedgerEntry:
    """One row of the ledger, before it is written."""

    routing_id: str
    tenant: str
    tier: Tier
    provider: str
    model: str
    outcome: Outcome
    task: str | None = None
    prompt_name: str | None = None
    prompt_version: str | None = None
    prompt_hash: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    dollars: float = 0.0
    cache_hit: bool = False
    latency_seconds: float = 0.0
    reason: str | None = None
    provider_request_id: str | None = None


@dataclass(frozen=True)
class Budget:
    """A tenant's budget this month; ``limit`` None means no cap."""

    tenant: str
    plan: Plan
    limit: float | None
    spent: float

    @property
    def left(self) -> float | None:
        """Dollars left (never negative), None when there is no cap."""
        return None if self.limit is None else max(0.0, self.limit - self.spent)

    def allows(self, estimate: float) -> bool:
        """Whether a request estimated at ``estimate`` dollars fits in what is left."""
        return self.limit is None or self.spent + estimate <= self.limit

    def check(self, estimate: float) -> None:
        """Raise :class:`BudgetExceeded` unless a request of ``estimate`` dollars fits."""
        if not self.allows(estimate):
            raise BudgetExceeded(self.tenant, self.plan.name, self.limit or 0.0, self.spent)


class CostLedger:
    """Writes ledger rows to the store and answers budget questions."""

    def __init__(self, store: LedgerStore, *, now: Now = utc_now, default_plan: str = "free"):
        get_plan(default_plan)
        self.store = store
        self._now = now
        self.default_plan = default_plan

    def now(self) -> datetime:
        """The ledger's clock."""
        return self._now()

    def record(self, entry: LedgerEntry) -> None:
        """Write one row (and the prompt version, the first time it is seen)."""
        moment = self._now()
        with self.store.transaction() as db:
            if entry.prompt_name and entry.prompt_version:
                db.execute(
                    "INSERT INTO prompt_versions (name, version, content_hash, first_seen) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (name, version) DO NOTHING",
                    (
                        entry.prompt_name,
                        entry.prompt_version,
                        entry.prompt_hash or "",
                        moment.isoformat(),
                    ),
                )
            db.execute(
                "INSERT INTO router_requests (routing_id, created_at, month, tenant, tier, "
                "provider, model, task, prompt_name, prompt_version, input_tokens, output_tokens, "
                "cached_tokens, dollars, outcome, cache_hit, latency_ms, reason, "
                "provider_request_id) VALUES (" + ", ".join("?" * 19) + ")",
                (
                    entry.routing_id,
                    moment.isoformat(),
                    month_of(moment),
                    entry.tenant,
                    str(entry.tier),
                    entry.provider,
                    entry.model,
                    entry.task,
                    entry.prompt_name,
                    entry.prompt_version,
                    entry.input_tokens,
                    entry.output_tokens,
                    entry.cached_tokens,
                    entry.dollars,
                    str(entry.outcome),
                    int(entry.cache_hit),
                    round(entry.latency_seconds * 1000.0, 3),
                    entry.reason,
                    entry.provider_request_id,
                ),
            )
            db.execute(
                "INSERT INTO tenant_spend (tenant, month, dollars, requests) VALUES (?, ?, ?, 1) "
                "ON CONFLICT (tenant, month) DO UPDATE SET "
                "dollars = tenant_spend.dollars + excluded.dollars, "
                "requests = tenant_spend.requests + 1",
                (entry.tenant, month_of(moment), entry.dollars),
            )

    def plan_for(self, tenant: str) -> Plan:
        """``tenant``'s plan (the default plan when it has none)."""
        return tenant_plan(self.store, tenant, self.default_plan)[0]

    def set_tenant_plan(self, tenant: str, plan: str, budget_dollars: float | None = None) -> None:
        """Put ``tenant`` on ``plan``; ``budget_dollars`` overrides the plan's monthly budget."""
        get_plan(plan)
        with self.store.transaction() as db:
            db.execute(
                "INSERT INTO tenant_plans (tenant, plan, monthly_budget_dollars, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (tenant) DO UPDATE SET plan = excluded.plan, "
                "monthly_budget_dollars = excluded.monthly_budget_dollars, "
                "updated_at = excluded.updated_at",
                (tenant, plan, budget_dollars, self._now().isoformat()),
            )

    def budget(self, tenant: str, month: str | None = None) -> Budget:
        """``tenant``'s plan, limit and spend for ``month`` (default: this month)."""
        return tenant_budget(self.store, tenant, month or month_of(self._now()), self.default_plan)

    def prompt_versions(self, name: str) -> list[str]:
        """Versions of prompt ``name`` seen so far, oldest first."""
        rows = self.store.connection.execute(
            "SELECT version FROM prompt_versions WHERE name = ? ORDER BY first_seen, version",
            (name,),
        )
        return [str(row[0]) for row in rows]


def tenant_plan(
    store: LedgerStore, tenant: str, default_plan: str = "free"
) -> tuple[Plan, float | None]:
    """``tenant``'s plan and its monthly budget (the override when set, else the plan's)."""
    row = store.connection.execute(
        "SELECT plan, monthly_budget_dollars FROM tenant_plans WHERE tenant = ?", (tenant,)
    ).fetchone()
    plan = get_plan(row[0] if row else default_plan)
    limit = float(row[1]) if row and row[1] is not None else plan.monthly_budget_dollars
    return plan, limit


def tenant_budget(
    store: LedgerStore, tenant: str, month: str, default_plan: str = "free"
) -> Budget:
    """Plan, limit and dollars spent by ``tenant`` in ``month``."""
    plan, limit = tenant_plan(store, tenant, default_plan)
    row = store.connection.execute(
        "SELECT dollars FROM tenant_spend WHERE tenant = ? AND month = ?", (tenant, month)
    ).fetchone()
    return Budget(tenant=tenant, plan=plan, limit=limit, spent=float(row[0]) if row else 0.0)


def costs_summary(
    store: LedgerStore, month: str, tenant: str | None = None, default_plan: str = "free"
) -> dict[str, Any]:
    """Tokens, dollars and requests per tier and per tenant for ``month`` (``YYYY-MM``).

    The dict is JSON-ready::

        {"month": "2026-11", "tenant": None | "acme",
         "requests": int,            # ledger rows: provider requests plus cache lookups
         "provider_requests": int,   # rows that reached a provider (local included)
         "tokens": {"input": int, "output": int, "cached": int},
         "dollars": float,
         "cache": {"lookups": int, "hits": int, "hit_rate": float | None},
         "tiers": {tier: {"requests", "input_tokens", "output_tokens", "cached_tokens",
                          "dollars", "outcomes": {outcome: int}}},
         "tenants": {tenant: {"requests", "dollars", "plan", "budget_dollars",
                              "budget_left_dollars"}}}

    ``budget_dollars`` and ``budget_left_dollars`` are None for an uncapped plan.
    """
    db = store.connection
    where = "month = ?" + (" AND tenant = ?" if tenant is not None else "")
    parameters: tuple[str, ...] = (month,) if tenant is None else (month, tenant)
    tiers: dict[str, dict[str, Any]] = {}
    total_in = total_out = total_cached = total_requests = 0
    total_dollars = 0.0
    for tier, outcome, count, tokens_in, tokens_out, tokens_cached, dollars in db.execute(
        "SELECT tier, outcome, COUNT(*), SUM(input_tokens), SUM(output_tokens), "
        f"SUM(cached_tokens), SUM(dollars) FROM router_requests WHERE {where} "
        "GROUP BY tier, outcome ORDER BY tier, outcome",
        parameters,
    ):
        entry = tiers.setdefault(
            tier,
            {
                "requests": 0,
                "input_tokens": 0,
                "output_tokens": 0,
                "cached_tokens": 0,
                "dollars": 0.0,
                "outcomes": {},
            },
        )
        entry["requests"] += count
        entry["input_tokens"] += tokens_in
        entry["output_tokens"] += tokens_out
        entry["cached_tokens"] += tokens_cached
        entry["dollars"] += dollars
        entry["outcomes"][outcome] = count
        total_requests += count
        total_in += tokens_in
        total_out += tokens_out
        total_cached += tokens_cached
        total_dollars += dollars
    for entry in tiers.values():
        entry["dollars"] = round(entry["dollars"], 6)
    counted = db.execute(
        "SELECT COUNT(*), COALESCE(SUM(cache_hit), 0) FROM router_requests "
        f"WHERE {where} AND tier = 'cache'",
        parameters,
    ).fetchone()
    lookups, hits = (int(counted[0]), int(counted[1])) if counted else (0, 0)
    tenants: dict[str, dict[str, Any]] = {}
    for name, count, dollars in db.execute(
        f"SELECT tenant, COUNT(*), SUM(dollars) FROM router_requests WHERE {where} "
        "GROUP BY tenant ORDER BY tenant",
        parameters,
    ):
        budget = tenant_budget(store, name, month, default_plan)
        tenants[name] = {
            "requests": count,
            "dollars": round(dollars, 6),
            "plan": budget.plan.name,
            "budget_dollars": budget.limit,
            "budget_left_dollars": None if budget.left is None else round(budget.left, 6),
        }
    if tenant is not None and tenant not in tenants:
        budget = tenant_budget(store, tenant, month, default_plan)
        tenants[tenant] = {
            "requests": 0,
            "dollars": 0.0,
            "plan": budget.plan.name,
            "budget_dollars": budget.limit,
            "budget_left_dollars": budget.left,
        }
    return {
        "month": month,
        "tenant": tenant,
        "requests": total_requests,
        "provider_requests": total_requests - lookups,
        "tokens": {"input": total_in, "output": total_out, "cached": total_cached},
        "dollars": round(total_dollars, 6),
        "cache": {
            "lookups": lookups,
            "hits": hits,
            "hit_rate": None if lookups == 0 else round(hits / lookups, 4),
        },
        "tiers": tiers,
        "tenants": tenants,
    }
