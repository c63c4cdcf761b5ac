"""`argus serve` settings: read once from the environment, checked with messages that say what
to fix; and where the pattern library lives."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from argus.core.errors import ConfigError
from argus.core.store.sqlite import locate_store
from argus.serve import serve_settings


def test_defaults(tmp_path: Path) -> None:
    settings = serve_settings(environ={"ARGUS_HOME": str(tmp_path)})
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.store_path == tmp_path / "argus.db"
    assert settings.max_body_bytes == 4 * 1024 * 1024
    assert settings.sentry_client_secret is None


def test_values_from_the_environment(tmp_path: Path) -> None:
    settings = serve_settings(
        "0.0.0.0",
        9000,
        environ={
            "ARGUS_HOME": str(tmp_path),
            "ARGUS_INGEST_MAX_BYTES": "16_777_216",
            "ARGUS_SENTRY_CLIENT_SECRET": "abc",
        },
    )
    assert (settings.port, settings.max_body_bytes) == (9000, 16 * 1024 * 1024)
    assert settings.sentry_client_secret == "abc"


@pytest.mark.parametrize(
    ("port", "environ", "says"),
    [
        (8000, {"ARGUS_INGEST_MAX_BYTES": "4MB"}, "is not a number of bytes"),
        (8000, {"ARGUS_INGEST_MAX_BYTES": "100"}, "at least 1024 bytes"),
        (8000, {"ARGUS_SENTRY_CLIENT_SECRET": "   "}, "client secret is empty"),
        (0, {}, "is not a TCP port"),
        (70000, {}, "is not a TCP port"),
    ],
)
def test_bad_settings_say_what_to_fix(
    tmp_path: Path, port: int, environ: dict[str, str], says: str
) -> None:
    with pytest.raises(ConfigError, match=says):
        serve_settings(port=port, environ={"ARGUS_HOME": str(tmp_path), **environ})


def test_the_library_is_in_the_repository_else_in_the_home_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    (repo / "deep" / "er").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    assert locate_store(repo / "deep" / "er", {}) == repo.resolve() / ".argus" / "argus.db"
    outside = tmp_path / "plain"
    outside.mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert locate_store(outside, {}) == tmp_path / "user" / ".argus" / "argus.db"
    assert locate_store(outside, {"ARGUS_HOME": "/srv/argus"}) == Path("/srv/argus/argus.db")
