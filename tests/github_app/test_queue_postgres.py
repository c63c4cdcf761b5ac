"""The PostgreSQL queue (procrastinate) on this machine's server: schema, dedup, depth."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator

import procrastinate
import psycopg
import pytest
from procrastinate import PsycopgConnector

from argus.core.errors import StoreError
from argus.github_app.queue_postgres import (
    QUEUE_NAME,
    TASK_NAME,
    PostgresJobQueue,
    conninfo,
    ensure_schema,
    retry_stalled_jobs,
)

ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def database_url() -> Iterator[str]:
    name = f"argus_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_deliveries_are_deferred_once_even_when_raced(database_url: str) -> None:
    queues = [PostgresJobQueue(database_url) for _ in range(4)]
    ensure_schema(database_url)  # a second time is harmless
    results: list[bool] = []
    lock = threading.Lock()

    def send(queue: PostgresJobQueue) -> None:
        for index in range(20):
            added = queue.enqueue(
                "pull_request.opened", {"n": index}, delivery_id=f"d-{index}", installation_id=1
            )
            with lock:
                results.append(added)

    threads = [threading.Thread(target=send, args=(queue,)) for queue in queues]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 20 and results.count(False) == 60
    assert queues[0].depth() == 20 and queues[0].statuses() == {"todo": 20}
    with psycopg.connect(conninfo(database_url)) as connection:
        rows = connection.execute(
            "SELECT task_name, queue_name, args->>'delivery_id' FROM procrastinate_jobs"
        ).fetchall()
    assert {(task, queue) for task, queue, _ in rows} == {(TASK_NAME, QUEUE_NAME)}
    assert sorted(delivery for _, _, delivery in rows) == sorted(f"d-{i}" for i in range(20))
    for queue in queues:
        queue.close()


def test_no_stalled_jobs_without_a_dead_worker(database_url: str) -> None:
    queue = PostgresJobQueue(database_url)
    queue.enqueue("ping", {}, delivery_id="p-1", installation_id=None)

    async def sweep() -> int:
        app = procrastinate.App(connector=PsycopgConnector(conninfo=database_url))
        async with app.open_async():
            return await retry_stalled_jobs(app, seconds_since_heartbeat=1)

    assert asyncio.run(sweep()) == 0
    assert queue.statuses() == {"todo": 1}
    queue.close()


def test_an_unreachable_database_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="PostgreSQL"):
        PostgresJobQueue("postgresql://postgres@127.0.0.1:1/none?connect_timeout=2")


def test_jobs_of_one_pull_request_share_a_lock_so_they_never_run_at_once(
    database_url: str,
) -> None:
    """procrastinate runs no two jobs of one lock at the same time (a unique index on the lock
    of 'doing' jobs): two reviews of one PR on two workers would each post a sticky comment."""
    queue = PostgresJobQueue(database_url)
    repository = {"full_name": "acme/orders"}
    try:
        for delivery, payload in [
            ("a", {"number": 7, "repository": repository}),
            ("b", {"number": 7, "repository": repository}),
            ("c", {"issue": {"number": 8}, "repository": repository}),
            ("d", {"check_suite": {"pull_requests": [{"number": 7}]}, "repository": repository}),
            ("e", {"zen": "ping"}),
        ]:
            assert queue.enqueue(
                "pull_request.opened", payload, delivery_id=delivery, installation_id=1
            )
    finally:
        queue.close()
    with psycopg.connect(conninfo(database_url)) as connection:
        rows = dict(
            connection.execute(
                "SELECT args->>'delivery_id', lock FROM procrastinate_jobs"
            ).fetchall()
        )
        assert rows == {
            "a": "argus-pr:acme/orders#7",
            "b": "argus-pr:acme/orders#7",
            "c": "argus-pr:acme/orders#8",
            "d": "argus-pr:acme/orders#7",
            "e": None,
        }
        connection.execute(
            "UPDATE procrastinate_jobs SET status = 'doing' WHERE args->>'delivery_id' = 'a'"
        )
        with pytest.raises(psycopg.errors.UniqueViolation):
            connection.execute(
                "UPDATE procrastinate_jobs SET status = 'doing' WHERE args->>'delivery_id' = 'b'"
            )
