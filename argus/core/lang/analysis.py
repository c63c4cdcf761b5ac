"""The entry point for one file: its language, its symbols and whether it parsed cleanly."""

from __future__ import annotations

from dataclasses import dataclass, field

from tree_sitter import Tree

from argus.core.lang.languages import language_for_path, parse
from argus.core.lang.symbols import Symbol, symbols_and_prose

# Parsing runs at a few MB/s; past this a file is generated or vendored, not reviewed code.
DEFAULT_MAX_BYTES = 2_000_000
# Like git: a NUL byte in the first 8,000 bytes means the file is binary.
_BINARY_PROBE = 8000


@dataclass(frozen=True, slots=True)
class FileAnalysis:
    """What Argus knows about one source file's structure."""

    language: str | None  # None when Argus has no grammar for the file
    symbols: list[Symbol] = field(default_factory=list)
    has_errors: bool = False  # tree-sitter recovered from syntax errors; symbols are partial
    skipped: str | None = None  # why the file was not parsed ("binary", "too large"), if it was not
    # 1-based lines holding only comments or (Python) docstrings: no code (argus/core/lang/prose.py)
    prose_lines: frozenset[int] = frozenset()


def analyse_source(path: str, source: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> FileAnalysis:
    """Parse `source` as the language of `path` and extract its symbols; never raises.

    A path with no supported extension gives language None and no symbols. Binary content
    and files over `max_bytes` are not parsed: no symbols, and `skipped` says why.
    """
    return analyse_with_tree(path, source, max_bytes=max_bytes)[0]


def analyse_with_tree(
    path: str, source: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[FileAnalysis, Tree | None]:
    """Like :func:`analyse_source`, also returning the parse tree (None when not parsed), so
    that callers running further checks on the same file parse it only once."""
    language = language_for_path(path)
    if language is None:
        return FileAnalysis(language=None), None
    if b"\0" in source[:_BINARY_PROBE]:
        return FileAnalysis(language=language, skipped="binary"), None
    if len(source) > max_bytes:
        return FileAnalysis(language=language, skipped="too large"), None
    tree = parse(source, language)
    symbols, prose = symbols_and_prose(tree, source, language)
    analysis = FileAnalysis(
        language=language,
        symbols=symbols,
        has_errors=tree.root_node.has_error,
        prose_lines=prose,
    )
    return analysis, tree
