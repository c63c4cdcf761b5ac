"""A diff on stdin is reviewed from the diff and the blobs its index lines name: the same
diff gives the same risk and findings whatever is checked out, and a diff whose blobs are
absent is reviewed from the diff alone with one warning."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.e2e.test_cli_review import argus, demo  # noqa: F401 - the demo fixture

FIRST_COMMIT = "HEAD~21"


def review_of(diff: bytes, repo: Path) -> dict:
    completed = argus("review", "--diff", "-", "-f", "json", "--repo", str(repo), stdin=diff)
    assert completed.returncode in (0, 1), completed.stderr.decode()
    return json.loads(completed.stdout)


def outcome(report: dict) -> tuple[float, list[tuple[str, str, int]]]:
    bugs = sorted((b["rule_id"], b["path"], b["line"]) for b in report["bugs"])
    return report["summary"]["probability"], bugs


def git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True).stdout


def test_the_same_diff_gives_the_same_review_whatever_is_checked_out(demo: Path) -> None:  # noqa: F811
    diff = git(demo, "diff", "main...feature/bulk-discounts")
    seen = {}
    try:
        for commit in ("feature/bulk-discounts", "main", "main~6"):
            git(demo, "checkout", "-q", commit)
            report = review_of(diff, demo)
            assert report["warnings"] == []
            seen[commit] = outcome(report)
    finally:
        git(demo, "checkout", "-q", "feature/bulk-discounts")
    first = seen["feature/bulk-discounts"]
    assert first[1], "the demo's planted defects are found"
    assert all(other == first for other in seen.values()), seen


def test_a_diff_whose_blobs_are_absent_is_reviewed_from_the_diff_alone(
    demo: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    diff = git(demo, "diff", "main...feature/bulk-discounts")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    git(elsewhere, "init", "-q")
    report = review_of(diff, elsewhere)
    (warning,) = report["warnings"]
    assert "reviewed from the diff alone" in warning
    assert "not in this repository" in warning
    assert report["summary"]["files_changed"] == 7
