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
from collections.abc import Mapping
from dataclasses import dataclass

from core.lang.symbols import Symbol
from core.testgen import style
from core.testgen.candidate import Candidate, CandidateKind

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


@dataclass(frozen=True)
class ModuleTypes:
    """Enums and dataclasses (with their typed fields) a module defines at its top level."""

    enums: frozenset[str]
    dataclasses: Mapping[str, tuple[tuple[str, ast.expr], ...]]


def module_types(tree: ast.Module) -> ModuleTypes:
    """The enums and dataclasses of a parsed module."""
    enums: set[str] = set()
    dataclasses: dict[str, tuple[tuple[str, ast.expr], ...]] = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        bases = {ast.unparse(base).rsplit(".", 1)[-1] for base in node.bases}
        if bases & {"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag"}:
            enums.add(node.name)
        elif any("dataclass" in ast.unparse(item) for item in node.decorator_list):
            fields = tuple(
                (item.target.id, item.annotation)
                for item in node.body
                if isinstance(item, ast.AnnAssign)
                and isinstance(item.target, ast.Name)
                and "ClassVar" not in ast.unparse(item.annotation)
                and not _is_field_without_init(item.value)
            )
            dataclasses[node.name] = fields
    return ModuleTypes(frozenset(enums), dataclasses)


def _is_field_without_init(value: ast.expr | None) -> bool:
    return value is not None and "init=False" in ast.unparse(value)


def strategy_for(
    annotation: ast.expr, types: ModuleTypes | None = None, *, depth: int = 0
) -> tuple[str, frozenset[str]]:
    """Strategy source for an annotation, and the imports it needs (``Unsupported`` if none).

    Names of the module's enums and dataclasses appear in the imports as bare names; the
    caller imports them from the module under test.
    """
    known = types or ModuleTypes(frozenset(), {})
    if depth > 4:
        raise Unsupported("annotation nested too deeply")
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            parsed = ast.parse(annotation.value, mode="eval").body
        except SyntaxError as error:
            raise Unsupported(annotation.value) from error
        return strategy_for(parsed, known, depth=depth + 1)
    if isinstance(annotation, ast.Constant) and annotation.value is None:
        return "st.none()", frozenset()
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        left, left_imports = strategy_for(annotation.left, known, depth=depth + 1)
        right, right_imports = strategy_for(annotation.right, known, depth=depth + 1)
        return f"st.one_of({left}, {right})", left_imports | right_imports
    name = ast.unparse(annotation)
    if name in _SIMPLE:
        needed = {_IMPORTS_OF[name]} if name in _IMPORTS_OF else set()
        return _SIMPLE[name], frozenset(needed)
    if name in known.enums:
        return f"st.sampled_from({name})", frozenset({name})
    if name in known.dataclasses:
        parts: list[str] = []
        imports: set[str] = {name}
        for field_name, field_annotation in known.dataclasses[name]:
            inner, inner_imports = strategy_for(field_annotation, known, depth=depth + 1)
            parts.append(f"{field_name}={inner}")
            imports |= inner_imports
        return f"st.builds({', '.join([name, *parts])})", frozenset(imports)
    if isinstance(annotation, ast.Subscript):
        return _generic(annotation, known, depth)
    raise Unsupported(name)


def _generic(
    annotation: ast.Subscript, known: ModuleTypes, depth: int
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
        strategy_for(argument, known, depth=depth + 1)
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


def return_check(annotation: ast.expr | None) -> str | None:
    """The assertion on ``result`` an annotated return type allows, or None."""
    if annotation is None:
        return None
    if isinstance(annotation, ast.Constant) and annotation.value is None:
        return "assert result is None"
    name = ast.unparse(annotation)
    base = name.split("[", 1)[0]
    if base in _RETURN_TYPES:
        return f"assert isinstance(result, {_RETURN_TYPES[base]})"
    optional = _optional_of(annotation)
    if optional is not None:
        inner = ast.unparse(optional).split("[", 1)[0]
        if inner in _RETURN_TYPES:
            return f"assert result is None or isinstance(result, {_RETURN_TYPES[inner]})"
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
            first = min([node.lineno, *(item.lineno for item in node.decorator_list)])
            if first <= symbol.start_line <= (node.end_lineno or node.lineno) or (
                symbol.start_line <= node.lineno <= symbol.end_line
            ):
                return node
    return None


def property_tests(
    path: str,
    source: str,
    symbol: Symbol,
    *,
    module: str,
    framework: str = "pytest",
    test_file: str | None = None,
    import_root: str = "",
) -> list[Candidate]:
    """A Hypothesis property test for a changed, fully annotated module-level function.

    ``path`` is the repo-relative file, ``source`` its text at the head, ``module`` the import
    name of the file. Returns no candidate when the function is a method, has a parameter
    without a supported annotation, or takes no parameters. ``framework`` is pytest or
    unittest; ``test_file`` defaults to ``tests/test_properties_<function>.py``.
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    node = find_function(tree, symbol)
    if node is None:
        return []
    types = module_types(tree)
    parameters = _parameters(node)
    if not parameters:
        return []
    strategies: list[tuple[str, str]] = []
    needed: set[str] = set()
    try:
        for name, annotation in parameters:
            strategy, imports = strategy_for(annotation, types)
            strategies.append((name, strategy))
            needed |= imports
    except Unsupported:
        return []
    target = test_file or f"tests/test_properties_{style.identifier(node.name)}.py"
    source_text = _render(node, module, strategies, needed, types, target, framework, import_root)
    return [
        Candidate(
            language="python",
            framework=framework,
            path=target,
            source=source_text,
            targets=(f"{path}::{node.name}",),
            kind=CandidateKind.PR_TEST,
        )
    ]


def _parameters(node: _FunctionNode) -> list[tuple[str, ast.expr]]:
    """Parameters that need a value, with annotations; Unsupported-free: [] if one lacks it."""
    spec = node.args
    out: list[tuple[str, ast.expr]] = []
    for argument in [*spec.posonlyargs, *spec.args, *spec.kwonlyargs]:
        if argument.annotation is None:
            return []
        out.append((argument.arg, argument.annotation))
    return out


def _render(
    node: _FunctionNode,
    module: str,
    strategies: list[tuple[str, str]],
    needed: set[str],
    types: ModuleTypes,
    test_file: str,
    framework: str,
    import_root: str,
) -> str:
    spec_args = node.args
    positional_only = {argument.arg for argument in spec_args.posonlyargs}
    call_parts = [name if name in positional_only else f"{name}={name}" for name, _ in strategies]
    call = f"{node.name}({', '.join(call_parts)})"
    if isinstance(node, ast.AsyncFunctionDef):
        call = f"asyncio.run({call})"
    allowed = raised_exceptions(node)
    local_names = {name for name in needed if not name.startswith(("import ", "from "))}
    project = sorted({node.name, *local_names} | _project_exceptions(allowed, types))
    imports = [
        "from hypothesis import given, settings",
        "from hypothesis import strategies as st",
        f"from {module} import {', '.join(project)}",
        *sorted(line for line in needed if line.startswith(("import ", "from "))),
    ]
    if isinstance(node, ast.AsyncFunctionDef):
        imports.append("import asyncio")
    if framework == "unittest":
        imports.append("import unittest")
    setup_imports, setup = style.path_setup(test_file, import_root)
    imports.extend(setup_imports)
    check = return_check(node.returns)
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
    given = ", ".join(f"{name}={strategy}" for name, strategy in strategies)
    docstring = (
        f"Property-based tests of {module}.{node.name} (generated by Argus with Hypothesis).\n\n"
        "For any arguments of the annotated types, the function raises nothing but the "
        "exceptions it raises on purpose"
        + (f" ({', '.join(allowed)})" if allowed else "")
        + (", and returns a value of its annotated type." if check else ".")
    )
    lines = [style.docstring_literal(docstring), ""]
    lines += style.import_block(imports, setup)
    lines += ["", ""]
    if framework == "unittest":
        lines += [
            f"class Test{style.camel(node.name)}Properties(unittest.TestCase):",
            f"    {_SETTINGS}",
            f"    @given({given})",
            f"    def test_{style.identifier(node.name)}_properties(self, {arguments}) -> None:",
            *(f"        {line}" for line in body),
            "",
            "",
            'if __name__ == "__main__":',
            "    unittest.main()",
        ]
    else:
        lines += [
            _SETTINGS,
            f"@given({given})",
            f"def test_{style.identifier(node.name)}_properties({arguments}) -> None:",
            *(f"    {line}" for line in body),
        ]
    return "\n".join(lines) + "\n"


def _project_exceptions(allowed: list[str], types: ModuleTypes) -> set[str]:
    """Raised names that are not builtins come from the module under test."""
    del types
    return {name for name in allowed if "." not in name and name not in _BUILTIN_EXCEPTIONS}
