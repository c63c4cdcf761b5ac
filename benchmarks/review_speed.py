"""How fast `argus review` is on a 2,000-commit repository with a 100-file, 5,000-line change.

Targets (2-core machine): <= 3 s cold (history not cached), <= 1 s warm, and time growing
linearly with the size of the change (1k -> 10k -> 50k changed lines).
The last line printed is the figure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from repo_gen import generate_repo, make_change  # noqa: E402

ARGUS = [sys.executable, "-m", "argus"]


def timed_review(repo: Path, cold: bool) -> float:
    """Wall time of one `argus review --base main --format json` run."""
    if cold:
        shutil.rmtree(repo / ".argus", ignore_errors=True)
    start = time.perf_counter()
    completed = subprocess.run(
        [*ARGUS, "review", "--base", "main", "--format", "json", "--repo", str(repo)],
        capture_output=True,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )
    elapsed = time.perf_counter() - start
    if completed.returncode not in (0, 1):
        raise SystemExit(f"argus review failed: {completed.stderr.decode()[-2000:]}")
    return elapsed


def fresh_repo(root: Path, name: str, commits: int, changed_lines: int, files: int) -> Path:
    repo = root / name
    generate_repo(repo, commits=commits, seed=0)
    make_change(repo, files=files, changed_lines=changed_lines, seed=1)
    return repo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--commits", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", help="keep the generated repositories here")
    arguments = parser.parse_args()
    root = Path(arguments.workdir or tempfile.mkdtemp(prefix="argus-bench-"))
    root.mkdir(parents=True, exist_ok=True)

    repo = fresh_repo(root, "main-5k", arguments.commits, 5000, 100)
    colds = [timed_review(repo, cold=True) for _ in range(arguments.runs)]
    timed_review(repo, cold=False)
    warms = [timed_review(repo, cold=False) for _ in range(arguments.runs)]
    cold, warm = statistics.median(colds), statistics.median(warms)
    print(f"5,000 changed lines in 100 files, {arguments.commits} commits of history:")
    print(f"  cold (no cache): median {cold:.2f} s of {arguments.runs} runs  (target <= 3 s)")
    print(f"  warm (cached):   median {warm:.2f} s of {arguments.runs} runs  (target <= 1 s)")

    sizes = (1_000, 10_000, 50_000)
    times = []
    for size in sizes:
        sized = fresh_repo(root, f"scale-{size}", arguments.commits, size, 100)
        timed_review(sized, cold=False)
        times.append(statistics.median(timed_review(sized, cold=False) for _ in range(3)))
        print(f"  {size:>6,} changed lines: warm {times[-1]:.2f} s")
    ratio_10 = times[1] / times[0]
    ratio_50 = times[2] / times[1]
    print(f"  growth: x{ratio_10:.1f} for 10x the lines, x{ratio_50:.1f} for 5x the lines")
    if not arguments.workdir:
        shutil.rmtree(root, ignore_errors=True)
    print(
        f"review_speed: cold {cold:.2f} s, warm {warm:.2f} s; "
        f"1k/10k/50k lines {times[0]:.2f}/{times[1]:.2f}/{times[2]:.2f} s "
        f"(ratios {ratio_10:.1f}, {ratio_50:.1f})"
    )


if __name__ == "__main__":
    main()
