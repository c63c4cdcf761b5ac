"""The ingestion app: Sentry SDK endpoints, Sentry webhooks, generic JSON, health and metrics.

Handlers are glue: authenticate, read the body within the limit, turn it into ErrorEvents,
hand them to the pattern service in a worker thread, answer. Every refusal is a
:class:`~argus.ingest_server.errors.Rejected` rendered as ``{"error": reason, "detail": ...}`` and
counted by endpoint and reason; nothing reaches the service before the whole request checks out.

Bounded before authenticated (docs/security.md): keys and signatures are checked before a body
is decompressed or parsed (an envelope whose key is only in its DSN header has just that
header inflated first, at most 64 KiB); every buffered byte is taken from a byte budget, one
for requests not yet authenticated and one for the others (503 past either). An envelope's
events are stored all together or not at all.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.concurrency import run_in_threadpool

from argus.core.errors import ConfigError, StoreError
from argus.core.input_limits import ByteBudget
from argus.core.patterns.errors import IngestError
from argus.core.patterns.event import ErrorEvent
from argus.ingest_server.auth import bearer_token, dsn_parts, sentry_key_of, verify_hook_signature
from argus.ingest_server.body import (
    Held,
    check_declared_length,
    codings_of,
    decode_content,
    read_capped,
)
from argus.ingest_server.envelope import (
    INGESTED_TYPES,
    MAX_HEADER_BYTES,
    Envelope,
    envelope_header,
    parse_envelope,
)
from argus.ingest_server.errors import Rejected
from argus.ingest_server.events import (
    any_format_event,
    check_event_size,
    json_object,
    sentry_event,
    sentry_webhook_event,
)
from argus.ingest_server.keys import ProjectKeys, StaticProjectKeys, check_name
from argus.ingest_server.metrics import IngestMetrics
from argus.ingest_server.settings import IngestSettings

_LOG = logging.getLogger("argus.ingest_server")
#: Seconds a client is asked to wait (``Retry-After``) when the store is unavailable.
RETRY_AFTER_SECONDS = 5

# Webhook resources that carry an error; the others (installation, comment, ...) are
# acknowledged and not stored.
WEBHOOK_ERROR_RESOURCES = frozenset({"event_alert", "error", "issue"})


class PatternView(Protocol):
    """The fields of a stored pattern the server reports back."""

    @property
    def id(self) -> str: ...  # noqa: D102

    @property
    def title(self) -> str: ...  # noqa: D102

    @property
    def occurrences(self) -> int: ...  # noqa: D102


class IngestOutcome(Protocol):
    """What filing one event gave: the pattern, and whether and how it matched."""

    @property
    def pattern(self) -> PatternView: ...  # noqa: D102

    @property
    def is_new(self) -> bool: ...  # noqa: D102

    @property
    def matched_by(self) -> str: ...  # noqa: D102

    @property
    def similarity(self) -> float | None: ...  # noqa: D102


class EventIngestor(Protocol):
    """The one call the server makes into the pattern service."""

    def ingest(self, data: ErrorEvent, tenant: str) -> IngestOutcome:
        """File one (already parsed) event under a pattern of ``tenant``.

        A service may also offer ``async ingest_async(data, tenant)``; the server then files
        through it (no worker thread waits for the commit)."""
        ...


class FilingListener(Protocol):
    """Told of every event filed, e.g. to schedule a regression test for its pattern."""

    def filed(
        self, project_id: str | None, tenant: str, event: ErrorEvent, outcome: IngestOutcome
    ) -> None:
        """Called in a worker thread after the event is stored (``project_id`` None for a
        Sentry webhook, which names only a tenant). Must be quick: the sender waits."""
        ...


Handler = Callable[[], Awaitable[dict[str, object]]]


def create_ingest_router(
    service: EventIngestor,
    settings: IngestSettings,
    keys: ProjectKeys,
    metrics: IngestMetrics,
    listener: FilingListener | None = None,
) -> APIRouter:
    """The ingestion routes, to include in any FastAPI app (the GitHub App mounts them).

    ``listener`` (if any) hears of each filed event; its failure is logged, never refused:
    the event is stored by then.
    """
    router = APIRouter()
    limit = settings.max_body_bytes
    unauthenticated = ByteBudget(settings.unauthenticated_bytes)
    authenticated = ByteBudget(settings.in_flight_bytes)

    async def respond(endpoint: str, handler: Handler) -> JSONResponse:
        try:
            body = await handler()
        except Rejected as rejected:
            return _refuse(metrics, endpoint, rejected)
        except IngestError as error:
            return _refuse(metrics, endpoint, Rejected(400, "unreadable_event", str(error)))
        except StoreError as error:
            return _refuse(metrics, endpoint, Rejected(503, "store_unavailable", str(error)))
        metrics.accepted(endpoint)
        return JSONResponse(body)

    async def read_raw(request: Request, held: Held) -> bytes:
        check_declared_length(request.headers.get("content-length"), limit)
        return await read_capped(request.stream(), limit, held)

    async def decoded(request: Request, raw: bytes, held: Held) -> bytes:
        encoding = request.headers.get("content-encoding")
        if not codings_of(encoding):
            return raw
        # Inflating up to the limit takes milliseconds: off the event loop.
        return await run_in_threadpool(decode_content, raw, encoding, limit, held)

    async def read_body(request: Request, held: Held) -> bytes:
        """The body of an authenticated request, decoded."""
        return await decoded(request, await read_raw(request, held), held)

    async def tenant_of(project_id: str, key: str | None) -> str:
        if not key:
            raise Rejected(
                401,
                "missing_key",
                "no project key: send 'X-Sentry-Auth: Sentry sentry_key=<key>, "
                "sentry_version=7' (or use the DSN from 'argus projects add')",
            )
        tenant = await run_in_threadpool(keys.tenant_for, project_id, key)
        if tenant is None:
            raise Rejected(401, "bad_key", f"the key is not a key of project {project_id}")
        return tenant

    def notify(
        project_id: str | None, event: ErrorEvent, tenant: str, outcome: IngestOutcome
    ) -> None:
        if listener is not None:
            try:
                listener.filed(project_id, tenant, event, outcome)
            except Exception:  # noqa: BLE001 - stored already: a listener cannot undo that
                # The pattern's title, scrubbed: the raw event may hold secrets.
                _LOG.exception(
                    "after filing %s under %s", outcome.pattern.title, outcome.pattern.id
                )

    def file_one(project_id: str | None, event: ErrorEvent, tenant: str) -> IngestOutcome:
        outcome = service.ingest(event, tenant)
        notify(project_id, event, tenant, outcome)
        return outcome

    # A service that files from coroutines (group commit, see ConfinedService) needs no worker
    # thread per waiting request: concurrent requests share one transaction.
    ingest_async: Callable[[ErrorEvent, str], Awaitable[IngestOutcome]] | None = getattr(
        service, "ingest_async", None
    )

    async def file(project_id: str | None, event: ErrorEvent, tenant: str) -> IngestOutcome:
        if ingest_async is None:
            return await run_in_threadpool(file_one, project_id, event, tenant)
        outcome = await ingest_async(event, tenant)
        if listener is not None:
            await run_in_threadpool(notify, project_id, event, tenant, outcome)
        return outcome

    async def file_events(
        endpoint: str, events: list[ErrorEvent], tenant: str, project_id: str | None
    ) -> list[IngestOutcome]:
        outcomes = []
        for event in events:
            outcome = await file(project_id, event, tenant)
            matched = outcome.matched_by
            metrics.count("argus_ingest_events_total", endpoint=endpoint, matched=matched)
            outcomes.append(outcome)
        return outcomes

    async def envelope_tenant(project_id: str, request: Request, raw: bytes, held: Held) -> str:
        """Authenticate by the DSN in the envelope header, inflating only that header."""
        codings = codings_of(request.headers.get("content-encoding"))
        if len(codings) > 1:
            raise Rejected(
                401,
                "missing_key",
                "a body with stacked encodings needs its key in 'X-Sentry-Auth'",
            )
        head = raw[:MAX_HEADER_BYTES]
        if codings:
            head = await run_in_threadpool(
                decode_content, raw, codings[0], MAX_HEADER_BYTES, held, prefix=True
            )
        return await tenant_of(project_id, _envelope_key(envelope_header(head), project_id))

    # A service that files several events all or none (``ingest_all_async``) files an
    # envelope's events together; without one they are filed in turn.
    ingest_all: Callable[[list[ErrorEvent], str], Awaitable[list[IngestOutcome]]] | None = getattr(
        service, "ingest_all_async", None
    )

    async def file_all(
        endpoint: str, events: list[ErrorEvent], tenant: str, project_id: str | None
    ) -> list[IngestOutcome]:
        if len(events) < 2 or ingest_all is None:
            return await file_events(endpoint, events, tenant, project_id)
        outcomes = await ingest_all(events, tenant)
        for event, outcome in zip(events, outcomes, strict=True):
            metrics.count(
                "argus_ingest_events_total", endpoint=endpoint, matched=outcome.matched_by
            )
            if listener is not None:
                await run_in_threadpool(notify, project_id, event, tenant, outcome)
        return outcomes

    @router.post("/api/{project_id}/envelope/")
    async def envelope_endpoint(project_id: str, request: Request) -> JSONResponse:
        async def handle() -> dict[str, object]:
            key = sentry_key_of(request.headers, request.query_params)
            tenant = await tenant_of(project_id, key) if key else None
            held = (
                Held(authenticated, "authenticated")
                if tenant
                else Held(unauthenticated, "unauthenticated")
            )
            try:
                raw = await read_raw(request, held)
                if tenant is None:
                    tenant = await envelope_tenant(project_id, request, raw, held)
                envelope = parse_envelope(await decoded(request, raw, held))
                del raw
                events = _envelope_events(envelope, tenant, metrics)
            finally:
                held.release()
            await file_all("envelope", events, tenant, project_id)
            event_id = envelope.event_id or next((e.raw_id for e in events if e.raw_id), None)
            return {"id": event_id} if event_id else {}

        return await respond("envelope", handle)

    @router.post("/api/{project_id}/store/")
    async def store_endpoint(project_id: str, request: Request) -> JSONResponse:
        async def handle() -> dict[str, object]:
            key = sentry_key_of(request.headers, request.query_params)
            tenant = await tenant_of(project_id, key)
            held = Held(authenticated, "authenticated")
            try:
                event = sentry_event(await read_body(request, held), tenant, "sentry-event")
            finally:
                held.release()
            await file_events("store", [event], tenant, project_id)
            return {"id": event.raw_id} if event.raw_id else {}

        return await respond("store", handle)

    @router.post("/api/{project_id}/errors")
    async def generic_endpoint(project_id: str, request: Request) -> JSONResponse:
        async def handle() -> dict[str, object]:
            key = bearer_token(request.headers.get("authorization"))
            if key is None:
                raise Rejected(
                    401, "missing_key", "no project key: send 'Authorization: Bearer <key>'"
                )
            tenant = await tenant_of(project_id, key)
            held = Held(authenticated, "authenticated")
            try:
                event = any_format_event(await read_body(request, held), tenant)
            finally:
                held.release()
            (outcome,) = await file_events("errors", [event], tenant, project_id)
            return _outcome_body(outcome, event)

        return await respond("errors", handle)

    @router.post("/webhooks/sentry/{tenant}")
    async def webhook_endpoint(tenant: str, request: Request) -> JSONResponse:
        async def handle() -> dict[str, object]:
            try:
                check_name(tenant, "tenant")
            except ConfigError as error:
                raise Rejected(400, "bad_tenant", str(error)) from None
            secret = settings.sentry_client_secret
            if secret is None:
                raise Rejected(
                    401,
                    "webhooks_disabled",
                    "this server has no Sentry client secret (ARGUS_SENTRY_CLIENT_SECRET), "
                    "so it cannot verify webhooks",
                )
            signature = request.headers.get("sentry-hook-signature")
            if not signature:
                raise Rejected(401, "missing_signature", "no Sentry-Hook-Signature header")
            held = Held(unauthenticated, "unauthenticated")
            try:
                raw = await read_raw(request, held)
                # The signature covers the body as sent: checked before anything inflates it.
                if not verify_hook_signature(raw, signature, secret):
                    raise Rejected(
                        401,
                        "bad_signature",
                        "Sentry-Hook-Signature does not match the body: "
                        "is the client secret right?",
                    )
                resource = (request.headers.get("sentry-hook-resource") or "").strip()
                if not resource:
                    raise Rejected(400, "missing_resource", "no Sentry-Hook-Resource header")
                if resource not in WEBHOOK_ERROR_RESOURCES:
                    metrics.count("argus_ingest_items_ignored_total", type=f"webhook:{resource}")
                    return {"status": "ignored", "resource": resource}
                body = await decoded(request, raw, held)
                check_event_size(body, "webhook body")
                payload = json_object(body, "webhook body")
            finally:
                held.release()
            # An issue counts once, when it is created (not when resolved, assigned, ...).
            if resource == "issue" and payload.get("action") != "created":
                metrics.count("argus_ingest_items_ignored_total", type="webhook:issue")
                return {"status": "ignored", "resource": resource}
            event = sentry_webhook_event(payload, tenant)
            (outcome,) = await file_events("webhook", [event], tenant, None)
            return {"status": "ingested", **_outcome_body(outcome, event)}

        return await respond("webhook", handle)

    @router.get("/")
    async def home() -> dict[str, Any]:
        # The GitHub App's own "/" answers first when the App is on (argus.github_app.app).
        return {
            "name": "Argus",
            "what": "Argus's server: error ingestion (Sentry SDKs and webhooks)",
            "links": {
                "health": "/healthz",
                "metrics": "/metrics",
                "docs": "https://github.com/argus-review/argus/blob/main/docs/ingestion.md",
            },
        }

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/metrics")
    async def metrics_page() -> PlainTextResponse:
        return PlainTextResponse(
            metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8"
        )

    return router


def create_ingest_app(
    service: EventIngestor,
    settings: IngestSettings,
    keys: ProjectKeys | None = None,
    metrics: IngestMetrics | None = None,
    listener: FilingListener | None = None,
) -> FastAPI:
    """A standalone ingestion app (``argus serve``); ``keys`` default to none known."""
    app = FastAPI(title="Argus error ingestion", docs_url=None, redoc_url=None)
    app.state.metrics = metrics or IngestMetrics()
    app.include_router(
        create_ingest_router(
            service, settings, keys or StaticProjectKeys(), app.state.metrics, listener
        )
    )
    return app


def _refuse(metrics: IngestMetrics, endpoint: str, rejected: Rejected) -> JSONResponse:
    metrics.rejected(endpoint, rejected.reason)
    # A store outage passes: say when to come back (SDKs and load balancers honour it).
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if rejected.status == 503 else None
    return JSONResponse(
        {"error": rejected.reason, "detail": rejected.detail},
        status_code=rejected.status,
        headers=headers,
    )


def _envelope_key(envelope: Envelope, project_id: str) -> str | None:
    """The key of the envelope header's DSN, when that DSN names this project."""
    parts = dsn_parts(envelope.dsn) if envelope.dsn else None
    if parts is None:
        return None
    key, dsn_project = parts
    if dsn_project != project_id:
        raise Rejected(
            401, "bad_key", f"the envelope's DSN names project {dsn_project}, not {project_id}"
        )
    return key


def _envelope_events(envelope: Envelope, tenant: str, metrics: IngestMetrics) -> list[ErrorEvent]:
    """Parse every ``event`` item (all must be good) and count the items left out.

    Unknown item types are dropped, as Sentry drops them, so that a newer SDK's new items
    never cost an event; an envelope of nothing but unknown items is refused.
    """
    known = [item for item in envelope.items if item.is_known]
    unknown = sorted({item.type for item in envelope.items if not item.is_known})
    if unknown and not known:
        raise Rejected(
            400,
            "unknown_item_type",
            f"the envelope holds only item types Sentry does not define: {', '.join(unknown)}",
        )
    events = [
        sentry_event(item.payload, tenant, "sentry-envelope")
        for item in known
        if item.type in INGESTED_TYPES
    ]
    for item in envelope.items:
        if not item.is_known:
            metrics.count("argus_ingest_items_dropped_total", type="unknown")
        elif item.type not in INGESTED_TYPES:
            metrics.count("argus_ingest_items_ignored_total", type=item.type)
    if envelope.event_id and len(events) == 1 and events[0].raw_id is None:
        # The header's id is the event's (an event sent again is then stored once).
        events = [dataclasses.replace(events[0], raw_id=envelope.event_id)]
    return events


def _outcome_body(outcome: IngestOutcome, event: ErrorEvent) -> dict[str, object]:
    return {
        "id": event.raw_id,
        "pattern": {
            "id": outcome.pattern.id,
            "title": outcome.pattern.title,
            "occurrences": outcome.pattern.occurrences,
            "is_new": outcome.is_new,
            "matched_by": outcome.matched_by,
            "similarity": outcome.similarity,
        },
    }
