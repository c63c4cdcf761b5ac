"""Group commit in the SQLite queue and the webhook endpoint that uses it.

Deliveries stored with ``enqueue_json`` while a transaction is being written share the next
one; each caller is answered only after the transaction holding its job committed. These tests
check what that promises: every delivery stored exactly once, duplicates refused (also inside
one batch), a failed transaction acknowledges none of its deliveries and loses none acknowledged
before it, and the body is stored as it was received.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from argus.core.errors import StoreError
from argus.github_app.app import AppDeps, create_app, read_head
from argus.github_app.metrics import AppMetrics
from argus.github_app.queue import SQLiteJobQueue, payload_text
from argus.github_app.settings import AppSettings

SECRET = "group-commit-secret"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMII\n-----END RSA PRIVATE KEY-----\n"


@pytest.fixture
def queue(tmp_path: Path):
    queue = SQLiteJobQueue(tmp_path / "app.db")
    yield queue
    queue.close()


def stored(path: Path) -> dict[str, str]:
    """delivery id -> payload, read through a connection of its own (as after a restart)."""
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT delivery_id, payload FROM github_jobs").fetchall()
    return {delivery: payload_text(payload) for delivery, payload in rows}


def count_batches(queue: SQLiteJobQueue) -> list[int]:
    """Record the size of every transaction the queue writes."""
    sizes: list[int] = []
    write = queue.enqueue_many

    def counting(rows):
        sizes.append(len(rows))
        return write(rows)

    queue.enqueue_many = counting  # type: ignore[method-assign]
    return sizes


def test_concurrent_deliveries_are_each_stored_once_in_few_transactions(
    queue: SQLiteJobQueue,
) -> None:
    sizes = count_batches(queue)
    ids = [f"d-{index % 150}" for index in range(300)]  # every delivery sent twice

    async def send_all() -> list[bool]:
        return await asyncio.gather(
            *(
                queue.enqueue_json(
                    "pull_request.opened",
                    json.dumps({"n": index}),
                    delivery_id=delivery,
                    installation_id=7,
                )
                for index, delivery in enumerate(ids)
            )
        )

    added = asyncio.run(send_all())
    assert added == [True] * 150 + [False] * 150  # the first of each id wins
    rows = stored(queue.path)
    assert sorted(rows) == sorted(set(ids))
    assert all(json.loads(rows[f"d-{n}"]) == {"n": n} for n in range(150))
    assert sum(sizes) == 300 and len(sizes) < 300  # grouped
    job = queue.claim("w")
    assert job is not None and job.payload == {"n": 0} and job.installation_id == 7


def test_a_duplicate_inside_one_batch_and_against_the_store_is_refused(
    queue: SQLiteJobQueue,
) -> None:
    assert queue.enqueue("push", {"old": True}, delivery_id="a", installation_id=None)
    added = queue.enqueue_many(
        [
            ("push", '{"n":1}', None, "a"),
            ("push", '{"n":2}', None, "b"),
            ("push", '{"n":3}', None, "b"),
        ]
    )
    assert added == [False, True, False]
    assert stored(queue.path) == {"a": '{"old":true}', "b": '{"n":2}'}


def test_a_failed_transaction_acknowledges_none_of_its_batch_and_keeps_earlier_ones(
    queue: SQLiteJobQueue,
) -> None:
    async def send(ids: list[str]) -> list[object]:
        return await asyncio.gather(
            *(
                queue.enqueue_json("ping", "{}", delivery_id=delivery, installation_id=None)
                for delivery in ids
            ),
            return_exceptions=True,
        )

    assert asyncio.run(send(["kept-1", "kept-2"])) == [True, True]
    # The next transaction fails half-way (after some rows went in): a trigger refuses one row.
    with sqlite3.connect(queue.path) as db:
        db.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON github_jobs "
            "WHEN NEW.delivery_id = 'poison' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END"
        )
    results = asyncio.run(send(["lost-1", "lost-2", "poison", "lost-3"]))
    assert all(isinstance(result, StoreError) for result in results)
    assert sorted(stored(queue.path)) == ["kept-1", "kept-2"]  # nothing of the failed batch
    with sqlite3.connect(queue.path) as db:
        db.execute("DROP TRIGGER refuse")
    # The queue goes on: the failed deliveries, sent again (as GitHub would), are stored.
    assert asyncio.run(send(["lost-1", "poison"])) == [True, True]


def test_closing_the_queue_waits_for_the_transaction_being_written(tmp_path: Path) -> None:
    queue = SQLiteJobQueue(tmp_path / "app.db")
    writing = threading.Event()
    write = queue.enqueue_many

    def slow_write(rows):
        writing.set()
        time.sleep(0.3)  # close() comes while this transaction is being written
        return write(rows)

    queue.enqueue_many = slow_write  # type: ignore[method-assign]
    results: dict[str, object] = {}

    async def send(delivery: str) -> None:
        try:
            results[delivery] = await queue.enqueue_json(
                "ping", "{}", delivery_id=delivery, installation_id=None
            )
        except StoreError as error:
            results[delivery] = error

    async def send_then_close() -> None:
        first = [asyncio.create_task(send(f"d-{index}")) for index in range(50)]
        await asyncio.to_thread(writing.wait, 10)
        later = [asyncio.create_task(send(f"e-{index}")) for index in range(50)]
        await asyncio.sleep(0)
        await asyncio.to_thread(queue.close)
        await asyncio.gather(*first, *later)

    asyncio.run(send_then_close())
    acknowledged = {delivery for delivery, result in results.items() if result is True}
    assert acknowledged == {f"d-{index}" for index in range(50)}  # the batch being written
    assert all(isinstance(results[f"e-{index}"], StoreError) for index in range(50))
    assert set(stored(tmp_path / "app.db")) == acknowledged


def test_checkpoints_run_in_the_background_and_keep_the_jobs(tmp_path: Path) -> None:
    queue = SQLiteJobQueue(tmp_path / "app.db", checkpoint_bytes=10_000, wal_limit_bytes=1)
    try:
        checkpointer = queue._checkpointer
        # Two rounds, each past the 10 KB threshold; wake-ups within a round may coalesce
        # into one checkpoint, so each round waits for its own.
        for round_number in range(2):
            for index in range(20):
                delivery = f"d-{round_number}-{index}"
                # Random text: payloads are stored compressed, and this must still weigh ~3 KB.
                text = json.dumps({"blob": secrets.token_urlsafe(3_000)})
                assert queue.enqueue_many([("ping", text, None, delivery)]) == [True]
            for _ in range(400):
                if checkpointer.checkpoints > round_number:
                    break
                time.sleep(0.05)
            assert checkpointer.checkpoints > round_number
        assert len(stored(tmp_path / "app.db")) == 40
    finally:
        queue.close()


def _signed(body: bytes, delivery: str) -> dict[str, str]:
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-GitHub-Event": "pull_request",
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": f"sha256={signature}",
        "Content-Type": "application/json",
    }


def test_the_endpoint_stores_the_body_as_received_and_answers_500_when_it_cannot(
    queue: SQLiteJobQueue,
) -> None:
    metrics = AppMetrics()
    # The bytes stored are the point here, not the schema (test_webhook_schema.py checks it).
    deps = AppDeps(queue=queue, metrics=metrics, webhook_schemas=None)
    app = create_app(AppSettings(1, PEM, SECRET), deps)
    body = b'{"action": "opened",  "installation": {"id": 42}, "text": "caf\xc3\xa9 \\u00e9"}'
    with TestClient(app) as client:
        answer = client.post("/webhooks/github", content=body, headers=_signed(body, "x-1"))
        assert answer.status_code == 202
        assert answer.json() == {
            "status": "queued",
            "delivery": "x-1",
            "kind": "pull_request.opened",
        }
        assert stored(queue.path) == {"x-1": body.decode()}
        job = queue.claim("w")
        assert job is not None and job.installation_id == 42 and job.payload["text"] == "café é"

        queue.close()  # the store is gone: not acknowledged
        other = body.replace(b"42", b"43")  # the same body again would be a duplicate
        lost = client.post("/webhooks/github", content=other, headers=_signed(other, "x-2"))
        assert lost.status_code == 500 and lost.json()["error"] == "queue_error"
    assert (
        metrics.value("argus_github_deliveries_total", event="pull_request", outcome="error") == 1
    )


@pytest.mark.parametrize(
    ("body", "head"),
    [
        (
            b'{"action": "opened", "installation": {"id": 3}, "x": [1, {"y": null}]}',
            ("opened", {"id": 3}),
        ),
        (b'{"zen": "ok"}', (None, None)),
        (b'{"action": 5, "x": "\\ud800"}', (5, None)),  # json takes a lone surrogate escape
        (b"{nope", None),
        (b"[1]", None),
        (b'{"a": 1} trailing', None),
        (b'{"a": "\xff"}', None),  # not UTF-8
        (b'{"a": [1,, 2], "action": "opened"}', None),  # broken where nothing is read
    ],
)
def test_read_head_checks_the_whole_body_and_reads_two_fields(body: bytes, head) -> None:
    assert read_head(body) == head


def test_a_batch_larger_than_one_statement_is_one_transaction(queue: SQLiteJobQueue) -> None:
    assert queue.enqueue_many([("ping", "{}", None, "d-7"), ("ping", "{}", None, "d-900")])
    rows = [("ping", json.dumps({"n": n}), None, f"d-{n % 1100}") for n in range(1300)]
    added = queue.enqueue_many(rows)
    expected = [n < 1100 and n not in (7, 900) for n in range(1300)]
    assert added == expected
    assert len(stored(queue.path)) == 1100
    with sqlite3.connect(queue.path) as db:  # still refused as a whole when one row fails
        db.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON github_jobs "
            "WHEN NEW.delivery_id = 'e-1000' BEGIN SELECT RAISE(ABORT, 'no'); END"
        )
    with pytest.raises(StoreError):
        queue.enqueue_many([("ping", "{}", None, f"e-{n}") for n in range(1200)])
    assert len(stored(queue.path)) == 1100
