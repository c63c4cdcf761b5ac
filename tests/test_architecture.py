"""The shape of the package: one top-level package, ``argus``, no import cycle anywhere in it,
and the import-linter contracts (.importlinter) forbid every module of the composition root.

Everything lives under ``argus`` so that a project's own ``core`` or ``dashboard`` package (a
Django app, say) can neither shadow a part of Argus nor clash with it when both are installed.
"""

from __future__ import annotations

import configparser
import tomllib
from collections.abc import Iterator
from pathlib import Path

import grimp
import pytest
from setuptools import find_namespace_packages

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "argus"
# The parts of Argus below its composition root: the pure core and the front-ends.
CORE = "argus.core"
FRONT_ENDS = ("argus.github_app", "argus.lsp_server", "argus.ingest_server", "argus.dashboard")


def root_modules() -> set[str]:
    """The modules directly in argus/ (the composition root and the CLI), ``argus`` itself aside."""
    return {f"argus.{path.stem}" for path in PACKAGE.glob("*.py") if path.stem != "__init__"}


def contracts() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(ROOT / ".importlinter", encoding="utf-8")
    return parser


def listed(parser: configparser.ConfigParser, section: str, key: str) -> set[str]:
    return {line.strip() for line in parser[section][key].splitlines() if line.strip()}


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    # Imports for annotations only never run, so they make no cycle (as in .importlinter).
    return grimp.build_graph("argus", exclude_type_checking_imports=True)


def strongly_connected(graph: grimp.ImportGraph) -> Iterator[list[str]]:
    """Tarjan's strongly connected components of the module-level import graph, iteratively."""
    modules = sorted(graph.modules)
    edges = {m: sorted(graph.find_modules_directly_imported_by(m)) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    counter = 0
    for start in modules:
        if start in index:
            continue
        work: list[tuple[str, int]] = [(start, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = edges.get(node, [])
            if position < len(targets):
                work.append((node, position + 1))
                target = targets[position]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                yield sorted(component)


def test_no_module_level_import_cycle(graph: grimp.ImportGraph) -> None:
    cycles = [c for c in strongly_connected(graph) if len(c) > 1]
    self_imports = [m for m in graph.modules if m in graph.find_modules_directly_imported_by(m)]
    assert cycles == [] and self_imports == [], cycles or self_imports


def test_the_cycle_finder_finds_a_cycle() -> None:
    fake = grimp.ImportGraph()
    for module in ("p", "p.a", "p.b", "p.c", "p.d"):
        fake.add_module(module)
    fake.add_import(importer="p.a", imported="p.b")
    fake.add_import(importer="p.b", imported="p.c")
    fake.add_import(importer="p.c", imported="p.a")
    fake.add_import(importer="p.d", imported="p.a")
    assert [c for c in strongly_connected(fake) if len(c) > 1] == [["p.a", "p.b", "p.c"]]


def test_every_root_module_is_forbidden_to_core_and_the_front_ends() -> None:
    parser = contracts()
    root = root_modules()
    assert {"argus.cli", "argus.wiring", "argus.commands"} <= root
    pure = "importlinter:contract:core-is-pure"
    below = "importlinter:contract:front-ends-below-argus"
    assert listed(parser, pure, "source_modules") == {CORE}
    assert listed(parser, pure, "forbidden_modules") == root | set(FRONT_ENDS)
    assert listed(parser, below, "source_modules") == set(FRONT_ENDS)
    assert listed(parser, below, "forbidden_modules") == root
    apart = "importlinter:contract:front-ends-apart"
    assert listed(parser, apart, "modules") == set(FRONT_ENDS)


def test_no_part_imports_the_argus_package_itself(graph: grimp.ImportGraph) -> None:
    # import-linter cannot forbid ``argus`` alone (it would forbid every module under it).
    importers = graph.find_modules_that_directly_import("argus")
    assert {m for m in importers if m not in root_modules()} == set()


def test_every_package_has_its_acyclic_siblings_contract() -> None:
    parser = contracts()
    ancestors = listed(parser, "importlinter:contract:no-cycles-core", "ancestors")
    ancestors |= listed(parser, "importlinter:contract:no-cycles-front-ends", "ancestors")
    packages = {
        ".".join(path.parent.relative_to(ROOT).parts) for path in PACKAGE.rglob("__init__.py")
    }
    # A package of one module, or of modules that never import each other, needs no contract;
    # every package listed must exist.
    assert ancestors <= packages, ancestors - packages
    assert "argus.core.predict.linters" in ancestors


def test_the_wheel_has_one_top_level_package() -> None:
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    find = settings["tool"]["setuptools"]["packages"]["find"]
    packages = find_namespace_packages(
        where=str(ROOT), include=find.get("include", ["*"]), exclude=find.get("exclude", [])
    )
    assert {name.split(".")[0] for name in packages} == {"argus"}
    # Every package with an __init__.py under argus/ ships (none left out by the pattern).
    on_disk = {
        ".".join(path.parent.relative_to(ROOT).parts) for path in PACKAGE.rglob("__init__.py")
    }
    assert on_disk <= set(packages), on_disk - set(packages)
    # Package data is declared for packages that ship.
    assert set(settings["tool"]["setuptools"]["package-data"]) <= set(packages)
