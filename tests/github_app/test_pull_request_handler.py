from __future__ import annotations

import asyncio

from argus.core.report import MARKER
from argus.github_app.dispatch import dispatch
from argus.github_app.review_service import NO_HISTORY_NOTE
from tests.github_app.changes import added_file_diff, risky_module
from tests.github_app.conftest import BASE, HEAD, payload, webhook_event

PATH = "app/service.py"


def _arrange(github, functions: int = 26) -> None:
    text = risky_module(functions)
    github.diff = added_file_diff(PATH, text)
    github.files[(PATH, HEAD)] = text.encode()


def _deliver(deps, name: str, delivery: str = "d-1", change=None) -> None:
    data = payload(name)
    if change:
        change(data)
    event_name = name.split(".", 1)[0]
    asyncio.run(dispatch(webhook_event(event_name, data, delivery), deps))


def _check_requests(github) -> list[dict]:
    (run,) = github.check_runs.values()
    return run


def test_opened_runs_check_in_progress_then_completed_with_annotations_in_batches(github, deps):
    _arrange(github, functions=26)  # a bug and a risky function each: 52 annotations
    _deliver(deps, "pull_request.opened.payload.json")
    first, *updates = _check_requests(github)
    assert (
        first["status"] == "in_progress" and first["head_sha"] == HEAD and first["name"] == "Argus"
    )
    assert github.names().index("create_check_run") < github.names().index("get_pull_request_diff")
    assert len(updates) == 2
    assert [len(u["output"]["annotations"]) for u in updates] == [50, 2]
    assert "status" not in updates[0]
    final = updates[-1]
    assert final["status"] == "completed" and final["conclusion"] == "neutral"
    assert [a["identifier"] for a in final["actions"]] == ["generate_tests", "rerun"]
    assert all(len(a["identifier"]) <= 20 for a in final["actions"])
    assert "High risk" in final["output"]["title"]


def test_120_annotations_take_three_requests(github, deps):
    _arrange(github, functions=60)
    _deliver(deps, "pull_request.opened.payload.json")
    _, *updates = _check_requests(github)
    assert [len(u["output"]["annotations"]) for u in updates] == [50, 50, 20]


def test_one_sticky_comment_created_then_updated_on_push(github, deps):
    _arrange(github, functions=2)
    _deliver(deps, "pull_request.opened.payload.json")
    assert len(github.comments) == 1
    (comment,) = github.comments.values()
    assert comment["body"].startswith(MARKER)
    assert NO_HISTORY_NOTE in comment["body"]
    assert (
        f"https://github.com/Codertocat/Hello-World/blob/{HEAD}/app/service.py#L" in comment["body"]
    )
    assert "What changed since the last report" not in comment["body"]

    _arrange(github, functions=4)
    _deliver(deps, "pull_request.synchronize.payload.json", delivery="d-2")
    assert len(github.comments) == 1
    assert github.names().count("create_comment") == 1
    assert github.names().count("update_comment") == 1
    body = github.comments[comment["id"]]["body"]
    assert "What changed since the last report" in body
    assert "Predicted bugs: 2 new, 0 gone, 2 still there" in body


def test_conclusion_comes_from_argus_yml_at_the_base(github, deps):
    _arrange(github)
    github.files[(".argus.yml", BASE)] = b"fail_on: high\n"
    _deliver(deps, "pull_request.opened.payload.json")
    assert _check_requests(github)[-1]["conclusion"] == "failure"


def test_argus_yml_on_the_head_alone_cannot_change_the_bar(github, deps):
    _arrange(github)
    github.files[(".argus.yml", HEAD)] = b"fail_on: high\n"
    _deliver(deps, "pull_request.opened.payload.json")
    assert _check_requests(github)[-1]["conclusion"] == "neutral"
    assert ("get_file", {"path": ".argus.yml", "ref": BASE}) in github.calls


def test_broken_argus_yml_is_reported_and_defaults_apply(github, deps):
    _arrange(github)
    github.files[(".argus.yml", BASE)] = b"fail_on: [high\n"
    _deliver(deps, "pull_request.opened.payload.json")
    final = _check_requests(github)[-1]
    assert final["conclusion"] == "neutral"
    assert ".argus.yml could not be used" in final["output"]["summary"]


def test_ignore_globs_of_argus_yml_leave_paths_out(github, deps):
    _arrange(github)
    github.files[(".argus.yml", BASE)] = b"ignore: ['app/**']\nfail_on: medium\n"
    _deliver(deps, "pull_request.opened.payload.json")
    final = _check_requests(github)[-1]
    assert final["conclusion"] == "neutral"
    assert "annotations" not in final["output"]
    assert ("get_file", {"path": PATH, "ref": HEAD}) not in github.calls


def test_drafts_wait_until_ready_for_review(github, deps):
    _arrange(github)

    def draft(data):
        data["pull_request"]["draft"] = True

    _deliver(deps, "pull_request.opened.payload.json", change=draft)
    assert github.calls == []
    _deliver(deps, "pull_request.ready_for_review.payload.json", delivery="d-2")
    assert "create_check_run" in github.names()


def test_closed_pull_requests_are_not_reviewed(github, deps):
    _deliver(deps, "pull_request.closed.payload.json")
    assert github.calls == []


def test_a_check_run_left_in_progress_by_a_dead_attempt_is_taken_over(github, deps):
    _arrange(github, functions=2)
    left = asyncio.run(
        github.create_check_run("o", "r", name="Argus", head_sha=HEAD, status="in_progress")
    )
    github.calls.clear()
    _deliver(deps, "pull_request.opened.payload.json")
    assert "create_check_run" not in github.names()
    (run,) = github.check_runs.values()
    assert run[-1]["status"] == "completed" and left["id"] in github.check_runs
    _deliver(deps, "pull_request.synchronize.payload.json", delivery="d-2")
    assert len(github.check_runs) == 2  # a completed run is never reopened: a new one per push
