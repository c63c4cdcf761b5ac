"""PatternService: files production errors under patterns, per tenant, and answers questions.

Front-ends (the CLI's ``argus ingest`` / ``argus patterns``, the ingestion server) call this
and nothing below it. ``open_service(path)`` gives the embedded default wiring: the SQLite store,
a local approximate vector index persisted next to it, and the local ``HashingEmbedder``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from core.patterns.embed import DEFAULT_SIMILARITY_THRESHOLD, Embedder
from core.patterns.event import ErrorEvent
from core.patterns.records import IngestResult, Location, Pattern, PatternTest

__all__ = [
    "IngestResult",
    "Location",
    "Pattern",
    "PatternService",
    "PatternTest",
    "open_service",
]


class PatternService:
    """Ingest, match, list, search, export and import error patterns of tenants."""

    def __init__(
        self,
        store: Any,
        index: Any,
        embedder: Embedder,
        *,
        threshold: float = DEFAULT_SIMILARITY_THRESHOLD,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        raise NotImplementedError

    def ingest(self, data: bytes | str | ErrorEvent, tenant: str) -> IngestResult:
        """Parse (unless already an event), scrub, sign and file one error under a pattern.

        Raises ``IngestError`` for unreadable input (nothing stored) and ``StoreError`` when
        the store fails (nothing stored: one transaction).
        """
        raise NotImplementedError

    def search(self, text: str, tenant: str, k: int = 5) -> list[tuple[Pattern, float]]:
        """The ``k`` nearest patterns of ``tenant`` to an error text (any ingest format, or
        free text), with cosine similarity, best first; shared-pool patterns visible to the
        tenant come after with ``shared=True``."""
        raise NotImplementedError

    def list_patterns(self, tenant: str, limit: int = 50, offset: int = 0) -> list[Pattern]:
        """The tenant's patterns, most frequent first (ties: most recently seen first)."""
        raise NotImplementedError

    def get(self, tenant: str, pattern_id: str) -> Pattern | None:
        """One pattern of the tenant by id, or None."""
        raise NotImplementedError

    def stats(self, tenant: str) -> dict[str, Any]:
        """JSON-ready figures on the tenant's library."""
        raise NotImplementedError

    def export(self, tenant: str) -> Iterator[dict[str, Any]]:
        """The tenant's library as JSON-ready rows (one JSONL line each, format in docs)."""
        raise NotImplementedError

    def import_rows(self, tenant: str, rows: Iterable[dict[str, Any]]) -> int:
        """Merge exported rows into the tenant's library; returns the patterns imported."""
        raise NotImplementedError

    def set_sharing(self, tenant: str, share: bool) -> None:
        """Opt the tenant in or out of the shared pool."""
        raise NotImplementedError

    def production_errors_by_function(
        self, tenant: str, paths: Iterable[str]
    ) -> dict[tuple[str, str], int]:
        """``(repository path, function) -> occurrences`` whose in-app frames point there."""
        raise NotImplementedError

    def close(self) -> None:
        """Persist the local index and close the store."""
        raise NotImplementedError


def open_service(
    store_path_or_store: Path | str | Any,
    *,
    embedder: Embedder | None = None,
    index: Any | None = None,
) -> PatternService:
    """The embedded default: SQLite store at the path, local ANN index next to it,
    ``HashingEmbedder(384)``."""
    raise NotImplementedError
