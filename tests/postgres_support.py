"""A PostgreSQL schema of its own for each test (PostgreSQL runs on 127.0.0.1:5432, database
``test``, trust authentication; ``ARGUS_TEST_DATABASE_URL`` names another)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

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
