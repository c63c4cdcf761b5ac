"""The decoded body every format looks at, and the protocol each format implements."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol

from argus.core.input_limits import JsonTooDeep, loads_bounded
from argus.core.patterns.event import ErrorEvent


@dataclass(frozen=True)
class Document:
    """An ingested body, decoded once: its text and, when it is one JSON value, that value."""

    text: str
    json_value: object = None
    json_error: str | None = None

    @classmethod
    def from_text(cls, text: str) -> Document:
        """Decode ``text``, parsing it as JSON when it looks like a JSON object."""
        stripped = text.strip()
        if not stripped.startswith("{"):
            return cls(text=text)
        try:
            return cls(text=text, json_value=loads_bounded(stripped))
        except json.JSONDecodeError as error:
            return cls(text=text, json_error=f"{error.msg} at line {error.lineno}")
        except JsonTooDeep as error:
            return cls(text=text, json_error=str(error))

    @property
    def json_object(self) -> dict[str, object] | None:
        """The parsed JSON value when it is an object, else None."""
        value = self.json_value
        return value if isinstance(value, dict) else None


class IngestFormat(Protocol):
    """One ingestion format: recognises its documents and parses them into an ErrorEvent."""

    name: str
    description: str

    def accepts(self, document: Document) -> bool:
        """Tell whether ``document`` is in this format (cheap, no full parse)."""
        ...

    def parse(self, document: Document) -> ErrorEvent:
        """Parse an accepted document; raises IngestError when it is malformed."""
        ...
