"""The findings benchmarks' own logic: the lines a later fix changed, traced back to the commit
that wrote them (recall), and the measured table written into measured.py and docs/rules.md."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


recall = _load("findings_recall")
precision = _load("findings_precision")


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def _commit(repo: Path, files: dict[str, str], message: str) -> str:
    for path, text in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", message)
    return _git(repo, "rev-parse", "HEAD")


def test_fixed_lines_are_the_bug_commits_own_lines_that_the_fix_changed(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _commit(repo, {"pkg/m.py": "def f(x):\n    return x\n"}, "base")
    bug = _commit(
        repo,
        {"pkg/m.py": "def f(x):\n    if x == None:\n        return 0\n    return x\n"},
        "add a guard",
    )
    _commit(repo, {"README.md": "docs\n"}, "unrelated")
    # The fix rewrites the bug commit's guard (line 2) and the base's return (line 4), and
    # touches a test, which is not code a bug can be blamed in.
    fix = _commit(
        repo,
        {
            "pkg/m.py": "def f(x):\n    if x is None:\n        return 0\n    return x + 0\n",
            "tests/test_m.py": "def test_f():\n    assert True\n",
        },
        "fix the None check",
    )
    assert recall.fixed_lines(repo, fix, bug) == {("pkg/m.py", 2)}


def test_write_measured_and_docs_replace_only_the_measured_figures(tmp_path: Path) -> None:
    measured = tmp_path / "measured.py"
    measured.write_text(
        'X = 1\nMEASURED: dict[str, tuple[int, int]] = {\n    "PY001": (0, 3),\n}\n"""doc"""\n'
    )
    precision.write_measured({"PY016": (39, 46), "PY001": (1, 35)}, measured)
    assert measured.read_text() == (
        'X = 1\nMEASURED: dict[str, tuple[int, int]] = {\n    "PY001": (1, 35),\n'
        '    "PY016": (39, 46),\n}\n"""doc"""\n'
    )
    docs = tmp_path / "rules.md"
    docs.write_text((ROOT / "docs" / "rules.md").read_text())
    precision.write_docs({"PY016": (39, 46), "PY010": (0, 27)}, docs)
    text = docs.read_text()
    assert "| [PY016](#py016) | Comparison with no effect | Python | on | 39/46 | 0.85 |" in text
    assert "*Python · on by default · right 39/46 · confidence 0.85*" in text
    assert "| [PY010](#py010) | Removed None check | Python | opt-in | 0/27 | 0.01 |" in text
    assert "*Python · opt-in · not seen firing in the corpus · confidence 0.50*" in text
