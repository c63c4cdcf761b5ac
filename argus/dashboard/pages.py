"""What each page shows: the queries' results turned into tables and charts."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from argus.core.report.charts import bar_chart, line_chart, pie_chart
from argus.dashboard import queries


def overview(
    db: sqlite3.Connection, tenant: str, repository: str | None, days: queries.PatternDays
) -> dict[str, Any]:
    """The score, its parts, and its monthly trend."""
    data = queries.overview(db, tenant, repository, days)
    trend = None
    if data.trend:
        trend = line_chart(
            "AI Quality Score by month",
            [month for month, _ in data.trend],
            [("score", [None if score is None else float(score) for _, score in data.trend])],
            value_format="{:.0f}",
            value_range=(0, 100),
        )
    return {"overview": data, "trend": trend, "repositories": queries.repositories(db, tenant)}


RISK_POINTS = 200
"""Reviews drawn on the risk chart, newest first (drawing a point costs about 0.3 ms)."""


def risk(
    db: sqlite3.Connection, tenant: str, repository: str | None, _: queries.PatternDays
) -> dict[str, Any]:
    """Each review as a point, with the later fixes that proved it right or wrong."""
    points = queries.risk_points(db, tenant, repository, limit=RISK_POINTS)
    chart = None
    if points:
        chart = line_chart(
            "Risk of each review over time",
            [f"{p.created_at[:10]} {_ref(p)}" for p in points],
            [("probability", [p.probability for p in points])],
            value_range=(0, 1),
        )
    return {
        "points": list(reversed(points[-100:])),
        "chart": chart,
        "repositories": queries.repositories(db, tenant),
    }


def _ref(point: queries.ReviewPoint) -> str:
    if point.pull_request is not None:
        return f"#{point.pull_request}"
    return (point.head_sha or "working tree")[:10]


def patterns(
    db: sqlite3.Connection, tenant: str, repository: str | None, pattern_days: queries.PatternDays
) -> dict[str, Any]:
    """The top patterns, their frequency, functions and regression tests."""
    top = queries.top_patterns(db, tenant)
    days, counts = queries.pattern_frequency(db, tenant, [p.id for p in top[:5]], pattern_days)
    chart = None
    if days:
        series = [(_short(p.title), [float(v) for v in counts.get(p.id, [])]) for p in top[:5]]
        series.append(("new patterns", [float(v) for v in counts.get("", [0] * len(days))]))
        chart = line_chart(
            "Error patterns per day", days, series, value_format="{:.0f}", dots=False
        )
    return {"patterns": top, "chart": chart}


def _short(title: str) -> str:
    return title if len(title) <= 40 else title[:39] + "…"


def costs(
    db: sqlite3.Connection, tenant: str, repository: str | None, _: queries.PatternDays
) -> dict[str, Any]:
    """Spend per tier and day against the budget, the tier mix, the cache hit rate."""
    data = queries.costs(db, tenant)
    spend = mix = budget = None
    if data.days:
        series: list[tuple[str, list[float]]] = [(t, data.dollars[t]) for t in data.tiers]
        spend = bar_chart(
            f"Model spend per day and tier, {data.month} (US$)",
            [day[5:] for day in data.days],
            series,
            stacked=True,
            value_format="{:.4f}",
        )
        running, total = [], 0.0
        for index in range(len(data.days)):
            total += sum(data.dollars[tier][index] for tier in data.tiers)
            running.append(total)
        lines: list[tuple[str, list[float | None]]] = [("spent so far", list(running))]
        if data.budget is not None:
            lines.append(("monthly budget", [data.budget] * len(data.days)))
        budget = line_chart(
            f"Spend so far against the budget, {data.month} (US$)",
            [day[5:] for day in data.days],
            lines,
            value_format="{:.4f}",
        )
    if data.requests_per_tier:
        mix = pie_chart(
            "Tier mix (requests)", sorted(data.requests_per_tier.items()), value_format="{:.0f}"
        )
    return {"costs": data, "spend": spend, "budget": budget, "mix": mix}


def tests(
    db: sqlite3.Connection, tenant: str, repository: str | None, _: queries.PatternDays
) -> dict[str, Any]:
    """Generated, validated and rejected tests, by reason."""
    data = queries.test_generation(db, tenant)
    chart = None
    if data.attempts_by_outcome:
        names = sorted(data.attempts_by_outcome)
        chart = bar_chart(
            "Test generation attempts by outcome",
            names,
            [("attempts", [float(data.attempts_by_outcome[n]) for n in names])],
        )
    return {"generation": data, "chart": chart}


def team(
    db: sqlite3.Connection, tenant: str, repository: str | None, _: queries.PatternDays
) -> dict[str, Any]:
    """Per-repository figures, on the Team plan and up."""
    plan = queries.plan_of(db, tenant)
    if plan not in queries.TEAM_PLANS:
        return {"plan": plan, "rows": None, "chart": None}
    rows = queries.team(db, tenant)
    chart = None
    if rows:
        chart = bar_chart(
            "Reviews per repository",
            [row.repository for row in rows],
            [
                ("reviews", [float(row.reviews) for row in rows]),
                ("high risk", [float(row.high_risk) for row in rows]),
            ],
            horizontal=True,
        )
    return {"plan": plan, "rows": rows, "chart": chart}


Builder = Callable[[sqlite3.Connection, str, str | None, queries.PatternDays], dict[str, Any]]

BUILDERS: dict[str, Builder] = {
    "overview": overview,
    "risk": risk,
    "patterns": patterns,
    "costs": costs,
    "tests": tests,
    "team": team,
}


def build(
    view: str,
    db: sqlite3.Connection,
    tenant: str,
    repository: str | None,
    pattern_days: queries.PatternDays,
) -> dict[str, Any]:
    """The template context of ``view`` for ``tenant``."""
    return BUILDERS[view](db, tenant, repository, pattern_days)


def score_document(
    db: sqlite3.Connection,
    tenant: str,
    repository: str | None,
    pattern_days: queries.PatternDays,
) -> dict[str, Any]:
    """The score and its parts as JSON."""
    data = queries.overview(db, tenant, repository, pattern_days)
    return {
        "tenant": tenant,
        "repository": repository,
        "score": data.score.score,
        "summary": data.score.summary,
        "parts": [
            {
                "name": p.name,
                "label": p.label,
                "good": p.good,
                "total": p.total,
                "weight": p.weight,
                "value": p.value,
            }
            for p in data.score.parts
        ],
        "trend": [{"month": month, "score": score} for month, score in data.trend],
    }
