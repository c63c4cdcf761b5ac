"""The one doorway to the ``git`` command: every git call in Argus goes through :func:`run_git`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from core.errors import GitError

# A clean, predictable git: no pager, no colour, no locale-dependent messages, no prompts.
_GIT_ENV = {
    "GIT_PAGER": "cat",
    "GIT_TERMINAL_PROMPT": "0",
    "LC_ALL": "C",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def run_git(
    repo: Path | str,
    *args: str,
    input_bytes: bytes | None = None,
    check: bool = True,
) -> bytes:
    """Run ``git -C repo args...`` and return its standard output as bytes.

    Raises GitError (with git's own message) when git fails and ``check`` is true.
    """
    env = {**os.environ, **_GIT_ENV}
    try:
        completed = subprocess.run(
            ["git", "-C", str(repo), "-c", "core.quotepath=off", "-c", "color.ui=never", *args],
            input=input_bytes,
            capture_output=True,
            env=env,
            check=False,
        )
    except FileNotFoundError as error:
        raise GitError("git is not installed or not on PATH") from error
    if check and completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip() or "no message"
        raise GitError(f"git {' '.join(args[:3])} failed in {repo}: {message}")
    return completed.stdout


def find_repo_root(path: Path | str) -> Path:
    """The top-level folder of the git work tree containing ``path``; GitError when none."""
    start = Path(path)
    if start.is_file():
        start = start.parent
    if not start.exists():
        raise GitError(f"{path} does not exist")
    out = run_git(start, "rev-parse", "--show-toplevel", check=False)
    if not out.strip():
        raise GitError(f"{path} is not inside a git repository (run `git init` or pass --diff)")
    return Path(out.decode("utf-8", "surrogateescape").strip())
