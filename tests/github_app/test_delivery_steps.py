"""One failing GitHub call never loses the rest, and a retry redoes only what did not happen.

The handlers run against FakeGitHub (which refuses what GitHub would) with scripted failures:
a permanent one (422, 410) is recorded and the other steps still happen; a transient one (a
5xx after the adapter's own retries) fails the job after the other steps, and the retry (the
same delivery again) finds what was done by its marker and does the rest, once.
"""

from __future__ import annotations

import asyncio

import pytest

from argus.core.report import MARKER
from argus.github_app.delivery import StepsIncomplete, external_id, step_marker
from argus.github_app.dispatch import dispatch
from tests.github_app.changes import added_file_diff, risky_module
from tests.github_app.conftest import HEAD, payload, webhook_event

PATH = "app/service.py"


def _arrange(github, functions: int = 3) -> None:
    text = risky_module(functions)
    github.diff = added_file_diff(PATH, text)
    github.files[(PATH, HEAD)] = text.encode()


def _opened(deps, delivery: str = "d-1", final_attempt: bool = True) -> None:
    event = webhook_event("pull_request", payload("pull_request.opened.payload.json"), delivery)
    asyncio.run(dispatch(event, deps, final_attempt=final_attempt))


def _comment(deps, body: str, delivery: str) -> None:
    data = payload("issue_comment.created.with-installation.payload.json")
    data["comment"]["body"] = body
    data["issue"]["pull_request"] = {"url": "https://api.github.com/repos/x/y/pulls/2"}
    data["issue"]["number"] = 2
    asyncio.run(dispatch(webhook_event("issue_comment", data, delivery), deps))


def _run_fields(github) -> dict:
    (updates,) = github.check_runs.values()
    merged: dict = {}
    for update in updates:
        merged.update(update)
    return merged


def test_a_refused_check_run_completion_still_posts_the_comment_and_never_spins(github, deps):
    _arrange(github)
    github.fail_next("update_check_run", 422)
    _opened(deps)  # no exception: a 422 will not get better on a retry
    run = _run_fields(github)
    assert run["status"] == "completed" and run["output"]["title"] == "Argus could not finish"
    assert "HTTP 422" in run["output"]["summary"] and len(run["output"]["summary"]) <= 1000
    (comment,) = github.comments.values()
    assert MARKER in comment["body"]
    failures = deps.metrics.value(
        "argus_github_step_failures_total", step="check_run", status="422", permanent="true"
    )
    assert failures == 1


def test_a_gone_conversation_still_completes_the_check_run(github, deps):
    _arrange(github)
    github.fail_next("create_comment", 410)
    _opened(deps)
    run = _run_fields(github)
    assert run["status"] == "completed" and "risk" in run["output"]["title"]
    assert github.comments == {}


def test_a_transient_failure_retries_only_what_did_not_happen(github, deps):
    _arrange(github, functions=30)  # 60 annotations: two batches
    github.fail_next("create_comment", 502)
    with pytest.raises(StepsIncomplete, match="sticky_comment"):
        _opened(deps, "d-retry", final_attempt=False)
    assert github.comments == {}
    run = _run_fields(github)
    assert run["status"] == "completed"  # done already: the retry leaves it alone
    calls_before = len(github.calls)
    _opened(deps, "d-retry")
    retried = [name for name, _ in github.calls[calls_before:]]
    assert "create_check_run" not in retried and "update_check_run" not in retried
    assert len(github.check_runs) == 1 and len(github.comments) == 1
    (run_id,) = github.check_runs
    assert github.check_runs[run_id][0]["external_id"] == external_id("d-retry")


def test_a_retry_after_a_crash_between_batches_sends_only_the_missing_ones(github, deps):
    _arrange(github, functions=30)  # 60 annotations: 50, then 10 with the completion
    github.fail_next("update_check_run", 503)  # the first batch
    with pytest.raises(StepsIncomplete):
        _opened(deps, "d-batches", final_attempt=False)
    (updates,) = github.check_runs.values()
    assert updates[-1]["status"] == "in_progress"  # not completed: the retry will
    _opened(deps, "d-batches")
    (updates,) = github.check_runs.values()
    sent = [len((u.get("output") or {}).get("annotations") or []) for u in updates[1:]]
    assert sent == [50, 10]
    assert updates[-1]["status"] == "completed"


def test_the_same_delivery_twice_creates_one_of_everything(github, deps):
    _arrange(github)
    _opened(deps, "d-twice")
    _opened(deps, "d-twice")
    assert len(github.check_runs) == 1 and len(github.comments) == 1


def test_a_review_that_crashes_on_its_last_attempt_completes_the_check_run(github, deps):
    async def broken(*args, **kwargs):
        raise RuntimeError("parser exploded")

    github.get_pull_request_diff = broken
    with pytest.raises(RuntimeError):
        _opened(deps, "d-crash", final_attempt=False)
    assert _run_fields(github)["status"] == "in_progress"  # a retry will take it over
    with pytest.raises(RuntimeError):
        _opened(deps, "d-crash", final_attempt=True)
    run = _run_fields(github)
    assert len(github.check_runs) == 1
    assert run["status"] == "completed" and "parser exploded" in run["output"]["summary"]


def test_a_refused_reaction_still_answers_and_a_retried_reply_is_posted_once(github, deps):
    github.fail_next("add_reaction", 422)
    _comment(deps, "/argus help", "d-help")
    (reply,) = github.comments.values()
    assert reply["body"].endswith(step_marker("d-help", "reply"))
    _comment(deps, "/argus help", "d-help")  # the queue runs the delivery again
    assert len(github.comments) == 1
    assert len(github.reactions) == 1  # the retry's reaction went through


def test_a_transient_reply_failure_fails_the_job_for_a_retry(github, deps):
    github.fail_next("create_comment", 500)
    with pytest.raises(StepsIncomplete, match="reply"):
        _comment(deps, "/argus help", "d-help-2")
    _comment(deps, "/argus help", "d-help-2")
    assert len(github.comments) == 1
    assert len(github.reactions) == 1  # GitHub keeps one reaction per user and content


def test_a_dead_letter_retried_later_reports_over_its_failure_summary(github, deps):
    async def broken(*args, **kwargs):
        raise RuntimeError("GitHub sent no diff")

    _arrange(github)
    working = github.get_pull_request_diff
    github.get_pull_request_diff = broken
    with pytest.raises(RuntimeError):
        _opened(deps, "d-dead", final_attempt=True)
    assert _run_fields(github)["output"]["title"] == "Argus could not finish"
    github.get_pull_request_diff = working  # argus jobs retry, once GitHub answers again
    _opened(deps, "d-dead")
    run = _run_fields(github)
    assert len(github.check_runs) == 1 and "risk" in run["output"]["title"]
    assert len(github.comments) == 1


def test_a_completion_failing_for_now_on_the_last_attempt_still_completes_the_run(github, deps):
    _arrange(github)
    github.fail_next("update_check_run", 503)
    with pytest.raises(StepsIncomplete):  # the job is a dead letter now, with this reason
        _opened(deps, "d-last", final_attempt=True)
    run = _run_fields(github)
    assert run["status"] == "completed" and "HTTP 503" in run["output"]["summary"]
    assert len(github.comments) == 1  # the comment did not wait for the check run
