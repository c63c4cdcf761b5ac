"""A store with real-looking data for the dashboard's tests, written through Argus's own code
(the pattern service, the cost ledger, the review recorder) wherever it has a writer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from argus.core.patterns.event import ErrorEvent, Frame
from argus.core.patterns.service import open_service
from argus.core.predict.findings import RiskLevel
from argus.core.quality.reviews import ReviewRecord, insert_merge, insert_review
from argus.core.router.generation import Outcome, Tier
from argus.core.router.ledger import CostLedger, LedgerEntry
from argus.core.store.sqlite import SQLiteStore

HOSTILE_MESSAGE = "<script>alert('owned')</script> \"><img src=x onerror=alert(2)> it's"


@dataclass(frozen=True)
class Seeded:
    """What was seeded for one tenant, for the assertions."""

    tenant: str
    repository: str
    pattern_titles: list[str]
    reviews: int
    high_reviews: int
    dollars: float


def _event(kind: str, message: str, function: str, module: str, when: datetime) -> ErrorEvent:
    return ErrorEvent(
        exception_type=kind,
        message=message,
        frames=(
            Frame(function="dispatch", filename=f"/srv/app/{module}/views.py"),
            Frame(function=function, filename=f"/srv/app/{module}/{function}.py", lineno=42),
        ),
        platform="python",
        release="2026.11.3",
        environment="production",
        timestamp=when,
    )


def escaped_sha(tenant: str, n: int) -> str:
    """The head sha of seeded review ``n`` of ``tenant``."""
    return f"{n:02d}{tenant[:4]:0>4}" + "ab" * 17


def seed(
    path: Path, tenant: str, repository: str, *, now: datetime, hostile: bool = False
) -> Seeded:
    """Seed ``tenant``'s patterns, tests, regression requests, ledger, plan and reviews."""
    errors = [
        ("KeyError", "'customer_id'", "load_customer", "billing", 9),
        (
            "TypeError",
            "unsupported operand type(s) for +: 'int' and 'NoneType'",
            "total",
            "orders",
            6,
        ),
        ("ValueError", "invalid literal for int() with base 10: 'abc'", "parse_qty", "cart", 4),
        ("ZeroDivisionError", "division by zero", "average_rating", "reviews", 3),
        ("TimeoutError", "upstream payment gateway timed out after 30s", "charge", "payments", 2),
    ]
    if hostile:
        errors.append(("RuntimeError", HOSTILE_MESSAGE, "render_banner", "web", 5))
    titles = []
    with open_service(path) as service:
        for index, (kind, message, function, module, count) in enumerate(errors):
            pattern_id = ""
            for n in range(count):
                when = now - timedelta(days=20 - index - n, hours=n)
                result = service.ingest(_event(kind, message, function, module, when), tenant)
                pattern_id = result.pattern.id
            titles.append(result.pattern.title)
            if index < 3:
                service.record_test(
                    tenant,
                    pattern_id,
                    f"test_{function}_regression",
                    framework="pytest",
                    success_rate=1.0,
                    code=(
                        f"def test_{function}_regression():\n    assert {function}() is not None\n"
                    ),
                )
    store = SQLiteStore.open(path)
    try:
        with store.transaction() as db:
            pattern_ids = [
                row[0]
                for row in db.execute(
                    "SELECT id FROM patterns WHERE tenant = ? ORDER BY seq", (tenant,)
                )
            ]
            for pattern_id, status, reason in zip(
                pattern_ids,
                ("generated", "generated", "cached", "failed", "failed"),
                (None, None, None, "no test reproduced the error", "sandbox timed out"),
                strict=False,
            ):
                db.execute(
                    "INSERT INTO regression_requests (tenant, pattern_id, project_id, status,"
                    " attempts, reason, test_path, pull_request_queued, requested_at)"
                    " VALUES (?, ?, 1, ?, 1, ?, ?, ?, ?)",
                    (
                        tenant,
                        pattern_id,
                        status,
                        reason,
                        "tests/regression/test_pattern.py" if status == "generated" else None,
                        1 if status == "generated" else 0,
                        now.timestamp(),
                    ),
                )
        dollars = 0.0
        for day in range(5):
            moment = now - timedelta(days=day)
            ledger = CostLedger(store, now=lambda moment=moment: moment)
            ledger.set_tenant_plan(tenant, "team")
            for tier, cost, outcome, reason in (
                (Tier.HAIKU, 0.012, Outcome.OK, None),
                (Tier.SONNET, 0.034, Outcome.INVALID, "the test does not fail on the old code"),
                (Tier.LOCAL, 0.0, Outcome.OK, None),
                (Tier.CACHE, 0.0, Outcome.MISS, None),
            ):
                ledger.record(
                    LedgerEntry(
                        routing_id=f"r-{tenant}-{day}-{tier}",
                        tenant=tenant,
                        tier=tier,
                        provider="anthropic" if tier in (Tier.HAIKU, Tier.SONNET) else str(tier),
                        model="-",
                        outcome=outcome,
                        task="pr_test",
                        dollars=cost,
                        cache_hit=False,
                        reason=reason,
                    )
                )
                dollars += cost
            ledger.record(
                LedgerEntry(
                    routing_id=f"c-{tenant}-{day}",
                    tenant=tenant,
                    tier=Tier.CACHE,
                    provider="pattern_cache",
                    model="-",
                    outcome=Outcome.OK,
                    cache_hit=True,
                )
            )
        reviews = high = 0
        with store.transaction() as db:
            for n in range(30):
                when = now - timedelta(days=90 - 3 * n)
                probability = [0.12, 0.35, 0.81, 0.22, 0.67, 0.91][n % 6]
                level = (
                    RiskLevel.HIGH
                    if probability >= 0.6
                    else RiskLevel.MEDIUM
                    if probability >= 0.3
                    else RiskLevel.LOW
                )
                high += level is RiskLevel.HIGH
                insert_review(
                    db,
                    ReviewRecord(
                        tenant=tenant,
                        repository=repository,
                        probability=probability,
                        level=level.value,
                        created_at=when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        pull_request=100 + n,
                        head_sha=escaped_sha(tenant, n),
                        files_changed=3,
                        lines_added=40 + n,
                        lines_deleted=n,
                        symbols=4,
                        bugs=n % 3,
                        tests_generated=1 if n % 2 else 0,
                        tests_validated=1 if n % 2 else 0,
                        source="app",
                    ),
                )
                reviews += 1
        with store.transaction() as db:
            for number, hours in ((102, 30), (100, 2)):
                insert_merge(
                    db,
                    tenant=tenant,
                    repository=repository,
                    pull_request=number,
                    opened_at="2026-11-02T08:00:00Z",
                    merged_at=f"2026-11-0{2 + hours // 24}T{8 + hours % 24:02d}:00:00Z",
                )
            # `argus learn` traced a later fix to the commit of review 3 (rated low): a
            # defect that escaped the prediction.
            db.execute("INSERT INTO repositories (root, created_at) VALUES (?, 0)", (repository,))
            (repository_id,) = db.execute(
                "SELECT id FROM repositories WHERE root = ?", (repository,)
            ).fetchone()
            db.execute(
                "INSERT INTO history_sync (repository_id, commit_count, synced_at)"
                " VALUES (?, 30, 0)",
                (repository_id,),
            )
            db.execute(
                "INSERT INTO szz_labels (repository_id, bug_sha, fix_sha, fix_time, path, line)"
                " VALUES (?, ?, ?, 0, 'billing/load_customer.py', 12)",
                (repository_id, escaped_sha(tenant, 3), "f" * 40),
            )
    finally:
        store.close()
    return Seeded(tenant, repository, titles, reviews, high, round(dollars, 6))
