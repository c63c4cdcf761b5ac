"""The attacks of issue #10 against a running ``argus serve``, as an outsider would run them.

    .venv/bin/python benchmarks/abuse.py

Starts ``argus serve`` (uvicorn on loopback, a fresh ARGUS_HOME, the GitHub App on with the
embedded queue) with two projects: the *victim* tenant, whose SDK keeps sending ordinary events
all along (8 threads), and the *attacker*, whose DSN key is public (browser SDKs publish it).
Then, one after the other:

1. an unsigned 512 MiB body to ``POST /webhooks/github`` (Content-Length declared, streamed);
2. 100 concurrent unauthenticated 4 MiB envelope bodies, sent slowly (held open);
3. 100 concurrent unauthenticated gzip bombs (an envelope header, then 64 MiB of spaces);
4. 4 MiB of empty gzip members, with no key;
5. one event whose code line and message are 20 KB, then 40 KB, of ``a-a-a-…`` and ``token=x``;
6. 60 events carrying a lone surrogate (``\\ud800``), 8 at a time;
7. an envelope of 20 good events and 1 with a lone surrogate;
8. JSON nested 100,000 deep in an envelope header and in a signed webhook;
9. a signed webhook body sent again under a new delivery id;
10. 305 planted secrets (tests/ingest_server/planted.py) in every field an event carries,
    then read back from the store file, ``argus patterns list/show/export`` and the server log.

Prints each attack's answer and time; the server's peak resident memory (VmHWM from /proc) and
its resident memory after; the slowest request of the attacks and of the victim; the victim's
error rate; the secrets that survived. The last line holds the figures.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.ingest_server.planted import planted_events, survivors  # noqa: E402
from tests.servers.github_api import rsa_key_pair  # noqa: E402

WEBHOOK_SECRET = "abuse-webhook-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def memory_mb(pid: int) -> tuple[float, float]:
    """(resident, peak resident) of ``pid`` in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def argus(*args: str, env: dict[str, str]) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "argus", *args], capture_output=True, text=True, env=env, cwd=ROOT
    )
    if completed.returncode != 0:
        raise SystemExit(f"argus {' '.join(args)} failed:\n{completed.stderr}")
    return completed.stdout


class Victim:
    """The other tenant: ordinary events, sent without pause from several threads."""

    def __init__(self, url: str, project: str, key: str, threads: int = 8) -> None:
        self.url = f"{url}/api/{project}/store/"
        self.headers = {"X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7"}
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.sent = 0
        self.errors = 0
        self.slowest = 0.0
        self.threads = [threading.Thread(target=self.run, args=(n,)) for n in range(threads)]

    def run(self, number: int) -> None:
        with httpx.Client(timeout=120) as client:
            count = 0
            while not self.stop.is_set():
                count += 1
                event = {
                    "exception": {
                        "values": [
                            {
                                "type": "KeyError",
                                "value": f"'sku-{number}-{count}'",
                                "stacktrace": {
                                    "frames": [{"function": "price_of", "filename": "shop/cart.py"}]
                                },
                            }
                        ]
                    }
                }
                began = time.monotonic()
                try:
                    status = client.post(self.url, json=event, headers=self.headers).status_code
                except httpx.HTTPError:
                    status = 0
                took = time.monotonic() - began
                with self.lock:
                    self.sent += 1
                    self.errors += status != 200
                    self.slowest = max(self.slowest, took)
                time.sleep(0.02)

    def __enter__(self) -> Victim:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()


class Attacks:
    def __init__(self, url: str, project: str, key: str) -> None:
        self.url = url
        self.project = project
        self.key = key
        self.slowest = (0.0, "")
        self.lines: list[str] = []

    def note(self, name: str, took: float, outcome: str) -> None:
        self.slowest = max(self.slowest, (took, name))
        line = f"  {name:58s} {took:7.2f} s  {outcome}"
        self.lines.append(line)
        print(line, flush=True)

    def sdk(self) -> dict[str, str]:
        return {"X-Sentry-Auth": f"Sentry sentry_key={self.key}, sentry_version=7"}

    def envelope_url(self) -> str:
        return f"{self.url}/api/{self.project}/envelope/"

    def store_url(self) -> str:
        return f"{self.url}/api/{self.project}/store/"

    def timed(self, name: str, send) -> None:  # noqa: ANN001 - a callable giving an outcome
        began = time.monotonic()
        try:
            outcome = send()
        except (httpx.HTTPError, OSError) as error:
            outcome = f"{type(error).__name__}: {error}"[:120]
        self.note(name, time.monotonic() - began, str(outcome))

    # -- the attacks ------------------------------------------------------------------------

    def huge_unsigned_webhook(self) -> str:
        size = 512 * 1024 * 1024
        chunk = b"x" * (1024 * 1024)

        def body():
            for _ in range(size // len(chunk)):
                yield chunk

        with httpx.Client(timeout=300) as client:
            answer = client.post(
                f"{self.url}/webhooks/github",
                content=body(),
                headers={"Content-Length": str(size), "X-GitHub-Event": "ping"},
            )
        return f"{answer.status_code} {answer.text[:60]}"

    def held_open_bodies(self, count: int = 100, size: int = 4 * 1024 * 1024) -> str:
        port = int(self.url.rsplit(":", 1)[1])
        sockets = []
        statuses: dict[str, int] = {}
        try:
            for _ in range(count):
                sock = socket.create_connection(("127.0.0.1", port), timeout=30)
                sock.sendall(
                    f"POST /api/{self.project}/envelope/ HTTP/1.1\r\nHost: x\r\n"
                    f"Content-Length: {size}\r\n\r\n".encode()
                )
                sockets.append(sock)
            sent = 0
            piece = b" " * (256 * 1024)
            while sent < size:  # everyone sends a piece, round after round
                for sock in sockets:
                    try:
                        sock.sendall(piece)
                    except OSError:
                        continue
                sent += len(piece)
            for sock in sockets:
                try:
                    answer = sock.recv(64)
                except OSError:
                    answer = b""
                status = answer[9:12].decode() or "closed"
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            for sock in sockets:
                sock.close()
        return f"answers {statuses}"

    def gzip_bombs(self, count: int = 100) -> str:
        bomb = gzip.compress(b'{"event_id": "x"}\n' + b" " * (64 * 1024 * 1024), compresslevel=9)

        def one(_: int) -> int:
            with httpx.Client(timeout=120) as client:
                return client.post(
                    self.envelope_url(), content=bomb, headers={"Content-Encoding": "gzip"}
                ).status_code

        with ThreadPoolExecutor(count) as pool:
            statuses = list(pool.map(one, range(count)))
        return f"{len(bomb):,} bytes each; answers {sorted(set(statuses))}"

    def empty_gzip_members(self) -> str:
        member = gzip.compress(b"")
        body = member * (4 * 1024 * 1024 // len(member))
        answer = httpx.post(
            self.envelope_url(), content=body, headers={"Content-Encoding": "gzip"}, timeout=120
        )
        return f"{answer.status_code} {answer.json().get('error')}"

    def backtracking(self, size: int) -> str:
        hostile = ("a-" * (size // 2))[: size - 8] + " token=x"
        frame = {"function": "f", "filename": "a.py", "context_line": hostile}
        event = {
            "exception": {
                "values": [{"type": "E", "value": hostile, "stacktrace": {"frames": [frame]}}]
            }
        }
        answer = httpx.post(self.store_url(), json=event, headers=self.sdk(), timeout=300)
        return str(answer.status_code)

    def surrogates(self) -> str:
        body = b'{"exception": {"values": [{"type": "KeyError", "value": "bad \\ud800 key"}]}}'

        def one(_: int) -> int:
            with httpx.Client(timeout=120) as client:
                return client.post(self.store_url(), content=body, headers=self.sdk()).status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(one, range(60)))
        return f"answers {sorted(set(statuses))}"

    def mixed_envelope(self) -> str:
        lines = [b"{}"]
        for number in range(21):
            value = "bad \\ud800" if number == 10 else f"no item {number}"
            lines += [
                b'{"type": "event"}',
                b'{"exception": {"values": [{"type": "LookupError",'
                b' "value": "' + value.encode() + b'"}]}}',
            ]
        answer = httpx.post(
            self.envelope_url(), content=b"\n".join(lines) + b"\n", headers=self.sdk(), timeout=60
        )
        return str(answer.status_code)

    def deep_json(self) -> str:
        deep = b"[" * 100_000 + b"]" * 100_000
        header = httpx.post(
            self.envelope_url(),
            content=deep + b'\n{"type": "event"}\n{}\n',
            headers=self.sdk(),
            timeout=60,
        )
        hook = self.webhook(b'{"a": ' + deep + b"}", str(uuid.uuid4()))
        return f"envelope header {header.status_code}, signed webhook {hook.status_code}"

    def webhook(self, body: bytes, delivery: str) -> httpx.Response:
        signature = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
        return httpx.post(
            f"{self.url}/webhooks/github",
            content=body,
            headers={
                "X-GitHub-Event": "ping",
                "X-GitHub-Delivery": delivery,
                "X-Hub-Signature-256": f"sha256={signature}",
            },
            timeout=60,
        )

    def replayed_webhook(self) -> str:
        body = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()
        first = self.webhook(body, str(uuid.uuid4())).json().get("status")
        again = self.webhook(body, str(uuid.uuid4())).json().get("status")
        return f"first {first}, replayed under a new delivery id {again}"

    def plant(self) -> int:
        events, _ = planted_events()
        with httpx.Client(timeout=60) as client:
            refused = sum(
                client.post(self.store_url(), json=event, headers=self.sdk()).status_code != 200
                for event in events
            )
        return refused


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="argus-abuse-"))
    home = work / "home"
    home.mkdir()
    # The checkout this script is in is the code under test, wherever Argus is installed.
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "ARGUS_HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1", "PYTHONPATH": path}
    victim = json.loads(
        argus("projects", "add", "shop", "--tenant", "victim", "-f", "json", env=env)
    )
    attacker = json.loads(
        argus("projects", "add", "site", "--tenant", "attacker", "-f", "json", env=env)
    )
    private, _ = rsa_key_pair()
    port = free_port()
    server_env = {
        **env,
        "ARGUS_GITHUB_APP_ID": "1",
        "ARGUS_GITHUB_PRIVATE_KEY": private,
        "ARGUS_GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "ARGUS_GITHUB_API_URL": "http://127.0.0.1:9",
        "ARGUS_DATABASE_URL": f"sqlite:///{work / 'app.db'}",
    }
    log_path = work / "serve.log"
    url = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "argus", "serve", "--port", str(port), "--log-level", "info"],
            env=server_env,
            cwd=work,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit(f"argus serve did not start:\n{log_path.read_text()}")
                time.sleep(0.2)
            start_rss, _ = memory_mb(server.pid)
            print(f"argus serve on {url}, pid {server.pid}, {start_rss:.0f} MB resident")
            attacks = Attacks(url, str(attacker["project_id"]), attacker["public_key"])
            with Victim(url, str(victim["project_id"]), victim["public_key"]) as other:
                time.sleep(1)
                attacks.timed("unsigned 512 MiB webhook body", attacks.huge_unsigned_webhook)
                attacks.timed(
                    "100 unauthenticated 4 MiB bodies held open", attacks.held_open_bodies
                )
                attacks.timed("100 concurrent unauthenticated gzip bombs", attacks.gzip_bombs)
                attacks.timed("4 MiB of empty gzip members, no key", attacks.empty_gzip_members)
                attacks.timed("20 KB backtracking line", lambda: attacks.backtracking(20_000))
                attacks.timed("40 KB backtracking line", lambda: attacks.backtracking(40_000))
                attacks.timed("60 lone-surrogate events, 8 at a time", attacks.surrogates)
                attacks.timed("envelope: 20 good events + 1 lone surrogate", attacks.mixed_envelope)
                attacks.timed("100k-deep JSON", attacks.deep_json)
                attacks.timed("signed webhook replayed", attacks.replayed_webhook)
                attacks.timed("305 planted secrets (events refused)", lambda: str(attacks.plant()))
                time.sleep(1)
            rss, peak = memory_mb(server.pid)
            # What the secrets became, read back as a user would.
            _, planted = planted_events()
            listing = argus("patterns", "list", "--tenant", "attacker", "-f", "json", env=env)
            ids = [pattern["id"] for pattern in json.loads(listing)["patterns"]]
            outputs = [
                listing,
                argus("patterns", "list", "--tenant", "attacker", env=env),
                argus("patterns", "export", "--tenant", "attacker", env=env),
                *(argus("patterns", "show", i, "--tenant", "attacker", env=env) for i in ids),
                *(
                    argus("patterns", "show", i, "--tenant", "attacker", "-f", "json", env=env)
                    for i in ids
                ),
            ]
        finally:
            server.terminate()
            server.wait(timeout=60)
    with sqlite3.connect(home / "argus.db") as connection:
        outputs.append("\n".join(connection.iterdump()))  # every row of every table
    store = b"".join(path.read_bytes() for path in home.glob("argus.db*") if path.is_file())
    outputs.append(store.decode("utf-8", "replace"))  # and the raw files (WAL included)
    outputs.append(log_path.read_text(encoding="utf-8", errors="replace"))
    left = survivors(planted, *outputs)
    kinds = sorted({f"{secret.kind}/{secret.field}" for secret in left})
    print(
        f"server resident memory: {start_rss:.0f} MB at start, peak {peak:.0f} MB, {rss:.0f} after"
    )
    print(f"slowest attack step: {attacks.slowest[0]:.2f} s ({attacks.slowest[1]})")
    print(
        f"other tenant: {other.errors} errors of {other.sent} requests, slowest {other.slowest:.2f}"
    )
    print(f"secret survivors: {len(left)} of {len(planted)} {kinds[:12]}")
    rate = 100 * other.errors / max(1, other.sent)
    print(
        f"abuse: peak RSS {peak:.0f} MB (start {start_rss:.0f}), slowest attack step "
        f"{attacks.slowest[0]:.2f} s, other tenant errors {rate:.1f}% "
        f"({other.errors}/{other.sent}, slowest {other.slowest:.2f} s), "
        f"secret survivors {len(left)}/{len(planted)}"
    )


if __name__ == "__main__":
    main()
