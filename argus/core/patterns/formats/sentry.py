"""Sentry events: the payload the SDK sends, its envelope, and integration webhooks.

- An event payload (what ``/api/<project>/store/`` receives, and the ``event`` item of an
  envelope): ``exception.values[]``, oldest first, each with ``stacktrace.frames[]`` ordered
  outermost first. The last value is the error; the one before it becomes the cause.
- An envelope (what ``/api/<project>/envelope/`` receives): newline-separated JSON, a header,
  then item headers each followed by their payload; the first ``event`` item is read.
- An integration webhook: ``{"action", "data": {"event" | "error" | "issue": {...}}}``.
  Events and errors carry the event payload (or the API form with ``entries``); issues carry
  only a summary (``metadata.type``, ``metadata.value``, ``culprit``).
"""

from __future__ import annotations

import json
import re

from argus.core.input_limits import JsonTooDeep, loads_bounded
from argus.core.patterns.errors import IngestError
from argus.core.patterns.event import ErrorEvent, Frame
from argus.core.patterns.formats.document import Document
from argus.core.patterns.formats.fields import (
    bool_of,
    finish_event,
    frame_vars,
    in_app_default,
    int_of,
    list_of,
    object_of,
    text_of,
    timestamp_of,
)

_EVENT_KEYS = ("exception", "entries", "event_id", "logentry", "sdk")
_MODULE_PATH = re.compile(r"[A-Za-z_$][\w$/<>-]*+(?:[.:][A-Za-z_$][\w$/<>-]*+)*+")


class SentryEventFormat:
    """A Sentry event payload as the SDK sends it to the store endpoint."""

    name = "sentry-event"
    description = "a Sentry event JSON payload ('exception.values[].stacktrace.frames[]')"

    def accepts(self, document: Document) -> bool:
        """A JSON object carrying Sentry event keys."""
        payload = document.json_object
        return payload is not None and any(key in payload for key in _EVENT_KEYS)

    def parse(self, document: Document) -> ErrorEvent:
        """Parse the event payload."""
        payload = document.json_object
        if payload is None:
            raise IngestError("Sentry event is not a JSON object")
        return parse_sentry_payload(payload, self.name)


class SentryWebhookFormat:
    """A Sentry integration webhook (``event_alert``, ``error`` and ``issue`` resources)."""

    name = "sentry-webhook"
    description = "a Sentry integration webhook ('data.event', 'data.error' or 'data.issue')"

    def accepts(self, document: Document) -> bool:
        """A JSON object whose ``data`` holds an event, an error or an issue."""
        payload = document.json_object
        if payload is None:
            return False
        data = object_of(payload, "data")
        return data is not None and any(key in data for key in ("event", "error", "issue"))

    def parse(self, document: Document) -> ErrorEvent:
        """Parse the wrapped event or error; an issue gives a frameless summary event."""
        payload = document.json_object or {}
        data = object_of(payload, "data") or {}
        for key in ("event", "error"):
            event = object_of(data, key)
            if event is not None:
                return parse_sentry_payload(event, self.name)
        issue = object_of(data, "issue")
        if issue is None:
            raise IngestError("Sentry webhook 'data' holds no event, error or issue object")
        return _parse_issue(issue, self.name)


class SentryEnvelopeFormat:
    """A Sentry envelope as the SDK posts it: header line, item headers, payloads."""

    name = "sentry-envelope"
    description = "a Sentry envelope (header line, then an 'event' item)"

    def accepts(self, document: Document) -> bool:
        """Text whose first line is a JSON object and whose second is an item header."""
        if document.json_value is not None:
            return False
        head, _, rest = document.text.lstrip().partition("\n")
        if not head.startswith("{") or not rest.lstrip().startswith("{"):
            return False
        return '"type"' in rest.split("\n", 1)[0]

    def parse(self, document: Document) -> ErrorEvent:
        """Parse the first ``event`` item; an envelope without one is an error."""
        for item_type, payload in _envelope_items(document.text.lstrip()):
            if item_type == "event":
                try:
                    value = loads_bounded(payload)
                except json.JSONDecodeError as error:
                    raise IngestError(
                        f"Sentry envelope event item is not JSON: {error.msg}"
                    ) from None
                except JsonTooDeep as error:
                    raise IngestError(f"Sentry envelope event item is {error}") from None
                if not isinstance(value, dict):
                    raise IngestError("Sentry envelope event item is not a JSON object")
                return parse_sentry_payload(value, self.name)
        raise IngestError("Sentry envelope holds no 'event' item (only events are ingested)")


def _envelope_items(text: str) -> list[tuple[str, str]]:
    """Item types and payloads of an envelope; lengths are honoured when given."""
    _, _, body = text.partition("\n")
    items: list[tuple[str, str]] = []
    while body.strip():
        header_line, _, body = body.partition("\n")
        try:
            header = loads_bounded(header_line)
        except json.JSONDecodeError:
            raise IngestError("Sentry envelope item header is not JSON") from None
        except JsonTooDeep as error:
            raise IngestError(f"Sentry envelope item header is {error}") from None
        if not isinstance(header, dict):
            raise IngestError("Sentry envelope item header is not a JSON object")
        length = int_of(header, "length")
        if length is not None:
            encoded = body.encode("utf-8")
            payload = encoded[:length].decode("utf-8", "replace")
            body = encoded[length:].decode("utf-8", "replace").removeprefix("\n")
        else:
            payload, _, body = body.partition("\n")
        items.append((text_of(header, "type") or "", payload))
    return items


def parse_sentry_payload(payload: dict[str, object], source_format: str) -> ErrorEvent:
    """Build an ErrorEvent from a Sentry event payload (SDK form or API ``entries`` form)."""
    values = _exception_values(payload)
    platform = text_of(payload, "platform") or "other"
    release = text_of(payload, "release")
    environment = text_of(payload, "environment")
    timestamp = timestamp_of(payload.get("timestamp") or payload.get("dateCreated"))
    raw_id = text_of(payload, "event_id") or text_of(payload, "eventID")
    tags = _tags(payload)
    if not values:
        message = _log_message(payload)
        if message is None:
            raise IngestError("Sentry event has neither 'exception.values' nor a message")
        exception_type, frames, cause = "Message", [], None
    else:
        error = values[-1]
        frames = _frames(error)
        if not frames:
            # A chained error raised in a handler may carry the frames on its cause only.
            for earlier in reversed(values[:-1]):
                frames = _frames(earlier)
                if frames:
                    break
        cause = _summary(values[-2]) if len(values) > 1 else None
        exception_type = text_of(error, "type") or "Error"
        module = text_of(error, "module")
        if module and module not in ("builtins", "exceptions", "__main__"):
            # What is not a module path ("10.0.0.1", "token: x") is joined apart, so that
            # whatever it holds is still seen whole by the scrubber.
            joint = "." if _MODULE_PATH.fullmatch(module) else " "
            exception_type = f"{module}{joint}{exception_type}"
        message = text_of(error, "value") or ""
    return finish_event(
        exception_type,
        message,
        frames,
        source_format=source_format,
        platform=platform,
        release=release,
        environment=environment,
        timestamp=timestamp,
        raw_id=raw_id,
        cause=cause,
        extra=tags,
    )


def _summary(value: dict[str, object]) -> str:
    """``Type: first line of the value`` of one exception value."""
    value_type = text_of(value, "type") or "Error"
    first_line = (text_of(value, "value") or "").split("\n", 1)[0]
    return f"{value_type}: {first_line}" if first_line else value_type


def _exception_values(payload: dict[str, object]) -> list[dict[str, object]]:
    exception = payload.get("exception")
    if isinstance(exception, dict):
        raw = list_of(exception, "values")
    elif isinstance(exception, list):
        raw = exception
    else:
        raw = []
        for entry in list_of(payload, "entries"):
            if isinstance(entry, dict) and entry.get("type") == "exception":
                raw = list_of(object_of(entry, "data") or {}, "values")
                break
    return [value for value in raw if isinstance(value, dict)]


def _frames(value: dict[str, object]) -> list[Frame]:
    stacktrace = object_of(value, "stacktrace") or object_of(value, "raw_stacktrace") or {}
    frames: list[Frame] = []
    for raw in list_of(stacktrace, "frames"):
        if not isinstance(raw, dict):
            continue
        filename = text_of(raw, "filename") or ""
        abs_path = text_of(raw, "abs_path") or text_of(raw, "absPath")
        lineno = int_of(raw, "lineno")
        if lineno is None:
            lineno = int_of(raw, "lineNo")
        in_app = bool_of(raw, "in_app")
        if in_app is None:
            in_app = bool_of(raw, "inApp")
        frames.append(
            Frame(
                function=text_of(raw, "function") or "<anonymous>",
                filename=filename,
                module=text_of(raw, "module"),
                abs_path=abs_path,
                lineno=lineno,
                in_app=in_app_default(abs_path or filename, in_app),
                context_line=text_of(raw, "context_line"),
                vars=frame_vars(raw.get("vars")),
            )
        )
    return frames


def _log_message(payload: dict[str, object]) -> str | None:
    logentry = object_of(payload, "logentry")
    if logentry is not None:
        return text_of(logentry, "formatted") or text_of(logentry, "message")
    message = payload.get("message")
    if isinstance(message, str):
        return message
    if isinstance(message, dict):
        return text_of(message, "formatted") or text_of(message, "message")
    return None


def _tags(payload: dict[str, object]) -> dict[str, str]:
    tags = payload.get("tags")
    pairs: list[tuple[object, object]] = []
    if isinstance(tags, dict):
        pairs = list(tags.items())
    elif isinstance(tags, list):
        for tag in tags:
            if isinstance(tag, list) and len(tag) == 2:
                pairs.append((tag[0], tag[1]))
            elif isinstance(tag, dict):
                pairs.append((tag.get("key"), tag.get("value")))
    # Cut to their stored length only after scrubbing (scrub_event), never before.
    return {str(key): str(value) for key, value in pairs[:50] if key is not None}


def _parse_issue(issue: dict[str, object], source_format: str) -> ErrorEvent:
    metadata = object_of(issue, "metadata") or {}
    exception_type = text_of(metadata, "type") or text_of(issue, "title") or "Error"
    message = text_of(metadata, "value") or ""
    frames: list[Frame] = []
    function = text_of(metadata, "function")
    filename = text_of(metadata, "filename")
    if function or filename:
        frames.append(Frame(function=function or "<anonymous>", filename=filename or ""))
    return finish_event(
        exception_type,
        message,
        frames,
        platform=text_of(issue, "platform") or "other",
        source_format=source_format,
        timestamp=timestamp_of(issue.get("lastSeen") or issue.get("firstSeen")),
        raw_id=text_of(issue, "id"),
    )
