"""Progress goes to stderr: plain stage lines off a terminal, rich's spinner on one."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from argus.progress import counter, stages
from tests.lsp_server.support import make_repo


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_stages_off_a_terminal_are_plain_lines() -> None:
    out = io.StringIO()
    with stages("learn", out) as stage:
        stage("reading the history")
        stage("fitting")
    assert out.getvalue() == "argus learn: reading the history…\nargus learn: fitting…\n"


def test_on_a_terminal_rich_draws_and_clears_the_progress() -> None:
    out = Terminal()
    with counter("patterns import", "patterns", 3, out) as advance:
        for _ in range(3):
            advance(1)
    assert "patterns" in out.getvalue()


def test_learn_says_what_it_is_doing(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"m.py": "def f():\n    return 1\n"})
    completed = subprocess.run(
        [sys.executable, "-m", "argus", "learn", "--repo", str(repo)],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "ARGUS_HOME": str(tmp_path / "home"), "HOME": str(repo)},
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "argus learn: reading the history…" in completed.stderr
    assert "argus learn: tracing bug fixes to their causes (SZZ, 1 commits)…" in completed.stderr
    assert "Scanned 1 commits" in completed.stdout
