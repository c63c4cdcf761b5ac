"""The dispatch table: ``"event.action"`` -> handlers, Probot style, and the job runner.

``run_job(job, deps)`` is what the queue worker calls for each job; it builds the event and
the context and awaits every handler registered for the event's key (and the bare name).
The App's table is filled in one place, ``argus.github_app.routes``; handlers never import this
module.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from argus.github_app.context import Context, DeliveryLogger
from argus.github_app.events import Event
from argus.github_app.jobs import Job
from argus.github_app.services import Deps

Handler = Callable[[Context, Event], Awaitable[None]]

_LOG = logging.getLogger("argus.github_app")


class Dispatcher:
    """Handlers by event key: ``app.on("pull_request.opened", handle)``."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[Handler]] = {}

    def on(self, key: str, handler: Handler) -> None:
        """Run ``handler`` for ``key`` (``"pull_request"`` matches every action)."""
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


def context_for(event: Event, deps: Deps, *, final_attempt: bool = True) -> Context:
    """The context of one event (``final_attempt``: no retry will follow)."""
    log = DeliveryLogger(_LOG, {"delivery_id": event.delivery_id})
    return Context(
        event=event,
        github=deps.github_for(event.installation_id),
        state=deps.state,
        metrics=deps.metrics,
        log=log,
        services=deps,
        final_attempt=final_attempt,
    )


async def dispatch(event: Event, deps: Deps, *, final_attempt: bool = True) -> int:
    """Run every handler of ``event``; return how many ran."""
    dispatcher = deps.dispatcher
    if dispatcher is None:
        raise ValueError(
            "Deps.dispatcher is not set: use argus.github_app.routes.default_dispatcher()"
        )
    handlers = dispatcher.handlers_for(event)
    if not handlers:
        return 0
    context = context_for(event, deps, final_attempt=final_attempt)
    for handler in handlers:
        await handler(context, event)
    return len(handlers)


async def run_job(job: Job, deps: Deps) -> None:
    """Handle one queued delivery (the worker's entry point); errors propagate for a retry."""
    name = job.kind.split(".", 1)[0]
    event = Event(name, job.payload, job.delivery_id)
    started = time.perf_counter()
    try:
        await dispatch(event, deps, final_attempt=job.attempts >= deps.max_attempts)
    except BaseException:
        deps.metrics.job(job.kind, "failed", time.perf_counter() - started)
        raise
    deps.metrics.job(job.kind, "done", time.perf_counter() - started)


JobRunner = Callable[[Job], Awaitable[None]]


def routed_runner(deps: Deps | None, runners: Mapping[str, JobRunner] | None = None) -> JobRunner:
    """One worker for every kind of job in the queue: a job whose kind has a runner of its own
    in ``runners`` (``argus serve``'s regression-test generation) goes to it, every other job is
    a webhook delivery for :func:`run_job` with ``deps``. ``deps`` None: the App is not
    configured in this process, so a delivery fails (and is retried, then dead-lettered)."""
    own = dict(runners or {})

    async def run(job: Job) -> None:
        runner = own.get(job.kind)
        if runner is not None:
            await runner(job)
            return
        if deps is None:
            raise ValueError(
                f"job {job.id} ({job.kind}) is a GitHub delivery, and the GitHub App is not "
                "configured in this process (ARGUS_GITHUB_APP_ID)"
            )
        await run_job(job, deps)

    return run
