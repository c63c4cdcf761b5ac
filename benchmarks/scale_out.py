"""Scale-out proof: ``argus serve`` and ``argus worker`` processes on one PostgreSQL, nodes
SIGKILLed mid-run, and PostgreSQL itself stopped mid-run.

    .venv/bin/python benchmarks/scale_out.py [--events 20000] [--retries 3] [--deliveries 2000]
        [--servers 3] [--workers 2] [--senders 48] [--webhook-senders 8] [--pulls 50]
        [--outage-seconds 8] [--skip-outage | --only-outage] [--keep DIR]

1. Events and webhooks at once. A fresh database on the local PostgreSQL
   (``ARGUS_BENCH_DATABASE_URL``) is migrated and given one project; ``--servers`` ``argus
   serve`` processes with the GitHub App on (its queue in the same database) and
   ``--workers`` ``argus worker`` processes share it, against the local GitHub API stand-in
   (tests/servers/github_api.py) serving the demo repository with ``--pulls`` pull requests.
   A round-robin client sends ``--events`` Sentry events to ``/store/``, each its own
   ``event_id`` (``--senders`` at a time; ``--signatures`` distinct functions) and, at the
   same time, ``--deliveries`` signed
   ``pull_request.opened`` deliveries (``--webhook-senders`` at a time, each its own delivery
   id, spread over the pull requests). A third of the way through the events, server 1 and
   worker 1 are SIGKILLed and started again 2 s later; a refused connection goes to the next
   server; an event whose answer was lost (connection cut, timeout, 5xx) is sent again to
   the next server, at most ``--retries`` times (as an SDK transport or a load balancer
   retries; the server stores an event id once); a delivery answered 503 is sent again
   after its Retry-After.

   Printed: events acknowledged (200), re-sent, vs stored (the sum of the patterns'
   occurrences, and the distinct event ids stored) — lost = acknowledged but not stored,
   must be 0, and stored without acknowledgement, must be 0; patterns sharing a hash (must
   be 0); deliveries
   acknowledged (202 queued, or 200 a duplicate of a body already queued under another id)
   and the jobs by state once the queue drained; pull requests with other than exactly one
   Argus comment (must be 0).
2. The same client against one ``argus serve`` on SQLite (no kill), for comparison.
3. The outage: a private PostgreSQL cluster (``initdb`` in a temporary folder, its own port,
   so the machine's PostgreSQL is not disturbed) under one server and one worker; events and
   deliveries keep coming while the cluster is stopped for ``--outage-seconds`` and started
   again. Printed: the answers by status during the outage (503 with Retry-After), how soon
   after PostgreSQL is back requests succeed again, events acknowledged vs stored, the jobs.

Last line: throughput against the single SQLite process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
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
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WEBHOOK_SECRET = "scale-out-secret"
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
    """Sentry events (what an SDK sends to ``/store/``), each with an ``event_id`` of its own,
    so that a re-sent event is recognised and stored once."""
    events = []
    for number in range(count):
        root = f"/srv/release-{number % 97}"
        module, function = f"mod_{number % signatures}", f"load_{number % signatures}"
        frames = [
            {
                "filename": "main.py",
                "abs_path": f"{root}/main.py",
                "function": "<module>",
                "lineno": 20 + number % 7,
                "in_app": True,
            },
            {
                "filename": "shop/cart.py",
                "abs_path": f"{root}/shop/cart.py",
                "function": "checkout",
                "lineno": 30 + number % 11,
                "in_app": True,
            },
            {
                "filename": f"shop/{module}.py",
                "abs_path": f"{root}/shop/{module}.py",
                "function": function,
                "lineno": 5 + number % 13,
                "in_app": True,
            },
        ]
        event = {
            "event_id": f"{number:032x}",
            "platform": "python",
            "exception": {
                "values": [
                    {
                        "type": "KeyError",
                        "value": f"'user-{number}'",
                        "stacktrace": {"frames": frames},
                    }
                ]
            },
        }
        events.append(json.dumps(event).encode())
    return events


def _events_path(project_id: object) -> str:
    return f"/api/{project_id}/store/"


def _event_headers(key: str) -> dict[str, str]:
    return {
        "X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7, sentry_client=bench/1.0",
        "Content-Type": "application/json",
    }


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
        deadline = time.monotonic() + 300  # start-up is slow on a loaded machine
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
    on_kill: Any = None,
    retries: int = 3,
) -> tuple[int, int, int, float]:
    """Send every event (round robin); returns (acknowledged, failed, re-sent, seconds).

    An event whose answer did not come back (the connection cut, a timeout) or came back 5xx
    is sent again to the next server, at most ``retries`` times, as an SDK transport or a load
    balancer retries: the event may have been stored already (a server killed after its
    commit), and the server stores an event id once."""
    acknowledged = failed = resent = 0
    next_event = 0
    headers = _event_headers(key)
    killed = asyncio.Event()

    async def restart(node: Node) -> None:
        if on_kill is not None:
            await asyncio.to_thread(on_kill)
            return
        await asyncio.to_thread(node.kill)
        await asyncio.sleep(2.0)
        await asyncio.to_thread(node.start)

    async def sender(client: httpx.AsyncClient, number: int) -> None:
        nonlocal acknowledged, failed, next_event, resent
        turn = number
        restarting: asyncio.Task[None] | None = None
        while next_event < len(events):
            index = next_event
            next_event += 1
            if kill_at is not None and index >= kill_at and not killed.is_set():
                killed.set()
                restarting = asyncio.create_task(restart(nodes[0]))
            # A refused connection never reached a server: the next one gets the event (as a
            # load balancer routes around a dead node); it is not a re-send.
            tries = 0
            for _ in range(len(nodes) * 3 + retries):
                node = nodes[turn % len(nodes)]
                turn += 1
                try:
                    answer = await client.post(
                        node.base + path, content=events[index], headers=headers
                    )
                except httpx.ConnectError:
                    continue
                except httpx.HTTPError:
                    status = 0  # the answer was lost: stored or not, the sender cannot tell
                else:
                    status = answer.status_code
                if status == 200:
                    acknowledged += 1
                    break
                if (status == 0 or status >= 500) and tries < retries:
                    tries += 1
                    resent += 1
                    continue
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
    return acknowledged, failed, resent, time.perf_counter() - started


def run_postgres(arguments: argparse.Namespace, events: list[bytes], work: Path) -> float:
    from argus.core.store.postgres import migrate
    from argus.ingest_server.keys_postgres import PostgresProjectKeys

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
            path = _events_path(project.project_id)
            acknowledged, failed, resent, seconds = asyncio.run(
                _send_all(
                    nodes,
                    events,
                    path,
                    project.public_key,
                    arguments.senders,
                    len(events) // 3,
                    retries=arguments.retries,
                )
            )
        finally:
            for node in nodes:
                node.stop()
        with psycopg.connect(url) as db:
            row = db.execute(
                "SELECT count(*), coalesce(sum(occurrences), 0), "
                "count(*) - count(DISTINCT (tenant, pattern_hash)), "
                "(SELECT count(*) FROM seen_events) FROM patterns"
            ).fetchone()
        assert row is not None
        patterns, stored, duplicates, ids = (int(value) for value in row)
    print(
        f"postgres x{arguments.servers} servers (server 1 SIGKILLed at event "
        f"{len(events) // 3} and restarted): {len(events)} sent, {acknowledged} acknowledged, "
        f"{failed} not acknowledged, {resent} re-sent after a lost answer, {stored} stored "
        f"(occurrences; {ids} distinct event ids); lost (acknowledged, not stored) "
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
    from argus.ingest_server.keys import SQLiteProjectKeys

    home = work / "sqlite"
    home.mkdir()
    keys = SQLiteProjectKeys(home / "argus.db")
    project = keys.add("bench", "acme")
    keys.close()
    node = Node(_free_port(), _environment(home, None), home / "serve.log")
    try:
        node.start()
        acknowledged, failed, resent, seconds = asyncio.run(
            _send_all(
                [node],
                events,
                _events_path(project.project_id),
                project.public_key,
                arguments.senders,
                None,
                retries=arguments.retries,
            )
        )
    finally:
        node.stop()
    rate = acknowledged / seconds
    print(
        f"sqlite x1: {acknowledged} of {len(events)} acknowledged, {failed} not, {resent} re-sent"
    )
    return rate


class PrivateCluster:
    """A PostgreSQL cluster of this run's own (``initdb`` in a temporary folder, its own port),
    so that stopping it mid-run disturbs no other user of the machine's PostgreSQL."""

    def __init__(self) -> None:
        # Its own folder outside the run's (which only root may enter), for the postgres user.
        self.folder = Path(tempfile.mkdtemp(prefix="argus-pg-"))
        self.port = _free_port()
        self.bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True)

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        data = str(self.folder / "data")
        self._as_postgres(
            str(self.bin / "initdb"), "-D", data, "--auth=trust", "-U", "postgres", "-E", "UTF8"
        )
        self.start()

    def start(self) -> None:
        data = str(self.folder / "data")
        self._as_postgres(
            str(self.bin / "pg_ctl"),
            "-D",
            data,
            "-l",
            str(self.folder / "data" / "server.log"),
            "-o",
            f"-p {self.port} -k {self.folder} -c max_connections=300 -c fsync=on",
            "-w",
            "start",
        )

    def stop(self) -> None:
        self._as_postgres(
            str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop"
        )


async def _send_deliveries(
    nodes: list[Node], bodies: list[bytes], secret: str, senders: int
) -> dict[str, int]:
    """Post every delivery once (round robin, ``senders`` at a time); a refused connection goes
    to the next server, a 503 is sent again after its Retry-After (as a load balancer or
    GitHub's redelivery would). Returns counts: acknowledged, queued, refused_503, failed."""
    import hashlib
    import hmac

    counts = {"acknowledged": 0, "queued": 0, "refused_503": 0, "failed": 0}
    next_body = 0

    async def sender(client: httpx.AsyncClient, number: int) -> None:
        nonlocal next_body
        turn = number
        while next_body < len(bodies):
            body = bodies[next_body]
            next_body += 1
            signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
            headers = {
                "content-type": "application/json",
                "x-github-event": "pull_request",
                "x-github-delivery": str(uuid.uuid4()),
                "x-hub-signature-256": f"sha256={signature}",
            }
            for _ in range(len(nodes) * 20):
                node = nodes[turn % len(nodes)]
                turn += 1
                try:
                    answer = await client.post(
                        f"{node.base}/webhooks/github", content=body, headers=headers
                    )
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
                    continue
                except httpx.HTTPError:
                    continue  # cut mid-request (the node was killed): send it again
                # 202 queued; 200 "duplicate": a body the server already queued under another
                # delivery id (the same pull request's body sent again).
                if answer.status_code in (200, 202):
                    status = answer.json().get("status")
                    if status in ("queued", "duplicate"):
                        counts["acknowledged"] += 1
                        counts["queued"] += status == "queued"
                        break
                if answer.status_code == 503:
                    counts["refused_503"] += 1
                    await asyncio.sleep(min(5.0, float(answer.headers.get("retry-after", "1"))))
                    continue
                counts["failed"] += 1
                break
            else:
                counts["failed"] += 1

    async with httpx.AsyncClient(timeout=60) as client:
        await asyncio.gather(*(sender(client, number) for number in range(senders)))
    return counts


def _app_fixture(arguments: argparse.Namespace, work: Path) -> tuple[Any, ...]:
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

    app_id, installation = 31337, 501
    private, public = rsa_key_pair()
    repo = build_demo_repo(work / "demo" / "orders")
    pulls = range(1, arguments.pulls + 1)
    github = GitHubAPIServer(app_id, public)
    github.__enter__()
    github.add_repository(DEMO_OWNER, DEMO_REPO, repo, default_branch=DEMO_BASE)
    for number in pulls:
        github.add_pull_request(DEMO_OWNER, DEMO_REPO, number, base=DEMO_BASE, head=DEMO_HEAD)
    template = demo_pull_request_payload("opened", repo, installation)
    bodies = []
    for index in range(arguments.deliveries):
        payload = json.loads(json.dumps(template))
        number = pulls[index % len(pulls)]
        payload["number"] = number
        payload["pull_request"]["number"] = number
        bodies.append(json.dumps(payload).encode())
    app_env = {
        "ARGUS_GITHUB_APP_ID": str(app_id),
        "ARGUS_GITHUB_PRIVATE_KEY": private,
        "ARGUS_GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "ARGUS_GITHUB_API_URL": github.url,
    }
    comments = lambda: {  # noqa: E731
        number: len(github.issue_comments(DEMO_OWNER, DEMO_REPO, number)) for number in pulls
    }
    return github, bodies, app_env, comments


def _statuses(queue: Any) -> dict[str, int]:
    """The queue's jobs by state (the benchmark's own connection may have died in an outage:
    the queue reconnects on the next call)."""
    for _ in range(5):
        try:
            return dict(queue.statuses())
        except psycopg.Error:
            time.sleep(1.0)
    return dict(queue.statuses())


def _drain(queue: Any, seconds: float) -> dict[str, int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        statuses = _statuses(queue)
        if not statuses.get("todo") and not statuses.get("doing"):
            break
        time.sleep(1.0)
    return _statuses(queue)


def run_combined(arguments: argparse.Namespace, events: list[bytes], work: Path) -> float:
    """Events and webhook deliveries at once on PostgreSQL-backed servers and workers; server 1
    and worker 1 SIGKILLed a third of the way through the events and restarted."""
    from argus.core.store.postgres import migrate
    from argus.github_app.queue_postgres import PostgresJobQueue
    from argus.ingest_server.keys_postgres import PostgresProjectKeys

    github, bodies, app_env, comments = _app_fixture(arguments, work)
    try:
        with _database() as url:
            migrate(url)
            keys = PostgresProjectKeys(url)
            project = keys.add("bench", "acme")
            keys.close()
            queue = PostgresJobQueue(url)  # procrastinate's schema once, before the nodes
            nodes: list[Node] = []
            workers: list[Worker] = []
            for number in range(arguments.servers):
                home = work / f"node{number}"
                home.mkdir()
                env = {**_environment(home, url), **app_env}
                nodes.append(Node(_free_port(), env, home / "serve.log"))
            for number in range(arguments.workers):
                home = work / f"worker{number}"
                home.mkdir()
                env = {**_environment(home, url), **app_env}
                workers.append(Worker(env, home / "worker.log"))
            try:
                for node in nodes:
                    node.start()
                for worker in workers:
                    worker.start()

                def kill_and_restart() -> None:
                    nodes[0].kill()
                    workers[0].kill()
                    time.sleep(2.0)
                    workers[0].start()
                    nodes[0].start()

                async def both() -> tuple[tuple[int, int, int, float], dict[str, int], float]:
                    started = time.perf_counter()
                    sent_events, sent_deliveries = await asyncio.gather(
                        _send_all(
                            nodes,
                            events,
                            _events_path(project.project_id),
                            project.public_key,
                            arguments.senders,
                            len(events) // 3,
                            on_kill=kill_and_restart,
                            retries=arguments.retries,
                        ),
                        _send_deliveries(nodes, bodies, WEBHOOK_SECRET, arguments.webhook_senders),
                    )
                    return sent_events, sent_deliveries, time.perf_counter() - started

                (acknowledged, failed, resent, seconds), deliveries, sending = asyncio.run(both())
                sent = time.perf_counter()
                statuses = _drain(queue, arguments.drain_seconds)
                draining = time.perf_counter() - sent
            finally:
                for worker in workers:
                    worker.stop()
                for node in nodes:
                    node.stop()
                queue.close()
            with psycopg.connect(url) as db:
                row = db.execute(
                    "SELECT count(*), coalesce(sum(occurrences), 0), "
                    "count(*) - count(DISTINCT (tenant, pattern_hash)), "
                    "(SELECT count(*) FROM seen_events) FROM patterns"
                ).fetchone()
            assert row is not None
            patterns, stored, duplicates, ids = (int(value) for value in row)
        counted = comments()
    finally:
        github.__exit__(None, None, None)
    wrong = sum(count != 1 for count in counted.values())
    print(
        f"postgres x{arguments.servers} servers + {arguments.workers} workers (server 1 and "
        f"worker 1 SIGKILLed at event {len(events) // 3} and restarted), events and webhooks "
        f"at once: {len(events)} events sent, {acknowledged} acknowledged, {failed} not "
        f"acknowledged, {resent} re-sent after a lost answer, {stored} stored (occurrences; "
        f"{ids} distinct event ids); lost (acknowledged, not stored) "
        f"{max(0, acknowledged - stored)}; stored without acknowledgement "
        f"{max(0, stored - acknowledged)}"
    )
    print(
        f"patterns {patterns} for {arguments.signatures} distinct signatures sent; "
        f"duplicate patterns (same hash) {duplicates}"
    )
    queued = deliveries["queued"]
    print(
        f"webhooks: {len(bodies)} deliveries to {arguments.pulls} pull requests, "
        f"{deliveries['acknowledged']} acknowledged ({queued} queued: 202, "
        f"{deliveries['acknowledged'] - queued} duplicates of a body already queued: 200), "
        f"{deliveries['refused_503']} answers 503 sent again, {deliveries['failed']} failed; "
        f"jobs {statuses} (lost queued jobs: "
        f"{queued - statuses.get('succeeded', 0) - statuses.get('failed', 0)}); all sent in "
        f"{sending:.0f} s, queue drained {draining:.0f} s after"
    )
    print(f"pull requests with other than exactly one comment: {wrong}")
    rate = acknowledged / seconds
    print(f"postgres x{arguments.servers}: {rate:.0f} events/s acknowledged ({seconds:.1f} s)")
    return rate


def run_outage(arguments: argparse.Namespace, work: Path) -> None:
    """A private PostgreSQL cluster stopped for ``--outage-seconds`` while events and
    deliveries keep coming: 503 with Retry-After meanwhile, service resumes by itself, and
    every acknowledged event is stored."""
    from argus.core.store.postgres import migrate
    from argus.github_app.queue_postgres import PostgresJobQueue
    from argus.ingest_server.keys_postgres import PostgresProjectKeys

    cluster = PrivateCluster()
    cluster.create()
    arguments.deliveries = min(arguments.deliveries, 200)
    (work / "outage").mkdir()
    github, bodies, app_env, comments = _app_fixture(arguments, work / "outage")
    codes: dict[int, int] = {}
    retry_after: set[str] = set()
    timeline: list[tuple[float, int]] = []
    try:
        url = cluster.admin_url
        migrate(url)
        keys = PostgresProjectKeys(url)
        project = keys.add("bench", "acme")
        keys.close()
        queue = PostgresJobQueue(url)
        home = work / "outage-node"
        home.mkdir()
        node = Node(_free_port(), {**_environment(home, url), **app_env}, home / "serve.log")
        worker_home = work / "outage-worker"
        worker_home.mkdir()
        worker = Worker({**_environment(worker_home, url), **app_env}, worker_home / "w.log")
        events = _events(100_000, arguments.signatures)
        acknowledged = 0
        try:
            node.start()
            worker.start()
            worker.wait_ready()
            started = time.perf_counter()
            outage = {"down": 0.0, "up": 0.0}
            warm = asyncio.Event()
            done = asyncio.Event()

            async def outage_task() -> None:
                # Stop PostgreSQL once both kinds of request have succeeded (start-up is slow
                # on a loaded machine), start it again, and keep sending for a while after.
                try:
                    await asyncio.wait_for(warm.wait(), 300)
                except TimeoutError:
                    pass
                outage["down"] = time.perf_counter() - started
                await asyncio.to_thread(cluster.stop)
                await asyncio.sleep(arguments.outage_seconds)
                await asyncio.to_thread(cluster.start)
                outage["up"] = time.perf_counter() - started
                await asyncio.sleep(40)
                done.set()

            async def post(client: httpx.AsyncClient, kind: str, index: int) -> int:
                if kind == "event":
                    answer = await client.post(
                        node.base + _events_path(project.project_id),
                        content=events[index],
                        headers=_event_headers(project.public_key),
                    )
                else:
                    import hashlib
                    import hmac

                    body = bodies[index % len(bodies)]
                    digest = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
                    answer = await client.post(
                        f"{node.base}/webhooks/github",
                        content=body,
                        headers={
                            "content-type": "application/json",
                            "x-github-event": "pull_request",
                            "x-github-delivery": str(uuid.uuid4()),
                            "x-hub-signature-256": f"sha256={digest}",
                        },
                    )
                if answer.status_code == 503:
                    retry_after.add(answer.headers.get("retry-after", "missing"))
                return answer.status_code

            async def sender(client: httpx.AsyncClient, kind: str, offset: int) -> None:
                nonlocal acknowledged
                index = offset
                while not done.is_set():
                    try:
                        code = await post(client, kind, index)
                    except httpx.HTTPError:
                        code = 0
                    codes[code] = codes.get(code, 0) + 1
                    timeline.append((time.perf_counter() - started, code))
                    if {200, 202} <= set(codes):
                        warm.set()
                    if kind == "event" and code == 200:
                        acknowledged += 1
                    index += 16
                    await asyncio.sleep(0.01)

            async def everything() -> None:
                async with httpx.AsyncClient(timeout=30) as client:
                    await asyncio.gather(
                        outage_task(),
                        *(sender(client, "event", n) for n in range(8)),
                        *(sender(client, "delivery", n) for n in range(8, 10)),
                    )

            asyncio.run(everything())
            statuses = _drain(queue, 300)
        finally:
            worker.stop()
            node.stop()
            queue.close()
        with psycopg.connect(url) as db:
            row = db.execute("SELECT coalesce(sum(occurrences), 0) FROM patterns").fetchone()
        stored = int(row[0]) if row else 0
    finally:
        github.__exit__(None, None, None)
        try:
            cluster.stop()
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(cluster.folder, ignore_errors=True)
    after = [code for moment, code in timeline if moment > outage["up"] + 15]
    during = [code for moment, code in timeline if outage["down"] + 1 < moment < outage["up"]]
    first_ok = min(
        (moment for moment, code in timeline if moment > outage["up"] and code in (200, 202)),
        default=float("nan"),
    )
    print(
        f"PostgreSQL stopped at {outage['down']:.1f} s for {arguments.outage_seconds:.0f} s "
        f"(private cluster): answers {dict(sorted(codes.items()))} (0: connection error); "
        f"during the outage {len(during)} answers, {sum(c == 503 for c in during)} of them 503, "
        f"Retry-After {sorted(retry_after)}; first success {first_ok - outage['up']:.1f} s after "
        f"PostgreSQL was back; from 15 s after it, {sum(c in (200, 202) for c in after)} of "
        f"{len(after)} succeeded; events acknowledged {acknowledged}, stored {stored} "
        f"(lost {max(0, acknowledged - stored)}); jobs {statuses}"
    )


class Worker:
    """One ``argus worker`` process (restartable)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.started = (
            self.log.read_bytes().count(b"argus worker: PostgreSQL queue")
            if (self.log.exists())
            else 0
        )
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
                # A worker silent this long is taken for dead; a live one that is only late
                # keeps its jobs (they hold their pull request's lock: queue_postgres).
                "--stalled-seconds",
                "20",
            ],
            cwd=self.log.parent,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, seconds: float = 120.0) -> None:
        """Wait until the worker says it works the queue (start-up takes seconds when the
        machine is loaded)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.log.read_bytes().count(b"argus worker: PostgreSQL queue") > self.started:
                return
            if self.process is not None and self.process.poll() is not None:
                raise SystemExit(f"argus worker exited while starting: see {self.log}")
            time.sleep(0.2)
        raise SystemExit(f"argus worker did not start: see {self.log}")

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
    parser.add_argument(
        "--retries",
        type=int,
        default=3,
        help="times an event whose answer was lost (cut, timeout, 5xx) is sent again",
    )
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--webhook-senders", type=int, default=8)
    parser.add_argument("--pulls", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--drain-seconds", type=float, default=1800)
    parser.add_argument("--outage-seconds", type=float, default=8.0)
    parser.add_argument("--skip-outage", action="store_true", help="no PostgreSQL outage phase")
    parser.add_argument("--only-outage", action="store_true", help="only the outage phase")
    parser.add_argument("--keep", type=Path, help="keep the nodes' logs in this new folder")
    arguments = parser.parse_args()
    if arguments.keep is not None:
        arguments.keep.mkdir(parents=True)
        _run(arguments, arguments.keep)
        return
    with tempfile.TemporaryDirectory(prefix="argus-scale-") as folder:
        _run(arguments, Path(folder))


def _run(arguments: argparse.Namespace, work: Path) -> None:
    if arguments.only_outage:
        run_outage(arguments, work)
        return
    events = _events(arguments.events, arguments.signatures)
    postgres = run_combined(arguments, events, work)
    sqlite = run_sqlite(arguments, events, work)
    if not arguments.skip_outage:
        run_outage(arguments, work)
    # The figure to compare, last: throughput against one SQLite process.
    print(
        f"throughput: {postgres:.0f} events/s on PostgreSQL x{arguments.servers} servers "
        f"(one killed, webhooks at the same time) vs {sqlite:.0f} events/s on one SQLite "
        f"process ({postgres / sqlite:.2f}x)"
    )


if __name__ == "__main__":
    main()
