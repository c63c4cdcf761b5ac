"""Python rules about control flow: loops, dead code, async, and guards removed by the change."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property

from tree_sitter import Node

from argus.core.predict.rules.base import Hit, RuleContext, register
from argus.core.predict.rules.python_syntax import (
    PYTHON,
    SCOPES,
    call_name,
    enclosing_function,
    is_async,
)
from argus.core.predict.rules.syntax import descendants, field, statements, text

# append/extend are left out on purpose: growing a list while a for-loop walks it is the
# ordinary work-list idiom, and the loop does see the new items.
_GROWING_OR_SHRINKING = frozenset(
    {
        "insert",
        "remove",
        "pop",
        "clear",
        "add",
        "discard",
        "update",
        "popitem",
        "setdefault",
    }
)
_LEAVES_LOOP = frozenset({"break_statement", "return_statement", "raise_statement"})


def _statement_of(node: Node, stop: Node) -> Node:
    current = node
    while current.parent is not None and current.parent != stop and current.parent.type != "block":
        current = current.parent
    return current


def _loop_stops_after(statement: Node) -> bool:
    """Whether a later statement in the same block leaves the loop."""
    sibling = statement.next_named_sibling
    while sibling is not None:
        if sibling.type in _LEAVES_LOOP:
            return True
        sibling = sibling.next_named_sibling
    return False


def _mutations(body: Node, collection: str) -> Iterator[Node]:
    for node in descendants(body, frozenset({"call", "delete_statement"}), skip=SCOPES):
        if node.type == "call":
            function = field(node, "function")
            if (
                function is not None
                and function.type == "attribute"
                and text(field(function, "object")) == collection
                and text(field(function, "attribute")) in _GROWING_OR_SHRINKING
            ):
                yield node
        else:
            for target in node.named_children:
                if target.type == "subscript" and text(field(target, "value")) == collection:
                    yield node


@register(
    id="PY014",
    in_tests=True,
    title="Collection changed while iterating over it",
    languages=PYTHON,
    message="Iterate over a copy (`for x in list(xs):`) or build a new collection instead.",
    why=(
        "Adding or removing items while a for-loop walks the same list skips or repeats items; "
        "for a dict or set it raises RuntimeError."
    ),
    confidence=0.65,
)
def mutation_while_iterating(context: RuleContext) -> Iterator[Hit]:
    """``for x in xs: xs.remove(x)`` (unless the loop stops right after)."""
    for loop in context.changed_nodes("for_statement"):
        iterable, body = field(loop, "right"), field(loop, "body")
        if iterable is None or body is None or iterable.type not in ("identifier", "attribute"):
            continue
        for mutation in _mutations(body, text(iterable)):
            if not _loop_stops_after(_statement_of(mutation, body)):
                yield Hit.at(mutation)


_TERMINATORS = frozenset(
    {"return_statement", "raise_statement", "continue_statement", "break_statement"}
)


def _is_generator_marker(statement: Node) -> bool:
    return any(True for _ in descendants(statement, frozenset({"yield"}))) or statement.type in (
        "yield",
    )


@register(
    id="PY017",
    in_tests=True,
    title="Unreachable code",
    languages=PYTHON,
    message="Remove the dead code or move it before the return/raise/break/continue.",
    why=(
        "Code after a return, raise, break or continue in the same block never runs; it usually "
        "means a statement was meant to run first, or an indentation slip."
    ),
    confidence=0.75,
)
def unreachable_code(context: RuleContext) -> Iterator[Hit]:
    """Statements that follow a return/raise/break/continue in the same block."""
    for block in context.changed_nodes("block"):
        body = statements(block)
        for position, statement in enumerate(body[:-1]):
            if statement.type not in _TERMINATORS:
                continue
            following = body[position + 1]
            if not _is_generator_marker(following):
                yield Hit.at(following)
            break


@register(
    id="PY018",
    in_tests=True,
    title="Blocking sleep in async function",
    languages=PYTHON,
    message="Use `await asyncio.sleep(...)`.",
    why=(
        "`time.sleep` inside `async def` blocks the whole event loop: every other task, request "
        "and timer stalls for the duration."
    ),
    confidence=0.8,
)
def blocking_sleep(context: RuleContext) -> Iterator[Hit]:
    """``time.sleep(...)`` called directly inside ``async def``."""
    imported_sleep = b"from time import sleep" in context.source
    for call in context.changed_nodes("call"):
        name = call_name(call)
        if name != "time.sleep" and not (name == "sleep" and imported_sleep):
            continue
        function = enclosing_function(call)
        if function is not None and is_async(function):
            yield Hit.at(call)


class _Coroutines:
    """The coroutine functions a module defines: top-level ``async def`` and async methods."""

    def __init__(self, root: Node) -> None:
        self.root = root

    @cached_property
    def functions(self) -> frozenset[str]:
        return self._names(self.root, want_async=True) - self._names(self.root, want_async=False)

    @staticmethod
    def _names(container: Node, want_async: bool) -> frozenset[str]:
        names = set()
        for child in container.named_children:
            definition = child
            if child.type == "decorated_definition":
                definition = field(child, "definition") or child
                if want_async:
                    # A decorator may turn the coroutine function into one that schedules it
                    # (Twisted's deferred_f_from_coro_f, functools wrappers): calling it is
                    # then right, so decorated ones are not counted as coroutines.
                    continue
            if definition.type == "function_definition" and is_async(definition) == want_async:
                names.add(text(field(definition, "name")))
        return frozenset(names)

    def methods(self, class_body: Node) -> frozenset[str]:
        return self._names(class_body, want_async=True) - self._names(class_body, want_async=False)


def _enclosing_class_body(node: Node) -> Node | None:
    current = node.parent
    while current is not None:
        if current.type == "class_definition":
            return field(current, "body")
        current = current.parent
    return None


def _used_without_await(call: Node) -> bool:
    parent = call.parent
    if parent is None:
        return False
    if parent.type == "expression_statement" and parent.named_child_count == 1:
        return True
    if parent.type == "not_operator":
        parent = parent.parent
        if parent is None:
            return False
    return parent.type in ("if_statement", "while_statement", "elif_clause") and (
        field(parent, "condition") in (call, call.parent)
    )


@register(
    id="PY019",
    in_tests=True,
    title="Coroutine called without await",
    languages=PYTHON,
    message="Add `await` (or schedule it with `asyncio.create_task(...)` and keep the task).",
    why=(
        "Calling an `async def` function only creates a coroutine; without `await` its body "
        "never runs, and in a condition the coroutine object is always true."
    ),
    confidence=0.8,
)
def missing_await(context: RuleContext) -> Iterator[Hit]:
    """A call to an ``async def`` of this file whose coroutine is dropped or tested for truth."""
    coroutines: _Coroutines | None = None
    for call in context.changed_nodes("call"):
        if not _used_without_await(call):
            continue
        function = field(call, "function")
        if function is None:
            continue
        called = text(field(function, "attribute") if function.type == "attribute" else function)
        if f"async def {called}(".encode() not in context.source:
            continue  # cheap test first: no coroutine of that name is defined in this file
        if coroutines is None:
            coroutines = _Coroutines(context.tree.root_node)
        if function.type == "identifier" and text(function) in coroutines.functions:
            yield Hit.at(call, f"`{text(function)}` is `async def`.")
        elif function.type == "attribute" and text(field(function, "object")) in ("self", "cls"):
            class_body = _enclosing_class_body(call)
            method = text(field(function, "attribute"))
            if class_body is not None and method in coroutines.methods(class_body):
                yield Hit.at(call, f"`{method}` is `async def`.")


_GUARD_TYPES = frozenset({"comparison_operator", "not_operator", "identifier", "attribute"})


def _guarded_name(condition: Node) -> str | None:
    """``x`` for conditions ``x is None``, ``x is not None``, ``x == None``, ``not x``."""
    if condition.type == "parenthesized_expression" and condition.named_child_count == 1:
        condition = condition.named_children[0]
    if condition.type == "not_operator":
        argument = field(condition, "argument")
        if argument is not None and argument.type in ("identifier", "attribute"):
            return text(argument)
        return None
    if condition.type == "comparison_operator" and condition.named_child_count == 2:
        left, right = condition.named_children
        if right.type == "none" and left.type in ("identifier", "attribute"):
            return text(left)
    return None


_GUARDING_PARENTS = frozenset(
    {
        "comparison_operator",
        "not_operator",
        "boolean_operator",
        "conditional_expression",
        "assert_statement",
    }
)
_CONDITION_OWNERS = frozenset({"if_statement", "elif_clause", "while_statement"})
_STATEMENT_END = frozenset({"block", "function_definition", "class_definition", "module"})


def _key(name: str) -> str:
    """The last segment of ``a.b._c`` without leading underscores: what a rewrite keeps."""
    return name.rsplit(".", 1)[-1].lstrip("_")


def _in_test(node: Node) -> bool:
    """Whether ``node`` sits inside a condition, comparison, boolean or conditional expression."""
    child = node
    parent = node.parent
    while parent is not None and parent.type not in _STATEMENT_END:
        if parent.type in _GUARDING_PARENTS:
            return True
        if parent.type in _CONDITION_OWNERS and field(parent, "condition") == child:
            return True
        child, parent = parent, parent.parent
    return False


def _still_guarded(function: Node, name: str, added: frozenset[int]) -> bool:
    """Whether the new function still tests the value some way: the same name (or the private
    attribute a property wraps, or an alias) in a condition, an ``or`` default, a conditional
    expression or an assert; or whether the change now computes the value itself."""
    key = _key(name)
    for node in descendants(function, frozenset({"identifier"})):
        if text(node).lstrip("_") == key and _in_test(node):
            return True
    for assignment in descendants(function, frozenset({"assignment"})):
        if text(field(assignment, "left")) == name and assignment.start_point.row + 1 in added:
            return True
    return False


def _dereferences(function: Node, name: str) -> Node | None:
    """The first place the new function reads an attribute of, indexes or calls ``name``."""
    for node in descendants(function, frozenset({"attribute", "subscript", "call"})):
        target = field(node, "object") or field(node, "value") or field(node, "function")
        if target is not None and text(target) == name:
            return node
    return None


def _function_named(root: Node, qualified: list[str]) -> Node | None:
    """Find ``Class.method`` or ``function`` by name path in a module tree."""
    container: Node | None = root
    found: Node | None = None
    for name in qualified:
        if container is None:
            return None
        found = None
        for child in container.named_children:
            definition = child
            if child.type == "decorated_definition":
                definition = field(child, "definition") or child
            if (
                definition.type in ("function_definition", "class_definition")
                and text(field(definition, "name")) == name
            ):
                found = definition
                break
        if found is None:
            return None
        container = field(found, "body")
    return found


def _qualified_name(function: Node) -> list[str]:
    names: list[str] = []
    current: Node | None = function
    while current is not None:
        if current.type in ("function_definition", "class_definition"):
            names.append(text(field(current, "name")))
        current = current.parent
    return list(reversed(names))


@register(
    id="PY010",
    title="Removed None check",
    languages=PYTHON,
    message="Restore the check, or make sure the value can no longer be None here.",
    why=(
        "The change deletes a guard against None (or an empty value) while the function still "
        "uses that value, so the case the guard handled now fails with an AttributeError or "
        "TypeError."
    ),
    confidence=0.5,
)
def removed_none_check(context: RuleContext) -> Iterator[Hit]:
    """An ``if x is None`` / ``if not x`` guard deleted from a function that still uses ``x``."""
    if context.old_tree is None:
        return
    for statement in context.removed_nodes("if_statement"):
        header_line = statement.start_point.row + 1
        condition = field(statement, "condition")
        if header_line not in context.removed_lines or condition is None:
            continue
        name = _guarded_name(condition)
        old_function = enclosing_function(statement)
        if name is None or old_function is None:
            continue
        new_function = _function_named(context.tree.root_node, _qualified_name(old_function))
        if new_function is None or new_function.type != "function_definition":
            continue
        body = field(new_function, "body")
        if body is None or _still_guarded(body, name, context.changed_lines):
            continue
        use = _dereferences(body, name)
        if use is None:
            continue
        # Reported where the value is now used unguarded, never on a comment or blank line.
        line = use.start_point.row + 1
        yield Hit(
            line=line,
            end_line=line,
            message=(
                f"The guard `if {text(condition)}:` was removed, and `{text(use)[:60]}` now "
                f"runs even when `{name}` is None or empty."
            ),
            old_line=header_line,
        )
