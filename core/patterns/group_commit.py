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

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

from core.patterns.event import ErrorEvent
from core.patterns.records import IngestResult

#: Most events filed in one group (bounds one transaction's size and latency).
MAX_GROUP = 256

Item = tuple[bytes | str | ErrorEvent, str]
BatchIngest = Callable[[Sequence[Item]], list[IngestResult | Exception]]


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
    ) -> None:
        self._submit = submit
        self._ingest_batch = ingest_batch
        self._max_group = max(1, max_group)
        self._lock = threading.Lock()
        self._pending: list[tuple[Item, Future[IngestResult]]] = []
        self._draining = False
        #: Groups filed and events in them (for tests and metrics).
        self.groups = 0
        self.events = 0

    def ingest(self, data: bytes | str | ErrorEvent, tenant: str) -> IngestResult:
        """File one event with whatever else is queued; returns after its commit.

        Raises what kept this event from being stored (``IngestError``, ``ConfigError``,
        ``StoreError``); other events of its group are not affected by its bad input.
        """
        future: Future[IngestResult] = Future()
        with self._lock:
            self._pending.append(((data, tenant), future))
            start = not self._draining
            self._draining = True
        if start:
            try:
                self._submit(self._drain)
            except BaseException:
                with self._lock:
                    self._draining = False
                raise
        return future.result()

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
            try:
                outcomes = self._ingest_batch([item for item, _ in group])
            except Exception as error:  # noqa: BLE001 - every waiting caller must wake up
                for _, future in group:
                    future.set_exception(error)
                continue
            for (_, future), outcome in zip(group, outcomes, strict=True):
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
