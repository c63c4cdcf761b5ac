"""Helpers shared by tests that run real servers and real repositories."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.core.testgen.sandbox_repos import git

ROOT = Path(__file__).resolve().parent.parent
#: The crash-reproduction scenario whose buggy and fixed trees the end-to-end tests deploy.
METRICS_SCENARIO = ROOT / "benchmarks" / "scenarios" / "01-average-empty"


#: The variables that would configure a paid model tier: a test that runs only the pattern cache
#: and the free tier starts its processes without them.
MODEL_KEYS = (
    "ANTHROPIC_API_KEY",
    "CLOUDFLARE_ACCOUNT_ID",
    "CLOUDFLARE_API_TOKEN",
    "ARGUS_OPENAI_BASE_URL",
    "ARGUS_OPENAI_MODEL",
    "ARGUS_MAX_TIER",
)


def without_model_keys(environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` without :data:`MODEL_KEYS`."""
    return {key: value for key, value in environ.items() if key not in MODEL_KEYS}


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(
    condition: Callable[[], Any], seconds: float, what: str, interval: float = 0.2
) -> None:
    """Poll ``condition`` until it is true; fail naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def argus_serve(
    port: int,
    *,
    cwd: Path,
    env: Mapping[str, str],
    log: Path,
    args: Sequence[str] = (),
    start_seconds: float = 60,
) -> Iterator[str]:
    """Run ``argus serve --port PORT`` as a process, its output in ``log``, until ``/healthz``
    answers; yield its base URL, and stop it (SIGTERM) after. A server that exits while
    starting fails at once, with its output."""
    base = f"http://127.0.0.1:{port}"
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "argus", "serve", "--port", str(port), *args],
            cwd=cwd,
            env=dict(env),
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:

            def healthy() -> bool:
                if server.poll() is not None:
                    raise AssertionError(f"argus serve exited while starting:\n{log.read_text()}")
                try:
                    return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
                except httpx.HTTPError:
                    return False

            wait_until(healthy, start_seconds, "argus serve to start")
            yield base
        finally:
            server.terminate()
            server.wait(timeout=60)


def metrics_repo(repo: Path) -> tuple[Path, str, str]:
    """``(repo, buggy, fixed)``: the metrics scenario's buggy release on main, its fix on
    branch ``fix``, main checked out."""
    shutil.copytree(METRICS_SCENARIO / "buggy", repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "buggy release")
    buggy = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "fix")
    shutil.copy(METRICS_SCENARIO / "fixed" / "metrics" / "stats.py", repo / "metrics" / "stats.py")
    git(repo, "commit", "-q", "-am", "an empty list averages to 0")
    fixed = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "main")
    return repo, buggy, fixed


def write_app_env(workdir: Path, private_key: str, app_id: int, secret: str, api_url: str) -> None:
    """The App's key file and a ``.env`` in ``workdir`` naming it, the API and a SQLite queue,
    as a self-hosting admin writes them for `argus serve`."""
    (workdir / "app.pem").write_text(private_key)
    (workdir / ".env").write_text(
        f"ARGUS_GITHUB_APP_ID={app_id}\n"
        f"ARGUS_GITHUB_PRIVATE_KEY={workdir / 'app.pem'}\n"
        f"ARGUS_GITHUB_WEBHOOK_SECRET={secret}\n"
        f"ARGUS_GITHUB_API_URL={api_url}\n"
        f"ARGUS_DATABASE_URL=sqlite:///{workdir / 'app.db'}\n"
    )
