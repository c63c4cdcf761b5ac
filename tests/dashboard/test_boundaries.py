"""The dashboard is a front-end: it reaches core only, and nothing in core reaches it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _part(module: str) -> str:
    """The part of Argus a module belongs to: ``argus.core``, ``argus.dashboard``, ... or, for a
    module directly in argus/ (the composition root), ``argus``; other modules' top package."""
    parts = module.split(".")
    if parts[0] == "argus" and len(parts) > 1 and (ROOT / "argus" / parts[1]).is_dir():
        return ".".join(parts[:2])
    return parts[0]


def imported_packages(folder: Path) -> dict[str, set[str]]:
    """Parts of Argus (see ``_part``) imported by each module under ``folder`` (function bodies
    too)."""
    found: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(_part(alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(_part(node.module))
                if node.module == "argus":
                    names.update(_part(f"argus.{alias.name}") for alias in node.names)
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        (
            "argus/dashboard",
            {"argus.github_app", "argus.lsp_server", "argus.ingest_server", "argus"},
        ),
        ("argus/core", {"argus.dashboard"}),
    ],
)
def test_imports_stay_inside_the_boundaries(folder: str, forbidden: set[str]) -> None:
    crossing = {
        module: sorted(names & forbidden)
        for module, names in imported_packages(ROOT / folder).items()
        if names & forbidden
    }
    assert crossing == {}
