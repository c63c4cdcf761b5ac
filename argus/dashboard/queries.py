"""What the dashboard's pages show, read from the store; every query is scoped to one tenant.

Each function takes an open SQLite connection and the signed-in tenant, and returns plain
values; nothing here renders or knows about HTTP.
"""

from __future__ import annotations

import sqlite3
import statistics
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from argus.core.quality.score import QualityFacts, QualityScore, quality_score

TEAM_PLANS = ("team", "enterprise")

APP_TABLES = (
    "gh_feedback",
    "gh_switches",
    "gh_installations",
    "gh_installation_repositories",
    "pull_request_merges",
)


def prepare(db: sqlite3.Connection, app_state: str | None = None) -> None:
    """Views the queries read through: ``all_reviews`` (this store's reviews and, when the
    GitHub App keeps its state in a SQLite file of its own, the App's) and ``v_gh_*`` (the
    App's tables, from that file when given)."""
    if app_state is not None:
        db.execute("ATTACH DATABASE ? AS app", (f"{Path(app_state).resolve().as_uri()}?mode=ro",))
    has_app = (
        app_state is not None
        and db.execute("SELECT 1 FROM app.sqlite_master WHERE name = 'reviews'").fetchone()
        is not None
    )
    union = " UNION ALL SELECT * FROM app.reviews" if has_app else ""
    db.execute(f"CREATE TEMP VIEW IF NOT EXISTS all_reviews AS SELECT * FROM main.reviews{union}")
    for table in APP_TABLES:
        source = "app" if has_app else "main"
        db.execute(f"CREATE TEMP VIEW IF NOT EXISTS v_{table} AS SELECT * FROM {source}.{table}")


def repositories(db: sqlite3.Connection, tenant: str) -> list[str]:
    """The repositories the tenant's reviews were about, by name."""
    rows = db.execute(
        "SELECT DISTINCT repository FROM all_reviews WHERE tenant = ? ORDER BY repository",
        (tenant,),
    )
    return [str(row[0]) for row in rows]


def _repo_clause(repository: str | None) -> tuple[str, tuple[Any, ...]]:
    return (" AND repository = ?", (repository,)) if repository else ("", ())


@dataclass(frozen=True)
class Overview:
    """The score now, its parts, and the score at the end of each recent month."""

    score: QualityScore
    trend: list[tuple[str, int | None]]
    reviews: int
    patterns: int


class PatternDays:
    """New patterns per day per tenant, kept up to date incrementally.

    Counting a big tenant's patterns by day reads every pattern row (about 100k rows of
    messages and frames); an index for it would be rewritten on every ingested occurrence.
    Patterns only ever get a higher ``seq``, so after the first count each request reads only
    the patterns created since (through the ``(tenant, seq)`` index). A pattern whose
    first_seen later moves earlier (an older event arriving late) stays on its first day.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._days: dict[str, tuple[int, dict[str, int]]] = {}

    def counts(self, db: sqlite3.Connection, tenant: str) -> dict[str, int]:
        """Day (YYYY-MM-DD) -> patterns first seen that day, for ``tenant``."""
        with self._lock:
            last_seq, days = self._days.get(tenant, (0, {}))
            days = dict(days)
            newest = last_seq
            for day, count, top in db.execute(
                "SELECT substr(first_seen, 1, 10), count(*), max(seq) FROM patterns"
                " WHERE tenant = ? AND seq > ? GROUP BY 1",
                (tenant, last_seq),
            ):
                days[str(day)] = days.get(str(day), 0) + int(count)
                newest = max(newest, int(top))
            self._days[tenant] = (newest, days)
            return days


def overview(
    db: sqlite3.Connection,
    tenant: str,
    repository: str | None = None,
    pattern_days: PatternDays | None = None,
) -> Overview:
    """The AI Quality Score of the tenant (of one repository's reviews when given), with its
    monthly trend: the score over everything known by the end of each month."""
    clause, params = _repo_clause(repository)
    review_rows = db.execute(
        "SELECT substr(created_at, 1, 7), level = 'high', tests_validated > 0, count(*)"
        f" FROM all_reviews WHERE tenant = ?{clause} GROUP BY 1, 2, 3",
        (tenant, *params),
    ).fetchall()
    per_month: dict[str, int] = defaultdict(int)
    for day, count in (pattern_days or PatternDays()).counts(db, tenant).items():
        per_month[day[:7]] += count
    # (first seen month, month of its first test, recurred after that test, patterns)
    tested_rows = db.execute(
        "SELECT substr(p.first_seen, 1, 7), substr(t.created, 1, 7), p.last_seen > t.created,"
        " count(*) FROM (SELECT pattern_id, min(created_at) AS created FROM pattern_tests"
        " GROUP BY pattern_id) t JOIN patterns p ON p.id = t.pattern_id WHERE p.tenant = ?"
        " GROUP BY 1, 2, 3",
        (tenant,),
    ).fetchall()
    checked_rows = db.execute(
        "SELECT substr(r.created_at, 1, 7), EXISTS (SELECT 1 FROM szz_labels s"
        " WHERE s.repository_id = h.repository_id AND s.bug_sha = r.head_sha), count(*)"
        " FROM all_reviews r JOIN repositories g ON g.root = r.repository"
        " JOIN history_sync h ON h.repository_id = g.id"
        f" WHERE r.tenant = ? AND r.level != 'high' AND r.head_sha IS NOT NULL"
        f"{clause.replace('repository', 'r.repository')} GROUP BY 1, 2",
        (tenant, *params),
    ).fetchall()
    months = sorted(
        {str(r[0]) for r in review_rows}
        | set(per_month)
        | {str(r[1]) for r in tested_rows}
        | {str(r[0]) for r in checked_rows}
    )[-12:]

    def facts_until(month: str | None) -> QualityFacts:
        def upto(value: object) -> bool:
            return month is None or (value is not None and str(value) <= month)

        high = sum(r[3] for r in review_rows if r[1] and upto(r[0]))
        high_tested = sum(r[3] for r in review_rows if r[1] and r[2] and upto(r[0]))
        patterns = sum(count for m, count in per_month.items() if upto(m))
        tested = [r for r in tested_rows if upto(r[0]) and upto(r[1])]
        with_test = min(patterns, sum(r[3] for r in tested))
        recurred = sum(r[3] for r in tested if r[2])
        checked = sum(r[2] for r in checked_rows if upto(r[0]))
        blamed = sum(r[2] for r in checked_rows if r[1] and upto(r[0]))
        return QualityFacts(
            high,
            high_tested,
            patterns,
            with_test,
            with_test,
            min(recurred, with_test),
            checked,
            blamed,
        )

    trend = [(month, quality_score(facts_until(month)).score) for month in months]
    reviews = sum(r[3] for r in review_rows)
    return Overview(quality_score(facts_until(None)), trend, reviews, sum(per_month.values()))


def new_patterns_per_day(
    db: sqlite3.Connection, tenant: str, pattern_days: PatternDays | None = None
) -> dict[str, int]:
    """Patterns first seen per day (all days), from the incremental count."""
    return (pattern_days or PatternDays()).counts(db, tenant)


@dataclass(frozen=True)
class ReviewPoint:
    """One review on the risk-over-time page, with what later fixes said about it."""

    created_at: str
    repository: str
    pull_request: int | None
    head_sha: str | None
    probability: float
    level: str
    bugs: int
    tests_validated: int
    blamed_by: str | None
    """The sha of a later fix that blamed this commit (SZZ), when one did."""


def risk_points(
    db: sqlite3.Connection, tenant: str, repository: str | None = None, limit: int = 500
) -> list[ReviewPoint]:
    """The newest ``limit`` reviews, oldest first, each with the later fix that blamed it."""
    clause, params = _repo_clause(repository)
    rows = db.execute(
        "SELECT r.created_at, r.repository, r.pull_request, r.head_sha, r.probability, r.level,"
        " r.bugs, r.tests_validated, (SELECT s.fix_sha FROM szz_labels s JOIN repositories g"
        " ON g.id = s.repository_id WHERE g.root = r.repository AND s.bug_sha = r.head_sha"
        " LIMIT 1) FROM all_reviews r"
        f" WHERE r.tenant = ?{clause.replace('repository', 'r.repository')}"
        " ORDER BY r.created_at DESC, r.id DESC LIMIT ?",
        (tenant, *params, limit),
    ).fetchall()
    return [ReviewPoint(*row) for row in reversed(rows)]


@dataclass(frozen=True)
class PatternRow:
    """One error pattern with its code locations and regression test."""

    id: str
    title: str
    exception_type: str
    occurrences: int
    first_seen: str
    last_seen: str
    functions: list[str]
    test_code: str | None
    test_status: str | None
    test_reason: str | None
    test_path: str | None
    pull_request_queued: bool
    repository: str | None


def top_patterns(db: sqlite3.Connection, tenant: str, limit: int = 20) -> list[PatternRow]:
    """The tenant's most frequent patterns, with functions hit and their regression test."""
    rows = db.execute(
        "SELECT id, title, exception_type, occurrences, first_seen, last_seen FROM patterns"
        " WHERE tenant = ? ORDER BY occurrences DESC, seq LIMIT ?",
        (tenant, limit),
    ).fetchall()
    result = []
    for pattern_id, title, exception_type, occurrences, first_seen, last_seen in rows:
        functions = [
            f"{path}:{function}"
            for path, function in db.execute(
                "SELECT path, function FROM pattern_locations WHERE pattern_id = ?"
                " ORDER BY count DESC LIMIT 5",
                (pattern_id,),
            )
        ]
        test = db.execute(
            "SELECT code FROM pattern_tests WHERE pattern_id = ? ORDER BY success_rate DESC"
            " LIMIT 1",
            (pattern_id,),
        ).fetchone()
        request = db.execute(
            "SELECT q.status, q.reason, q.test_path, q.pull_request_queued, l.github_repository"
            " FROM regression_requests q LEFT JOIN ingest_project_links l"
            " ON l.project_id = q.project_id WHERE q.tenant = ? AND q.pattern_id = ?",
            (tenant, pattern_id),
        ).fetchone()
        result.append(
            PatternRow(
                pattern_id,
                title,
                exception_type,
                int(occurrences),
                first_seen,
                last_seen,
                functions,
                test[0] if test else None,
                request[0] if request else None,
                request[1] if request else None,
                request[2] if request else None,
                bool(request[3]) if request else False,
                request[4] if request else None,
            )
        )
    return result


def pattern_frequency(
    db: sqlite3.Connection,
    tenant: str,
    pattern_ids: list[str],
    pattern_days: PatternDays | None = None,
) -> tuple[list[str], dict[str, list[int]]]:
    """Kept sample events per day for each pattern (the store keeps each pattern's newest
    events), and new patterns per day for the tenant under the key ``""``."""
    per_day: dict[str, dict[str, int]] = defaultdict(dict)
    for pattern_id in pattern_ids:
        for day, count in db.execute(
            "SELECT substr(seen_at, 1, 10), count(*) FROM pattern_events WHERE pattern_id = ?"
            " GROUP BY 1",
            (pattern_id,),
        ):
            per_day[pattern_id][day] = count
    since = _days_ago(60)
    for day, count in new_patterns_per_day(db, tenant, pattern_days).items():
        if day >= since:
            per_day[""][day] = count
    days = sorted({day for counts in per_day.values() for day in counts})[-60:]
    return days, {key: [counts.get(day, 0) for day in days] for key, counts in per_day.items()}


def _days_ago(days: int) -> str:
    moment = datetime.now(UTC).timestamp() - days * 86400
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d")


@dataclass(frozen=True)
class Costs:
    """A month of model spend for one tenant."""

    month: str
    plan: str
    budget: float | None
    spent: float
    days: list[str]
    tiers: list[str]
    dollars: dict[str, list[float]]
    requests_per_tier: dict[str, int]
    cache_lookups: int
    cache_hits: int

    @property
    def cache_hit_rate(self) -> float | None:
        """Hits per pattern-cache lookup, None before the first lookup."""
        return self.cache_hits / self.cache_lookups if self.cache_lookups else None


def costs(db: sqlite3.Connection, tenant: str, month: str | None = None) -> Costs:
    """Spend per tier and day in ``month`` (default: this one), the budget and the cache."""
    from argus.core.router.plans import PLANS

    month = month or datetime.now(UTC).strftime("%Y-%m")
    rows = db.execute(
        "SELECT substr(created_at, 1, 10), tier, sum(dollars), count(*),"
        " sum(cache_hit) FROM router_requests WHERE month = ? AND tenant = ? GROUP BY 1, 2",
        (month, tenant),
    ).fetchall()
    days = sorted({str(r[0]) for r in rows})
    tiers = sorted({str(r[1]) for r in rows if r[1] != "cache"})
    dollars = {tier: [0.0] * len(days) for tier in tiers}
    requests: dict[str, int] = defaultdict(int)
    lookups = hits = 0
    for day, tier, spent, count, cache_hits in rows:
        if tier == "cache":
            lookups += count
            hits += cache_hits or 0
            continue
        dollars[tier][days.index(day)] += float(spent or 0)
        requests[tier] += count
    plan_row = db.execute(
        "SELECT plan, monthly_budget_dollars FROM tenant_plans WHERE tenant = ?", (tenant,)
    ).fetchone()
    plan = plan_row[0] if plan_row else _installation_plan(db, tenant) or "free"
    budget = (
        float(plan_row[1])
        if plan_row and plan_row[1] is not None
        else (PLANS[plan].monthly_budget_dollars if plan in PLANS else None)
    )
    spent = sum(sum(values) for values in dollars.values())
    return Costs(month, plan, budget, spent, days, tiers, dollars, dict(requests), lookups, hits)


def _installation_id(tenant: str) -> int | None:
    """The App installation a ``github-<id>`` tenant stands for."""
    if not tenant.startswith("github-") or not tenant[7:].isdigit():
        return None
    return int(tenant[7:])


def _installation_plan(db: sqlite3.Connection, tenant: str) -> str | None:
    installation = _installation_id(tenant)
    if installation is None:
        return None
    row = db.execute(
        "SELECT plan FROM v_gh_installations WHERE installation_id = ?", (installation,)
    ).fetchone()
    return str(row[0]) if row else None


def served_installations(db: sqlite3.Connection, installation_ids: list[int]) -> list[str]:
    """The tenants (``github-<id>``) of those installations the App serves and has not
    suspended, in id order."""
    if not installation_ids:
        return []
    marks = ", ".join("?" for _ in installation_ids)
    rows = db.execute(
        f"SELECT installation_id FROM v_gh_installations WHERE installation_id IN ({marks})"
        " AND suspended = 0 ORDER BY installation_id",
        installation_ids,
    )
    return [f"github-{row[0]}" for row in rows]


def plan_of(db: sqlite3.Connection, tenant: str) -> str:
    """The tenant's plan: its row in tenant_plans, else its App installation's, else free."""
    row = db.execute("SELECT plan FROM tenant_plans WHERE tenant = ?", (tenant,)).fetchone()
    return str(row[0]) if row else _installation_plan(db, tenant) or "free"


@dataclass(frozen=True)
class TestGeneration:
    """How test generation went for one tenant."""

    __test__ = False

    regression_by_status: dict[str, int]
    failed_by_reason: list[tuple[str, int]]
    attempts_by_outcome: dict[str, int]
    rejected_by_reason: list[tuple[str, int]]
    review_tests_validated: int


def test_generation(db: sqlite3.Connection, tenant: str) -> TestGeneration:
    """Regression requests by status, generation attempts by outcome, rejections by reason."""
    by_status = dict(
        db.execute(
            "SELECT status, count(*) FROM regression_requests WHERE tenant = ? GROUP BY 1",
            (tenant,),
        ).fetchall()
    )
    failed = db.execute(
        "SELECT coalesce(reason, 'no reason given'), count(*) FROM regression_requests"
        " WHERE tenant = ? AND status = 'failed' GROUP BY 1 ORDER BY 2 DESC LIMIT 20",
        (tenant,),
    ).fetchall()
    outcomes = dict(
        db.execute(
            "SELECT outcome, count(*) FROM router_requests WHERE tenant = ? AND tier != 'cache'"
            " GROUP BY 1",
            (tenant,),
        ).fetchall()
    )
    rejected = db.execute(
        "SELECT coalesce(reason, 'no reason given'), count(*) FROM router_requests"
        " WHERE tenant = ? AND outcome = 'invalid' GROUP BY 1 ORDER BY 2 DESC LIMIT 20",
        (tenant,),
    ).fetchall()
    validated = db.execute(
        "SELECT coalesce(sum(tests_validated), 0) FROM all_reviews WHERE tenant = ?", (tenant,)
    ).fetchone()[0]
    return TestGeneration(by_status, failed, outcomes, rejected, int(validated))


@dataclass(frozen=True)
class TeamRow:
    """Per-repository team figures (never per person)."""

    repository: str
    reviews: int
    high_risk: int
    mean_probability: float
    tests_validated: int
    feedback_up: int
    feedback_down: int
    ignored_paths: int
    high_risk_merged: int = 0
    median_hours_to_merge: float | None = None
    """Median hours from opening to merge of the merged PRs a review rated high."""


def team(db: sqlite3.Connection, tenant: str) -> list[TeamRow]:
    """Reviews, high-risk share, validated tests and reactions per repository."""
    rows = db.execute(
        "SELECT repository, count(*), sum(level = 'high'), avg(probability),"
        " sum(tests_validated) FROM all_reviews WHERE tenant = ? GROUP BY 1 ORDER BY 1",
        (tenant,),
    ).fetchall()
    installation = _installation_id(tenant)
    merge_hours: dict[str, list[float]] = defaultdict(list)
    for repository, hours in db.execute(
        "SELECT m.repository, (julianday(m.merged_at) - julianday(m.opened_at)) * 24"
        " FROM v_pull_request_merges m WHERE m.tenant = ? AND EXISTS (SELECT 1 FROM all_reviews r"
        " WHERE r.tenant = m.tenant AND r.repository = m.repository"
        " AND r.pull_request = m.pull_request AND r.level = 'high')",
        (tenant,),
    ):
        if hours is not None:
            merge_hours[str(repository)].append(float(hours))
    result = []
    for repository, count, high, mean, tests in rows:
        up = down = ignored = 0
        # Reactions are kept per repository name: count them only for a repository of the
        # tenant's own installation.
        if (
            installation is not None
            and db.execute(
                "SELECT 1 FROM v_gh_installation_repositories WHERE installation_id = ?"
                " AND full_name = ?",
                (installation, repository),
            ).fetchone()
        ):
            up, down = db.execute(
                "SELECT coalesce(sum(vote > 0), 0), coalesce(sum(vote < 0), 0)"
                " FROM v_gh_feedback WHERE full_name = ?",
                (repository,),
            ).fetchone()
            ignored = db.execute(
                "SELECT coalesce(sum(json_array_length(ignored)), 0) FROM v_gh_switches"
                " WHERE full_name = ?",
                (repository,),
            ).fetchone()[0]
        result.append(
            TeamRow(
                repository,
                count,
                int(high or 0),
                float(mean or 0),
                int(tests or 0),
                int(up),
                int(down),
                int(ignored),
                len(merge_hours[repository]),
                statistics.median(merge_hours[repository]) if merge_hours[repository] else None,
            )
        )
    return result
