"""The dashboard is a front-end: it reaches core only, and nothing in core reaches it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported_packages(folder: Path) -> dict[str, set[str]]:
    """Top-level packages imported by each module under ``folder`` (function bodies too)."""
    found: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        ("dashboard", {"github_app", "lsp_server", "ingest_server", "argus"}),
        ("core", {"dashboard"}),
    ],
)
def test_imports_stay_inside_the_boundaries(folder: str, forbidden: set[str]) -> None:
    crossing = {
        module: sorted(names & forbidden)
        for module, names in imported_packages(ROOT / folder).items()
        if names & forbidden
    }
    assert crossing == {}
