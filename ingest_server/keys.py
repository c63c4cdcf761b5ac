"""Ingestion projects: a project id and public key (its DSN) that map to a tenant.

Keys live in the store's ``ingest_projects`` table (``argus projects add NAME`` creates one)
or, for a server configured in code, in :class:`StaticProjectKeys`.
"""

from __future__ import annotations

import hmac
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from core.errors import ConfigError, StoreError
from core.store.sqlite import SQLiteStore

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class Project:
    """One ingestion project: errors sent with ``public_key`` to ``project_id`` go to ``tenant``."""

    project_id: int
    name: str
    tenant: str
    public_key: str
    created_at: int = 0

    def dsn(self, host: str, port: int, scheme: str = "http") -> str:
        """The DSN an SDK is configured with: ``scheme://<key>@host:port/<project_id>``."""
        return f"{scheme}://{self.public_key}@{host}:{port}/{self.project_id}"


def check_name(value: str, what: str) -> str:
    """``value`` when it is a valid project or tenant name, else a ConfigError saying why."""
    if not _NAME.fullmatch(value):
        raise ConfigError(
            f"{what} {value!r} is not valid: use 1-64 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return value


class ProjectKeys(Protocol):
    """Looks up the tenant a project's key sends errors to."""

    def tenant_for(self, project_id: str, public_key: str) -> str | None:
        """The tenant of ``project_id`` when ``public_key`` is its key, else None."""
        ...


class StaticProjectKeys:
    """Projects fixed in code or settings (no store)."""

    def __init__(self, projects: tuple[Project, ...] = ()):
        self.projects = projects

    def tenant_for(self, project_id: str, public_key: str) -> str | None:
        """The tenant of ``project_id`` when ``public_key`` is its key, else None."""
        for project in self.projects:
            if str(project.project_id) == project_id and hmac.compare_digest(
                project.public_key.encode(), public_key.encode()
            ):
                return project.tenant
        return None


class SQLiteProjectKeys:
    """Projects in the SQLite store's ``ingest_projects`` table.

    Each thread gets its own connection (the server looks keys up from a thread pool), so a
    project added by ``argus projects add`` in another process is seen at once.
    """

    def __init__(self, path: Path | str):
        self.path = path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._migrated = False

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is not None:
            return connection
        with self._lock:
            if not self._migrated:
                SQLiteStore.open(self.path).close()
                self._migrated = True
            try:
                # check_same_thread=False only so that close() may run on another thread.
                connection = sqlite3.connect(
                    str(self.path), timeout=30.0, isolation_level=None, check_same_thread=False
                )
            except sqlite3.Error as error:
                raise StoreError(f"cannot open the store at {self.path}: {error}") from error
            self._connections.append(connection)
        self._local.connection = connection
        return connection

    def tenant_for(self, project_id: str, public_key: str) -> str | None:
        """The tenant of ``project_id`` when ``public_key`` is its key, else None."""
        if not project_id.isdigit():
            return None
        row = self._query(
            "SELECT tenant FROM ingest_projects WHERE project_id = ? AND public_key = ?",
            (int(project_id), public_key),
        )
        return str(row[0][0]) if row else None

    def add(self, name: str, tenant: str | None = None) -> Project:
        """Create a project with a fresh random key; its tenant defaults to its name."""
        check_name(name, "project name")
        tenant = check_name(tenant or name, "tenant")
        if self.get(name) is not None:
            raise ConfigError(f"a project named {name!r} exists already ('argus projects list')")
        key = secrets.token_hex(16)
        created = int(time.time())
        try:
            cursor = self._connection().execute(
                "INSERT INTO ingest_projects (name, tenant, public_key, created_at) "
                "VALUES (?, ?, ?, ?)",
                (name, tenant, key, created),
            )
        except sqlite3.Error as error:
            raise StoreError(f"cannot add project {name!r} to {self.path}: {error}") from error
        project_id = cursor.lastrowid
        assert project_id is not None
        return Project(project_id, name, tenant, key, created)

    def get(self, name: str) -> Project | None:
        """The project called ``name``, if any."""
        rows = self._query(
            "SELECT project_id, name, tenant, public_key, created_at FROM ingest_projects "
            "WHERE name = ?",
            (name,),
        )
        return _project(rows[0]) if rows else None

    def projects(self) -> list[Project]:
        """Every project, oldest first."""
        rows = self._query(
            "SELECT project_id, name, tenant, public_key, created_at FROM ingest_projects "
            "ORDER BY project_id",
            (),
        )
        return [_project(row) for row in rows]

    def _query(self, sql: str, parameters: tuple[object, ...]) -> list[tuple[object, ...]]:
        try:
            return list(self._connection().execute(sql, parameters).fetchall())
        except sqlite3.Error as error:
            raise StoreError(f"cannot read projects from {self.path}: {error}") from error

    def close(self) -> None:
        """Close every connection this object opened."""
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()


def _project(row: tuple[object, ...]) -> Project:
    project_id, name, tenant, key, created = row
    return Project(int(str(project_id)), str(name), str(tenant), str(key), int(str(created)))
