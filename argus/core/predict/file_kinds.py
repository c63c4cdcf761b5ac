"""What kind of file a path names: test code, other code, or not code (docs, configuration,
data). Shared by the history features, the corpus miner and the function ranking."""

from __future__ import annotations

import functools
import re
from pathlib import PurePosixPath

_CODE_EXTENSIONS = frozenset(
    {
        ".py", ".pyi", ".pyx", ".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".go", ".java",
        ".kt", ".kts", ".scala", ".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".cs", ".rs",
        ".rb", ".php", ".swift", ".dart", ".m", ".vue", ".svelte", ".lua", ".sh",
    }
)  # fmt: skip
_TEST_DIRECTORIES = frozenset({"test", "tests", "testing", "__tests__", "spec", "specs"})
_TEST_NAME = re.compile(
    r"(?:^test_.*\.py$|_test\.(?:py|go)$|^conftest\.py$|\.(?:test|spec)\.[cm]?[jt]sx?$"
    r"|Tests?\.java$|Test\.kt$)"
)


@functools.lru_cache(maxsize=65_536)
def file_kind(path: str) -> str:
    """``"test"`` for a test file, ``"code"`` for other source code, ``"other"`` for the rest
    (documentation, configuration, data)."""
    posix = PurePosixPath(path)
    if _TEST_NAME.search(posix.name) or any(
        part.lower() in _TEST_DIRECTORIES for part in posix.parts[:-1]
    ):
        return "test"
    return "code" if posix.suffix.lower() in _CODE_EXTENSIONS else "other"
