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


class DeadLetters(Protocol):
    """A queue's jobs that failed for good (``argus jobs list --failed`` / ``retry``)."""

    def failed_count(self) -> int:
        """Return how many jobs failed for good."""
        ...

    def failed_jobs(self) -> list[dict[str, Any]]:
        """Return the failed jobs, newest first (id, kind, delivery_id, attempts, last_error,
        finished_at)."""
        ...

    def retry_failed(self, job_id: str) -> bool:
        """Queue a failed job again; False when no failed job has this id."""
        ...
