"""`argus doctor` checks the configured shared pattern store and says what is wrong."""

from __future__ import annotations

import psycopg

from argus.core.store.postgres import migrate
from argus.doctor_shared_store import check_shared_store
from tests.postgres_support import fresh_schema
from tests.servers.cloudflare import CloudflareServer


def test_postgresql_pending_current_and_newer_than_this_argus() -> None:
    with fresh_schema() as (url, schema):
        environ = {"ARGUS_DATABASE_URL": url, "ARGUS_DATABASE_SCHEMA": schema}
        ((name, status, message, fix),) = check_shared_store(environ)
        assert (name, status) == ("pattern store", "warn") and "0001_init.sql first" in message
        assert "argus migrate" in fix
        migrate(url, schema=schema)
        assert check_shared_store(environ)[0][1] == "ok"
        with psycopg.connect(url, autocommit=True) as db:
            db.execute(
                f"INSERT INTO {schema}.schema_migrations (version, name) "
                "VALUES (9000, '9000_x.sql')"
            )
        ((_, status, message, fix),) = check_shared_store(environ)
        assert status == "fail" and "9000_x.sql" in message and fix == "upgrade this Argus"


def test_unreachable_postgresql_fails() -> None:
    environ = {"ARGUS_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none?connect_timeout=2"}
    ((_, status, message, _),) = check_shared_store(environ)
    assert status == "fail" and "cannot reach the database" in message


def test_cloudflare_d1_and_vectorize_are_checked() -> None:
    with CloudflareServer(token="cf-token", account="acct") as cloudflare:
        environ = {
            "ARGUS_PATTERN_STORE": "cloudflare",
            "CLOUDFLARE_ACCOUNT_ID": "acct",
            "CLOUDFLARE_API_TOKEN": "cf-token",
            "CLOUDFLARE_API_BASE_URL": cloudflare.url,
            "ARGUS_D1_DATABASE_ID": "d1",
            "ARGUS_VECTORIZE_INDEX": "argus-patterns",
        }
        ((_, status, message, _),) = check_shared_store(environ)
        assert status == "warn" and "does not exist yet" in message
        cloudflare.add_index("argus-patterns", 768)
        assert check_shared_store(environ)[0][1] == "ok"
        ((_, status, message, fix),) = check_shared_store(
            {**environ, "CLOUDFLARE_API_TOKEN": "wrong"}
        )
        assert status == "fail" and "D1 database d1" in message and "permission" in fix


def test_a_missing_cloudflare_setting_fails_naming_it() -> None:
    ((_, status, message, _),) = check_shared_store({"ARGUS_PATTERN_STORE": "cloudflare"})
    assert status == "fail" and "CLOUDFLARE_ACCOUNT_ID" in message


def test_the_sqlite_default_is_left_to_the_store_check() -> None:
    assert check_shared_store({}) == []
