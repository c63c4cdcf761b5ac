"""The App records each pull request it reviews, for the dashboard's risk over time."""

from __future__ import annotations

import asyncio
import sqlite3

from argus.github_app.dispatch import dispatch
from argus.github_app.events import Event
from tests.github_app.changes import added_file_diff, risky_module
from tests.github_app.conftest import HEAD, payload

PATH = "app/service.py"


def test_a_reviewed_pull_request_is_recorded(github, deps, tmp_path) -> None:
    text = risky_module(3)
    github.diff = added_file_diff(PATH, text)
    github.files[(PATH, HEAD)] = text.encode()
    data = payload("pull_request.opened.payload.json")
    asyncio.run(dispatch(Event("pull_request", data, "d-1"), deps))
    rows = (
        sqlite3.connect(tmp_path / "app.db")
        .execute(
            "SELECT tenant, repository, pull_request, head_sha, level, source, files_changed"
            " FROM reviews"
        )
        .fetchall()
    )
    installation = data["installation"]["id"]
    assert rows == [
        (
            f"github-{installation}",
            data["repository"]["full_name"],
            data["pull_request"]["number"],
            HEAD,
            rows[0][4],
            "app",
            1,
        )
    ]
    assert rows[0][4] in ("low", "medium", "high")


def _closed(merged: bool) -> dict:
    data = payload("pull_request.closed.payload.json")
    data["pull_request"]["merged"] = merged
    data["pull_request"]["merged_at"] = "2019-05-16T09:20:33Z" if merged else None
    return data


def test_a_merged_pull_request_is_recorded_and_a_closed_one_is_not(github, deps, tmp_path) -> None:
    asyncio.run(dispatch(Event("pull_request", _closed(False), "d-1"), deps))
    asyncio.run(dispatch(Event("pull_request", _closed(True), "d-2"), deps))
    rows = (
        sqlite3.connect(tmp_path / "app.db")
        .execute(
            "SELECT tenant, repository, pull_request, opened_at, merged_at FROM pull_request_merges"
        )
        .fetchall()
    )
    data = _closed(True)
    assert rows == [
        (
            f"github-{data['installation']['id']}",
            data["repository"]["full_name"],
            data["pull_request"]["number"],
            "2019-05-15T15:20:33Z",
            "2019-05-16T09:20:33Z",
        )
    ]
    assert github.calls == []
