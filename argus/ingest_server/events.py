"""Request payloads → ``ErrorEvent``: strict at the HTTP edge (UTF-8, JSON, size), then core."""

from __future__ import annotations

import json
from dataclasses import replace

from argus.core.input_limits import MAX_JSON_DEPTH, JsonTooDeep, loads_bounded
from argus.core.patterns.errors import IngestError
from argus.core.patterns.event import ErrorEvent
from argus.core.patterns.formats import parse_error
from argus.core.patterns.formats.document import Document
from argus.core.patterns.formats.sentry import SentryWebhookFormat, parse_sentry_payload
from argus.core.patterns.limits import MAX_INPUT_BYTES
from argus.ingest_server.errors import Rejected


def strict_text(data: bytes, what: str) -> str:
    """``data`` decoded as UTF-8; anything else is a 400 (JSON over HTTP is UTF-8)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Rejected(
            400,
            "invalid_utf8",
            f"the {what} is not valid UTF-8 (byte {error.start}); send UTF-8 text",
        ) from None


def check_event_size(data: bytes, what: str) -> None:
    """Refuse (413) one event larger than the core's per-event limit."""
    if len(data) > MAX_INPUT_BYTES:
        raise Rejected(
            413,
            "event_too_large",
            f"the {what} is {len(data):,} bytes, over the {MAX_INPUT_BYTES:,} byte limit "
            "for one event",
        )


def json_object(data: bytes, what: str) -> dict[str, object]:
    """``data`` as a JSON object, or a 400 that says what was wrong with it."""
    text = strict_text(data, what)
    if not text.strip():
        raise Rejected(400, "empty_body", f"the {what} is empty")
    try:
        value = loads_bounded(text)
    except json.JSONDecodeError as error:
        raise Rejected(
            400,
            "invalid_json",
            f"the {what} is not valid JSON ({error.msg} at line {error.lineno} column "
            f"{error.colno}); was it truncated?",
        ) from None
    except JsonTooDeep:
        raise Rejected(
            400, "json_too_deep", f"the {what} nests deeper than {MAX_JSON_DEPTH} levels"
        ) from None
    if not isinstance(value, dict):
        raise Rejected(400, "invalid_json", f"the {what} is JSON but not an object")
    return value


def sentry_event(data: bytes, tenant: str, source_format: str) -> ErrorEvent:
    """A Sentry event payload (store endpoint body, envelope ``event`` item) as an event."""
    check_event_size(data, "event")
    payload = json_object(data, "event")
    try:
        event = parse_sentry_payload(payload, source_format)
    except IngestError as error:
        raise Rejected(400, "unreadable_event", str(error)) from None
    return replace(event, tenant=tenant)


def sentry_webhook_event(payload: dict[str, object], tenant: str) -> ErrorEvent:
    """The event or issue a Sentry integration webhook body carries."""
    document = Document(text="", json_value=payload)
    webhook = SentryWebhookFormat()
    if not webhook.accepts(document):
        raise Rejected(
            400,
            "unreadable_event",
            "the webhook body has no 'data.event', 'data.error' or 'data.issue' object",
        )
    try:
        event = webhook.parse(document)
    except IngestError as error:
        raise Rejected(400, "unreadable_event", str(error)) from None
    return replace(event, tenant=tenant)


def any_format_event(data: bytes, tenant: str) -> ErrorEvent:
    """Argus generic JSON, or any other format ``argus ingest`` reads (a pasted traceback...).

    The tenant always comes from authentication, never from the body.
    """
    check_event_size(data, "error report")
    text = strict_text(data, "error report")
    try:
        event = parse_error(text)
    except IngestError as error:
        reason = "invalid_json" if _broken_json(text) else "unknown_format"
        raise Rejected(400, reason, str(error)) from None
    return replace(event, tenant=tenant)


def _broken_json(text: str) -> bool:
    if not text.lstrip().startswith("{"):
        return False
    try:
        loads_bounded(text)
    except (json.JSONDecodeError, JsonTooDeep):
        return True
    return False
