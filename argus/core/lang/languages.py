"""Which language a path is written in, and a cached tree-sitter parser for it."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from tree_sitter import Language, Parser, Tree

# Grammar loaders are imported lazily so that importing this module does nothing.
_EXTENSIONS: dict[str, str] = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".jsx": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".java": "java",
}

SUPPORTED_LANGUAGES: tuple[str, ...] = ("python", "javascript", "typescript", "tsx", "go", "java")


def language_for_path(path: str) -> str | None:
    """The language name for a file path, or None when Argus has no grammar for it."""
    dot = path.rfind(".")
    if dot < 0 or "/" in path[dot:]:
        return None
    return _EXTENSIONS.get(path[dot:].lower())


def _grammar(name: str) -> Callable[[], Any]:
    if name == "python":
        import tree_sitter_python

        return tree_sitter_python.language
    if name == "javascript":
        import tree_sitter_javascript

        return tree_sitter_javascript.language
    if name == "typescript":
        import tree_sitter_typescript

        return tree_sitter_typescript.language_typescript
    if name == "tsx":
        import tree_sitter_typescript

        return tree_sitter_typescript.language_tsx
    if name == "go":
        import tree_sitter_go

        return tree_sitter_go.language
    if name == "java":
        import tree_sitter_java

        return tree_sitter_java.language
    raise KeyError(name)


@cache
def get_language(name: str) -> Language:
    """The tree-sitter Language object for a supported language name."""
    return Language(_grammar(name)())


@cache
def get_parser(name: str) -> Parser:
    """A parser for the language, created once per process."""
    return Parser(get_language(name))


def parse(source: bytes, language: str) -> Tree:
    """Parse source bytes; tree-sitter recovers from syntax errors, so this never raises."""
    return get_parser(language).parse(source)
