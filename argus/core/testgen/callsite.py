"""Rebuild a frame's arguments from the place it was called: the caller's call expression.

A frame's own variables do not always tell what it was called with: sentry-sdk keeps the
first 10 variables of a frame (a parameter after them is lost), a parameter reassigned in the
body shows its new value, and an object (``<ast.Module object at 0x…>``) shows no state at
all. The caller, paused on the call line, still holds the call expression and its own
variables. :class:`CallSite` finds that call in the caller's source, binds its arguments to
the callee's parameters, and replays an argument in the test: the caller's recorded values
for the names it reads, and the caller's own statements before the call line that computed
them (``tree = ast.parse(textwrap.dedent(source))``), with the imports they need.

Nothing is guessed: a statement the replay cannot copy (a loop, a ``try``, a nested
function), a name that is neither recorded nor computed nor imported (``self``, a fixture),
or a parameter the call may pass through ``*args``/``**kwargs`` makes the argument not
replayable, and the frame falls back to its own variables.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from argus.core.patterns.event import Frame
from argus.core.testgen.literals import Rebuilt
from argus.core.testgen.repo_view import RepoView, absolute_import

_FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef
_BUILTINS = frozenset(dir(builtins))
_MUTATORS = frozenset(
    {
        "append",
        "extend",
        "insert",
        "pop",
        "popitem",
        "remove",
        "clear",
        "update",
        "setdefault",
        "add",
        "discard",
        "sort",
        "reverse",
    }
)
# Statements a replay copies as they are; anything else in a slice refuses the replay.
_COPYABLE = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr, ast.If, ast.Import, ast.ImportFrom)
MAX_DEPTH = 3

# Rebuild one recorded variable of a frame (its file and parsed module given), or None.
Resolver = Callable[[Frame, str, ast.Module, str], Rebuilt | None]


class _NotReplayable(Exception):
    """Internal: this argument cannot be replayed from the call site."""


@dataclass
class Replay:
    """What a test runs before the call: bindings, copied statements, imports."""

    lines: list[str] = field(default_factory=list)
    imports: set[str] = field(default_factory=set)
    bound: dict[str, str] = field(default_factory=dict)  # name -> the source it was bound to
    classes: set[str] = field(default_factory=set)
    emitted: set[tuple[str, int, int]] = field(default_factory=set)  # statements copied
    # pytest fixtures the test requests as its parameters -> the folder of the conftest.py
    # (or the test module) that defines each: the test must live at or below it.
    fixtures: dict[str, str] = field(default_factory=dict)

    def copy(self) -> Replay:
        """An independent copy (a trial replay that may be dropped)."""
        return Replay(
            list(self.lines),
            set(self.imports),
            dict(self.bound),
            set(self.classes),
            set(self.emitted),
            dict(self.fixtures),
        )


@dataclass
class CallSite:
    """The call of a frame's function in its caller, with arguments bound to parameters."""

    caller: Frame
    path: str
    tree: ast.Module
    function: _FunctionNode | None  # None: only the recorded call line is known
    module: str
    call: ast.Call
    arguments: dict[str, ast.expr]  # callee parameter -> the caller's expression
    extra_positional: list[ast.expr]  # to the callee's *args
    extra_keywords: dict[str, ast.expr]  # to the callee's **kwargs
    closed: bool  # no *args/**kwargs at the call: unbound parameters took their defaults
    receiver: ast.expr | None  # ``obj`` of ``obj.method(...)``
    parent: CallSite | None = None

    def replay(self, expression: ast.expr, into: Replay, resolve: Resolver, view: RepoView) -> str:
        """Source of ``expression`` for the test, adding what it needs to ``into``.

        Raises ``_NotReplayable`` (caught by :func:`replay_argument`)."""
        _Slicer(self, resolve, view, into).run(expression)
        return ast.unparse(expression)


def replay_argument(
    site: CallSite | None,
    parameter: str,
    into: Replay,
    resolve: Resolver,
    view: RepoView,
) -> str | None:
    """The source of what the call site passed for ``parameter``, its set-up added to
    ``into`` (left untouched when it cannot be replayed); None when it cannot be."""
    if site is None:
        return None
    trial = into.copy()
    try:
        if parameter in site.arguments:
            source = site.replay(site.arguments[parameter], trial, resolve, view)
        else:
            return None
    except (_NotReplayable, RecursionError):
        return None
    _commit(into, trial)
    return source


def replay_expression(
    site: CallSite, expression: ast.expr, into: Replay, resolve: Resolver, view: RepoView
) -> str | None:
    """Like :func:`replay_argument` for any expression of the caller (a receiver)."""
    trial = into.copy()
    try:
        source = site.replay(expression, trial, resolve, view)
    except (_NotReplayable, RecursionError):
        return None
    _commit(into, trial)
    return source


def _commit(into: Replay, trial: Replay) -> None:
    into.lines[:] = trial.lines
    into.imports = trial.imports
    into.bound = trial.bound
    into.classes = trial.classes
    into.emitted = trial.emitted
    into.fixtures = trial.fixtures


def find_call_site(
    frames: Sequence[Frame],
    index: int,
    callee: _FunctionNode,
    owner: str | None,
    kind: str,
    view: RepoView,
    *,
    depth: int = 1,
) -> CallSite | None:
    """The call of ``frames[index]``'s function in ``frames[index - 1]``, or None when the
    caller is not in the repository, not at the recorded line, or holds no single such call.

    ``kind`` is ``function``, ``method``, ``static`` or ``class``; ``owner`` the class name of
    a method. A constructor (``__init__``) is matched by its class's name."""
    if index <= 0 or depth > MAX_DEPTH:
        return None
    caller = frames[index - 1]
    if not caller.lineno:
        return None
    path = view.map_path(caller.path, caller.module)
    if path is None or not path.endswith(".py"):
        if not caller.context_line:
            return None
        path = ""
    function: _FunctionNode | None = None
    tree = ast.Module(body=[], type_ignores=[])
    lineno = caller.lineno
    if path:
        try:
            source = view.read(path)
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            return None
        lines = source.splitlines()
        recorded = caller.context_line
        if recorded is None or (
            caller.lineno <= len(lines) and lines[caller.lineno - 1].strip() == recorded.strip()
        ):
            function = _enclosing_function(tree, caller.lineno, caller.function)
    if function is None:
        # The caller's file is not the one that ran (or has no such function): only the
        # recorded call line is known, and only recorded values and literals replay.
        tree = ast.Module(body=[], type_ignores=[])
        line = _recorded_statement(caller.context_line)
        if line is None:
            return None
        scope: ast.AST = line
        lineno = 1
    else:
        scope = function
    wanted = owner if callee.name == "__init__" and owner else callee.name
    calls = [
        node
        for node in ast.walk(scope)
        if isinstance(node, ast.Call)
        and node.lineno <= lineno <= (node.end_lineno or node.lineno)
        and _called_name(node.func) == wanted
    ]
    if not calls:
        return None
    calls.sort(key=lambda node: (node.end_lineno or node.lineno) - node.lineno)
    call = calls[0]
    if len(calls) > 1 and ast.dump(calls[1]) != ast.dump(call) and _span(calls[1]) == _span(call):
        return None
    receiver = call.func.value if isinstance(call.func, ast.Attribute) else None
    if kind == "method" and callee.name != "__init__" and isinstance(call.func, ast.Name):
        return None  # a method called through another name: the binding is not known
    # ``Owner.method(obj, x)`` passes self explicitly: its first argument is the receiver.
    unbound = (
        kind == "method"
        and isinstance(receiver, ast.Name)
        and receiver.id == owner
        and callee.name != "__init__"
    )
    skip_first = (kind in ("method", "class") or callee.name == "__init__") and not unbound
    bound = _bind(call, callee, skip_first=skip_first)
    if bound is None:
        return None
    arguments, extra_positional, extra_keywords, closed = bound
    if unbound:
        first = [*callee.args.posonlyargs, *callee.args.args][:1]
        receiver = arguments.pop(first[0].arg, None) if first else None
    site = CallSite(
        caller=caller,
        path=path,
        tree=tree,
        function=function,
        module=view.import_path(path).module if path else "",
        call=call,
        arguments=arguments,
        extra_positional=extra_positional,
        extra_keywords=extra_keywords,
        closed=closed,
        receiver=receiver if kind == "method" else None,
    )
    if function is None:
        return site
    parent_kind = "function"
    parent_owner = None
    for top in tree.body:
        if isinstance(top, ast.ClassDef) and function in top.body:
            parent_kind, parent_owner = _kind(function), top.name
    site.parent = find_call_site(
        frames, index - 1, function, parent_owner, parent_kind, view, depth=depth + 1
    )
    return site


def _recorded_statement(line: str | None) -> ast.Module | None:
    """The event's recorded call line as a parsed statement, or None when it is not whole."""
    if not line:
        return None
    try:
        return ast.parse(line.strip())
    except SyntaxError:
        return None


def _kind(node: _FunctionNode) -> str:
    for decorator in node.decorator_list:
        text = ast.unparse(decorator)
        if text == "staticmethod":
            return "static"
        if text == "classmethod":
            return "class"
    return "method"


def _span(node: ast.AST) -> tuple[int, int, int, int]:
    return (
        getattr(node, "lineno", 0),
        getattr(node, "col_offset", 0),
        getattr(node, "end_lineno", 0) or 0,
        getattr(node, "end_col_offset", 0) or 0,
    )


def _called_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _enclosing_function(tree: ast.Module, lineno: int, name: str) -> _FunctionNode | None:
    found: list[_FunctionNode] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, _FunctionNode)
            and node.name == name.rsplit(".", 1)[-1]
            and node.lineno <= lineno <= (node.end_lineno or node.lineno)
        ):
            found.append(node)
    if not found:
        return None
    found.sort(key=lambda node: (node.end_lineno or node.lineno) - node.lineno)
    return found[0]


def _bind(
    call: ast.Call, callee: _FunctionNode, *, skip_first: bool
) -> tuple[dict[str, ast.expr], list[ast.expr], dict[str, ast.expr], bool] | None:
    """The call's arguments by callee parameter (Python's binding rules, as far as the source
    shows them), or None when they cannot bind (the call is of another function)."""
    spec = callee.args
    positional = [argument.arg for argument in [*spec.posonlyargs, *spec.args]]
    if skip_first:
        if not positional:
            return None
        positional = positional[1:]
    keyword_names = {argument.arg for argument in spec.args} | {
        argument.arg for argument in spec.kwonlyargs
    }
    arguments: dict[str, ast.expr] = {}
    extra_positional: list[ast.expr] = []
    extra_keywords: dict[str, ast.expr] = {}
    closed = True
    for number, argument in enumerate(call.args):
        if isinstance(argument, ast.Starred):
            closed = False
            break
        if number < len(positional):
            arguments[positional[number]] = argument
        elif spec.vararg is not None:
            extra_positional.append(argument)
        else:
            return None
    for keyword in call.keywords:
        if keyword.arg is None:
            closed = False
            continue
        if keyword.arg in keyword_names and keyword.arg not in arguments:
            arguments[keyword.arg] = keyword.value
        elif spec.kwarg is not None:
            extra_keywords[keyword.arg] = keyword.value
        else:
            return None
    return arguments, extra_positional, extra_keywords, closed


# --- replaying the caller's statements -------------------------------------------------------


def _assigned(node: ast.AST) -> set[str]:
    """Names a statement binds (not descending into nested functions, classes, lambdas)."""
    names: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if current is not node and isinstance(
            current, _FunctionNode | ast.ClassDef | ast.Lambda | ast.comprehension
        ):
            if isinstance(current, _FunctionNode | ast.ClassDef):
                names.add(current.name)
            continue
        if isinstance(current, ast.Name) and isinstance(current.ctx, ast.Store | ast.Del):
            names.add(current.id)
        elif isinstance(current, ast.alias):
            names.add((current.asname or current.name).split(".")[0])
        elif isinstance(current, ast.Import | ast.ImportFrom):
            for alias in current.names:
                names.add((alias.asname or alias.name).split(".")[0])
        stack.extend(ast.iter_child_nodes(current))
    return names


def _mutated(node: ast.AST) -> set[str]:
    """Names a statement changes in place: ``x.pop()``, ``x[k] = v``, ``x.attr = v``."""
    names: set[str] = set()
    for inner in ast.walk(node):
        if (
            isinstance(inner, ast.Call)
            and isinstance(inner.func, ast.Attribute)
            and isinstance(inner.func.value, ast.Name)
            and inner.func.attr in _MUTATORS
        ):
            names.add(inner.func.value.id)
        elif isinstance(inner, ast.Subscript | ast.Attribute) and isinstance(
            inner.ctx, ast.Store | ast.Del
        ):
            base = inner.value
            while isinstance(base, ast.Subscript | ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name):
                names.add(base.id)
    return names


def _used(node: ast.AST) -> set[str]:
    """Names an expression or statement reads that it does not bind itself."""
    used: set[str] = set()
    local: set[str] = set()
    for inner in ast.walk(node):
        if isinstance(inner, ast.comprehension):
            local |= {n.id for n in ast.walk(inner.target) if isinstance(n, ast.Name)}
        elif isinstance(inner, ast.Lambda):
            local |= {argument.arg for argument in inner.args.args}
        elif isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Load):
            used.add(inner.id)
    return used - local


def _preceding(function: _FunctionNode, lineno: int) -> list[ast.stmt]:
    """The statements that ran before the one on ``lineno`` along its path through the body
    (earlier siblings at each level, outermost first), or raise when a loop or ``try``
    encloses the line (its earlier iterations are not straight-line code)."""
    out: list[ast.stmt] = []
    body: list[ast.stmt] = function.body
    while True:
        current = None
        for statement in body:
            if statement.lineno <= lineno <= (statement.end_lineno or statement.lineno):
                current = statement
                break
            out.append(statement)
        if current is None:
            raise _NotReplayable("the call line is not in the function")
        if isinstance(current, ast.If):
            body = current.body if _inside(current.body, lineno) else current.orelse
            if not body or not _inside(body, lineno):
                return out  # the line is in the condition
            continue
        if isinstance(current, ast.With | ast.For | ast.While | ast.Try):
            raise _NotReplayable("the call is inside a loop, with or try block")
        return out


def _inside(body: Sequence[ast.stmt], lineno: int) -> bool:
    return any(s.lineno <= lineno <= (s.end_lineno or s.lineno) for s in body)


class _Slicer:
    """The statements and bindings that compute an expression of the caller at the call."""

    def __init__(self, site: CallSite, resolve: Resolver, view: RepoView, into: Replay):
        self.site = site
        self.resolve = resolve
        self.view = view
        self.into = into

    def run(self, expression: ast.expr) -> None:
        site = self.site
        lineno = site.caller.lineno or 0
        if site.function is None:
            for name in sorted(_used(expression)):
                self._bind_recorded(name)
            return
        before = _preceding(site.function, lineno)
        parameters = _parameters(site.function)
        needed = _used(expression)
        chosen: list[ast.stmt] = []
        for statement in reversed(before):
            defines = _assigned(statement)
            changes = _mutated(statement) & needed
            if not (defines & needed) and not changes:
                continue
            if not isinstance(statement, _COPYABLE):
                raise _NotReplayable(f"line {statement.lineno} is not straight-line code")
            if isinstance(statement, ast.If):
                for inner in ast.walk(statement):
                    if isinstance(inner, ast.stmt) and not isinstance(inner, _COPYABLE):
                        raise _NotReplayable(f"line {inner.lineno} is not straight-line code")
            chosen.append(statement)
            if isinstance(statement, ast.Assign | ast.AnnAssign) and not changes:
                needed -= defines
            needed |= _used(statement)
        chosen.reverse()
        for name in sorted(needed):
            self._bind_name(name, parameters, before, chosen)
        for statement in chosen:
            key = (site.path, statement.lineno, statement.col_offset)
            if key in self.into.emitted:
                continue
            self.into.emitted.add(key)
            self.into.lines.extend(ast.unparse(statement).splitlines())

    def _bind_name(
        self,
        name: str,
        parameters: set[str],
        before: list[ast.stmt],
        chosen: list[ast.stmt],
    ) -> None:
        site = self.site
        assert site.function is not None
        local = name in parameters or name in _all_assigned(site.function)
        if local:
            if name == "self" or name == "cls":
                raise _NotReplayable(f"{name} of the caller")
            changed = any(name in _assigned(s) | _mutated(s) for s in before)
            source: str | None = None
            if (changed or name not in site.caller.vars) and name in parameters:
                source = self._from_parent(name)
            if source is None and name in site.caller.vars:
                rebuilt = self.resolve(site.caller, site.path, site.tree, name)
                if rebuilt is not None:
                    source = rebuilt.source
                    self.into.imports.update(rebuilt.imports)
                    self.into.classes.update(rebuilt.classes)
            if source is None and name in parameters:
                folder = _fixture_folder(site, name, self.view)
                if folder is not None and name not in self.into.bound:
                    self.into.fixtures[name] = folder
                    return
            if source is None:
                raise _NotReplayable(f"{name} of the caller cannot be rebuilt")
            if name in self.into.fixtures:
                raise _NotReplayable(f"{name} is bound twice")
            previous = self.into.bound.get(name)
            if previous is not None and previous != source:
                raise _NotReplayable(f"{name} is bound twice")
            if previous is None:
                self.into.bound[name] = source
                self.into.lines.append(f"{name} = {source}")
            return
        line = _global_import(site, name, self.view)
        if line is not None:
            previous = self.into.bound.get(name)
            if previous is not None and previous != line:
                raise _NotReplayable(f"{name} is bound twice")
            self.into.imports.add(line)
            return
        if name in _BUILTINS:
            return
        raise _NotReplayable(f"{name} is not known to the test")

    def _bind_recorded(self, name: str) -> None:
        """Bind ``name`` to the caller's recorded value (a call line without its function)."""
        site = self.site
        if name in site.caller.vars and name not in ("self", "cls"):
            rebuilt = self.resolve(site.caller, site.path, site.tree, name)
            if rebuilt is not None:
                previous = self.into.bound.get(name)
                if previous is not None and previous != rebuilt.source:
                    raise _NotReplayable(f"{name} is bound twice")
                if previous is None:
                    self.into.bound[name] = rebuilt.source
                    self.into.lines.append(f"{name} = {rebuilt.source}")
                    self.into.imports.update(rebuilt.imports)
                    self.into.classes.update(rebuilt.classes)
                return
        if name in _BUILTINS and name not in site.caller.vars:
            return
        raise _NotReplayable(f"{name} of the caller cannot be rebuilt")

    def _from_parent(self, name: str) -> str | None:
        parent = self.site.parent
        if parent is None or self.site.function is None:
            return None
        spec = self.site.function.args
        if spec.kwarg is not None and name == spec.kwarg.arg:
            if not parent.closed:
                return None
            items = []
            for key, value in parent.extra_keywords.items():
                items.append(f"{key!r}: {parent.replay(value, self.into, self.resolve, self.view)}")
            return "{" + ", ".join(items) + "}"
        if spec.vararg is not None and name == spec.vararg.arg:
            if not parent.closed:
                return None
            values = [
                parent.replay(v, self.into, self.resolve, self.view)
                for v in parent.extra_positional
            ]
            return "(" + "".join(f"{v}, " for v in values) + ")"
        if name in parent.arguments:
            return parent.replay(parent.arguments[name], self.into, self.resolve, self.view)
        return None


def _fixture_folder(site: CallSite, name: str, view: RepoView) -> str | None:
    """Where the pytest fixture ``name`` that the caller, a test function, takes is defined:
    the folder of the nearest ``conftest.py`` holding a function ``name`` decorated as a
    fixture; None when the caller is no test function or no conftest.py visible from it
    defines one (a fixture of the test module itself is not visible from another file)."""
    function = site.function
    if function is None or not function.name.startswith("test") or not site.path:
        return None
    if any(isinstance(top, ast.ClassDef) and function in top.body for top in site.tree.body):
        return None  # a test method: its fixtures may come from the class
    folder = PurePosixPath(site.path).parent
    for current in [folder, *folder.parents]:
        conftest = str(current / "conftest.py") if str(current) != "." else "conftest.py"
        if conftest not in view.files:
            continue
        try:
            tree = ast.parse(view.read(conftest))
        except (SyntaxError, ValueError):
            continue
        if _defines_fixture(tree, name):
            return "" if str(current) == "." else str(current)
    return None


def _defines_fixture(tree: ast.Module, name: str) -> bool:
    for top in tree.body:
        if isinstance(top, _FunctionNode) and top.name == name:
            return any("fixture" in ast.unparse(item) for item in top.decorator_list)
    return False


def _parameters(function: _FunctionNode) -> set[str]:
    spec = function.args
    names = {a.arg for a in [*spec.posonlyargs, *spec.args, *spec.kwonlyargs]}
    if spec.vararg:
        names.add(spec.vararg.arg)
    if spec.kwarg:
        names.add(spec.kwarg.arg)
    return names


def _all_assigned(function: _FunctionNode) -> set[str]:
    names: set[str] = set()
    for statement in function.body:
        names |= _assigned(statement)
    return names


def _global_import(site: CallSite, name: str, view: RepoView) -> str | None:
    """The import line that brings the caller module's global ``name`` into a test, or None."""
    for top in site.tree.body:
        if isinstance(top, ast.Import):
            for alias in top.names:
                if (alias.asname or alias.name.split(".")[0]) == name:
                    if alias.asname:
                        return f"import {alias.name} as {alias.asname}"
                    return (
                        f"import {alias.name.split('.')[0]}"
                        if "." not in alias.name
                        else (f"import {alias.name}")
                    )
        elif isinstance(top, ast.ImportFrom):
            module = absolute_import(top, site.module, site.path)
            if module is None:
                continue
            for alias in top.names:
                if (alias.asname or alias.name) == name:
                    suffix = f" as {alias.asname}" if alias.asname else ""
                    return f"from {module} import {alias.name}{suffix}"
    return None
