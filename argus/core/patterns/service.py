"""PatternService: files production errors under patterns, per tenant, and answers questions.

Front-ends (the CLI's ``argus ingest`` / ``argus patterns``, the ingestion server) call this
and nothing below it. ``open_service(path)`` gives the embedded default wiring: the SQLite store,
a local approximate vector index persisted next to it, and the local ``HashingEmbedder``.

Matching, per tenant: the exact ``pattern_hash`` first (no embedding needed: the stored pattern
is reused); else the nearest pattern in the tenant's vector namespace when its cosine is at or
above the threshold (the new hash is recorded as an alias of that pattern); else a new pattern.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from argus.core.errors import ConfigError, StoreError
from argus.core.patterns.embed import (
    DEFAULT_SIMILARITY_THRESHOLD,
    Embedder,
    HashingEmbedder,
    cosine_similarity,
)
from argus.core.patterns.errors import IngestError
from argus.core.patterns.event import ErrorEvent
from argus.core.patterns.event_codec import event_to_json
from argus.core.patterns.formats import parse_error
from argus.core.patterns.normalise import Signature, mask_message, signature_of
from argus.core.patterns.records import IngestResult, Location, Pattern, PatternTest
from argus.core.patterns.risk_feedback import count_by_function
from argus.core.patterns.scrub import scrub_event, scrub_text
from argus.core.patterns.shared_pool import (
    MIN_TENANTS,
    SHARED_NAMESPACE,
    anonymise,
    anonymise_stored,
    shared_text,
    strip_literals,
)
from argus.core.patterns.store import (
    Filing,
    Occurrence,
    PatternStore,
    SharedSignature,
    SQLiteExecutor,
    SqlPatternStore,
    encode_embedding,
    format_time,
    pattern_id_for,
)
from argus.core.store.sqlite import SQLiteStore
from argus.core.store.vector import CatchUpIndex, LocalAnnIndex, VectorIndex

__all__ = [
    "EXPORT_FORMAT",
    "IngestResult",
    "Location",
    "Pattern",
    "PatternService",
    "PatternTest",
    "open_service",
    "tenant_namespace",
]

EXPORT_FORMAT = "argus-patterns"
EXPORT_VERSION = 1
MAX_TENANT_CHARS = 200
#: Hash → pattern filings remembered per process (cleared when full).
FILED_CACHE_SIZE = 200_000
#: Event timestamps further in the future than this are replaced by the time of receipt.
FUTURE_TOLERANCE = timedelta(days=1)
#: Formats whose id names one event (a Sentry ``event_id``): an event sent again with the same
#: id is stored once. A webhook's id names an issue (each alert about it counts), and the
#: other formats' ids are whatever the sender put there: those events always count.
DEDUPLICATED_FORMATS = frozenset({"sentry-event", "sentry-envelope"})


class _Prepared(NamedTuple):
    """One error parsed, scrubbed and signed, ready to file."""

    tenant: str
    signature: Signature
    occurrence: Occurrence


def tenant_namespace(tenant: str) -> str:
    """The vector namespace of a tenant (short enough for Vectorize's 64-byte limit)."""
    if len(tenant.encode("utf-8")) <= 60 and tenant.isprintable():
        return f"t:{tenant}"
    return "t:" + hashlib.sha256(tenant.encode("utf-8")).hexdigest()[:40]


class PatternService:
    """Ingest, match, list, search, export and import error patterns of tenants."""

    def __init__(
        self,
        store: PatternStore,
        index: VectorIndex,
        embedder: Embedder,
        *,
        threshold: float = DEFAULT_SIMILARITY_THRESHOLD,
        clock: Callable[[], datetime] | None = None,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ConfigError(f"similarity threshold must be within (0, 1], not {threshold}")
        self.store = store
        self.index = index
        self.embedder = embedder
        self.threshold = threshold
        self.clock = clock or (lambda: datetime.now(UTC))
        self._on_close = on_close
        self._lock = threading.RLock()
        self._shared_loaded = False
        self._filed: dict[tuple[str, str], str] = {}

    # -- ingestion -------------------------------------------------------------------------

    def ingest(self, data: bytes | str | ErrorEvent, tenant: str) -> IngestResult:
        """Parse (unless already an event), scrub, sign and file one error under a pattern.

        Raises ``IngestError`` for unreadable input and ``StoreError`` when the store fails;
        either way nothing is stored (one transaction per occurrence).
        """
        return self.ingest_many([data], tenant)[0]

    def ingest_many(
        self, items: Sequence[bytes | str | ErrorEvent], tenant: str
    ) -> list[IngestResult]:
        """Ingest several errors in one transaction (group commit): all are stored, or none.

        An error is reported filed only once the transaction holding it has committed, so a
        crash loses nothing that was acknowledged. Every item is parsed before anything is
        stored: one unreadable item raises ``IngestError`` and stores nothing; a failing store
        raises ``StoreError`` and stores nothing either (a retry of the whole batch counts
        each error once). Occurrences of one pattern are added up (an error storm costs a few
        statements per pattern); a new error repeated in the batch, or a look-alike of it
        under another hash, goes to the one pattern the batch creates for it.
        """
        tenant = _checked_tenant(tenant)
        prepared = [self._prepare(data, tenant) for data in items]
        outcomes = self._file(prepared, stop_on_error=True)
        return [outcome for outcome in outcomes if isinstance(outcome, IngestResult)]

    def ingest_batch(
        self, items: Sequence[tuple[bytes | str | ErrorEvent, str]]
    ) -> list[IngestResult | Exception]:
        """Ingest ``(error, tenant)`` pairs of any tenants as one group; an outcome per item.

        What a server needs to acknowledge each event only once it is stored: the readable
        items are filed in one transaction (as ``ingest_many`` files them). An item's outcome
        is its ``IngestResult`` (committed), or the exception that kept it from being stored:
        ``IngestError`` or ``ConfigError`` for that item alone (the others are filed), or
        ``StoreError`` for every readable item when the transaction failed (none was stored).
        """
        outcomes: list[IngestResult | Exception | None] = [None] * len(items)
        prepared: list[_Prepared] = []
        positions: list[int] = []
        for position, (data, tenant) in enumerate(items):
            try:
                prepared.append(self._prepare(data, _checked_tenant(tenant)))
            except (IngestError, ConfigError) as error:
                outcomes[position] = error
                continue
            except ValueError as error:  # e.g. a text no codec takes: this item alone fails
                outcomes[position] = IngestError(f"the error cannot be stored: {error}")
                continue
            positions.append(position)
        for position, outcome in zip(positions, self._file(prepared), strict=True):
            outcomes[position] = outcome
        return [outcome for outcome in outcomes if outcome is not None]

    def _prepare(self, data: bytes | str | ErrorEvent, tenant: str) -> _Prepared:
        """Parse (unless already an event), scrub and sign one error; nothing is stored."""
        event = data if isinstance(data, ErrorEvent) else parse_error(data)
        clean = scrub_event(event)
        signature = signature_of(clean)
        return _Prepared(tenant, signature, self._occurrence(tenant, clean, signature))

    def _file(
        self, prepared: Sequence[_Prepared], *, stop_on_error: bool = False
    ) -> list[IngestResult | Exception]:
        """File prepared errors, all in one transaction: all of them are stored, or none.

        Known hashes need no embedding. Each unknown hash is embedded and matched against the
        tenant's index and against the patterns this batch creates before it (so one new bug
        arriving twice under two hashes in one batch is still one pattern); the batch's new
        patterns are indexed once the transaction has committed. With ``stop_on_error`` a
        ``StoreError`` propagates; otherwise it is the outcome of every item.
        """
        with self._lock:
            try:
                filings = self._match(prepared)
                duplicates: set[int] = set()
                patterns = self.store.record_many(filings, duplicates) if filings else []
            except StoreError as error:
                if stop_on_error:
                    raise
                return [error] * len(prepared)
            return self._settle(prepared, filings, patterns, duplicates)

    def _match(self, prepared: Sequence[_Prepared]) -> list[Filing]:
        """How to file each error: by a known hash, by similarity, or as a new pattern."""
        filings: list[Filing] = []
        # (tenant, hash) first seen in this batch -> the hash whose pattern it goes to.
        batch_hashes: dict[tuple[str, str], str] = {}
        # Per tenant: patterns proposed in this batch (hash, embedding), for similarity.
        proposed: dict[str, list[tuple[str, Sequence[float]]]] = {}
        caught_up: set[str] = set()
        for tenant, signature, occurrence in prepared:
            pattern_hash = signature.pattern_hash
            self.store.ensure_tenant(tenant)
            pattern_id = self._resolve(tenant, pattern_hash)
            if pattern_id is not None:
                filings.append(Filing(occurrence, pattern_id, False, "hash"))
                continue
            if (tenant, pattern_hash) in batch_hashes:
                filings.append(
                    Filing(occurrence, "", False, "hash", by_hash=True)  # filed just before
                )
                continue
            (embedding,) = self.embedder.embed([signature.embedding_text])
            if tenant not in caught_up:
                self._catch_up(tenant)
                caught_up.add(tenant)
            target, score = "", 0.0
            matches = self.index.query(tenant_namespace(tenant), embedding, 1)
            if matches:
                target, score = matches[0].id, matches[0].score
            target_hash, batch_score = _nearest(proposed.get(tenant, ()), embedding)
            if target_hash is not None and batch_score > score and batch_score >= self.threshold:
                filings.append(
                    Filing(
                        occurrence,
                        pattern_id_for(tenant, target_hash),
                        False,
                        "similarity",
                        similarity=min(1.0, batch_score),
                        target_hash=target_hash,
                    )
                )
            elif target and score >= self.threshold:
                filings.append(
                    Filing(occurrence, target, False, "similarity", similarity=min(1.0, score))
                )
            else:
                new_id = pattern_id_for(tenant, pattern_hash)
                filings.append(Filing(occurrence, new_id, True, "new", embedding=embedding))
                proposed.setdefault(tenant, []).append((pattern_hash, embedding))
            batch_hashes[(tenant, pattern_hash)] = pattern_hash
        return filings

    def _settle(
        self,
        prepared: Sequence[_Prepared],
        filings: Sequence[Filing],
        patterns: Sequence[Pattern],
        duplicates: set[int],
    ) -> list[IngestResult | Exception]:
        """After the commit: results, cached filings, index upserts and shared-pool entries.

        A re-sent event (its id stored already: ``duplicates``) reports the pattern its first
        copy went to, ``matched_by="duplicate"``; nothing of it was filed."""
        results: list[IngestResult | Exception] = []
        for position, ((tenant, signature, _), filing, pattern) in enumerate(
            zip(prepared, filings, patterns, strict=True)
        ):
            if position in duplicates:
                results.append(IngestResult(pattern, is_new=False, matched_by="duplicate"))
                continue
            if filing.matched_by == "hash":
                results.append(IngestResult(pattern, is_new=False, matched_by="hash"))
                self._cache_filing(tenant, signature.pattern_hash, pattern.id)
                continue
            self._cache_filing(tenant, signature.pattern_hash, pattern.id)
            if filing.matched_by == "similarity":
                if pattern.id == filing.pattern_id:
                    self._share_new(tenant, signature)
                    results.append(
                        IngestResult(
                            pattern,
                            is_new=False,
                            matched_by="similarity",
                            similarity=filing.similarity,
                        )
                    )
                else:
                    results.append(IngestResult(pattern, is_new=False, matched_by="hash"))
                continue
            if pattern.id == filing.pattern_id and filing.embedding is not None:
                # Created here, or by another writer at the same moment: indexing is idempotent.
                self.index.upsert(
                    tenant_namespace(tenant),
                    [pattern.id],
                    [filing.embedding],
                    [{"pattern_hash": signature.pattern_hash}],
                )
            is_new = pattern.id == filing.pattern_id and pattern.occurrences == 1
            if is_new:
                self._share_new(tenant, signature)
            results.append(
                IngestResult(pattern, is_new=is_new, matched_by="new" if is_new else "hash")
            )
        return results

    def _resolve(self, tenant: str, pattern_hash: str) -> str | None:
        """The pattern a hash is filed under; filings never move, so answers are cached."""
        cached = self._filed.get((tenant, pattern_hash))
        if cached is not None:
            return cached
        pattern_id = self.store.resolve_hash(tenant, pattern_hash)
        if pattern_id is not None:
            self._cache_filing(tenant, pattern_hash, pattern_id)
        return pattern_id

    def _cache_filing(self, tenant: str, pattern_hash: str, pattern_id: str) -> None:
        if len(self._filed) >= FILED_CACHE_SIZE:
            self._filed.clear()
        self._filed[(tenant, pattern_hash)] = pattern_id

    def _occurrence(self, tenant: str, event: ErrorEvent, signature: Signature) -> Occurrence:
        now = self.clock()
        seen = event.timestamp or now
        if seen.tzinfo is None:
            seen = seen.replace(tzinfo=UTC)
        if seen > now + FUTURE_TOLERANCE:
            seen = now
        return Occurrence(
            tenant=tenant,
            pattern_hash=signature.pattern_hash,
            exception_type=signature.exception_type,
            message=signature.message,
            title=event.title[:300],
            frames=signature.frames,
            embedding_text=signature.embedding_text,
            locations=tuple((item.path, item.function) for item in signature.locations),
            release=event.release or "",
            environment=event.environment or "",
            seen_at=seen,
            event_json=functools.partial(event_to_json, event),
            event_id=event.raw_id if event.source_format in DEDUPLICATED_FORMATS else None,
        )

    def _catch_up(self, tenant: str) -> None:
        """Add to a process-local index what the store holds beyond it (other processes'
        patterns, or everything after a lost index file); re-embed what has no usable
        stored embedding."""
        if not isinstance(self.index, CatchUpIndex):
            return
        namespace = tenant_namespace(tenant)
        since = self.index.synced_through(namespace)
        stored = self.store.embeddings_since(tenant, since)
        if not stored:
            return
        # The patterns this process created since are in the index already (upserted as
        # their batch committed): only other processes' patterns are added here.
        held = self.index.held(namespace, [item.pattern_id for item in stored])
        ids: list[str] = []
        vectors: list[Sequence[float]] = []
        for item in stored:
            if item.pattern_id in held:
                continue
            vector = item.embedding
            if vector is None or len(vector) != self.embedder.dimensions:
                (vector,) = self.embedder.embed([item.embedding_text])
                self.store.store_embedding(item.pattern_id, vector)
            ids.append(item.pattern_id)
            vectors.append(vector)
        if ids:
            self.index.upsert(namespace, ids, vectors)
        self.index.mark_synced(namespace, stored[-1].sequence)

    # -- the shared pool -------------------------------------------------------------------

    def _share_new(self, tenant: str, signature: Signature) -> None:
        if self.store.sharing(tenant):
            self._contribute(tenant, anonymise(signature))

    def _contribute(self, tenant: str, shared: SharedSignature) -> None:
        (vector,) = self.embedder.embed([shared_text(shared)])
        self.store.contribute(tenant, shared, encode_embedding(vector))
        self.index.upsert(SHARED_NAMESPACE, [shared.shared_hash], [vector])

    def register_tenant(self, tenant: str, kind: str = "project", name: str = "") -> None:
        """Create a tenant (``github_installation`` or ``project``) or update its kind and name;
        ingesting for an unknown tenant creates it as a ``project`` named by its id."""
        with self._lock:
            self.store.register_tenant(_checked_tenant(tenant), kind, name)

    def set_sharing(self, tenant: str, share: bool) -> None:
        """Opt the tenant in (contributing every pattern it has) or out (withdrawing them)."""
        tenant = _checked_tenant(tenant)
        with self._lock:
            self.store.set_sharing(tenant, share)
            if share:
                for row in self.store.shared_signatures_of(tenant):
                    frames = json.loads(row["frames"] or "[]")
                    self._contribute(
                        tenant,
                        anonymise_stored(str(row["exception_type"]), str(row["message"]), frames),
                    )

    def _load_shared(self) -> None:
        """Index the pool's stored embeddings once per process (the pool is small)."""
        if self._shared_loaded:
            return
        self._shared_loaded = True
        ids: list[str] = []
        vectors: list[Sequence[float]] = []
        for shared_hash, vector in self.store.shared_embeddings():
            if vector is not None and len(vector) == self.embedder.dimensions:
                ids.append(shared_hash)
                vectors.append(vector)
        if ids:
            self.index.upsert(SHARED_NAMESPACE, ids, vectors)

    # -- reading ---------------------------------------------------------------------------

    def search(self, text: str, tenant: str, k: int = 5) -> list[tuple[Pattern, float]]:
        """The nearest patterns to an error text, best first, with cosine similarity.

        ``text`` may be anything ``ingest`` reads, or free text (scrubbed and masked the same
        way). Up to ``k`` of the tenant's own patterns come first, then up to ``k`` shared-pool
        patterns visible to the tenant (seen by at least 3 tenants, not contributed by this
        one), marked ``shared=True`` with ``tenant="shared"``.
        """
        tenant = _checked_tenant(tenant)
        if k <= 0:
            return []
        try:
            signature = signature_of(scrub_event(parse_error(text)))
            query_text = signature.embedding_text
            shared_query = shared_text(anonymise(signature))
        except IngestError:
            masked = mask_message(scrub_text(text))
            if not masked:
                return []
            query_text = masked
            shared_query = strip_literals(masked)
        with self._lock:
            (vector,) = self.embedder.embed([query_text])
            self._catch_up(tenant)
            matches = self.index.query(tenant_namespace(tenant), vector, k)
            found = self.store.get_many(tenant, [match.id for match in matches])
            results = [
                (found[match.id], min(1.0, match.score)) for match in matches if match.id in found
            ]
            results.extend(self._shared_matches(tenant, shared_query, k))
        return results

    def _shared_matches(self, tenant: str, query: str, k: int) -> list[tuple[Pattern, float]]:
        self._load_shared()
        (vector,) = self.embedder.embed([query])
        matches = self.index.query(SHARED_NAMESPACE, vector, k * 4)
        if not matches:
            return []
        rows = {
            str(row["pattern_hash"]): row
            for row in self.store.shared_patterns([match.id for match in matches])
        }
        visible: list[tuple[Pattern, float]] = []
        for match in matches:
            row = rows.get(match.id)
            if row is None or int(row["tenant_count"]) < MIN_TENANTS:
                continue
            if tenant in row["tenants"]:
                continue
            visible.append((_shared_pattern(row), min(1.0, match.score)))
            if len(visible) == k:
                break
        return visible

    def list_patterns(self, tenant: str, limit: int = 50, offset: int = 0) -> list[Pattern]:
        """The tenant's patterns, most frequent first (ties: most recently seen first)."""
        with self._lock:
            return self.store.list_patterns(_checked_tenant(tenant), limit, offset)

    def get(self, tenant: str, pattern_id: str) -> Pattern | None:
        """One pattern of the tenant by id (another tenant's id gives None)."""
        with self._lock:
            return self.store.get(_checked_tenant(tenant), pattern_id)

    def stats(self, tenant: str) -> dict[str, Any]:
        """JSON-ready figures on the tenant's library (see docs/patterns.md)."""
        with self._lock:
            figures = self.store.stats(_checked_tenant(tenant))
        figures["threshold"] = self.threshold
        figures["embedder"] = {
            "name": type(self.embedder).__name__,
            "dimensions": self.embedder.dimensions,
        }
        figures["index"] = type(self.index).__name__
        return figures

    def record_test(
        self,
        tenant: str,
        pattern_id: str,
        test_id: str,
        *,
        framework: str = "",
        success_rate: float = 0.0,
        reuse_count: int = 0,
        code: str | None = None,
    ) -> None:
        """Record (or update) a test generated for one of the tenant's patterns."""
        with self._lock:
            if self.store.get(_checked_tenant(tenant), pattern_id) is None:
                raise StoreError(f"tenant {tenant!r} has no pattern {pattern_id!r}")
            self.store.record_test(
                pattern_id,
                test_id,
                framework=framework,
                success_rate=success_rate,
                reuse_count=reuse_count,
                code=code,
                created=self.clock(),
            )

    # -- export and import -----------------------------------------------------------------

    def export(self, tenant: str) -> Iterator[dict[str, Any]]:
        """The tenant's library as JSON-ready rows, one JSONL line each.

        The first row is a header ``{"format": "argus-patterns", "version": 1, "tenant",
        "exported_at", "embedding_dimensions"}``; each further row is one pattern (the fields
        of ``Pattern.to_dict`` without ``tenant``/``shared``, plus ``occurrence_counts``,
        ``embedding_text``, ``embedding`` and test ``code``).
        """
        tenant = _checked_tenant(tenant)
        yield {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "tenant": tenant,
            "exported_at": format_time(self.clock()),
            "embedding_dimensions": self.embedder.dimensions,
        }
        with self._lock:
            rows = list(self.store.export_patterns(tenant))
        yield from rows

    def import_rows(self, tenant: str, rows: Iterable[Mapping[str, Any]]) -> int:
        """Merge exported rows into the tenant's library (a known hash adds its counts; a row
        imported before is skipped); returns how many patterns were new. A header of another
        format or version is an error.
        """
        return self.import_counted(tenant, rows).new

    def import_counted(self, tenant: str, rows: Iterable[Mapping[str, Any]]) -> ImportCounts:
        """:meth:`import_rows`, counting new, merged and skipped (imported before) rows."""
        tenant = _checked_tenant(tenant)
        created = merged = skipped = 0
        with self._lock:
            for number, row in enumerate(rows, start=1):
                if not isinstance(row, Mapping):
                    raise StoreError(f"import row {number} is not a JSON object")
                if "format" in row:
                    if row.get("format") != EXPORT_FORMAT or row.get("version") != EXPORT_VERSION:
                        raise StoreError(
                            f"import row {number}: format {row.get('format')!r} version "
                            f"{row.get('version')!r} is not {EXPORT_FORMAT} {EXPORT_VERSION}"
                        )
                    continue
                outcome = self.store.import_pattern(tenant, row)
                if outcome is None:
                    skipped += 1
                elif outcome:
                    created += 1
                else:
                    merged += 1
            self._index_imported(tenant)
        return ImportCounts(created, merged, skipped)

    def _index_imported(self, tenant: str) -> None:
        if isinstance(self.index, CatchUpIndex):
            self._catch_up(tenant)
            return
        # A shared remote index: upsert every pattern (idempotent), re-embedding as needed.
        namespace = tenant_namespace(tenant)
        for item in self.store.embeddings_since(tenant, 0):
            vector = item.embedding
            if vector is None or len(vector) != self.embedder.dimensions:
                (vector,) = self.embedder.embed([item.embedding_text])
            self.index.upsert(namespace, [item.pattern_id], [vector])

    # -- feedback to risk ------------------------------------------------------------------

    def production_errors_by_function(
        self, tenant: str, paths: Iterable[str]
    ) -> dict[tuple[str, str], int]:
        """``(repository path, recorded function) -> occurrences`` whose in-app frames point
        there; paths match by suffix (``/srv/app/orders/pricing.py`` is
        ``orders/pricing.py``). ``argus.core.patterns.risk_feedback.for_symbols`` re-keys the result
        by qualified symbol names for the review."""
        with self._lock:
            locations = self.store.location_counts(_checked_tenant(tenant))
        return count_by_function(locations, paths)

    def close(self) -> None:
        """Persist the local index and close the store (when this service opened it)."""
        with self._lock:
            save = getattr(self.index, "save", None)
            if save is not None:
                save()
            if self._on_close is not None:
                self._on_close()
                self._on_close = None

    def __enter__(self) -> PatternService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ImportCounts(NamedTuple):
    """What an import did: patterns created, merged into known ones, and rows skipped because
    they were imported before."""

    new: int
    merged: int
    skipped: int


def _shared_pattern(row: Mapping[str, Any]) -> Pattern:
    first_seen = datetime.fromisoformat(str(row["first_seen"]).replace("Z", "+00:00"))
    last_seen = datetime.fromisoformat(str(row["last_seen"]).replace("Z", "+00:00"))
    message = str(row["message"])
    exception_type = str(row["exception_type"])
    return Pattern(
        id=str(row["pattern_hash"]),
        tenant="shared",
        pattern_hash=str(row["pattern_hash"]),
        exception_type=exception_type,
        message=message,
        title=f"{exception_type}: {message}" if message else exception_type,
        occurrences=int(row["tenant_count"]),
        first_seen=first_seen,
        last_seen=last_seen,
        shared=True,
        frames=tuple(json.loads(row["functions"] or "[]")),
    )


def _nearest(
    candidates: Sequence[tuple[str, Sequence[float]]], vector: Sequence[float]
) -> tuple[str | None, float]:
    """The candidate (hash, embedding) nearest to ``vector`` by cosine, and that cosine."""
    if not candidates:
        return None, 0.0
    if len(candidates) == 1:
        return candidates[0][0], cosine_similarity(candidates[0][1], vector)
    import numpy as np  # only on the new-pattern path, which queries a numpy index anyway

    matrix = np.asarray([embedding for _, embedding in candidates], dtype=np.float64)
    query = np.asarray(vector, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1) * float(np.linalg.norm(query))
    scores = np.divide(matrix @ query, norms, out=np.zeros(len(candidates)), where=norms > 0)
    best = int(np.argmax(scores))
    return candidates[best][0], float(scores[best])


def _checked_tenant(tenant: str) -> str:
    if not isinstance(tenant, str) or not tenant.strip():
        raise ConfigError("a tenant is required (a project key or a GitHub installation id)")
    if len(tenant) > MAX_TENANT_CHARS or not tenant.isprintable():
        raise ConfigError(
            f"tenant ids are printable and at most {MAX_TENANT_CHARS} characters: {tenant[:40]!r}"
        )
    return tenant


def open_service(
    store_path_or_store: Path | str | SQLiteStore | PatternStore,
    *,
    embedder: Embedder | None = None,
    index: VectorIndex | None = None,
    threshold: float = DEFAULT_SIMILARITY_THRESHOLD,
) -> PatternService:
    """The embedded default wiring.

    A path opens (creating and migrating) the SQLite store there and keeps the local ANN
    index in ``<path>.vectors/`` beside it (``":memory:"`` keeps both in memory); an open
    ``SQLiteStore`` or any ``PatternStore`` is used as given. The embedder defaults to
    ``HashingEmbedder(384)``.
    """
    chosen_embedder: Embedder = embedder or HashingEmbedder()
    on_close: Callable[[], None] | None = None
    directory: Path | None = None
    if isinstance(store_path_or_store, str | Path):
        sqlite_store = SQLiteStore.open(store_path_or_store)
        store: PatternStore = SqlPatternStore(SQLiteExecutor(sqlite_store))
        on_close = sqlite_store.close
        if sqlite_store.path is not None:
            directory = sqlite_store.path.with_name(sqlite_store.path.name + ".vectors")
    elif isinstance(store_path_or_store, SQLiteStore):
        store = SqlPatternStore(SQLiteExecutor(store_path_or_store))
        if store_path_or_store.path is not None:
            path = store_path_or_store.path
            directory = path.with_name(path.name + ".vectors")
    else:
        store = store_path_or_store
    chosen_index: VectorIndex = index or LocalAnnIndex(chosen_embedder.dimensions, directory)
    return PatternService(
        store, chosen_index, chosen_embedder, threshold=threshold, on_close=on_close
    )
