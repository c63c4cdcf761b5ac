"""Rules about a changed function signature: what a linter cannot see because it needs both
sides of the diff.

In a sample of 96 real fixes of SZZ bug-introducing commits (``benchmarks/findings/
fix_patterns.csv``), 9 of the 45 that fixed a real bug fixed a contract that changed under its
users: a default that changed or disappeared, a parameter made mandatory, a caller that was not
updated (``contract_changed``, ``caller_left_behind``). These rules compare a function's
parameters before and after the change:

- PY022: a call in the same file that fitted the old signature no longer fits the new one (a
  positional argument too many, a required argument missing, a keyword that no longer exists);
  that call raises ``TypeError`` when it runs.
- PY023: a parameter kept its name but its default changed or was dropped, so every caller that
  leaves it out silently gets the new behaviour (or a ``TypeError``).
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from argus.core.predict.rules.base import Hit, RuleContext, register
from argus.core.predict.rules.syntax import descendants, field, text

PYTHON = ("python",)
_DEFINITIONS = frozenset({"function_definition", "class_definition"})
_SIMPLE = frozenset({"identifier", "typed_parameter"})
_DEFAULTED = frozenset({"default_parameter", "typed_default_parameter"})


@dataclass(frozen=True)
class Parameter:
    """One parameter: its name, how it binds, its default's text ("" when none), its node."""

    name: str
    kind: str  # "positional", "keyword", "varargs", "varkw"
    default: str
    node: Node
    positional_only: bool = False


@dataclass(frozen=True)
class Signature:
    """A function's parameters, in order."""

    parameters: tuple[Parameter, ...]

    def named(self, name: str) -> Parameter | None:
        """The parameter called ``name``, if any."""
        return next((p for p in self.parameters if p.name == name), None)

    @property
    def has_varargs(self) -> bool:
        """Whether ``*args`` takes extra positional arguments."""
        return any(p.kind == "varargs" for p in self.parameters)

    @property
    def has_varkw(self) -> bool:
        """Whether ``**kwargs`` takes extra keyword arguments."""
        return any(p.kind == "varkw" for p in self.parameters)

    def without_first(self) -> Signature:
        """The signature as a bound method sees it (``self`` / ``cls`` already given)."""
        return Signature(self.parameters[1:]) if self.parameters else self

    def accepts(self, positional: int, keywords: list[str]) -> str | None:
        """Why a call with ``positional`` arguments and these keywords does not fit, or None."""
        slots = [p for p in self.parameters if p.kind == "positional"]
        if positional > len(slots) and not self.has_varargs:
            return f"passes {positional} positional arguments, the function takes {len(slots)}"
        given = {p.name for p in slots[:positional]}
        for keyword in keywords:
            parameter = self.named(keyword)
            if parameter is None or parameter.kind in ("varargs", "varkw"):
                if not self.has_varkw:
                    return f"passes `{keyword}=`, which the function no longer takes"
                continue
            if parameter.positional_only and not self.has_varkw:
                return f"passes `{keyword}=`, which is now positional-only"
            given.add(keyword)
        for parameter in self.parameters:
            if parameter.kind in ("positional", "keyword") and not parameter.default:
                if parameter.name not in given:
                    return f"leaves out `{parameter.name}`, which is now required"
        return None


def signature_of(function: Node) -> Signature | None:
    """The parameters of a ``function_definition``, or None when they cannot be read."""
    parameters = field(function, "parameters")
    if parameters is None:
        return None
    found: list[Parameter] = []
    keyword_only = False
    for node in parameters.named_children:
        if node.type == "comment":
            continue
        if node.type == "positional_separator":
            found = [
                Parameter(p.name, p.kind, p.default, p.node, positional_only=True) for p in found
            ]
            continue
        if node.type == "keyword_separator":
            keyword_only = True
            continue
        kind = "keyword" if keyword_only else "positional"
        if node.type == "identifier":
            found.append(Parameter(text(node), kind, "", node))
        elif node.type == "typed_parameter":
            inner = node.named_children[0] if node.named_children else None
            if inner is not None and inner.type == "list_splat_pattern":
                found.append(Parameter(text(inner).lstrip("*"), "varargs", "", node))
                keyword_only = True
            elif inner is not None and inner.type == "dictionary_splat_pattern":
                found.append(Parameter(text(inner).lstrip("*"), "varkw", "", node))
            else:
                found.append(Parameter(text(inner), kind, "", node))
        elif node.type in _DEFAULTED:
            name = field(node, "name")
            value = field(node, "value")
            found.append(Parameter(text(name), kind, text(value) or "?", node))
        elif node.type == "list_splat_pattern":
            found.append(Parameter(text(node).lstrip("*"), "varargs", "", node))
            keyword_only = True
        elif node.type == "dictionary_splat_pattern":
            found.append(Parameter(text(node).lstrip("*"), "varkw", "", node))
        else:
            return None
    return Signature(tuple(found))


def _qualified(node: Node) -> tuple[str, ...]:
    names: list[str] = []
    current: Node | None = node
    while current is not None:
        if current.type in _DEFINITIONS:
            names.append(text(field(current, "name")))
        current = current.parent
    return tuple(reversed(names))


def _decorators(function: Node) -> str:
    parent = function.parent
    if parent is not None and parent.type == "decorated_definition":
        return " ".join(text(d) for d in parent.named_children if d.type == "decorator")
    return ""


def _functions(root: Node) -> dict[tuple[str, ...], Node]:
    """Every function of a module by qualified name; a name defined twice (overloads,
    ``if``/``else`` variants, properties with setters) is left out: which one a call reaches
    cannot be told from the syntax."""
    found: dict[tuple[str, ...], Node] = {}
    twice: set[tuple[str, ...]] = set()
    for function in descendants(root, frozenset({"function_definition"})):
        name = _qualified(function)
        if name in found:
            twice.add(name)
        found[name] = function
    return {name: node for name, node in found.items() if name not in twice}


def _static(function: Node) -> bool:
    """Whether the function is a ``@staticmethod``."""
    return "staticmethod" in _decorators(function)


def _is_method(function: Node) -> bool:
    parent = function.parent
    if parent is not None and parent.type == "decorated_definition":
        parent = parent.parent
    return (
        parent is not None
        and parent.type == "block"
        and parent.parent is not None
        and (parent.parent.type == "class_definition")
    )


def _changed_signatures(
    context: RuleContext,
) -> Iterator[tuple[Node, Node, Signature, Signature, tuple[str, ...]]]:
    """(new function, old function, old signature, new signature, qualified name) for each
    function of both
    sides whose parameter list the change touched and whose parameters differ."""
    old_tree = context.old_tree
    if old_tree is None:
        return
    old_functions = _functions(old_tree.root_node)
    new_functions = _functions(context.tree.root_node)
    for name, function in new_functions.items():
        parameters = field(function, "parameters")
        if parameters is None or name not in old_functions:
            continue
        if not context.touches_changed(
            parameters.start_point.row + 1, parameters.end_point.row + 1
        ):
            continue
        decorators = _decorators(function)
        if "overload" in decorators or "dispatch" in decorators:
            continue
        old = signature_of(old_functions[name])
        new = signature_of(function)
        if old is None or new is None:
            continue
        if [(p.name, p.kind, p.default) for p in old.parameters] == [
            (p.name, p.kind, p.default) for p in new.parameters
        ]:
            continue
        yield function, old_functions[name], old, new, name


def _call_shape(call: Node) -> tuple[int, list[str]] | None:
    """(positional arguments, keyword names) of a call, or None when ``*``/``**`` splats make
    the shape unknowable."""
    arguments = field(call, "arguments")
    if arguments is None or arguments.type != "argument_list":
        return None
    positional = 0
    keywords: list[str] = []
    for argument in arguments.named_children:
        if argument.type == "comment":
            continue
        if argument.type in ("list_splat", "dictionary_splat"):
            return None
        if argument.type == "keyword_argument":
            keywords.append(text(field(argument, "name")))
        else:
            positional += 1
    return positional, keywords


def _callers(root: Node, name: tuple[str, ...], function: Node) -> Iterator[tuple[Node, bool]]:
    """Calls of the function in this module: (call, whether ``self``/``cls`` is bound).

    A module-level function is called by its bare name; a method as ``self.name(...)`` or
    ``cls.name(...)`` from inside its own class; ``__init__`` as ``ClassName(...)``.
    """
    own = name[-1]
    method = _is_method(function)
    if method and len(name) < 2:
        return
    for call in descendants(root, frozenset({"call"})):
        target = field(call, "function")
        if target is None:
            continue
        if not method:
            if target.type == "identifier" and text(target) == own and len(name) == 1:
                yield call, False
            continue
        if own == "__init__":
            if target.type == "identifier" and text(target) == name[-2] and len(name) == 2:
                yield call, True
            continue
        if target.type != "attribute" or text(field(target, "attribute")) != own:
            continue
        receiver = text(field(target, "object"))
        if receiver in ("self", "cls") and _qualified(call)[: len(name) - 1] == name[:-1]:
            yield call, True


@register(
    id="PY022",
    title="Caller left behind by a changed signature",
    languages=PYTHON,
    message="Update the call to the new parameters, or keep the old ones working.",
    why=(
        "The change altered the function's parameters, and a call in the same file that fitted "
        "the old ones no longer does: it raises TypeError when it runs."
    ),
    confidence=0.5,
)
def caller_left_behind(context: RuleContext) -> Iterator[Hit]:
    """A call in the same file that fitted the old signature and does not fit the new one."""
    root = context.tree.root_node
    for function, old_function, old, new, name in _changed_signatures(context):
        for call, bound in _callers(root, name, function):
            shape = _call_shape(call)
            if shape is None:
                continue
            # A static method binds nothing, whatever it is called through.
            before = old.without_first() if bound and not _static(old_function) else old
            after = new.without_first() if bound and not _static(function) else new
            if before.accepts(*shape) is not None:
                continue  # already did not fit: dynamic, or not this function
            problem = after.accepts(*shape)
            if problem is None:
                continue
            line = call.start_point.row + 1
            if context.touches_changed(line, call.end_point.row + 1):
                continue  # the change rewrote this call too
            parameters = field(function, "parameters")
            assert parameters is not None
            yield Hit(
                line=parameters.start_point.row + 1,
                end_line=parameters.end_point.row + 1,
                message=(
                    f"`{name[-1]}` changed its parameters, and the call `{text(call)[:60]}` at "
                    f"line {line} {problem}."
                ),
            )
            break


@register(
    id="PY023",
    title="Default argument changed",
    languages=PYTHON,
    message=(
        "Check every caller that leaves the argument out, or keep the old default and add a "
        "new parameter for the new behaviour."
    ),
    why=(
        "The parameter kept its name but its default changed (or was dropped), so every caller "
        "that leaves it out now silently gets the new behaviour, or a TypeError."
    ),
    confidence=0.5,
)
def default_changed(context: RuleContext) -> Iterator[Hit]:
    """A parameter of an existing public function whose default value changed or disappeared
    (one finding per function, on the first such parameter)."""
    reported: set[tuple[str, str, str]] = set()
    for function, _old_function, old, new, name in _changed_signatures(context):
        if name[-1].startswith("_") and not name[-1].startswith("__"):
            continue  # private: its callers are in view of the author
        if name[-1].startswith("test"):
            continue  # a test's parameters are for its fixtures and parametrisation
        body = text(field(function, "body"))
        changes: list[tuple[Parameter, str, tuple[str, str, str]]] = []
        for parameter in new.parameters:
            before = old.named(parameter.name)
            if before is None or not before.default or before.kind != parameter.kind:
                continue
            if _same_default(before.default, parameter.default):
                continue
            if _is_sentinel(before.default) and _is_sentinel(parameter.default):
                continue  # "not given" spelled another way: the body decides either way
            if _resolved_inside(parameter.name, parameter.default, body):
                continue  # a None / sentinel default the body turns into the real value
            key = (parameter.name, before.default, parameter.default)
            if parameter.default:
                change = f"from `{before.default}` to `{parameter.default}`"
            else:
                change = f"from `{before.default}` to none (now required)"
            changes.append((parameter, change, key))
        changed_here = [
            (parameter, change)
            for parameter, change, _ in changes
            if context.touches_changed(
                parameter.node.start_point.row + 1, parameter.node.end_point.row + 1
            )
        ]
        # The same default changed the same way in a family of functions (``get``, ``post``,
        # ``put``, ... of one router) is one decision: said once per file.
        keys = {key for _, _, key in changes}
        if not changed_here or keys <= reported:
            continue
        reported |= keys
        described = "; ".join(f"`{p.name}` {change}" for p, change in changed_here[:3])
        more = f" and {len(changed_here) - 3} more" if len(changed_here) > 3 else ""
        yield Hit.at(
            changed_here[0][0].node,
            message=f"`{name[-1]}` changed its defaults: {described}{more}.",
        )


_SENTINEL_WORDS = ("unset", "missing", "sentinel", "notset", "default", "not_given", "notgiven")
_NOT_GIVEN = re.compile(
    r"^(?:None|[\w.]*(?:unset|missing|sentinel|notset|nothing|undefined|not_?given)\w*"
    r"|[\w.]*default\(.*\))$",
    re.IGNORECASE | re.DOTALL,
)
_ARITHMETIC = re.compile(r"^[\d_.eE+\-*/() ]+$")


def _is_sentinel(default: str) -> bool:
    """Whether a default is ``None`` or a "not given" marker (``UNSET``, ``_MISSING``,
    ``Undefined``, ``Default(None)``, ...)."""
    return bool(_NOT_GIVEN.match(default))


def _number(default: str) -> float | None:
    """The value of a default made of number literals and arithmetic (``2**18``,
    ``256 * 1024``), or None."""
    if not _ARITHMETIC.match(default):
        return None
    try:
        tree = ast.parse(default.strip(), mode="eval")
    except SyntaxError:
        return None
    return _arithmetic(tree.body)


_OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Pow: operator.pow,
}


def _arithmetic(node: ast.expr) -> float | None:
    """Evaluate number literals joined by + - * / // ** (exponents up to 128: ``9**9**9``
    would take forever); None for anything else."""
    if isinstance(node, ast.Constant):
        value = node.value
        return float(value) if isinstance(value, int | float) else None
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _arithmetic(node.operand)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left, right = _arithmetic(node.left), _arithmetic(node.right)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Pow) and abs(right) > 128:
            return None
        try:
            return float(_OPERATORS[type(node.op)](left, right))
        except (ArithmeticError, ValueError):
            return None
    return None


_STUB_BODY = re.compile(r"^\s*(?:(?:\"\"\"|''')[\s\S]*?(?:\"\"\"|''')\s*)?(?:\.\.\.|pass)?\s*$")


def _resolved_inside(name: str, default: str, body: str) -> bool:
    """Whether the new default is ``None`` or a sentinel that the body tests for (``if x is
    None: x = ...``, ``x or ...``), the usual way to keep the old value while telling "left
    out" from "given". A stub's body (``...``) cannot be read: a sentinel there counts as
    resolved."""
    sentinel = default == "None" or any(word in default.lower() for word in _SENTINEL_WORDS)
    if not sentinel:
        return False
    if _STUB_BODY.match(body):
        return True
    word = re.escape(name)
    patterns = (
        rf"\b{word}\s+is\s+(not\s+)?{re.escape(default)}",
        rf"\b{word}\s*[!=]=\s*{re.escape(default)}",
        rf"\b{word}\s+or\b",
        rf"\bif\s+(not\s+)?{word}\b",
        rf"\b{word}\s+if\s+{word}\b",
        rf"isinstance\(\s*{word}\s*,",
    )
    return any(re.search(pattern, body) for pattern in patterns)


def _same_default(old: str, new: str) -> bool:
    """Whether two default texts mean the same: spacing, quote style and the ``u`` prefix
    aside, a stub's ``...``, or the same constant imported from elsewhere
    (``ERROR`` / ``Levels.ERROR``)."""
    if old == new or "..." in (old, new):
        return True
    squeeze = str.maketrans({" ": None, "\n": None, "'": '"'})
    old, new = old.translate(squeeze), new.translate(squeeze)
    old, new = (re.sub(r'(?<![\w"])u"', '"', value) for value in (old, new))
    if old == new:
        return True
    old_number, new_number = _number(old), _number(new)
    if old_number is not None and old_number == new_number:
        return True
    dotted = re.compile(r"^[A-Za-z_][\w.]*$")
    if dotted.match(old) and dotted.match(new) and "." in old + new:
        return old.rsplit(".", 1)[-1] == new.rsplit(".", 1)[-1]
    return False


_NESTED = frozenset({"function_definition", "class_definition", "lambda"})
_UNPACKING = frozenset({"pattern_list", "tuple_pattern", "list_pattern"})
_NOT_ELEMENTS = frozenset({"comment", "line_continuation"})  # extras the grammar keeps as nodes


def _enclosing_function(node: Node) -> Node | None:
    """The function a node belongs to (not looking through classes)."""
    current = node.parent
    while current is not None and current.type not in _DEFINITIONS:
        current = current.parent
    return current if current is not None and current.type == "function_definition" else None


def _returned_width(function: Node) -> tuple[int, list[Node]] | None:
    """(N, the returns) when every ``return`` of the function (nested functions aside) gives
    a tuple of N plain elements; None when any returns something else, or nothing, or a
    starred element makes the width unknowable."""
    body = field(function, "body")
    if body is None:
        return None
    returns = list(descendants(body, frozenset({"return_statement"}), skip=_NESTED))
    widths: set[int] = set()
    for statement in returns:
        value = statement.named_children[0] if statement.named_children else None
        if value is None or value.type not in ("expression_list", "tuple"):
            return None
        elements = [child for child in value.named_children if child.type not in _NOT_ELEMENTS]
        if any(child.type == "list_splat" for child in elements):
            return None
        widths.add(len(elements))
    if len(widths) != 1:
        return None
    return widths.pop(), returns


def _unpackings(root: Node, name: tuple[str, ...], function: Node) -> Iterator[tuple[Node, int]]:
    """``a, b = f(...)`` assignments of the function's result in this module: (assignment,
    number of targets); starred targets make the count unknowable and are left out."""
    calls = {call.id for call, _ in _callers(root, name, function)}
    for assignment in descendants(root, frozenset({"assignment"})):
        left = field(assignment, "left")
        right = field(assignment, "right")
        if left is None or right is None or left.type not in _UNPACKING:
            continue
        if right.type != "call" or right.id not in calls:
            continue
        targets = [child for child in left.named_children if child.type not in _NOT_ELEMENTS]
        if any(child.type == "list_splat_pattern" for child in targets):
            continue
        yield assignment, len(targets)


@register(
    id="PY024",
    title="Unpacking no longer matches the returned tuple",
    languages=PYTHON,
    message="Unpack as many names as the function returns, or keep the returned tuple's shape.",
    why=(
        "The function returns a tuple of one size and a caller in the same file unpacks "
        "another: that line raises ValueError (too many or not enough values to unpack)."
    ),
    confidence=0.5,
)
def unpacking_mismatch(context: RuleContext) -> Iterator[Hit]:
    """A function's returned tuple and an unpacking of its result disagree on the width, and
    the change made them disagree: it changed the returns (reported on a changed return) or
    wrote the unpacking (reported there)."""
    root = context.tree.root_node
    # Only functions the change can have put out of step: one with a changed return, or one
    # whose result a changed line unpacks (the rest of a large file is never walked).
    unpacked: set[str] = set()
    for assignment in context.changed_nodes("assignment"):
        left, right = field(assignment, "left"), field(assignment, "right")
        if left is not None and left.type in _UNPACKING and right is not None:
            target = field(right, "function") if right.type == "call" else None
            if target is not None:
                unpacked.add(text(field(target, "attribute") or target))
    touched = {
        enclosing
        for statement in context.changed_nodes("return_statement")
        if (enclosing := _enclosing_function(statement)) is not None
    }
    if not unpacked and not touched:
        return
    old_tree = context.old_tree
    old_functions = _functions(old_tree.root_node) if old_tree is not None else {}
    for name, function in _functions(root).items():
        if "__init__" in name or (name[-1] not in unpacked and function not in touched):
            continue
        shape = _returned_width(function)
        if shape is None:
            continue
        width, returns = shape
        old_function = old_functions.get(name)
        old_shape = _returned_width(old_function) if old_function is not None else None
        returns_changed = old_shape is not None and old_shape[0] != width
        changed_return = next(
            (
                statement
                for statement in returns
                if context.touches_changed(
                    statement.start_point.row + 1, statement.end_point.row + 1
                )
            ),
            None,
        )
        for assignment, targets in _unpackings(root, name, function):
            if targets == width:
                continue
            line = assignment.start_point.row + 1
            unpacking_changed = context.touches_changed(line, assignment.end_point.row + 1)
            if unpacking_changed:
                yield Hit.at(
                    assignment,
                    message=(
                        f"This unpacks {targets} values from `{name[-1]}`, which returns {width}."
                    ),
                )
            elif returns_changed and changed_return is not None:
                yield Hit.at(
                    changed_return,
                    message=(
                        f"`{name[-1]}` now returns {width} values, and line {line} still "
                        f"unpacks {targets}: `{text(assignment)[:60]}`."
                    ),
                )
