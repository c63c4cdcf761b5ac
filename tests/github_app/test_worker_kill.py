"""A worker killed with SIGKILL mid-job loses nothing: the job runs again, one PR comment.

Each test runs ``argus worker`` as a real process against the local GitHub API server (the demo
repository as acme/orders, PR #7), on the embedded SQLite queue and on PostgreSQL
(procrastinate, this machine's server at 127.0.0.1:5432, a fresh database per test). The
comment POST is made slow (1.5 s) so the worker is surely mid-job when it is killed; the POST
already sent still lands (as it would on GitHub), before the lease or heartbeat runs out (4 s),
so the rerun finds the comment by its marker and updates it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from github_app.queue import SQLiteJobQueue
from github_app.queue_postgres import PostgresJobQueue
from tests.servers.github_api import (
    DEMO_OWNER,
    DEMO_PULL,
    DEMO_REPO,
    GitHubAPIServer,
    build_demo_repo,
    demo_pull_request_payload,
    rsa_key_pair,
    seed_demo,
)

ROOT = Path(__file__).resolve().parents[2]
APP_ID = 31337
INSTALLATION = 501
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
COMMENTS = rf"/repos/{DEMO_OWNER}/{DEMO_REPO}/issues/{DEMO_PULL}/comments$"


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return rsa_key_pair()


@pytest.fixture(scope="module")
def demo_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_repo(tmp_path_factory.mktemp("demo") / "orders")


@pytest.fixture
def github(keys: tuple[str, str], demo_repo: Path) -> Iterator[GitHubAPIServer]:
    with GitHubAPIServer(APP_ID, keys[1]) as server:
        seed_demo(server, demo_repo)
        server.delay("POST", COMMENTS, 1.5)
        yield server


@pytest.fixture
def postgres_url() -> Iterator[str]:
    name = f"argus_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_worker(
    tmp_path: Path,
    github: GitHubAPIServer,
    keys: tuple[str, str],
    database_url: str,
    *options: str,
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ARGUS_GITHUB_APP_ID": str(APP_ID),
        "ARGUS_GITHUB_PRIVATE_KEY": keys[0],
        "ARGUS_GITHUB_WEBHOOK_SECRET": "kill-test-secret",
        "ARGUS_GITHUB_API_URL": github.url,
        "ARGUS_DATABASE_URL": database_url,
        "ARGUS_HOME": str(tmp_path / "home"),
    }
    log = open(tmp_path / f"worker-{time.monotonic_ns()}.log", "wb")  # noqa: SIM115
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "argus"),
            "worker",
            "--env-file",
            str(tmp_path / "none.env"),
            *options,
        ],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_for(condition: Callable[[], Any], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def assert_one_report(github: GitHubAPIServer) -> None:
    comments = github.issue_comments(DEMO_OWNER, DEMO_REPO, DEMO_PULL)
    assert len(comments) == 1, [c["body"][:80] for c in comments]
    assert github.requests_to("PATCH", r"/issues/comments/\d+$")  # the rerun updated it
    assert any(run["status"] == "completed" for run in github.check_runs.values())


def kill_mid_job_and_recover(
    tmp_path: Path,
    github: GitHubAPIServer,
    keys: tuple[str, str],
    database_url: str,
    finished: Callable[[], bool],
    *options: str,
) -> None:
    first = start_worker(tmp_path, github, keys, database_url, *options)
    try:
        wait_for(lambda: github.requests_to("POST", COMMENTS), 60, "the comment POST")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        stop(first)
    assert not finished()
    # The dead worker's request was already on the wire; let it land, as it would in a few
    # milliseconds without the server's artificial delay. (Otherwise a rerun that starts
    # at once can look for the comment before GitHub has stored it: a race no handler can
    # close without an idempotency key, which GitHub's comment API lacks.)
    wait_for(
        lambda: github.issue_comments(DEMO_OWNER, DEMO_REPO, DEMO_PULL), 30, "the first comment"
    )
    second = start_worker(tmp_path, github, keys, database_url, *options)
    try:
        wait_for(finished, 90, "the job to be done by the second worker")
    finally:
        stop(second)
    assert_one_report(github)


def test_sqlite_queue_worker_killed_mid_job(
    tmp_path: Path, github: GitHubAPIServer, keys: tuple[str, str], demo_repo: Path
) -> None:
    path = tmp_path / "app.db"
    queue = SQLiteJobQueue(path)
    payload = demo_pull_request_payload("opened", demo_repo, INSTALLATION)
    assert queue.enqueue(
        "pull_request.opened", payload, delivery_id="kill-1", installation_id=INSTALLATION
    )
    kill_mid_job_and_recover(
        tmp_path,
        github,
        keys,
        f"sqlite:///{path}",
        lambda: queue.counts().get("done") == 1,
        "--lease-seconds",
        "4",
    )
    row = queue.job_row("1")
    assert row is not None and row["attempts"] == 2


def test_postgres_queue_worker_killed_mid_job(
    tmp_path: Path,
    github: GitHubAPIServer,
    keys: tuple[str, str],
    demo_repo: Path,
    postgres_url: str,
) -> None:
    queue = PostgresJobQueue(postgres_url)
    try:
        payload = demo_pull_request_payload("opened", demo_repo, INSTALLATION)
        assert queue.enqueue(
            "pull_request.opened", payload, delivery_id="kill-pg-1", installation_id=INSTALLATION
        )
        assert not queue.enqueue(
            "pull_request.opened", payload, delivery_id="kill-pg-1", installation_id=INSTALLATION
        )
        kill_mid_job_and_recover(
            tmp_path,
            github,
            keys,
            postgres_url,
            lambda: queue.statuses().get("succeeded") == 1,
            "--heartbeat-seconds",
            "0.5",
            "--stalled-seconds",
            "4",
        )
        assert queue.statuses() == {"succeeded": 1}
    finally:
        queue.close()


def test_argus_worker_names_a_missing_setting(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARGUS_")}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "argus"), "worker", "--env-file", "missing.env"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "ARGUS_GITHUB_APP_ID" in done.stderr
    assert "Traceback" not in done.stderr
