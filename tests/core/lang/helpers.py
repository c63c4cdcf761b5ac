"""Shared helpers for the argus/core/lang tests."""

from __future__ import annotations

import textwrap

from argus.core.lang import Symbol, extract_symbols
from argus.core.lang.languages import parse

Row = tuple[str, str, int, int, int, str | None]


def source(text: str) -> bytes:
    """Dedent a snippet and drop the first newline so line 1 is its first line."""
    return textwrap.dedent(text).removeprefix("\n").encode()


def rows(symbols: list[Symbol]) -> list[Row]:
    """(kind, qualified name, start, end, complexity, parent) per symbol, in order."""
    return [
        (s.kind, s.qualified_name, s.start_line, s.end_line, s.complexity, s.parent)
        for s in symbols
    ]


def only_complexity(text: str, language: str, name: str = "f") -> int:
    """The complexity of the one symbol called `name` in a snippet."""
    code = source(text)
    assert not parse(code, language).root_node.has_error, "snippet must be valid code"
    found = [s for s in extract_symbols(code, language) if s.name == name]
    assert len(found) == 1, found
    return found[0].complexity
