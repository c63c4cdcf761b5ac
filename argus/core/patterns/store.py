"""The pattern store: the port, and one SQL implementation for SQLite and Cloudflare D1 alike.

``SqlPatternStore`` talks to a :class:`SqlExecutor` — ``execute(sql, params) -> rows`` and an
atomic ``execute_batch`` — so the very same statements run on the embedded SQLite store
(:class:`SQLiteExecutor`) and on D1 over REST (``argus.core.store.d1.D1Executor``).

Concurrency: one occurrence is one batch, atomic (``BEGIN IMMEDIATE`` on SQLite, a D1 batch on
D1), and every write in it is an upsert keyed by ``(tenant, pattern_hash)`` that adds to counts
(``count = count + 1``) rather than writing a value read earlier. Two writers filing the same
error at once therefore both count, and a pattern two writers create at once is created once
(its id derives from the tenant and hash).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import sqlite3
import struct
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from argus.core.errors import StoreError
from argus.core.patterns.records import Location, Pattern, PatternTest
from argus.core.store.checkpoint import WalCheckpointer
from argus.core.store.sqlite import SQLiteStore

Row = dict[str, Any]
Statement = tuple[str, Sequence[object]]

#: Scrubbed events kept per pattern (the newest ones).
EVENTS_KEPT = 5
#: Bound parameters per statement at most (Cloudflare D1's limit is 100).
MAX_PARAMS = 100
#: Days a stored event id is remembered (a re-sent event older than that is stored again).
#: Senders retry within minutes (SDK transports, load balancers); a week bounds the table to
#: a week of events' ids, about 100 bytes each.
SEEN_EVENTS_DAYS = 7
#: Write transactions between two prunings of event ids older than ``SEEN_EVENTS_DAYS``.
PRUNE_EVERY = 1000
#: The fewest rows of ``seen_events`` one sweep walks.
SWEEP_MIN_WINDOW = 1000
#: Write transactions between two background WAL checkpoints (about 2-20 MB of WAL).
CHECKPOINT_COMMITS = 50
TENANT_KINDS = ("github_installation", "project")


class SqlExecutor(Protocol):
    """Runs SQL: single statements, and batches that apply all or nothing."""

    def execute(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """Run one statement; rows as dicts keyed by column name."""
        ...

    def execute_batch(self, statements: Sequence[Statement]) -> list[list[Row]]:
        """Run statements in one transaction; the rows of each, in order."""
        ...


class SQLiteExecutor:
    """:class:`SqlExecutor` over a migrated :class:`SQLiteStore` (WAL, ``BEGIN IMMEDIATE``)."""

    def __init__(self, store: SQLiteStore) -> None:
        self.store = store
        self._db = store.connection
        self._checkpointer: WalCheckpointer | None = None
        try:
            # Connection settings, not schema: a larger page cache, and WAL checkpoints on a
            # thread of their own (argus.core.store.checkpoint) after every CHECKPOINT_COMMITS
            # commits instead of inside the commit that crosses SQLite's threshold (a 70-100 ms
            # stall for the whole group an ingestion server is committing).
            self._db.execute("PRAGMA cache_size = -32768")
            path = self._db.execute("PRAGMA database_list").fetchone()[2]
            if path:  # a file (an in-memory store has no WAL)
                self._db.execute("PRAGMA wal_autocheckpoint = 0")
                self._checkpointer = WalCheckpointer(Path(path), CHECKPOINT_COMMITS)
        except sqlite3.Error as error:
            raise StoreError(f"cannot configure the store: {error}") from error

    def execute(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """Run one statement (autocommit)."""
        try:
            return _rows(self._db.execute(sql, tuple(params)))
        except sqlite3.Error as error:
            raise StoreError(f"store query failed: {error}") from error

    def execute_batch(self, statements: Sequence[Statement]) -> list[list[Row]]:
        """Run statements in one ``BEGIN IMMEDIATE`` transaction."""
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as error:
            raise StoreError(f"cannot start a store transaction: {error}") from error
        try:
            results = [_rows(db.execute(sql, tuple(params))) for sql, params in statements]
            db.execute("COMMIT")
        except BaseException as error:
            db.execute("ROLLBACK")
            if isinstance(error, sqlite3.Error):
                raise StoreError(f"store write failed, nothing written: {error}") from error
            raise
        if self._checkpointer is not None:
            self._checkpointer.written(1)
        return results

    def close(self) -> None:
        """Stop the checkpoint thread, then close the underlying store (SQLite checkpoints the
        WAL as the last connection closes)."""
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self.store.close()


def _rows(cursor: sqlite3.Cursor) -> list[Row]:
    if cursor.description is None:
        return []
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One error to file: everything the store writes for it."""

    tenant: str
    pattern_hash: str
    exception_type: str
    message: str
    title: str
    frames: tuple[str, ...]
    embedding_text: str
    locations: tuple[tuple[str, str], ...]
    release: str
    environment: str
    seen_at: datetime
    #: The scrubbed event as JSON text, or a function giving it: the store calls it only for
    #: the occurrences whose event it keeps (the newest few of each pattern in a batch).
    event_json: str | Callable[[], str]
    #: The sender's id of the event (a Sentry ``event_id``): an occurrence whose id the tenant
    #: has stored already is a re-sent event and is not filed again. None: always filed.
    event_id: str | None = None

    def event_text(self) -> str:
        """The scrubbed event as JSON text."""
        return self.event_json if isinstance(self.event_json, str) else self.event_json()


@dataclass(frozen=True, slots=True)
class Filing:
    """One occurrence to file under a pattern, and how it was matched."""

    occurrence: Occurrence
    pattern_id: str
    create: bool
    matched_by: str
    similarity: float | None = None
    embedding: Sequence[float] | None = None
    #: The pattern is whatever the occurrence's hash resolves to inside the transaction (a hash
    #: filed earlier in the same batch); nothing is created or filed.
    by_hash: bool = False
    #: For a similarity match to a pattern proposed earlier in the same batch: that pattern's
    #: hash. The alias is filed under whatever it resolves to inside the transaction (the
    #: proposed pattern, or the one another writer filed that hash under first).
    target_hash: str | None = None


@dataclass(frozen=True, slots=True)
class StoredEmbedding:
    """A pattern's embedding as stored (for index rebuilds)."""

    sequence: int
    pattern_id: str
    embedding: list[float] | None
    embedding_text: str


@dataclass(frozen=True, slots=True)
class SharedSignature:
    """An anonymised signature a sharing tenant contributes to the pool."""

    shared_hash: str
    exception_type: str
    message: str
    functions: tuple[str, ...]


class PatternStore(Protocol):
    """What the pattern service needs from a relational store."""

    def ensure_tenant(self, tenant: str, kind: str = "project", name: str = "") -> None:
        """Create the tenant if unknown."""
        ...

    def resolve_hash(self, tenant: str, pattern_hash: str) -> str | None:
        """The id of the pattern a hash is filed under, or None."""
        ...

    def record(
        self,
        occurrence: Occurrence,
        pattern_id: str,
        *,
        create: bool,
        matched_by: str,
        similarity: float | None,
        embedding: Sequence[float] | None,
    ) -> Pattern:
        """File one occurrence under ``pattern_id`` atomically; returns the updated pattern."""
        ...

    def record_many(
        self, filings: Sequence[Filing], duplicates: set[int] | None = None
    ) -> list[Pattern]:
        """File several occurrences in one atomic batch; patterns in order. Occurrences whose
        event id the tenant has stored are not filed; their positions go to ``duplicates``."""
        ...

    def get(self, tenant: str, pattern_id: str) -> Pattern | None:
        """A pattern with its locations, releases, environments and tests."""
        ...

    def get_many(self, tenant: str, pattern_ids: Sequence[str]) -> dict[str, Pattern]:
        """Patterns by id (unknown ids left out)."""
        ...

    def list_patterns(self, tenant: str, limit: int, offset: int) -> list[Pattern]:
        """Most frequent first."""
        ...

    def embeddings_since(self, tenant: str, sequence: int) -> list[StoredEmbedding]:
        """Embeddings of the tenant's patterns created after ``sequence``, in order."""
        ...

    def stats(self, tenant: str) -> dict[str, Any]:
        """JSON-ready figures."""
        ...

    def record_test(
        self,
        pattern_id: str,
        test_id: str,
        *,
        framework: str = "",
        success_rate: float = 0.0,
        reuse_count: int = 0,
        code: str | None = None,
        created: datetime | None = None,
    ) -> None:
        """Insert or update a generated test of a pattern."""
        ...

    def tests_for(self, pattern_id: str) -> list[PatternTest]:
        """A pattern's tests, best success rate first."""
        ...

    def register_tenant(self, tenant: str, kind: str, name: str = "") -> None:
        """Create the tenant or set its kind and name."""
        ...

    def sharing(self, tenant: str) -> bool:
        """Whether the tenant opted in to the shared pool."""
        ...

    def set_sharing(self, tenant: str, share: bool) -> None:
        """Opt the tenant in or out; opting out withdraws its contributions."""
        ...

    def contribute(self, tenant: str, signature: SharedSignature, embedding: str | None) -> int:
        """Add the tenant to a shared pattern's contributors; returns the tenant count."""
        ...

    def shared_patterns(self, hashes: Sequence[str]) -> list[Row]:
        """Shared pool rows by hash, with ``tenant_count`` and ``tenants``."""
        ...

    def shared_embeddings(self) -> list[tuple[str, list[float] | None]]:
        """``(shared hash, embedding)`` of every shared pattern."""
        ...

    def store_embedding(self, pattern_id: str, embedding: Sequence[float]) -> None:
        """Replace a pattern's stored embedding."""
        ...

    def shared_signatures_of(self, tenant: str) -> list[Row]:
        """Exception type, masked message and frames of every pattern of the tenant."""
        ...

    def location_counts(self, tenant: str) -> list[tuple[str, str, int]]:
        """``(path, function, occurrences)`` summed over the tenant's patterns."""
        ...

    def export_patterns(self, tenant: str) -> Iterator[Row]:
        """Every pattern of the tenant as a JSON-ready row."""
        ...

    def import_pattern(self, tenant: str, row: Mapping[str, Any]) -> bool | None:
        """Merge one exported pattern row; True when it was new to the tenant, None when this
        very row was imported before (nothing changes)."""
        ...


def pattern_id_for(tenant: str, pattern_hash: str) -> str:
    """The id a pattern created by ``pattern_hash`` gets: the same in every process."""
    digest = hashlib.sha256(f"{tenant}\0{pattern_hash}".encode()).hexdigest()
    return f"pat_{digest[:20]}"


def encode_embedding(vector: Sequence[float] | None) -> str | None:
    """Base64 of little-endian float32 values (text, so it travels through D1's JSON)."""
    if vector is None:
        return None
    # struct, not numpy: importing numpy would cost every `argus review` a tenth of a second.
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def decode_embedding(text: str | None) -> list[float] | None:
    """The inverse of :func:`encode_embedding`; None for None or damaged text."""
    if not text:
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        return None
    if len(raw) % 4:
        return None
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))


def format_time(moment: datetime) -> str:
    """ISO 8601 UTC with microseconds and ``Z``: sorts as text."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    elif moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_time(text: str) -> datetime:
    """The inverse of :func:`format_time` (any ISO 8601 accepted)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


_PATTERN_COLUMNS = (
    "seq, id, tenant, pattern_hash, exception_type, message, title, frames, occurrences, "
    "first_seen, last_seen"
)
_REF_BY_HASH = "(SELECT pattern_id FROM pattern_hashes WHERE tenant = ? AND pattern_hash = ?)"


class SqlPatternStore:
    """:class:`PatternStore` in portable SQL over a :class:`SqlExecutor`."""

    def __init__(
        self,
        executor: SqlExecutor,
        *,
        events_kept: int = EVENTS_KEPT,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.executor = executor
        self.events_kept = events_kept
        self.clock = clock
        self._tenants: set[str] = set()
        self._batches = 0
        self._claimed = 0  # event ids claimed since the last sweep
        self._sweep_after: tuple[str, str] = ("", "")  # where the next sweep of seen_events starts

    # -- tenants ---------------------------------------------------------------------------

    def ensure_tenant(self, tenant: str, kind: str = "project", name: str = "") -> None:
        """Create the tenant if unknown (cached per process)."""
        if tenant in self._tenants:
            return
        if kind not in TENANT_KINDS:
            raise StoreError(f"unknown tenant kind {kind!r}: use one of {', '.join(TENANT_KINDS)}")
        self.executor.execute(
            "INSERT INTO tenants (id, kind, name, share_opt_in, created_at) "
            "VALUES (?, ?, ?, 0, ?) ON CONFLICT(id) DO NOTHING",
            (tenant, kind, name or tenant, format_time(datetime.now(UTC))),
        )
        self._tenants.add(tenant)

    def register_tenant(self, tenant: str, kind: str, name: str = "") -> None:
        """Create the tenant or set its kind and name."""
        if kind not in TENANT_KINDS:
            raise StoreError(f"unknown tenant kind {kind!r}: use one of {', '.join(TENANT_KINDS)}")
        self.executor.execute(
            "INSERT INTO tenants (id, kind, name, share_opt_in, created_at) "
            "VALUES (?, ?, ?, 0, ?) ON CONFLICT(id) DO UPDATE SET kind = excluded.kind, "
            "name = excluded.name",
            (tenant, kind, name or tenant, format_time(datetime.now(UTC))),
        )
        self._tenants.add(tenant)

    def tenant(self, tenant: str) -> Row | None:
        """The tenant's row (id, kind, name, share_opt_in, created_at), or None."""
        rows = self.executor.execute(
            "SELECT id, kind, name, share_opt_in, created_at FROM tenants WHERE id = ?", (tenant,)
        )
        return rows[0] if rows else None

    def sharing(self, tenant: str) -> bool:
        """Whether the tenant opted in to the shared pool."""
        rows = self.executor.execute("SELECT share_opt_in FROM tenants WHERE id = ?", (tenant,))
        return bool(rows and rows[0]["share_opt_in"])

    def set_sharing(self, tenant: str, share: bool) -> None:
        """Opt in or out; opting out withdraws the tenant from every shared pattern."""
        self.ensure_tenant(tenant)
        statements: list[Statement] = [
            ("UPDATE tenants SET share_opt_in = ? WHERE id = ?", (1 if share else 0, tenant))
        ]
        if not share:
            statements += [
                ("DELETE FROM shared_pattern_tenants WHERE tenant = ?", (tenant,)),
                (
                    "UPDATE shared_patterns SET tenant_count = (SELECT count(*) FROM "
                    "shared_pattern_tenants t WHERE t.pattern_hash = shared_patterns.pattern_hash)",
                    (),
                ),
                ("DELETE FROM shared_patterns WHERE tenant_count = 0", ()),
            ]
        self.executor.execute_batch(statements)

    # -- ingestion -------------------------------------------------------------------------

    def resolve_hash(self, tenant: str, pattern_hash: str) -> str | None:
        """The id of the pattern a hash is filed under, or None."""
        rows = self.executor.execute(
            "SELECT pattern_id FROM pattern_hashes WHERE tenant = ? AND pattern_hash = ?",
            (tenant, pattern_hash),
        )
        return str(rows[0]["pattern_id"]) if rows else None

    def record(
        self,
        occurrence: Occurrence,
        pattern_id: str,
        *,
        create: bool,
        matched_by: str,
        similarity: float | None,
        embedding: Sequence[float] | None,
    ) -> Pattern:
        """File one occurrence in one atomic batch; returns the pattern as it now stands.

        ``create`` inserts the pattern (unless the hash got filed meanwhile); otherwise the hash
        is filed under ``pattern_id`` unless it already is under some pattern. Either way the
        counts go to whatever pattern the hash resolves to inside the transaction.
        """
        filing = Filing(occurrence, pattern_id, create, matched_by, similarity, embedding)
        return self.record_many([filing])[0]

    def record_many(
        self, filings: Sequence[Filing], duplicates: set[int] | None = None
    ) -> list[Pattern]:
        """File several occurrences in one atomic batch (group commit); patterns in order.

        Occurrences of already filed patterns are added up per pattern and written with a few
        multi-row statements for the whole batch (an error storm, or a batch of many patterns,
        costs a handful of statements, not a few per occurrence); each of them then reports
        its pattern as it stands after the batch. The others (new hashes) are filed one by one,
        in order, after them.

        An occurrence with an ``event_id`` the tenant has stored already (or that an earlier
        occurrence of the batch has) is a re-sent event: it is not filed, it reports the
        pattern its first copy went to, and its position is added to ``duplicates``. Each id
        is claimed by a plain ``INSERT`` in the batch's own transaction, so the id and the
        occurrence commit together: when another writer has committed the id first, the
        unique key fails the batch, nothing is written, and the batch is filed again without
        the ids found stored.
        """
        found: dict[int, tuple[str, str]] = {}  # position -> (tenant, hash of the first copy)
        first: dict[tuple[str, str], int] = {}
        for position, filing in enumerate(filings):
            o = filing.occurrence
            if o.event_id is None:
                continue
            earlier = first.setdefault((o.tenant, o.event_id), position)
            if earlier != position:
                found[position] = (o.tenant, filings[earlier].occurrence.pattern_hash)
        for _ in range(len(filings) + 1):
            try:
                patterns = self._record_fresh(filings, found)
                break
            except StoreError as error:
                stored = self._stored_ids(filings, found, error)
                if not stored:
                    raise
                fresh = [p for p in range(len(filings)) if p not in found]
                with_id = sum(filings[p].occurrence.event_id is not None for p in fresh)
                if (
                    "seen_events" not in str(error)  # not the unique key: perhaps no conflict
                    and len(stored) == with_id
                    and len(fresh) > with_id
                ):
                    # Every id of the batch is stored: perhaps by this very batch, whose commit
                    # was lost with its connection. Its events without an id may be stored too:
                    # filing them again could count them twice, so nothing is acknowledged.
                    raise
                found.update(stored)
        else:  # pragma: no cover - each round finds at least one more id stored
            raise StoreError("filing kept failing on event ids that are stored")
        if duplicates is not None:
            duplicates.update(found)
        return patterns

    def _stored_ids(
        self, filings: Sequence[Filing], found: Mapping[int, tuple[str, str]], error: StoreError
    ) -> dict[int, tuple[str, str]]:
        """After a failed batch: the positions whose event id the tenant has stored (by another
        writer), with the hash their first copy was filed under; the failure re-raised when
        the store cannot tell."""
        wanted: dict[tuple[str, str], list[int]] = {}
        for position, filing in enumerate(filings):
            o = filing.occurrence
            if o.event_id is not None and position not in found:
                wanted.setdefault((o.tenant, o.event_id), []).append(position)
        stored: dict[int, tuple[str, str]] = {}
        for chunk in _chunks(list(wanted), MAX_PARAMS // 2):
            try:
                rows = self.executor.execute(
                    "SELECT tenant, event_id, pattern_hash FROM seen_events "
                    f"WHERE (tenant, event_id) IN (VALUES {_marks(len(chunk), 2)})",
                    _flat(chunk),
                )
            except StoreError:
                raise error from None
            for row in rows:
                for position in wanted.get((row["tenant"], row["event_id"]), ()):
                    stored[position] = (str(row["tenant"]), str(row["pattern_hash"]))
        return stored

    def _record_fresh(
        self, filings: Sequence[Filing], duplicates: Mapping[int, tuple[str, str]]
    ) -> list[Pattern]:
        """File the occurrences not in ``duplicates``, claiming their event ids; the patterns
        of all, a duplicate's being the one its first copy's hash resolves to."""
        fresh = [f for position, f in enumerate(filings) if position not in duplicates]
        patterns = self._record_batch(fresh) if fresh else []
        if not duplicates:
            return patterns
        resolved: dict[tuple[str, str], Pattern] = {}
        for tenant, pattern_hash in set(duplicates.values()):
            rows = self.executor.execute(
                f"SELECT {_PATTERN_COLUMNS} FROM patterns WHERE id = "
                "(SELECT pattern_id FROM pattern_hashes WHERE tenant = ? AND pattern_hash = ?)",
                (tenant, pattern_hash),
            )
            if not rows:
                raise StoreError(f"the pattern for {pattern_hash} vanished while filing it")
            resolved[(tenant, pattern_hash)] = self._pattern(rows[0])
        filed = iter(patterns)
        return [
            resolved[duplicates[position]] if position in duplicates else next(filed)
            for position in range(len(filings))
        ]

    def _sweep_statement(self) -> Statement:
        """Forget event ids older than ``SEEN_EVENTS_DAYS`` in the next window of
        ``seen_events`` in key order, twice as many rows as were claimed since the last sweep,
        so the sweep outruns the inserts and comes round the whole table. Walking the primary
        key needs no index on the receipt time, which every insert would pay for."""
        cutoff = format_time(self.clock() - timedelta(days=SEEN_EVENTS_DAYS))
        window = max(SWEEP_MIN_WINDOW, 2 * self._claimed)
        self._claimed = 0
        start = self._sweep_after
        rows = self.executor.execute(
            "SELECT tenant, event_id FROM seen_events WHERE (tenant, event_id) > (?, ?) "
            "ORDER BY tenant, event_id LIMIT 1 OFFSET ?",
            (*start, window - 1),
        )
        if not rows:  # the window reaches the end of the table: the next sweep starts over
            self._sweep_after = ("", "")
            return (
                "DELETE FROM seen_events WHERE (tenant, event_id) > (?, ?) AND received_at < ?",
                (*start, cutoff),
            )
        end = (str(rows[0]["tenant"]), str(rows[0]["event_id"]))
        self._sweep_after = end
        return (
            "DELETE FROM seen_events WHERE (tenant, event_id) > (?, ?) "
            "AND (tenant, event_id) <= (?, ?) AND received_at < ?",
            (*start, *end, cutoff),
        )

    def _record_batch(self, filings: Sequence[Filing]) -> list[Pattern]:
        """File the occurrences (none a duplicate) and claim their ids in one transaction."""
        statements: list[Statement] = []
        received = format_time(self.clock())
        claims = [
            (f.occurrence.tenant, f.occurrence.event_id, f.occurrence.pattern_hash, received)
            for f in filings
            if f.occurrence.event_id is not None
        ]
        for chunk in _chunks(claims, 4):
            statements.append(
                (
                    "INSERT INTO seen_events (tenant, event_id, pattern_hash, received_at) "
                    f"VALUES {_marks(len(chunk), 4)}",
                    _flat(chunk),
                )
            )
        self._batches += 1
        self._claimed += len(claims)
        if self._batches % PRUNE_EVERY == 0:
            statements.append(self._sweep_statement())
        known: dict[str, list[Occurrence]] = {}
        for filing in filings:
            if filing.matched_by == "hash" and not filing.by_hash:
                known.setdefault(filing.pattern_id, []).append(filing.occurrence)
        if len(known) == 1 and sum(len(group) for group in known.values()) == 1:
            known = {}  # one occurrence: the plain single-row statements are cheaper
        updates = self._known_statements(known, statements) if known else []
        returning: dict[int, int] = {}
        for position, filing in enumerate(filings):
            if filing.pattern_id not in known or filing.by_hash or filing.matched_by != "hash":
                returning[position] = self._filing_statements(filing, statements)
        results = self.executor.execute_batch(statements)
        updated: dict[str, Pattern] = {}
        for position in updates:
            for row in results[position]:
                updated[str(row["id"])] = self._pattern(row)
        patterns = []
        for position, filing in enumerate(filings):
            at = returning.get(position)
            if at is None:
                pattern = updated.get(filing.pattern_id)
            else:
                rows = results[at]
                pattern = self._pattern(rows[0]) if rows else None
            if pattern is None:
                raise StoreError(
                    f"the pattern for {filing.occurrence.pattern_hash} vanished while filing it"
                )
            patterns.append(pattern)
        return patterns

    def _known_statements(
        self, known: Mapping[str, Sequence[Occurrence]], statements: list[Statement]
    ) -> list[int]:
        """Append the multi-row statements adding up occurrences of filed patterns; returns the
        positions of the ``UPDATE ... RETURNING`` statements (one per chunk of patterns)."""
        counters: list[tuple[object, ...]] = []
        occurrence_rows: dict[tuple[str, str, str], list[Any]] = {}
        location_rows: dict[tuple[str, str, str], list[Any]] = {}
        event_rows: list[tuple[object, ...]] = []
        for pattern_id, occurrences in known.items():
            seen = [format_time(occurrence.seen_at) for occurrence in occurrences]
            counters.append((pattern_id, len(occurrences), max(seen), min(seen)))
            for occurrence, moment in zip(occurrences, seen, strict=True):
                key = (pattern_id, occurrence.release, occurrence.environment)
                row = occurrence_rows.get(key)
                if row is None:
                    occurrence_rows[key] = [*key, 1, moment, moment]
                else:
                    row[3] += 1
                    row[4] = min(row[4], moment)
                    row[5] = max(row[5], moment)
                for path, function in dict.fromkeys(occurrence.locations):
                    place = (pattern_id, path, function)
                    counted = location_rows.get(place)
                    if counted is None:
                        location_rows[place] = [pattern_id, occurrence.tenant, path, function, 1]
                    else:
                        counted[4] += 1
            kept = min(len(occurrences), self.events_kept)
            # The newest occurrence is number ``occurrences`` (after the update), the one
            # before it ``occurrences - 1``, and so on.
            for back in range(kept):
                occurrence = occurrences[len(occurrences) - 1 - back]
                event_rows.append(
                    (pattern_id, back, seen[len(occurrences) - 1 - back], occurrence.event_text())
                )
        updates: list[int] = []
        for chunk in _chunks(counters, 4):
            updates.append(len(statements))
            statements.append(
                (
                    "UPDATE patterns SET occurrences = occurrences + v.column2, "
                    "last_seen = max(last_seen, v.column3), first_seen = min(first_seen, "
                    f"v.column4) FROM (VALUES {_marks(len(chunk), 4)}) AS v "
                    f"WHERE patterns.id = v.column1 RETURNING {_PATTERN_COLUMNS}",
                    _flat(chunk),
                )
            )
        for chunk in _chunks(list(occurrence_rows.values()), 6):
            statements.append(
                (
                    "INSERT INTO pattern_occurrences (pattern_id, release, environment, count, "
                    f"first_seen, last_seen) VALUES {_marks(len(chunk), 6)} "
                    "ON CONFLICT (pattern_id, release, environment) DO UPDATE SET "
                    "count = pattern_occurrences.count + excluded.count, "
                    "last_seen = max(pattern_occurrences.last_seen, excluded.last_seen), "
                    "first_seen = min(pattern_occurrences.first_seen, excluded.first_seen)",
                    _flat(chunk),
                )
            )
        for chunk in _chunks(list(location_rows.values()), 5):
            statements.append(
                (
                    "INSERT INTO pattern_locations (pattern_id, tenant, path, function, count) "
                    f"VALUES {_marks(len(chunk), 5)} ON CONFLICT (pattern_id, path, function) "
                    "DO UPDATE SET count = pattern_locations.count + excluded.count",
                    _flat(chunk),
                )
            )
        ring = int(self.events_kept)
        for chunk in _chunks(event_rows, 4):
            statements.append(
                (
                    "INSERT INTO pattern_events (pattern_id, slot, occurrence, seen_at, event) "
                    f"SELECT p.id, (p.occurrences - v.column2) % {ring}, "
                    "p.occurrences - v.column2, v.column3, v.column4 "
                    f"FROM (VALUES {_marks(len(chunk), 4)}) AS v "
                    "JOIN patterns p ON p.id = v.column1 WHERE true "
                    "ON CONFLICT (pattern_id, slot) DO UPDATE SET "
                    "occurrence = excluded.occurrence, seen_at = excluded.seen_at, "
                    "event = excluded.event",
                    _flat(chunk),
                )
            )
        return updates

    def _filing_statements(self, filing: Filing, statements: list[Statement]) -> int:
        """Append one occurrence's statements; returns the position of the RETURNING one."""
        o = filing.occurrence
        seen = format_time(o.seen_at)
        key = (o.tenant, o.pattern_hash)
        embedding = filing.embedding
        if filing.create:
            statements.append(
                (
                    "INSERT INTO patterns (id, tenant, pattern_hash, exception_type, message, "
                    "title, frames, occurrences, first_seen, last_seen) "
                    "SELECT ?, ?, ?, ?, ?, ?, ?, 0, ?, ? WHERE NOT EXISTS "
                    "(SELECT 1 FROM pattern_hashes WHERE tenant = ? AND pattern_hash = ?) "
                    "ON CONFLICT DO NOTHING",
                    (
                        filing.pattern_id,
                        o.tenant,
                        o.pattern_hash,
                        o.exception_type,
                        o.message,
                        o.title,
                        json.dumps(list(o.frames)),
                        seen,
                        seen,
                        *key,
                    ),
                )
            )
            statements.append(_embedding_statement(filing.pattern_id, o.embedding_text, embedding))
        if filing.target_hash is not None and not filing.by_hash:
            statements.append(
                (
                    "INSERT INTO pattern_hashes (tenant, pattern_hash, pattern_id, matched_by, "
                    f"similarity, created_at) VALUES (?, ?, {_REF_BY_HASH}, ?, ?, ?) "
                    "ON CONFLICT DO NOTHING",
                    (
                        *key,
                        o.tenant,
                        filing.target_hash,
                        filing.matched_by,
                        filing.similarity,
                        seen,
                    ),
                )
            )
        elif (filing.create or filing.matched_by == "similarity") and not filing.by_hash:
            statements.append(
                (
                    "INSERT INTO pattern_hashes (tenant, pattern_hash, pattern_id, matched_by, "
                    "similarity, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (*key, filing.pattern_id, filing.matched_by, filing.similarity, seen),
                )
            )
        # A hash already filed resolves to a fixed id (filings are never moved); otherwise the
        # id is whatever the hash resolves to inside this transaction.
        ref_params: tuple[str, ...]
        if filing.matched_by == "hash" and not filing.by_hash:
            ref, ref_params = "?", (filing.pattern_id,)
        else:
            ref, ref_params = _REF_BY_HASH, key
        returning = len(statements)
        statements.append(
            (
                "UPDATE patterns SET occurrences = occurrences + 1, "
                "last_seen = max(last_seen, ?), first_seen = min(first_seen, ?) "
                f"WHERE id = {ref} RETURNING {_PATTERN_COLUMNS}",
                (seen, seen, *ref_params),
            )
        )
        statements.append(
            (
                "INSERT INTO pattern_occurrences (pattern_id, release, environment, count, "
                f"first_seen, last_seen) VALUES ({ref}, ?, ?, 1, ?, ?) "
                "ON CONFLICT (pattern_id, release, environment) DO UPDATE SET "
                "count = pattern_occurrences.count + 1, "
                "last_seen = max(pattern_occurrences.last_seen, excluded.last_seen), "
                "first_seen = min(pattern_occurrences.first_seen, excluded.first_seen)",
                (*ref_params, o.release, o.environment, seen, seen),
            )
        )
        locations = list(dict.fromkeys(o.locations))
        if locations:
            values = ", ".join(f"({ref}, ?, ?, ?, 1)" for _ in locations)
            statements.append(
                (
                    "INSERT INTO pattern_locations (pattern_id, tenant, path, function, count) "
                    f"VALUES {values} "
                    "ON CONFLICT (pattern_id, path, function) DO UPDATE SET "
                    "count = pattern_locations.count + 1",
                    tuple(
                        part
                        for path, function in locations
                        for part in (*ref_params, o.tenant, path, function)
                    ),
                )
            )
        if self.events_kept > 0:
            statements.append(
                (
                    "INSERT INTO pattern_events (pattern_id, slot, occurrence, seen_at, event) "
                    "SELECT id, occurrences % ?, occurrences, ?, ? FROM patterns "
                    f"WHERE id = {ref} "
                    "ON CONFLICT (pattern_id, slot) DO UPDATE SET "
                    "occurrence = excluded.occurrence, seen_at = excluded.seen_at, "
                    "event = excluded.event",
                    (self.events_kept, seen, o.event_text(), *ref_params),
                )
            )
        return returning

    # -- reading ---------------------------------------------------------------------------

    def get(self, tenant: str, pattern_id: str) -> Pattern | None:
        """A pattern with its locations, releases, environments, tests and aliases."""
        return self.get_many(tenant, [pattern_id]).get(pattern_id)

    def get_many(self, tenant: str, pattern_ids: Sequence[str]) -> dict[str, Pattern]:
        """Patterns by id, with details (unknown ids and other tenants' ids left out)."""
        ids = list(dict.fromkeys(pattern_ids))
        if not ids:
            return {}
        marks = ", ".join("?" for _ in ids)
        rows = self.executor.execute(
            f"SELECT {_PATTERN_COLUMNS} FROM patterns WHERE tenant = ? AND id IN ({marks})",
            (tenant, *ids),
        )
        return {pattern.id: pattern for pattern in self._detailed(rows)}

    def list_patterns(self, tenant: str, limit: int, offset: int) -> list[Pattern]:
        """Most frequent first, then most recently seen."""
        rows = self.executor.execute(
            f"SELECT {_PATTERN_COLUMNS} FROM patterns WHERE tenant = ? "
            "ORDER BY occurrences DESC, last_seen DESC, seq LIMIT ? OFFSET ?",
            (tenant, max(0, limit), max(0, offset)),
        )
        return self._detailed(rows)

    def events_of(self, pattern_id: str) -> list[Row]:
        """The kept scrubbed events of a pattern, newest first (``seen_at``, ``event``)."""
        rows = self.executor.execute(
            "SELECT seen_at, event FROM pattern_events WHERE pattern_id = ? "
            "ORDER BY occurrence DESC",
            (pattern_id,),
        )
        return [{"seen_at": row["seen_at"], "event": json.loads(row["event"])} for row in rows]

    def embeddings_since(self, tenant: str, sequence: int) -> list[StoredEmbedding]:
        """Embeddings of the tenant's patterns created after ``sequence``, in order."""
        rows = self.executor.execute(
            "SELECT p.seq, p.id, e.embedding, coalesce(e.embedding_text, p.title) AS "
            "embedding_text FROM patterns p LEFT JOIN pattern_embeddings e "
            "ON e.pattern_id = p.id WHERE p.tenant = ? AND p.seq > ? ORDER BY p.seq",
            (tenant, sequence),
        )
        return [
            StoredEmbedding(
                int(row["seq"]),
                str(row["id"]),
                decode_embedding(row["embedding"]),
                str(row["embedding_text"]),
            )
            for row in rows
        ]

    def store_embedding(self, pattern_id: str, embedding: Sequence[float]) -> None:
        """Replace a pattern's stored embedding (after re-embedding with another embedder)."""
        self.executor.execute(
            "UPDATE pattern_embeddings SET embedding = ?, dimensions = ? WHERE pattern_id = ?",
            (encode_embedding(embedding), len(embedding), pattern_id),
        )

    def stats(self, tenant: str) -> dict[str, Any]:
        """Pattern and occurrence totals, first/last seen, per environment and release."""
        execute = self.executor.execute
        totals = execute(
            "SELECT count(*) AS patterns, coalesce(sum(occurrences), 0) AS occurrences, "
            "min(first_seen) AS first_seen, max(last_seen) AS last_seen "
            "FROM patterns WHERE tenant = ?",
            (tenant,),
        )[0]
        aliases = execute(
            "SELECT count(*) AS n FROM pattern_hashes WHERE tenant = ? AND matched_by = ?",
            (tenant, "similarity"),
        )[0]["n"]
        by_environment = execute(
            "SELECT o.environment AS name, sum(o.count) AS n FROM pattern_occurrences o "
            "JOIN patterns p ON p.id = o.pattern_id WHERE p.tenant = ? "
            "GROUP BY o.environment ORDER BY n DESC, name",
            (tenant,),
        )
        by_release = execute(
            "SELECT o.release AS name, sum(o.count) AS n FROM pattern_occurrences o "
            "JOIN patterns p ON p.id = o.pattern_id WHERE p.tenant = ? "
            "GROUP BY o.release ORDER BY n DESC, name LIMIT 20",
            (tenant,),
        )
        tests = execute(
            "SELECT count(*) AS n FROM pattern_tests t JOIN patterns p ON p.id = t.pattern_id "
            "WHERE p.tenant = ?",
            (tenant,),
        )[0]["n"]
        return {
            "tenant": tenant,
            "patterns": int(totals["patterns"]),
            "occurrences": int(totals["occurrences"]),
            "similarity_aliases": int(aliases),
            "tests": int(tests),
            "first_seen": totals["first_seen"],
            "last_seen": totals["last_seen"],
            "environments": {row["name"] or "(none)": int(row["n"]) for row in by_environment},
            "releases": {row["name"] or "(none)": int(row["n"]) for row in by_release},
            "sharing": self.sharing(tenant),
        }

    # -- tests -----------------------------------------------------------------------------

    def record_test(
        self,
        pattern_id: str,
        test_id: str,
        *,
        framework: str = "",
        success_rate: float = 0.0,
        reuse_count: int = 0,
        code: str | None = None,
        created: datetime | None = None,
    ) -> None:
        """Insert or update a generated test of a pattern."""
        if not 0.0 <= success_rate <= 1.0:
            raise StoreError(f"success_rate must be within 0..1, not {success_rate}")
        self.executor.execute(
            "INSERT INTO pattern_tests (pattern_id, test_id, framework, success_rate, "
            "reuse_count, code, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (pattern_id, test_id) DO UPDATE SET framework = excluded.framework, "
            "success_rate = excluded.success_rate, reuse_count = excluded.reuse_count, "
            "code = coalesce(excluded.code, pattern_tests.code)",
            (
                pattern_id,
                test_id,
                framework,
                success_rate,
                reuse_count,
                code,
                format_time(created or datetime.now(UTC)),
            ),
        )

    def tests_for(self, pattern_id: str) -> list[PatternTest]:
        """A pattern's tests, best success rate first."""
        rows = self.executor.execute(
            "SELECT pattern_id, test_id, framework, success_rate, reuse_count, code, created_at "
            "FROM pattern_tests WHERE pattern_id = ? "
            "ORDER BY success_rate DESC, reuse_count DESC, test_id",
            (pattern_id,),
        )
        return [_test(row) for row in rows]

    # -- shared pool -----------------------------------------------------------------------

    def contribute(self, tenant: str, signature: SharedSignature, embedding: str | None) -> int:
        """Add the tenant to the shared pattern's contributors; returns the tenant count."""
        now = format_time(datetime.now(UTC))
        shared = signature.shared_hash
        results = self.executor.execute_batch(
            [
                (
                    "INSERT INTO shared_patterns (pattern_hash, exception_type, message, "
                    "functions, embedding, tenant_count, first_seen, last_seen) "
                    "VALUES (?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT (pattern_hash) DO UPDATE SET "
                    "last_seen = excluded.last_seen, "
                    "embedding = coalesce(shared_patterns.embedding, excluded.embedding)",
                    (
                        shared,
                        signature.exception_type,
                        signature.message,
                        json.dumps(list(signature.functions)),
                        embedding,
                        now,
                        now,
                    ),
                ),
                (
                    "INSERT INTO shared_pattern_tenants (pattern_hash, tenant) VALUES (?, ?) "
                    "ON CONFLICT DO NOTHING",
                    (shared, tenant),
                ),
                (
                    "UPDATE shared_patterns SET tenant_count = (SELECT count(*) FROM "
                    "shared_pattern_tenants WHERE pattern_hash = ?) WHERE pattern_hash = ?",
                    (shared, shared),
                ),
                ("SELECT tenant_count FROM shared_patterns WHERE pattern_hash = ?", (shared,)),
            ]
        )
        return int(results[-1][0]["tenant_count"])

    def shared_patterns(self, hashes: Sequence[str]) -> list[Row]:
        """Shared pool rows by hash, each with ``tenants`` (the contributing tenant ids)."""
        if not hashes:
            return []
        marks = ", ".join("?" for _ in hashes)
        rows = self.executor.execute(
            "SELECT pattern_hash, exception_type, message, functions, tenant_count, first_seen, "
            f"last_seen FROM shared_patterns WHERE pattern_hash IN ({marks})",
            tuple(hashes),
        )
        members = self.executor.execute(
            "SELECT pattern_hash, tenant FROM shared_pattern_tenants "
            f"WHERE pattern_hash IN ({marks})",
            tuple(hashes),
        )
        tenants: dict[str, list[str]] = {}
        for member in members:
            tenants.setdefault(str(member["pattern_hash"]), []).append(str(member["tenant"]))
        for row in rows:
            row["tenants"] = sorted(tenants.get(str(row["pattern_hash"]), []))
        return rows

    def shared_embeddings(self) -> list[tuple[str, list[float] | None]]:
        """``(shared hash, embedding)`` of every shared pattern."""
        rows = self.executor.execute("SELECT pattern_hash, embedding FROM shared_patterns")
        return [(str(row["pattern_hash"]), decode_embedding(row["embedding"])) for row in rows]

    def shared_pool(self) -> list[Row]:
        """Every shared pool row (for audits and tests)."""
        return self.executor.execute(
            "SELECT pattern_hash, exception_type, message, functions, tenant_count "
            "FROM shared_patterns ORDER BY pattern_hash"
        )

    def shared_signatures_of(self, tenant: str) -> list[Row]:
        """Exception type, masked message, frames and embedding text of the tenant's patterns."""
        return self.executor.execute(
            "SELECT id, exception_type, message, frames FROM patterns WHERE tenant = ? "
            "ORDER BY seq",
            (tenant,),
        )

    # -- feedback to risk ------------------------------------------------------------------

    def location_counts(self, tenant: str) -> list[tuple[str, str, int]]:
        """``(path, function, occurrences)`` summed over the tenant's patterns."""
        rows = self.executor.execute(
            "SELECT l.path, l.function, sum(l.count) AS n FROM patterns p "
            "JOIN pattern_locations l ON l.pattern_id = p.id WHERE p.tenant = ? "
            "GROUP BY l.path, l.function",
            (tenant,),
        )
        return [(str(row["path"]), str(row["function"]), int(row["n"])) for row in rows]

    # -- export and import -----------------------------------------------------------------

    def export_patterns(self, tenant: str) -> Iterator[Row]:
        """Every pattern of the tenant as a JSON-ready row, oldest first, in pages."""
        last = 0
        while True:
            rows = self.executor.execute(
                "SELECT p.seq, p.id, p.tenant, p.pattern_hash, p.exception_type, p.message, "
                "p.title, p.frames, p.occurrences, p.first_seen, p.last_seen, "
                "e.embedding_text, e.embedding FROM patterns p LEFT JOIN pattern_embeddings e "
                "ON e.pattern_id = p.id WHERE p.tenant = ? AND p.seq > ? ORDER BY p.seq "
                "LIMIT 500",
                (tenant, last),
            )
            if not rows:
                return
            last = int(rows[-1]["seq"])
            details = {pattern.id: pattern for pattern in self._detailed(rows)}
            for row in rows:
                pattern = details[str(row["id"])]
                exported = pattern.to_dict()
                exported.pop("tenant")
                exported.pop("shared")
                occurrences = self.executor.execute(
                    "SELECT release, environment, count, first_seen, last_seen "
                    "FROM pattern_occurrences WHERE pattern_id = ? ORDER BY release, environment",
                    (pattern.id,),
                )
                exported["occurrence_counts"] = occurrences
                exported["tests"] = [
                    {**test, "code": full.code}
                    for test, full in zip(exported["tests"], pattern.tests, strict=True)
                ]
                exported["embedding_text"] = row["embedding_text"]
                exported["embedding"] = row["embedding"]
                yield exported

    def import_pattern(self, tenant: str, row: Mapping[str, Any]) -> bool | None:
        """Merge one exported row: a known hash adds its counts, an unknown one is created.

        Idempotent: a row imported before (the same JSON) is skipped, and None says so.
        """
        fingerprint = hashlib.sha256(
            json.dumps(dict(row), sort_keys=True, ensure_ascii=False, default=str).encode()
        ).hexdigest()
        self.ensure_tenant(tenant)
        known = self.executor.execute(
            "SELECT 1 AS known FROM pattern_imports WHERE tenant = ? AND fingerprint = ?",
            (tenant, fingerprint),
        )
        if known:
            return None
        try:
            pattern_hash = str(row["pattern_hash"])
            counts = list(row.get("occurrence_counts") or [])
            occurrences = int(row["occurrences"])
            first_seen = format_time(parse_time(str(row["first_seen"])))
            last_seen = format_time(parse_time(str(row["last_seen"])))
            aliases = [str(alias) for alias in row.get("aliases") or []]
            locations = [
                (str(item["path"]), str(item["function"]), int(item["count"]))
                for item in row.get("locations") or []
            ]
            tests = list(row.get("tests") or [])
            values = (
                str(row["exception_type"]),
                str(row["message"]),
                str(row.get("title") or row["exception_type"]),
                json.dumps([str(frame) for frame in row.get("frames") or []]),
                str(row.get("embedding_text") or ""),
                row.get("embedding"),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise StoreError(
                f"not an exported pattern row ({error!r}): {dict(row)!r:.200}"
            ) from error
        existing = self.resolve_hash(tenant, pattern_hash)
        pattern_id = existing or pattern_id_for(tenant, pattern_hash)
        embedding = decode_embedding(values[5]) if isinstance(values[5], str) else None
        statements: list[Statement] = []
        if existing is None:
            statements += [
                (
                    "INSERT INTO patterns (id, tenant, pattern_hash, exception_type, message, "
                    "title, frames, occurrences, first_seen, last_seen) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT DO NOTHING",
                    (pattern_id, tenant, pattern_hash, *values[:4], first_seen, last_seen),
                ),
                _embedding_statement(pattern_id, str(values[4]), embedding),
                (
                    "INSERT INTO pattern_hashes (tenant, pattern_hash, pattern_id, matched_by, "
                    "similarity, created_at) VALUES (?, ?, ?, 'new', NULL, ?) "
                    "ON CONFLICT DO NOTHING",
                    (tenant, pattern_hash, pattern_id, first_seen),
                ),
            ]
        statements.append(
            (
                "UPDATE patterns SET occurrences = occurrences + ?, "
                "first_seen = min(first_seen, ?), last_seen = max(last_seen, ?) WHERE id = ?",
                (occurrences, first_seen, last_seen, pattern_id),
            )
        )
        for alias in aliases:
            statements.append(
                (
                    "INSERT INTO pattern_hashes (tenant, pattern_hash, pattern_id, matched_by, "
                    "similarity, created_at) VALUES (?, ?, ?, 'similarity', NULL, ?) "
                    "ON CONFLICT DO NOTHING",
                    (tenant, alias, pattern_id, first_seen),
                )
            )
        for count in counts:
            statements.append(
                (
                    "INSERT INTO pattern_occurrences (pattern_id, release, environment, count, "
                    "first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (pattern_id, release, environment) DO UPDATE SET "
                    "count = pattern_occurrences.count + excluded.count, "
                    "first_seen = min(pattern_occurrences.first_seen, excluded.first_seen), "
                    "last_seen = max(pattern_occurrences.last_seen, excluded.last_seen)",
                    (
                        pattern_id,
                        str(count.get("release") or ""),
                        str(count.get("environment") or ""),
                        int(count.get("count") or 0),
                        str(count.get("first_seen") or first_seen),
                        str(count.get("last_seen") or last_seen),
                    ),
                )
            )
        for path, function, count_value in locations:
            statements.append(
                (
                    "INSERT INTO pattern_locations (pattern_id, tenant, path, function, count) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (pattern_id, path, function) "
                    "DO UPDATE SET count = pattern_locations.count + excluded.count",
                    (pattern_id, tenant, path, function, count_value),
                )
            )
        for test in tests:
            statements.append(
                (
                    "INSERT INTO pattern_tests (pattern_id, test_id, framework, success_rate, "
                    "reuse_count, code, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (pattern_id, test_id) DO NOTHING",
                    (
                        pattern_id,
                        str(test["test_id"]),
                        str(test.get("framework") or ""),
                        float(test.get("success_rate") or 0.0),
                        int(test.get("reuse_count") or 0),
                        test.get("code"),
                        str(test.get("created") or first_seen),
                    ),
                )
            )
        statements.append(
            (
                "INSERT INTO pattern_imports (tenant, fingerprint, imported_at) VALUES (?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (tenant, fingerprint, last_seen),
            )
        )
        self.executor.execute_batch(statements)
        return existing is None

    # -- helpers ---------------------------------------------------------------------------

    def _pattern(self, row: Row, **details: Any) -> Pattern:
        return Pattern(
            id=str(row["id"]),
            tenant=str(row["tenant"]),
            pattern_hash=str(row["pattern_hash"]),
            exception_type=str(row["exception_type"]),
            message=str(row["message"]),
            title=str(row["title"]),
            occurrences=int(row["occurrences"]),
            first_seen=parse_time(str(row["first_seen"])),
            last_seen=parse_time(str(row["last_seen"])),
            frames=_frames(row["frames"]),
            **details,
        )

    def _detailed(self, rows: Sequence[Row]) -> list[Pattern]:
        if not rows:
            return []
        ids = [str(row["id"]) for row in rows]
        marks = ", ".join("?" for _ in ids)
        execute = self.executor.execute
        locations: dict[str, list[Location]] = {}
        for item in execute(
            "SELECT pattern_id, path, function, count FROM pattern_locations "
            f"WHERE pattern_id IN ({marks}) ORDER BY count DESC, path, function",
            ids,
        ):
            locations.setdefault(str(item["pattern_id"]), []).append(
                Location(str(item["path"]), str(item["function"]), int(item["count"]))
            )
        releases: dict[str, dict[str, int]] = {}
        environments: dict[str, dict[str, int]] = {}
        for item in execute(
            "SELECT pattern_id, release, environment, count FROM pattern_occurrences "
            f"WHERE pattern_id IN ({marks})",
            ids,
        ):
            owner = str(item["pattern_id"])
            by_release = releases.setdefault(owner, {})
            by_release[str(item["release"])] = by_release.get(str(item["release"]), 0) + int(
                item["count"]
            )
            by_environment = environments.setdefault(owner, {})
            by_environment[str(item["environment"])] = by_environment.get(
                str(item["environment"]), 0
            ) + int(item["count"])
        tests: dict[str, list[PatternTest]] = {}
        for item in execute(
            "SELECT pattern_id, test_id, framework, success_rate, reuse_count, code, created_at "
            f"FROM pattern_tests WHERE pattern_id IN ({marks}) "
            "ORDER BY success_rate DESC, reuse_count DESC, test_id",
            ids,
        ):
            tests.setdefault(str(item["pattern_id"]), []).append(_test(item))
        aliases: dict[str, list[str]] = {}
        for item in execute(
            "SELECT pattern_id, pattern_hash FROM pattern_hashes "
            f"WHERE pattern_id IN ({marks}) AND matched_by = 'similarity' ORDER BY created_at",
            ids,
        ):
            aliases.setdefault(str(item["pattern_id"]), []).append(str(item["pattern_hash"]))
        return [
            self._pattern(
                row,
                locations=tuple(locations.get(str(row["id"]), ())),
                releases=_ranked(releases.get(str(row["id"]), {})),
                environments=_ranked(environments.get(str(row["id"]), {})),
                tests=tuple(tests.get(str(row["id"]), ())),
                aliases=tuple(aliases.get(str(row["id"]), ())),
            )
            for row in rows
        ]


def _embedding_statement(
    pattern_id: str, embedding_text: str, embedding: Sequence[float] | None
) -> Statement:
    """Store a pattern's embedding, once the pattern exists (a skipped creation skips it)."""
    return (
        "INSERT INTO pattern_embeddings (pattern_id, embedding_text, embedding, dimensions) "
        "SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM patterns WHERE id = ?) "
        "ON CONFLICT DO NOTHING",
        (
            pattern_id,
            embedding_text,
            encode_embedding(embedding),
            len(embedding) if embedding is not None else 0,
            pattern_id,
        ),
    )


@functools.lru_cache(maxsize=4096)
def _frames(text: str | None) -> tuple[str, ...]:
    """A pattern's stored signature frames (JSON text; the same text for every occurrence)."""
    return tuple(json.loads(text or "[]"))


def _chunks(rows: Sequence[Any], width: int) -> Iterator[Sequence[Any]]:
    """``rows`` in runs whose parameters fit one statement (D1 binds at most 100)."""
    size = max(1, MAX_PARAMS // width)
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _marks(rows: int, width: int) -> str:
    """``(?, ?), (?, ?)`` for ``rows`` rows of ``width`` values."""
    row = "(" + ", ".join("?" * width) + ")"
    return ", ".join([row] * rows)


def _flat(rows: Sequence[Sequence[object]]) -> tuple[object, ...]:
    return tuple(value for row in rows for value in row)


def _ranked(counts: Mapping[str, int]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def _test(row: Row) -> PatternTest:
    return PatternTest(
        test_id=str(row["test_id"]),
        framework=str(row["framework"]),
        success_rate=float(row["success_rate"]),
        reuse_count=int(row["reuse_count"]),
        code=row["code"],
        created=parse_time(str(row["created_at"])) if row["created_at"] else None,
    )
