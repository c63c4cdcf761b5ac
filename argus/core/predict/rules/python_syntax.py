"""Questions about Python syntax trees shared by the Python rules."""

from __future__ import annotations

import re

from tree_sitter import Node

from argus.core.predict.rules.syntax import field, statements, text

PYTHON = ("python",)

SCOPES = frozenset({"function_definition", "lambda", "class_definition"})
FUNCTIONS = frozenset({"function_definition", "lambda"})

_SQL_WORDS = re.compile(
    r"\b(select|insert|update|delete|where|from|into|values|create|drop|alter|join|order\s+by)\b",
    re.IGNORECASE,
)


def is_async(function: Node) -> bool:
    """Whether a ``function_definition`` node is ``async def``."""
    first = function.child(0)
    return first is not None and first.type == "async"


def enclosing_function(node: Node) -> Node | None:
    """The nearest ``def`` (not lambda) around a node."""
    current = node.parent
    while current is not None:
        if current.type == "function_definition":
            return current
        current = current.parent
    return None


def scope_of(node: Node) -> Node:
    """The body of the nearest enclosing function, or the module."""
    function = enclosing_function(node)
    if function is not None:
        body = field(function, "body")
        if body is not None:
            return body
    current = node
    while current.parent is not None:
        current = current.parent
    return current


def call_name(call: Node) -> str:
    """The dotted text of a call's callee (``subprocess.run``), or "" for other callees."""
    function = field(call, "function")
    if function is None or function.type not in ("identifier", "attribute"):
        return ""
    return text(function)


def positional_arguments(call: Node) -> list[Node]:
    """A call's positional argument nodes (no keywords, no splats)."""
    arguments = field(call, "arguments")
    if arguments is None or arguments.type != "argument_list":
        return []
    return [
        child
        for child in arguments.named_children
        if child.type not in ("keyword_argument", "list_splat", "dictionary_splat", "comment")
    ]


def keyword_argument(call: Node, name: str) -> Node | None:
    """The value of a keyword argument, or None when it is not passed."""
    arguments = field(call, "arguments")
    if arguments is None:
        return None
    for child in arguments.named_children:
        if child.type == "keyword_argument" and text(field(child, "name")) == name:
            return field(child, "value")
    return None


def has_keyword_splat(call: Node) -> bool:
    """Whether a call passes ``**kwargs`` (which may carry any keyword)."""
    arguments = field(call, "arguments")
    return arguments is not None and any(
        child.type == "dictionary_splat" for child in arguments.named_children
    )


def is_string(node: Node) -> bool:
    """Whether a node is a string literal (plain, f-string, or implicit concatenation)."""
    return node.type in ("string", "concatenated_string")


def is_f_string_with_values(node: Node) -> bool:
    """Whether a string node interpolates at least one value."""
    if node.type == "concatenated_string":
        return any(is_f_string_with_values(child) for child in node.named_children)
    return node.type == "string" and any(
        child.type == "interpolation" for child in node.named_children
    )


def is_formatted_string(node: Node) -> bool:
    """Whether an expression builds a string from values: f-string, ``%``, ``+`` or ``.format``."""
    if is_string(node):
        return is_f_string_with_values(node)
    if node.type == "parenthesized_expression" and node.named_child_count == 1:
        inner = node.named_children[0]
        return is_formatted_string(inner)
    if node.type == "binary_operator":
        operator = text(field(node, "operator"))
        left, right = field(node, "left"), field(node, "right")
        if left is None or right is None:
            return False
        if operator == "%":
            return is_string(left)
        if operator == "+":
            parts = (left, right)
            has_literal = any(is_string(part) or is_formatted_string(part) for part in parts)
            has_value = any(not is_string(part) for part in parts)
            return has_literal and has_value
        return False
    if node.type == "call":
        function = field(node, "function")
        if function is not None and function.type == "attribute":
            receiver = field(function, "object")
            return text(field(function, "attribute")) == "format" and (
                receiver is not None and is_string(receiver)
            )
    return False


def looks_like_sql(node: Node) -> bool:
    """Whether the literal text inside an expression contains an SQL keyword."""
    return bool(_SQL_WORDS.search(text(node)))


def only_does_nothing(block: Node) -> bool:
    """Whether a block holds only ``pass``, ``continue`` or ``...``."""
    body = statements(block)
    if not body:
        return False
    for statement in body:
        if statement.type in ("pass_statement", "continue_statement"):
            continue
        if (
            statement.type == "expression_statement"
            and statement.named_child_count == 1
            and statement.named_children[0].type == "ellipsis"
        ):
            continue
        return False
    return True


def block_of(clause: Node) -> Node | None:
    """The ``block`` child of a clause (``except``, ``finally``, ``else``)."""
    for child in clause.named_children:
        if child.type == "block":
            return child
    return None
