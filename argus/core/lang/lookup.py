"""Which symbol owns a line: the innermost symbol whose span contains it.

"Innermost" means the containing symbol that starts last; among those starting on the same
line, the shorter one; among identical spans, the one later in the sequence. Spans from one
tree nest, but arbitrary (even partly overlapping) spans give the same answer either way.
"""

from __future__ import annotations

import sys
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from operator import attrgetter

from argus.core.lang.symbols import Symbol


def innermost_symbol(symbols: Sequence[Symbol], line: int) -> Symbol | None:
    """The innermost symbol containing the 1-based `line`, or None when the line is file-level."""
    best: Symbol | None = None
    for symbol in symbols:
        if symbol.start_line <= line <= symbol.end_line and (
            best is None
            or symbol.start_line > best.start_line
            or (symbol.start_line == best.start_line and symbol.end_line <= best.end_line)
        ):
            best = symbol
    return best


def map_lines_to_symbols(
    symbols: Sequence[Symbol], lines: Iterable[int]
) -> dict[Symbol | None, list[int]]:
    """Group 1-based lines by their innermost symbol (None = file level), keeping line order.

    Builds a table of line ranges with one owner each (O(s log s)), then bisects once per line.
    """
    starts, owners = _ownership_table(symbols)
    # Group by the owner's id: hashing a frozen dataclass per line would cost more than the rest.
    owner_ids = [id(owner) for owner in owners]
    by_id: dict[int, list[int]] = {}
    for line in lines:
        key = owner_ids[bisect_right(starts, line) - 1]
        bucket = by_id.get(key)
        if bucket is None:
            by_id[key] = [line]
        else:
            bucket.append(line)
    owner_by_id = {id(owner): owner for owner in owners}
    return {owner_by_id[key]: grouped for key, grouped in by_id.items()}


def _ownership_table(symbols: Sequence[Symbol]) -> tuple[list[int], list[Symbol | None]]:
    """Sorted first lines of ranges and the innermost symbol owning each range."""
    # The first range starts before any line, so every bisect lands on an entry.
    starts: list[int] = [-sys.maxsize]
    owners: list[Symbol | None] = [None]
    stack: list[Symbol] = []
    # Outer first: by start line, then the longer span first; two C-level stable sorts.
    ordered = sorted(symbols, key=_END, reverse=True)
    ordered.sort(key=_START)
    ordered.append(_SENTINEL)
    for symbol in ordered:
        line = symbol.start_line
        # Close every open symbol that ends before this one starts.
        while stack and stack[-1].end_line < line:
            closed = stack.pop()
            # Anything ending no later than the closed symbol is finished too (partial overlap).
            while stack and stack[-1].end_line <= closed.end_line:
                stack.pop()
            after = closed.end_line + 1
            if starts[-1] == after:
                owners[-1] = stack[-1] if stack else None
            else:
                starts.append(after)
                owners.append(stack[-1] if stack else None)
        if symbol is _SENTINEL:
            break
        if symbol.end_line < line:
            continue
        if starts[-1] == line:
            owners[-1] = symbol
        else:
            starts.append(line)
            owners.append(symbol)
        stack.append(symbol)
    return starts, owners


_START = attrgetter("start_line")
_END = attrgetter("end_line")
# Starts after every real line, so the sweep closes everything still open when it gets here.
_SENTINEL = Symbol("", "", "function", sys.maxsize, sys.maxsize, 1, None)
