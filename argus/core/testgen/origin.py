"""Where a production error's failing line came from: the commit that last changed it.

The failing line is the innermost in-app frame of the error whose file is a file of the
repository at the deployed commit (frames carry deployment paths; ``RepoView.map_path`` finds
the repository file). ``git blame`` of that line at the deployed commit names the commit that
wrote it, which a code host can turn into the pull request that introduced it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from argus.core.diff.git import run_git
from argus.core.errors import ArgusError
from argus.core.patterns.event import ErrorEvent
from argus.core.testgen.repo_view import RepoView

_BLAME_HEADER = re.compile(rb"^([0-9a-f]{40}) \d+ (\d+)", re.MULTILINE)


@dataclass(frozen=True)
class LineOrigin:
    """The failing line (repository path, 1-based line, function) and the commit that wrote it."""

    path: str
    line: int
    function: str
    commit: str


def blame_line(repo: Path | str, commit: str, path: str, line: int) -> str | None:
    """The commit that last changed ``path``:``line`` as of ``commit``; None when git cannot
    say (no such line, a shallow boundary)."""
    output = run_git(
        repo, "blame", "--porcelain", "-L", f"{line},{line}", commit, "--", path, check=False
    )
    found = _BLAME_HEADER.search(output)
    if found is None or int(found.group(2)) != line:
        return None
    sha = found.group(1).decode("ascii")
    # The edge of a shallow clone did not write the line; it only ends the history there.
    return None if _is_shallow_boundary(repo, sha) else sha


def _is_shallow_boundary(repo: Path | str, sha: str) -> bool:
    shallow = run_git(repo, "rev-parse", "--git-path", "shallow").decode().strip()
    path = Path(shallow) if Path(shallow).is_absolute() else Path(repo) / shallow
    return path.is_file() and sha in path.read_text(encoding="ascii").split()


def failing_line_origin(repo: Path | str, commit: str, event: ErrorEvent) -> LineOrigin | None:
    """The innermost in-app frame of ``event`` found in ``repo`` at ``commit``, with the commit
    that last changed its line; None when no frame maps to a blamable line."""
    try:
        view = RepoView(repo, commit)
    except ArgusError:
        return None
    for frame in reversed(event.in_app_frames):
        if not frame.lineno or frame.lineno < 1:
            continue
        path = view.map_path(frame.abs_path or frame.filename, frame.module)
        if path is None:
            path = view.map_path(frame.filename, frame.module) if frame.abs_path else None
        if path is None:
            continue
        sha = blame_line(repo, commit, path, frame.lineno)
        if sha is not None:
            return LineOrigin(path, frame.lineno, frame.function, sha)
    return None
