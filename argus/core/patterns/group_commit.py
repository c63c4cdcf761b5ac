"""Group commit for a server: events that arrive together are filed in one transaction.

Many request threads call :meth:`GroupCommit.ingest` at once; each call queues its event and
waits. One worker (the service's own thread) takes everything queued, files it with
``PatternService.ingest_batch`` — one transaction for the whole group — and wakes each caller
with its own outcome. While that transaction commits, newer events queue up and
form the next group, so a lone event is filed at once (no waiting for company) and a burst
shares commits. A call returns only after the transaction holding its event has committed:
an acknowledged event is stored.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Sequence
from typing import Any

from argus.core.errors import StoreError
from argus.core.patterns.event import ErrorEvent
from argus.core.patterns.records import IngestResult

#: Most events filed in one group (bounds one transaction's size and latency).
MAX_GROUP = 256

Item = tuple[bytes | str | ErrorEvent, str]
BatchIngest = Callable[[Sequence[Item]], list[IngestResult | Exception]]
ManyIngest = Callable[[Sequence[bytes | str | ErrorEvent], str], list[IngestResult]]


class _Waiter:
    """One queued event and its outcome; its caller blocks on ``done`` until it is set."""

    __slots__ = ("done", "item", "outcome")

    def __init__(self, item: Item) -> None:
        self.item = item
        self.outcome: IngestResult | BaseException | None = None
        self.done = threading.Lock()  # cheaper than a Future's condition: held until settled
        self.done.acquire()

    def settle(self, outcome: IngestResult | BaseException) -> None:
        self.outcome = outcome
        self.done.release()


class _AsyncWaiter:
    """A queued event of a coroutine: settled on its event loop, a whole group per wake-up."""

    __slots__ = ("future", "item", "loop")

    def __init__(self, item: Item, loop: asyncio.AbstractEventLoop) -> None:
        self.item = item
        self.loop = loop
        self.future: asyncio.Future[IngestResult] = loop.create_future()


def _settle_all(settled: list[tuple[_AsyncWaiter, IngestResult | BaseException]]) -> None:
    """On the event loop: hand each waiting coroutine its outcome."""
    for waiter, outcome in settled:
        if waiter.future.done():  # the request went away; its event is stored all the same
            continue
        if isinstance(outcome, BaseException):
            waiter.future.set_exception(outcome)
        else:
            waiter.future.set_result(outcome)


class GroupCommit:
    """Queue events from any thread; file them in groups on one worker.

    ``submit`` runs a callable on the worker (``ThreadPoolExecutor.submit`` of a one-thread
    pool that owns the store); ``ingest_batch`` files a group and gives an outcome per item.
    """

    def __init__(
        self,
        submit: Callable[[Callable[[], None]], Any],
        ingest_batch: BatchIngest,
        *,
        max_group: int = MAX_GROUP,
        ingest_many: ManyIngest | None = None,
    ) -> None:
        self._submit = submit
        self._ingest_batch = ingest_batch
        self._ingest_many = ingest_many
        self._max_group = max(1, max_group)
        self._lock = threading.Lock()
        self._pending: list[_Waiter | _AsyncWaiter] = []
        self._draining = False
        #: Groups filed and events in them (for tests and metrics).
        self.groups = 0
        self.events = 0

    def ingest(self, data: bytes | str | ErrorEvent, tenant: str) -> IngestResult:
        """File one event with whatever else is queued; returns after its commit.

        Raises what kept this event from being stored (``IngestError``, ``ConfigError``,
        ``StoreError``); other events of its group are not affected by its bad input.
        """
        waiter = _Waiter((data, tenant))
        self._queue(waiter)
        waiter.done.acquire()
        outcome = waiter.outcome
        if isinstance(outcome, IngestResult):
            return outcome
        if isinstance(outcome, BaseException):
            raise outcome
        raise RuntimeError("group commit settled an event without an outcome")

    async def ingest_async(self, data: bytes | str | ErrorEvent, tenant: str) -> IngestResult:
        """:meth:`ingest` for a coroutine: no thread waits; the group's outcomes reach the
        event loop in one wake-up. Returns after the commit holding the event."""
        waiter = _AsyncWaiter((data, tenant), asyncio.get_running_loop())
        self._queue(waiter)
        return await waiter.future

    async def ingest_all_async(
        self, items: Sequence[bytes | str | ErrorEvent], tenant: str
    ) -> list[IngestResult]:
        """File ``items`` of one tenant together, all of them or none (an envelope's events),
        in a transaction of their own on the worker; returns after it has committed.

        Raises what kept them from being stored; then none of them is. Needs ``ingest_many``.
        """
        ingest_many = self._ingest_many
        if ingest_many is None:
            raise RuntimeError("this group commit was built without ingest_many")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[IngestResult]] = loop.create_future()

        def settle(outcome: list[IngestResult] | BaseException) -> None:
            if future.done():
                return
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

        def run() -> None:
            try:
                outcome: list[IngestResult] | BaseException = ingest_many(list(items), tenant)
            except Exception as error:  # noqa: BLE001 - handed to the waiting coroutine
                outcome = error
            try:
                loop.call_soon_threadsafe(settle, outcome)
            except RuntimeError:  # that loop is closed: nobody is waiting any more
                return

        self._submit(run)
        return await future

    def _queue(self, waiter: _Waiter | _AsyncWaiter) -> None:
        with self._lock:
            self._pending.append(waiter)
            start = not self._draining
            self._draining = True
        if start:
            try:
                self._submit(self._drain)
            except BaseException:
                with self._lock:
                    self._draining = False
                raise

    def _file_group(
        self, group: Sequence[_Waiter | _AsyncWaiter]
    ) -> Sequence[IngestResult | BaseException]:
        """An outcome per member. A group that fails as a whole for a reason other than the
        store (one member's input broke the batch) is filed again one member at a time, so
        only that member fails: one tenant's bad event never costs another tenant's."""
        try:
            return self._batch([waiter.item for waiter in group])
        except StoreError as error:
            return [error] * len(group)
        except Exception as error:  # noqa: BLE001 - every waiting caller must wake up
            if len(group) == 1:
                return [error]
        outcomes: list[IngestResult | BaseException] = []
        for waiter in group:
            try:
                outcomes.extend(self._batch([waiter.item]))
            except Exception as error:  # noqa: BLE001 - this member alone fails
                outcomes.append(error)
        return outcomes

    def _batch(self, items: list[Item]) -> Sequence[IngestResult | BaseException]:
        outcomes = self._ingest_batch(items)
        if len(outcomes) != len(items):
            raise RuntimeError(f"{len(outcomes)} outcomes for {len(items)} events")
        return outcomes

    def _drain(self) -> None:
        """On the worker: file queued events, group after group, until none is left."""
        while True:
            with self._lock:
                group = self._pending[: self._max_group]
                del self._pending[: len(group)]
                if not group:
                    self._draining = False
                    return
            self.groups += 1
            self.events += len(group)
            outcomes = self._file_group(group)
            loops: dict[asyncio.AbstractEventLoop, list[tuple[_AsyncWaiter, Any]]] = {}
            for waiter, outcome in zip(group, outcomes, strict=True):
                if isinstance(waiter, _Waiter):
                    waiter.settle(outcome)
                else:
                    loops.setdefault(waiter.loop, []).append((waiter, outcome))
            for loop, settled in loops.items():
                try:
                    loop.call_soon_threadsafe(_settle_all, settled)
                except RuntimeError:  # that loop is closed: nobody is waiting any more
                    continue
