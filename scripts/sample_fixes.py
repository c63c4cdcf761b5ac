"""Print real fixes of SZZ bug-introducing commits for reading (the sample behind
``benchmarks/findings/fix_patterns.csv``).

For the ``--per-repo`` newest bug-introducing commits of each repository (the pairs
``benchmarks/findings_recall.py`` measures), this prints both commit subjects, the
bug-introducing commit's lines that the fix changed, and the fix's diff of code files (tests
left out), so that each fix can be read and its mistake classified. The output contains the
projects' code: keep it outside the repository.

    .venv/bin/python scripts/sample_fixes.py --corpus /work/corpora/rules --per-repo 4 \\
        --repos aiohttp alembic ... > /tmp/fixes.txt
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from findings_recall import HISTORY, bug_fix_pairs, fixed_lines  # noqa: E402

from argus.core.classify import is_test_path  # noqa: E402
from argus.core.diff.git import run_git  # noqa: E402
from argus.core.predict.features import file_kind  # noqa: E402

_DIFF_LIMIT = 80


def fix_diff(clone: Path, fix: str) -> str:
    """The fix's diff of code files that are not tests, cut at ``_DIFF_LIMIT`` lines."""
    names = run_git(clone, "diff", "--name-only", f"{fix}^", fix).decode().split()
    code = [n for n in names if file_kind(n) == "code" and not is_test_path(n)]
    if not code:
        return ""
    text = run_git(clone, "diff", "-U2", f"{fix}^", fix, "--", *code).decode("utf-8", "replace")
    lines = text.split("\n")
    if len(lines) > _DIFF_LIMIT:
        lines = [*lines[:_DIFF_LIMIT], f"... ({len(lines) - _DIFF_LIMIT} more lines)"]
    return "\n".join(lines)


def subject(clone: Path, sha: str) -> str:
    """The commit's first line."""
    return run_git(clone, "log", "-1", "--format=%s", sha).decode().strip()


def main(argv: list[str] | None = None) -> int:
    """Print each sampled pair; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--per-repo", type=int, default=4)
    parser.add_argument("--repos", nargs="*")
    arguments = parser.parse_args(argv)
    manifest = json.loads((HISTORY / "manifest.json").read_text())
    for name in sorted(manifest):
        if arguments.repos and name not in arguments.repos:
            continue
        clone = arguments.corpus / name
        if manifest[name].get("language") != "python" or not (clone / ".git").exists():
            continue
        for bug, fix in bug_fix_pairs(name, clone, manifest[name]["head"], arguments.per_repo):
            lines = fixed_lines(clone, fix, bug)
            print(f"=== {name} bug {bug} fix {fix}")
            print(f"bug: {subject(clone, bug)}\nfix: {subject(clone, fix)}")
            print(f"bug lines the fix changed: {sorted(lines)[:12]}")
            print(fix_diff(clone, fix))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
