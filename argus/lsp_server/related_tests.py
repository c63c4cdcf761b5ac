"""Which tests in a repository mention a function by name (the hover's "tests that cover it").

A heuristic, documented in docs/editor.md: a test file is one named like a test in its language
(``test_*.py``, ``*_test.py``, ``*.test.ts``, ``*.spec.js``, ``*_test.go``, ``*Test.java``); a
test in it mentions a function when the test's name contains the function's simple name,
ignoring case and underscores (``test_apply_discount_rounds`` mentions ``apply_discount``).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from argus.core.diff.git import run_git
from argus.core.errors import GitError

LISTING_TTL_SECONDS = 30.0
MAX_TEST_FILE_BYTES = 1_000_000
MAX_RESULTS = 8

_TEST_FILE = re.compile(
    r"(?:^|/)(?:test_[^/]*\.py|[^/]*_test\.py|[^/]*\.(?:test|spec)\.[cm]?[jt]sx?"
    r"|[^/]*_test\.go|[^/]*Tests?\.java)$"
)
_TEST_NAME = re.compile(
    r"^\s*(?:async\s+)?def\s+(test\w*)"
    r"|^func\s+(Test\w*)"
    r"|\bvoid\s+(test\w*)\s*\("
    r"|\b(?:it|test)\s*\(\s*['\"`]([^'\"`\n]{1,200})['\"`]",
    re.MULTILINE,
)


def _folded(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", text).lower()


class RelatedTests:
    """Test names per test file of one repository, re-read only when a file changes."""

    def __init__(self, root: Path):
        self.root = root
        self._listed_at = -LISTING_TTL_SECONDS
        self._files: list[str] = []
        self._names: dict[str, tuple[tuple[int, int], list[str]]] = {}

    def mentioning(self, function: str) -> list[str]:
        """``path::test`` for the tests whose names mention ``function`` (its simple name)."""
        simple = _folded(function.replace("::", ".").rsplit(".", 1)[-1])
        if len(simple) < 3:
            return []
        found: list[str] = []
        for path in self._test_files():
            for name in self._test_names(path):
                if simple in _folded(name):
                    found.append(f"{path}::{name}")
                    if len(found) >= MAX_RESULTS:
                        return found
        return found

    def _test_files(self) -> list[str]:
        now = time.monotonic()
        if now - self._listed_at >= LISTING_TTL_SECONDS:
            try:
                out = run_git(
                    self.root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"
                )
            except GitError:
                out = b""
            paths = (os.fsdecode(raw) for raw in out.split(b"\0") if raw)
            self._files = sorted({path for path in paths if _TEST_FILE.search(path)})
            self._listed_at = now
        return self._files

    def _test_names(self, path: str) -> list[str]:
        full = self.root / path
        try:
            info = full.stat()
        except OSError:
            return []
        stamp = (info.st_mtime_ns, info.st_size)
        cached = self._names.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        names: list[str] = []
        if info.st_size <= MAX_TEST_FILE_BYTES:
            try:
                text = full.read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
            for match in _TEST_NAME.finditer(text):
                name = next((group for group in match.groups() if group), None)
                if name:
                    names.append(name)
        self._names[path] = (stamp, names)
        return names
