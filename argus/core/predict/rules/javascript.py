"""JavaScript and TypeScript rules (they apply to javascript, typescript and tsx alike)."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from argus.core.predict.rules.base import JAVASCRIPT_FAMILY, Hit, RuleContext, register
from argus.core.predict.rules.syntax import descendants, field, text

_FUNCTION_TYPES = frozenset(
    {
        "function_declaration",
        "function_expression",
        "function",
        "arrow_function",
        "method_definition",
        "generator_function_declaration",
    }
)
_FUNCTION_VALUES = frozenset({"function_expression", "function", "arrow_function"})


def _is_async(function: Node) -> bool:
    return any(child.type == "async" for child in function.children)


def _enclosing_function(node: Node) -> Node | None:
    current = node.parent
    while current is not None:
        if current.type in _FUNCTION_TYPES:
            return current
        current = current.parent
    return None


def _arguments(call: Node) -> list[Node]:
    arguments = field(call, "arguments")
    if arguments is None:
        return []
    return [child for child in arguments.named_children if child.type != "comment"]


def _callee_text(call: Node) -> str:
    function = field(call, "function")
    return text(function) if function is not None else ""


class _AsyncDefinitions:
    """Async functions and methods the file defines, minus names also defined as sync."""

    def __init__(self, context: RuleContext) -> None:
        async_names: set[str] = set()
        sync_names: set[str] = set()
        self.methods: dict[str, set[str]] = {}
        root = context.tree.root_node
        for node in descendants(
            root,
            frozenset({"function_declaration", "variable_declarator", "method_definition"}),
        ):
            if node.type == "variable_declarator":
                value = field(node, "value")
                if value is None or value.type not in _FUNCTION_VALUES:
                    continue
                function = value
            else:
                function = node
            name = text(field(node, "name"))
            if node.type == "method_definition":
                body = node.parent
                if body is not None:
                    key = "async" if _is_async(function) else "sync"
                    self.methods.setdefault(f"{key}:{body.start_byte}", set()).add(name)
                continue
            (async_names if _is_async(function) else sync_names).add(name)
        self.functions = frozenset(async_names - sync_names)

    def is_async_method(self, class_body: Node, name: str) -> bool:
        async_methods = self.methods.get(f"async:{class_body.start_byte}", set())
        sync_methods = self.methods.get(f"sync:{class_body.start_byte}", set())
        return name in async_methods and name not in sync_methods


def _class_body(node: Node) -> Node | None:
    current = node.parent
    while current is not None:
        if current.type == "class_body":
            return current
        current = current.parent
    return None


def _dropped_or_tested(call: Node) -> bool:
    parent = call.parent
    if parent is None:
        return False
    if parent.type == "expression_statement":
        function = _enclosing_function(call)
        return function is not None and _is_async(function)
    if parent.type == "unary_expression" and text(field(parent, "operator")) == "!":
        parent = parent.parent
    if parent is not None and parent.type == "parenthesized_expression":
        grand = parent.parent
        return grand is not None and grand.type in ("if_statement", "while_statement")
    return False


@register(
    id="JS001",
    in_tests=True,
    title="Missing await",
    languages=JAVASCRIPT_FAMILY,
    message="Add `await` (or handle the promise with `.then(...).catch(...)`).",
    why=(
        "Calling an async function without `await` lets the caller continue before the work is "
        "done, loses its errors as unhandled rejections, and a promise in an `if` is always true."
    ),
    confidence=0.75,
)
def missing_await(context: RuleContext) -> Iterator[Hit]:
    """A call to an async function of this file, dropped inside an async function or tested."""
    definitions: _AsyncDefinitions | None = None
    for call in context.changed_nodes("call_expression"):
        if not _dropped_or_tested(call):
            continue
        if definitions is None:
            definitions = _AsyncDefinitions(context)
        function = field(call, "function")
        if function is None:
            continue
        if function.type == "identifier" and text(function) in definitions.functions:
            yield Hit.at(call, f"`{text(function)}` is async.")
        elif function.type == "member_expression" and text(field(function, "object")) == "this":
            class_body = _class_body(call)
            name = text(field(function, "property"))
            if class_body is not None and definitions.is_async_method(class_body, name):
                yield Hit.at(call, f"`{name}` is async.")


def _is_nullish(node: Node) -> bool:
    return node.type in ("null", "undefined") or (
        node.type == "identifier" and text(node) == "undefined"
    )


def _is_typeof(node: Node) -> bool:
    return node.type == "unary_expression" and text(field(node, "operator")) == "typeof"


def _is_string(node: Node) -> bool:
    return node.type == "string" or (
        node.type == "template_string"
        and not any(child.type == "template_substitution" for child in node.named_children)
    )


@register(
    id="JS002",
    title="Loose equality",
    languages=JAVASCRIPT_FAMILY,
    message="Use `===` / `!==` (keep `== null` only to test for null or undefined together).",
    why=(
        "`==` converts types before comparing, so `0 == ''`, `'1' == 1` and `[] == false` are "
        "all true; the comparison accepts values the code did not mean to accept."
    ),
    confidence=0.35,
)
def loose_equality(context: RuleContext) -> Iterator[Hit]:
    """``a == b`` / ``a != b`` other than null checks and ``typeof x == "string"``."""
    for expression in context.changed_nodes("binary_expression"):
        if text(field(expression, "operator")) not in ("==", "!="):
            continue
        left, right = field(expression, "left"), field(expression, "right")
        if left is None or right is None or _is_nullish(left) or _is_nullish(right):
            continue
        if (_is_typeof(left) and _is_string(right)) or (_is_typeof(right) and _is_string(left)):
            continue
        yield Hit.at(expression)


def _chain_methods(call: Node) -> list[str]:
    """Method names along a call chain, outermost first: ``a.then(f).catch(g)`` -> catch, then."""
    names: list[str] = []
    current: Node | None = call
    while current is not None and current.type == "call_expression":
        function = field(current, "function")
        if function is None or function.type != "member_expression":
            break
        names.append(text(field(function, "property")))
        current = field(function, "object")
    return names


@register(
    id="JS003",
    title="Promise without rejection handler",
    languages=JAVASCRIPT_FAMILY,
    message="Add `.catch(...)` to the chain, pass a rejection handler, or `await` it in a try.",
    why=(
        "A `.then` chain left at statement level with no rejection handler turns any failure "
        "into an unhandled rejection, which Node.js treats as a crash."
    ),
    confidence=0.55,
)
def floating_then(context: RuleContext) -> Iterator[Hit]:
    """``promise.then(f);`` at statement level with no ``.catch`` and no second handler."""
    for statement in context.changed_nodes("expression_statement"):
        if statement.named_child_count == 0:
            continue
        call = statement.named_children[0]
        if call.type != "call_expression":
            continue
        methods = _chain_methods(call)
        if not methods or methods[0] not in ("then", "finally") or "catch" in methods:
            continue
        if methods[0] == "then" and len(_arguments(call)) >= 2:
            continue
        yield Hit.at(call)


@register(
    id="JS004",
    title="Empty catch block",
    languages=JAVASCRIPT_FAMILY,
    message="Handle or log the error; if ignoring it is intended, say why in a comment.",
    why="An empty catch hides every failure in the try block; bugs surface far from their cause.",
    confidence=0.55,
)
def empty_catch(context: RuleContext) -> Iterator[Hit]:
    """``catch (e) {}`` with no statements and no comment."""
    for clause in context.changed_nodes("catch_clause"):
        body = field(clause, "body")
        if body is not None and body.named_child_count == 0:
            yield Hit.at(clause)


_ARRAY_METHODS = frozenset(
    {"split", "map", "filter", "slice", "concat", "keys", "values", "entries", "from", "of"}
)
_ARRAY_DECLARATIONS = "(variable_declarator name: (identifier) @name value: (array) @value)"


def _is_array(iterable: Node, context: RuleContext) -> bool:
    if iterable.type == "array":
        return True
    if iterable.type == "call_expression":
        function = field(iterable, "function")
        return (
            function is not None
            and function.type == "member_expression"
            and text(field(function, "property")) in _ARRAY_METHODS
        )
    if iterable.type == "identifier":
        declared = context.captures(_ARRAY_DECLARATIONS).get("name", [])
        return any(text(name) == text(iterable) for name in declared)
    return False


@register(
    id="JS005",
    title="for...in over an array",
    languages=JAVASCRIPT_FAMILY,
    message="Use `for (const item of items)` or `items.forEach(...)`.",
    why=(
        "`for...in` walks property names, not elements: indexes come as strings, and inherited "
        "or extra properties are visited too."
    ),
    confidence=0.7,
)
def for_in_array(context: RuleContext) -> Iterator[Hit]:
    """``for (const i in items)`` where ``items`` is known to be an array."""
    for loop in context.changed_nodes("for_in_statement"):
        if text(field(loop, "operator")) != "in":
            continue
        iterable = field(loop, "right")
        if iterable is not None and _is_array(iterable, context):
            yield Hit.at(iterable)


@register(
    id="JS006",
    in_tests=True,
    title="Assignment in condition",
    languages=JAVASCRIPT_FAMILY,
    message="Use `===` to compare; wrap in a second pair of parentheses if assignment is intended.",
    why="`if (a = b)` assigns and then tests the assigned value; it is almost always a typo.",
    confidence=0.75,
)
def assignment_in_condition(context: RuleContext) -> Iterator[Hit]:
    """``if (a = b)``, ``while (a = b)``: a single ``=`` directly in the condition."""
    for statement in context.changed_nodes("if_statement", "while_statement", "do_statement"):
        condition = field(statement, "condition")
        if condition is None or condition.type != "parenthesized_expression":
            continue
        inner = condition.named_children[0] if condition.named_child_count == 1 else None
        if inner is not None and inner.type == "assignment_expression":
            yield Hit.at(inner)


@register(
    id="JS007",
    title="parseInt without radix",
    languages=JAVASCRIPT_FAMILY,
    message="Pass the radix: `parseInt(value, 10)` (or use `Number(value)`).",
    why=(
        "Without a radix, strings such as '0x1f' are read as hexadecimal, so user input can "
        "yield a different number than the one typed."
    ),
    confidence=0.4,
)
def parse_int_radix(context: RuleContext) -> Iterator[Hit]:
    """``parseInt(x)`` with a single argument."""
    for call in context.changed_nodes("call_expression"):
        if _callee_text(call) not in ("parseInt", "Number.parseInt"):
            continue
        arguments = _arguments(call)
        if len(arguments) == 1 and arguments[0].type != "spread_element":
            yield Hit.at(call)


_TIMERS = frozenset(
    {
        "setTimeout",
        "setInterval",
        "window.setTimeout",
        "window.setInterval",
        "globalThis.setTimeout",
    }
)


@register(
    id="JS008",
    title="Timer with a code string",
    languages=JAVASCRIPT_FAMILY,
    message="Pass a function: `setTimeout(() => work(), delay)`.",
    why=(
        "A string passed to setTimeout/setInterval is evaluated like `eval`: slow, invisible to "
        "tooling, and an injection risk if it contains data."
    ),
    confidence=0.8,
)
def timer_with_string(context: RuleContext) -> Iterator[Hit]:
    """``setTimeout("code()", 100)``."""
    for call in context.changed_nodes("call_expression"):
        if _callee_text(call) not in _TIMERS:
            continue
        arguments = _arguments(call)
        if arguments and arguments[0].type in ("string", "template_string"):
            yield Hit.at(arguments[0])


@register(
    id="JS009",
    in_tests=True,
    title="Loop runs one past the end",
    languages=JAVASCRIPT_FAMILY,
    message="Use `i < items.length`.",
    why="With `<=` the last iteration reads `items[items.length]`, which is undefined.",
    confidence=0.8,
)
def loop_past_end(context: RuleContext) -> Iterator[Hit]:
    """``for (...; i <= items.length; ...) { items[i] }``."""
    for loop in context.changed_nodes("for_statement"):
        condition, body = field(loop, "condition"), field(loop, "body")
        if condition is None or body is None or condition.type != "binary_expression":
            continue
        if text(field(condition, "operator")) != "<=":
            continue
        index, bound = field(condition, "left"), field(condition, "right")
        if index is None or bound is None or bound.type != "member_expression":
            continue
        if text(field(bound, "property")) != "length":
            continue
        items = text(field(bound, "object"))
        for subscript in descendants(body, frozenset({"subscript_expression"})):
            if text(field(subscript, "object")) == items and text(
                field(subscript, "index")
            ) == text(index):
                yield Hit.at(condition)
                break


@register(
    id="JS010",
    in_tests=True,
    title="Async callback to forEach",
    languages=JAVASCRIPT_FAMILY,
    message="Use `for (const item of items) { await ... }` or `await Promise.all(items.map(...))`.",
    why=(
        "forEach ignores the promises its callback returns: the loop finishes before the work, "
        "and failures become unhandled rejections."
    ),
    confidence=0.75,
)
def async_for_each(context: RuleContext) -> Iterator[Hit]:
    """``items.forEach(async (item) => { ... })``."""
    for call in context.changed_nodes("call_expression"):
        function = field(call, "function")
        if function is None or function.type != "member_expression":
            continue
        if text(field(function, "property")) != "forEach":
            continue
        arguments = _arguments(call)
        if arguments and arguments[0].type in _FUNCTION_VALUES and _is_async(arguments[0]):
            yield Hit.at(call)


def _is_nan(node: Node) -> bool:
    return text(node) in ("NaN", "Number.NaN")


@register(
    id="JS011",
    in_tests=True,
    title="Comparison with NaN",
    languages=JAVASCRIPT_FAMILY,
    message="Use `Number.isNaN(value)`.",
    why="NaN is not equal to anything, itself included, so this comparison is always false.",
    confidence=0.9,
)
def compare_nan(context: RuleContext) -> Iterator[Hit]:
    """``x === NaN`` and the other equality operators."""
    for expression in context.changed_nodes("binary_expression"):
        if text(field(expression, "operator")) not in ("==", "===", "!=", "!=="):
            continue
        left, right = field(expression, "left"), field(expression, "right")
        if (left is not None and _is_nan(left)) or (right is not None and _is_nan(right)):
            yield Hit.at(expression)


_TYPEOF_RESULTS = frozenset(
    {"undefined", "object", "boolean", "number", "bigint", "string", "symbol", "function"}
)


@register(
    id="JS012",
    in_tests=True,
    title="typeof compared with an impossible string",
    languages=JAVASCRIPT_FAMILY,
    message=f"typeof yields one of: {', '.join(sorted(_TYPEOF_RESULTS))}; fix the spelling.",
    why="typeof never returns this string, so the comparison has a fixed result: a typo.",
    confidence=0.9,
)
def invalid_typeof(context: RuleContext) -> Iterator[Hit]:
    """``typeof x === "undefiend"``."""
    for expression in context.changed_nodes("binary_expression"):
        if text(field(expression, "operator")) not in ("==", "===", "!=", "!=="):
            continue
        left, right = field(expression, "left"), field(expression, "right")
        if left is None or right is None:
            continue
        literal = right if _is_typeof(left) else left if _is_typeof(right) else None
        if literal is None or not _is_string(literal):
            continue
        if text(literal)[1:-1] not in _TYPEOF_RESULTS:
            yield Hit.at(literal)


def _inside_try(node: Node) -> bool:
    """Whether a node runs inside a ``try`` block of its own function."""
    current = node
    while current.parent is not None and current.type not in _FUNCTION_TYPES:
        parent = current.parent
        if parent.type == "try_statement" and field(parent, "body") == current:
            return True
        current = parent
    return False


@register(
    id="JS013",
    title="JSON.parse outside try",
    languages=JAVASCRIPT_FAMILY,
    message="Wrap the parse in `try { ... } catch (error) { ... }` and handle malformed input.",
    why=(
        "JSON.parse throws a SyntaxError on malformed or empty input (an HTML error page, a "
        "truncated body, a stale localStorage value), which then crashes the caller."
    ),
    confidence=0.4,
)
def unguarded_json_parse(context: RuleContext) -> Iterator[Hit]:
    """``JSON.parse(text)`` on data that may be malformed, with no ``try`` around it."""
    for call in context.changed_nodes("call_expression"):
        if _callee_text(call) != "JSON.parse":
            continue
        arguments = _arguments(call)
        if not arguments or arguments[0].type in ("string", "template_string"):
            continue
        first = arguments[0]
        if "readFile" in text(first) or "readJson" in text(first):
            # The project's own files (package.json, config): a malformed one should stop the
            # script, which is what JSON.parse's exception does.
            continue
        if first.type == "call_expression" and _callee_text(first) == "JSON.stringify":
            continue  # the deep-copy idiom cannot fail to parse
        if not _inside_try(call):
            yield Hit.at(call)
