from __future__ import annotations

import asyncio

import pytest

from argus.core.predict.findings import GeneratedTest, TestValidation
from argus.github_app.dispatch import context_for, dispatch
from argus.github_app.handlers.regression import open_regression_test_pr
from argus.github_app.plans import current_month, quota_for, repository_limit
from argus.github_app.state import AppState
from tests.github_app.changes import added_file_diff, risky_module
from tests.github_app.conftest import HEAD, payload, webhook_event
from tests.postgres_support import BACKENDS, row_store


@pytest.fixture(params=BACKENDS)
def state(request, tmp_path):
    """The App's state on SQLite and on the shared PostgreSQL store: the same tests on both."""
    with row_store(request.param, tmp_path) as store:
        yield AppState(store)


def _repository(full_name: str, number: int = 1) -> dict:
    """A repository as installation webhooks list them."""
    return {
        "id": 1000 + number,
        "node_id": f"R_{number}",
        "name": full_name.split("/", 1)[1],
        "full_name": full_name,
        "private": False,
    }


def _check_suite_pull(number: int, head: str, base: str) -> dict:
    """A pull request as a check_suite webhook lists it."""
    repo = {
        "id": 1296269,
        "url": "https://api.github.com/repos/Codertocat/Hello-World",
        "name": "Hello-World",
    }
    return {
        "url": f"https://api.github.com/repos/Codertocat/Hello-World/pulls/{number}",
        "id": 5000 + number,
        "number": number,
        "head": {"ref": "feature", "sha": head, "repo": repo},
        "base": {"ref": "main", "sha": base, "repo": repo},
    }


def _deliver(deps, name: str, change=None) -> None:
    data = payload(name)
    if change:
        change(data)
    asyncio.run(dispatch(webhook_event(name.split(".", 1)[0], data, "d"), deps))


def test_installation_created_records_a_free_plan_with_one_repository(deps, state: AppState):
    def three_repositories(data):
        data["repositories"] = [_repository(f"octo/r{i}", i) for i in range(3)]

    _deliver(deps, "installation.created.payload.json", change=three_repositories)
    installation_id = payload("installation.created.payload.json")["installation"]["id"]
    installation = state.installation(installation_id)
    assert installation.plan == "free" and installation.repositories == ("octo/r0",)
    assert state.repository_enabled(installation_id, "octo/r1") is False
    assert quota_for(state, installation_id).limit == 100


def test_repositories_added_up_to_the_plan_limit_and_removed(deps, state: AppState):
    data = payload("installation_repositories.added.payload.json")
    installation_id = data["installation"]["id"]
    state.record_installation(installation_id, "octo")
    state.set_plan(installation_id, "pro")

    def six(data):
        data["repositories_added"] = [_repository(f"octo/r{i}", i) for i in range(6)]

    _deliver(deps, "installation_repositories.added.payload.json", change=six)
    assert state.enabled_repository_count(installation_id) == repository_limit("pro") == 5

    def remove_one(data):
        data["installation"]["id"] = installation_id
        data["repositories_removed"] = [_repository("octo/r0", 0)]

    _deliver(deps, "installation_repositories.removed.payload.json", change=remove_one)
    assert state.repository_enabled(installation_id, "octo/r0") is None


def test_suspend_and_delete(deps, state: AppState):
    installation_id = payload("installation.suspend.payload.json")["installation"]["id"]
    state.record_installation(installation_id, "octo")
    _deliver(deps, "installation.suspend.payload.json")
    assert state.installation(installation_id).suspended

    def same_id(data):
        data["installation"]["id"] = installation_id

    _deliver(deps, "installation.deleted.payload.json", change=same_id)
    assert state.installation(installation_id) is None


def test_usage_is_metered_per_month_and_plans_are_unlimited_from_enterprise(state: AppState):
    state.record_installation(5, "big")
    state.set_plan(5, "enterprise")
    state.add_test_runs(5, current_month(), 10**6)
    assert not quota_for(state, 5).exhausted
    state.record_installation(6, "small")
    assert state.add_test_runs(6, "2026-01", 100) == 100
    assert quota_for(state, 6, "2026-01").exhausted and not quota_for(state, 6, "2026-02").exhausted


def test_repositories_beyond_the_plan_are_not_reviewed(github, deps, state: AppState):
    state.record_installation(1, "Codertocat")
    state.add_repositories(1, ["Codertocat/other", "Codertocat/Hello-World"], enabled=1)
    _deliver(deps, "pull_request.opened.payload.json")
    assert github.calls == []


def test_check_run_buttons_rerun_and_generate_tests(github, deps):
    text = risky_module(2)
    github.diff = added_file_diff("app/service.py", text)
    github.files[("app/service.py", HEAD)] = text.encode()
    _deliver(deps, "pull_request.opened.payload.json")
    github.calls.clear()

    def ours(identifier):
        def change(data):
            data["check_run"]["name"] = "Argus"
            data["check_run"]["pull_requests"][0]["number"] = 2
            data["repository"]["full_name"] = "Codertocat/Hello-World"
            data["requested_action"] = {"identifier": identifier}

        return change

    _deliver(deps, "check_run.requested_action.payload.json", change=ours("rerun"))
    assert "create_check_run" in github.names() and "update_comment" in github.names()
    github.calls.clear()
    _deliver(deps, "check_run.requested_action.payload.json", change=ours("generate_tests"))
    assert "needs a checkout" in github.calls[-1][1]["body"]
    github.calls.clear()
    _deliver(deps, "check_run.requested_action.payload.json")  # another App's check run
    assert github.calls == []


def test_regression_test_pr_is_opened_through_the_port(github, deps):
    event = webhook_event("issue_comment", payload("issue_comment.created.payload.json"), "d")
    ctx = context_for(event, deps)
    test = GeneratedTest(
        "app/pay.py",
        "charge",
        "python",
        "pytest",
        "tests/test_charge_regression.py",
        "def test_charge():\n    assert True\n",
        "regression_test",
        TestValidation(runs=3, passed_runs=3, fails_before=True, passes_after=True),
        pattern_id="p-42",
    )
    pull = asyncio.run(open_regression_test_pr(ctx, test))
    assert pull["branch"] == "argus/regression-p-42" and pull["base"] == "main"
    assert pull["files"] == {"tests/test_charge_regression.py": test.source}
    assert "fails on the code where the error happened" in pull["body"]


def test_regression_job_opens_the_pr(github, deps, state: AppState):
    from argus.github_app.dispatch import run_job
    from argus.github_app.handlers.regression_job import REGRESSION_KIND, regression_payload
    from argus.github_app.jobs import Job

    test = GeneratedTest(
        "app/pay.py",
        "charge",
        "python",
        "pytest",
        "tests/test_charge_regression.py",
        "def test_charge():\n    assert True\n",
        "regression_test",
        TestValidation(runs=3, passed_runs=3, fails_before=True, passes_after=True),
        pattern_id="p-7",
    )
    job = Job(
        "1", REGRESSION_KIND, regression_payload(1, "octo/shop", test, base="trunk"), 1, "r-1"
    )
    # An installation the App never recorded, then a repository it does not cover: no PR.
    asyncio.run(run_job(job, deps))
    state.record_installation(1, "octo")
    state.add_repositories(1, ["octo/other"], enabled=1)
    asyncio.run(run_job(job, deps))
    assert github.pulls == []

    state.add_repositories(1, ["octo/shop"], enabled=1)
    asyncio.run(run_job(job, deps))
    (pull,) = github.pulls
    assert (pull["base"], pull["branch"]) == ("trunk", "argus/regression-p-7")
    assert pull["files"] == {"tests/test_charge_regression.py": test.source}


def test_suspended_installations_are_not_reviewed(github, deps, state: AppState):
    state.record_installation(1, "Codertocat")
    state.set_suspended(1, True)
    _deliver(deps, "pull_request.opened.payload.json")
    assert github.calls == []


def test_a_diff_that_does_not_parse_completes_the_check_run_neutral(github, deps):
    github.diff = "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1,2 +1,2 @@ nonsense\n-a\n"
    _deliver(deps, "pull_request.opened.payload.json")
    (run,) = github.check_runs.values()
    assert run[0]["status"] == "in_progress"
    assert run[-1]["status"] == "completed" and run[-1]["conclusion"] == "neutral"
    assert run[-1]["output"]["title"] == "Argus could not review this change"
    assert github.comments == {}


def test_check_suite_rerequested_reviews_its_pull_requests(github, deps):
    def with_pr(data):
        data["repository"]["full_name"] = "Codertocat/Hello-World"
        data["check_suite"]["pull_requests"] = [_check_suite_pull(2, HEAD, "b" * 40)]

    _deliver(deps, "check_suite.rerequested.payload.json", change=with_pr)
    # Looked up by this delivery's external_id, then one left in progress, then created.
    assert github.names()[:3] == ["find_check_run", "find_check_run", "create_check_run"]
    assert "create_comment" in github.names()
