"""The scale-out queue: procrastinate on PostgreSQL, worked by ``argus worker`` processes.

Deliveries are deferred as jobs of one procrastinate task (``argus.github_job`` on the
``github`` queue). Duplicate deliveries are refused by ``argus_github_deliveries`` (the
delivery id as primary key), written before the job is deferred.

A worker that dies (SIGKILL, lost machine) stops sending procrastinate's worker heartbeat; its
jobs stay ``doing``. procrastinate's documented recovery is ``job_manager.get_stalled_jobs()``
(jobs of workers without a heartbeat for ``seconds_since_heartbeat``) followed by
``job_manager.retry_job(job)``; every ``argus worker`` runs that sweep at start and then
periodically (:func:`retry_stalled_jobs`). What a job creates on GitHub is found again
before it is created (argus/github_app/delivery.py), so the retried job creates nothing twice.

A heartbeat only says the worker's event loop turned lately; a worker on a loaded machine can be
late with it and still be running its job. Retrying such a job would put it back to ``todo``,
which releases its procrastinate lock, and two attempts of one pull request would run at once,
each finding no sticky comment and posting one. So a running job also holds a PostgreSQL
advisory lock on its pull request (its procrastinate lock; on itself for a job without one),
on a connection of its own, for as long as it runs (:func:`holding_job_lock`): the database
drops it the moment the worker's process dies. The sweep retries a stalled job only when that
lock is free, and an attempt that is retried anyway (the lock was lost with its connection)
waits for the other attempt to finish before it starts. A job
that fails every attempt stays ``failed`` (the dead-letter list, ``argus jobs``), the reason
of its last failure kept beside its delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import procrastinate
import psycopg
from procrastinate import PsycopgConnector, RetryStrategy, SyncPsycopgConnector

from argus.core.errors import StoreError
from argus.github_app.jobs import Job

_LOG = logging.getLogger("argus.github_app.queue")

JobRunner = Callable[[Job], Awaitable[None]]

QUEUE_NAME = "github"
TASK_NAME = "argus.github_job"
DEDUP_TABLE_SQL = (
    "CREATE TABLE IF NOT EXISTS argus_github_deliveries ("
    "delivery_id TEXT PRIMARY KEY, kind TEXT NOT NULL, "
    "received_at TIMESTAMPTZ NOT NULL DEFAULT now())"
)
# Why a delivery's job last failed (procrastinate keeps no error text): its dead-letter reason.
ERROR_COLUMN_SQL = "ALTER TABLE argus_github_deliveries ADD COLUMN IF NOT EXISTS last_error TEXT"
RETRY = RetryStrategy(max_attempts=5, exponential_wait=2)
ATTEMPTS = 6
"""Runs a job gets in all: the first, then ``RETRY.max_attempts`` retries."""
JOB_LOCK = 0x41524757
"""First key of the session advisory lock a running job holds (argus.core.store.postgres has the
others: ``ARGU`` for migrations, ``ARGV`` for pattern creation)."""
WORKER_ROWS_KEPT_SECONDS = 600.0
"""How long a silent worker's row stays before a starting worker prunes it. Pruning a worker
that is only late sets its running jobs' worker to NULL (stalled for the sweep) and makes its
next job fetch fail, so this is far longer than any delay a live worker has; the jobs of a
dead worker are retried by the sweep whether or not its row is still there."""


def job_lock_key(lock: str | None, job_id: int | None) -> str:
    """The advisory-lock key of a running job: its pull request's (the procrastinate lock), or
    its own for a job about no pull request."""
    return lock or f"argus-job:{job_id}"


@contextlib.asynccontextmanager
async def holding_job_lock(database_url: str, key: str) -> AsyncIterator[None]:
    """Hold the advisory lock of ``key`` while the body runs, on a connection of its own (so
    the lock goes when the process dies). Waits, without holding the event loop, while another
    attempt holds it."""
    connection = await psycopg.AsyncConnection.connect(conninfo(database_url), autocommit=True)
    try:
        waited = time.perf_counter()
        await connection.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (JOB_LOCK, key))
        waited = time.perf_counter() - waited
        if waited > 1.0:
            _LOG.warning("waited %.1f s for another attempt of %s to finish", waited, key)
        yield
    finally:
        await connection.close()  # the session's advisory lock goes with it


def conninfo(database_url: str) -> str:
    """psycopg's connection string for ``postgresql://`` (or ``postgres://``) URLs."""
    if database_url.startswith("postgres://"):
        return "postgresql://" + database_url.removeprefix("postgres://")
    return database_url


def define_task(app: procrastinate.App) -> Any:
    """Register the one task on ``app``: it runs ``dispatch.run_job`` with the worker's deps."""

    @app.task(name=TASK_NAME, queue=QUEUE_NAME, retry=RETRY, pass_context=True)
    async def github_job(
        context: procrastinate.JobContext,
        kind: str,
        payload: dict[str, Any],
        delivery_id: str,
        installation_id: int | None = None,
    ) -> None:
        from argus.github_app.dispatch import run_job

        deps = context.additional_context["deps"]
        runner = context.additional_context.get("runner")
        database_url = context.additional_context.get("database_url")
        job = context.job
        queued = Job(
            id=str(job.id),
            kind=kind,
            payload=payload,
            installation_id=installation_id,
            delivery_id=delivery_id,
            attempts=job.attempts + 1,
        )
        try:
            async with contextlib.AsyncExitStack() as held:
                if database_url is not None:
                    key = job_lock_key(job.lock, job.id)
                    await held.enter_async_context(holding_job_lock(database_url, key))
                if runner is not None:
                    await runner(queued)
                else:
                    await run_job(queued, deps)
        except Exception as error:
            reason = f"{type(error).__name__}: {error}"[:2000]
            await context.app.connector.execute_query_async(
                "UPDATE argus_github_deliveries SET last_error = %(reason)s "
                "WHERE delivery_id = %(delivery_id)s",
                reason=reason,
                delivery_id=delivery_id,
            )
            if job.attempts >= ATTEMPTS - 1:
                _LOG.error(
                    "job %s (%s, delivery %s) failed for good: %s; it is in the dead-letter "
                    "list (argus jobs list --failed; argus jobs retry %s)",
                    job.id,
                    kind,
                    delivery_id,
                    reason,
                    job.id,
                )
            raise

    return github_job


def ensure_schema(database_url: str) -> None:
    """Apply procrastinate's schema (once) and create the delivery table."""
    try:
        with psycopg.connect(conninfo(database_url), autocommit=True) as connection:
            exists = connection.execute(
                "SELECT to_regclass('procrastinate_jobs') IS NOT NULL"
            ).fetchone()
            connection.execute(DEDUP_TABLE_SQL)
            connection.execute(ERROR_COLUMN_SQL)
        if exists and exists[0]:
            return
        app = procrastinate.App(connector=SyncPsycopgConnector(conninfo=conninfo(database_url)))
        with app.open():
            app.schema_manager.apply_schema()
    except psycopg.Error as error:
        raise StoreError(f"cannot prepare the PostgreSQL job queue: {error}") from error


def serial_key(payload: dict[str, Any]) -> str | None:
    """The procrastinate lock of a delivery's job: its repository and pull request (or
    issue) number, so that jobs of one pull request run one after another; None (no lock)
    for a delivery about no pull request or issue."""
    repository = payload.get("repository")
    name = repository.get("full_name") if isinstance(repository, dict) else None
    number = payload.get("number")
    for key in ("pull_request", "issue"):
        item = payload.get(key)
        if number is None and isinstance(item, dict):
            number = item.get("number")
    check_suite = payload.get("check_suite") or (payload.get("check_run") or {}).get("check_suite")
    if number is None and isinstance(check_suite, dict):
        pulls = check_suite.get("pull_requests") or []
        if len(pulls) == 1 and isinstance(pulls[0], dict):
            number = pulls[0].get("number")
    if not isinstance(name, str) or not isinstance(number, int) or isinstance(number, bool):
        return None
    return f"argus-pr:{name}#{number}"


class PostgresJobQueue:
    """The web side of the procrastinate queue (implements ``JobQueue``)."""

    def __init__(self, database_url: str):
        self.database_url = database_url
        ensure_schema(database_url)
        self._app = procrastinate.App(
            connector=SyncPsycopgConnector(conninfo=conninfo(database_url))
        )
        self._task = define_task(self._app)
        self._app.open()
        self._connection = psycopg.connect(conninfo(database_url), autocommit=True)

    def _db(self) -> psycopg.Connection[Any]:
        """The connection, reopened when the last one was lost (the database restarted)."""
        if self._connection.closed or self._connection.broken:
            self._connection = psycopg.connect(conninfo(self.database_url), autocommit=True)
        return self._connection

    def close(self) -> None:
        """Close the connections."""
        self._connection.close()
        self._app.close()

    def enqueue(
        self, kind: str, payload: dict[str, Any], *, delivery_id: str, installation_id: int | None
    ) -> bool:
        """Defer a job; return False (and defer nothing) when ``delivery_id`` was seen before."""
        try:
            db = self._db()
            added = db.execute(
                "INSERT INTO argus_github_deliveries (delivery_id, kind) VALUES (%s, %s) "
                "ON CONFLICT DO NOTHING",
                (delivery_id, kind),
            ).rowcount
            if added != 1:
                return False
            try:
                # One job of a pull request at a time, whichever worker takes it: two reviews
                # of one PR at once would each find no sticky comment and both post one.
                self._task.configure(lock=serial_key(payload)).defer(
                    kind=kind,
                    payload=payload,
                    delivery_id=delivery_id,
                    installation_id=installation_id,
                )
            except BaseException:
                self._db().execute(
                    "DELETE FROM argus_github_deliveries WHERE delivery_id = %s", (delivery_id,)
                )
                raise
        except psycopg.Error as error:
            raise StoreError(f"cannot queue delivery {delivery_id}: {error}") from error
        return True

    def depth(self) -> int:
        """Return the number of jobs waiting or running (for /metrics)."""
        db = self._db()
        row = db.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE queue_name = %s "
            "AND status IN ('todo', 'doing')",
            (QUEUE_NAME,),
        ).fetchone()
        return int(row[0]) if row else 0

    def failed_count(self) -> int:
        """Return the number of jobs that failed for good (the dead-letter list, for /metrics)."""
        row = self._connection.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE queue_name = %s AND status = 'failed'",
            (QUEUE_NAME,),
        ).fetchone()
        return int(row[0]) if row else 0

    def failed_jobs(self) -> list[dict[str, Any]]:
        """The dead-letter list, newest first: id, kind, delivery_id, attempts, last_error,
        finished_at (Unix seconds)."""
        rows = self._connection.execute(
            "SELECT j.id, j.args->>'kind', j.args->>'delivery_id', j.attempts, d.last_error, "
            "(SELECT extract(epoch FROM max(e.at)) FROM procrastinate_events e "
            "WHERE e.job_id = j.id) "
            "FROM procrastinate_jobs j LEFT JOIN argus_github_deliveries d "
            "ON d.delivery_id = j.args->>'delivery_id' "
            "WHERE j.queue_name = %s AND j.status = 'failed' ORDER BY j.id DESC",
            (QUEUE_NAME,),
        ).fetchall()
        names = ("id", "kind", "delivery_id", "attempts", "last_error", "finished_at")
        found = [dict(zip(names, row, strict=True)) for row in rows]
        for job in found:
            job["id"] = str(job["id"])
            job["finished_at"] = float(job["finished_at"]) if job["finished_at"] else None
        return found

    def retry_failed(self, job_id: str) -> bool:
        """Queue a failed job again with its attempts from zero; False when it is not failed."""
        if not job_id.isdigit():
            return False
        try:
            updated = self._connection.execute(
                "UPDATE procrastinate_jobs SET status = 'todo', attempts = 0, "
                "scheduled_at = now() WHERE id = %s AND queue_name = %s AND status = 'failed'",
                (int(job_id), QUEUE_NAME),
            ).rowcount
        except psycopg.Error as error:
            raise StoreError(f"cannot retry job {job_id}: {error}") from error
        return updated == 1

    def statuses(self) -> dict[str, int]:
        """Jobs by procrastinate status (``todo``, ``doing``, ``succeeded``, ``failed`` ...)."""
        db = self._db()
        rows = db.execute(
            "SELECT status::text, count(*) FROM procrastinate_jobs WHERE queue_name = %s "
            "GROUP BY status",
            (QUEUE_NAME,),
        ).fetchall()
        return {str(status): int(count) for status, count in rows}


async def retry_stalled_jobs(
    app: procrastinate.App, seconds_since_heartbeat: float, database_url: str | None = None
) -> int:
    """Put the jobs of workers silent for ``seconds_since_heartbeat`` back in the queue; with
    ``database_url``, only those whose job lock no live attempt holds (see the module's
    docstring)."""
    stalled = await app.job_manager.get_stalled_jobs(
        queue=QUEUE_NAME, seconds_since_heartbeat=seconds_since_heartbeat
    )
    if not stalled:
        return 0
    count = 0
    async with contextlib.AsyncExitStack() as stack:
        probe = None
        if database_url is not None:
            probe = await psycopg.AsyncConnection.connect(conninfo(database_url), autocommit=True)
            stack.push_async_callback(probe.close)
        for job in stalled:
            if probe is not None and await _held(probe, job_lock_key(job.lock, job.id)):
                _LOG.warning(
                    "job %s: its worker's heartbeat is over %g s old, but the worker still runs "
                    "it (it holds the job's lock): not retried",
                    job.id,
                    seconds_since_heartbeat,
                )
                continue
            _LOG.warning("job %s of a dead worker is retried", job.id)
            await app.job_manager.retry_job(job)
            count += 1
    return count


async def _held(probe: psycopg.AsyncConnection[Any], key: str) -> bool:
    """Whether another session holds the job lock of ``key`` (taken and released at once
    when free)."""
    cursor = await probe.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", (JOB_LOCK, key))
    row = await cursor.fetchone()
    if row is not None and row[0]:
        await probe.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (JOB_LOCK, key))
        return False
    return True


async def watch_event_loop(threshold: float = 5.0, period: float = 1.0) -> None:
    """Log when this event loop was held for over ``threshold`` seconds (its heartbeats were
    late by as much): a job doing CPU work or blocking I/O on the loop instead of a thread."""
    while True:
        before = time.perf_counter()
        await asyncio.sleep(period)
        late = time.perf_counter() - before - period
        if late > threshold:
            _LOG.warning("the worker's event loop was held for %.1f s", late)


async def run_postgres_worker(
    database_url: str,
    deps: Any,
    *,
    concurrency: int = 2,
    heartbeat_seconds: float = 10.0,
    stalled_seconds: float = 30.0,
    stop: asyncio.Event | None = None,
    runners: Mapping[str, JobRunner] | None = None,
) -> None:
    """Work the procrastinate queue until ``stop`` is set (or the process is signalled).

    ``deps`` (None: no App in this process) runs webhook deliveries; a job whose kind is in
    ``runners`` (the regression-test jobs of ``argus serve``) goes to its own runner."""
    from argus.github_app.dispatch import routed_runner

    ensure_schema(database_url)
    if deps is not None:
        deps.max_attempts = ATTEMPTS  # the last run completes what it started on GitHub
    app = procrastinate.App(connector=PsycopgConnector(conninfo=conninfo(database_url)))
    define_task(app)
    async with app.open_async():

        async def sweep() -> None:
            while True:
                try:
                    await retry_stalled_jobs(app, stalled_seconds, database_url)
                except Exception as error:  # noqa: BLE001 - the next sweep tries again
                    _LOG.warning("stalled-job sweep failed: %s", error)
                await asyncio.sleep(max(stalled_seconds / 2, 0.5))

        sweeper = asyncio.create_task(sweep())
        watcher = asyncio.create_task(watch_event_loop())
        worker = asyncio.create_task(
            app.run_worker_async(
                queues=[QUEUE_NAME],
                concurrency=concurrency,
                update_heartbeat_interval=heartbeat_seconds,
                stalled_worker_timeout=max(stalled_seconds, WORKER_ROWS_KEPT_SECONDS),
                additional_context={
                    "deps": deps,
                    "runner": routed_runner(deps, runners),
                    "database_url": database_url,
                },
                fetch_job_polling_interval=1.0,
                install_signal_handlers=stop is None,
            )
        )
        waiters: set[asyncio.Task[Any]] = {worker}
        if stop is not None:
            waiters.add(asyncio.create_task(stop.wait()))
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sweeper.cancel()
            watcher.cancel()
            for task in waiters:
                task.cancel()
            for task in (sweeper, watcher, *waiters):
                with contextlib.suppress(asyncio.CancelledError):
                    await task
