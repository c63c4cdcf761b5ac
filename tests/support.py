"""Helpers shared by tests that run real servers and real repositories."""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.core.testgen.sandbox_repos import git

ROOT = Path(__file__).resolve().parent.parent
#: The crash-reproduction scenario whose buggy and fixed trees the end-to-end tests deploy.
METRICS_SCENARIO = ROOT / "benchmarks" / "scenarios" / "01-average-empty"


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
