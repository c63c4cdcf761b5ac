"""The pure ingestion path: raw report → scrubbed event, signature and embedding."""

from __future__ import annotations

from dataclasses import dataclass

from argus.core.patterns.embed import Embedder
from argus.core.patterns.event import ErrorEvent
from argus.core.patterns.formats import parse_error
from argus.core.patterns.normalise import Signature, signature_of
from argus.core.patterns.scrub import scrub_event


@dataclass(frozen=True)
class PreparedError:
    """An error ready to store: scrubbed event, its signature and its embedding."""

    event: ErrorEvent
    signature: Signature
    embedding: list[float]


def prepare_event(event: ErrorEvent, embedder: Embedder) -> PreparedError:
    """Scrub, sign and embed one parsed event (scrubbing always comes first)."""
    clean = scrub_event(event)
    signature = signature_of(clean)
    (embedding,) = embedder.embed([signature.embedding_text])
    return PreparedError(event=clean, signature=signature, embedding=embedding)


def prepare(data: bytes | str, embedder: Embedder) -> PreparedError:
    """Parse a raw error report in any accepted format, then scrub, sign and embed it."""
    return prepare_event(parse_error(data), embedder)
