"""The App's state reads and writes alike on SQLite and on the shared PostgreSQL store."""

from __future__ import annotations

import threading

import pytest

from argus.core.quality.reviews import ReviewRecord
from argus.github_app.state import AppState
from tests.postgres_support import BACKENDS, row_store


@pytest.fixture(params=BACKENDS)
def state(request, tmp_path):
    with row_store(request.param, tmp_path) as store:
        yield AppState(store)


def test_repositories_keep_the_order_they_were_added_in(state: AppState) -> None:
    state.record_installation(7, "Octo-Org")
    state.add_repositories(7, ["octo/zeta", "octo/alpha"], enabled=0)
    state.add_repositories(7, ["octo/mid"], enabled=1)
    # Enabled first, then in the order added (not by name).
    assert state.enforce_repository_limit(7, 2) == ["octo/mid", "octo/zeta"]
    assert state.installation(7).repositories == ("octo/mid", "octo/zeta")
    assert state.enabled_repository_count(7) == 2
    assert state.repository_enabled(7, "octo/alpha") is False
    assert state.installations_of("octo-org") == [7]


def test_marketplace_accounts_ignore_the_logins_case(state: AppState) -> None:
    assert state.save_account_plan("Octo-Org", 1, "team", "2026-11-01T00:00:00Z")
    assert state.save_account_plan("octo-org", 1, "pro", "2026-11-02T00:00:00Z")
    assert not state.save_account_plan("OCTO-ORG", 1, "free", "2026-10-01T00:00:00Z")
    state.save_pending_plan("OCTO-org", "free", "2026-12-01T00:00:00Z")
    plan = state.account_plan("octo-ORG")
    assert plan is not None
    assert (plan.account, plan.plan, plan.pending_plan) == ("Octo-Org", "pro", "free")


def test_usage_counts_every_run_from_threads_at_once(state: AppState) -> None:
    def run() -> None:
        for _ in range(10):
            state.add_test_runs(7, "2026-12")

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert state.test_runs(7, "2026-12") == 40
    assert state.test_runs(7, "2026-11") == 0


def test_reports_switches_and_feedback(state: AppState) -> None:
    state.save_report("octo/repo", 3, {"risk": 0.4})
    state.save_report("octo/repo", 3, {"risk": 0.2})
    assert state.last_report("octo/repo", 3) == {"risk": 0.2}
    state.set_paused("octo/repo", 0, True)
    state.add_ignored("octo/repo", 3, "docs/**")
    state.add_ignored("octo/repo", 3, "docs/**")
    assert state.is_paused("octo/repo", 3)
    assert state.ignored_globs("octo/repo", 3) == ["docs/**"]
    state.record_feedback("octo/repo", 3, "alice", 1)
    state.record_feedback("octo/repo", 3, "alice", -1)


def test_a_pull_request_heads_app_review_is_recorded_once(state: AppState) -> None:
    def review(probability: float, source: str = "app") -> ReviewRecord:
        return ReviewRecord(
            "acme",
            "octo/repo",
            probability,
            "high",
            "2026-12-01T00:00:00Z",
            3,
            "abc",
            source=source,
        )

    state.record_review(review(0.4))
    state.record_review(review(0.6))  # a retried delivery: the same review again
    state.record_review(review(0.5, source="cli"))
    state.record_review(review(0.5, source="cli"))
    state.record_merge("acme", "octo/repo", 3, "2026-12-01T00:00:00Z", "2026-12-02T00:00:00Z")
    state.record_merge("acme", "octo/repo", 3, "2026-12-01T00:00:00Z", "2026-12-03T00:00:00Z")
    rows = state._read("SELECT source, probability FROM reviews ORDER BY source, probability")
    assert [tuple(row) for row in rows] == [("app", 0.6), ("cli", 0.5), ("cli", 0.5)]
    merged = state._read("SELECT merged_at FROM pull_request_merges")
    assert [tuple(row) for row in merged] == [("2026-12-03T00:00:00Z",)]
