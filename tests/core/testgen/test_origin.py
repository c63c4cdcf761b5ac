"""The commit that wrote a production error's failing line, blamed at the deployed commit."""

from __future__ import annotations

import subprocess
from pathlib import Path

from argus.core.patterns.event import ErrorEvent, Frame
from argus.core.testgen.origin import LineOrigin, blame_line, failing_line_origin
from tests.core.testgen.sandbox_repos import git

FIRST = """\
def mean(values):
    total = sum(values)
    return total / len(values)
"""
# Alice's change rewrites the division; Bob later edits another line of the file.
SECOND = """\
def mean(values):
    total = sum(values)
    return total / max(len(values), 0)
"""
THIRD = """\
def mean(values):
    total = sum(v for v in values)
    return total / max(len(values), 0)
"""
CALLER = """\
from metrics.stats import mean


def summary(name, values):
    return f"{name}: {mean(values)}"
"""


def commit(repo: Path, files: dict[str, str], message: str, author: str) -> str:
    for path, text in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    git(repo, "add", "-A")
    git(repo, "-c", f"user.name={author}", "-c", f"user.email={author}@example.com", "commit",
        "-q", "-m", message)  # fmt: skip
    return git(repo, "rev-parse", "HEAD")


def history(tmp_path: Path) -> tuple[Path, list[str]]:
    repo = tmp_path / "metrics-service"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    shas = [
        commit(repo, {"metrics/stats.py": FIRST, "metrics/report.py": CALLER}, "first", "dana"),
        commit(repo, {"metrics/stats.py": SECOND}, "guard the length", "alice"),
        commit(repo, {"metrics/stats.py": THIRD}, "a generator", "bob"),
    ]
    return repo, shas


def crash(*frames: Frame) -> ErrorEvent:
    return ErrorEvent("ZeroDivisionError", "division by zero", frames=frames, platform="python")


# Deployment paths, as the SDK reports them; outermost frame first.
REPORT = Frame("summary", "metrics/report.py", "metrics.report", "/srv/app/metrics/report.py", 5)
STATS = Frame("mean", "metrics/stats.py", "metrics.stats", "/srv/app/metrics/stats.py", 3)
LIBRARY = Frame("fsum", "statistics.py", "statistics", "/usr/lib/python3/statistics.py", 9, False)


def test_the_innermost_in_app_frame_is_blamed_at_the_deployed_commit(tmp_path: Path) -> None:
    repo, (first, second, third) = history(tmp_path)
    event = crash(REPORT, STATS, LIBRARY)

    # Deployed at the third commit: line 3 was last written by Alice's commit, not Bob's.
    assert failing_line_origin(repo, third, event) == LineOrigin(
        "metrics/stats.py", 3, "mean", second
    )
    # Deployed before Alice's change: the line is the first commit's.
    assert failing_line_origin(repo, first, event) == LineOrigin(
        "metrics/stats.py", 3, "mean", first
    )


def test_frames_outside_the_repository_are_passed_over(tmp_path: Path) -> None:
    repo, (_, _, third) = history(tmp_path)
    vendored = Frame("helper", "vendor/lib.py", "vendor.lib", "/srv/app/vendor/lib.py", 2)
    origin = failing_line_origin(repo, third, crash(REPORT, vendored))
    assert origin is not None and (origin.path, origin.line) == ("metrics/report.py", 5)


def test_no_origin_without_a_mapped_line(tmp_path: Path) -> None:
    repo, (_, _, third) = history(tmp_path)
    assert failing_line_origin(repo, third, crash(LIBRARY)) is None
    beyond = Frame("mean", "metrics/stats.py", "metrics.stats", None, 99)
    assert failing_line_origin(repo, third, crash(beyond)) is None
    assert failing_line_origin(repo, "0" * 40, crash(STATS)) is None  # not a commit of the repo


def test_the_edge_of_a_shallow_clone_is_not_an_author(tmp_path: Path) -> None:
    repo, (_, second, third) = history(tmp_path)
    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "2", f"file://{repo}", str(shallow)], check=True
    )
    # Bob's commit and Alice's are there, Alice's as the edge: Bob's line is his, but line 3
    # is only "older than the history" there, so git cannot say who wrote it.
    assert blame_line(shallow, third, "metrics/stats.py", 2) == third
    assert blame_line(shallow, third, "metrics/stats.py", 3) is None
    assert blame_line(repo, third, "metrics/stats.py", 3) == second
