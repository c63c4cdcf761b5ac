"""A worker killed with SIGKILL mid-job loses nothing: the job runs again, one PR comment.

Each test runs ``argus worker`` as a real process against the local GitHub API server (the demo
repository as acme/orders, PR #7), on the embedded SQLite queue and on PostgreSQL
(procrastinate, this machine's server at 127.0.0.1:5432, a fresh database per test). The
comment POST is made slow (1.5 s) so the worker is surely mid-job when it is killed; the POST
already sent still lands (as it would on GitHub), before the lease or heartbeat runs out (4 s),
so the rerun finds the comment by its marker and updates it.
"""

from __future__ import annotations

import json
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

from argus.github_app.queue import SQLiteJobQueue
from argus.github_app.queue_postgres import PostgresJobQueue
from tests.servers.github_api import (
    DEMO_OWNER,
    DEMO_PULL,
    DEMO_REPO,
    GitHubAPIServer,
    demo_pull_request_payload,
    seed_demo,
)

ROOT = Path(__file__).resolve().parents[2]
WEBHOOKS = ROOT / "tests" / "fixtures" / "github-webhooks"
APP_ID = 31337
INSTALLATION = 501
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
COMMENTS = rf"/repos/{DEMO_OWNER}/{DEMO_REPO}/issues/{DEMO_PULL}/comments$"


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
    # The App is meant to run (its id is set) but its key is missing. (Without the App at
    # all, the worker works the regression-test jobs of the queue alone.)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARGUS_")}
    env["ARGUS_GITHUB_APP_ID"] = "1"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "argus"), "worker", "--env-file", "missing.env"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "ARGUS_GITHUB_PRIVATE_KEY" in done.stderr
    assert "Traceback" not in done.stderr


# -- exactly once: a SIGKILL at each step of a slash-command's delivery ----------------------

CHECK_RUNS = rf"/repos/{DEMO_OWNER}/{DEMO_REPO}/check-runs$"
CHECK_RUN = rf"/repos/{DEMO_OWNER}/{DEMO_REPO}/check-runs/\d+$"
REACTIONS = rf"/repos/{DEMO_OWNER}/{DEMO_REPO}/issues/comments/\d+/reactions$"
COMMENTER = "octocat"


def _is_reply(request: Any) -> bool:
    return "argus:step" in str((request.body or {}).get("body", ""))


def _is_sticky(request: Any) -> bool:
    return "argus:review" in str((request.body or {}).get("body", ""))


STEPS = {
    # step: (method, path, which requests of it)
    "reaction": ("POST", REACTIONS, None),
    "check_run_created": ("POST", CHECK_RUNS, None),
    "check_run_completed": ("PATCH", CHECK_RUN, None),
    "sticky_comment": ("POST", COMMENTS, _is_sticky),
    "reply": ("POST", COMMENTS, _is_reply),
}


def review_command(demo_repo: Path) -> dict[str, Any]:
    """GitHub's issue_comment.created for ``/argus review`` on the demo PR."""
    opened = demo_pull_request_payload("opened", demo_repo, INSTALLATION)
    data = json.loads(
        (WEBHOOKS / "issue_comment.created.with-installation.payload.json").read_text()
    )
    data["repository"] = opened["repository"]
    data["installation"] = opened["installation"]
    data["issue"]["number"] = DEMO_PULL
    data["issue"]["pull_request"] = {
        "url": f"https://api.github.com/repos/{DEMO_OWNER}/{DEMO_REPO}/pulls/{DEMO_PULL}"
    }
    data["comment"]["body"] = "/argus review"
    for who in (data["comment"]["user"], data["sender"]):
        who["login"], who["type"] = COMMENTER, "User"
    return data


def exactly_one_of_each(github: GitHubAPIServer) -> None:
    comments = github.issue_comments(DEMO_OWNER, DEMO_REPO, DEMO_PULL)
    sticky = [c for c in comments if "argus:review" in c["body"]]
    replies = [c for c in comments if "Reviewed again" in c["body"]]
    assert len(sticky) == 1 and len(replies) == 1 and len(comments) == 2, [
        c["body"][:60] for c in comments
    ]
    assert len(github.check_runs) == 1
    (run,) = github.check_runs.values()
    assert run["status"] == "completed"
    assert len(github.reactions) == 1


def kill_at_step(
    tmp_path: Path,
    github: GitHubAPIServer,
    keys: tuple[str, str],
    database_url: str,
    step: str,
    finished: Callable[[], bool],
    *options: str,
) -> None:
    """SIGKILL the worker while its request of ``step`` is with GitHub; a new worker finishes."""
    method, path, which = STEPS[step]

    def sent() -> bool:
        return any(which is None or which(r) for r in github.requests_to(method, path))

    github.delay(method, path, 1.5, which)
    first = start_worker(tmp_path, github, keys, database_url, *options)
    try:
        wait_for(sent, 90, f"the {step} request")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        stop(first)
    assert not finished()
    time.sleep(2.0)  # the request already on the wire lands, as it would on GitHub
    second = start_worker(tmp_path, github, keys, database_url, *options)
    try:
        wait_for(finished, 120, "the job to be done by the second worker")
    finally:
        stop(second)
    exactly_one_of_each(github)


@pytest.fixture
def command_github(keys: tuple[str, str], demo_repo: Path) -> Iterator[GitHubAPIServer]:
    with GitHubAPIServer(APP_ID, keys[1]) as server:
        seed_demo(server, demo_repo)
        server.set_permission(DEMO_OWNER, DEMO_REPO, COMMENTER, "write")
        yield server


@pytest.mark.parametrize("step", list(STEPS))
def test_sqlite_queue_killed_at_each_step_gives_exactly_one_of_each(
    tmp_path: Path,
    command_github: GitHubAPIServer,
    keys: tuple[str, str],
    demo_repo: Path,
    step: str,
) -> None:
    path = tmp_path / "app.db"
    queue = SQLiteJobQueue(path)
    assert queue.enqueue(
        "issue_comment.created",
        review_command(demo_repo),
        delivery_id=f"cmd-{step}",
        installation_id=INSTALLATION,
    )
    kill_at_step(
        tmp_path,
        command_github,
        keys,
        f"sqlite:///{path}",
        step,
        lambda: queue.counts().get("done") == 1,
        "--lease-seconds",
        "3",
    )


@pytest.mark.parametrize("step", list(STEPS))
def test_postgres_queue_killed_at_each_step_gives_exactly_one_of_each(
    tmp_path: Path,
    command_github: GitHubAPIServer,
    keys: tuple[str, str],
    demo_repo: Path,
    postgres_url: str,
    step: str,
) -> None:
    queue = PostgresJobQueue(postgres_url)
    try:
        assert queue.enqueue(
            "issue_comment.created",
            review_command(demo_repo),
            delivery_id=f"cmd-pg-{step}",
            installation_id=INSTALLATION,
        )
        kill_at_step(
            tmp_path,
            command_github,
            keys,
            postgres_url,
            step,
            lambda: queue.statuses().get("succeeded") == 1,
            "--heartbeat-seconds",
            "0.5",
            "--stalled-seconds",
            "3",
        )
    finally:
        queue.close()


# -- a live worker late with its heartbeat: its job is not run twice at once -----------------


def test_a_job_whose_worker_is_late_with_its_heartbeat_is_not_run_twice_at_once(
    tmp_path: Path,
    github: GitHubAPIServer,
    keys: tuple[str, str],
    demo_repo: Path,
    postgres_url: str,
) -> None:
    """A worker whose heartbeat is late (here: sent every 60 s, with 2 s of silence taken for
    death; in the scale-out run, a loaded machine) still runs its job. Its job must not be
    retried meanwhile: the retry would release the pull request's procrastinate lock, and two
    attempts of one pull request at once each find no sticky comment and both post one."""
    queue = PostgresJobQueue(postgres_url)
    # Looking for the sticky comment and posting it take a while (6.5 s for the POST with
    # the fixture's 1.5 s), so a second attempt (started by the stalled-job sweep about 2 s
    # after the first) would look before the first has posted.
    github.delay("GET", COMMENTS, 4.0)
    github.delay("POST", COMMENTS, 5.0)
    worker = None
    try:
        payload = demo_pull_request_payload("opened", demo_repo, INSTALLATION)
        assert queue.enqueue(
            "pull_request.opened", payload, delivery_id="late-1", installation_id=INSTALLATION
        )
        worker = start_worker(
            tmp_path,
            github,
            keys,
            postgres_url,
            "--heartbeat-seconds",
            "60",
            "--stalled-seconds",
            "2",
        )
        wait_for(lambda: queue.statuses().get("succeeded") == 1, 120, "the job to succeed")
        time.sleep(12.0)  # any second attempt started meanwhile posts its comment too
    finally:
        if worker is not None:
            stop(worker)
        queue.close()
    comments = github.issue_comments(DEMO_OWNER, DEMO_REPO, DEMO_PULL)
    assert len(comments) == 1, [c["body"][:80] for c in comments]
    assert len(github.requests_to("POST", COMMENTS)) == 1
    log = b"".join(path.read_bytes() for path in tmp_path.glob("worker-*.log"))
    # The sweep did find the job stalled (by its heartbeat), and left it to its worker.
    assert b"but the worker still runs it" in log, log.decode(errors="replace")[-3000:]
