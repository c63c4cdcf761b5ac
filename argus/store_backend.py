"""Which store holds the shared data, decided once from the environment.

``ARGUS_DATABASE_URL=postgresql://...`` puts the pattern library (patterns, events, tenants)
and the ingestion projects with their DSN keys in PostgreSQL, shared by every ``argus serve``
and ``argus worker`` pointed at it; otherwise they stay in the SQLite file ``argus serve``
chooses (``ServeSettings.store_path``). ``ARGUS_DATABASE_SCHEMA`` optionally names the
PostgreSQL schema (default: the database's search path).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import ConfigError
from core.store.postgres import is_postgres_url

if TYPE_CHECKING:
    from core.patterns.service import PatternService
    from ingest_server.keys import ProjectKeys


@dataclass(frozen=True)
class PostgresLocation:
    """A PostgreSQL database (and optionally a schema in it) holding the shared store."""

    url: str
    schema: str | None = None


StoreLocation = Path | PostgresLocation


def shared_store(environ: Mapping[str, str] | None = None) -> PostgresLocation | None:
    """The PostgreSQL store named by ``ARGUS_DATABASE_URL``, or None (SQLite).

    A ``sqlite:///`` URL (the App's queue) or no URL means the embedded store; any other
    scheme is a ConfigError.
    """
    env = os.environ if environ is None else environ
    url = env.get("ARGUS_DATABASE_URL", "").strip()
    if not url or url.startswith("sqlite:///"):
        return None
    if not is_postgres_url(url):
        raise ConfigError(
            f"ARGUS_DATABASE_URL must be sqlite:///<path> or postgresql://..., got {url[:40]!r}"
        )
    schema = env.get("ARGUS_DATABASE_SCHEMA", "").strip() or None
    return PostgresLocation(url, schema)


def open_pattern_service(location: StoreLocation) -> PatternService:
    """The pattern service over ``location``, its schema migrated first.

    On PostgreSQL the similarity index is process-local and in memory: it catches up from the
    store (patterns by creation order) before each similarity search, and hashes resolve in
    the store, so a pattern another node created is matched at once.
    """
    from core.patterns.service import open_service

    if isinstance(location, Path):
        return open_service(location)
    from core.patterns.embed import HashingEmbedder
    from core.patterns.service import PatternService
    from core.patterns.store import SqlPatternStore
    from core.store.postgres import PostgresExecutor, migrate
    from core.store.vector import LocalAnnIndex

    migrate(location.url, schema=location.schema)
    executor = PostgresExecutor(location.url, schema=location.schema)
    embedder = HashingEmbedder()
    return PatternService(
        SqlPatternStore(executor),
        LocalAnnIndex(embedder.dimensions, None),
        embedder,
        on_close=executor.close,
    )


def open_project_keys(location: StoreLocation) -> ProjectKeys:
    """The ingestion projects and their DSN keys at ``location``."""
    if isinstance(location, Path):
        from ingest_server.keys import SQLiteProjectKeys

        return SQLiteProjectKeys(location)
    from ingest_server.keys_postgres import PostgresProjectKeys

    return PostgresProjectKeys(location.url, schema=location.schema)
