"""Tests written by a model: the prompt that asks for one, and the checks on what comes back.

The prompt is a versioned template (``argus/core/router/prompts/``) filled with the function's
source, its call sites in the repository, the existing tests of its module (for style) and,
for a regression test, the error pattern. The answer is reduced to one code block, checked to
be a test and nothing else (imports, test functions and classes, fixtures, small helpers; no
process, network or file-deleting calls anywhere, nothing that runs at import), and only then
handed to the sandbox like any other candidate.
"""

from __future__ import annotations

import ast
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from argus.core.errors import ArgusError
from argus.core.patterns.event import ErrorEvent
from argus.core.router.prompts import RenderedPrompt, load_prompt
from argus.core.testgen import static_check, style
from argus.core.testgen.candidate import Candidate, CandidateKind
from argus.core.testgen.repo_view import RepoView

#: Characters of each prompt section kept (callers, existing tests), so prompts stay small.
SECTION_LIMIT = 4000
MAX_CALLERS = 8
MAX_TEST_FILES = 2

_FENCE = re.compile(r"```[ \t]*([\w+.-]*)[^\n]*\n(.*?)```", re.S)
JS_LANGUAGES = frozenset({"javascript", "typescript", "tsx"})
_FENCE_LABELS = {
    "python": ("python", "py"),
    "javascript": ("javascript", "js", "mjs", "cjs", "node"),
    "typescript": ("typescript", "ts"),
    "tsx": ("tsx", "typescript", "ts"),
}
_JS_CODE = re.compile(r"\b(const|let|var|function|import|require|test|it|describe)\b\s*[\w({'\"]")
_JS_TEST_FILE = re.compile(r"\.(test|spec)\.(c|m)?(j|t)sx?$")
_JS_NETWORK_MODULES = r"child_process|net|http|https|http2|dgram|tls|dns|cluster|worker_threads"
_JS_FORBIDDEN = (
    (
        re.compile(
            rf"""(require\(\s*|from\s+|import\(\s*)['"](node:)?({_JS_NETWORK_MODULES})['"]"""
        ),
        "tries the network or a process",
    ),
    (re.compile(r"\b(fetch|XMLHttpRequest|WebSocket)\s*\("), "tries the network"),
    (
        re.compile(r"\b(rm|rmSync|rmdir|rmdirSync|unlink|unlinkSync)\s*\("),
        "deletes files",
    ),
    (
        re.compile(
            r"""\b(writeFile|writeFileSync|appendFile|appendFileSync|mkdirSync)\s*\(\s*['"`](/|~|\.\.)"""
        ),
        "writes outside its directory",
    ),
    (re.compile(r"\b(process\.exit|process\.kill|eval)\s*\("), "refused"),
)

#: Modules a generated test may not import: processes, network, and low-level escapes.
FORBIDDEN_MODULES = frozenset(
    {
        "subprocess",
        "socket",
        "ssl",
        "http",
        "urllib",
        "requests",
        "httpx",
        "aiohttp",
        "ftplib",
        "smtplib",
        "telnetlib",
        "ctypes",
        "multiprocessing",
        "pty",
        "webbrowser",
        "xmlrpc",
        "paramiko",
    }
)
#: Calls refused wherever they appear (dotted names as written, or their last part).
FORBIDDEN_CALLS = frozenset(
    {
        "os.system",
        "os.popen",
        "os.remove",
        "os.unlink",
        "os.rmdir",
        "os.removedirs",
        "os.kill",
        "os.fork",
        "os.chmod",
        "os.chown",
        "os.rename",
        "os.replace",
        "shutil.rmtree",
        "shutil.move",
        "shutil.chown",
        "time.sleep",
        "asyncio.sleep",
        "eval",
        "exec",
        "compile",
        "__import__",
        "importlib.import_module",
    }
)
FORBIDDEN_CALL_PREFIXES = ("os.exec", "os.spawn", "os.posix_spawn")
#: Method names that delete files whatever the receiver (``Path.unlink``, ``path.rmdir()``).
FORBIDDEN_METHODS = frozenset({"unlink", "rmdir", "rmtree"})
_WRITE_METHODS = frozenset({"write_text", "write_bytes", "mkdir", "touch", "symlink_to"})


class AnswerRejected(ArgusError):
    """A model's answer that is not a test we may run; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FunctionContext:
    """What a prompt shows about one function."""

    path: str
    name: str
    module: str
    import_root: str
    source: str
    callers: str
    existing_tests: str

    import_statement: str = ""

    @property
    def import_line(self) -> str:
        """The import a test of this function uses."""
        if self.import_statement:
            return self.import_statement
        return f"from {self.module} import {self.name.split('.')[0]}"


def function_context(
    repo: Path | str,
    path: str,
    name: str,
    *,
    ref: str | None = None,
    changed_lines: frozenset[int] = frozenset(),
) -> FunctionContext:
    """The function ``name`` of ``path`` at ``ref``, its callers and the module's tests.

    ``changed_lines`` (new-side line numbers) are marked ``# changed`` in the source shown.
    Raises ArgusError when the file cannot be read or has no such function.
    """
    view = RepoView(repo, ref)
    if not view.exists(path):
        raise ArgusError(f"{path} is not a file of the repository at {ref or 'the working tree'}")
    text = view.read(path)
    try:
        tree = ast.parse(text)
    except SyntaxError as error:
        raise ArgusError(f"{path} does not parse: {error}") from error
    node = _find(tree, name)
    if node is None:
        raise ArgusError(f"{path} has no function {name!r}")
    lines = text.splitlines()
    first = min([node.lineno, *(item.lineno for item in node.decorator_list)])
    last = node.end_lineno or node.lineno
    shown = [
        line + ("  # changed" if number in changed_lines else "")
        for number, line in enumerate(lines[first - 1 : last], start=first)
    ]
    located = view.import_path(path)
    simple = name.split(".")[-1]
    callers: list[str] = []
    tests: list[str] = []
    stem = PurePosixPath(path).stem
    for other in view.files_mentioning(simple):
        if other == path:
            continue
        other_text = view.read(other)
        if _is_test_file(other):
            if len(tests) < MAX_TEST_FILES:
                tests.append(f"# {other}\n{other_text}")
            continue
        for number, line in enumerate(other_text.splitlines(), start=1):
            if re.search(rf"\b{re.escape(simple)}\s*\(", line) and len(callers) < MAX_CALLERS:
                callers.append(f"{other}:{number}: {line.strip()}")
    if len(tests) < MAX_TEST_FILES:
        for other in view.files_mentioning(stem):
            if _is_test_file(other) and not any(item.startswith(f"# {other}\n") for item in tests):
                tests.append(f"# {other}\n{view.read(other)}")
                if len(tests) >= MAX_TEST_FILES:
                    break
    return FunctionContext(
        path=path,
        name=name,
        module=located.module,
        import_root=located.root,
        source="\n".join(shown),
        callers=_cut("\n".join(callers) or "(no call sites found)"),
        existing_tests=_cut("\n\n".join(tests) or "(no tests of this module yet)"),
    )


def pr_prompt(
    context: FunctionContext, *, framework: str, test_path: str, language: str = "python"
) -> RenderedPrompt:
    """The ``generate_test`` prompt (newest version) for a changed function."""
    return load_prompt("generate_test").render(
        language=language,
        framework=framework,
        module_path=context.path,
        test_path=test_path,
        import_line=context.import_line,
        function_source=context.source,
        callers=context.callers,
        existing_tests=context.existing_tests,
    )


def regression_prompt(
    context: FunctionContext,
    event: ErrorEvent,
    *,
    framework: str,
    test_path: str,
    language: str = "python",
    free_tier: str = "",
) -> RenderedPrompt:
    """The ``regression_test`` prompt (newest version) for a production error.

    ``free_tier`` says what the deterministic generator tried and why it failed (see
    :func:`argus.core.testgen.crash.describe_attempts`); empty when it has not run.
    """
    return load_prompt("regression_test").render(
        free_tier=_cut(free_tier) if free_tier else "nothing yet",
        language=language,
        framework=framework,
        test_path=test_path,
        import_line=context.import_line,
        expected_exception=event.exception_type,
        error_pattern=describe_error(event),
        function_source=context.source,
        callers=context.callers,
        existing_tests=context.existing_tests,
    )


def describe_error(event: ErrorEvent) -> str:
    """The error as the prompt shows it: title, then the in-app frames, innermost last."""
    lines = [event.title]
    for frame in event.in_app_frames[-8:]:
        where = f"{frame.filename or frame.path}:{frame.lineno or '?'} in {frame.function}"
        lines.append(f"  {where}")
        if frame.context_line:
            lines.append(f"    {frame.context_line.strip()}")
        for key, value in list(frame.vars.items())[:8]:
            lines.append(f"    {key} = {str(value)[:120]}")
    return _cut("\n".join(lines))


def extract_code(answer: str, *, language: str = "python") -> str:
    """The test source in a model's answer: its (first block in the language, else first)
    fenced block, or the whole answer. Raises AnswerRejected when there is no code."""
    labels = _FENCE_LABELS.get(language, (language,))
    blocks = _FENCE.findall(answer)
    if blocks:
        matching = [body for label, body in blocks if label.lower() in labels]
        code = str((matching or [blocks[0][1]])[0])
    else:
        code = answer
    code = code.strip("\n")
    if not code.strip():
        raise AnswerRejected("not code: the answer is empty")
    if language != "python":
        if not _JS_CODE.search(code):
            raise AnswerRejected("not code: no statement of the language in the answer")
        return code + "\n"
    try:
        ast.parse(code)
    except SyntaxError as error:
        raise AnswerRejected(
            f"not code: the answer is not valid Python (line {error.lineno}: {error.msg})"
        ) from error
    return code + "\n"


def check_test_source(source: str) -> str | None:
    """None when ``source`` is a Python test and nothing else, else the reason it is not."""
    try:
        module = ast.parse(source)
    except SyntaxError as error:
        return f"not code: line {error.lineno}: {error.msg}"
    probe = Candidate(language="python", framework="pytest", path="test_probe.py", source=source)
    shape = static_check.is_test(probe)
    if not shape.ok:
        return f"not a test: {shape.detail}"
    for node in module.body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            called = [item for item in ast.walk(node.value) if isinstance(item, ast.Call)]
            allowed = ("pytest.", "Path(", "os.path.", "os.environ.get", "frozenset(", "dict(")
            for call in called:
                text = ast.unparse(call)
                if not text.startswith(allowed):
                    return (
                        f"runs code at import: line {node.lineno} calls {text[:60]} at the "
                        "top level"
                    )
    for item in ast.walk(module):
        reason = _forbidden(item)
        if reason is not None:
            return reason
    return None


def check_js_test_source(source: str, language: str = "javascript") -> str | None:
    """None when a JavaScript/TypeScript ``source`` is a test and nothing else, else why not."""
    probe = Candidate(language=language, framework="node_test", path="probe.test.js", source=source)
    shape = static_check.is_test(probe)
    if not shape.ok:
        return f"not a test: {shape.detail}"
    for pattern, reason in _JS_FORBIDDEN:
        found = pattern.search(source)
        if found is not None:
            line = source.count("\n", 0, found.start()) + 1
            return f"{reason}: line {line} uses {found.group(0)[:60]}"
    return None


def import_line_for(language: str, module_source: str, test_path: str, path: str, name: str) -> str:
    """How a test at ``test_path`` imports ``name`` from ``path``, in the module's own style."""
    if language == "python":
        return ""
    relative = posixpath.relpath(path, posixpath.dirname(test_path) or ".")
    if not relative.startswith("."):
        relative = "./" + relative
    simple = name.split(".")[0]
    if "module.exports" in module_source or "exports." in module_source:
        return f"const {{ {simple} }} = require('{relative}');"
    return f"import {{ {simple} }} from '{relative.rsplit('.', 1)[0]}';"


def function_context_by_lines(
    repo: Path | str,
    path: str,
    name: str,
    start_line: int,
    end_line: int,
    *,
    test_path: str,
    language: str,
    ref: str | None = None,
    changed_lines: frozenset[int] = frozenset(),
) -> FunctionContext:
    """A prompt context for a function of any language, cut from its file by line span."""
    view = RepoView(repo, ref)
    if not view.exists(path):
        raise ArgusError(f"{path} is not a file of the repository at {ref or 'the working tree'}")
    text = view.read(path)
    lines = text.splitlines()
    marker = "//" if language in JS_LANGUAGES else "#"
    shown = [
        line + (f"  {marker} changed" if number in changed_lines else "")
        for number, line in enumerate(lines[start_line - 1 : end_line], start=start_line)
    ]
    simple = name.split(".")[-1]
    suffix = PurePosixPath(path).suffix or ".js"
    callers: list[str] = []
    tests: list[str] = []
    for other in view.files_mentioning(simple, suffix=suffix):
        if other == path:
            continue
        other_text = view.read(other)
        if _JS_TEST_FILE.search(other) or _is_test_file(other):
            if len(tests) < MAX_TEST_FILES:
                tests.append(f"// {other}\n{other_text}")
            continue
        for number, line in enumerate(other_text.splitlines(), start=1):
            if re.search(rf"\b{re.escape(simple)}\s*\(", line) and len(callers) < MAX_CALLERS:
                callers.append(f"{other}:{number}: {line.strip()}")
    return FunctionContext(
        path=path,
        name=name,
        module=path,
        import_root="",
        source="\n".join(shown),
        callers=_cut("\n".join(callers) or "(no call sites found)"),
        existing_tests=_cut("\n\n".join(tests) or "(no tests of this module yet)"),
        import_statement=import_line_for(language, text, test_path, path, name),
    )


def candidate_from_answer(
    answer: str,
    *,
    framework: str,
    path: str,
    targets: tuple[str, ...],
    kind: CandidateKind,
    expected_exception: str | None = None,
    language: str = "python",
) -> Candidate:
    """A Candidate from a model's answer, or AnswerRejected with the reason."""
    if language in JS_LANGUAGES:
        code = extract_code(answer, language=language)
        reason = check_js_test_source(code, language)
    elif language == "python":
        code = extract_code(answer)
        reason = check_test_source(code)
    else:
        raise AnswerRejected(f"model answers are checked for Python and JavaScript, not {language}")
    if reason is not None:
        raise AnswerRejected(reason)
    return Candidate(
        language=language,
        framework=framework,
        path=path,
        source=code,
        targets=targets,
        kind=kind,
        expected_exception=expected_exception,
    )


def _forbidden(node: ast.AST) -> str | None:
    where = f"line {getattr(node, 'lineno', '?')}"
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.split(".")[0] in FORBIDDEN_MODULES:
                return f"tries the network or a process: {where} imports {alias.name}"
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        if node.module.split(".")[0] in FORBIDDEN_MODULES:
            return f"tries the network or a process: {where} imports from {node.module}"
        if node.module == "os" and any(
            f"os.{alias.name}" in FORBIDDEN_CALLS or alias.name in ("system", "popen")
            for alias in node.names
        ):
            return f"deletes files or runs a process: {where} imports from os what it may not"
        if node.module == "shutil" and any(alias.name == "rmtree" for alias in node.names):
            return f"deletes files: {where} imports shutil.rmtree"
    if not isinstance(node, ast.Call):
        return None
    called = ast.unparse(node.func)
    last = called.rsplit(".", 1)[-1]
    if called in FORBIDDEN_CALLS or called.startswith(FORBIDDEN_CALL_PREFIXES):
        kind = "deletes files" if last in ("remove", "unlink", "rmdir", "rmtree") else "refused"
        return f"{kind}: {where} calls {called}"
    if isinstance(node.func, ast.Attribute) and last in FORBIDDEN_METHODS:
        return f"deletes files: {where} calls .{last}()"
    if called == "open" and _writes_outside(node, mode_index=1):
        return f"writes outside its directory: {where} opens {ast.unparse(node.args[0])}"
    if isinstance(node.func, ast.Attribute) and last in _WRITE_METHODS:
        receiver = ast.unparse(node.func.value)
        if _absolute_or_parent(receiver):
            return f"writes outside its directory: {where} calls {called}"
    return None


def _writes_outside(node: ast.Call, mode_index: int) -> bool:
    if not node.args:
        return False
    mode_node: ast.expr | None = None
    if len(node.args) > mode_index:
        mode_node = node.args[mode_index]
    for keyword in node.keywords:
        if keyword.arg == "mode":
            mode_node = keyword.value
    mode = mode_node.value if isinstance(mode_node, ast.Constant) else "r"
    if not isinstance(mode, str) or not any(flag in mode for flag in "wax+"):
        return False
    return _absolute_or_parent(ast.unparse(node.args[0]))


def _absolute_or_parent(text: str) -> bool:
    literal = re.findall(r"""['"]([^'"]*)['"]""", text)
    return any(item.startswith(("/", "~")) or ".." in item for item in literal)


def _find(tree: ast.Module, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    parts = name.split(".")
    body: list[ast.stmt] = tree.body
    for index, part in enumerate(parts):
        found: ast.stmt | None = None
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and (
                node.name == part
            ):
                found = node
        if found is None:
            return None
        if index == len(parts) - 1:
            return found if isinstance(found, ast.FunctionDef | ast.AsyncFunctionDef) else None
        if not isinstance(found, ast.ClassDef):
            return None
        body = found.body
    return None


def _is_test_file(path: str) -> bool:
    name = PurePosixPath(path).name
    return name.startswith("test_") or name.endswith("_test.py")


def _cut(text: str) -> str:
    return text if len(text) <= SECTION_LIMIT else text[:SECTION_LIMIT] + "\n... (cut)"


def default_test_path(repo: Path | str, prefix: str, name: str, source_path: str) -> str:
    """Where a model-written test for ``name`` goes, in the project's style."""
    return style.test_path(
        style.python_style(repo), f"{prefix}_{name.replace('.', '_')}", source_path
    )
