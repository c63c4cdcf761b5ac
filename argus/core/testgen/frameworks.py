"""The project's own test framework and style, and the command that runs one test file with it.

Detection reads configuration files (pyproject.toml, setup.cfg, pytest.ini, tox.ini,
package.json) and the imports and names of existing test files; nothing is executed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tomllib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePosixPath

from argus.core.errors import ConfigError


class Framework(StrEnum):
    """A test framework Argus can write for and run."""

    PYTEST = "pytest"
    UNITTEST = "unittest"
    JEST = "jest"
    VITEST = "vitest"
    NODE_TEST = "node_test"
    GO_TEST = "go_test"


LANGUAGE_OF_FRAMEWORK = {
    Framework.PYTEST: "python",
    Framework.UNITTEST: "python",
    Framework.JEST: "javascript",
    Framework.VITEST: "javascript",
    Framework.NODE_TEST: "javascript",
    Framework.GO_TEST: "go",
}

# Folders never searched for a project's tests.
_SKIPPED_FOLDERS = {
    ".git",
    ".hg",
    ".venv",
    "venv",
    "env",
    "node_modules",
    "__pycache__",
    "build",
    "dist",
    ".tox",
    ".mypy_cache",
    ".pytest_cache",
    "vendor",
}
_MAX_FILES_SEEN = 20_000
_MAX_TESTS_READ = 50
_PYTHON_TEST_NAME = re.compile(r"^(test_.+|.+_test)\.py$")
_JS_TEST_NAME = re.compile(r"^.+\.(test|spec)\.(c|m)?(j|t)sx?$")
_GO_TEST_NAME = re.compile(r"^.+_test\.go$")
_GO_TEST_FUNCTION = re.compile(r"^func\s+(Test\w*)\s*\(\s*\w+\s+\*testing\.T\s*\)", re.M)
# V8 and the Go runtime reserve virtual memory up front that they never touch; the address
# space limit grows by this much for them while their heap is bounded separately.
_RUNTIME_RESERVE = 1 << 30
_TEST_FOLDER_NAMES = ("tests", "test", "__tests__", "spec")
_JS_EXTENSIONS = {"javascript": ".js", "typescript": ".ts", "tsx": ".tsx"}


@dataclass(frozen=True)
class TestStyle:
    """How a project writes its tests: framework, folder, and file naming.

    ``tests_folder`` is relative to the repository root; an empty string means tests live next
    to the code they test. ``naming`` is a file name pattern with ``{name}``.
    """

    __test__ = False  # not a pytest test class, whatever its name

    language: str
    framework: Framework
    tests_folder: str
    naming: str

    def test_path(self, name: str, source_path: str | None = None) -> str:
        """Where a new test for ``name`` (a module or function name) goes, repo-relative."""
        file_name = self.naming.format(name=name)
        if self.framework is Framework.GO_TEST or not self.tests_folder:
            folder = str(PurePosixPath(source_path).parent) if source_path else ""
            return str(PurePosixPath(folder, file_name)) if folder not in ("", ".") else file_name
        return str(PurePosixPath(self.tests_folder, file_name))


@dataclass(frozen=True)
class TestCommand:
    """The command that runs one test file, or why it cannot run here (``reason``)."""

    __test__ = False

    argv: tuple[str, ...]
    reason: str | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    address_space_reserve: int = 0
    runtime: str = "python"

    @property
    def available(self) -> bool:
        """True when the command can be run."""
        return self.reason is None


def detect_style(repo: Path | str, language: str) -> TestStyle:
    """Detect the test framework and layout ``repo`` uses for ``language``.

    ``language`` is one of python, javascript, typescript, tsx, go; anything else is a
    ConfigError.
    """
    root = Path(repo)
    if not root.is_dir():
        raise ConfigError(f"{repo} is not a folder")
    files = _project_files(root)
    if language == "python":
        return _python_style(root, files)
    if language in _JS_EXTENSIONS:
        return _javascript_style(root, files, language)
    if language == "go":
        return TestStyle("go", Framework.GO_TEST, "", "{name}_test.go")
    raise ConfigError(
        f"no test framework support for language {language!r}: "
        "use python, javascript, typescript or go"
    )


def command_for(
    framework: Framework | str,
    test_path: str,
    copy: Path,
    *,
    python: str = sys.executable,
    source: str = "",
) -> TestCommand:
    """The command that runs exactly the test file ``test_path`` inside ``copy``."""
    kind = Framework(framework)
    if kind is Framework.PYTEST:
        # The sandbox interpreter is Argus's, so its entry-point plugins are Argus's, not the
        # project's (and loading them costs seconds); conftest and `-p` plugins still load.
        return TestCommand(
            (python, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", test_path),
            environment={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        )
    if kind is Framework.UNITTEST:
        test_folder = PurePosixPath(test_path).parent
        if str(test_folder) not in ("", ".") and not _is_package(copy, test_folder):
            # ``test/`` without __init__.py is no package (and ``test`` would be the standard
            # library's): load the file from its test_folder, as unittest discovery does.
            name = PurePosixPath(test_path).name
            return TestCommand(
                (
                    python,
                    "-m",
                    "unittest",
                    "discover",
                    "-v",
                    "-s",
                    str(test_folder),
                    "-p",
                    name,
                    "-t",
                    str(test_folder),
                ),
            )
        return TestCommand((python, "-m", "unittest", "-v", _module_name(test_path)))
    if kind is Framework.NODE_TEST:
        if shutil.which("node") is None:
            return TestCommand((), "node is not installed on this machine")
        return TestCommand(
            ("node", "--test", test_path), address_space_reserve=_RUNTIME_RESERVE, runtime="node"
        )
    if kind in (Framework.JEST, Framework.VITEST):
        tool = "jest" if kind is Framework.JEST else "vitest"
        binary = copy / "node_modules" / ".bin" / tool
        if not binary.exists():
            return TestCommand(
                (), f"{tool} is not installed in the project (no node_modules/.bin/{tool})"
            )
        if shutil.which("node") is None:
            return TestCommand((), "node is not installed on this machine")
        # The project's own binary, as `npx` would pick it, without npx's registry fallback.
        prefix = f"./node_modules/.bin/{tool}"
        if kind is Framework.JEST:
            argv: tuple[str, ...] = (prefix, "--ci", "--runInBand", "--runTestsByPath", test_path)
        else:
            # No results cache: it would be written into node_modules/.vite, read-only here.
            argv = (prefix, "run", "--no-cache", test_path)
        return TestCommand(argv, address_space_reserve=_RUNTIME_RESERVE, runtime="node")
    if shutil.which("go") is None:
        return TestCommand((), "go toolchain not available (no `go` on PATH)")
    names = _GO_TEST_FUNCTION.findall(source)
    folder = str(PurePosixPath(test_path).parent)
    package = "./" if folder in ("", ".") else f"./{folder}"
    go_argv = ["go", "test", "-count=1", package]
    if names:
        go_argv += ["-run", "^(" + "|".join(names) + ")$"]
    return TestCommand(tuple(go_argv), address_space_reserve=_RUNTIME_RESERVE, runtime="go")


def _is_package(copy: Path, folder: PurePosixPath) -> bool:
    """True when every folder from the root down to ``folder`` has an ``__init__.py``."""
    current = copy
    for part in folder.parts:
        current = current / part
        if not (current / "__init__.py").is_file():
            return False
    return True


def _module_name(test_path: str) -> str:
    """``tests/test_x.py`` -> ``tests.test_x``; a path that is no module name stays a path."""
    parts = PurePosixPath(test_path).with_suffix("").parts
    if all(part.isidentifier() for part in parts):
        return ".".join(parts)
    return test_path


def _project_files(root: Path) -> list[PurePosixPath]:
    found: list[PurePosixPath] = []
    for directory, folders, files in os.walk(root):
        folders[:] = sorted(
            name for name in folders if name not in _SKIPPED_FOLDERS and not name.startswith(".")
        )
        relative = PurePosixPath(Path(directory).relative_to(root).as_posix())
        for name in sorted(files):
            found.append(relative / name)
            if len(found) >= _MAX_FILES_SEEN:
                return found
    return found


def _read(path: Path, limit: int = 200_000) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            return stream.read(limit)
    except OSError:
        return ""


def _python_style(root: Path, files: list[PurePosixPath]) -> TestStyle:
    tests = [path for path in files if _PYTHON_TEST_NAME.match(path.name)]
    framework = _python_framework(root, files, tests)
    folder = _common_folder(tests)
    suffix_style = sum(1 for path in tests if path.name.endswith("_test.py"))
    naming = "{name}_test.py" if tests and suffix_style * 2 > len(tests) else "test_{name}.py"
    if not tests:
        folder = "tests"
    return TestStyle("python", framework, folder, naming)


def _python_framework(
    root: Path, files: list[PurePosixPath], tests: list[PurePosixPath]
) -> Framework:
    names = {str(path) for path in files}
    if "pytest.ini" in names or any(path.name == "conftest.py" for path in files):
        return Framework.PYTEST
    if "pyproject.toml" in names:
        try:
            config = tomllib.loads(_read(root / "pyproject.toml"))
        except tomllib.TOMLDecodeError:
            config = {}
        if "pytest" in config.get("tool", {}):
            return Framework.PYTEST
    if "[tool:pytest]" in _read(root / "setup.cfg") or "[pytest]" in _read(root / "tox.ini"):
        return Framework.PYTEST
    votes: Counter[Framework] = Counter()
    for path in tests[:_MAX_TESTS_READ]:
        text = _read(root / path)
        if re.search(r"^\s*(import pytest|from pytest\b)", text, re.M):
            votes[Framework.PYTEST] += 1
        elif re.search(r"\bunittest\b", text) and "TestCase" in text:
            votes[Framework.UNITTEST] += 1
        elif re.search(r"^def test_", text, re.M):
            votes[Framework.PYTEST] += 1
    if votes[Framework.UNITTEST] > votes[Framework.PYTEST]:
        return Framework.UNITTEST
    return Framework.PYTEST


def _common_folder(tests: list[PurePosixPath]) -> str:
    """The folder most tests live in; empty when most sit next to their code."""
    if not tests:
        return ""
    tops = Counter(path.parts[0] if len(path.parts) > 1 else "" for path in tests)
    top, count = tops.most_common(1)[0]
    if top in _TEST_FOLDER_NAMES and count * 2 >= len(tests):
        return top
    # Tests inside the package (``pyflakes/test/``): the test folder most of them share.
    parents = Counter(str(path.parent) for path in tests if len(path.parts) > 1)
    if parents:
        folder, count = parents.most_common(1)[0]
        if PurePosixPath(folder).name in _TEST_FOLDER_NAMES and count * 2 >= len(tests):
            return folder
    return ""


def _javascript_style(root: Path, files: list[PurePosixPath], language: str) -> TestStyle:
    manifest = _package_json(root)
    framework = _javascript_framework(root, manifest, files)
    extension = _JS_EXTENSIONS[language]
    tests = [path for path in files if _JS_TEST_NAME.match(path.name)]
    in_folders = [
        path for path in files if path.parts[0] in ("test", "tests", "__tests__") and path.suffix
    ]
    spec_style = sum(1 for path in tests if ".spec." in path.name)
    marker = "spec" if tests and spec_style * 2 > len(tests) else "test"
    folder = _common_folder(tests) if tests else _common_folder(in_folders)
    if not tests and not in_folders:
        folder = "test" if framework is Framework.NODE_TEST else ""
    return TestStyle(language, framework, folder, "{name}." + marker + extension)


def _package_json(root: Path) -> dict[str, object]:
    text = _read(root / "package.json")
    if not text:
        return {}
    try:
        loaded = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(f"package.json in {root} is not valid JSON ({error})") from error
    return loaded if isinstance(loaded, dict) else {}


def _javascript_framework(
    root: Path, manifest: dict[str, object], files: list[PurePosixPath]
) -> Framework:
    dependencies: set[str] = set()
    for key in ("devDependencies", "dependencies"):
        section = manifest.get(key)
        if isinstance(section, dict):
            dependencies.update(str(name) for name in section)
    scripts = manifest.get("scripts")
    test_script = str(scripts.get("test", "")) if isinstance(scripts, dict) else ""
    if "vitest" in dependencies or "vitest" in test_script:
        return Framework.VITEST
    if dependencies & {"jest", "ts-jest", "babel-jest"} or re.search(r"\bjest\b", test_script):
        return Framework.JEST
    if "node --test" in test_script:
        return Framework.NODE_TEST
    for path in files:
        if _JS_TEST_NAME.match(path.name) or path.parts[0] in ("test", "tests"):
            text = _read(root / path, 20_000)
            if "node:test" in text:
                return Framework.NODE_TEST
            if "vitest" in text:
                return Framework.VITEST
            if "jest" in text or "@jest/globals" in text:
                return Framework.JEST
    return Framework.NODE_TEST
