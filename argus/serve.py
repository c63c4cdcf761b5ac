"""The parts of ``argus serve``: its settings, the pattern library on a thread of its own, the
dashboard, the production errors of linked repositories, and the listening socket.

Everything read from the environment is read here, once, and checked with a message that says
what to fix; the apps receive plain typed values. ``argus.wiring`` builds each part once per
process and puts them together; ``argus.serve_command`` runs the result under uvicorn.
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from argus.core.errors import ConfigError
from argus.core.store.sqlite import locate_store

if TYPE_CHECKING:
    from argus.core.patterns.event import ErrorEvent
    from argus.core.patterns.records import IngestResult, Pattern, PatternTest
    from argus.core.patterns.service import PatternService
    from argus.store_backend import SharedLocation

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


@dataclass(frozen=True)
class ServeSettings:
    """Everything ``argus serve`` needs, validated: where to listen and what to accept."""

    host: str
    port: int
    store_path: Path
    max_body_bytes: int
    sentry_client_secret: str | None
    #: The shared pattern store (PostgreSQL or Cloudflare) instead of the file ``store_path``.
    shared: SharedLocation | None = None


def serve_settings(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> ServeSettings:
    """Read ``ARGUS_HOME``, ``ARGUS_INGEST_MAX_BYTES`` and ``ARGUS_SENTRY_CLIENT_SECRET``."""
    from argus.ingest_server.settings import DEFAULT_MAX_BODY_BYTES, IngestSettings

    env = os.environ if environ is None else environ
    if not 0 < port < 65536:
        raise ConfigError(f"--port {port} is not a TCP port (1-65535)")
    raw_limit = env.get("ARGUS_INGEST_MAX_BYTES", "").strip()
    limit = DEFAULT_MAX_BODY_BYTES
    if raw_limit:
        try:
            limit = int(raw_limit.replace("_", ""))
        except ValueError:
            raise ConfigError(
                f"ARGUS_INGEST_MAX_BYTES={raw_limit!r} is not a number of bytes "
                f"(e.g. {DEFAULT_MAX_BODY_BYTES})"
            ) from None
    secret = env.get("ARGUS_SENTRY_CLIENT_SECRET") or None
    # IngestSettings checks the values themselves (limit too small, blank secret).
    IngestSettings(max_body_bytes=limit, sentry_client_secret=secret)
    from argus.store_backend import shared_store

    return ServeSettings(host, port, locate_store(cwd, env), limit, secret, shared_store(env))


class ConfinedService:
    """A PatternService opened on, and always called on, one worker thread of its own.

    A SQLite connection belongs to the thread that opened it, while the server calls in from
    a pool of threads; the service serialises its calls anyway, so one thread costs nothing.
    """

    def __init__(self, executor: ThreadPoolExecutor, service: PatternService) -> None:
        from argus.core.patterns.group_commit import GroupCommit

        self._executor = executor
        self._service = service
        # Events that arrive together (concurrent requests) share one transaction.
        self._group = GroupCommit(
            executor.submit, service.ingest_batch, ingest_many=service.ingest_many
        )

    @classmethod
    def open(cls, store_path: Path | SharedLocation) -> ConfinedService:
        """Start the worker thread and open the library at ``store_path`` on it."""
        from argus.store_backend import open_pattern_service

        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="argus-patterns")
        try:
            service = executor.submit(open_pattern_service, store_path).result()
        except BaseException:
            executor.shutdown()
            raise
        return cls(executor, service)

    def ingest(self, data: ErrorEvent, tenant: str) -> IngestResult:
        """File one event (on the service's thread, grouped with the events queued with it);
        returns once the transaction holding it has committed."""
        return self._group.ingest(data, tenant)

    async def ingest_async(self, data: ErrorEvent, tenant: str) -> IngestResult:
        """:meth:`ingest` for a request coroutine: it waits without holding a thread, and the
        outcomes of a group reach the event loop in one wake-up."""
        return await self._group.ingest_async(data, tenant)

    async def ingest_all_async(self, items: list[ErrorEvent], tenant: str) -> list[IngestResult]:
        """File an envelope's events together: all are stored, or none."""
        return await self._group.ingest_all_async(items, tenant)

    def get(self, tenant: str, pattern_id: str) -> Pattern | None:
        """One pattern of the tenant (on the service's thread)."""
        return self._executor.submit(self._service.get, tenant, pattern_id).result()

    def tests_for(self, pattern_id: str) -> list[PatternTest]:
        """A pattern's stored tests, best first (on the service's thread)."""
        return self._executor.submit(self._service.store.tests_for, pattern_id).result()

    def record_test(
        self,
        tenant: str,
        pattern_id: str,
        test_id: str,
        *,
        framework: str = "",
        success_rate: float = 0.0,
        reuse_count: int = 0,
        code: str | None = None,
    ) -> None:
        """Record or update a pattern's test (on the service's thread)."""
        self._executor.submit(
            self._service.record_test,
            tenant,
            pattern_id,
            test_id,
            framework=framework,
            success_rate=success_rate,
            reuse_count=reuse_count,
            code=code,
        ).result()

    def close(self) -> None:
        """Persist and close the service, then stop its thread."""
        try:
            self._executor.submit(self._service.close).result()
        finally:
            self._executor.shutdown()


def linked_error_locations(store_path: Path, shared: SharedLocation | None = None) -> Any:
    """``errors_for("owner/name")``: the ``(path, function, occurrences)`` of the production
    errors filed for the ingestion project linked to that GitHub repository
    (``argus projects link NAME --github owner/name``); none when no project is linked. The
    projects and patterns are read where ``argus serve`` keeps them: the shared store
    (``shared``), else the SQLite file at ``store_path``."""

    def errors_for(full_name: str) -> list[tuple[str, str, int]]:
        from argus.store_backend import open_pattern_reader, open_project_keys

        keys = open_project_keys(shared, store_path)
        try:
            links = keys.links()
            tenants = []
            for project_id, link in links.items():
                project = keys.project(project_id)
                if project is not None and link.github_repository == full_name:
                    tenants.append(project.tenant)
        finally:
            keys.close()
        if not tenants:
            return []
        reader = open_pattern_reader(shared, store_path)
        try:
            return [row for tenant in tenants for row in reader.store.location_counts(tenant)]
        finally:
            reader.close()

    return errors_for


def dashboard_app(store_path: Path, github: Any, environ: Mapping[str, str] | None = None) -> Any:
    """The dashboard over the store, with the App's reviews when it keeps a SQLite file, and
    GitHub sign-in when ARGUS_GITHUB_CLIENT_ID and ARGUS_GITHUB_CLIENT_SECRET are set (the
    App's OAuth client; ARGUS_GITHUB_WEB_URL for GitHub Enterprise Server, ARGUS_DASHBOARD_URL
    for the address browsers use)."""
    from argus.dashboard.app import create_dashboard_app
    from argus.dashboard.github_oauth import GitHubSignIn, OAuthSettings

    env = os.environ if environ is None else environ
    app_state = None
    if github is not None and not github.uses_postgres:
        from argus.github_app.worker import state_path

        app_state = state_path(github)
    client_id = env.get("ARGUS_GITHUB_CLIENT_ID", "").strip()
    client_secret = env.get("ARGUS_GITHUB_CLIENT_SECRET", "").strip()
    if bool(client_id) != bool(client_secret):
        raise ConfigError(
            "GitHub sign-in needs both ARGUS_GITHUB_CLIENT_ID and ARGUS_GITHUB_CLIENT_SECRET "
            "(the App's OAuth client, from its settings page)"
        )
    sign_in = None
    if client_id:
        sign_in = GitHubSignIn(
            OAuthSettings(
                client_id,
                client_secret,
                env.get("ARGUS_GITHUB_WEB_URL", "").strip() or "https://github.com",
                github.api_url if github is not None else "https://api.github.com",
            )
        )
    public_url = env.get("ARGUS_DASHBOARD_URL", "").strip() or None
    return create_dashboard_app(store_path, app_state, sign_in, public_url)


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host``:``port``; ConfigError saying so when the port is taken
    or the address cannot be used."""
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        raise ConfigError(f"--host {host}: not an address of this machine ({error})") from None
    listening = socket.socket(family, kind, protocol)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listening.bind(address)
    except OSError as error:
        listening.close()
        if error.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"port {port} on {host} is taken by another program: stop it, or choose "
                "another with --port"
            ) from None
        raise ConfigError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    listening.set_inheritable(True)
    return listening
