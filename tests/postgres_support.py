"""A PostgreSQL schema of its own for each test (PostgreSQL runs on 127.0.0.1:5432, database
``test``, trust authentication; ``ARGUS_TEST_DATABASE_URL`` names another)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from argus.core.store.postgres import PostgresRowStore
from argus.core.store.sqlite import SQLiteStore

DATABASE_URL = os.environ.get(
    "ARGUS_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


@contextmanager
def fresh_schema() -> Iterator[tuple[str, str]]:
    """``(database url, schema name)`` of a schema that does not exist yet; dropped after."""
    schema = f"argus_test_{uuid.uuid4().hex[:12]}"
    try:
        yield DATABASE_URL, schema
    finally:
        with psycopg.connect(DATABASE_URL, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@contextmanager
def row_store(backend: str, folder: Path) -> Iterator[SQLiteStore | PostgresRowStore]:
    """The App state's and ledger's store on ``backend``: ``sqlite`` (a file in ``folder``) or
    ``postgres`` (a fresh schema of its own, migrated)."""
    if backend == "sqlite":
        with SQLiteStore.open(folder / "argus.db", handed_between_threads=True) as store:
            yield store
        return
    with fresh_schema() as (url, schema), PostgresRowStore(url, schema=schema) as shared:
        yield shared


#: Parameters of a fixture that runs the same store tests on both backends.
BACKENDS = ["sqlite", "postgres"]
