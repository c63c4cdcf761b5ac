"""The embedded store: one SQLite file, migrated with the numbered SQL files in ``migrations/``."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from argus.core.errors import StoreError

STORE_FILENAME = "argus.db"
# The store holds every tenant's keys and events: only its owner may read it.
FILE_MODE = 0o600
DIRECTORY_MODE = 0o700
# SQLite gives these the database file's mode when it creates them; older ones are tightened.
_SIDECAR_SUFFIXES = ("-wal", "-shm", "-journal")


def migration_scripts() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration shipped with Argus, in order."""
    scripts = []
    folder = resources.files("argus.core.store") / "migrations"
    for entry in folder.iterdir():
        name = entry.name
        if not name.endswith(".sql"):
            continue
        version = int(name.split("_", 1)[0])
        scripts.append((version, name, entry.read_text(encoding="utf-8")))
    return sorted(scripts)


def default_store_path(repo_root: Path | None, environ: Mapping[str, str] | None = None) -> Path:
    """``$ARGUS_HOME/argus.db`` when set, else ``<repo>/.argus/argus.db``."""
    env = os.environ if environ is None else environ
    home = env.get("ARGUS_HOME")
    if home:
        return Path(home) / STORE_FILENAME
    if repo_root is None:
        raise StoreError("no repository and no ARGUS_HOME: set ARGUS_HOME to choose a store")
    return repo_root / ".argus" / STORE_FILENAME


def locate_store(start: Path | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """The store every command, server and editor uses from ``start`` (default: the current
    directory): ``$ARGUS_HOME/argus.db`` when set, else ``.argus/argus.db`` in the git
    repository containing ``start``, else ``~/.argus/argus.db``.

    The one rule for where the store is; :func:`default_store_path` is it for a known root.
    """
    from argus.core.diff.git import find_repo_root
    from argus.core.errors import GitError

    env = dict(os.environ if environ is None else environ)
    if env.get("ARGUS_HOME"):
        return default_store_path(None, env)
    try:
        repo = find_repo_root(start or Path.cwd())
    except GitError:
        return Path.home() / ".argus" / STORE_FILENAME
    return default_store_path(repo, env)


class SQLiteStore:
    """A migrated SQLite database. Open with :meth:`open`; close when done."""

    def __init__(self, connection: sqlite3.Connection, path: Path | None):
        self.connection = connection
        self.path = path

    @classmethod
    def open(cls, path: Path | str, *, handed_between_threads: bool = False) -> SQLiteStore:
        """Open (creating if needed) and migrate the store at ``path`` (``":memory:"`` works).

        ``handed_between_threads`` allows opening in one thread and using it in another, never
        at the same time (the caller guarantees that, e.g. by joining the opening thread).
        """
        target = None if str(path) == ":memory:" else Path(path)
        try:
            if target is not None and not target.parent.exists():
                target.parent.mkdir(parents=True, mode=DIRECTORY_MODE)
                # The store lives inside the work tree by default: keep it out of git's sight.
                (target.parent / ".gitignore").write_text("*\n", encoding="utf-8")
            if target is not None:
                make_private(target)
            connection = sqlite3.connect(
                ":memory:" if target is None else str(target),
                timeout=30.0,
                isolation_level=None,
                check_same_thread=not handed_between_threads,
                # Group commit writes multi-row statements of many sizes: keep them prepared.
                cached_statements=512,
            )
            connection.execute("PRAGMA foreign_keys = ON")
            # Before anything writes (even the journal mode): a newer store stays untouched.
            try:
                _refuse_newer(connection, target)
            except StoreError:
                connection.close()
                raise
            if target is not None:
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute("PRAGMA synchronous = NORMAL")
        except (OSError, sqlite3.Error) as error:
            raise StoreError(f"cannot open the store at {path}: {error}") from error
        store = cls(connection, target)
        store.migrate()
        return store

    def migrate(self) -> int:
        """Apply each migration not yet applied, in its own transaction; return the version."""
        db = self.connection
        try:
            db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL)"
            )
            applied = {row[0] for row in db.execute("SELECT version FROM schema_migrations")}
            known = migration_scripts()
            _refuse_newer(db, self.path)
            for version, name, sql in known:
                if version in applied:
                    continue
                db.execute("BEGIN IMMEDIATE")
                try:
                    for statement in _split_statements(sql):
                        db.execute(statement)
                    db.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                        (version, name),
                    )
                    db.execute("COMMIT")
                except sqlite3.Error:
                    db.execute("ROLLBACK")
                    raise
            return max([v for v, _, _ in known] + list(applied), default=0)
        except sqlite3.Error as error:
            raise StoreError(f"cannot migrate the store {self.path}: {error}") from error

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed on success, rolled back on any error."""
        db = self.connection
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _refuse_newer(db: sqlite3.Connection, path: Path | None) -> None:
    """Raise when the store was written by a newer Argus than this one (reads only)."""
    try:
        exists = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        ).fetchone()
        newest_applied = (
            db.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
            if exists
            else None
        )
    except sqlite3.Error as error:
        raise StoreError(f"cannot read the store {path}: {error}") from error
    newest_known = max((version for version, _, _ in migration_scripts()), default=0)
    if newest_applied is not None and newest_applied > newest_known:
        raise StoreError(
            f"the store {path} was written by a newer Argus (schema {newest_applied}, "
            f"this one knows {newest_known}); upgrade Argus or set ARGUS_HOME elsewhere"
        )


def make_private(target: Path) -> None:
    """Create the store file ``target`` with mode 0600 if missing; tighten what is looser.

    The file and its SQLite side files become 0600 and their folder 0700, when this process
    owns them. A shared folder (sticky, like ``/tmp``) or one of another user is left alone.
    """
    folder = target.parent
    info = folder.stat()
    if (
        info.st_uid == os.geteuid()
        and not info.st_mode & stat.S_ISVTX
        and stat.S_IMODE(info.st_mode) & 0o077
    ):
        folder.chmod(DIRECTORY_MODE)
    # Never open (and close) a descriptor on a store that exists: closing any descriptor of a
    # file drops every POSIX lock this process holds on it, SQLite's included, and another
    # process may then delete the WAL under this one's open connections. O_EXCL creates the
    # file only when it is missing, and then no connection of ours can hold it.
    try:
        os.close(os.open(target, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, FILE_MODE))
    except FileExistsError:
        pass
    for path in (target, *(Path(f"{target}{suffix}") for suffix in _SIDECAR_SUFFIXES)):
        try:
            info = path.stat()
        except FileNotFoundError:
            continue
        if info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) & 0o077:
            path.chmod(FILE_MODE)


def _split_statements(sql: str) -> list[str]:
    """Split a migration into statements (D1 takes one statement per query as well)."""
    statements: list[str] = []
    buffer = ""
    for line in sql.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
