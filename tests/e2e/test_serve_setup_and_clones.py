"""`argus serve` as an operator first meets it: without App credentials it serves the setup
page, which registers the App through the (local) GitHub's manifest flow and writes `.env`;
with ARGUS_GITHUB_CLONES set, the App's review carries the repository's history."""

from __future__ import annotations

import html
import json
import os
import re
import stat
from pathlib import Path

import httpx

from argus.github_app.review_service import NO_HISTORY_NOTE
from argus.github_app.settings import load_settings
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

APP_ID = 9091
ROOT = Path(__file__).resolve().parents[2]
# `python -m argus` run from another directory imports this checkout's packages.
PYTHONPATH = {
    "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
}
SECRET = "serve-clones-secret"


def test_argus_serve_without_an_app_serves_the_setup_page(tmp_path: Path) -> None:
    workdir = tmp_path / "service"
    workdir.mkdir()
    with GitHubAPIServer(1, rsa_key_pair()[1]) as github:
        port = free_port()
        env = {
            **os.environ,
            **PYTHONPATH,
            "ARGUS_HOME": str(workdir / "home"),
            "ARGUS_GITHUB_API_URL": github.url,
            "ARGUS_PUBLIC_URL": "https://argus.acme.test",
        }
        env.pop("ARGUS_GITHUB_APP_ID", None)
        log = workdir / "serve.log"
        with argus_serve(port, cwd=workdir, env=env, log=log) as base:
            page = httpx.get(f"{base}/setup", timeout=10)
            assert page.status_code == 200
            token = re.search(r"/setup\?token=(\S+) \(one-time token\)", log.read_text())
            assert token, log.read_text()
            action = html.unescape(re.search(r'action="([^"]+)"', page.text).group(1))
            manifest = json.loads(
                html.unescape(re.search(r'name="manifest" value="([^"]+)"', page.text).group(1))
            )
            assert manifest["hook_attributes"]["url"] == "https://argus.acme.test/webhooks/github"
            code = github.manifests.register(manifest)
            state = action.split("state=", 1)[1]
            done = httpx.get(f"{base}/setup/callback?code={code}&state={state}", timeout=10)
            assert done.status_code == 200, done.text
            (registered,) = github.manifests.apps
            env_file = workdir / ".env"
            assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
            assert load_settings({}, dotenv=env_file).app_id == registered["id"]
            # The ingestion API is still served beside it.
            refused = httpx.post(
                f"{base}/api/1/errors",
                json={"type": "ValueError", "message": "x"},
                headers={"Authorization": "Bearer nope"},
                timeout=10,
            )
            assert refused.status_code == 401


def test_argus_serve_reviews_on_the_clone(tmp_path: Path) -> None:
    private_key, public_key = rsa_key_pair()
    repo = build_demo_repo(tmp_path / "orders")
    workdir = tmp_path / "service"
    workdir.mkdir()
    with GitHubAPIServer(APP_ID, public_key) as github:
        seed_demo(github, repo)
        write_app_env(workdir, private_key, APP_ID, SECRET, github.url)
        port = free_port()
        env = {
            **os.environ,
            **PYTHONPATH,
            "ARGUS_HOME": str(workdir / "home"),
            "ARGUS_GITHUB_CLONES": str(workdir / "clones"),
            "ARGUS_GITHUB_GIT_URL": github.url,
        }
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
            wait_until(
                lambda: bool(github.issue_comments(DEMO_OWNER, DEMO_REPO, DEMO_PULL)),
                90,
                "the PR comment",
            )
        (comment,) = github.issue_comments(DEMO_OWNER, DEMO_REPO, DEMO_PULL)
        assert NO_HISTORY_NOTE not in comment["body"], comment["body"]
        assert (workdir / "clones" / DEMO_OWNER / f"{DEMO_REPO}.git").is_dir()
        assert github.git_requests
