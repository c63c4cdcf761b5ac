"""``argus migrate``: bring the store's schema up to this Argus (SQLite file or PostgreSQL)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, TextIO


def add_commands(subparsers: Any) -> None:
    """Add the ``migrate`` sub-command."""
    parser = subparsers.add_parser(
        "migrate",
        help="apply the store's schema migrations (also done at start-up)",
        description=(
            "Apply every schema migration this Argus ships and the store lacks: the PostgreSQL "
            "database of ARGUS_DATABASE_URL (behind an advisory lock, so nodes starting at once "
            "are safe), else the SQLite store (ARGUS_HOME, else .argus/ of the repository). "
            "A database migrated by a newer Argus is refused, naming the migration this one "
            "lacks."
        ),
    )
    parser.add_argument("--repo", default=".", help="the repository whose SQLite store to use")
    parser.add_argument(
        "--check",
        action="store_true",
        help="apply nothing: list the pending migrations and exit 1 when there are any",
    )
    parser.set_defaults(handler=run_migrate)


def run_migrate(arguments: argparse.Namespace, stdout: TextIO) -> int:
    """Migrate (or with ``--check`` list pending migrations of) the configured store."""
    from argus.serve import serve_settings

    settings = serve_settings(cwd=Path(arguments.repo))
    location = settings.shared or settings.store_path
    if isinstance(location, Path):
        return _sqlite(location, arguments.check, stdout)
    from argus.store_backend import CloudflareLocation

    if isinstance(location, CloudflareLocation):
        return _d1(location, arguments.check, stdout)
    from argus.core.store.postgres import migrate, pending

    if arguments.check:
        waiting = pending(location.url, schema=location.schema)
        for name in waiting:
            stdout.write(f"pending {name}\n")
        stdout.write(f"{len(waiting)} migration(s) pending on PostgreSQL\n")
        return 1 if waiting else 0
    applied = migrate(location.url, schema=location.schema)
    for name in applied:
        stdout.write(f"applied {name}\n")
    stdout.write(f"PostgreSQL schema up to date ({len(applied)} applied)\n")
    return 0


def _sqlite(path: Path, check: bool, stdout: TextIO) -> int:
    import sqlite3

    from argus.core.store.sqlite import SQLiteStore, migration_scripts

    known = migration_scripts()
    if check:
        applied: set[int] = set()
        if path.exists():
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
                has_table = db.execute(
                    "SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations'"
                ).fetchone()
                if has_table:
                    applied = {
                        row[0] for row in db.execute("SELECT version FROM schema_migrations")
                    }
        waiting = [name for version, name, _ in known if version not in applied]
        for name in waiting:
            stdout.write(f"pending {name}\n")
        stdout.write(f"{len(waiting)} migration(s) pending on {path}\n")
        return 1 if waiting else 0
    with SQLiteStore.open(path) as store:
        version = store.migrate()
    stdout.write(f"SQLite store {path} up to date (schema {version})\n")
    return 0


def _d1(location: Any, check: bool, stdout: TextIO) -> int:
    from argus.core.store.d1 import D1Executor

    d1 = D1Executor(
        location.account_id, location.database_id, location.api_token, base_url=location.base_url
    )
    try:
        if check:
            stdout.write("--check reads PostgreSQL and SQLite stores; D1 is migrated at start\n")
            return 2
        version = d1.migrate()
    finally:
        d1.close()
    stdout.write(f"D1 database {location.database_id} up to date (schema {version})\n")
    return 0
