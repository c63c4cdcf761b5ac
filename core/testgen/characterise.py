"""Characterisation tests: pin down what a changed function returns today.

Inputs come from the repository itself: calls to the function whose arguments are all literal
values, found in existing tests and at call sites (parsed with :mod:`ast`, never run). A
recording script then calls the function with each input *at the head*, through a ``runner``
the caller provides (the validation sandbox in production, a subprocess in a scratch copy in
tests), and reports each result's ``repr``. Results that can be written back as source
(literals, ``Decimal``/dates, dataclasses of the module) become assertions; floats compare
with ``pytest.approx`` (``math.isclose`` under unittest); an exception becomes an assertion
that it is raised. Anything else (``<object at 0x...>``) is left out.
"""

from __future__ import annotations

import ast
import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from core.lang.symbols import Symbol
from core.testgen import style
from core.testgen.candidate import Candidate, CandidateKind
from core.testgen.hypothesis_gen import find_function
from core.testgen.literals import rebuild
from core.testgen.repo_view import RepoView
from core.testgen.sandbox import DEFAULT_LIMITS, Limits, workspace

MAX_INPUTS = 8
_MARKER = "ARGUS-RECORD "
_MAX_FILES_SCANNED = 5000
_MAX_FILE_BYTES = 500_000

Runner = Callable[[str], str | None]
"""Runs a recording script (its source) at the head with the repository as the working
folder and on ``sys.path``; returns its standard output, or None when it could not run."""


@dataclass(frozen=True)
class CallInput:
    """One literal argument list for the function, and where it was found."""

    arguments: str  # source of the argument list, ``1, 'a', flag=True``
    imports: tuple[str, ...]
    found_in: str


@dataclass(frozen=True)
class Recorded:
    """What the head did with one input: a result's repr or an exception's type."""

    index: int
    result: str | None
    float_result: bool
    exception: str | None


def find_inputs(view: RepoView, path: str, function: str, module: str) -> list[CallInput]:
    """Literal calls of ``module.function`` in the repository (tests first), deduplicated."""
    files = view.files_mentioning(function)[:_MAX_FILES_SCANNED]
    files.sort(key=lambda name: (not _is_test_file(name), name))
    found: list[CallInput] = []
    seen: set[str] = set()
    for name in files:
        try:
            text = view.read(name)
        except OSError:
            continue
        if len(text) > _MAX_FILE_BYTES or function not in text:
            continue
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError):
            continue
        local_names, module_aliases = _names_for(tree, function, module, name == path)
        for call in _calls(tree):
            if not _calls_target(call, local_names, module_aliases, function):
                continue
            literal = _literal_arguments(call)
            if literal is None or literal.arguments in seen:
                continue
            seen.add(literal.arguments)
            found.append(CallInput(literal.arguments, literal.imports, f"{name}:{call.lineno}"))
            if len(found) >= MAX_INPUTS:
                return found
    return found


def recording_script(module: str, function: str, inputs: list[CallInput], root: str) -> str:
    """A script that calls the function with each input and prints one JSON line per call."""
    imports = sorted({line for item in inputs for line in item.imports})
    calls = ",\n".join(f"    lambda: {function}({item.arguments})" for item in inputs)
    path_line = f"sys.path.insert(0, {root!r})\n" if root else ""
    return (
        "import json, sys\n"
        f"{path_line}"
        + "".join(f"{line}\n" for line in imports)
        + f"from {module} import {function}\n"
        "CALLS = [\n"
        f"{calls},\n"
        "]\n"
        "for index, call in enumerate(CALLS):\n"
        "    record = {'index': index}\n"
        "    try:\n"
        "        value = call()\n"
        "    except Exception as error:\n"
        "        kind = type(error)\n"
        "        name = kind.__name__ if kind.__module__ == 'builtins' else None\n"
        "        record['exception'] = name\n"
        "    else:\n"
        "        record['result'] = repr(value)\n"
        "        items = value if isinstance(value, (list, tuple)) else [value]\n"
        "        record['float'] = any(isinstance(item, float) for item in items)\n"
        f"    print({_MARKER!r} + json.dumps(record), flush=True)\n"
    )


def parse_records(output: str) -> list[Recorded]:
    """The records a recording script printed (other output is ignored)."""
    records: list[Recorded] = []
    for line in output.splitlines():
        if not line.startswith(_MARKER):
            continue
        try:
            data = json.loads(line[len(_MARKER) :])
        except json.JSONDecodeError:
            continue
        if not isinstance(data, dict) or not isinstance(data.get("index"), int):
            continue
        result = data.get("result")
        exception = data.get("exception")
        records.append(
            Recorded(
                index=data["index"],
                result=result if isinstance(result, str) else None,
                float_result=bool(data.get("float")),
                exception=exception if isinstance(exception, str) else None,
            )
        )
    return records


def characterisation_tests(
    repo: Path | str,
    path: str,
    symbol: Symbol,
    *,
    module: str,
    runner: Runner,
    ref: str | None = None,
    framework: str | None = None,
    import_root: str | None = None,
) -> list[Candidate]:
    """A characterisation test of the module-level function ``symbol`` in ``path``.

    Inputs are literal calls found in the repository at ``ref`` (None: the working tree);
    ``runner`` runs the recording script at the head. No candidate when no literal input is
    found, or no recorded result can be written back as source.
    """
    view = RepoView(repo, ref)
    try:
        tree = ast.parse(view.read(path))
    except (SyntaxError, ValueError, OSError):
        return []
    node = find_function(tree, symbol)
    if node is None or isinstance(node, ast.AsyncFunctionDef):
        return []
    root = import_root if import_root is not None else view.import_path(path).root
    inputs = find_inputs(view, path, node.name, module)
    if not inputs:
        return []
    output = runner(recording_script(module, node.name, inputs, root))
    if output is None:
        return []
    classes = {
        item.name: f"from {module} import {item.name}"
        for item in tree.body
        if isinstance(item, ast.ClassDef)
    }
    chosen = str(framework or style.python_style(repo).framework)
    lines: list[str] = []
    imports: set[str] = {f"from {module} import {node.name}"}
    needs_pytest = False
    for record in parse_records(output):
        if record.index >= len(inputs):
            continue
        item = inputs[record.index]
        call = f"{node.name}({item.arguments})"
        if record.exception is not None:
            imports.update(item.imports)
            if chosen == "unittest":
                lines += [f"with self.assertRaises({record.exception}):", f"    {call}"]
            else:
                needs_pytest = True
                lines += [f"with pytest.raises({record.exception}):", f"    {call}"]
            continue
        if record.result is None:
            continue
        expected = rebuild(record.result, classes=classes, nested=False)
        if expected is None:
            continue
        imports.update(item.imports)
        imports.update(expected.imports)
        if record.float_result and chosen != "unittest":
            needs_pytest = True
            lines.append(f"assert {call} == pytest.approx({expected.source})")
        elif record.float_result and isinstance(expected.value, float):
            imports.add("import math")
            lines.append(f"assert math.isclose({call}, {expected.source}, rel_tol=1e-9)")
        else:
            lines.append(f"assert {call} == {expected.source}")
    if not lines:
        return []
    test_style = style.python_style(repo)
    test_file = style.test_path(test_style, f"characterise_{node.name}", path)
    setup_imports, setup = style.path_setup(test_file, root)
    docstring = (
        f"Characterisation test of {module}.{node.name} (generated by Argus).\n\n"
        "The inputs are literal calls found in the repository ("
        + ", ".join(item.found_in for item in inputs[:3])
        + ("..." if len(inputs) > 3 else "")
        + "); the expected values are what the head returned for them."
    )
    spec = style.TestSpec(
        docstring=docstring,
        imports=tuple(sorted(imports | set(setup_imports))),
        setup=setup,
        tests=(style.TestBody(f"{node.name}_characterisation", tuple(lines)),),
        needs_pytest=needs_pytest,
    )
    return [
        Candidate(
            language="python",
            framework=chosen,
            path=test_file,
            source=style.render(spec, chosen),
            targets=(f"{path}::{node.name}",),
            kind=CandidateKind.PR_TEST,
        )
    ]


def sandbox_runner(
    repo: Path | str,
    head: str | None,
    *,
    python: str = sys.executable,
    limits: Limits = DEFAULT_LIMITS,
) -> Runner:
    """A runner that records inside the validation sandbox, at ``head`` of ``repo``."""

    def run(script: str) -> str | None:
        with workspace(repo, head, python=python) as space:
            space.write("_argus_record.py", script)
            result = space.run([python, "_argus_record.py"], limits)
        if result.timed_out:
            return None
        return result.stdout

    return run


def _is_test_file(name: str) -> bool:
    base = Path(name).name
    return base.startswith("test_") or base.endswith("_test.py") or "/tests/" in f"/{name}"


def _names_for(
    tree: ast.Module, function: str, module: str, same_file: bool
) -> tuple[set[str], set[str]]:
    """Local names bound to the function, and names bound to its module, in one file."""
    local: set[str] = {function} if same_file else set()
    aliases: set[str] = set()
    last = module.rsplit(".", 1)[-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == module or (node.level and node.module.endswith(last)):
                for alias in node.names:
                    if alias.name == function:
                        local.add(alias.asname or alias.name)
            parent = module.rsplit(".", 1)[0] if "." in module else ""
            if node.module == parent:
                for alias in node.names:
                    if alias.name == last:
                        aliases.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == module:
                    aliases.add(alias.asname or alias.name)
    return local, aliases


def _calls(tree: ast.Module) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield node


def _calls_target(
    call: ast.Call, local_names: set[str], module_aliases: set[str], function: str
) -> bool:
    if isinstance(call.func, ast.Name):
        return call.func.id in local_names
    if isinstance(call.func, ast.Attribute) and call.func.attr == function:
        return ast.unparse(call.func.value) in module_aliases
    return False


@dataclass(frozen=True)
class _Literal:
    arguments: str
    imports: tuple[str, ...]


def _literal_arguments(call: ast.Call) -> _Literal | None:
    parts: list[str] = []
    imports: set[str] = set()
    for argument in call.args:
        if isinstance(argument, ast.Starred):
            return None
        rebuilt = rebuild(ast.unparse(argument), nested=False)
        if rebuilt is None:
            return None
        parts.append(rebuilt.source)
        imports.update(rebuilt.imports)
    for keyword in call.keywords:
        if keyword.arg is None:
            return None
        rebuilt = rebuild(ast.unparse(keyword.value), nested=False)
        if rebuilt is None:
            return None
        parts.append(f"{keyword.arg}={rebuilt.source}")
        imports.update(rebuilt.imports)
    return _Literal(", ".join(parts), tuple(sorted(imports)))
