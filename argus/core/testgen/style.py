"""Write a generated Python test in the project's own style: pytest or unittest, its naming.

Generators describe a test as :class:`TestSpec` (imports, set-up lines, one or more test
bodies); :func:`render` writes it as a pytest module or a ``unittest.TestCase`` depending on
the framework :func:`argus.core.testgen.frameworks.detect_style` found in the repository.
"""

from __future__ import annotations

import re
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from argus.core.testgen.frameworks import Framework, TestStyle, detect_style

_NOT_IDENTIFIER = re.compile(r"[^0-9a-zA-Z_]+")
_INDENT = "    "
_WIDTH = 99


@dataclass(frozen=True)
class TestBody:
    """One test: its name (without the ``test_`` prefix) and its statements, unindented."""

    __test__ = False

    name: str
    lines: tuple[str, ...]
    docstring: str = ""
    fixtures: tuple[str, ...] = ()  # pytest fixtures the test takes as parameters


@dataclass(frozen=True)
class TestSpec:
    """A whole test module before it is written in a framework's style."""

    __test__ = False

    docstring: str
    imports: tuple[str, ...] = ()
    setup: tuple[str, ...] = ()
    tests: tuple[TestBody, ...] = field(default=())
    needs_pytest: bool = False


def python_style(repo: Path | str) -> TestStyle:
    """The repository's Python test style (framework, folder, file naming)."""
    return detect_style(repo, "python")


def identifier(text: str, *, limit: int = 60) -> str:
    """``Orders.total (v2)`` -> ``orders_total_v2``: a safe lower-case Python identifier part."""
    cleaned = _NOT_IDENTIFIER.sub("_", text).strip("_").lower()
    cleaned = re.sub(r"_+", "_", cleaned)[:limit].strip("_")
    if not cleaned:
        return "generated"
    return cleaned if not cleaned[0].isdigit() else f"n{cleaned}"


def camel(text: str) -> str:
    """``unit_price`` -> ``UnitPrice``, for unittest class names."""
    return "".join(part[:1].upper() + part[1:] for part in identifier(text).split("_") if part)


def test_path(style: TestStyle, name: str, source_path: str | None = None) -> str:
    """Where a generated test named ``name`` goes in the repository (POSIX, repo-relative)."""
    return style.test_path(identifier(name), source_path)


def path_setup(test_file: str, import_root: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Imports and lines that put ``import_root`` (repo-relative; "" = the root) on sys.path.

    Tests run from the repository root, which is on the path already; a ``src/`` layout
    needs its folder added, relative to the test file so the test works from any checkout.
    """
    if import_root in ("", "."):
        return (), ()
    depth = len(PurePosixPath(test_file).parts) - 1
    root = f"Path(__file__).resolve().parents[{depth}]"
    target = " / ".join([root, *(repr(part) for part in PurePosixPath(import_root).parts)])
    return (
        ("import sys", "from pathlib import Path"),
        (f"sys.path.insert(0, str({target}))",),
    )


def render(spec: TestSpec, framework: Framework | str) -> str:
    """The test module's source text in ``framework``'s style (pytest or unittest)."""
    kind = Framework(framework)
    imports = list(spec.imports)
    if kind is Framework.UNITTEST:
        imports.append("import unittest")
    if spec.needs_pytest:
        imports.append("import pytest")
    lines = [docstring_literal(spec.docstring, ""), ""]
    lines.extend(import_block(imports, spec.setup))
    if kind is Framework.UNITTEST:
        lines.extend(["", ""])
        class_name = "Test" + camel(spec.tests[0].name if spec.tests else "generated")
        lines.append(f"class {class_name}(unittest.TestCase):")
        for number, test in enumerate(spec.tests):
            if number:
                lines.append("")
            lines.append(f"{_INDENT}def test_{identifier(test.name)}(self) -> None:")
            if test.docstring:
                lines.append(docstring_literal(test.docstring, _INDENT * 2))
            lines.extend(_indented(test.lines, _INDENT * 2))
        lines.extend(["", "", 'if __name__ == "__main__":', f"{_INDENT}unittest.main()"])
    else:
        for test in spec.tests:
            lines.extend(["", ""])
            lines.append(f"def test_{identifier(test.name)}({', '.join(test.fixtures)}) -> None:")
            if test.docstring:
                lines.append(docstring_literal(test.docstring, _INDENT))
            lines.extend(_indented(test.lines, _INDENT))
    return "\n".join(lines).rstrip() + "\n"


def import_block(imports: Sequence[str], setup: Sequence[str] = ()) -> list[str]:
    """Imports as isort would group them: standard library and test tools, then set-up lines
    (``sys.path``), then the project's own imports, which may need the set-up."""
    unique = list(dict.fromkeys(imports))
    project = [line for line in unique if is_project_import(line)]
    standard = [line for line in unique if line not in project]
    groups = [
        sorted(line for line in standard if line.startswith("import "))
        + sorted(line for line in standard if line.startswith("from ")),
        list(setup),
        sorted(line for line in project if line.startswith("import "))
        + sorted(line for line in project if line.startswith("from ")),
    ]
    block: list[str] = []
    for group in groups:
        if group:
            if block:
                block.append("")
            block.extend(group)
    return block


_STANDARD_MODULES = frozenset({*sys.stdlib_module_names, "pytest", "hypothesis"})


def is_project_import(line: str) -> bool:
    """True for an import of something outside the standard library, pytest and Hypothesis."""
    words = line.split()
    module = words[1].split(".")[0] if len(words) > 1 else ""
    return module not in _STANDARD_MODULES


def docstring_literal(text: str, indent: str = "") -> str:
    """``text`` as a triple-quoted docstring at ``indent``, wrapped to the line width."""
    safe = text.replace("\\", "\\\\").replace('"""', "'''").strip()
    safe = "\n\n".join(
        textwrap.fill(paragraph, width=_WIDTH - len(indent), break_long_words=False)
        for paragraph in safe.split("\n\n")
    )
    if "\n" not in safe:
        return f'{indent}"""{safe}"""'
    body = "\n".join((indent + line) if line.strip() else "" for line in safe.split("\n"))
    return f'{indent}"""{body.lstrip()}\n{indent}"""'


def _indented(lines: Sequence[str], indent: str) -> list[str]:
    if not lines:
        return [f"{indent}pass"]
    return [(indent + line) if line.strip() else "" for line in lines]
