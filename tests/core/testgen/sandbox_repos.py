"""Small real git repositories for the sandbox and validation tests."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

GIT_ENVIRONMENT = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Ada Author",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Author",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
}

BUGGY_OPS = '''"""Arithmetic helpers."""


def mean(values):
    return sum(values) / len(values)


def double(value):
    return value * 2
'''

FIXED_OPS = '''"""Arithmetic helpers."""


def mean(values):
    if not values:
        return 0.0
    return sum(values) / len(values)


def double(value):
    return value * 2
'''

# Lines 5-7 of FIXED_OPS are the fix.
FIX_LINES = {"calc/ops.py": {5, 6, 7}}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        check=True,
        env={**os.environ, **GIT_ENVIRONMENT},
    )
    return done.stdout.decode().strip()


@dataclass(frozen=True)
class PythonRepo:
    path: Path
    buggy: str
    fixed: str


def python_repo(folder: Path) -> PythonRepo:
    """A package ``calc`` with a ZeroDivisionError in ``mean`` at ``buggy``, fixed at ``fixed``."""
    repo = folder / "project"
    (repo / "calc").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "calc" / "__init__.py").write_text("")
    (repo / "calc" / "ops.py").write_text(BUGGY_OPS)
    (repo / "tests").mkdir()
    (repo / "tests" / "test_ops.py").write_text(
        "from calc.ops import double\n\n\ndef test_double():\n    assert double(2) == 4\n"
    )
    (repo / ".gitignore").write_text("ignored.txt\n")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "mean")
    buggy = git(repo, "rev-parse", "HEAD")
    (repo / "calc" / "ops.py").write_text(FIXED_OPS)
    git(repo, "commit", "-q", "-am", "mean of nothing is 0")
    fixed = git(repo, "rev-parse", "HEAD")
    return PythonRepo(repo, buggy, fixed)


def node_repo(folder: Path) -> Path:
    """A node:test project with one CommonJS module."""
    repo = folder / "jsproject"
    (repo / "src").mkdir(parents=True)
    (repo / "test").mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "package.json").write_text(
        '{"name": "shop", "version": "1.0.0", "scripts": {"test": "node --test"}}\n'
    )
    (repo / "src" / "price.js").write_text(
        "function total(items) {\n"
        "  return items.reduce((sum, item) => sum + item.price * item.quantity, 0);\n"
        "}\n"
        "module.exports = { total };\n"
    )
    (repo / "test" / "price.test.js").write_text(
        "const test = require('node:test');\n"
        "const assert = require('node:assert');\n"
        "const { total } = require('../src/price.js');\n"
        "test('empty', () => assert.strictEqual(total([]), 0));\n"
    )
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "price")
    return repo


def worktree_count(repo: Path) -> int:
    return git(repo, "worktree", "list", "--porcelain").count("worktree ")
