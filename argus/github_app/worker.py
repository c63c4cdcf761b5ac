"""Working queued jobs: the embedded worker (inside ``argus serve``) and its composition.

:class:`EmbeddedWorker` takes jobs from the :class:`~argus.github_app.queue.SQLiteJobQueue` and
hands each to ``argus.github_app.dispatch.run_job``. It runs as asyncio tasks: in a thread of its
own inside the server process (:class:`WorkerThread`, started and stopped by the app's lifespan, see
:func:`create_served_app`), or alone in ``argus worker``. While a
job runs its lease is renewed; a failure puts the job back with a backoff. Stopping gives an
unfinished job back untried; a killed process leaves it to be retaken when its lease runs out.

:func:`build_deps` assembles what jobs need from :class:`~argus.github_app.settings.AppSettings`:
the githubkit client for installations, the App's state in the SQLite store, and, when
``ARGUS_GITHUB_CHECKOUTS`` is set, test generation in the clones kept there.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from argus.core.store.sqlite import SQLiteStore
from argus.github_app.dispatch import JobRunner, routed_runner
from argus.github_app.githubkit_adapter import GitHubAppClient
from argus.github_app.jobs import Job
from argus.github_app.metrics import AppMetrics
from argus.github_app.queue import SQLiteJobQueue
from argus.github_app.routes import default_dispatcher
from argus.github_app.services import Deps
from argus.github_app.settings import AppSettings
from argus.github_app.state import AppState

if TYPE_CHECKING:
    from argus.core.store.postgres import PostgresRowStore

_LOG = logging.getLogger("argus.github_app.worker")


def worker_name() -> str:
    """A name unique to this process: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(3).hex()}"


def state_path(settings: AppSettings, environ: dict[str, str] | None = None) -> Path:
    """Where the App's state lives: the SQLite database URL's file, else ``$ARGUS_HOME``."""
    if settings.sqlite_path is not None:
        return settings.sqlite_path
    env = os.environ if environ is None else environ
    return Path(env.get("ARGUS_HOME", ".argus")) / "github-app.db"


def checkout_test_generator(
    checkouts: Path,
    ledger_path: Path,
    environ: Mapping[str, str] | None = None,
    ledger: Any = None,
) -> Callable[..., Awaitable[Any]]:
    """Test generation in the clones under ``checkouts`` (``ARGUS_GITHUB_CHECKOUTS``).

    Each installation's requests are routed as the CLI's are (``argus.core.testgen.routing``), with
    the providers the environment configures, metered on the installation's plan in the cost
    ledger kept at ``ledger_path`` (opened on first use, in the thread that generates), or in
    ``ledger`` (a store safe to share between threads: the shared PostgreSQL one) when given.
    """
    from argus.core.router.config import ProviderSettings
    from argus.core.testgen.routing import generation_router
    from argus.github_app.testgen import CheckoutTestGenerator

    providers = ProviderSettings.from_environment(os.environ if environ is None else environ)
    providers.validate()  # a bad setting stops start-up, not the first /argus tests
    ledgers: list[Any] = [] if ledger is None else [ledger]

    def router_for(plan: str) -> Any:
        if not ledgers:
            ledgers.append(SQLiteStore.open(ledger_path))
        return generation_router(ledgers[0], providers, default_plan=plan)

    return CheckoutTestGenerator(checkouts, router_for)


def build_deps(
    settings: AppSettings,
    metrics: AppMetrics | None = None,
    store: SQLiteStore | PostgresRowStore | None = None,
    generate_tests: Callable[..., Awaitable[Any]] | None = None,
    errors_for: Callable[[str], Any] | None = None,
) -> Deps:
    """The jobs' dependencies: installation clients over githubkit, and the App's state.

    ``generate_tests`` (e.g. ``argus.github_app.testgen.CheckoutTestGenerator``) is passed through
    to :class:`~argus.github_app.services.Deps`; when not given and ``settings.checkouts_dir`` is
    set, tests are generated in the clones there (:func:`checkout_test_generator`, the ledger
    beside the App's state); otherwise no tests are generated.
    """
    metrics = metrics or AppMetrics()
    from argus.core.store.postgres import PostgresRowStore

    if generate_tests is None and settings.checkouts_dir is not None:
        shared = store if isinstance(store, PostgresRowStore) else None
        generate_tests = checkout_test_generator(
            settings.checkouts_dir, state_path(settings), ledger=shared
        )
    client = GitHubAppClient(
        settings.app_id, settings.private_key, base_url=settings.api_url, metrics=metrics
    )

    def github_for(installation_id: int | None) -> Any:
        if installation_id is None:
            raise ValueError("this delivery names no installation")
        return client.for_installation(installation_id)

    state = AppState(store or SQLiteStore.open(state_path(settings)))
    from argus.github_app.repo_review import repository_clones_from_environment

    clones = repository_clones_from_environment(
        client.installation_token, settings.api_url, os.environ, errors_for
    )
    return Deps(
        github_for=github_for,
        state=state,
        metrics=metrics,
        dispatcher=default_dispatcher(),
        generate_tests=generate_tests,
        clones=clones,
    )


class EmbeddedWorker:
    """Asyncio tasks working the SQLite queue: ``await start()``, ``await stop()``."""

    def __init__(
        self,
        queue: SQLiteJobQueue,
        runner: JobRunner,
        *,
        concurrency: int = 2,
        poll_seconds: float = 1.0,
        metrics: AppMetrics | None = None,
        name: str | None = None,
    ):
        self.queue = queue
        self.runner = runner
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.metrics = metrics
        self.name = name or worker_name()
        self._tasks: list[asyncio.Task[None]] = []
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self.paused = False

    @classmethod
    def for_deps(
        cls,
        queue: SQLiteJobQueue,
        deps: Deps | None,
        runners: Mapping[str, JobRunner] | None = None,
        **options: Any,
    ) -> EmbeddedWorker:
        """A worker that runs each delivery with ``run_job(job, deps)``, and each job whose
        kind is in ``runners`` with its own runner (``argus.github_app.dispatch.routed_runner``)."""
        if deps is not None:
            options.setdefault("metrics", deps.metrics)
        return cls(queue, routed_runner(deps, runners), **options)

    async def start(self) -> None:
        """Start the worker tasks in the running event loop."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._stopping = False
        self.queue.on_enqueue(self._notify)
        self._tasks = [
            asyncio.create_task(self._work(index), name=f"argus-worker-{index}")
            for index in range(self.concurrency)
        ]

    async def stop(self) -> None:
        """Stop the tasks; a job being run is given back to the queue untried."""
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def run_until(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set (for ``argus worker``)."""
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()

    def _notify(self) -> None:
        loop, wake = self._loop, self._wake
        # Called after every commit of the queue, often from another thread: waking a loop
        # (a write to its self-pipe) is not free, so only when the wake-up would be noticed.
        if loop is None or wake is None or loop.is_closed() or self.paused or wake.is_set():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            wake.set()
        else:
            loop.call_soon_threadsafe(wake.set)

    async def _work(self, index: int) -> None:
        assert self._wake is not None
        while not self._stopping:
            # Cleared before claiming: a job stored after the claim looked finds it clear and
            # sets it (see _notify), one stored before is found by the claim.
            self._wake.clear()
            job = None if self.paused else self.queue.claim(self.name)
            if job is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
                continue
            await self._run(job)

    async def _run(self, job: Job) -> None:
        renewer = asyncio.create_task(self._renew(job))
        started = time.perf_counter()
        try:
            await self.runner(job)
        except asyncio.CancelledError:
            self.queue.release(job, self.name)
            raise
        except Exception as error:  # noqa: BLE001 - any handler failure is retried later
            status = self.queue.fail(job, self.name, f"{type(error).__name__}: {error}")
            if status == "failed":
                _LOG.error(
                    "job %s (%s, delivery %s) failed for good after %d attempts: %s; it is in "
                    "the dead-letter list (argus jobs list --failed; argus jobs retry %s)",
                    job.id,
                    job.kind,
                    job.delivery_id,
                    job.attempts,
                    error,
                    job.id,
                )
            else:
                _LOG.warning(
                    "job %s (%s, delivery %s) failed on attempt %d: %s; now %s",
                    job.id,
                    job.kind,
                    job.delivery_id,
                    job.attempts,
                    error,
                    status,
                )
            if self.metrics is not None:
                self.metrics.job(job.kind, "retried" if status == "queued" else "dead")
        else:
            self.queue.complete(job, self.name)
            _LOG.info("job %s (%s) done in %.2f s", job.id, job.kind, time.perf_counter() - started)
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer

    async def _renew(self, job: Job) -> None:
        while True:
            await asyncio.sleep(max(self.queue.lease_seconds / 3, 0.05))
            if not self.queue.renew(job, self.name):
                _LOG.warning("job %s: lease lost", job.id)
                return


def start_embedded_worker(
    queue: SQLiteJobQueue, deps: Deps, **options: Any
) -> Callable[[], Awaitable[None]]:
    """For an app's lifespan: start a worker on ``queue`` now; returns the coroutine to stop it.

    Call from inside the running event loop (the lifespan's startup), then ``await stop()``.
    """
    worker = EmbeddedWorker.for_deps(queue, deps, **options)
    task = asyncio.get_running_loop().create_task(worker.start())

    async def stop() -> None:
        await task
        await worker.stop()

    return stop


def attach_embedded_worker(app: Any, queue: SQLiteJobQueue, deps: Deps, **options: Any) -> None:
    """Run an :class:`EmbeddedWorker` for the lifetime of ``app`` (a FastAPI/Starlette app).

    The app's own lifespan (if any) still runs; the worker starts after it and stops first.
    ``app.state.worker`` holds the worker (``paused`` can be set to only acknowledge).
    """
    inner = app.router.lifespan_context
    worker = EmbeddedWorker.for_deps(queue, deps, **options)
    app.state.worker = worker

    @contextlib.asynccontextmanager
    async def lifespan(application: Any) -> Any:
        async with inner(application) as state:
            await worker.start()
            try:
                yield state
            finally:
                await worker.stop()

    app.router.lifespan_context = lifespan


class WorkerThread:
    """An :class:`EmbeddedWorker` in a thread of its own, with its own event loop.

    Reviews parse and score code synchronously; in a thread of their own they do not hold up
    the web server's event loop (the interpreter switches threads every few milliseconds), so
    webhooks are still acknowledged at once while a review runs. ``deps_factory`` is called in
    the worker thread (the App's state holds a SQLite connection that stays in one thread).
    Jobs of other kinds in the same queue (``argus serve``'s regression-test generation) go
    to the runners ``runners_factory`` returns (also called in the worker thread), by kind;
    without ``deps_factory`` the thread runs only those. ``runner_factory`` instead hands every
    job to the one runner it returns.
    """

    def __init__(
        self,
        queue: SQLiteJobQueue,
        deps_factory: Callable[[], Deps] | None,
        *,
        paused: bool = False,
        runner_factory: Callable[[], JobRunner] | None = None,
        runners_factory: Callable[[], Mapping[str, JobRunner]] | None = None,
        **options: Any,
    ):
        if runner_factory is not None and (deps_factory or runners_factory) is not None:
            raise ValueError("give a WorkerThread runner_factory, or deps_factory/runners_factory")
        if runner_factory is None and deps_factory is None and runners_factory is None:
            raise ValueError("give a WorkerThread deps_factory, runners_factory or runner_factory")
        self.queue = queue
        self.deps_factory = deps_factory
        self.runner_factory = runner_factory
        self.runners_factory = runners_factory
        self.paused = paused
        self.options = options
        self.worker: EmbeddedWorker | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def start(self, timeout: float = 60.0) -> None:
        """Start the thread and wait until its worker is running."""
        self._thread = threading.Thread(target=self._run, name="argus-worker", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the worker thread did not start")
        if self._error is not None:
            raise self._error

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the worker (a running job goes back to the queue) and join the thread."""
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            try:
                worker = self._worker()
                worker.paused = self.paused
                self.worker = worker
                await worker.start()
            except BaseException as error:
                self._error = error
                raise
            finally:
                self._ready.set()
            try:
                await self._stop.wait()
            finally:
                await worker.stop()

        with contextlib.suppress(Exception):
            asyncio.run(main())

    def _worker(self) -> EmbeddedWorker:
        if self.runner_factory is not None:
            return EmbeddedWorker(self.queue, self.runner_factory(), **self.options)
        deps = self.deps_factory() if self.deps_factory is not None else None
        runners = self.runners_factory() if self.runners_factory is not None else None
        return EmbeddedWorker.for_deps(self.queue, deps, runners, **self.options)


def attach_worker_thread(app: Any, thread: WorkerThread, name: str = "worker_thread") -> None:
    """Run ``thread`` for the lifetime of ``app`` (started after the app's own lifespan).

    ``app.state.<name>`` holds the thread (another name for a second worker of the same app).
    """
    inner = app.router.lifespan_context
    setattr(app.state, name, thread)

    @contextlib.asynccontextmanager
    async def lifespan(application: Any) -> Any:
        async with inner(application) as state:
            await asyncio.to_thread(thread.start)
            try:
                yield state
            finally:
                await asyncio.to_thread(thread.stop)

    app.router.lifespan_context = lifespan


def create_served_app(
    settings: AppSettings,
    *,
    work: bool = True,
    errors_for: Callable[[str], Any] | None = None,
    **options: Any,
) -> Any:
    """The whole embedded App for one process: webhook app + SQLite queue + worker thread.

    With ``work=False`` the worker starts paused (deliveries are only acknowledged and stored).
    ``errors_for`` (``argus.github_app.repo_review.ErrorLocations``) gives reviews on clones the
    production errors filed for their repository.
    """
    from argus.github_app.app import AppDeps, create_app

    if settings.sqlite_path is None:
        raise ValueError("the embedded worker needs a sqlite:/// ARGUS_DATABASE_URL")
    metrics = AppMetrics()
    queue = SQLiteJobQueue(settings.sqlite_path)
    metrics.track_queue_depth(queue.depth)
    app = create_app(settings, AppDeps(queue=queue, metrics=metrics))
    app.state.queue = queue
    thread = WorkerThread(
        queue,
        lambda: build_deps(settings, metrics, errors_for=errors_for),
        paused=not work,
        **options,
    )
    attach_worker_thread(app, thread)
    freeze_after_startup(app)
    return app


def freeze_after_startup(app: Any) -> None:
    """Once ``app`` has started, move what start-up built out of the garbage collector's way.

    A served process holds some hundred thousand long-lived objects (FastAPI, pydantic and
    githubkit's models); each full collection walked them all, ~50-70 ms during which no
    webhook was answered. ``gc.freeze()`` leaves them out of every later collection.
    """
    inner = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(application: Any) -> Any:
        async with inner(application) as state:
            gc.collect()
            gc.freeze()
            yield state

    app.router.lifespan_context = lifespan
