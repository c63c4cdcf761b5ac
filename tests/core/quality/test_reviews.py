"""The reviews record: what a review stores, and that `argus review` stores it."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from argus.cli import main
from argus.core.predict.findings import GeneratedTest, Review, RiskLevel
from argus.core.quality.reviews import insert_review, review_record
from argus.core.store.sqlite import SQLiteStore
from tests.core.testgen.sandbox_repos import git


def _review(**changes: object) -> Review:
    values: dict[str, object] = dict(
        probability=0.82,
        level=RiskLevel.HIGH,
        factors=(),
        symbols=(),
        bugs=(),
        files_changed=2,
        lines_added=30,
        lines_deleted=4,
        model_version="test",
        base="main",
        head="a" * 40,
    )
    values.update(changes)
    return Review(**values)  # type: ignore[arg-type]


def test_a_record_keeps_what_the_dashboard_draws() -> None:
    test = GeneratedTest(
        "app.py", "total", "python", "pytest", "tests/test_total.py", "def t(): 0", "pr_test"
    )
    record = review_record(
        _review(tests=(test,)),
        tenant="github-7",
        repository="acme/shop",
        source="app",
        pull_request=12,
        now=datetime(2026, 11, 3, 10, 0, tzinfo=UTC),
    )
    assert record.created_at == "2026-11-03T10:00:00Z"
    assert (record.level, record.head_sha, record.tests_validated) == ("high", "a" * 40, 1)
    with SQLiteStore.open(":memory:") as store, store.transaction() as db:
        insert_review(db, record)
        row = db.execute(
            "SELECT tenant, repository, pull_request, probability, source FROM reviews"
        ).fetchone()
    assert row == ("github-7", "acme/shop", 12, 0.82, "app")


@pytest.mark.parametrize(("tenant", "source"), [("", "cli"), ("acme", "web")])
def test_bad_records_are_refused(tenant: str, source: str) -> None:
    with pytest.raises(ValueError):
        review_record(_review(), tenant=tenant, repository="r", source=source)


def test_argus_review_records_the_review(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "app.py").write_text("def total(items):\n    return sum(items)\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "first")
    git(repo, "checkout", "-qb", "feature")
    (repo / "app.py").write_text(
        "def total(items):\n    if not items:\n        return 0\n"
        "    return sum(items) / len(items)\n"
    )
    git(repo, "commit", "-qam", "average")
    monkeypatch.setenv("ARGUS_HOME", str(tmp_path / "home"))
    code = main(
        [
            "review",
            "--repo",
            str(repo),
            "--base",
            "main",
            "--head",
            "feature",
            "--tenant",
            "acme",
            "-o",
            str(tmp_path / "out.txt"),
        ]
    )
    assert code == 0
    head = git(repo, "rev-parse", "feature")
    rows = (
        sqlite3.connect(tmp_path / "home" / "argus.db")
        .execute("SELECT tenant, repository, head_sha, level, source FROM reviews")
        .fetchall()
    )
    assert len(rows) == 1
    tenant, repository, head_sha, level, source = rows[0]
    assert (tenant, repository, source) == ("acme", str(repo.resolve()), "cli")
    assert head_sha == head and level in ("low", "medium", "high")


def test_the_app_reviewing_the_same_head_again_replaces_its_row() -> None:
    first = review_record(
        _review(probability=0.4, level=RiskLevel.MEDIUM),
        tenant="github-7",
        repository="acme/shop",
        source="app",
        pull_request=12,
    )
    again = review_record(
        _review(), tenant="github-7", repository="acme/shop", source="app", pull_request=12
    )
    pushed = review_record(
        _review(head="b" * 40),
        tenant="github-7",
        repository="acme/shop",
        source="app",
        pull_request=12,
    )
    local = review_record(_review(), tenant="local", repository="/src/shop", source="cli")
    with SQLiteStore.open(":memory:") as store, store.transaction() as db:
        for record in (first, again, pushed, local, local):
            insert_review(db, record)
        rows = db.execute(
            "SELECT source, head_sha, probability FROM reviews ORDER BY source, head_sha"
        ).fetchall()
    assert rows == [
        ("app", "a" * 40, 0.82),
        ("app", "b" * 40, 0.82),
        ("cli", "a" * 40, 0.82),
        ("cli", "a" * 40, 0.82),
    ]
