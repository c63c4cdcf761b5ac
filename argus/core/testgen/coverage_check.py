"""Changed-line coverage of a Python candidate, measured with coverage.py inside the sandbox."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from argus.core.errors import ConfigError

DATA_FILE = ".argus-coverage"
BASELINE_NAME = ".argus-baseline"
_MAX_REPORT_BYTES = 32 << 20
_MAX_EXISTING_TESTS = 20
_PYTHON_TEST_NAME = re.compile(r"^(test_.+|.+_test)\.py$")
_SKIPPED = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", "build", "dist"}


@dataclass(frozen=True)
class CoverageReport:
    """Which changed lines the candidate executed. Paths are repository-relative."""

    changed: Mapping[str, frozenset[int]]
    covered: Mapping[str, frozenset[int]] = field(default_factory=dict)
    measured: bool = True
    baseline: Mapping[str, frozenset[int]] | None = None
    baseline_tests: tuple[str, ...] = ()

    @property
    def newly_covered(self) -> Mapping[str, frozenset[int]] | None:
        """Changed lines the candidate runs that the existing tests did not (None: not compared)."""
        if self.baseline is None:
            return None
        fresh = {
            path: lines - self.baseline.get(path, frozenset())
            for path, lines in self.covered.items()
        }
        return {path: lines for path, lines in fresh.items() if lines}

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


def existing_tests(copy: Path, changed: Mapping[str, frozenset[int]], exclude: str) -> list[str]:
    """The project's Python test files that mention a changed module (at most 20)."""
    patterns = [_module_pattern(path) for path in changed]
    found: list[str] = []
    for path in sorted(copy.rglob("*.py")):
        relative = path.relative_to(copy)
        if relative.as_posix() == exclude or not _PYTHON_TEST_NAME.match(path.name):
            continue
        if _SKIPPED & set(relative.parts) or path.is_symlink():
            continue
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if any(pattern.search(text) for pattern in patterns):
            found.append(relative.as_posix())
            if len(found) >= _MAX_EXISTING_TESTS:
                break
    return found


def _module_pattern(path: str) -> re.Pattern[str]:
    """``calc/ops.py`` is mentioned as ``calc.ops`` or as ``from calc import ... ops``."""
    parts = list(PurePosixPath(path).with_suffix("").parts)
    if parts and parts[0] == "src":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    dotted = re.escape(".".join(parts))
    if len(parts) > 1:
        parent, name = re.escape(".".join(parts[:-1])), re.escape(parts[-1])
        return re.compile(rf"\b{dotted}\b|from\s+{parent}\s+import\s+[^\n]*\b{name}\b")
    return re.compile(rf"\bimport\s+{dotted}\b|from\s+{dotted}\s+import\b")


def run_argv(
    python: str,
    test_argv: Sequence[str],
    copy: Path,
    home: Path,
    files: Sequence[str],
    rcfile: Path,
    name: str = DATA_FILE,
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
        f"--data-file={home / name}",
        f"--include={include}",
        *test_argv[1:],
    ]


def report_argv(python: str, home: Path, rcfile: Path, name: str = DATA_FILE) -> list[str]:
    """``coverage json`` of the data a :func:`run_argv` command wrote."""
    return [
        python,
        "-m",
        "coverage",
        "json",
        f"--rcfile={rcfile}",
        f"--data-file={home / name}",
        "-o",
        str(report_path(home, name)),
        "--quiet",
    ]


def report_path(home: Path, name: str = DATA_FILE) -> Path:
    """Where :func:`report_argv` writes its JSON."""
    return home / f"{name}.json"


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
