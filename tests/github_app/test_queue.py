"""The embedded SQLite job queue and its worker: dedup, leases, retries, restart."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

import pytest

from argus.github_app.jobs import Job
from argus.github_app.metrics import AppMetrics
from argus.github_app.queue import SQLiteJobQueue, payload_text, retry_delay
from argus.github_app.worker import EmbeddedWorker


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def queue(tmp_path: Path, clock: Clock) -> SQLiteJobQueue:
    return SQLiteJobQueue(tmp_path / "app.db", lease_seconds=30, max_attempts=3, clock=clock)


def put(queue: SQLiteJobQueue, delivery: str, number: int = 1) -> bool:
    return queue.enqueue(
        "pull_request.opened", {"number": number}, delivery_id=delivery, installation_id=9
    )


def test_a_delivery_is_stored_once(queue: SQLiteJobQueue) -> None:
    assert put(queue, "d-1") is True
    assert put(queue, "d-1", number=2) is False
    assert queue.depth() == 1
    job = queue.claim("w")
    assert job is not None
    assert (job.kind, job.payload, job.installation_id, job.delivery_id, job.attempts) == (
        "pull_request.opened",
        {"number": 1},
        9,
        "d-1",
        1,
    )
    assert queue.claim("w") is None  # the only job is leased
    assert queue.complete(job, "w")
    assert put(queue, "d-1") is False  # done deliveries stay deduplicated
    assert queue.counts() == {"done": 1} and queue.depth() == 0


def test_jobs_come_out_oldest_first(queue: SQLiteJobQueue) -> None:
    for index in range(3):
        put(queue, f"d-{index}", index)
    taken = [queue.claim("w") for _ in range(3)]
    assert [job.payload["number"] for job in taken if job] == [0, 1, 2]


def test_an_expired_lease_is_taken_again_and_the_old_worker_loses_it(
    queue: SQLiteJobQueue, clock: Clock
) -> None:
    put(queue, "d-1")
    first = queue.claim("dead")
    assert first is not None
    clock.now += 29
    assert queue.claim("other") is None
    clock.now += 2
    second = queue.claim("other")
    assert second is not None and second.id == first.id and second.attempts == 2
    assert not queue.renew(first, "dead") and not queue.complete(first, "dead")
    assert queue.complete(second, "other")


def test_renewing_keeps_the_lease(queue: SQLiteJobQueue, clock: Clock) -> None:
    put(queue, "d-1")
    job = queue.claim("w")
    assert job is not None
    for _ in range(5):
        clock.now += 20
        assert queue.renew(job, "w")
        assert queue.claim("thief") is None


def test_failures_back_off_then_fail_for_good(queue: SQLiteJobQueue, clock: Clock) -> None:
    put(queue, "d-1")
    for attempt in (1, 2):
        job = queue.claim("w")
        assert job is not None and job.attempts == attempt
        assert queue.fail(job, "w", "boom") == "queued"
        assert queue.claim("w") is None  # not due yet
        clock.now += retry_delay(attempt)
    job = queue.claim("w")
    assert job is not None and job.attempts == 3
    assert queue.fail(job, "w", "RuntimeError: boom") == "failed"
    clock.now += 10_000
    assert queue.claim("w") is None
    row = queue.job_row(job.id)
    assert row is not None and row["status"] == "failed" and row["last_error"].endswith("boom")


def test_a_released_job_is_not_counted_as_an_attempt(queue: SQLiteJobQueue) -> None:
    put(queue, "d-1")
    job = queue.claim("w")
    assert job is not None and queue.release(job, "w")
    again = queue.claim("w")
    assert again is not None and again.attempts == 1


def test_concurrent_claimers_never_share_a_job(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    producer = SQLiteJobQueue(path)
    for index in range(200):
        put(producer, f"d-{index}", index)
    taken: list[str] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        queue = SQLiteJobQueue(path)  # a connection of its own, as another process has
        while (job := queue.claim(name)) is not None:
            with lock:
                taken.append(job.id)
            queue.complete(job, name)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(taken) == 200 and len(set(taken)) == 200
    assert producer.counts() == {"done": 200}


def test_jobs_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    first = SQLiteJobQueue(path, lease_seconds=0.2)
    put(first, "d-1")
    assert first.claim("old-process") is not None
    first.close()
    restarted = SQLiteJobQueue(path, lease_seconds=0.2)
    assert restarted.claim("new-process") is None  # the lease still holds
    import time

    time.sleep(0.3)
    job = restarted.claim("new-process")
    assert job is not None and job.attempts == 2


def test_payloads_are_stored_compressed_and_come_back_byte_for_byte(
    queue: SQLiteJobQueue,
) -> None:
    text = '{"action":"opened","body":"' + "naïve " * 4000 + '","n":1}'
    assert queue.enqueue_many([("pull_request.opened", text.encode(), 9, "big")]) == [True]
    (stored,) = queue._db.execute("SELECT payload FROM github_jobs").fetchone()
    assert isinstance(stored, bytes) and len(stored) < len(text) // 10
    assert payload_text(stored) == text
    job = queue.claim("w")
    assert job is not None and job.payload == json.loads(text)


def test_a_payload_stored_as_text_by_an_earlier_version_is_still_read(
    queue: SQLiteJobQueue, clock: Clock
) -> None:
    queue._db.execute(
        "INSERT INTO github_jobs (kind, payload, installation_id, delivery_id, run_after, "
        "created_at) VALUES ('pull_request.opened', '{\"number\":7}', 9, 'old', ?, ?)",
        (clock.now, clock.now),
    )
    job = queue.claim("w")
    assert job is not None and job.payload == {"number": 7} and job.delivery_id == "old"


def test_embedded_worker_runs_jobs_as_they_arrive_and_retries_failures(tmp_path: Path) -> None:
    queue = SQLiteJobQueue(tmp_path / "app.db", lease_seconds=5)
    seen: list[tuple[str, int]] = []
    done = asyncio.Event()

    async def runner(job: Job) -> None:
        seen.append((job.delivery_id, job.attempts))
        if job.delivery_id == "flaky" and job.attempts == 1:
            raise RuntimeError("GitHub said 502")
        if len(seen) == 3:
            done.set()

    async def main() -> None:
        metrics = AppMetrics()
        worker = EmbeddedWorker(queue, runner, concurrency=2, poll_seconds=0.05, metrics=metrics)
        await worker.start()
        put(queue, "steady")
        put(queue, "flaky")
        # The retry waits retry_delay(1) = 2 s; make it due now.
        await asyncio.sleep(0.2)
        queue._db.execute("UPDATE github_jobs SET run_after = 0 WHERE status = 'queued'")
        await asyncio.wait_for(done.wait(), 5)
        await worker.stop()
        assert (
            metrics.value("argus_github_jobs_total", kind="pull_request.opened", outcome="retried")
            == 1
        )

    asyncio.run(main())
    assert sorted(seen) == [("flaky", 1), ("flaky", 2), ("steady", 1)]
    assert queue.counts() == {"done": 2}


def test_stopping_gives_the_running_job_back(tmp_path: Path) -> None:
    queue = SQLiteJobQueue(tmp_path / "app.db", lease_seconds=5)
    started = asyncio.Event()

    async def runner(job: Job) -> None:
        started.set()
        await asyncio.sleep(60)

    async def main() -> None:
        worker = EmbeddedWorker(queue, runner, concurrency=1, poll_seconds=0.05)
        await worker.start()
        put(queue, "slow")
        await asyncio.wait_for(started.wait(), 5)
        await worker.stop()

    asyncio.run(main())
    assert queue.counts() == {"queued": 1}
    job = queue.claim("next")
    assert job is not None and job.attempts == 1


def test_a_worker_does_not_take_back_its_own_expired_lease(
    queue: SQLiteJobQueue, clock: Clock
) -> None:
    put(queue, "d-1")
    assert queue.claim("busy") is not None
    clock.now += 31  # a long synchronous step kept the renewal from running
    assert queue.claim("busy") is None
    assert queue.claim("other") is not None


def test_jobs_that_fail_for_good_are_dead_letters_until_retried(
    queue: SQLiteJobQueue, clock: Clock
) -> None:
    queue.enqueue("pull_request.opened", {"n": 1}, delivery_id="dead-1", installation_id=1)
    for attempt in range(queue.max_attempts):
        job = queue.claim("w")
        assert job is not None and job.attempts == attempt + 1
        queue.fail(job, "w", f"GitHubAPIError: HTTP 422 on attempt {attempt + 1}")
        clock.now += 1000
    assert queue.claim("w") is None
    assert queue.failed_count() == 1
    (dead,) = queue.failed_jobs()
    assert dead["delivery_id"] == "dead-1" and dead["attempts"] == queue.max_attempts
    assert dead["last_error"] == f"GitHubAPIError: HTTP 422 on attempt {queue.max_attempts}"
    assert queue.retry_failed(dead["id"]) and not queue.retry_failed(dead["id"])
    assert queue.failed_count() == 0
    job = queue.claim("w")
    assert job is not None and job.delivery_id == "dead-1" and job.attempts == 1
