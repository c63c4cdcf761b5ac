"""The embedded job queue: jobs persisted in the SQLite store, taken under a lease.

A delivery becomes one row of ``github_jobs`` (migration 0008); its ``delivery_id`` is unique,
so a redelivered webhook is stored once. A worker *claims* the oldest ready job in one write
transaction: the row goes to ``running`` with ``locked_by`` and ``locked_until`` (the lease), and
``attempts`` goes up by one. While the job runs the worker renews the lease; when it finishes the
row goes to ``done``, or back to ``queued`` with a backoff (``failed`` after ``max_attempts``).
A worker that dies mid-job stops renewing: once its lease has run out, another worker (or the
same server after a restart) claims the job again. Handlers are idempotent (the sticky comment
is found by its marker before one is created), so running a job twice posts one comment.

The queue uses its own connection (shared by threads under a lock), so the webhook endpoint and
the worker can run in any thread of the process; other processes reach the same file safely
through SQLite's locking (WAL mode).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.errors import StoreError
from core.store.sqlite import SQLiteStore
from github_app.jobs import Job

DEFAULT_LEASE_SECONDS = 60.0
DEFAULT_MAX_ATTEMPTS = 5


def retry_delay(attempts: int) -> float:
    """Seconds before a failed job is tried again: 2, 4, 8 ... capped at five minutes."""
    return float(min(2**attempts, 300))


class SQLiteJobQueue:
    """Jobs in the SQLite store (implements ``JobQueue``; the worker side is claim/finish)."""

    def __init__(
        self,
        path: Path | str,
        *,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        clock: Callable[[], float] = time.time,
    ):
        self.path = Path(path)
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.clock = clock
        SQLiteStore.open(self.path).connection.close()  # create and migrate the file
        try:
            self._db = sqlite3.connect(
                str(self.path), timeout=30.0, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as error:
            raise StoreError(f"cannot open the job queue at {self.path}: {error}") from error
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []

    def close(self) -> None:
        """Close the queue's connection."""
        with self._lock:
            self._db.close()

    def on_enqueue(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (from the enqueuing thread) after each new job is stored."""
        self._listeners.append(listener)

    # -- producer side ---------------------------------------------------------------------

    def enqueue(
        self, kind: str, payload: dict[str, Any], *, delivery_id: str, installation_id: int | None
    ) -> bool:
        """Persist a job; return False (and store nothing) when ``delivery_id`` was seen before."""
        now = self.clock()
        text = json.dumps(payload, separators=(",", ":"))
        try:
            with self._lock:
                cursor = self._db.execute(
                    "INSERT INTO github_jobs (kind, payload, installation_id, delivery_id, "
                    "run_after, created_at) VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (delivery_id) DO NOTHING",
                    (kind, text, installation_id, delivery_id, now, now),
                )
                added = cursor.rowcount == 1
        except sqlite3.Error as error:
            raise StoreError(f"cannot queue delivery {delivery_id}: {error}") from error
        if added:
            for listener in self._listeners:
                listener()
        return added

    def depth(self) -> int:
        """Return the number of jobs waiting or running (for /metrics)."""
        return self._scalar("SELECT count(*) FROM github_jobs WHERE status IN ('queued','running')")

    def counts(self) -> dict[str, int]:
        """Jobs by status (``queued``, ``running``, ``done``, ``failed``)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT status, count(*) FROM github_jobs GROUP BY status"
            ).fetchall()
        return {str(status): int(count) for status, count in rows}

    def job_row(self, job_id: str) -> dict[str, Any] | None:
        """One job's row (status, attempts, lease, last error), for inspection and tests."""
        with self._lock:
            cursor = self._db.execute("SELECT * FROM github_jobs WHERE id = ?", (int(job_id),))
            row = cursor.fetchone()
            names = [column[0] for column in cursor.description]
        return dict(zip(names, row, strict=True)) if row else None

    # -- worker side -----------------------------------------------------------------------

    def claim(self, worker: str) -> Job | None:
        """Take the oldest ready job (queued and due, or running with an expired lease).

        A lease that ran out in this worker's own hands is not taken back: the job is still
        running here (a long synchronous step kept the renewal from running), not dead.
        """
        now = self.clock()
        try:
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    row = self._db.execute(
                        "SELECT id, kind, payload, installation_id, delivery_id, attempts "
                        "FROM github_jobs WHERE (status = 'queued' AND run_after <= ?) "
                        "OR (status = 'running' AND locked_until < ? AND locked_by != ?) "
                        "ORDER BY id LIMIT 1",
                        (now, now, worker),
                    ).fetchone()
                    if row is not None:
                        self._db.execute(
                            "UPDATE github_jobs SET status = 'running', attempts = attempts + 1, "
                            "locked_by = ?, locked_until = ? WHERE id = ?",
                            (worker, now + self.lease_seconds, row[0]),
                        )
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
        except sqlite3.Error as error:
            raise StoreError(f"cannot take a job from the queue: {error}") from error
        if row is None:
            return None
        job_id, kind, payload, installation_id, delivery_id, attempts = row
        return Job(
            id=str(job_id),
            kind=kind,
            payload=json.loads(payload),
            installation_id=installation_id,
            delivery_id=delivery_id or "",
            attempts=attempts + 1,
        )

    def renew(self, job: Job, worker: str) -> bool:
        """Extend the lease of a job this worker holds; False when it was lost to another."""
        return self._update(
            "UPDATE github_jobs SET locked_until = ? WHERE id = ? AND locked_by = ? "
            "AND status = 'running'",
            (self.clock() + self.lease_seconds, int(job.id), worker),
        )

    def complete(self, job: Job, worker: str) -> bool:
        """Mark a job done (only if this worker still holds it)."""
        return self._update(
            "UPDATE github_jobs SET status = 'done', locked_by = NULL, locked_until = NULL, "
            "finished_at = ? WHERE id = ? AND locked_by = ? AND status = 'running'",
            (self.clock(), int(job.id), worker),
        )

    def fail(self, job: Job, worker: str, error: str) -> str:
        """Record a failed attempt: back to ``queued`` with a backoff, or ``failed`` for good."""
        final = job.attempts >= self.max_attempts
        status = "failed" if final else "queued"
        self._update(
            "UPDATE github_jobs SET status = ?, locked_by = NULL, locked_until = NULL, "
            "last_error = ?, run_after = ?, finished_at = ? "
            "WHERE id = ? AND locked_by = ? AND status = 'running'",
            (
                status,
                error[:2000],
                self.clock() + retry_delay(job.attempts),
                self.clock() if final else None,
                int(job.id),
                worker,
            ),
        )
        return status

    def release(self, job: Job, worker: str) -> bool:
        """Give a job back untried (a worker stopping gracefully): queued, attempt not counted."""
        return self._update(
            "UPDATE github_jobs SET status = 'queued', attempts = attempts - 1, locked_by = NULL, "
            "locked_until = NULL WHERE id = ? AND locked_by = ? AND status = 'running'",
            (int(job.id), worker),
        )

    def _update(self, sql: str, params: tuple[Any, ...]) -> bool:
        try:
            with self._lock:
                return self._db.execute(sql, params).rowcount == 1
        except sqlite3.Error as error:
            raise StoreError(f"cannot update the job queue: {error}") from error

    def _scalar(self, sql: str) -> int:
        with self._lock:
            return int(self._db.execute(sql).fetchone()[0])
