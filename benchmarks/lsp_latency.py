"""Keystroke-to-diagnostics latency of `argus lsp` on a 3,000-line file in a 2,000-commit repo.

A real client process (this script) starts `python -m argus lsp` and talks JSON-RPC to it over
its stdin/stdout: initialize, open the file, then type 200 characters into one function, one
incremental didChange at a time, each time waiting for the publishDiagnostics of that exact
version (the server tags diagnostics with the document version). Every figure includes the
server's 25 ms debounce. Targets: p95 <= 150 ms, p50 <= 50 ms, server memory <= 300 MB.

    python benchmarks/lsp_latency.py [--repo DIR] [--edits 200]

The last line printed is the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from repo_gen import generate_repo, make_large_python_file  # noqa: E402

LARGE_FILE = "editor/large_module.py"
TYPED = (
    "        adjusted = compute_ratio(result, 3) + offset\n"
    "        if adjusted > limit:\n"
    "            adjusted = limit - 1\n"
    "        for step in range(adjusted):\n"
    "            result = result + step * 2\n"
)


class Client:
    """A minimal JSON-RPC client over a subprocess's pipes (LSP base protocol framing)."""

    def __init__(self, command: list[str], cwd: Path):
        self.process = subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=sys.stderr,
            env={key: value for key, value in os.environ.items() if key != "ARGUS_HOME"},
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.stdin: IO[bytes] = self.process.stdin
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()

    def _read(self, stream: IO[bytes]) -> None:
        while True:
            length = 0
            while True:
                header = stream.readline()
                if not header:
                    return
                if header in (b"\r\n", b"\n"):
                    break
                name, _, value = header.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            self.messages.put(json.loads(stream.read(length)))

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: Any, timeout: float = 600) -> Any:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        reply = self.wait(lambda m: m.get("id") == self.next_id and "method" not in m, timeout)
        if "error" in reply:
            raise SystemExit(f"{method} failed: {reply['error']}")
        return reply.get("result")

    def wait(self, accept: Any, timeout: float = 600) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            message = self.messages.get(timeout=max(0.001, deadline - time.monotonic()))
            if "method" in message and "id" in message:  # a request from the server
                self.send({"id": message["id"], "result": None})
            if accept(message):
                return message

    def diagnostics(self, uri: str, version: int) -> dict[str, Any]:
        def matching(message: dict[str, Any]) -> bool:
            params = message.get("params") or {}
            return (
                message.get("method") == "textDocument/publishDiagnostics"
                and params.get("uri") == uri
                and params.get("version") == version
            )

        return self.wait(matching)

    def rss_megabytes(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
        return int(line.split()[1]) / 1024

    def close(self) -> None:
        try:
            self.request("shutdown", None, timeout=30)
            self.notify("exit", None)
            self.process.wait(timeout=30)
        finally:
            if self.process.poll() is None:
                self.process.kill()


def prepare(repo: Path, commits: int) -> Path:
    """The generated repository with the 3,000-line module committed (reused when present)."""
    if (repo / LARGE_FILE).is_file():
        return repo / LARGE_FILE
    generate_repo(repo, commits=commits, force=True)
    (repo / LARGE_FILE).parent.mkdir(parents=True, exist_ok=True)
    (repo / LARGE_FILE).write_text(make_large_python_file(3000), encoding="utf-8")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Bench",
        "GIT_AUTHOR_EMAIL": "bench@example.com",
        "GIT_COMMITTER_NAME": "Bench",
        "GIT_COMMITTER_EMAIL": "bench@example.com",
    }
    subprocess.run(["git", "-C", str(repo), "add", LARGE_FILE], check=True, env=env)
    subprocess.run(
        ["git", "-C", str(repo), "commit", "-q", "-m", "Add the large module"], check=True, env=env
    )
    return repo / LARGE_FILE


def typing_position(lines: list[str]) -> int:
    """A line in the middle of the file right after a function's first body line."""
    middle = len(lines) // 2
    for index in range(middle, len(lines)):
        if lines[index].startswith("def "):
            return index + 2
    raise SystemExit("no function in the second half of the file")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, help="where to generate (default: a temp folder)")
    parser.add_argument("--commits", type=int, default=2000)
    parser.add_argument("--edits", type=int, default=200)
    arguments = parser.parse_args(argv)

    scratch = None if arguments.repo else Path(tempfile.mkdtemp(prefix="argus-lsp-bench-"))
    repo = (arguments.repo or scratch / "repo").resolve()  # type: ignore[operator]
    try:
        started = time.perf_counter()
        path = prepare(repo, arguments.commits)
        print(f"repository ready in {time.perf_counter() - started:.1f} s: {repo}")
        text = path.read_text(encoding="utf-8")
        uri = path.as_uri()
        client = Client([sys.executable, "-m", "argus", "lsp", "--stdio"], repo)
        try:
            client.request(
                "initialize",
                {
                    "processId": os.getpid(),
                    "rootUri": repo.as_uri(),
                    "capabilities": {},
                    "initializationOptions": {"argus": {"debounceMs": 25}},
                },
            )
            client.notify("initialized", {})
            opened = time.perf_counter()
            client.notify(
                "textDocument/didOpen",
                {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}},
            )
            client.diagnostics(uri, 1)
            print(f"first analysis (history synced once): {time.perf_counter() - opened:.2f} s")

            lines = text.split("\n")
            line, character = typing_position(lines), 0
            timings: list[float] = []
            count = 0
            for version in range(2, arguments.edits + 2):
                typed = TYPED[count % len(TYPED)]
                count += 1
                change = {
                    "range": {
                        "start": {"line": line, "character": character},
                        "end": {"line": line, "character": character},
                    },
                    "text": typed,
                }
                sent = time.perf_counter()
                client.notify(
                    "textDocument/didChange",
                    {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
                )
                published = client.diagnostics(uri, version)
                timings.append((time.perf_counter() - sent) * 1000)
                line, character = (line + 1, 0) if typed == "\n" else (line, character + 1)
            shown = len(published["params"]["diagnostics"])
            rss = client.rss_megabytes()
        finally:
            client.close()
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    p50, p95 = percentile(timings, 0.50), percentile(timings, 0.95)
    print(
        f"{len(timings)} edits: mean {statistics.fmean(timings):.1f} ms, max {max(timings):.1f} ms,"
        f" {shown} diagnostics after the last edit"
    )
    print(
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms (targets 50 / 150 ms); server RSS {rss:.0f} MB after"
        f" {len(timings)} edits (target 300 MB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
