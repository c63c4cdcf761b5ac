"""A queued unit of work (one webhook delivery) and the queue protocol the web app writes to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Job:
    """One delivery to handle: ``kind`` is ``"<event>"`` or ``"<event>.<action>"``."""

    id: str
    kind: str
    payload: dict[str, Any] = field(hash=False)
    installation_id: int | None
    delivery_id: str
    attempts: int = 0


class JobQueue(Protocol):
    """Where the webhook endpoint hands deliveries; the worker side belongs to the queue module."""

    def enqueue(
        self, kind: str, payload: dict[str, Any], *, delivery_id: str, installation_id: int | None
    ) -> bool:
        """Persist a job; return False (and store nothing) when ``delivery_id`` was seen before."""
        ...

    def depth(self) -> int:
        """Return the number of jobs waiting or running (for /metrics)."""
        ...
