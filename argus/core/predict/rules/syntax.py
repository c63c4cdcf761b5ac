"""Small, language-neutral questions about tree-sitter nodes that several rules ask."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node


def text(node: Node | None) -> str:
    """The source text of a node, or "" for no node."""
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", errors="replace")


def field(node: Node, name: str) -> Node | None:
    """The child in a named field, if present."""
    return node.child_by_field_name(name)


def ancestor(node: Node, types: frozenset[str], stop: frozenset[str] = frozenset()) -> Node | None:
    """The nearest ancestor of one of ``types``, not looking past an ancestor of ``stop`` types."""
    current = node.parent
    while current is not None:
        if current.type in types:
            return current
        if current.type in stop:
            return None
        current = current.parent
    return None


def descendants(
    node: Node, types: frozenset[str], skip: frozenset[str] = frozenset()
) -> Iterator[Node]:
    """Named descendants of ``node`` of the given types, not entering subtrees of ``skip`` types."""
    stack = list(reversed(node.named_children))
    while stack:
        current = stack.pop()
        if current.type in types:
            yield current
        if current.type in skip:
            continue
        stack.extend(reversed(current.named_children))


def statements(block: Node) -> list[Node]:
    """The statements of a block, without comments."""
    return [child for child in block.named_children if child.type != "comment"]


def has_comment(node: Node) -> bool:
    """Whether a node directly contains a comment (a sign that an empty body is deliberate)."""
    return any(child.type == "comment" for child in node.named_children)


def mentions(node: Node, name: str, types: frozenset[str]) -> bool:
    """Whether ``node`` contains a node of one of ``types`` whose text is exactly ``name``."""
    return any(text(found) == name for found in descendants(node, types))
