"""Production errors into regression tests, off the request path: scheduling and the job.

When ``argus serve`` files an event of a project linked to its code (``argus projects link``),
:class:`RegressionScheduler` (the ingestion app's filing listener) asks once per pattern for a
regression test: a row in ``regression_requests`` (store migration 0010) and a job in the
process's one job queue, the GitHub App's (``ARGUS_DATABASE_URL``: ``argus.github_app.queue`` on
SQLite, ``argus.github_app.queue_postgres`` on PostgreSQL; ``argus.wiring.Wiring.job_queue``). That
is all the request pays for; repeats of a pattern that has a test, or one being made, cost an
in-memory lookup.

The queue's one worker (the thread in ``argus serve``, or ``argus worker``) hands each job of
kind :data:`GENERATE_KIND` to :class:`RegressionJob`, and every other job (a webhook delivery)
to the App's dispatcher: the same lease, retries and dead-letter list (``argus jobs``) for
both. The job reuses the pattern's validated test when there is one, else runs
``generate_for_error_async`` in the linked clone with the router the CLI uses
(``Wiring.router``) on the project's plan; the test is stored on the pattern (its success
rate and reuse count live there), and the outcome (or the reason there is none) on the request
row. For a project linked to a GitHub repository, an ``argus_regression_test`` job then goes to
the same queue, and the App opens the PR.

Stores of the previous layout kept these jobs in ``regression-jobs.db`` beside the store:
:func:`adopt_legacy_queue` moves the jobs still pending there (and the dead letters) into the
one queue when the queue is first opened.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from argus.core.errors import ArgusError, StoreError
from argus.core.patterns.event import ErrorEvent
from argus.core.patterns.event_codec import event_data, event_from_data
from argus.core.store.sqlite import SQLiteStore
from argus.core.testgen.pattern_cache import PatternTestReader, PatternTestStore

if TYPE_CHECKING:
    from argus.core.patterns.records import Pattern
    from argus.core.predict.findings import GeneratedTest
    from argus.core.router.cache import PatternCache
    from argus.core.router.router import Router
    from argus.core.store.postgres import PostgresRowStore
    from argus.github_app.jobs import Job, JobQueue
    from argus.ingest_server.app import IngestOutcome
    from argus.ingest_server.keys import ProjectLink, SQLiteProjectKeys

_LOG = logging.getLogger("argus.regressions")

#: The kind of the generation jobs in the regression queue.
GENERATE_KIND = "argus_generate_regression_test"
#: The queue file of the previous layout, beside the store (read once, by adopt_legacy_queue).
QUEUE_FILENAME = "regression-jobs.db"
#: A pattern whose generation failed is tried again on its next occurrence after this long.
RETRY_FAILED_AFTER = 24 * 3600.0
#: A request queued this long ago whose job never reported back (a crash between the row and
#: the job) may be queued again.
STALE_QUEUED_AFTER = 3600.0


def regression_queue_path(store_path: Path) -> Path:
    """The previous layout's regression queue file: ``regression-jobs.db`` beside the store."""
    return store_path.with_name(QUEUE_FILENAME)


class RouterFactory(Protocol):
    """Builds a generation router over a store's cost ledger (``argus.wiring.Wiring.router``)."""

    def __call__(
        self, store: SQLiteStore, *, cache: PatternCache | None = None, default_plan: str = ...
    ) -> Router:
        """A router metering into ``store``'s ledger on ``default_plan``."""
        ...


# -- the event in a job's payload ---------------------------------------------------------------


# -- the request rows ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RegressionRequest:
    """What became of the request for one pattern's regression test."""

    tenant: str
    pattern_id: str
    project_id: int
    status: str
    """``queued``, ``generated``, ``cached`` or ``failed``."""
    attempts: int
    reason: str | None
    test_path: str | None
    pull_request_queued: bool


class RegressionRequests:
    """The store's ``regression_requests`` rows; safe to share between threads.

    In the SQLite file at ``path``, or in the shared PostgreSQL database when given its row
    store (``argus.store_backend.open_regression_requests``): the SQL is written for both.
    """

    def __init__(
        self, path: Path | str | PostgresRowStore, *, clock: Callable[[], float] = time.time
    ):
        self.clock = clock
        self._lock = threading.Lock()
        self._shared: PostgresRowStore | None = None
        if not isinstance(path, Path | str):
            self._shared = path
            self.path: Path | str = "the shared PostgreSQL store"
            return
        self.path = path
        SQLiteStore.open(path).close()  # create and migrate
        try:
            self._db = sqlite3.connect(
                str(path), timeout=30.0, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise StoreError(f"cannot open the store at {path}: {error}") from error

    def claim(self, tenant: str, pattern_id: str, project_id: int) -> int | None:
        """Mark a test for the pattern as asked for; the attempt number, or None when it need
        not be asked (one is being made, was made, or failed less than a day ago)."""
        now = self.clock()
        rows = self._execute(
            "INSERT INTO regression_requests (tenant, pattern_id, project_id, status, attempts, "
            "requested_at) VALUES (?, ?, ?, 'queued', 1, ?) "
            "ON CONFLICT (tenant, pattern_id) DO UPDATE SET status = 'queued', "
            "attempts = regression_requests.attempts + 1, project_id = excluded.project_id, "
            "requested_at = excluded.requested_at, reason = NULL, finished_at = NULL "
            "WHERE (regression_requests.status = 'failed' AND regression_requests.finished_at < ?)"
            " OR (regression_requests.status = 'queued' AND regression_requests.requested_at < ?) "
            "RETURNING attempts",
            (
                tenant,
                pattern_id,
                project_id,
                now,
                now - RETRY_FAILED_AFTER,
                now - STALE_QUEUED_AFTER,
            ),
        )
        return int(rows[0][0]) if rows else None

    def finish(
        self,
        tenant: str,
        pattern_id: str,
        status: str,
        *,
        reason: str | None = None,
        test_path: str | None = None,
    ) -> None:
        """Record the outcome of the pattern's job."""
        self._execute(
            "UPDATE regression_requests SET status = ?, reason = ?, test_path = ?, "
            "finished_at = ? WHERE tenant = ? AND pattern_id = ?",
            (status, reason, test_path, self.clock(), tenant, pattern_id),
        )

    def pull_request_queued(self, tenant: str, pattern_id: str) -> None:
        """Note that the App was asked to open the test's PR."""
        self._execute(
            "UPDATE regression_requests SET pull_request_queued = 1 "
            "WHERE tenant = ? AND pattern_id = ?",
            (tenant, pattern_id),
        )

    def get(self, tenant: str, pattern_id: str) -> RegressionRequest | None:
        """The pattern's request, if one was made."""
        rows = self._execute(
            f"SELECT {_REQUEST_COLUMNS} FROM regression_requests "
            "WHERE tenant = ? AND pattern_id = ?",
            (tenant, pattern_id),
        )
        return _request(rows[0]) if rows else None

    def all(self) -> list[RegressionRequest]:
        """Every request, oldest first."""
        rows = self._execute(
            f"SELECT {_REQUEST_COLUMNS} FROM regression_requests ORDER BY requested_at", ()
        )
        return [_request(row) for row in rows]

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            if self._shared is not None:
                self._shared.close()
            else:
                self._db.close()

    def _execute(self, sql: str, parameters: tuple[object, ...]) -> list[tuple[Any, ...]]:
        if self._shared is not None:
            with self._shared.transaction() as db:
                return db.execute(sql, parameters).fetchall()
        try:
            with self._lock:
                return list(self._db.execute(sql, parameters).fetchall())
        except sqlite3.Error as error:
            raise StoreError(f"cannot use regression_requests in {self.path}: {error}") from error


_REQUEST_COLUMNS = (
    "tenant, pattern_id, project_id, status, attempts, reason, test_path, pull_request_queued"
)


def _request(row: tuple[Any, ...]) -> RegressionRequest:
    tenant, pattern_id, project_id, status, attempts, reason, test_path, queued = row
    return RegressionRequest(
        str(tenant),
        str(pattern_id),
        int(project_id),
        str(status),
        int(attempts),
        reason,
        test_path,
        bool(queued),
    )


# -- scheduling, in the request -----------------------------------------------------------------


class RegressionScheduler:
    """The ingestion app's filing listener: queue a test for each new pattern of a linked project.

    Costs per event: a link lookup, and for a pattern not decided in the last minute one write
    (and one more when a job is queued). Nothing here generates anything.
    """

    def __init__(
        self,
        keys: SQLiteProjectKeys,
        requests: RegressionRequests,
        queue: JobQueue,
        *,
        recheck_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.keys = keys
        self.requests = requests
        self.queue = queue
        self.recheck_seconds = recheck_seconds
        self.clock = clock
        self._decided: dict[tuple[str, str], float] = {}
        self._unlinked_noted: set[str] = set()
        self._lock = threading.Lock()

    def filed(
        self, project_id: str | None, tenant: str, event: ErrorEvent, outcome: IngestOutcome
    ) -> None:
        """Queue a regression test for the event's pattern when the project is linked and the
        pattern has none yet (nor one on the way)."""
        pattern_id = outcome.pattern.id
        key = (tenant, pattern_id)
        now = self.clock()
        with self._lock:
            if self._decided.get(key, 0.0) > now:
                return
        link = self._link(project_id, tenant)
        if link is None:
            return
        with self._lock:
            if len(self._decided) > 10_000:
                self._decided.clear()
            self._decided[key] = now + self.recheck_seconds
        attempt = self.requests.claim(tenant, pattern_id, link.project_id)
        if attempt is None:
            return
        from argus.core.patterns.scrub import scrub_event

        # The scrubbed event: no secret or personal value goes to the queue, the test or a PR.
        payload = {
            "project_id": link.project_id,
            "tenant": tenant,
            "pattern_id": pattern_id,
            "event": event_data(scrub_event(event)),
        }
        self.queue.enqueue(
            GENERATE_KIND,
            payload,
            delivery_id=f"regression:{tenant}:{pattern_id}:{attempt}",
            installation_id=link.installation_id,
        )
        _LOG.info(
            "regression test for pattern %s (%s) of tenant %s queued (attempt %d)",
            pattern_id,
            outcome.pattern.title,
            tenant,
            attempt,
        )

    def _link(self, project_id: str | None, tenant: str) -> ProjectLink | None:
        if project_id is not None and project_id.isdigit():
            link = self.keys.link_for(int(project_id))
            where = f"project {project_id}"
        else:
            # A Sentry webhook names a tenant: its project, when exactly one is linked.
            links = self.keys.links()
            found = [
                links[p.project_id]
                for p in self.keys.projects()
                if p.tenant == tenant and p.project_id in links
            ]
            link = found[0] if len(found) == 1 else None
            where = f"tenant {tenant}"
        if link is None:
            with self._lock:
                first = where not in self._unlinked_noted
                self._unlinked_noted.add(where)
            if first:
                _LOG.info(
                    "%s has no linked repository: its errors get no regression test "
                    "('argus projects link NAME --repo PATH')",
                    where,
                )
        return link


# -- the job, in the worker thread --------------------------------------------------------------


class PatternLibrary(PatternTestStore, PatternTestReader, Protocol):
    """What the job needs of the pattern library (``argus.serve.ConfinedService`` fits): the
    test cache's reads and writes, and a pattern by id."""

    def get(self, tenant: str, pattern_id: str) -> Pattern | None:
        """One pattern of the tenant."""
        ...


class Skipped(ArgusError):
    """The job ends without a test, for the reason given (recorded on the request)."""


class RegressionJob:
    """Runs one generation job: reuse or generate, record, and hand the test to the App."""

    def __init__(
        self,
        library: PatternLibrary,
        keys: SQLiteProjectKeys,
        requests: RegressionRequests,
        store_path: Path,
        router_for: RouterFactory,
        *,
        app_queue: JobQueue | None = None,
        open_ledger: Callable[[], Any] | None = None,
    ):
        self.library = library
        self.keys = keys
        self.requests = requests
        self.store_path = store_path
        self.router_for = router_for
        self.app_queue = app_queue
        #: Opens the cost ledger's store (default: the SQLite file at ``store_path``; the
        #: wiring passes the shared store's, ``argus.store_backend.open_row_store``).
        self.open_ledger = open_ledger or (lambda: SQLiteStore.open(store_path))
        # One generation at a time even when the queue's worker runs jobs side by side:
        # validation runs test processes. Made in the worker's event loop, on first use.
        self._one_at_a_time: asyncio.Lock | None = None

    async def __call__(self, job: Job) -> None:
        """Handle a job; a store failure is raised (the queue retries), anything else recorded."""
        tenant = str(job.payload["tenant"])
        pattern_id = str(job.payload["pattern_id"])
        if self._one_at_a_time is None:
            self._one_at_a_time = asyncio.Lock()
        try:
            async with self._one_at_a_time:
                await self._run(tenant, pattern_id, job.payload)
        except Skipped as skipped:
            self._fail(tenant, pattern_id, str(skipped))
        except StoreError as error:
            self._fail(tenant, pattern_id, f"the store failed (will retry): {error}")
            raise
        except ArgusError as error:
            self._fail(tenant, pattern_id, f"{type(error).__name__}: {error}")
        except Exception as error:
            # A bug, not a verdict on the pattern: recorded, and the queue retries it.
            self._fail(tenant, pattern_id, f"{type(error).__name__}: {error}")
            raise

    def _fail(self, tenant: str, pattern_id: str, reason: str) -> None:
        _LOG.warning(
            "no regression test for pattern %s of tenant %s: %s", pattern_id, tenant, reason
        )
        self.requests.finish(tenant, pattern_id, "failed", reason=reason)

    async def _run(self, tenant: str, pattern_id: str, payload: Mapping[str, Any]) -> None:
        from argus.core.diff.git import find_repo_root
        from argus.core.testgen.pattern_cache import MIN_SUCCESS_RATE

        earlier = self.requests.get(tenant, pattern_id)
        if earlier is not None and earlier.status in ("generated", "cached"):
            return  # a job queued twice (a request thought stale): the first one made the test
        project_id = int(payload["project_id"])
        link = self.keys.link_for(project_id)
        if link is None:
            raise Skipped(f"project {project_id} is no longer linked to a repository")
        try:
            repo = find_repo_root(Path(link.repo_path))
        except ArgusError as error:
            raise Skipped(f"no git repository at {link.repo_path}: {error}") from None
        pattern = self.library.get(tenant, pattern_id)
        if pattern is None:
            raise Skipped(f"tenant {tenant} has no pattern {pattern_id} any more")
        for stored in self.library.tests_for(pattern_id):
            if stored.code and stored.success_rate >= MIN_SUCCESS_RATE:
                _LOG.info("pattern %s has a validated test already: %s", pattern_id, stored.test_id)
                self.requests.finish(tenant, pattern_id, "cached", test_path=stored.test_id)
                return
        test, notes = await self._generate(tenant, pattern, payload, repo, link)
        if test is None:
            raise Skipped(
                "no validated regression test: " + ("; ".join(notes[-3:]) or "no candidate")
            )
        checks = test.validation
        _LOG.info(
            "regression test %s for pattern %s: fails on %s with %s (%s, %s)",
            test.path,
            pattern_id,
            (checks.before or "")[:12],
            checks.expected_exception,
            checks.tier,
            checks.generator,
        )
        status = "cached" if checks.cached else "generated"
        # The PR is asked for before the request is marked made: a finished request has all
        # its outcome (a crash in between makes the retried job ask again, under the same
        # delivery id, so the App still opens one PR).
        self._hand_to_github(
            tenant, pattern_id, test, link, introduced_by(repo, test, pattern, payload)
        )
        self.requests.finish(tenant, pattern_id, status, test_path=test.path)

    async def _generate(
        self,
        tenant: str,
        pattern: Pattern,
        payload: Mapping[str, Any],
        repo: Path,
        link: ProjectLink,
    ) -> tuple[GeneratedTest | None, list[str]]:
        from argus.core.testgen.pattern_cache import PatternTestCache
        from argus.core.testgen.service import GenerationLog, generate_for_error_async

        event = event_from_data(payload["event"])
        log = GenerationLog()
        # Opened here, in the worker thread that routes: the ledger's connection stays in it.
        with self.open_ledger() as store:
            cache = PatternTestCache(self.library, self.library, tenant)
            router = self.router_for(store, cache=cache, default_plan=link.plan)
            try:
                test = await generate_for_error_async(
                    event, repo, tenant=tenant, pattern=pattern, router=router, log=log
                )
            finally:
                await router.aclose()  # a router per job: its clients end with it
        return test, list(log.notes)

    def _hand_to_github(
        self,
        tenant: str,
        pattern_id: str,
        test: GeneratedTest,
        link: ProjectLink,
        origin: dict[str, Any] | None = None,
    ) -> None:
        if link.github_repository is None or link.installation_id is None:
            return
        if self.app_queue is None:
            _LOG.info(
                "pattern %s: the GitHub App is not configured in this server, so no PR on %s",
                pattern_id,
                link.github_repository,
            )
            return
        from argus.github_app.handlers.regression_job import REGRESSION_KIND, regression_payload

        self.app_queue.enqueue(
            REGRESSION_KIND,
            regression_payload(
                link.installation_id, link.github_repository, test, link.base_branch, origin
            ),
            delivery_id=f"argus-regression-pr:{tenant}:{pattern_id}",
            installation_id=link.installation_id,
        )
        self.requests.pull_request_queued(tenant, pattern_id)
        _LOG.info(
            "pattern %s: PR with %s asked of the App on %s",
            pattern_id,
            test.path,
            link.github_repository,
        )


def introduced_by(
    repo: Path, test: GeneratedTest, pattern: Pattern, payload: Mapping[str, Any]
) -> dict[str, Any] | None:
    """What the App needs to tell the pull request that introduced the failing line: the line,
    the commit that wrote it (blamed at the commit the test failed on), the error and its
    occurrences; None when no frame of the error maps to a blamable line."""
    from argus.core.testgen.origin import failing_line_origin

    event = event_from_data(payload["event"])
    deployed = test.validation.before or "HEAD"
    try:
        origin = failing_line_origin(repo, deployed, event)
    except ArgusError as error:
        _LOG.info("pattern %s: cannot blame the failing line: %s", pattern.id, error)
        return None
    if origin is None:
        return None
    return {
        "commit": origin.commit,
        "path": origin.path,
        "line": origin.line,
        "function": origin.function,
        "deployed": deployed,
        "error": event.title[:ERROR_TITLE_LIMIT],
        "occurrences": pattern.occurrences,
        "pattern_id": pattern.id,
    }


#: The error's first line, as far as a comment shows it (the event is scrubbed already).
ERROR_TITLE_LIMIT = 300


# -- composition --------------------------------------------------------------------------------


class RegressionPipeline:
    """The scheduler and request rows for one store, over the process's one job queue;
    :meth:`runners` gives that queue's worker the job that makes the tests."""

    def __init__(
        self,
        store_path: Path,
        keys: SQLiteProjectKeys,
        library: PatternLibrary,
        queue: JobQueue,
        router_for: RouterFactory,
        *,
        app_queue: JobQueue | None = None,
        requests: RegressionRequests | None = None,
        open_ledger: Callable[[], Any] | None = None,
    ):
        self.store_path = store_path
        self.keys = keys
        self.library = library
        self.queue = queue
        self.router_for = router_for
        self.app_queue = app_queue
        self.open_ledger = open_ledger
        # The request rows (and the ledger) may be shared (argus.store_backend, chosen by the
        # wiring); the jobs go on the process's one queue.
        self.requests = requests if requests is not None else RegressionRequests(store_path)
        self.scheduler = RegressionScheduler(keys, self.requests, queue)
        self._job: RegressionJob | None = None

    def runners(self) -> dict[str, RegressionJob]:
        """The queue worker's runner for :data:`GENERATE_KIND` jobs (``app_queue``: where the
        App is asked for the test's PR; None when the App is not configured here)."""
        if self._job is None:
            self._job = RegressionJob(
                self.library,
                self.keys,
                self.requests,
                self.store_path,
                self.router_for,
                app_queue=self.app_queue,
                open_ledger=self.open_ledger,
            )
        return {GENERATE_KIND: self._job}

    def close(self) -> None:
        """Close the request rows' connection (the queue belongs to the process)."""
        self.requests.close()


def adopt_legacy_queue(legacy: Path, queue: Any) -> int:
    """Move the jobs of a previous layout's ``regression-jobs.db`` into ``queue``; how many.

    Waiting and running jobs are queued again; jobs that failed for good stay dead letters
    (on SQLite; PostgreSQL's queue takes them as new jobs, so they are tried again). A job is
    deleted from the old file only once ``queue`` holds it, and its delivery id keeps a second
    run (a crash in between) from queueing it twice: nothing stored is lost or doubled.
    """
    from argus.github_app.queue import decode_payload

    if not legacy.is_file():
        return 0
    try:
        old = sqlite3.connect(str(legacy), timeout=30.0, isolation_level=None)
    except sqlite3.Error as error:
        raise StoreError(f"cannot open the old regression queue {legacy}: {error}") from error
    try:
        try:
            rows = old.execute(
                "SELECT id, kind, payload, installation_id, delivery_id, status, attempts, "
                "last_error, finished_at FROM github_jobs WHERE status != 'done' ORDER BY id"
            ).fetchall()
        except sqlite3.OperationalError:
            return 0  # no queue table: nothing was ever queued there
        moved = 0
        for job_id, kind, payload, installation, delivery, status, attempts, reason, ended in rows:
            adopt = getattr(queue, "adopt", None)
            if adopt is not None:
                adopt(
                    kind,
                    payload,
                    delivery_id=delivery,
                    installation_id=installation,
                    failed=status == "failed",
                    attempts=int(attempts) if status == "failed" else 0,
                    last_error=reason,
                    finished_at=ended,
                )
            else:
                queue.enqueue(
                    kind,
                    decode_payload(payload),
                    delivery_id=delivery,
                    installation_id=installation,
                )
            old.execute("DELETE FROM github_jobs WHERE id = ?", (job_id,))
            moved += 1
    except sqlite3.Error as error:
        raise StoreError(f"cannot move the jobs of {legacy}: {error}") from error
    finally:
        old.close()
    if moved:
        _LOG.info("moved %d regression job(s) from %s into the job queue", moved, legacy)
    return moved
