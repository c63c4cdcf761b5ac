"""Scale-out proof: several ``argus serve`` processes on one PostgreSQL, one SIGKILLed mid-run.

    .venv/bin/python benchmarks/scale_out.py [--events 20000] [--servers 3] [--senders 48]
        [--deliveries 2000] [--pulls 50] [--workers 2] [--skip-events]

A fresh PostgreSQL database (``ARGUS_BENCH_DATABASE_URL``, default the local ``test``
server's) is migrated and given one project; ``--servers`` ``argus serve`` processes on
loopback share it (``ARGUS_DATABASE_URL``). A round-robin client (``--senders`` concurrent
requests, keep-alive) sends ``--events`` pasted Python tracebacks, each with its own deploy
root, line numbers and value; ``--signatures`` distinct functions make that many patterns.
When a third of the events are sent, server 1 is SIGKILLed, and started again 2 s later; its
requests in flight fail (not acknowledged) and the client moves on to the next server.

Printed: events acknowledged (HTTP 200) vs stored (the sum of the patterns' occurrences in
PostgreSQL) — lost = acknowledged but not stored, must be 0; patterns vs distinct signatures
sent and patterns sharing a hash (duplicates, must be 0); events per second; and the same
client against one ``argus serve`` on SQLite (no kill) for comparison, last line.

Then the webhook half (``--deliveries``, 0 to skip): ``--servers`` new servers with the GitHub
App on (its queue in PostgreSQL) and ``--workers`` ``argus worker`` processes, against the local
GitHub API stand-in (tests/servers/github_api.py) serving the demo repository with
``--pulls`` pull requests. ``--deliveries`` signed ``pull_request.opened`` deliveries (each
its own delivery id, spread over the pull requests) are posted one after another, round
robin, while server 1 and worker 1 are SIGKILLed a third of the way and restarted. Printed:
deliveries acknowledged (202; a body a server already queued under another delivery id is
answered as a duplicate, by design), jobs by state (every queued delivery must end as a
job), and pull requests with other than exactly one Argus comment (must be 0).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ADMIN_URL = os.environ.get("ARGUS_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")

TRACEBACK = """\
Traceback (most recent call last):
  File "/srv/{root}/main.py", line {line0}, in <module>
    checkout(sys.argv[1], sys.argv[2])
  File "/srv/{root}/shop/cart.py", line {line1}, in checkout
    return {function}({{"alice": 1}}, value)
  File "/srv/{root}/shop/{module}.py", line {line2}, in {function}
    return users[user_id]
KeyError: '{value}'
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _events(count: int, signatures: int) -> list[bytes]:
    return [
        TRACEBACK.format(
            root=f"release-{number % 97}",
            line0=20 + number % 7,
            line1=30 + number % 11,
            line2=5 + number % 13,
            function=f"load_{number % signatures}",
            module=f"mod_{number % signatures}",
            value=f"user-{number}",
        ).encode()
        for number in range(count)
    ]


class Node:
    """One ``argus serve`` process on a fixed port (restartable on the same port)."""

    def __init__(self, port: int, env: dict[str, str], log: Path) -> None:
        self.port = port
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        output = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "argus", "serve", "--port", str(self.port)],
            cwd=self.log.parent,
            env=self.env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"argus serve exited while starting: see {self.log}")
            try:
                if httpx.get(f"{self.base}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"argus serve did not start: see {self.log}")

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def _database() -> Iterator[str]:
    name = f"argus_scale_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _environment(home: Path, database_url: str | None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ARGUS_", "CLOUDFLARE_", "ANTHROPIC_"))
    }
    env.update({"ARGUS_HOME": str(home), "PYTHONPATH": str(ROOT)})
    if database_url is not None:
        env["ARGUS_DATABASE_URL"] = database_url
    return env


async def _send_all(
    nodes: list[Node],
    events: list[bytes],
    path: str,
    key: str,
    senders: int,
    kill_at: int | None,
) -> tuple[int, int, float]:
    """Send every event once (round robin); returns (acknowledged, failed, seconds)."""
    acknowledged = failed = 0
    next_event = 0
    headers = {"Authorization": f"Bearer {key}"}
    killed = asyncio.Event()

    async def restart(node: Node) -> None:
        await asyncio.to_thread(node.kill)
        await asyncio.sleep(2.0)
        await asyncio.to_thread(node.start)

    async def sender(client: httpx.AsyncClient, number: int) -> None:
        nonlocal acknowledged, failed, next_event
        turn = number
        restarting: asyncio.Task[None] | None = None
        while next_event < len(events):
            index = next_event
            next_event += 1
            if kill_at is not None and index >= kill_at and not killed.is_set():
                killed.set()
                restarting = asyncio.create_task(restart(nodes[0]))
            # A refused connection never reached a server: the next one gets the event (as a
            # load balancer routes around a dead node). Anything else is not acknowledged.
            for _ in range(len(nodes) * 3):
                node = nodes[turn % len(nodes)]
                turn += 1
                try:
                    answer = await client.post(
                        node.base + path, content=events[index], headers=headers
                    )
                except httpx.ConnectError:
                    continue
                except httpx.HTTPError:
                    failed += 1
                    break
                if answer.status_code == 200:
                    acknowledged += 1
                else:
                    failed += 1
                break
            else:
                failed += 1
        if restarting is not None:
            await restarting

    limits = httpx.Limits(max_connections=senders, max_keepalive_connections=senders)
    started = time.perf_counter()
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        await asyncio.gather(*(sender(client, number) for number in range(senders)))
    return acknowledged, failed, time.perf_counter() - started


def run_postgres(arguments: argparse.Namespace, events: list[bytes], work: Path) -> float:
    from core.store.postgres import migrate
    from ingest_server.keys_postgres import PostgresProjectKeys

    with _database() as url:
        migrate(url)
        keys = PostgresProjectKeys(url)
        project = keys.add("bench", "acme")
        keys.close()
        nodes = []
        for number in range(arguments.servers):
            home = work / f"node{number}"
            home.mkdir()
            nodes.append(Node(_free_port(), _environment(home, url), home / "serve.log"))
        try:
            for node in nodes:
                node.start()
            path = f"/api/{project.project_id}/errors"
            acknowledged, failed, seconds = asyncio.run(
                _send_all(
                    nodes, events, path, project.public_key, arguments.senders, len(events) // 3
                )
            )
        finally:
            for node in nodes:
                node.stop()
        with psycopg.connect(url) as db:
            row = db.execute(
                "SELECT count(*), coalesce(sum(occurrences), 0), "
                "count(*) - count(DISTINCT (tenant, pattern_hash)) FROM patterns"
            ).fetchone()
        assert row is not None
        patterns, stored, duplicates = (int(value) for value in row)
    print(
        f"postgres x{arguments.servers} servers (server 1 SIGKILLed at event "
        f"{len(events) // 3} and restarted): {len(events)} sent, {acknowledged} acknowledged, "
        f"{failed} not acknowledged, {stored} stored; lost (acknowledged, not stored) "
        f"{max(0, acknowledged - stored)}; stored without acknowledgement "
        f"{max(0, stored - acknowledged)}"
    )
    print(
        f"patterns {patterns} for {arguments.signatures} distinct signatures sent; "
        f"duplicate patterns (same hash) {duplicates}"
    )
    rate = acknowledged / seconds
    print(f"postgres x{arguments.servers}: {rate:.0f} events/s acknowledged ({seconds:.1f} s)")
    return rate


def run_sqlite(arguments: argparse.Namespace, events: list[bytes], work: Path) -> float:
    from ingest_server.keys import SQLiteProjectKeys

    home = work / "sqlite"
    home.mkdir()
    keys = SQLiteProjectKeys(home / "argus.db")
    project = keys.add("bench", "acme")
    keys.close()
    node = Node(_free_port(), _environment(home, None), home / "serve.log")
    try:
        node.start()
        acknowledged, failed, seconds = asyncio.run(
            _send_all(
                [node],
                events,
                f"/api/{project.project_id}/errors",
                project.public_key,
                arguments.senders,
                None,
            )
        )
    finally:
        node.stop()
    rate = acknowledged / seconds
    print(f"sqlite x1: {acknowledged} of {len(events)} acknowledged, {failed} not")
    return rate


def run_webhooks(arguments: argparse.Namespace, work: Path) -> None:
    import hashlib
    import hmac
    import json

    from github_app.queue_postgres import PostgresJobQueue
    from tests.servers.github_api import (
        DEMO_BASE,
        DEMO_HEAD,
        DEMO_OWNER,
        DEMO_REPO,
        GitHubAPIServer,
        build_demo_repo,
        demo_pull_request_payload,
        rsa_key_pair,
    )

    secret, app_id, installation = "scale-out-secret", 31337, 501
    private, public = rsa_key_pair()
    repo = build_demo_repo(work / "demo" / "orders")
    pulls = range(1, arguments.pulls + 1)
    with _database() as url, GitHubAPIServer(app_id, public) as github:
        github.add_repository(DEMO_OWNER, DEMO_REPO, repo, default_branch=DEMO_BASE)
        for number in pulls:
            github.add_pull_request(DEMO_OWNER, DEMO_REPO, number, base=DEMO_BASE, head=DEMO_HEAD)
        queue = PostgresJobQueue(url)  # creates procrastinate's schema once, before the nodes

        def environment(home: Path) -> dict[str, str]:
            env = _environment(home, url)
            env.update(
                {
                    "ARGUS_GITHUB_APP_ID": str(app_id),
                    "ARGUS_GITHUB_PRIVATE_KEY": private,
                    "ARGUS_GITHUB_WEBHOOK_SECRET": secret,
                    "ARGUS_GITHUB_API_URL": github.url,
                }
            )
            return env

        nodes, workers = [], []
        for number in range(arguments.servers):
            home = work / f"app-node{number}"
            home.mkdir()
            nodes.append(Node(_free_port(), environment(home), home / "serve.log"))
        for number in range(arguments.workers):
            home = work / f"worker{number}"
            home.mkdir()
            workers.append(Worker(environment(home), home / "worker.log"))
        template = demo_pull_request_payload("opened", repo, installation)
        bodies = []
        for index in range(arguments.deliveries):
            payload = json.loads(json.dumps(template))
            number = pulls[index % len(pulls)]
            payload["number"] = number
            payload["pull_request"]["number"] = number
            bodies.append(json.dumps(payload).encode())
        try:
            for node in nodes:
                node.start()
            for worker in workers:
                worker.start()
            kill_at = arguments.deliveries // 3
            acknowledged = queued = 0
            started = time.perf_counter()
            with httpx.Client(timeout=60) as client:
                for index, body in enumerate(bodies):
                    if index == kill_at:
                        nodes[0].kill()
                        workers[0].kill()
                        workers[0].start()
                        nodes[0].start()
                    delivery = str(uuid.uuid4())
                    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
                    headers = {
                        "content-type": "application/json",
                        "x-github-event": "pull_request",
                        "x-github-delivery": delivery,
                        "x-hub-signature-256": f"sha256={signature}",
                    }
                    for turn in range(len(nodes)):
                        node = nodes[(index + turn) % len(nodes)]
                        try:
                            answer = client.post(
                                f"{node.base}/webhooks/github", content=body, headers=headers
                            )
                        except httpx.ConnectError:
                            continue
                        if answer.status_code == 202:
                            acknowledged += 1
                            queued += answer.json().get("status") == "queued"
                        break
            deadline = time.monotonic() + arguments.drain_seconds
            while time.monotonic() < deadline:
                statuses = queue.statuses()
                if not statuses.get("todo") and not statuses.get("doing"):
                    break
                time.sleep(1.0)
            seconds = time.perf_counter() - started
            statuses = queue.statuses()
        finally:
            for worker in workers:
                worker.stop()
            for node in nodes:
                node.stop()
            queue.close()
        comments = {
            number: len(github.issue_comments(DEMO_OWNER, DEMO_REPO, number)) for number in pulls
        }
    wrong = sum(count != 1 for count in comments.values())
    print(
        f"webhooks: {arguments.deliveries} deliveries to {len(pulls)} pull requests, "
        f"{acknowledged} acknowledged (202: {queued} queued, {acknowledged - queued} "
        f"duplicates of a body already queued); jobs {statuses} (lost queued jobs: "
        f"{queued - statuses.get('succeeded', 0) - statuses.get('failed', 0)}); "
        f"{arguments.workers} workers, server 1 and worker 1 SIGKILLed at delivery "
        f"{arguments.deliveries // 3} and restarted; {seconds:.0f} s"
    )
    print(f"pull requests with other than exactly one comment: {wrong}")


class Worker:
    """One ``argus worker`` process (restartable)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "argus",
                "worker",
                "--env-file",
                str(self.log.parent / "none.env"),
                "--heartbeat-seconds",
                "1",
                "--stalled-seconds",
                "5",
            ],
            cwd=self.log.parent,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--servers", type=int, default=3)
    parser.add_argument("--senders", type=int, default=48)
    parser.add_argument("--signatures", type=int, default=200)
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--pulls", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--drain-seconds", type=float, default=1800)
    parser.add_argument("--skip-events", action="store_true", help="only the webhook half")
    arguments = parser.parse_args()
    if arguments.skip_events:
        with tempfile.TemporaryDirectory(prefix="argus-scale-") as folder:
            run_webhooks(arguments, Path(folder))
        return
    events = _events(arguments.events, arguments.signatures)
    with tempfile.TemporaryDirectory(prefix="argus-scale-") as folder:
        work = Path(folder)
        postgres = run_postgres(arguments, events, work)
        sqlite = run_sqlite(arguments, events, work)
        if arguments.deliveries:
            run_webhooks(arguments, work)
    # The figure to compare, last: throughput against one SQLite process.
    print(
        f"throughput: {postgres:.0f} events/s on PostgreSQL x{arguments.servers} servers "
        f"(one killed) vs {sqlite:.0f} events/s on one SQLite process "
        f"({postgres / sqlite:.2f}x)"
    )


if __name__ == "__main__":
    main()
