"""The embedded job queue: jobs persisted in the SQLite store, taken under a lease.

A delivery becomes one row of ``github_jobs`` (migration 0008); its ``delivery_id`` is unique,
so a redelivered webhook is stored once. A worker *claims* the oldest ready job in one write
transaction: the row goes to ``running`` with ``locked_by`` and ``locked_until`` (the lease), and
``attempts`` goes up by one. While the job runs the worker renews the lease; when it finishes the
row goes to ``done``, or back to ``queued`` with a backoff (``failed`` after ``max_attempts``).
A worker that dies mid-job stops renewing: once its lease has run out, another worker (or the
same server after a restart) claims the job again. What a job creates on GitHub is
found again before it is created (argus/github_app/delivery.py), so running a job twice creates one
of each. A job that fails ``max_attempts`` times stays ``failed``: the dead-letter list
(:meth:`SQLiteJobQueue.failed_jobs`, ``argus jobs``).

The queue uses its own connection (shared by threads under a lock), so the webhook endpoint and
the worker can run in any thread of the process; other processes reach the same file safely
through SQLite's locking (WAL mode).

**Group commit.** The webhook endpoint stores deliveries with :meth:`SQLiteJobQueue.enqueue_json`
(awaitable). One writer thread writes them: the deliveries that arrive while a transaction is
being written wait together and go into the next one (a handful of statements, whatever their
number; SQLite works without holding the GIL, so the event loop goes on meanwhile). Each caller
is answered only once the transaction holding its job has committed: a 202 still means the job
is in the WAL file, which survives a crash or restart of the process (``synchronous = NORMAL``:
not an fsync per commit, so not a power cut). A failed transaction fails every caller of its
batch, none of which was acknowledged. A duplicate inside a batch is refused like any other.

**Checkpoints off the request path.** SQLite's automatic checkpoint (copying the WAL back into
the database file, with an fsync, every ~4 MB) would run inside a commit, for tens of
milliseconds, holding up every delivery waiting for the next one. The queue's connection turns
it off; a checkpointer thread with a connection of its own runs a passive checkpoint (which
never blocks writers) after every :data:`CHECKPOINT_BYTES` of payload written, and SQLite
checkpoints once more when the last connection closes. Under a sustained burst passive
checkpoints keep up but cannot send the WAL back to its start (a commit always began before
they ended), so the queue lends the checkpointer its writers' lock: past
``argus.core.store.checkpoint.RESTART_BYTES`` of WAL, with both files synced beforehand, it restarts
the WAL, holding deliveries back for about 10-20 ms (6,000 deliveries in a row at 100
concurrent: p99 57 ms, where a WAL left to grow to the TRUNCATE limit gave 1 s). The WAL file
keeps its size between restarts (cutting it back, as ``journal_size_limit`` does, took tens of
milliseconds inside the first commit after a burst). Past :data:`WAL_LIMIT_BYTES` of frames (a
reader in another process can keep the restart from happening) the checkpointer takes a
TRUNCATE checkpoint, which holds writers back for its length: back-pressure, and the file
emptied, instead of a WAL without bound.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import zstandard

from argus.core.errors import StoreError
from argus.core.store.checkpoint import WAL_LIMIT_BYTES, WalCheckpointer
from argus.core.store.sqlite import SQLiteStore
from argus.github_app.jobs import Job

DEFAULT_LEASE_SECONDS = 60.0
DEFAULT_MAX_ATTEMPTS = 5
CHECKPOINT_BYTES = 4 * 1024 * 1024
"""Payload bytes written between two background checkpoints (SQLite's default is ~4 MB)."""

_INSERT_MANY = (
    "INSERT INTO github_jobs (kind, payload, installation_id, delivery_id, run_after, created_at) "
    "VALUES "
)
_VALUES = "(?, ?, ?, ?, ?, ?)"
_ON_CONFLICT = " ON CONFLICT (delivery_id) DO NOTHING"
_CHUNK = 500  # rows a statement (6 parameters each; SQLite allows 32,766)

Row = tuple[str, str | bytes, int | None, str]
"""One job to store: ``(kind, payload JSON text (or its UTF-8), installation id, delivery id)``."""

ZSTD_LEVEL = 1
"""Payloads are stored as zstd frames: a 24 KB pull_request delivery becomes ~2.3 KB in ~20 µs
(compressed in the writer thread, without the GIL), so each commit and checkpoint writes a tenth
of the bytes (webhook_load.py: server CPU per delivery 0.41-0.54 ms before, 0.33-0.41 after)."""
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def payload_text(stored: str | bytes) -> str:
    """The JSON text of a stored payload: a zstd frame, or the text itself (rows stored before)."""
    if isinstance(stored, bytes):
        if stored.startswith(_ZSTD_MAGIC):
            stored = zstandard.ZstdDecompressor().decompress(stored)
        return stored.decode("utf-8")
    return stored


def decode_payload(stored: str | bytes) -> Any:
    """The JSON value of a stored payload (see :func:`payload_text`)."""
    return json.loads(payload_text(stored))


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
        checkpoint_bytes: int = CHECKPOINT_BYTES,
        wal_limit_bytes: int = WAL_LIMIT_BYTES,
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
            self._db.execute("PRAGMA wal_autocheckpoint = 0")  # the checkpointer's job
        except sqlite3.Error as error:
            raise StoreError(f"cannot open the job queue at {self.path}: {error}") from error
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []
        # Group commit: the jobs waiting for the next transaction, for each event loop.
        self._groups: dict[asyncio.AbstractEventLoop, _Group] = {}
        self._executor: ThreadPoolExecutor | None = None
        self._closed = False
        self._checkpointer = WalCheckpointer(
            self.path, checkpoint_bytes, wal_limit_bytes, writers=self._lock
        )

    def close(self) -> None:
        """Close the queue's connection (after the transaction being written, if any)."""
        self._closed = True
        if self._executor is not None:
            self._executor.shutdown(wait=True)
        self._checkpointer.stop()
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
        text = json.dumps(payload, separators=(",", ":"))
        return self.enqueue_many([(kind, text, installation_id, delivery_id)])[0]

    async def enqueue_json(
        self, kind: str, payload: str | bytes, *, delivery_id: str, installation_id: int | None
    ) -> bool:
        """Persist a job whose payload is JSON text (a JSON object; bytes: UTF-8), by group commit.

        Waits until the transaction holding this job has committed. Jobs asked for while a
        transaction is being written wait for the next one, which takes all of them. Returns
        False when ``delivery_id`` was seen before (also earlier in the same transaction).
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        group = self._groups.get(loop)
        if group is None:
            group = self._groups[loop] = _Group()
        group.pending.append(((kind, payload, installation_id, delivery_id), future))
        if not group.writing:
            group.writing = True
            loop.create_task(self._write_groups(loop, group))
        return await future

    async def _write_groups(self, loop: asyncio.AbstractEventLoop, group: _Group) -> None:
        try:
            while group.pending:
                batch, group.pending = group.pending, []
                rows = [row for row, _ in batch]
                try:
                    added = await loop.run_in_executor(self._writer(), self.enqueue_many, rows)
                except Exception as error:  # noqa: BLE001 - handed to every caller of the batch
                    for (_, _, _, delivery_id), future in batch:
                        if not future.done():
                            failure = StoreError(f"cannot queue delivery {delivery_id}: {error}")
                            future.set_exception(failure)
                    continue
                for (_, future), stored in zip(batch, added, strict=True):
                    if not future.done():
                        future.set_result(stored)
        finally:
            group.writing = False

    def _writer(self) -> ThreadPoolExecutor:
        if self._closed:
            raise StoreError(f"the job queue at {self.path} is closed")
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="argus-queue-writer")
        return self._executor

    def enqueue_many(self, rows: Sequence[Row]) -> list[bool]:
        """Persist jobs in one transaction; for each, whether it was new (False: a duplicate).

        All or nothing: when the transaction fails, no job of ``rows`` is stored. Usually one
        statement whatever the number of rows (SQLite works on it without the GIL).
        """
        if not rows:
            return []
        now = self.clock()
        added = [False] * len(rows)
        fresh: dict[str, int] = {}  # delivery id -> index of its first row
        for index, row in enumerate(rows):
            fresh.setdefault(row[3], index)
        compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL)  # one a call: not thread-safe
        packed = {index: compressor.compress(_utf8(rows[index][1])) for index in fresh.values()}
        try:
            with self._lock:
                if len(fresh) <= _CHUNK:
                    fresh = self._insert_at_once(rows, packed, fresh, now)
                else:
                    fresh = self._insert_in_chunks(rows, packed, fresh, now)
        except sqlite3.Error as error:
            names = ", ".join(row[3] for row in rows[:3]) + (" ..." if len(rows) > 3 else "")
            raise StoreError(f"cannot queue delivery {names}: {error}") from error
        for index in fresh.values():
            added[index] = True
        self._checkpointer.written(sum(len(packed[index]) for index in fresh.values()))
        if fresh:
            for listener in self._listeners:
                listener()
        return added

    def _insert_at_once(
        self, rows: Sequence[Row], packed: dict[int, bytes], fresh: dict[str, int], now: float
    ) -> dict[str, int]:
        """One INSERT statement, its own transaction: a single trip without the GIL.

        When some rows were already stored (a redelivery: their insert was skipped), the rows
        this statement did insert are the last ``inserted`` ids (AUTOINCREMENT gives a
        statement's rows consecutive ids, and no other writer can come between).
        """
        before = self._db.total_changes
        cursor = self._insert(rows, packed, fresh, now)
        inserted = self._db.total_changes - before
        if inserted == len(fresh):
            return fresh
        if inserted == 0:
            return {}
        last = int(cursor.lastrowid or 0)
        ours = {
            delivery_id
            for (delivery_id,) in self._db.execute(
                "SELECT delivery_id FROM github_jobs WHERE id > ? AND id <= ?",
                (last - inserted, last),
            )
        }
        return {delivery_id: index for delivery_id, index in fresh.items() if delivery_id in ours}

    def _insert_in_chunks(
        self, rows: Sequence[Row], packed: dict[int, bytes], fresh: dict[str, int], now: float
    ) -> dict[str, int]:
        """More rows than one statement takes: a transaction, duplicates looked up first."""
        fresh = dict(fresh)
        self._db.execute("BEGIN IMMEDIATE")
        try:
            ids = list(fresh)
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                for (seen,) in self._db.execute(
                    "SELECT delivery_id FROM github_jobs WHERE delivery_id IN "
                    f"({','.join('?' * len(chunk))})",
                    chunk,
                ):
                    del fresh[seen]
            items = list(fresh.items())
            for start in range(0, len(items), _CHUNK):
                self._insert(rows, packed, dict(items[start : start + _CHUNK]), now)
            self._db.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise
        return fresh

    def _insert(
        self, rows: Sequence[Row], packed: dict[int, bytes], fresh: dict[str, int], now: float
    ) -> sqlite3.Cursor:
        params: list[Any] = []
        for index in fresh.values():
            kind, _, installation_id, delivery_id = rows[index]
            params += (kind, packed[index], installation_id, delivery_id, now, now)
        values = ",".join([_VALUES] * len(fresh))
        return self._db.execute(_INSERT_MANY + values + _ON_CONFLICT, params)

    def adopt(
        self,
        kind: str,
        payload: str | bytes,
        *,
        delivery_id: str,
        installation_id: int | None,
        failed: bool = False,
        attempts: int = 0,
        last_error: str | None = None,
        finished_at: float | None = None,
    ) -> bool:
        """Take in a job stored by another queue file (its payload as stored there): queued
        again, or, ``failed``, a dead letter as it was. False when ``delivery_id`` is here."""
        now = self.clock()
        stored = payload if isinstance(payload, bytes) else payload.encode("utf-8")
        if not stored.startswith(_ZSTD_MAGIC):
            stored = zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(stored)
        added = self._update(
            "INSERT INTO github_jobs (kind, payload, installation_id, delivery_id, status, "
            "attempts, last_error, run_after, created_at, finished_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (delivery_id) DO NOTHING",
            (
                kind,
                stored,
                installation_id,
                delivery_id,
                "failed" if failed else "queued",
                attempts if failed else 0,
                last_error,
                now,
                now,
                (finished_at or now) if failed else None,
            ),
        )
        if added and not failed:
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

    def failed_count(self) -> int:
        """Return the number of jobs that failed for good (the dead-letter list, for /metrics)."""
        return self._scalar("SELECT count(*) FROM github_jobs WHERE status = 'failed'")

    def failed_jobs(self) -> list[dict[str, Any]]:
        """The dead-letter list, newest first: id, kind, delivery_id, attempts, last_error,
        finished_at (Unix seconds)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, kind, delivery_id, attempts, last_error, finished_at "
                "FROM github_jobs WHERE status = 'failed' ORDER BY finished_at DESC, id DESC"
            ).fetchall()
        names = ("id", "kind", "delivery_id", "attempts", "last_error", "finished_at")
        return [dict(zip(names, row, strict=True)) for row in rows]

    def retry_failed(self, job_id: str) -> bool:
        """Queue a failed job again with its attempts from zero; False when it is not failed."""
        queued = self._update(
            "UPDATE github_jobs SET status = 'queued', attempts = 0, run_after = ?, "
            "finished_at = NULL WHERE id = ? AND status = 'failed'",
            (self.clock(), int(job_id)),
        )
        if queued:
            for listener in self._listeners:
                listener()
        return queued

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
            payload=decode_payload(payload),
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


class _Group:
    """Group commit in one event loop: the jobs waiting, and whether a writer task runs."""

    __slots__ = ("pending", "writing")

    def __init__(self) -> None:
        self.pending: list[tuple[Row, asyncio.Future[bool]]] = []
        self.writing = False


def _utf8(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode("utf-8")
