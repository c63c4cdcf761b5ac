"""The App's web front: the webhook endpoint, ingestion routes, health and metrics.

The endpoint verifies the signature on the raw body, decodes the JSON, hands it to the queue
and answers 202; the worker types it with githubkit's models and runs the handlers
(``dispatch.run_job``).

The webhook endpoint is the one hot path (GitHub may send bursts of deliveries): it is a plain
ASGI callable (:class:`WebhookEndpoint`) that the app calls before FastAPI's middleware and
routing; it checks the JSON but builds only ``action`` and the installation
(:func:`read_head`), and it stores the body as received (no re-serialising) through the queue's
group commit when the queue has one (``enqueue_json``, see ``github_app.queue``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from github_app.jobs import JobQueue
from github_app.metrics import AppMetrics
from github_app.settings import AppSettings

WEBHOOK_PATH = "/webhooks/github"


@dataclass
class AppDeps:
    """What the web front needs: the queue, the metrics and (optionally) the ingestion router."""

    queue: JobQueue
    metrics: AppMetrics
    ingest_router: APIRouter | None = None
    ingest_metrics: Any = None
    """The ingestion routes' metrics object (its ``render()`` is appended to ``/metrics``)."""


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is ``sha256=<HMAC-SHA256 hex of body>`` (constant-time compare)."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


_LOG = logging.getLogger("argus.github_app.app")

_JSON_HEADERS = [(b"content-type", b"application/json")]


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
        # Not an object, not JSON, or what only json takes (a lone surrogate escape).
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None
        if not isinstance(payload, dict):
            return None
        return payload.get("action"), payload.get("installation")
    return head.action, head.installation


class WebhookEndpoint:
    """``POST /webhooks/github`` as a plain ASGI app (no request object, no dependencies).

    401 (nothing stored) without a valid ``X-Hub-Signature-256``; 400 without the event or
    delivery header or with a body that is not a JSON object; else the job is stored and the
    answer is 202 ``{"status": "queued" | "duplicate", "delivery", "kind"}``; 500 when the queue
    could not store it (nothing acknowledged).
    """

    def __init__(self, settings: AppSettings, deps: AppDeps):
        self.secret = settings.webhook_secret
        self.metrics = deps.metrics
        self.queue = deps.queue
        self._enqueue_json = getattr(deps.queue, "enqueue_json", None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Read the body, answer (see :meth:`handle`)."""
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away: nothing to answer
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        event = delivery = ""
        signature: str | None = None
        for name, value in scope["headers"]:
            name = name.lower()
            if name == b"x-github-event":
                event = value.decode("latin-1").strip()
            elif name == b"x-github-delivery":
                delivery = value.decode("latin-1").strip()
            elif name == b"x-hub-signature-256":
                signature = value.decode("latin-1")
        status, answer = await self.handle(event, delivery, signature, body)
        content = json.dumps(answer, separators=(",", ":")).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [*_JSON_HEADERS, (b"content-length", str(len(content)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": content})

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
            return _error(400, "bad_json", "the body is not a JSON object")
        # Typing with githubkit's models costs ~15 ms a pull_request payload (seconds for the
        # first of a kind): the worker does it (dispatch.run_job), not the request path.
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
        except Exception:  # noqa: BLE001 - any failure to store is a 500, never a 202
            _LOG.exception("delivery %s (%s) could not be queued", delivery, kind)
            metrics.delivery(event, "error")
            return _error(500, "queue_error", "the delivery could not be stored; send it again")
        metrics.delivery(event, "queued" if queued else "duplicate")
        return 202, {
            "status": "queued" if queued else "duplicate",
            "delivery": delivery,
            "kind": kind,
        }


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
