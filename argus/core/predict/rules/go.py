"""Go rules: dropped errors, lost errors, loop bounds, locks and deferred calls."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property

from tree_sitter import Node

from argus.core.predict.rules.base import Hit, RuleContext, register
from argus.core.predict.rules.syntax import descendants, field, text

GO = ("go",)

_FUNCTIONS = frozenset({"function_declaration", "method_declaration", "func_literal"})

# Standard-library packages whose multi-result functions return an error last, and the few of
# their functions that return something else last (a bool "ok", a second value).
_ERROR_PACKAGES = frozenset(
    {
        "os",
        "io",
        "ioutil",
        "strconv",
        "json",
        "xml",
        "url",
        "http",
        "net",
        "exec",
        "sql",
        "template",
        "x509",
        "base64",
        "hex",
        "regexp",
        "time",
        "filepath",
        "zip",
        "gzip",
        "csv",
    }
)
_NOT_ERROR_LAST = frozenset(
    {"LookupEnv", "Split", "Pipe", "SplitList", "Cut", "Now", "Since", "Until", "Unix", "Date"}
)


def _result_ends_with_error(function: Node) -> bool:
    result = field(function, "result")
    if result is None:
        return False
    if result.type == "parameter_list":
        declarations = [c for c in result.named_children if c.type == "parameter_declaration"]
        return bool(declarations) and text(field(declarations[-1], "type")) == "error"
    return text(result) == "error"


def _enclosing_function(node: Node) -> Node | None:
    current = node.parent
    while current is not None:
        if current.type in _FUNCTIONS:
            return current
        current = current.parent
    return None


class _LocalFunctions:
    """Functions and methods this file declares, by name, and whether each returns an error."""

    def __init__(self, root: Node) -> None:
        self.root = root

    @cached_property
    def returns_error(self) -> dict[str, bool]:
        verdicts: dict[str, bool] = {}
        for node in self.root.named_children:
            if node.type not in ("function_declaration", "method_declaration"):
                continue
            name = text(field(node, "name"))
            verdict = _result_ends_with_error(node)
            # Two declarations with one name (methods of different types) must agree.
            verdicts[name] = verdicts.get(name, verdict) and verdict
        return verdicts


def _callee(call: Node) -> tuple[str, str]:
    """(root package or receiver, final name) of a call's callee."""
    function = field(call, "function")
    if function is None:
        return "", ""
    if function.type == "identifier":
        return "", text(function)
    if function.type == "selector_expression":
        name = text(field(function, "field"))
        operand = field(function, "operand")
        while operand is not None and operand.type == "selector_expression":
            operand = field(operand, "operand")
        return text(operand) if operand is not None else "", name
    return "", ""


@register(
    id="GO001",
    title="Error discarded",
    languages=GO,
    message="Handle the error: `if err != nil { return ..., err }` (or log it and say why).",
    why=(
        "Assigning an error to `_` hides the failure; the code goes on with a zero value and "
        "fails later, far from the cause."
    ),
    confidence=0.6,
)
def discarded_error(context: RuleContext) -> Iterator[Hit]:
    """``v, _ := strconv.Atoi(s)``, ``_ = save()`` when the blank receives an error."""
    local = _LocalFunctions(context.tree.root_node)
    for statement in context.changed_nodes("short_var_declaration", "assignment_statement"):
        left, right = field(statement, "left"), field(statement, "right")
        if left is None or right is None or right.named_child_count != 1:
            continue
        targets = left.named_children
        call = right.named_children[0]
        if not targets or text(targets[-1]) != "_" or call.type != "call_expression":
            continue
        package, name = _callee(call)
        if name in local.returns_error and package not in _ERROR_PACKAGES:
            if local.returns_error[name]:
                yield Hit.at(statement)
        elif (
            len(targets) >= 2
            and package in _ERROR_PACKAGES
            and name not in _NOT_ERROR_LAST
            and not name.startswith("Must")
        ):
            yield Hit.at(statement)


def _is_error_check(condition: Node) -> str | None:
    if condition.type != "binary_expression" or text(field(condition, "operator")) != "!=":
        return None
    left, right = field(condition, "left"), field(condition, "right")
    if left is None or right is None or right.type != "nil" or left.type != "identifier":
        return None
    name = text(left)
    return name if name == "err" or name.endswith("Err") else None


@register(
    id="GO002",
    title="Error checked, then nil returned",
    languages=GO,
    message="Return the error (wrapped with context if useful) instead of nil.",
    why=(
        "Inside `if err != nil`, returning nil as the error tells the caller the operation "
        "succeeded; the failure is lost and the caller uses an incomplete result."
    ),
    confidence=0.6,
)
def nil_after_error(context: RuleContext) -> Iterator[Hit]:
    """``if err != nil { return x, nil }`` in a function whose last result is an error."""
    for statement in context.changed_nodes("return_statement"):
        values = statement.named_children[0] if statement.named_child_count else None
        if values is None or values.type != "expression_list" or not values.named_children:
            continue
        if values.named_children[-1].type != "nil":
            continue
        block = statement.parent
        if block is not None and block.type == "statement_list":
            block = block.parent
        if (
            block is None
            or block.type != "block"
            or block.parent is None
            or block.parent.type != "if_statement"
        ):
            continue
        if_statement = block.parent
        if field(if_statement, "consequence") != block:
            continue
        condition = field(if_statement, "condition")
        error_name = _is_error_check(condition) if condition is not None else None
        function = _enclosing_function(statement)
        if error_name is None or function is None or not _result_ends_with_error(function):
            continue
        if any(text(node) == error_name for node in descendants(values, frozenset({"identifier"}))):
            continue
        yield Hit.at(statement)


def _len_argument(node: Node | None) -> str | None:
    if node is None or node.type != "call_expression" or text(field(node, "function")) != "len":
        return None
    arguments = field(node, "arguments")
    if arguments is None or arguments.named_child_count != 1:
        return None
    return text(arguments.named_children[0])


@register(
    id="GO003",
    in_tests=True,
    title="Loop runs one past the end",
    languages=GO,
    message="Use `i < len(items)` (or `for i := range items`).",
    why="With `<=` the last iteration indexes `items[len(items)]`, which panics out of range.",
    confidence=0.8,
)
def loop_past_end(context: RuleContext) -> Iterator[Hit]:
    """``for i := 0; i <= len(items); i++ { items[i] }``."""
    for clause in context.changed_nodes("for_clause"):
        condition = field(clause, "condition")
        loop = clause.parent
        body = field(loop, "body") if loop is not None else None
        if condition is None or body is None or condition.type != "binary_expression":
            continue
        if text(field(condition, "operator")) != "<=":
            continue
        items = _len_argument(field(condition, "right"))
        index = text(field(condition, "left"))
        if items is None:
            continue
        for expression in descendants(body, frozenset({"index_expression"})):
            if text(field(expression, "operand")) == items and text(field(expression, "index")) == (
                index
            ):
                yield Hit.at(condition)
                break


_LOCKS = {"Lock": "Unlock", "RLock": "RUnlock"}


@register(
    id="GO004",
    title="Lock without unlock",
    languages=GO,
    message="Add `defer mu.Unlock()` right after `mu.Lock()`.",
    why=(
        "A mutex locked in a function that never unlocks it stays locked after return (or after "
        "a panic), and the next caller deadlocks."
    ),
    confidence=0.55,
)
def lock_without_unlock(context: RuleContext) -> Iterator[Hit]:
    """``mu.Lock()`` in a function that never calls ``mu.Unlock()``."""
    for call in context.changed_nodes("call_expression"):
        function = field(call, "function")
        if function is None or function.type != "selector_expression":
            continue
        unlock = _LOCKS.get(text(field(function, "field")))
        enclosing = _enclosing_function(call)
        if unlock is None or enclosing is None or field(call, "arguments") is None:
            continue
        mutex = text(field(function, "operand"))
        unlocked = any(
            text(field(selector, "field")) == unlock and text(field(selector, "operand")) == mutex
            for selector in descendants(enclosing, frozenset({"selector_expression"}))
        )
        if not unlocked:
            yield Hit.at(call)


@register(
    id="GO005",
    title="defer inside a loop",
    languages=GO,
    message="Move the loop body into a function so each deferred call runs per iteration.",
    why=(
        "Deferred calls run when the function returns, not at the end of the iteration: files, "
        "locks and connections opened in the loop pile up until then."
    ),
    confidence=0.6,
)
def defer_in_loop(context: RuleContext) -> Iterator[Hit]:
    """``for ... { f, _ := os.Open(p); defer f.Close() }``."""
    for statement in context.changed_nodes("defer_statement"):
        current = statement.parent
        while current is not None and current.type not in _FUNCTIONS:
            if current.type == "for_statement":
                yield Hit.at(statement)
                break
            current = current.parent
