from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from argus.github_app.app import AppDeps, create_app, signature_ok
from argus.github_app.dispatch import run_job
from argus.github_app.events import Event
from argus.github_app.jobs import Job
from argus.github_app.metrics import AppMetrics
from argus.github_app.routes import default_dispatcher
from argus.github_app.services import Deps
from argus.github_app.settings import AppSettings
from argus.ingest_server.app import create_ingest_router
from argus.ingest_server.keys import StaticProjectKeys
from argus.ingest_server.metrics import IngestMetrics
from argus.ingest_server.settings import IngestSettings
from tests.github_app.conftest import WEBHOOKS

SECRET = "It's a Secret to Everybody"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMII\n-----END RSA PRIVATE KEY-----\n"


class ListQueue:
    """An in-memory JobQueue: enough for the endpoint's contract."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []

    def enqueue(self, kind, payload, *, delivery_id, installation_id) -> bool:
        if any(job.delivery_id == delivery_id for job in self.jobs):
            return False
        self.jobs.append(Job(str(len(self.jobs)), kind, payload, installation_id, delivery_id))
        return True

    def depth(self) -> int:
        return len(self.jobs)


class NoIngest:
    def ingest(self, data, tenant):
        raise AssertionError("not called")


@pytest.fixture
def queue() -> ListQueue:
    return ListQueue()


@pytest.fixture
def client(queue: ListQueue) -> TestClient:
    metrics = AppMetrics()
    metrics.track_queue_depth(queue.depth)
    ingest_metrics = IngestMetrics()
    router = create_ingest_router(NoIngest(), IngestSettings(), StaticProjectKeys(), ingest_metrics)
    app = create_app(
        AppSettings(1, PEM, SECRET),
        AppDeps(queue=queue, metrics=metrics, ingest_router=router, ingest_metrics=ingest_metrics),
    )
    return TestClient(app)


def _sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _post(
    client, event: str, body: bytes, delivery: str = "72d3162e", signature: str | None = "sign"
):
    headers = {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "Content-Type": "application/json",
    }
    if signature == "sign":
        headers["X-Hub-Signature-256"] = _sign(body)
    elif signature is not None:
        headers["X-Hub-Signature-256"] = signature
    return client.post("/webhooks/github", content=body, headers=headers)


def test_githubs_documented_example_signature_verifies():
    # The example from GitHub's "Validating webhook deliveries" page.
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert signature_ok(SECRET, b"Hello, World!", expected)
    assert not signature_ok(SECRET, b"Hello, World!", expected.replace("7571", "7572"))
    assert not signature_ok(SECRET, b"Hello, World!", expected.removeprefix("sha256="))


@pytest.mark.parametrize("signature", [None, "", "sha256=00", "sha1=abc"])
def test_missing_or_wrong_signature_is_401_and_nothing_is_queued(client, queue, signature):
    body = (WEBHOOKS / "pull_request.opened.payload.json").read_bytes()
    response = _post(client, "pull_request", body, signature=signature)
    assert response.status_code == 401
    assert queue.jobs == []


def test_signature_with_another_secret_is_refused(client, queue):
    body = (WEBHOOKS / "pull_request.opened.payload.json").read_bytes()
    response = _post(client, "pull_request", body, signature=_sign(body, "other"))
    assert response.status_code == 401 and queue.jobs == []


def test_valid_delivery_is_queued_once_and_answered_202(client, queue):
    body = (WEBHOOKS / "pull_request.opened.payload.json").read_bytes()
    started = time.perf_counter()
    first = _post(client, "pull_request", body, delivery="abc")
    elapsed = time.perf_counter() - started
    second = _post(client, "pull_request", body, delivery="abc")
    assert first.status_code == 202 and first.json()["status"] == "queued"
    assert second.status_code == 200 and second.json()["status"] == "duplicate"
    (job,) = queue.jobs
    assert (job.kind, job.delivery_id, job.installation_id) == ("pull_request.opened", "abc", 1)
    assert elapsed < 1.0
    metrics = client.get("/metrics").text
    assert 'argus_github_deliveries_total{event="pull_request",outcome="duplicate"} 1' in metrics
    assert "argus_github_queue_depth 1.0" in metrics
    assert "argus_ingest_accepted_total" in metrics


def test_bad_json_is_400(client, queue):
    assert _post(client, "pull_request", b"{nope").status_code == 400
    assert _post(client, "pull_request", b"[1]").status_code == 400
    assert queue.jobs == []


def test_health_and_ingestion_routes_are_mounted(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    home = client.get("/").json()  # the App's own page wins over the ingestion router's
    assert "GitHub App" in home["what"] and "ingestion" in home["what"]
    assert home["links"]["health"] == "/healthz" and home["links"]["metrics"] == "/metrics"
    # The ingestion router answers its own refusal: the route exists.
    response = client.post("/api/1/store/", content=b"{}")
    assert response.status_code == 401


ROUTED = {
    "check_run.requested_action": 1,
    "check_run.rerequested": 1,
    "check_suite.rerequested": 1,
    "installation.created": 1,
    "installation.deleted": 1,
    "installation.suspend": 1,
    "installation_repositories.added": 1,
    "installation_repositories.removed": 1,
    "issue_comment.created": 1,
    "pull_request.closed": 1,
    "pull_request.opened": 1,
    "pull_request.ready_for_review": 1,
    "pull_request.reopened": 1,
    "pull_request.synchronize": 1,
}


@pytest.mark.parametrize("path", sorted(WEBHOOKS.glob("*.json")), ids=lambda p: p.name)
def test_every_recorded_payload_is_accepted_parsed_and_routed(
    client, queue, path: Path, deps, github
):
    event_name = path.name.split(".", 1)[0]
    response = _post(client, event_name, path.read_bytes(), delivery=path.name)
    assert response.status_code == 202
    (job,) = queue.jobs
    event = Event(event_name, job.payload, job.delivery_id)
    assert event.key == job.kind
    dispatcher = default_dispatcher()
    assert len(dispatcher.handlers_for(event)) == ROUTED.get(event.key, 0)
    # Running the job must not fail whatever the payload (the fake has no files: empty diff).
    asyncio.run(run_job(job, deps))
    assert deps.metrics.value("argus_github_jobs_total", kind=job.kind, outcome="done") == 1


def test_failed_jobs_propagate_for_a_retry_and_are_counted(github, state):
    async def broken(*args, **kwargs):
        raise RuntimeError("GitHub is down")

    github.create_check_run = broken
    deps = Deps(github_for=lambda _: github, state=state, dispatcher=default_dispatcher())
    data = json.loads((WEBHOOKS / "pull_request.opened.payload.json").read_text())
    job = Job("1", "pull_request.opened", data, 1, "x")
    with pytest.raises(RuntimeError):
        asyncio.run(run_job(job, deps))
    assert deps.metrics.value("argus_github_jobs_total", kind=job.kind, outcome="failed") == 1
