"""Webhook deliveries as typed events.

githubkit's webhook models (``githubkit.webhooks.parse_obj``) type each delivery. GitHub's
real payloads sometimes lack fields those models require (recorded deliveries without
``labels[].archived_by`` or ``installation.app_slug``), so an event that does not validate is
still handled: its ``typed`` model is None and handlers read the fields they use from
``payload``, which GitHub documents and keeps stable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from githubkit.exception import WebhookTypeNotFound
from githubkit.webhooks import parse_obj
from pydantic import ValidationError


@dataclass(frozen=True)
class Event:
    """One delivery: ``name`` (``X-GitHub-Event``), its action, the payload and typed model."""

    name: str
    payload: dict[str, Any] = field(repr=False)
    delivery_id: str = ""
    typed: Any = field(default=None, repr=False, compare=False)

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


def typed_model(name: str, payload: dict[str, Any]) -> Any:
    """githubkit's model of the delivery; None when it does not validate or is not GitHub's."""
    try:
        return parse_obj(name, payload)
    except (ValidationError, WebhookTypeNotFound, ValueError, KeyError):
        return None


def make_event(name: str, payload: dict[str, Any], delivery_id: str = "") -> Event:
    """An :class:`Event` with its githubkit model when one validates."""
    return Event(name, payload, delivery_id, typed_model(name, payload))


def warm_models(names: Iterable[str]) -> None:
    """Build githubkit's validator of each event name now. githubkit builds one the first time
    it parses a delivery of that event, which is CPU work of seconds (pull_request's takes
    6 s on a busy 2-core machine) that holds the GIL: a worker does it before it takes jobs,
    not in its first job while its heartbeats are due."""
    for name in sorted(set(names)):
        typed_model(name, {})
