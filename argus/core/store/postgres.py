"""The shared store on PostgreSQL: migrations behind an advisory lock, and an executor.

Migrations are the numbered files in ``migrations/postgres/``, one per SQLite migration of
the same number (``migrations/``). :func:`migrate` takes a session advisory lock first, so
any number of nodes may start at once: one applies what is missing, the others wait and
find nothing left to do. A node whose Argus lacks a migration the database already has
(an older node next to newer ones) is refused with the migration's name.

:class:`PostgresExecutor` runs the pattern store's portable SQL (``?`` placeholders) on
one connection; a lost connection is reopened on the next call, and a batch that lost a
deadlock or serialisation race is retried whole (it is one transaction).
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from importlib import resources
from typing import Any

import psycopg
import psycopg.rows
from psycopg import errors as pg_errors
from psycopg.rows import dict_row

from argus.core.errors import StoreError

#: Key of the session advisory lock held while migrating (any constant shared by all nodes).
MIGRATION_LOCK = 0x41524755  # "ARGU"
#: First key of the per-tenant transaction lock that serialises pattern creation.
PATTERN_CREATION_LOCK = 0x41524756
#: Attempts of a batch that lost a deadlock or serialisation race.
BATCH_ATTEMPTS = 5
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")

Row = dict[str, Any]
Statement = tuple[str, Sequence[object]]


class StoreUnavailable(StoreError):
    """The database cannot be reached now; the request may be retried later."""

    #: The connection that failed had served earlier calls (it may have died while idle).
    stale = False


def is_postgres_url(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL database (``postgresql://`` or ``postgres://``)."""
    return url.startswith(("postgresql://", "postgres://"))


def conninfo(url: str) -> str:
    """``url`` as libpq takes it (``postgres://`` is accepted as a synonym)."""
    if url.startswith("postgres://"):
        return "postgresql://" + url.removeprefix("postgres://")
    return url


def postgres_migration_scripts() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every PostgreSQL migration shipped with Argus, in order."""
    scripts = []
    folder = resources.files("argus.core.store") / "migrations" / "postgres"
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            scripts.append((version, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(scripts)


def connect(
    url: str, *, schema: str | None = None, timeout: float = 10.0
) -> psycopg.Connection[Row]:
    """An autocommit connection returning dict rows; ``schema`` becomes the search path."""
    options: dict[str, Any] = {"autocommit": True, "row_factory": dict_row}
    if schema is not None:
        if not _SCHEMA_NAME.fullmatch(schema):
            raise StoreError(f"schema {schema!r} is not a plain lower-case SQL name")
        options["options"] = f"-c search_path={schema}"
    try:
        return psycopg.connect(conninfo(url), connect_timeout=max(1, int(timeout)), **options)
    except psycopg.OperationalError as error:
        raise StoreUnavailable(
            f"cannot reach the database at {_redacted(url)}: {_first_line(error)}"
        ) from error
    except psycopg.Error as error:
        raise StoreError(f"cannot open the database {_redacted(url)}: {error}") from error


def migrate(url: str, *, schema: str | None = None) -> list[str]:
    """Apply every missing migration behind an advisory lock; return the names applied.

    Safe to run from several nodes at once. Raises :class:`StoreError` naming the
    migration(s) when the database holds migrations this Argus does not know.
    """
    known = postgres_migration_scripts()
    with connect(url, schema=schema) as db:
        try:
            # Everything, even creating the schema, under the lock: concurrent
            # ``CREATE ... IF NOT EXISTS`` statements race in PostgreSQL.
            db.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
            try:
                if schema is not None:
                    db.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
                db.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    "version BIGINT PRIMARY KEY, name TEXT NOT NULL, "
                    "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
                )
                applied = _applied(db)
                _refuse_unknown(applied, known, url)
                done = []
                for version, name, sql in known:
                    if version in applied:
                        continue
                    with db.transaction():
                        db.execute(sql.encode("utf-8"))  # several statements, no parameters
                        db.execute(
                            "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                            (version, name),
                        )
                    done.append(name)
                return done
            finally:
                db.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
        except psycopg.OperationalError as error:
            raise StoreUnavailable(f"lost the database while migrating: {error}") from error
        except psycopg.Error as error:
            raise StoreError(f"cannot migrate the database {_redacted(url)}: {error}") from error


def pending(url: str, *, schema: str | None = None) -> list[str]:
    """Names of the migrations this Argus would apply (reads only); refuses as :func:`migrate`."""
    known = postgres_migration_scripts()
    with connect(url, schema=schema) as db:
        try:
            exists = db.execute("SELECT to_regclass('schema_migrations') AS t").fetchone()
            applied = _applied(db) if exists and exists["t"] is not None else {}
        except psycopg.Error as error:
            raise StoreError(f"cannot read the database {_redacted(url)}: {error}") from error
    _refuse_unknown(applied, known, url)
    return [name for version, name, _ in known if version not in applied]


def _applied(db: psycopg.Connection[Row]) -> dict[int, str]:
    return {
        int(row["version"]): str(row["name"])
        for row in db.execute("SELECT version, name FROM schema_migrations")
    }


def _refuse_unknown(applied: dict[int, str], known: list[tuple[int, str, str]], url: str) -> None:
    missing = sorted(set(applied) - {version for version, _, _ in known})
    if missing:
        names = ", ".join(applied[version] for version in missing)
        raise StoreError(
            f"the database {_redacted(url)} has migration {names}, which this Argus lacks "
            "(a newer Argus applied it): upgrade this node before starting it"
        )


class PostgresExecutor:
    """The pattern store's ``SqlExecutor`` on PostgreSQL: one connection, used under a lock.

    Statements are written for SQLite (``?`` placeholders); they are translated once each.
    A batch runs in one transaction; a batch creating patterns first takes a per-tenant
    transaction lock, so a tenant's patterns commit in ``seq`` order (nodes catching up by
    ``seq`` then miss none).
    """

    def __init__(self, url: str, *, schema: str | None = None) -> None:
        self.url = url
        self.schema = schema
        self._lock = threading.Lock()
        self._connection: psycopg.Connection[Row] | None = None

    def execute(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """Run one statement (autocommit); rows as dicts. A read on a connection that died
        while idle (the database restarted since) is tried once more on a new one."""
        reading = sql.lstrip()[:6].upper() == "SELECT"
        for last in (False, True):
            try:
                with self._lock, self._session() as db:
                    cursor = db.execute(translate(sql), tuple(params))
                    return list(cursor.fetchall()) if cursor.description is not None else []
            except StoreUnavailable as error:
                if last or not (error.stale and reading):
                    raise
            except (pg_errors.DeadlockDetected, pg_errors.SerializationFailure) as error:
                raise StoreError(f"store query failed: {error}") from error
        raise AssertionError("unreachable")

    def execute_batch(self, statements: Sequence[Statement]) -> list[list[Row]]:
        """Run statements in one transaction, retried whole after a lost deadlock race, or
        once when a connection that died while idle failed before the commit (then nothing
        was written). A connection lost during the commit is :class:`StoreUnavailable`: the
        outcome is unknown, and the caller acknowledges nothing."""
        creating = sorted(
            {
                str(params[1])
                for sql, params in statements
                if sql.startswith("INSERT INTO patterns ") and len(params) > 1
            }
        )
        reconnected = False
        for attempt in range(1, BATCH_ATTEMPTS + 1):
            committing = False
            try:
                with self._lock, self._session() as db, db.transaction():
                    for tenant in creating:
                        db.execute(
                            "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                            (PATTERN_CREATION_LOCK, tenant),
                        )
                    results = []
                    for sql, params in statements:
                        cursor = db.execute(translate(sql), tuple(params))
                        results.append(
                            list(cursor.fetchall()) if cursor.description is not None else []
                        )
                    committing = True
                return results
            except StoreUnavailable as error:
                if committing or reconnected or not error.stale:
                    raise
                reconnected = True
                continue
            except StoreError as error:
                cause = error.__cause__ or error
                raise StoreError(f"store write failed, nothing written: {cause}") from cause
            except (pg_errors.DeadlockDetected, pg_errors.SerializationFailure) as error:
                if attempt == BATCH_ATTEMPTS:
                    raise StoreError(f"store write failed, nothing written: {error}") from error
                time.sleep(0.01 * attempt)
        raise AssertionError("unreachable")

    def ping(self) -> None:
        """Raise :class:`StoreUnavailable` unless the database answers now."""
        self.execute("SELECT 1 AS ok")

    def close(self) -> None:
        """Close the connection (a later call opens a new one)."""
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    @contextmanager
    def _session(self) -> Iterator[psycopg.Connection[Row]]:
        """The open connection; library errors become store errors, and a broken connection
        is dropped so that the next call reconnects (the database restarted, say)."""
        stale = self._connection is not None and not self._connection.closed
        if not stale:
            self._connection = connect(self.url, schema=self.schema)
        db = self._connection
        assert db is not None
        try:
            yield db
        except (pg_errors.DeadlockDetected, pg_errors.SerializationFailure):
            raise
        except psycopg.Error as error:
            if isinstance(error, psycopg.OperationalError) or db.broken or db.closed:
                db.close()
                self._connection = None
                lost = StoreUnavailable(f"the database went away: {_first_line(error)}")
                lost.stale = stale
                raise lost from error
            raise StoreError(f"store query failed: {error}") from error


@functools.lru_cache(maxsize=2048)
def translate(sql: str) -> str:
    """SQLite-style ``?`` placeholders as psycopg's ``%s`` (literal ``%`` doubled); text in
    single quotes is left as it is."""
    out: list[str] = []
    quoted = False
    for char in sql:
        if char == "'":
            quoted = not quoted
            out.append(char)
        elif char == "%":
            out.append("%%")
        elif char == "?" and not quoted:
            out.append("%s")
        else:
            out.append(char)
    return "".join(out)


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _redacted(url: str) -> str:
    """The URL without its password (it goes into messages and logs)."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


class PostgresCursor:
    """The part of ``sqlite3.Cursor`` the store's callers use: rows as tuples (PostgreSQL's
    ``numeric`` sums as int or float, as SQLite gives them), ``rowcount`` and ``lastrowid``
    (the first column of a ``RETURNING`` row, else None)."""

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self._rows = rows
        self._next = 0
        self.rowcount = rowcount
        self.lastrowid: Any = rows[0][0] if rows and rows[0] else None

    def fetchone(self) -> tuple[Any, ...] | None:
        """The next row, or None."""
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchall(self) -> list[tuple[Any, ...]]:
        """The rows not fetched yet."""
        rows, self._next = self._rows[self._next :], len(self._rows)
        return rows

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.fetchall())


class PostgresConnection:
    """The part of ``sqlite3.Connection`` the store's callers use (``execute``,
    ``executemany``), over one psycopg connection: statements in SQLite's portable dialect
    (``?`` placeholders, ``ON CONFLICT (...)`` upserts, ``RETURNING``)."""

    def __init__(self, db: psycopg.Connection[Row]) -> None:
        self._db = db

    def execute(self, sql: str, parameters: Sequence[object] = ()) -> PostgresCursor:
        """Run one statement."""
        cursor = self._db.cursor(row_factory=psycopg.rows.tuple_row)
        cursor.execute(translate(sql), tuple(parameters))
        rows = [_sqlite_values(row) for row in cursor.fetchall()] if cursor.description else []
        return PostgresCursor(rows, cursor.rowcount)

    def executemany(self, sql: str, parameters: Sequence[Sequence[object]]) -> PostgresCursor:
        """Run one statement once per parameter row."""
        cursor = self._db.cursor()
        cursor.executemany(translate(sql), [tuple(row) for row in parameters])
        return PostgresCursor([], cursor.rowcount)


class PostgresRowStore:
    """:class:`~argus.core.store.sqlite.SQLiteStore`'s interface (``connection``, ``transaction()``,
    ``close()``) on the shared PostgreSQL database, for the callers whose SQL is portable: the
    App's state, the cost ledger and budgets, the regression-test requests.

    One connection under a lock (held for a whole transaction); a connection lost while idle
    (the database restarted) is reopened on the next call, and a statement that finds the
    database gone raises :class:`StoreUnavailable`. Migrations are applied when it opens.
    """

    path = None

    def __init__(self, url: str, *, schema: str | None = None, migrated: bool = False) -> None:
        if not migrated:
            migrate(url, schema=schema)
        self.url = url
        self.schema = schema
        self._executor = PostgresExecutor(url, schema=schema)
        self._lock = threading.RLock()

    @property
    def connection(self) -> _AutocommitConnection:
        """Statements run one by one (each its own transaction)."""
        return _AutocommitConnection(self)

    @contextmanager
    def transaction(self) -> Iterator[PostgresConnection]:
        """A write transaction: committed on success, rolled back on any error."""
        # Only this store's (re-entrant) lock: a nested transaction is a savepoint.
        with self._lock, self._executor._session() as db, db.transaction():
            yield PostgresConnection(db)

    def ping(self) -> None:
        """Raise :class:`StoreUnavailable` unless the database answers now."""
        self.connection.execute("SELECT 1")

    def close(self) -> None:
        """Close the connection (a later call opens a new one)."""
        with self._lock:
            self._executor.close()

    def __enter__(self) -> PostgresRowStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _AutocommitConnection:
    """``store.connection`` of a :class:`PostgresRowStore`: each statement on its own, on a
    connection reopened when the database restarted since the last call (reads only)."""

    def __init__(self, store: PostgresRowStore) -> None:
        self._store = store

    def execute(self, sql: str, parameters: Sequence[object] = ()) -> PostgresCursor:
        reading = sql.lstrip()[:6].upper() == "SELECT"
        for last in (False, True):
            try:
                with self._store.transaction() as db:
                    return db.execute(sql, parameters)
            except StoreUnavailable as error:
                if last or not (error.stale and reading):
                    raise
        raise AssertionError("unreachable")

    def executemany(self, sql: str, parameters: Sequence[Sequence[object]]) -> PostgresCursor:
        with self._store.transaction() as db:
            return db.executemany(sql, parameters)


def _sqlite_values(row: Sequence[Any]) -> tuple[Any, ...]:
    """A row's values as SQLite returns them: ``numeric`` (PostgreSQL's SUM of integers) as
    int, or float when it has a fraction."""
    return tuple(
        (int(value) if value == value.to_integral_value() else float(value))
        if isinstance(value, Decimal)
        else value
        for value in row
    )
