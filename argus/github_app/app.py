"""The App's web front: the webhook endpoint, ingestion routes, health and metrics.

The endpoint verifies the signature on the raw body, decodes the JSON, hands it to the queue
and answers 202; the worker runs the handlers on it (``dispatch.run_job``).

The webhook endpoint is the one hot path (GitHub may send bursts of deliveries): it is a plain
ASGI callable (:class:`WebhookEndpoint`) that the app calls before FastAPI's middleware and
routing; it checks the JSON but builds only ``action`` and the installation
(:func:`read_head`), and it stores the body as received (no re-serialising) through the queue's
group commit when the queue has one (``enqueue_json``, see ``argus.github_app.queue``).

Bounded before it is authenticated (docs/security.md): a body over ``max_body_bytes`` is a 413
as soon as its ``Content-Length`` or its running size says so; the bodies being read before
their signature is checked share one :class:`~argus.core.input_limits.ByteBudget` (a flood of
unsigned bodies is refused with 503 past it); JSON nested past 200 levels (the limit of the
parser that reads the head; :data:`~argus.core.input_limits.MAX_JSON_DEPTH` where ``json`` reads it)
is a 400, never a ``RecursionError``. GitHub signs the body only, so a signed
body re-sent under a new ``X-GitHub-Delivery`` is a duplicate too (:class:`RecentBodies`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from argus.core.input_limits import (
    UNAUTHENTICATED_BUDGET_BYTES,
    ByteBudget,
    JsonTooDeep,
    loads_bounded,
)
from argus.github_app.jobs import JobQueue
from argus.github_app.metrics import AppMetrics
from argus.github_app.settings import AppSettings
from argus.github_app.webhook_schema import WebhookSchemas, schema_name

WEBHOOK_PATH = "/webhooks/github"

MAX_WEBHOOK_BYTES = 25 * 1024 * 1024
"""GitHub caps webhook payloads at 25 MB; a bigger body is not from GitHub (413)."""

RECENT_BODIES = 65_536
"""Digests of the last accepted bodies kept to refuse a replay under a new delivery id."""


@dataclass
class AppDeps:
    """What the web front needs: the queue, the metrics and (optionally) the ingestion router."""

    queue: JobQueue
    metrics: AppMetrics
    ingest_router: APIRouter | None = None
    ingest_metrics: Any = None
    """The ingestion routes' metrics object (its ``render()`` is appended to ``/metrics``)."""
    max_body_bytes: int = MAX_WEBHOOK_BYTES
    unverified_budget: ByteBudget = field(
        default_factory=lambda: ByteBudget(UNAUTHENTICATED_BUDGET_BYTES)
    )
    """Bytes that webhook bodies not yet verified may hold at once (all requests together)."""
    webhook_schemas: WebhookSchemas | None = field(default_factory=WebhookSchemas)
    """GitHub's webhook schemas a payload must match to be queued (None: not checked)."""


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is ``sha256=<HMAC-SHA256 hex of body>`` (constant-time compare)."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


_LOG = logging.getLogger("argus.github_app.app")

_JSON_HEADERS = [(b"content-type", b"application/json")]
#: Seconds a sender is asked to wait (``Retry-After``) before sending a refused delivery again.
RETRY_AFTER_SECONDS = 5


class _Head(BaseModel):
    """The two fields of a delivery the endpoint reads (the rest is the worker's business)."""

    model_config = ConfigDict(extra="ignore")
    action: Any = None
    installation: Any = None


def read_head(body: bytes) -> tuple[Any, Any] | None:
    """``(action, installation)`` of a JSON object; None when ``body`` is not one.

    pydantic's JSON parser checks the whole body (syntax, UTF-8) but builds only these two
    values: 5x cheaper than building the whole 24 KB payload, and nothing to free after.
    """
    try:
        head = _Head.model_validate_json(body)
    except ValidationError:
        # Not an object, not JSON, too deep (pydantic stops at 200 levels), or what only
        # json takes (a lone surrogate escape).
        try:
            payload = loads_bounded(body)
        except (UnicodeDecodeError, json.JSONDecodeError, JsonTooDeep):
            return None
        if not isinstance(payload, dict):
            return None
        return payload.get("action"), payload.get("installation")
    return head.action, head.installation


class RecentBodies:
    """The SHA-256 digests of the last ``size`` bodies queued, and the delivery of each.

    GitHub's signature covers the body, not the ``X-GitHub-Delivery`` header, so whoever
    captured one signed delivery could send it again under new delivery ids. Kept in memory
    (bounded, thread-safe); the queue's unique delivery id still catches GitHub's own
    redeliveries after a restart.
    """

    def __init__(self, size: int = RECENT_BODIES) -> None:
        self._size = size
        self._deliveries: OrderedDict[bytes, str] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, digest: bytes, delivery: str) -> str | None:
        """Note ``digest`` as ``delivery``'s; the delivery that holds it already, if another."""
        with self._lock:
            holder = self._deliveries.get(digest)
            if holder is not None and holder != delivery:
                return holder
            self._deliveries[digest] = delivery
            self._deliveries.move_to_end(digest)
            while len(self._deliveries) > self._size:
                self._deliveries.popitem(last=False)
            return None

    def forget(self, digest: bytes, delivery: str) -> None:
        """Drop ``digest`` if ``delivery`` holds it (its job could not be stored)."""
        with self._lock:
            if self._deliveries.get(digest) == delivery:
                del self._deliveries[digest]


class WebhookEndpoint:
    """``POST /webhooks/github`` as a plain ASGI app (no request object, no dependencies).

    413 for a body over the limit (nothing past the limit is read); 503 when the bodies being
    read before their signature is checked already hold the whole unverified budget; 401
    (nothing stored) without a valid ``X-Hub-Signature-256``; 400 without the event or
    delivery header, with a body that is not a JSON object (or nested too deeply), or with a
    payload that does not match GitHub's schema of its event and action (logged with the
    delivery id, never queued: :mod:`argus.github_app.webhook_schema`); else the job is stored and
    the answer is 202 ``{"status": "queued", "delivery", "kind"}``, or 200 ``{"status":
    "duplicate"}`` for a delivery already queued or processed (its id, or its body under another
    delivery id): acknowledged and ignored; 503 with ``Retry-After`` when the queue's database
    cannot be reached, 500 when the queue failed otherwise (nothing acknowledged either way:
    GitHub, or the load balancer, sends it again).
    """

    def __init__(self, settings: AppSettings, deps: AppDeps):
        self.secret = settings.webhook_secret
        self.metrics = deps.metrics
        self.queue = deps.queue
        self.max_body_bytes = deps.max_body_bytes
        self.budget = deps.unverified_budget
        self.recent = RecentBodies()
        self.schemas = deps.webhook_schemas
        self._enqueue_json = getattr(deps.queue, "enqueue_json", None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Read the body within the limits, answer (see :meth:`handle`)."""
        event = delivery = ""
        signature: str | None = None
        declared: str | None = None
        for name, value in scope["headers"]:
            name = name.lower()
            if name == b"x-github-event":
                event = value.decode("latin-1").strip()
            elif name == b"x-github-delivery":
                delivery = value.decode("latin-1").strip()
            elif name == b"x-hub-signature-256":
                signature = value.decode("latin-1")
            elif name == b"content-length":
                declared = value.decode("latin-1").strip()
        limit = self.max_body_bytes
        if declared is not None and not declared.isdigit():
            self.metrics.delivery(event or "unknown", "unreadable")
            await _answer(send, *_error(400, "bad_content_length", "Content-Length is no number"))
            return
        if declared is not None and int(declared) > limit:
            self.metrics.delivery(event or "unknown", "too_large")
            await _answer(send, *_too_large(limit))
            return
        chunks: list[bytes] = []
        held = 0
        try:
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client went away: nothing to answer
                chunk = message.get("body", b"")
                if held + len(chunk) > limit:
                    self.metrics.delivery(event or "unknown", "too_large")
                    await _answer(send, *_too_large(limit))
                    return
                if chunk and not self.budget.take(len(chunk)):
                    self.metrics.delivery(event or "unknown", "busy")
                    await _answer(
                        send,
                        503,
                        {
                            "error": "busy",
                            "detail": "too many unverified webhook bodies in flight; "
                            "send it again shortly",
                        },
                    )
                    return
                held += len(chunk)
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
            body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
            chunks.clear()
            status, answer = await self.handle(event, delivery, signature, body)
        finally:
            self.budget.give(held)
        await _answer(send, status, answer)

    async def handle(
        self, event: str, delivery: str, signature: str | None, body: bytes
    ) -> tuple[int, dict[str, str]]:
        """The status and JSON answer for one delivery (storing it when it is valid)."""
        metrics = self.metrics
        if not signature_ok(self.secret, body, signature):
            metrics.delivery(event or "unknown", "bad_signature")
            return _error(401, "bad_signature", "X-Hub-Signature-256 is missing or wrong")
        if not event or not delivery:
            metrics.delivery(event or "unknown", "unreadable")
            return _error(400, "missing_header", "X-GitHub-Event and X-GitHub-Delivery are needed")
        head = read_head(body)
        if head is None:
            metrics.delivery(event, "unreadable")
            return _error(
                400,
                "bad_json",
                "the body is not a JSON object (or it is nested too deeply)",
            )
        refusal = self._schema_refusal(event, delivery, head[0], body)
        if refusal is not None:
            return refusal
        digest = hashlib.sha256(body).digest()
        first = self.recent.claim(digest, delivery)
        if first is not None:
            metrics.delivery(event, "duplicate")
            return 200, {"status": "duplicate", "delivery": delivery, "same_body_as": first}
        try:
            return await self._queue(event, delivery, body, head)
        except _NotQueued as failure:
            self.recent.forget(digest, delivery)
            if failure.unreachable:
                return _error(
                    503,
                    "queue_unavailable",
                    "the job queue's database cannot be reached; send it again shortly",
                )
            return _error(500, "queue_error", "the delivery could not be stored; send it again")
        except BaseException:
            self.recent.forget(digest, delivery)
            raise

    def _schema_refusal(
        self, event: str, delivery: str, action: Any, body: bytes
    ) -> tuple[int, dict[str, str]] | None:
        """400 (logged with the delivery id, nothing queued) if the payload fails its schema."""
        schemas = self.schemas
        if schemas is None or not schemas.knows(event, action):
            return None
        try:
            # orjson builds the payload in a third of json's time; what it refuses that json
            # takes (a lone surrogate escape) goes to json. read_head bounded the depth.
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            try:
                payload = loads_bounded(body)
            except (UnicodeDecodeError, json.JSONDecodeError, JsonTooDeep):
                payload = None
        errors = (
            schemas.errors(event, payload) if payload is not None else ["(payload): unreadable"]
        )
        if not errors:
            return None
        kind = schema_name(event, action)
        _LOG.warning(
            "delivery %s refused: the %s payload fails GitHub's webhook schema: %s",
            delivery,
            kind,
            "; ".join(errors),
        )
        self.metrics.delivery(event, "invalid")
        return _error(
            400,
            "schema",
            f"the payload does not match GitHub's {kind} webhook schema: " + "; ".join(errors),
        )

    async def _queue(
        self, event: str, delivery: str, body: bytes, head: tuple[Any, Any]
    ) -> tuple[int, dict[str, str]]:
        metrics = self.metrics
        action, installation = head
        kind = f"{event}.{action}" if isinstance(action, str) and action else event
        installation_id = installation.get("id") if isinstance(installation, dict) else None
        if not isinstance(installation_id, int) or isinstance(installation_id, bool):
            installation_id = None
        try:
            if self._enqueue_json is not None:
                # The body as received is the payload (valid UTF-8: the parser checked it).
                queued = await self._enqueue_json(
                    kind,
                    body,
                    delivery_id=delivery,
                    installation_id=installation_id,
                )
            else:
                queued = self.queue.enqueue(
                    kind, json.loads(body), delivery_id=delivery, installation_id=installation_id
                )
        except Exception as error:  # noqa: BLE001 - any failure to store is a 5xx, never a 202
            unreachable = _database_unreachable(error)
            if unreachable:
                _LOG.warning(
                    "delivery %s (%s) not queued, database unreachable: %s", delivery, kind, error
                )
            else:
                _LOG.exception("delivery %s (%s) could not be queued", delivery, kind)
            metrics.delivery(event, "unavailable" if unreachable else "error")
            raise _NotQueued(unreachable) from None
        metrics.delivery(event, "queued" if queued else "duplicate")
        return 202 if queued else 200, {
            "status": "queued" if queued else "duplicate",
            "delivery": delivery,
            "kind": kind,
        }


class _NotQueued(Exception):
    """The queue could not store a delivery (logged already)."""

    def __init__(self, unreachable: bool) -> None:
        super().__init__()
        #: The queue's database could not be reached (a retry later may succeed).
        self.unreachable = unreachable


def _database_unreachable(error: BaseException) -> bool:
    """Whether ``error`` (or what caused it) is a lost or refused database connection."""
    import psycopg

    from argus.core.store.postgres import StoreUnavailable

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, StoreUnavailable | psycopg.OperationalError | ConnectionError):
            return True
        if isinstance(current, psycopg.Error) and getattr(current, "sqlstate", None) in (
            "57P01",  # admin_shutdown
            "57P02",  # crash_shutdown
            "57P03",  # cannot_connect_now
        ):
            return True
        current = current.__cause__ or current.__context__
    return False


class _App(FastAPI):
    """FastAPI, but ``POST /webhooks/github`` goes straight to :class:`WebhookEndpoint`.

    Skipping the middleware stack and the router saves a good part of each delivery's cost.
    The route is registered in the router too (same endpoint), for anything the shortcut does
    not take (a ``root_path``, another method: 405).
    """

    webhook_endpoint: WebhookEndpoint | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.webhook_endpoint
        if (
            endpoint is not None
            and scope["type"] == "http"
            and scope["path"] == WEBHOOK_PATH
            and scope["method"] == "POST"
            and not scope.get("root_path")
        ):
            await endpoint(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(settings: AppSettings, deps: AppDeps) -> FastAPI:
    """The FastAPI app; nothing starts until it is served."""
    app = _App(title="Argus GitHub App", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.deps = deps
    metrics = deps.metrics
    endpoint = WebhookEndpoint(settings, deps)
    app.webhook_endpoint = endpoint
    app.router.routes.append(Route(WEBHOOK_PATH, endpoint, methods=["POST"]))

    failed = getattr(deps.queue, "failed_count", None)
    if failed is not None:
        metrics.track_dead_jobs(failed)

    @app.get("/")
    async def home() -> dict[str, Any]:
        return server_home(deps.ingest_router is not None)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics")
    async def metrics_page() -> PlainTextResponse:
        text = metrics.render()
        if deps.ingest_metrics is not None:
            text += deps.ingest_metrics.render()
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4; charset=utf-8")

    if deps.ingest_router is not None:
        # Registered after ours, so /healthz and /metrics above answer for both.
        app.include_router(deps.ingest_router)
    return app


DOCS_URL = "https://github.com/argus-review/argus/blob/main/docs/github-app.md"


def server_home(ingesting: bool) -> dict[str, Any]:
    """What ``GET /`` says: what this server is, and where its health, metrics and docs are."""
    links = {
        "health": "/healthz",
        "metrics": "/metrics",
        "webhooks": WEBHOOK_PATH + " (POST, signed by GitHub)",
        "docs": DOCS_URL,
    }
    if ingesting:
        links["ingestion_docs"] = DOCS_URL.replace("github-app.md", "ingestion.md")
    return {
        "name": "Argus",
        "what": "Argus's server: the GitHub App (pull request risk reviews, check runs, "
        "slash-commands)" + (" and error ingestion" if ingesting else ""),
        "links": links,
    }


def _error(status: int, reason: str, detail: str) -> tuple[int, dict[str, str]]:
    return status, {"error": reason, "detail": detail}


def _too_large(limit: int) -> tuple[int, dict[str, str]]:
    return _error(
        413,
        "body_too_large",
        f"the body is over {limit:,} bytes (GitHub sends at most 25 MB); nothing was read past it",
    )


async def _answer(send: Send, status: int, answer: dict[str, str]) -> None:
    content = json.dumps(answer, separators=(",", ":")).encode()
    headers = [*_JSON_HEADERS, (b"content-length", str(len(content)).encode())]
    if status == 503:
        headers.append((b"retry-after", str(RETRY_AFTER_SECONDS).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})
