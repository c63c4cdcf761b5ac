"""Operating ``argus serve``: readiness, request ids in structured logs, graceful shutdown.

``/healthz`` answers while the process runs (the apps define it); ``/readyz`` answers 200 only
while the store and the App's queue answer, else 503 with ``Retry-After``, so that a load
balancer sends traffic elsewhere during a database outage and back once it is over.
``ARGUS_LOG_FORMAT=json`` writes Argus's log lines as one JSON object each, with the request
id (``X-Request-Id``, made up when absent, echoed in the answer) and the GitHub delivery id.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from argus.core.errors import ConfigError

#: Seconds a client is asked to wait before retrying while the store is unavailable.
RETRY_AFTER_SECONDS = 5
#: Seconds uvicorn waits for in-flight requests after SIGTERM before closing them.
GRACEFUL_SHUTDOWN_SECONDS = 30
LOG_FORMATS = ("text", "json")

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "argus_request_id", default=None
)
_delivery_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "argus_delivery_id", default=None
)
_HTTP_LOG = logging.getLogger("argus.http")

Check = Callable[[], object]


@dataclass(frozen=True)
class OperationsSettings:
    """How ``argus serve`` logs (``ARGUS_LOG_FORMAT``: text or json)."""

    log_format: str = "text"


def operations_settings(environ: Mapping[str, str]) -> OperationsSettings:
    """Read ``ARGUS_LOG_FORMAT`` (default text); another value is a ConfigError."""
    log_format = environ.get("ARGUS_LOG_FORMAT", "").strip().lower() or "text"
    if log_format not in LOG_FORMATS:
        raise ConfigError(f"ARGUS_LOG_FORMAT={log_format!r}: use text or json")
    return OperationsSettings(log_format)


def readiness_route(checks: Mapping[str, Check]) -> Route:
    """``GET /readyz``: 200 ``{"status": "ready"}`` when every check returns, else 503 naming
    the failing ones, with ``Retry-After``. Checks run off the event loop."""

    async def readyz(request: Request) -> JSONResponse:
        failing: dict[str, str] = {}
        for name, check in checks.items():
            try:
                await run_in_threadpool(check)
            except Exception as error:  # noqa: BLE001 - any failure means not ready; said below
                failing[name] = str(error).splitlines()[0] if str(error) else type(error).__name__
        if failing:
            return JSONResponse(
                {"status": "unavailable", "failing": failing},
                status_code=503,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        return JSONResponse({"status": "ready", "checks": sorted(checks)})

    return Route("/readyz", readyz, methods=["GET"])


def add_readiness(app: Any, checks: Mapping[str, Check]) -> None:
    """Put ``/readyz`` first among ``app``'s routes (before a catch-all mount at ``/``)."""
    app.router.routes.insert(0, readiness_route(checks))


def store_check(location: Any) -> Check:
    """A readiness check of the pattern store: a PostgreSQL ``SELECT 1`` on a connection of
    its own (reopened after an outage), or the SQLite file answering a query."""
    if isinstance(location, Path):

        def sqlite_check() -> None:
            with sqlite3.connect(f"file:{location}?mode=ro", uri=True, timeout=2.0) as db:
                db.execute("SELECT 1").fetchone()

        return sqlite_check
    if hasattr(location, "database_id"):  # Cloudflare D1
        from argus.core.store.d1 import D1Executor

        d1 = D1Executor(
            location.account_id,
            location.database_id,
            location.api_token,
            base_url=location.base_url,
        )
        return lambda: d1.execute("SELECT 1 AS ok")
    from argus.core.store.postgres import PostgresExecutor

    executor = PostgresExecutor(location.url, schema=location.schema)
    return executor.ping


class RequestIds:
    """ASGI middleware: binds the request id and the GitHub delivery id for log lines, echoes
    ``X-Request-Id``, and logs one ``argus.http`` line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one connection's scope through the wrapped app."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = delivery_id = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                request_id = value.decode("latin-1")[:100]
            elif name == b"x-github-delivery":
                delivery_id = value.decode("latin-1")[:100]
        request_id = request_id or uuid.uuid4().hex
        request_token = _request_id.set(request_id)
        delivery_token = _delivery_id.set(delivery_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _HTTP_LOG.info(
                "%s %s %d",
                scope.get("method", ""),
                scope.get("path", ""),
                status,
                extra={"status": status, "ms": round((time.perf_counter() - started) * 1000, 2)},
            )
            _request_id.reset(request_token)
            _delivery_id.reset(delivery_token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request and delivery ids."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        document: dict[str, object] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = _request_id.get()
        if request_id is not None:
            document["request_id"] = request_id
        delivery_id = _delivery_id.get() or getattr(record, "delivery_id", None)
        if delivery_id is not None:
            document["delivery_id"] = delivery_id
        for key in ("status", "ms"):
            if hasattr(record, key):
                document[key] = getattr(record, key)
        if record.exc_info:
            document["error"] = self.formatException(record.exc_info)
        return json.dumps(document, ensure_ascii=False, default=str)


def use_json_logs(level: str = "info") -> None:
    """Write the ``argus`` loggers' lines to stderr as JSON (replacing a text handler)."""
    logger = logging.getLogger("argus")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False


def uvicorn_log_config(environ: Mapping[str, str]) -> dict[str, Any] | None:
    """uvicorn's ``log_config`` for ``ARGUS_LOG_FORMAT=json``: its start-up, error and access
    lines as JSON like Argus's own (:class:`JsonFormatter`, request ids included); None with
    text logs (uvicorn's own configuration)."""
    if operations_settings(environ).log_format != "json":
        return None
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "json",
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"json": handler},
        "loggers": {
            "uvicorn": {"handlers": ["json"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": ["json"], "level": "INFO", "propagate": False},
        },
    }


def prepare(app: Any, checks: Mapping[str, Check], level: str, environ: Mapping[str, str]) -> Any:
    """``app`` with ``/readyz`` and, with JSON logs, request ids; what uvicorn should serve."""
    settings = operations_settings(environ)
    add_readiness(app, checks)
    if settings.log_format != "json":
        return app
    use_json_logs(level)
    return RequestIds(app)


def serve_checks(location: Any, app_queue: Any) -> dict[str, Check]:
    """The readiness checks of ``argus serve``: its store, and the App's queue if any."""
    checks = {"store": store_check(location)}
    if app_queue is not None:
        checks["queue"] = app_queue.depth
    return checks
