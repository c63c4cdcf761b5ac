"""The composition root: every part of a process built here, once, on first use.

An entry point (``argus serve``, ``argus worker``, ``argus jobs``, the CLI commands that need a
store or a model router, ``argus lsp``) asks :func:`process_wiring` for the parts it uses;
nothing else in the project constructs them. Each part is built the first time it is asked
for and kept, so the App and the regression jobs share one job queue, one worker thread, one
pattern library and one set of metrics, and a command that needs only a store path imports
nothing of the servers (``argus --help`` imports this module not at all).

The parts, in the order they depend on each other:

- **settings**: the environment (and ``.env``) read once: ``ServeSettings`` (the store's
  location, body limits, the shared store), the App's ``AppSettings`` (None when the App is
  not configured), the model providers' ``ProviderSettings``;
- **stores**: the pattern library (``argus.serve.ConfinedService`` over the file or the
  shared store of ``argus.store_backend``); the rows every node shares (the ingestion
  projects' keys and links, the regression-test requests, and the App's state, cost ledger and
  budgets at :attr:`Wiring.row_location`), in PostgreSQL when ``ARGUS_DATABASE_URL`` names
  it, else the SQLite file; SQLite stores for the CLI (:meth:`Wiring.open_store`);
- **the model router** (:meth:`Wiring.router`), metering into a store's cost ledger;
- **the job queue** (:attr:`Wiring.job_queue`): the one at ``ARGUS_DATABASE_URL`` (default
  ``sqlite:///.argus/github-app.db``), SQLite or PostgreSQL, for webhook deliveries and the
  regression-test jobs alike, and its **worker** (:attr:`Wiring.worker_thread` in ``argus
  serve``; ``argus worker`` runs the same runners);
- **the App's** ``Deps`` (built once, in the worker's thread) and web front;
- **the ingestion app**, and the **served app** that puts them together.

The store factories are thin calls into ``argus.store_backend`` and ``argus.core.store``: where a
store lives is decided there.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from argus.core.errors import ConfigError

if TYPE_CHECKING:
    from fastapi import FastAPI

    from argus.core.router.cache import PatternCache
    from argus.core.router.config import ProviderSettings
    from argus.core.router.ledger import LedgerStore
    from argus.core.router.router import Router
    from argus.core.store.sqlite import SQLiteStore
    from argus.github_app.dispatch import JobRunner
    from argus.github_app.metrics import AppMetrics
    from argus.github_app.services import Deps
    from argus.github_app.settings import AppSettings
    from argus.github_app.worker import WorkerThread
    from argus.regression_jobs import RegressionPipeline
    from argus.serve import ConfinedService, ServeSettings
    from argus.store_backend import SharedLocation

T = TypeVar("T")

#: The CLI runs on a developer's machine with the developer's own keys: no plan cap.
CLI_PLAN = "local"

_UNSET = object()


class Wiring:
    """The parts of one process, each built on first use and kept (thread-safe).

    ``environ`` (default: the process environment) and ``dotenv`` (the ``.env`` file the App's
    settings and the queue's URL may come from; None: no file) are read once. ``settings``
    and ``queue_url`` give ``argus serve``'s settings and the queue's database directly
    instead of reading them. :meth:`close` closes
    what was built, the last built first.
    """

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        *,
        cwd: Path | None = None,
        dotenv: Path | None = Path(".env"),
        host: str | None = None,
        port: int | None = None,
        settings: ServeSettings | None = None,
        lease_seconds: float | None = None,
        max_attempts: int | None = None,
        queue_url: str | None = None,
    ):
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self.cwd = cwd
        self.dotenv = dotenv
        self.host = host
        self.port = port
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self._parts: dict[str, Any] = {}
        if settings is not None:
            self._parts["settings"] = settings
        if queue_url is not None:
            self._parts["queue_url"] = queue_url
        self._lock = threading.RLock()
        self._closers: list[Callable[[], None]] = []
        #: Built parts by name, in build order (tests check what was built, and how often).
        self.built: list[str] = []

    def _part(self, name: str, build: Callable[[], T]) -> T:
        """The part ``name``, built by ``build`` the first time it is asked for."""
        found = self._parts.get(name, _UNSET)
        if found is not _UNSET:
            return found  # type: ignore[no-any-return]
        with self._lock:
            found = self._parts.get(name, _UNSET)
            if found is _UNSET:
                found = build()
                self._parts[name] = found
                self.built.append(name)
        return found  # type: ignore[no-any-return]

    def _on_close(self, closer: Callable[[], None]) -> None:
        with self._lock:
            self._closers.append(closer)

    def close(self) -> None:
        """Close every part that was built, the last built first."""
        with self._lock:
            closers, self._closers = self._closers, []
        error: BaseException | None = None
        for closer in reversed(closers):
            try:
                closer()
            except BaseException as failure:  # noqa: BLE001 - close the rest, then raise
                error = error or failure
        if error is not None:
            raise error

    # -- settings and paths ------------------------------------------------------------------

    @property
    def settings(self) -> ServeSettings:
        """``argus serve``'s settings: where to listen, the store, limits, the shared store."""

        def build() -> ServeSettings:
            from argus.serve import DEFAULT_HOST, DEFAULT_PORT, serve_settings

            return serve_settings(
                self.host or DEFAULT_HOST, self.port or DEFAULT_PORT, self.environ, self.cwd
            )

        return self._part("settings", build)

    @property
    def store_path(self) -> Path:
        """The SQLite store's file (``argus.core.store.sqlite.locate_store``, or the settings')."""
        settings = self._parts.get("settings")
        return settings.store_path if settings is not None else self.store_location()

    def store_location(self, repo: Path | None = None) -> Path:
        """The store of ``repo`` (default: the working directory's), for the CLI commands."""
        from argus.core.store.sqlite import default_store_path, locate_store

        if repo is not None and (repo / ".git").exists():
            # The top of a work tree already (the commands find it first): no git to ask.
            return default_store_path(repo, self.environ)
        return locate_store(repo if repo is not None else self.cwd, self.environ)

    def open_store(self, repo: Path | None = None) -> SQLiteStore:
        """The SQLite store of ``repo``, opened and migrated (the caller closes it: ``with``)."""
        from argus.core.store.sqlite import SQLiteStore

        return SQLiteStore.open(self.store_location(repo))

    @property
    def github(self) -> AppSettings | None:
        """The GitHub App's settings when it is configured (ARGUS_GITHUB_APP_ID in the
        environment or ``.env``), else None; a configured App with a bad value is a
        ConfigError before anything starts."""

        def build() -> AppSettings | None:
            from argus.github_app.settings import app_configured, load_settings

            if not app_configured(self.environ, self.dotenv):
                return None
            return load_settings(self.environ, dotenv=self.dotenv)

        return self._part("github", build)

    @property
    def queue_url(self) -> str:
        """The job queue's database: the App's ``ARGUS_DATABASE_URL`` (environment, then
        ``.env``), else ``sqlite:///.argus/github-app.db``, whether or not the App is on."""

        def build() -> str:
            from argus.github_app.settings import DEFAULT_DATABASE_URL

            if self.github is not None:
                return self.github.database_url
            url = self.environ.get("ARGUS_DATABASE_URL", "").strip()
            if not url and self.dotenv is not None and self.dotenv.is_file():
                from dotenv import dotenv_values

                url = (dotenv_values(self.dotenv).get("ARGUS_DATABASE_URL") or "").strip()
            url = url or DEFAULT_DATABASE_URL
            if not url.startswith(("sqlite:///", "postgresql://", "postgres://")):
                raise ConfigError(
                    f"ARGUS_DATABASE_URL must be sqlite:///<path> or postgresql://..., got {url!r}"
                )
            return url

        return self._part("queue_url", build)

    @property
    def queue_on_postgres(self) -> bool:
        """True when the job queue is PostgreSQL's (worked by ``argus worker`` processes)."""
        return self.queue_url.startswith(("postgresql://", "postgres://"))

    @property
    def providers(self) -> ProviderSettings:
        """The model providers the environment configures (keys, endpoints, budgets)."""

        def build() -> ProviderSettings:
            from argus.core.router.config import ProviderSettings

            return ProviderSettings.from_environment(self.environ)

        return self._part("providers", build)

    # -- the model router --------------------------------------------------------------------

    def router(
        self,
        store: LedgerStore,
        *,
        cache: PatternCache | None = None,
        default_plan: str = CLI_PLAN,
    ) -> Router:
        """A generation router with the free tier and the configured paid providers, metering
        into ``store``'s cost ledger on ``default_plan``. A router holds the ledger's
        connection, so it is made in the thread that routes, one per store."""
        from argus.core.testgen.routing import generation_router

        return generation_router(store, self.providers, cache=cache, default_plan=default_plan)

    # -- the job queue and its worker --------------------------------------------------------

    @property
    def job_queue(self) -> Any:
        """The one job queue (``argus.github_app.queue.SQLiteJobQueue`` or
        ``argus.github_app.queue_postgres.PostgresJobQueue``) of webhook deliveries and regression
        jobs. Opening it moves the pending jobs of a previous layout's ``regression-jobs.db``
        into it (``argus.regression_jobs.adopt_legacy_queue``)."""

        def build() -> Any:
            from argus.regression_jobs import adopt_legacy_queue, regression_queue_path

            queue = self._open_queue()
            self._on_close(queue.close)
            adopt_legacy_queue(regression_queue_path(self.store_path), queue)
            return queue

        return self._part("job_queue", build)

    def _open_queue(self) -> Any:
        url = self.queue_url
        if self.queue_on_postgres:
            from argus.github_app.queue_postgres import PostgresJobQueue

            return PostgresJobQueue(url)
        from argus.github_app.queue import SQLiteJobQueue

        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        options: dict[str, Any] = {}
        if self.lease_seconds is not None:
            options["lease_seconds"] = self.lease_seconds
        if self.max_attempts is not None:
            options["max_attempts"] = self.max_attempts
        return SQLiteJobQueue(path, **options)

    @property
    def metrics(self) -> AppMetrics:
        """The App's and the worker's metrics (one registry for the process)."""

        def build() -> AppMetrics:
            from argus.github_app.metrics import AppMetrics

            metrics = AppMetrics()
            if not self.queue_on_postgres:
                metrics.track_queue_depth(self.job_queue.depth)
            return metrics

        return self._part("metrics", build)

    def app_deps(self) -> Deps:
        """What the App's jobs need (installation clients, the App's state, clones), built
        once, in the thread that first asks (the worker's: the state's connection stays
        there). ConfigError when the App is not configured."""
        github = self.github
        if github is None:
            raise ConfigError("the GitHub App is not configured (ARGUS_GITHUB_APP_ID)")

        def build() -> Deps:
            from argus.github_app.worker import build_deps

            # With PostgreSQL the App's state and the cost ledger are the shared store's, as
            # every node's; else the SQLite file beside the queue
            # (argus.github_app.worker.state_path).
            store = self.open_row_store() if self.rows_on_postgres else None
            if store is not None:
                self._on_close(store.close)
            # Reviews on clones count the production errors ingested into the same store.
            return build_deps(
                github, self.metrics, store=store, errors_for=self.linked_errors(self.store_path)
            )

        return self._part("app_deps", build)

    def linked_errors(self, store_path: Path) -> Callable[[str], Any]:
        """``errors_for("owner/name")``: the production errors of the linked project, read
        where ``argus serve`` keeps them (the shared store, else the file at ``store_path``)."""
        from argus.serve import linked_error_locations

        return linked_error_locations(store_path, self.row_location)  # type: ignore[no-any-return]

    def job_runners(self) -> dict[str, JobRunner]:
        """The runners of the queue's jobs that are not webhook deliveries, by kind (the
        regression-test generation); the worker sends every other job to the App."""

        def build() -> dict[str, JobRunner]:
            from argus.regression_jobs import GENERATE_KIND

            # The stores behind the regression job are opened by its first job, not before:
            # a worker of deliveries alone never opens them.
            async def generate(job: Any) -> None:
                await self.regressions.runners()[GENERATE_KIND](job)

            return {GENERATE_KIND: generate}

        return self._part("job_runners", build)

    @property
    def worker_thread(self) -> WorkerThread:
        """The SQLite queue's worker thread: deliveries to the App (when configured) and
        regression jobs to their runner, with one lease, retry and dead-letter list."""

        def build() -> WorkerThread:
            from argus.github_app.worker import WorkerThread

            if self.queue_on_postgres:
                raise ConfigError("a PostgreSQL job queue is worked by `argus worker` processes")
            if self.github is not None:  # the deliveries' worker counts into the App's metrics
                return WorkerThread(self.job_queue, self.app_deps, runners_factory=self.job_runners)
            return WorkerThread(
                self.job_queue, None, runners_factory=self.job_runners, metrics=self.metrics
            )

        return self._part("worker_thread", build)

    # -- stores of the server ----------------------------------------------------------------

    @property
    def library(self) -> ConfinedService:
        """The pattern library, on a thread of its own (file or shared store)."""

        def build() -> ConfinedService:
            from argus.serve import ConfinedService

            settings = self.settings
            service = ConfinedService.open(settings.shared or settings.store_path)
            self._on_close(service.close)
            return service

        return self._part("library", build)

    @property
    def shared(self) -> SharedLocation | None:
        """The shared pattern store (PostgreSQL or Cloudflare), or None: the SQLite file."""
        settings = self._parts.get("settings")
        if settings is not None:
            return settings.shared  # type: ignore[no-any-return]

        def build() -> SharedLocation | None:
            from argus.store_backend import shared_store

            return shared_store(self.environ)

        return self._part("shared", build)

    @property
    def row_location(self) -> SharedLocation | None:
        """Where the App's rows live (its state, the cost ledger and budgets) and where its
        reviews read the linked production errors: :attr:`shared`; or, when the environment
        names no shared store but the App's queue is PostgreSQL (its URL read from ``.env``, as
        ``argus worker --env-file`` may), that database, so the worker keeps them where its
        peers do. With ``argus serve``'s settings, always :attr:`shared`."""

        def build() -> SharedLocation | None:
            shared = self.shared
            if shared is not None or "settings" in self._parts:
                return shared
            github = self.github
            if github is None or not github.uses_postgres:
                return None
            from argus.store_backend import PostgresLocation

            schema = self.environ.get("ARGUS_DATABASE_SCHEMA", "").strip() or None
            return PostgresLocation(github.database_url, schema)

        return self._part("row_location", build)

    @property
    def rows_on_postgres(self) -> bool:
        """True when the shared rows are in PostgreSQL (:meth:`open_row_store`)."""
        from argus.store_backend import PostgresLocation

        return isinstance(self.row_location, PostgresLocation)

    def open_row_store(self) -> Any:
        """The store of the App's state and the cost ledger and budgets
        (``argus.store_backend.open_row_store`` at :attr:`row_location`): the shared PostgreSQL
        database's, else the SQLite file's; opened for the caller (who closes it)."""
        from argus.store_backend import open_row_store

        return open_row_store(self.row_location, self.store_path)

    def open_regression_requests(self) -> Any:
        """The regression-test request rows (``argus.store_backend.open_regression_requests``):
        in the shared PostgreSQL store, else the SQLite file; opened for the caller."""
        from argus.store_backend import open_regression_requests

        return open_regression_requests(self.shared, self.store_path)

    def open_project_keys(self) -> Any:
        """The ingestion projects and their DSN keys (``argus.store_backend``), opened for the
        caller (who closes them)."""
        from argus.store_backend import open_project_keys

        return open_project_keys(self.shared, self.store_path)

    @property
    def project_keys(self) -> Any:
        """The server's ingestion projects and their DSN keys, kept open."""

        def build() -> Any:
            keys = self.open_project_keys()
            self._on_close(keys.close)
            return keys

        return self._part("project_keys", build)

    @property
    def regressions(self) -> RegressionPipeline:
        """Regression tests for linked projects' errors: the scheduler over the job queue."""

        def build() -> RegressionPipeline:
            from argus.regression_jobs import RegressionPipeline

            # Without the App, a PostgreSQL queue is opened by the first regression job, not
            # at start-up (an ingestion node need not prepare procrastinate's schema).
            lazy = self.github is None and self.queue_on_postgres
            queue: Any = _QueueOnFirstUse(self) if lazy else self.job_queue
            pipeline = RegressionPipeline(
                self.settings.store_path,
                self.project_keys,
                self.library,
                queue,
                self.router,
                app_queue=queue if self.github is not None else None,
                # The request rows and the ledger are shared when the store is.
                requests=self.open_regression_requests(),
                open_ledger=self.open_row_store,
            )
            self._on_close(pipeline.close)
            return pipeline

        return self._part("regressions", build)

    # -- the apps ----------------------------------------------------------------------------

    @property
    def ingest_app(self) -> FastAPI:
        """The error ingestion app; the events of linked projects are scheduled for a
        regression test."""

        def build() -> FastAPI:
            from argus.ingest_server.app import create_ingest_app
            from argus.ingest_server.settings import IngestSettings

            settings = self.settings
            app = create_ingest_app(
                self.library,
                IngestSettings(settings.max_body_bytes, settings.sentry_client_secret),
                self.project_keys,
                listener=self.regressions.scheduler,
            )
            app.state.regressions = self.regressions
            return app

        return self._part("ingest_app", build)

    @property
    def github_app(self) -> FastAPI:
        """The App's web front (webhook intake) over the one job queue."""

        def build() -> FastAPI:
            from argus.github_app.app import AppDeps, create_app

            github = self.github
            if github is None:
                raise ConfigError("the GitHub App is not configured (ARGUS_GITHUB_APP_ID)")
            app = create_app(github, AppDeps(queue=self.job_queue, metrics=self.metrics))
            app.state.queue = self.job_queue
            return app

        return self._part("github_app", build)

    @property
    def setup(self) -> Any:
        """The App's registration page settings (``/setup``), for a server without the App."""

        def build() -> Any:
            from argus.github_app.setup import setup_settings_from_environment

            return setup_settings_from_environment(
                self.settings.host, self.settings.port, self.environ
            )

        return self._part("setup", build)

    @property
    def served_app(self) -> Any:
        """Everything ``argus serve`` answers: the App (or its ``/setup`` page), the ingestion
        API and the dashboard, with the queue's worker thread (on SQLite) for its lifetime."""

        def build() -> Any:
            from starlette.routing import Route

            from argus.serve import dashboard_app

            ingestion = self.ingest_app
            if self.github is None:
                from argus.github_app.setup import create_setup_app

                app = create_setup_app(self.setup)
            else:
                app = self.github_app
            # The App's routes come first; everything else (the ingestion API) falls through.
            app.mount("/", ingestion)
            # The dashboard answers every path the APIs above do not, and it is the home page.
            dashboard = dashboard_app(self.settings.store_path, self.github, self.environ)
            ingestion.mount("/", dashboard)
            app.router.routes.insert(0, Route("/", dashboard, methods=["GET", "HEAD"]))
            if not self.queue_on_postgres:
                from argus.github_app.worker import attach_worker_thread, freeze_after_startup

                # A mounted app's lifespan does not run: the served app carries the worker.
                attach_worker_thread(app, self.worker_thread)
                freeze_after_startup(app)
            return app

        return self._part("served_app", build)


class _QueueOnFirstUse:
    """The wiring's job queue, opened when a job is first queued (``JobQueue``)."""

    def __init__(self, wiring: Wiring):
        self._wiring = wiring

    def enqueue(
        self, kind: str, payload: dict[str, Any], *, delivery_id: str, installation_id: int | None
    ) -> bool:
        queued: bool = self._wiring.job_queue.enqueue(
            kind, payload, delivery_id=delivery_id, installation_id=installation_id
        )
        return queued

    def depth(self) -> int:
        depth: int = self._wiring.job_queue.depth()
        return depth


_PROCESS: Wiring | None = None
_PROCESS_LOCK = threading.Lock()


def process_wiring(**options: Any) -> Wiring:
    """The process's one :class:`Wiring`, made by the first call (with ``options``); later
    calls get the same one (``options`` then must be the same or none)."""
    global _PROCESS
    with _PROCESS_LOCK:
        if _PROCESS is None:
            _PROCESS = Wiring(**options)
            _PROCESS._options = options  # type: ignore[attr-defined]
        elif options and options != getattr(_PROCESS, "_options", {}):
            raise RuntimeError("the process's wiring is built already, with other options")
        return _PROCESS


def end_process() -> None:
    """Close the process's :class:`Wiring`, if one was made, and forget it (the end of a
    command; the next :func:`process_wiring` makes a new one)."""
    global _PROCESS
    with _PROCESS_LOCK:
        ending, _PROCESS = _PROCESS, None
    if ending is not None:
        ending.close()
