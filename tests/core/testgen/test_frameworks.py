"""Framework and style detection, one-file test commands, static checks and coverage parsing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from argus.core.errors import ConfigError
from argus.core.testgen.candidate import Candidate
from argus.core.testgen.coverage_check import existing_tests, parse_report, python_changed_lines
from argus.core.testgen.frameworks import Framework, TestStyle, command_for, detect_style
from argus.core.testgen.static_check import compiles, is_test

PYTEST_FILE = "import pytest\n\n\ndef test_x():\n    assert True\n"
UNITTEST_FILE = (
    "import unittest\n\n\nclass XTest(unittest.TestCase):\n    def test_x(self):\n        pass\n"
)


def make(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


PYTHON_CASES = [
    (
        "pytest.ini",
        {"pytest.ini": "[pytest]\n", "tests/test_a.py": UNITTEST_FILE},
        Framework.PYTEST,
        "tests",
        "test_{name}.py",
    ),
    (
        "conftest",
        {"conftest.py": "", "pkg/a_test.py": UNITTEST_FILE, "pkg/b_test.py": ""},
        Framework.PYTEST,
        "",
        "{name}_test.py",
    ),
    (
        "pyproject",
        {
            "pyproject.toml": "[tool.pytest.ini_options]\naddopts='-q'\n",
            "test/test_a.py": UNITTEST_FILE,
        },
        Framework.PYTEST,
        "test",
        "test_{name}.py",
    ),
    (
        "setup.cfg",
        {"setup.cfg": "[tool:pytest]\n", "tests/test_a.py": UNITTEST_FILE},
        Framework.PYTEST,
        "tests",
        "test_{name}.py",
    ),
    (
        "unittest imports",
        {
            "tests/test_a.py": UNITTEST_FILE,
            "tests/test_b.py": UNITTEST_FILE,
            "tests/test_c.py": PYTEST_FILE,
        },
        Framework.UNITTEST,
        "tests",
        "test_{name}.py",
    ),
    (
        "bare functions",
        {"tests/test_a.py": "def test_a():\n    pass\n"},
        Framework.PYTEST,
        "tests",
        "test_{name}.py",
    ),
    ("nothing yet", {"pkg/__init__.py": ""}, Framework.PYTEST, "tests", "test_{name}.py"),
    (
        "vendored tests ignored",
        {
            "node_modules/x/test_a.py": UNITTEST_FILE,
            ".venv/lib/test_b.py": UNITTEST_FILE,
            "tests/test_c.py": PYTEST_FILE,
        },
        Framework.PYTEST,
        "tests",
        "test_{name}.py",
    ),
]


@pytest.mark.parametrize(
    ("files", "framework", "folder", "naming"),
    [case[1:] for case in PYTHON_CASES],
    ids=[case[0] for case in PYTHON_CASES],
)
def test_python_style(tmp_path: Path, files, framework, folder, naming) -> None:
    style = detect_style(make(tmp_path, files), "python")
    assert (style.framework, style.tests_folder, style.naming) == (framework, folder, naming)


JS_CASES = [
    (
        "vitest dev dependency",
        {"package.json": json.dumps({"devDependencies": {"vitest": "1"}})},
        "javascript",
        Framework.VITEST,
        "{name}.test.js",
    ),
    (
        "jest dev dependency",
        {
            "package.json": json.dumps({"devDependencies": {"jest": "29"}}),
            "src/a.spec.js": "it('a', () => {})",
        },
        "javascript",
        Framework.JEST,
        "{name}.spec.js",
    ),
    (
        "jest in scripts",
        {"package.json": json.dumps({"scripts": {"test": "jest --ci"}})},
        "typescript",
        Framework.JEST,
        "{name}.test.ts",
    ),
    (
        "node --test script",
        {"package.json": json.dumps({"scripts": {"test": "node --test"}})},
        "javascript",
        Framework.NODE_TEST,
        "{name}.test.js",
    ),
    (
        "node:test import",
        {"package.json": "{}", "test/a.test.mjs": "import test from 'node:test';\n"},
        "javascript",
        Framework.NODE_TEST,
        "{name}.test.js",
    ),
    ("no package.json", {"index.js": ""}, "javascript", Framework.NODE_TEST, "{name}.test.js"),
]


@pytest.mark.parametrize(
    ("files", "language", "framework", "naming"),
    [case[1:] for case in JS_CASES],
    ids=[case[0] for case in JS_CASES],
)
def test_javascript_style(tmp_path: Path, files, language, framework, naming) -> None:
    style = detect_style(make(tmp_path, files), language)
    assert (style.framework, style.naming, style.language) == (framework, naming, language)


def test_go_and_unknown_languages(tmp_path: Path) -> None:
    style = detect_style(tmp_path, "go")
    assert style.framework is Framework.GO_TEST
    assert style.test_path("parse", "internal/lex/parse.go") == "internal/lex/parse_test.go"
    with pytest.raises(ConfigError):
        detect_style(tmp_path, "cobol")
    with pytest.raises(ConfigError):
        detect_style(tmp_path / "missing", "python")


def test_broken_package_json_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="package.json"):
        detect_style(make(tmp_path, {"package.json": "{not json"}), "javascript")


def test_test_paths_follow_the_style() -> None:
    in_folder = TestStyle("python", Framework.PYTEST, "tests", "test_{name}.py")
    alongside = TestStyle("python", Framework.PYTEST, "", "{name}_test.py")
    assert in_folder.test_path("ops", "calc/ops.py") == "tests/test_ops.py"
    assert alongside.test_path("ops", "calc/ops.py") == "calc/ops_test.py"
    assert alongside.test_path("ops") == "ops_test.py"


def test_commands_run_exactly_one_file(tmp_path: Path) -> None:
    pytest_command = command_for("pytest", "tests/test_ops.py", tmp_path, python="py")
    assert pytest_command.argv == (
        "py",
        "-m",
        "pytest",
        "-x",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/test_ops.py",
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "__init__.py").write_text("")
    unittest_command = command_for(Framework.UNITTEST, "tests/test_ops.py", tmp_path, python="py")
    assert unittest_command.argv == ("py", "-m", "unittest", "-v", "tests.test_ops")
    odd = command_for(Framework.UNITTEST, "tests/test-ops.py", tmp_path, python="py")
    assert odd.argv[-1] == "tests/test-ops.py"
    node = command_for(Framework.NODE_TEST, "test/a.test.js", tmp_path)
    assert node.argv == ("node", "--test", "test/a.test.js") and node.runtime == "node"


def test_jest_and_vitest_need_the_project_dependencies(tmp_path: Path) -> None:
    missing = command_for(Framework.JEST, "a.test.js", tmp_path)
    assert not missing.available and "node_modules/.bin/jest" in (missing.reason or "")
    binary = tmp_path / "node_modules" / ".bin" / "vitest"
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\n")
    vitest = command_for(Framework.VITEST, "a.test.ts", tmp_path)
    assert vitest.argv == ("./node_modules/.bin/vitest", "run", "--no-cache", "a.test.ts")


def test_go_without_toolchain_is_a_clear_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    command = command_for(Framework.GO_TEST, "pkg/a_test.go", tmp_path)
    assert not command.available
    assert command.reason == "go toolchain not available (no `go` on PATH)"


def test_go_command_runs_the_named_tests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_go = tmp_path / "bin" / "go"
    fake_go.parent.mkdir()
    fake_go.write_text("#!/bin/sh\n")
    fake_go.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake_go.parent))
    source = "package a\n\nfunc TestParse(t *testing.T) {}\nfunc TestLex(t *testing.T) {}\n"
    command = command_for(Framework.GO_TEST, "pkg/a_test.go", tmp_path, source=source)
    assert command.argv == ("go", "test", "-count=1", "./pkg", "-run", "^(TestParse|TestLex)$")


def candidate(source: str, language: str = "python", path: str = "tests/test_x.py") -> Candidate:
    framework = {"python": "pytest", "javascript": "node_test", "go": "go_test"}[language]
    return Candidate(language, framework, path, source)


IS_TEST_CASES = [
    ("pytest function", "python", PYTEST_FILE, True),
    ("TestCase method", "python", UNITTEST_FILE, True),
    ("Test class", "python", "class TestX:\n    def test_y(self):\n        pass\n", True),
    ("only helpers", "python", "def helper():\n    return 1\n", False),
    (
        "helper class with test methods",
        "python",
        "class Helper:\n    def test_y(self):\n        pass\n",
        False,
    ),
    (
        "top-level call",
        "python",
        "import os\nos.system('rm -rf /')\n\ndef test_x():\n    pass\n",
        False,
    ),
    (
        "path set-up and main",
        "python",
        '"""Doc."""\nimport sys\nsys.path.insert(0, ".")\nX = 1\n\ndef test_x():\n    pass\n\n'
        "if __name__ == '__main__':\n    pass\n",
        True,
    ),
    (
        "js test call",
        "javascript",
        "const test = require('node:test');\ntest('a', () => {});\n",
        True,
    ),
    ("js it.only", "javascript", "it.only('a', () => {});\n", True),
    ("js commented out", "javascript", "// test('a', () => {})\nconst x = 1;\n", False),
    ("go test", "go", 'package a\n\nimport "testing"\n\nfunc TestA(t *testing.T) {}\n', True),
    ("go helper only", "go", "package a\n\nfunc helper() {}\n", False),
]


@pytest.mark.parametrize(
    ("language", "source", "expected"),
    [case[1:] for case in IS_TEST_CASES],
    ids=[case[0] for case in IS_TEST_CASES],
)
def test_is_test(language: str, source: str, expected: bool) -> None:
    path = {"python": "tests/test_x.py", "javascript": "test/x.test.js", "go": "a_test.go"}
    outcome = is_test(candidate(source, language, path[language]))
    assert outcome.ok is expected, outcome.detail
    assert bool(outcome.detail) is not expected


def test_compiles() -> None:
    python = compiles(candidate(PYTEST_FILE))
    assert python is not None and python.ok
    broken = compiles(candidate("def test_x(:\n    pass\n"))
    assert broken is not None and not broken.ok and "line 1" in broken.detail
    esm = compiles(
        candidate(
            "import test from 'node:test';\ntest('a', () => {});\n", "javascript", "test/a.test.js"
        )
    )
    assert esm is not None and esm.ok
    bad_js = compiles(candidate("test('a', () => {\n", "javascript", "test/a.test.js"))
    assert bad_js is not None and not bad_js.ok and "test/a.test.js" in bad_js.detail
    assert compiles(candidate("package a\n", "go", "a_test.go")) is None


def test_coverage_report_is_intersected_with_changed_lines(tmp_path: Path) -> None:
    changed = python_changed_lines({"calc/ops.py": {5, 6, 7}, "README.md": {1}, "x.py": set()})
    assert changed == {"calc/ops.py": frozenset({5, 6, 7})}
    report = json.dumps(
        {
            "files": {
                str(tmp_path / "calc/ops.py"): {"executed_lines": [1, 4, 5, 6]},
                "other.py": {"executed_lines": [5]},
            }
        }
    ).encode()
    parsed = parse_report(report, tmp_path, changed)
    assert parsed.covered == {"calc/ops.py": frozenset({5, 6})}
    assert parsed.ratio == pytest.approx(2 / 3)
    relative = parse_report(
        b'{"files": {"calc/ops.py": {"executed_lines": [7]}}}', tmp_path, changed
    )
    assert relative.covered_count == 1
    for garbage in (None, b"not json", b"[]", b'{"files": 3}'):
        assert parse_report(garbage, tmp_path, changed).measured is False


def test_existing_tests_of_the_changed_modules(tmp_path: Path) -> None:
    make(
        tmp_path,
        {
            "tests/test_a.py": "import calc.ops\n",
            "tests/test_b.py": "from calc import other, ops\n",
            "tests/test_c.py": "from calc import other\n",
            "tests/test_generated.py": "import calc.ops\n",
            "calc/helper.py": "import calc.ops\n",
            "node_modules/x/test_d.py": "import calc.ops\n",
            "src_test.py": "from util import text\n",
        },
    )
    changed = {"calc/ops.py": frozenset({1}), "src/util/text.py": frozenset({2})}
    found = existing_tests(tmp_path, changed, exclude="tests/test_generated.py")
    assert found == ["src_test.py", "tests/test_a.py", "tests/test_b.py"]


def test_unittest_in_a_folder_that_is_no_package_runs(tmp_path: Path) -> None:
    # `test/` without __init__.py: `python -m unittest test.test_ops` would import the
    # standard library's `test` package and fail with ModuleNotFoundError.
    (tmp_path / "calc.py").write_text("def double(x):\n    return 2 * x\n")
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "test_regression_ops.py").write_text(
        "import unittest\n\nfrom calc import double\n\n\n"
        "class TestDouble(unittest.TestCase):\n"
        "    def test_double(self):\n        self.assertEqual(double(2), 4)\n"
    )
    command = command_for(
        Framework.UNITTEST, "test/test_regression_ops.py", tmp_path, python=sys.executable
    )
    assert "discover" in command.argv
    done = subprocess.run(command.argv, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "Ran 1 test" in done.stderr


def test_tests_inside_the_package_are_found(tmp_path: Path) -> None:
    files = {
        "pkg/__init__.py": "",
        "pkg/core.py": "def f():\n    return 1\n",
        "pkg/test/__init__.py": "",
        "pkg/test/test_core.py": "import unittest\n\n\nclass T(unittest.TestCase):\n    pass\n",
        "pkg/test/test_more.py": "import unittest\n\n\nclass T(unittest.TestCase):\n    pass\n",
    }
    style = detect_style(make(tmp_path, files), "python")
    assert style.tests_folder == "pkg/test"
    assert style.test_path("core", "pkg/core.py") == "pkg/test/test_core.py"
