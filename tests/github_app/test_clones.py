"""The App's clones against the local GitHub serving the demo repository over git's smart HTTP
protocol (git http-backend), with the installation token checked."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from argus.core.report.json_report import DIGITS
from argus.github_app.clones import CloneManager
from argus.github_app.config import RepoConfig
from argus.github_app.githubkit_adapter import GitHubAppClient
from argus.github_app.repo_review import RepositoryClones, review_with_history
from argus.github_app.review_service import NO_HISTORY_NOTE, PullRequestRef, shipped_model
from tests.servers.github_api import (
    DEMO_BASE,
    DEMO_HEAD,
    DEMO_OWNER,
    DEMO_PULL,
    DEMO_REPO,
    GitHubAPIServer,
    seed_demo,
)

APP_ID = 4242
INSTALLATION = 77
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def github(keys: tuple[str, str], demo_repo: Path) -> Iterator[GitHubAPIServer]:
    with GitHubAPIServer(APP_ID, keys[1]) as server:
        seed_demo(server, demo_repo)
        yield server


@pytest.fixture
def app(keys: tuple[str, str], github: GitHubAPIServer) -> GitHubAppClient:
    return GitHubAppClient(APP_ID, keys[0], base_url=github.url)


def token(app: GitHubAppClient) -> str:
    return asyncio.run(app.installation_token(INSTALLATION))


def rev(repo: Path, ref: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "rev-parse", ref], capture_output=True, text=True, check=True
    ).stdout.strip()


def demo_ref(demo_repo: Path) -> PullRequestRef:
    return PullRequestRef(
        DEMO_OWNER, DEMO_REPO, DEMO_PULL, rev(demo_repo, DEMO_BASE), rev(demo_repo, DEMO_HEAD)
    )


def test_a_blobless_bare_clone_with_the_token_out_of_url_config_and_argv(
    tmp_path: Path, github: GitHubAPIServer, app: GitHubAppClient, demo_repo: Path
) -> None:
    clones = CloneManager(tmp_path / "clones", github.url)
    secret = token(app)
    answer = clones.ensure(DEMO_OWNER, DEMO_REPO, secret, (rev(demo_repo, DEMO_HEAD),))
    assert answer.path is not None and answer.cloned and answer.reason is None
    git = ["git", "-C", str(answer.path)]
    config = subprocess.run([*git, "config", "--list", "--local"], capture_output=True, text=True)
    assert "partialclonefilter=blob:none" in config.stdout
    assert "bare=true" in config.stdout
    assert secret not in config.stdout and "extraheader" not in config.stdout.lower()
    assert secret not in "".join(
        p.read_text("latin-1") for p in answer.path.rglob("*") if p.is_file()
    )
    assert rev(answer.path, DEMO_HEAD) == rev(demo_repo, DEMO_HEAD)
    # Every git request carried the token as Basic auth (the stand-in answers 401 otherwise).
    assert github.git_requests and all(
        headers.get("Authorization", "").startswith("Basic ")
        for _, _, headers, _ in github.git_requests
    )
    # A partial clone indeed: the blobs came in a fetch of their own, after the clone.
    bodies = [body for _, _, _, body in github.git_requests]
    assert sum(b"filter blob:none" in body for body in bodies) >= 2
    # The next delivery fetches incrementally instead of cloning again.
    again = clones.ensure(DEMO_OWNER, DEMO_REPO, secret)
    assert again.path == answer.path and not again.cloned


def test_git_without_the_token_gets_401(
    tmp_path: Path, github: GitHubAPIServer, demo_repo: Path
) -> None:
    done = subprocess.run(
        ["git", "ls-remote", f"{github.url}/{DEMO_OWNER}/{DEMO_REPO}.git"],
        capture_output=True,
        text=True,
        env={"GIT_TERMINAL_PROMPT": "0", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert done.returncode != 0
    assert (
        "401" in done.stderr
        or "Authentication failed" in done.stderr
        or "could not read" in done.stderr
    )


def test_a_revoked_token_falls_back_and_retries_later(
    tmp_path: Path, github: GitHubAPIServer, app: GitHubAppClient
) -> None:
    clones = CloneManager(tmp_path / "clones", github.url, retry_after=3600)
    answer = clones.ensure(DEMO_OWNER, DEMO_REPO, "ghs_revoked")
    assert answer.path is None and "retried later" in (answer.reason or "")
    assert "ghs_revoked" not in (answer.reason or "")
    # Within retry_after no fetch is attempted: the review goes on from the API.
    before = len(github.git_requests)
    assert clones.ensure(DEMO_OWNER, DEMO_REPO, token(app)).path is None
    assert len(github.git_requests) == before
    # Later (retry_after elapsed) the fetch is tried again and works.
    clones.retry_after = 0
    assert clones.ensure(DEMO_OWNER, DEMO_REPO, token(app)).path is not None


def test_a_corrupt_clone_is_cloned_again(
    tmp_path: Path, github: GitHubAPIServer, app: GitHubAppClient
) -> None:
    clones = CloneManager(tmp_path / "clones", github.url)
    first = clones.ensure(DEMO_OWNER, DEMO_REPO, token(app))
    assert first.path is not None
    (first.path / "HEAD").write_text("garbage\n")
    for pack in (first.path / "objects" / "pack").glob("*.pack"):
        pack.write_bytes(b"not a pack")
    second = clones.ensure(DEMO_OWNER, DEMO_REPO, token(app))
    assert second.path == first.path and second.cloned


def test_a_repository_beyond_the_budget_is_not_kept(
    tmp_path: Path, github: GitHubAPIServer, app: GitHubAppClient
) -> None:
    clones = CloneManager(tmp_path / "clones", github.url, budget_bytes=1000)
    answer = clones.ensure(DEMO_OWNER, DEMO_REPO, token(app))
    assert answer.path is None and "larger than the App's clone budget" in (answer.reason or "")
    assert not clones.path_of(DEMO_OWNER, DEMO_REPO).exists()


def test_least_recently_used_clones_are_evicted(
    tmp_path: Path, github: GitHubAPIServer, app: GitHubAppClient, demo_repo: Path
) -> None:
    github.add_repository(DEMO_OWNER, "orders-copy", demo_repo, default_branch=DEMO_BASE)
    probe = CloneManager(tmp_path / "probe", github.url)
    one = probe.ensure(DEMO_OWNER, DEMO_REPO, token(app))
    assert one.path is not None
    size = probe.usage()
    clones = CloneManager(tmp_path / "clones", github.url, budget_bytes=int(size * 1.5))
    first = clones.ensure(DEMO_OWNER, DEMO_REPO, token(app))
    second = clones.ensure(DEMO_OWNER, "orders-copy", token(app))
    assert first.path is not None and second.path is not None
    assert not first.path.exists() and second.path.exists()
    assert clones.usage() <= clones.budget_bytes


def test_the_app_review_on_the_clone_equals_argus_review(
    tmp_path: Path, github: GitHubAPIServer, app: GitHubAppClient, demo_repo: Path
) -> None:
    ref = demo_ref(demo_repo)
    repositories = RepositoryClones(
        CloneManager(tmp_path / "clones", github.url), app.installation_token
    )
    port = app.for_installation(INSTALLATION)
    found = asyncio.run(
        review_with_history(
            port, ref, RepoConfig(), shipped_model(), [], repositories, INSTALLATION, DEMO_BASE
        )
    )
    assert found.history_note is None, found.review.warnings
    # `argus review` on a clone of the same commits (checked out at the base).
    checkout = tmp_path / "checkout"
    subprocess.run(["git", "clone", "-q", str(demo_repo), str(checkout)], check=True)
    subprocess.run(["git", "-C", str(checkout), "checkout", "-q", ref.base_sha], check=True)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "argus",
            "review",
            "--repo",
            str(checkout),
            "--base",
            ref.base_sha,
            "--head",
            ref.head_sha,
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    cli = json.loads(done.stdout)

    # The JSON report holds probabilities rounded to DIGITS places: the App's are rounded the
    # same way first, so a value such as 0.17504 (0.175 in the JSON) is not split by rounding.
    def two_places(value: float) -> float:
        return round(round(value, DIGITS), 2)

    assert two_places(found.review.probability) == round(cli["summary"]["probability"], 2)
    # The overall risk of this PR saturates: its functions' risks tell the history apart.
    app_symbols = {(s.path, s.name): two_places(s.probability) for s in found.review.symbols}
    cli_symbols = {(s["path"], s["name"]): round(s["probability"], 2) for s in cli["symbols"]}
    assert app_symbols == cli_symbols
    # Without the clone the same functions score otherwise: the history weighed in.
    api_only = asyncio.run(
        review_with_history(port, ref, RepoConfig(), shipped_model(), [], None, INSTALLATION)
    )
    assert api_only.history_note is not None and api_only.history_note.startswith(NO_HISTORY_NOTE)
    api_symbols = {(s.path, s.name): round(s.probability, 2) for s in api_only.review.symbols}
    assert api_symbols.keys() == app_symbols.keys() and api_symbols != app_symbols


def test_beyond_the_budget_the_app_reviews_from_the_api_and_says_why(
    tmp_path: Path, github: GitHubAPIServer, app: GitHubAppClient, demo_repo: Path
) -> None:
    repositories = RepositoryClones(
        CloneManager(tmp_path / "clones", github.url, budget_bytes=1000), app.installation_token
    )
    found = asyncio.run(
        review_with_history(
            app.for_installation(INSTALLATION),
            demo_ref(demo_repo),
            RepoConfig(),
            shipped_model(),
            [],
            repositories,
            INSTALLATION,
        )
    )
    assert found.history_note is not None
    assert "larger than the App's clone budget" in found.history_note


def test_a_force_push_moves_the_branch_and_a_vanished_commit_only_skips_that_review(
    tmp_path: Path, github: GitHubAPIServer, app: GitHubAppClient, demo_repo: Path
) -> None:
    served = tmp_path / "served"
    subprocess.run(["git", "clone", "-q", "--mirror", str(demo_repo), str(served)], check=True)
    github.add_repository(DEMO_OWNER, "rewritten", served, default_branch=DEMO_BASE)
    clones = CloneManager(tmp_path / "clones", github.url)
    first = clones.ensure(DEMO_OWNER, "rewritten", token(app), (), DEMO_BASE)
    assert first.path is not None
    # History rewritten on the server: main moves back one commit (a force-push).
    subprocess.run(
        ["git", "-C", str(served), "update-ref", f"refs/heads/{DEMO_BASE}", f"{DEMO_BASE}~1"],
        check=True,
    )
    second = clones.ensure(DEMO_OWNER, "rewritten", token(app), (), DEMO_BASE)
    assert second.path == first.path
    assert rev(second.path, DEMO_BASE) == rev(served, DEMO_BASE)
    # A commit no longer on the server: this review goes without the clone, the next does not wait.
    gone = clones.ensure(DEMO_OWNER, "rewritten", token(app), ("1" * 40,), DEMO_BASE)
    assert gone.path is None and "could not be fetched" in (gone.reason or "")
    assert clones.ensure(DEMO_OWNER, "rewritten", token(app), (), DEMO_BASE).path is not None


def test_several_workers_one_clone(
    tmp_path: Path, github: GitHubAPIServer, app: GitHubAppClient
) -> None:
    # Each worker process runs its own manager on the same directory: the lock file is shared.
    secret = token(app)
    script = (
        "import sys; from pathlib import Path; from argus.github_app.clones import CloneManager; "
        "a = CloneManager(Path(sys.argv[1]), sys.argv[2]).ensure(sys.argv[3], sys.argv[4], "
        "sys.argv[5]); print(a.path is not None, a.cloned)"
    )
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                script,
                str(tmp_path / "clones"),
                github.url,
                DEMO_OWNER,
                DEMO_REPO,
                secret,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    answers = sorted(worker.communicate(timeout=120)[0].strip() for worker in workers)
    assert answers == ["True False", "True False", "True True"]


def test_production_errors_filed_for_the_repository_weigh_in(
    tmp_path: Path, github: GitHubAPIServer, app: GitHubAppClient, demo_repo: Path
) -> None:
    ref = demo_ref(demo_repo)
    asked: list[str] = []

    def errors_for(full_name: str) -> list[tuple[str, str, int]]:
        asked.append(full_name)
        return [("orders/service.py", "place_bulk_order", 9)]

    clones = CloneManager(tmp_path / "clones", github.url)
    port = app.for_installation(INSTALLATION)

    def review(errors: object) -> dict:
        repositories = RepositoryClones(clones, app.installation_token, errors)  # type: ignore[arg-type]
        found = asyncio.run(
            review_with_history(
                port, ref, RepoConfig(), shipped_model(), [], repositories, INSTALLATION, DEMO_BASE
            )
        )
        return {s.name: s for s in found.review.symbols}

    plain, with_errors = review(None), review(errors_for)
    assert asked == [f"{DEMO_OWNER}/{DEMO_REPO}"]
    name = "OrderService.place_bulk_order"
    assert "production_errors" in {f.name for f in with_errors[name].factors}
    assert "production_errors" not in {f.name for f in plain[name].factors}


def test_a_slow_first_clone_goes_on_in_the_background(
    tmp_path: Path, github: GitHubAPIServer, app: GitHubAppClient, demo_repo: Path
) -> None:
    ref = demo_ref(demo_repo)
    clones = CloneManager(tmp_path / "clones", github.url)
    repositories = RepositoryClones(clones, app.installation_token, wait_seconds=0.001)
    port = app.for_installation(INSTALLATION)

    async def two_reviews() -> tuple[object, object]:
        first = await review_with_history(
            port, ref, RepoConfig(), shipped_model(), [], repositories, INSTALLATION, DEMO_BASE
        )
        for _ in range(600):  # the clone finishes meanwhile, in its thread
            if (clones.path_of(DEMO_OWNER, DEMO_REPO) / "HEAD").exists():
                break
            await asyncio.sleep(0.1)
        repositories.wait_seconds = 120
        second = await review_with_history(
            port, ref, RepoConfig(), shipped_model(), [], repositories, INSTALLATION, DEMO_BASE
        )
        return first, second

    first, second = asyncio.run(two_reviews())
    assert "still being fetched" in (first.history_note or "")  # type: ignore[attr-defined]
    assert second.history_note is None  # type: ignore[attr-defined]


def test_a_raised_budget_lets_a_large_repository_in(
    tmp_path: Path, github: GitHubAPIServer, app: GitHubAppClient
) -> None:
    clones = CloneManager(tmp_path / "clones", github.url, budget_bytes=1000)
    assert clones.ensure(DEMO_OWNER, DEMO_REPO, token(app)).path is None
    clones.budget_bytes = 10**9
    assert clones.ensure(DEMO_OWNER, DEMO_REPO, token(app)).path is not None
