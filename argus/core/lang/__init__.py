"""Tree-sitter structure of source files: symbols, spans, complexity and line ownership."""

from argus.core.lang.analysis import FileAnalysis, analyse_source, analyse_with_tree
from argus.core.lang.languages import SUPPORTED_LANGUAGES, language_for_path
from argus.core.lang.lookup import innermost_symbol, map_lines_to_symbols
from argus.core.lang.symbols import Symbol, extract_symbols, symbols_from_tree

__all__ = [
    "SUPPORTED_LANGUAGES",
    "FileAnalysis",
    "Symbol",
    "analyse_source",
    "analyse_with_tree",
    "extract_symbols",
    "innermost_symbol",
    "language_for_path",
    "map_lines_to_symbols",
    "symbols_from_tree",
]
