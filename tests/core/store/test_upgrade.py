"""Upgrades keep data: every store fixture written by an earlier release (made by
scripts/make_store_fixture.py and committed) opens with this code, migrates, and still holds
each of its rows; migrations are forward-only; a store newer than the code is refused untouched."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from argus.core.errors import StoreError
from argus.core.store.sqlite import SQLiteStore, migration_scripts

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "stores").glob("argus-*.db"))


def _manifest(fixture: Path) -> dict[str, object]:
    return json.loads(fixture.with_suffix(".json").read_text(encoding="utf-8"))


def _rows(
    database: Path, table: str, columns: list[str] | None = None
) -> Counter[tuple[object, ...]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        names = columns or [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
        listed = ", ".join(f'"{name}"' for name in names)
        return Counter(db.execute(f"SELECT {listed} FROM {table}").fetchall())


def _columns(database: Path, table: str) -> list[str]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]


def test_there_is_a_fixture_of_the_current_release() -> None:
    from argus import __version__

    assert FIXTURES, "no store fixture: run scripts/make_store_fixture.py"
    assert any(_manifest(f)["version"] == __version__ for f in FIXTURES) or any(
        f.name == f"argus-{__version__}.db" for f in FIXTURES
    ), f"make a fixture of {__version__} with scripts/make_store_fixture.py before releasing it"


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda path: path.stem)
def test_an_old_store_opens_migrates_and_keeps_every_row(fixture: Path, tmp_path: Path) -> None:
    manifest = _manifest(fixture)
    copy = tmp_path / "home" / "argus.db"
    copy.parent.mkdir()
    shutil.copyfile(fixture, copy)
    store = SQLiteStore.open(copy)
    store.close()
    rows: dict[str, int] = manifest["rows"]  # type: ignore[assignment]
    for table, count in rows.items():
        before = _rows(fixture, table)
        assert sum(before.values()) == count, f"{table}: the fixture changed"
        after = _rows(copy, table, _columns(fixture, table))
        missing = before - after
        assert not missing, f"{table} lost {sum(missing.values())} rows in the upgrade"
    with sqlite3.connect(copy) as db:
        applied = {row[0] for row in db.execute("SELECT version FROM schema_migrations")}
    assert applied == {version for version, _, _ in migration_scripts()}


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda path: path.stem)
def test_the_commands_read_an_upgraded_store(fixture: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(fixture, home / "argus.db")
    env = {**os.environ, "ARGUS_HOME": str(home), "NO_COLOR": "1"}

    def argus(*arguments: str) -> str:
        completed = subprocess.run(
            [sys.executable, "-m", "argus", *arguments],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr
        return completed.stdout

    patterns = argus("patterns", "list")
    assert "KeyError: 'bob'" in patterns and "ZeroDivisionError" in patterns
    projects = argus("projects", "list")
    assert "shop" in projects and "billing" in projects
    with sqlite3.connect(fixture) as db:
        (key,) = db.execute("SELECT public_key FROM ingest_projects WHERE name = 'shop'").fetchone()
    assert key in projects, "the project's DSN key survived"
    (pattern_id,) = re.findall(r"pat_\w+(?=\s+2\s.*ZeroDivisionError)", patterns)
    shown = argus("patterns", "show", pattern_id)
    assert "ZeroDivisionError" in shown and "test" in shown.lower()


def test_migrations_are_forward_only() -> None:
    """A shipped migration is never edited, renumbered or removed: releases' stores rely on it."""
    scripts = migration_scripts()
    versions = [version for version, _, _ in scripts]
    assert len(versions) == len(set(versions)), "two migrations share a number"
    current = {name: hashlib.sha256(sql.encode()).hexdigest() for _, name, sql in scripts}
    for fixture in FIXTURES:
        shipped: dict[str, str] = _manifest(fixture)["migrations"]  # type: ignore[assignment]
        for name, checksum in shipped.items():
            assert name in current, f"{name}, shipped in {fixture.stem}, was removed or renamed"
            assert current[name] == checksum, (
                f"{name}, shipped in {fixture.stem}, was edited: add a new migration instead"
            )


def test_a_store_newer_than_the_code_is_refused_and_left_untouched(tmp_path: Path) -> None:
    database = tmp_path / "argus.db"
    shutil.copyfile(FIXTURES[-1], database)
    with sqlite3.connect(database) as db:
        db.execute("INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future.sql')")
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    with pytest.raises(StoreError, match=r"newer Argus \(schema 9999"):
        SQLiteStore.open(database)
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before
