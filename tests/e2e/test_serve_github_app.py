"""`argus serve` as an operator runs it: with the GitHub App configured in `.env`, one process
answers GitHub webhooks, works the embedded queue against the (local) GitHub API, and still
serves the error ingestion API."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx

from tests.servers.github_api import (
    DEMO_OWNER,
    DEMO_PULL,
    DEMO_REPO,
    GitHubAPIServer,
    build_demo_repo,
    demo_pull_request_payload,
    rsa_key_pair,
    seed_demo,
    signed_headers,
)
from tests.support import argus_serve, free_port, wait_until, write_app_env

APP_ID = 9090
SECRET = "serve-webhook-secret"


def test_argus_serve_runs_the_app_and_the_ingestion_api(tmp_path: Path) -> None:
    private_key, public_key = rsa_key_pair()
    repo = build_demo_repo(tmp_path / "orders")
    workdir = tmp_path / "service"
    workdir.mkdir()
    with GitHubAPIServer(APP_ID, public_key) as github:
        seed_demo(github, repo)
        write_app_env(workdir, private_key, APP_ID, SECRET, github.url)
        port = free_port()
        env = {**os.environ, "ARGUS_HOME": str(workdir / "home")}
        log = workdir / "serve.log"
        with argus_serve(port, cwd=workdir, env=env, log=log) as base:
            body = json.dumps(demo_pull_request_payload("opened", repo, 42)).encode()
            answer = httpx.post(
                f"{base}/webhooks/github",
                content=body,
                headers=signed_headers(SECRET, body, "pull_request", "delivery-1"),
                timeout=10,
            )
            assert answer.status_code == 202

            def commented() -> bool:
                return bool(github.issue_comments(DEMO_OWNER, DEMO_REPO, DEMO_PULL))

            wait_until(commented, 90, "the PR comment")
            (comment,) = github.issue_comments(DEMO_OWNER, DEMO_REPO, DEMO_PULL)
            assert "<!-- argus:review -->" in comment["body"]

            forged = httpx.post(
                f"{base}/webhooks/github",
                content=body,
                headers=signed_headers("wrong", body, "pull_request", "delivery-2"),
                timeout=10,
            )
            assert forged.status_code == 401

            # "/" is the dashboard (it was a 404): without a session, its sign-in page says what
            # the server is, how to sign in, and links to its health and docs.
            home = httpx.get(f"{base}/", timeout=10)
            assert home.status_code == 401
            assert "argus dashboard link" in home.text and "GitHub App" in home.text
            assert 'href="/healthz"' in home.text and "docs/dashboard.md" in home.text
            assert httpx.get(f"{base}/healthz", timeout=10).json() == {"status": "ok"}
            assert "argus_github_dead_jobs 0" in httpx.get(f"{base}/metrics", timeout=10).text

            # The ingestion API is served by the same process: an unknown key is refused.
            refused = httpx.post(
                f"{base}/api/1/errors",
                json={"type": "ValueError", "message": "x"},
                headers={"Authorization": "Bearer nope"},
                timeout=10,
            )
            assert refused.status_code == 401
        output = log.read_text()
        assert f"GitHub App {APP_ID}" in output
