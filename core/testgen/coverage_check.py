"""Changed-line coverage of a Python candidate, measured with coverage.py inside the sandbox."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from core.errors import ConfigError

DATA_FILE = ".argus-coverage"
REPORT_FILE = ".argus-coverage.json"
_MAX_REPORT_BYTES = 32 << 20


@dataclass(frozen=True)
class CoverageReport:
    """Which changed lines the candidate executed. Paths are repository-relative."""

    changed: Mapping[str, frozenset[int]]
    covered: Mapping[str, frozenset[int]] = field(default_factory=dict)
    measured: bool = True

    @property
    def changed_count(self) -> int:
        """How many changed lines there are (in files coverage can measure)."""
        return sum(len(lines) for lines in self.changed.values())

    @property
    def covered_count(self) -> int:
        """How many changed lines the candidate executed."""
        return sum(len(lines) for lines in self.covered.values())

    @property
    def ratio(self) -> float:
        """Covered changed lines over changed lines (0.0 when nothing changed)."""
        return self.covered_count / self.changed_count if self.changed_count else 0.0


def python_changed_lines(changed_lines: Mapping[str, set[int]]) -> dict[str, frozenset[int]]:
    """The Python files among ``changed_lines``, with their non-empty line sets."""
    return {
        path: frozenset(lines)
        for path, lines in changed_lines.items()
        if path.endswith(".py") and lines
    }


def run_argv(
    python: str,
    test_argv: Sequence[str],
    copy: Path,
    home: Path,
    files: Sequence[str],
    rcfile: Path,
) -> list[str]:
    """Wrap a ``python -m ...`` test command in ``coverage run`` limited to ``files``."""
    if len(test_argv) < 3 or test_argv[1] != "-m":
        raise ConfigError("coverage wraps `python -m <runner> ...` commands only")
    include = ",".join(str(copy / path) for path in files)
    return [
        python,
        "-m",
        "coverage",
        "run",
        f"--rcfile={rcfile}",
        f"--data-file={home / DATA_FILE}",
        f"--include={include}",
        *test_argv[1:],
    ]


def report_argv(python: str, home: Path, rcfile: Path) -> list[str]:
    """``coverage json`` of the data a :func:`run_argv` command wrote."""
    return [
        python,
        "-m",
        "coverage",
        "json",
        f"--rcfile={rcfile}",
        f"--data-file={home / DATA_FILE}",
        "-o",
        str(home / REPORT_FILE),
        "--quiet",
    ]


def parse_report(
    report: bytes | None, copy: Path, changed: Mapping[str, frozenset[int]]
) -> CoverageReport:
    """Intersect the executed lines in a ``coverage json`` report with the changed lines."""
    if report is None:
        return CoverageReport(changed=changed, measured=False)
    try:
        data = json.loads(report[:_MAX_REPORT_BYTES])
    except (json.JSONDecodeError, UnicodeDecodeError):
        return CoverageReport(changed=changed, measured=False)
    files = data.get("files") if isinstance(data, dict) else None
    if not isinstance(files, dict):
        return CoverageReport(changed=changed, measured=False)
    covered: dict[str, frozenset[int]] = {}
    for name, entry in files.items():
        relative = _relative(str(name), copy)
        executed = entry.get("executed_lines") if isinstance(entry, dict) else None
        if relative not in changed or not isinstance(executed, list):
            continue
        lines = changed[relative] & {line for line in executed if isinstance(line, int)}
        if lines:
            covered[relative] = frozenset(lines)
    return CoverageReport(changed=changed, covered=covered)


def _relative(name: str, copy: Path) -> str:
    path = PurePosixPath(name)
    if path.is_absolute():
        try:
            return str(path.relative_to(copy.as_posix()))
        except ValueError:
            return name
    return str(path)
