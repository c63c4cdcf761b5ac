"""A real ingestion server for tests: the `argus serve` composition under uvicorn, in a thread,
on a free loopback port; and a snapshot of every table of a store to prove nothing changed."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from argus.ingest_server.keys import Project, SQLiteProjectKeys
from argus.serve import ServeSettings
from argus.wiring import Wiring
from tests.support import free_port


@dataclass
class RunningServer:
    url: str
    store_path: Path
    project: Project
    other_project: Project

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30.0)

    def metric(self, line_start: str) -> int:
        page = httpx.get(f"{self.url}/metrics", timeout=10.0).text
        for line in page.splitlines():
            if line.startswith(line_start + " "):
                return int(float(line.rsplit(" ", 1)[1]))
        return 0


@contextmanager
def running_server(
    store_path: Path, *, max_body_bytes: int = 4 * 1024 * 1024, secret: str | None = "s3cret"
) -> Iterator[RunningServer]:
    keys = SQLiteProjectKeys(store_path)
    project = keys.add("shop", tenant="acme")
    other = keys.add("billing", tenant="globex")
    keys.close()
    port = free_port()
    settings = ServeSettings("127.0.0.1", port, store_path, max_body_bytes, secret)
    queue = f"sqlite:///{store_path.with_name('jobs.db')}"
    wiring = Wiring({}, dotenv=None, settings=settings, queue_url=queue)
    try:
        app = wiring.ingest_app
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the ingestion server did not start")
            time.sleep(0.02)
        try:
            yield RunningServer(f"http://127.0.0.1:{port}", store_path, project, other)
        finally:
            server.should_exit = True
            thread.join(timeout=20)
    finally:
        wiring.close()


def store_snapshot(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, to compare before and after a refused request."""
    connection = sqlite3.connect(path)
    try:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            table: sorted(connection.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)
            for table in tables
        }
    finally:
        connection.close()


@contextmanager
def serving(app: object) -> Iterator[str]:
    """Any ASGI ``app`` under uvicorn in a thread on a free loopback port; yields its URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
