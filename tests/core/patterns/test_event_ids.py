"""An event sent again with the same Sentry ``event_id`` (its sender never got the answer) is
stored once, on both backends, also when two connections file it at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from argus.core.errors import StoreError
from argus.core.patterns import store as store_module
from argus.core.patterns.embed import HashingEmbedder
from argus.core.patterns.event import ErrorEvent, Frame
from argus.core.patterns.records import IngestResult
from argus.core.patterns.service import PatternService
from argus.core.patterns.store import SQLiteExecutor, SqlPatternStore
from argus.core.store.postgres import PostgresExecutor, migrate
from argus.core.store.sqlite import SQLiteStore
from argus.core.store.vector import LocalAnnIndex
from tests.postgres_support import BACKENDS, fresh_schema


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=BACKENDS)
def connect(request, tmp_path: Path) -> Iterator:
    """A function opening a new service on one shared store (a connection of its own each)."""
    opened: list[PatternService] = []

    def service_on(make_executor) -> PatternService:
        def connect_one(clock: Clock | None = None) -> PatternService:
            executor = make_executor()
            embedder = HashingEmbedder()
            service = PatternService(
                SqlPatternStore(executor, clock=clock or Clock()),
                LocalAnnIndex(embedder.dimensions, None),
                embedder,
                on_close=executor.close,
            )
            opened.append(service)
            return service

        return connect_one

    if request.param == "sqlite":
        path = tmp_path / "argus.db"
        yield service_on(
            lambda: SQLiteExecutor(SQLiteStore.open(path, handed_between_threads=True))
        )
    else:
        with fresh_schema() as (url, schema):
            migrate(url, schema=schema)
            yield service_on(lambda: PostgresExecutor(url, schema=schema))
            for service in opened:
                service.close()
            return
    for service in opened:
        service.close()


def _event(number: int, event_id: str | None, source: str = "sentry-event") -> ErrorEvent:
    function = f"handler_{number % 3}"
    return ErrorEvent(
        exception_type="KeyError",
        message=f"'user-{number}'",
        frames=(Frame(function=function, filename=f"/srv/app/{function}.py", lineno=number),),
        source_format=source,
        raw_id=event_id,
    )


def _id(number: int) -> str:
    return f"{number:032x}"


def test_the_same_event_id_twice_counts_once(connect) -> None:
    service = connect()
    first = service.ingest(_event(1, _id(1)), "acme")
    again = service.ingest(_event(1, _id(1)), "acme")
    assert first.matched_by == "new" and again.matched_by == "duplicate"
    assert again.pattern.id == first.pattern.id and again.pattern.occurrences == 1
    # Also within one group commit, and next to events that do count.
    outcomes = service.ingest_batch(
        [(_event(1, _id(1)), "acme"), (_event(2, _id(2)), "acme"), (_event(2, _id(2)), "acme")]
    )
    assert [o.matched_by == "duplicate" for o in outcomes if isinstance(o, IngestResult)] == [
        True,
        False,
        True,
    ]
    assert service.stats("acme")["occurrences"] == 2
    # Ids are per tenant: another tenant's event with the same id counts.
    assert service.ingest(_event(1, _id(1)), "globex").matched_by == "new"


def test_different_ids_and_no_id_count_each_time(connect) -> None:
    service = connect()
    for number in range(4):
        service.ingest(_event(1, _id(number)), "acme")
    for _ in range(3):
        assert service.ingest(_event(1, None), "acme").matched_by != "duplicate"
    # A webhook's id names the issue, not one event: each alert counts.
    for _ in range(2):
        service.ingest(_event(1, _id(9), source="sentry-webhook"), "acme")
    assert service.stats("acme")["occurrences"] == 4 + 3 + 2


def test_two_connections_filing_the_same_ids_at_once_count_each_once(connect) -> None:
    events = [_event(number, _id(number)) for number in range(60)]
    services = [connect(), connect()]
    start = threading.Barrier(2)
    outcomes: list[list[IngestResult | Exception]] = [[], []]

    def send(which: int) -> None:
        service = services[which]
        start.wait()
        for at in range(0, len(events), 6):
            outcomes[which] += service.ingest_batch([(e, "acme") for e in events[at : at + 6]])

    threads = [threading.Thread(target=send, args=(which,)) for which in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    results = [o for side in outcomes for o in side]
    assert len(results) == 120
    assert all(isinstance(o, IngestResult) for o in results), results
    filed = [o for o in results if isinstance(o, IngestResult) and o.matched_by != "duplicate"]
    assert len(filed) == 60
    stats = services[0].stats("acme")
    assert stats["occurrences"] == 60 and stats["patterns"] == 3


def test_ids_older_than_the_retention_are_forgotten(connect, monkeypatch) -> None:
    monkeypatch.setattr(store_module, "PRUNE_EVERY", 1)
    clock = Clock()
    service = connect(clock)
    service.ingest(_event(1, _id(1)), "acme")
    clock.now += timedelta(days=store_module.SEEN_EVENTS_DAYS, seconds=1)
    service.ingest(_event(2, _id(2)), "acme")  # prunes what was received before the cutoff
    assert service.ingest(_event(2, _id(2)), "acme").matched_by == "duplicate"
    assert service.ingest(_event(1, _id(1)), "acme").matched_by == "hash"
    assert service.stats("acme")["occurrences"] == 3


def test_the_sweep_comes_round_the_whole_table_a_window_at_a_time(connect, monkeypatch) -> None:
    monkeypatch.setattr(store_module, "PRUNE_EVERY", 1)
    monkeypatch.setattr(store_module, "SWEEP_MIN_WINDOW", 2)
    clock = Clock()
    service = connect(clock)
    old = [_id(number) for number in range(40, 47)]  # after the recent ones in key order
    for identifier in old:
        service.ingest(_event(1, identifier), "acme")
    clock.now += timedelta(days=store_module.SEEN_EVENTS_DAYS, seconds=1)
    recent = [_id(number) for number in range(20, 28)]
    for identifier in recent:  # each filing sweeps a window of two rows
        service.ingest(_event(2, identifier), "acme")
    for identifier in recent:  # received after the cutoff: still known
        assert service.ingest(_event(2, identifier), "acme").matched_by == "duplicate"
    for identifier in old:  # every old id was reached by some window and forgotten
        assert service.ingest(_event(1, identifier), "acme").matched_by == "hash"


def test_a_batch_mixing_a_stored_id_and_an_event_without_id_files_the_other(connect) -> None:
    service = connect()
    service.ingest(_event(1, _id(1)), "acme")
    outcomes = service.ingest_batch([(_event(1, _id(1)), "acme"), (_event(1, None), "acme")])
    assert [o.matched_by for o in outcomes if isinstance(o, IngestResult)] == [
        "duplicate",
        "hash",
    ]
    assert service.stats("acme")["occurrences"] == 2


class LostCommit:
    """An executor whose next batch commits, then fails as a connection lost in the commit."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.lose_next = False

    def execute(self, sql, params=()):
        return self.inner.execute(sql, params)

    def execute_batch(self, statements):
        results = self.inner.execute_batch(statements)
        if self.lose_next:
            self.lose_next = False
            raise StoreError("the connection was lost during the commit")
        return results

    def close(self) -> None:
        self.inner.close()


def test_a_batch_whose_commit_was_lost_is_not_filed_twice(tmp_path: Path) -> None:
    executor = LostCommit(SQLiteExecutor(SQLiteStore.open(tmp_path / "argus.db")))
    embedder = HashingEmbedder()
    with PatternService(
        SqlPatternStore(executor),
        LocalAnnIndex(embedder.dimensions, None),
        embedder,
        on_close=executor.close,
    ) as service:
        service.ingest(_event(1, _id(1)), "acme")
        # Only events with ids: they are stored (by this batch), so they are acknowledged.
        executor.lose_next = True
        outcomes = service.ingest_batch([(_event(1, _id(2)), "acme")])
        assert [o.matched_by for o in outcomes if isinstance(o, IngestResult)] == ["duplicate"]
        # With an event without id beside them it cannot tell: nothing is acknowledged (the
        # sender sends again; filing the id-less one again here could count it twice).
        executor.lose_next = True
        outcomes = service.ingest_batch([(_event(1, _id(3)), "acme"), (_event(1, None), "acme")])
        assert all(isinstance(o, StoreError) for o in outcomes), outcomes
        assert service.stats("acme")["occurrences"] == 4
