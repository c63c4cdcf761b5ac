"""The dispatch table: ``"event.action"`` -> handlers, Probot style, and the job runner.

``run_job(job, deps)`` is what the queue worker calls for each job; it builds the event and
the context and awaits every handler registered for the event's key (and the bare name).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from github_app.context import Context, DeliveryLogger
from github_app.events import Event, make_event
from github_app.jobs import Job
from github_app.metrics import AppMetrics
from github_app.ports import GitHubPort
from github_app.state import AppState

Handler = Callable[[Context, Event], Awaitable[None]]

_LOG = logging.getLogger("argus.github_app")


class Dispatcher:
    """Handlers by event key; ``on("pull_request.opened", handle)``."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = {}

    def on(self, *keys: str) -> Callable[[Handler], Handler]:
        """Register a handler for each key (``"pull_request"`` matches every action)."""

        def register(handler: Handler) -> Handler:
            for key in keys:
                self._handlers.setdefault(key, []).append(handler)
            return handler

        return register

    def add(self, key: str, handler: Handler) -> None:
        """Register ``handler`` for ``key``."""
        self._handlers.setdefault(key, []).append(handler)

    def handlers_for(self, event: Event) -> list[Handler]:
        """The handlers of the event's ``name.action``, then of its bare ``name``."""
        found = list(self._handlers.get(event.key, []))
        if event.key != event.name:
            found.extend(self._handlers.get(event.name, []))
        return found

    def keys(self) -> list[str]:
        """Every registered key, sorted."""
        return sorted(self._handlers)


@dataclass
class Deps:
    """What jobs need, assembled once per process (by ``argus serve`` or ``argus worker``).

    ``github_for(installation_id)`` returns the installation-scoped port. ``review_model`` is
    the scoring model (None: the shipped one, loaded on first use). ``generate_tests``, when
    set, turns a review into one with generated, validated tests (it needs a checkout).
    """

    github_for: Callable[[int | None], GitHubPort]
    state: AppState
    metrics: AppMetrics = field(default_factory=AppMetrics)
    dispatcher: Dispatcher | None = None
    review_model: Any = None
    generate_tests: Callable[..., Awaitable[Any]] | None = None
    bot_login: str = "argus[bot]"
    clones: Any = None
    """``github_app.repo_review.RepositoryClones``: reviews on the repository's clone (None:
    from the API alone)."""


def default_dispatcher() -> Dispatcher:
    """The App's table: every handler module registered."""
    from github_app.handlers import (
        check_run,
        installation,
        issue_comment,
        marketplace,
        merges,
        pull_request,
        regression_job,
        repository_clone,
    )

    dispatcher = Dispatcher()
    for module in (pull_request, issue_comment, check_run, installation, regression_job, merges):
        module.register(dispatcher)
    marketplace.register(dispatcher)
    dispatcher.add("push", repository_clone.pushed)
    return dispatcher


def context_for(event: Event, deps: Deps) -> Context:
    """The context of one event."""
    log = DeliveryLogger(_LOG, {"delivery_id": event.delivery_id})
    return Context(
        event=event,
        github=deps.github_for(event.installation_id),
        state=deps.state,
        metrics=deps.metrics,
        log=log,
        services=deps,
    )


async def dispatch(event: Event, deps: Deps) -> int:
    """Run every handler of ``event``; return how many ran."""
    dispatcher = deps.dispatcher or default_dispatcher()
    deps.dispatcher = dispatcher
    handlers = dispatcher.handlers_for(event)
    if not handlers:
        return 0
    context = context_for(event, deps)
    for handler in handlers:
        await handler(context, event)
    return len(handlers)


async def run_job(job: Job, deps: Deps) -> None:
    """Handle one queued delivery (the worker's entry point); errors propagate for a retry."""
    name = job.kind.split(".", 1)[0]
    event = make_event(name, job.payload, job.delivery_id)
    deps.metrics.count(
        "argus_github_typed_total", kind=job.kind, typed=str(event.typed is not None).lower()
    )
    started = time.perf_counter()
    try:
        await dispatch(event, deps)
    except BaseException:
        deps.metrics.job(job.kind, "failed", time.perf_counter() - started)
        raise
    deps.metrics.job(job.kind, "done", time.perf_counter() - started)
