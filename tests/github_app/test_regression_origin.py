"""A regression test's PR is announced on the pull request that introduced the failing line."""

from __future__ import annotations

import asyncio
import logging
import subprocess
from pathlib import Path

import pytest

from argus.core.predict.findings import GeneratedTest, TestValidation
from argus.github_app.dispatch import run_job
from argus.github_app.githubkit_adapter import GitHubAPIError, GitHubAppClient
from argus.github_app.handlers.regression_job import REGRESSION_KIND, regression_payload
from argus.github_app.handlers.regression_origin import introducing_pull_request, origin_marker
from argus.github_app.jobs import Job
from argus.github_app.state import AppState
from tests.github_app.test_adapter import (  # noqa: F401 - fixtures of the adapter tests
    INSTALLATION,
    OWNER,
    REPO,
    Sleeps,
    anyio_backend,
    client,
    server,
    sleeps,
)
from tests.servers.github_api import DEMO_BASE, DEMO_HEAD, DEMO_PULL, GitHubAPIServer

INTRODUCED = "3f1c0d6e2b7a4c5d8e9f00112233445566778899"
TEST = GeneratedTest(
    "app/pay.py",
    "charge",
    "python",
    "pytest",
    "tests/test_charge_regression.py",
    "def test_charge():\n    assert True\n",
    "regression_test",
    TestValidation(runs=3, passed_runs=3, fails_before=True, before="a1b2c3d4e5f6a7b8"),
    pattern_id="p-7",
)
ORIGIN = {
    "commit": INTRODUCED,
    "path": "app/pay.py",
    "line": 12,
    "function": "charge",
    "deployed": "a1b2c3d4e5f6a7b8",
    "error": "KeyError: 'sku' ```@here```",
    "occurrences": 1234,
    "pattern_id": "p-7",
}


def job(origin: dict | None = ORIGIN) -> Job:
    payload = regression_payload(1, "octo/shop", TEST, base="main", origin=origin)
    return Job("1", REGRESSION_KIND, payload, 1, "regression-1")


@pytest.fixture
def installed(state: AppState) -> AppState:
    state.record_installation(1, "octo")
    state.add_repositories(1, ["octo/shop"], enabled=1)
    return state


def origin_comments(github) -> list[dict]:
    return [c for c in github.comments.values() if origin_marker("p-7") in c["body"]]


def test_the_pull_request_that_introduced_the_line_hears_of_the_error_and_the_test(
    github, deps, installed
):
    github.commit_pulls[INTRODUCED] = [
        {"number": 41, "state": "open", "merged_at": None},
        {"number": 40, "state": "closed", "merged_at": "2026-10-01T09:00:00Z"},
    ]
    asyncio.run(run_job(job(), deps))

    (test_pull,) = github.pulls
    (comment,) = origin_comments(github)
    assert comment["number"] == 40  # the merged pull request, not the open one
    body = comment["body"]
    assert "`app/pay.py` line 12 (`charge`)" in body
    assert f"commit {INTRODUCED[:12]}" in body
    assert "**1,234 times**" in body
    # The production message sits in a code block it cannot break out of.
    assert "```\nKeyError: 'sku' '''@here'''\n```" in body
    assert f"#{test_pull['number']}" in body and "a1b2c3d4e5f6" in body
    assert ("list_commit_pull_requests", {"commit_sha": INTRODUCED}) in github.calls

    # A redelivery of the job does not say it twice.
    asyncio.run(run_job(job(), deps))
    assert len(origin_comments(github)) == 1


def test_no_pull_request_for_the_commit_means_no_comment(github, deps, installed, caplog):
    with caplog.at_level(logging.INFO, logger="argus.github_app"):
        asyncio.run(run_job(job(), deps))
    assert len(github.pulls) == 1
    assert origin_comments(github) == []
    assert f"no pull request introduced commit {INTRODUCED}" in caplog.text


def test_without_an_origin_only_the_test_pr_is_opened(github, deps, installed):
    asyncio.run(run_job(job(origin=None), deps))
    assert len(github.pulls) == 1
    assert "list_commit_pull_requests" not in github.names()


def test_a_failing_lookup_never_fails_the_job_that_opened_the_test_pr(
    github, deps, installed, caplog
):
    async def refused(owner, repo, commit_sha):
        raise GitHubAPIError("No commit found for SHA", status=422)

    github.list_commit_pull_requests = refused
    with caplog.at_level(logging.WARNING, logger="argus.github_app"):
        asyncio.run(run_job(job(), deps))  # no exception: a retry would open the PR again
    assert len(github.pulls) == 1
    assert "could not comment on the pull request that introduced the line" in caplog.text


def test_the_test_pr_itself_is_never_the_introducing_one():
    pulls = [{"number": 9, "merged_at": None}]
    assert introducing_pull_request(pulls, exclude=9) is None
    assert introducing_pull_request(pulls)["number"] == 9


# --- the adapter against the local GitHub API --------------------------------------------------


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.mark.anyio
async def test_the_adapter_lists_the_pull_requests_of_a_commit(
    client: GitHubAppClient,  # noqa: F811
    server: GitHubAPIServer,  # noqa: F811
    demo_repo: Path,  # noqa: F811
    sleeps: Sleeps,  # noqa: F811
) -> None:
    adapter = client.for_installation(INSTALLATION)
    on_main = git(demo_repo, "rev-parse", f"{DEMO_BASE}~1")
    server.add_merged_pull_request(OWNER, REPO, 5, [on_main], author="dana")
    (merged,) = await adapter.list_commit_pull_requests(OWNER, REPO, on_main)
    assert (merged["number"], merged["user"]["login"]) == (5, "dana")
    assert merged["merged_at"] and merged["html_url"].endswith(f"/{REPO}/pull/5")
    (listing,) = server.requests_to("GET", "/pulls$")
    assert listing.path == f"/repos/{OWNER}/{REPO}/commits/{on_main}/pulls"

    # A commit only on the open pull request's branch: that pull request, open.
    on_branch = git(demo_repo, "rev-parse", DEMO_HEAD)
    (open_pull,) = await adapter.list_commit_pull_requests(OWNER, REPO, on_branch)
    assert (open_pull["number"], open_pull["state"]) == (DEMO_PULL, "open")

    with pytest.raises(GitHubAPIError) as refused:
        await adapter.list_commit_pull_requests(OWNER, REPO, "0" * 40)
    assert refused.value.status == 422 and sleeps.waits == []
