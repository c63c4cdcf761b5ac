"""A 202 means the delivery is stored: the server killed (SIGKILL) while deliveries are in
flight loses none it acknowledged (group commit answers only after the transaction committed)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

from argus.github_app.queue import SQLiteJobQueue, payload_text
from tests.servers.github_api import rsa_key_pair, signed_headers
from tests.support import free_port

WEBHOOKS = Path(__file__).resolve().parents[1] / "fixtures" / "github-webhooks"

SECRET = "durability-secret"
SERVE = """
import os, uvicorn
from argus.github_app.settings import load_settings
from argus.github_app.worker import create_served_app
app = create_served_app(load_settings(dotenv=None), work=False)
uvicorn.run(app, host="127.0.0.1", port=int(os.environ["PORT"]), log_level="warning")
"""


def test_killed_server_keeps_every_acknowledged_delivery(tmp_path: Path) -> None:
    database = tmp_path / "app.db"
    port = free_port()
    private_key, _ = rsa_key_pair()
    env = {
        **os.environ,
        "ARGUS_GITHUB_APP_ID": "1",
        "ARGUS_GITHUB_PRIVATE_KEY": private_key,
        "ARGUS_GITHUB_WEBHOOK_SECRET": SECRET,
        "ARGUS_GITHUB_API_URL": "http://127.0.0.1:9",
        "ARGUS_DATABASE_URL": f"sqlite:///{database}",
        "PORT": str(port),
    }
    root = Path(__file__).resolve().parents[2]
    server = subprocess.Popen([sys.executable, "-c", SERVE], env=env, cwd=root)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "no server"
            time.sleep(0.1)
        acknowledged = asyncio.run(send_until_killed(base, server))
    finally:
        if server.poll() is None:
            server.kill()
        server.wait(30)
    assert server.returncode == -signal.SIGKILL
    assert len(acknowledged) >= 100
    with sqlite3.connect(database) as db:  # a new connection replays the WAL
        stored = db.execute("SELECT delivery_id, payload FROM github_jobs").fetchall()
    rows = {delivery: payload_text(payload) for delivery, payload in stored}
    missing = acknowledged - set(rows)
    assert not missing, f"{len(missing)} acknowledged deliveries were lost"
    assert all(
        json.loads(rows[delivery])["pull_request"]["body"].startswith(delivery)
        for delivery in acknowledged
    )
    queue = SQLiteJobQueue(database)  # the queue reopens on the file and hands the jobs out
    try:
        assert queue.depth() == len(rows)
        assert queue.claim("after-restart") is not None
    finally:
        queue.close()


async def send_until_killed(base: str, server: subprocess.Popen) -> set[str]:
    """Post deliveries from 20 senders; SIGKILL the server after 150 were acknowledged."""
    acknowledged: set[str] = set()
    padding = "x" * 8000
    counter = iter(range(1_000_000))
    opened = json.loads((WEBHOOKS / "pull_request.opened.payload.json").read_text())

    async def sender(client: httpx.AsyncClient) -> None:
        while True:
            delivery = f"kill-{next(counter)}"
            pull_request = {**opened["pull_request"], "body": f"{delivery} {padding}"}
            body = json.dumps({**opened, "pull_request": pull_request}).encode()
            headers = signed_headers(SECRET, body, "pull_request", delivery)
            try:
                answer = await client.post(f"{base}/webhooks/github", content=body, headers=headers)
            except httpx.HTTPError:
                return  # the server is gone
            if answer.status_code == 202:
                acknowledged.add(delivery)
                if len(acknowledged) == 150:
                    server.send_signal(signal.SIGKILL)

    limits = httpx.Limits(max_connections=20)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:
        await asyncio.wait_for(asyncio.gather(*(sender(client) for _ in range(20))), 120)
    return acknowledged
