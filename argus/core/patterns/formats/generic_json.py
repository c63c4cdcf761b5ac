"""Argus's own generic JSON error format (documented in docs/patterns.md).

``{"type", "message", "frames": [{"file", "function", "line", "module", "in_app", "vars"}],
"platform", "release", "environment", "timestamp", "id", "cause"}`` — frames outermost first.
"""

from __future__ import annotations

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
    text_of,
    timestamp_of,
)


class GenericJsonFormat:
    """The generic format: one JSON object with ``type`` and ``message`` at the top."""

    name = "argus-json"
    description = (
        'Argus generic JSON ({"type", "message", "frames": [{"file", "function", '
        '"line", ...}], ...}, see docs/patterns.md)'
    )

    def accepts(self, document: Document) -> bool:
        """A JSON object with a string ``type`` and a ``message`` or ``frames``."""
        payload = document.json_object
        if payload is None or not isinstance(payload.get("type"), str):
            return False
        return "message" in payload or "frames" in payload

    def parse(self, document: Document) -> ErrorEvent:
        """Parse the object; frames must be objects with at least a file or a function."""
        payload = document.json_object
        if payload is None:
            raise IngestError("Argus generic JSON must be one JSON object")
        frames: list[Frame] = []
        for position, raw in enumerate(list_of(payload, "frames")):
            if not isinstance(raw, dict):
                raise IngestError(f"Argus generic JSON: frames[{position}] is not an object")
            path = text_of(raw, "file") or ""
            function = text_of(raw, "function") or ""
            if not path and not function:
                raise IngestError(
                    f"Argus generic JSON: frames[{position}] needs a 'file' or a 'function'"
                )
            frames.append(
                Frame(
                    function=function or "<anonymous>",
                    filename=path,
                    module=text_of(raw, "module"),
                    abs_path=path or None,
                    lineno=int_of(raw, "line"),
                    in_app=in_app_default(path, bool_of(raw, "in_app")),
                    context_line=text_of(raw, "code"),
                    vars=frame_vars(raw.get("vars")),
                )
            )
        return finish_event(
            text_of(payload, "type") or "Error",
            text_of(payload, "message") or "",
            frames,
            platform=text_of(payload, "platform") or "other",
            source_format=self.name,
            release=text_of(payload, "release"),
            environment=text_of(payload, "environment"),
            timestamp=timestamp_of(payload.get("timestamp")),
            raw_id=text_of(payload, "id"),
            cause=text_of(payload, "cause"),
            tenant=text_of(payload, "tenant"),
        )
