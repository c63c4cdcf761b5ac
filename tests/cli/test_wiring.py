"""The composition root (``argus.wiring``): each part built once and shared, one job queue and
one worker for the App's deliveries and the regression-test jobs, with their retries and
dead letters, and the previous layout's regression queue adopted without a job lost."""

from __future__ import annotations

import argparse
import io
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from argus import wiring as wiring_module
from argus.github_app.queue import SQLiteJobQueue
from argus.jobs_command import run_jobs
from argus.regression_jobs import GENERATE_KIND, RegressionRequests, regression_queue_path
from argus.wiring import Wiring, process_wiring


def app_env(folder: Path, private_key: str) -> dict[str, str]:
    (folder / "app.pem").write_text(private_key)
    return {
        "ARGUS_HOME": str(folder / "home"),
        "ARGUS_GITHUB_APP_ID": "42",
        "ARGUS_GITHUB_PRIVATE_KEY": str(folder / "app.pem"),
        "ARGUS_GITHUB_WEBHOOK_SECRET": "s3cret",
        "ARGUS_GITHUB_API_URL": "http://127.0.0.1:9",  # never called: no handler reaches it
        "ARGUS_DATABASE_URL": f"sqlite:///{folder / 'jobs.db'}",
    }


@pytest.fixture
def wired(tmp_path: Path, keys: tuple[str, str]) -> Iterator[Wiring]:
    built = Wiring(app_env(tmp_path, keys[0]), cwd=tmp_path, dotenv=None, max_attempts=1)
    try:
        yield built
    finally:
        built.close()


def wait_for(check: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_the_process_has_one_wiring() -> None:
    saved = wiring_module._PROCESS
    wiring_module._PROCESS = None
    try:
        first = process_wiring(dotenv=None)
        assert process_wiring() is first
        assert process_wiring(dotenv=None) is first
        with pytest.raises(RuntimeError, match="other options"):
            process_wiring(dotenv=Path("other.env"))
    finally:
        wiring_module._PROCESS = saved


def test_each_part_is_built_once_and_the_app_and_regression_jobs_share_them(
    wired: Wiring, tmp_path: Path
) -> None:
    served = wired.served_app
    assert wired.served_app is served
    queue = wired.job_queue
    # The webhook intake, the regression scheduler, the App's PR hand-off and the worker
    # thread: one queue object, one metrics registry.
    assert served.state.deps.queue is queue
    assert wired.regressions.queue is queue
    assert wired.regressions.scheduler.queue is queue
    assert wired.regressions.app_queue is queue
    assert wired.worker_thread.queue is queue
    assert served.state.deps.metrics is wired.metrics
    assert wired.ingest_app.state.regressions is wired.regressions
    assert queue.path == tmp_path / "jobs.db"
    assert wired.store_path == tmp_path / "home" / "argus.db"
    for _ in range(3):  # asking again builds nothing
        assert wired.job_queue is queue and wired.library is wired.library
    assert sorted(wired.built) == sorted(set(wired.built))
    assert {"job_queue", "metrics", "library", "project_keys", "regressions"} <= set(wired.built)
    assert "app_deps" not in wired.built  # built by the worker thread, when it starts


def test_a_command_that_needs_only_a_store_builds_no_server_part(tmp_path: Path) -> None:
    wiring = Wiring({"ARGUS_HOME": str(tmp_path / "home")}, dotenv=None)
    with wiring.open_store() as store:
        assert Path(store.path) == tmp_path / "home" / "argus.db"
    assert wiring.built == []
    wiring.close()


def jobs(command: list[str], url: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--env-file", default="missing.env")
    parser.add_argument("--database-url", default=url)
    actions = parser.add_subparsers(dest="jobs_command")
    listing = actions.add_parser("list")
    listing.add_argument("--failed", action="store_true")
    listing.add_argument("--format", default="json")
    retry = actions.add_parser("retry")
    retry.add_argument("id")
    saved = wiring_module._PROCESS
    wiring_module._PROCESS = None  # a command is a process of its own
    out = io.StringIO()
    try:
        code = run_jobs(parser.parse_args(command), out)
    finally:
        wiring_module._PROCESS = saved
    return code, out.getvalue()


def test_a_regression_job_and_a_delivery_on_the_one_queue_and_worker_with_dead_letters(
    wired: Wiring, tmp_path: Path
) -> None:
    queue = wired.job_queue
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    # A delivery the App's dispatcher runs: no installation named, so its handler's GitHub
    # client cannot be made, and the job fails (max_attempts=1: a dead letter at once).
    assert queue.enqueue(
        "pull_request.opened",
        {"action": "opened", "number": 1},
        delivery_id="delivery-1",
        installation_id=None,
    )
    # A regression job whose payload names no project (as an old, broken job might).
    assert queue.enqueue(
        GENERATE_KIND,
        {"tenant": "shop", "pattern_id": "p1"},
        delivery_id="regression:shop:p1:1",
        installation_id=None,
    )
    thread = wired.worker_thread
    thread.start()
    try:
        failed = wait_for(lambda: len(queue.failed_jobs()) == 2 and queue.failed_jobs(), 60, "2")
        by_kind = {job["kind"]: job for job in failed}
        assert set(by_kind) == {"pull_request.opened", GENERATE_KIND}
        assert "names no installation" in by_kind["pull_request.opened"]["last_error"]
        assert "KeyError" in by_kind[GENERATE_KIND]["last_error"]
        assert "app_deps" in wired.built  # the App's jobs' deps, built in the worker thread

        # `argus jobs list --failed` lists both kinds from the one queue.
        code, out = jobs(["list", "--failed"], url)
        assert code == 0
        assert {job["kind"] for job in json.loads(out)} == {"pull_request.opened", GENERATE_KIND}

        # Meanwhile the pattern's test was made (its exactly-once marker: the request row);
        # `argus jobs retry ID` queues the regression job again, and the worker finishes it
        # without generating anything twice.
        requests = RegressionRequests(wired.store_path)
        requests.claim("shop", "p1", 7)
        requests.finish("shop", "p1", "generated", test_path="tests/test_p1.py")
        requests.close()
        regression_id = by_kind[GENERATE_KIND]["id"]
        assert jobs(["retry", str(regression_id)], url)[0] == 0
        wait_for(
            lambda: (queue.job_row(str(regression_id)) or {}).get("status") == "done",
            60,
            "the retried regression job",
        )
        # The delivery, retried, runs again in the same worker (and fails again: the same
        # payload), with its attempts counted from zero.
        delivery_id = by_kind["pull_request.opened"]["id"]
        assert jobs(["retry", str(delivery_id)], url)[0] == 0
        wait_for(
            lambda: (queue.job_row(str(delivery_id)) or {}).get("status") == "failed",
            60,
            "the retried delivery",
        )
        assert queue.job_row(str(delivery_id))["attempts"] == 1
        assert wired.metrics.value("argus_github_jobs_total", kind=GENERATE_KIND, outcome="dead")
    finally:
        thread.stop()


def test_the_previous_layouts_regression_queue_is_adopted_without_a_job_lost(
    tmp_path: Path, keys: tuple[str, str]
) -> None:
    env = app_env(tmp_path, keys[0])
    store = tmp_path / "home" / "argus.db"
    store.parent.mkdir()
    old = SQLiteJobQueue(regression_queue_path(store), max_attempts=1)
    for number in (1, 2, 3):
        old.enqueue(
            GENERATE_KIND,
            {"tenant": "shop", "pattern_id": f"p{number}", "project_id": 1},
            delivery_id=f"regression:shop:p{number}:1",
            installation_id=None,
        )
    done = old.claim("w")
    assert done is not None
    old.complete(done, "w")  # p1: done, nothing to carry over
    dead = old.claim("w")
    assert dead is not None
    old.fail(dead, "w", "RuntimeError: the sandbox was missing")  # p2: a dead letter
    old.close()

    first = Wiring(env, cwd=tmp_path, dotenv=None)
    try:
        queue = first.job_queue
        rows = {queue.job_row(str(i))["delivery_id"]: queue.job_row(str(i)) for i in (1, 2)}
    finally:
        first.close()
    assert set(rows) == {"regression:shop:p2:1", "regression:shop:p3:1"}
    assert rows["regression:shop:p2:1"]["status"] == "failed"
    assert rows["regression:shop:p2:1"]["last_error"] == "RuntimeError: the sandbox was missing"
    assert rows["regression:shop:p3:1"]["status"] == "queued"
    waiting = SQLiteJobQueue(regression_queue_path(store))
    assert waiting.counts() == {"done": 1}  # moved out; the done job stays where it was
    waiting.close()

    # Opened again (or after a crash between the copy and the delete): nothing doubled.
    second = Wiring(env, cwd=tmp_path, dotenv=None)
    try:
        assert second.job_queue.counts() == {"failed": 1, "queued": 1}
        claimed = second.job_queue.claim("w")
        assert claimed is not None and claimed.payload["pattern_id"] == "p3"
    finally:
        second.close()


def test_without_the_app_the_worker_runs_regression_jobs_and_refuses_deliveries(
    tmp_path: Path,
) -> None:
    import asyncio

    from argus.github_app.dispatch import routed_runner
    from argus.github_app.jobs import Job

    ran: list[str] = []

    async def regression(job: Job) -> None:
        ran.append(job.id)

    runner = routed_runner(None, {GENERATE_KIND: regression})
    asyncio.run(runner(Job("1", GENERATE_KIND, {}, None, "regression:t:p:1")))
    assert ran == ["1"]
    with pytest.raises(ValueError, match="GitHub App is not configured"):
        asyncio.run(runner(Job("2", "pull_request.opened", {}, None, "d-2")))
    # The wiring of a server without the App: its queue is the default URL's, its worker
    # thread has the regression runner alone.
    wiring = Wiring(
        {"ARGUS_HOME": str(tmp_path / "home"), "ARGUS_DATABASE_URL": f"sqlite:///{tmp_path}/q.db"},
        dotenv=None,
    )
    try:
        assert wiring.github is None
        assert set(wiring.job_runners()) == {GENERATE_KIND}
        assert wiring.worker_thread.deps_factory is None
        assert wiring.regressions.app_queue is None  # no PR asked of an App that is not here
        assert wiring.regressions.queue is wiring.job_queue
    finally:
        wiring.close()


def test_the_shared_rows_are_opened_where_the_database_url_puts_them(
    tmp_path: Path, keys: tuple[str, str]
) -> None:
    """App state, cost ledger, regression-test requests and project links: in PostgreSQL when
    ARGUS_DATABASE_URL names it, else the SQLite file; argus worker with the URL only in its
    .env keeps the App's state there too."""
    from argus.core.store.postgres import PostgresRowStore
    from argus.core.store.sqlite import SQLiteStore
    from argus.ingest_server.keys import SQLiteProjectKeys
    from argus.ingest_server.keys_postgres import PostgresProjectKeys
    from argus.store_backend import PostgresLocation
    from tests.postgres_support import fresh_schema

    local = Wiring(app_env(tmp_path, keys[0]), cwd=tmp_path, dotenv=None)
    try:
        assert local.row_location is None
        with local.open_row_store() as store:
            assert isinstance(store, SQLiteStore)
        links = local.open_project_keys()
        assert isinstance(links, SQLiteProjectKeys)
        links.close()
    finally:
        local.close()

    def installations(url: str, schema: str) -> list[tuple[Any, ...]]:
        with PostgresRowStore(url, schema=schema) as shared, shared.transaction() as db:
            rows = db.execute("SELECT installation_id, account FROM gh_installations").fetchall()
        return sorted(tuple(row) for row in rows)

    with fresh_schema() as (url, schema):
        environ = app_env(tmp_path, keys[0]) | {"ARGUS_DATABASE_SCHEMA": schema}
        shared = Wiring(environ | {"ARGUS_DATABASE_URL": url}, cwd=tmp_path, dotenv=None)
        try:
            assert shared.row_location == PostgresLocation(url, schema)
            requests = shared.open_regression_requests()
            assert requests.claim("tenant", "pattern-1", 7) == 1
            requests.close()
            with PostgresRowStore(url, schema=schema) as rows, rows.transaction() as db:
                made = db.execute("SELECT count(*) FROM regression_requests").fetchall()
            assert [tuple(row) for row in made] == [(1,)]
            links = shared.open_project_keys()
            assert isinstance(links, PostgresProjectKeys)
            links.close()
            shared.app_deps().state.record_installation(98, "octo-org")
            assert installations(url, schema) == [(98, "octo-org")]
        finally:
            shared.close()

        del environ["ARGUS_DATABASE_URL"]
        dotenv = tmp_path / "worker.env"
        dotenv.write_text(f"ARGUS_DATABASE_URL={url}\n")
        worker = Wiring(environ, cwd=tmp_path, dotenv=dotenv)  # argus worker --env-file
        try:
            assert worker.row_location == PostgresLocation(url, schema)
            worker.app_deps().state.record_installation(99, "other-org")
            assert installations(url, schema) == [(98, "octo-org"), (99, "other-org")]
        finally:
            worker.close()
