"""Webhook acknowledgement under load: signed pull_request deliveries at rising concurrency.

One server process (uvicorn, one worker process, on loopback) runs the App as a deployment of
the embedded default does: ``github_app.worker.create_served_app`` — the webhook endpoint that
verifies the signature, types the payload with githubkit's models and stores the job in the
SQLite queue before answering 202. The embedded worker is **paused**, so only acknowledgement
is measured (no review competes for the CPU). The client (httpx, HTTP/1.1 keep-alive, in this
process) posts GitHub's recorded ``pull_request.opened`` payload (about 20 KB), each with a
fresh ``X-GitHub-Delivery``, at concurrency 10, 50 and 100; every level sends ``--per-level``
deliveries. After the run the jobs in the store are counted: none may be lost.

    .venv/bin/python benchmarks/webhook_load.py [--per-level 2000]

Prints p50/p99 latency and deliveries per second per level, and last the 100-concurrent line.
Target (issue 5): p99 <= 50 ms at 100 concurrent deliveries, and no delivery lost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "benchmark-webhook-secret"
LEVELS = (10, 50, 100)


def serve() -> None:
    """The server process: the embedded App with a paused worker."""
    import uvicorn

    from github_app.settings import load_settings
    from github_app.worker import create_served_app

    settings = load_settings(dotenv=None)
    app = create_served_app(settings, work=False)
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


async def level(url: str, body: bytes, concurrency: int, count: int) -> tuple[list[float], float]:
    from tests.servers.github_api import signed_headers

    latencies: list[float] = []
    failures = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(count):
        queue.put_nowait(index)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def sender() -> None:
            nonlocal failures
            while not queue.empty():
                queue.get_nowait()
                headers = signed_headers(SECRET, body, "pull_request", str(uuid.uuid4()))
                started = time.perf_counter()
                response = await client.post(url, content=body, headers=headers)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 202:
                    failures += 1

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    if failures:
        raise SystemExit(f"{failures} deliveries were not acknowledged with 202")
    return latencies, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-level", type=int, default=2000)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve:
        serve()
        return 0

    from tests.servers.github_api import build_demo_repo, demo_pull_request_payload, rsa_key_pair

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
        asyncio.run(level(f"{url}/webhooks/github", body, 10, 200))
        print(
            f"payload {len(body)} bytes; worker paused (acknowledgement only); "
            f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
        )
        sent = 200
        lines = []
        for concurrency in LEVELS:
            latencies, elapsed = asyncio.run(
                level(f"{url}/webhooks/github", body, concurrency, arguments.per_level)
            )
            sent += len(latencies)
            line = (
                f"concurrency {concurrency:>3}: p50 {statistics.median(latencies) * 1000:.1f} ms, "
                f"p99 {percentile(latencies, 0.99) * 1000:.1f} ms, "
                f"{len(latencies) / elapsed:.0f} deliveries/s ({len(latencies)} sent)"
            )
            lines.append(line)
            print(line, flush=True)
    finally:
        server.terminate()
        server.wait(15)
    with sqlite3.connect(database) as db:
        stored = db.execute("SELECT count(*) FROM github_jobs").fetchone()[0]
    lost = sent - stored
    print(f"deliveries sent {sent}, jobs stored {stored}, lost {lost}")
    print(f"{lines[-1]}; lost {lost}")
    return 0 if lost == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
