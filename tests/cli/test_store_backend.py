"""Where the shared store is, read once from the environment, and `argus migrate`."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from argus.cli import main
from argus.core.errors import ConfigError
from argus.store_backend import CloudflareLocation, PostgresLocation, shared_store
from tests.postgres_support import fresh_schema

CLOUDFLARE = {
    "ARGUS_PATTERN_STORE": "cloudflare",
    "CLOUDFLARE_ACCOUNT_ID": "acct",
    "CLOUDFLARE_API_TOKEN": "secret-token",
    "ARGUS_D1_DATABASE_ID": "d1-id",
    "ARGUS_VECTORIZE_INDEX": "patterns",
}


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, None),
        ({"ARGUS_DATABASE_URL": "sqlite:///.argus/github-app.db"}, None),
        (
            {"ARGUS_DATABASE_URL": "postgres://argus@db/argus"},
            PostgresLocation("postgres://argus@db/argus"),
        ),
        (
            {"ARGUS_DATABASE_URL": "postgresql://db/a", "ARGUS_DATABASE_SCHEMA": "tenant_a"},
            PostgresLocation("postgresql://db/a", "tenant_a"),
        ),
        (
            CLOUDFLARE,
            CloudflareLocation(
                "acct", "secret-token", "d1-id", "patterns", "https://api.cloudflare.com/client/v4"
            ),
        ),
    ],
)
def test_the_shared_store_comes_from_the_environment(environ, expected) -> None:
    assert shared_store(environ) == expected


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"ARGUS_DATABASE_URL": "mysql://db"}, "must be sqlite:///<path> or postgresql://"),
        ({"ARGUS_PATTERN_STORE": "dynamo"}, "use one of sqlite, postgres, cloudflare"),
        ({"ARGUS_PATTERN_STORE": "postgres"}, "needs ARGUS_DATABASE_URL"),
        (
            {**CLOUDFLARE, "ARGUS_VECTORIZE_INDEX": " ", "CLOUDFLARE_API_TOKEN": ""},
            "needs CLOUDFLARE_API_TOKEN, ARGUS_VECTORIZE_INDEX",
        ),
    ],
)
def test_bad_store_settings_say_what_to_set(environ, message) -> None:
    with pytest.raises(ConfigError, match=message):
        shared_store(environ)


def test_the_api_token_is_not_in_the_locations_repr() -> None:
    location = shared_store(CLOUDFLARE)
    assert "secret-token" not in repr(location)


def test_argus_migrate_on_postgresql_applies_then_checks(
    monkeypatch, tmp_path: Path, capsys
) -> None:
    with fresh_schema() as (url, schema):
        monkeypatch.setenv("ARGUS_DATABASE_URL", url)
        monkeypatch.setenv("ARGUS_DATABASE_SCHEMA", schema)
        monkeypatch.setenv("ARGUS_HOME", str(tmp_path))
        monkeypatch.delenv("ARGUS_PATTERN_STORE", raising=False)
        assert main(["migrate", "--check"]) == 1
        assert "pending 0003_patterns.sql" in capsys.readouterr().out
        assert main(["migrate"]) == 0
        assert "applied 0003_patterns.sql" in capsys.readouterr().out
        assert main(["migrate", "--check"]) == 0
        with psycopg.connect(url) as db:
            (count,) = db.execute(f"SELECT count(*) FROM {schema}.schema_migrations").fetchone()
        assert count > 0


def test_argus_migrate_on_sqlite(monkeypatch, tmp_path: Path, capsys) -> None:
    monkeypatch.delenv("ARGUS_DATABASE_URL", raising=False)
    monkeypatch.delenv("ARGUS_PATTERN_STORE", raising=False)
    monkeypatch.setenv("ARGUS_HOME", str(tmp_path))
    assert main(["migrate", "--check"]) == 1
    assert main(["migrate"]) == 0
    assert main(["migrate", "--check"]) == 0
    assert "0 migration(s) pending" in capsys.readouterr().out
    assert (tmp_path / "argus.db").exists()


def test_projects_added_on_one_node_are_known_to_every_node(
    monkeypatch, tmp_path: Path, capsys
) -> None:
    from argus.ingest_server.keys_postgres import PostgresProjectKeys

    with fresh_schema() as (url, schema):
        monkeypatch.setenv("ARGUS_DATABASE_URL", url)
        monkeypatch.setenv("ARGUS_DATABASE_SCHEMA", schema)
        monkeypatch.setenv("ARGUS_HOME", str(tmp_path / "node-a"))
        monkeypatch.delenv("ARGUS_PATTERN_STORE", raising=False)
        assert main(["migrate"]) == 0
        assert main(["projects", "add", "shop", "--tenant", "acme"]) == 0
        assert main(["projects", "add", "shop"]) == 2  # the name is taken, on any node
        capsys.readouterr()
        monkeypatch.setenv("ARGUS_HOME", str(tmp_path / "node-b"))  # another node
        assert main(["projects", "list"]) == 0
        assert "shop" in capsys.readouterr().out
        keys = PostgresProjectKeys(url, schema=schema)
        (project,) = keys.projects()
        assert keys.tenant_for(str(project.project_id), project.public_key) == "acme"
        assert keys.tenant_for(str(project.project_id), "0" * 32) is None
        assert keys.tenant_for("not-a-number", project.public_key) is None
        keys.close()
        assert not (tmp_path / "node-a" / "argus.db").exists()  # nothing went to SQLite
