"""Production errors into regression tests, off the request path: scheduling and the job.

When ``argus serve`` files an event of a project linked to its code (``argus projects link``),
:class:`RegressionScheduler` (the ingestion app's filing listener) asks once per pattern for a
regression test: a row in ``regression_requests`` (store migration 0010) and a job in a durable
SQLite queue (``github_app.queue.SQLiteJobQueue``, in ``regression-jobs.db`` beside the store).
That is all the request pays for; repeats of a pattern that has a test, or one being made, cost
an in-memory lookup.

A worker thread of the serve process runs :class:`RegressionJob` on each job: it reuses the
pattern's validated test when there is one, else runs ``generate_for_error_async`` in the linked
clone with the router the CLI uses (``argus.testgen_wiring.build_router``) on the project's
plan; the test is stored on the pattern (its success rate and reuse count live there), and the
outcome (or the reason there is none) on the request row. For a project linked to a GitHub
repository, an ``argus_regression_test`` job then goes to the App's queue, and the App opens
the PR.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from core.errors import ArgusError, StoreError
from core.patterns.event import ErrorEvent
from core.patterns.event_codec import event_data, event_from_data
from core.store.sqlite import SQLiteStore
from core.testgen.pattern_cache import PatternTestReader, PatternTestStore

if TYPE_CHECKING:
    from core.patterns.records import Pattern
    from core.predict.findings import GeneratedTest
    from core.store.postgres import PostgresRowStore
    from github_app.jobs import Job, JobQueue
    from github_app.queue import SQLiteJobQueue
    from ingest_server.app import IngestOutcome
    from ingest_server.keys import ProjectLink, SQLiteProjectKeys

_LOG = logging.getLogger("argus.regressions")

#: The kind of the generation jobs in the regression queue.
GENERATE_KIND = "argus_generate_regression_test"
QUEUE_FILENAME = "regression-jobs.db"
#: A pattern whose generation failed is tried again on its next occurrence after this long.
RETRY_FAILED_AFTER = 24 * 3600.0
#: A request queued this long ago whose job never reported back (a crash between the row and
#: the job) may be queued again.
STALE_QUEUED_AFTER = 3600.0


def regression_queue_path(store_path: Path) -> Path:
    """The regression queue's file: ``regression-jobs.db`` beside the store."""
    return store_path.with_name(QUEUE_FILENAME)


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
        from core.patterns.scrub import scrub_event

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
        *,
        app_queue: JobQueue | None = None,
        environ: Mapping[str, str] | None = None,
        open_ledger: Callable[[], Any] | None = None,
    ):
        self.library = library
        self.keys = keys
        self.requests = requests
        self.store_path = store_path
        self.app_queue = app_queue
        self.environ = environ
        #: Opens the cost ledger's store (default: the SQLite file at ``store_path``).
        self.open_ledger = open_ledger or (lambda: SQLiteStore.open(store_path))

    async def __call__(self, job: Job) -> None:
        """Handle a job; a store failure is raised (the queue retries), anything else recorded."""
        tenant = str(job.payload["tenant"])
        pattern_id = str(job.payload["pattern_id"])
        try:
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
        from core.diff.git import find_repo_root
        from core.testgen.pattern_cache import MIN_SUCCESS_RATE

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
        self.requests.finish(tenant, pattern_id, status, test_path=test.path)
        self._hand_to_github(
            tenant, pattern_id, test, link, introduced_by(repo, test, pattern, payload)
        )

    async def _generate(
        self,
        tenant: str,
        pattern: Pattern,
        payload: Mapping[str, Any],
        repo: Path,
        link: ProjectLink,
    ) -> tuple[GeneratedTest | None, list[str]]:
        from argus.testgen_wiring import build_router
        from core.testgen.pattern_cache import PatternTestCache
        from core.testgen.service import GenerationLog, generate_for_error_async

        event = event_from_data(payload["event"])
        log = GenerationLog()
        # Opened here, in the worker thread that routes: the ledger's connection stays in it.
        with self.open_ledger() as store:
            cache = PatternTestCache(self.library, self.library, tenant)
            router = build_router(
                store, cache=cache, environ=self.environ or {}, default_plan=link.plan
            )
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
        from github_app.handlers.regression_job import REGRESSION_KIND, regression_payload

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
    from core.testgen.origin import failing_line_origin

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
    """The scheduler, its queue and request rows for one store; :meth:`attach` adds the worker."""

    def __init__(
        self,
        store_path: Path,
        keys: SQLiteProjectKeys,
        library: PatternLibrary,
        *,
        environ: Mapping[str, str] | None = None,
        requests: RegressionRequests | None = None,
        open_ledger: Callable[[], Any] | None = None,
    ):
        from github_app.queue import SQLiteJobQueue

        self.store_path = store_path
        self.keys = keys
        self.library = library
        self.environ = environ
        self.open_ledger = open_ledger
        # The request rows (and the ledger) may be shared (argus.store_backend); the queue of
        # generation jobs is this node's file.
        self.requests = requests if requests is not None else RegressionRequests(store_path)
        # Generation takes minutes at worst: a long lease, renewed while the job runs.
        self.queue: SQLiteJobQueue = SQLiteJobQueue(
            regression_queue_path(store_path), lease_seconds=300.0, max_attempts=3
        )
        self.scheduler = RegressionScheduler(keys, self.requests, self.queue)

    def attach(self, app: Any, app_queue: JobQueue | None = None) -> None:
        """Work the queue in a thread of its own for the lifetime of ``app`` (one job at a time:
        validation runs test processes); ``app_queue`` is the GitHub App's queue, if any."""
        from github_app.worker import WorkerThread, attach_worker_thread

        job = RegressionJob(
            self.library,
            self.keys,
            self.requests,
            self.store_path,
            app_queue=app_queue,
            environ=self.environ,
            open_ledger=self.open_ledger,
        )
        thread = WorkerThread(self.queue, None, runner_factory=lambda: job, concurrency=1)
        attach_worker_thread(app, thread, name="regression_worker_thread")

    def close(self) -> None:
        """Close the queue and the request rows' connection."""
        self.queue.close()
        self.requests.close()
