"""The App's rows in the store: installations, usage, last reports and slash-command switches.

Pause and ignore switches are kept per pull request (``number`` > 0) or for the whole
repository (``number`` 0); a PR sees both.

The store is the SQLite file (:class:`~argus.core.store.sqlite.SQLiteStore`) or, for several
``argus serve``/``argus worker`` nodes, the shared PostgreSQL database
(:class:`~argus.core.store.postgres.PostgresRowStore`): the SQL below is written for both.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from argus.core.errors import StoreError
from argus.core.quality.reviews import ReviewRecord, insert_merge, insert_review
from argus.core.store.sqlite import SQLiteStore

if TYPE_CHECKING:
    from argus.core.store.postgres import PostgresRowStore

REPOSITORY_WIDE = 0


@dataclass(frozen=True)
class Installation:
    """One installation of the App and its plan."""

    installation_id: int
    account: str
    plan: str
    suspended: bool
    repositories: tuple[str, ...]


@dataclass(frozen=True)
class AccountPlan:
    """A GitHub Marketplace purchase: the plan in force and a downgrade or cancellation to come."""

    account: str
    plan: str
    effective_at: str
    pending_plan: str | None
    pending_effective_at: str | None


class AppState:
    """Reads and writes the App's tables; safe to share between threads."""

    def __init__(self, store: SQLiteStore | PostgresRowStore) -> None:
        self._store = store
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the store."""
        self._store.close()

    @contextmanager
    def _write(self) -> Iterator[Any]:
        with self._lock:
            try:
                with self._store.transaction() as db:
                    yield db
            except sqlite3.Error as error:
                raise StoreError(f"cannot write the GitHub App state: {error}") from error

    def _read(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return list(self._store.connection.execute(sql, params))
            except sqlite3.Error as error:
                raise StoreError(f"cannot read the GitHub App state: {error}") from error

    def record_review(self, record: ReviewRecord) -> None:
        """Append a produced review to ``reviews`` (the dashboard's risk over time)."""
        with self._write() as db:
            insert_review(db, record)

    def record_merge(
        self, tenant: str, full_name: str, number: int, opened: str, merged: str
    ) -> None:
        """Record a merged pull request (the dashboard's time to merge)."""
        with self._write() as db:
            insert_merge(
                db,
                tenant=tenant,
                repository=full_name,
                pull_request=number,
                opened_at=opened,
                merged_at=merged,
            )

    # Installations -------------------------------------------------------------------------

    def record_installation(self, installation_id: int, account: str, plan: str = "free") -> None:
        """Record (or revive) an installation; an existing plan is kept."""
        with self._write() as db:
            db.execute(
                "INSERT INTO gh_installations (installation_id, account, plan, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (installation_id) DO UPDATE SET "
                "account = excluded.account, suspended = 0",
                (installation_id, account, plan, int(time.time())),
            )

    def delete_installation(self, installation_id: int) -> None:
        """Forget an installation and its repositories."""
        with self._write() as db:
            db.execute(
                "DELETE FROM gh_installation_repositories WHERE installation_id = ?",
                (installation_id,),
            )
            db.execute("DELETE FROM gh_installations WHERE installation_id = ?", (installation_id,))

    def set_suspended(self, installation_id: int, suspended: bool) -> None:
        """Mark an installation suspended or active."""
        with self._write() as db:
            db.execute(
                "UPDATE gh_installations SET suspended = ? WHERE installation_id = ?",
                (int(suspended), installation_id),
            )

    def set_plan(self, installation_id: int, plan: str) -> None:
        """Change an installation's plan."""
        with self._write() as db:
            db.execute(
                "UPDATE gh_installations SET plan = ? WHERE installation_id = ?",
                (plan, installation_id),
            )

    def add_repositories(self, installation_id: int, names: list[str], enabled: int) -> None:
        """Record repositories of an installation, the first ``enabled`` of them enabled."""
        with self._write() as db:
            for index, name in enumerate(names):
                db.execute(
                    "INSERT INTO gh_installation_repositories (installation_id, full_name, "
                    "enabled, added_seq) VALUES (?, ?, ?, (SELECT COALESCE(MAX(added_seq), 0) "
                    "+ 1 FROM gh_installation_repositories WHERE installation_id = ?)) "
                    "ON CONFLICT (installation_id, full_name) DO UPDATE SET "
                    "enabled = excluded.enabled",
                    (installation_id, name, int(index < enabled), installation_id),
                )

    def remove_repositories(self, installation_id: int, names: list[str]) -> None:
        """Forget repositories removed from an installation."""
        with self._write() as db:
            db.executemany(
                "DELETE FROM gh_installation_repositories WHERE installation_id = ? "
                "AND full_name = ?",
                [(installation_id, name) for name in names],
            )

    def installation(self, installation_id: int) -> Installation | None:
        """The installation, or None when never recorded."""
        rows = self._read(
            "SELECT account, plan, suspended FROM gh_installations WHERE installation_id = ?",
            installation_id,
        )
        if not rows:
            return None
        account, plan, suspended = rows[0]
        names = self._read(
            "SELECT full_name FROM gh_installation_repositories WHERE installation_id = ? "
            "AND enabled = 1 ORDER BY full_name",
            installation_id,
        )
        return Installation(
            installation_id, account, plan, bool(suspended), tuple(n for (n,) in names)
        )

    def enabled_repository_count(self, installation_id: int) -> int:
        """How many of the installation's repositories Argus works on."""
        rows = self._read(
            "SELECT COUNT(*) FROM gh_installation_repositories WHERE installation_id = ? "
            "AND enabled = 1",
            installation_id,
        )
        return int(rows[0][0])

    def repository_enabled(self, installation_id: int, full_name: str) -> bool | None:
        """Whether Argus works on a repository; None when the repository is not recorded."""
        rows = self._read(
            "SELECT enabled FROM gh_installation_repositories WHERE installation_id = ? "
            "AND full_name = ?",
            installation_id,
            full_name,
        )
        return bool(rows[0][0]) if rows else None

    def installations_of(self, account: str) -> list[int]:
        """The installations on ``account`` (its login, any case)."""
        rows = self._read(
            "SELECT installation_id FROM gh_installations WHERE lower(account) = lower(?) "
            "ORDER BY installation_id",
            account,
        )
        return [int(installation_id) for (installation_id,) in rows]

    def enforce_repository_limit(self, installation_id: int, limit: int | None) -> list[str]:
        """Enable the installation's first ``limit`` repositories (None: all), already enabled
        ones first, then in the order they were added; return the enabled names."""
        with self._write() as db:
            names = [
                str(name)
                for (name,) in db.execute(
                    "SELECT full_name FROM gh_installation_repositories WHERE installation_id = ? "
                    "ORDER BY enabled DESC, added_seq",
                    (installation_id,),
                )
            ]
            keep = names if limit is None else names[:limit]
            db.executemany(
                "UPDATE gh_installation_repositories SET enabled = ? "
                "WHERE installation_id = ? AND full_name = ?",
                [(int(name in keep), installation_id, name) for name in names],
            )
        return keep

    # Marketplace plans ----------------------------------------------------------------------

    def account_plan(self, account: str) -> AccountPlan | None:
        """The Marketplace plan bought for ``account``, or None when it never bought one."""
        rows = self._read(
            "SELECT account, plan, effective_at, pending_plan, pending_effective_at "
            "FROM gh_marketplace_accounts WHERE lower(account) = lower(?)",
            account,
        )
        return AccountPlan(*rows[0]) if rows else None

    def save_account_plan(
        self, account: str, account_id: int | None, plan: str, effective_at: str
    ) -> bool:
        """Record ``account``'s plan as of ``effective_at`` (ISO 8601, UTC) and drop any pending
        change; False (nothing written) when a change effective later is already recorded."""
        with self._write() as db:
            row = db.execute(
                "SELECT effective_at, account FROM gh_marketplace_accounts "
                "WHERE lower(account) = lower(?)",
                (account,),
            ).fetchone()
            if row is not None and str(row[0]) > effective_at:
                return False
            if row is not None:
                account = str(row[1])  # the login as first recorded (logins ignore case)
            db.execute(
                "INSERT INTO gh_marketplace_accounts (account, account_id, plan, effective_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (account) DO UPDATE SET "
                "account_id = excluded.account_id, plan = excluded.plan, effective_at = "
                "excluded.effective_at, pending_plan = NULL, pending_effective_at = NULL, "
                "updated_at = excluded.updated_at",
                (account, account_id, plan, effective_at, int(time.time())),
            )
        return True

    def save_pending_plan(self, account: str, plan: str | None, effective_at: str | None) -> None:
        """Record (or, with None, forget) the plan ``account`` moves to at ``effective_at``."""
        with self._write() as db:
            db.execute(
                "UPDATE gh_marketplace_accounts SET pending_plan = ?, pending_effective_at = ?, "
                "updated_at = ? WHERE lower(account) = lower(?)",
                (plan, effective_at, int(time.time()), account),
            )

    # Usage ---------------------------------------------------------------------------------

    def test_runs(self, installation_id: int, month: str) -> int:
        """Test runs used by an installation in ``month`` (``YYYY-MM``)."""
        rows = self._read(
            "SELECT test_runs FROM gh_usage WHERE installation_id = ? AND month = ?",
            installation_id,
            month,
        )
        return int(rows[0][0]) if rows else 0

    def add_test_runs(self, installation_id: int, month: str, runs: int = 1) -> int:
        """Meter ``runs`` test runs; return the month's new total."""
        with self._write() as db:
            db.execute(
                "INSERT INTO gh_usage (installation_id, month, test_runs) VALUES (?, ?, ?) "
                "ON CONFLICT (installation_id, month) DO UPDATE SET "
                "test_runs = gh_usage.test_runs + excluded.test_runs",
                (installation_id, month, runs),
            )
            row = db.execute(
                "SELECT test_runs FROM gh_usage WHERE installation_id = ? AND month = ?",
                (installation_id, month),
            ).fetchone()
        return int(row[0])

    # Reports -------------------------------------------------------------------------------

    def last_report(self, full_name: str, number: int) -> dict[str, Any] | None:
        """The summary of the last report posted on a PR, or None."""
        rows = self._read(
            "SELECT summary FROM gh_pr_reports WHERE full_name = ? AND number = ?",
            full_name,
            number,
        )
        return json.loads(rows[0][0]) if rows else None

    def save_report(self, full_name: str, number: int, summary: dict[str, Any]) -> None:
        """Keep the summary of the report just posted on a PR."""
        with self._write() as db:
            db.execute(
                "INSERT INTO gh_pr_reports (full_name, number, summary, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (full_name, number) DO UPDATE SET "
                "summary = excluded.summary, "
                "updated_at = excluded.updated_at",
                (full_name, number, json.dumps(summary, sort_keys=True), int(time.time())),
            )

    # Switches ------------------------------------------------------------------------------

    def _switch_rows(self, full_name: str, number: int) -> list[tuple[Any, ...]]:
        return self._read(
            "SELECT paused, ignored FROM gh_switches WHERE full_name = ? AND number IN (?, ?)",
            full_name,
            REPOSITORY_WIDE,
            number,
        )

    def is_paused(self, full_name: str, number: int) -> bool:
        """Whether reviews are paused on this PR or the whole repository."""
        return any(paused for paused, _ in self._switch_rows(full_name, number))

    def ignored_globs(self, full_name: str, number: int) -> list[str]:
        """Globs added with ``/argus ignore`` for this PR and the whole repository."""
        globs: list[str] = []
        for _, ignored in self._switch_rows(full_name, number):
            globs.extend(json.loads(ignored))
        return globs

    def set_paused(self, full_name: str, number: int, paused: bool) -> None:
        """Pause or resume reviews of a PR (``number`` 0: the repository)."""
        with self._write() as db:
            db.execute(
                "INSERT INTO gh_switches (full_name, number, paused) VALUES (?, ?, ?) "
                "ON CONFLICT (full_name, number) DO UPDATE SET paused = excluded.paused",
                (full_name, number, int(paused)),
            )

    def add_ignored(self, full_name: str, number: int, glob: str) -> None:
        """Ignore paths matching ``glob`` in reviews of a PR (``number`` 0: the repository)."""
        globs = []
        rows = self._read(
            "SELECT ignored FROM gh_switches WHERE full_name = ? AND number = ?", full_name, number
        )
        if rows:
            globs = json.loads(rows[0][0])
        if glob not in globs:
            globs.append(glob)
        with self._write() as db:
            db.execute(
                "INSERT INTO gh_switches (full_name, number, ignored) VALUES (?, ?, ?) "
                "ON CONFLICT (full_name, number) DO UPDATE SET ignored = excluded.ignored",
                (full_name, number, json.dumps(globs)),
            )

    def record_feedback(self, full_name: str, number: int, login: str, vote: int) -> None:
        """Keep a user's thumbs up (1) or down (-1) on a PR's report."""
        with self._write() as db:
            db.execute(
                "INSERT INTO gh_feedback (full_name, number, login, vote, created_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (full_name, number, login) DO UPDATE SET "
                "vote = excluded.vote",
                (full_name, number, login, vote, int(time.time())),
            )
