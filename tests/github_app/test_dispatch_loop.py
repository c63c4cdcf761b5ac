"""A job's CPU work stays off the worker's event loop, whose heartbeats tell the queue the
worker is alive (a loop held for 20 s had a live job retried, and its PR commented twice).
The worst of it was githubkit typing each delivery with its webhook models (seconds to build an
event's validator the first time, ~15 ms a pull_request after); the intake already checks the
payload against GitHub's schema, so the worker builds no model at all."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import githubkit.webhooks
import pytest

from argus.github_app import dispatch, events
from argus.github_app.jobs import Job
from argus.github_app.services import Deps

WEBHOOKS = Path(__file__).resolve().parents[1] / "fixtures" / "github-webhooks"


def test_a_delivery_is_handled_without_githubkit_typing_it(
    deps: Deps, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the worker typed a delivery with githubkit's webhook models")

    monkeypatch.setattr(githubkit.webhooks, "parse_obj", refuse)
    monkeypatch.setattr(githubkit.webhooks, "parse", refuse)
    monkeypatch.setattr(events, "parse_obj", refuse, raising=False)  # imported by name
    payload = json.loads((WEBHOOKS / "pull_request.synchronize.payload.json").read_text())
    job = Job("1", "pull_request.synchronize", payload, installation_id=1, delivery_id="d-1")
    asyncio.run(dispatch.run_job(job, deps))
    assert deps.metrics.value("argus_github_jobs_total", kind=job.kind, outcome="done") == 1
