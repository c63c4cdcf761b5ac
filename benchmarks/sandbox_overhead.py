"""Sandbox overhead: the wall time of one confined run of ``python -c pass``.

What is real: a git repository of one file, a workspace at its working tree, and the full
confinement in force on this machine (confine.py, bubblewrap, the seccomp filter, the user
switch). One warm-up run, then ``--runs`` runs in the same workspace; the median is reported.

    .venv/bin/python benchmarks/sandbox_overhead.py [--runs 20]

Last line: the median in milliseconds and the isolation described. No target: the figure is
there to notice a regression (docs/sandbox.md, "Cost", has the figure of the previous
launcher measured the same way).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from argus.core.testgen.sandbox import Limits, workspace  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="argus-overhead-") as folder:
        repo = Path(folder) / "repo"
        repo.mkdir()
        (repo / "module.py").write_text("VALUE = 1\n")
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
        limits = Limits(timeout_seconds=60.0)
        with workspace(repo, None) as space:
            space.run([sys.executable, "-c", "pass"], limits)
            seconds = []
            for _ in range(options.runs):
                started = time.monotonic()
                result = space.run([sys.executable, "-c", "pass"], limits)
                seconds.append(time.monotonic() - started)
                if not result.passed:
                    raise SystemExit(f"a sandboxed run failed: {result.output}")
            isolation = space.isolation.describe()
    median = statistics.median(seconds) * 1000
    print(f"median sandboxed `python -c pass`: {median:.0f} ms over {options.runs} runs")
    print(f"sandbox_overhead_ms={median:.0f} isolation={isolation!r}")


if __name__ == "__main__":
    main()
