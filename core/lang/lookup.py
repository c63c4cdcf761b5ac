"""Which symbol owns a line: the innermost symbol whose span contains it.

"Innermost" means the containing symbol that starts last; among those starting on the same
line, the shorter one; among identical spans, the one later in the sequence. Spans from one
tree nest, but arbitrary (even partly overlapping) spans give the same answer either way.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence

from core.lang.symbols import Symbol


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
    grouped: dict[Symbol | None, list[int]] = {}
    for line in lines:
        position = bisect_right(starts, line) - 1
        owner = owners[position] if position >= 0 else None
        bucket = grouped.get(owner)
        if bucket is None:
            grouped[owner] = [line]
        else:
            bucket.append(line)
    return grouped


def _ownership_table(symbols: Sequence[Symbol]) -> tuple[list[int], list[Symbol | None]]:
    """Sorted first lines of ranges and the innermost symbol owning each range."""
    starts: list[int] = []
    owners: list[Symbol | None] = []

    def begin(line: int, owner: Symbol | None) -> None:
        if starts and starts[-1] == line:
            owners[-1] = owner
        else:
            starts.append(line)
            owners.append(owner)

    stack: list[Symbol] = []

    def close_before(line: int) -> None:
        while stack and stack[-1].end_line < line:
            closed = stack.pop()
            # Anything ending no later than the closed symbol is finished too (partial overlap).
            while stack and stack[-1].end_line <= closed.end_line:
                stack.pop()
            begin(closed.end_line + 1, stack[-1] if stack else None)

    ordered = sorted(
        (symbol for symbol in symbols if symbol.end_line >= symbol.start_line),
        key=lambda symbol: (symbol.start_line, -symbol.end_line),
    )
    for symbol in ordered:
        close_before(symbol.start_line)
        begin(symbol.start_line, symbol)
        stack.append(symbol)
    if ordered:
        close_before(max(symbol.end_line for symbol in ordered) + 1)
    return starts, owners
