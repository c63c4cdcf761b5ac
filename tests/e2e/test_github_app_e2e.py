"""The GitHub App end to end over real HTTP: uvicorn on a loopback port, signed deliveries,
githubkit pointed at the local GitHub API server seeded with the demo repository.

The app is ``argus.github_app.worker.create_served_app`` (the webhook app from ``create_app``, the
embedded SQLite queue, and its worker in a thread of the same process).
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from argus.github_app.settings import AppSettings
from argus.github_app.worker import create_served_app
from tests.servers.github_api import (
    DEMO_OWNER,
    DEMO_PULL,
    DEMO_REPO,
    GitHubAPIServer,
    demo_pull_request_payload,
    seed_demo,
    signed_headers,
)

APP_ID = 8080
INSTALLATION = 42
SECRET = "e2e-webhook-secret"
MARKER = "<!-- argus:review -->"


class ServedApp:
    """``create_served_app`` under uvicorn in a thread (built in that thread, as it runs there)."""

    def __init__(self, settings: AppSettings, **options: Any):
        self.settings = settings
        self.options = options
        self.app: Any = None
        self.server: uvicorn.Server | None = None
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        self.app = create_served_app(self.settings, **self.options)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        asyncio.run(self.server.serve())

    def __enter__(self) -> ServedApp:
        self._thread.start()
        wait_for(lambda: self.server is not None and self.server.started, 30, "uvicorn")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.should_exit = True
        self._thread.join(15)


def wait_for(condition: Callable[[], Any], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def github(keys: tuple[str, str], demo_repo: Path) -> Iterator[GitHubAPIServer]:
    with GitHubAPIServer(APP_ID, keys[1]) as server:
        seed_demo(server, demo_repo)
        yield server


@pytest.fixture
def served(tmp_path: Path, github: GitHubAPIServer, keys: tuple[str, str]) -> Iterator[ServedApp]:
    settings = AppSettings(
        APP_ID, keys[0], SECRET, api_url=github.url, database_url=f"sqlite:///{tmp_path}/app.db"
    )
    with ServedApp(settings, poll_seconds=0.2) as running:
        yield running


def deliver(
    served: ServedApp, event: str, payload: dict[str, Any], delivery: str, secret: str = SECRET
) -> httpx.Response:
    body = json.dumps(payload).encode("utf-8")
    return httpx.post(
        f"{served.url}/webhooks/github",
        content=body,
        headers=signed_headers(secret, body, event, delivery),
        timeout=10,
    )


def done(served: ServedApp) -> int:
    return int(served.app.state.queue.counts().get("done", 0))


def test_pull_request_opened_then_pushed(
    served: ServedApp, github: GitHubAPIServer, demo_repo: Path
) -> None:
    opened = demo_pull_request_payload("opened", demo_repo, INSTALLATION)
    answer = deliver(served, "pull_request", opened, "delivery-1")
    assert answer.status_code == 202 and answer.json()["status"] == "queued"
    wait_for(lambda: done(served) == 1, 60, "the opened delivery to be handled")

    # The check run: created in_progress at once, then completed with annotations.
    created = github.requests_to("POST", rf"/repos/{DEMO_OWNER}/{DEMO_REPO}/check-runs$")
    assert len(created) == 1
    assert created[0].body["status"] == "in_progress"
    assert created[0].body["head_sha"] == opened["pull_request"]["head"]["sha"]
    (run,) = github.check_runs.values()
    assert run["status"] == "completed" and run["conclusion"] in ("neutral", "failure")
    # Annotations are the findings and the medium- or high-risk functions: the demo's planted
    # defects are opt-in rules (off here), and a function's risk is its share of the change's
    # (the localisation ranker), so the demo may have none; batches are tested with FakeGitHub.
    assert all(a["path"] and a["start_line"] >= 1 for a in run["annotations"])
    assert "risk" in run["output"]["title"]

    comments = github.issue_comments(DEMO_OWNER, DEMO_REPO, DEMO_PULL)
    assert len(comments) == 1 and MARKER in comments[0]["body"]
    first_body = comments[0]["body"]

    # GitHub redelivers the same delivery: acknowledged, not processed again.
    again = deliver(served, "pull_request", opened, "delivery-1")
    assert again.status_code == 200 and again.json()["status"] == "duplicate"

    # A push: the same comment is updated in place.
    pushed = demo_pull_request_payload("synchronize", demo_repo, INSTALLATION)
    assert deliver(served, "pull_request", pushed, "delivery-2").json()["status"] == "queued"
    wait_for(lambda: done(served) == 2, 60, "the synchronize delivery to be handled")
    time.sleep(0.3)
    assert served.app.state.queue.counts() == {"done": 2}
    comments = github.issue_comments(DEMO_OWNER, DEMO_REPO, DEMO_PULL)
    assert len(comments) == 1
    assert len(github.requests_to("POST", rf"/issues/{DEMO_PULL}/comments$")) == 1
    patched = github.requests_to("PATCH", r"/issues/comments/\d+$")
    assert len(patched) == 1 and patched[0].path.endswith(f"/{comments[0]['id']}")
    assert MARKER in comments[0]["body"] and first_body.startswith(MARKER[:4])
    assert len(github.check_runs) == 2
    assert all(r["status"] == "completed" for r in github.check_runs.values())
    # One installation token served every call of both jobs.
    assert len(github.requests_to("POST", "access_tokens")) == 1

    metrics = httpx.get(f"{served.url}/metrics", timeout=5).text
    assert (
        'argus_github_api_calls_total{endpoint="POST /repos/{owner}/{repo}/check-runs"' in metrics
    )


def test_a_bad_signature_is_refused_and_nothing_is_queued(
    served: ServedApp, github: GitHubAPIServer, demo_repo: Path
) -> None:
    opened = demo_pull_request_payload("opened", demo_repo, INSTALLATION)
    answer = deliver(served, "pull_request", opened, "forged-1", secret="not-the-secret")
    assert answer.status_code == 401
    time.sleep(0.5)
    assert served.app.state.queue.counts() == {}
    assert not github.requests


def test_a_secondary_rate_limit_on_the_comment_is_waited_out(
    served: ServedApp, github: GitHubAPIServer, demo_repo: Path
) -> None:
    github.secondary_rate_limit_next("POST", rf"/issues/{DEMO_PULL}/comments$", retry_after=1)
    opened = demo_pull_request_payload("opened", demo_repo, INSTALLATION)
    deliver(served, "pull_request", opened, "rate-limited-1")
    wait_for(lambda: done(served) == 1, 60, "the delivery to be handled")
    assert len(github.requests_to("POST", rf"/issues/{DEMO_PULL}/comments$")) == 2
    assert len(github.issue_comments(DEMO_OWNER, DEMO_REPO, DEMO_PULL)) == 1
    metrics = httpx.get(f"{served.url}/metrics", timeout=5).text
    assert 'argus_github_rate_limit_waits_total{kind="secondary"} 1.0' in metrics
