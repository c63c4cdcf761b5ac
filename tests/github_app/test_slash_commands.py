from __future__ import annotations

import asyncio
import itertools
import re

from argus.github_app.dispatch import dispatch
from argus.github_app.plans import current_month
from argus.github_app.state import AppState
from tests.github_app.changes import added_file_diff, risky_module
from tests.github_app.conftest import BASE, HEAD, payload, webhook_event

PATH = "app/service.py"
_DELIVERIES = itertools.count(1)


def _comment(deps, body: str, login: str = "Codertocat", kind: str = "User", on_pr: bool = True):
    data = payload("issue_comment.created.with-installation.payload.json")
    data["comment"]["body"] = body
    data["comment"]["user"]["login"] = login
    data["sender"]["login"] = login
    data["sender"]["type"] = kind
    if on_pr:
        data["issue"]["pull_request"] = {"url": "https://api.github.com/repos/x/y/pulls/2"}
        data["issue"]["number"] = 2
    delivery = f"d-c{next(_DELIVERIES)}"  # each delivery its own id, as GitHub's are
    asyncio.run(dispatch(webhook_event("issue_comment", data, delivery), deps))
    return data


def _replies(github) -> list[str]:
    """The replies posted, without their hidden step marker (checked once here)."""
    bodies = [fields["body"] for name, fields in github.calls if name == "create_comment"]
    marker = re.compile(r"\n\n<!-- argus:step d-c\d+/\w+ -->$")
    assert all(marker.search(body) for body in bodies if "argus:review" not in body)
    return [marker.sub("", body) for body in bodies]


def _open_pr(github, deps) -> None:
    text = risky_module(3)
    github.diff = added_file_diff(PATH, text)
    github.files[(PATH, HEAD)] = text.encode()
    asyncio.run(
        dispatch(
            webhook_event("pull_request", payload("pull_request.opened.payload.json"), "d-o"), deps
        )
    )
    github.calls.clear()


def test_comments_by_bots_are_ignored_including_our_own(github, deps):
    _comment(deps, "/argus review", login="dependabot[bot]")
    _comment(deps, "/argus review", login="someone", kind="Bot")
    _comment(deps, "/argus review", login="argus[bot]")
    assert github.calls == []


def test_comments_without_a_command_get_no_answer(github, deps):
    _comment(deps, "Looks good to me, but /argusreview is not a command")
    assert github.calls == []


def test_read_only_users_are_refused_cheaply(github, deps):
    github.permissions["Codertocat"] = "read"
    data = _comment(deps, "/argus review")
    assert github.calls[0] == ("add_reaction", {"id": data["comment"]["id"], "content": "eyes"})
    assert github.names() == [
        "add_reaction",
        "collaborator_permission",
        "find_comment",
        "create_comment",
    ]
    (reply,) = _replies(github)
    assert "need write access" in reply and "`read`" in reply


def test_unknown_commands_get_the_help(github, deps):
    _comment(deps, "/argus frobnicate now")
    assert github.names() == ["add_reaction", "find_comment", "create_comment"]
    assert "Unknown command `frobnicate`" in _replies(github)[0]
    assert "/argus explain path[:line]" in _replies(github)[0]


def test_help_needs_no_permission(github, deps):
    _comment(deps, "/argus help")
    assert github.names() == ["add_reaction", "find_comment", "create_comment"]


def test_quota_used_up_refuses_tests(github, deps, state: AppState):
    state.record_installation(1, "Codertocat")
    state.add_test_runs(1, current_month(), 100)
    github.permissions["Codertocat"] = "write"
    _comment(deps, "/argus tests app/service.py:collect_0")
    (reply,) = _replies(github)
    assert "100 test runs for this month are used up" in reply
    assert "get_pull_request_diff" not in github.names()


def test_tests_without_a_generator_say_what_is_missing(github, deps):
    github.permissions["Codertocat"] = "admin"
    _open_pr(github, deps)
    _comment(deps, "/argus tests")
    assert "needs a checkout of the repository" in _replies(github)[-1]


def test_tests_are_metered_and_tier_capped_by_plan(github, deps, state: AppState):
    from argus.core.predict.findings import GeneratedTest

    seen = {}

    async def generate(*, ctx, review, tier, target):
        seen.update(tier=tier, target=target)
        return (
            GeneratedTest(
                "app/service.py",
                "collect_0",
                "python",
                "pytest",
                "tests/test_x.py",
                "def test_x():\n    pass\n",
                "pr_test",
            ),
        )

    deps.generate_tests = generate
    state.record_installation(1, "Codertocat")
    github.permissions["Codertocat"] = "write"
    github.files[(".argus.yml", BASE)] = b"max_tier: sonnet\n"
    _open_pr(github, deps)
    _comment(deps, "/argus tests app/service.py:collect_0")
    assert seen == {"tier": "haiku", "target": "app/service.py:collect_0"}
    assert state.test_runs(1, current_month()) == 1
    assert "Generated 1 tests" in _replies(github)[-1]


def test_pause_and_resume(github, deps):
    github.permissions["Codertocat"] = "maintain"
    _open_pr(github, deps)
    _comment(deps, "/argus pause")
    assert "paused" in _replies(github)[-1]
    github.calls.clear()
    asyncio.run(
        dispatch(
            webhook_event("pull_request", payload("pull_request.synchronize.payload.json"), "d-s"),
            deps,
        )
    )
    assert github.calls == []
    _comment(deps, "/argus resume")
    github.calls.clear()
    asyncio.run(
        dispatch(
            webhook_event("pull_request", payload("pull_request.synchronize.payload.json"), "d-s2"),
            deps,
        )
    )
    assert "create_check_run" in github.names()


def test_ignore_glob_applies_to_the_next_review(github, deps, state: AppState):
    github.permissions["Codertocat"] = "write"
    _open_pr(github, deps)
    _comment(deps, "/argus ignore 'app/*.py'")
    assert state.ignored_globs("Codertocat/Hello-World", 2) == ["app/*.py"]
    github.calls.clear()
    _comment(deps, "/argus review")
    assert ("get_file", {"path": PATH, "ref": HEAD}) not in github.calls
    (comment_update,) = [f for n, f in github.calls if n == "update_comment"]
    assert "no changed files" in comment_update["body"]


def test_review_and_explain(github, deps):
    github.permissions["Codertocat"] = "write"
    _open_pr(github, deps)
    _comment(deps, "/argus review")
    assert "update_comment" in github.names() and "Reviewed again" in _replies(github)[-1]
    _comment(deps, f"/argus explain {PATH}:2")
    assert "collect\\_0" in _replies(github)[-1]
    _comment(deps, "/argus explain nowhere.py")
    assert "No changed function" in _replies(github)[-1]


def test_feedback_is_recorded(github, deps, state: AppState):
    github.permissions["Codertocat"] = "write"
    _comment(deps, "/argus feedback up")
    assert "Thanks" in _replies(github)[-1]
    rows = list(state._store.connection.execute("SELECT login, vote FROM gh_feedback"))
    assert rows == [("Codertocat", 1)]
    _comment(deps, "/argus feedback sideways")
    assert "Usage" in _replies(github)[-1]


def test_repository_wide_pause_and_ignore(github, deps, state: AppState):
    github.permissions["Codertocat"] = "write"
    _comment(deps, "/argus pause --repo")
    assert "Reviews of this repository are paused" in _replies(github)[-1]
    assert state.is_paused("Codertocat/Hello-World", 99)
    _comment(deps, "/argus resume")
    assert "still paused" in _replies(github)[-1]
    _comment(deps, "/argus resume --repo")
    assert not state.is_paused("Codertocat/Hello-World", 2)
    _comment(deps, "/argus ignore --repo 'vendor/**'")
    assert state.ignored_globs("Codertocat/Hello-World", 7) == ["vendor/**"]


def test_commands_on_a_pull_request_argus_has_not_reviewed_read_it_from_github(github, deps):
    github.permissions["Codertocat"] = "write"
    text = risky_module(3)
    github.diff = added_file_diff(PATH, text)
    github.files[(PATH, HEAD)] = text.encode()
    pull = payload("pull_request.opened.payload.json")["pull_request"]
    github.open_pulls.append({**pull, "number": 2})
    _comment(deps, f"/argus explain {PATH}:2")
    assert ("get_pull_request", {"number": 2}) in github.calls
    assert "collect\\_0" in _replies(github)[-1]
    _comment(deps, "/argus review")
    assert "create_check_run" in github.names() and "Reviewed again" in _replies(github)[-1]


def test_a_pull_request_github_cannot_give_gets_a_polite_answer(github, deps):
    github.permissions["Codertocat"] = "write"
    _comment(deps, "/argus review")
    assert _replies(github)[-1] == "Argus could not read this pull request from GitHub; try again."
    assert "create_check_run" not in github.names()
