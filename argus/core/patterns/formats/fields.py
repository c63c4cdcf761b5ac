"""Typed reads from untrusted JSON, and the final assembly of an ErrorEvent."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from argus.core.patterns.event import ErrorEvent, Frame
from argus.core.patterns.limits import (
    FIELD_CHARS,
    SCAN_FACTOR,
    cap_frames,
    cut_text,
    is_library_path,
)

MAX_VAR_CHARS = FIELD_CHARS["var_value"]
_MESSAGE_SCAN = FIELD_CHARS["message"] * SCAN_FACTOR
_VAR_SCAN = MAX_VAR_CHARS * SCAN_FACTOR


def text_of(mapping: Mapping[str, object], key: str) -> str | None:
    """The value at ``key`` as text when it is a string or a number, else None."""
    value = mapping.get(key)
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def int_of(mapping: Mapping[str, object], key: str) -> int | None:
    """The value at ``key`` as an int when it is a whole number (or a numeric string)."""
    value = mapping.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def bool_of(mapping: Mapping[str, object], key: str) -> bool | None:
    """The value at ``key`` when it is a boolean, else None."""
    value = mapping.get(key)
    return value if isinstance(value, bool) else None


def object_of(mapping: Mapping[str, object], key: str) -> dict[str, object] | None:
    """The value at ``key`` when it is a JSON object, else None."""
    value = mapping.get(key)
    return value if isinstance(value, dict) else None


def list_of(mapping: Mapping[str, object], key: str) -> list[object]:
    """The value at ``key`` when it is a JSON array, else an empty list."""
    value = mapping.get(key)
    return value if isinstance(value, list) else []


def timestamp_of(value: object) -> datetime | None:
    """A UTC datetime from epoch seconds or an ISO 8601 string; None when unreadable."""
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return datetime.fromtimestamp(float(value), tz=UTC)
        if isinstance(value, str) and value:
            parsed = datetime.fromisoformat(value.strip())
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def frame_vars(value: object) -> dict[str, object]:
    """Frame-local variables as name → value; a nested value becomes its text.

    Values are cut here only to what scrubbing reads (``SCAN_FACTOR`` times
    ``MAX_VAR_CHARS``); scrubbing cuts them to ``MAX_VAR_CHARS`` afterwards
    (``argus.core.patterns.scrub.scrub_event``), so a cut never leaves part of a secret behind.
    """
    if not isinstance(value, dict):
        return {}
    result: dict[str, object] = {}
    for name, item in value.items():
        if isinstance(item, str):
            item = cut_text(item, _VAR_SCAN)
        elif isinstance(item, dict | list):
            item = cut_text(str(item), _VAR_SCAN)
        result[str(name)] = item
    return result


def in_app_default(path: str, given: bool | None) -> bool:
    """The given in-app flag, or a guess from the path when the source did not say."""
    if given is not None:
        return given
    return not is_library_path(path)


def finish_event(
    exception_type: str,
    message: str,
    frames: list[Frame],
    *,
    source_format: str,
    platform: str = "other",
    release: str | None = None,
    environment: str | None = None,
    timestamp: datetime | None = None,
    tenant: str | None = None,
    raw_id: str | None = None,
    cause: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> ErrorEvent:
    """Apply the frame cap and build the ErrorEvent.

    The message is cut to what scrubbing reads (``SCAN_FACTOR`` times its stored length);
    scrubbing cuts it to its stored length afterwards and sets ``message_truncated``.
    """
    capped_frames, omitted = cap_frames(frames)
    capped_message = cut_text(message, _MESSAGE_SCAN)
    truncated = capped_message != message
    return ErrorEvent(
        exception_type=exception_type.strip() or "Error",
        message=capped_message,
        frames=capped_frames,
        platform=platform,
        source_format=source_format,
        release=release,
        environment=environment,
        timestamp=timestamp,
        tenant=tenant,
        raw_id=raw_id,
        cause=cause,
        frames_omitted=omitted,
        message_truncated=truncated,
        extra=dict(extra or {}),
    )
