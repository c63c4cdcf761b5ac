"""The entry point for one file: its language, its symbols and whether it parsed cleanly."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.lang.languages import language_for_path, parse
from core.lang.symbols import Symbol, symbols_from_tree


@dataclass(frozen=True, slots=True)
class FileAnalysis:
    """What Argus knows about one source file's structure."""

    language: str | None  # None when Argus has no grammar for the file
    symbols: list[Symbol] = field(default_factory=list)
    has_errors: bool = False  # tree-sitter recovered from syntax errors; symbols are partial


def analyse_source(path: str, source: bytes) -> FileAnalysis:
    """Parse `source` as the language of `path` and extract its symbols; never raises.

    A path with no supported extension gives language None and no symbols.
    """
    language = language_for_path(path)
    if language is None:
        return FileAnalysis(language=None)
    tree = parse(source, language)
    return FileAnalysis(
        language=language,
        symbols=symbols_from_tree(tree, language),
        has_errors=tree.root_node.has_error,
    )
