"""A job's CPU work stays off the worker's event loop, whose heartbeats tell the queue the
worker is alive (a loop held for 20 s had a live job retried, and its PR commented twice)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from argus.github_app import dispatch
from argus.github_app.events import make_event
from argus.github_app.jobs import Job
from argus.github_app.services import Deps


def test_typing_a_delivery_does_not_hold_the_event_loop(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    """githubkit builds an event's validator the first time it parses one (seconds). While a
    delivery is typed, the loop still runs its other tasks (here: the one that lets typing
    finish; on the loop itself, typing would wait for it in vain)."""
    loop_turned = threading.Event()
    finished: list[bool] = []

    def slow_make_event(*args: Any) -> Any:
        finished.append(loop_turned.wait(20))
        return make_event(*args)

    monkeypatch.setattr(dispatch, "make_event", slow_make_event)

    async def main() -> None:
        async def other_task() -> None:
            loop_turned.set()

        job = Job("1", "ping", {"zen": "hi"}, installation_id=None, delivery_id="d-1")
        running = asyncio.create_task(dispatch.run_job(job, deps))
        await asyncio.sleep(0)  # the job starts first
        await asyncio.gather(running, other_task())

    asyncio.run(main())
    assert finished == [True]
