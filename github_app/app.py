"""The App's web front: the webhook endpoint, ingestion routes, health and metrics.

The endpoint verifies the signature on the raw body, decodes the JSON, hands it to the queue
and answers 202; the worker types it with githubkit's models and runs the handlers
(``dispatch.run_job``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

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


def create_app(settings: AppSettings, deps: AppDeps) -> FastAPI:
    """The FastAPI app; nothing starts until it is served."""
    app = FastAPI(title="Argus GitHub App", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.deps = deps
    metrics = deps.metrics

    @app.post(WEBHOOK_PATH)
    async def webhook(request: Request) -> JSONResponse:
        body = await request.body()
        event = request.headers.get("x-github-event", "").strip()
        delivery = request.headers.get("x-github-delivery", "").strip()
        if not signature_ok(
            settings.webhook_secret, body, request.headers.get("x-hub-signature-256")
        ):
            metrics.delivery(event or "unknown", "bad_signature")
            return _error(401, "bad_signature", "X-Hub-Signature-256 is missing or wrong")
        if not event or not delivery:
            metrics.delivery(event or "unknown", "unreadable")
            return _error(400, "missing_header", "X-GitHub-Event and X-GitHub-Delivery are needed")
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            metrics.delivery(event, "unreadable")
            return _error(400, "bad_json", "the body is not JSON")
        if not isinstance(payload, dict):
            metrics.delivery(event, "unreadable")
            return _error(400, "bad_json", "the body is not a JSON object")
        # Typing with githubkit's models costs ~15 ms a pull_request payload (seconds for the
        # first of a kind): the worker does it (dispatch.run_job), not the request path.
        action = payload.get("action")
        kind = f"{event}.{action}" if isinstance(action, str) and action else event
        installation = payload.get("installation") or {}
        installation_id = installation.get("id") if isinstance(installation, dict) else None
        queued = deps.queue.enqueue(
            kind, payload, delivery_id=delivery, installation_id=installation_id
        )
        metrics.delivery(event, "queued" if queued else "duplicate")
        return JSONResponse(
            {"status": "queued" if queued else "duplicate", "delivery": delivery, "kind": kind},
            status_code=202,
        )

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


def _error(status: int, reason: str, detail: str) -> JSONResponse:
    return JSONResponse({"error": reason, "detail": detail}, status_code=status)
