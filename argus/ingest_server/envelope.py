"""Sentry envelopes, read strictly from bytes: a header line, then items.

Each item is a JSON header line (``type``, optionally ``length``) followed by its payload:
``length`` bytes when the header gives a length, else the rest of the line. Item types Sentry
knows are sorted into the ones ingested (``event``) and the ones accepted and ignored
(sessions, transactions, attachments, ...); any other type is *unknown*.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from argus.core.input_limits import MAX_JSON_DEPTH, JsonTooDeep, loads_bounded
from argus.ingest_server.errors import Rejected

INGESTED_TYPES = frozenset({"event"})

# Item types the Sentry protocol defines that Argus accepts and does not store.
IGNORED_TYPES = frozenset(
    {
        "transaction",
        "attachment",
        "session",
        "sessions",
        "client_report",
        "check_in",
        "profile",
        "profile_chunk",
        "statsd",
        "metric_buckets",
        "metric_meta",
        "trace_metric",
        "replay_event",
        "replay_recording",
        "replay_video",
        "user_report",
        "feedback",
        "span",
        "otel_span",
        "log",
        "otel_log",
        "security",
        "raw_security",
        "nel",
        "form_data",
        "unreal_report",
    }
)


@dataclass(frozen=True)
class EnvelopeItem:
    """One item: its type, its header and its payload bytes."""

    type: str
    header: dict[str, object]
    payload: bytes

    @property
    def is_known(self) -> bool:
        """Whether the Sentry protocol defines this item type."""
        return self.type in INGESTED_TYPES or self.type in IGNORED_TYPES


@dataclass(frozen=True)
class Envelope:
    """A parsed envelope: its header (``event_id``, ``dsn``, ``sdk``, ...) and its items."""

    header: dict[str, object]
    items: tuple[EnvelopeItem, ...]

    @property
    def event_id(self) -> str | None:
        """The envelope's ``event_id`` header, when it has one."""
        value = self.header.get("event_id")
        return value if isinstance(value, str) else None

    @property
    def dsn(self) -> str | None:
        """The envelope's ``dsn`` header, when it has one."""
        value = self.header.get("dsn")
        return value if isinstance(value, str) else None


MAX_HEADER_BYTES = 64 * 1024
"""Longest envelope header line read before the request is authenticated."""


def envelope_header(head: bytes) -> Envelope:
    """The header of an envelope from its first bytes (items left out): enough for its DSN.

    ``head`` must hold the whole first line (a 400 otherwise).
    """
    line, newline, _ = head.partition(b"\n")
    if not newline and len(head) >= MAX_HEADER_BYTES:
        raise Rejected(
            400, "bad_envelope", f"the envelope header is longer than {MAX_HEADER_BYTES:,} bytes"
        )
    return Envelope(_json_object(line, "envelope header"), ())


def parse_envelope(data: bytes) -> Envelope:
    """Parse a whole envelope; a malformed header, item header or length is a 400."""
    header_line, newline, rest = data.partition(b"\n")
    header = _json_object(header_line, "envelope header")
    items: list[EnvelopeItem] = []
    position = 0
    if not newline:
        rest = b""
    while position < len(rest):
        end = rest.find(b"\n", position)
        line = rest[position:] if end < 0 else rest[position:end]
        position = len(rest) if end < 0 else end + 1
        if not line.strip():
            continue
        item_header = _json_object(line, f"envelope item {len(items) + 1} header")
        item_type = item_header.get("type")
        if not isinstance(item_type, str) or not item_type:
            raise Rejected(
                400,
                "bad_envelope",
                f"envelope item {len(items) + 1} header has no 'type'",
            )
        length = item_header.get("length")
        if length is not None:
            if not isinstance(length, int) or isinstance(length, bool) or length < 0:
                raise Rejected(
                    400,
                    "bad_envelope",
                    f"envelope item {len(items) + 1} has a bad 'length': {length!r}",
                )
            if position + length > len(rest):
                raise Rejected(
                    400,
                    "bad_envelope",
                    f"envelope item {len(items) + 1} ({item_type}) says {length} bytes but "
                    f"only {len(rest) - position} follow: the envelope is truncated",
                )
            payload = rest[position : position + length]
            position += length
            if rest[position : position + 1] == b"\n":
                position += 1
        else:
            end = rest.find(b"\n", position)
            payload = rest[position:] if end < 0 else rest[position:end]
            position = len(rest) if end < 0 else end + 1
        items.append(EnvelopeItem(item_type, item_header, payload))
    return Envelope(header, tuple(items))


def _json_object(line: bytes, what: str) -> dict[str, object]:
    try:
        value = loads_bounded(line.decode("utf-8"))
    except JsonTooDeep:
        raise Rejected(
            400, "json_too_deep", f"the {what} nests deeper than {MAX_JSON_DEPTH} levels"
        ) from None
    except UnicodeDecodeError:
        raise Rejected(400, "invalid_utf8", f"the {what} is not valid UTF-8") from None
    except json.JSONDecodeError as error:
        raise Rejected(
            400, "bad_envelope", f"the {what} is not JSON ({error.msg}); is this an envelope?"
        ) from None
    if not isinstance(value, dict):
        raise Rejected(400, "bad_envelope", f"the {what} is not a JSON object")
    return value
