"""Webhook deliveries as events: the name, the action and the payload.

The intake has checked the payload against GitHub's published webhook schema before it was
queued, when a shipped schema covers the event (``argus/github_app/webhook_schema.py``);
handlers read the fields they use straight from ``payload``, which GitHub documents and keeps
stable. The worker builds no model of the
delivery: githubkit's webhook models cost ~15 ms a pull_request payload, and seconds to build
an event's validator the first time, on the loop whose heartbeats keep a job the worker's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    """One delivery: ``name`` (``X-GitHub-Event``), its action and the payload."""

    name: str
    payload: dict[str, Any] = field(repr=False)
    delivery_id: str = ""

    @property
    def action(self) -> str | None:
        """The payload's ``action`` (None for events without one, such as ``ping``)."""
        action = self.payload.get("action")
        return str(action) if action is not None else None

    @property
    def key(self) -> str:
        """``"<name>.<action>"``, or ``name`` alone when the event has no action."""
        return f"{self.name}.{self.action}" if self.action else self.name

    @property
    def installation_id(self) -> int | None:
        """The installation the delivery came through."""
        installation = self.payload.get("installation") or {}
        value = installation.get("id")
        return int(value) if value is not None else None

    @property
    def repository(self) -> tuple[str, str] | None:
        """``(owner, name)`` of the repository, when the event has one."""
        repository = self.payload.get("repository") or {}
        full_name = repository.get("full_name")
        if not full_name or "/" not in full_name:
            return None
        owner, name = str(full_name).split("/", 1)
        return owner, name
