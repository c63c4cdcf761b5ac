"""A repository at one commit (or its working tree) as generators see it: files and modules.

Frames of production errors carry deployment paths (``/srv/app/orders/pricing.py``,
``.../site-packages/orders/pricing.py``); :meth:`RepoView.map_path` finds the repository file
they are, by the longest matching path suffix. :meth:`RepoView.import_path` gives the module
name a test imports and the folder that must be on ``sys.path`` for it (``src/`` layouts).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from argus.core.diff.git import run_git
from argus.core.errors import ArgusError

_MAX_SOURCE_BYTES = 2_000_000


@dataclass(frozen=True)
class ImportPath:
    """How a test imports a repository file: ``module``, with ``root`` on sys.path."""

    module: str
    root: str  # repo-relative folder; "" is the repository root


class RepoView:
    """Read-only view of ``repo`` at ``ref`` (None: the working tree, tracked files only)."""

    def __init__(self, repo: Path | str, ref: str | None = None):
        self.repo = Path(repo)
        self.ref = ref
        if ref is None:
            listing = run_git(self.repo, "ls-files", "-z")
        else:
            listing = run_git(self.repo, "ls-tree", "-r", "-z", "--name-only", ref)
        names = listing.decode("utf-8", "surrogateescape").split("\0")
        self.files: tuple[str, ...] = tuple(name for name in names if name)
        self._set = frozenset(self.files)
        self._by_name: dict[str, list[str]] = {}
        for name in self.files:
            self._by_name.setdefault(PurePosixPath(name).name, []).append(name)

    def exists(self, path: str) -> bool:
        """True when ``path`` (repo-relative) is a file of this view."""
        return path in self._set

    def read(self, path: str) -> str:
        """The text of a repository file at this view's commit."""
        if self.ref is None:
            data = (self.repo / path).read_bytes()[:_MAX_SOURCE_BYTES]
        else:
            data = run_git(self.repo, "show", f"{self.ref}:{path}")[:_MAX_SOURCE_BYTES]
        return data.decode("utf-8", "replace")

    def map_path(self, frame_path: str, module: str | None = None) -> str | None:
        """The repository file a frame's path names, or None when none or several fit.

        The file name must match; among those, the one sharing the longest trailing run of
        folders wins. A tie is broken by the frame's module name (``orders.pricing``).
        """
        if not frame_path:
            return None
        parts = PurePosixPath(frame_path.replace("\\", "/")).parts
        if not parts:
            return None
        candidates = self._by_name.get(parts[-1], [])
        if not candidates:
            return None
        scored: list[tuple[int, str]] = []
        for candidate in candidates:
            mine = PurePosixPath(candidate).parts
            common = 0
            while common < min(len(mine), len(parts)) and mine[-1 - common] == parts[-1 - common]:
                common += 1
            scored.append((common, candidate))
        best = max(score for score, _ in scored)
        winners = [candidate for score, candidate in scored if score == best]
        if len(winners) == 1:
            return winners[0]
        if module:
            tail = "/".join(module.split(".")) + ".py"
            by_module = [candidate for candidate in winners if candidate.endswith(tail)]
            if len(by_module) == 1:
                return by_module[0]
        return None

    def files_mentioning(self, word: str, suffix: str = ".py") -> list[str]:
        """Files of this view whose text contains ``word`` as a whole word (``git grep``)."""
        args = ["grep", "-I", "-l", "-F", "-w", "-e", word]
        if self.ref is not None:
            args.append(self.ref)
        output = run_git(self.repo, *args, "--", f"*{suffix}", check=False)
        prefix = f"{self.ref}:" if self.ref is not None else ""
        names = output.decode("utf-8", "surrogateescape").splitlines()
        return [name.removeprefix(prefix) for name in names if name]

    def find_classes(self, names: set[str]) -> dict[str, str]:
        """Top-level classes named ``names`` anywhere in the Python files of this view.

        Returns name -> repo-relative file, for names defined by exactly one file.
        """
        wanted = sorted(name for name in names if name.isidentifier())
        if not wanted:
            return {}
        pattern = rf"^class ({'|'.join(wanted)})\b"
        args = ["grep", "-I", "-E", "-o", pattern]
        if self.ref is not None:
            args.append(self.ref)
        output = run_git(self.repo, *args, "--", "*.py", check=False)
        prefix = f"{self.ref}:" if self.ref is not None else ""
        found: dict[str, set[str]] = {}
        for line in output.decode("utf-8", "surrogateescape").splitlines():
            if prefix and line.startswith(prefix):
                line = line[len(prefix) :]
            path, _, match = line.rpartition(":")
            name = match.removeprefix("class ").strip()
            if path and name in wanted:
                found.setdefault(name, set()).add(path)
        return {name: next(iter(paths)) for name, paths in found.items() if len(paths) == 1}

    def import_path(self, path: str) -> ImportPath:
        """The module name of a Python file and the folder to import it from.

        Packages are folders with ``__init__.py``: the module is the run of package folders
        above the file. A file outside any package sits under ``src/`` (imported from there),
        or imports its siblings by bare name (imported from its own folder), or is a
        namespace-package module imported from the repository root.
        """
        pure = PurePosixPath(path)
        if pure.suffix != ".py":
            raise ArgusError(f"{path} is not a Python file")
        folders = list(pure.parent.parts)
        names = [pure.stem] if pure.stem != "__init__" else []
        while folders and self.exists("/".join([*folders, "__init__.py"])):
            names.insert(0, folders.pop())
        if len(folders) < len(pure.parent.parts):
            return ImportPath(".".join(names), "/".join(folders))
        # Not in a regular package.
        if folders and folders[0] == "src":
            return ImportPath(".".join([*folders[1:], *names]), "src")
        if folders and self._imports_siblings(path):
            return ImportPath(".".join(names), "/".join(folders))
        return ImportPath(".".join([*folders, *names]), "")

    def _imports_siblings(self, path: str) -> bool:
        try:
            tree = ast.parse(self.read(path))
        except (SyntaxError, ValueError):
            return False
        folder = PurePosixPath(path).parent
        for node in ast.walk(tree):
            modules: list[str] = []
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules = [node.module]
            for module in modules:
                first = module.split(".")[0]
                if self.exists(str(folder / f"{first}.py")):
                    return True
        return False


def absolute_import(node: ast.ImportFrom, module: str, path: str) -> str | None:
    """The module a ``from ... import`` in ``module`` (the file at ``path``) names, with a
    relative import resolved against that module's package; None when it climbs out."""
    if not node.level:
        return node.module
    package = module.split(".")
    if not path.endswith("__init__.py"):
        package = package[:-1]
    if node.level - 1 > len(package):
        return None
    base = package[: len(package) - (node.level - 1)]
    if node.module:
        base = [*base, node.module]
    return ".".join(base) or None
