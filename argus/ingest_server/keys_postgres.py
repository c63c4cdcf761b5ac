"""Ingestion projects and their DSN keys in the shared PostgreSQL store (table
``ingest_projects``, as ``argus.ingest_server.keys.SQLiteProjectKeys`` keeps them in SQLite), so
that every ``argus serve`` node accepts the same keys and a project added on one is known to all.
"""

from __future__ import annotations

import hmac
import secrets
import time
from typing import Any

from argus.core.errors import ConfigError
from argus.core.store.postgres import PostgresExecutor
from argus.ingest_server.keys import UPSERT_LINK, Project, ProjectLink, check_name, checked_link

_PROJECT_COLUMNS = "project_id, name, tenant, public_key, created_at, dsn_host, dsn_port"
_LINK_COLUMNS = "project_id, repo_path, github_repository, installation_id, base_branch, plan"


class PostgresProjectKeys:
    """Projects in PostgreSQL's ``ingest_projects`` (the schema is migrated by the caller)."""

    def __init__(self, url: str, *, schema: str | None = None) -> None:
        self._executor = PostgresExecutor(url, schema=schema)

    def tenant_for(self, project_id: str, public_key: str) -> str | None:
        """The tenant of ``project_id`` when ``public_key`` is its key, else None."""
        if not project_id.isdigit() or len(project_id) > 18:
            return None
        rows = self._executor.execute(
            "SELECT tenant, public_key FROM ingest_projects WHERE project_id = ?",
            (int(project_id),),
        )
        if rows and hmac.compare_digest(str(rows[0]["public_key"]).encode(), public_key.encode()):
            return str(rows[0]["tenant"])
        return None

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
        key = secrets.token_hex(16)
        created = int(time.time())
        # The unique name decides a race between two nodes adding the same project.
        rows = self._executor.execute(
            "INSERT INTO ingest_projects "
            "(name, tenant, public_key, created_at, dsn_host, dsn_port) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING project_id",
            (name, tenant, key, created, host, port),
        )
        if not rows:
            raise ConfigError(f"a project named {name!r} exists already ('argus projects list')")
        return Project(int(rows[0]["project_id"]), name, tenant, key, created, host, port)

    def get(self, name: str) -> Project | None:
        """The project called ``name``, if any."""
        rows = self._executor.execute(
            f"SELECT {_PROJECT_COLUMNS} FROM ingest_projects WHERE name = ?", (name,)
        )
        return _project(rows[0]) if rows else None

    def projects(self) -> list[Project]:
        """Every project, oldest first."""
        rows = self._executor.execute(
            f"SELECT {_PROJECT_COLUMNS} FROM ingest_projects ORDER BY project_id"
        )
        return [_project(row) for row in rows]

    def project(self, project_id: int) -> Project | None:
        """The project with id ``project_id``, if any."""
        rows = self._executor.execute(
            f"SELECT {_PROJECT_COLUMNS} FROM ingest_projects WHERE project_id = ?", (project_id,)
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
        """Link project ``name`` to its code (replacing an earlier link); the link (as
        ``SQLiteProjectKeys.link``: the values are checked the same way)."""
        link = checked_link(
            self.get(name),
            name,
            repo_path,
            github_repository=github_repository,
            installation_id=installation_id,
            base_branch=base_branch,
            plan=plan,
        )
        self._executor.execute(
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
        return link

    def unlink(self, name: str) -> bool:
        """Remove project ``name``'s link; False when it had none."""
        project = self.get(name)
        if project is None:
            raise ConfigError(f"no project named {name!r} ('argus projects list')")
        rows = self._executor.execute(
            "DELETE FROM ingest_project_links WHERE project_id = ? RETURNING project_id",
            (project.project_id,),
        )
        return len(rows) == 1

    def link_for(self, project_id: int) -> ProjectLink | None:
        """Where the project's code lives, when it is linked."""
        rows = self._executor.execute(
            f"SELECT {_LINK_COLUMNS} FROM ingest_project_links WHERE project_id = ?",
            (project_id,),
        )
        return _link(rows[0]) if rows else None

    def links(self) -> dict[int, ProjectLink]:
        """Every linked project's link, by project id."""
        rows = self._executor.execute(f"SELECT {_LINK_COLUMNS} FROM ingest_project_links")
        return {int(row["project_id"]): _link(row) for row in rows}

    def ping(self) -> None:
        """Raise ``StoreUnavailable`` unless the database answers now."""
        self._executor.ping()

    def close(self) -> None:
        """Close the connection."""
        self._executor.close()


def _project(row: dict[str, Any]) -> Project:
    return Project(
        int(row["project_id"]),
        str(row["name"]),
        str(row["tenant"]),
        str(row["public_key"]),
        int(row["created_at"]),
        None if row["dsn_host"] is None else str(row["dsn_host"]),
        None if row["dsn_port"] is None else int(row["dsn_port"]),
    )


def _link(row: dict[str, Any]) -> ProjectLink:
    return ProjectLink(
        int(row["project_id"]),
        str(row["repo_path"]),
        row["github_repository"],
        None if row["installation_id"] is None else int(row["installation_id"]),
        str(row["base_branch"]),
        str(row["plan"]),
    )
