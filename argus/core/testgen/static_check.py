"""Checks made on a candidate's text before anything runs: does it compile, is it a test?"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from argus.core.testgen.candidate import Candidate

_JS_TEST_CALL = re.compile(r"(^|[^\w.$])(test|it)(\.(only|skip|todo|each\([^)]*\)))?\s*\(", re.M)
_GO_TEST_FUNCTION = re.compile(r"^func\s+Test[A-Z_0-9]\w*\s*\(\s*\w+\s+\*testing\.T\s*\)", re.M)
_GO_PACKAGE = re.compile(r"^package\s+\w+", re.M)
_ALLOWED_CALLS_AT_TOP = ("sys.path.", "pytest.importorskip", "unittest.main")


@dataclass(frozen=True)
class CheckOutcome:
    """The verdict of one static check; ``detail`` says what is wrong when ``ok`` is false."""

    ok: bool
    detail: str = ""


def compiles(candidate: Candidate, *, timeout_seconds: float = 10.0) -> CheckOutcome | None:
    """Does the source parse? None when this machine cannot tell (no node, TypeScript, Go)."""
    if candidate.language == "python":
        try:
            compile(candidate.source, candidate.path, "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as error:
            line = getattr(error, "lineno", None)
            where = f" at line {line}" if line else ""
            return CheckOutcome(False, f"Python syntax error{where}: {error}")
        return CheckOutcome(True)
    if candidate.language == "javascript":
        return _node_check(candidate, timeout_seconds)
    return None


def is_test(candidate: Candidate) -> CheckOutcome:
    """At least one test, and nothing at the top level that is neither a test nor a helper."""
    if candidate.language == "python":
        return _python_is_test(candidate.source)
    if candidate.language in ("javascript", "typescript", "tsx"):
        if _JS_TEST_CALL.search(_without_js_comments(candidate.source)):
            return CheckOutcome(True)
        return CheckOutcome(False, "no test(...) or it(...) call")
    if candidate.language == "go":
        if not _GO_PACKAGE.search(candidate.source):
            return CheckOutcome(False, "no package clause")
        if _GO_TEST_FUNCTION.search(candidate.source):
            return CheckOutcome(True)
        return CheckOutcome(False, "no func TestXxx(t *testing.T)")
    return CheckOutcome(False, f"no test checker for language {candidate.language!r}")


def _python_is_test(source: str) -> CheckOutcome:
    try:
        module = ast.parse(source)
    except SyntaxError as error:
        return CheckOutcome(False, f"does not parse: {error}")
    tests = 0
    for index, node in enumerate(module.body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            tests += node.name.startswith("test")
        elif isinstance(node, ast.ClassDef):
            tests += _test_methods(node)
        elif not _allowed_at_top(node, index):
            return CheckOutcome(
                False,
                f"line {node.lineno}: top-level {type(node).__name__} statement that is "
                "neither a test nor a helper",
            )
    if tests == 0:
        return CheckOutcome(False, "no test function (def test_...) or TestCase test method")
    return CheckOutcome(True)


def _test_methods(node: ast.ClassDef) -> int:
    bases = {ast.unparse(base).rsplit(".", 1)[-1] for base in node.bases}
    if not (node.name.startswith("Test") or any(base.endswith("TestCase") for base in bases)):
        return 0
    return sum(
        1
        for item in node.body
        if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and item.name.startswith("test")
    )


def _allowed_at_top(node: ast.stmt, index: int) -> bool:
    """Imports, constants, fixtures' data, a docstring, path set-up, a ``__main__`` block."""
    if isinstance(node, ast.Import | ast.ImportFrom | ast.Assign | ast.AnnAssign | ast.Try):
        return True
    if isinstance(node, ast.Expr):
        if (
            index == 0
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            return True
        if isinstance(node.value, ast.Call):
            called = ast.unparse(node.value.func)
            return called.startswith(_ALLOWED_CALLS_AT_TOP)
        return False
    if isinstance(node, ast.If):
        return "__name__" in ast.unparse(node.test)
    return False


def _without_js_comments(source: str) -> str:
    without_blocks = re.sub(r"/\*.*?\*/", " ", source, flags=re.S)
    return re.sub(r"(?m)//.*$", " ", without_blocks)


def _node_check(candidate: Candidate, timeout_seconds: float) -> CheckOutcome | None:
    """``node --check`` parses without running; ES modules are checked as ``.mjs``."""
    if shutil.which("node") is None:
        return None
    is_module = bool(re.search(r"^\s*(import\s|export\s)", candidate.source, re.M))
    suffix = ".mjs" if is_module or candidate.path.endswith(".mjs") else ".cjs"
    with tempfile.TemporaryDirectory(prefix="argus-check-") as folder:
        path = Path(folder) / f"candidate{suffix}"
        path.write_text(candidate.source, encoding="utf-8")
        try:
            done = subprocess.run(
                ["node", "--check", str(path)],
                capture_output=True,
                timeout=timeout_seconds,
                env={"PATH": "/usr/local/bin:/usr/bin:/bin"},
                check=False,
            )
        except subprocess.TimeoutExpired:
            return CheckOutcome(False, "node --check did not finish")
    if done.returncode == 0:
        return CheckOutcome(True)
    message = done.stderr.decode("utf-8", "replace").replace(str(path), candidate.path)
    return CheckOutcome(False, "JavaScript syntax error: " + message.strip()[-800:])
