"""Lines that hold no code: comments, and in Python string statements (docstrings).

A change whose lines are all such lines (or blank) cannot be what a later fix repairs: SZZ
never blames them (``core/predict/szz.py`` skips comment-only lines), and a reviewer does not
read a reworded docstring as a risk. The review uses this to keep such candidates at the bottom
of its ranking (``core/predict/review.py``).
"""

from __future__ import annotations

from functools import cache

from tree_sitter import Node, Query, QueryCursor, Tree

from argus.core.lang.languages import get_language

# Per language: the nodes that are prose wherever they stand. A JavaScript string statement
# ("use strict") is a directive, not prose, so only Python's string statements count.
_PROSE_PATTERNS: dict[str, str] = {
    "python": (
        "(comment) @prose (expression_statement (string) @prose)"
        " (expression_statement (concatenated_string) @prose)"
    ),
    "javascript": "(comment) @prose",
    "typescript": "(comment) @prose",
    "tsx": "(comment) @prose",
    "go": "(comment) @prose",
    "java": "[(line_comment) (block_comment)] @prose",
}


@cache
def _prose_query(language: str) -> Query | None:
    pattern = _PROSE_PATTERNS.get(language)
    return Query(get_language(language), pattern) if pattern else None


def prose_lines(tree: Tree, source: bytes, language: str) -> frozenset[int]:
    """1-based numbers of the lines whose only non-blank text is comments or (Python) string
    statements. Blank lines are not listed: callers see those from the text."""
    query = _prose_query(language)
    if query is None:
        return frozenset()
    nodes: list[Node] = QueryCursor(query).captures(tree.root_node).get("prose", [])
    if not nodes:
        return frozenset()
    lines = source.split(b"\n")
    # Per line, the byte spans covered by prose; a line is prose when only blanks lie between.
    covered: dict[int, list[tuple[int, int]]] = {}
    for node in nodes:
        (first, start), (last, end) = node.start_point, node.end_point
        for row in range(first, last + 1):
            if row >= len(lines):
                break
            low = start if row == first else 0
            high = end if row == last else len(lines[row])
            covered.setdefault(row, []).append((low, high))
    found = set()
    for row, spans in covered.items():
        text, position = lines[row], 0
        for low, high in sorted(spans):
            if text[position:low].strip():
                break
            position = max(position, high)
        else:
            if not text[position:].strip():
                found.add(row + 1)
    return frozenset(found)
