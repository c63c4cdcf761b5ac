"""Lines that hold no code: comments, and in Python string statements (docstrings).

A change whose lines are all such lines (or blank) cannot be what a later fix repairs: SZZ
never blames them (``argus/core/predict/szz.py`` skips comment-only lines), and a reviewer does
not read a reworded docstring as a risk. The review uses this to keep such candidates at the
bottom of its ranking (``argus/core/predict/review.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

from tree_sitter import Node

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


def prose_patterns(language: str) -> str:
    """The query patterns (capture ``@prose``) of the language's prose nodes; "" for none."""
    return _PROSE_PATTERNS.get(language, "")


def lines_of(nodes: Sequence[Node], source: bytes) -> frozenset[int]:
    """1-based numbers of the lines that ``nodes`` (prose nodes of ``source``, captured with
    :func:`prose_patterns`) fill: lines whose only non-blank text is comments or (Python) string
    statements. Blank lines are not listed: callers see those from the text."""
    if not nodes:
        return frozenset()
    lines = source.split(b"\n")
    found: set[int] = set()
    # Rows where prose shares the line with other text: settled once all their spans are known.
    shared: dict[int, list[tuple[int, int]]] = {}
    for node in nodes:
        (first, start), (last, end) = node.start_point, node.end_point
        if last >= len(lines):
            last, end = len(lines) - 1, len(lines[-1])
        head, tail = lines[first], lines[last]
        if first == last:
            if head[:start].strip() or head[end:].strip():
                shared.setdefault(first, []).append((start, end))
            else:
                found.add(first + 1)
            continue
        if head[:start].strip():
            shared.setdefault(first, []).append((start, len(head)))
        else:
            found.add(first + 1)
        found.update(range(first + 2, last + 1))  # the rows strictly inside
        if tail[end:].strip():
            shared.setdefault(last, []).append((0, end))
        else:
            found.add(last + 1)
    for row, spans in shared.items():
        text, position = lines[row], 0
        for low, high in sorted(spans):
            if text[position:low].strip():
                break
            position = max(position, high)
        else:
            if not text[position:].strip():
                found.add(row + 1)
    return frozenset(found)
