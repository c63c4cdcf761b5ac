"""The record of every review Argus produced (table ``reviews``, migration 0016).

Each front-end calls :func:`record_review` once, where the review is produced; the dashboard
reads the rows back to draw risk over time and to check predictions against later fixes.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from argus.core.errors import StoreError
from argus.core.predict.findings import Review

SOURCES = ("cli", "app", "editor")


@dataclass(frozen=True)
class ReviewRecord:
    """One produced review, as stored."""

    tenant: str
    repository: str
    probability: float
    level: str
    created_at: str
    pull_request: int | None = None
    head_sha: str | None = None
    base: str | None = None
    files_changed: int = 0
    lines_added: int = 0
    lines_deleted: int = 0
    symbols: int = 0
    bugs: int = 0
    tests_generated: int = 0
    tests_validated: int = 0
    source: str = "cli"


def review_record(
    review: Review,
    *,
    tenant: str,
    repository: str,
    source: str,
    pull_request: int | None = None,
    now: datetime | None = None,
) -> ReviewRecord:
    """The record of ``review`` of ``repository`` for ``tenant``, made by ``source``.

    Raises ValueError for a source other than cli, app or editor, or a blank tenant.
    """
    if source not in SOURCES:
        raise ValueError(f"review source {source!r} is not one of {', '.join(SOURCES)}")
    if not tenant.strip():
        raise ValueError("a review record needs a tenant")
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    # Every test a review carries survived validation (GeneratedTest's promise).
    tests = len(review.tests)
    return ReviewRecord(
        tenant=tenant,
        repository=repository,
        probability=float(review.probability),
        level=review.level.value,
        created_at=moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        pull_request=pull_request,
        head_sha=review.head,
        base=review.base,
        files_changed=review.files_changed,
        lines_added=review.lines_added,
        lines_deleted=review.lines_deleted,
        symbols=len(review.symbols),
        bugs=len(review.bugs),
        tests_generated=tests,
        tests_validated=tests,
        source=source,
    )


def insert_review(connection: sqlite3.Connection, record: ReviewRecord) -> int:
    """Append ``record`` to ``reviews`` (in the caller's transaction, if any); return its id.

    An App review of a pull-request head already recorded replaces that row (a retried
    delivery or a re-run is the same review again, not a new point).
    """
    try:
        cursor = connection.execute(
            # An upsert on the App's partial unique index (SQLite's INSERT OR REPLACE has no
            # PostgreSQL twin); the App's state may live in either.
            "INSERT INTO reviews (tenant, repository, pull_request, head_sha, base,"
            " probability, level, files_changed, lines_added, lines_deleted, symbols, bugs,"
            " tests_generated, tests_validated, source, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (tenant, repository, pull_request, head_sha) WHERE source = 'app'"
            " DO UPDATE SET base = excluded.base, probability = excluded.probability,"
            " level = excluded.level, files_changed = excluded.files_changed,"
            " lines_added = excluded.lines_added, lines_deleted = excluded.lines_deleted,"
            " symbols = excluded.symbols, bugs = excluded.bugs,"
            " tests_generated = excluded.tests_generated,"
            " tests_validated = excluded.tests_validated, created_at = excluded.created_at"
            " RETURNING id",
            (
                record.tenant,
                record.repository,
                record.pull_request,
                record.head_sha,
                record.base,
                record.probability,
                record.level,
                record.files_changed,
                record.lines_added,
                record.lines_deleted,
                record.symbols,
                record.bugs,
                record.tests_generated,
                record.tests_validated,
                record.source,
                record.created_at,
            ),
        )
        row = cursor.fetchone()
    except sqlite3.Error as error:
        raise StoreError(f"cannot record the review: {error}") from error
    return int(row[0]) if row else 0


def insert_merge(
    connection: sqlite3.Connection,
    *,
    tenant: str,
    repository: str,
    pull_request: int,
    opened_at: str,
    merged_at: str,
) -> None:
    """Record that a pull request opened at ``opened_at`` was merged at ``merged_at``
    (ISO 8601 UTC); a later merge of the same pull request replaces the row."""
    try:
        connection.execute(
            "INSERT INTO pull_request_merges"
            " (tenant, repository, pull_request, opened_at, merged_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (tenant, repository, pull_request) DO UPDATE SET"
            " opened_at = excluded.opened_at, merged_at = excluded.merged_at",
            (tenant, repository, pull_request, opened_at, merged_at),
        )
    except sqlite3.Error as error:
        raise StoreError(f"cannot record the merge: {error}") from error
