"""The webhook endpoint bounded before it is authenticated, under real uvicorn on loopback.

Each test is an attack of issue #10: a huge unsigned body, a flood of unsigned bodies held
open, JSON nested 100,000 deep in a signed delivery, a signed body replayed under a new
delivery id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn

from argus.core.input_limits import ByteBudget
from argus.github_app.app import AppDeps, create_app
from argus.github_app.metrics import AppMetrics
from argus.github_app.settings import AppSettings
from tests.github_app.test_webhook_app import PEM, SECRET, ListQueue
from tests.support import free_port


@contextmanager
def webhook_server(deps: AppDeps) -> Iterator[str]:
    port = free_port()
    app = create_app(AppSettings(1, PEM, SECRET), deps)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


def signed(body: bytes, delivery: str, event: str = "ping") -> dict[str, str]:
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery,
        "X-Hub-Signature-256": f"sha256={digest}",
        "Content-Type": "application/json",
    }


@pytest.fixture
def queue() -> ListQueue:
    return ListQueue()


def test_an_unsigned_body_over_the_limit_is_refused_before_it_is_read(queue: ListQueue) -> None:
    budget = ByteBudget(64 * 1024 * 1024)
    deps = AppDeps(
        queue=queue, metrics=AppMetrics(), max_body_bytes=1024 * 1024, unverified_budget=budget
    )
    sent = 0

    def endless() -> Iterator[bytes]:  # chunked, no Content-Length: only the running size tells
        nonlocal sent
        chunk = b"x" * 65536
        for _ in range(512):  # 32 MiB if the server read it all
            sent += len(chunk)
            yield chunk

    with webhook_server(deps) as url:
        # httpx computes Content-Length itself: a raw socket declares a 512 MiB body.
        with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=10) as raw:
            raw.sendall(
                b"POST /webhooks/github HTTP/1.1\r\nHost: x\r\nContent-Length: 536870912\r\n"
                b"X-GitHub-Event: ping\r\n\r\n"
            )
            answer = raw.recv(4096)
        assert answer.startswith(b"HTTP/1.1 413"), answer
        try:
            streamed = httpx.post(f"{url}/webhooks/github", content=endless(), timeout=10)
            assert streamed.status_code == 413
            assert streamed.json()["error"] == "body_too_large"
        except httpx.HTTPError:
            pass  # the server may close the connection before the client reads its answer
    assert sent > 1024 * 1024  # the body did go past the limit
    assert budget.peak <= 1024 * 1024 + 65536
    assert budget.held == 0 and queue.jobs == []


def test_unverified_bodies_in_flight_share_a_bounded_budget(queue: ListQueue) -> None:
    budget = ByteBudget(1024 * 1024)  # four 256 KiB bodies
    deps = AppDeps(queue=queue, metrics=AppMetrics(), unverified_budget=budget)
    with webhook_server(deps) as url:
        port = int(url.rsplit(":", 1)[1])
        held_open = []
        try:
            for _ in range(6):  # each sends 300 KiB of a declared 1 MiB body, then waits
                sock = socket.create_connection(("127.0.0.1", port), timeout=10)
                sock.sendall(
                    b"POST /webhooks/github HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n"
                    b"X-GitHub-Event: ping\r\n\r\n" + b"x" * (300 * 1024)
                )
                held_open.append(sock)
            deadline = time.monotonic() + 10
            while budget.refused == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert budget.refused > 0, "no body was refused past the budget"
            assert budget.peak <= budget.total
        finally:
            for sock in held_open:
                sock.close()
        deadline = time.monotonic() + 10
        while budget.held and time.monotonic() < deadline:
            time.sleep(0.05)
        assert budget.held == 0
        # A signed delivery gets through once the flood is gone.
        body = b'{"zen": "ok"}'
        answer = httpx.post(f"{url}/webhooks/github", content=body, headers=signed(body, "d-1"))
        assert answer.status_code == 202, answer.text


def test_a_signed_body_nested_100k_deep_is_a_clear_400(queue: ListQueue) -> None:
    deps = AppDeps(queue=queue, metrics=AppMetrics())
    with webhook_server(deps) as url:
        for body in (b'{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", b"[" * 100_000):
            answer = httpx.post(f"{url}/webhooks/github", content=body, headers=signed(body, "d"))
            assert answer.status_code == 400, answer.text
            assert answer.json()["error"] == "bad_json"
    assert queue.jobs == []


def test_a_signed_body_replayed_under_a_new_delivery_id_is_a_duplicate(queue: ListQueue) -> None:
    deps = AppDeps(queue=queue, metrics=AppMetrics())
    body = json.dumps({"action": "created", "installation": {"id": 7}}).encode()
    with webhook_server(deps) as url:
        first = httpx.post(f"{url}/webhooks/github", content=body, headers=signed(body, "d-1"))
        again = httpx.post(f"{url}/webhooks/github", content=body, headers=signed(body, "d-2"))
        redelivered = httpx.post(
            f"{url}/webhooks/github", content=body, headers=signed(body, "d-1")
        )
    assert first.json()["status"] == "queued"
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert redelivered.json()["status"] == "duplicate"
    assert [job.delivery_id for job in queue.jobs] == ["d-1"]
