"""The App's deliveries with repository clones configured, against the local GitHub serving
the demo repository over git's smart HTTP protocol: the pull_request handler's comment, and
push fetching the clone and learning on it."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from argus.core.predict.adapt import load_adaptation
from argus.core.store.sqlite import SQLiteStore
from argus.github_app.clones import CloneManager
from argus.github_app.dispatch import dispatch
from argus.github_app.events import Event
from argus.github_app.githubkit_adapter import GitHubAppClient
from argus.github_app.handlers.repository_clone import learn_if_due
from argus.github_app.repo_review import RepositoryClones, store_path
from argus.github_app.review_service import NO_HISTORY_NOTE
from argus.github_app.routes import default_dispatcher
from argus.github_app.services import Deps
from argus.github_app.state import AppState
from tests.servers.github_api import (
    DEMO_BASE,
    DEMO_OWNER,
    DEMO_PULL,
    DEMO_REPO,
    GitHubAPIServer,
    demo_pull_request_payload,
    seed_demo,
)

APP_ID = 4243
INSTALLATION = 78


@pytest.fixture
def github(keys: tuple[str, str], demo_repo: Path) -> Iterator[GitHubAPIServer]:
    with GitHubAPIServer(APP_ID, keys[1]) as server:
        seed_demo(server, demo_repo)
        yield server


@pytest.fixture
def state(tmp_path: Path) -> Iterator[AppState]:
    store = SQLiteStore.open(tmp_path / "app.db")
    yield AppState(store)
    store.close()


def deps_for(
    keys: tuple[str, str], github: GitHubAPIServer, state: AppState, clones: CloneManager
) -> Deps:
    app = GitHubAppClient(APP_ID, keys[0], base_url=github.url)
    return Deps(
        dispatcher=default_dispatcher(),
        github_for=lambda installation: app.for_installation(int(installation or 0)),
        state=state,
        clones=RepositoryClones(clones, app.installation_token),
    )


def opened(demo_repo: Path) -> dict:
    return demo_pull_request_payload("opened", demo_repo, INSTALLATION)


def test_the_comment_of_a_review_on_the_clone_has_no_missing_history_note(
    tmp_path: Path, keys: tuple[str, str], github: GitHubAPIServer, state: AppState, demo_repo: Path
) -> None:
    clones = CloneManager(tmp_path / "clones", github.url)
    deps = deps_for(keys, github, state, clones)
    asyncio.run(dispatch(Event("pull_request", opened(demo_repo), "d-1"), deps))
    (comment,) = github.issue_comments(DEMO_OWNER, DEMO_REPO, DEMO_PULL)
    assert NO_HISTORY_NOTE not in comment["body"]
    assert clones.path_of(DEMO_OWNER, DEMO_REPO).is_dir()
    assert github.git_requests


def test_beyond_the_budget_the_comment_says_why_the_history_is_missing(
    tmp_path: Path, keys: tuple[str, str], github: GitHubAPIServer, state: AppState, demo_repo: Path
) -> None:
    clones = CloneManager(tmp_path / "clones", github.url, budget_bytes=1000)
    deps = deps_for(keys, github, state, clones)
    asyncio.run(dispatch(Event("pull_request", opened(demo_repo), "d-1"), deps))
    (comment,) = github.issue_comments(DEMO_OWNER, DEMO_REPO, DEMO_PULL)
    assert NO_HISTORY_NOTE in comment["body"]
    assert "larger than the App's clone budget" in comment["body"]


def test_a_revoked_token_does_not_block_the_review(
    tmp_path: Path, keys: tuple[str, str], github: GitHubAPIServer, state: AppState, demo_repo: Path
) -> None:
    clones = CloneManager(tmp_path / "clones", github.url)
    deps = deps_for(keys, github, state, clones)

    async def revoked(installation: int) -> str:
        return "ghs_revoked"

    deps.clones = RepositoryClones(clones, revoked)
    asyncio.run(dispatch(Event("pull_request", opened(demo_repo), "d-1"), deps))
    (comment,) = github.issue_comments(DEMO_OWNER, DEMO_REPO, DEMO_PULL)
    assert "fetch is retried later" in comment["body"]
    assert "ghs_revoked" not in comment["body"]


def push_payload(demo_repo: Path, ref: str = f"refs/heads/{DEMO_BASE}") -> dict:
    repository = opened(demo_repo)["repository"]
    after = subprocess.run(
        ["git", "-C", str(demo_repo), "rev-parse", DEMO_BASE], capture_output=True, text=True
    ).stdout.strip()
    return {
        "ref": ref,
        "before": "0" * 40,
        "after": after,
        "created": False,
        "deleted": False,
        "forced": False,
        "base_ref": None,
        "compare": f"https://github.com/{DEMO_OWNER}/{DEMO_REPO}/compare/{after}",
        "commits": [],
        "head_commit": None,
        "repository": repository,
        "pusher": {"name": "octocat", "email": "octocat@example.com"},
        "sender": opened(demo_repo)["sender"],
        "installation": {"id": INSTALLATION, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNzg="},
    }


def test_a_push_to_the_default_branch_fetches_the_clone_and_learns_once(
    tmp_path: Path, keys: tuple[str, str], github: GitHubAPIServer, state: AppState, demo_repo: Path
) -> None:
    clones = CloneManager(tmp_path / "clones", github.url)
    deps = deps_for(keys, github, state, clones)
    asyncio.run(dispatch(Event("push", push_payload(demo_repo), "d-push"), deps))
    clone = clones.path_of(DEMO_OWNER, DEMO_REPO)
    marker = clone.parent / f"{DEMO_REPO}.learned"
    assert clone.is_dir() and json.loads(marker.read_text())["commits"] > 0
    with SQLiteStore.open(store_path(clone)) as store:
        synced = store.connection.execute("SELECT commit_count FROM history_sync").fetchall()
        assert synced and synced[0][0] > 0
        load_adaptation(store, repo_root=clone)  # whatever was kept reads back
    # Not due again until LEARN_EVERY more commits.
    assert asyncio.run(learn_if_due(clone)) is None


def test_a_push_to_another_branch_does_not_clone(
    tmp_path: Path, keys: tuple[str, str], github: GitHubAPIServer, state: AppState, demo_repo: Path
) -> None:
    clones = CloneManager(tmp_path / "clones", github.url)
    deps = deps_for(keys, github, state, clones)
    payload = push_payload(demo_repo, ref="refs/heads/feature/bulk-discounts")
    asyncio.run(dispatch(Event("push", payload, "d-push"), deps))
    assert not clones.path_of(DEMO_OWNER, DEMO_REPO).exists()
    assert not github.git_requests


def test_a_clone_whose_history_is_shallow_says_so_once_in_the_footer(
    tmp_path: Path, keys: tuple[str, str], github: GitHubAPIServer, state: AppState, demo_repo: Path
) -> None:
    clones = CloneManager(tmp_path / "clones", github.url)
    deps = deps_for(keys, github, state, clones)
    asyncio.run(dispatch(Event("pull_request", opened(demo_repo), "d-1"), deps))
    clone = clones.path_of(DEMO_OWNER, DEMO_REPO)
    # Cut the clone's history to its newest commit, as a depth-1 fetch would, and drop the
    # history it had read: the next review reads a one-commit history.
    base = subprocess.run(
        ["git", "-C", str(clone), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    (clone / "shallow").write_text(base + "\n")
    store_path(clone).unlink()
    asyncio.run(dispatch(Event("pull_request", opened(demo_repo), "d-2"), deps))
    (comment,) = github.issue_comments(DEMO_OWNER, DEMO_REPO, DEMO_PULL)
    assert comment["body"].count("history is shallow (1 commit)") == 1
    assert "History factors left out: history is shallow (1 commit)" in comment["body"]
    assert NO_HISTORY_NOTE not in comment["body"]
