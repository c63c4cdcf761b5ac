"""The App's modules: handlers are leaves, nothing imports another module's private names, and
no import cycle (imports inside functions and under TYPE_CHECKING count)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "argus" / "github_app"


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.module, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for module, names in _imports(path):
            for target in [module, *(f"{module}.{n}" for n in names)]:
                if target in modules and target != name:
                    graph[name].add(target)
    return graph


def test_handlers_never_import_the_dispatcher_or_each_other() -> None:
    graph = _graph()
    handlers = {name for name in graph if name.startswith("argus.github_app.handlers.")}
    for handler in handlers:
        assert "argus.github_app.dispatch" not in graph[handler], handler
        assert "argus.github_app.routes" not in graph[handler], handler
        registered = {"check_run", "installation", "issue_comment", "pull_request"}
        others = {f"argus.github_app.handlers.{name}" for name in registered} - {handler}
        assert not graph[handler] & others, (handler, graph[handler] & others)


def test_no_private_names_are_imported_across_modules() -> None:
    for name, path in _modules().items():
        for module, names in _imports(path):
            if module.startswith("argus"):
                private = [n for n in names if n.startswith("_") and n != "__version__"]
                assert not private, f"{name} imports {private} from {module}"


def test_the_apps_modules_have_no_import_cycle() -> None:
    graph = _graph()
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph[name]):
            assert state.get(target) != 1, " -> ".join([*path, name, target])
            if target not in state:
                visit(target, [*path, name])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])
