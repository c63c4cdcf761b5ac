"""The githubkit adapter against the local GitHub API server (real HTTP, real git contents)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from argus.github_app.githubkit_adapter import (
    GitHubAPIError,
    GitHubAppClient,
    endpoint_label,
    next_page_url,
)
from argus.github_app.metrics import AppMetrics
from tests.servers.github_api import (
    DEMO_BASE,
    DEMO_HEAD,
    DEMO_OWNER,
    DEMO_PULL,
    DEMO_REPO,
    GitHubAPIServer,
    rsa_key_pair,
    seed_demo,
)

APP_ID = 4242
INSTALLATION = 77
OWNER, REPO, N = DEMO_OWNER, DEMO_REPO, DEMO_PULL

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def server(keys: tuple[str, str], demo_repo: Path) -> Iterator[GitHubAPIServer]:
    with GitHubAPIServer(APP_ID, keys[1]) as running:
        seed_demo(running, demo_repo)
        yield running


class Sleeps:
    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(server: GitHubAPIServer, keys: tuple[str, str], sleeps: Sleeps) -> GitHubAppClient:
    return GitHubAppClient(APP_ID, keys[0], base_url=server.url, sleep=sleeps, metrics=AppMetrics())


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


async def test_the_installation_token_is_requested_once_and_reused(
    client: GitHubAppClient, server: GitHubAPIServer
) -> None:
    first = client.for_installation(INSTALLATION)
    await first.get_pull_request_diff(OWNER, REPO, N)
    await first.list_pull_request_files(OWNER, REPO, N)
    second = client.for_installation(INSTALLATION)  # a new job, same installation
    await second.get_file(OWNER, REPO, "README.md", DEMO_BASE)
    grants = server.requests_to("POST", r"^/app/installations/\d+/access_tokens$")
    assert len(grants) == 1
    assert grants[0].path == f"/app/installations/{INSTALLATION}/access_tokens"
    token_calls = {r.header("authorization") or "" for r in server.requests if "/repos/" in r.path}
    assert len(token_calls) == 1 and next(iter(token_calls)).startswith("token ghs_")


async def test_a_token_near_expiry_is_renewed(
    keys: tuple[str, str], demo_repo: Path, sleeps: Sleeps
) -> None:
    # githubkit keeps a token until one minute before expires_at: a 50 s token is never reused.
    with GitHubAPIServer(APP_ID, keys[1], token_lifetime=50) as short:
        seed_demo(short, demo_repo)
        client = GitHubAppClient(APP_ID, keys[0], base_url=short.url, sleep=sleeps)
        adapter = client.for_installation(INSTALLATION + 1)
        await adapter.get_pull_request_diff(OWNER, REPO, N)
        await adapter.get_pull_request_diff(OWNER, REPO, N)
        assert len(short.requests_to("POST", "access_tokens")) == 2


async def test_a_jwt_from_another_key_gets_no_token(
    server: GitHubAPIServer, sleeps: Sleeps
) -> None:
    other_private, _ = rsa_key_pair()
    client = GitHubAppClient(APP_ID, other_private, base_url=server.url, sleep=sleeps)
    with pytest.raises(GitHubAPIError):
        await client.for_installation(INSTALLATION + 2).get_pull_request_diff(OWNER, REPO, N)
    assert server.requests_to("POST", "access_tokens")
    assert not server.requests_to("GET", "/pulls/")


async def test_diff_files_and_contents_come_from_the_repository(
    client: GitHubAppClient, server: GitHubAPIServer, demo_repo: Path
) -> None:
    adapter = client.for_installation(INSTALLATION)
    diff = await adapter.get_pull_request_diff(OWNER, REPO, N)
    assert diff == git(demo_repo, "diff", f"{DEMO_BASE}...{DEMO_HEAD}")
    assert diff.startswith("diff --git ")
    accept = server.requests_to("GET", f"/pulls/{N}$")[0].header("accept")
    assert accept == "application/vnd.github.diff"

    files = await adapter.list_pull_request_files(OWNER, REPO, N)
    names = git(demo_repo, "diff", "--name-only", f"{DEMO_BASE}...{DEMO_HEAD}").split()
    assert [f["filename"] for f in files] == names
    path = names[0]
    content = await adapter.get_file(OWNER, REPO, path, DEMO_HEAD)
    assert (
        content
        == subprocess.run(
            ["git", "-C", str(demo_repo), "show", f"{DEMO_HEAD}:{path}"],
            check=True,
            capture_output=True,
        ).stdout
    )
    assert await adapter.get_file(OWNER, REPO, "no/such/file.py", DEMO_BASE) is None
    assert await adapter.get_file(OWNER, REPO, ".argus.yml", DEMO_BASE) is None


async def test_files_and_comments_follow_every_page(
    client: GitHubAppClient, server: GitHubAPIServer
) -> None:
    adapter = client.for_installation(INSTALLATION)
    for index in range(205):
        await adapter.create_comment(OWNER, REPO, N, f"comment {index}")
    await adapter.create_comment(OWNER, REPO, N, "<!-- argus:report --> the report")
    found = await adapter.find_comment(OWNER, REPO, N, "<!-- argus:report -->")
    assert found is not None and found["body"].endswith("the report")
    pages = server.requests_to("GET", f"/issues/{N}/comments$")
    assert len(pages) == 3  # 100 + 100 + 6
    assert await adapter.find_comment(OWNER, REPO, N, "<!-- absent -->") is None


async def test_only_the_apps_comments_and_reviews_carry_its_markers(
    client: GitHubAppClient, server: GitHubAPIServer
) -> None:
    adapter = client.for_installation(INSTALLATION)
    person = server.add_person_comment(OWNER, REPO, N, "pasted: <!-- argus:report -->")
    assert await adapter.find_comment(OWNER, REPO, N, "<!-- argus:report -->") is None
    with pytest.raises(GitHubAPIError) as refused:  # GitHub: an App edits only its own comments
        await adapter.update_comment(OWNER, REPO, person["id"], "hijacked")
    assert refused.value.status == 403
    ours = await adapter.create_comment(OWNER, REPO, N, "<!-- argus:report --> the report")
    found = await adapter.find_comment(OWNER, REPO, N, "<!-- argus:report -->")
    assert found is not None and found["id"] == ours["id"]
    server.add_person_review(OWNER, REPO, N, "a person's review")
    (review,) = await adapter.list_reviews(OWNER, REPO, N)
    assert review["user"]["type"] == "User"  # what reporting.post_review_comments skips
    assert server.response_violations == []


async def test_comment_update_reaction_and_permission(
    client: GitHubAppClient, server: GitHubAPIServer
) -> None:
    adapter = client.for_installation(INSTALLATION)
    created = await adapter.create_comment(OWNER, REPO, N, "first")
    updated = await adapter.update_comment(OWNER, REPO, created["id"], "second")
    assert updated["id"] == created["id"] and updated["body"] == "second"
    assert [c["body"] for c in server.issue_comments(OWNER, REPO, N)] == ["second"]
    await adapter.add_reaction(OWNER, REPO, created["id"], "eyes")
    assert server.reactions[-1]["content"] == "eyes"
    server.set_permission(OWNER, REPO, "alice", "maintain")
    server.set_permission(OWNER, REPO, "bob", "read")
    assert await adapter.collaborator_permission(OWNER, REPO, "alice") == "maintain"
    assert await adapter.collaborator_permission(OWNER, REPO, "bob") == "read"
    assert await adapter.collaborator_permission(OWNER, REPO, "mallory") == "none"


async def test_check_run_created_and_completed_with_annotations(
    client: GitHubAppClient, server: GitHubAPIServer, demo_repo: Path
) -> None:
    adapter = client.for_installation(INSTALLATION)
    head_sha = git(demo_repo, "rev-parse", DEMO_HEAD).strip()
    run = await adapter.create_check_run(
        OWNER, REPO, name="Argus", head_sha=head_sha, status="in_progress"
    )
    annotation = {
        "path": "orders/pricing.py",
        "start_line": 3,
        "end_line": 3,
        "annotation_level": "warning",
        "message": "risky",
    }
    done = await adapter.update_check_run(
        OWNER,
        REPO,
        run["id"],
        status="completed",
        conclusion="neutral",
        output={"title": "Argus", "summary": "ok", "annotations": [annotation] * 50},
    )
    assert done["status"] == "completed" and done["conclusion"] == "neutral"
    assert done["output"]["annotations_count"] == 50
    with pytest.raises(GitHubAPIError) as error:
        await adapter.update_check_run(
            OWNER,
            REPO,
            run["id"],
            output={"title": "t", "summary": "s", "annotations": [annotation] * 51},
        )
    assert error.value.status == 422


async def test_secondary_rate_limit_waits_retry_after_and_is_counted(
    client: GitHubAppClient, server: GitHubAPIServer, sleeps: Sleeps
) -> None:
    server.secondary_rate_limit_next("POST", r"/issues/\d+/comments$", retry_after=7)
    comment = await client.for_installation(INSTALLATION).create_comment(OWNER, REPO, N, "hello")
    assert comment["body"] == "hello"
    assert sleeps.waits == [7.0]
    assert len(server.requests_to("POST", r"/issues/\d+/comments$")) == 2
    assert len(server.issue_comments(OWNER, REPO, N)) == 1
    assert client.metrics.value("argus_github_rate_limit_waits_total", kind="secondary") == 1
    assert client.metrics.value("argus_github_rate_limit_wait_seconds_total") == 7


async def test_primary_rate_limit_waits_until_the_reset(
    client: GitHubAppClient, server: GitHubAPIServer, sleeps: Sleeps
) -> None:
    server.primary_rate_limit_next("GET", r"/pulls/\d+$", reset_in=30)
    await client.for_installation(INSTALLATION).get_pull_request_diff(OWNER, REPO, N)
    assert len(sleeps.waits) == 1 and 25 <= sleeps.waits[0] <= 31
    assert client.metrics.value("argus_github_rate_limit_waits_total", kind="primary") == 1


async def test_a_wait_longer_than_allowed_fails_at_once(
    server: GitHubAPIServer, keys: tuple[str, str], sleeps: Sleeps
) -> None:
    client = GitHubAppClient(APP_ID, keys[0], base_url=server.url, sleep=sleeps, max_wait=60)
    server.primary_rate_limit_next("GET", r"/pulls/\d+$", reset_in=3600)
    with pytest.raises(GitHubAPIError, match="primary rate limit"):
        await client.for_installation(INSTALLATION).get_pull_request_diff(OWNER, REPO, N)
    assert sleeps.waits == []


async def test_server_errors_are_retried_with_backoff_then_given_up(
    client: GitHubAppClient, server: GitHubAPIServer, sleeps: Sleeps
) -> None:
    server.fail_next("GET", r"/contents/", 502, body={"message": "Server Error"}, times=2)
    assert await client.for_installation(INSTALLATION).get_file(OWNER, REPO, "README.md", DEMO_BASE)
    assert sleeps.waits == [1.0, 2.0]
    server.fail_next("GET", r"/contents/", 503, body={"message": "Unavailable"}, times=10)
    with pytest.raises(GitHubAPIError, match="HTTP 503"):
        await client.for_installation(INSTALLATION).get_file(OWNER, REPO, "README.md", DEMO_BASE)
    assert sleeps.waits == [1.0, 2.0, 1.0, 2.0, 4.0, 8.0]  # five attempts in all
    assert (
        client.metrics.value(
            "argus_github_api_calls_total",
            endpoint="GET /repos/{owner}/{repo}/contents/README.md",
            status="503",
        )
        == 5
    )


async def test_a_post_whose_answer_is_late_is_not_sent_again_and_a_get_is(
    server: GitHubAPIServer, keys: tuple[str, str], sleeps: Sleeps
) -> None:
    """GitHub may have created the comment of a POST whose answer timed out: sending it again
    would post a second one (the job's retry finds the first by its marker instead)."""
    client = GitHubAppClient(APP_ID, keys[0], base_url=server.url, sleep=sleeps, timeout=1.0)
    github = client.for_installation(INSTALLATION)
    await github.get_file(OWNER, REPO, "README.md", DEMO_BASE)  # the token, not delayed
    server.delay("POST", rf"/issues/{N}/comments$", 2.0)
    with pytest.raises(GitHubAPIError, match="not sent again") as error:
        await github.create_comment(OWNER, REPO, N, "<!-- argus:review --> once")
    assert error.value.status is None  # not refused for good: the job is retried
    assert len(server.requests_to("POST", rf"/issues/{N}/comments$")) == 1
    assert sleeps.waits == []
    server.delay("GET", rf"/issues/{N}/comments$", 2.0)
    with pytest.raises(GitHubAPIError, match="cannot reach GitHub"):
        await github.find_comment(OWNER, REPO, N, "argus:review")
    assert len(server.requests_to("GET", rf"/issues/{N}/comments$")) == 5  # sent again


async def test_client_errors_are_not_retried(
    client: GitHubAppClient, server: GitHubAPIServer, sleeps: Sleeps
) -> None:
    with pytest.raises(GitHubAPIError) as error:
        await client.for_installation(INSTALLATION).get_pull_request_diff(OWNER, REPO, 999)
    assert error.value.status == 404 and sleeps.waits == []


async def test_a_request_github_would_refuse_is_a_422_naming_the_field(
    client: GitHubAppClient, server: GitHubAPIServer, sleeps: Sleeps
) -> None:
    adapter = client.for_installation(INSTALLATION)
    head = (await adapter.get_pull_request(OWNER, REPO, N))["head"]["sha"]
    run = await adapter.create_check_run(OWNER, REPO, name="Argus", head_sha=head)
    too_long = {
        "label": "Generate tests",
        "description": "Write and validate tests for the riskiest functions.",  # 52 > 40
        "identifier": "generate_tests",
    }
    with pytest.raises(GitHubAPIError) as error:
        await adapter.update_check_run(
            OWNER, REPO, int(run["id"]), conclusion="neutral", actions=[too_long]
        )
    assert error.value.status == 422 and sleeps.waits == []
    assert "actions[0].description is too long (maximum is 40 characters)" in str(error.value)
    ((_, answer),) = server.refused
    assert answer["message"] == "Validation Failed"
    assert answer["documentation_url"].startswith("https://docs.github.com/rest/checks/runs")
    assert answer["errors"][0]["field"] == "actions[0].description"


async def test_branch_commit_and_pull_request(
    client: GitHubAppClient, server: GitHubAPIServer, demo_repo: Path
) -> None:
    adapter = client.for_installation(INSTALLATION)
    pull = await adapter.create_branch_commit_and_pr(
        OWNER,
        REPO,
        DEMO_BASE,
        "argus/regression-test-1",
        {"tests/test_regression.py": "def test_x():\n    assert True\n"},
        "Add a regression test",
        "Generated by Argus.",
    )
    assert pull["head"]["ref"] == "argus/regression-test-1"
    assert pull["base"]["ref"] == DEMO_BASE
    tree = server.requests_to("POST", "/git/trees$")[0].body
    assert tree["base_tree"] == git(demo_repo, "rev-parse", f"{DEMO_BASE}^{{tree}}").strip()
    assert tree["tree"][0]["path"] == "tests/test_regression.py"
    commit = server.requests_to("POST", "/git/commits$")[0].body
    assert commit["parents"] == [git(demo_repo, "rev-parse", DEMO_BASE).strip()]
    # Again (a retry after a crash): the branch and its pull request are found, not doubled.
    again = await adapter.create_branch_commit_and_pr(
        OWNER, REPO, DEMO_BASE, "argus/regression-test-1", {"a.py": "x"}, "t", "b"
    )
    assert again["number"] == pull["number"] and len(server.created_pulls) == 1
    assert len(server.requests_to("POST", "/git/refs$")) == 1
    # A crash between the branch and the pull request: the retry opens the pull request.
    server.fail_next("POST", "/pulls$", 502, times=5)
    with pytest.raises(GitHubAPIError):
        await adapter.create_branch_commit_and_pr(
            OWNER, REPO, DEMO_BASE, "argus/regression-test-2", {"a.py": "x"}, "t", "b"
        )
    second = await adapter.create_branch_commit_and_pr(
        OWNER, REPO, DEMO_BASE, "argus/regression-test-2", {"a.py": "x"}, "t", "b"
    )
    assert second["head"]["ref"] == "argus/regression-test-2" and len(server.created_pulls) == 2
    assert len(server.requests_to("POST", "/git/refs$")) == 2


def test_link_header_and_endpoint_labels() -> None:
    header = (
        '<https://api.github.com/repositories/1/issues/2/comments?page=2>; rel="next", '
        '<https://api.github.com/repositories/1/issues/2/comments?page=5>; rel="last"'
    )
    assert next_page_url(header) == "https://api.github.com/repositories/1/issues/2/comments?page=2"
    assert next_page_url('<https://x/?page=1>; rel="prev"') is None
    assert next_page_url(None) is None
    assert endpoint_label("PATCH", "/repos/acme/orders/check-runs/12") == (
        "PATCH /repos/{owner}/{repo}/check-runs/{n}"
    )


async def test_a_check_run_in_progress_is_found_and_a_completed_one_is_not(
    client: GitHubAppClient, server: GitHubAPIServer
) -> None:
    adapter = client.for_installation(INSTALLATION)
    pull = await adapter.get_pull_request(OWNER, REPO, N)
    assert pull["number"] == N
    head = pull["head"]["sha"]
    assert await adapter.find_check_run(OWNER, REPO, head, "Argus") is None
    created = await adapter.create_check_run(
        OWNER, REPO, name="Argus", head_sha=head, status="in_progress"
    )
    await adapter.create_check_run(OWNER, REPO, name="Other", head_sha=head)
    found = await adapter.find_check_run(OWNER, REPO, head, "Argus")
    assert found is not None and found["id"] == created["id"]
    (listing,) = server.requests_to("GET", "/check-runs$")[-1:]
    assert listing.path == f"/repos/{OWNER}/{REPO}/commits/{head}/check-runs"
    assert listing.query["check_name"] == "Argus"
    await adapter.update_check_run(
        OWNER, REPO, int(created["id"]), status="completed", conclusion="neutral"
    )
    assert await adapter.find_check_run(OWNER, REPO, head, "Argus") is None
