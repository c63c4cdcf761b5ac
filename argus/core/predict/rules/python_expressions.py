"""Python rules about single expressions that do not do what they appear to do."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from argus.core.classify import is_test_path
from argus.core.predict.rules.base import Hit, RuleContext, register, replacing
from argus.core.predict.rules.python_syntax import PYTHON, call_name, positional_arguments
from argus.core.predict.rules.syntax import descendants, field, text

_MUTABLE_LITERALS = frozenset(
    {
        "list",
        "dictionary",
        "set",
        "list_comprehension",
        "dictionary_comprehension",
        "set_comprehension",
    }
)
_MUTABLE_CONSTRUCTORS = frozenset(
    {
        "list",
        "dict",
        "set",
        "bytearray",
        "defaultdict",
        "collections.defaultdict",
        "OrderedDict",
        "collections.OrderedDict",
        "deque",
        "collections.deque",
        "Counter",
        "collections.Counter",
    }
)


@register(
    id="PY001",
    title="Mutable default argument",
    languages=PYTHON,
    message="Default to `None` and create the list/dict/set inside the function.",
    why=(
        "A default value is built once, when the function is defined; every call that mutates "
        "it changes the default seen by all later calls."
    ),
    confidence=0.75,
)
def mutable_default(context: RuleContext) -> Iterator[Hit]:
    """Parameters whose default is a list, dict or set that every call shares."""
    if context.path.endswith(".pyi"):
        return  # a stub only documents the default; no call ever shares it
    for parameter in context.changed_nodes("default_parameter", "typed_default_parameter"):
        value = field(parameter, "value")
        if value is None:
            continue
        if value.type in _MUTABLE_LITERALS or (
            value.type == "call" and call_name(value) in _MUTABLE_CONSTRUCTORS
        ):
            yield Hit.at(value, f"`{text(field(parameter, 'name'))}` has a mutable default.")


def _operators(comparison: Node) -> list[str]:
    return [child.type for child in comparison.children if not child.is_named]


@register(
    id="PY004",
    title="Comparison to None with == or !=",
    languages=PYTHON,
    message="Use `is None` / `is not None`.",
    why=(
        "`==` calls the object's `__eq__`, which may be overridden (ORM columns, arrays, proxies) "
        "and give a wrong or non-boolean answer; identity is what a None check means."
    ),
    confidence=0.4,
)
def equals_none(context: RuleContext) -> Iterator[Hit]:
    """``x == None`` and ``x != None``."""
    for comparison in context.changed_nodes("comparison_operator"):
        if not {"==", "!="} & set(_operators(comparison)):
            continue
        if any(child.type == "none" for child in comparison.named_children):
            swaps = [
                (child, "is" if child.type == "==" else "is not")
                for child in comparison.children
                if child.type in ("==", "!=")
            ]
            fix = replacing(context.source, "Compare with `is` / `is not`", swaps)
            operator = "==" if "==" in _operators(comparison) else "!="
            yield Hit.at(
                comparison, f"`{text(comparison)[:80]}` tests for None with `{operator}`.", fix
            )


_LITERALS = frozenset({"string", "concatenated_string", "integer", "float"})


def _is_literal(node: Node) -> bool:
    if node.type in _LITERALS:
        return True
    if node.type == "unary_operator":
        argument = field(node, "argument")
        return argument is not None and argument.type in ("integer", "float")
    return node.type in ("tuple", "list", "dictionary", "set") and node.named_child_count > 0


@register(
    id="PY005",
    in_tests=True,
    title="Identity comparison with a literal",
    languages=PYTHON,
    message="Use `==` / `!=` to compare values; keep `is` for None, True, False and sentinels.",
    why=(
        "`is` compares object identity; whether two equal strings or numbers are the same object "
        "depends on interning and caching, so the result changes between runs and versions."
    ),
    confidence=0.8,
)
def is_literal(context: RuleContext) -> Iterator[Hit]:
    """``x is "text"``, ``x is not 3`` and friends."""
    for comparison in context.changed_nodes("comparison_operator"):
        if not {"is", "is not"} & set(_operators(comparison)):
            continue
        if any(_is_literal(child) for child in comparison.named_children):
            swaps = [
                (child, "==" if child.type == "is" else "!=")
                for child in comparison.children
                if child.type in ("is", "is not")
            ]
            fix = (
                replacing(context.source, "Compare values with `==` / `!=`", swaps)
                if swaps
                else None
            )
            yield Hit.at(comparison, f"`{text(comparison)[:80]}` compares identity.", fix)


@register(
    id="PY007",
    in_tests=True,
    title="Assert on a tuple",
    languages=PYTHON,
    message="Write `assert condition, message` without parentheses around both.",
    why="A non-empty tuple is always true, so this assert can never fail and tests nothing.",
    confidence=0.9,
)
def assert_tuple(context: RuleContext) -> Iterator[Hit]:
    """``assert (condition, "message")``: always true."""
    for statement in context.changed_nodes("assert_statement"):
        tested = statement.named_children[0] if statement.named_child_count else None
        if tested is not None and tested.type == "tuple" and tested.named_child_count > 0:
            yield Hit.at(statement)


def _len_of(node: Node | None) -> str | None:
    """``x`` when the node is ``len(x)``."""
    if node is None or node.type != "call" or call_name(node) != "len":
        return None
    arguments = positional_arguments(node)
    return text(arguments[0]) if len(arguments) == 1 else None


def _len_plus_one(node: Node | None) -> str | None:
    """``x`` when the node is ``len(x) + 1``."""
    if node is None or node.type != "binary_operator" or text(field(node, "operator")) != "+":
        return None
    right = field(node, "right")
    if right is None or text(right) != "1":
        return None
    return _len_of(field(node, "left"))


def _indexes_with(body: Node, sequence: str, index: str) -> bool:
    for subscript in descendants(body, frozenset({"subscript"})):
        if (
            text(field(subscript, "value")) == sequence
            and text(field(subscript, "subscript")) == index
        ):
            return True
    return False


@register(
    id="PY009",
    in_tests=True,
    title="Off-by-one index",
    languages=PYTHON,
    message="Valid indexes run from 0 to `len(x) - 1`; use `range(len(x))` or `x[-1]`.",
    why="Indexing a sequence at `len(x)` is one past the end and raises IndexError.",
    confidence=0.8,
)
def off_by_one(context: RuleContext) -> Iterator[Hit]:
    """``x[len(x)]`` and ``for i in range(len(x) + 1): x[i]``."""
    for subscript in context.changed_nodes("subscript"):
        index = field(subscript, "subscript")
        if _len_of(index) is None or _len_of(index) != text(field(subscript, "value")):
            continue
        parent = subscript.parent
        if (
            parent is not None
            and parent.type == "assignment"
            and field(parent, "left") == subscript
        ):
            continue  # `memo[len(memo)] = value` is how a dict grows, not an index error
        yield Hit.at(subscript)
    for loop in context.changed_nodes("for_statement"):
        iterable, variable, body = field(loop, "right"), field(loop, "left"), field(loop, "body")
        if iterable is None or variable is None or body is None:
            continue
        if iterable.type != "call" or call_name(iterable) != "range":
            continue
        arguments = positional_arguments(iterable)
        if not 1 <= len(arguments) <= 2:
            continue
        sequence = _len_plus_one(arguments[-1])
        if sequence is not None and _indexes_with(body, sequence, text(variable)):
            yield Hit.at(iterable)


_CALL = frozenset({"call"})


def _expects_an_error(statement: Node) -> bool:
    """Whether the statement is directly inside ``with pytest.raises(...)`` (or
    ``self.assertRaises``, ``pytest.warns``, ...): there a comparison runs for the exception or
    warning it raises, so its value is meant to be dropped."""
    block = statement.parent
    with_statement = block.parent if block is not None else None
    if with_statement is None or with_statement.type != "with_statement":
        return False
    clauses = [child for child in with_statement.named_children if child.type == "with_clause"]
    for call in (call for clause in clauses for call in descendants(clause, _CALL)):
        name = call_name(call).rsplit(".", 1)[-1]
        if name in ("raises", "warns", "deprecated_call") or name.startswith(
            ("assertRaises", "assertWarns")
        ):
            return True
    return False


@register(
    id="PY016",
    in_tests=True,
    title="Comparison with no effect",
    languages=PYTHON,
    message="Did you mean an assignment (`=`) or an `assert`? The comparison result is discarded.",
    why="A comparison used as a statement computes a value and throws it away; nothing happens.",
    confidence=0.85,
)
def useless_comparison(context: RuleContext) -> Iterator[Hit]:
    """A statement that is only a comparison, like ``self.count == 0``."""
    for statement in context.changed_nodes("expression_statement"):
        if statement.named_child_count == 1 and not _expects_an_error(statement):
            expression = statement.named_children[0]
            if expression.type == "comparison_operator":
                # In a test the statement is a forgotten assert: that fix is mechanical.
                fix = (
                    replacing(
                        context.source,
                        "Assert the comparison",
                        [(expression, f"assert {text(expression)}")],
                    )
                    if is_test_path(context.path)
                    else None
                )
                yield Hit.at(expression, f"`{text(expression)[:80]}` is computed and dropped.", fix)


_REGEX_CALLS = frozenset({"re.match", "re.search", "re.fullmatch"})
_MATCH_METHODS = frozenset({"group", "groups", "groupdict", "start", "end", "span", "expand"})
_ENVIRONMENT_CALLS = frozenset({"os.environ.get", "os.getenv", "environ.get", "getenv"})


def _may_be_none(call: Node) -> str | None:
    """Why a call's result may be None, for the calls this rule knows; None when it cannot."""
    name = call_name(call)
    if name in _REGEX_CALLS:
        return f"`{name}` returns None when nothing matches."
    arguments = field(call, "arguments")
    single = (
        arguments is not None
        and arguments.type == "argument_list"
        and len(positional_arguments(call)) == 1
        and arguments.named_child_count == 1
    )
    if name in _ENVIRONMENT_CALLS and single:
        return f"`{name}` returns None when the variable is unset."
    return None


@register(
    id="PY021",
    title="Possibly-None result used directly",
    languages=PYTHON,
    message="Check the result for None first, or pass a default.",
    why=(
        "The call returns None in the ordinary failure case (no match, no key, unset variable); "
        "using it directly raises AttributeError or TypeError exactly then."
    ),
    confidence=0.6,
)
def none_result_used(context: RuleContext) -> Iterator[Hit]:
    """``re.match(...).group()``, ``d.get(k)[i]``, ``os.environ.get(k).lower()``."""
    for attribute in context.changed_nodes("attribute"):
        receiver = field(attribute, "object")
        if receiver is None or receiver.type != "call":
            continue
        reason = _may_be_none(receiver)
        if reason is None:
            continue
        if call_name(receiver) in _REGEX_CALLS and text(field(attribute, "attribute")) not in (
            _MATCH_METHODS
        ):
            continue
        yield Hit.at(attribute, reason)
    for subscript in context.changed_nodes("subscript"):
        receiver = field(subscript, "value")
        if receiver is None or receiver.type != "call":
            continue
        function = field(receiver, "function")
        arguments = field(receiver, "arguments")
        if (
            function is not None
            and function.type == "attribute"
            and text(field(function, "attribute")) == "get"
            and arguments is not None
            and arguments.type == "argument_list"
            and arguments.named_child_count == 1
            and len(positional_arguments(receiver)) == 1
        ):
            yield Hit.at(subscript, "`.get(key)` returns None when the key is missing.")
        else:
            reason = _may_be_none(receiver)
            if reason is not None:
                yield Hit.at(subscript, reason)
