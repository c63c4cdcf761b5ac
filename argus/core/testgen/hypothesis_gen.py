"""Property-based tests with Hypothesis for changed Python functions that have type hints.

Strategies come from the parameters' annotations, read from the source (nothing is imported
or executed here): builtins, containers, ``Optional``/unions, ``Literal``, ``Enum`` classes and
dataclasses with typed fields defined in the same module (``st.builds``), ``Decimal`` and dates.
The properties asserted are ones the head should already satisfy: the call raises nothing but
the exceptions the function raises explicitly (``raise X`` in its body), and the result is an
instance of the annotated return type when that type is simple. Every test is derandomised
(``derandomize=True``) so that validation is reproducible.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass

from argus.core.lang.symbols import Symbol
from argus.core.testgen import style
from argus.core.testgen.candidate import Candidate, CandidateKind
from argus.core.testgen.project_types import (
    ModuleTypes,
    ProjectTypes,
    Resolved,
    module_types,
    snake,
)

MAX_EXAMPLES = 50
_SETTINGS = (
    f"@settings(max_examples={MAX_EXAMPLES}, deadline=None, derandomize=True, database=None)"
)
_FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

# Annotation name -> strategy source; typing aliases and bare builtins alike.
_SIMPLE: dict[str, str] = {
    "int": "st.integers()",
    "float": "st.floats(allow_nan=False, allow_infinity=False)",
    "str": "st.text(max_size=40)",
    "bool": "st.booleans()",
    "bytes": "st.binary(max_size=40)",
    "None": "st.none()",
    "NoneType": "st.none()",
    "Decimal": "st.decimals(allow_nan=False, allow_infinity=False, places=4)",
    "decimal.Decimal": "st.decimals(allow_nan=False, allow_infinity=False, places=4)",
    "date": "st.dates()",
    "datetime.date": "st.dates()",
    "datetime": "st.datetimes()",
    "datetime.datetime": "st.datetimes()",
    "timedelta": "st.timedeltas()",
    "datetime.timedelta": "st.timedeltas()",
    "Fraction": "st.fractions()",
    "fractions.Fraction": "st.fractions()",
}
_IMPORTS_OF: dict[str, str] = {
    "Decimal": "from decimal import Decimal",
    "decimal.Decimal": "import decimal",
    "date": "from datetime import date",
    "datetime.date": "import datetime",
    "datetime": "from datetime import datetime",
    "datetime.datetime": "import datetime",
    "timedelta": "from datetime import timedelta",
    "datetime.timedelta": "import datetime",
    "Fraction": "from fractions import Fraction",
    "fractions.Fraction": "import fractions",
}
_STANDARD_IMPORTS = frozenset(_IMPORTS_OF.values())
_LISTS = {"list", "List", "Sequence", "typing.List", "typing.Sequence", "Iterable", "Collection"}
_SETS = {"set", "Set", "frozenset", "FrozenSet", "typing.Set", "AbstractSet"}
_DICTS = {"dict", "Dict", "Mapping", "typing.Dict", "typing.Mapping", "MutableMapping"}
_TUPLES = {"tuple", "Tuple", "typing.Tuple"}
_OPTIONAL = {"Optional", "typing.Optional"}
_UNION = {"Union", "typing.Union"}
_LITERAL = {"Literal", "typing.Literal"}
# Return annotation -> the isinstance check it allows (None: no check).
_RETURN_TYPES: dict[str, str] = {
    "int": "int",
    "float": "(int, float)",
    "str": "str",
    "bool": "bool",
    "bytes": "bytes",
    "list": "list",
    "List": "list",
    "dict": "dict",
    "Dict": "dict",
    "tuple": "tuple",
    "Tuple": "tuple",
    "set": "set",
    "Set": "set",
    "frozenset": "frozenset",
}
_BUILTIN_EXCEPTIONS = frozenset(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
)


class Unsupported(Exception):
    """Internal: an annotation with no strategy."""


_MAX_DEPTH = 6


def strategy_for(
    annotation: ast.expr,
    types: ModuleTypes | None = None,
    *,
    depth: int = 0,
    _visiting: frozenset[str] = frozenset(),
) -> tuple[str, frozenset[str]]:
    """Strategy source for an annotation, and the imports it needs (``Unsupported`` if none).

    Classes of the module ``types`` describes appear in the imports as bare names when that
    module has no name (the caller imports them from the module under test); every other
    project class as ``from <its module> import <Name>``.
    """
    known = types if types is not None else ModuleTypes()
    if depth > _MAX_DEPTH:
        raise Unsupported("annotation nested too deeply")
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            parsed = ast.parse(annotation.value, mode="eval").body
        except SyntaxError as error:
            raise Unsupported(annotation.value) from error
        return strategy_for(parsed, known, depth=depth + 1, _visiting=_visiting)
    if isinstance(annotation, ast.Constant) and annotation.value is None:
        return "st.none()", frozenset()
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        left, left_imports = strategy_for(
            annotation.left, known, depth=depth + 1, _visiting=_visiting
        )
        right, right_imports = strategy_for(
            annotation.right, known, depth=depth + 1, _visiting=_visiting
        )
        return f"st.one_of({left}, {right})", left_imports | right_imports
    name = ast.unparse(annotation)
    if name in _SIMPLE:
        needed = {_IMPORTS_OF[name]} if name in _IMPORTS_OF else set()
        return _SIMPLE[name], frozenset(needed)
    if isinstance(annotation, ast.Name | ast.Attribute):
        resolved = known.resolve(name)
        if resolved is not None:
            return _class_strategy(resolved, depth, _visiting)
    if isinstance(annotation, ast.Subscript):
        return _generic(annotation, known, depth, _visiting)
    raise Unsupported(name)


def import_for(resolved: Resolved) -> str:
    """A bare name for a class of an unnamed module (the module under test), else an import."""
    if not resolved.module:
        return resolved.shape.name
    return f"from {resolved.module} import {resolved.shape.name}"


def _class_strategy(
    resolved: Resolved, depth: int, visiting: frozenset[str]
) -> tuple[str, frozenset[str]]:
    """``st.sampled_from(Enum)``, or ``st.builds(Cls, field=...)`` over its constructor."""
    shape = resolved.shape
    key = f"{resolved.module}:{shape.name}"
    if key in visiting:
        raise Unsupported(f"{shape.name} contains itself")
    imports: set[str] = {import_for(resolved)}
    if shape.kind == "enum":
        return f"st.sampled_from({shape.name})", frozenset(imports)
    positional: list[str] = []
    keywords: list[str] = []
    positional_open = True
    for parameter in shape.parameters:
        inner: str | None = None
        if parameter.annotation is not None:
            try:
                inner, needed = strategy_for(
                    parameter.annotation,
                    resolved.types,
                    depth=depth + 1,
                    _visiting=visiting | {key},
                )
                imports |= needed
            except Unsupported:
                inner = None
        if inner is None:
            if parameter.required:
                raise Unsupported(f"{shape.name}({parameter.name}) has no strategy")
            if parameter.positional_only:
                positional_open = False
            continue  # its default is used
        if parameter.positional_only:
            if not positional_open:
                raise Unsupported(f"{shape.name}: positional parameters out of reach")
            positional.append(inner)
        else:
            keywords.append(f"{parameter.name}={inner}")
    return f"st.builds({', '.join([shape.name, *positional, *keywords])})", frozenset(imports)


def _generic(
    annotation: ast.Subscript, known: ModuleTypes, depth: int, visiting: frozenset[str]
) -> tuple[str, frozenset[str]]:
    origin = ast.unparse(annotation.value)
    arguments = (
        list(annotation.slice.elts)
        if isinstance(annotation.slice, ast.Tuple)
        else [annotation.slice]
    )
    if origin in _LITERAL:
        values = []
        for argument in arguments:
            if not isinstance(argument, ast.Constant):
                raise Unsupported("Literal of a non-constant")
            values.append(repr(argument.value))
        return f"st.sampled_from([{', '.join(values)}])", frozenset()
    inner = [
        strategy_for(argument, known, depth=depth + 1, _visiting=visiting)
        for argument in arguments
        if not (isinstance(argument, ast.Constant) and argument.value is Ellipsis)
    ]
    imports = frozenset().union(*(needed for _, needed in inner)) if inner else frozenset()
    sources = [source for source, _ in inner]
    if origin in _OPTIONAL and len(sources) == 1:
        return f"st.one_of(st.none(), {sources[0]})", imports
    if origin in _UNION and sources:
        return f"st.one_of({', '.join(sources)})", imports
    if origin in _LISTS and len(sources) == 1:
        return f"st.lists({sources[0]}, max_size=8)", imports
    if origin in _SETS and len(sources) == 1:
        maker = "st.frozensets" if origin.lower().startswith("frozen") else "st.sets"
        return f"{maker}({sources[0]}, max_size=8)", imports
    if origin in _DICTS and len(sources) == 2:
        return f"st.dictionaries({sources[0]}, {sources[1]}, max_size=8)", imports
    if origin in _TUPLES:
        variadic = any(
            isinstance(argument, ast.Constant) and argument.value is Ellipsis
            for argument in arguments
        )
        if variadic and len(sources) == 1:
            return f"st.lists({sources[0]}, max_size=8).map(tuple)", imports
        if not variadic:
            return f"st.tuples({', '.join(sources)})", imports
    raise Unsupported(ast.unparse(annotation))


def return_check(annotation: ast.expr | None, types: ModuleTypes | None = None) -> str | None:
    """The assertion on ``result`` an annotated return type allows, or None."""
    return return_assertion(annotation, types)[0]


def return_assertion(
    annotation: ast.expr | None, types: ModuleTypes | None = None
) -> tuple[str | None, frozenset[str]]:
    """The assertion on ``result`` for a return annotation, and the imports it needs.

    Builtin types, ``Decimal`` and dates, and (with ``types``) the project's classes are
    checked with ``isinstance``, as is an ``Optional`` of one; anything else is not checked.
    """
    if annotation is None:
        return None, frozenset()
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return None, frozenset()
    if isinstance(annotation, ast.Constant) and annotation.value is None:
        return "assert result is None", frozenset()
    checked = _instance_type(annotation, types)
    if checked is not None:
        kind, imports = checked
        return f"assert isinstance(result, {kind})", imports
    optional = _optional_of(annotation)
    if optional is not None:
        checked = _instance_type(optional, types)
        if checked is not None:
            kind, imports = checked
            return f"assert result is None or isinstance(result, {kind})", imports
    return None, frozenset()


_RETURN_IMPORTED: dict[str, tuple[str, str]] = {
    "Decimal": ("Decimal", "from decimal import Decimal"),
    "decimal.Decimal": ("decimal.Decimal", "import decimal"),
    "date": ("date", "from datetime import date"),
    "datetime.date": ("datetime.date", "import datetime"),
    "datetime": ("datetime", "from datetime import datetime"),
    "datetime.datetime": ("datetime.datetime", "import datetime"),
    "timedelta": ("timedelta", "from datetime import timedelta"),
    "datetime.timedelta": ("datetime.timedelta", "import datetime"),
}


def _instance_type(
    annotation: ast.expr, types: ModuleTypes | None
) -> tuple[str, frozenset[str]] | None:
    name = ast.unparse(annotation)
    base = name.split("[", 1)[0]
    if base in _RETURN_TYPES:
        return _RETURN_TYPES[base], frozenset()
    if name in _RETURN_IMPORTED:
        kind, line = _RETURN_IMPORTED[name]
        return kind, frozenset({line})
    if types is not None and isinstance(annotation, ast.Name | ast.Attribute):
        resolved = types.resolve(name)
        if resolved is not None:
            return resolved.shape.name, frozenset({import_for(resolved)})
    return None


def _optional_of(annotation: ast.expr) -> ast.expr | None:
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        sides = [annotation.left, annotation.right]
        others = [s for s in sides if not (isinstance(s, ast.Constant) and s.value is None)]
        if len(others) == 1 and len(sides) == 2:
            return others[0]
    if isinstance(annotation, ast.Subscript) and ast.unparse(annotation.value) in _OPTIONAL:
        return annotation.slice
    return None


def raised_exceptions(node: _FunctionNode) -> list[str]:
    """Exception class names the function raises explicitly (``raise X`` / ``raise X(...)``)."""
    found: list[str] = []
    stack: list[ast.AST] = list(node.body)
    while stack:
        current = stack.pop()
        if isinstance(current, _FunctionNode | ast.ClassDef | ast.Lambda):
            continue
        if isinstance(current, ast.Raise) and current.exc is not None:
            target = current.exc.func if isinstance(current.exc, ast.Call) else current.exc
            name = ast.unparse(target)
            # A dotted name (errors.PricingError) would need its module imported: left out,
            # so a test that meets it fails validation rather than passing wrongly.
            if name[:1].isupper() and "." not in name and name not in found:
                found.append(name)
        stack.extend(ast.iter_child_nodes(current))
    return sorted(found)


def find_function(tree: ast.Module, symbol: Symbol) -> _FunctionNode | None:
    """The module-level function a Symbol names (methods and nested functions: None)."""
    for node in tree.body:
        if isinstance(node, _FunctionNode) and node.name == symbol.name:
            if _spans(node, symbol):
                return node
    return None


def find_method(tree: ast.Module, symbol: Symbol) -> tuple[ast.ClassDef, _FunctionNode] | None:
    """The method of a top-level class a Symbol names (``Cls.method``), with its class."""
    owner, _, name = symbol.qualified_name.rpartition(".")
    if not owner or "." in owner:
        return None
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == owner:
            for item in node.body:
                if isinstance(item, _FunctionNode) and item.name == name and _spans(item, symbol):
                    return node, item
    return None


def _spans(node: _FunctionNode, symbol: Symbol) -> bool:
    first = min([node.lineno, *(item.lineno for item in node.decorator_list)])
    return first <= symbol.start_line <= (node.end_lineno or node.lineno) or (
        symbol.start_line <= node.lineno <= symbol.end_line
    )


_NOT_CALLABLE_DECORATORS = (
    "property",
    "setter",
    "getter",
    "deleter",
    "cached_property",
    "abstractmethod",
    "overload",
)


@dataclass(frozen=True)
class _Target:
    """What a property test calls: a function, or a method on a built instance or its class."""

    node: _FunctionNode
    owner: ast.ClassDef | None = None
    binding: str = "function"  # "function" | "instance" | "class" | "static"

    @property
    def title(self) -> str:
        return f"{self.owner.name}.{self.node.name}" if self.owner else self.node.name


def _target_of(tree: ast.Module, symbol: Symbol) -> _Target | None:
    if "." not in symbol.qualified_name or symbol.kind == "function":
        node = find_function(tree, symbol)
        if node is not None:
            return _Target(node)
    found = find_method(tree, symbol)
    if found is None:
        return None
    owner, node = found
    decorators = [ast.unparse(item) for item in node.decorator_list]
    if any(text.endswith(_NOT_CALLABLE_DECORATORS) for text in decorators):
        return None
    if node.name.startswith("__") and node.name.endswith("__"):
        return None  # dunder methods are exercised through the class, not called by name
    if "staticmethod" in decorators:
        return _Target(node, owner, "static")
    if "classmethod" in decorators:
        return _Target(node, owner, "class")
    return _Target(node, owner, "instance")


def property_tests(
    path: str,
    source: str,
    symbol: Symbol,
    *,
    module: str,
    framework: str = "pytest",
    test_file: str | None = None,
    import_root: str = "",
    project: ProjectTypes | None = None,
) -> list[Candidate]:
    """A Hypothesis property test for a changed, fully annotated function or method.

    ``path`` is the repo-relative file, ``source`` its text at the head, ``module`` the import
    name of the file. ``project`` (``ProjectTypes.from_view``) lets parameters be annotated
    with classes the module imports from elsewhere in the project; without it only the
    module's own classes are known. A method is called on an instance built like any
    parameter (``st.builds`` over its class's annotated constructor); a ``staticmethod`` or
    ``classmethod`` on the class. Returns no candidate when a parameter (or, for a method,
    the class) has no supported annotation, or the function takes nothing to vary.
    ``framework`` is pytest or unittest; ``test_file`` defaults to
    ``tests/test_properties_<function>.py``.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    target = _target_of(tree, symbol)
    if target is None:
        return []
    types = module_types(tree, module, project)
    parameters = _parameters(target.node, skip_first=target.binding in ("instance", "class"))
    if parameters is None:
        return []
    strategies: list[tuple[str, str]] = []
    needed: set[str] = set()
    receiver: str | None = None
    try:
        if target.binding == "instance":
            assert target.owner is not None
            resolved = types.resolve(target.owner.name)
            if resolved is None or resolved.shape.kind != "call":
                return []
            receiver = snake(target.owner.name)
            if receiver in {name for name, _ in parameters}:
                receiver = f"{receiver}_instance"
            strategy, imports = _class_strategy(resolved, 0, frozenset())
            strategies.append((receiver, strategy))
            needed |= imports
        elif not parameters:
            return []
        for name, annotation in parameters:
            strategy, imports = strategy_for(annotation, types)
            strategies.append((name, strategy))
            needed |= imports
    except Unsupported:
        return []
    check, check_imports = return_assertion(target.node.returns, types)
    needed |= check_imports
    standard = {line for line in needed if line in _STANDARD_IMPORTS}
    project_lines = _project_imports(target, needed - standard, types, module)
    if project_lines is None:
        return []  # two classes of one name from different modules
    simple = target.title.replace(".", "_")
    test_path = test_file or f"tests/test_properties_{style.identifier(simple)}.py"
    source_text = _render(
        target,
        module,
        strategies,
        receiver,
        [*project_lines, *sorted(standard)],
        check,
        test_path,
        framework,
        import_root,
    )
    return [
        Candidate(
            language="python",
            framework=framework,
            path=test_path,
            source=source_text,
            targets=(f"{path}::{target.title}",),
            kind=CandidateKind.PR_TEST,
        )
    ]


def _parameters(node: _FunctionNode, *, skip_first: bool) -> list[tuple[str, ast.expr]] | None:
    """Parameters that need a value, with annotations; None if one lacks an annotation."""
    spec = node.args
    positional = [*spec.posonlyargs, *spec.args]
    if skip_first:
        if not positional:
            return None
        positional = positional[1:]
    out: list[tuple[str, ast.expr]] = []
    for argument in [*positional, *spec.kwonlyargs]:
        if argument.annotation is None:
            return None
        out.append((argument.arg, argument.annotation))
    return out


def _project_imports(
    target: _Target, needed: set[str], types: ModuleTypes, module: str
) -> list[str] | None:
    """Import lines for the project: the module under test's names merged in one line."""
    own: set[str] = {target.owner.name if target.owner else target.node.name}
    own |= {name for name in needed if not name.startswith(("import ", "from "))}
    prefix = f"from {module} import "
    lines: set[str] = set()
    for line in needed:
        if line.startswith(prefix) and "," not in line:
            own.add(line[len(prefix) :])
        elif line.startswith("from ") and " import " in line:
            lines.add(line)
    for name in raised_exceptions(target.node):
        if name in _BUILTIN_EXCEPTIONS:
            continue
        if name in types.imported:
            origin, original = types.imported[name]
            if original == name:
                lines.add(f"from {origin} import {name}")
                continue
        own.add(name)
    bound: dict[str, str] = {name: module for name in own}
    by_module: dict[str, set[str]] = {module: set(own)}
    for line in lines:
        origin, _, name = line[len("from ") :].partition(" import ")
        if bound.setdefault(name, origin) != origin:
            return None
        by_module.setdefault(origin, set()).add(name)
    return [
        f"from {origin} import {', '.join(sorted(names))}"
        for origin, names in sorted(by_module.items())
        if names
    ]


def _render(
    target: _Target,
    module: str,
    strategies: list[tuple[str, str]],
    receiver: str | None,
    imports_needed: list[str],
    check: str | None,
    test_file: str,
    framework: str,
    import_root: str,
) -> str:
    node = target.node
    positional_only = {argument.arg for argument in node.args.posonlyargs}
    call_parts = [
        name if name in positional_only else f"{name}={name}"
        for name, _ in strategies
        if name != receiver
    ]
    if target.binding == "instance":
        callee = f"{receiver}.{node.name}"
    elif target.owner is not None:
        callee = f"{target.owner.name}.{node.name}"
    else:
        callee = node.name
    call = f"{callee}({', '.join(call_parts)})"
    if isinstance(node, ast.AsyncFunctionDef):
        call = f"asyncio.run({call})"
    allowed = raised_exceptions(node)
    imports = [
        "from hypothesis import given, settings",
        "from hypothesis import strategies as st",
        *imports_needed,
    ]
    if isinstance(node, ast.AsyncFunctionDef):
        imports.append("import asyncio")
    if framework == "unittest":
        imports.append("import unittest")
    setup_imports, setup = style.path_setup(test_file, import_root)
    imports.extend(setup_imports)
    body: list[str] = []
    if allowed:
        caught = allowed[0] if len(allowed) == 1 else f"({', '.join(allowed)})"
        body += ["try:", f"    result = {call}", f"except {caught}:", "    return"]
        body.append("# It raised nothing else.")
    else:
        body.append(f"result = {call}")
    if check:
        body.append(check)
    else:
        body.append("del result  # no simple return type to check")
    arguments = ", ".join(name for name, _ in strategies)
    given_call = ast.Call(
        ast.Name("given"),
        [],
        [ast.keyword(name, ast.parse(strategy, mode="eval").body) for name, strategy in strategies],
    )
    if target.binding == "instance" and target.owner is not None:
        subject = (
            f"For any {target.owner.name} built from its annotated constructor and any "
            "arguments of the annotated types, the method"
        )
    else:
        subject = "For any arguments of the annotated types, the function"
    docstring = (
        f"Property-based tests of {module}.{target.title} (generated by Argus with "
        "Hypothesis).\n\n"
        f"{subject} raises nothing but the exceptions it raises on purpose"
        + (f" ({', '.join(allowed)})" if allowed else "")
        + (", and returns a value of its annotated type." if check else ".")
    )
    test_name = style.identifier(target.title.replace(".", "_"))
    lines = [style.docstring_literal(docstring), ""]
    lines += style.import_block(imports, setup)
    lines += ["", ""]
    if framework == "unittest":
        lines += [
            f"class Test{style.camel(test_name)}Properties(unittest.TestCase):",
            f"    {_SETTINGS}",
            *layout(given_call, prefix="@", indent=4),
            f"    def test_{test_name}_properties(self, {arguments}) -> None:",
            *(f"        {line}" for line in body),
            "",
            "",
            'if __name__ == "__main__":',
            "    unittest.main()",
        ]
    else:
        lines += [
            _SETTINGS,
            *layout(given_call, prefix="@"),
            f"def test_{test_name}_properties({arguments}) -> None:",
            *(f"    {line}" for line in body),
        ]
    return "\n".join(lines) + "\n"


_WIDTH = 99


def layout(node: ast.expr, *, prefix: str = "", suffix: str = "", indent: int = 0) -> list[str]:
    """``node`` as source lines no wider than the project's 99 columns where that can be done
    by putting a long call's arguments one per line (as ruff and black would)."""
    pad = " " * indent
    one = f"{pad}{prefix}{ast.unparse(node)}{suffix}"
    if len(one) <= _WIDTH or not isinstance(node, ast.Call | ast.List | ast.Tuple):
        return [one]
    if isinstance(node, ast.List | ast.Tuple):
        opening, closing = ("[", "]") if isinstance(node, ast.List) else ("(", ")")
        lines = [f"{pad}{prefix}{opening}"]
        for item in node.elts:
            lines += layout(item, suffix=",", indent=indent + 4)
        return [*lines, f"{pad}{closing}{suffix}"]
    lines = [f"{pad}{prefix}{ast.unparse(node.func)}("]
    for argument in node.args:
        lines += layout(argument, suffix=",", indent=indent + 4)
    for keyword in node.keywords:
        lines += layout(keyword.value, prefix=f"{keyword.arg}=", suffix=",", indent=indent + 4)
    lines.append(f"{pad}){suffix}")
    return lines
