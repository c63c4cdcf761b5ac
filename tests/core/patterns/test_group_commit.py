"""Group commit: events from many threads share transactions, each acknowledged after its own."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from argus.core.errors import StoreError
from argus.core.patterns.errors import IngestError
from argus.core.patterns.event import ErrorEvent, Frame
from argus.core.patterns.group_commit import GroupCommit
from argus.core.patterns.service import open_service
from argus.core.store.vector import ExactIndex


def _event(number: int) -> ErrorEvent:
    function = f"handler_{number % 5}"
    return ErrorEvent(
        exception_type="KeyError",
        message=f"'user-{number}'",
        frames=(Frame(function=function, filename=f"/srv/app/api/{function}.py", lineno=number),),
        release=f"r{number % 3}",
        environment="production",
    )


def _served(tmp_path):
    """A service owned by one worker thread, as ``argus serve`` runs it."""
    worker = ThreadPoolExecutor(max_workers=1)
    service = worker.submit(open_service, tmp_path / "argus.db", index=ExactIndex(384)).result()
    return worker, service


def test_events_arriving_together_share_commits_and_none_is_lost(tmp_path) -> None:
    worker, service = _served(tmp_path)
    group = GroupCommit(worker.submit, service.ingest_batch)
    for number in range(5):  # the patterns exist: the rest are repeats of known hashes
        group.ingest(_event(number), "acme")
    start = threading.Barrier(16)

    def send(offset: int) -> list[int]:
        start.wait()
        return [group.ingest(_event(offset + i), "acme").pattern.occurrences for i in range(25)]

    with ThreadPoolExecutor(max_workers=16) as senders:
        counts = [c for batch in senders.map(send, range(0, 1600, 100)) for c in batch]
    assert len(counts) == 400 and min(counts) >= 2
    assert group.events == 405
    assert group.groups < group.events  # concurrent arrivals were grouped
    stats = worker.submit(service.stats, "acme").result()
    assert stats["occurrences"] == 405 and stats["patterns"] == 5
    worker.submit(service.close).result()
    worker.shutdown()


def test_bad_input_fails_only_its_own_event(tmp_path) -> None:
    worker, service = _served(tmp_path)
    outcomes = worker.submit(
        service.ingest_batch, [(_event(1), "acme"), (b"not an error", "acme"), (_event(2), "")]
    ).result()
    assert outcomes[0].pattern.occurrences == 1
    assert isinstance(outcomes[1], IngestError)
    assert isinstance(outcomes[2], Exception)
    group = GroupCommit(worker.submit, service.ingest_batch)
    with pytest.raises(IngestError):
        group.ingest(b"", "acme")
    assert group.ingest(_event(6), "acme").pattern.occurrences == 2
    worker.submit(service.close).result()
    worker.shutdown()


def test_a_failed_group_wakes_every_caller_with_the_error() -> None:
    def failing(items):
        raise StoreError("disk full")

    with ThreadPoolExecutor(max_workers=1) as worker:
        group = GroupCommit(worker.submit, failing)
        with pytest.raises(StoreError, match="disk full"):
            group.ingest(_event(1), "acme")
        with pytest.raises(StoreError):  # the next group is attempted afresh
            group.ingest(_event(2), "acme")


def test_coroutines_share_commits_and_each_gets_its_own_outcome(tmp_path) -> None:
    import asyncio

    worker, service = _served(tmp_path)
    group = GroupCommit(worker.submit, service.ingest_batch)
    group.ingest(_event(0), "acme")

    async def send(offset: int) -> list[int]:
        return [
            (await group.ingest_async(_event(offset + i), "acme")).pattern.occurrences
            for i in range(10)
        ]

    async def everyone() -> list[list[int]]:
        return await asyncio.gather(*(send(offset) for offset in range(0, 3000, 100)))

    counts = [count for batch in asyncio.run(everyone()) for count in batch]
    assert len(counts) == 300
    assert group.groups - 1 < 300 / 5  # 30 concurrent requests: far fewer commits than events

    async def bad() -> None:
        await group.ingest_async(b"not an error", "acme")

    with pytest.raises(IngestError):
        asyncio.run(bad())
    assert worker.submit(service.stats, "acme").result()["occurrences"] == 301
    worker.submit(service.close).result()
    worker.shutdown()


def test_a_member_that_breaks_the_whole_batch_fails_alone(tmp_path) -> None:
    # A batch that raises for a reason other than the store (here: a member no encoder
    # takes) is filed again member by member: only that member fails (issue #10).
    worker, service = _served(tmp_path)

    def fragile_batch(items):
        if len(items) > 1 and any(tenant == "poison" for _, tenant in items):
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
        if items[0][1] == "poison":
            raise UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
        return worker.submit(service.ingest_batch, items).result()

    release = threading.Event()
    gate = ThreadPoolExecutor(max_workers=1)
    gate.submit(release.wait)  # hold the worker so that the next three share one group

    def submit(job):
        return gate.submit(job)

    group = GroupCommit(submit, fragile_batch)
    with ThreadPoolExecutor(max_workers=3) as senders:
        futures = [
            senders.submit(group.ingest, _event(1), "acme"),
            senders.submit(group.ingest, _event(2), "poison"),
            senders.submit(group.ingest, _event(3), "globex"),
        ]
        while len(group._pending) < 3:  # noqa: SLF001 - waiting for the three to queue
            threading.Event().wait(0.01)
        release.set()
        assert futures[0].result().pattern.occurrences == 1
        with pytest.raises(UnicodeEncodeError):
            futures[1].result()
        assert futures[2].result().pattern.tenant == "globex"
    assert group.groups == 1  # they did share one group
    gate.shutdown()
    worker.submit(service.close).result()
    worker.shutdown()


def test_a_lone_surrogate_is_stored_escaped_next_to_other_tenants_events(tmp_path) -> None:
    worker, service = _served(tmp_path)
    bad = ErrorEvent("KeyError", "bad \ud800 key", (Frame(function="f\udfff", filename="a.py"),))
    outcomes = worker.submit(
        service.ingest_batch, [(_event(1), "acme"), (bad, "globex"), (_event(2), "acme")]
    ).result()
    assert [type(outcome).__name__ for outcome in outcomes] == ["IngestResult"] * 3
    assert "\\ud800" in outcomes[1].pattern.title
    worker.submit(service.close).result()
    worker.shutdown()


def test_ingest_all_async_stores_all_or_none(tmp_path) -> None:
    import asyncio

    worker, service = _served(tmp_path)
    group = GroupCommit(worker.submit, service.ingest_batch, ingest_many=service.ingest_many)

    async def run():
        stored = await group.ingest_all_async([_event(1), _event(2)], "acme")
        with pytest.raises(IngestError):
            await group.ingest_all_async([_event(3), b"not an error"], "acme")
        return stored

    stored = asyncio.run(run())
    assert len(stored) == 2
    stats = worker.submit(service.stats, "acme").result()
    assert stats["occurrences"] == 2  # none of the refused pair
    worker.submit(service.close).result()
    worker.shutdown()
