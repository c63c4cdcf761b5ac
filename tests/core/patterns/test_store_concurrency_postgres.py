"""Nodes sharing one PostgreSQL store: the first occurrence of an error arriving on several at
once makes one pattern, every occurrence counts, and a node's similarity index catches up
with patterns created on another."""

from __future__ import annotations

import multiprocessing
from typing import Any

from argus.core.patterns.embed import HashingEmbedder
from argus.core.patterns.event import ErrorEvent, Frame
from argus.core.patterns.service import PatternService
from argus.core.patterns.store import SqlPatternStore
from argus.core.store.postgres import PostgresExecutor, migrate
from argus.core.store.vector import LocalAnnIndex
from tests.postgres_support import fresh_schema

EVENTS_PER_NODE = 120
NODES = 3


def _node(url: str, schema: str) -> PatternService:
    """One node's wiring (as argus.store_backend does it): its own connection and index."""
    executor = PostgresExecutor(url, schema=schema)
    embedder = HashingEmbedder()
    return PatternService(
        SqlPatternStore(executor),
        LocalAnnIndex(embedder.dimensions, None),
        embedder,
        on_close=executor.close,
    )


def _event(number: int) -> ErrorEvent:
    function = f"handler_{number % 10}"  # 10 patterns, created by whichever node is first
    return ErrorEvent(
        exception_type="KeyError",
        message=f"'user-{number}'",
        frames=(Frame(function=function, filename=f"/srv/app/api/{function}.py", lineno=number),),
        release=f"r{number % 2}",
        environment="production",
    )


def _ingest(url: str, schema: str, offset: int, start: Any, batch: bool) -> None:
    service = _node(url, schema)
    start.wait()
    events = [_event(number + offset) for number in range(EVENTS_PER_NODE)]
    if batch:  # group commit: many occurrences in one transaction
        for at in range(0, len(events), 16):
            group = [(event, "acme") for event in events[at : at + 16]]
            for outcome in service.ingest_batch(group):
                assert not isinstance(outcome, Exception), outcome
    else:
        for event in events:
            service.ingest(event, "acme")
    service.close()


def test_nodes_at_once_create_each_pattern_once_and_lose_no_occurrence() -> None:
    with fresh_schema() as (url, schema):
        migrate(url, schema=schema)
        context = multiprocessing.get_context("spawn")
        start = context.Event()
        nodes = [
            context.Process(target=_ingest, args=(url, schema, 1000 * n, start, n % 2 == 1))
            for n in range(NODES)
        ]
        for node in nodes:
            node.start()
        start.set()
        for node in nodes:
            node.join(timeout=180)
            assert node.exitcode == 0
        with _node(url, schema) as service:
            stats = service.stats("acme")
            assert stats["occurrences"] == NODES * EVENTS_PER_NODE
            assert stats["patterns"] == 10
            patterns = service.list_patterns("acme", limit=100)
            assert sum(pattern.occurrences for pattern in patterns) == NODES * EVENTS_PER_NODE
            for pattern in patterns:
                assert sum(count for _, count in pattern.releases) == pattern.occurrences
            locations = service.production_errors_by_function(
                "acme", [f"api/handler_{i}.py" for i in range(10)]
            )
            assert sum(locations.values()) == NODES * EVENTS_PER_NODE


def test_a_pattern_made_on_one_node_is_matched_on_another_by_hash_and_by_similarity() -> None:
    with fresh_schema() as (url, schema):
        migrate(url, schema=schema)
        with _node(url, schema) as first, _node(url, schema) as second:
            second.search("KeyError", "acme")  # the second node's index is now "in sync"
            created = first.ingest(_event(1), "acme")
            assert created.is_new
            again = second.ingest(_event(11), "acme")  # same signature: found by its hash
            assert again.pattern.id == created.pattern.id and again.matched_by == "hash"
            assert again.pattern.occurrences == 2
            found = second.search("KeyError user handler_1 api/handler_1.py", "acme", k=1)
            assert found and found[0][0].id == created.pattern.id
