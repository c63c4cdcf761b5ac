"""`argus doctor` against the real things it checks: git, a real store file, the PostgreSQL
that runs on this machine, and closed ports for services that do not answer."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from argus.core.store.sqlite import SQLiteStore
from argus.doctor_command import FAIL, OK, WARN, check_database, check_models, check_store
from tests.support import free_port

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def doctor(cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ARGUS_", "ANTHROPIC"))}
    environ.update(env)
    return subprocess.run(
        [sys.executable, "-m", "argus", "doctor"],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    return tmp_path


def test_a_clean_repository_passes(repo: Path) -> None:
    completed = doctor(repo)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "0 failed" in completed.stdout
    assert "OK    git" in completed.stdout


def test_a_store_readable_by_others_is_a_warning_with_the_fix(repo: Path) -> None:
    home = repo / "home"
    SQLiteStore.open(home / "argus.db").close()
    os.chmod(home, 0o755)
    os.chmod(home / "argus.db", 0o644)
    (found,) = [c for c in check_store({"ARGUS_HOME": str(home)}, repo) if c.status == WARN]
    assert "other users can read" in found.message
    assert found.fix == f"chmod 700 {home} && chmod 600 {home / 'argus.db'}"


def test_a_store_from_a_newer_argus_fails_and_names_both_versions(repo: Path) -> None:
    home = repo / "home"
    SQLiteStore.open(home / "argus.db").close()
    with sqlite3.connect(home / "argus.db") as db:
        db.execute("INSERT INTO schema_migrations (version, name) VALUES (9999, 'future.sql')")
    completed = doctor(repo, ARGUS_HOME=str(home))
    assert completed.returncode == 1
    assert "schema 9999, newer than this Argus knows" in completed.stdout
    assert "fix: upgrade Argus" in completed.stdout


def test_a_file_that_is_not_a_store_fails(repo: Path) -> None:
    home = repo / "home"
    home.mkdir(mode=0o700)
    (home / "argus.db").write_bytes(b"not a database" * 100)
    os.chmod(home / "argus.db", 0o600)
    (found,) = check_store({"ARGUS_HOME": str(home)}, repo)
    assert found.status == FAIL and "cannot be read as an Argus store" in found.message


def test_an_older_store_is_fine_and_says_it_will_be_migrated(repo: Path) -> None:
    home = repo / "home"
    SQLiteStore.open(home / "argus.db").close()
    with sqlite3.connect(home / "argus.db") as db:
        newest = db.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
        db.execute("DELETE FROM schema_migrations WHERE version = ?", (newest,))
    os.chmod(home, 0o700)
    os.chmod(home / "argus.db", 0o600)
    checks = check_store({"ARGUS_HOME": str(home)}, repo)
    assert [c.status for c in checks] == [OK]
    assert f"migrated to {newest} on next open" in checks[0].message


def test_the_database_check_connects_to_postgresql() -> None:
    (good,) = check_database({"ARGUS_DATABASE_URL": POSTGRES_URL})
    assert good.status == OK and good.message.startswith("PostgreSQL ")
    closed = f"postgresql://postgres@127.0.0.1:{free_port()}/test"
    (bad,) = check_database({"ARGUS_DATABASE_URL": closed})
    assert bad.status == FAIL and "cannot connect" in bad.message and bad.fix


def test_half_configured_or_unreachable_models_fail(repo: Path) -> None:
    (half,) = check_models({"ARGUS_OPENAI_BASE_URL": "http://127.0.0.1:1/v1"})
    assert half.status == FAIL and "ARGUS_OPENAI_MODEL" in half.message
    completed = doctor(
        repo,
        ANTHROPIC_API_KEY="sk-test",
        ARGUS_ANTHROPIC_BASE_URL=f"http://127.0.0.1:{free_port()}",
    )
    assert completed.returncode == 1
    assert "FAIL  anthropic" in completed.stdout and "cannot reach" in completed.stdout


def test_a_malformed_app_configuration_names_the_variable(repo: Path) -> None:
    completed = doctor(repo, ARGUS_GITHUB_APP_ID="not-a-number")
    assert completed.returncode == 1
    assert "FAIL  github app" in completed.stdout
    assert "ARGUS_GITHUB_APP_ID must be the App's number" in completed.stdout


def test_a_malformed_env_file_is_named_with_its_line(repo: Path) -> None:
    (repo / ".env").write_text("ARGUS_GITHUB_APP_ID=12\nthis line is not a setting\n")
    completed = doctor(repo)
    assert completed.returncode == 1
    assert ".env:2: expected KEY=value" in completed.stdout


def test_the_app_check_signs_in_to_the_github_stand_in(repo: Path) -> None:
    from tests.servers.github_api import GitHubAPIServer, rsa_key_pair

    private, public = rsa_key_pair()
    other_private, _ = rsa_key_pair()
    with GitHubAPIServer(app_id=42, public_key_pem=public) as server:
        settings = {
            "ARGUS_GITHUB_APP_ID": "42",
            "ARGUS_GITHUB_WEBHOOK_SECRET": "s3cret",
            "ARGUS_GITHUB_API_URL": server.url,
        }
        good = doctor(repo, ARGUS_GITHUB_PRIVATE_KEY=private, **settings)
        assert good.returncode == 0, good.stdout
        assert "OK    github app  App 42 (argus-test)" in good.stdout
        wrong = doctor(repo, ARGUS_GITHUB_PRIVATE_KEY=other_private, **settings)
        assert wrong.returncode == 1
        assert "refused the App's token (HTTP 401)" in wrong.stdout
        assert "must belong to the same App" in wrong.stdout
