"""The PostgreSQL job queue resumes by itself after the database went away (restarted)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from argus.core.errors import StoreError
from argus.github_app.queue_postgres import PostgresJobQueue
from tests.github_app.conftest import WEBHOOKS
from tests.postgres_support import DATABASE_URL
from tests.servers.tcp_outage import TcpOutage


@pytest.fixture
def database() -> Iterator[tuple[str, str]]:
    """(database name, conninfo dict as URL parts) of a fresh database."""
    name = f"argus_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(DATABASE_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name, DATABASE_URL
    finally:
        with psycopg.connect(DATABASE_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_deliveries_queue_again_once_the_database_is_back(database: tuple[str, str]) -> None:
    name, admin_url = database
    real = psycopg.conninfo.conninfo_to_dict(admin_url)
    with TcpOutage((str(real.get("host", "127.0.0.1")), int(real.get("port", 5432)))) as outage:
        queue = PostgresJobQueue(f"postgresql://postgres@127.0.0.1:{outage.port}/{name}")
        try:
            assert queue.enqueue("ping", {}, delivery_id="before", installation_id=1)
            outage.down()
            with pytest.raises(StoreError, match="cannot queue delivery during"):
                queue.enqueue("ping", {}, delivery_id="during", installation_id=1)
            outage.up()
            # The queue's pool may hand out one connection that died meanwhile: GitHub's
            # redelivery (or the next delivery) then goes through.
            outcomes = []
            for _ in range(3):
                try:
                    outcomes.append(
                        queue.enqueue("ping", {}, delivery_id="during", installation_id=1)
                    )
                    break
                except StoreError:
                    outcomes.append(False)
            assert outcomes[-1] is True
            assert not queue.enqueue("ping", {}, delivery_id="during", installation_id=1)
            assert queue.depth() == 2
        finally:
            queue.close()


def test_webhook_intake_answers_503_with_retry_after_while_the_queue_is_down(
    database: tuple[str, str],
) -> None:
    import hashlib
    import hmac
    import json

    from fastapi.testclient import TestClient

    from argus.github_app.app import AppDeps, create_app
    from argus.github_app.metrics import AppMetrics
    from argus.github_app.settings import AppSettings

    secret = "outage-secret"
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMII\n-----END RSA PRIVATE KEY-----\n"
    name, admin_url = database
    real = psycopg.conninfo.conninfo_to_dict(admin_url)

    # A recorded delivery, so that the intake's schema check passes and the queue is reached.
    recorded = json.loads((WEBHOOKS / "pull_request.opened.payload.json").read_text())

    def post(client: TestClient, delivery: str, number: int) -> object:
        body = json.dumps(recorded | {"number": number})
        digest = hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()
        return client.post(
            "/webhooks/github",
            content=body.encode(),
            headers={
                "X-GitHub-Event": "pull_request",
                "X-GitHub-Delivery": delivery,
                "X-Hub-Signature-256": f"sha256={digest}",
                "Content-Type": "application/json",
            },
        )

    with TcpOutage((str(real.get("host", "127.0.0.1")), int(real.get("port", 5432)))) as outage:
        queue = PostgresJobQueue(f"postgresql://postgres@127.0.0.1:{outage.port}/{name}")
        app = create_app(AppSettings(1, pem, secret), AppDeps(queue=queue, metrics=AppMetrics()))
        try:
            with TestClient(app) as client:
                assert post(client, "before", 1).status_code == 202
                outage.down()
                during = post(client, "during", 2)
                assert during.status_code == 503, during.text
                assert during.headers["retry-after"] == "5"
                assert during.json()["error"] == "queue_unavailable"
                outage.up()
                # The sender's retry (same delivery, same body) is queued once the database is
                # back; the pool may first hand out one connection that died meanwhile.
                # Once queued, a further retry is acknowledged as a duplicate (200).
                statuses = [post(client, "during", 2).status_code for _ in range(3)]
                answered = [status for status in statuses if status != 503]
                assert answered[0] == 202, statuses
                assert all(status == 200 for status in answered[1:]), statuses
                assert queue.depth() == 2
        finally:
            queue.close()
