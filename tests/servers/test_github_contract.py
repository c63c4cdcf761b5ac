"""The contract the GitHub stand-ins enforce: GitHub's OpenAPI description and documented limits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from argus.github_app.render import ACTIONS
from tests.servers.github_contract import github_contract

WEBHOOKS = Path(__file__).resolve().parents[1] / "fixtures" / "github-webhooks"
CHECK_RUN = "/repos/acme/orders/check-runs/12"


def errors(method: str, path: str, body: object, query: dict[str, str] | None = None) -> list:
    status, found, url = github_contract().request_errors(method, path, query or {}, body)
    assert (status == 0) == (not found)
    if found:
        assert status == 422 and url.startswith("https://docs.github.com/")
    return [(error["field"], error["code"]) for error in found]


def test_the_apps_check_run_actions_are_accepted() -> None:
    completed = {
        "status": "completed",
        "conclusion": "neutral",
        "output": {"title": "Low risk", "summary": "ok"},
        "actions": ACTIONS,
    }
    assert errors("PATCH", CHECK_RUN, completed) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"actions": [{"label": "Go", "identifier": "go", "description": "x" * 41}]},
            [("actions[0].description", "custom")],
        ),
        (
            {"actions": [{"label": "x" * 21, "identifier": "y" * 21, "description": "d"}]},
            [("actions[0].label", "custom"), ("actions[0].identifier", "custom")],
        ),
        (
            {"actions": [{"label": "a", "identifier": "a", "description": "a"}] * 4},
            [("actions", "custom")],
        ),
        (
            {"actions": [{"label": "a", "identifier": "a"}]},
            [("actions[0].description", "missing_field")],
        ),
        ({"status": "completed"}, [("", "invalid")]),  # completed needs a conclusion
        ({"conclusion": "maybe"}, [("conclusion", "invalid")]),
        ({"output": {"title": "t", "summary": "s" * 65_536}}, [("output.summary", "custom")]),
        ({"output": {"title": "t"}}, [("output.summary", "missing_field")]),
        ({"output": {"summary": "s"}}, [("output.title", "missing_field")]),
        (
            {
                "output": {
                    "title": "t",
                    "summary": "s",
                    "annotations": [
                        {
                            "path": "a.py",
                            "start_line": 1,
                            "end_line": 1,
                            "annotation_level": "notice",
                            "message": "m",
                            "title": "x" * 256,
                        }
                    ],
                }
            },
            [("output.annotations[0].title", "custom")],
        ),
        (
            {
                "output": {
                    "title": "t",
                    "summary": "s",
                    "annotations": [
                        {
                            "path": "a.py",
                            "start_line": 1,
                            "end_line": 1,
                            "annotation_level": "notice",
                            "message": "m",
                        }
                    ]
                    * 51,
                }
            },
            [("output.annotations", "custom")],
        ),
    ],
)
def test_check_run_updates_github_refuses(body: dict, expected: list) -> None:
    assert errors("PATCH", CHECK_RUN, body) == expected


def test_comment_limits_and_reaction_enum() -> None:
    path = "/repos/acme/orders/issues/7/comments"
    assert errors("POST", path, {"body": "x" * 65_536}) == []
    assert errors("POST", path, {"body": "x" * 65_537}) == [("body", "custom")]
    assert errors("POST", path, {}) == [("body", "missing_field")]
    reactions = "/repos/acme/orders/issues/comments/5/reactions"
    assert errors("POST", reactions, {"content": "eyes"}) == []
    assert errors("POST", reactions, {"content": "eye"}) == [("content", "invalid")]


def test_review_bodies_and_line_comments_have_the_comment_limit() -> None:
    path = "/repos/acme/orders/pulls/7/reviews"
    line = {"path": "a.py", "line": 3, "side": "RIGHT", "body": "x" * 65_536}
    fits = {"commit_id": "a" * 40, "event": "COMMENT", "body": "x" * 65_536, "comments": [line]}
    assert errors("POST", path, fits) == []
    long_line = {**line, "body": "x" * 65_537}
    too_long = {**fits, "body": "x" * 65_537, "comments": [line, long_line]}
    assert errors("POST", path, too_long) == [("body", "custom"), ("comments[1].body", "custom")]


def test_paths_and_queries() -> None:
    contract = github_contract()
    assert contract.request_errors("GET", "/repos/acme/orders/pulls/x", {}, None)[0] == 404
    assert contract.request_errors("GET", "/repos/acme/orders/nothing", {}, None)[0] == 404
    runs = "/repos/acme/orders/commits/abc/check-runs"
    assert errors("GET", runs, None, {"filter": "latest", "per_page": "100"}) == []
    assert errors("GET", runs, None, {"filter": "newest"}) == [("filter", "invalid")]
    assert errors("GET", runs, None, {"per_page": "many"}) == [("per_page", "invalid")]
    assert errors("GET", "/repos/acme/orders/contents/src/a/b.py", None, {"ref": "main"}) == []


def test_responses_are_checked() -> None:
    contract = github_contract()
    path = "/repos/acme/orders/issues/7/comments"
    assert contract.response_errors("POST", path, 201, {"id": 3, "body": "b"}) == []
    assert contract.response_errors("POST", path, 201, {"id": "3"})
    assert contract.response_errors("POST", path, 299, {"id": 3})
    missing = contract.response_errors("POST", path, 201, {"id": 3, "body": "b"}, strict=True)
    assert any("'node_id' is a required property" in error for error in missing)


@pytest.mark.parametrize("fixture", sorted(p.name for p in WEBHOOKS.glob("*.json")))
def test_recorded_webhooks_follow_the_schema(fixture: str) -> None:
    payload = json.loads((WEBHOOKS / fixture).read_text(encoding="utf-8"))
    assert github_contract().webhook_errors(fixture.split(".", 1)[0], payload) == []


def test_a_webhook_gitHub_would_never_send_is_caught() -> None:
    payload = json.loads((WEBHOOKS / "issue_comment.created.payload.json").read_text())
    del payload["comment"]["id"]
    assert github_contract().webhook_errors("issue_comment", payload)
    assert github_contract().webhook_errors("issue_comment", {**payload, "action": "exploded"})
