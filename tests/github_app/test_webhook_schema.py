"""Payloads that fail GitHub's webhook schema are answered 400, logged with the delivery id,
and never queued; a redelivery is answered 200 and ignored.

The shipped schemas (argus/github_app/schema/webhooks.json.gz) are GitHub's own, extracted from
``@octokit/openapi-webhooks`` by scripts/make_webhook_schemas.py; a test checks the file is
what the script makes from the installed package.
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import hmac
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from argus.github_app.app import AppDeps, create_app
from argus.github_app.metrics import AppMetrics
from argus.github_app.settings import AppSettings
from argus.github_app.webhook_schema import MAX_ERROR_CHARS, MAX_ERRORS, WebhookSchemas
from tests.github_app.conftest import WEBHOOKS
from tests.github_app.test_webhook_app import PEM, SECRET, ListQueue

ROOT = Path(__file__).resolve().parents[2]


def _signed(body: bytes, delivery: str, event: str) -> dict[str, str]:
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-Hub-Signature-256": f"sha256={digest}",
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "Content-Type": "application/json",
    }


@pytest.fixture
def queue() -> ListQueue:
    return ListQueue()


@pytest.fixture
def client(queue: ListQueue) -> TestClient:
    app = create_app(AppSettings(1, PEM, SECRET), AppDeps(queue=queue, metrics=AppMetrics()))
    return TestClient(app)


def _opened() -> dict:
    return json.loads((WEBHOOKS / "pull_request.opened.payload.json").read_text())


def _post(client: TestClient, data: object, delivery: str, event: str = "pull_request"):
    body = json.dumps(data).encode()
    return client.post("/webhooks/github", content=body, headers=_signed(body, delivery, event))


def test_a_recorded_github_delivery_is_queued(client, queue):
    answer = _post(client, _opened(), "d-ok")
    assert answer.status_code == 202 and answer.json()["status"] == "queued"
    assert len(queue.jobs) == 1


@pytest.mark.parametrize(
    ("spoil", "where"),
    [
        (lambda p: p.pop("pull_request"), "pull_request"),
        (lambda p: p.__setitem__("number", "seven"), "number"),
        (lambda p: p["pull_request"].__setitem__("state", "sideways"), "pull_request/state"),
        (lambda p: p["repository"].pop("id"), "repository"),
    ],
    ids=["missing-required", "wrong-type", "not-in-enum", "nested-required"],
)
def test_a_payload_github_would_not_send_is_refused_and_never_queued(
    client, queue, caplog, spoil, where
):
    data = _opened()
    spoil(data)
    with caplog.at_level(logging.WARNING, logger="argus.github_app.app"):
        answer = _post(client, data, "d-bad-1")
    assert answer.status_code == 400
    assert answer.json()["error"] == "schema" and where.split("/")[0] in answer.json()["detail"]
    assert queue.jobs == []
    assert any("d-bad-1" in r.getMessage() for r in caplog.records)
    metrics = client.get("/metrics").text
    assert 'argus_github_deliveries_total{event="pull_request",outcome="invalid"} 1' in metrics


def test_every_recorded_fixture_of_a_handled_event_passes():
    schemas = WebhookSchemas()
    checked = 0
    for path in sorted(WEBHOOKS.glob("*.json")):
        event = path.name.split(".")[0]
        data = json.loads(path.read_text())
        if schemas.knows(event, data.get("action")):
            assert schemas.errors(event, data) == [], path.name
            checked += 1
    assert checked >= 15


def test_a_refusal_names_a_few_errors_each_cut_short(client, queue):
    data = _opened()
    huge = "x" * 200_000
    for key in ("number", "pull_request", "repository", "sender", "action_extra"):
        data[key] = huge
    answer = _post(client, data, "d-huge")
    assert answer.status_code == 400
    detail = answer.json()["detail"]
    assert len(detail) < 200 + MAX_ERRORS * (MAX_ERROR_CHARS + 2)
    assert queue.jobs == []


def test_events_without_a_shipped_schema_pass_unchecked(client, queue):
    answer = _post(client, {"action": "created", "starred_at": None}, "d-star", event="star")
    assert answer.status_code == 202 and len(queue.jobs) == 1


def test_a_redelivery_is_answered_200_and_ignored(client, queue):
    first = _post(client, _opened(), "d-same")
    again = _post(client, _opened(), "d-same")
    assert first.status_code == 202
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert len(queue.jobs) == 1


def test_the_shipped_schemas_are_what_the_script_makes_from_the_installed_package(tmp_path):
    out = tmp_path / "webhooks.json.gz"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts/make_webhook_schemas.py"), "--out", str(out)],
        check=True,
        capture_output=True,
    )
    shipped = ROOT / "argus/github_app/schema/webhooks.json.gz"
    assert json.loads(gzip.decompress(out.read_bytes())) == json.loads(
        gzip.decompress(shipped.read_bytes())
    )


def test_a_schema_copy_is_not_changed_by_validation():
    schemas = WebhookSchemas()
    data = _opened()
    before = copy.deepcopy(data)
    assert schemas.errors("pull_request", data) == []
    assert data == before


def test_a_payload_with_a_lone_surrogate_escape_is_still_checked(client, queue):
    data = _opened()
    data["pull_request"]["title"] = "broken \ud800 emoji"
    body = json.dumps(data).encode()  # "\\ud800" escaped: valid JSON, not valid for orjson
    answer = client.post(
        "/webhooks/github", content=body, headers=_signed(body, "d-sur", "pull_request")
    )
    assert answer.status_code == 202 and len(queue.jobs) == 1
    data["number"] = "seven"
    body = json.dumps(data).encode()
    answer = client.post(
        "/webhooks/github", content=body, headers=_signed(body, "d-sur2", "pull_request")
    )
    assert answer.status_code == 400 and queue.jobs[1:] == []
