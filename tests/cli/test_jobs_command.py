"""``argus jobs``: the dead-letter list of the GitHub App's queue, and retrying from it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from argus.github_app.queue import SQLiteJobQueue
from argus.github_app.queue_postgres import PostgresJobQueue

ARGUS = str(Path(sys.executable).parent / "argus")
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def argus(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARGUS_")}
    return subprocess.run(
        [ARGUS, "jobs", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def fail_for_good(queue: SQLiteJobQueue, delivery: str) -> None:
    now = [1_000_000.0]
    queue.clock = lambda: now[0]
    queue.enqueue("issue_comment.created", {}, delivery_id=delivery, installation_id=1)
    for _ in range(queue.max_attempts):
        job = queue.claim("w")
        assert job is not None
        queue.fail(job, "w", "GitHubAPIError: POST comments failed with HTTP 410: Gone")
        now[0] += 1000  # past the backoff


def test_list_failed_and_retry_on_the_sqlite_queue(tmp_path: Path) -> None:
    database = tmp_path / "app.db"
    queue = SQLiteJobQueue(database, lease_seconds=1)
    fail_for_good(queue, "dead-delivery")
    url = f"sqlite:///{database}"

    listed = argus("--database-url", url, "list", "--failed", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "dead-delivery" in listed.stdout and "HTTP 410: Gone" in listed.stdout
    (dead,) = json.loads(
        argus("--database-url", url, "list", "--failed", "-f", "json", cwd=tmp_path).stdout
    )

    retried = argus("--database-url", url, "retry", str(dead["id"]), cwd=tmp_path)
    assert retried.returncode == 0 and "queued again" in retried.stdout
    assert queue.failed_count() == 0 and queue.counts() == {"queued": 1}
    again = argus("--database-url", url, "retry", str(dead["id"]), cwd=tmp_path)
    assert again.returncode == 2 and "no failed job" in again.stderr
    assert (
        "No failed jobs." in argus("--database-url", url, "list", "--failed", cwd=tmp_path).stdout
    )
    queue.close()


def test_a_missing_queue_is_a_clear_error(tmp_path: Path) -> None:
    done = argus("--database-url", f"sqlite:///{tmp_path / 'nope.db'}", "list", cwd=tmp_path)
    assert done.returncode == 2 and "no job queue at" in done.stderr
    assert not (tmp_path / "nope.db").exists()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    name = f"argus_jobs_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_list_failed_and_retry_on_postgres(tmp_path: Path, postgres_url: str) -> None:
    queue = PostgresJobQueue(postgres_url)
    try:
        queue.enqueue("pull_request.opened", {}, delivery_id="pg-dead", installation_id=1)
        with psycopg.connect(postgres_url, autocommit=True) as connection:
            # What procrastinate leaves after the last attempt, and the reason the task recorded.
            connection.execute("UPDATE procrastinate_jobs SET status = 'doing'")
            connection.execute("UPDATE procrastinate_jobs SET status = 'failed', attempts = 6")
            connection.execute("UPDATE argus_github_deliveries SET last_error = 'HTTP 422'")
        listed = argus("--database-url", postgres_url, "list", "--failed", cwd=tmp_path)
        assert "pg-dead" in listed.stdout and "HTTP 422" in listed.stdout
        assert queue.failed_count() == 1
        (dead,) = queue.failed_jobs()
        assert (
            argus("--database-url", postgres_url, "retry", dead["id"], cwd=tmp_path).returncode == 0
        )
        assert queue.statuses() == {"todo": 1}
    finally:
        queue.close()
