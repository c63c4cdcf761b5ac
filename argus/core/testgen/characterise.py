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
import copy
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from argus.core.errors import ArgusError
from argus.core.lang.symbols import Symbol
from argus.core.testgen import style
from argus.core.testgen.candidate import Candidate, CandidateKind
from argus.core.testgen.hypothesis_gen import find_function, find_method, layout, raised_exceptions
from argus.core.testgen.literals import rebuild
from argus.core.testgen.project_types import ProjectTypes, module_types, snake
from argus.core.testgen.repo_view import RepoView
from argus.core.testgen.sandbox import DEFAULT_LIMITS, Limits, workspace

MAX_INPUTS = 8
# Builtin exceptions that usually mean a slip in the code rather than a refused input.
_SLIP_EXCEPTIONS = frozenset(
    {
        "IndexError",
        "KeyError",
        "AttributeError",
        "TypeError",
        "ZeroDivisionError",
        "NameError",
        "UnboundLocalError",
        "RecursionError",
    }
)
_MARKER = "ARGUS-RECORD "
_MAX_FILES_SCANNED = 5000
_MAX_FILE_BYTES = 500_000

_FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

Runner = Callable[[str], str | None]
"""Runs a recording script (its source) at the head with the repository as the working
folder and on ``sys.path``; returns its standard output, or None when it could not run."""


@dataclass(frozen=True)
class CallInput:
    """One literal argument list for the function, and where it was found.

    ``receiver`` is the source of the instance a method is called on (``Cart('acme')``), or
    None for a function, a ``staticmethod`` or a ``classmethod``.
    """

    arguments: str  # source of the argument list, ``1, 'a', flag=True``
    imports: tuple[str, ...]
    found_in: str
    receiver: str | None = None


@dataclass(frozen=True)
class Recorded:
    """What the head did with one input: a result's repr or an exception's type.

    ``exception_module`` is the module of the exception's class (``builtins`` for the
    builtin ones); ``result_type`` the (module, qualified name) of the result's class;
    ``comparable`` whether the result (and the items of a list or tuple result) define
    ``__eq__``, so that ``==`` on a rebuilt value means something; ``fields`` the reprs of
    the result's public attributes and ``state`` those of a method's receiver after the call.
    """

    index: int
    result: str | None
    float_result: bool
    exception: str | None
    exception_module: str | None = None
    result_type: tuple[str, str] | None = None
    comparable: bool = True
    fields: Mapping[str, tuple[str, bool]] | None = None  # name -> (repr, comparable)
    state: Mapping[str, tuple[str, bool]] | None = None
    setup_failed: bool = False


@dataclass(frozen=True)
class Callee:
    """What a characterisation test calls: ``name``, on ``owner`` for a method."""

    name: str
    owner: str | None = None
    binding: str = "function"  # "function" | "instance" | "class"
    is_async: bool = False

    @property
    def title(self) -> str:
        """``Cls.method`` or ``function``."""
        return f"{self.owner}.{self.name}" if self.owner else self.name

    @property
    def imported(self) -> str:
        """The name the test imports from the module under test."""
        return self.owner or self.name

    def expression(self, arguments: str, receiver: str = "receiver") -> str:
        """The call as source, with ``asyncio.run`` around a coroutine."""
        if self.binding == "instance":
            call = f"{receiver}.{self.name}({arguments})"
        elif self.owner:
            call = f"{self.owner}.{self.name}({arguments})"
        else:
            call = f"{self.name}({arguments})"
        return f"asyncio.run({call})" if self.is_async else call


def find_inputs(
    view: RepoView,
    path: str,
    function: str,
    module: str,
    *,
    callee: Callee | None = None,
    project: ProjectTypes | None = None,
    forward: bool = True,
) -> list[CallInput]:
    """Literal calls of ``module.function`` in the repository (tests first), deduplicated.

    An argument may be a literal, a call of a project class with literal arguments
    (``OrderLine('MUG-01', 2, Decimal('7.50'))``, the class imported where the call is), or
    a variable the same function (or module) last assigned such a value before the call.
    For a method (``callee``), ``x.method(...)`` counts when ``x`` is such a constructor
    call of its class. With ``forward``, a function that another function calls with its
    own parameters (``def price(lines): ... bulk_lines(lines)``) also gets the values
    found for those parameters in literal calls of that other function.
    """
    target = callee or Callee(function)
    project = project or ProjectTypes.from_view(view, view.import_path(path).root)
    files = view.files_mentioning(target.imported)[:_MAX_FILES_SCANNED]
    files.sort(key=lambda name: (not _is_test_file(name), name))
    found: list[CallInput] = []
    seen: set[tuple[str | None, str]] = set()
    for name, tree in _parsed(view, files, target.imported):
        local_names, module_aliases = _names_for(tree, target.imported, module, name == path)
        classes = _importable_classes(tree, view, name, project)
        for scope in (case for each in _scopes(tree) for case in each.cases()):
            for call in scope.calls:
                literal = _match(call, scope, target, local_names, module_aliases, classes)
                if literal is None or (literal.receiver, literal.arguments) in seen:
                    continue
                seen.add((literal.receiver, literal.arguments))
                found.append(
                    CallInput(
                        literal.arguments,
                        literal.imports,
                        f"{name}:{call.lineno}",
                        literal.receiver,
                    )
                )
                if len(found) >= MAX_INPUTS:
                    return found
    if forward and target.binding == "function" and len(found) < MAX_INPUTS:
        for item in _forwarded_inputs(view, target.name, module, path, project):
            if (None, item.arguments) in seen:
                continue
            seen.add((None, item.arguments))
            found.append(item)
            if len(found) >= MAX_INPUTS:
                break
    return found


def recording_script(
    module: str,
    function: str,
    inputs: list[CallInput],
    root: str,
    callee: Callee | None = None,
) -> str:
    """A script that calls the function with each input and prints one JSON line per call."""
    target = callee or Callee(function)
    imports = sorted({line for item in inputs for line in item.imports})
    blocks: list[str] = []
    for index, item in enumerate(inputs):
        receiver = item.receiver if target.binding == "instance" else None
        blocks.append(
            f"def _setup_{index}():\n    return {receiver or 'None'}\n\n\n"
            f"def _call_{index}(receiver):\n"
            f"    return {target.expression(item.arguments)}\n"
        )
    pairs = ", ".join(f"(_setup_{index}, _call_{index})" for index in range(len(inputs)))
    path_line = f"sys.path.insert(0, {root!r})\n" if root else ""
    return (
        "import asyncio, json, sys\n"
        f"{path_line}"
        + "".join(f"{line}\n" for line in imports)
        + f"from {module} import {target.imported}\n\n\n"
        + "\n\n".join(blocks)
        + f"\n\nCALLS = [{pairs}]\n\n\n"
        "def _comparable(value):\n"
        "    items = value if isinstance(value, (list, tuple)) else [value]\n"
        "    return all(type(item).__eq__ is not object.__eq__ for item in [value, *items])\n\n\n"
        "def _public(value):\n"
        "    try:\n"
        "        items = vars(value)\n"
        "    except TypeError:\n"
        "        return None\n"
        "    return {\n"
        "        k: [repr(v), _comparable(v)] for k, v in items.items() if not k.startswith('_')\n"
        "    }\n\n\n"
        "for index, (setup, call) in enumerate(CALLS):\n"
        "    record = {'index': index}\n"
        "    try:\n"
        "        receiver = setup()\n"
        "    except Exception:\n"
        "        record['setup_failed'] = True\n"
        f"        print({_MARKER!r} + json.dumps(record), flush=True)\n"
        "        continue\n"
        "    try:\n"
        "        value = call(receiver)\n"
        "    except Exception as error:\n"
        "        kind = type(error)\n"
        "        record['exception'] = kind.__qualname__\n"
        "        record['exception_module'] = kind.__module__\n"
        "    else:\n"
        "        record['result'] = repr(value)\n"
        "        record['type'] = [type(value).__module__, type(value).__qualname__]\n"
        "        items = value if isinstance(value, (list, tuple)) else [value]\n"
        "        record['float'] = any(isinstance(item, float) for item in items)\n"
        "        record['comparable'] = _comparable(value)\n"
        "        fields = _public(value)\n"
        "        if fields:\n"
        "            record['fields'] = fields\n"
        "        if receiver is not None:\n"
        "            state = _public(receiver)\n"
        "            if state:\n"
        "                record['state'] = state\n"
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
        exception_module = data.get("exception_module")
        kind = data.get("type")
        records.append(
            Recorded(
                index=data["index"],
                result=result if isinstance(result, str) else None,
                float_result=bool(data.get("float")),
                exception=exception if isinstance(exception, str) else None,
                exception_module=(
                    exception_module if isinstance(exception_module, str) else "builtins"
                ),
                result_type=(
                    (kind[0], kind[1])
                    if isinstance(kind, list)
                    and len(kind) == 2
                    and all(isinstance(part, str) for part in kind)
                    else None
                ),
                comparable=data.get("comparable") is not False,
                fields=_string_map(data.get("fields")),
                state=_string_map(data.get("state")),
                setup_failed=bool(data.get("setup_failed")),
            )
        )
    return records


def _string_map(value: object) -> dict[str, tuple[str, bool]] | None:
    if not isinstance(value, dict):
        return None
    return {
        key: (item[0], item[1] is True)
        for key, item in value.items()
        if isinstance(key, str)
        and key.isidentifier()
        and isinstance(item, list)
        and len(item) == 2
        and isinstance(item[0], str)
    }


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
    """A characterisation test of the function or method ``symbol`` in ``path``.

    Inputs are literal calls found in the repository at ``ref`` (None: the working tree);
    ``runner`` runs the recording script at the head. No candidate when no literal input is
    found, or no recorded result can be written back as source.
    """
    view = RepoView(repo, ref)
    try:
        tree = ast.parse(view.read(path))
    except (SyntaxError, ValueError, OSError):
        return []
    found = _callee_of(tree, symbol)
    if found is None:
        return []
    callee, node = found
    root = import_root if import_root is not None else view.import_path(path).root
    project = ProjectTypes.from_view(view, root)
    inputs = find_inputs(view, path, callee.name, module, callee=callee, project=project)
    if not inputs:
        return []
    output = runner(recording_script(module, callee.name, inputs, root, callee))
    if output is None:
        return []
    types = module_types(tree, module, project)
    classes = {name: f"from {module} import {name}" for name in types.classes}
    for name, (origin, original) in types.imported.items():
        if name == original and name[:1].isupper():
            defining = _defining_module(project, origin, name)
            if defining is not None:
                classes.setdefault(name, f"from {defining} import {name}")
    chosen = str(framework or style.python_style(repo).framework)
    on_purpose = set(raised_exceptions(node))
    lines: list[str] = []
    imports: set[str] = {f"from {module} import {callee.imported}"}
    if callee.is_async:
        imports.add("import asyncio")
    needs_pytest = False
    receiver_name = snake(callee.owner) if callee.owner else "receiver"
    for record in parse_records(output):
        if record.index >= len(inputs) or record.setup_failed:
            continue
        item = inputs[record.index]
        call = callee.expression(item.arguments, receiver_name)
        setup = (
            [f"{receiver_name} = {item.receiver}"]
            if callee.binding == "instance" and item.receiver
            else []
        )
        block = _assertions(
            record, call, item, classes, project, chosen, on_purpose, callee, receiver_name
        )
        if block is None:
            continue
        body, needed, uses_pytest = block
        if lines:
            lines.append("")
        lines += setup + body
        imports.update(item.imports)
        imports.update(needed)
        needs_pytest = needs_pytest or uses_pytest
    if not lines:
        return []
    test_style = style.python_style(repo)
    simple = callee.title.replace(".", "_")
    test_file = style.test_path(test_style, f"characterise_{simple}", path)
    setup_imports, setup_lines = style.path_setup(test_file, root)
    docstring = (
        f"Characterisation test of {module}.{callee.title} (generated by Argus).\n\n"
        "The inputs are literal calls found in the repository ("
        + ", ".join(item.found_in for item in inputs[:3])
        + ("..." if len(inputs) > 3 else "")
        + "); the expected values are what the head returned for them."
    )
    spec = style.TestSpec(
        docstring=docstring,
        imports=tuple(merge_imports(imports | set(setup_imports))),
        setup=setup_lines,
        tests=(style.TestBody(f"{simple}_characterisation", tuple(lines)),),
        needs_pytest=needs_pytest,
    )
    return [
        Candidate(
            language="python",
            framework=chosen,
            path=test_file,
            source=style.render(spec, chosen),
            targets=(f"{path}::{callee.title}",),
            kind=CandidateKind.PR_TEST,
        )
    ]


def _assertions(
    record: Recorded,
    call: str,
    item: CallInput,
    classes: dict[str, str],
    project: ProjectTypes,
    framework: str,
    on_purpose: set[str],
    callee: Callee,
    receiver: str = "receiver",
) -> tuple[list[str], set[str], bool] | None:
    """The statements pinning one recorded call, their imports, and whether pytest is used."""
    imports: set[str] = set()
    indent = 8 if framework == "unittest" else 4
    if record.exception is not None:
        name = record.exception
        if record.exception_module != "builtins":
            defining = _defining_module(project, record.exception_module or "", name)
            if defining is None:
                return None  # an exception of a library: not pinned
            imports.add(f"from {defining} import {name}")
        if name in _SLIP_EXCEPTIONS and name not in on_purpose:
            # A slip the function does not raise on purpose (an off-by-one IndexError) is a
            # crash a finding would flag, not behaviour to keep: pinning it would lock it in.
            return None
        if framework == "unittest":
            return [f"with self.assertRaises({name}):", f"    {call}"], imports, False
        return [f"with pytest.raises({name}):", f"    {call}"], imports, True
    if record.result is None:
        return None
    known = dict(classes)
    if record.result_type is not None:
        origin, qualified = record.result_type
        if "." not in qualified and qualified not in known:
            defining = _defining_module(project, origin, qualified)
            if defining is not None:
                known[qualified] = f"from {defining} import {qualified}"
    expected = rebuild(record.result, classes=known, nested=False)
    if expected is not None and expected.source == "None" and callee.binding == "instance":
        # A method that returns nothing is pinned by what it did to its instance.
        state = _pinned(record.state or {}, known, imports, receiver, indent)
        if not state:
            return None
        return [f"assert {call} is None", *state], imports, False
    if expected is not None and (record.comparable or not expected.classes):
        imports.update(expected.imports)
        if record.float_result and framework != "unittest":
            return _fit(call, f"pytest.approx({expected.source})", framework), imports, True
        if record.float_result and isinstance(expected.value, float):
            imports.add("import math")
            return [f"assert math.isclose({call}, {expected.source}, rel_tol=1e-9)"], imports, False
        if expected.source == "None":
            return [f"assert {call} is None"], imports, False
        return _fit(call, expected.source, framework), imports, False
    # No repr to compare with: pin the result's public attributes one by one.
    fields = _pinned(record.fields or {}, known, imports, "result", indent)
    if not fields:
        return None
    return [f"result = {call}", *fields], imports, False


def _fit(call: str, expected: str, framework: str) -> list[str]:
    """``assert call == expected``, or, when that is wider than the project's lines, the
    call's result named first and both laid out one argument per line."""
    indent = 8 if framework == "unittest" else 4
    line = f"assert {call} == {expected}"
    if indent + len(line) <= 99:
        return [line]
    try:
        call_node = ast.parse(call, mode="eval").body
        expected_node = ast.parse(expected, mode="eval").body
    except SyntaxError:
        return [line]
    return [
        *(text[indent:] for text in layout(call_node, prefix="result = ", indent=indent)),
        *(
            text[indent:]
            for text in layout(expected_node, prefix="assert result == ", indent=indent)
        ),
    ]


def _pinned(
    values: Mapping[str, tuple[str, bool]],
    classes: dict[str, str],
    imports: set[str],
    owner: str,
    indent: int = 4,
) -> list[str]:
    """``assert owner.name == value`` for each attribute whose repr is source and whose value
    compares by equality (a project object without ``__eq__`` is left out)."""
    lines: list[str] = []
    for name, (text, comparable) in sorted(values.items()):
        rebuilt = rebuild(text, classes=classes, nested=False)
        if rebuilt is None or (rebuilt.classes and not comparable):
            continue
        imports.update(rebuilt.imports)
        if rebuilt.source in ("None", "True", "False"):
            lines.append(f"assert {owner}.{name} is {rebuilt.source}")
            continue
        value = ast.parse(rebuilt.source, mode="eval").body
        prefix = f"assert {owner}.{name} == "
        lines += [text[indent:] for text in layout(value, prefix=prefix, indent=indent)]
    return lines


def _defining_module(project: ProjectTypes, module: str, name: str) -> str | None:
    """The project module that defines class ``name`` reached from ``module`` (None: not ours)."""
    types = project.module_types(module) if module else None
    if types is None:
        return None
    return types.origin(name)


def _callee_of(tree: ast.Module, symbol: Symbol) -> tuple[Callee, _FunctionNode] | None:
    if "." not in symbol.qualified_name or symbol.kind == "function":
        node = find_function(tree, symbol)
        if node is not None:
            return Callee(node.name, is_async=isinstance(node, ast.AsyncFunctionDef)), node
    found = find_method(tree, symbol)
    if found is None:
        return None
    owner, method = found
    decorators = [ast.unparse(item) for item in method.decorator_list]
    if any(
        text.endswith(("property", "setter", "deleter", "abstractmethod")) for text in decorators
    ):
        return None
    if method.name.startswith("__") and method.name.endswith("__"):
        return None
    binding = "class" if {"staticmethod", "classmethod"} & set(decorators) else "instance"
    is_async = isinstance(method, ast.AsyncFunctionDef)
    return Callee(method.name, owner.name, binding, is_async), method


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


def _parsed(view: RepoView, files: list[str], word: str) -> Iterator[tuple[str, ast.Module]]:
    for name in files:
        try:
            text = view.read(name)
        except OSError:
            continue
        if len(text) > _MAX_FILE_BYTES or word not in text:
            continue
        try:
            yield name, ast.parse(text)
        except (SyntaxError, ValueError):
            continue


def _importable_classes(
    tree: ast.Module, view: RepoView, name: str, project: ProjectTypes
) -> dict[str, str]:
    """Project classes a file can name in a literal input, with the import each needs."""
    classes: dict[str, str] = {}
    try:
        own_module = view.import_path(name).module
    except ArgusError:
        return classes
    if not _is_test_file(name):
        for statement in tree.body:
            if isinstance(statement, ast.ClassDef):
                classes[statement.name] = f"from {own_module} import {statement.name}"
    package = own_module.rsplit(".", 1)[0] if "." in own_module else ""
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        source = _absolute_module(node, own_module, package)
        if source is None:
            continue
        for alias in node.names:
            if alias.asname is None and alias.name[:1].isupper():
                defining = _defining_module(project, source, alias.name)
                if defining is not None:
                    classes.setdefault(alias.name, f"from {defining} import {alias.name}")
    return classes


def _absolute_module(node: ast.ImportFrom, module: str, package: str) -> str | None:
    if not node.level:
        return node.module
    parts = package.split(".") if package else []
    if node.level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])]) or None


@dataclass
class _Scope:
    """A function body (or a module): its simple assignments and the calls in it."""

    parent: _Scope | None = None
    parameters: frozenset[str] = frozenset()
    node: ast.AST | None = None
    assignments: dict[str, list[tuple[int, ast.expr]]] = field(default_factory=dict)
    calls: list[ast.Call] = field(default_factory=list)
    bound: dict[str, ast.expr] = field(default_factory=dict)  # parameters of one case

    def value_of(self, name: str, line: int) -> ast.expr | None:
        """What ``name`` was last assigned before ``line`` here, else in an enclosing scope."""
        earlier = [value for at, value in self.assignments.get(name, []) if at < line]
        if earlier:
            return earlier[-1]
        if name in self.bound:
            return self.bound[name]
        if name in self.parameters or self.parent is None:
            return None
        return self.parent.value_of(name, 1 << 30)

    def cases(self) -> list[_Scope]:
        """This scope once per ``@pytest.mark.parametrize`` row (its parameters bound), or
        just itself. Stacked decorators are not combined: the first one is used."""
        if not isinstance(self.node, _FunctionNode):
            return [self]
        for decorator in self.node.decorator_list:
            rows = _parametrize_rows(decorator)
            if rows:
                return [
                    _Scope(
                        self.parent, self.parameters, self.node, self.assignments, self.calls, row
                    )
                    for row in rows
                ]
        return [self]


def _parametrize_rows(decorator: ast.expr) -> list[dict[str, ast.expr]]:
    """``@pytest.mark.parametrize("a, b", [(1, 2), ...])`` as one binding per row."""
    if not (
        isinstance(decorator, ast.Call)
        and ast.unparse(decorator.func).endswith("mark.parametrize")
        and len(decorator.args) >= 2
    ):
        return []
    names_node, rows_node = decorator.args[0], decorator.args[1]
    if isinstance(names_node, ast.Constant) and isinstance(names_node.value, str):
        names = [part.strip() for part in names_node.value.split(",") if part.strip()]
    elif isinstance(names_node, ast.Tuple | ast.List) and all(
        isinstance(item, ast.Constant) and isinstance(item.value, str) for item in names_node.elts
    ):
        names = [str(item.value) for item in names_node.elts if isinstance(item, ast.Constant)]
    else:
        return []
    if not isinstance(rows_node, ast.List | ast.Tuple):
        return []
    rows: list[dict[str, ast.expr]] = []
    for row in rows_node.elts:
        if isinstance(row, ast.Call) and ast.unparse(row.func).endswith("param"):
            if any(keyword.arg == "marks" for keyword in row.keywords):
                continue  # an xfail or skip row says nothing about what the head does
            values = list(row.args)
        elif len(names) == 1:
            values = [row]
        elif isinstance(row, ast.Tuple | ast.List):
            values = list(row.elts)
        else:
            continue
        if len(values) == len(names):
            rows.append(dict(zip(names, values, strict=True)))
    return rows


def _scopes(tree: ast.Module) -> list[_Scope]:
    """The module and every function in it, each with its own assignments and calls."""
    module = _Scope(node=tree)
    found = [module]

    def visit(node: ast.AST, scope: _Scope) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, _FunctionNode):
                spec = child.args
                names = [*spec.posonlyargs, *spec.args, *spec.kwonlyargs]
                names += [item for item in (spec.vararg, spec.kwarg) if item is not None]
                inner = _Scope(scope, frozenset(item.arg for item in names), child)
                found.append(inner)
                for outer in [*child.decorator_list, *spec.defaults]:
                    visit_node(outer, scope)
                for statement in child.body:
                    visit_node(statement, inner)
            elif isinstance(child, ast.Lambda):
                continue
            else:
                visit_node(child, scope)

    def visit_node(node: ast.AST, scope: _Scope) -> None:
        if isinstance(node, _FunctionNode):
            holder = ast.Module(body=[node], type_ignores=[])
            visit(holder, scope)
            return
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                scope.assignments.setdefault(target.id, []).append((node.lineno, node.value))
        elif (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.value is not None
        ):
            scope.assignments.setdefault(node.target.id, []).append((node.lineno, node.value))
        if isinstance(node, ast.Call):
            scope.calls.append(node)
        visit(node, scope)

    visit(tree, module)
    return found


class _Substitute(ast.NodeTransformer):
    """Variables in an argument replaced by the values they were assigned (None: unknown)."""

    def __init__(self, scope: _Scope, line: int, depth: int = 0):
        self.scope = scope
        self.line = line
        self.depth = depth
        self.unknown = False

    def visit_Call(self, node: ast.Call) -> ast.AST:
        # The called name (a class, Decimal) stays; only its arguments are variables.
        node.args = [self.visit(item) for item in node.args]
        for keyword in node.keywords:
            keyword.value = self.visit(keyword.value)
        return node

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if self.depth >= 3:
            self.unknown = True
            return node
        value = self.scope.value_of(node.id, self.line)
        if value is None:
            self.unknown = True
            return node
        inner = _Substitute(self.scope, self._line_of(node.id), self.depth + 1)
        replaced: ast.AST = inner.visit(copy.deepcopy(value))
        self.unknown = self.unknown or inner.unknown
        return replaced

    def _line_of(self, name: str) -> int:
        earlier = [at for at, _ in self.scope.assignments.get(name, []) if at < self.line]
        return earlier[-1] if earlier else 1 << 30


def _resolved(expression: ast.expr, scope: _Scope, line: int) -> ast.expr | None:
    if isinstance(expression, ast.Constant):
        return expression
    substitute = _Substitute(scope, line)
    result = substitute.visit(copy.deepcopy(expression))
    return None if substitute.unknown else result


def _match(
    call: ast.Call,
    scope: _Scope,
    target: Callee,
    local_names: set[str],
    module_aliases: set[str],
    classes: dict[str, str],
) -> _Literal | None:
    """The literal input of ``call`` when it calls the target, else None."""
    receiver: str | None = None
    receiver_imports: tuple[str, ...] = ()
    if target.binding == "function":
        if not _calls_target(call, local_names, module_aliases, target.name):
            return None
    else:
        if not isinstance(call.func, ast.Attribute) or call.func.attr != target.name:
            return None
        base = call.func.value
        if target.binding == "class":
            if not (isinstance(base, ast.Name) and base.id in local_names):
                return None
        else:
            built = base
            if isinstance(base, ast.Name):
                value = scope.value_of(base.id, call.lineno)
                if value is None:
                    return None
                built = value
            if not (
                isinstance(built, ast.Call)
                and isinstance(built.func, ast.Name)
                and built.func.id in local_names
                and built.func.id == target.owner
            ):
                return None
            expression = _resolved(built, scope, call.lineno)
            if expression is None:
                return None
            rebuilt = rebuild(ast.unparse(expression), classes=classes, nested=False)
            if rebuilt is None:
                return None
            receiver = rebuilt.source
            receiver_imports = rebuilt.imports
    literal = _literal_arguments(call, scope, classes)
    if literal is None:
        return None
    imports = tuple(sorted({*literal.imports, *receiver_imports}))
    return _Literal(literal.arguments, imports, receiver)


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
    receiver: str | None = None


def _literal_arguments(
    call: ast.Call, scope: _Scope | None = None, classes: dict[str, str] | None = None
) -> _Literal | None:
    parts: list[str] = []
    imports: set[str] = set()
    if any(keyword.arg is None for keyword in call.keywords):
        return None
    named: list[tuple[str | None, ast.expr]] = [(None, argument) for argument in call.args]
    named += [(keyword.arg, keyword.value) for keyword in call.keywords]
    for name, argument in named:
        if isinstance(argument, ast.Starred):
            return None
        expression = _resolved(argument, scope, call.lineno) if scope is not None else argument
        if expression is None:
            return None
        rebuilt = rebuild(ast.unparse(expression), classes=classes, nested=False)
        if rebuilt is None:
            return None
        parts.append(rebuilt.source if name is None else f"{name}={rebuilt.source}")
        imports.update(rebuilt.imports)
    return _Literal(", ".join(parts), tuple(sorted(imports)))


def _forwarded_inputs(
    view: RepoView, function: str, module: str, path: str, project: ProjectTypes
) -> list[CallInput]:
    """Inputs of functions that pass their own parameters on to ``function``.

    ``def price_order(lines, coupon=None): ... bulk_lines(lines)``: each literal call of
    ``price_order`` found in the repository gives ``bulk_lines`` the value it passed for
    ``lines``. Only top-level functions are followed, one step.
    """
    found: list[CallInput] = []
    files = view.files_mentioning(function)[:_MAX_FILES_SCANNED]
    for name, tree in _parsed(view, sorted(files), function):
        if _is_test_file(name):
            continue
        local_names, module_aliases = _names_for(tree, function, module, name == path)
        try:
            caller_module = view.import_path(name).module
        except ArgusError:
            continue
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef) or (name == path and node.name == function):
                continue
            spec = node.args
            if spec.vararg is not None or spec.kwarg is not None or spec.posonlyargs:
                continue
            parameters = [argument.arg for argument in [*spec.args, *spec.kwonlyargs]]
            forwarding = [
                call
                for call in ast.walk(node)
                if isinstance(call, ast.Call)
                and _calls_target(call, local_names, module_aliases, function)
                and _forwards(call, set(parameters))
            ]
            if not forwarding:
                continue
            callers = find_inputs(
                view, name, node.name, caller_module, project=project, forward=False
            )
            for caller in callers:
                bound = _bind(node, caller.arguments)
                if bound is None:
                    continue
                for call in forwarding:
                    arguments = _substituted(call, bound)
                    if arguments is None:
                        continue
                    found.append(
                        CallInput(
                            arguments,
                            caller.imports,
                            f"{caller.found_in} via {node.name} ({name}:{call.lineno})",
                        )
                    )
                    if len(found) >= MAX_INPUTS:
                        return found
    return found


def _forwards(call: ast.Call, parameters: set[str]) -> bool:
    values = [*call.args, *(keyword.value for keyword in call.keywords)]
    if any(isinstance(value, ast.Starred) for value in values) or any(
        keyword.arg is None for keyword in call.keywords
    ):
        return False
    for value in values:
        if isinstance(value, ast.Name):
            if value.id not in parameters:
                return False
        elif rebuild(ast.unparse(value), nested=False) is None:
            return False
    return True


def _bind(function: ast.FunctionDef, arguments: str) -> dict[str, ast.expr] | None:
    """The caller's parameters bound to one literal argument list (defaults filled in)."""
    try:
        parsed = ast.parse(f"_f({arguments})", mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(parsed, ast.Call):
        return None
    spec = function.args
    positional = [argument.arg for argument in spec.args]
    if len(parsed.args) > len(positional):
        return None
    bound: dict[str, ast.expr] = dict(zip(positional, parsed.args, strict=False))
    for keyword in parsed.keywords:
        if keyword.arg is None or keyword.arg in bound:
            return None
        bound[keyword.arg] = keyword.value
    defaults = dict(
        zip(positional[len(positional) - len(spec.defaults) :], spec.defaults, strict=True)
    )
    for argument, default in zip(spec.kwonlyargs, spec.kw_defaults, strict=True):
        if default is not None:
            defaults[argument.arg] = default
    for name, default in defaults.items():
        if name not in bound and rebuild(ast.unparse(default), nested=False) is not None:
            bound[name] = default
    return bound


def _substituted(call: ast.Call, bound: dict[str, ast.expr]) -> str | None:
    parts: list[str] = []
    for value in call.args:
        source = _value_source(value, bound)
        if source is None:
            return None
        parts.append(source)
    for keyword in call.keywords:
        source = _value_source(keyword.value, bound)
        if source is None:
            return None
        parts.append(f"{keyword.arg}={source}")
    return ", ".join(parts)


def _value_source(value: ast.expr, bound: dict[str, ast.expr]) -> str | None:
    if isinstance(value, ast.Name):
        return ast.unparse(bound[value.id]) if value.id in bound else None
    return ast.unparse(value)


def merge_imports(lines: set[str]) -> list[str]:
    """``from m import A`` and ``from m import B`` as one ``from m import A, B`` line."""
    merged: dict[str, set[str]] = {}
    others: list[str] = []
    for line in lines:
        if line.startswith("from ") and " import " in line and " as " not in line:
            origin, _, names = line[len("from ") :].partition(" import ")
            merged.setdefault(origin, set()).update(part.strip() for part in names.split(","))
        else:
            others.append(line)
    return sorted(others) + [
        f"from {origin} import {', '.join(sorted(names))}"
        for origin, names in sorted(merged.items())
    ]
