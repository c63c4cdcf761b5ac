"""`argus dashboard link`: prints a one-time URL and stores only its digest."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from argus.cli import main
from argus.dashboard.app import create_dashboard_app


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_link_prints_a_url_whose_token_is_stored_only_as_a_digest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ARGUS_HOME", str(tmp_path))
    code, out, _ = run(
        ["dashboard", "link", "--tenant", "acme", "--ttl", "5m", "--url", "https://argus.example/"],
        capsys,
    )
    assert code == 0
    url = out.strip()
    assert url.startswith("https://argus.example/signin/")
    token = url.rsplit("/", 1)[1]
    rows = (
        sqlite3.connect(tmp_path / "argus.db")
        .execute(
            "SELECT token_hash, tenant, expires_at - strftime('%s', 'now') FROM dashboard_links"
        )
        .fetchall()
    )
    assert len(rows) == 1
    digest, tenant, seconds_left = rows[0]
    assert digest == hashlib.sha256(token.encode()).hexdigest() and token not in digest
    assert tenant == "acme" and 290 < seconds_left <= 301
    # The printed link signs a browser in to the dashboard of the same store.
    from fastapi.testclient import TestClient

    client = TestClient(create_dashboard_app(tmp_path / "argus.db"))
    assert client.get(f"/signin/{token}", follow_redirects=False).status_code == 303
    assert "acme" in client.get("/").text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--ttl", "ten minutes"], "is not a duration"),
        (["--ttl", "30d"], "at most 7d"),
        (["--tenant", " "], "must not be blank"),
        (["--url", "argus.example"], "must start with http"),
    ],
)
def test_bad_options_are_refused_with_exit_2(
    argv: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ARGUS_HOME", str(tmp_path))
    code, out, err = run(["dashboard", "link", *argv], capsys)
    assert code == 2 and out == "" and message in err
