"""Which store holds the shared data, decided once from the environment.

``ARGUS_DATABASE_URL=postgresql://...`` puts the pattern library (patterns, events, tenants)
and the ingestion projects with their DSN keys in PostgreSQL, shared by every ``argus serve``
and ``argus worker`` pointed at it; otherwise they stay in the SQLite file ``argus serve``
chooses (``ServeSettings.store_path``). ``ARGUS_DATABASE_SCHEMA`` optionally names the
PostgreSQL schema (default: the database's search path). The other shared rows follow the
same choice (:func:`open_row_store`): the GitHub App's state, the cost ledger and budgets, and
the regression-test requests; the test cache is the pattern library's ``pattern_tests``.

``ARGUS_PATTERN_STORE=cloudflare`` puts the pattern library on Cloudflare instead: rows in
the D1 database ``ARGUS_D1_DATABASE_ID``, vectors in the Vectorize index
``ARGUS_VECTORIZE_INDEX`` (created when missing), embeddings by Workers AI, all with
``CLOUDFLARE_ACCOUNT_ID`` and ``CLOUDFLARE_API_TOKEN`` (``CLOUDFLARE_API_BASE_URL`` points
elsewhere, e.g. a test server). The DSN keys then stay in PostgreSQL or SQLite as above.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from argus.core.errors import ConfigError
from argus.core.store.postgres import is_postgres_url

if TYPE_CHECKING:
    from argus.core.patterns.service import PatternService
    from argus.core.patterns.store import SqlPatternStore
    from argus.core.store.postgres import PostgresRowStore
    from argus.core.store.sqlite import SQLiteStore
    from argus.github_app.state import AppState
    from argus.ingest_server.keys import SQLiteProjectKeys
    from argus.ingest_server.keys_postgres import PostgresProjectKeys
    from argus.regression_jobs import RegressionRequests


@dataclass(frozen=True)
class PostgresLocation:
    """A PostgreSQL database (and optionally a schema in it) holding the shared store."""

    url: str
    schema: str | None = None


@dataclass(frozen=True)
class CloudflareLocation:
    """The pattern library on Cloudflare D1 + Vectorize + Workers AI."""

    account_id: str
    api_token: str
    database_id: str
    index_name: str
    base_url: str

    def __repr__(self) -> str:  # the token stays out of logs and tracebacks
        return f"CloudflareLocation(database={self.database_id!r}, index={self.index_name!r})"


SharedLocation = PostgresLocation | CloudflareLocation
StoreLocation = Path | SharedLocation
PATTERN_STORES = ("sqlite", "postgres", "cloudflare")
_CLOUDFLARE_SETTINGS = (
    "CLOUDFLARE_ACCOUNT_ID",
    "CLOUDFLARE_API_TOKEN",
    "ARGUS_D1_DATABASE_ID",
    "ARGUS_VECTORIZE_INDEX",
)


def shared_store(environ: Mapping[str, str] | None = None) -> SharedLocation | None:
    """Where the pattern library is shared: Cloudflare (``ARGUS_PATTERN_STORE=cloudflare``),
    the PostgreSQL database of ``ARGUS_DATABASE_URL``, or None (the SQLite file).

    A missing Cloudflare setting, an unknown ``ARGUS_PATTERN_STORE`` or a URL of another
    scheme is a ConfigError naming what to set.
    """
    env = os.environ if environ is None else environ
    kind = env.get("ARGUS_PATTERN_STORE", "").strip().lower()
    if kind and kind not in PATTERN_STORES:
        raise ConfigError(
            f"ARGUS_PATTERN_STORE={kind!r}: use one of {', '.join(PATTERN_STORES)} "
            "(postgres needs ARGUS_DATABASE_URL=postgresql://...)"
        )
    if kind == "cloudflare":
        missing = [name for name in _CLOUDFLARE_SETTINGS if not env.get(name, "").strip()]
        if missing:
            raise ConfigError(f"ARGUS_PATTERN_STORE=cloudflare needs {', '.join(missing)}")
        from argus.core.store.cloudflare import DEFAULT_BASE_URL

        return CloudflareLocation(
            account_id=env["CLOUDFLARE_ACCOUNT_ID"].strip(),
            api_token=env["CLOUDFLARE_API_TOKEN"].strip(),
            database_id=env["ARGUS_D1_DATABASE_ID"].strip(),
            index_name=env["ARGUS_VECTORIZE_INDEX"].strip(),
            base_url=env.get("CLOUDFLARE_API_BASE_URL", "").strip() or DEFAULT_BASE_URL,
        )
    return _postgres(env, required=kind == "postgres")


def _postgres(env: Mapping[str, str], *, required: bool) -> PostgresLocation | None:
    url = env.get("ARGUS_DATABASE_URL", "").strip()
    if not url or url.startswith("sqlite:///"):
        if required:
            raise ConfigError(
                "ARGUS_PATTERN_STORE=postgres needs ARGUS_DATABASE_URL=postgresql://..."
            )
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
    from argus.core.patterns.service import open_service

    if isinstance(location, Path):
        return open_service(location)
    if isinstance(location, CloudflareLocation):
        return _cloudflare_service(location)
    from argus.core.patterns.embed import HashingEmbedder
    from argus.core.patterns.service import PatternService
    from argus.core.patterns.store import SqlPatternStore
    from argus.core.store.postgres import PostgresExecutor, migrate
    from argus.core.store.vector import LocalAnnIndex

    migrate(location.url, schema=location.schema)
    executor = PostgresExecutor(location.url, schema=location.schema)
    embedder = HashingEmbedder()
    return PatternService(
        SqlPatternStore(executor),
        LocalAnnIndex(embedder.dimensions, None),
        embedder,
        on_close=executor.close,
    )


def _cloudflare_service(location: CloudflareLocation) -> PatternService:
    """D1 (migrated) + Vectorize (created when missing) + Workers AI embeddings."""
    from argus.core.errors import StoreError
    from argus.core.patterns.service import PatternService
    from argus.core.patterns.store import SqlPatternStore
    from argus.core.patterns.workers_ai import WorkersAIEmbedder
    from argus.core.store.d1 import D1Executor
    from argus.core.store.vectorize import VectorizeIndex

    account, token, base = location.account_id, location.api_token, location.base_url
    d1 = D1Executor(account, location.database_id, token, base_url=base)
    embedder = WorkersAIEmbedder(account, token, base_url=base)
    index = VectorizeIndex(account, location.index_name, token, embedder.dimensions, base_url=base)
    try:
        d1.migrate()
        try:
            index.info()
        except StoreError as missing:
            if "404" not in str(missing):
                raise
            index.create(description="Argus error patterns")
    except BaseException:
        d1.close()
        index.close()
        embedder.close()
        raise

    def close() -> None:
        d1.close()
        index.close()
        embedder.close()

    return PatternService(SqlPatternStore(d1), index, embedder, on_close=close)


def open_project_keys(
    shared: SharedLocation | None, store_path: Path
) -> SQLiteProjectKeys | PostgresProjectKeys:
    """The ingestion projects and their DSN keys: in PostgreSQL when the store is shared
    there, else in the SQLite file at ``store_path``."""
    if isinstance(shared, PostgresLocation):
        from argus.core.store.postgres import migrate
        from argus.ingest_server.keys_postgres import PostgresProjectKeys

        migrate(shared.url, schema=shared.schema)  # behind the advisory lock; quick when done
        return PostgresProjectKeys(shared.url, schema=shared.schema)
    from argus.ingest_server.keys import SQLiteProjectKeys

    return SQLiteProjectKeys(store_path)


def open_row_store(
    shared: SharedLocation | None, store_path: Path
) -> SQLiteStore | PostgresRowStore:
    """The store of the rows every node shares besides the pattern library: the App's state
    (installations, usage, reports, switches, reviews), the cost ledger and budgets, and the
    regression-test requests. In PostgreSQL when the store is shared there (also with the
    pattern library on Cloudflare, when ``ARGUS_DATABASE_URL`` names PostgreSQL), else the
    SQLite file at ``store_path``; migrated either way."""
    location = shared if isinstance(shared, PostgresLocation) else None
    if location is None and isinstance(shared, CloudflareLocation):
        location = _postgres(os.environ, required=False)
    if location is not None:
        from argus.core.store.postgres import PostgresRowStore

        return PostgresRowStore(location.url, schema=location.schema)
    from argus.core.store.sqlite import SQLiteStore

    return SQLiteStore.open(store_path, handed_between_threads=True)


def open_app_state(shared: SharedLocation | None, store_path: Path) -> AppState:
    """The GitHub App's state (:func:`open_row_store`)."""
    from argus.github_app.state import AppState

    return AppState(open_row_store(shared, store_path))


def open_regression_requests(shared: SharedLocation | None, store_path: Path) -> RegressionRequests:
    """The regression-test requests (``regression_requests``): in PostgreSQL when the store is
    shared there, so that one pattern gets one test whichever node filed its events."""
    from argus.regression_jobs import RegressionRequests

    if isinstance(shared, PostgresLocation):
        from argus.core.store.postgres import PostgresRowStore

        return RegressionRequests(PostgresRowStore(shared.url, schema=shared.schema))
    return RegressionRequests(store_path)


def open_pattern_reader(shared: SharedLocation | None, store_path: Path) -> PatternReader:
    """Read-only access to the pattern library for ``argus worker`` (reviews count the
    production errors of linked repositories): the shared store's, else the SQLite file's."""
    from argus.core.patterns.store import SqlPatternStore

    if isinstance(shared, PostgresLocation):
        from argus.core.store.postgres import PostgresExecutor

        executor = PostgresExecutor(shared.url, schema=shared.schema)
        return PatternReader(SqlPatternStore(executor), executor.close)
    if isinstance(shared, CloudflareLocation):
        from argus.core.store.d1 import D1Executor

        d1 = D1Executor(
            shared.account_id, shared.database_id, shared.api_token, base_url=shared.base_url
        )
        return PatternReader(SqlPatternStore(d1), d1.close)
    from argus.core.patterns.store import SQLiteExecutor
    from argus.core.store.sqlite import SQLiteStore

    sqlite = SQLiteStore.open(store_path, handed_between_threads=True)
    return PatternReader(SqlPatternStore(SQLiteExecutor(sqlite)), sqlite.close)


@dataclass
class PatternReader:
    """A pattern store opened for reading, and how to close it."""

    store: SqlPatternStore
    close: Callable[[], None]
