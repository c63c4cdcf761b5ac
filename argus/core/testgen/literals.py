"""Rebuild Python values from the text an error tracker recorded for a frame variable.

Sentry serialises frame variables as ``repr`` strings (``"'abc'"``, ``"42"``, ``"None"``,
``"Decimal('1.5')"``); lists and dicts arrive as JSON containers whose leaves are again
``repr`` strings. :func:`rebuild` turns such a text into Python *source* for a test, never by
evaluating it: the text is parsed with :mod:`ast` and every node is checked against a
whitelist (literals, containers, a few standard constructors (``Decimal``, dates, ``UUID``,
``slice``, ``range``, ``PosixPath``), and classes the caller names).
Anything else, and anything that looks truncated, is not rebuilt.
"""

from __future__ import annotations

import ast
import builtins
import copy
import datetime
import decimal
import pathlib
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

# Sentry keeps at most this many items of a container; a container this full may be cut.
SENTRY_CONTAINER_BREADTH = 10
_MAX_TEXT = 20_000
_TRUNCATION_MARKS = ("...", "…")

# Standard constructors whose repr is a call; each with the import its source needs.
_STANDARD_CALLS: dict[str, str] = {
    "Decimal": "from decimal import Decimal",
    "decimal.Decimal": "import decimal",
    "UUID": "from uuid import UUID",
    "uuid.UUID": "import uuid",
    "datetime.datetime": "import datetime",
    "datetime.date": "import datetime",
    "datetime.time": "import datetime",
    "datetime.timedelta": "import datetime",
    "datetime.timezone": "import datetime",
    # As a test writes them after ``from datetime import date`` (reprs are dotted).
    "date": "from datetime import date",
    "time": "from datetime import time",
    "timedelta": "from datetime import timedelta",
    "set": "",
    "frozenset": "",
    "slice": "",
    "range": "",
    "bytearray": "",
    "PosixPath": "from pathlib import PosixPath",
    "PurePosixPath": "from pathlib import PurePosixPath",
}
STANDARD_CALL_NAMES = frozenset(_STANDARD_CALLS)
# Builtin types and exception classes, recorded as ``<class 'float'>``.
_BUILTIN_TYPES: dict[str, type] = {
    name: value
    for name, value in vars(builtins).items()
    if isinstance(value, type) and not name.startswith("_")
}
_CLASS_REPR = re.compile(r"^<class '([A-Za-z_][\w.]*)'>$")
_STANDARD_CONSTANTS: dict[str, str] = {
    "datetime.timezone.utc": "import datetime",
}
_BUILDERS: dict[str, object] = {
    "Decimal": decimal.Decimal,
    "decimal.Decimal": decimal.Decimal,
    "UUID": uuid.UUID,
    "uuid.UUID": uuid.UUID,
    "datetime.datetime": datetime.datetime,
    "datetime.date": datetime.date,
    "datetime.time": datetime.time,
    "datetime.timedelta": datetime.timedelta,
    "datetime.timezone": datetime.timezone,
    "date": datetime.date,
    "time": datetime.time,
    "timedelta": datetime.timedelta,
    "set": set,
    "frozenset": frozenset,
    "slice": slice,
    "range": range,
    "bytearray": bytearray,
    "PosixPath": pathlib.PurePosixPath,  # the value is only compared, never used as a path
    "PurePosixPath": pathlib.PurePosixPath,
}


@dataclass(frozen=True)
class Rebuilt:
    """A value rebuilt from its recorded text: Python source and the imports it needs.

    ``value`` is the value itself when it is made only of literals and standard types (None
    when it names a project class, which is not imported here); ``has_value`` tells the two
    cases of None apart.
    """

    source: str
    imports: tuple[str, ...] = ()
    value: object = None
    has_value: bool = True
    classes: tuple[str, ...] = field(default=())


class _TypeName(ast.Name):
    """A builtin type's name read from its recorded ``<class '...'>`` repr (a bare name in the
    text is not whitelisted)."""


def _unparse(node: ast.expr) -> str:
    """The source of a checked expression (type names written as plain names)."""
    plain = copy.deepcopy(node)
    for child in ast.walk(plain):
        if isinstance(child, _TypeName):
            child.__class__ = ast.Name  # type: ignore[assignment]
    return ast.unparse(plain)


class _NotLiteral(Exception):
    """Internal: the text holds something outside the whitelist."""


def rebuild(
    recorded: object, *, classes: Mapping[str, str] | None = None, nested: bool = True
) -> Rebuilt | None:
    """Rebuild a recorded frame variable, or None when it is not a literal value.

    ``recorded`` is what the event holds: a ``repr`` string, or a list or dict of them (the
    JSON form of a container). ``classes`` maps class names the caller can import (a project
    dataclass whose ``repr`` is ``Item(sku='a', qty=2)``) to the import line that brings each
    in; calls to them with literal keyword or positional arguments are rebuilt too.
    ``nested=False`` reads the text as plain Python source (a literal in a program), where a
    list of strings stays a list of strings rather than Sentry's repr-per-leaf form.
    """
    allowed = dict(classes or {})
    try:
        if nested or not isinstance(recorded, str):
            node = _to_node(recorded, allowed, nested=False)
        else:
            node = _parse_text(recorded, allowed, decode=False)
    except (_NotLiteral, RecursionError):
        return None
    imports: set[str] = set()
    used: set[str] = set()
    try:
        _collect(node, allowed, imports, used)
    except _NotLiteral:
        return None
    source = _unparse(node)
    if used:
        return Rebuilt(source, tuple(sorted(imports)), None, False, tuple(sorted(used)))
    try:
        value = _build(node)
    except (_NotLiteral, ValueError, TypeError, ArithmeticError, OverflowError):
        return None
    return Rebuilt(source, tuple(sorted(imports)), value, True)


def looks_truncated(text: str) -> bool:
    """True when a recorded text was probably cut by the tracker or by Argus."""
    stripped = text.rstrip()
    if stripped.endswith(_TRUNCATION_MARKS):
        return True
    # A cut string repr: "'abc..." keeps its opening quote and loses the closing one.
    for mark in _TRUNCATION_MARKS:
        for quote in ("'", '"'):
            if stripped.endswith(mark + quote):
                return True
    return False


def _to_node(recorded: object, allowed: Mapping[str, str], *, nested: bool) -> ast.expr:
    """The checked expression for a recorded value (a repr string or a JSON container)."""
    if isinstance(recorded, bool) or recorded is None:
        return ast.Constant(recorded)
    if isinstance(recorded, int | float):
        return ast.Constant(recorded)
    if isinstance(recorded, list):
        if len(recorded) >= SENTRY_CONTAINER_BREADTH:
            raise _NotLiteral("container may have been cut")
        return ast.List([_to_node(item, allowed, nested=True) for item in recorded], ast.Load())
    if isinstance(recorded, dict):
        if len(recorded) >= SENTRY_CONTAINER_BREADTH:
            raise _NotLiteral("container may have been cut")
        keys: list[ast.expr | None] = []
        values: list[ast.expr] = []
        for key, item in recorded.items():
            keys.append(_key_node(str(key)))
            values.append(_to_node(item, allowed, nested=True))
        return ast.Dict(keys, values)
    if not isinstance(recorded, str):
        raise _NotLiteral(type(recorded).__name__)
    return _parse_text(recorded, allowed)


def _key_node(key: str) -> ast.expr:
    """JSON object keys: Sentry writes them as plain strings (not repr'd)."""
    try:
        node = _parse_text(key, {})
    except _NotLiteral:
        return ast.Constant(key)
    if isinstance(node, ast.Constant) and isinstance(node.value, str | int):
        return node
    return ast.Constant(key)


def _parse_text(text: str, allowed: Mapping[str, str], *, decode: bool = True) -> ast.expr:
    if len(text) > _MAX_TEXT or looks_truncated(text):
        raise _NotLiteral("too long or truncated")
    named_type = _CLASS_REPR.match(text.strip())
    if named_type is not None and named_type.group(1) in _BUILTIN_TYPES:
        return _TypeName(named_type.group(1), ast.Load())  # <class 'float'>: the type itself
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError) as error:
        raise _NotLiteral(str(error)) from error
    body = tree.body
    _check(body, allowed)
    return _decode_nested(body, allowed) if decode else body


def _decode_nested(node: ast.expr, allowed: Mapping[str, str]) -> ast.expr:
    """A container printed from Sentry's JSON holds repr strings as leaves: decode them too.

    ``['1', "'a'"]`` is the text of a Sentry list ``[1, 'a']``: the leaves are replaced by
    what they denote. Sentry sends lists and dicts as JSON whose every leaf is a repr, so a
    list or dict of strings with a leaf that is no literal's repr
    (``["OrderLine(...)"]``: an object) is refused rather than rebuilt as strings. Tuples
    and sets arrive as one repr (``{'a', 'b'}``) and are kept when their leaves are words.
    """
    if not isinstance(node, ast.List | ast.Dict | ast.Tuple | ast.Set):
        return node
    leaves = _string_leaves(node)
    if not leaves:
        return node
    decoded: dict[int, ast.expr] = {}
    for leaf in leaves:
        assert isinstance(leaf.value, str)
        try:
            decoded[id(leaf)] = _parse_text(leaf.value, allowed)
        except _NotLiteral:
            if isinstance(node, ast.List | ast.Dict):
                raise
            return node
    if (
        isinstance(node, ast.List | ast.Tuple | ast.Set)
        and len(node.elts) >= SENTRY_CONTAINER_BREADTH
    ):
        raise _NotLiteral("container may have been cut")
    if isinstance(node, ast.Dict) and len(node.keys) >= SENTRY_CONTAINER_BREADTH:
        raise _NotLiteral("container may have been cut")
    return _replace_leaves(node, decoded)


def _string_leaves(node: ast.expr) -> list[ast.Constant]:
    """String constants in value positions of a container (dict keys excluded)."""
    found: list[ast.Constant] = []
    stack: list[ast.expr] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.List | ast.Tuple | ast.Set):
            stack.extend(current.elts)
        elif isinstance(current, ast.Dict):
            stack.extend(current.values)
        elif isinstance(current, ast.Constant):
            if isinstance(current.value, str):
                found.append(current)
            else:
                return []  # a non-string leaf: this is a plain literal, not Sentry's form
        else:
            return []
    return found


def _replace_leaves(node: ast.expr, decoded: Mapping[int, ast.expr]) -> ast.expr:
    if isinstance(node, ast.Constant):
        return decoded.get(id(node), node)
    if isinstance(node, ast.List):
        return ast.List([_replace_leaves(item, decoded) for item in node.elts], ast.Load())
    if isinstance(node, ast.Tuple):
        return ast.Tuple([_replace_leaves(item, decoded) for item in node.elts], ast.Load())
    if isinstance(node, ast.Set):
        return ast.Set([_replace_leaves(item, decoded) for item in node.elts])
    if isinstance(node, ast.Dict):
        return ast.Dict(list(node.keys), [_replace_leaves(item, decoded) for item in node.values])
    return node


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _check(node: ast.expr, allowed: Mapping[str, str]) -> None:
    """Raise _NotLiteral unless every node is whitelisted."""
    if isinstance(node, _TypeName) and node.id in _BUILTIN_TYPES:
        return
    if isinstance(node, ast.Constant):
        if node.value is Ellipsis:
            raise _NotLiteral("ellipsis")
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        if isinstance(node.operand, ast.Constant) and isinstance(
            node.operand.value, int | float | complex
        ):
            return
        raise _NotLiteral("unary operator on a non-number")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
        # complex numbers print as (1+2j)
        if isinstance(node.right, ast.Constant) and isinstance(node.right.value, complex):
            _check(node.left, allowed)
            return
        raise _NotLiteral("arithmetic")
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        for item in node.elts:
            if isinstance(item, ast.Starred):
                raise _NotLiteral("starred")
            _check(item, allowed)
        return
    if isinstance(node, ast.Dict):
        for key in node.keys:
            if key is None:
                raise _NotLiteral("dict unpacking")
            _check(key, allowed)
        for item in node.values:
            _check(item, allowed)
        return
    if isinstance(node, ast.Attribute):
        if _dotted(node) in _STANDARD_CONSTANTS:
            return
        raise _NotLiteral("attribute")
    if isinstance(node, ast.Call):
        name = _dotted(node.func)
        if name is None or (name not in _STANDARD_CALLS and name not in allowed):
            raise _NotLiteral(f"call to {name}")
        for argument in node.args:
            if isinstance(argument, ast.Starred):
                raise _NotLiteral("starred")
            _check(argument, allowed)
        for keyword in node.keywords:
            if keyword.arg is None:
                raise _NotLiteral("keyword unpacking")
            _check(keyword.value, allowed)
        return
    raise _NotLiteral(type(node).__name__)


def _collect(node: ast.AST, allowed: Mapping[str, str], imports: set[str], used: set[str]) -> None:
    """Imports the rebuilt source needs; project classes it names go to ``used``."""
    for child in ast.walk(node):
        if isinstance(child, ast.Call):
            name = _dotted(child.func)
            if name is None:
                raise _NotLiteral("call")
            if name in _STANDARD_CALLS:
                if _STANDARD_CALLS[name]:
                    imports.add(_STANDARD_CALLS[name])
            elif name in allowed:
                used.add(name)
                if allowed[name]:
                    imports.add(allowed[name])
        elif isinstance(child, ast.Attribute) and not isinstance(
            getattr(child, "ctx", None), ast.Store
        ):
            dotted = _dotted(child)
            if dotted in _STANDARD_CONSTANTS:
                imports.add(_STANDARD_CONSTANTS[dotted])


def _build(node: ast.expr) -> object:
    """The value of a checked expression made of literals and standard constructors."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp):
        operand = _build(node.operand)
        if not isinstance(operand, int | float | complex):
            raise _NotLiteral("unary")
        return -operand if isinstance(node.op, ast.USub) else +operand
    if isinstance(node, ast.BinOp):
        left, right = _build(node.left), _build(node.right)
        if not isinstance(left, int | float | complex) or not isinstance(right, complex):
            raise _NotLiteral("binop")
        return left + right if isinstance(node.op, ast.Add) else left - right
    if isinstance(node, ast.List):
        return [_build(item) for item in node.elts]
    if isinstance(node, ast.Tuple):
        return tuple(_build(item) for item in node.elts)
    if isinstance(node, ast.Set):
        return {_hashable(_build(item)) for item in node.elts}
    if isinstance(node, ast.Dict):
        return {
            _hashable(_build(key)): _build(item)
            for key, item in zip(node.keys, node.values, strict=True)
            if key is not None
        }
    if isinstance(node, _TypeName) and node.id in _BUILTIN_TYPES:
        return _BUILTIN_TYPES[node.id]
    if isinstance(node, ast.Attribute) and _dotted(node) == "datetime.timezone.utc":
        return datetime.UTC
    if isinstance(node, ast.Call):
        name = _dotted(node.func)
        builder = _BUILDERS.get(name or "")
        if builder is None or not callable(builder):
            raise _NotLiteral(f"call to {name}")
        arguments = [_build(item) for item in node.args]
        keywords = {item.arg: _build(item.value) for item in node.keywords if item.arg}
        return builder(*arguments, **keywords)
    raise _NotLiteral(type(node).__name__)


def _hashable(value: object) -> object:
    hash(value)
    return value
