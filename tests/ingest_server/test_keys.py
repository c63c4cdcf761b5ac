"""Ingestion projects in the store: keys, tenants, DSNs, lookups from several threads."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from argus.core.errors import ConfigError
from argus.ingest_server.keys import Project, SQLiteProjectKeys, StaticProjectKeys


def test_a_project_gets_a_random_key_and_a_dsn(tmp_path: Path) -> None:
    keys = SQLiteProjectKeys(tmp_path / "argus.db")
    first = keys.add("shop")
    second = keys.add("billing", tenant="acme")
    assert (first.project_id, first.tenant) == (1, "shop")
    assert (second.project_id, second.tenant) == (2, "acme")
    assert len(first.public_key) == 32 and first.public_key != second.public_key
    assert first.dsn("127.0.0.1", 8000) == f"http://{first.public_key}@127.0.0.1:8000/1"
    assert keys.tenant_for("1", first.public_key) == "shop"
    assert keys.tenant_for("2", second.public_key) == "acme"
    # A key only opens its own project.
    assert keys.tenant_for("2", first.public_key) is None
    assert keys.tenant_for("1", "0" * 32) is None
    assert keys.tenant_for("one", first.public_key) is None
    assert [project.name for project in keys.projects()] == ["shop", "billing"]
    keys.close()


def test_projects_added_by_another_process_are_seen_at_once(tmp_path: Path) -> None:
    server_side = SQLiteProjectKeys(tmp_path / "argus.db")
    assert server_side.tenant_for("1", "k") is None
    added = SQLiteProjectKeys(tmp_path / "argus.db").add("late")
    assert server_side.tenant_for("1", added.public_key) == "late"


def test_lookups_from_many_threads(tmp_path: Path) -> None:
    keys = SQLiteProjectKeys(tmp_path / "argus.db")
    project = keys.add("shop")
    found: list[str | None] = []

    def look() -> None:
        for _ in range(20):
            found.append(keys.tenant_for("1", project.public_key))

    threads = [threading.Thread(target=look) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == ["shop"] * 80
    keys.close()


@pytest.mark.parametrize("name", ["", "-lead", "has space", "x" * 65, "ünï"])
def test_bad_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError, match="not valid"):
        SQLiteProjectKeys(tmp_path / "argus.db").add(name)


def test_a_name_is_used_once(tmp_path: Path) -> None:
    keys = SQLiteProjectKeys(tmp_path / "argus.db")
    keys.add("shop")
    with pytest.raises(ConfigError, match="exists already"):
        keys.add("shop")


def test_static_keys() -> None:
    keys = StaticProjectKeys((Project(7, "shop", "acme", "k" * 32),))
    assert keys.tenant_for("7", "k" * 32) == "acme"
    assert keys.tenant_for("8", "k" * 32) is None
    assert keys.tenant_for("7", "j" * 32) is None
