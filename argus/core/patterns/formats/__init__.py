"""Ingestion formats: a registry of small parsers, and ``parse_error`` that picks one.

Each format recognises its own documents (``accepts``) and parses them (``parse``). Formats are
tried in ``FORMATS`` order; JSON formats come first, then the text formats.
"""

from __future__ import annotations

from argus.core.patterns.errors import IngestError
from argus.core.patterns.event import ErrorEvent
from argus.core.patterns.formats.document import Document, IngestFormat
from argus.core.patterns.formats.generic_json import GenericJsonFormat
from argus.core.patterns.formats.node_stack import NodeStackFormat
from argus.core.patterns.formats.python_traceback import PythonTracebackFormat
from argus.core.patterns.formats.sentry import (
    SentryEnvelopeFormat,
    SentryEventFormat,
    SentryWebhookFormat,
)
from argus.core.patterns.limits import decode_input

__all__ = ["FORMATS", "Document", "IngestFormat", "accepted_formats", "parse_error"]

FORMATS: tuple[IngestFormat, ...] = (
    SentryWebhookFormat(),
    SentryEventFormat(),
    GenericJsonFormat(),
    SentryEnvelopeFormat(),
    PythonTracebackFormat(),
    NodeStackFormat(),
)


def accepted_formats(formats: tuple[IngestFormat, ...] = FORMATS) -> str:
    """A one-per-line list of the accepted formats, for error messages and help text."""
    return "\n".join(f"  - {each.name}: {each.description}" for each in formats)


def parse_error(
    data: bytes | str,
    formats: tuple[IngestFormat, ...] = FORMATS,
) -> ErrorEvent:
    """Detect the format of an error report and parse it into an ErrorEvent.

    Raises IngestError, listing the accepted formats, when no format recognises the input.
    """
    document = Document.from_text(decode_input(data))
    if not document.text.strip():
        raise IngestError("error report is empty; accepted formats:\n" + accepted_formats(formats))
    for each in formats:
        if each.accepts(document):
            return each.parse(document)
    if document.json_error is not None:
        problem = f"error report looks like JSON but is not valid JSON ({document.json_error})"
    elif document.json_value is not None:
        problem = "error report is JSON but in no known error format"
    else:
        problem = "error report is in no known format"
    raise IngestError(f"{problem}; accepted formats:\n{accepted_formats(formats)}")
