"""Scheduling and running the server's regression-test jobs (``argus.regression_jobs``).

The whole flow, with the real server, SDK and GitHub API, is in
tests/e2e/test_serve_regression_tests.py; these pin down the rules: one job per pattern, retries
after failure, the event through the queue, and failures recorded with their reason.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from argus.core.errors import ConfigError
from argus.core.patterns.event import ErrorEvent, Frame
from argus.core.patterns.event_codec import event_data, event_from_data
from argus.core.patterns.records import PatternTest
from argus.core.patterns.service import open_service
from argus.github_app.jobs import Job
from argus.regression_jobs import (
    GENERATE_KIND,
    RETRY_FAILED_AFTER,
    RegressionJob,
    RegressionScheduler,
)
from argus.store_backend import PostgresLocation, open_project_keys, open_regression_requests
from argus.wiring import Wiring
from tests.core.testgen.sandbox_repos import git
from tests.postgres_support import BACKENDS, fresh_schema

EVENT = ErrorEvent(
    exception_type="ZeroDivisionError",
    message="division by zero",
    frames=(
        Frame(
            "average",
            "metrics/stats.py",
            module="metrics.stats",
            abs_path="/srv/app/metrics/stats.py",
            lineno=5,
            context_line="    return sum(values) / len(values)",
            vars={"values": [], "label": "'x'"},
        ),
    ),
    platform="python",
    source_format="sentry-envelope",
    release="abc1234",
    environment="production",
    timestamp=datetime(2026, 11, 27, 10, 0, tzinfo=UTC),
    raw_id="e1",
    extra={"server_name": "web-1"},
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class RecordingQueue:
    def __init__(self) -> None:
        self.jobs: list[tuple[str, dict[str, Any], str, int | None]] = []

    def enqueue(
        self, kind: str, payload: dict[str, Any], *, delivery_id: str, installation_id: int | None
    ) -> bool:
        if any(job[2] == delivery_id for job in self.jobs):
            return False
        self.jobs.append((kind, payload, delivery_id, installation_id))
        return True

    def depth(self) -> int:
        return len(self.jobs)


@dataclass
class Outcome:
    pattern: Any
    is_new: bool = True
    matched_by: str = "new"
    similarity: float | None = None


@dataclass
class PatternView:
    id: str
    title: str = "ZeroDivisionError: division by zero"
    occurrences: int = 1


@pytest.fixture(params=BACKENDS)
def shared(request):
    """None (the SQLite file) or a PostgreSQL schema of its own: the same tests on both."""
    if request.param == "sqlite":
        yield None
        return
    with fresh_schema() as (url, schema):
        yield PostgresLocation(url, schema)


@pytest.fixture
def keys(tmp_path: Path, shared):
    keys = open_project_keys(shared, tmp_path / "argus.db")
    yield keys
    keys.close()


@pytest.fixture
def requests(tmp_path: Path, shared):
    clock = Clock()
    requests = open_regression_requests(shared, tmp_path / "argus.db")
    requests.clock = clock
    requests.clock_control = clock  # type: ignore[attr-defined]
    yield requests
    requests.close()


def test_the_event_goes_through_the_queue_unchanged() -> None:
    payload = event_data(EVENT)
    assert json.loads(json.dumps(payload)) == payload
    assert event_from_data(payload) == EVENT


def test_one_request_per_pattern_and_a_failed_one_is_asked_again_a_day_later(requests) -> None:
    clock = requests.clock_control
    assert requests.claim("shop", "pat_1", 1) == 1
    assert requests.claim("shop", "pat_1", 1) is None  # queued: the job is on its way
    assert requests.claim("shop", "pat_2", 1) == 1
    requests.finish("shop", "pat_1", "failed", reason="no candidate")
    clock.now += 60
    assert requests.claim("shop", "pat_1", 1) is None
    clock.now += RETRY_FAILED_AFTER
    assert requests.claim("shop", "pat_1", 1) == 2
    requests.finish("shop", "pat_1", "generated", test_path="tests/test_x.py")
    clock.now += 10 * RETRY_FAILED_AFTER
    assert requests.claim("shop", "pat_1", 1) is None  # a test exists: never again
    row = requests.get("shop", "pat_1")
    assert (row.status, row.attempts, row.test_path, row.reason) == (
        "generated",
        2,
        "tests/test_x.py",
        None,
    )


def test_the_scheduler_queues_a_job_for_a_linked_project_once(keys, requests, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="argus.regressions")
    linked = keys.add("shop")
    keys.link("shop", str(tmp_path), github_repository="acme/shop", installation_id=9)
    unlinked = keys.add("blog")
    queue = RecordingQueue()
    scheduler = RegressionScheduler(keys, requests, queue)

    scheduler.filed(str(linked.project_id), "shop", EVENT, Outcome(PatternView("pat_1")))
    scheduler.filed(str(linked.project_id), "shop", EVENT, Outcome(PatternView("pat_1")))
    (job,) = queue.jobs
    kind, payload, delivery, installation = job
    assert (kind, delivery, installation) == (GENERATE_KIND, "regression:shop:pat_1:1", 9)
    assert (payload["tenant"], payload["pattern_id"], payload["project_id"]) == (
        "shop",
        "pat_1",
        linked.project_id,
    )
    assert event_from_data(payload["event"]).exception_type == "ZeroDivisionError"

    # Past the in-memory memo, the store still says a job is on its way.
    scheduler.recheck_seconds = 0.0
    scheduler.filed(str(linked.project_id), "shop", EVENT, Outcome(PatternView("pat_1")))
    assert len(queue.jobs) == 1

    for _ in range(3):
        scheduler.filed(str(unlinked.project_id), "blog", EVENT, Outcome(PatternView("pat_9")))
    assert len(queue.jobs) == 1
    noted = [r.message for r in caplog.records if "has no linked repository" in r.message]
    assert noted == [
        f"project {unlinked.project_id} has no linked repository: its errors get no "
        "regression test ('argus projects link NAME --repo PATH')"
    ]

    # A Sentry webhook names a tenant: its one linked project is found.
    scheduler.filed(None, "shop", EVENT, Outcome(PatternView("pat_2")))
    assert [job[2] for job in queue.jobs][-1] == "regression:shop:pat_2:1"


def test_links_are_checked(keys, tmp_path: Path) -> None:
    keys.add("shop")
    with pytest.raises(ConfigError, match="go together"):
        keys.link("shop", str(tmp_path), github_repository="acme/shop")
    with pytest.raises(ConfigError, match="not a GitHub repository"):
        keys.link("shop", str(tmp_path), github_repository="acme", installation_id=1)
    with pytest.raises(ConfigError, match="unknown plan"):
        keys.link("shop", str(tmp_path), plan="gold")
    with pytest.raises(ConfigError, match="no project named"):
        keys.link("nobody", str(tmp_path))
    link = keys.link("shop", str(tmp_path), plan="pro")
    assert keys.link_for(link.project_id) == link and not link.on_github
    assert keys.unlink("shop") and keys.link_for(link.project_id) is None


class Library:
    """The pattern library of a real service, called directly (no thread confinement)."""

    def __init__(self, path: Path) -> None:
        self.service = open_service(path)

    def get(self, tenant: str, pattern_id: str):
        return self.service.get(tenant, pattern_id)

    def tests_for(self, pattern_id: str) -> list[PatternTest]:
        return self.service.store.tests_for(pattern_id)

    def record_test(self, tenant: str, pattern_id: str, test_id: str, **fields: Any) -> None:
        self.service.record_test(tenant, pattern_id, test_id, **fields)


def test_jobs_record_why_there_is_no_test(keys, requests, tmp_path: Path) -> None:
    store = tmp_path / "argus.db"
    library = Library(store)
    project = keys.add("shop")
    pattern = library.service.ingest(EVENT, "shop").pattern
    app_queue = RecordingQueue()
    router_for = Wiring({}, dotenv=None).router  # no model keys: the free tier alone
    job = RegressionJob(library, keys, requests, store, router_for, app_queue=app_queue)

    def run() -> Any:
        requests.claim("shop", pattern.id, project.project_id)
        payload = {
            "project_id": project.project_id,
            "tenant": "shop",
            "pattern_id": pattern.id,
            "event": event_data(EVENT),
        }
        asyncio.run(job(Job("1", GENERATE_KIND, payload, None, "d")))
        return requests.get("shop", pattern.id)

    assert run().reason == f"project {project.project_id} is no longer linked to a repository"

    keys.link("shop", str(tmp_path / "gone"))
    outcome = run()
    assert outcome.status == "failed" and outcome.reason.startswith(
        f"no git repository at {tmp_path / 'gone'}"
    )

    # A clone where the crash cannot be reproduced: no test, and the reasons say why.
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "README").write_text("nothing here\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "empty")
    keys.link("shop", str(repo))
    outcome = run()
    assert outcome.status == "failed"
    assert outcome.reason.startswith("no validated regression test: ")

    # A pattern that has a validated test already: reused, nothing generated, no PR.
    library.record_test(
        "shop", pattern.id, "tests/test_known.py", success_rate=1.0, code="def test(): pass\n"
    )
    outcome = run()
    assert (outcome.status, outcome.test_path, outcome.reason) == (
        "cached",
        "tests/test_known.py",
        None,
    )
    assert app_queue.jobs == []
    library.service.close()
