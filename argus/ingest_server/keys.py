"""Ingestion projects: a project id and public key (its DSN) that map to a tenant.

Keys live in the store's ``ingest_projects`` table (``argus projects add NAME`` creates one)
or, for a server configured in code, in :class:`StaticProjectKeys`. A project may be linked
to its code (``argus projects link NAME --repo PATH``, table ``ingest_project_links``): the
clone regression tests are generated in, and optionally the GitHub repository they go to.
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

from argus.core.errors import ConfigError, StoreError
from argus.core.router.plans import get_plan
from argus.core.store.sqlite import SQLiteStore

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
# GitHub's rules: an owner is letters, digits and single hyphens; a repository name adds
# '.' and '_'.
_GITHUB_REPOSITORY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")
_BRANCH = re.compile(r"[A-Za-z0-9._/-]{1,200}")


DEFAULT_DSN_HOST = "127.0.0.1"
DEFAULT_DSN_PORT = 8000


@dataclass(frozen=True)
class Project:
    """One ingestion project: errors sent with ``public_key`` to ``project_id`` go to ``tenant``."""

    project_id: int
    name: str
    tenant: str
    public_key: str
    created_at: int = 0
    # The server address its DSN was made for (None: the default, 127.0.0.1:8000).
    host: str | None = None
    port: int | None = None

    def dsn(self, host: str | None = None, port: int | None = None, scheme: str = "http") -> str:
        """The DSN an SDK is configured with: ``scheme://<key>@host:port/<project_id>``; the
        host and port default to those the project was added with."""
        host = host or self.host or DEFAULT_DSN_HOST
        port = port or self.port or DEFAULT_DSN_PORT
        return f"{scheme}://{self.public_key}@{host}:{port}/{self.project_id}"


@dataclass(frozen=True)
class ProjectLink:
    """Where a project's code lives: a local clone and, optionally, its GitHub repository.

    ``installation_id`` is the GitHub App installation covering ``github_repository``; its
    regression-test PRs go to ``base_branch``. ``plan`` names the plan whose monthly model
    budget the project's test generation is metered against (``argus/core/router/plans.py``).
    """

    project_id: int
    repo_path: str
    github_repository: str | None = None
    installation_id: int | None = None
    base_branch: str = "main"
    plan: str = "free"

    @property
    def on_github(self) -> bool:
        """Whether tests generated for the project go to a GitHub repository through the App."""
        return self.github_repository is not None and self.installation_id is not None


def check_github_repository(value: str) -> str:
    """``value`` when it is an ``owner/name`` GitHub repository, else a ConfigError."""
    if not _GITHUB_REPOSITORY.fullmatch(value) or value.endswith((".git", "/.", "/..")):
        raise ConfigError(f"--github {value!r} is not a GitHub repository: write owner/name")
    return value


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

    def add(
        self,
        name: str,
        tenant: str | None = None,
        *,
        host: str | None = None,
        port: int | None = None,
    ) -> Project:
        """Create a project with a fresh random key; its tenant defaults to its name. ``host``
        and ``port`` are the server address its DSN is for, remembered for later listings."""
        check_name(name, "project name")
        tenant = check_name(tenant or name, "tenant")
        if self.get(name) is not None:
            raise ConfigError(f"a project named {name!r} exists already ('argus projects list')")
        key = secrets.token_hex(16)
        created = int(time.time())
        try:
            cursor = self._connection().execute(
                "INSERT INTO ingest_projects "
                "(name, tenant, public_key, created_at, dsn_host, dsn_port) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (name, tenant, key, created, host, port),
            )
        except sqlite3.Error as error:
            raise StoreError(f"cannot add project {name!r} to {self.path}: {error}") from error
        project_id = cursor.lastrowid
        assert project_id is not None
        return Project(project_id, name, tenant, key, created, host, port)

    def get(self, name: str) -> Project | None:
        """The project called ``name``, if any."""
        rows = self._query(
            "SELECT project_id, name, tenant, public_key, created_at, dsn_host, dsn_port "
            "FROM ingest_projects "
            "WHERE name = ?",
            (name,),
        )
        return _project(rows[0]) if rows else None

    def projects(self) -> list[Project]:
        """Every project, oldest first."""
        rows = self._query(
            "SELECT project_id, name, tenant, public_key, created_at, dsn_host, dsn_port "
            "FROM ingest_projects "
            "ORDER BY project_id",
            (),
        )
        return [_project(row) for row in rows]

    def project(self, project_id: int) -> Project | None:
        """The project with id ``project_id``, if any."""
        rows = self._query(
            "SELECT project_id, name, tenant, public_key, created_at, dsn_host, dsn_port "
            "FROM ingest_projects "
            "WHERE project_id = ?",
            (project_id,),
        )
        return _project(rows[0]) if rows else None

    def link(
        self,
        name: str,
        repo_path: str,
        *,
        github_repository: str | None = None,
        installation_id: int | None = None,
        base_branch: str = "main",
        plan: str = "free",
    ) -> ProjectLink:
        """Link project ``name`` to its code (replacing an earlier link); the link.

        ``repo_path`` should be absolute (the server may run elsewhere). A GitHub repository
        needs its installation id and the other way round.
        """
        link = checked_link(
            self.get(name),
            name,
            repo_path,
            github_repository=github_repository,
            installation_id=installation_id,
            base_branch=base_branch,
            plan=plan,
        )
        try:
            self._connection().execute(
                UPSERT_LINK,
                (
                    link.project_id,
                    link.repo_path,
                    link.github_repository,
                    link.installation_id,
                    link.base_branch,
                    link.plan,
                    int(time.time()),
                ),
            )
        except sqlite3.Error as error:
            raise StoreError(f"cannot link project {name!r} in {self.path}: {error}") from error
        return link

    def unlink(self, name: str) -> bool:
        """Remove project ``name``'s link; False when it had none."""
        project = self.get(name)
        if project is None:
            raise ConfigError(f"no project named {name!r} ('argus projects list')")
        try:
            cursor = self._connection().execute(
                "DELETE FROM ingest_project_links WHERE project_id = ?", (project.project_id,)
            )
        except sqlite3.Error as error:
            raise StoreError(f"cannot unlink project {name!r} in {self.path}: {error}") from error
        return cursor.rowcount == 1

    def link_for(self, project_id: int) -> ProjectLink | None:
        """Project ``project_id``'s link, or None when it is not linked."""
        rows = self._query(
            f"SELECT {_LINK_COLUMNS} FROM ingest_project_links WHERE project_id = ?",
            (project_id,),
        )
        return _link(rows[0]) if rows else None

    def links(self) -> dict[int, ProjectLink]:
        """Every link, by project id."""
        rows = self._query(f"SELECT {_LINK_COLUMNS} FROM ingest_project_links", ())
        return {link.project_id: link for link in map(_link, rows)}

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


_LINK_COLUMNS = "project_id, repo_path, github_repository, installation_id, base_branch, plan"


def _link(row: tuple[object, ...]) -> ProjectLink:
    project_id, repo_path, github, installation, base, plan = row
    return ProjectLink(
        int(str(project_id)),
        str(repo_path),
        str(github) if github is not None else None,
        int(str(installation)) if installation is not None else None,
        str(base),
        str(plan),
    )


def _project(row: tuple[object, ...]) -> Project:
    project_id, name, tenant, key, created, host, port = row
    return Project(
        int(str(project_id)),
        str(name),
        str(tenant),
        str(key),
        int(str(created)),
        str(host) if host is not None else None,
        int(str(port)) if port is not None else None,
    )


UPSERT_LINK = (
    "INSERT INTO ingest_project_links (project_id, repo_path, github_repository, "
    "installation_id, base_branch, plan, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (project_id) DO UPDATE SET repo_path = excluded.repo_path, "
    "github_repository = excluded.github_repository, "
    "installation_id = excluded.installation_id, base_branch = excluded.base_branch, "
    "plan = excluded.plan, updated_at = excluded.updated_at"
)
"""Store or replace a project's link (the same statement on SQLite and PostgreSQL)."""


def checked_link(
    project: Project | None,
    name: str,
    repo_path: str,
    *,
    github_repository: str | None,
    installation_id: int | None,
    base_branch: str,
    plan: str,
) -> ProjectLink:
    """The link of project ``name`` (``project``, None when there is none), its values checked
    (ConfigError naming what is wrong); shared by the SQLite and PostgreSQL project stores."""
    if project is None:
        raise ConfigError(f"no project named {name!r} ('argus projects add {name}' first)")
    if (github_repository is None) != (installation_id is None):
        raise ConfigError(
            "--github owner/name and --installation ID go together: the App's installation "
            "on that repository opens the PRs"
        )
    if github_repository is not None:
        check_github_repository(github_repository)
    if installation_id is not None and installation_id <= 0:
        raise ConfigError(f"--installation {installation_id} is not an installation id")
    if not _BRANCH.fullmatch(base_branch) or ".." in base_branch:
        raise ConfigError(f"--base {base_branch!r} is not a branch name")
    get_plan(plan)  # an unknown plan is a ConfigError naming the known ones
    link = ProjectLink(
        project.project_id,
        repo_path,
        github_repository,
        installation_id,
        base_branch,
        plan,
    )
    return link
