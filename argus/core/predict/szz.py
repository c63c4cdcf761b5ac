"""SZZ: trace each fix commit back to the commits that introduced the lines it repaired.

For every fix commit (see ``is_fix_message``) not traced yet, the old-side lines it deleted or
changed (recorded at ingestion, blank and comment-only lines left out) are blamed at the fix's
parent with ``git blame -w --porcelain -L a,b -L c,d <fix>^ -- path``: one git process per
(fix, file), run a few at a time. The commits blamed are labelled bug-introducing. Without issue
data every blamed commit counts (no "introduced after the bug report" filter). Fixes touching
more than ``max_files`` files are skipped as tangled (large refactorings that mention "fix").
Only the code files of a fix are blamed (not tests, documentation or configuration), so a fix
that touches only tests or docs labels nothing.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from argus.core.diff.git import run_git
from argus.core.errors import StoreError
from argus.core.predict.features import file_kind
from argus.core.predict.history import HistoryIndex

_BLAME_HEADER = re.compile(rb"^([0-9a-f]{40}) \d+ (\d+)(?: \d+)?$", re.MULTILINE)


@dataclass(frozen=True)
class SZZReport:
    """What one labelling pass did."""

    fixes_traced: int
    labels_added: int
    bug_introducing_commits: int


@dataclass(frozen=True)
class Label:
    """One blamed line: ``bug_sha`` last touched ``path:line``, which ``fix_sha`` repaired."""

    bug_sha: str
    fix_sha: str
    fix_time: int
    path: str
    line: int


def line_ranges(lines: Iterable[int]) -> list[tuple[int, int]]:
    """Sorted line numbers as inclusive (start, end) runs: [1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    ranges: list[tuple[int, int]] = []
    for line in sorted(set(lines)):
        if ranges and line == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], line)
        else:
            ranges.append((line, line))
    return ranges


def blame_lines(
    index: HistoryIndex, fix_sha: str, path: str, lines: Iterable[int]
) -> list[tuple[str, int]]:
    """(commit sha, line) for the given lines of ``path`` at the parent of ``fix_sha``."""
    arguments = ["blame", "--porcelain", "-w"]
    for start, end in line_ranges(lines):
        arguments += ["-L", f"{start},{end}"]
    output = run_git(index.repo_root, *arguments, f"{fix_sha}^", "--", path, check=False)
    return [
        (match.group(1).decode("ascii"), int(match.group(2)))
        for match in _BLAME_HEADER.finditer(output)
    ]


def write_commit_graph(repo_root: Path) -> bool:
    """Write the repository's commit-graph with changed-path Bloom filters; True when written.

    ``git blame`` then skips the commits that did not touch the blamed path without reading
    their trees (on celery, 2.8 times less CPU over a sample of blames). The file is a cache
    git itself maintains (``git maintenance``, ``git gc``): the history is not changed. Only
    for clones Argus owns (the corpus miner's); a user's repository is left as it is.
    """
    done = subprocess.run(
        ["git", "-C", str(repo_root), "commit-graph", "write", "--reachable", "--changed-paths"],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def label(
    index: HistoryIndex, *, workers: int = 4, max_files: int = 50, fixes_from: int = 0
) -> SZZReport:
    """Trace every fix commit not traced yet and store the labels; incremental.

    ``fixes_from`` leaves out the fixes before that seq (to label only a recent window).
    """
    db = index.store.connection
    repo = index.repository_id
    done = {row[0] for row in db.execute(
        "SELECT fix_sha FROM szz_done WHERE repository_id = ?", (repo,)
    )}  # fmt: skip
    lines_by_fix: dict[int, dict[str, list[int]]] = {}
    for seq, path, line in db.execute(
        "SELECT seq, path, line FROM history_fix_lines WHERE repository_id = ? ORDER BY seq",
        (repo,),
    ):
        lines_by_fix.setdefault(seq, {}).setdefault(path, []).append(line)
    commits = index.commits
    pending = [c for c in commits[fixes_from:] if c.is_fix and c.sha not in done]
    tasks = [
        (commit.seq, path, lines)
        for commit in pending
        if len(index.rows_by_seq.get(commit.seq, ())) <= max_files
        for path, lines in lines_by_fix.get(commit.seq, {}).items()
        if file_kind(path) == "code"
    ]

    def blame(task: tuple[int, str, list[int]]) -> list[tuple[str, int, str, int]]:
        seq, path, lines = task
        fix = commits[seq]
        found = []
        for sha, line in blame_lines(index, fix.sha, path, lines):
            bug = index.memory.seq_by_sha.get(sha)
            if bug is None or bug >= seq or commits[bug].is_boundary:
                continue
            found.append((sha, seq, path, line))
        return found

    labels: list[tuple[object, ...]] = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for found in pool.map(blame, tasks):
            for sha, seq, path, line in found:
                labels.append((repo, sha, commits[seq].sha, commits[seq].time, path, line))
    try:
        with index.store.transaction() as write:
            write.executemany(
                "INSERT OR IGNORE INTO szz_labels (repository_id, bug_sha, fix_sha, fix_time,"
                " path, line) VALUES (?, ?, ?, ?, ?, ?)",
                labels,
            )
            write.executemany(
                "INSERT OR IGNORE INTO szz_done (repository_id, fix_sha) VALUES (?, ?)",
                [(repo, commit.sha) for commit in pending],
            )
    except sqlite3.Error as error:
        raise StoreError(f"cannot store SZZ labels: {error}") from error
    return SZZReport(
        fixes_traced=len(pending),
        labels_added=len(labels),
        bug_introducing_commits=len({row[1] for row in labels}),
    )


def labels(index: HistoryIndex) -> list[Label]:
    """Every stored label of the repository, oldest fix first."""
    return [
        Label(*row)
        for row in index.store.connection.execute(
            "SELECT bug_sha, fix_sha, fix_time, path, line FROM szz_labels"
            " WHERE repository_id = ? ORDER BY fix_time, fix_sha, path, line",
            (index.repository_id,),
        )
    ]


def first_fix_seq(index: HistoryIndex) -> dict[int, int]:
    """Bug-introducing commit seq -> seq of the earliest fix that blamed it.

    A commit is *known* to be bug-introducing at commit ``s`` exactly when this value is < s.
    """
    known: dict[int, int] = {}
    seq_by_sha = index.memory.seq_by_sha
    for bug_sha, fix_sha in index.store.connection.execute(
        "SELECT DISTINCT bug_sha, fix_sha FROM szz_labels WHERE repository_id = ?",
        (index.repository_id,),
    ):
        bug, fix = seq_by_sha.get(bug_sha), seq_by_sha.get(fix_sha)
        if bug is None or fix is None:
            continue
        known[bug] = min(fix, known.get(bug, fix))
    return known
