"""Findings on the lines a pull request adds go as one review with line comments, once.

Against FakeGitHub (which checks each request against GitHub's OpenAPI description): the review
is a ``COMMENT`` review on the head commit, its comments sit on added lines, a retry of the same
delivery finds it by its marker, and a later push comments only on findings no earlier review
had; a refused review never loses the check run or the sticky comment.
"""

from __future__ import annotations

import asyncio

from argus.core.report import MARKER
from argus.github_app.dispatch import dispatch
from argus.github_app.render import MAX_REVIEW_COMMENTS, posted_finding_keys
from tests.github_app.changes import added_file_diff, risky_module
from tests.github_app.conftest import BASE, HEAD, payload, webhook_event

PATH = "app/service.py"


def _arrange(github, functions: int = 2) -> str:
    text = risky_module(functions)
    github.diff = added_file_diff(PATH, text)
    github.files[(PATH, HEAD)] = text.encode()
    return text


def _deliver(deps, delivery: str) -> None:
    """The recorded ``opened`` delivery under ``delivery`` (a new id: a later event of the PR)."""
    data = payload("pull_request.opened.payload.json")
    asyncio.run(dispatch(webhook_event("pull_request", data, delivery), deps))


def test_findings_on_added_lines_become_one_review_on_the_head_commit(github, deps):
    text = _arrange(github)
    _deliver(deps, "d-1")
    (review,) = github.reviews
    assert review["commit_id"] == HEAD
    lines = text.splitlines()
    assert [c["path"] for c in review["comments"]] == [PATH, PATH]
    for comment in review["comments"]:
        assert comment["side"] == "RIGHT"
        assert "==" in lines[comment["line"] - 1]  # the line the finding is about
        assert "PY016" in comment["body"] and "key" not in comment
    assert len(posted_finding_keys([review["body"]])) == 2
    assert github.refused == []  # every request matched GitHub's schema


def test_a_retried_delivery_and_a_later_push_post_no_second_copy(github, deps):
    _arrange(github)
    _deliver(deps, "d-1")
    _deliver(deps, "d-1")  # the queue runs the same delivery again
    _deliver(deps, "d-2")  # a push that leaves the findings as they were
    assert len(github.reviews) == 1


def test_a_persons_review_quoting_argus_markers_does_not_suppress_argus_review(github, deps):
    _arrange(github)
    _deliver(deps, "d-1")
    (ours,) = github.reviews
    github.reviews.clear()
    # A person pastes Argus's review body (markers and finding keys) into a review of theirs.
    github.add_person_review(2, ours["body"])
    _deliver(deps, "d-1")
    assert [r["user"]["type"] for r in github.reviews] == ["User", "Bot"]
    assert len(github.reviews[1]["comments"]) == 2


def test_a_persons_comment_with_the_sticky_marker_is_left_alone(github, deps):
    _arrange(github)
    mine = github.add_person_comment(2, f"quoting the bot: {MARKER}")
    _deliver(deps, "d-1")
    ours = [c for c in github.comments.values() if MARKER in c["body"] and c is not mine]
    assert len(ours) == 1 and ours[0]["user"]["type"] == "Bot"
    assert mine["body"] == f"quoting the bot: {MARKER}"  # never edited (GitHub would refuse)
    assert "update_comment" not in github.names()


def test_a_push_that_adds_a_finding_comments_on_that_one_only(github, deps):
    _arrange(github, functions=1)
    _deliver(deps, "d-1")
    _arrange(github, functions=2)  # the same finding, and one more
    _deliver(deps, "d-2")
    first, second = github.reviews
    assert len(first["comments"]) == 1 and len(second["comments"]) == 1
    assert second["comments"][0]["line"] == 6  # collect_1's comparison


def test_no_review_without_findings_on_changed_lines(github, deps):
    text = "def fine(x):\n    return x + 1\n"
    github.diff = added_file_diff(PATH, text)
    github.files[(PATH, HEAD)] = text.encode()
    _deliver(deps, "d-1")
    assert github.reviews == [] and "create_review" not in github.names()


def test_a_review_gets_at_most_the_cap_of_comments(github, deps):
    _arrange(github, functions=MAX_REVIEW_COMMENTS + 5)
    _deliver(deps, "d-1")
    (review,) = github.reviews
    assert len(review["comments"]) == MAX_REVIEW_COMMENTS


def test_a_refused_review_loses_nothing_else(github, deps):
    _arrange(github)
    github.fail_next("create_review", 422)
    _deliver(deps, "d-1")  # no exception: a 422 will not get better on a retry
    assert github.reviews == []
    (comment,) = github.comments.values()
    assert MARKER in comment["body"]
    (updates,) = github.check_runs.values()
    assert updates[-1]["status"] == "completed"
    failures = deps.metrics.value(
        "argus_github_step_failures_total", step="review_comments", status="422", permanent="true"
    )
    assert failures == 1


def test_files_gitattributes_marks_generated_get_no_findings_in_the_app(github, deps):
    _arrange(github)
    github.files[(".gitattributes", BASE)] = b"app/** linguist-generated\n"
    _deliver(deps, "d-1")
    assert github.reviews == []
    (comment,) = github.comments.values()
    assert "PY016" not in comment["body"] and "collect_0" not in comment["body"]
    assert ("get_file", {"path": ".gitattributes", "ref": BASE}) in github.calls
