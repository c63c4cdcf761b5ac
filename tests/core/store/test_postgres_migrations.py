"""The PostgreSQL dialect of the migrations: one per SQLite migration, the same tables and
columns, applied once however many nodes start at once, and an older node refused."""

from __future__ import annotations

import sqlite3
import threading

import psycopg
import pytest

from argus.core.errors import StoreError
from argus.core.store.postgres import migrate, pending, postgres_migration_scripts
from argus.core.store.sqlite import SQLiteStore, migration_scripts
from tests.postgres_support import fresh_schema


def test_every_sqlite_migration_has_a_postgresql_twin_of_the_same_number_and_name() -> None:
    sqlite_names = [name for _, name, _ in migration_scripts()]
    postgres_names = [name for _, name, _ in postgres_migration_scripts()]
    assert postgres_names == sqlite_names


def test_both_dialects_make_the_same_tables_and_columns() -> None:
    store = SQLiteStore.open(":memory:")
    db: sqlite3.Connection = store.connection
    tables = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    sqlite_columns = {
        table: sorted(row[1] for row in db.execute(f"PRAGMA table_info({table})"))
        for table in tables
    }
    store.close()
    with fresh_schema() as (url, schema):
        migrate(url, schema=schema)
        with psycopg.connect(url) as connection:
            rows = connection.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = %s",
                (schema,),
            ).fetchall()
    postgres_columns: dict[str, list[str]] = {}
    for table, column in rows:
        postgres_columns.setdefault(table, []).append(column)
    postgres_columns = {table: sorted(columns) for table, columns in postgres_columns.items()}
    # PostgreSQL's schema_migrations also records when each migration was applied.
    postgres_columns["schema_migrations"].remove("applied_at")
    assert postgres_columns == sqlite_columns


def test_nodes_starting_at_once_apply_each_migration_once() -> None:
    with fresh_schema() as (url, schema):
        applied: list[list[str]] = []
        errors: list[BaseException] = []
        start = threading.Barrier(5)

        def node() -> None:
            start.wait()
            try:
                applied.append(migrate(url, schema=schema))
            except BaseException as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)

        threads = [threading.Thread(target=node) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        every = [name for _, name, _ in postgres_migration_scripts()]
        assert sorted(applied, key=len) == [[], [], [], [], every]
        assert pending(url, schema=schema) == []
        assert migrate(url, schema=schema) == []


def test_a_node_older_than_the_database_refuses_naming_the_migration_it_lacks() -> None:
    with fresh_schema() as (url, schema):
        migrate(url, schema=schema)
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(
                f"INSERT INTO {schema}.schema_migrations (version, name) "
                "VALUES (9999, '9999_from_the_future.sql')"
            )
        with pytest.raises(StoreError, match="9999_from_the_future.sql.*upgrade this node"):
            migrate(url, schema=schema)
        with pytest.raises(StoreError, match="9999_from_the_future.sql"):
            pending(url, schema=schema)


def test_an_unreachable_database_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match="cannot reach the database"):
        migrate("postgresql://postgres@127.0.0.1:1/none?connect_timeout=2")
