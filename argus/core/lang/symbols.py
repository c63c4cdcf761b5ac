"""Functions, methods and classes of a source file, with spans, nesting and complexity.

`extract_symbols` makes one tree-sitter query pass that captures definitions and decision
points, sweeps the definitions in document order with a stack of the symbols still open, and
bisects each decision into the innermost symbol around it. No Python recursion, so deeply
nested code cannot overflow the stack. What is a symbol and how it is
named is documented in `argus.core.lang.definitions`; what counts towards complexity in
`argus.core.lang.complexity`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from functools import cache

from tree_sitter import Node, Query, QueryCursor, Tree

from argus.core.errors import ArgusError
from argus.core.lang.complexity import counted_cases, decision_patterns
from argus.core.lang.definitions import Definition, definition_patterns, describe
from argus.core.lang.languages import SUPPORTED_LANGUAGES, get_language, parse
from argus.core.lang.prose import lines_of, prose_patterns


@dataclass(frozen=True, slots=True)
class Symbol:
    """A function, method or class, with 1-based inclusive line span and McCabe complexity."""

    name: str
    qualified_name: str
    kind: str  # "function" | "method" | "class"
    start_line: int
    end_line: int
    complexity: int  # cyclomatic; always 1 for classes
    parent: str | None  # qualified name of the enclosing symbol


@dataclass(slots=True)
class _Open:
    """A symbol being built while the sweep is still inside it."""

    name: str
    qualified_name: str
    kind: str
    start_line: int
    end_line: int
    parent: str | None
    end_byte: int
    decisions: int = 0


def extract_symbols(source: bytes, language: str) -> list[Symbol]:
    """The symbols of `source` in a supported language, ordered by start line (outer first).

    Raises ArgusError for a language name Argus has no grammar for; syntax errors never
    raise (tree-sitter recovers and the symbols that parse are returned).
    """
    if language not in SUPPORTED_LANGUAGES:
        supported = ", ".join(SUPPORTED_LANGUAGES)
        raise ArgusError(f"no grammar for language {language!r}; use one of: {supported}")
    return symbols_from_tree(parse(source, language), language)


@cache
def _structure_query(language: str) -> Query:
    source = definition_patterns(language) + "\n" + decision_patterns(language)
    return Query(get_language(language), source)


@cache
def _structure_and_prose_query(language: str) -> Query:
    source = "\n".join(
        (definition_patterns(language), decision_patterns(language), prose_patterns(language))
    )
    return Query(get_language(language), source)


def symbols_from_tree(tree: Tree, language: str) -> list[Symbol]:
    """The symbols of an already parsed tree (see `extract_symbols`)."""
    # One query pass for definitions and decisions alike: each pass visits every node.
    captures = QueryCursor(_structure_query(language)).captures(tree.root_node)
    return _symbols(captures, language)


def symbols_and_prose(
    tree: Tree, source: bytes, language: str
) -> tuple[list[Symbol], frozenset[int]]:
    """The symbols of a parsed tree and its prose lines (:func:`argus.core.lang.prose.lines_of`)
    from one query pass: a pass costs as much as the tree is large, whatever it looks for."""
    captures = QueryCursor(_structure_and_prose_query(language)).captures(tree.root_node)
    return _symbols(captures, language), lines_of(captures.get("prose", []), source)


def _symbols(captures: dict[str, list[Node]], language: str) -> list[Symbol]:
    definitions: list[Node] = captures.get("definition", [])
    # Outer before inner: by start, then the larger end first (stable, so nearly free).
    definitions.sort(key=lambda node: (node.start_byte, -node.end_byte))
    built: list[_Open] = []
    stack: list[_Open] = []
    # Byte offsets where the innermost open symbol changes, and that symbol (None = none).
    boundaries: list[int] = []
    owners: list[_Open | None] = []
    for node in definitions:
        start_byte = node.start_byte
        while stack and stack[-1].end_byte <= start_byte:
            closed = stack.pop()
            boundaries.append(closed.end_byte)
            owners.append(stack[-1] if stack else None)
        found = describe(node, language)
        if found is None:
            continue
        enclosing = stack[-1] if stack else None
        opened = _open(found, enclosing, node.end_byte)
        built.append(opened)
        stack.append(opened)
        boundaries.append(start_byte)
        owners.append(opened)
    while stack:
        closed = stack.pop()
        boundaries.append(closed.end_byte)
        owners.append(stack[-1] if stack else None)
    if built:
        decisions = captures.get("decision", [])
        decisions.extend(counted_cases(captures.get("case", ()), language))
        # The first boundary is where the first symbol starts, so position 0 means "before it".
        positions = Counter([bisect_right(boundaries, node.start_byte) for node in decisions])
        for position, count in positions.items():
            owner = owners[position - 1] if position > 0 else None
            if owner is not None:
                owner.decisions += count
    built.sort(key=lambda item: (item.start_line, -item.end_line))
    return [
        Symbol(
            item.name,
            item.qualified_name,
            item.kind,
            item.start_line,
            item.end_line,
            1 if item.kind == "class" else 1 + item.decisions,
            item.parent,
        )
        for item in built
    ]


def _open(found: Definition, enclosing: _Open | None, end_byte: int) -> _Open:
    kind = found.kind
    if kind == "function" and enclosing is not None and enclosing.kind == "class":
        kind = "method"
    prefix = [enclosing.qualified_name] if enclosing is not None else []
    if found.container:
        prefix.append(found.container)
    return _Open(
        name=found.name,
        qualified_name=".".join([*prefix, found.name]),
        kind=kind,
        start_line=found.start_line,
        end_line=found.end_line,
        parent=enclosing.qualified_name if enclosing is not None else None,
        end_byte=end_byte,
    )
