"""Rebuild objects of a project's own classes that an error tracker recorded only by their
default ``repr`` (``<pyflakes.reporter.Reporter object at 0x7f...>``).

Such a repr shows the class and nothing of the object's state, so the object is built afresh
through the class's constructor, and only when every required parameter is an I/O boundary
(an output stream, a file): those get an in-memory stand-in (``io.StringIO()``), which is all
a test may mock. A class whose constructor needs anything else is not rebuilt: guessing its
state would make a test of another object than the one that crashed.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from argus.core.testgen.literals import Rebuilt
from argus.core.testgen.repo_view import RepoView, absolute_import

_DEFAULT_REPR = re.compile(
    r"^<(?P<module>[A-Za-z_][\w.]*)\.(?P<name>[A-Za-z_]\w*) object at 0x[0-9a-fA-F]+>$"
)
_CLASS_REPR = re.compile(r"^<class '(?P<module>[A-Za-z_][\w.]*)\.(?P<name>[A-Za-z_]\w*)'>$")
_STREAM_NAMES = frozenset(
    {"fp", "file", "out", "err", "stdout", "stderr", "output", "writer", "buffer", "stream"}
)
_STREAM = Rebuilt("io.StringIO()", ("import io",), None, False)
# ``<_io.BufferedReader name='/srv/app/tests/data.txt'>``: a file the program was reading.
_READER_REPR = re.compile(
    r"^<_io\.(?P<kind>BufferedReader|TextIOWrapper) name='(?P<name>[^'\\]+)'"
    r"(?: mode='(?P<mode>[rb]+)')?(?: encoding='(?P<encoding>[\w.-]+)')?>$"
)
# The name a generated test binds to the repository's root folder (see ``REPOSITORY_SETUP``).
REPOSITORY = "_REPOSITORY"
_MAX_BASES = 6


@dataclass(frozen=True)
class ClassRef:
    """A class of the repository: its module (as a test imports it) and its definition."""

    module: str
    node: ast.ClassDef


def default_repr_class(recorded: object) -> tuple[str, str] | None:
    """``(module, class)`` of a default object repr, or None for any other text."""
    if not isinstance(recorded, str):
        return None
    found = _DEFAULT_REPR.match(recorded.strip())
    if found is None:
        return None
    return found.group("module"), found.group("name")


def find_class(view: RepoView, module: str, name: str) -> ClassRef | None:
    """The top-level class ``name`` of repository module ``module``, or None."""
    tail = module.replace(".", "/")
    for path in view.files:
        if not path.endswith((f"{tail}.py", f"{tail}/__init__.py")):
            continue
        try:
            tree = ast.parse(view.read(path))
        except (SyntaxError, ValueError):
            return None
        for top in tree.body:
            if isinstance(top, ast.ClassDef) and top.name == name:
                return ClassRef(view.import_path(path).module or module, top)
        return None
    return None


def construct(recorded: object, view: RepoView) -> Rebuilt | None:
    """Source that builds a fresh object of the class a default repr names, or None."""
    named = default_repr_class(recorded)
    if named is None:
        return None
    found = find_class(view, *named)
    if found is None:
        return None
    return constructor_call(found, view)


def repository_file(recorded: object, view: RepoView) -> Rebuilt | None:
    """A file object reading a file of the repository (``<_io.BufferedReader
    name='/srv/app/tests/data.txt'>``), opened again from the test's checkout; None for any
    other text, a writer, or a file the repository does not hold at this commit.

    The source names :data:`REPOSITORY`, which the test binds to its checkout's root.
    """
    if not isinstance(recorded, str):
        return None
    found = _READER_REPR.match(recorded.strip())
    if found is None:
        return None
    path = view.map_path(found.group("name"))
    if path is None or not _confident(found.group("name"), path):
        return None
    if found.group("kind") == "BufferedReader":
        opened = f"open({REPOSITORY} / {path!r}, 'rb')"
    else:
        if found.group("mode") not in (None, "r"):
            return None
        encoding = found.group("encoding") or "utf-8"
        opened = f"open({REPOSITORY} / {path!r}, encoding={encoding!r})"
    return Rebuilt(opened, (), None, False, (REPOSITORY,))


def _confident(recorded_path: str, repo_path: str) -> bool:
    """The whole repository path is the tail of the recorded one (not just the file name)."""
    return recorded_path.replace("\\", "/").endswith("/" + repo_path)


def subclass_of(view: RepoView, found: ClassRef, owner: str) -> bool:
    """True when the repository class ``found`` is ``owner`` or inherits from a class named
    ``owner`` through bases the repository defines."""
    seen = 0
    pending = [found]
    while pending and seen < _MAX_BASES * 4:
        current = pending.pop()
        seen += 1
        if current.node.name == owner:
            return True
        for base in current.node.bases:
            if ast.unparse(base).rsplit(".", 1)[-1] == owner:
                return True
            resolved = base_class(view, current, base)
            if resolved is not None:
                pending.append(resolved)
    return False


def base_class(view: RepoView, found: ClassRef, base: ast.expr) -> ClassRef | None:
    """The repository class a base-class expression of ``found`` names, or None."""
    name = ast.unparse(base)
    if not all(part.isidentifier() for part in name.split(".")):
        return None
    short = name.rsplit(".", 1)[-1]
    module_path = _module_file(view, found.module)
    if module_path is None:
        return None
    try:
        tree = ast.parse(view.read(module_path))
    except (SyntaxError, ValueError):
        return None
    if "." not in name:
        for top in tree.body:
            if isinstance(top, ast.ClassDef) and top.name == short:
                return ClassRef(found.module, top)
    for top in tree.body:
        if not isinstance(top, ast.ImportFrom):
            continue
        source = absolute_import(top, found.module, module_path)
        if source is None:
            continue
        for alias in top.names:
            if (alias.asname or alias.name) == short and "." not in name:
                return find_class(view, source, alias.name)
            if (alias.asname or alias.name) == name.split(".")[0] and "." in name:
                return find_class(view, f"{source}.{alias.name}", short)
    return None


def _module_file(view: RepoView, module: str) -> str | None:
    tail = module.replace(".", "/")
    for path in view.files:
        if path.endswith((f"{tail}.py", f"{tail}/__init__.py")):
            return path
    return None


def class_reference(recorded: object, view: RepoView) -> Rebuilt | None:
    """A class of the repository recorded as ``<class 'pkg.errors.UnexpectedEofError'>``,
    as the name a test imports; None for any other text or a class the repository lacks."""
    if not isinstance(recorded, str):
        return None
    found = _CLASS_REPR.match(recorded.strip())
    if found is None:
        return None
    located = find_class(view, found.group("module"), found.group("name"))
    if located is None:
        return None
    name = located.node.name
    return Rebuilt(name, (f"from {located.module} import {name}",), None, False, (name,))


def constructor_call(found: ClassRef, view: RepoView | None = None) -> Rebuilt | None:
    """``Class(...)`` with I/O stand-ins for required stream parameters, or None.

    A class without an ``__init__`` of its own takes its base's, followed through the
    repository's classes when ``view`` is given."""
    name = found.node.name
    arguments = _required_arguments(found.node)
    current = found
    for _ in range(_MAX_BASES):
        if arguments is not None or view is None or len(current.node.bases) != 1:
            break
        parent = base_class(view, current, current.node.bases[0])
        if parent is None:
            break
        current = parent
        arguments = _required_arguments(current.node)
    if arguments is None:
        return None
    imports = {f"from {found.module} import {name}"}
    parts: list[str] = []
    for keyword, positional in arguments:
        stand_in = boundary_value(keyword)
        if stand_in is None:
            return None
        imports.update(stand_in.imports)
        parts.append(stand_in.source if positional else f"{keyword}={stand_in.source}")
    return Rebuilt(f"{name}({', '.join(parts)})", tuple(sorted(imports)), None, False, (name,))


def boundary_value(parameter: str) -> Rebuilt | None:
    """An in-memory stand-in for an I/O parameter (``warningStream``, ``out``), or None."""
    lowered = parameter.lower()
    if lowered in _STREAM_NAMES or lowered.endswith("stream"):
        return _STREAM
    return None


def _required_arguments(node: ast.ClassDef) -> list[tuple[str, bool]] | None:
    """The constructor's required parameters as ``(name, positional)``; None when unknown
    (an ``__init__`` inherited from a base class this module does not show)."""
    for item in node.body:
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            spec = item.args
            positional = [*spec.posonlyargs, *spec.args][1:]
            required = (
                positional[: len(positional) - len(spec.defaults)] if spec.defaults else positional
            )
            out = [(argument.arg, True) for argument in required]
            for argument, default in zip(spec.kwonlyargs, spec.kw_defaults, strict=True):
                if default is None:
                    out.append((argument.arg, False))
            return out
    if any("dataclass" in ast.unparse(decorator) for decorator in node.decorator_list):
        fields: list[tuple[str, bool]] = []
        for item in node.body:
            if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                if item.value is None and "ClassVar" not in ast.unparse(item.annotation):
                    fields.append((item.target.id, False))
        return fields
    if not node.bases or all(ast.unparse(base) == "object" for base in node.bases):
        return []
    return None


# Bases that make a class a mapping or a list (its items are its state, and its repr shows
# them as a ``dict`` or ``list`` literal).
_MAPPING_BASES = frozenset({"dict", "OrderedDict", "UserDict", "MutableMapping", "defaultdict"})
_SEQUENCE_BASES = frozenset({"list", "UserList", "MutableSequence"})


@dataclass(frozen=True)
class Filled:
    """A project container rebuilt item by item: the statements, its name, their imports."""

    name: str
    lines: tuple[str, ...]
    imports: tuple[str, ...]


def filled_container(found: ClassRef, rebuilt: Rebuilt, name: str, view: RepoView) -> Filled | None:
    """Statements that build an object of the repository container class ``found`` whose repr
    was the ``dict`` or ``list`` literal ``rebuilt`` (``Container`` of tomlkit shows
    ``{'title': ...}``): a fresh object from its constructor, then each item stored through the
    class's own ``__setitem__`` or ``append``, which keep whatever the class keeps beside the
    items. None when the literal is empty (nothing to restore), the class is not a container of
    that kind, or its constructor needs arguments."""
    try:
        node = ast.parse(rebuilt.source, mode="eval").body
    except SyntaxError:
        return None
    if isinstance(node, ast.Dict) and node.keys and all(key is not None for key in node.keys):
        if not _container_of(found, view, _MAPPING_BASES, "__setitem__"):
            return None
        items = [
            f"{name}[{ast.unparse(key)}] = {ast.unparse(value)}"
            for key, value in zip(node.keys, node.values, strict=True)
            if key is not None
        ]
    elif isinstance(node, ast.List) and node.elts:
        if not _container_of(found, view, _SEQUENCE_BASES, "append"):
            return None
        items = [f"{name}.append({ast.unparse(item)})" for item in node.elts]
    else:
        return None
    built = constructor_call(found, view)
    if built is None:
        return None
    return Filled(
        name,
        (f"{name} = {built.source}", *items),
        tuple(sorted({*built.imports, *rebuilt.imports})),
    )


def _container_of(found: ClassRef, view: RepoView, bases: frozenset[str], method: str) -> bool:
    """True when ``found`` or a repository base of it derives from one of ``bases`` or
    defines ``method``."""
    pending = [found]
    for _ in range(_MAX_BASES * 4):
        if not pending:
            return False
        current = pending.pop()
        for item in current.node.body:
            if isinstance(item, ast.FunctionDef) and item.name == method:
                return True
        for base in current.node.bases:
            if ast.unparse(base).rsplit(".", 1)[-1] in bases:
                return True
            parent = base_class(view, current, base)
            if parent is not None:
                pending.append(parent)
    return False
