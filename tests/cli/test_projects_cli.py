"""`argus projects list` prints the DSN each project was added with."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from argus.cli import main


def test_list_shows_the_address_the_project_was_added_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ARGUS_HOME", str(tmp_path))
    assert main(["projects", "add", "shop", "--port", "8123", "--format", "json"]) == 0
    added = json.loads(capsys.readouterr().out)["dsn"]
    assert added.endswith("@127.0.0.1:8123/1")
    assert main(["projects", "add", "billing"]) == 0
    capsys.readouterr()

    assert main(["projects", "list", "--format", "json"]) == 0
    listed = {p["name"]: p["dsn"] for p in json.loads(capsys.readouterr().out)["projects"]}
    assert listed == {"shop": added, "billing": listed["billing"]}
    assert listed["billing"].endswith("@127.0.0.1:8000/2")

    assert main(["projects", "list", "--host", "errors.example.com", "--port", "443"]) == 0
    text = capsys.readouterr().out
    assert "@errors.example.com:443/1" in text and "@errors.example.com:443/2" in text
