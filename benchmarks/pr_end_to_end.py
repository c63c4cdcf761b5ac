"""PR review end to end: from a delivery received to the comment and check run posted.

Everything is real except GitHub, which is the local GitHub API server of
``tests/servers/github_api.py`` (loopback HTTP, the demo repository as acme/orders, PR #7 from
``feature/bulk-discounts`` into ``main``, so the diff and file contents come from git). The App
runs as the embedded default does (``argus.github_app.worker.create_served_app``: the webhook
endpoint, the SQLite queue and the worker in one uvicorn process, here in a thread of this
process). Test generation is off (no ``generate_tests`` service is configured).

Each run posts a signed ``pull_request.opened`` delivery (a fresh delivery id, and a fresh PR
number so every run creates its comment rather than updating one) and measures the time from
sending it until the local server has both the completed check run and the comment. The first
run (imports, model load) is reported separately and not counted in the median.

    .venv/bin/python benchmarks/pr_end_to_end.py [--runs 7] [--clones]

With ``--clones`` the App reviews on its clone of the repository (``ARGUS_GITHUB_CLONES``,
issue 19), served by the local GitHub over git's smart HTTP protocol: first a cold clone alone
is timed (``CloneManager.ensure`` in an empty directory: the blobless clone and the blobs the
history reads), then the first run clones again and syncs the history (cold), the others fetch
and review on the warm clone.

Prints each run and last the median. Target (issue 5): <= 5 s without test generation.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from argus.github_app.settings import AppSettings  # noqa: E402
from tests.e2e.test_github_app_e2e import ServedApp  # noqa: E402
from tests.servers.github_api import (  # noqa: E402
    DEMO_BASE,
    DEMO_HEAD,
    DEMO_OWNER,
    DEMO_REPO,
    GitHubAPIServer,
    build_demo_repo,
    demo_pull_request_payload,
    rsa_key_pair,
    signed_headers,
)

SECRET = "benchmark-secret"
APP_ID = 9
INSTALLATION = 3


def one_run(served: ServedApp, github: GitHubAPIServer, repo: Path, number: int) -> float:
    github.add_pull_request(DEMO_OWNER, DEMO_REPO, number, base=DEMO_BASE, head=DEMO_HEAD)
    payload = demo_pull_request_payload("opened", repo, INSTALLATION)
    payload["number"] = payload["pull_request"]["number"] = number
    body = json.dumps(payload).encode("utf-8")
    headers = signed_headers(SECRET, body, "pull_request", str(uuid.uuid4()))
    runs_before = len(github.check_runs)
    started = time.perf_counter()
    answer = httpx.post(f"{served.url}/webhooks/github", content=body, headers=headers)
    if answer.status_code != 202:
        raise SystemExit(f"delivery refused: {answer.status_code} {answer.text}")
    deadline = started + 120
    while time.perf_counter() < deadline:
        comments = github.issue_comments(DEMO_OWNER, DEMO_REPO, number)
        runs = list(github.check_runs.values())[runs_before:]
        if comments and runs and runs[-1]["status"] == "completed":
            return time.perf_counter() - started
        time.sleep(0.005)
    raise SystemExit(f"run for PR #{number} did not finish in 120 s")


def review_last_commit(
    github: GitHubAPIServer, private: str, clones: object, name: str, repo: Path
) -> None:
    """Review ``repo``'s last commit as a pull request on the clone: the first review syncs
    the history into the clone's store (cold), the second finds it there (warm)."""
    import asyncio

    from argus.github_app.config import RepoConfig
    from argus.github_app.githubkit_adapter import GitHubAppClient
    from argus.github_app.repo_review import RepositoryClones, review_with_history
    from argus.github_app.review_service import PullRequestRef, shipped_model

    def rev(ref: str) -> str:
        return subprocess.run(
            ["git", "-C", str(repo), "rev-parse", ref], capture_output=True, text=True, check=True
        ).stdout.strip()

    base, head = rev("HEAD~1"), rev("HEAD")
    github.add_pull_request(DEMO_OWNER, name, 1, base=base, head=head)
    client = GitHubAppClient(APP_ID, private, base_url=github.url)
    repositories = RepositoryClones(clones, client.installation_token)  # type: ignore[arg-type]
    ref = PullRequestRef(DEMO_OWNER, name, 1, base, head)
    for label in ("cold (history sync)", "warm"):
        started = time.perf_counter()
        found = asyncio.run(
            review_with_history(
                client.for_installation(INSTALLATION),
                ref,
                RepoConfig(),
                shipped_model(),
                [],
                repositories,
                INSTALLATION,
            )
        )
        seconds = time.perf_counter() - started
        note = "with history" if found.history_note is None else found.history_note
        print(f"review of its last commit on the clone, {label}: {seconds:.2f} s ({note})")


def cold_clone(
    github: GitHubAPIServer, private: str, work: Path, other: Path | None = None
) -> None:
    """Time one cold clone alone (a directory of its own), as the App makes it, then a warm
    fetch of it; ``other`` (a git repository) is cloned instead of the demo."""
    import asyncio

    from argus.github_app.clones import CloneManager
    from argus.github_app.githubkit_adapter import GitHubAppClient

    token = asyncio.run(
        GitHubAppClient(APP_ID, private, base_url=github.url).installation_token(INSTALLATION)
    )
    clones = CloneManager(work / "cold-clone", github.url)
    name, branch = DEMO_REPO, DEMO_BASE
    if other is not None:
        name = f"bench-{other.name}"
        github.add_repository(DEMO_OWNER, name, other)
        branch = None
    started = time.perf_counter()
    answer = clones.ensure(DEMO_OWNER, name, token, (), branch)
    seconds = time.perf_counter() - started
    if answer.path is None:
        raise SystemExit(f"cold clone failed: {answer.reason}")
    commits = subprocess.run(
        ["git", "-C", str(answer.path), "rev-list", "--count", "HEAD"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    print(f"{name}: {commits} commits")
    if other is not None:
        review_last_commit(github, private, clones, name, other)
    started = time.perf_counter()
    clones.ensure(DEMO_OWNER, name, token, (), branch)
    print(f"warm fetch (nothing new): {time.perf_counter() - started:.2f} s")
    print(
        f"cold clone alone (blobless clone + the history's blobs): {seconds:.2f} s, "
        f"{clones.usage() / 1024:.0f} KiB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--clones", action="store_true", help="review on the App's clone")
    parser.add_argument(
        "--clone-repo", type=Path, help="with --clones: time the cold clone of this repository"
    )
    arguments = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="argus-pr-e2e-"))
    repo = build_demo_repo(work / "orders")
    private, public = rsa_key_pair()
    with GitHubAPIServer(APP_ID, public) as github:
        github.add_repository(DEMO_OWNER, DEMO_REPO, repo, default_branch=DEMO_BASE)
        if arguments.clones:
            cold_clone(github, private, work, arguments.clone_repo)
            os.environ["ARGUS_GITHUB_CLONES"] = str(work / "clones")
            os.environ["ARGUS_GITHUB_GIT_URL"] = github.url
        settings = AppSettings(
            APP_ID, private, SECRET, api_url=github.url, database_url=f"sqlite:///{work}/app.db"
        )
        with ServedApp(settings, poll_seconds=0.5) as served:
            first = one_run(served, github, repo, 100)
            cold = "imports, model load" + (", clone, history sync" if arguments.clones else "")
            print(f"first run (cold: {cold}): {first:.2f} s")
            times = []
            for index in range(arguments.runs):
                seconds = one_run(served, github, repo, 101 + index)
                times.append(seconds)
                print(f"run {index + 1}: {seconds:.2f} s", flush=True)
    calls = len(github.requests) / (arguments.runs + 1)
    print(
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; "
        f"{calls:.0f} GitHub API calls per run; test generation off; "
        + ("reviewed on the App's clone" if arguments.clones else "API-only review (no clone)")
    )
    print(
        f"median delivery -> comment and completed check run: {statistics.median(times):.2f} s "
        f"over {arguments.runs} runs (min {min(times):.2f}, max {max(times):.2f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
