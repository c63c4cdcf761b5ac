"""Webhook acknowledgement under load: signed pull_request deliveries at rising concurrency.

One server process (uvicorn, one worker process, on loopback) runs the App as a deployment of
the embedded default does: ``argus.github_app.worker.create_served_app``, the webhook endpoint that
verifies the signature, checks the JSON (building only ``action`` and the installation) and
stores the body in the SQLite queue by group commit before answering 202 (the worker runs the
handlers). The embedded worker is **paused**, so only acknowledgement
is measured (no review competes for the CPU).

The client runs in this process: keep-alive connections, a minimal HTTP/1.1 client on asyncio
protocols (on uvloop when installed; the load generator shares the machine, so it must cost
little). It posts GitHub's recorded ``pull_request.opened`` payload (about 24 KB), each with a
fresh ``X-GitHub-Delivery``, at concurrency 10, 50 and 100; every level sends ``--per-level``
deliveries over fresh connections, all opened before its first delivery is sent. (With
``--send-while-connecting`` each connection starts as soon as it is open, as this benchmark
did before: the first deliveries of the late connections then wait 100-250 ms behind those of
the connections already open, and that sets the p99 at 100.) Latency is from writing a
request to reading its whole answer. After the run the jobs in the store are counted: none
may be lost. The server's CPU time per delivery (all its threads) is read from /proc, the
client's from its own process time. The
1-minute load average is printed with the figures: on a shared 2-core machine other
processes' load moves them a lot.

    .venv/bin/python benchmarks/webhook_load.py [--per-level 2000] [--send-while-connecting]

Prints p50/p99 latency and deliveries per second per level, and last the 100-concurrent line.
Target (issue 5): p99 <= 50 ms at 100 concurrent deliveries, and no delivery lost.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "benchmark-webhook-secret"
LEVELS = (10, 50, 100)


def serve() -> None:
    """The server process: the embedded App with a paused worker."""
    import uvicorn

    from argus.gc_tuning import tune_for_serving
    from argus.github_app.settings import load_settings
    from argus.github_app.worker import create_served_app

    settings = load_settings(dotenv=None)
    app = create_served_app(settings, work=False)
    tune_for_serving()  # as ``argus serve`` does before serving
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(os.environ["BENCH_PORT"]),
        log_level="warning",
        access_log=False,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(int(round(fraction * (len(ordered) - 1))), len(ordered) - 1)
    return ordered[index]


def request_bytes(port: int, body: bytes) -> bytes:
    """One signed delivery as HTTP/1.1 bytes (a fresh delivery id each time, and a body of
    its own, as GitHub's deliveries are: the App refuses a body it has seen as a replay)."""
    from tests.servers.github_api import signed_headers

    delivery = str(uuid.uuid4())
    # The shared body is checked against GitHub's webhook schema once (signed_headers caches
    # it); checking each delivery's copy in Python cost the client 4-6 ms of CPU a delivery,
    # taken from the server on this 2-core machine.
    headers = signed_headers(SECRET, body, "pull_request", delivery)
    body = body.rstrip()[:-1] + f', "bench_delivery": "{delivery}"}}'.encode()
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers["x-hub-signature-256"] = f"sha256={signature}"
    lines = ["POST /webhooks/github HTTP/1.1", f"host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"content-length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


class _Connection(asyncio.Protocol):
    """One keep-alive connection sending its share of the deliveries one after the other."""

    def __init__(
        self,
        requests: list[bytes],
        latencies: list[float],
        failures: list[str],
        send_at_once: bool,
    ):
        self.requests = requests
        self.send_at_once = send_at_once
        self.latencies = latencies
        self.failures = failures
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: Any = None
        self.buffer = b""
        self.started = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        if self.send_at_once:
            self._send_next()

    def _send_next(self) -> None:
        if not self.requests:
            self.transport.close()
            return
        data = self.requests.pop()
        self.started = time.perf_counter()
        self.transport.write(data)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = self.buffer[:end]
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        if len(self.buffer) < end + 4 + length:
            return
        self.latencies.append(time.perf_counter() - self.started)
        if not head.startswith(b"HTTP/1.1 202"):
            self.failures.append(head.split(b"\r\n", 1)[0].decode())
        self.buffer = self.buffer[end + 4 + length :]
        self._send_next()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            if self.requests:
                self.done.set_exception(exc or ConnectionError("the server closed the connection"))
            else:
                self.done.set_result(None)


LevelResult = tuple[list[float], float]


async def level(
    port: int, body: bytes, concurrency: int, count: int, *, connect_first: bool = True
) -> LevelResult:
    """Send ``count`` deliveries over ``concurrency`` keep-alive connections; latencies.

    ``connect_first``: open every connection before the first delivery (the figures are then
    those of deliveries on open connections); else each connection sends as soon as it is
    open, while the others are still connecting.
    """
    # A minimal HTTP/1.1 client on asyncio protocols: the load generator shares the machine
    # with the server, so it must cost little (httpx's client costs more than the endpoint,
    # asyncio streams about a third more than this).
    latencies: list[float] = []
    failures: list[str] = []
    requests = [request_bytes(port, body) for _ in range(count)]
    requests.reverse()
    loop = asyncio.get_running_loop()

    def connection() -> _Connection:
        return _Connection(requests, latencies, failures, send_at_once=not connect_first)

    if not connect_first:
        started = time.perf_counter()
    connections = [
        (await loop.create_connection(connection, "127.0.0.1", port))[1] for _ in range(concurrency)
    ]
    if connect_first:
        started = time.perf_counter()
        for each in connections:
            each._send_next()
    await asyncio.gather(*(each.done for each in connections))
    elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{len(failures)} deliveries were not acknowledged: {failures[0]}")
    if len(latencies) != count:
        raise SystemExit(f"{count - len(latencies)} deliveries were not answered")
    return latencies, elapsed


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-level", type=int, default=2000)
    parser.add_argument(
        "--send-while-connecting",
        action="store_true",
        help="each connection sends as soon as it is open (the first figures of each level "
        "then include waiting behind the deliveries of the connections already open)",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve:
        serve()
        return 0

    from tests.servers.github_api import build_demo_repo, demo_pull_request_payload, rsa_key_pair

    run: Callable[[Coroutine[Any, Any, LevelResult]], LevelResult] = asyncio.run
    try:
        import uvloop

        run = uvloop.run
    except ImportError:
        pass

    work = Path(tempfile.mkdtemp(prefix="argus-webhook-load-"))
    repo = build_demo_repo(work / "orders")
    body = json.dumps(demo_pull_request_payload("opened", repo, 1)).encode("utf-8")
    private, _ = rsa_key_pair()
    port = free_port()
    database = work / "app.db"
    env = {
        **os.environ,
        "ARGUS_GITHUB_APP_ID": "1",
        "ARGUS_GITHUB_PRIVATE_KEY": private,
        "ARGUS_GITHUB_WEBHOOK_SECRET": SECRET,
        "ARGUS_GITHUB_API_URL": "http://127.0.0.1:9",  # never called: the worker is paused
        "ARGUS_DATABASE_URL": f"sqlite:///{database}",
        "BENCH_PORT": str(port),
    }
    server = subprocess.Popen([sys.executable, __file__, "--serve"], env=env, cwd=work)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.1)
        # Warm up (first-request imports, connection set-up); not counted in the levels.
        run(level(port, body, 10, 200))
        print(
            f"payload {len(body)} bytes; worker paused (acknowledgement only); "
            f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}"
        )
        sent = 200
        lines = []
        for concurrency in LEVELS:
            cpu_before = cpu_seconds(server.pid)
            client_before = time.process_time()
            load = os.getloadavg()[0]
            latencies, elapsed = run(
                level(
                    port,
                    body,
                    concurrency,
                    arguments.per_level,
                    connect_first=not arguments.send_while_connecting,
                )
            )
            server_cpu = (cpu_seconds(server.pid) - cpu_before) / len(latencies)
            client_cpu = (time.process_time() - client_before) / len(latencies)
            sent += len(latencies)
            line = (
                f"concurrency {concurrency:>3}: p50 {statistics.median(latencies) * 1000:.1f} ms, "
                f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms, "
                f"{len(latencies) / elapsed:.0f} deliveries/s ({len(latencies)} sent; "
                f"server CPU {server_cpu * 1000:.2f} ms a delivery, "
                f"client {client_cpu * 1000:.2f}; "
                f"load {load:.2f})"
            )
            lines.append(line)
            print(line, flush=True)
    finally:
        server.terminate()
        server.wait(15)
    with contextlib.closing(sqlite3.connect(database)) as db:
        stored = db.execute("SELECT count(*) FROM github_jobs").fetchone()[0]
    shutil.rmtree(work, ignore_errors=True)  # ~150 MB of stored deliveries
    lost = sent - stored
    print(f"deliveries sent {sent}, jobs stored {stored}, lost {lost}")
    print(f"{lines[-1]}; lost {lost}")
    return 0 if lost == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
